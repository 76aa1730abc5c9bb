//! Faults, kills, interrupts and concurrent runs, through tests/support/aws_proxy.py in front of moto, in its
//! strict mode (AWS's 409s, Block Public Access, OperationAborted) as well.
//! Each scenario ends with a check of the whole state: converged, no duplicates, the key never rewritten.

use crate::common;

use std::process::{Child, Command};
use std::time::Duration;

use common::{Env, Proxy, stack_yaml};

fn stack(name: &str) -> (String, String) {
    let bucket = format!("{name}-issuer-bucket");
    (stack_yaml(name, &bucket, &format!("name: {name}-api"), None), bucket)
}

/// The same stack with its key in KMS.
fn kms_stack(name: &str) -> (String, String) {
    let (yaml, bucket) = stack(name);
    let kid = format!("key_id: {name}-k1\n");
    (yaml.replace(&kid, &format!("{kid}key_store: kms\n")), bucket)
}

/// The stack's KMS keys that are not pending deletion (tagged for it), and the key its alias names.
fn kms_keys(env: &Env, name: &str) -> (Vec<String>, Option<String>) {
    let sdk = env.sdk();
    let keys = env.block_on(sdk.kms.list_keys().limit(1000).send()).unwrap();
    let mut live = Vec::new();
    for k in keys.keys() {
        let id = k.key_id().unwrap();
        let meta = env.block_on(sdk.kms.describe_key().key_id(id).send()).unwrap();
        let enabled = meta.key_metadata().and_then(|m| m.key_state()) == Some(&aws_sdk_kms::types::KeyState::Enabled);
        let tags = env.block_on(sdk.kms.list_resource_tags().key_id(id).send()).unwrap();
        let ours = tags.tags().iter().any(|t| t.tag_key() == "jwtstack:stack" && t.tag_value() == name);
        if ours && enabled {
            live.push(id.to_string());
        }
    }
    let alias = format!("alias/jwtstack/{name}/{name}-k1");
    let named = env
        .block_on(sdk.kms.describe_key().key_id(&alias).send())
        .ok()
        .and_then(|o| o.key_metadata().map(|m| m.key_id().to_string()));
    (live, named)
}

/// The key parameter's value and version.
fn key_of(env: &Env, name: &str) -> Option<(String, i64)> {
    env.parameter_value(&format!("/jwtstack/{name}/keys/{name}-k1"))
}

/// Converged: no pending change, one API, one authorizer, one integration per target, no lock, key version 1.
#[track_caller]
fn assert_converged(env: &Env, name: &str, file: &str) {
    let plan = Output::of(env.cmd().args(["plan", "--detailed-exitcode", "-f", file]).output().unwrap());
    assert_eq!(plan.0, 0, "{name}: plan after recovery is not empty:\n{}\n{}", plan.1, plan.2);
    let sdk = env.sdk();
    let apis = env.block_on(sdk.apigw.get_apis().send()).unwrap();
    let ours: Vec<_> = apis
        .items()
        .iter()
        .filter(|a| a.tags().and_then(|t| t.get("jwtstack:stack")).map(String::as_str) == Some(name))
        .collect();
    assert_eq!(ours.len(), 1, "{name}: {} APIs carry the stack tag", ours.len());
    let api = ours[0].api_id().unwrap();
    let auths = env.block_on(sdk.apigw.get_authorizers().api_id(api).send()).unwrap();
    assert_eq!(auths.items().len(), 1, "{name}: duplicate authorizers");
    let ints = env.block_on(sdk.apigw.get_integrations().api_id(api).send()).unwrap();
    assert_eq!(ints.items().len(), 2, "{name}: duplicate integrations");
    let routes = env.block_on(sdk.apigw.get_routes().api_id(api).send()).unwrap();
    assert_eq!(routes.items().len(), 2, "{name}: duplicate routes");
    let stages = env.block_on(sdk.apigw.get_stages().api_id(api).send()).unwrap();
    assert_eq!(stages.items().len(), 1, "{name}: duplicate stages");
    if std::fs::read_to_string(env.path().join(file)).unwrap().contains("key_store: kms") {
        // One live key, and the alias names it: none orphaned, none scheduled for deletion by mistake.
        let (live, named) = kms_keys(env, name);
        assert_eq!(live.len(), 1, "{name}: {} live KMS keys carry the stack tag: {live:?}", live.len());
        assert_eq!(named.as_ref(), Some(&live[0]), "{name}: the alias does not name the live key");
    } else {
        let (_, version) = key_of(env, name).expect("the key exists");
        assert_eq!(version, 1, "{name}: the key parameter was written more than once");
    }
    // A lock may remain only if its run is gone (a kill after the last step); plan says so.
    if env
        .block_on(sdk.ssm.get_parameter().name(format!("/jwtstack/{name}/lock")).send())
        .is_ok()
    {
        assert!(
            plan.1.contains("that run is gone"),
            "{name}: lock of a live run left behind:\n{}",
            plan.1
        );
    }
}

