//! The API around the authorizer against the emulator, through the strict proxy: a public route, CORS, the
//! access log (and `jwtstack logs`), throttling and the API's custom domain, each read back from AWS, a no-op
//! second deploy, changes and removals that converge, and a teardown that leaves nothing.
//!
//! moto keeps these settings but serves no API: what API Gateway does with them on a request (preflights,
//! throttling) is not emulated there; `serve` is where CORS and public routes are tested end to end
//! (tests/serve.rs). moto lacks UpdateStage, DeleteAccessLogSettings, UpdateDomainName and a domain's endpoint:
//! tests/support/moto_apigw_stages_domains.py adds them as AWS documents them.

use crate::common;

use common::{Env, Proxy, REGION, json};

const BUCKET: &str = "shop-issuer-settings";

fn stack(login: &str, extra: &str) -> String {
    format!(
        "name: shop\nregion: {REGION}\nissuer:\n  bucket: {BUCKET}\nkey_id: shop-k1\naudience: [shop-api]\napi:\n  name: shop-api\nroutes:\n\
         \x20 - route: POST /login\n    auth: none\n    integration:\n      lambda: {login}\n\
         \x20 - route: GET /orders/{{id}}\n    scopes: [orders.read]\n    integration:\n      http: https://example.com/orders/{{id}}\n\
         {extra}"
    )
}

fn settings(cert: &str, zone: &str, retention: u32, rate: u32) -> String {
    format!(
        "cors:\n  allow_origins: [https://app.example.com]\n  allow_methods: [GET, POST]\n  allow_headers: [authorization, content-type]\n  max_age: 600\n\
         access_log: {{retention_days: {retention}}}\nthrottling: {{rate: {rate}, burst: 200}}\n\
         domain:\n  name: api.example.com\n  certificate_arn: {cert}\n  hosted_zone_id: {zone}\n"
    )
}

