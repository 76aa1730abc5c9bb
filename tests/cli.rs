//! The binary without AWS: invalid stack files, usage errors, help text, exit codes.

use crate::common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid")
}

/// The binary, isolated from the developer's AWS settings, with an endpoint where nothing listens:
/// any AWS call would fail with exit 1, so exit 65 proves none was made.
fn jwtstack(dir: &Path) -> assert_cmd::Command {
    let mut c = common::jwtstack_in(dir);
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    c.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"));
    c
}

/// A loopback endpoint that counts the connections made to it and answers none.
fn counting_endpoint() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    (format!("http://{addr}"), count)
}

/// Every command that reads the stack file.
const COMMANDS: [&str; 12] = [
    "validate", "deploy", "plan", "teardown", "token", "verify", "outputs", "unlock", "rotate", "status", "keys", "serve",
];

#[test]
fn every_invalid_stack_file_is_rejected_before_any_aws_call() {
    let dir = tempfile::tempdir().unwrap();
    let (endpoint, connections) = counting_endpoint();
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures()).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    assert!(names.len() >= 40, "{} fixtures", names.len());
    // A 10 MB file is made here rather than kept in the repository.
    let huge = dir.path().join("huge.yaml");
    std::fs::write(&huge, "# padding\n".repeat(1_100_000)).unwrap();
    names.push(huge);
    let tests_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut tried = 0;
    for path in &names {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let file = if name == "huge" {
            path.display().to_string()
        } else {
            format!("fixtures/invalid/{name}.yaml")
        };
        for command in COMMANDS {
            let mut args = vec![command, "-f", &file];
            match command {
                "teardown" | "unlock" => args.push("--yes"),
                "rotate" => args.extend(["activate", "--force"]),
                "keys" => args.extend(["delete", "old", "--yes"]),
                "token" => args.extend(["--sub", "alice"]),
                "verify" => args.push("x.y.z"),
                _ => {}
            }
            let out = jwtstack(dir.path())
                .env("AWS_ENDPOINT_URL", &endpoint)
                .current_dir(&tests_dir)
                .args(&args)
                .timeout(std::time::Duration::from_secs(20))
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(65),
                "{name} ({command}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.stdout.is_empty(), "{name}: stdout must stay empty on error");
            tried += 1;
            if command == "validate" {
                let stderr = String::from_utf8(out.stderr).unwrap();
                assert!(stderr.starts_with(&format!("error: {file}:")), "{name}: {stderr}");
                if name != "huge" {
                    insta::assert_snapshot!(format!("invalid_{name}"), stderr);
                } else {
                    assert!(stderr.contains("a stack file is at most 1048576 bytes"), "{stderr}");
                }
            }
        }
    }
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "an invalid stack file led to an AWS call"
    );
    eprintln!(
        "invalid stack files: {} files x {} commands = {tried} runs, all exit 65, 0 AWS connections",
        names.len(),
        COMMANDS.len()
    );
}

#[test]
fn a_valid_stack_reaches_aws_and_a_dead_endpoint_is_exit_1() {
    // The control for the test above: with a valid file, the same dead endpoint fails at the first AWS call.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stack.yaml"),
        dir.path().join("stack.yaml"),
    )
    .unwrap();
    let out = jwtstack(dir.path())
        .args(["plan"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--endpoint-url"), "{stderr}");
}

#[test]
fn validate_accepts_the_example_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stack.yaml"),
        dir.path().join("stack.yaml"),
    )
    .unwrap();
    let out = jwtstack(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "stack.yaml: valid stack `grocery` with 3 route(s)\n"
    );
    let out = jwtstack(dir.path()).args(["validate", "--json"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"routes":3,"stack":"grocery","valid":true}"#
    );
}