#[track_caller]
fn assert_gone(env: &Env, name: &str, bucket: &str) {
    let sdk = env.sdk();
    let apis = env.block_on(sdk.apigw.get_apis().send()).unwrap();
    assert!(
        !apis
            .items()
            .iter()
            .any(|a| a.tags().and_then(|t| t.get("jwtstack:stack")).map(String::as_str) == Some(name)),
        "{name}: API left"
    );
    assert!(
        env.block_on(sdk.s3.head_bucket().bucket(bucket).send()).is_err(),
        "{name}: bucket left"
    );
    let params = env.stack_parameters(name);
    assert!(params.is_empty(), "{name}: parameters left: {params:?}");
    let (live, _) = kms_keys(env, name);
    assert!(live.is_empty(), "{name}: KMS keys left enabled: {live:?}");
}

struct Output(i32, String, String);

impl Output {
    fn of(o: std::process::Output) -> Output {
        Output(
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into(),
            String::from_utf8_lossy(&o.stderr).into(),
        )
    }
}

/// Runs the command through the proxy until it succeeds; every failed run must be a clean exit 1.
fn until_success(env: &Env, endpoint: &str, args: &[&str], runs: &mut (u32, u32)) {
    for _ in 0..12 {
        let out = Output::of(env.cmd_via(endpoint).args(args).output().unwrap());
        runs.0 += 1;
        match out.0 {
            0 => return,
            1 => runs.1 += 1,
            code => panic!("{args:?} exited {code}:\n{}\n{}", out.1, out.2),
        }
    }
    panic!("{args:?} did not succeed in 12 runs");
}

#[test]
fn injected_faults_over_many_seeds_end_in_the_desired_state() {
    let env = Env::new();
    let seeds = 12;
    let mut faults = serde_json::Map::new();
    let (mut requests, mut runs) = (0u64, (0u32, 0u32));
    for seed in 0..seeds {
        let name = format!("fault{seed}");
        let (yaml, bucket) = stack(&name);
        let file = format!("{name}.yaml");
        std::fs::write(env.path().join(&file), yaml).unwrap();
        let proxy = Proxy::start(
            &env.moto.endpoint,
            &["--strict", "--seed", &seed.to_string(), "--fault-rate", "0.2"],
        );
        until_success(&env, &proxy.endpoint, &["deploy", "-f", &file], &mut runs);
        let key = key_of(&env, &name).unwrap();
        assert_converged(&env, &name, &file);
        // A deploy with nothing to do, under faults, stays a no-op.
        until_success(&env, &proxy.endpoint, &["deploy", "-f", &file], &mut runs);
        assert_eq!(key_of(&env, &name).unwrap(), key, "{name}: the key changed");
        until_success(&env, &proxy.endpoint, &["teardown", "--yes", "-f", &file], &mut runs);
        assert_gone(&env, &name, &bucket);
        let stats = proxy.stats();
        requests += stats["requests"].as_u64().unwrap();
        for (k, v) in stats["faults"].as_object().unwrap() {
            let n = faults.get(k).and_then(|x| x.as_u64()).unwrap_or(0) + v.as_u64().unwrap();
            faults.insert(k.clone(), n.into());
        }
    }
    eprintln!(
        "fault injection: {seeds} seeds, {requests} requests, faults {}, {} runs of which {} failed and were run again",
        serde_json::Value::Object(faults.clone()),
        runs.0,
        runs.1
    );
    for kind in ["http500", "http503", "throttle", "latency", "reset_before", "reset_after"] {
        assert!(
            faults.get(kind).and_then(|v| v.as_u64()).unwrap_or(0) > 0,
            "no {kind} fault was injected"
        );
    }
}

