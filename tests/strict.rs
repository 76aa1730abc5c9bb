//! Through the test proxy's strict mode (tests/support/aws_proxy.py --strict), which answers as AWS does where
//! moto is kinder: API Gateway's 409 "concurrent modification", Block Public Access on new buckets and on the
//! account, S3's OperationAborted right after CreateBucket, the 301 of a bucket in another region, a failed
//! automatic deployment. Each proxy rule names its public source.

use crate::common;

use common::{Env, Idp, Output, Proxy, json, stack_yaml};

const BUCKET: &str = "strict-issuer-test";

/// A stack of `n` routes, each with its own integration, in the shape of the scaling benchmark's.
fn routes_yaml(name: &str, n: usize) -> String {
    let mut s = format!(
        "name: {name}\nregion: us-east-1\nissuer:\n  bucket: {name}-issuer\nkey_id: {name}-k1\naudience: [{name}-api]\n\
         api:\n  name: {name}-api\nroutes:\n"
    );
    for i in 0..n {
        s.push_str(&format!(
            "  - route: GET /r{i}/{{proxy+}}\n    scopes: [s{}]\n    integration:\n      http: https://backend.example.com/r{i}/{{proxy}}\n",
            i % 10
        ));
    }
    s
}

#[test]
fn the_example_stack_deploys_in_one_run_and_tears_down_through_the_strict_proxy() {
    let env = Env::new();
    let arn = env.create_function("lists-writer");
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", Some(&arn)));
    // One API write in two refused as a concurrent modification, on top of the overlap rule (an owned API takes
    // few writes: the import, the stage, a reimport per change, the deletion).
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--strict-conflict-rate", "0.5", "--seed", "7"]);
    let p = &proxy.endpoint;

    let deploy = env.run_via(p, &["deploy", "--max-rps", "0"]).ok();
    assert!(deploy.stdout.contains("Deployed `grocery`: 18 created"), "{}", deploy.stdout);
    env.run_via(p, &["plan", "--detailed-exitcode", "--max-rps", "0"]).code(0);
    let again = env.run_via(p, &["deploy", "--max-rps", "0", "--stats"]).ok();
    assert_eq!(again.writes(), 0, "{}", again.stderr);

    // A change of scopes is one ReimportApi, a write to the API like any other.
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", Some(&arn)).replace("[lists.write]", "[lists.write, lists.admin]"));
    let changed = env.run_via(p, &["deploy", "--max-rps", "0", "--stats"]).ok();
    assert!(changed.stdout.contains("0 created, 1 updated"), "{}", changed.stdout);
    let api_writes: Vec<&str> = changed
        .stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("ApiGatewayV2:") && !l.contains(":Get"))
        .collect();
    // One call (sent again here after a 409 "concurrent modification": the proxy refuses one write in two).
    assert_eq!(api_writes.len(), 1, "{}", changed.stderr);
    assert!(api_writes[0].contains(":ReimportApi"), "{}", changed.stderr);
    env.run_via(p, &["plan", "--detailed-exitcode", "--max-rps", "0"]).code(0);

    // A token minted on the deployed stack verifies, then the stack goes.
    let token = env.run_via(p, &["token", "--sub", "alice", "--scope", "lists.read"]).ok().stdout;
    env.run_via(p, &["verify", token.trim(), "--route", "GET /lists"]).ok();
    env.run_via(p, &["teardown", "--yes", "--max-rps", "0"]).ok();
    let after = env.run_via(p, &["plan", "--max-rps", "0"]).ok();
    assert!(after.stdout.contains("18 to create"), "{}", after.stdout);

    let strict = proxy.stats()["strict"].clone();
    assert!(strict["operation_aborted"].as_u64().unwrap() >= 1, "{strict}");
    assert!(strict["conflict_random"].as_u64().unwrap() >= 1, "{strict}");
    assert_eq!(strict["conflict_overlap"], 0, "writes to one API overlapped: {strict}");
    assert_eq!(strict["public_policy_refused"], 0, "{strict}");
}

#[test]
fn a_hundred_routes_deploy_in_one_run_with_the_quota_and_latency() {
    let env = Env::new();
    env.write_stack(&routes_yaml("hundred", 100));
    let proxy = Proxy::start(
        &env.moto.endpoint,
        &["--strict", "--apigw-quota", "10/40", "--latency-ms", "30", "--seed", "3"],
    );
    let p = &proxy.endpoint;
    let deploy = env.run_via(p, &["deploy", "--stats"]).ok();
    assert!(deploy.stdout.contains("Deployed `hundred`: 211 created"), "{}", deploy.stdout);
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
    env.run_via(p, &["teardown", "--yes"]).ok();
    // Throttled answers (a loaded machine bunches calls up) are retried and do not count here: the benchmark
    // reports them. Writes to the API never overlapped.
    let stats = proxy.stats();
    assert_eq!(stats["strict"]["conflict_overlap"], 0, "{stats}");
}

