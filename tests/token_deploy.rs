//! Deploying the token endpoint through the strict proxy: its role (which Lambda cannot assume at first, as on
//! AWS), log group, function (Pending, then InProgress after each update, as on AWS), the invoke permission and
//! the public route, each read back from the emulator; a second deploy that writes nothing; a change of scopes
//! that is the route's reimport and the function's configuration; teardown that leaves nothing of them.

use crate::common;

use common::{Env, Proxy, json, stack_yaml};
use jwtstack::oauth::package;

const FUNCTION: &str = "jwtstack-tokens-token";

fn stack(arn: &str, write_scopes: &str) -> String {
    format!(
        "{}token_endpoint:\n  ttl: 10m\n",
        stack_yaml("tokens", "tokens-deploy-issuer", "name: tokens-api", Some(arn)).replace("[lists.write]", write_scopes)
    )
}

const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/jwtstack-tokens-boundary";

/// The stack, with the role's permissions boundary.
fn bounded(arn: &str, write_scopes: &str) -> String {
    format!("{}  permissions_boundary: {BOUNDARY}\n", stack(arn, write_scopes))
}

#[test]
fn the_token_endpoint_deploys_converges_and_tears_down_through_the_strict_proxy() {
    let env = Env::new();
    let arn = env.create_function("tokens-writer");
    let sdk = env.sdk();
    // The boundary an administrator made for the role: what it may ever do.
    env.block_on(
        sdk.iam
            .create_policy()
            .policy_name("jwtstack-tokens-boundary")
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameter","ssm:GetParametersByPath","ssm:ListTagsForResource","kms:Sign","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#)
            .send(),
    )
    .unwrap();
    env.write_stack(&bounded(&arn, "[lists.write]"));
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--strict-conflict-rate", "0"]);
    let p = &proxy.endpoint;

    let plan = env.run_via(p, &["plan", "--json"]).ok();
    let changes = json(&plan.stdout)["changes"].clone();
    let names: Vec<String> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["resource"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    for wanted in [
        format!("iam_role {FUNCTION}"),
        format!("logs_group /aws/lambda/{FUNCTION}"),
        format!("lambda_function {FUNCTION}"),
        "apigw_route POST /oauth2/token".to_string(),
        format!("lambda_permission arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}"),
    ] {
        assert!(names.contains(&wanted), "{wanted} not in {names:?}");
    }

    let deploy = env.run_via(p, &["deploy", "--no-probe", "--max-rps", "0"]).ok();
    assert!(deploy.stdout.contains("24 created"), "{}", deploy.stdout);
    // The proxy refused the function while the new role was not yet assumable, and reported it Pending:
    // deploy waited both out.
    let strict = &proxy.stats()["strict"];
    assert!(strict["role_not_assumable"].as_u64().unwrap() >= 1, "{strict}");
    assert!(strict["lambda_settling"].as_u64().unwrap() >= 1, "{strict}");

    // Read back from the emulator: the function, its role, its log group, its permission, its route.
    let f = env.block_on(sdk.lambda.get_function().function_name(FUNCTION).send()).unwrap();
    let conf = f.configuration().unwrap();
    assert_eq!(conf.runtime().unwrap().as_str(), package::RUNTIME);
    assert_eq!(conf.handler(), Some(package::HANDLER));
    assert_eq!(conf.code_sha256(), Some(package::code_sha256()));
    assert_eq!(conf.role(), Some(format!("arn:aws:iam::123456789012:role/{FUNCTION}").as_str()));
    let vars = conf.environment().unwrap().variables().unwrap();
    assert_eq!(vars["JWTSTACK_KID"], "tokens-k1");
    assert_eq!(vars["JWTSTACK_KEY"], "ssm:/jwtstack/tokens/keys/tokens-k1");
    assert_eq!(vars["JWTSTACK_TTL"], "600");
    assert_eq!(vars["JWTSTACK_ROUTE_SCOPES"], r#"["lists.admin","lists.read","lists.write"]"#);
    assert_eq!(f.tags().unwrap()["jwtstack:stack"], "tokens");
    let role = env.block_on(sdk.iam.get_role().role_name(FUNCTION).send()).unwrap().role.unwrap();
    assert!(role.tags().iter().any(|t| t.key() == "jwtstack:stack" && t.value() == "tokens"));
    assert_eq!(
        role.permissions_boundary().and_then(|b| b.permissions_boundary_arn()),
        Some(BOUNDARY)
    );
    let policy = env
        .block_on(
            sdk.iam
                .get_role_policy()
                .role_name(FUNCTION)
                .policy_name("jwtstack-token-endpoint")
                .send(),
        )
        .unwrap();
    let policy = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8_lossy()
        .into_owned();
    for needed in [
        "ssm:GetParametersByPath",
        "parameter/jwtstack/tokens/clients\"",
        "ssm:ListTagsForResource",
        "parameter/jwtstack/tokens/keys/*",
        "logs:PutLogEvents",
    ] {
        assert!(policy.contains(needed), "{needed} not in {policy}");
    }
    // Exactly the policy the stack wants, as IAM holds it.
    assert_eq!(
        jwtstack_core::plan::normal_policy(&json(&policy)),
        jwtstack_core::plan::normal_policy(&jwtstack_core::plan::role_policy(
            &jwtstack::config::parse_str("stack.yaml", &bounded(&arn, "[lists.write]")).unwrap(),
            "us-east-1",
            "123456789012",
            &[jwtstack::config::KeyStore::Ssm],
        ))
    );
    assert_eq!(function_groups(&env)[0].retention_in_days(), Some(30));
    let statement = env.block_on(sdk.lambda.get_policy().function_name(FUNCTION).send()).unwrap();
    assert!(statement.policy().unwrap().contains("jwtstack-tokens-invoke"), "{statement:?}");
    let outputs = json(&env.run_via(p, &["outputs", "--json"]).ok().stdout);
    let api_id = outputs["api_id"].as_str().unwrap().to_string();
    // The discovery document names the endpoint at the API's address, in the same deploy.
    let doc = env
        .block_on(
            sdk.s3
                .get_object()
                .bucket("tokens-deploy-issuer")
                .key(".well-known/openid-configuration")
                .send(),
        )
        .unwrap();
    let doc = json(&String::from_utf8(env.block_on(doc.body.collect()).unwrap().to_vec()).unwrap());
    assert_eq!(
        doc["token_endpoint"].as_str(),
        Some(format!("{}/oauth2/token", outputs["api_endpoint"].as_str().unwrap()).as_str()),
        "{doc}"
    );
    assert_eq!(doc["grant_types_supported"], serde_json::json!(["client_credentials"]));
    assert_eq!(outputs["token_endpoint"], doc["token_endpoint"]);
    let routes = env.block_on(sdk.apigw.get_routes().api_id(&api_id).send()).unwrap();
    let route = routes.items().iter().find(|r| r.route_key() == Some("POST /oauth2/token")).unwrap();
    assert_eq!(route.authorization_type().map(|a| a.as_str()), Some("NONE"));

    // Nothing to do the second time.
    env.run_via(p, &["plan", "--detailed-exitcode", "--max-rps", "0"]).code(0);
    let again = env.run_via(p, &["deploy", "--no-probe", "--max-rps", "0", "--stats"]).ok();
    assert_eq!(again.writes(), 0, "{}", again.stderr);

    // A route's scopes change: the API's reimport, and the scopes the function grants; nothing of the role.
    env.write_stack(&bounded(&arn, "[lists.write, lists.purge]"));
    let changed = env.run_via(p, &["deploy", "--no-probe", "--max-rps", "0", "--stats"]).ok();
    assert!(
        changed.stderr.contains(&format!("~ lambda_function {FUNCTION}")),
        "{}",
        changed.stderr
    );
    assert!(!changed.stderr.contains("iam_role"), "{}", changed.stderr);
    assert!(changed.stderr.contains("Lambda:UpdateFunctionConfiguration"), "{}", changed.stderr);
    assert!(!changed.stderr.contains("Lambda:UpdateFunctionCode"), "{}", changed.stderr);
    let conf = env
        .block_on(sdk.lambda.get_function_configuration().function_name(FUNCTION).send())
        .unwrap();
    assert!(conf.environment().unwrap().variables().unwrap()["JWTSTACK_ROUTE_SCOPES"].contains("lists.purge"));
    env.run_via(p, &["plan", "--detailed-exitcode", "--max-rps", "0"]).code(0);

    // The boundary leaves the file, then comes back: the role's boundary alone changes, each time.
    let boundary = || {
        let role = env.block_on(sdk.iam.get_role().role_name(FUNCTION).send()).unwrap().role.unwrap();
        role.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string)
    };
    env.write_stack(&stack(&arn, "[lists.write, lists.purge]"));
    let dropped = env.run_via(p, &["deploy", "--no-probe", "--max-rps", "0", "--stats"]).ok();
    assert!(dropped.stdout.contains("0 created, 1 updated, 0 deleted"), "{}", dropped.stdout);
    assert!(dropped.stderr.contains("IAM:DeleteRolePermissionsBoundary"), "{}", dropped.stderr);
    assert_eq!(boundary(), None);
    env.write_stack(&bounded(&arn, "[lists.write, lists.purge]"));
    env.run_via(p, &["deploy", "--no-probe", "--max-rps", "0"]).ok();
    assert_eq!(boundary().as_deref(), Some(BOUNDARY));
    env.run_via(p, &["plan", "--detailed-exitcode", "--max-rps", "0"]).code(0);

    // Changed by hand: the role trusts another service, the function runs other code. Both are put back, and
    // nothing else is written.
    env.block_on(
        sdk.iam
            .update_assume_role_policy()
            .role_name(FUNCTION)
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
            .send(),
    )
    .unwrap();
    env.block_on(
        sdk.lambda
            .update_function_code()
            .function_name(FUNCTION)
            .zip_file(aws_sdk_lambda::primitives::Blob::new(b"PK other code".to_vec()))
            .send(),
    )
    .unwrap();
    let drift = env.run_via(p, &["plan", "--max-rps", "0"]).ok();
    assert!(
        drift.stdout.contains("trust_policy: changed by hand -> lambda.amazonaws.com"),
        "{}",
        drift.stdout
    );
    assert!(drift.stdout.contains("code_sha256: "), "{}", drift.stdout);
    assert!(drift.stdout.contains("0 to create, 2 to update, 0 to delete"), "{}", drift.stdout);
    env.run_via(p, &["deploy", "--no-probe", "--max-rps", "0"]).ok();
    let conf = env
        .block_on(sdk.lambda.get_function_configuration().function_name(FUNCTION).send())
        .unwrap();
    assert_eq!(conf.code_sha256(), Some(package::code_sha256()));
    let role = env.block_on(sdk.iam.get_role().role_name(FUNCTION).send()).unwrap().role.unwrap();
    let trust = percent_encoding::percent_decode_str(role.assume_role_policy_document().unwrap())
        .decode_utf8_lossy()
        .into_owned();
    assert!(trust.contains("lambda.amazonaws.com") && !trust.contains("ec2"), "{trust}");
    env.run_via(p, &["plan", "--detailed-exitcode", "--max-rps", "0"]).code(0);

    // The function's refusals, as Lambda's Node.js runtime writes its console.log lines, are what `logs
    // --token-endpoint` shows (the emulator does not run the function: the lines are put as it would).
    env.put_log_lines(
        &format!("/aws/lambda/{FUNCTION}"),
        &[
            "START RequestId: c0ffee Version: $LATEST".to_string(),
            "2026-12-07T06:00:00.000Z\tc0ffee\tINFO\t{\"token_endpoint\":\"refused\",\"error\":\"invalid_client\",\"description\":\"client authentication failed\",\"client_id\":\"jwtsc_planted\"}".to_string(),
            "END RequestId: c0ffee".to_string(),
        ],
    );
    let shown = env.run_via(p, &["logs", "--token-endpoint", "--since", "1h"]).ok();
    assert!(
        shown
            .stdout
            .contains("refused invalid_client  client jwtsc_planted: client authentication failed"),
        "{}",
        shown.stdout
    );
    assert_eq!(shown.stdout.lines().count(), 1, "{}", shown.stdout);
    assert!(shown.stderr.contains("1 refusal(s) or failure(s)"), "{}", shown.stderr);

    // Teardown: nothing of the endpoint is left, and the user's own function keeps running.
    env.run_via(p, &["teardown", "--yes", "--max-rps", "0"]).ok();
    assert!(env.block_on(sdk.lambda.get_function().function_name(FUNCTION).send()).is_err());
    assert!(env.block_on(sdk.iam.get_role().role_name(FUNCTION).send()).is_err());
    assert!(function_groups(&env).is_empty());
    assert_eq!(env.stack_parameters("tokens"), Vec::<String>::new());
    assert!(
        env.block_on(sdk.lambda.get_function().function_name("tokens-writer").send())
            .is_ok()
    );
    assert!(proxy.stats()["model_violations"].as_array().unwrap().is_empty());
}

#[test]
fn a_role_of_the_functions_name_that_jwtstack_did_not_make_is_refused_and_left_alone() {
    let env = Env::new();
    let sdk = env.sdk();
    env.block_on(sdk.iam.create_role().role_name(FUNCTION).assume_role_policy_document("{}").send())
        .unwrap();
    env.write_stack(&stack("arn:aws:lambda:us-east-1:123456789012:function:none", "[lists.write]").replace(
        "  - route: POST /lists\n    scopes: [lists.write]\n    integration:\n      lambda: arn:aws:lambda:us-east-1:123456789012:function:none\n",
        "",
    ));
    let refused = env.run(&["deploy", "--no-probe"]).code(1);
    assert!(
        refused
            .stderr
            .contains(&format!("IAM role {FUNCTION} exists and is not this stack's")),
        "{}",
        refused.stderr
    );
    // Nothing was made, and teardown leaves the role.
    assert_eq!(env.stack_parameters("tokens"), Vec::<String>::new());
    env.run(&["teardown", "--yes"]).ok();
    assert!(env.block_on(sdk.iam.get_role().role_name(FUNCTION).send()).is_ok());
}

/// The function's log groups, as the emulator holds them.
fn function_groups(env: &Env) -> Vec<aws_sdk_cloudwatchlogs::types::LogGroup> {
    let out = env.block_on(
        env.sdk()
            .logs
            .describe_log_groups()
            .log_group_name_prefix(format!("/aws/lambda/{FUNCTION}"))
            .send(),
    );
    out.unwrap().log_groups().to_vec()
}

#[test]
fn on_an_adopted_api_the_endpoint_is_the_stacks_route_and_teardown_leaves_the_api() {
    let env = Env::new();
    let sdk = env.sdk();
    let api_id = env.create_http_api("existing");
    let text = format!(
        "{}token_endpoint:\n  path: /auth/token\n",
        stack_yaml("tokens", "tokens-adopted-issuer", &format!("id: {api_id}"), None)
    );
    env.write_stack(&text);
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--strict-conflict-rate", "0"]);
    let p = &proxy.endpoint;
    env.run_via(p, &["deploy", "--no-probe", "--max-rps", "0"]).ok();
    let routes = env.block_on(sdk.apigw.get_routes().api_id(&api_id).send()).unwrap();
    let route = routes.items().iter().find(|r| r.route_key() == Some("POST /auth/token")).unwrap();
    assert_eq!(route.authorization_type().map(|a| a.as_str()), Some("NONE"));
    let second = env.run_via(p, &["deploy", "--no-probe", "--max-rps", "0", "--stats"]).ok();
    assert_eq!(second.writes(), 0, "{}", second.stderr);

    env.run_via(p, &["teardown", "--yes", "--max-rps", "0"]).ok();
    let routes = env.block_on(sdk.apigw.get_routes().api_id(&api_id).send()).unwrap();
    assert!(
        routes.items().iter().all(|r| r.route_key() != Some("POST /auth/token")),
        "{routes:?}"
    );
    assert!(env.block_on(sdk.apigw.get_api().api_id(&api_id).send()).is_ok());
    assert!(env.block_on(sdk.lambda.get_function().function_name(FUNCTION).send()).is_err());
    assert_eq!(env.stack_parameters("tokens"), Vec::<String>::new());
}
