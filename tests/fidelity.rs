//! What AWS does that the emulator does not, through the strict proxy (each rule there names its source): a CNAME
//! that allows no alias beside it, an alternate domain name on another distribution, the IP address type a
//! custom domain serves, API Gateway's one custom domain change per interval, the account's log delivery policy
//! that fills up, and an import that leaves part of the old API behind.

use crate::common;

use common::{Env, Proxy, REGION, json};

const BUCKET: &str = "depot-issuer-fidelity";

fn stack(extra: &str) -> String {
    format!(
        "name: depot\nregion: {REGION}\nissuer:\n  bucket: {BUCKET}\nkey_id: depot-k1\naudience: [depot-api]\napi:\n  name: depot-api\nroutes:\n\
         \x20 - route: GET /parts/{{id}}\n    scopes: [parts.read]\n    integration:\n      http: https://example.com/parts/{{id}}\n\
         {extra}"
    )
}

fn domain(cert: &str, zone: &str, extra: &str) -> String {
    format!("domain:\n  name: api.example.com\n  certificate_arn: {cert}\n  hosted_zone_id: {zone}\n{extra}")
}

fn zone_and_cert(env: &Env) -> (String, String) {
    let sdk = env.sdk();
    let zone = env
        .block_on(
            sdk.route53
                .create_hosted_zone()
                .name("example.com")
                .caller_reference("fidelity")
                .send(),
        )
        .unwrap();
    let zone = zone.hosted_zone().unwrap().id().trim_start_matches("/hostedzone/").to_string();
    (zone, env.certificate(REGION, "*.example.com", "import"))
}

fn cname(env: &Env, zone: &str, name: &str, value: &str, action: aws_sdk_route53::types::ChangeAction) {
    use aws_sdk_route53::types::{Change, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType};
    let set = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::Cname)
        .ttl(300)
        .resource_records(ResourceRecord::builder().value(value).build().unwrap())
        .build()
        .unwrap();
    let batch = ChangeBatch::builder()
        .changes(Change::builder().action(action).resource_record_set(set).build().unwrap())
        .build()
        .unwrap();
    env.block_on(
        env.sdk()
            .route53
            .change_resource_record_sets()
            .hosted_zone_id(zone)
            .change_batch(batch)
            .send(),
    )
    .unwrap();
}

/// The CNAME `outputs` tells a user without `hosted_zone_id` to add, once they set `hosted_zone_id`: Route 53
/// would refuse the alias beside it after the domain was made; it is found before any change, with what to do.
#[test]
fn a_cname_of_the_domain_is_refused_before_any_change_and_the_alias_follows_its_removal() {
    use aws_sdk_route53::types::ChangeAction;
    let env = Env::new();
    let (zone, cert) = zone_and_cert(&env);
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "3"]);
    let p = &proxy.endpoint;
    cname(
        &env,
        &zone,
        "api.example.com",
        "d-0123456789.execute-api.us-east-1.amazonaws.com",
        ChangeAction::Create,
    );
    env.write_stack(&stack(&domain(&cert, &zone, "")));
    let refused = env.run_via(p, &["deploy", "--stats"]).code(1);
    assert!(
        refused
            .stderr
            .contains("has a CNAME record `api.example.com CNAME d-0123456789.execute-api.us-east-1.amazonaws.com`"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("Delete the CNAME"), "{}", refused.stderr);
    assert_eq!(refused.writes(), 0, "{}", refused.stderr);
    let sdk = env.sdk();
    assert!(env.block_on(sdk.apigw.get_domain_names().send()).unwrap().items().is_empty());
    // Without the CNAME: the alias record, and nothing refused by Route 53.
    cname(
        &env,
        &zone,
        "api.example.com",
        "d-0123456789.execute-api.us-east-1.amazonaws.com",
        ChangeAction::Delete,
    );
    env.run_via(p, &["deploy"]).ok();
    assert!(env.alias_records(&zone).iter().any(|(t, _)| t == "A"));
    assert_eq!(proxy.stats()["strict"]["route53_refused"], 0);
    env.run_via(p, &["teardown", "--yes"]).ok();
}

