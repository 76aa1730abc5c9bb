//! `verify` through the binary: the keys of a JWKS it uses, as API Gateway uses them.

use crate::common;

use common::{jwtstack_in, stack_yaml};

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