#[test]
fn all_five_round_trip_converge_and_tear_down() {
    let env = Env::new();
    let sdk = env.sdk();
    let login = env.create_function("login");
    let zone = env
        .block_on(sdk.route53.create_hosted_zone().name("example.com").caller_reference("s").send())
        .unwrap();
    let zone = zone.hosted_zone().unwrap().id().trim_start_matches("/hostedzone/").to_string();
    let cert = env.certificate(REGION, "*.example.com", "import");
    env.write_stack(&stack(&login, &settings(&cert, &zone, 30, 100)));
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "19"]);
    let p = &proxy.endpoint;

    let plan = env.run_via(p, &["plan"]).ok();
    for line in [
        "+ logs_group /aws/vendedlogs/jwtstack/shop/access",
        "+ apigw_domain api.example.com",
        "+ apigw_api_mapping api.example.com/",
        "+ route53_alias api.example.com A in",
        "authorization: none (public)",
        "throttling: rate 100 burst 200",
    ] {
        assert!(plan.stdout.contains(line), "{line} in\n{}", plan.stdout);
    }
    let first = env.run_via(p, &["deploy", "--stats"]).ok();
    let outputs = json(&env.run_via(p, &["outputs", "--json"]).ok().stdout);
    let api_id = outputs["api_id"].as_str().unwrap().to_string();
    assert_eq!(outputs["api_domain"]["url"], "https://api.example.com");
    assert_eq!(outputs["access_log_group"], "/aws/vendedlogs/jwtstack/shop/access");
    let target = outputs["api_domain"]["target"].as_str().unwrap().to_string();
    assert!(target.ends_with(".execute-api.us-east-1.amazonaws.com"), "{target}");

    // What AWS holds. The public route: authorization NONE, no authorizer, no scopes.
    let routes = env.block_on(sdk.apigw.get_routes().api_id(&api_id).send()).unwrap();
    let login_route = routes.items().iter().find(|r| r.route_key() == Some("POST /login")).unwrap();
    assert_eq!(login_route.authorization_type().map(|t| t.as_str()), Some("NONE"));
    assert!(login_route.authorizer_id().is_none_or(str::is_empty));
    let orders = routes.items().iter().find(|r| r.route_key() == Some("GET /orders/{id}")).unwrap();
    assert_eq!(orders.authorization_type().map(|t| t.as_str()), Some("JWT"));
    // CORS on the API.
    let api = env.block_on(sdk.apigw.get_api().api_id(&api_id).send()).unwrap();
    let cors = api.cors_configuration().unwrap();
    assert_eq!(cors.allow_origins(), ["https://app.example.com"]);
    assert_eq!(cors.max_age(), Some(600));
    // The stage: access log into the stack's group with the JSON format, and the throttling.
    let stage = env
        .block_on(sdk.apigw.get_stage().api_id(&api_id).stage_name("$default").send())
        .unwrap();
    let log = stage.access_log_settings().unwrap();
    assert!(
        log.destination_arn()
            .unwrap()
            .ends_with(":log-group:/aws/vendedlogs/jwtstack/shop/access"),
        "{log:?}"
    );
    assert!(log.format().unwrap().contains("$context.authorizer.error"), "{log:?}");
    let route = stage.default_route_settings().unwrap();
    assert_eq!(
        (route.throttling_rate_limit(), route.throttling_burst_limit()),
        (Some(100.0), Some(200))
    );
    // The log group: tagged, with its retention.
    let groups = env
        .block_on(
            sdk.logs
                .describe_log_groups()
                .log_group_name_prefix("/aws/vendedlogs/jwtstack/shop/access")
                .send(),
        )
        .unwrap();
    let group = &groups.log_groups()[0];
    assert_eq!(group.retention_in_days(), Some(30));
    let tags = env
        .block_on(
            sdk.logs
                .list_tags_for_resource()
                .resource_arn(group.log_group_arn().unwrap())
                .send(),
        )
        .unwrap();
    assert_eq!(tags.tags().unwrap()["jwtstack:stack"], "shop");
    // The domain: regional, TLS 1.2, the certificate, mapped to the $default stage; the zone points at it.
    let domain = env
        .block_on(sdk.apigw.get_domain_name().domain_name("api.example.com").send())
        .unwrap();
    let conf = &domain.domain_name_configurations()[0];
    assert_eq!(conf.certificate_arn(), Some(cert.as_str()));
    assert_eq!(conf.endpoint_type().map(|t| t.as_str()), Some("REGIONAL"));
    assert_eq!(conf.security_policy().map(|t| t.as_str()), Some("TLS_1_2"));
    let mappings = env
        .block_on(sdk.apigw.get_api_mappings().domain_name("api.example.com").send())
        .unwrap();
    assert_eq!(mappings.items().len(), 1);
    assert_eq!(mappings.items()[0].api_id(), Some(api_id.as_str()));
    assert_eq!(mappings.items()[0].stage(), Some("$default"));
    let aliases = env.alias_records(&zone);
    assert!(aliases.contains(&("A".into(), target.clone())), "{aliases:?}");
    // The domain is ipv4 (API Gateway's default): no AAAA record.
    assert!(!aliases.iter().any(|(t, _)| t == "AAAA"), "{aliases:?}");

    // A second deploy writes nothing.
    let again = env.run_via(p, &["deploy", "--stats"]).ok();
    assert_eq!(again.writes(), 0, "{}", again.stderr);
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
    eprintln!(
        "first deploy: {} calls, {} writes; no-op: {} calls",
        first.calls(),
        first.writes(),
        again.calls()
    );

    // `verify` says the public route is public.
    let token = env.run_via(p, &["token", "--sub", "alice", "--scope", "orders.read"]).ok().stdout;
    let v = env.run_via(p, &["verify", token.trim(), "--route", "POST /login"]).ok();
    assert!(v.stdout.contains("route `POST /login` is public (auth: none)"), "{}", v.stdout);

    // `logs`: a denied request written the way API Gateway writes it with this format (the emulator serves no
    // API, so the test writes the event API Gateway would).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let line = |status: &str, error: &str| {
        format!(
            r#"{{"requestId":"r-{status}","requestTime":"{now}","ip":"203.0.113.9","method":"GET","path":"/orders/42","routeKey":"GET /orders/{{id}}","status":"{status}","authorizerError":"{error}","integrationError":"-","responseLatency":"3","integrationLatency":"-","errorMessage":"-","sub":"-"}}"#
        )
    };
    env.put_log_lines(
        "/aws/vendedlogs/jwtstack/shop/access",
        &[line("200", "-"), line("401", "the token does not have a valid audience")],
    );
    let logs = env.run_via(p, &["logs", "--since", "5m", "--status", "401"]).ok();
    assert!(logs.stdout.contains("401 GET /orders/42 route=GET /orders/{id}"), "{}", logs.stdout);
    assert!(
        logs.stdout.contains("denied: the token does not have a valid audience"),
        "{}",
        logs.stdout
    );
    assert!(
        logs.stdout.contains("fix: mint with an audience the stack lists"),
        "{}",
        logs.stdout
    );
    assert!(!logs.stdout.contains(" 200 "), "{}", logs.stdout);
    let all = env.run_via(p, &["logs", "--json"]).ok();
    assert_eq!(all.stdout.lines().count(), 2, "{}", all.stdout);

    // Changes converge, one step each.
    env.write_stack(&stack(&login, &settings(&cert, &zone, 90, 50)));
    let change = env.run_via(p, &["deploy", "--stats"]).ok();
    assert!(change.stderr.contains("retention_days: 30 -> 90"), "{}", change.stderr);
    let stage = env
        .block_on(sdk.apigw.get_stage().api_id(&api_id).stage_name("$default").send())
        .unwrap();
    assert_eq!(stage.default_route_settings().unwrap().throttling_rate_limit(), Some(50.0));
    assert_eq!(env.run_via(p, &["deploy", "--stats"]).ok().writes(), 0);

    // Teardown leaves nothing: no domain, records, group or records of them.
    env.run_via(p, &["teardown", "--yes"]).ok();
    let domains = env.block_on(sdk.apigw.get_domain_names().send()).unwrap();
    assert!(domains.items().is_empty(), "{:?}", domains.items());
    assert!(env.alias_records(&zone).is_empty());
    let groups = env
        .block_on(
            sdk.logs
                .describe_log_groups()
                .log_group_name_prefix("/aws/vendedlogs/jwtstack/shop")
                .send(),
        )
        .unwrap();
    assert!(groups.log_groups().is_empty());
    assert!(env.stack_parameters("shop").is_empty(), "{:?}", env.stack_parameters("shop"));
    assert!(env.block_on(sdk.apigw.get_apis().send()).unwrap().items().is_empty());
}

