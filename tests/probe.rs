//! `jwtstack probe` through the binary: against `serve`, which answers as API Gateway's JWT authorizer does, and
//! against gateways that misbehave in one way each (tests/support/bad_gateway.py in front of serve); a
//! misbehaving gateway fails the probe, naming the route and the case, an open route first.

use crate::common;
use crate::serve::Server;

use common::{Output, json, jwtstack_in, start_support};
use jwtstack::crypto::documents;
use jwtstack::crypto::keys::SigningKey;

const STACK: &str = "name: pantry\nregion: us-east-1\nissuer:\n  bucket: pantry-issuer-probe\nkey_id: k1\naudience: [pantry-api]\napi:\n  name: pantry-api\nroutes:\n\
\x20 - route: GET /items/{id}\n    scopes: [items.read]\n    integration:\n      http: http://127.0.0.1:9/items/{id}\n\
\x20 - route: POST /items\n    scopes: [items.write]\n    integration:\n      http: http://127.0.0.1:9/items\n\
\x20 - route: GET /health\n    auth: none\n    integration:\n      http: http://127.0.0.1:9/health\n\
\x20 - route: GET /ping\n    integration:\n      http: http://127.0.0.1:9/ping\n\
cors:\n  allow_origins: [https://app.example.com]\n  allow_methods: [GET, POST]\n";

/// A scratch directory with the stack, key k1 as k1.pem and a JWKS of it; `serve` on it.
fn serving() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stack.yaml"), STACK).unwrap();
    let key = SigningKey::generate("k1", 2048).unwrap();
    std::fs::write(dir.path().join("k1.pem"), key.to_pem().unwrap().as_bytes()).unwrap();
    std::fs::write(dir.path().join("jwks.json"), documents::jwks(&[key.public_jwk()])).unwrap();
    let server = Server::start(dir.path(), &["--jwks", "jwks.json"], &[]);
    (dir, server)
}

fn probe(dir: &std::path::Path, endpoint: &str, extra: &[&str]) -> Output {
    Output::from(
        jwtstack_in(dir)
            .args(["probe", "--endpoint", endpoint, "--key-file", "k1.pem"])
            .args(extra)
            .output()
            .unwrap(),
    )
}

#[test]
fn serve_behaves_and_the_probe_says_what_it_could_not_prove() {
    let (dir, server) = serving();
    let endpoint = format!("http://{}", server.addr);
    let out = probe(dir.path(), &endpoint, &[]).ok();
    assert!(out.stdout.contains("behaves on 4 route(s)"), "{}", out.stdout);
    assert!(out.stdout.contains("not proven: route `GET /ping` has no scopes"), "{}", out.stdout);
    let j = json(&probe(dir.path(), &endpoint, &["--json"]).ok().stdout);
    assert_eq!(j["behaves"], true);
    assert_eq!(j["open"], false);
    let requests = j["requests"].as_array().unwrap();
    // Ten per protected route, the public GET, and two preflights per path.
    let cases: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r["route"].as_str().unwrap(), r["case"].as_str().unwrap()))
        .collect();
    for case in [
        "no_token",
        "malformed",
        "unknown_key",
        "forged_signature",
        "alg_none",
        "expired",
        "other_audience",
        "other_issuer",
        "issuer_with_slash",
        "missing_scope",
    ] {
        assert!(cases.contains(&("POST /items", case)), "{case}: {cases:?}");
    }
    let missing = requests
        .iter()
        .find(|r| r["route"] == "POST /items" && r["case"] == "missing_scope")
        .unwrap();
    assert_eq!(missing["status"], 403);
    assert!(
        missing["www_authenticate"].as_str().unwrap().contains("insufficient_scope"),
        "{missing}"
    );
    assert!(cases.contains(&("GET /health", "no_token")));
    assert!(requests.iter().any(|r| r["origin"] == "https://app.example.com"));
    // No token appears in what the probe prints.
    assert!(!out.stdout.contains("eyJ"), "{}", out.stdout);
    // Only some routes, by name; a route the stack does not have is a usage error before any request.
    let one = json(&probe(dir.path(), &endpoint, &["--json", "--route", "POST /items"]).ok().stdout);
    assert!(one["requests"].as_array().unwrap().iter().all(|r| r["route"] == "POST /items"));
    let bad = probe(dir.path(), &endpoint, &["--route", "GET /nope"]).code(64);
    assert!(bad.stderr.contains("route `GET /nope` is not in the stack"), "{}", bad.stderr);
    // The stack's tokens never go in clear over a network, nor with a fragment that would send every request
    // to `/`.
    let fragment = format!("{endpoint}/#x");
    for (url, why) in [
        ("http://api.example.com", "http sends the probe's tokens in clear"),
        ("https://u:p@api.example.com", "a user name or password"),
        (fragment.as_str(), "a query or fragment"),
        ("ftp://api.example.com", "not an http(s) URL"),
    ] {
        let refused = probe(dir.path(), url, &[]).code(64);
        assert!(refused.stderr.contains(why), "{url}: {}", refused.stderr);
    }
    drop(server);
}

