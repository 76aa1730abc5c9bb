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
