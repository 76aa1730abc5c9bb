//! The classic JWT attacks, one test each, against the authorizer engine `verify` and `serve` use.
//! Each forged token is otherwise valid, so the test shows the rule under attack is the one that refuses it.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtstack::crypto::keys::{Jwks, SigningKey};
use jwtstack::crypto::token::{AuthorizerConfig, Decision, MAX_TOKEN_BYTES, authorize, sign_rs256};
use serde_json::{Value, json};

const ISS: &str = "https://grocery-issuer-123.s3.us-east-1.amazonaws.com";
const NOW: u64 = 1_800_000_000;

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate("grocery-k1", 2048).unwrap())
}

fn attacker_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate("grocery-k1", 2048).unwrap())
}

fn header() -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": "grocery-k1"})
}

fn claims() -> Value {
    json!({"iss": ISS, "aud": "grocery-api", "sub": "mallory", "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 900, "scope": "lists.read"})
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn sign_with(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(header), b64(claims));
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sign_rs256(key, input.as_bytes()).unwrap()))
}

fn sign(header: &Value, claims: &Value) -> String {
    sign_with(key(), header, claims)
}

fn decide(token: &str) -> Decision {
    let cfg = AuthorizerConfig::http(ISS, vec!["grocery-api".into()]);
    let jwks = Jwks {
        keys: vec![key().public_jwk()],
    };
    authorize(&cfg, &jwks, Some(token), Some(&["lists.read".to_string()]), NOW)
}

