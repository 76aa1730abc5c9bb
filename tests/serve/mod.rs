//! `jwtstack serve` end to end over real HTTP: API Gateway's answers, route matching, forwarding to an HTTP
//! upstream and to a local Lambda runtime (tests/support/upstream.py), payload 2.0 events, reloads, and a
//! server that keeps serving after malformed requests.

mod api_settings;
mod forwarding;
mod token_endpoint;

use crate::common;
use common::json;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jwtstack::crypto::documents;
use jwtstack::crypto::keys::SigningKey;

const STACK: &str = "name: grocery\nregion: us-east-1\nissuer:\n  bucket: grocery-issuer-serve\nkey_id: k1\naudience: [grocery-api]\napi:\n  name: grocery-api\nroutes:\n\
\x20 - route: GET /lists/{proxy+}\n    scopes: [lists.read]\n    integration:\n      http: https://example.com/lists/{proxy}\n\
\x20 - route: GET /lists/{id}\n    scopes: [lists.read]\n    integration:\n      http: https://example.com/one/{id}\n\
\x20 - route: GET /lists\n    scopes: [lists.read, lists.admin]\n    integration:\n      http: https://example.com/lists\n\
\x20 - route: POST /lists\n    scopes: [lists.write]\n    integration:\n      lambda: arn:aws:lambda:us-east-1:123456789012:function:w\n\
\x20 - route: PUT /lists\n    scopes: [lists.write]\n    integration:\n      lambda: arn:aws:lambda:us-east-1:123456789012:function:w\n\
\x20 - route: DELETE /lists\n    scopes: [lists.write]\n    integration:\n      lambda: arn:aws:lambda:us-east-1:123456789012:function:w\n\
\x20 - route: PATCH /lists\n    scopes: [lists.write]\n    integration:\n      lambda: arn:aws:lambda:us-east-1:123456789012:function:w\n";

/// A key, its PEM file and a JWKS file holding it, in `dir`.
fn key(dir: &Path, kid: &str, _seed: u64) -> (PathBuf, Vec<u8>) {
    let k = SigningKey::generate(kid, 2048).unwrap();
    let pem = dir.join(format!("{kid}.pem"));
    std::fs::write(&pem, k.to_pem().unwrap().as_bytes()).unwrap();
    (pem, documents::jwks(&[k.public_jwk()]))
}

/// A scratch directory holding STACK as stack.yaml and key k1 (seed 1) as k1.pem and jwks.json.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stack.yaml"), STACK).unwrap();
    let (pem, jwks) = key(dir.path(), "k1", 1);
    std::fs::write(dir.path().join("jwks.json"), jwks).unwrap();
    (dir, pem)
}

/// A token signed with `pem`; its kid is the stack file's key_id (`k1`, or `k2` from k2.yaml when the PEM is k2's).
fn token(dir: &Path, pem: &Path, scope: &str) -> String {
    let kid = pem.file_stem().unwrap().to_str().unwrap();
    let file = format!("{kid}.yaml");
    std::fs::write(dir.join(&file), STACK.replace("key_id: k1", &format!("key_id: {kid}"))).unwrap();
    let out = common::jwtstack_in(dir)
        .args([
            "token",
            "-f",
            &file,
            "--sub",
            "alice",
            "--scope",
            scope,
            "--claim",
            "groups=[\"a\",\"b\"]",
            "--key-file",
        ])
        .arg(pem)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
    log: PathBuf,
}