#[test]
fn removing_them_from_the_stack_file_removes_what_the_stack_made() {
    let env = Env::new();
    let sdk = env.sdk();
    let login = env.create_function("login");
    let zone = env
        .block_on(sdk.route53.create_hosted_zone().name("example.com").caller_reference("r").send())
        .unwrap();
    let zone = zone.hosted_zone().unwrap().id().trim_start_matches("/hostedzone/").to_string();
    let cert = env.certificate(REGION, "api.example.com", "import");
    env.write_stack(&stack(&login, &settings(&cert, &zone, 30, 100)));
    env.run(&["deploy"]).ok();
    env.write_stack(&stack(&login, ""));
    let bare = env.run(&["deploy"]).ok();
    // API Gateway cannot unset throttling: said, and the limits kept (never set to 0).
    assert!(bare.stderr.contains("cannot unset a stage's throttling"), "{}", bare.stderr);
    let outputs = json(&env.run(&["outputs", "--json"]).ok().stdout);
    let api_id = outputs["api_id"].as_str().unwrap();
    let stage = env
        .block_on(sdk.apigw.get_stage().api_id(api_id).stage_name("$default").send())
        .unwrap();
    assert!(stage.access_log_settings().is_none_or(|a| a.destination_arn().is_none()));
    assert_eq!(stage.default_route_settings().unwrap().throttling_rate_limit(), Some(100.0));
    let api = env.block_on(sdk.apigw.get_api().api_id(api_id).send()).unwrap();
    assert!(api.cors_configuration().is_none());
    assert!(env.block_on(sdk.apigw.get_domain_names().send()).unwrap().items().is_empty());
    let groups = env
        .block_on(
            sdk.logs
                .describe_log_groups()
                .log_group_name_prefix("/aws/vendedlogs/jwtstack/shop")
                .send(),
        )
        .unwrap();
    assert!(groups.log_groups().is_empty());
    assert!(env.parameter("/jwtstack/shop/domain").is_none());
    assert!(env.parameter("/jwtstack/shop/access-log").is_none());
    assert_eq!(env.run(&["deploy", "--stats"]).ok().writes(), 0);
    env.run(&["teardown", "--yes"]).ok();
}

