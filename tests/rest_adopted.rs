//! An adopted REST API (`api.id`, `type: rest`) through the binary against the emulator and the strict proxy:
//! the stack's authorizer, resources and methods added beside the API's own, deployed to the API's stage; a
//! second deploy that writes nothing; a scope change that is one method update and one deployment; a
//! deployment by the API's own pipeline not deployed over; teardown that removes what the stack made and
//! nothing else, and a stage the stack created.

use crate::common;

use aws_sdk_apigateway::types::IntegrationType;
use common::{Env, Proxy, json};

fn stack(api: &str, stage: &str, scopes: &str) -> String {
    format!(
        "name: shop\nregion: us-east-1\nissuer:\n  bucket: shop-adopt-issuer\nkey_id: shop-k1\naudience: [shop-api]\n\
         api:\n  id: {api}\n  type: rest\n  stage: {stage}\nroutes:\n\
         \x20 - route: GET /orders/{{id}}\n    scopes: [{scopes}]\n    integration:\n      http: https://example.com/orders/{{id}}\n\
         \x20 - route: GET /health\n    auth: none\n    integration:\n      http: https://example.com/health\n"
    )
}

fn gateway(env: &Env) -> aws_sdk_apigateway::Client {
    let conf = env.sdk_config();
    aws_sdk_apigateway::Client::from_conf(
        aws_sdk_apigateway::config::Builder::from(&conf)
            .endpoint_url(&env.moto.endpoint)
            .build(),
    )
}

/// A method of the API's own on `resource`, an HTTP proxy to `url`.
fn own_method(env: &Env, gw: &aws_sdk_apigateway::Client, api: &str, resource: &str, verb: &str, url: &str) {
    env.block_on(
        gw.put_method()
            .rest_api_id(api)
            .resource_id(resource)
            .http_method(verb)
            .authorization_type("NONE")
            .send(),
    )
    .unwrap();
    env.block_on(
        gw.put_integration()
            .rest_api_id(api)
            .resource_id(resource)
            .http_method(verb)
            .r#type(IntegrationType::HttpProxy)
            .integration_http_method(verb)
            .uri(url)
            .send(),
    )
    .unwrap();
}

/// The API's resources: path → methods.
fn tree(env: &Env, gw: &aws_sdk_apigateway::Client, api: &str) -> Vec<(String, Vec<String>)> {
    let out = env.block_on(gw.get_resources().rest_api_id(api).embed("methods").send()).unwrap();
    let mut all: Vec<(String, Vec<String>)> = out
        .items()
        .iter()
        .map(|r| {
            let mut methods: Vec<String> = r.resource_methods().map(|m| m.keys().cloned().collect()).unwrap_or_default();
            methods.sort();
            (r.path().unwrap().to_string(), methods)
        })
        .collect();
    all.sort();
    all
}

fn resource_id(env: &Env, gw: &aws_sdk_apigateway::Client, api: &str, path: &str) -> String {
    let out = env.block_on(gw.get_resources().rest_api_id(api).send()).unwrap();
    out.items()
        .iter()
        .find(|r| r.path() == Some(path))
        .unwrap()
        .id()
        .unwrap()
        .to_string()
}

fn served(env: &Env, gw: &aws_sdk_apigateway::Client, api: &str, stage: &str) -> Option<String> {
    let stage = env.block_on(gw.get_stage().rest_api_id(api).stage_name(stage).send()).ok()?;
    let deployment = env
        .block_on(
            gw.get_deployment()
                .rest_api_id(api)
                .deployment_id(stage.deployment_id().unwrap())
                .send(),
        )
        .unwrap();
    Some(deployment.description().unwrap_or_default().to_string())
}

/// The API as its team made it: `GET /` and `GET /legacy`, deployed to `prod`; its id.
fn legacy_api(env: &Env, gw: &aws_sdk_apigateway::Client) -> String {
    let api = env.block_on(gw.create_rest_api().name("legacy-shop").send()).unwrap();
    let api_id = api.id().unwrap().to_string();
    let root = resource_id(env, gw, &api_id, "/");
    own_method(env, gw, &api_id, &root, "GET", "https://legacy.example.com/");
    let legacy = env
        .block_on(
            gw.create_resource()
                .rest_api_id(&api_id)
                .parent_id(&root)
                .path_part("legacy")
                .send(),
        )
        .unwrap();
    own_method(env, gw, &api_id, legacy.id().unwrap(), "GET", "https://legacy.example.com/old");
    env.block_on(
        gw.create_deployment()
            .rest_api_id(&api_id)
            .stage_name("prod")
            .description("release 7")
            .send(),
    )
    .unwrap();
    api_id
}