/// A lost CreateKey answer must not leave a second key, nor a lost CreateAlias answer destroy the one made:
/// neither call is retried by the SDK, and what each may have made is looked for first.
#[test]
fn lost_kms_answers_neither_duplicate_nor_destroy_the_key() {
    let env = Env::new();
    let proxy = Proxy::start(
        &env.moto.endpoint,
        &[
            "--strict",
            "--lose-answer",
            "TrentService.CreateKey",
            "--lose-answer",
            "TrentService.CreateAlias",
        ],
    );
    let (yaml, bucket) = kms_stack("lostkms");
    std::fs::write(env.path().join("stack.yaml"), yaml).unwrap();
    let out = env.run_via(&proxy.endpoint, &["deploy"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(proxy.stats()["lost_answers"], 2);
    assert_converged(&env, "lostkms", "stack.yaml");
    env.run(&["teardown", "--yes"]).ok();
    assert_gone(&env, "lostkms", &bucket);
}

/// A `key_store: kms` stack, killed at points around its key's creation and under injected faults: one key,
/// named by its alias, after the next run.
#[test]
fn a_kms_stack_killed_or_faulted_keeps_exactly_one_key() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--latency-ms", "25"]);
    let mut killed = 0;
    for (i, ms) in (0..8u64).map(|i| 30 + i * 45).enumerate() {
        let name = format!("kmskill{i}");
        let (yaml, bucket) = kms_stack(&name);
        let file = format!("{name}.yaml");
        std::fs::write(env.path().join(&file), yaml).unwrap();
        killed += usize::from(common::kill_after(&env, &proxy.endpoint, &["deploy", "-f", &file], ms));
        let out = Output::of(env.cmd().args(["deploy", "-f", &file]).output().unwrap());
        assert_eq!(out.0, 0, "deploy after a kill at {ms} ms:\n{}\n{}", out.1, out.2);
        assert_converged(&env, &name, &file);
        env.run(&["teardown", "--yes", "-f", &file]).ok();
        assert_gone(&env, &name, &bucket);
    }
    assert!(killed >= 4, "most kills must land mid-run: {killed} of 8");
    let mut runs = (0, 0);
    for seed in 0..4 {
        let name = format!("kmsfault{seed}");
        let (yaml, bucket) = kms_stack(&name);
        let file = format!("{name}.yaml");
        std::fs::write(env.path().join(&file), yaml).unwrap();
        let proxy = Proxy::start(
            &env.moto.endpoint,
            &["--strict", "--seed", &seed.to_string(), "--fault-rate", "0.2"],
        );
        until_success(&env, &proxy.endpoint, &["deploy", "-f", &file], &mut runs);
        assert_converged(&env, &name, &file);
        until_success(&env, &proxy.endpoint, &["teardown", "--yes", "-f", &file], &mut runs);
        assert_gone(&env, &name, &bucket);
    }
}

fn spawn(env: &Env, endpoint: &str, args: &[&str]) -> Child {
    common::spawn(env, endpoint, &[], args)
}

#[test]
fn deploy_and_teardown_killed_at_any_point_recover_on_the_next_run() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--latency-ms", "25"]);
    let points: Vec<u64> = (0..14).map(|i| 40 + i * 70).collect();
    let mut outcomes = Vec::new();
    for (i, ms) in points.iter().enumerate() {
        let name = format!("kill{i}");
        let (yaml, bucket) = stack(&name);
        let file = format!("{name}.yaml");
        std::fs::write(env.path().join(&file), yaml).unwrap();
        let killed = common::kill_after(&env, &proxy.endpoint, &["deploy", "-f", &file], *ms);
        // The next run, with a healthy connection, converges; a lock the dead run left is taken over.
        let out = Output::of(env.cmd().args(["deploy", "-f", &file]).output().unwrap());
        assert_eq!(out.0, 0, "deploy after a kill at {ms} ms:\n{}\n{}", out.1, out.2);
        assert_converged(&env, &name, &file);

        let killed_teardown = common::kill_after(&env, &proxy.endpoint, &["teardown", "--yes", "-f", &file], *ms / 2);
        let out = Output::of(env.cmd().args(["teardown", "--yes", "-f", &file]).output().unwrap());
        assert_eq!(out.0, 0, "teardown after a kill at {} ms:\n{}\n{}", ms / 2, out.1, out.2);
        assert_gone(&env, &name, &bucket);
        outcomes.push((ms, killed, killed_teardown));
    }
    let deploys_killed = outcomes.iter().filter(|o| o.1).count();
    let teardowns_killed = outcomes.iter().filter(|o| o.2).count();
    eprintln!(
        "kill points: {} deploys (killed mid-run: {deploys_killed}), {} teardowns (killed mid-run: {teardowns_killed}); all recovered",
        points.len(),
        points.len()
    );
    assert!(deploys_killed >= points.len() / 2, "most kills must land mid-run: {outcomes:?}");
    assert!(teardowns_killed >= 1, "{outcomes:?}");
}

