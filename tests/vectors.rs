//! Known-answer tests from material nobody here wrote: Project Wycheproof's RSA PKCS#1 v1.5 SHA-256 vectors
//! and the RFC 7515 / RFC 7520 JWS examples, in `tests/vectors/` (sources and licences in its README).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtstack::crypto::keys::{Jwk, Jwks, SigningKey};
use jwtstack::crypto::token::{AuthorizerConfig, authorize, sign_rs256, verify_rs256};
use rsa::{BigUint, RsaPublicKey};
use serde_json::Value;

fn vector(path: &str) -> Value {
    let full = format!("{}/tests/vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Every `valid` vector verifies and every `invalid` one is refused; `acceptable` (a DigestInfo without
/// its NULL) may go either way, and our strict encoding refuses it. Returns (valid, invalid, acceptable).
fn wycheproof_verify(file: &str) -> (usize, usize, usize) {
    let v = vector(&format!("wycheproof/{file}"));
    let mut counts = (0, 0, 0);
    for group in v["testGroups"].as_array().unwrap() {
        assert_eq!(group["sha"], "SHA-256");
        let n = BigUint::from_bytes_be(&hex(group["publicKey"]["modulus"].as_str().unwrap()));
        let e = BigUint::from_bytes_be(&hex(group["publicKey"]["publicExponent"].as_str().unwrap()));
        let key = RsaPublicKey::new(n, e).unwrap();
        for t in group["tests"].as_array().unwrap() {
            let ok = verify_rs256(&key, &hex(t["msg"].as_str().unwrap()), &hex(t["sig"].as_str().unwrap()));
            let id = &t["tcId"];
            match t["result"].as_str().unwrap() {
                "valid" => {
                    assert!(ok, "{file} tcId {id} is valid and was refused");
                    counts.0 += 1;
                }
                "invalid" => {
                    assert!(!ok, "{file} tcId {id} is invalid and was accepted ({})", t["comment"]);
                    counts.1 += 1;
                }
                _ => {
                    assert!(!ok, "{file} tcId {id}: the strict encoding refuses acceptable vectors");
                    counts.2 += 1;
                }
            }
        }
    }
    counts
}

#[test]
fn wycheproof_2048_sha256_verification() {
    assert_eq!(wycheproof_verify("rsa_signature_2048_sha256_test.json"), (9, 249, 1));
}

#[test]
fn wycheproof_3072_sha256_verification() {
    assert_eq!(wycheproof_verify("rsa_signature_3072_sha256_test.json"), (8, 250, 1));
}

#[test]
fn wycheproof_4096_sha256_verification() {
    assert_eq!(wycheproof_verify("rsa_signature_4096_sha256_test.json"), (7, 250, 1));
}

/// RS256 is deterministic: re-signing each SHA-256 vector's message reproduces its signature byte for byte.
fn wycheproof_sign(file: &str) -> usize {
    let v = vector(&format!("wycheproof/{file}"));
    let mut n = 0;
    for group in v["testGroups"].as_array().unwrap().iter().filter(|g| g["sha"] == "SHA-256") {
        let key = SigningKey::from_pkcs8_der("k", &hex(group["privateKeyPkcs8"].as_str().unwrap())).unwrap();
        for t in group["tests"].as_array().unwrap() {
            let sig = sign_rs256(&key, &hex(t["msg"].as_str().unwrap())).unwrap();
            assert_eq!(sig, hex(t["sig"].as_str().unwrap()), "{file} tcId {}", t["tcId"]);
            n += 1;
        }
    }
    n
}

#[test]
fn wycheproof_2048_sha256_signing() {
    assert_eq!(wycheproof_sign("rsa_pkcs1_2048_sig_gen_test.json"), 10);
}

#[test]
fn wycheproof_3072_sha256_signing() {
    assert_eq!(wycheproof_sign("rsa_pkcs1_3072_sig_gen_test.json"), 9);
}

#[test]
fn wycheproof_4096_sha256_signing() {
    assert_eq!(wycheproof_sign("rsa_pkcs1_4096_sig_gen_test.json"), 8);
}

fn rfc_jwks() -> Jwks {
    let jwk: Jwk = serde_json::from_value(vector("rfc/rfc7520_3_3.rsa_public_key.json")).unwrap();
    Jwks { keys: vec![jwk] }
}

fn cfg() -> AuthorizerConfig {
    AuthorizerConfig::http("joe", vec!["x".into()])
}

#[test]
fn rfc7520_4_1_rs256_signature_verifies() {
    let v = vector("rfc/rfc7520_4_1.rsa_v15_signature.json");
    let compact = v["output"]["compact"].as_str().unwrap();
    let (input, sig) = compact.rsplit_once('.').unwrap();
    let key = rfc_jwks().keys[0].to_public_key().unwrap();
    assert!(verify_rs256(&key, input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap()));
    // Through the authorizer: the signature passes; the payload is prose, not claims, so it stops right after.
    let d = authorize(&cfg(), &rfc_jwks(), Some(compact), None, 0);
    assert_eq!(d.reason, "malformed token: payload is not a JSON object");
}

#[test]
fn rfc7520_4_2_ps384_is_refused_by_an_rs256_only_verifier() {
    let v = vector("rfc/rfc7520_4_2.rsa-pss_signature.json");
    let d = authorize(&cfg(), &rfc_jwks(), v["output"]["compact"].as_str(), None, 0);
    assert_eq!(d.status, 401);
    assert!(d.reason.contains("PS384") && d.reason.contains("only RS256"), "{}", d.reason);
}

#[test]
fn rfc7515_a2_is_reproduced_and_verifies() {
    let v = vector("rfc/rfc7515_A2.rs256.json");
    let k = &v["input"]["key_private_jwk"];
    let int = |name: &str| BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(k[name].as_str().unwrap()).unwrap());
    let private = rsa::RsaPrivateKey::from_components(int("n"), int("e"), int("d"), vec![int("p"), int("q")]).unwrap();
    let der = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&private).unwrap();
    let key = SigningKey::from_pkcs8_der("k", der.as_bytes()).unwrap();
    let input = v["signing"]["sig_input"].as_str().unwrap();
    let sig = sign_rs256(&key, input.as_bytes()).unwrap();
    assert_eq!(URL_SAFE_NO_PAD.encode(&sig), v["signing"]["sig_b64u"].as_str().unwrap());
    assert!(verify_rs256(&private.to_public_key(), input.as_bytes(), &sig));
}

