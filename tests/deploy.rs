//! The binary against moto: deploy, idempotency, changes, teardown, ownership.

use crate::common;

use common::{Env, Output, json, stack_yaml};
use serde_json::Value;

const BUCKET: &str = "grocery-issuer-test";
const ISSUER: &str = "https://grocery-issuer-test.s3.us-east-1.amazonaws.com";

#[test]
fn deploy_converges_and_a_second_deploy_changes_nothing() {
    let env = Env::new();
    let arn = env.create_function("lists-writer");
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", Some(&arn)));

    let first = env.run(&["deploy", "--stats"]).ok();
    assert!(
        first.stdout.contains("Deployed `grocery`: 18 created, 0 updated, 0 deleted in "),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains(&format!("issuer         {ISSUER}")), "{}", first.stdout);
    // The deploy's own outputs name the authorizer the import made, as `outputs` does (checked below).
    let deployed_authorizer = first.stdout.lines().find(|l| l.starts_with("authorizer_id")).unwrap().to_string();
    assert!(!deployed_authorizer.contains("not deployed"), "{}", first.stdout);

    let plan = env.run(&["plan", "--detailed-exitcode"]).code(0);
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);
    let again = env.run(&["deploy", "--stats"]).ok();
    assert_eq!(again.writes(), 0, "{}", again.stderr);
    assert!(again.stdout.starts_with("No changes"), "{}", again.stdout);

    let sdk = env.sdk();
    // The key: a SecureString PKCS#8 PEM, tagged with the stack.
    let p = env.parameter("/jwtstack/grocery/keys/grocery-k1").unwrap();
    assert_eq!(p.r#type(), Some(&aws_sdk_ssm::types::ParameterType::SecureString));
    assert!(p.value().unwrap().starts_with("-----BEGIN PRIVATE KEY-----"));
    let tags = env
        .block_on(
            sdk.ssm
                .list_tags_for_resource()
                .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                .resource_id("/jwtstack/grocery/keys/grocery-k1")
                .send(),
        )
        .unwrap();
    assert!(
        tags.tag_list()
            .iter()
            .any(|t| t.key() == "jwtstack:stack" && t.value() == "grocery")
    );
    // No command printed the private key.
    let pem_body: String = p.value().unwrap().lines().nth(1).unwrap().to_string();
    assert!(!first.stdout.contains(&pem_body) && !first.stderr.contains(&pem_body));

    // The documents: JSON, public members only, issuer byte for byte.
    for key in [".well-known/openid-configuration", ".well-known/jwks.json"] {
        let o = env.block_on(sdk.s3.get_object().bucket(BUCKET).key(key).send()).unwrap();
        assert_eq!(o.content_type(), Some("application/json"), "{key}");
        assert!(o.cache_control().unwrap().contains("max-age"), "{key}");
    }
    let body = |key: &str| {
        let o = env.block_on(sdk.s3.get_object().bucket(BUCKET).key(key).send()).unwrap();
        serde_json::from_slice::<Value>(&env.block_on(o.body.collect()).unwrap().into_bytes()).unwrap()
    };
    let discovery = body(".well-known/openid-configuration");
    assert_eq!(discovery["issuer"], ISSUER);
    assert_eq!(discovery["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
    assert_eq!(discovery["id_token_signing_alg_values_supported"], serde_json::json!(["RS256"]));
    let jwks = body(".well-known/jwks.json");
    let k = jwks["keys"][0].as_object().unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(
        (k["kty"].as_str(), k["kid"].as_str(), k["alg"].as_str(), k["use"].as_str()),
        (Some("RSA"), Some("grocery-k1"), Some("RS256"), Some("sig"))
    );
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(!k.contains_key(private));
    }
    // Public read of .well-known/* only.
    let policy = json(
        env.block_on(sdk.s3.get_bucket_policy().bucket(BUCKET).send())
            .unwrap()
            .policy()
            .unwrap(),
    );
    assert_eq!(policy["Statement"][0]["Resource"], format!("arn:aws:s3:::{BUCKET}/.well-known/*"));
    assert_eq!(policy["Statement"][0]["Action"], "s3:GetObject");

    // The API: owned (tagged), authorizer, routes with scopes and targets, stage.
    let outputs = json(&env.run(&["outputs", "--json"]).ok().stdout);
    let api_id = outputs["api_id"].as_str().unwrap().to_string();
    assert!(
        deployed_authorizer.ends_with(outputs["authorizer_id"].as_str().unwrap()),
        "{deployed_authorizer}"
    );
    let api = env.block_on(sdk.apigw.get_api().api_id(&api_id).send()).unwrap();
    assert_eq!(api.tags().unwrap().get("jwtstack:stack").map(String::as_str), Some("grocery"));
    let auth = env
        .block_on(
            sdk.apigw
                .get_authorizer()
                .api_id(&api_id)
                .authorizer_id(outputs["authorizer_id"].as_str().unwrap())
                .send(),
        )
        .unwrap();
    assert_eq!(auth.name(), Some("grocery-jwt"));
    assert_eq!(auth.identity_source(), ["$request.header.Authorization"]);
    assert_eq!(auth.jwt_configuration().unwrap().issuer(), Some(ISSUER));
    assert_eq!(auth.jwt_configuration().unwrap().audience(), ["grocery-api"]);
    let routes = env.block_on(sdk.apigw.get_routes().api_id(&api_id).send()).unwrap();
    let integrations = env.block_on(sdk.apigw.get_integrations().api_id(&api_id).send()).unwrap();
    let target_uri = |target: &str| {
        let id = target.strip_prefix("integrations/").unwrap();
        integrations
            .items()
            .iter()
            .find(|i| i.integration_id() == Some(id))
            .unwrap()
            .integration_uri()
            .unwrap()
            .to_string()
    };
    let mut seen: Vec<(String, Vec<String>, String)> = routes
        .items()
        .iter()
        .map(|r| {
            assert_eq!(r.authorization_type(), Some(&aws_sdk_apigatewayv2::types::AuthorizationType::Jwt));
            assert_eq!(r.authorizer_id(), auth.authorizer_id());
            (
                r.route_key().unwrap().to_string(),
                r.authorization_scopes().to_vec(),
                target_uri(r.target().unwrap()),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                "GET /lists".to_string(),
                vec!["lists.read".to_string(), "lists.admin".to_string()],
                "https://example.com/lists".to_string()
            ),
            (
                "GET /lists/{proxy+}".to_string(),
                vec!["lists.read".to_string()],
                "https://example.com/lists/{proxy}".to_string()
            ),
            // The API is the stack's, so it went in one ImportApi, which names a Lambda by its invocation URI.
            (
                "POST /lists".to_string(),
                vec!["lists.write".to_string()],
                format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
            ),
        ]
    );
    let stages = env.block_on(sdk.apigw.get_stages().api_id(&api_id).send()).unwrap();
    assert_eq!(stages.items()[0].stage_name(), Some("$default"));
    assert_eq!(stages.items()[0].auto_deploy(), Some(true));
    // The Lambda permission names this API.
    let lp = json(
        env.block_on(sdk.lambda.get_policy().function_name(&arn).send())
            .unwrap()
            .policy()
            .unwrap(),
    );
    let st = &lp["Statement"][0];
    assert_eq!(st["Sid"], "jwtstack-grocery-invoke");
    assert_eq!(
        st["Condition"]["ArnLike"]["AWS:SourceArn"],
        format!("arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/*")
    );
}

#[test]
fn a_change_shows_as_exactly_that_change_and_teardown_leaves_nothing() {
    let env = Env::new();
    let yaml = stack_yaml("grocery", BUCKET, "name: grocery-api", None);
    env.write_stack(&yaml);
    env.run(&["deploy"]).ok();

    // One scope changed: the route, and the discovery document that lists the scopes.
    env.write_stack(&yaml.replace("scopes: [lists.read]\n", "scopes: [lists.read, lists.audit]\n"));
    let plan = env.run(&["plan", "--detailed-exitcode"]).code(2);
    let lines: Vec<&str> = plan.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "  ~ s3_object s3://grocery-issuer-test/.well-known/openid-configuration",
            "      scopes_supported: [\"lists.admin\",\"lists.read\"] -> [\"lists.admin\",\"lists.audit\",\"lists.read\"]",
            "  ~ apigw_route GET /lists/{proxy+}",
            "      scopes: [lists.read] -> [lists.read, lists.audit]",
            "Plan for `grocery` in us-east-1: 0 to create, 2 to update, 0 to delete.",
        ]
    );
    let pj = json(&env.run(&["plan", "--json"]).ok().stdout);
    assert_eq!(pj["summary"], serde_json::json!({"create": 0, "update": 2, "delete": 0}));
    env.run(&["deploy"]).ok();
    env.run(&["plan", "--detailed-exitcode"]).code(0);

    // A route removed: the route and its integration go.
    let fewer = yaml.replace(
        "  - route: GET /lists\n    scopes: [lists.read, lists.admin]\n    integration:\n      http: https://example.com/lists\n",
        "",
    );
    env.write_stack(&fewer.replace("scopes: [lists.read]\n", "scopes: [lists.read, lists.audit]\n"));
    let plan = env.run(&["plan"]).ok();
    assert!(plan.stdout.contains("  - apigw_route GET /lists\n"), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("  - apigw_integration HTTP_PROXY GET https://example.com/lists\n"),
        "{}",
        plan.stdout
    );
    env.run(&["deploy"]).ok();
    env.run(&["plan", "--detailed-exitcode"]).code(0);

    let down = env.run(&["teardown", "--yes"]).ok();
    assert!(down.stdout.contains("Removed 7 resource(s)"), "{}\n{}", down.stdout, down.stderr);
    let sdk = env.sdk();
    let apis = env.block_on(sdk.apigw.get_apis().send()).unwrap();
    assert!(apis.items().is_empty());
    assert!(env.block_on(sdk.s3.head_bucket().bucket(BUCKET).send()).is_err());
    let params = env
        .block_on(sdk.ssm.get_parameters_by_path().path("/jwtstack").recursive(true).send())
        .unwrap();
    assert!(params.parameters().is_empty());
    let again = env.run(&["teardown", "--yes"]).ok();
    assert!(again.stdout.contains("Nothing to remove"), "{}", again.stdout);
}