/// The issuer's custom domain on another distribution of the account: CloudFront would refuse ours
/// (CNAMEAlreadyExists) after the origin access control was made; it is found before any change.
#[test]
fn an_issuer_domain_on_another_distribution_is_refused_before_any_change() {
    use aws_sdk_cloudfront::types::{
        Aliases, DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig, ViewerProtocolPolicy,
    };
    let env = Env::new();
    let cert = env.certificate("us-east-1", "auth.example.com", "import");
    let sdk = env.sdk();
    let origin = Origin::builder()
        .id("other")
        .domain_name("other.s3.us-east-1.amazonaws.com")
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .unwrap();
    let config = DistributionConfig::builder()
        .caller_reference("someone-else")
        .comment("another team's")
        .enabled(true)
        .aliases(Aliases::builder().quantity(1).items("auth.example.com").build().unwrap())
        .origins(Origins::builder().quantity(1).items(origin).build().unwrap())
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("other")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let other = env
        .block_on(sdk.cloudfront.create_distribution().distribution_config(config).send())
        .unwrap();
    let other = other.distribution().unwrap().id().to_string();
    env.write_stack(&behind_cloudfront("depot", &cert, None));
    refused_before_any_change(
        &env,
        "4",
        &format!("auth.example.com is an alternate domain name of CloudFront distribution {other}"),
    );
    let oacs = env.block_on(sdk.cloudfront.list_origin_access_controls().send()).unwrap();
    assert!(oacs.origin_access_control_list().is_none_or(|l| l.items().is_empty()));
}

/// The records follow what the domain serves: A for ipv4 (API Gateway's default), A and AAAA for dualstack; an
/// undeclared type keeps what the domain has.
#[test]
fn the_records_follow_the_domains_ip_address_type() {
    let env = Env::new();
    let (zone, cert) = zone_and_cert(&env);
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "6"]);
    let p = &proxy.endpoint;
    let sdk = env.sdk();
    let ip_type = || {
        let d = env
            .block_on(sdk.apigw.get_domain_name().domain_name("api.example.com").send())
            .unwrap();
        d.domain_name_configurations()[0].ip_address_type().map(|t| t.as_str().to_string())
    };
    let types = || {
        let mut t: Vec<String> = env.alias_records(&zone).into_iter().map(|(t, _)| t).collect();
        t.sort();
        t
    };
    env.write_stack(&stack(&domain(&cert, &zone, "  ip_address_type: dualstack\n")));
    env.run_via(p, &["deploy"]).ok();
    assert_eq!(ip_type().as_deref(), Some("dualstack"));
    assert_eq!(types(), ["A", "AAAA"]);
    // Undeclared: the domain stays dualstack (no update resets it), and so do its records.
    env.write_stack(&stack(&domain(&cert, &zone, "")));
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
    // Declared ipv4: the domain goes back, and the AAAA record leaves with it.
    env.write_stack(&stack(&domain(&cert, &zone, "  ip_address_type: ipv4\n")));
    let change = env.run_via(p, &["deploy"]).ok();
    assert!(change.stderr.contains("ip_address_type: dualstack -> ipv4"), "{}", change.stderr);
    assert_eq!(ip_type().as_deref(), Some("ipv4"));
    assert_eq!(types(), ["A"]);
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
    env.run_via(p, &["teardown", "--yes"]).ok();
    assert!(types().is_empty());
}

