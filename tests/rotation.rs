//! Key rotation against moto: no live token breaks, the old private key is never touched, each plan shows
//! exactly the key changes, the timing rules hold, and a rotation killed at any point resumes.
//!
//! `JWTSTACK_NOW` moves the rotation clock (the key timeline and the timing rules) so that the two-hour
//! cache wait and `token_max_ttl` pass in no time; tokens and `verify` keep the system clock.

use crate::common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Env, Output, json, stack_yaml};
use serde_json::Value;

const OLD: &str = "grocery-k1";
const NEW: &str = "grocery-k2";
const CACHE: u64 = 2 * 3600;
const TTL: u64 = 3600;

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Runs jwtstack with the rotation clock at `at`.
fn at(env: &Env, at: u64, args: &[&str]) -> Output {
    Output::from(env.cmd().env("JWTSTACK_NOW", at.to_string()).args(args).output().unwrap())
}

fn private_key(env: &Env, kid: &str) -> Option<(String, i64)> {
    env.parameter_value(&format!("/jwtstack/grocery/keys/{kid}"))
}

fn jwks_kids(env: &Env) -> Vec<String> {
    let sdk = env.sdk();
    let body = env
        .block_on(sdk.s3.get_object().bucket("grocery-issuer-rot").key(".well-known/jwks.json").send())
        .unwrap()
        .body;
    let bytes = env.block_on(body.collect()).unwrap().into_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

/// The key lines of a plan JSON: `+ jwks_key k2`, `~ signing_key k1 -> k2`.
fn key_changes(plan: &Value) -> Vec<String> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["resource"] == "jwks_key" || c["resource"] == "signing_key")
        .map(|c| {
            let sign = match c["action"].as_str().unwrap() {
                "create" => "+",
                "update" => "~",
                _ => "-",
            };
            match c["diffs"].as_array().and_then(|d| d.iter().find(|d| d["field"] == "kid")) {
                Some(d) => format!(
                    "{sign} {} {} -> {}",
                    c["resource"].as_str().unwrap(),
                    d["before"].as_str().unwrap(),
                    d["after"].as_str().unwrap()
                ),
                None => format!("{sign} {} {}", c["resource"].as_str().unwrap(), c["name"].as_str().unwrap()),
            }
        })
        .collect()
}

/// Every resource line of a plan JSON: `update s3_object`, `create ssm_parameter`...
fn resources(plan: &Value) -> Vec<String> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["action"].as_str().unwrap(), c["resource"].as_str().unwrap()))
        .collect()
}

fn verify(env: &Env, token: &str) -> Output {
    env.run(&["verify", token, "--route", "GET /lists", "--json"])
}

fn stack() -> String {
    stack_yaml("grocery", "grocery-issuer-rot", "name: grocery-api", None).replace(
        "key_id: grocery-k1\n",
        "# the signing key\nkey_id: grocery-k1   # rotated by jwtstack\n",
    )
}