#[test]
fn unmanaged_resources_survive_deploy_and_teardown() {
    let env = Env::new();
    let sdk = env.sdk();
    // A bucket, an object and a policy statement that are not the stack's.
    env.block_on(sdk.s3.create_bucket().bucket(BUCKET).send()).unwrap();
    env.block_on(
        sdk.s3
            .put_object()
            .bucket(BUCKET)
            .key("index.html")
            .body(b"hello".to_vec().into())
            .send(),
    )
    .unwrap();
    let theirs = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Theirs","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::grocery-issuer-test"}]}"#;
    env.block_on(sdk.s3.put_bucket_policy().bucket(BUCKET).policy(theirs).send())
        .unwrap();
    // An existing API with a route and integration of its own.
    let api_id = env.create_http_api("existing");
    let int = env
        .block_on(
            sdk.apigw
                .create_integration()
                .api_id(&api_id)
                .integration_type(aws_sdk_apigatewayv2::types::IntegrationType::HttpProxy)
                .integration_uri("https://health.example.com")
                .integration_method("GET")
                .payload_format_version("1.0")
                .send(),
        )
        .unwrap();
    let int_id = int.integration_id().unwrap().to_string();
    env.block_on(
        sdk.apigw
            .create_route()
            .api_id(&api_id)
            .route_key("GET /health")
            .target(format!("integrations/{int_id}"))
            .send(),
    )
    .unwrap();

    env.write_stack(&stack_yaml("grocery", BUCKET, &format!("id: {api_id}"), None));
    env.run(&["deploy"]).ok();
    env.run(&["plan", "--detailed-exitcode"]).code(0);
    let policy = json(
        env.block_on(sdk.s3.get_bucket_policy().bucket(BUCKET).send())
            .unwrap()
            .policy()
            .unwrap(),
    );
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["Theirs", "jwtstack-grocery-public-well-known"]);

    let down = env.run(&["teardown", "--yes"]).ok();
    assert!(down.stderr.contains("was adopted"), "{}", down.stderr);
    // What the stack did not create is all still there.
    let routes = env.block_on(sdk.apigw.get_routes().api_id(&api_id).send()).unwrap();
    let keys: Vec<&str> = routes.items().iter().filter_map(|r| r.route_key()).collect();
    assert_eq!(keys, ["GET /health"]);
    let ints = env.block_on(sdk.apigw.get_integrations().api_id(&api_id).send()).unwrap();
    assert_eq!(ints.items().len(), 1);
    assert_eq!(ints.items()[0].integration_id(), Some(int_id.as_str()));
    env.block_on(sdk.apigw.get_api().api_id(&api_id).send()).unwrap();
    env.block_on(sdk.s3.head_object().bucket(BUCKET).key("index.html").send()).unwrap();
    let policy = json(
        env.block_on(sdk.s3.get_bucket_policy().bucket(BUCKET).send())
            .unwrap()
            .policy()
            .unwrap(),
    );
    assert_eq!(policy, json(theirs));
    assert!(
        env.block_on(sdk.s3.head_object().bucket(BUCKET).key(".well-known/jwks.json").send())
            .is_err()
    );
    env.run(&["plan"]).ok();
}

