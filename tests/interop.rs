//! Interoperability with JWT libraries nobody here wrote: PyJWT (PyPI) and jose (npm), installed by
//! scripts/install-test-tools.sh. Tokens jwtstack mints verify in both against the JWKS the stack published;
//! tokens both sign with the stack's key (read from SSM, as a login service would) pass `jwtstack verify`.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{Env, python, root, stack_yaml};

const BUCKET: &str = "interop-issuer-test";
const ISSUER: &str = "https://interop-issuer-test.s3.us-east-1.amazonaws.com";

pub(crate) fn pyjwt(args: &[&str]) -> std::process::Output {
    Command::new(python())
        .arg(root().join("tests/interop/pyjwt_check.py"))
        .args(args)
        .output()
        .unwrap()
}

pub(crate) fn jose(args: &[&str]) -> std::process::Output {
    let script = root().join("tests/interop/jose_check.mjs");
    assert!(
        root().join("tests/interop/node_modules/jose").exists(),
        "jose is not installed: run scripts/install-test-tools.sh (scripts/test.sh does it for you)"
    );
    Command::new("node").arg(script).args(args).output().unwrap()
}

#[track_caller]
pub(crate) fn success(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Deploys a stack and returns the published JWKS and the private key, as files in the test directory.
fn deployed(env: &Env) -> (String, String) {
    env.write_stack(&stack_yaml("interop", BUCKET, "name: interop-api", None));
    env.run(&["deploy"]).ok();
    let sdk = env.sdk();
    let jwks = env
        .block_on(sdk.s3.get_object().bucket(BUCKET).key(".well-known/jwks.json").send())
        .unwrap();
    let jwks = env.block_on(jwks.body.collect()).unwrap().into_bytes();
    let (pem, _) = env.parameter_value("/jwtstack/interop/keys/interop-k1").unwrap();
    let dir: &Path = env.path();
    std::fs::write(dir.join("jwks.json"), &jwks).unwrap();
    std::fs::write(dir.join("key.pem"), pem).unwrap();
    (
        dir.join("jwks.json").display().to_string(),
        dir.join("key.pem").display().to_string(),
    )
}

#[test]
fn jwtstack_tokens_verify_in_pyjwt_and_jose() {
    let env = Env::new();
    let (jwks, _) = deployed(&env);
    let token = env
        .run(&["token", "--sub", "alice", "--scope", "lists.read lists.admin", "--claim", "tier=2"])
        .ok()
        .stdout
        .trim()
        .to_string();

    let claims: serde_json::Value = serde_json::from_str(&success(pyjwt(&["verify", &token, &jwks, ISSUER, "interop-api"]))).unwrap();
    assert_eq!(
        (claims["sub"].as_str(), claims["scope"].as_str(), claims["tier"].as_i64()),
        (Some("alice"), Some("lists.read lists.admin"), Some(2))
    );
    let claims: serde_json::Value = serde_json::from_str(&success(jose(&["verify", &token, &jwks, ISSUER, "interop-api"]))).unwrap();
    assert_eq!(claims["sub"], "alice");

    // The checkers are not vacuous: a tampered token and a wrong issuer fail in both.
    let (head, rest) = token.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let forged_claims = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, r#"{"sub":"mallory"}"#);
    let forged = format!("{head}.{forged_claims}.{sig}");
    assert!(!pyjwt(&["verify", &forged, &jwks, ISSUER, "interop-api"]).status.success());
    assert!(!jose(&["verify", &forged, &jwks, ISSUER, "interop-api"]).status.success());
    assert!(
        !pyjwt(&["verify", &token, &jwks, &format!("{ISSUER}/"), "interop-api"])
            .status
            .success()
    );
    assert!(
        !jose(&["verify", &token, &jwks, &format!("{ISSUER}/"), "interop-api"])
            .status
            .success()
    );
}

#[test]
fn pyjwt_and_jose_tokens_signed_with_the_stack_key_pass_jwtstack_verify() {
    let env = Env::new();
    let (_, pem) = deployed(&env);
    for (name, token) in [
        (
            "pyjwt",
            success(pyjwt(&["sign", &pem, "interop-k1", ISSUER, "interop-api", "lists.read"])),
        ),
        (
            "jose",
            success(jose(&["sign", &pem, "interop-k1", ISSUER, "interop-api", "lists.read"])),
        ),
    ] {
        let out = env.run(&["verify", &token, "--route", "GET /lists/7", "--json"]);
        assert_eq!(out.code, 0, "{name}: {}", out.stdout);
        let d: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(d["kid"], "interop-k1", "{name}");
        // The scope the library put in decides, as for any token.
        let out = env.run(&["verify", &token, "--route", "POST /nothing"]);
        assert_eq!(out.code, 3, "{name}");
    }
    // And a token those libraries sign for another issuer is refused.
    let other = success(pyjwt(&[
        "sign",
        &pem,
        "interop-k1",
        "https://other.example",
        "interop-api",
        "lists.read",
    ]));
    let out = env.run(&["verify", &other, "--json"]).code(3);
    assert!(out.stdout.contains("issuer does not match"), "{}", out.stdout);
}