#[test]
fn an_adopted_rest_api_gets_the_stacks_methods_and_keeps_its_own_through_teardown() {
    let env = Env::new();
    let gw = gateway(&env);
    let api_id = legacy_api(&env, &gw);
    let theirs = tree(&env, &gw, &api_id);

    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "33"]);
    env.write_stack(&stack(&api_id, "prod", "orders.read"));
    let first = env.run_via(&proxy.endpoint, &["deploy", "--no-probe"]).ok();
    for line in [
        "+ apigw_rest_authorizer shop-jwt",
        "~ apigw_rest_resource_record",
        "+ apigw_rest_resource /orders/{id}",
        "+ apigw_rest_method GET /orders/{id}",
        "+ apigw_rest_deployment stage prod",
    ] {
        assert!(first.stderr.contains(line), "{line}: {}", first.stderr);
    }
    assert!(!first.stderr.contains("apigw_rest_api "), "{}", first.stderr);
    // Read back: the stack's methods carry its marker and its authorizer; the API's own are as they were.
    let out = env
        .block_on(gw.get_resources().rest_api_id(&api_id).embed("methods").send())
        .unwrap();
    let method = |path: &str| {
        out.items()
            .iter()
            .find(|r| r.path() == Some(path))
            .and_then(|r| r.resource_methods())
            .and_then(|m| m.get("GET"))
            .cloned()
            .unwrap()
    };
    let get = method("/orders/{id}");
    assert_eq!(
        (get.operation_name(), get.authorization_type(), get.authorization_scopes()),
        (
            Some("jwtstack:shop:GET /orders/{id}"),
            Some("JWT"),
            &["orders.read".to_string()][..]
        )
    );
    assert_eq!(method("/health").authorization_type(), Some("NONE"));
    assert_eq!(method("/").operation_name(), None);
    assert_eq!(method("/legacy").authorization_type(), Some("NONE"));
    assert!(served(&env, &gw, &api_id, "prod").unwrap().starts_with("jwtstack shop "));
    let outputs = json(&env.run_via(&proxy.endpoint, &["outputs", "--json"]).ok().stdout);
    assert_eq!(
        outputs["api_endpoint"].as_str(),
        Some(format!("https://{api_id}.execute-api.us-east-1.amazonaws.com/prod").as_str()),
        "{outputs}"
    );

    // Converged: nothing to plan, a second deploy writes nothing.
    env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(env.run_via(&proxy.endpoint, &["deploy", "--no-probe", "--stats"]).ok().writes(), 0);

    // A scope more: one method update and one deployment.
    env.write_stack(&stack(&api_id, "prod", "orders.read, orders.audit"));
    let plan = env.run_via(&proxy.endpoint, &["plan", "--json"]).ok().stdout;
    let lines: Vec<String> = crate::rest_deploy::change_lines(&plan)
        .into_iter()
        .filter(|l| l.starts_with("apigw"))
        .collect();
    assert_eq!(
        lines,
        ["apigw_rest_method GET /orders/{id}", "apigw_rest_deployment stage prod"],
        "{plan}"
    );
    env.run_via(&proxy.endpoint, &["deploy", "--no-probe"]).ok();
    env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code(0);

    // The API's own pipeline deploys after the stack: its deployment holds the stack's methods, and is kept.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    env.block_on(
        gw.create_deployment()
            .rest_api_id(&api_id)
            .stage_name("prod")
            .description("release 8")
            .send(),
    )
    .unwrap();
    env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code(0);

    // The token of the stack's issuer is accepted on the adopted API's route.
    let token = env.run(&["token", "--sub", "alice", "--scope", "orders.read"]).ok().stdout;
    let ok = json(&env.run(&["verify", token.trim(), "--route", "GET /orders/7", "--json"]).ok().stdout);
    assert_eq!(ok["status"].as_u64(), Some(200), "{ok}");

    // Someone adds a method of their own under a resource the stack made: that resource stays at teardown.
    let orders_id = resource_id(&env, &gw, &api_id, "/orders/{id}");
    own_method(&env, &gw, &api_id, &orders_id, "DELETE", "https://legacy.example.com/orders");
    let down = env.run_via(&proxy.endpoint, &["teardown", "--yes"]).ok();
    assert!(down.stderr.contains("stay in REST API"), "{}\n{}", down.stdout, down.stderr);
    let mut expected = theirs.clone();
    expected.push(("/orders".into(), vec![]));
    expected.push(("/orders/{id}".into(), vec!["DELETE".into()]));
    expected.sort();
    assert_eq!(tree(&env, &gw, &api_id), expected);
    assert!(env.block_on(jwtstack_aws::rest_jwt::list(&gw, &api_id)).unwrap().is_empty());
    assert_eq!(
        served(&env, &gw, &api_id, "prod").as_deref(),
        Some("jwtstack shop teardown"),
        "the stage no longer serves the stack's methods"
    );
    assert!(env.stack_parameters("shop").is_empty(), "{:?}", env.stack_parameters("shop"));
    env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code(2);

    // A stage the API does not have: the stack creates it with its tag and removes it at teardown.
    env.write_stack(&stack(&api_id, "live", "orders.read"));
    env.run_via(&proxy.endpoint, &["deploy", "--no-probe"]).ok();
    let live = env.block_on(gw.get_stage().rest_api_id(&api_id).stage_name("live").send()).unwrap();
    assert_eq!(live.tags().and_then(|t| t.get("jwtstack:stack")).map(String::as_str), Some("shop"));
    env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code(0);
    env.run_via(&proxy.endpoint, &["teardown", "--yes"]).ok();
    assert!(env.block_on(gw.get_stage().rest_api_id(&api_id).stage_name("live").send()).is_err());
    assert!(served(&env, &gw, &api_id, "prod").is_some(), "the API's own stage stays");
    let mut expected = theirs;
    expected.push(("/orders".into(), vec![]));
    expected.push(("/orders/{id}".into(), vec!["DELETE".into()]));
    expected.sort();
    assert_eq!(tree(&env, &gw, &api_id), expected);
}