#[test]
fn wrong_values_are_refused_with_their_position_and_change_nothing() {
    let env = Env::new();
    let login = "arn:aws:lambda:us-east-1:123456789012:function:login";
    for (extra, want) in [
        ("cors:\n  allow_origins: [\"*\"]\n  allow_credentials: true\n", "stack.yaml:19:19"),
        ("access_log: {retention_days: 31}\n", "stack.yaml:18:30"),
        ("throttling: {rate: 0, burst: 1}\n", "stack.yaml:18:20"),
        // ThrottlingBurstLimit is a 32-bit integer in API Gateway's model: 2^31 would wrap negative.
        ("throttling: {rate: 10, burst: 2147483648}\n", "stack.yaml:18:31"),
        // A protected OPTIONS route takes the browser's token-less preflight to the authorizer.
        (
            "  - route: OPTIONS /orders/{id}\n    scopes: [orders.read]\n    integration:\n      http: https://example.com/o\ncors:\n  allow_origins: [https://app.example.com]\n",
            "stack.yaml:18:12",
        ),
        (
            "domain:\n  name: api.example.com\n  certificate_arn: arn:aws:acm:eu-west-1:123456789012:certificate/x\n",
            "stack.yaml:20:20",
        ),
    ] {
        env.write_stack(&stack(login, extra));
        let out = env.run(&["deploy", "--stats"]).code(65);
        assert!(out.stderr.contains(want), "{want} in {}", out.stderr);
    }
    // Above the account's default limits: valid, and said.
    env.write_stack(&stack(login, "throttling: {rate: 20000, burst: 100}\n"));
    let out = env.run(&["validate"]).ok();
    assert!(out.stderr.contains("above the account's default limits"), "{}", out.stderr);
    let scoped = stack(login, "").replace("    auth: none\n", "    auth: none\n    scopes: [x]\n");
    env.write_stack(&scoped);
    let out = env.run(&["validate"]).code(65);
    assert!(out.stderr.contains("a route with `auth: none` has scopes"), "{}", out.stderr);
    // A certificate the region's ACM does not have: found before the first change.
    let login = env.create_function("login");
    env.write_stack(&stack(
        &login,
        "domain:\n  name: api.example.com\n  certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/missing\n",
    ));
    let out = env.run(&["deploy", "--stats"]).code(1);
    assert!(out.stderr.contains("has no such certificate"), "{}", out.stderr);
    assert_eq!(out.writes(), 0, "{}", out.stderr);
}

/// A stack with all five, named `name`, its domain `{name}.example.com` (covered by `cert`) in `zone`.
fn named(env: &Env, name: &str, cert: &str, zone: &str) -> String {
    let login = env.create_function(&format!("{name}-login"));
    stack(&login, &settings(cert, zone, 30, 100))
        .replace("name: shop\n", &format!("name: {name}\n"))
        .replace(BUCKET, &format!("{name}-issuer-bucket"))
        .replace("api.example.com", &format!("{name}.example.com"))
}

fn zone_and_cert(env: &Env) -> (String, String) {
    let sdk = env.sdk();
    let zone = env
        .block_on(sdk.route53.create_hosted_zone().name("example.com").caller_reference("f").send())
        .unwrap();
    let zone = zone.hosted_zone().unwrap().id().trim_start_matches("/hostedzone/").to_string();
    (zone, env.certificate(REGION, "*.example.com", "import"))
}