/// One custom domain change per interval per account (30 s on AWS, 5 s here for proxy and binary alike): a
/// run's own changes are spaced, one refused because another run just made one is tried again after the
/// interval, and each wait is said.
#[test]
fn custom_domain_changes_are_paced_to_api_gateways_quota() {
    let env = Env::new();
    let (zone, cert) = zone_and_cert(&env);
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "8", "--domain-call-interval", "5"]);
    let run = |args: &[&str]| {
        common::Output::from(
            env.cmd()
                .env("AWS_ENDPOINT_URL", &proxy.endpoint)
                .env("JWTSTACK_DOMAIN_CALL_INTERVAL", "5")
                .args(args)
                .output()
                .unwrap(),
        )
    };
    env.write_stack(&stack(&domain(&cert, &zone, "")));
    run(&["deploy"]).ok();
    // At once another run changes the domain: API Gateway refuses it for the quota, and it is tried again.
    env.write_stack(&stack(&domain(&cert, &zone, "  ip_address_type: dualstack\n")));
    let update = run(&["deploy"]).ok();
    assert!(
        update.stderr.contains("waiting for API Gateway's custom domain quota"),
        "{}",
        update.stderr
    );
    let refused = proxy.stats()["strict"]["domain_quota_refused"].as_u64().unwrap();
    assert!(refused >= 1, "{}", proxy.stats());
    // A new name in one run: the old domain deleted and the new one made, the second change paced.
    env.write_stack(&stack(&domain(&cert, &zone, "")).replace("api.example.com", "api2.example.com"));
    let moved = run(&["deploy"]).ok();
    assert!(
        moved.stderr.contains("waiting for API Gateway's custom domain quota"),
        "{}",
        moved.stderr
    );
    run(&["teardown", "--yes"]).ok();
    let sdk = env.sdk();
    assert!(env.block_on(sdk.apigw.get_domain_names().send()).unwrap().items().is_empty());
}

/// The account's log delivery policy holds 5,120 characters and never drops an entry: near the cap, only groups
/// under /aws/vendedlogs/ can be given an access log. A new stack's group is there; an old stack's group outside
/// it gets a hint that says why and what to do.
#[test]
fn an_access_log_works_when_the_accounts_log_delivery_policy_is_full() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "9", "--log-policy-used", "5100"]);
    let p = &proxy.endpoint;
    env.write_stack(&stack("access_log: {retention_days: 7}\n"));
    env.run_via(p, &["deploy"]).ok();
    let outputs = json(&env.run_via(p, &["outputs", "--json"]).ok().stdout);
    assert_eq!(outputs["access_log_group"], "/aws/vendedlogs/jwtstack/depot/access");
    assert_eq!(proxy.stats()["strict"]["log_policy_refused"], 0);
    env.run_via(p, &["teardown", "--yes"]).ok();

    // A stack that made its group under the old name keeps it, and the full policy refuses it: said.
    let sdk = env.sdk();
    let legacy = "/jwtstack/depot/access";
    env.block_on(
        sdk.logs
            .create_log_group()
            .log_group_name(legacy)
            .tags("jwtstack:stack", "depot")
            .send(),
    )
    .unwrap();
    env.block_on(
        sdk.ssm
            .put_parameter()
            .name("/jwtstack/depot/access-log")
            .value(legacy)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send(),
    )
    .unwrap();
    let refused = env.run_via(p, &["deploy"]).code(1);
    assert!(
        refused.stderr.contains("Insufficient permissions to enable logging"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("AWSLogDeliveryWrite20150319"), "{}", refused.stderr);
    assert!(refused.stderr.contains("/aws/vendedlogs/"), "{}", refused.stderr);
    assert_eq!(proxy.stats()["strict"]["log_policy_refused"], 1);
    env.run_via(p, &["teardown", "--yes"]).ok();
}

/// Whether a reimport without `x-amazon-apigateway-cors` removes the API's CORS configuration is not documented:
/// the proxy keeps it, and jwtstack, reading the API back after the import, removes it call by call.
#[test]
fn what_an_import_leaves_behind_is_read_back_and_fixed() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "10", "--reimport-keeps-cors"]);
    let p = &proxy.endpoint;
    env.write_stack(&stack("cors:\n  allow_origins: [https://app.example.com]\n"));
    env.run_via(p, &["deploy"]).ok();
    env.write_stack(&stack(""));
    env.run_via(p, &["deploy"]).ok();
    let outputs = json(&env.run_via(p, &["outputs", "--json"]).ok().stdout);
    let api = env
        .block_on(env.sdk().apigw.get_api().api_id(outputs["api_id"].as_str().unwrap()).send())
        .unwrap();
    assert!(api.cors_configuration().is_none(), "{:?}", api.cors_configuration());
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
    env.run_via(p, &["teardown", "--yes"]).ok();
}