#[test]
fn each_way_a_gateway_can_misbehave_fails_the_probe_naming_the_route() {
    let (dir, server) = serving();
    let target = format!("http://{}", server.addr);
    let cases = [
        (
            "no_token",
            "OPEN route `GET /items/{id}`",
            "a request without a token answered 200, want 401",
        ),
        ("malformed", "OPEN route", "a malformed token answered 200, want 401"),
        (
            "unknown_key",
            "OPEN route",
            "a token signed by a key that is not in the JWKS answered 200, want 401",
        ),
        (
            "forged_signature",
            "OPEN route",
            "a token with the stack's kid signed by another key answered 200, want 401",
        ),
        (
            "alg_none",
            "OPEN route",
            "an unsigned token (alg none) with the stack's kid answered 200, want 401",
        ),
        ("expired", "OPEN route", "an expired token answered 200, want 401"),
        (
            "other_audience",
            "OPEN route",
            "a token for another audience (jwtstack-probe-other-audience) answered 200, want 401",
        ),
        (
            "other_issuer",
            "OPEN route",
            "a token from another issuer (https://jwtstack-probe.invalid) answered 200, want 401",
        ),
        (
            "missing_scope",
            "OPEN route `POST /items`",
            "without the route's scopes (scope `jwtstack-probe`) answered 200, want 403",
        ),
        (
            "scope_401",
            "WRONG route `POST /items`",
            "answered 401 (www-authenticate: Bearer error=\"invalid_token\"), want 403",
        ),
        (
            "issuer_with_slash",
            "OPEN route",
            "a token whose issuer has a trailing slash answered 200, want 401",
        ),
        (
            "public_401",
            "WRONG route `GET /health`",
            "a request without a token answered 401 (www-authenticate: Bearer",
        ),
        (
            "not_found",
            "WRONG route `GET /items/{id}`",
            "a request without a token answered 404, want 401",
        ),
        (
            "cors",
            "WRONG route",
            "a preflight from https://jwtstack-probe.invalid for GET answered 204 (access-control-allow-origin: *)",
        ),
    ];
    let mut seen = Vec::new();
    for (how, tag, finding) in cases {
        let (gateway, port) = start_support("bad_gateway.py", &["--target", &target, "--misbehave", how]);
        let out = probe(dir.path(), &format!("http://127.0.0.1:{port}"), &[]).code(5);
        assert!(out.stdout.contains("does NOT behave"), "{how}: {}", out.stdout);
        assert!(out.stdout.contains(tag), "{how}: {}", out.stdout);
        assert!(out.stdout.contains(finding), "{how}: {}", out.stdout);
        let first = out.stdout.lines().nth(1).unwrap_or_default().trim().to_string();
        if tag.starts_with("OPEN") {
            assert!(
                first.starts_with("OPEN"),
                "{how}: an open route is the first finding:\n{}",
                out.stdout
            );
        } else {
            assert!(!out.stdout.contains("OPEN"), "{how}: no route is open:\n{}", out.stdout);
        }
        seen.push(format!("{how}: {first}"));
        let mut gateway = gateway;
        let _ = gateway.kill();
        let _ = gateway.wait();
    }
    eprintln!("misbehaving gateways:\n  {}", seen.join("\n  "));

    // A gateway that throttles: each throttled request is sent again, and the probe then passes.
    let (mut gateway, port) = start_support("bad_gateway.py", &["--target", &target, "--misbehave", "throttled"]);
    let out = probe(dir.path(), &format!("http://127.0.0.1:{port}"), &["--route", "POST /items"]).ok();
    assert!(out.stdout.contains("behaves on 1 route(s)"), "{}", out.stdout);
    let _ = gateway.kill();
    let _ = gateway.wait();
    drop(server);
}