#[test]
fn a_missing_stack_file_is_exit_65_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = jwtstack(dir.path()).arg("plan").output().unwrap();
    assert_eq!(out.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read the stack file") && stderr.contains("hint: pass the stack file with -f PATH"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_are_exit_64() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["deploy", "--no-such-flag"],
        vec!["frobnicate"],
        vec![],
        vec!["token"],
        vec!["verify"],
    ] {
        let out = jwtstack(dir.path()).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}");
    }
    let out = jwtstack(dir.path()).arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Bad values found after parsing are usage errors too.
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stack.yaml"),
        dir.path().join("stack.yaml"),
    )
    .unwrap();
    let out = jwtstack(dir.path())
        .args(["token", "--sub", "a", "--ttl", "soon", "--key-file", "x.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let out = jwtstack(dir.path())
        .args(["verify", "x", "--route", "lists", "--jwks", "nope.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn offline_token_and_verify_with_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stack.yaml"),
        dir.path().join("stack.yaml"),
    )
    .unwrap();
    let key = jwtstack::crypto::keys::SigningKey::generate("grocery-2026-11", 2048).unwrap();
    std::fs::write(dir.path().join("key.pem"), key.to_pem().unwrap().as_bytes()).unwrap();
    std::fs::write(dir.path().join("jwks.json"), jwtstack::crypto::documents::jwks(&[key.public_jwk()])).unwrap();
    let out = jwtstack(dir.path())
        .args([
            "token",
            "--sub",
            "alice",
            "--scope",
            "lists.write",
            "--key-file",
            "key.pem",
            "--claim",
            "tier=3",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let out = jwtstack(dir.path())
        .args(["verify", "-", "--route", "POST /lists", "--jwks", "jwks.json", "--json"])
        .write_stdin(format!("Bearer {token}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["claims"]["tier"], 3);
    assert_eq!(v["route"], "POST /lists");
    let out = jwtstack(dir.path())
        .args(["verify", &token, "--route", "GET /lists", "--jwks", "jwks.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("DENIED 403"));
}

#[test]
fn help_text_of_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in std::iter::once(None).chain(common::COMMANDS.iter().copied().map(Some)) {
        let mut c = jwtstack(dir.path());
        c.env("COLUMNS", "100");
        if let Some(cmd) = cmd {
            c.args(cmd.split(' '));
        }
        let out = c.arg("--help").output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Example"), "{cmd:?} has no example");
        insta::assert_snapshot!(format!("help_{}", cmd.unwrap_or("main").replace(' ', "_")), text);
    }
}

/// A loopback HTTP server for the JWKS-over-URL tests: `/jwks.json`, `/slow` (answers after 2.5 s),
/// `/big` (150,001 bytes), anything else 404. It serves until the test process ends.
fn jwks_server(jwks: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let jwks = jwks.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 2048];
                let n = stream.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = request.split(' ').nth(1).unwrap_or("/").to_string();
                let (status, body) = match path.as_str() {
                    "/jwks.json" => ("200 OK", jwks),
                    "/slow" => {
                        std::thread::sleep(std::time::Duration::from_millis(2500));
                        ("200 OK", jwks)
                    }
                    "/big" => ("200 OK", vec![b' '; 150_001]),
                    _ => ("404 Not Found", b"{}".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn verify_with_a_jwks_url_and_api_gateway_limits() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stack.yaml"),
        dir.path().join("stack.yaml"),
    )
    .unwrap();
    let key = jwtstack::crypto::keys::SigningKey::generate("grocery-2026-11", 2048).unwrap();
    std::fs::write(dir.path().join("key.pem"), key.to_pem().unwrap().as_bytes()).unwrap();
    let base = jwks_server(jwtstack::crypto::documents::jwks(&[key.public_jwk()]));
    let out = jwtstack(dir.path())
        .args(["token", "--sub", "alice", "--scope", "lists.read", "--key-file", "key.pem"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let out = jwtstack(dir.path())
        .args([
            "verify",
            &token,
            "--route",
            "GET /lists/1",
            "--jwks-url",
            &format!("{base}/jwks.json"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for (path, expected) in [
        ("/slow", "no answer within 1500 ms"),
        ("/big", "over 150000 bytes"),
        ("/missing", "HTTP 404"),
    ] {
        let out = jwtstack(dir.path())
            .args(["verify", &token, "--jwks-url", &format!("{base}{path}")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{path}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{path}: {stderr}");
    }
    let out = jwtstack(dir.path())
        .args(["verify", &token, "--jwks-url", "ftp://x/jwks.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn init_writes_a_commented_valid_stack_file_and_never_overwrites_one() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "init",
        "--name",
        "shop",
        "--bucket",
        "shop-issuer-7f3a",
        "--audience",
        "shop-api",
        "--key-id",
        "shop-2026-11",
        "--route",
        "GET /orders/{id}",
        "--scope",
        "orders.read",
        "--integration",
        "https://orders.example.com/orders/{id}",
    ];
    let out = jwtstack(dir.path()).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(dir.path().join("stack.yaml")).unwrap();
    insta::assert_snapshot!("init_stack_yaml", text);
    let schema = std::fs::read_to_string(dir.path().join("stack.schema.json")).unwrap();
    assert_eq!(schema, jwtstack::config::schema_json());
    let ok = jwtstack(dir.path()).arg("validate").output().unwrap();
    assert_eq!(ok.status.code(), Some(0));
    // An existing file is kept unless --force.
    std::fs::write(dir.path().join("stack.yaml"), "# mine\n").unwrap();
    let again = jwtstack(dir.path()).args(args).output().unwrap();
    assert_eq!(again.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&again.stderr).contains("pass --force"));
    assert_eq!(std::fs::read_to_string(dir.path().join("stack.yaml")).unwrap(), "# mine\n");
    let forced = jwtstack(dir.path()).args(args).arg("--force").output().unwrap();
    assert_eq!(forced.status.code(), Some(0));
    // A bad answer is refused with its position, and nothing is written.
    let bad = jwtstack(dir.path())
        .args(["-f", "bad.yaml", "init", "--name", "Shop!"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(65));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("bad.yaml:6:7: stack name `Shop!`"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(!dir.path().join("bad.yaml").exists());
}

#[test]
fn the_committed_schema_is_the_one_jwtstack_prints() {
    let dir = tempfile::tempdir().unwrap();
    let out = jwtstack(dir.path()).arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let printed = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/stack.schema.json")).unwrap();
    assert_eq!(
        printed, committed,
        "stack.schema.json is stale: run `cargo run -- schema > stack.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&printed).unwrap();
    let props = schema["properties"].as_object().unwrap();
    for field in [
        "name",
        "region",
        "issuer",
        "key_id",
        "next_key",
        "previous_keys",
        "key_bits",
        "audience",
        "token_max_ttl",
        "api",
        "routes",
    ] {
        assert!(props.contains_key(field), "{field} is not in the schema");
    }
    assert_eq!(schema["additionalProperties"], false);
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/stack.yaml")).unwrap();
    assert!(example.starts_with("# yaml-language-server: $schema=stack.schema.json\n"));
}

#[test]
fn completions_and_man_page() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = jwtstack(dir.path()).args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        for word in ["jwtstack", "deploy", "rotate", "serve", "endpoint-url"] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = jwtstack(dir.path()).args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let out = jwtstack(dir.path()).arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(
        man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH jwtstack"),
        "{}",
        &man[..200.min(man.len())]
    );
    for word in ["deploy", "rotate", "Exit codes"] {
        assert!(man.contains(word), "man page lacks {word}");
    }
}

#[test]
fn init_asks_on_a_terminal() {
    // A pseudo-terminal (Python's pty) stands in for a person: Enter takes a default, text replaces it.
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.chdir(sys.argv[2])
    os.execv(sys.argv[1], [sys.argv[1], "init", "--key-id", "shop-2026-11"])
os.write(fd, b"shop\nshop-issuer-7f3a\n\nGET /orders/{id}\norders.read\n\n")
out = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(assert_cmd::cargo::cargo_bin("jwtstack"))
        .arg(dir.path())
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    for prompt in [
        "Stack name [",
        "Issuer bucket (globally unique) [",
        "Audience (client id) [shop-api]",
        "First route [GET /hello]",
    ] {
        assert!(shown.contains(prompt), "{prompt}: {shown}");
    }
    let text = std::fs::read_to_string(dir.path().join("stack.yaml")).unwrap();
    assert!(text.contains("name: shop\n"), "{text}");
    assert!(text.contains("bucket: shop-issuer-7f3a\n"), "{text}");
    assert!(text.contains("audience: [shop-api]"), "the default was taken: {text}");
    assert!(text.contains("- route: GET /orders/{id}"), "{text}");
    assert!(text.contains("http: https://example.com/hello"), "{text}");
}

#[test]
fn export_openapi_prints_the_definition_deploy_imports_offline() {
    let dir = tempfile::tempdir().unwrap();
    let stack = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stack.yaml")).unwrap();
    std::fs::write(dir.path().join("stack.yaml"), &stack).unwrap();
    // No AWS call: the endpoint counts connections.
    let (endpoint, count) = counting_endpoint();
    let out = common::jwtstack_in(dir.path())
        .env("AWS_ENDPOINT_URL", &endpoint)
        .args(["export-openapi", "--region", "eu-west-1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(doc["openapi"], "3.0.1");
    assert_eq!(doc["info"]["title"], "grocery-api");
    let scheme = &doc["components"]["securitySchemes"]["grocery-jwt"]["x-amazon-apigateway-authorizer"];
    assert_eq!(scheme["jwtConfiguration"]["audience"][0], "grocery-api");
    assert_eq!(doc["paths"]["/lists"]["post"]["security"][0]["grocery-jwt"][0], "lists.write");
    // The flag names the region over the stack file's: the Lambda invocation URI is the API's region's.
    assert!(String::from_utf8_lossy(&out.stdout).contains("arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"));
    // Without --region the stack file's region; without either, a usage error that says what to give.
    let out = common::jwtstack_in(dir.path()).args(["export-openapi"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("arn:aws:apigateway:us-east-1:lambda:"));
    std::fs::write(dir.path().join("stack.yaml"), stack.replace("region: us-east-1\n", "")).unwrap();
    let out = common::jwtstack_in(dir.path())
        .env_remove("AWS_REGION")
        .args(["export-openapi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--region"));
}

/// A public route with two path variables takes two-segment paths from a protected greedy route (a path
/// variable beats a greedy one, as API Gateway routes): `validate` warns.
#[test]
fn validate_warns_of_a_public_route_that_takes_a_greedy_routes_deeper_paths() {
    let dir = tempfile::tempdir().unwrap();
    let out = jwtstack(dir.path())
        .args([
            "-f",
            &format!(
                "{}/tests/fixtures/public_route_shadowing_a_greedy_path.yaml",
                env!("CARGO_MANIFEST_DIR")
            ),
            "validate",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("public route `GET /files/{a}/{b}` takes `GET /files/x/x`, a path of protected route `GET /files/{proxy+}`"),
        "{stderr}"
    );
    // A public route of one literal path under a protected catch-all is deliberate: no warning.
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/public_route_shadowing_a_greedy_path.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("GET /files/{a}/{b}", "GET /files/health")
    .replace("https://example.com/{a}/{b}", "https://example.com/health");
    std::fs::write(dir.path().join("stack.yaml"), text).unwrap();
    let out = jwtstack(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