#[track_caller]
fn assert_converged(env: &Env, endpoint: &str, name: &str, file: &str) {
    let plan = env.run_via(endpoint, &["plan", "--detailed-exitcode", "-f", file]);
    assert_eq!(plan.code, 0, "{name}: plan after recovery:\n{}\n{}", plan.stdout, plan.stderr);
    let sdk = env.sdk();
    let domains = env.block_on(sdk.apigw.get_domain_names().send()).unwrap();
    let ours: Vec<_> = domains
        .items()
        .iter()
        .filter(|d| d.domain_name() == Some(format!("{name}.example.com").as_str()))
        .collect();
    assert_eq!(ours.len(), 1, "{name}: domains");
    let mappings = env
        .block_on(sdk.apigw.get_api_mappings().domain_name(format!("{name}.example.com")).send())
        .unwrap();
    assert_eq!(mappings.items().len(), 1, "{name}: mappings {:?}", mappings.items());
    assert!(
        env.parameter(&format!("/jwtstack/{name}/access-log")).is_some(),
        "{name}: group not recorded"
    );
    assert!(
        env.parameter(&format!("/jwtstack/{name}/domain")).is_some(),
        "{name}: domain not recorded"
    );
}

#[track_caller]
fn assert_gone(env: &Env, name: &str, zone: &str) {
    let sdk = env.sdk();
    let domains = env.block_on(sdk.apigw.get_domain_names().send()).unwrap();
    assert!(
        !domains
            .items()
            .iter()
            .any(|d| d.domain_name() == Some(format!("{name}.example.com").as_str())),
        "{name}: domain left"
    );
    let groups = env
        .block_on(
            sdk.logs
                .describe_log_groups()
                .log_group_name_prefix(format!("/aws/vendedlogs/jwtstack/{name}/"))
                .send(),
        )
        .unwrap();
    assert!(groups.log_groups().is_empty(), "{name}: log group left");
    let records = env
        .block_on(sdk.route53.list_resource_record_sets().hosted_zone_id(zone).send())
        .unwrap();
    let domain = format!("{name}.example.com");
    assert!(
        !records
            .resource_record_sets()
            .iter()
            .any(|r| r.name().trim_end_matches('.') == domain),
        "{name}: DNS records left"
    );
    let params = env.stack_parameters(name);
    assert!(params.is_empty(), "{name}: parameters left: {params:?}");
}

#[test]
fn injected_faults_and_kills_end_converged_or_gone() {
    let env = Env::new();
    let (zone, cert) = zone_and_cert(&env);
    let mut runs = 0;
    for seed in 0..4 {
        let name = format!("sfault{seed}");
        let file = format!("{name}.yaml");
        std::fs::write(env.path().join(&file), named(&env, &name, &cert, &zone)).unwrap();
        let proxy = Proxy::start(
            &env.moto.endpoint,
            &["--strict", "--seed", &(100 + seed).to_string(), "--fault-rate", "0.2"],
        );
        runs += crate::cloudfront::until_success(&env, &proxy.endpoint, &["deploy", "-f", &file]);
        assert_converged(&env, &proxy.endpoint, &name, &file);
        runs += crate::cloudfront::until_success(&env, &proxy.endpoint, &["teardown", "--yes", "-f", &file]);
        assert_gone(&env, &name, &zone);
        let stats = proxy.stats();
        let faults: u64 = stats["faults"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert!(faults > 0, "{stats}");
    }
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--latency-ms", "25"]);
    let mut killed = (0, 0);
    for i in 0..6u64 {
        let ms = 150 + i * 250;
        let name = format!("skill{i}");
        let file = format!("{name}.yaml");
        std::fs::write(env.path().join(&file), named(&env, &name, &cert, &zone)).unwrap();
        killed.0 += common::kill_after(&env, &proxy.endpoint, &["deploy", "-f", &file], ms) as u32;
        env.run_via(&proxy.endpoint, &["deploy", "-f", &file]).ok();
        assert_converged(&env, &proxy.endpoint, &name, &file);
        killed.1 += common::kill_after(&env, &proxy.endpoint, &["teardown", "--yes", "-f", &file], ms / 2) as u32;
        env.run_via(&proxy.endpoint, &["teardown", "--yes", "-f", &file]).ok();
        assert_gone(&env, &name, &zone);
    }
    eprintln!(
        "the five under faults: 4 seeds, {runs} runs; kill points: 6 deploys (killed mid-run: {}), 6 teardowns (killed mid-run: {})",
        killed.0, killed.1
    );
    assert!(killed.0 >= 3 && killed.1 >= 2, "{killed:?}");
}