#[test]
fn deploy_probes_the_gateway_it_is_told_to_and_fails_when_it_misbehaves() {
    let env = common::Env::new();
    env.write_stack(&common::stack_yaml(
        "probedeploy",
        "probedeploy-issuer-bucket",
        "name: probedeploy-api",
        None,
    ));
    env.run(&["deploy", "--no-probe"]).ok();
    // `serve` with the deployed JWKS stands in for the gateway; deploy signs the probe's tokens with the
    // deployed key (SSM).
    let server = Server::start(env.path(), &[], &[("AWS_ENDPOINT_URL", env.endpoint())]);
    let endpoint = format!("http://{}", server.addr);
    let out = env.run(&["deploy", "--json", "--probe-endpoint", &endpoint]).ok();
    let j = json(&out.stdout);
    assert!(j["probe_skipped"].is_null(), "{j}");
    assert_eq!(j["probe"]["behaves"], true, "{j}");
    let cases: Vec<&str> = j["probe"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["case"].as_str().unwrap())
        .collect();
    assert!(cases.contains(&"missing_scope") && cases.contains(&"expired"), "{cases:?}");
    assert!(!out.stdout.contains("eyJ") && !out.stderr.contains("eyJ"));
    let text = env.run(&["deploy", "--probe-endpoint", &endpoint]).ok();
    assert!(text.stderr.contains("behaves on 2 route(s)"), "{}", text.stderr);

    // A gateway that lets a request without a token through: deployed, but exit 5 naming the route.
    let (mut gateway, port) = start_support("bad_gateway.py", &["--target", &endpoint, "--misbehave", "no_token"]);
    let bad = env
        .run(&["deploy", "--probe-endpoint", &format!("http://127.0.0.1:{port}")])
        .code(5);
    assert!(bad.stderr.contains("OPEN route `GET /lists"), "{}", bad.stderr);
    assert!(
        bad.stderr.contains("the live gateway does not answer as the stack says"),
        "{}",
        bad.stderr
    );
    // A gateway in clear over a network is refused before any AWS call.
    env.run(&["deploy", "--probe-endpoint", "http://api.example.com"]).code(64);
    env.run(&["deploy", "--no-probe", "--probe-endpoint", &endpoint]).code(64);
    let _ = gateway.kill();
    let _ = gateway.wait();
    drop(server);
}

#[test]
fn deploy_on_an_emulator_says_the_probe_is_skipped() {
    let env = common::Env::new();
    env.write_stack(&common::stack_yaml("probed", "probed-issuer-bucket", "name: probed-api", None));
    let out = env.run(&["deploy"]).ok();
    assert!(
        out.stderr.contains("probe skipped: --endpoint-url sends AWS calls to an emulator"),
        "{}",
        out.stderr
    );
    let again = json(&env.run(&["deploy", "--json"]).ok().stdout);
    assert!(again["probe"].is_null());
    assert!(again["probe_skipped"].as_str().unwrap().contains("emulator"), "{again}");
    let skipped = json(&env.run(&["deploy", "--json", "--no-probe"]).ok().stdout);
    assert_eq!(skipped["probe_skipped"], "--no-probe");
}

#[test]
fn rotate_status_asks_the_named_gateway_whether_it_accepts_the_next_key() {
    let env = common::Env::new();
    env.write_stack(&common::stack_yaml(
        "rotprobe",
        "rotprobe-issuer-bucket",
        "name: rotprobe-api",
        None,
    ));
    env.run(&["deploy", "--no-probe"]).ok();
    // The JWKS as deployed before the rotation: the next key is not in it.
    let before = env
        .block_on(
            env.sdk()
                .s3
                .get_object()
                .bucket("rotprobe-issuer-bucket")
                .key(".well-known/jwks.json")
                .send(),
        )
        .unwrap();
    let before = env.block_on(before.body.collect()).unwrap().into_bytes();
    std::fs::write(env.path().join("before.json"), &before).unwrap();
    env.run(&["rotate", "start", "--kid", "rotprobe-k2"]).ok();

    // A gateway that still has the old JWKS refuses the next key's token with 401; one that has the new JWKS
    // (serve reads it from the deployed bucket) answers 403, the token lacking the route's scopes.
    let stale = Server::start(env.path(), &["--jwks", "before.json"], &[]);
    let fresh = Server::start(env.path(), &[], &[("AWS_ENDPOINT_URL", env.endpoint())]);
    let ask = |server: &Server| {
        let endpoint = format!("http://{}", server.addr);
        json(&env.run(&["rotate", "status", "--json", "--endpoint", &endpoint]).ok().stdout)["live_gateway"].clone()
    };
    let refused = ask(&stale);
    assert_eq!(refused["kid"], "rotprobe-k2", "{refused}");
    assert_eq!(refused["accepted"], false, "{refused}");
    assert!(refused["evidence"].as_str().unwrap().contains("got 401"), "{refused}");
    let accepted = ask(&fresh);
    assert_eq!(accepted["accepted"], true, "{accepted}");
    assert!(accepted["evidence"].as_str().unwrap().contains("got 403"), "{accepted}");
    let text = env
        .run(&["rotate", "status", "--endpoint", &format!("http://{}", fresh.addr)])
        .ok()
        .stdout;
    assert!(
        text.contains("Live gateway: a token of rotprobe-k2 without scopes got 403"),
        "{text}"
    );
    assert!(!text.contains("eyJ"), "{text}");

    // Without --endpoint, an emulator is not asked, and says so; a bad URL is a usage error.
    let unasked = json(&env.run(&["rotate", "status", "--json"]).ok().stdout)["live_gateway"].clone();
    assert_eq!(unasked["accepted"], serde_json::Value::Null, "{unasked}");
    assert!(
        unasked["evidence"].as_str().unwrap().contains("an emulator serves no API"),
        "{unasked}"
    );
    env.run(&["rotate", "status", "--endpoint", "ftp://x"]).code(64);
}