#[test]
fn a_rotation_never_breaks_a_live_token_and_never_touches_the_old_key() {
    let env = Env::new();
    env.write_stack(&stack());
    env.run(&["deploy"]).ok();
    let t0 = now();
    let old_token = env
        .run(&["token", "--sub", "alice", "--scope", "lists.read", "--ttl", "1h"])
        .ok()
        .stdout;
    let old_token = old_token.trim();
    let old_key = private_key(&env, OLD).unwrap();
    assert_eq!(old_key.1, 1);
    let tokens_checked = std::cell::Cell::new(0);
    let check_old_still_verifies = |env: &Env, when: &str| {
        let v = verify(env, old_token).code(0);
        assert_eq!(json(&v.stdout)["kid"], OLD, "{when}");
        assert_eq!(private_key(env, OLD).unwrap(), old_key, "{when}: the old private key changed");
        tokens_checked.set(tokens_checked.get() + 1);
    };
    check_old_still_verifies(&env, "before the rotation");
    let status = json(&at(&env, t0, &["status", "--json"]).ok().stdout);
    assert_eq!(status["phase"], "steady");

    // start: dry run first (nothing changes), then for real.
    let before = std::fs::read_to_string(env.path().join("stack.yaml")).unwrap();
    let dry = at(&env, t0, &["rotate", "start", "--kid", NEW, "--dry-run"]).ok();
    assert!(dry.stdout.contains(&format!("+next_key: {NEW}")), "{}", dry.stdout);
    assert_eq!(std::fs::read_to_string(env.path().join("stack.yaml")).unwrap(), before);
    assert!(private_key(&env, NEW).is_none());
    let start = json(&at(&env, t0, &["rotate", "start", "--kid", NEW, "--json"]).ok().stdout);
    assert_eq!(key_changes(&start["plan"]), [format!("+ jwks_key {NEW}")]);
    assert_eq!(
        resources(&start["plan"]),
        ["create ssm_parameter", "update s3_object", "create jwks_key"]
    );
    let edited = std::fs::read_to_string(env.path().join("stack.yaml")).unwrap();
    assert_eq!(
        edited,
        before.replace("# rotated by jwtstack\n", &format!("# rotated by jwtstack\nnext_key: {NEW}\n")),
        "comments and formatting are kept"
    );
    assert_eq!(jwks_kids(&env), [OLD, NEW]);
    env.run(&["plan", "--detailed-exitcode"]).code(0);
    check_old_still_verifies(&env, "after start");
    // The new key does not sign yet.
    let t = env.run(&["token", "--sub", "bob", "--scope", "lists.read"]).ok().stdout;
    assert_eq!(json(&verify(&env, t.trim()).code(0).stdout)["kid"], OLD);

    // activate: refused until the next key has been published for two hours; the refusal changes nothing.
    let early = at(&env, t0 + CACHE - 60, &["rotate", "activate"]).code(4);
    assert!(early.stderr.contains("published less than 2h ago"), "{}", early.stderr);
    assert!(early.stderr.contains("(in 1m)"), "{}", early.stderr);
    assert_eq!(std::fs::read_to_string(env.path().join("stack.yaml")).unwrap(), edited);
    env.run(&["plan", "--detailed-exitcode"]).code(0);
    let status = json(&at(&env, t0 + 60, &["status", "--json"]).ok().stdout);
    assert_eq!(status["phase"], "started");
    assert_eq!(status["next_step"], "jwtstack rotate activate");
    let t_act = t0 + CACHE + 5;
    let activate = json(&at(&env, t_act, &["rotate", "activate", "--json"]).ok().stdout);
    assert_eq!(key_changes(&activate["plan"]), [format!("~ signing_key {OLD} -> {NEW}")]);
    assert_eq!(resources(&activate["plan"]), ["update s3_object", "update signing_key"]);
    assert_eq!(jwks_kids(&env), [NEW, OLD]);
    env.run(&["plan", "--detailed-exitcode"]).code(0);
    check_old_still_verifies(&env, "after activate");
    let new_token = env.run(&["token", "--sub", "carol", "--scope", "lists.read"]).ok().stdout;
    let new_token = new_token.trim();
    assert_eq!(json(&verify(&env, new_token).code(0).stdout)["kid"], NEW);
    tokens_checked.set(tokens_checked.get() + 1);

    // A hand-made plan between steps shows exactly the key change that finish will make.
    let finished_by_hand = std::fs::read_to_string(env.path().join("stack.yaml"))
        .unwrap()
        .replace(&format!("previous_keys: [{OLD}]\n"), "");
    std::fs::write(env.path().join("by-hand.yaml"), &finished_by_hand).unwrap();
    let p = json(&env.run(&["plan", "--json", "-f", "by-hand.yaml"]).ok().stdout);
    assert_eq!(key_changes(&p), [format!("- jwks_key {OLD}")]);
    assert_eq!(resources(&p), ["update s3_object", "delete jwks_key"]);

    // keys delete: refused without --yes, and while the key is published.
    env.run(&["keys", "delete", OLD]).code(64);
    let refused = env.run(&["keys", "delete", OLD, "--yes"]).code(1);
    assert!(refused.stderr.contains("previous key in the stack file"), "{}", refused.stderr);

    // finish: refused until token_max_ttl + cache after the old key stopped signing.
    let early = at(&env, t_act + TTL + CACHE - 1, &["rotate", "finish"]).code(4);
    assert!(early.stderr.contains("may still be live"), "{}", early.stderr);
    check_old_still_verifies(&env, "after a refused finish");
    let finish = json(&at(&env, t_act + TTL + CACHE + 1, &["rotate", "finish", "--json"]).ok().stdout);
    assert_eq!(key_changes(&finish["plan"]), [format!("- jwks_key {OLD}")]);
    assert_eq!(jwks_kids(&env), [NEW]);
    env.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(
        std::fs::read_to_string(env.path().join("stack.yaml")).unwrap(),
        before.replace(&format!("key_id: {OLD}"), &format!("key_id: {NEW}"))
    );

    // The old token is refused now, for the documented reason; the new one still passes.
    let denied = json(&verify(&env, old_token).code(3).stdout);
    assert_eq!(denied["status"], 401);
    assert!(denied["reason"].as_str().unwrap().starts_with("unknown kid"), "{denied}");
    assert_eq!(json(&verify(&env, new_token).code(0).stdout)["kid"], NEW);
    tokens_checked.set(tokens_checked.get() + 2);
    // Unpublished, the private key is still there, unchanged, until deleted on purpose.
    assert_eq!(private_key(&env, OLD).unwrap(), old_key);
    let status = json(&at(&env, t_act + TTL + CACHE + 2, &["status", "--json"]).ok().stdout);
    let old = status["keys"].as_array().unwrap().iter().find(|k| k["kid"] == OLD).unwrap().clone();
    assert_eq!(
        (old["role"].as_str(), old["published"].as_bool(), old["store"].as_str()),
        (Some("unpublished"), Some(false), Some("ssm"))
    );
    env.run(&["keys", "delete", OLD, "--yes"]).ok();
    assert!(private_key(&env, OLD).is_none());
    env.run(&["plan", "--detailed-exitcode"]).code(0);
    eprintln!(
        "rotation: 3 steps, 2 refused early steps, {} token checks, old key byte-identical at each step",
        tokens_checked.get()
    );
}

