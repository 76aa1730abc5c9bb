//! `api.type: rest`: verify and serve decide as API Gateway's JWT authorizer for REST APIs, trusting the
//! stack's own issuer and a second one (the local HTTPS provider of the external tests), with required
//! claims; `probe` proves serve answers as that authorizer must; serve invokes a REST API's Lambda route with
//! its Lambda proxy event.

use std::io::{BufRead, Read, Write};
use std::process::{Child, Command, Stdio};

use crate::common;

use common::{Idp, Output, json};
use jwtstack::crypto::keys::SigningKey;

const OWN: &str = "https://issuer.shop.example.com";

/// A REST stack trusting `provider` (with a required claim) and an ES256 provider beside its own issuer.
fn stack(provider: &str, es256: &str) -> String {
    format!(
        "name: shop\nregion: us-east-1\nissuer:\n  bucket: shop-issuer-123\n  url: {OWN}\nkey_id: shop-k1\naudience: [shop-api]\n\
         api:\n  name: shop-api\n  type: rest\nroutes:\n\
         \x20 - route: GET /orders/{{id}}\n    scopes: [orders.read]\n    integration:\n      http: https://example.com/orders/{{id}}\n\
         \x20 - route: POST /orders\n    scopes: [orders.write]\n    integration:\n      lambda: arn:aws:lambda:us-east-1:123456789012:function:orders\n\
         require_claims:\n  - name: tenant\n    values: [acme]\n\
         trust:\n  - issuer: {provider}\n    audience: [shop-api]\n    require_claims:\n      - name: org\n        values: [org_1]\n\
         \x20 - issuer: {es256}\n    audience: [shop-api]\n"
    )
}

struct Dir {
    dir: tempfile::TempDir,
    ca: std::path::PathBuf,
}