#[test]
fn two_concurrent_deploys_one_waits_and_the_end_state_is_correct() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--latency-ms", "60"]);
    let (yaml, _) = stack("twins");
    env.write_stack(&yaml);
    let a = spawn(&env, &proxy.endpoint, &["deploy", "--lock-timeout", "2m"]);
    let b = spawn(&env, &proxy.endpoint, &["deploy", "--lock-timeout", "2m"]);
    let (a, b) = (Output::of(a.wait_with_output().unwrap()), Output::of(b.wait_with_output().unwrap()));
    assert_eq!((a.0, b.0), (0, 0), "a:\n{}\n{}\nb:\n{}\n{}", a.1, a.2, b.1, b.2);
    let deployed = [&a, &b].iter().filter(|o| o.1.starts_with("Deployed")).count();
    let unchanged = [&a, &b].iter().filter(|o| o.1.starts_with("No changes")).count();
    assert_eq!((deployed, unchanged), (1, 1), "a: {}\nb: {}", a.1, b.1);
    assert_converged(&env, "twins", "stack.yaml");
}

#[test]
fn a_second_deploy_without_lock_timeout_fails_naming_the_holder() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--latency-ms", "80"]);
    let (yaml, _) = stack("held");
    env.write_stack(&yaml);
    let first = spawn(&env, &proxy.endpoint, &["deploy"]);
    // Wait until the first run holds the lock.
    let sdk = env.sdk();
    let mut held = false;
    for _ in 0..200 {
        if env.block_on(sdk.ssm.get_parameter().name("/jwtstack/held/lock").send()).is_ok() {
            held = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(held, "the first deploy never took the lock");
    let second = env.run(&["deploy"]);
    assert_eq!(second.code, 1, "{}\n{}", second.stdout, second.stderr);
    assert!(second.stderr.contains("stack `held` is locked: `deploy` by"), "{}", second.stderr);
    let first = Output::of(first.wait_with_output().unwrap());
    assert_eq!(first.0, 0, "{}\n{}", first.1, first.2);
    assert_converged(&env, "held", "stack.yaml");
    // unlock on an unlocked stack says so; without --yes it refuses.
    assert_eq!(env.run(&["unlock"]).code, 64);
    assert!(env.run(&["unlock", "--yes"]).ok().stdout.contains("was not locked"));
}

#[test]
fn ctrl_c_stops_after_the_step_in_flight_and_the_next_run_finishes() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--latency-ms", "80"]);
    let (yaml, _) = stack("sigint");
    env.write_stack(&yaml);
    let child = spawn(&env, &proxy.endpoint, &["deploy"]);
    // Wait for the first applied step (the key exists), then interrupt.
    for _ in 0..300 {
        if key_of(&env, "sigint").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let out = Output::of(child.wait_with_output().unwrap());
    assert_eq!(out.0, 130, "{}\n{}", out.1, out.2);
    assert!(out.2.contains("Ctrl-C: stopping after the step in flight"), "{}", out.2);
    assert!(out.2.contains("interrupted after"), "{}", out.2);
    // The lock was released on the way out, and the next run completes the deploy.
    env.run(&["deploy"]).ok();
    assert_converged(&env, "sigint", "stack.yaml");
}

#[test]
fn access_denied_names_the_iam_action_and_the_resource() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--deny-ssm-action", "PutParameter"]);
    let (yaml, _) = stack("denied");
    env.write_stack(&yaml);
    let out = env.run_via(&proxy.endpoint, &["deploy"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    // The first SSM write of a deploy is the run lock.
    assert!(out.stderr.contains("taking the lock /jwtstack/denied/lock"), "{}", out.stderr);
    assert!(out.stderr.contains("not allowed `ssm:PutParameter`"), "{}", out.stderr);
    assert!(out.stderr.contains("AccessDeniedException"), "{}", out.stderr);
}
