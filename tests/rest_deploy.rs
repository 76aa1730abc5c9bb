//! `api.type: rest` deployed through the binary against the emulator and the strict proxy: an owned REST API
//! call by call with its JWT authorizer trusting a second issuer, a second deploy that writes nothing, a scope
//! change that is one method update and one deployment, tokens of both issuers accepted and one without a
//! required claim refused, teardown that leaves nothing of the stack's.

use crate::common;

use common::{Env, Idp, Output, Proxy, json};

fn stack(function: &str, provider: &str, scopes: &str) -> String {
    format!(
        "name: shop\nregion: us-east-1\nissuer:\n  bucket: shop-rest-issuer\nkey_id: shop-k1\naudience: [shop-api]\n\
         api:\n  name: shop-api\n  type: rest\nrequire_claims:\n  - name: tenant\n    values: [acme]\nroutes:\n\
         \x20 - route: GET /orders/{{id}}\n    scopes: [orders.read]\n    integration:\n      http: https://example.com/orders/{{id}}\n\
         \x20 - route: POST /orders\n    scopes: [{scopes}]\n    integration:\n      lambda: {function}\n\
         \x20 - route: GET /health\n    auth: none\n    integration:\n      http: https://example.com/health\n\
         trust:\n  - issuer: {provider}\n    audience: [shop-api]\n"
    )
}

fn rest_client(env: &Env, endpoint: &str) -> aws_sdk_apigateway::Client {
    let conf = env.sdk_config();
    aws_sdk_apigateway::Client::from_conf(aws_sdk_apigateway::config::Builder::from(&conf).endpoint_url(endpoint).build())
}

struct Rest<'a> {
    env: &'a Env,
    proxy: &'a Proxy,
    idp: &'a Idp,
}

impl Rest<'_> {
    fn run(&self, args: &[&str]) -> Output {
        Output::from(
            self.env
                .cmd_via(&self.proxy.endpoint)
                .env("SSL_CERT_FILE", &self.idp.ca_file)
                .args(args)
                .output()
                .unwrap(),
        )
    }
}

