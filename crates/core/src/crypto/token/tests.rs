use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::*;
use crate::crypto::keys::{Jwks, SigningKey};

const ISS: &str = "https://grocery-issuer-123.s3.us-east-1.amazonaws.com";
const NOW: u64 = 1_800_000_000;

fn key() -> SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate("k1", 2048).unwrap()).clone()
}

fn jwks() -> Jwks {
    Jwks {
        keys: vec![key().public_jwk()],
    }
}

fn cfg() -> AuthorizerConfig {
    AuthorizerConfig::http(ISS, vec!["grocery-api".into(), "other-api".into()])
}

fn request(scopes: &[&str]) -> MintRequest {
    MintRequest {
        issuer: ISS.into(),
        audience: vec!["grocery-api".into()],
        subject: "alice".into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ttl_seconds: 900,
        extra: Map::new(),
    }
}

fn token(scopes: &[&str]) -> String {
    mint(&key(), &request(scopes), NOW, &mut StdRng::seed_from_u64(9)).unwrap()
}

fn scopes(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| x.to_string()).collect()
}

fn decide(token: &str, route: Option<&[&str]>) -> Decision {
    let r = route.map(scopes);
    authorize(&cfg(), &jwks(), Some(token), r.as_deref(), NOW + 1)
}

/// Signs arbitrary header and claims with `key` (for forged tokens).
fn sign_raw(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = sign_rs256(key, input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn claims() -> Value {
    json!({"iss": ISS, "aud": "grocery-api", "sub": "alice", "iat": NOW, "nbf": NOW, "exp": NOW + 900, "scope": "lists.read"})
}

fn header() -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": "k1"})
}

#[test]
fn minted_token_has_the_documented_shape() {
    let t = token(&["lists.read", "lists.write"]);
    let parts: Vec<&str> = t.split('.').collect();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, json!({"alg": "RS256", "typ": "JWT", "kid": "k1"}));
    let c: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(c["iss"], ISS);
    assert_eq!(c["aud"], "grocery-api");
    assert_eq!(c["sub"], "alice");
    assert_eq!(c["iat"], NOW);
    assert_eq!(c["nbf"], NOW);
    assert_eq!(c["exp"], NOW + 900);
    assert_eq!(c["scope"], "lists.read lists.write");
    assert_eq!(c["jti"].as_str().unwrap().len(), 22);
}

#[test]
fn round_trip_allows_with_scope_and_forbids_without() {
    let t = token(&["lists.read"]);
    let ok = decide(&t, Some(&["lists.read", "lists.admin"]));
    assert!(ok.allowed, "{ok:?}");
    assert_eq!(ok.status, 200);
    assert!(decide(&t, None).allowed);
    assert!(decide(&t, Some(&[])).allowed, "a route without scopes accepts any valid token");
    assert!(decide(&format!("Bearer {t}"), Some(&["lists.read"])).allowed);
    let no = decide(&t, Some(&["lists.write", "lists.admin"]));
    assert_eq!(no.status, 403);
    assert_eq!(
        no.www_authenticate.as_deref(),
        Some(
            r#"Bearer scope="lists.write lists.admin" error="insufficient_scope" error_description="expected scopes: [lists.write lists.admin]""#
        )
    );
}

#[test]
fn extra_claims_are_typed_and_registered_ones_are_reserved() {
    let mut req = request(&[]);
    req.extra.insert("admin".into(), json!(true));
    req.extra.insert("tenant".into(), json!({"id": 7}));
    let t = mint(&key(), &req, NOW, &mut StdRng::seed_from_u64(1)).unwrap();
    let d = decide(&t, None);
    assert_eq!(d.claims.as_ref().unwrap()["admin"], json!(true));
    assert_eq!(d.claims.as_ref().unwrap()["tenant"], json!({"id": 7}));
    req.extra.insert("iss".into(), json!("evil"));
    assert!(matches!(mint(&key(), &req, NOW, &mut StdRng::seed_from_u64(1)), Err(MintError::Reserved(c)) if c == "iss"));
}