#[test]
fn a_rotation_killed_at_any_point_resumes_with_the_same_step() {
    let env = Env::new();
    let proxy = common::Proxy::start(&env.moto.endpoint, &["--strict", "--latency-ms", "25"]);
    env.write_stack(&stack());
    env.run(&["deploy"]).ok();
    let old_token = env.run(&["token", "--sub", "alice", "--scope", "lists.read"]).ok().stdout;
    let old_key = private_key(&env, OLD).unwrap();
    let t0 = now();
    let steps: [(&[&str], u64, &[&str]); 3] = [
        (&["rotate", "start", "--kid", NEW], t0, &[OLD, NEW]),
        (&["rotate", "activate"], t0 + CACHE + 10, &[NEW, OLD]),
        (&["rotate", "finish"], t0 + CACHE + TTL + CACHE + 20, &[NEW]),
    ];
    let mut kills = 0;
    for (args, clock, published) in steps {
        // Kill the step several times at growing delays, each time leaving whatever it got done.
        for ms in [150, 450, 800] {
            let clock_var = clock.to_string();
            let mut child = common::spawn(&env, &proxy.endpoint, &[("JWTSTACK_NOW", &clock_var)], args);
            std::thread::sleep(Duration::from_millis(ms));
            if child.try_wait().unwrap().is_none() {
                kills += 1;
            }
            let _ = child.kill();
            let _ = child.wait();
            // A dead run's lock is taken over by the next run on this machine.
        }
        // The same step, run again, finishes the job.
        at(&env, clock, args).ok();
        assert_eq!(jwks_kids(&env), published, "after {args:?}");
        env.run(&["plan", "--detailed-exitcode"]).code(0);
        assert_eq!(private_key(&env, OLD).unwrap(), old_key, "after {args:?}");
        let text = std::fs::read_to_string(env.path().join("stack.yaml")).unwrap();
        assert_eq!(text.matches("next_key").count(), usize::from(args[1] == "start"), "{text}");
        if published.contains(&OLD) {
            verify(&env, old_token.trim()).code(0);
        }
    }
    // Exactly two keys were ever made: no step made a key twice.
    let sdk = env.sdk();
    let listed = env
        .block_on(
            sdk.ssm
                .get_parameters_by_path()
                .path("/jwtstack/grocery/keys")
                .recursive(true)
                .send(),
        )
        .unwrap();
    assert_eq!(listed.parameters().len(), 2);
    verify(&env, old_token.trim()).code(3);
    eprintln!("rotation kills: 9 kill points, {kills} landed mid-run, all resumed");
    assert!(kills >= 3, "most kills must land mid-run: {kills}");
}

#[test]
fn rotate_edits_the_file_a_link_points_at_and_follows_no_planted_link() {
    let env = Env::new();
    // stack.yaml is a link to the real file in another folder, as a monorepo or a dotfiles setup has it.
    let real_dir = env.path().join("config");
    std::fs::create_dir(&real_dir).unwrap();
    std::fs::write(real_dir.join("stack.yaml"), stack()).unwrap();
    std::os::unix::fs::symlink(real_dir.join("stack.yaml"), env.path().join("stack.yaml")).unwrap();
    env.run(&["deploy"]).ok();
    // A link planted where an earlier version wrote its temporary file, pointing at a file of someone else's.
    let victim = env.path().join("victim.txt");
    std::fs::write(&victim, "not jwtstack's\n").unwrap();
    for name in [".stack.yaml.jwtstack-tmp", "config/.stack.yaml.jwtstack-tmp"] {
        std::os::unix::fs::symlink(&victim, env.path().join(name)).unwrap();
    }
    env.run(&["rotate", "start", "--kid", NEW]).ok();
    let link = std::fs::symlink_metadata(env.path().join("stack.yaml")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced by a file");
    let real = std::fs::read_to_string(real_dir.join("stack.yaml")).unwrap();
    assert!(real.contains(&format!("next_key: {NEW}")), "{real}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "not jwtstack's\n");
    // Deploying through the link keeps the next key published.
    env.run(&["plan", "--detailed-exitcode"]).ok();
}
