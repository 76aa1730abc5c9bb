//! A newcomer's mistakes and first runs, through the binary: a missing Lambda function, another region, no
//! credentials, an unknown profile, a bad region, `destroy`, man pages, JSON errors, counts, colours.

use crate::common;

use common::{Env, json, jwtstack_in, stack_yaml};

const BUCKET: &str = "newcomer-issuer-test";

#[test]
fn a_missing_lambda_function_is_refused_before_any_change() {
    let env = Env::new();
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:nobody-made-me";
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", Some(arn)));

    let plan = env.run(&["plan"]).code(1);
    assert!(
        plan.stderr.contains(&format!(
            "Lambda function {arn} does not exist (used by POST /lists); create it first, or correct the ARN"
        )),
        "{}",
        plan.stderr
    );
    assert!(plan.stderr.contains("nothing was changed"), "{}", plan.stderr);

    let deploy = env.run(&["deploy", "--stats"]).code(1);
    assert_eq!(deploy.writes(), 0, "{}", deploy.stderr);
    let sdk = env.sdk();
    let apis = env.block_on(sdk.apigw.get_apis().send()).unwrap();
    assert!(apis.items().is_empty(), "an API was created: {:?}", apis.items());
    assert!(env.parameter("/jwtstack/grocery/keys/grocery-k1").is_none(), "a key was created");

    // Once the function exists, the same stack deploys.
    let real = env.create_function("nobody-made-me");
    assert_eq!(real, arn);
    env.run(&["deploy"]).ok();
    env.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_stack_deployed_in_one_region_is_refused_in_another() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    env.run(&["deploy"]).ok();

    let want = "bucket newcomer-issuer-test is in us-east-1, not in us-west-2: stack `grocery` was deployed in us-east-1";
    let plan = env.run(&["plan", "--region", "us-west-2"]).code(1);
    assert!(plan.stderr.contains(want), "{}", plan.stderr);
    let deploy = env.run(&["deploy", "--region", "us-west-2", "--stats"]).code(1);
    assert!(deploy.stderr.contains(want), "{}", deploy.stderr);
    assert_eq!(deploy.writes(), 0, "{}", deploy.stderr);
    let down = env.run(&["teardown", "--region", "us-west-2", "--yes", "--stats"]).code(1);
    assert!(down.stderr.contains(want), "{}", down.stderr);
    assert_eq!(down.writes(), 0, "{}", down.stderr);

    // The first region's documents are untouched, and its stack still converges.
    let sdk = env.sdk();
    env.block_on(sdk.s3.get_object().bucket(BUCKET).key(".well-known/jwks.json").send())
        .expect("the JWKS is still published");
    env.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn destroy_is_teardown_and_counts_agree() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let deploy = env.run(&["deploy"]).ok();
    // The summary, the plan and the progress lines count the same lines.
    let created: usize = deploy
        .stdout
        .split("Deployed `grocery`: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("summary line");
    let progress: Vec<&str> = deploy.stderr.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(progress.len(), created, "{}", deploy.stderr);
    assert!(
        progress.last().unwrap().starts_with(&format!("[{created}/{created}] ")),
        "{progress:?}"
    );
    let plan_lines = deploy.stderr.lines().filter(|l| l.starts_with("  + ")).count();
    assert_eq!(plan_lines, created, "{}", deploy.stderr);

    let down = env.run(&["destroy", "--yes"]).ok();
    let deleted = down.stderr.lines().filter(|l| l.starts_with("  - ")).count();
    assert!(
        down.stdout.contains(&format!("Removed {deleted} resource(s) of stack `grocery`")),
        "{}\n{}",
        down.stdout,
        down.stderr
    );
    let progress = down.stderr.lines().filter(|l| l.starts_with('[')).count();
    assert_eq!(progress, deleted, "{}", down.stderr);
    env.run(&["plan"]).ok();
}

#[test]
fn json_mode_prints_one_document_errors_included() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    env.run(&["deploy"]).ok();

    let token = json(&env.run(&["token", "--sub", "alice", "--scope", "lists.read", "--json"]).ok().stdout);
    assert_eq!(token["kid"], "grocery-k1");
    assert_eq!(token["subject"], "alice");
    assert_eq!(token["scopes"], serde_json::json!(["lists.read"]));
    let lifetime = token["expires_at"].as_u64().unwrap() - token["issued_at"].as_u64().unwrap();
    assert_eq!(lifetime, 900);
    let jwt = token["token"].as_str().unwrap();
    let verdict = json(&env.run(&["verify", jwt, "--route", "GET /lists", "--json"]).ok().stdout);
    assert_eq!(verdict["allowed"], true);

    // A stack-file error: every problem with its position.
    env.write_stack("name: Grocery\naudiance: [x]\n");
    let bad = env.run(&["plan", "--json"]).code(65);
    let e = json(&bad.stdout);
    assert_eq!(e["error"]["kind"], "invalid_stack");
    assert_eq!(e["error"]["exit_code"], 65);
    let problems = e["error"]["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    assert!(
        problems
            .iter()
            .all(|p| p["line"].as_u64().unwrap() >= 1 && p["file"] == "stack.yaml")
    );
    assert!(bad.stderr.starts_with("error: stack.yaml:"), "{}", bad.stderr);

    // An AWS error: kind, message and hint.
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let unreachable = env.run_via("http://127.0.0.1:9", &["plan", "--json"]).code(1);
    let e = json(&unreachable.stdout);
    assert_eq!(e["error"]["kind"], "aws");
    assert!(e["error"]["hint"].as_str().unwrap().contains("--endpoint-url"), "{e}");
    assert!(!unreachable.stdout.contains("DispatchFailure"), "{}", unreachable.stdout);

    // A usage error.
    let usage = env.run(&["teardown", "--json"]).code(64);
    assert_eq!(json(&usage.stdout)["error"]["kind"], "usage");
}

