//! What is refused before any change, through the binary: a Lambda function that does not exist, a stack
//! deployed in another region, a bucket another stack owns, two stacks creating one bucket at once.

use crate::common;

use common::{Env, stack_yaml};

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
fn a_second_stack_on_a_bucket_another_stack_owns_is_refused_and_changes_nothing() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", "shared-issuer-test", "name: grocery-api", None));
    env.run(&["deploy"]).ok();
    let token = env.run(&["token", "--sub", "alice", "--scope", "lists.read"]).ok().stdout;
    std::fs::write(
        env.path().join("pantry.yaml"),
        stack_yaml("pantry", "shared-issuer-test", "name: pantry-api", None),
    )
    .unwrap();
    let want = "bucket shared-issuer-test is the issuer bucket of stack `grocery` (its jwtstack:stack tag), not of stack `pantry`";
    let plan = env.run(&["plan", "-f", "pantry.yaml"]).code(1);
    assert!(plan.stderr.contains(want), "{}", plan.stderr);
    let deploy = env.run(&["deploy", "-f", "pantry.yaml", "--stats"]).code(1);
    assert!(deploy.stderr.contains(want), "{}", deploy.stderr);
    assert_eq!(deploy.writes(), 0, "{}", deploy.stderr);
    let down = env.run(&["teardown", "-f", "pantry.yaml", "--yes", "--stats"]).code(1);
    assert!(down.stderr.contains(want), "{}", down.stderr);
    assert_eq!(down.writes(), 0, "{}", down.stderr);
    // The first stack's tokens still verify against its untouched JWKS.
    env.run(&["verify", token.trim(), "--route", "GET /lists"]).ok();
    env.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn two_stacks_creating_one_bucket_at_once_end_with_one_owner() {
    let env = Env::new();
    for name in ["grocery", "pantry"] {
        std::fs::write(
            env.path().join(format!("{name}.yaml")),
            stack_yaml(name, "contested-issuer-test", &format!("name: {name}-api"), None),
        )
        .unwrap();
    }
    // Both plan to create the bucket; the claim, put without overwrite, lets only one of them go on.
    let runs: Vec<std::process::Child> = ["grocery", "pantry"]
        .iter()
        .map(|n| common::spawn(&env, &env.moto.endpoint, &[], &["deploy", "-f", &format!("{n}.yaml")]))
        .collect();
    let outs: Vec<common::Output> = runs
        .into_iter()
        .map(|c| common::Output::from(c.wait_with_output().unwrap()))
        .collect();
    let won: Vec<&common::Output> = outs.iter().filter(|o| o.code == 0).collect();
    assert_eq!(won.len(), 1, "{outs:?}");
    let lost = outs.iter().find(|o| o.code != 0).unwrap();
    assert!(
        lost.stderr.contains("claimed bucket contested-issuer-test first") || lost.stderr.contains("is the issuer bucket of stack"),
        "{}",
        lost.stderr
    );
    // The bucket carries the winner's tag, and the winner's stack converges.
    let winner = if won[0].stdout.contains("`grocery`") { "grocery" } else { "pantry" };
    env.run(&["plan", "--detailed-exitcode", "-f", &format!("{winner}.yaml")]).code(0);
}