#[test]
fn a_route_key_held_by_an_unmanaged_route_stops_deploy_before_any_change() {
    let env = Env::new();
    let sdk = env.sdk();
    let api_id = env.create_http_api("existing");
    env.block_on(sdk.apigw.create_route().api_id(&api_id).route_key("GET /lists").send())
        .unwrap();
    env.write_stack(&stack_yaml("grocery", BUCKET, &format!("id: {api_id}"), None));
    let out = env.run(&["deploy"]).code(1);
    assert!(out.stderr.contains("route `GET /lists` already exists in API"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    assert!(env.block_on(sdk.s3.head_bucket().bucket(BUCKET).send()).is_err());
    let params = env
        .block_on(sdk.ssm.get_parameters_by_path().path("/jwtstack").recursive(true).send())
        .unwrap();
    assert!(params.parameters().is_empty());
}

#[test]
fn two_apis_with_the_stack_tag_is_a_conflict() {
    let env = Env::new();
    let sdk = env.sdk();
    for _ in 0..2 {
        env.block_on(
            sdk.apigw
                .create_api()
                .name("grocery-api")
                .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
                .tags("jwtstack:stack", "grocery")
                .send(),
        )
        .unwrap();
    }
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let out = env.run(&["plan"]).code(1);
    assert!(
        out.stderr.contains("2 HTTP APIs carry the tag jwtstack:stack=grocery"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_existing_key_is_used_and_never_overwritten() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    env.run(&["deploy"]).ok();
    let sdk = env.sdk();
    let read = || env.parameter_value("/jwtstack/grocery/keys/grocery-k1").unwrap();
    let before = read();
    // Removing the JWKS makes deploy publish it again, from the same key.
    env.block_on(sdk.s3.delete_object().bucket(BUCKET).key(".well-known/jwks.json").send())
        .unwrap();
    let out = env.run(&["deploy"]).ok();
    // The JWKS object, and the key published in it again.
    assert!(out.stdout.contains("2 created"), "{}", out.stdout);
    assert!(out.stderr.contains("+ jwks_key grocery-k1"), "{}", out.stderr);
    assert_eq!(read(), before);
    // teardown --keep-keys keeps the key; the next deploy reuses it.
    env.run(&["teardown", "--yes", "--keep-keys"]).ok();
    assert_eq!(read(), before);
    let out = env.run(&["plan"]).ok();
    assert!(!out.stdout.contains("ssm_parameter"), "{}", out.stdout);
}

#[test]
fn teardown_without_yes_on_a_non_terminal_refuses() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    env.run(&["deploy"]).ok();
    let out = env.run(&["teardown"]).code(64);
    assert!(out.stderr.contains("needs --yes"), "{}", out.stderr);
    env.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn token_and_verify_against_the_deployed_stack() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    env.run(&["deploy"]).ok();
    let token = env
        .run(&["token", "--sub", "alice", "--scope", "lists.read"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(token.split('.').count(), 3);

    let ok = env.run(&["verify", &token, "--route", "GET /lists/42"]).ok();
    assert!(ok.stdout.starts_with("ALLOWED 200"), "{}", ok.stdout);
    assert!(ok.stdout.contains("route: GET /lists/{proxy+}"), "{}", ok.stdout);
    let bearer = format!("Bearer {token}");
    env.run(&["verify", &bearer, "--route", "GET /lists"]).ok();

    let denied = env
        .run(&["verify", &token, "--route", "GET /lists", "--json", "--at", "99999999999"])
        .code(3);
    let d = json(&denied.stdout);
    assert_eq!(d["status"], 401);
    assert_eq!(d["reason"], "token is expired");

    let env2 = env.run(&["token", "--sub", "bob", "--scope", "lists.admin"]).ok();
    let forbidden = env
        .run(&["verify", env2.stdout.trim(), "--route", "GET /lists/x", "--json"])
        .code(3);
    let d = json(&forbidden.stdout);
    assert_eq!(d["status"], 403);
    assert_eq!(
        d["www_authenticate"],
        r#"Bearer scope="lists.read" error="insufficient_scope" error_description="expected scopes: [lists.read]""#
    );
    assert_eq!(d["route"], "GET /lists/{proxy+}");

    let none = env.run(&["verify", &token, "--route", "DELETE /nothing"]).code(3);
    assert!(none.stdout.starts_with("DENIED 404"), "{}", none.stdout);

    let long = env.run(&["token", "--sub", "alice", "--ttl", "2h"]).code(64);
    assert!(long.stderr.contains("token_max_ttl"), "{}", long.stderr);
    let unknown = env.run(&["token", "--sub", "alice", "--scope", "lists.delete"]).code(64);
    assert!(unknown.stderr.contains("granted by no route"), "{}", unknown.stderr);
}

#[test]
fn secrets_appear_in_no_log_at_any_verbosity() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let mut logs = String::new();
    for verbosity in ["-vv", "-v"] {
        let deploy = env.run(&["deploy", verbosity]).ok();
        logs += &deploy.stdout;
        logs += &deploy.stderr;
    }
    let (pem, _) = env.parameter_value("/jwtstack/grocery/keys/grocery-k1").unwrap();
    let token = env.run(&["token", "--sub", "alice", "--scope", "lists.read", "-vv"]).ok();
    assert!(!token.stderr.contains(token.stdout.trim()), "the token is in the log");
    let jwt = token.stdout.trim().to_string();
    logs += &token.stderr;
    for args in [
        vec!["verify", jwt.as_str(), "--route", "GET /lists/1", "-vv"],
        vec!["verify", jwt.as_str(), "--json", "-vv"],
        vec!["plan", "-vv"],
        vec!["outputs", "-vv"],
    ] {
        let out = env.run(&args);
        logs += &out.stdout;
        logs += &out.stderr;
    }
    // The most verbose logging a user can ask for, the SDK's own included.
    let out = Output::from(env.cmd().env("RUST_LOG", "trace").args(["verify", &jwt]).output().unwrap());
    logs += &out.stdout;
    logs += &out.stderr;
    let out = Output::from(env.cmd().env("RUST_LOG", "trace").args(["plan"]).output().unwrap());
    logs += &out.stdout;
    logs += &out.stderr;
    assert!(logs.contains("AWS call"), "the -vv logs name the AWS calls");
    let (_, signature) = jwt.rsplit_once('.').unwrap();
    assert!(!logs.contains(signature), "a token is in the output");
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!logs.contains(line), "a line of the private key is in the output");
    }
    assert!(!logs.contains("PRIVATE KEY"));
    env.run(&["teardown", "--yes", "-vv"]).ok();
}