#[test]
fn under_faults_and_409s_an_adopted_api_converges_and_teardown_leaves_exactly_its_own() {
    let env = Env::new();
    let gw = gateway(&env);
    let api_id = legacy_api(&env, &gw);
    let theirs = tree(&env, &gw, &api_id);
    // A fault in one call of six (answers lost after the call took effect among them) and a 409 in one API write
    // of five; the stage `live` is the stack's to create. Each run that fails is run again.
    env.write_stack(&stack(&api_id, "live", "orders.read"));
    for seed in 0..2 {
        let proxy = Proxy::start(
            &env.moto.endpoint,
            &[
                "--strict",
                "--seed",
                &(330 + seed).to_string(),
                "--fault-rate",
                "0.15",
                "--strict-conflict-rate",
                "0.2",
            ],
        );
        crate::cloudfront::until_success(&env, &proxy.endpoint, &["deploy", "--no-probe"]);
        assert_eq!(
            env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code,
            0,
            "seed {seed}"
        );
        let authorizers = env.block_on(jwtstack_aws::rest_jwt::list(&gw, &api_id)).unwrap();
        assert_eq!(authorizers.len(), 1, "seed {seed}: {authorizers:?}");
        assert!(served(&env, &gw, &api_id, "live").unwrap().starts_with("jwtstack shop "));
        crate::cloudfront::until_success(&env, &proxy.endpoint, &["teardown", "--yes"]);
        assert_eq!(tree(&env, &gw, &api_id), theirs, "seed {seed}");
        assert!(env.block_on(jwtstack_aws::rest_jwt::list(&gw, &api_id)).unwrap().is_empty());
        assert!(env.block_on(gw.get_stage().rest_api_id(&api_id).stage_name("live").send()).is_err());
        assert!(env.stack_parameters("shop").is_empty(), "{:?}", env.stack_parameters("shop"));
        let stats = proxy.stats();
        let faults: u64 = stats["faults"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert!(faults > 0, "{stats}");
    }
}