#[track_caller]
fn refused(token: &str, reason_part: &str) {
    let d = decide(token);
    assert!(!d.allowed, "accepted: {token}");
    assert_eq!(d.status, 401, "{d:?}");
    assert!(
        d.reason.contains(reason_part),
        "expected a reason with `{reason_part}`, got `{}`",
        d.reason
    );
    assert!(d.www_authenticate.as_deref().unwrap().contains(r#"error="invalid_token""#));
}

fn with_claim(name: &str, value: Value) -> String {
    let mut c = claims();
    c[name] = value;
    sign(&header(), &c)
}

fn hs256_with(secret: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let input = format!(
        "{}.{}",
        b64(&json!({"alg": "HS256", "typ": "JWT", "kid": "grocery-k1"})),
        b64(&claims())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

#[test]
fn control_the_untampered_token_is_allowed() {
    let d = decide(&sign(&header(), &claims()));
    assert!(d.allowed, "{d:?}");
}

#[test]
fn alg_none_in_any_case() {
    for alg in ["none", "None", "NONE", "nOnE"] {
        let h = json!({"alg": alg, "typ": "JWT", "kid": "grocery-k1"});
        refused(&format!("{}.{}.", b64(&h), b64(&claims())), "unsupported algorithm");
        // With a (meaningless) signature appended, too.
        refused(&format!("{}.{}.AAAA", b64(&h), b64(&claims())), "unsupported algorithm");
    }
}

#[test]
fn hs256_signed_with_the_public_key_pem() {
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let public = key().public_jwk().to_public_key().unwrap();
    refused(&hs256_with(public.to_public_key_pem(LineEnding::LF).unwrap().as_bytes()), "HS256");
}

#[test]
fn hs256_signed_with_the_public_key_der() {
    use rsa::pkcs8::EncodePublicKey;
    let public = key().public_jwk().to_public_key().unwrap();
    refused(&hs256_with(public.to_public_key_der().unwrap().as_bytes()), "HS256");
}

#[test]
fn other_rsa_algorithms_are_refused_strictly() {
    for alg in ["RS384", "RS512", "PS256", "PS384", "ES256", "EdDSA"] {
        refused(&sign(&json!({"alg": alg, "kid": "grocery-k1"}), &claims()), "only RS256");
    }
}

#[test]
fn missing_kid() {
    refused(&sign(&json!({"alg": "RS256", "typ": "JWT"}), &claims()), "no kid");
}

#[test]
fn unknown_kid() {
    refused(&sign(&json!({"alg": "RS256", "kid": "grocery-k2"}), &claims()), "unknown kid");
}

#[test]
fn path_traversal_in_kid() {
    for kid in [
        "../../../../etc/passwd",
        "/jwtstack/grocery/keys/grocery-k1",
        "grocery-k1/../grocery-k1",
        "grocery-k1\u{0}",
    ] {
        refused(&sign(&json!({"alg": "RS256", "kid": kid}), &claims()), "unknown kid");
    }
}

#[test]
fn embedded_jwk_header_is_ignored() {
    let jwk = serde_json::to_value(attacker_key().public_jwk()).unwrap();
    let h = json!({"alg": "RS256", "kid": "grocery-k1", "jwk": jwk});
    refused(&sign_with(attacker_key(), &h, &claims()), "signature verification failed");
}

#[test]
fn jku_header_is_ignored() {
    let h = json!({"alg": "RS256", "kid": "grocery-k1", "jku": "https://attacker.example/jwks.json"});
    refused(&sign_with(attacker_key(), &h, &claims()), "signature verification failed");
}

#[test]
fn x5u_and_x5c_headers_are_ignored() {
    let h = json!({"alg": "RS256", "kid": "grocery-k1", "x5u": "https://attacker.example/cert.pem", "x5c": ["MIIB"]});
    refused(&sign_with(attacker_key(), &h, &claims()), "signature verification failed");
}

#[test]
fn wrong_key_with_the_right_kid() {
    refused(&sign_with(attacker_key(), &header(), &claims()), "signature verification failed");
}

#[test]
fn signature_bit_flips() {
    let t = sign(&header(), &claims());
    let (input, sig) = t.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    for byte in 0..sig.len() {
        let mut s = sig.clone();
        s[byte] ^= 1 << (byte % 8);
        refused(&format!("{input}.{}", URL_SAFE_NO_PAD.encode(&s)), "signature verification failed");
    }
}

#[test]
fn payload_tampering() {
    let t = sign(&header(), &claims());
    let parts: Vec<&str> = t.split('.').collect();
    let mut c = claims();
    c["scope"] = json!("lists.read lists.admin");
    refused(&format!("{}.{}.{}", parts[0], b64(&c), parts[2]), "signature verification failed");
}

#[test]
fn truncated_token() {
    let t = sign(&header(), &claims());
    for cut in [1, 2, 10, t.len() / 2] {
        let d = decide(&t[..t.len() - cut]);
        assert_eq!(d.status, 401, "cut {cut}: {d:?}");
    }
}

#[test]
fn two_segments() {
    let t = sign(&header(), &claims());
    let (two, _) = t.rsplit_once('.').unwrap();
    refused(two, "2 segments");
}

#[test]
fn empty_signature() {
    let t = sign(&header(), &claims());
    let (input, _) = t.rsplit_once('.').unwrap();
    refused(&format!("{input}."), "signature verification failed");
}

#[test]
fn whitespace_inside() {
    let t = sign(&header(), &claims());
    for at in [5, t.find('.').unwrap(), t.len() - 5] {
        for ws in [" ", "\t", "\n"] {
            let mut s = t.clone();
            s.insert_str(at, ws);
            assert_eq!(decide(&s).status, 401, "{ws:?} at {at}");
        }
    }
}

#[test]
fn token_over_the_header_limit() {
    let mut c = claims();
    c["padding"] = json!("x".repeat(MAX_TOKEN_BYTES));
    refused(&sign(&header(), &c), "over 10240 bytes");
}

#[test]
fn wrong_iss() {
    refused(&with_claim("iss", json!("https://attacker.example")), "issuer does not match");
}

#[test]
fn trailing_slash_iss() {
    refused(&with_claim("iss", json!(format!("{ISS}/"))), "issuer does not match");
}

#[test]
fn wrong_aud() {
    refused(&with_claim("aud", json!("another-api")), "the token does not have a valid audience");
    refused(
        &with_claim("aud", json!(["another-api", "third-api"])),
        "the token does not have a valid audience",
    );
}

#[test]
fn client_id_only() {
    let mut c = claims();
    c.as_object_mut().unwrap().remove("aud");
    c["client_id"] = json!("another-api");
    refused(&sign(&header(), &c), "the token does not have a valid audience");
    // API Gateway checks client_id when aud is absent, so a matching one is accepted.
    c["client_id"] = json!("grocery-api");
    assert!(decide(&sign(&header(), &c)).allowed);
}

#[test]
fn expired() {
    refused(&with_claim("exp", json!(NOW - 1)), "expired");
    refused(&with_claim("exp", json!(NOW)), "expired");
}

#[test]
fn missing_exp_is_refused_strictly() {
    let mut c = claims();
    c.as_object_mut().unwrap().remove("exp");
    refused(&sign(&header(), &c), "no exp");
}

#[test]
fn future_nbf() {
    refused(&with_claim("nbf", json!(NOW + 1)), "not valid yet");
}

#[test]
fn future_iat() {
    refused(&with_claim("iat", json!(NOW + 1)), "issued in the future");
}

#[test]
fn crit_header_is_refused() {
    refused(
        &sign(&json!({"alg": "RS256", "kid": "grocery-k1", "crit": ["exp"], "exp": 1}), &claims()),
        "crit",
    );
}

#[test]
fn scope_as_a_substring_of_a_required_scope() {
    for scope in [
        "lists",
        "lists.rea",
        "lists.reader",
        "xlists.read",
        "lists.read,lists.write",
        "LISTS.READ",
    ] {
        let d = decide(&with_claim("scope", json!(scope)));
        assert_eq!(d.status, 403, "{scope}: {d:?}");
        assert!(d.www_authenticate.unwrap().contains(r#"error="insufficient_scope""#));
    }
}