/// AWS's own generator as the oracle: SAM's translator writes the HttpApi definition of an equivalent template,
/// and jwtstack's (`export-openapi`, what deploy imports) may not differ from it in anything API Gateway reads.
#[test]
fn the_definition_jwtstack_imports_agrees_with_the_one_sam_generates() {
    let env = Env::new();
    let lambda = |f: &str| format!("arn:aws:lambda:{REGION}:123456789012:function:{f}");
    let routes = |cors: bool| {
        let mut r = vec![
            ("GET /items/{id}", Some(vec!["items.read"]), lambda("items")),
            ("POST /items", Some(vec!["items.write", "items.admin"]), lambda("items")),
            ("POST /login", None, lambda("login")),
        ];
        if !cors {
            r.push(("ANY /admin/{proxy+}", Some(vec!["items.admin"]), lambda("admin")));
            r.push(("$default", Some(vec![]), lambda("fallback")));
        }
        r
    };
    for cors in [false, true] {
        let mut yaml = stack("").replace(
            "  - route: GET /parts/{id}\n    scopes: [parts.read]\n    integration:\n      http: https://example.com/parts/{id}\n",
            "",
        );
        let mut case_routes = Vec::new();
        for (route, scopes, arn) in routes(cors) {
            yaml.push_str(&format!("  - route: {route}\n"));
            match &scopes {
                None => yaml.push_str("    auth: none\n"),
                Some(s) if !s.is_empty() => yaml.push_str(&format!("    scopes: [{}]\n", s.join(", "))),
                Some(_) => {}
            }
            yaml.push_str(&format!("    integration:\n      lambda: {arn}\n"));
            let mut r = serde_json::json!({"route": route, "scopes": scopes.clone().unwrap_or_default(), "integration": {"lambda": arn}});
            if scopes.is_none() {
                r["auth"] = "none".into();
            }
            case_routes.push(r);
        }
        let cors_config = cors.then(|| {
            yaml.push_str("cors:\n  allow_origins: [https://app.example.com]\n  allow_methods: [GET, POST]\n  allow_headers: [authorization]\n  max_age: 300\n");
            serde_json::json!({"allow_origins": ["https://app.example.com"], "allow_methods": ["GET", "POST"], "allow_headers": ["authorization"], "max_age": 300})
        });
        env.write_stack(&yaml);
        let ours = env.run(&["export-openapi"]).ok().stdout;
        let doc = json(&ours);
        let (name, scheme) = doc["components"]["securitySchemes"].as_object().unwrap().iter().next().unwrap();
        let config = &scheme["x-amazon-apigateway-authorizer"]["jwtConfiguration"];
        let case = serde_json::json!({
            "routes": case_routes,
            "issuer": config["issuer"],
            "audience": config["audience"],
            "cors": cors_config,
            "authorizer": name,
        });
        std::fs::write(env.path().join("ours.json"), &ours).unwrap();
        std::fs::write(env.path().join("case.json"), case.to_string()).unwrap();
        let out = std::process::Command::new(common::python())
            .arg(common::root().join("tests/support/sam_oracle.py"))
            .args(["ours.json", "case.json"])
            .current_dir(env.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "jwtstack's definition differs from SAM's (cors: {cors}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The issuer's stack file with a CloudFront custom domain (and the zone that gets its records, when given).
fn behind_cloudfront(name: &str, cert: &str, zone: Option<&str>) -> String {
    let zone = zone.map(|z| format!("    hosted_zone_id: {z}\n")).unwrap_or_default();
    stack("")
        .replace("name: depot\n", &format!("name: {name}\n"))
        .replace("depot-k1", &format!("{name}-k1"))
        .replace(
            &format!("  bucket: {BUCKET}\n"),
            &format!("  bucket: {name}-issuer-bucket\n  cloudfront:\n    domain: auth.example.com\n    certificate_arn: {cert}\n{zone}"),
        )
}

/// `deploy` through the strict proxy (seeded with `seed`) fails saying `why`, having written nothing.
fn refused_before_any_change(env: &Env, seed: &str, why: &str) {
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", seed]);
    let refused = env.run_via(&proxy.endpoint, &["deploy", "--stats"]).code(1);
    assert!(refused.stderr.contains(why), "{}", refused.stderr);
    assert_eq!(refused.writes(), 0, "{}", refused.stderr);
}

/// Route 53 refuses a record of a name its zone does not hold, and jwtstack writes the records last: the zone is
/// read with the rest and refused before any change.
#[test]
fn a_hosted_zone_that_does_not_hold_the_issuers_domain_is_refused_before_any_change() {
    let env = Env::new();
    let cert = env.certificate("us-east-1", "auth.example.com", "import");
    let sdk = env.sdk();
    let other = env
        .block_on(
            sdk.route53
                .create_hosted_zone()
                .name("example.org")
                .caller_reference("other")
                .send(),
        )
        .unwrap();
    let other = other.hosted_zone().unwrap().id().trim_start_matches("/hostedzone/").to_string();
    env.write_stack(&behind_cloudfront("depot", &cert, Some(&other)));
    refused_before_any_change(
        &env,
        "12",
        &format!("issuer.cloudfront.hosted_zone_id {other} is the hosted zone of example.org, which does not hold auth.example.com"),
    );
    let distributions = env.block_on(sdk.cloudfront.list_distributions().send()).unwrap();
    assert!(distributions.distribution_list().is_none_or(|l| l.items().is_empty()));
}

/// Two stacks deploying one `issuer.cloudfront.domain` at once: each read the account before the other's
/// distribution existed; CloudFront gives the name to one (CNAMEAlreadyExists, modelled by the proxy, which holds
/// both creates until both are sent), and the other run names the distribution that holds it.
#[test]
fn two_stacks_claiming_one_issuer_domain_at_once_get_one_and_the_other_names_it() {
    let env = Env::new();
    let cert = env.certificate("us-east-1", "auth.example.com", "import");
    std::fs::write(env.path().join("a.yaml"), behind_cloudfront("depota", &cert, None)).unwrap();
    std::fs::write(env.path().join("b.yaml"), behind_cloudfront("depotb", &cert, None)).unwrap();
    let proxy = Proxy::start(
        &env.moto.endpoint,
        &["--strict", "--seed", "13", "--rendezvous", ",<CNAME>auth.example.com</CNAME>,2"],
    );
    let a = common::spawn(&env, &proxy.endpoint, &[], &["deploy", "-f", "a.yaml"]);
    let b = common::spawn(&env, &proxy.endpoint, &[], &["deploy", "-f", "b.yaml"]);
    let (a, b) = (
        common::Output::from(a.wait_with_output().unwrap()),
        common::Output::from(b.wait_with_output().unwrap()),
    );
    let (won, lost, file) = match (a.code, b.code) {
        (0, 1) => (a, b, "a.yaml"),
        (1, 0) => (b, a, "b.yaml"),
        _ => panic!("a:\n{}\n{}\nb:\n{}\n{}", a.stdout, a.stderr, b.stdout, b.stderr),
    };
    assert!(won.stdout.starts_with("Deployed"), "{}", won.stdout);
    let outputs = json(&env.run_via(&proxy.endpoint, &["outputs", "--json", "-f", file]).ok().stdout);
    let holder = outputs["cloudfront_distribution"]["id"].as_str().unwrap();
    assert!(lost.stderr.contains("CNAMEAlreadyExists"), "{}", lost.stderr);
    assert!(
        lost.stderr.contains(&format!(
            "auth.example.com is an alternate domain name of CloudFront distribution {holder} of this account"
        )),
        "{}",
        lost.stderr
    );
    assert_eq!(proxy.stats()["strict"]["cloudfront_refused"], 1);
}