#[test]
fn an_owned_rest_api_deploys_converges_changes_by_the_smallest_step_and_tears_down() {
    let env = Env::new();
    let idp = Idp::start();
    let function = env.create_function("orders");
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "32"]);
    let r = Rest {
        env: &env,
        proxy: &proxy,
        idp: &idp,
    };
    let provider = idp.issuer("good");
    env.write_stack(&stack(&function, &provider, "orders.write"));

    let first = r.run(&["deploy", "--no-probe", "--stats"]).ok();
    for line in [
        "+ apigw_rest_api shop-api",
        "+ apigw_rest_authorizer shop-jwt",
        "+ apigw_rest_resource /orders/{id}",
        "+ apigw_rest_method POST /orders",
        "+ apigw_rest_deployment stage live",
    ] {
        assert!(first.stderr.contains(line), "{line}: {}", first.stderr);
    }
    // What AWS holds, read back: the methods behind the authorizer with their scopes, the public one, the
    // authorizer trusting both issuers with their algorithms, the stage serving the stack's deployment.
    let gw = rest_client(&env, &env.moto.endpoint);
    let apis = env.block_on(gw.get_rest_apis().send()).unwrap();
    let api = apis.items().iter().find(|a| a.name() == Some("shop-api")).expect("the REST API");
    let api_id = api.id().unwrap().to_string();
    assert_eq!(api.tags().and_then(|t| t.get("jwtstack:stack")).map(String::as_str), Some("shop"));
    let method = |path: &str, verb: &str| method_after(&env, &gw, &api_id, path, verb);
    let post = method("/orders", "POST");
    assert_eq!(post.authorization_type(), Some("JWT"));
    assert_eq!(post.authorization_scopes(), ["orders.write"]);
    let integration = post.method_integration().unwrap();
    assert_eq!(
        (integration.http_method(), integration.r#type().map(|t| t.as_str())),
        (Some("POST"), Some("AWS_PROXY"))
    );
    let get = method("/orders/{id}", "GET");
    assert_eq!(
        get.method_integration().unwrap().request_parameters().unwrap()["integration.request.path.id"],
        "method.request.path.id"
    );
    assert_eq!(method("/health", "GET").authorization_type(), Some("NONE"));
    let authorizers = env.block_on(jwtstack_aws::rest_jwt::list(&gw, &api_id)).unwrap();
    let jwt = authorizers[0].jwt.as_ref().unwrap();
    assert_eq!(jwt.issuers.len(), 2);
    assert_eq!(jwt.issuers[1].issuer, provider);
    assert_eq!(jwt.issuers[0].additional_claims[0].claim_name, "tenant");
    assert_eq!(jwt.default_algorithms, ["RS256"]);
    let deployments = || {
        env.block_on(gw.get_deployments().rest_api_id(&api_id).send())
            .unwrap()
            .items()
            .len()
    };
    assert_eq!(deployments(), 1);

    // Converged: nothing to plan, a second deploy writes nothing.
    r.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(r.run(&["deploy", "--no-probe", "--stats"]).ok().writes(), 0);
    assert_eq!(deployments(), 1);

    // One scope more: one method update, one deployment (and the discovery document's scopes_supported).
    env.write_stack(&stack(&function, &provider, "orders.write, orders.admin"));
    let plan = r.run(&["plan", "--json"]).ok();
    let lines = change_lines(&plan.stdout);
    assert_eq!(
        lines,
        [
            "s3_object s3://shop-rest-issuer/.well-known/openid-configuration",
            "apigw_rest_method POST /orders",
            "apigw_rest_deployment stage live"
        ],
        "{}",
        plan.stdout
    );
    r.run(&["deploy", "--no-probe"]).ok();
    assert_eq!(
        method_after(&env, &gw, &api_id, "/orders", "POST").authorization_scopes(),
        ["orders.write", "orders.admin"]
    );
    assert_eq!(deployments(), 2);
    r.run(&["plan", "--detailed-exitcode"]).code(0);

    // The authorizer set by hand to read another header (every token would be refused): set back, deployed.
    let authorizer = env.block_on(jwtstack_aws::rest_jwt::list(&gw, &api_id)).unwrap()[0].id.clone();
    env.block_on(
        gw.update_authorizer()
            .rest_api_id(&api_id)
            .authorizer_id(&authorizer)
            .patch_operations(
                aws_sdk_apigateway::types::PatchOperation::builder()
                    .op(aws_sdk_apigateway::types::Op::Replace)
                    .path("/identitySource")
                    .value("method.request.header.X-Token")
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let lines = change_lines(&r.run(&["plan", "--json"]).ok().stdout);
    assert_eq!(
        lines,
        [
            format!("apigw_rest_authorizer {authorizer}"),
            "apigw_rest_deployment stage live".into()
        ]
    );
    r.run(&["deploy", "--no-probe"]).ok();
    let source = env.block_on(jwtstack_aws::rest_jwt::list(&gw, &api_id)).unwrap()[0]
        .identity_source
        .clone();
    assert_eq!(source.as_deref(), Some("method.request.header.Authorization"));
    r.run(&["plan", "--detailed-exitcode"]).code(0);

    // Tokens: the stack's own (with its required claim), the trusted provider's; one without the claim refused.
    let own = r
        .run(&["token", "--sub", "alice", "--scope", "orders.read", "--claim", "tenant=acme"])
        .ok();
    let own = own.stdout.trim().to_string();
    let ok = json(&r.run(&["verify", &own, "--route", "GET /orders/7", "--json"]).ok().stdout);
    assert_eq!(ok["status"].as_u64(), Some(200), "{ok}");
    let theirs = idp.token_of("good", "aud=shop-api&scope=orders.read");
    let ok = json(&r.run(&["verify", &theirs, "--route", "GET /orders/7", "--json"]).ok().stdout);
    assert_eq!(
        (ok["status"].as_u64(), ok["issuer"].as_str()),
        (Some(200), Some(provider.as_str())),
        "{ok}"
    );
    let without = r
        .run(&["token", "--sub", "alice", "--scope", "orders.read"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let refused = json(&r.run(&["verify", &without, "--route", "GET /orders/7", "--json"]).code(3).stdout);
    assert_eq!(refused["status"].as_u64(), Some(401), "{refused}");

    // Teardown: the API and everything in it, the function's permission, the keys.
    r.run(&["teardown", "--yes"]).ok();
    let apis = env.block_on(gw.get_rest_apis().send()).unwrap();
    assert!(apis.items().iter().all(|a| a.name() != Some("shop-api")), "{apis:?}");
    assert!(env.stack_parameters("shop").is_empty(), "{:?}", env.stack_parameters("shop"));
    let policy = env.block_on(env.sdk().lambda.get_policy().function_name(&function).send());
    assert!(policy.map(|p| !p.policy().unwrap_or_default().contains("jwtstack")).unwrap_or(true));
    r.run(&["plan", "--detailed-exitcode"]).code(2);
}

/// `plan --json`'s changes, `resource name` each.
pub(crate) fn change_lines(plan_json: &str) -> Vec<String> {
    json(plan_json)["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["resource"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect()
}

fn method_after(env: &Env, gw: &aws_sdk_apigateway::Client, api: &str, path: &str, verb: &str) -> aws_sdk_apigateway::types::Method {
    let resources = env.block_on(gw.get_resources().rest_api_id(api).embed("methods").send()).unwrap();
    resources
        .items()
        .iter()
        .find(|x| x.path() == Some(path))
        .and_then(|x| x.resource_methods())
        .and_then(|m| m.get(verb))
        .cloned()
        .unwrap_or_else(|| panic!("{verb} {path}"))
}

/// A REST stack of HTTP routes only (no provider to read, no function); `var` names the greedy parameter.
fn plain(scopes: &str) -> String {
    plain_with(scopes, "proxy")
}

fn plain_with(scopes: &str, var: &str) -> String {
    format!(
        "name: shelf\nregion: us-east-1\nissuer:\n  bucket: shelf-rest-issuer\nkey_id: shelf-k1\naudience: [shelf-api]\n\
         api:\n  name: shelf-api\n  type: rest\nroutes:\n\
         \x20 - route: GET /books/{{{var}+}}\n    scopes: [{scopes}]\n    integration:\n      http: https://example.com/books/{{{var}}}\n\
         \x20 - route: GET /books\n    scopes: [books.read]\n    integration:\n      http: https://example.com/books\n\
         \x20 - route: ANY /\n    auth: none\n    integration:\n      http: https://example.com/\n"
    )
}

/// The stack's REST APIs (by its tag), and the deployments of each.
fn ours(env: &Env, gw: &aws_sdk_apigateway::Client, stack: &str) -> Vec<(String, usize)> {
    let apis = env.block_on(gw.get_rest_apis().send()).unwrap();
    apis.items()
        .iter()
        .filter(|a| a.tags().and_then(|t| t.get("jwtstack:stack")).map(String::as_str) == Some(stack))
        .map(|a| {
            let id = a.id().unwrap().to_string();
            let deployments = env.block_on(gw.get_deployments().rest_api_id(&id).send()).unwrap().items().len();
            (id, deployments)
        })
        .collect()
}

#[test]
fn under_faults_409s_kills_and_the_quotas_a_rest_stack_converges_with_one_deployment_per_change() {
    let env = Env::new();
    let gw = rest_client(&env, &env.moto.endpoint);
    env.write_stack(&plain("books.read"));
    // A fault in one call of six (answers lost after the call took effect among them) and a 409 in one API write
    // of five: each deploy that fails is run again, and the stack ends with one API and one deployment.
    for seed in 0..2 {
        let proxy = Proxy::start(
            &env.moto.endpoint,
            &[
                "--strict",
                "--seed",
                &(320 + seed).to_string(),
                "--fault-rate",
                "0.15",
                "--strict-conflict-rate",
                "0.2",
            ],
        );
        crate::cloudfront::until_success(&env, &proxy.endpoint, &["deploy", "--no-probe"]);
        assert_eq!(env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code, 0);
        let found = ours(&env, &gw, "shelf");
        assert!(matches!(&found[..], [(_, 1)]), "seed {seed}: {found:?}");
        let authorizers = env.block_on(jwtstack_aws::rest_jwt::list(&gw, &found[0].0)).unwrap();
        assert_eq!(
            authorizers.len(),
            1,
            "seed {seed}: one authorizer, whatever answers were lost: {authorizers:?}"
        );
        crate::cloudfront::until_success(&env, &proxy.endpoint, &["teardown", "--yes"]);
        assert!(ours(&env, &gw, "shelf").is_empty());
        let stats = proxy.stats();
        let faults: u64 = stats["faults"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert!(faults > 0, "{stats}");
    }
    // Killed mid-run, then run again: one API, and the deployment of what the stack declares. (A proxy each: one
    // account's teardowns in a row would wait out DeleteRestApi's quota, which the last part tests.)
    for ms in [400, 1000] {
        let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--latency-ms", "25"]);
        common::kill_after(&env, &proxy.endpoint, &["deploy", "--no-probe"], ms);
        env.run_via(&proxy.endpoint, &["deploy", "--no-probe"]).ok();
        env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code(0);
        let found = ours(&env, &gw, "shelf");
        assert_eq!(found.len(), 1, "{found:?}");
        env.run_via(&proxy.endpoint, &["teardown", "--yes"]).ok();
    }
    // REST's quotas at twice AWS's intervals: deploys in a row meet the deployment quota, wait it out, and each
    // change is one deployment. The last renames the greedy parameter: the old resource goes before the new one
    // is made (the emulator refuses a second variable child, as CreateResource does).
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--rest-quota-scale", "2"]);
    let run = |args: &[&str]| env.run_via(&proxy.endpoint, args);
    run(&["deploy", "--no-probe"]).ok();
    env.write_stack(&plain("books.read, books.admin"));
    let second = run(&["deploy", "--no-probe"]).ok();
    env.write_stack(&plain_with("books.admin", "rest"));
    let third = run(&["deploy", "--no-probe"]).ok();
    assert!(
        second.stderr.contains("API Gateway's deployment quota") || third.stderr.contains("API Gateway's deployment quota"),
        "{}\n{}",
        second.stderr,
        third.stderr
    );
    let found = ours(&env, &gw, "shelf");
    assert!(matches!(&found[..], [(_, 3)]), "{found:?}");
    let renamed = method_after(&env, &gw, &found[0].0, "/books/{rest+}", "GET");
    assert_eq!(renamed.authorization_scopes(), ["books.admin"]);
    run(&["plan", "--detailed-exitcode"]).code(0);
    let stats = proxy.stats();
    assert!(stats["strict"]["rest_deployment_quota_refused"].as_u64() > Some(0), "{stats}");
    run(&["teardown", "--yes"]).ok();
    assert!(ours(&env, &gw, "shelf").is_empty());
}

#[test]
fn a_rest_apis_custom_domain_maps_its_stage_once_the_deployment_made_it() {
    let env = Env::new();
    let sdk = env.sdk();
    let zone = env
        .block_on(sdk.route53.create_hosted_zone().name("example.com").caller_reference("rest").send())
        .unwrap();
    let zone = zone.hosted_zone().unwrap().id().trim_start_matches("/hostedzone/").to_string();
    let cert = env.certificate("us-east-1", "books.example.com", "import");
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict"]);
    env.write_stack(&format!(
        "{}domain:\n  name: books.example.com\n  certificate_arn: {cert}\n  hosted_zone_id: {zone}\n",
        plain("books.read")
    ));
    let first = env.run_via(&proxy.endpoint, &["deploy", "--no-probe"]).ok();
    let deployment = first.stderr.find("+ apigw_rest_deployment stage live").unwrap();
    let mapping = first.stderr.find("+ apigw_api_mapping books.example.com/").unwrap();
    assert!(
        deployment < mapping,
        "the mapping names the stage the deployment makes: {}",
        first.stderr
    );
    let gw = rest_client(&env, &env.moto.endpoint);
    let api_id = ours(&env, &gw, "shelf")[0].0.clone();
    let mappings = env
        .block_on(sdk.apigw.get_api_mappings().domain_name("books.example.com").send())
        .unwrap();
    let mapped: Vec<_> = mappings.items().iter().map(|m| (m.api_id(), m.stage())).collect();
    assert_eq!(mapped, [(Some(api_id.as_str()), Some("live"))]);
    assert!(env.alias_records(&zone).iter().any(|(t, _)| t == "A"));
    env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code(0);
    env.run_via(&proxy.endpoint, &["teardown", "--yes"]).ok();
    let domains = env.block_on(sdk.apigw.get_domain_names().send()).unwrap();
    assert!(domains.items().is_empty(), "{domains:?}");
    assert!(env.alias_records(&zone).is_empty());
    assert!(ours(&env, &gw, "shelf").is_empty());
    assert!(env.stack_parameters("shelf").is_empty(), "{:?}", env.stack_parameters("shelf"));
}

#[test]
fn a_rest_stage_writes_its_access_log_once_the_account_has_the_logging_role_and_takes_the_throttling() {
    let env = Env::new();
    let sdk = env.sdk();
    let gw = rest_client(&env, &env.moto.endpoint);
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict"]);
    let settings = "access_log:\n  retention_days: 7\nthrottling:\n  rate: 50\n  burst: 100\n";
    env.write_stack(&format!("{}{settings}", plain("books.read")));
    // No CloudWatch Logs role in the account's API Gateway settings: refused before any change.
    let refused = env.run_via(&proxy.endpoint, &["deploy", "--no-probe"]).code(1);
    assert!(refused.stderr.contains("CloudWatch Logs role"), "{}", refused.stderr);
    assert!(ours(&env, &gw, "shelf").is_empty(), "nothing made");
    assert!(env.stack_parameters("shelf").is_empty(), "{:?}", env.stack_parameters("shelf"));
    env.block_on(
        gw.update_account()
            .patch_operations(
                aws_sdk_apigateway::types::PatchOperation::builder()
                    .op(aws_sdk_apigateway::types::Op::Replace)
                    .path("/cloudwatchRoleArn")
                    .value("arn:aws:iam::123456789012:role/apigateway-logs")
                    .build(),
            )
            .send(),
    )
    .unwrap();

    let first = env.run_via(&proxy.endpoint, &["deploy", "--no-probe"]).ok();
    let deployment = first.stderr.find("+ apigw_rest_deployment stage live").unwrap();
    let settings_line = first.stderr.find("~ apigw_rest_stage live").unwrap();
    assert!(deployment < settings_line, "{}", first.stderr);
    let api_id = ours(&env, &gw, "shelf")[0].0.clone();
    let stage = env.block_on(gw.get_stage().rest_api_id(&api_id).stage_name("live").send()).unwrap();
    let log = stage.access_log_settings().unwrap();
    assert!(
        log.destination_arn()
            .unwrap()
            .ends_with(":log-group:/aws/vendedlogs/jwtstack/shelf/access"),
        "{log:?}"
    );
    assert!(log.format().unwrap().contains("$context.resourcePath"), "{log:?}");
    let all = &stage.method_settings().unwrap()["*/*"];
    assert_eq!((all.throttling_rate_limit(), all.throttling_burst_limit()), (50.0, 100));
    env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code(0);

    // Dropped from the file: the stage stops writing to the stack's group, which goes; the throttling stays, said.
    env.write_stack(&plain("books.read"));
    let dropped = env.run_via(&proxy.endpoint, &["deploy", "--no-probe"]).ok();
    assert!(dropped.stderr.contains("throttling is not declared"), "{}", dropped.stderr);
    let stage = env.block_on(gw.get_stage().rest_api_id(&api_id).stage_name("live").send()).unwrap();
    assert!(stage.access_log_settings().is_none(), "{stage:?}");
    let groups = env
        .block_on(
            sdk.logs
                .describe_log_groups()
                .log_group_name_prefix("/aws/vendedlogs/jwtstack/shelf/")
                .send(),
        )
        .unwrap();
    assert!(groups.log_groups().is_empty(), "{groups:?}");
    env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code(0);
    env.run_via(&proxy.endpoint, &["teardown", "--yes"]).ok();
    assert!(ours(&env, &gw, "shelf").is_empty());
}

#[test]
fn a_private_rest_api_is_deployed_with_the_policy_that_lets_its_vpc_endpoints_alone_in() {
    let env = Env::new();
    let gw = rest_client(&env, &env.moto.endpoint);
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict"]);
    let private = |vpce: &str| {
        plain("books.read").replace(
            "  type: rest\n",
            &format!("  type: rest\n  endpoint: private\n  vpc_endpoints: [{vpce}]\n"),
        )
    };
    env.write_stack(&private("vpce-0123456789abcdef0"));
    let first = env.run_via(&proxy.endpoint, &["deploy"]).ok();
    assert!(first.stderr.contains("probe skipped: a private REST API"), "{}", first.stderr);
    let api_id = ours(&env, &gw, "shelf")[0].0.clone();
    let api = env.block_on(gw.get_rest_api().rest_api_id(&api_id).send()).unwrap();
    let types: Vec<&str> = api.endpoint_configuration().unwrap().types().iter().map(|t| t.as_str()).collect();
    assert_eq!(types, ["PRIVATE"]);
    // API Gateway answers the policy with its quotes escaped.
    let policy = json(&api.policy().unwrap().replace("\\\"", "\""));
    assert_eq!(
        policy["Statement"][0]["Condition"]["StringNotEquals"]["aws:SourceVpce"],
        serde_json::json!(["vpce-0123456789abcdef0"]),
        "{policy}"
    );
    env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code(0);
    // Another VPC endpoint: the policy rewritten, and one deployment for it to take effect.
    env.write_stack(&private("vpce-0123456789abcdef1"));
    let lines = change_lines(&env.run_via(&proxy.endpoint, &["plan", "--json"]).ok().stdout);
    assert_eq!(
        lines,
        [format!("apigw_rest_api {api_id}"), "apigw_rest_deployment stage live".into()]
    );
    env.run_via(&proxy.endpoint, &["deploy", "--no-probe"]).ok();
    env.run_via(&proxy.endpoint, &["plan", "--detailed-exitcode"]).code(0);
    let refused = env.run_via(&proxy.endpoint, &["probe"]).code(64);
    assert!(refused.stderr.contains("only through its VPC endpoints"), "{}", refused.stderr);
    env.run_via(&proxy.endpoint, &["teardown", "--yes"]).ok();
    assert!(ours(&env, &gw, "shelf").is_empty());
}

#[test]
fn a_rest_apis_token_endpoint_is_a_public_method_invoking_the_stacks_function_until_teardown() {
    let env = Env::new();
    let sdk = env.sdk();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--strict-conflict-rate", "0"]);
    let p = &proxy.endpoint;
    env.write_stack(&format!("{}token_endpoint:\n  ttl: 10m\n", plain("books.read")));
    let function = "jwtstack-shelf-token";
    let arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{function}");

    let first = env.run_via(p, &["deploy", "--no-probe", "--max-rps", "0"]).ok();
    let at = |needle: &str| first.stderr.find(needle).unwrap_or_else(|| panic!("{needle}: {}", first.stderr));
    assert!(at(&format!("+ lambda_function {function}")) < at("+ apigw_rest_method POST /oauth2/token"));
    assert!(at(&format!("+ lambda_permission {arn}")) < at("+ apigw_rest_deployment stage live"));
    let gw = rest_client(&env, &env.moto.endpoint);
    let api = ours(&env, &gw, "shelf")[0].0.clone();
    // Read back: the method is public and invokes the function, which lets this API alone invoke it.
    let method = method_after(&env, &gw, &api, "/oauth2/token", "POST");
    assert_eq!(method.authorization_type(), Some("NONE"));
    let integration = method.method_integration().unwrap();
    assert_eq!(integration.r#type().map(|t| t.as_str()), Some("AWS_PROXY"));
    assert_eq!(
        integration.uri(),
        Some(format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations").as_str())
    );
    let policy = env.block_on(sdk.lambda.get_policy().function_name(function).send()).unwrap();
    let policy = policy.policy().unwrap();
    assert!(
        policy.contains(&format!("arn:aws:execute-api:us-east-1:123456789012:{api}/*/*")),
        "{policy}"
    );
    // The discovery document and the outputs name it under the stage's invoke URL.
    let doc = env
        .block_on(
            sdk.s3
                .get_object()
                .bucket("shelf-rest-issuer")
                .key(".well-known/openid-configuration")
                .send(),
        )
        .unwrap();
    let doc = json(&String::from_utf8(env.block_on(doc.body.collect()).unwrap().to_vec()).unwrap());
    let url = format!("https://{api}.execute-api.us-east-1.amazonaws.com/live/oauth2/token");
    assert_eq!(doc["token_endpoint"].as_str(), Some(url.as_str()), "{doc}");
    let outputs = json(&env.run_via(p, &["outputs", "--json"]).ok().stdout);
    assert_eq!(outputs["token_endpoint"].as_str(), Some(url.as_str()));

    // Nothing to do the second time; teardown takes the method with the API, then the permission and the function.
    let again = env.run_via(p, &["deploy", "--no-probe", "--max-rps", "0", "--stats"]).ok();
    assert_eq!(again.writes(), 0, "{}", again.stderr);
    env.run_via(p, &["teardown", "--yes"]).ok();
    assert!(env.block_on(sdk.lambda.get_function().function_name(function).send()).is_err());
    assert!(env.block_on(sdk.iam.get_role().role_name(function).send()).is_err());
    assert!(ours(&env, &gw, "shelf").is_empty());
    assert!(env.stack_parameters("shelf").is_empty(), "{:?}", env.stack_parameters("shelf"));
}
