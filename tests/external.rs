//! External issuers against moto and a local HTTPS identity provider (tests/support/idp.py): deploy creates
//! only the authorizer and the routes, provider tokens pass `verify`, and each broken provider gets its own
//! message before anything is created.

use crate::common;

use common::{Env, Idp, Output, json};

fn stack(issuer: &str) -> String {
    format!(
        "# A WSO2/Keycloak-style provider signs the tokens; jwtstack makes the authorizer and the routes.\n\
         name: shop\nregion: us-east-1\nissuer:\n  external: {issuer}\naudience: [shop-api]\napi:\n  name: shop-api\nroutes:\n\
         \x20 - route: GET /orders/{{id}}\n    scopes: [orders.read]\n    integration:\n      http: https://example.com/orders/{{id}}\n\
         \x20 - route: POST /orders\n    scopes: [orders.write]\n    integration:\n      http: https://example.com/orders\n"
    )
}

fn run(env: &Env, idp: &Idp, args: &[&str]) -> Output {
    Output::from(env.cmd().env("SSL_CERT_FILE", &idp.ca_file).args(args).output().unwrap())
}

#[test]
fn deploy_creates_only_the_authorizer_and_routes_and_provider_tokens_verify() {
    let env = Env::new();
    let idp = Idp::start();
    env.trust(&idp);
    let issuer = idp.issuer("good");
    env.write_stack(&stack(&issuer));

    let plan = json(&run(&env, &idp, &["plan", "--json"]).ok().stdout);
    let kinds: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "apigw_api",
            "apigw_authorizer",
            "apigw_integration",
            "apigw_integration",
            "apigw_route",
            "apigw_route",
            "apigw_stage"
        ]
    );
    let out = run(&env, &idp, &["deploy", "--stats"]).ok();
    assert!(out.stderr.contains("issuer check: https://localhost"), "{}", out.stderr);
    assert!(out.stderr.contains("1 usable key(s): idp-k1"), "{}", out.stderr);
    assert!(out.stdout.contains("key_parameter  (the provider's"), "{}", out.stdout);
    // No S3 call at all; SSM only for the run lock (put, read, delete) and the inventory.
    assert!(!out.stderr.contains("S3:"), "{}", out.stderr);
    let ssm_writes: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("SSM:Put") || l.contains("SSM:Delete"))
        .collect();
    assert_eq!(ssm_writes.len(), 2, "{}", out.stderr);
    assert!(ssm_writes.iter().all(|l| l.trim_end().ends_with(" 1")), "{ssm_writes:?}");
    let again = run(&env, &idp, &["deploy", "--stats"]).ok();
    assert_eq!(again.writes(), 0, "{}", again.stderr);

    let sdk = env.sdk();
    let buckets = env.block_on(sdk.s3.list_buckets().send()).unwrap();
    assert!(buckets.buckets().is_empty(), "an external issuer needs no bucket");
    let params = env
        .block_on(sdk.ssm.get_parameters_by_path().path("/jwtstack").recursive(true).send())
        .unwrap();
    assert!(params.parameters().is_empty(), "{:?}", params.parameters());
    let api = env.block_on(sdk.apigw.get_apis().send()).unwrap().items()[0]
        .api_id()
        .unwrap()
        .to_string();
    let auths = env.block_on(sdk.apigw.get_authorizers().api_id(&api).send()).unwrap();
    let a = &auths.items()[0];
    assert_eq!(a.jwt_configuration().unwrap().issuer(), Some(issuer.as_str()));
    assert_eq!(a.jwt_configuration().unwrap().audience(), ["shop-api"]);
    let routes = env.block_on(sdk.apigw.get_routes().api_id(&api).send()).unwrap();
    assert_eq!(routes.items().len(), 2);
    assert!(
        routes
            .items()
            .iter()
            .all(|r| r.authorization_type().map(|t| t.as_str()) == Some("JWT"))
    );

    // A provider token passes verify through the provider's own discovery document and JWKS.
    let token = idp.token("sub=alice&scope=orders.read&aud=shop-api");
    let ok = json(
        &run(&env, &idp, &["verify", &token, "--route", "GET /orders/7", "--json"])
            .code(0)
            .stdout,
    );
    assert_eq!(ok["kid"], "idp-k1");
    assert_eq!(ok["route"], "GET /orders/{id}");
    let denied = json(
        &run(&env, &idp, &["verify", &token, "--route", "POST /orders", "--json"])
            .code(3)
            .stdout,
    );
    assert_eq!(denied["status"], 403);
    // A provider that puts the client id in `client_id` and no `aud`: API Gateway checks client_id then.
    let client = idp.token("sub=svc&scope=orders.read&client_id=shop-api");
    run(&env, &idp, &["verify", &client, "--route", "GET /orders/7"]).code(0);

    // serve finds the provider's keys the same way, and lets the provider's token through.
    let (mut up, port) = common::start_support("upstream.py", &[]);
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("jwtstack"));
    common::isolate_std(&mut c, env.path());
    let mut serve = c
        .current_dir(env.path())
        .env("SSL_CERT_FILE", &idp.ca_file)
        .args([
            "serve",
            "--port",
            "0",
            "--integration",
            &format!("*=http://127.0.0.1:{port}/http/{{id}}"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(serve.stdout.take().unwrap()), &mut line).unwrap();
    let addr = line.trim().trim_start_matches("http://").to_string();
    let get = |auth: &str| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(s, "GET /orders/7 HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    assert!(get(&format!("Authorization: Bearer {token}\r\n")).starts_with("HTTP/1.1 200"));
    assert!(get("").starts_with("HTTP/1.1 401"));
    let _ = serve.kill();
    let _ = serve.wait();
    let _ = up.kill();
    let _ = up.wait();

    // jwtstack mints nothing for an external issuer, and has no key to rotate.
    let refused = run(&env, &idp, &["token", "--sub", "alice"]).code(64);
    assert!(refused.stderr.contains("the provider mints the tokens"), "{}", refused.stderr);
    let refused = run(&env, &idp, &["rotate", "start"]).code(1);
    assert!(refused.stderr.contains("its keys are the provider's"), "{}", refused.stderr);

    let down = run(&env, &idp, &["teardown", "--yes"]).ok();
    assert!(down.stdout.contains("Removed 1 resource(s)"), "{}\n{}", down.stdout, down.stderr);
    assert!(env.block_on(sdk.apigw.get_apis().send()).unwrap().items().is_empty());
}

#[test]
fn each_broken_provider_is_refused_with_its_own_message_and_nothing_is_created() {
    let env = Env::new();
    let idp = Idp::start();
    env.trust(&idp);
    let cases = [
        ("mismatch", "issuer_mismatch", "not `https://localhost"),
        ("slash", "issuer_mismatch", "by a trailing slash"),
        ("nokid", "jwks_key_without_kid", "has no `kid`"),
        ("ec", "jwks_no_rsa_key", "kty: EC"),
        ("private", "jwks_private_member", "private member(s) d, p, q, dp, dq, qi"),
        ("missing", "discovery_unreachable", "HTTP 404"),
        ("slow", "discovery_unreachable", "no answer within 1500 ms"),
        ("big", "jwks_unreachable", "over 150000 bytes"),
        ("notjson", "discovery_not_json", "is not a JSON object"),
    ];
    let mut seen = Vec::new();
    for (realm, code, detail) in cases {
        env.write_stack(&stack(&idp.issuer(realm)));
        let out = run(&env, &idp, &["deploy"]).code(1);
        assert!(out.stderr.contains(&format!("error[{code}]")), "{realm}: {}", out.stderr);
        assert!(out.stderr.contains(detail), "{realm}: {}", out.stderr);
        assert!(out.stderr.contains("nothing was changed"), "{realm}: {}", out.stderr);
        let first = out.stderr.lines().find(|l| l.starts_with("error[")).unwrap().to_string();
        seen.push(format!("{realm}: {first}"));
    }
    // An untrusted certificate: the same provider without its CA.
    env.write_stack(&stack(&idp.issuer("good")));
    let out = Output::from(env.cmd().args(["deploy"]).output().unwrap()).code(1);
    assert!(out.stderr.contains("TLS failed"), "{}", out.stderr);
    assert!(out.stderr.contains("public CA"), "{}", out.stderr);
    seen.push(format!(
        "untrusted: {}",
        out.stderr.lines().find(|l| l.starts_with("error[")).unwrap()
    ));
    let sdk = env.sdk();
    assert!(env.block_on(sdk.apigw.get_apis().send()).unwrap().items().is_empty());

    // --skip-issuer-check is the way through for a provider this machine cannot reach but API Gateway can:
    // here jwtstack does not trust the provider's CA, the emulator (API Gateway) does.
    env.write_stack(&stack(&idp.issuer("good")));
    Output::from(env.cmd().args(["deploy", "--skip-issuer-check"]).output().unwrap()).ok();
    assert_eq!(env.block_on(sdk.apigw.get_apis().send()).unwrap().items().len(), 1);
    eprintln!("provider faults:\n  {}", seen.join("\n  "));
}

/// API Gateway reads the issuer whenever an import makes the authorizer, a reimport for a scope change too: with
/// the provider gone, that change is refused before anything is sent, naming the issuer; and past the check,
/// API Gateway's own refusal names the issuer, not jwtstack's definition.
#[test]
fn a_reimport_while_the_issuer_is_unreachable_names_the_issuer_and_changes_nothing() {
    let env = Env::new();
    let idp = Idp::start();
    env.trust(&idp);
    let issuer = idp.issuer("good");
    env.write_stack(&stack(&issuer));
    run(&env, &idp, &["deploy"]).ok();
    let sdk = env.sdk();
    let api = env.block_on(sdk.apigw.get_apis().send()).unwrap().items()[0]
        .api_id()
        .unwrap()
        .to_string();
    let routes_before = env.block_on(sdk.apigw.get_routes().api_id(&api).send()).unwrap().items().len();
    drop(idp);
    // A scope change: the API is reimported, and API Gateway would read the issuer.
    env.write_stack(&stack(&issuer).replace("scopes: [orders.write]", "scopes: [orders.write, orders.admin]"));
    let refused = Output::from(env.cmd().args(["deploy", "--stats"]).output().unwrap()).code(1);
    assert!(refused.stderr.contains(&format!("the issuer {issuer}")), "{}", refused.stderr);
    assert!(refused.stderr.contains("nothing was changed"), "{}", refused.stderr);
    assert_eq!(refused.writes(), 0, "{}", refused.stderr);
    // Past the check: API Gateway refuses the import (FailOnWarnings), and the hint is the issuer's.
    let refused = Output::from(env.cmd().args(["deploy", "--skip-issuer-check"]).output().unwrap()).code(1);
    assert!(refused.stderr.contains("could not read the issuer"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("Please report"), "{}", refused.stderr);
    let routes = env.block_on(sdk.apigw.get_routes().api_id(&api).send()).unwrap();
    assert_eq!(routes.items().len(), routes_before, "the refused reimport changed the API");
    assert!(
        routes
            .items()
            .iter()
            .all(|r| !r.authorization_scopes().contains(&"orders.admin".to_string())),
        "the refused reimport changed the API"
    );
}