impl Server {
    pub(crate) fn start(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Server {
        let log = dir.join(format!("serve-{}.log", std::process::id() ^ rand::random::<u32>()));
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("jwtstack"));
        common::isolate_std(&mut c, dir);
        c.current_dir(dir)
            .envs(vars.iter().copied())
            .args(["serve", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        let mut child = c.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(
            line.starts_with("http://"),
            "serve printed {line:?}; log:\n{}",
            std::fs::read_to_string(&log).unwrap()
        );
        Server {
            child,
            addr: line.trim().trim_start_matches("http://").to_string(),
            log,
        }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends raw bytes, reads the answer until the server closes.
fn raw(addr: &str, request: &[u8]) -> Option<Answer> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(request);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(": ").map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    Some(Answer {
        status,
        headers,
        body: body.to_string(),
    })
}

fn request(addr: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> Answer {
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\nCookie: a=1; b=2\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw(addr, req.as_bytes()).expect("an HTTP answer")
}

fn upstream() -> (Child, u16) {
    common::start_support("upstream.py", &[])
}

/// `GET /lists` on a kept-alive connection; the status.
fn on(s: &mut TcpStream, token: &str) -> u16 {
    write!(s, "GET /lists HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n").unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let mut length = 0;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        if h.trim().is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).unwrap();
    status.split(' ').nth(1).unwrap().parse().unwrap()
}

fn wait_for(mut ok: impl FnMut() -> bool, what: &str) {
    let started = Instant::now();
    while !ok() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn answers_as_api_gateway_and_forwards_to_http_and_lambda_integrations() {
    let (dir, pem) = scratch();
    let d = dir.path();
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
            &format!("GET /lists/{{id}}={base}/http/one/{{id}}"),
            "--integration",
            &format!("GET /lists={base}/http/lists"),
            "--integration",
            &format!("POST /lists={base}/lambda/echo"),
            "--integration",
            &format!("PUT /lists={base}/lambda/bare"),
            "--integration",
            &format!("DELETE /lists={base}/lambda/badjson"),
            "--integration",
            &format!("PATCH /lists={base}/lambda/error"),
        ],
        &[],
    );
    let a = &server.addr;
    let read = token(d, &pem, "lists.read");
    let write = token(d, &pem, "lists.write");

    // No token: 401 as API Gateway answers it.
    let r = request(a, "GET", "/lists", None, "");
    assert_eq!((r.status, r.body.as_str()), (401, r#"{"message":"Unauthorized"}"#));
    assert!(r.header("www-authenticate").unwrap().contains(r#"error="invalid_token""#));
    // A bad signature: 401 with the reason.
    let mut bad = read.clone().into_bytes();
    let at = bad.len() - 10;
    bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();
    let r = request(a, "GET", "/lists", Some(&bad), "");
    assert_eq!(r.status, 401);
    assert!(
        r.header("www-authenticate").unwrap().contains("signature verification failed"),
        "{:?}",
        r.headers
    );
    // The wrong scope: 403 insufficient_scope.
    let r = request(a, "GET", "/lists", Some(&write), "");
    assert_eq!((r.status, r.body.as_str()), (403, r#"{"message":"Forbidden"}"#));
    assert_eq!(
        r.header("www-authenticate").unwrap(),
        r#"Bearer scope="lists.read lists.admin" error="insufficient_scope" error_description="expected scopes: [lists.read lists.admin]""#
    );
    // No route: 404.
    let r = request(a, "GET", "/nowhere", Some(&read), "");
    assert_eq!((r.status, r.body.as_str()), (404, r#"{"message":"Not Found"}"#));
    let r = request(a, "POST", "/lists/7", Some(&write), "");
    assert_eq!(r.status, 404, "POST has no /lists/{{...}} route");

    // The right scope: the upstream's answer, with path parameters substituted and the query passed on.
    let r = request(a, "GET", "/lists?sort=name", Some(&read), "");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-upstream"), Some("yes"));
    let echo = json(&r.body);
    assert_eq!(
        (echo["path"].as_str(), echo["query"].as_str()),
        (Some("/http/lists"), Some("sort=name"))
    );
    assert!(echo["headers"]["authorization"].as_str().unwrap().starts_with("Bearer "));
    assert_eq!(echo["headers"]["x-forwarded-for"], "127.0.0.1");
    // A parameter route beats the greedy one; the greedy one takes deeper paths, as in API Gateway.
    let echo = json(&request(a, "GET", "/lists/42", Some(&read), "").body);
    assert_eq!(echo["path"], "/http/one/42");
    let echo = json(&request(a, "GET", "/lists/42/items/9", Some(&read), "").body);
    assert_eq!(echo["path"], "/http/42/items/9");

    // A Lambda route: the payload 2.0 event, claims and scopes in API Gateway's shape.
    let r = request(a, "POST", "/lists?x=1&x=2", Some(&write), r#"{"name":"milk"}"#);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("x-fn"), Some("echo"));
    assert_eq!(r.header("set-cookie"), Some("session=1"));
    let ev = json(&r.body);
    assert_eq!(ev["version"], "2.0");
    assert_eq!(ev["routeKey"], "POST /lists");
    assert_eq!(ev["rawPath"], "/lists");
    assert_eq!(ev["rawQueryString"], "x=1&x=2");
    assert_eq!(ev["queryStringParameters"]["x"], "1,2");
    assert_eq!(ev["body"], r#"{"name":"milk"}"#);
    assert_eq!(ev["isBase64Encoded"], false);
    assert_eq!(ev["cookies"], serde_json::json!(["a=1", "b=2"]));
    assert_eq!(ev["requestContext"]["http"]["method"], "POST");
    assert_eq!(ev["requestContext"]["stage"], "$default");
    let jwt = &ev["requestContext"]["authorizer"]["jwt"];
    assert_eq!(jwt["scopes"], serde_json::json!(["lists.write"]));
    assert_eq!(jwt["claims"]["sub"], "alice");
    assert_eq!(jwt["claims"]["groups"], "[a b]", "arrays are flattened");
    assert!(jwt["claims"]["exp"].is_string(), "numbers arrive as strings");
    assert_eq!(jwt["claims"]["iss"], "https://grocery-issuer-serve.s3.us-east-1.amazonaws.com");
    // A bare JSON answer is a 200; bad JSON and a failed function are 500s.
    let r = request(a, "PUT", "/lists", Some(&write), "{}");
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"ok":true}"#));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let r = request(a, "DELETE", "/lists", Some(&write), "");
    assert_eq!((r.status, r.body.as_str()), (500, r#"{"message":"Internal Server Error"}"#));
    let r = request(a, "PATCH", "/lists", Some(&write), "");
    assert_eq!(r.status, 500);

    // Malformed requests: the server answers or closes, and keeps serving.
    let huge = format!(
        "GET /lists HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(12_000)
    );
    assert_eq!(raw(a, huge.as_bytes()).map(|r| r.status), Some(431));
    let _ = raw(a, b"\x16\x03\x01garbage\r\n\r\n");
    let _ = raw(a, b"GET /lists HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nshort");
    let r = request(a, "GET", "/lists", Some("not.a.token"), "");
    assert_eq!(r.status, 401);
    let r = request(a, "GET", "/lists", Some(&read), "");
    assert_eq!(r.status, 200, "still serving after malformed requests");

    // One access-log line per request.
    std::thread::sleep(Duration::from_millis(100));
    let log = server.log();
    assert!(
        log.contains(
            r#"GET /lists route="GET /lists" status=403 authorizer_error="insufficient scope: expected one of [lists.read lists.admin]""#
        ),
        "{log}"
    );
    assert!(log.contains(r#"GET /nowhere route=- status=404"#), "{log}");
    assert!(
        log.contains("status=500 integration_error=\"the function's answer is not JSON"),
        "{log}"
    );
    let _ = up.kill();
    let _ = up.wait();
}

#[test]
fn stack_file_and_keys_are_reloaded_without_a_restart() {
    let (dir, pem1) = scratch();
    let d = dir.path();
    let (mut up, port) = upstream();
    let server = Server::start(
        d,
        &[
            "--jwks",
            "jwks.json",
            "--json",
            "--integration",
            &format!("*=http://127.0.0.1:{port}/http"),
        ],
        &[],
    );
    let a = &server.addr;
    let read = token(d, &pem1, "lists.read");
    let (pem2, jwks2) = key(d, "k2", 2);
    let other = token(d, &pem2, "lists.read");
    assert_eq!(request(a, "GET", "/lists", Some(&read), "").status, 200);

    // A scope change in stack.yaml applies to the next requests, on the connections already open too.
    let mut kept = TcpStream::connect(a).unwrap();
    assert_eq!(on(&mut kept, &read), 200);
    std::fs::write(
        d.join("stack.yaml"),
        STACK.replace("scopes: [lists.read, lists.admin]", "scopes: [lists.admin]"),
    )
    .unwrap();
    wait_for(
        || request(a, "GET", "/lists", Some(&read), "").status == 403,
        "the new scopes apply",
    );
    assert_eq!(on(&mut kept, &read), 403, "the open connection was kept and sees the new routes");
    // An invalid stack file is reported; the previous routes stay.
    std::fs::write(d.join("stack.yaml"), "name: [").unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(request(a, "GET", "/lists", Some(&read), "").status, 403);
    assert!(server.log().contains("still serving the previous routes"), "{}", server.log());

    // A new key in the JWKS file: its tokens pass once the file is reloaded.
    let r = request(a, "GET", "/lists/1", Some(&other), "");
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().contains("unknown kid"), "{:?}", r.headers);
    std::fs::write(d.join("jwks.json"), jwks2).unwrap();
    wait_for(
        || request(a, "GET", "/lists/1", Some(&other), "").status == 200,
        "the new key is used",
    );
    assert!(server.log().contains("keys: reloaded 1 key(s)"), "{}", server.log());
    // JSON access log lines.
    let line = server.log().lines().find(|l| l.starts_with('{')).unwrap().to_string();
    let v = json(&line);
    assert!(
        v["latency_ms"].is_number() && v["status"].is_number() && v["route"].is_string(),
        "{v}"
    );
    let _ = up.kill();
    let _ = up.wait();
}

#[test]
fn serves_with_the_deployed_jwks_on_the_emulator() {
    let env = common::Env::new();
    env.write_stack(&STACK.replace(
        "lambda: arn:aws:lambda:us-east-1:123456789012:function:w",
        "http: https://example.com/w",
    ));
    env.run(&["deploy"]).ok();
    let t = env.run(&["token", "--sub", "alice", "--scope", "lists.read"]).ok().stdout;
    let (mut up, port) = upstream();
    let server = Server::start(
        env.path(),
        &["--integration", &format!("*=http://127.0.0.1:{port}/http")],
        &[("AWS_ENDPOINT_URL", env.moto.endpoint.as_str())],
    );
    let r = request(&server.addr, "GET", "/lists", Some(t.trim()), "");
    assert_eq!(r.status, 200, "{}", server.log());
    assert!(
        server
            .log()
            .contains("1 key(s) from s3://grocery-issuer-serve/.well-known/jwks.json"),
        "{}",
        server.log()
    );
    let _ = up.kill();
    let _ = up.wait();
}

#[test]
fn a_port_in_use_is_refused_with_the_way_out_before_any_key_is_read() {
    let (dir, _) = scratch();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    // The deployed JWKS, from an endpoint where nothing listens: only the port can be the reported problem.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = common::jwtstack_in(dir.path())
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{dead}"))
        .args(["serve", "--port", &port])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}: another program is listening there")) && err.contains("pass --port"),
        "{err}"
    );
}