/// The signer before aws-lc-rs was the `rsa` crate: for the same keys and messages both give the same bytes, a
/// PEM the `rsa` crate wrote (every key stored in SSM before) is read as the same key, and a PEM aws-lc-rs writes
/// reads back in the `rsa` crate.
#[test]
fn signatures_match_the_rsa_crate_for_the_same_keys_and_stored_keys_read_unchanged() {
    use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
    use rsa::signature::{SignatureEncoding, Signer};
    for bits in [2048, 3072, 4096] {
        let key = SigningKey::generate("k", bits).unwrap();
        let pem = key.to_pem().unwrap();
        let old = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
        let old_signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(old.clone());
        for message in [&b""[..], b"eyJhbGciOiJSUzI1NiJ9.e30", &[0xa5; 5000]] {
            let new = sign_rs256(&key, message).unwrap();
            assert_eq!(new, old_signer.sign(message).to_vec(), "{bits} bits, {} bytes", message.len());
            assert!(verify_rs256(&old.to_public_key(), message, &new));
        }
        let written_before = old.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).unwrap();
        let read_now = SigningKey::from_pem("k", &written_before).unwrap();
        assert_eq!(read_now.public_jwk(), key.public_jwk());
        assert_eq!(sign_rs256(&read_now, b"x").unwrap(), sign_rs256(&key, b"x").unwrap());
    }
}
