//! Reaching AWS, through the binary: no credentials, an unknown profile and a bad region explained; an
//! endpoint that never answers named while jwtstack waits; an answer the SDK cannot parse kept off stderr
//! (the answer to GetParameter is a private key).

use crate::common;

use std::process::Stdio;

use common::{Env, Proxy, jwtstack_in, stack_yaml};

const BUCKET: &str = "newcomer-issuer-test";

#[test]
fn no_credentials_an_unknown_profile_and_a_bad_region_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yaml"),
        stack_yaml("grocery", BUCKET, "name: grocery-api", None),
    )
    .unwrap();
    let profiles = dir.path().join("profiles");
    std::fs::write(&profiles, "[profile work]\nregion = us-east-1\n").unwrap();
    let run = |args: &[&str], with_keys: bool| {
        let mut c = jwtstack_in(dir.path());
        // Nothing listens here: a call that got as far as the network would fail otherwise.
        c.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9").env("AWS_CONFIG_FILE", &profiles);
        if !with_keys {
            c.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY");
        }
        common::Output::from(c.args(args).timeout(std::time::Duration::from_secs(120)).output().unwrap())
    };

    let none = run(&["plan"], false).code(1);
    assert!(none.stderr.contains("no AWS credentials were found"), "{}", none.stderr);
    assert!(none.stderr.contains("aws configure"), "{}", none.stderr);
    for dump in ["DispatchFailure", "ConnectorError", "ProviderChainError", "CredentialsNotLoaded"] {
        assert!(
            !none.stderr.contains(dump),
            "SDK debug output at the default verbosity: {}",
            none.stderr
        );
    }

    let profile = run(&["plan", "--profile", "nosuch"], true).code(1);
    assert!(profile.stderr.contains("profile `nosuch` does not exist"), "{}", profile.stderr);
    assert!(profile.stderr.contains("profiles found: work"), "{}", profile.stderr);

    let region = run(&["plan", "--region", "useast1"], true).code(1);
    assert!(region.stderr.contains("`useast1` is not an AWS region name"), "{}", region.stderr);
}

/// A loopback endpoint that takes connections and never answers.
pub(crate) fn silent_endpoint() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    addr
}

/// The first "still waiting" line `jwtstack plan` writes in `dir` while `endpoint` (`AWS_ENDPOINT_URL`) does not
/// answer; the run is then stopped.
pub(crate) fn still_waiting_line(dir: &std::path::Path, endpoint: &str) -> String {
    use std::io::BufRead;
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("jwtstack"));
    common::isolate_std(&mut c, dir);
    let mut child = c
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", endpoint)
        .arg("plan")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let started = std::time::Instant::now();
    let mut said = None;
    for line in stderr.lines().map_while(Result::ok) {
        if line.starts_with("still waiting: ") {
            said = Some(line);
            break;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    said.expect("nothing was said while waiting")
}

#[test]
fn an_endpoint_that_never_answers_is_named_while_jwtstack_waits() {
    let endpoint = format!("http://{}", silent_endpoint());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yaml"),
        stack_yaml("grocery", "hardening-issuer-test", "name: grocery-api", None),
    )
    .unwrap();
    let said = still_waiting_line(dir.path(), &endpoint);
    assert!(
        said.contains(&format!("at {endpoint}")) && said.contains("has not answered"),
        "{said}"
    );
}

#[test]
fn an_ssm_answer_the_sdk_cannot_parse_never_puts_the_private_key_on_stderr() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", "hardening-issuer-test", "name: grocery-api", None));
    env.run(&["deploy"]).ok();
    let (pem, _) = env.parameter_value("/jwtstack/grocery/keys/grocery-k1").unwrap();
    let secret_lines: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(secret_lines.len() > 10);

    // Every answer of SSM carries LastModifiedDate as a string: GetParameter (token) and
    // GetParametersByPath (every command that reads the inventory) fail to parse, with the decrypted key in
    // the body they could not parse.
    let proxy = Proxy::start(&env.moto.endpoint, &["--corrupt-ssm-dates"]);
    for args in [
        &["token", "--sub", "alice", "--scope", "lists.read"][..],
        &["token", "--sub", "alice", "--scope", "lists.read", "-vv"][..],
        &["plan"][..],
        &["plan", "-vv", "--json"][..],
        &["status"][..],
    ] {
        let out = env.run_via(&proxy.endpoint, args).code(1);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(!all.contains("PRIVATE KEY"), "{args:?} printed a key header:\n{all}");
        for line in &secret_lines {
            assert!(!all.contains(line), "{args:?} printed part of the private key:\n{all}");
        }
        assert!(
            out.stderr.contains("SSM") || out.stderr.contains("parameter"),
            "{args:?}: {}",
            out.stderr
        );
    }
}