#[test]
fn no_credentials_an_unknown_profile_and_a_bad_region_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yaml"),
        stack_yaml("grocery", BUCKET, "name: grocery-api", None),
    )
    .unwrap();
    let profiles = dir.path().join("profiles");
    std::fs::write(&profiles, "[profile work]\nregion = us-east-1\n").unwrap();
    let run = |args: &[&str], with_keys: bool| {
        let mut c = jwtstack_in(dir.path());
        // Nothing listens here: a call that got as far as the network would fail otherwise.
        c.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9").env("AWS_CONFIG_FILE", &profiles);
        if !with_keys {
            c.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY");
        }
        common::Output::from(c.args(args).timeout(std::time::Duration::from_secs(120)).output().unwrap())
    };

    let none = run(&["plan"], false).code(1);
    assert!(none.stderr.contains("no AWS credentials were found"), "{}", none.stderr);
    assert!(none.stderr.contains("aws configure"), "{}", none.stderr);
    for dump in ["DispatchFailure", "ConnectorError", "ProviderChainError", "CredentialsNotLoaded"] {
        assert!(
            !none.stderr.contains(dump),
            "SDK debug output at the default verbosity: {}",
            none.stderr
        );
    }

    let profile = run(&["plan", "--profile", "nosuch"], true).code(1);
    assert!(profile.stderr.contains("profile `nosuch` does not exist"), "{}", profile.stderr);
    assert!(profile.stderr.contains("profiles found: work"), "{}", profile.stderr);

    let region = run(&["plan", "--region", "useast1"], true).code(1);
    assert!(region.stderr.contains("`useast1` is not an AWS region name"), "{}", region.stderr);
}

#[test]
fn check_on_the_emulator_says_what_it_skipped() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let out = env.run(&["check"]).ok();
    assert!(out.stdout.contains("issuer_check_skipped"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("which does not serve https://newcomer-issuer-test.s3.us-east-1.amazonaws.com")
    );
    let j = json(&env.run(&["check", "--json"]).ok().stdout);
    assert_eq!(j["findings"][0]["code"], "issuer_check_skipped");
}

#[test]
fn logs_on_a_pipe_carry_no_colours() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    for args in [&["plan", "-vv"][..], &["plan", "-vv", "--no-color"][..]] {
        let out = env.run(args).ok();
        assert!(out.stderr.contains("AWS call"), "{}", out.stderr);
        assert!(
            !out.stderr.contains('\x1b'),
            "ANSI escapes on a pipe: {:?}",
            &out.stderr[..200.min(out.stderr.len())]
        );
    }
}

#[test]
fn man_pages_exist_for_every_page_the_main_one_names() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = jwtstack_in(dir.path()).args(["man", "--dir"]).arg(&pages).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let main = std::fs::read_to_string(pages.join("jwtstack.1")).unwrap();
    let named: Vec<String> = main
        .split_whitespace()
        .filter_map(|w| w.strip_suffix("(1)"))
        .map(|w| w.replace("\\-", "-"))
        .collect();
    assert!(named.len() >= 15, "{named:?}");
    for page in named {
        assert!(pages.join(format!("{page}.1")).exists(), "{page}.1 is named but not written");
    }
    assert!(pages.join("jwtstack-rotate-start.1").exists());
}