#[test]
fn missing_token() {
    for identity in [None, Some(""), Some("Bearer "), Some("Bearer")] {
        let d = authorize(&cfg(), &jwks(), identity, None, NOW);
        assert_eq!(d.status, 401, "{identity:?}");
    }
    let d = authorize(&cfg(), &jwks(), None, None, NOW);
    assert_eq!(d.reason, "missing: token not provided");
    assert_eq!(
        d.www_authenticate.as_deref(),
        Some(r#"Bearer scope="" error="invalid_token" error_description="missing: token not provided""#)
    );
}

#[test]
fn malformed_tokens() {
    let t = token(&["lists.read"]);
    let parts: Vec<&str> = t.split('.').collect();
    let cases = [
        format!("{}.{}", parts[0], parts[1]),
        format!("{}.{}.", parts[0], parts[1]),
        t[..t.len() - 10].to_string(),
        format!("{} .{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}.{}.x", parts[0], parts[1], parts[2]),
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        "x".repeat(MAX_TOKEN_BYTES + 1),
        "...".into(),
        "a.b.c".into(),
    ];
    for c in cases {
        let d = decide(&c, None);
        assert_eq!(d.status, 401, "{c:?}: {d:?}");
    }
}

#[test]
fn claim_rules() {
    let with = |k: &str, v: Value| {
        let mut c = claims();
        c[k] = v;
        decide(&sign_raw(&key(), &header(), &c), Some(&["lists.read"])).reason
    };
    let without = |k: &str| {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(k);
        decide(&sign_raw(&key(), &header(), &c), Some(&["lists.read"])).reason
    };
    assert_eq!(with("iss", json!(42)), "issuer does not match");
    assert_eq!(with("aud", json!(["x", "other-api"])), "allowed");
    assert_eq!(with("aud", json!(42)), "the token does not have a valid audience");
    assert_eq!(without("aud"), "the token does not have a valid audience");
    assert_eq!(with("exp", json!(NOW + 1)), "token is expired");
    assert_eq!(with("exp", json!((NOW + 2) as f64 + 0.5)), "allowed");
    assert_eq!(with("exp", json!("soon")), "claim exp is not a number");
    assert_eq!(with("nbf", json!(NOW + 60)), "token is not valid yet (nbf is in the future)");
    assert_eq!(with("iat", json!(NOW + 60)), "token was issued in the future (iat)");
    assert_eq!(
        with("scope", json!("lists.rea")),
        "insufficient scope: expected one of [lists.read]"
    );
    assert_eq!(
        with("scope", json!("lists.reader")),
        "insufficient scope: expected one of [lists.read]"
    );
    // client_id counts only when aud is absent.
    let mut c = claims();
    c.as_object_mut().unwrap().remove("aud");
    c["client_id"] = json!("grocery-api");
    assert_eq!(decide(&sign_raw(&key(), &header(), &c), None).reason, "allowed");
    let mut c = claims();
    c["aud"] = json!("nope");
    c["client_id"] = json!("grocery-api");
    assert_eq!(
        decide(&sign_raw(&key(), &header(), &c), None).reason,
        "the token does not have a valid audience"
    );
    // scp, as a string or a list, also grants.
    let mut c = claims();
    c.as_object_mut().unwrap().remove("scope");
    c["scp"] = json!(["lists.read"]);
    assert!(decide(&sign_raw(&key(), &header(), &c), Some(&["lists.read"])).allowed);
}

#[test]
fn crit_header_and_non_rs256_jwks_keys_are_rejected() {
    let d = decide(
        &sign_raw(&key(), &json!({"alg": "RS256", "kid": "k1", "crit": ["exp"]}), &claims()),
        None,
    );
    assert!(d.reason.contains("crit"), "{d:?}");
    let mut jwk = key().public_jwk();
    jwk.alg = Some("RS512".into());
    let d = authorize(&cfg(), &Jwks { keys: vec![jwk] }, Some(&token(&[])), None, NOW);
    assert!(d.reason.contains("not an RS256 signing key"), "{d:?}");
}

/// KMS takes a RAW message up to 4,096 bytes; beyond, jwtstack sends the SHA-256 as a DIGEST, which KMS pads
/// and signs as is (Sign API reference, MessageType). moto hashes a DIGEST again, so this path is tested here,
/// against the documented behaviour: the DIGEST's PKCS #1 v1.5 signature equals the RS256 signature of the input.
#[test]
fn kms_gets_the_input_raw_up_to_4096_bytes_and_its_sha256_beyond() {
    let small = vec![b'a'; KMS_RAW_MAX_BYTES];
    assert_eq!(kms_message(&small), KmsMessage::Raw(&small));
    let large = vec![b'a'; KMS_RAW_MAX_BYTES + 1];
    let KmsMessage::Digest(d) = kms_message(&large) else { panic!() };
    use sha2::Digest as _;
    assert_eq!(d.as_slice(), sha2::Sha256::digest(&large).as_slice());
    // What KMS does with a DIGEST (EVP sign of a precomputed SHA-256) gives the RS256 signature of the input.
    let k = key();
    let digest = aws_lc_rs::digest::Digest::import_less_safe(&d, &aws_lc_rs::digest::SHA256).unwrap();
    let mut sig = vec![0; k.private().public_modulus_len()];
    k.private()
        .sign_digest(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &digest, &mut sig)
        .unwrap();
    assert_eq!(sig, sign_rs256(&k, &large).unwrap());
}

#[test]
fn prepare_then_finish_is_mint() {
    let k = key();
    let unsigned = prepare("k1", &request(&["lists.read"]), NOW, &mut StdRng::seed_from_u64(9)).unwrap();
    let sig = sign_rs256(&k, unsigned.signing_input()).unwrap();
    assert_eq!(unsigned.finish(&sig).unwrap(), token(&["lists.read"]));
}

mod rest;