impl Dir {
    fn new(idp: &Idp) -> Dir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stack.yaml"), stack(&idp.issuer("good"), &idp.issuer("ec"))).unwrap();
        let key = SigningKey::generate("shop-k1", 2048).unwrap();
        std::fs::write(dir.path().join("k1.pem"), key.to_pem().unwrap().as_bytes()).unwrap();
        std::fs::write(dir.path().join("jwks.json"), jwtstack::crypto::documents::jwks(&[key.public_jwk()])).unwrap();
        Dir {
            dir,
            ca: idp.ca_file.clone(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Output::from(
            common::jwtstack_in(self.dir.path())
                .env("SSL_CERT_FILE", &self.ca)
                .args(args)
                .timeout(std::time::Duration::from_secs(60))
                .output()
                .unwrap(),
        )
    }

    fn mint(&self, extra: &[&str]) -> String {
        let mut args = vec!["token", "--key-file", "k1.pem", "--sub", "alice", "--scope", "orders.read"];
        args.extend(extra);
        self.run(&args).ok().stdout.trim().to_string()
    }

    fn verify(&self, token: &str, route: &str, code: i32) -> serde_json::Value {
        json(
            &self
                .run(&["verify", token, "--route", route, "--jwks", "jwks.json", "--json"])
                .code(code)
                .stdout,
        )
    }
}

fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[test]
fn verify_accepts_each_trusted_issuer_and_refuses_a_missing_required_claim() {
    let idp = Idp::start();
    let d = Dir::new(&idp);
    let provider = idp.issuer("good");
    d.run(&["validate"]).ok();

    let ours = d.mint(&["--claim", "tenant=acme"]);
    let ok = d.verify(&ours, "GET /orders/7", 0);
    assert_eq!((ok["status"].as_u64(), ok["issuer"].as_str()), (Some(200), Some(OWN)), "{ok}");
    let text = d.run(&["verify", &ours, "--route", "GET /orders/7", "--jwks", "jwks.json"]).ok();
    assert!(text.stdout.contains(&format!("issuer: {OWN}")), "{}", text.stdout);

    let theirs = idp.token("sub=svc&scope=orders.read&aud=shop-api&claim_org=org_1");
    let ok = d.verify(&theirs, "GET /orders/7", 0);
    assert_eq!(ok["issuer"], provider.as_str(), "{ok}");
    assert_eq!(ok["kid"], "idp-k1");
    // ES256, signed by PyJWT: the authorizer's algorithms are its keys'.
    let es = idp.token_of("ec", "sub=svc&scope=orders.read&aud=shop-api");
    let ok = d.verify(&es, "GET /orders/7", 0);
    assert_eq!(
        (ok["issuer"].as_str(), ok["kid"].as_str()),
        (Some(idp.issuer("ec").as_str()), Some("ec-1")),
        "{ok}"
    );
    // An algorithm no trusted key has: refused before any key is looked at.
    let hs = format!(
        "{}.{}.sig",
        b64(r#"{"alg":"HS256","kid":"idp-k1"}"#),
        b64(&format!(r#"{{"iss":"{provider}"}}"#))
    );
    let no = d.verify(&hs, "GET /orders/7", 3);
    assert_eq!(no["reason"], "unsupported algorithm \"HS256\": the authorizer accepts RS256, ES256");

    // Each issuer's own rules: the stack's required claim, the provider's expected value, the provider's
    // audiences; a wrong scope is the only 403, and no WWW-Authenticate header is named for a REST API.
    let missing = d.verify(&d.mint(&[]), "GET /orders/7", 3);
    assert_eq!(
        (missing["status"].as_u64(), missing["reason"].as_str()),
        (Some(401), Some("required claim \"tenant\" is missing"))
    );
    assert!(missing.get("www_authenticate").is_none(), "{missing}");
    let other = d.verify(
        &idp.token("sub=svc&scope=orders.read&aud=shop-api&claim_org=org_2"),
        "GET /orders/7",
        3,
    );
    assert_eq!(other["reason"], "claim \"org\" does not have an expected value");
    let other = d.verify(
        &idp.token("sub=svc&scope=orders.read&client_id=shop-api&claim_org=org_1"),
        "GET /orders/7",
        3,
    );
    assert_eq!(
        other["reason"], "the token does not have a valid audience",
        "no client_id for REST APIs"
    );
    let scope = d.verify(&ours, "POST /orders", 3);
    assert_eq!(scope["status"], 403);

    // check reads each trusted issuer as the REST authorizer would: the ES256 provider's EC key is usable.
    // (The stack's own issuer URL is not served here, so check fails on it.)
    let report = json(&d.run(&["check", "--json"]).code(1).stdout);
    let trusted = report["trusted"].as_array().unwrap();
    assert_eq!(trusted.len(), 2, "{report}");
    assert_eq!(trusted[0]["kids"], serde_json::json!(["idp-k1"]));
    assert_eq!(trusted[1]["kids"], serde_json::json!(["ec-1"]));
    assert!(trusted.iter().all(|t| t["findings"].as_array().unwrap().is_empty()), "{report}");

    // A trusted issuer whose discovery document names another issuer: API Gateway would refuse it, and its
    // keys are not used.
    std::fs::write(d.dir.path().join("stack.yaml"), stack(&idp.issuer("mismatch"), &idp.issuer("ec"))).unwrap();
    let out = d.run(&["verify", &ours, "--jwks", "jwks.json"]).code(1);
    assert!(out.stderr.contains("error[issuer_mismatch]"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("API Gateway would refuse this issuer, so its keys are not used"),
        "{}",
        out.stderr
    );
}

#[test]
fn serve_sends_a_rest_apis_lambda_event_and_answers_its_failures_as_a_rest_api() {
    let idp = Idp::start();
    let d = Dir::new(&idp);
    let (mut up, port) = common::start_support("upstream.py", &[]);
    let base = format!("http://127.0.0.1:{port}");
    let lambda = |mode: &str| format!("POST /orders={base}/lambda/{mode}");
    let (mut server, addr) = serve(&d, &[lambda("echo")]);
    let writer = d
        .run(&[
            "token",
            "--key-file",
            "k1.pem",
            "--sub",
            "alice",
            "--scope",
            "orders.write",
            "--claim",
            "tenant=acme",
        ])
        .ok()
        .stdout;
    // Forwarding headers a client made up do not reach the function: serve's own stand in their place.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST /orders?q=1&q=2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nX-Forwarded-For: 203.0.113.9\r\n\
         Forwarded: for=203.0.113.9\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        writer.trim()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let event = json(answer.split("\r\n\r\n").nth(1).unwrap());
    // The Lambda proxy integration's input format, its claims with their JSON types.
    assert_eq!(
        (event["resource"].as_str(), event["path"].as_str()),
        (Some("/orders"), Some("/orders"))
    );
    assert_eq!(event["httpMethod"], "POST");
    assert_eq!(event["queryStringParameters"], serde_json::json!({"q": "2"}));
    assert_eq!(event["multiValueQueryStringParameters"], serde_json::json!({"q": ["1", "2"]}));
    assert_eq!(event["pathParameters"], serde_json::Value::Null);
    assert_eq!(event["headers"]["x-forwarded-for"], "127.0.0.1");
    assert!(event["headers"].get("forwarded").is_none(), "{event}");
    let context = &event["requestContext"];
    assert_eq!(
        (context["stage"].as_str(), context["path"].as_str()),
        (Some("live"), Some("/live/orders"))
    );
    let claims = &context["authorizer"]["claims"];
    assert_eq!((claims["sub"].as_str(), claims["tenant"].as_str()), (Some("alice"), Some("acme")));
    assert!(claims["exp"].is_u64(), "a number stays a number: {claims}");
    assert!(
        event.get("version").is_none() && event.get("routeKey").is_none(),
        "not payload 2.0: {event}"
    );
    // A path, or a method, the API lacks: a REST API's 403, before any token is read.
    for (method, path) in [("GET", "/nowhere"), ("DELETE", "/orders")] {
        let missing = request(&addr, method, path, "");
        assert!(missing.starts_with("HTTP/1.1 403"), "{missing}");
        assert!(missing.ends_with(r#"{"message":"Missing Authentication Token"}"#), "{missing}");
    }
    let _ = server.kill();
    let _ = server.wait();

    // A function that fails, or answers outside the format (a bare JSON value an HTTP API would take): 502.
    for mode in ["error", "bare", "badjson"] {
        let (mut server, addr) = serve(&d, &[lambda(mode)]);
        let answer = request(&addr, "POST", "/orders", writer.trim());
        assert!(answer.starts_with("HTTP/1.1 502"), "{mode}: {answer}");
        assert!(answer.ends_with(r#"{"message":"Internal server error"}"#), "{mode}: {answer}");
        let _ = server.kill();
        let _ = server.wait();
    }
    // Without a local runtime the route answers 500 (serve warns of it when it starts).
    let (mut server, addr) = serve(&d, &[]);
    let answer = request(&addr, "POST", "/orders", writer.trim());
    assert!(answer.starts_with("HTTP/1.1 500"), "{answer}");
    let _ = server.kill();
    let _ = server.wait();
    let _ = up.kill();
    let _ = up.wait();
}

/// `serve` with these `--integration` values.
fn serve(d: &Dir, integrations: &[String]) -> (Child, String) {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("jwtstack"));
    common::isolate_std(&mut c, d.dir.path());
    let mut args = vec!["serve", "--port", "0", "--jwks", "jwks.json"];
    for i in integrations {
        args.extend(["--integration", i]);
    }
    let mut child = c
        .current_dir(d.dir.path())
        .env("SSL_CERT_FILE", &d.ca)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (child, line.trim().trim_start_matches("http://").to_string())
}

/// A request with `Authorization: Bearer {token}`, or none when `token` is empty.
fn request(addr: &str, method: &str, path: &str, token: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let auth = if token.is_empty() {
        String::new()
    } else {
        format!("Authorization: Bearer {token}\r\n")
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_lets_each_trusted_issuers_token_through_and_answers_as_a_rest_api() {
    let idp = Idp::start();
    let d = Dir::new(&idp);
    let (mut up, port) = common::start_support("upstream.py", &[]);
    let (mut server, addr) = serve(
        &d,
        &[
            format!("GET /orders/{{id}}=http://127.0.0.1:{port}/http/{{id}}"),
            format!("POST /orders=http://127.0.0.1:{port}/lambda/echo"),
        ],
    );

    let ours = d.mint(&["--claim", "tenant=acme"]);
    let theirs = idp.token("sub=svc&scope=orders.read&aud=shop-api&claim_org=org_1");
    assert!(request(&addr, "GET", "/orders/7", &ours).starts_with("HTTP/1.1 200"));
    assert!(request(&addr, "GET", "/orders/7", &theirs).starts_with("HTTP/1.1 200"));
    let es = idp.token_of("ec", "sub=svc&scope=orders.read&aud=shop-api");
    assert!(request(&addr, "GET", "/orders/7", &es).starts_with("HTTP/1.1 200"));
    for token in [d.mint(&[]), String::new()] {
        let refused = request(&addr, "GET", "/orders/7", &token);
        assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
        assert!(refused.ends_with(r#"{"message":"Unauthorized"}"#), "{refused}");
        assert!(!refused.to_ascii_lowercase().contains("www-authenticate"), "{refused}");
    }
    let forbidden = request(&addr, "POST", "/orders", &ours);
    assert!(forbidden.starts_with("HTTP/1.1 403"), "{forbidden}");
    assert!(forbidden.ends_with(r#"{"message":"Forbidden"}"#), "{forbidden}");
    assert!(!forbidden.to_ascii_lowercase().contains("www-authenticate"), "{forbidden}");

    // The probe, against serve, as it would run against the deployed REST API: its tokens carry the required
    // claim; one without it, and one of the stack's key naming a trusted issuer, must be refused.
    let probe = d.run(&["probe", "--endpoint", &format!("http://{addr}"), "--key-file", "k1.pem", "--json"]);
    let report = json(&probe.stdout);
    assert_eq!(probe.code, 0, "{report}\n{}", probe.stderr);
    let cases: Vec<&str> = report["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["route"] == "GET /orders/{id}")
        .map(|r| r["case"].as_str().unwrap())
        .collect();
    for case in ["missing_claim", "trusted_issuer_own_key", "missing_scope", "forged_signature"] {
        assert!(cases.contains(&case), "{case}: {report}");
    }
    assert_eq!(
        cases.iter().filter(|c| **c == "trusted_issuer_own_key").count(),
        2,
        "one per trusted issuer: {report}"
    );

    let _ = server.kill();
    let _ = server.wait();
    let _ = up.kill();
    let _ = up.wait();
}

#[test]
fn a_deployed_stack_switched_to_the_other_api_type_is_refused_and_left_as_it_is() {
    let env = common::Env::new();
    let http = common::stack_yaml("grocery", "grocery-switch-issuer", "name: grocery-api", None);
    // A stack a REST API could hold (no `$default`, one variable child per resource).
    let rest = http.replace("  name: grocery-api\n", "  name: grocery-api\n  type: rest\n");
    // Deployed as one type, the file then saying the other: refused by plan, deploy and teardown alike.
    for (deployed, switched, found) in [(&http, &rest, "an HTTP API"), (&rest, &http, "a REST API")] {
        env.write_stack(deployed);
        env.run(&["deploy", "--no-probe"]).ok();
        env.write_stack(switched);
        for args in [&["plan"][..], &["deploy", "--no-probe"], &["teardown", "--yes"]] {
            let out = env.run(args).code(1);
            assert!(
                out.stderr.contains(found)
                    && out.stderr.contains("does not replace an API in one deploy")
                    && out.stderr.contains("Nothing was changed"),
                "{args:?}: {}",
                out.stderr
            );
        }
        env.write_stack(deployed);
        env.run(&["plan", "--detailed-exitcode"]).code(0);
        env.run(&["teardown", "--yes"]).ok();
    }
}