#[test]
fn an_account_that_blocks_public_buckets_is_found_before_any_change() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--account-public-access-block"]);
    let deploy = env.run_via(&proxy.endpoint, &["deploy", "--stats"]).code(1);
    assert!(
        deploy
            .stderr
            .contains("the account's Block Public Access setting (BlockPublicPolicy) forbids the public bucket policy"),
        "{}",
        deploy.stderr
    );
    assert!(deploy.stderr.contains("CloudFront"), "{}", deploy.stderr);
    assert_eq!(deploy.writes(), 0, "{}", deploy.stderr);
    let sdk = env.sdk();
    assert!(env.parameter("/jwtstack/grocery/keys/grocery-k1").is_none(), "a key was created");
    assert!(
        env.block_on(sdk.s3.head_bucket().bucket(BUCKET).send()).is_err(),
        "a bucket was created"
    );
    assert!(
        env.block_on(sdk.apigw.get_apis().send()).unwrap().items().is_empty(),
        "an API was created"
    );
}

#[test]
fn an_unreadable_account_setting_is_said_and_a_refused_policy_names_block_public_access() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let proxy = Proxy::start(
        &env.moto.endpoint,
        &["--strict", "--account-public-access-block", "--account-setting-denied"],
    );
    let deploy = env.run_via(&proxy.endpoint, &["deploy"]).code(1);
    assert!(
        deploy
            .stderr
            .contains("the account's Block Public Access setting could not be read"),
        "{}",
        deploy.stderr
    );
    assert!(deploy.stderr.contains("putting the policy of S3 bucket"), "{}", deploy.stderr);
    assert!(
        deploy.stderr.contains("Block Public Access") && deploy.stderr.contains("service control policy"),
        "{}",
        deploy.stderr
    );
}

#[test]
fn a_bucket_in_another_region_is_named_with_its_region() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict"]);
    env.run_via(&proxy.endpoint, &["deploy", "--max-rps", "0"]).ok();
    // Asked from us-west-2, the bucket answers 301 with its region: the message names both regions.
    let plan = env.run_via(&proxy.endpoint, &["plan", "--region", "us-west-2"]).code(1);
    assert!(
        plan.stderr.contains("bucket strict-issuer-test is in us-east-1, not in us-west-2"),
        "{}",
        plan.stderr
    );
    assert!(!plan.stderr.contains("another account"), "{}", plan.stderr);
    assert!(proxy.stats()["strict"]["redirected"].as_u64().unwrap() >= 1);
}

#[test]
fn a_failed_automatic_deployment_is_a_failed_deploy() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--failed-deployment"]);
    let deploy = env.run_via(&proxy.endpoint, &["deploy", "--max-rps", "0"]).code(1);
    assert!(
        deploy.stderr.contains("automatic deployment of the $default stage") && deploy.stderr.contains("Deployment attempt failed"),
        "{}",
        deploy.stderr
    );
}

#[test]
fn a_hosted_issuer_api_gateway_cannot_use_makes_deploy_fail() {
    // issuer.url names a server of the user's own (here a local HTTPS provider whose JWKS lacks the stack's
    // key): deploy reads it at its end, and the stack does not work, so the exit code is not 0.
    let env = Env::new();
    let idp = Idp::start();
    env.trust(&idp);
    let yaml = stack_yaml("grocery", BUCKET, "name: grocery-api", None).replace(
        "  bucket: strict-issuer-test\n",
        &format!("  bucket: strict-issuer-test\n  url: {}\n", idp.issuer("good")),
    );
    env.write_stack(&yaml);
    let deploy = Output::from(env.cmd().env("SSL_CERT_FILE", &idp.ca_file).args(["deploy"]).output().unwrap()).code(1);
    assert!(deploy.stdout.contains("Deployed `grocery`"), "{}", deploy.stdout);
    assert!(deploy.stderr.contains("API Gateway cannot use the issuer"), "{}", deploy.stderr);
    // With the check skipped (a network that cannot reach the issuer), the deploy itself succeeds.
    let out = Output::from(
        env.cmd()
            .env("SSL_CERT_FILE", &idp.ca_file)
            .args(["deploy", "--skip-issuer-check", "--json"])
            .output()
            .unwrap(),
    )
    .ok();
    json(&out.stdout);
}

/// The default route goes into the import as AWS documents it (`/$default`, any method, `isDefaultRoute`): the
/// emulator refuses, as API Gateway does under FailOnWarnings, the bare `$default` path jwtstack once wrote.
#[test]
fn a_default_route_deploys_through_the_import_and_converges() {
    let env = Env::new();
    let stack = stack_yaml("dflt", "dflt-issuer-test", "name: dflt-api", None)
        + "  - route: $default\n    scopes: [lists.read]\n    integration:\n      http: https://example.com/fallback\n";
    env.write_stack(&stack);
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "3"]);
    let p = &proxy.endpoint;
    env.run_via(p, &["deploy", "--max-rps", "0"]).ok();
    env.run_via(p, &["plan", "--detailed-exitcode", "--max-rps", "0"]).code(0);
    let sdk = env.sdk();
    let apis = env.block_on(sdk.apigw.get_apis().send()).unwrap();
    let api = apis.items().iter().find(|a| a.name() == Some("dflt-api")).unwrap();
    let routes = env.block_on(sdk.apigw.get_routes().api_id(api.api_id().unwrap()).send()).unwrap();
    let default = routes
        .items()
        .iter()
        .find(|r| r.route_key() == Some("$default"))
        .expect("the $default route");
    assert_eq!(default.authorization_scopes(), ["lists.read"]);
    assert_eq!(default.authorization_type().map(|t| t.as_str()), Some("JWT"));
    env.run_via(p, &["teardown", "--yes", "--max-rps", "0"]).ok();
}
