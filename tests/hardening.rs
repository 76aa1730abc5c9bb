//! What an outside review found: no secret in any error, and no panic when the reader of stdout goes away.

use crate::common;

use std::process::Stdio;

use common::{Env, Proxy, jwtstack_in, stack_yaml};

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

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yaml"),
        stack_yaml("grocery", "hardening-issuer-test", "name: grocery-api", None),
    )
    .unwrap();
    for args in [
        &["validate"][..],
        &["schema"][..],
        &["schema", "--output"][..],
        &["completions", "bash"][..],
        &["man"][..],
    ] {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("jwtstack"));
        common::isolate_std(&mut c, dir.path());
        let mut child = c
            .current_dir(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader closes at once, as `| head -0` or `| grep -q` do.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        assert!(stderr.is_empty(), "{args:?} said something on a broken pipe: {stderr}");
        assert_eq!(out.status.code(), Some(141), "{args:?}");
    }
    // With a reader, the same commands succeed.
    let out = jwtstack_in(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_jwks_with_keys_api_gateway_skips_still_verifies_with_its_usable_key() {
    use jwtstack::crypto::keys::SigningKey;
    use jwtstack::crypto::token::{MintRequest, mint};

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yaml"),
        stack_yaml("grocery", "hardening-issuer-test", "name: grocery-api", None),
    )
    .unwrap();
    let key = SigningKey::generate("grocery-k1", 2048).unwrap();
    let good = serde_json::to_value(key.public_jwk()).unwrap();
    let mut kidless = good.clone();
    kidless.as_object_mut().unwrap().remove("kid");
    let ec = serde_json::json!({"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
    let jwks = serde_json::json!({"keys": [ec, kidless, good]});
    std::fs::write(dir.path().join("jwks.json"), jwks.to_string()).unwrap();
    let req = MintRequest {
        issuer: "https://hardening-issuer-test.s3.us-east-1.amazonaws.com".into(),
        audience: vec!["grocery-api".into()],
        subject: "alice".into(),
        scopes: vec!["lists.read".into()],
        ttl_seconds: 600,
        ..Default::default()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = mint(&key, &req, now, &mut rand::rngs::OsRng).unwrap();
    let out = jwtstack_in(dir.path())
        .args(["verify", &token, "--route", "GET /lists", "--jwks", "jwks.json", "-v"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.starts_with("ALLOWED 200"), "{stdout}");
    assert!(stderr.contains("kty EC") && stderr.contains("no kid"), "{stderr}");
}

#[test]
fn a_second_stack_on_a_bucket_another_stack_owns_is_refused_and_changes_nothing() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", "shared-issuer-test", "name: grocery-api", None));
    env.run(&["deploy"]).ok();
    let token = env.run(&["token", "--sub", "alice", "--scope", "lists.read"]).ok().stdout;
    std::fs::write(
        env.path().join("pantry.yaml"),
        stack_yaml("pantry", "shared-issuer-test", "name: pantry-api", None),
    )
    .unwrap();
    let want = "bucket shared-issuer-test is the issuer bucket of stack `grocery` (its jwtstack:stack tag), not of stack `pantry`";
    let plan = env.run(&["plan", "-f", "pantry.yaml"]).code(1);
    assert!(plan.stderr.contains(want), "{}", plan.stderr);
    let deploy = env.run(&["deploy", "-f", "pantry.yaml", "--stats"]).code(1);
    assert!(deploy.stderr.contains(want), "{}", deploy.stderr);
    assert_eq!(deploy.writes(), 0, "{}", deploy.stderr);
    let down = env.run(&["teardown", "-f", "pantry.yaml", "--yes", "--stats"]).code(1);
    assert!(down.stderr.contains(want), "{}", down.stderr);
    assert_eq!(down.writes(), 0, "{}", down.stderr);
    // The first stack's tokens still verify against its untouched JWKS.
    env.run(&["verify", token.trim(), "--route", "GET /lists"]).ok();
    env.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn an_endpoint_that_never_answers_is_named_while_jwtstack_waits() {
    use std::io::BufRead;
    // A loopback endpoint that takes connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yaml"),
        stack_yaml("grocery", "hardening-issuer-test", "name: grocery-api", None),
    )
    .unwrap();
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("jwtstack"));
    common::isolate_std(&mut c, dir.path());
    let mut child = c
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", &endpoint)
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
    let said = said.expect("nothing was said while waiting");
    assert!(
        said.contains(&format!("at {endpoint}")) && said.contains("has not answered"),
        "{said}"
    );
}

#[test]
fn two_stacks_creating_one_bucket_at_once_end_with_one_owner() {
    let env = Env::new();
    for name in ["grocery", "pantry"] {
        std::fs::write(
            env.path().join(format!("{name}.yaml")),
            stack_yaml(name, "contested-issuer-test", &format!("name: {name}-api"), None),
        )
        .unwrap();
    }
    // Both plan to create the bucket; the claim, put without overwrite, lets only one of them go on.
    let runs: Vec<std::process::Child> = ["grocery", "pantry"]
        .iter()
        .map(|n| common::spawn(&env, &env.moto.endpoint, &[], &["deploy", "-f", &format!("{n}.yaml")]))
        .collect();
    let outs: Vec<common::Output> = runs
        .into_iter()
        .map(|c| common::Output::from(c.wait_with_output().unwrap()))
        .collect();
    let won: Vec<&common::Output> = outs.iter().filter(|o| o.code == 0).collect();
    assert_eq!(won.len(), 1, "{outs:?}");
    let lost = outs.iter().find(|o| o.code != 0).unwrap();
    assert!(
        lost.stderr.contains("claimed bucket contested-issuer-test first") || lost.stderr.contains("is the issuer bucket of stack"),
        "{}",
        lost.stderr
    );
    // The bucket carries the winner's tag, and the winner's stack converges.
    let winner = if won[0].stdout.contains("`grocery`") { "grocery" } else { "pantry" };
    env.run(&["plan", "--detailed-exitcode", "-f", &format!("{winner}.yaml")]).code(0);
}
