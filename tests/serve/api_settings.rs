//! Public routes and CORS, as API Gateway applies them.

use super::*;

/// Public routes and CORS as API Gateway applies them: a public route needs no token (and its request carries
/// no claims); a preflight no route takes is answered by the gateway with the configured headers for an allowed
/// origin and none for a refused one; every response to an allowed origin carries the configured CORS headers
/// (401s included), the integration's own CORS headers are dropped, and a refused origin gets none.
#[test]
fn public_routes_and_cors_as_api_gateway_applies_them() {
    let (dir, pem) = scratch();
    let d = dir.path();
    let with_public = STACK.to_string()
        + "  - route: POST /login\n    auth: none\n    integration:\n      lambda: arn:aws:lambda:us-east-1:123456789012:function:login\n\
           cors:\n  allow_origins: [https://app.example.com]\n  allow_methods: [GET, POST]\n  allow_headers: [authorization, content-type]\n\
          \x20 expose_headers: [x-request-id]\n  max_age: 600\n  allow_credentials: true\nthrottling: {rate: 5, burst: 10}\n";
    std::fs::write(d.join("stack.yaml"), &with_public).unwrap();
    let (mut up, port) = upstream();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server::start(
        d,
        &[
            "--jwks",
            "jwks.json",
            "--integration",
            &format!("*={base}/http/{{proxy}}"),
            "--integration",
            &format!("GET /lists={base}/http/lists"),
            "--integration",
            &format!("POST /login={base}/lambda/echo"),
        ],
        &[],
    );
    let a = &server.addr;
    wait_for(
        || server.log().contains("throttling is not emulated"),
        "the note that throttling is not emulated",
    );

    // The public route: no token, no claims in the event.
    let r = request(a, "POST", "/login", None, r#"{"user":"alice"}"#);
    assert_eq!(r.status, 201, "{}", r.body);
    let event = json(&r.body);
    assert!(event["requestContext"].get("authorizer").is_none(), "{event}");
    assert_eq!(event["routeKey"], "POST /login");

    let preflight = |origin: &str, method: &str, headers: &str| {
        let req = format!(
            "OPTIONS /lists HTTP/1.1\r\nHost: localhost\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: {method}\r\n\
             Access-Control-Request-Headers: {headers}\r\nConnection: close\r\n\r\n"
        );
        raw(a, req.as_bytes()).expect("an answer")
    };
    let ok = preflight("https://app.example.com", "GET", "authorization");
    assert_eq!(ok.status, 204);
    assert_eq!(ok.header("access-control-allow-origin"), Some("https://app.example.com"));
    assert_eq!(ok.header("access-control-allow-methods"), Some("GET,POST"));
    assert_eq!(ok.header("access-control-allow-headers"), Some("authorization,content-type"));
    assert_eq!(ok.header("access-control-max-age"), Some("600"));
    assert_eq!(ok.header("access-control-allow-credentials"), Some("true"));
    for refused in [
        preflight("https://evil.example", "GET", "authorization"),
        preflight("https://app.example.com", "DELETE", "authorization"),
        preflight("https://app.example.com", "GET", "x-secret"),
    ] {
        assert_eq!(refused.status, 204);
        assert!(refused.header("access-control-allow-origin").is_none(), "{:?}", refused.headers);
    }

    // A simple request: the configured headers for an allowed origin, on a 200 and on a 401.
    let read = token(d, &pem, "lists.read");
    let get = |origin: &str, token: Option<&str>| {
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let req = format!("GET /lists HTTP/1.1\r\nHost: localhost\r\nOrigin: {origin}\r\n{auth}Connection: close\r\n\r\n");
        raw(a, req.as_bytes()).expect("an answer")
    };
    let r = get("https://app.example.com", Some(&read));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example.com"));
    assert_eq!(r.header("access-control-expose-headers"), Some("x-request-id"));
    let r = get("https://app.example.com", None);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example.com"));
    let r = get("https://evil.example", Some(&read));
    assert_eq!(r.status, 200);
    assert!(r.header("access-control-allow-origin").is_none(), "{:?}", r.headers);
    let _ = up.kill();
}

/// `https://*` allows any origin starting with `https://`, as API Gateway documents it ("Configure CORS for HTTP
/// APIs"), and no `http://` one; with credentials it is refused in the stack file.
#[test]
fn a_schemes_wildcard_origin_matches_as_api_gateway_matches_it() {
    let (dir, _pem) = scratch();
    let d = dir.path();
    let wildcard = STACK.to_string() + "cors:\n  allow_origins: [\"https://*\"]\n  allow_methods: [GET]\n";
    std::fs::write(d.join("stack.yaml"), &wildcard).unwrap();
    let server = Server::start(d, &["--jwks", "jwks.json"], &[]);
    let preflight = |origin: &str| {
        let req = format!(
            "OPTIONS /lists HTTP/1.1\r\nHost: localhost\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n"
        );
        raw(&server.addr, req.as_bytes()).expect("an answer")
    };
    let any_https = preflight("https://anyone.example");
    assert_eq!(any_https.header("access-control-allow-origin"), Some("https://anyone.example"));
    assert!(preflight("http://anyone.example").header("access-control-allow-origin").is_none());
    drop(server);

    let with_credentials = wildcard.replace("allow_methods: [GET]\n", "allow_methods: [GET]\n  allow_credentials: true\n");
    std::fs::write(d.join("stack.yaml"), with_credentials).unwrap();
    let out = crate::common::jwtstack_in(d).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("allow_origins `https://*` with allow_credentials: true"),
        "{stderr}"
    );
    let other = wildcard.replace("\"https://*\"", "\"https://*.example.com\"");
    std::fs::write(d.join("stack.yaml"), other).unwrap();
    let out = crate::common::jwtstack_in(d).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a wildcard API Gateway does not document"));
}
