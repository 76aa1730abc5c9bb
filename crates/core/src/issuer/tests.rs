use serde_json::json;

use super::*;
use crate::crypto::keys::SigningKey;

const ISS: &str = "https://idp.example.com/realms/main";

fn doc(v: Value) -> Result<Fetched, FetchError> {
    Ok(Fetched {
        body: serde_json::to_vec(&v).unwrap(),
        content_type: Some("application/json; charset=utf-8".into()),
    })
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.code).collect()
}

fn rsa_jwk(kid: &str) -> Value {
    let k = SigningKey::generate(kid, 2048).unwrap();
    serde_json::to_value(k.public_jwk()).unwrap()
}

#[test]
fn a_good_discovery_document() {
    let (uri, f) = analyze_discovery(
        ISS,
        "u",
        doc(json!({"issuer": ISS, "jwks_uri": "https://idp.example.com/certs"})),
        &Expect::default(),
    );
    assert_eq!(uri.as_deref(), Some("https://idp.example.com/certs"));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn discovery_problems_each_have_their_own_finding() {
    let e = Expect::default();
    let (_, f) = analyze_discovery(
        ISS,
        "u",
        doc(json!({"issuer": format!("{ISS}/"), "jwks_uri": "https://x/certs"})),
        &e,
    );
    assert_eq!(codes(&f), ["issuer_mismatch"]);
    assert!(f[0].message.contains("trailing slash"), "{}", f[0].message);
    let (_, f) = analyze_discovery(ISS, "u", doc(json!({"issuer": "https://other", "jwks_uri": "https://x/certs"})), &e);
    assert!(f[0].message.contains("not `https://idp.example.com/realms/main`"));
    let (uri, f) = analyze_discovery(ISS, "u", doc(json!({"issuer": ISS})), &e);
    assert_eq!((uri, codes(&f)), (None, vec!["jwks_uri_missing"]));
    let (_, f) = analyze_discovery(ISS, "u", doc(json!({"issuer": ISS, "jwks_uri": "http://x/certs"})), &e);
    assert_eq!(codes(&f), ["jwks_uri_not_https"]);
    let (_, f) = analyze_discovery(ISS, "u", doc(json!({"jwks_uri": "https://x/certs"})), &e);
    assert_eq!(codes(&f), ["issuer_missing"]);
    let (_, f) = analyze_discovery(
        ISS,
        "u",
        Ok(Fetched {
            body: b"<html>".to_vec(),
            content_type: Some("text/html".into()),
        }),
        &e,
    );
    assert_eq!(codes(&f), ["discovery_content_type", "discovery_not_json"]);
}

#[test]
fn unreachable_documents_say_why_and_what_to_do() {
    let hosted = Expect {
        hosted_on_s3: true,
        hosted: true,
        ..Expect::default()
    };
    let e = FetchError::Status {
        url: "u".into(),
        status: 403,
    };
    let (_, f) = analyze_discovery(ISS, "u", Err(e), &hosted);
    assert_eq!(codes(&f), ["discovery_unreachable"]);
    assert!(f[0].fix.contains("issuer.public: true"), "{}", f[0].fix);
    let tls = FetchError::Connect {
        url: "u".into(),
        reason: "invalid peer certificate: UnknownIssuer".into(),
    };
    let (_, f) = analyze_discovery(ISS, "u", Err(tls), &Expect::default());
    assert!(f[0].message.contains("TLS failed"), "{}", f[0].message);
    assert!(f[0].fix.contains("public CA"), "{}", f[0].fix);
    let (_, f) = analyze_jwks("u", Err(FetchError::Timeout { url: "u".into() }), &Expect::default());
    assert_eq!(codes(&f), ["jwks_unreachable"]);
    assert!(f[0].fix.contains("1500 ms"));
}

#[test]
fn jwks_problems_each_have_their_own_finding() {
    let e = Expect::default();
    let good = rsa_jwk("k1");
    let (jwks, f) = analyze_jwks("u", doc(json!({"keys": [good.clone()]})), &e);
    assert!(f.is_empty(), "{f:?}");
    assert_eq!(jwks.unwrap().keys[0].kid, "k1");

    let ec = json!({"kty": "EC", "crv": "P-256", "kid": "e1", "x": "AA", "y": "AA"});
    let (_, f) = analyze_jwks("u", doc(json!({"keys": [ec]})), &e);
    assert_eq!(codes(&f), ["jwks_no_rsa_key"]);
    assert!(f[0].message.contains("kty: EC"));

    let mut no_kid = good.clone();
    no_kid.as_object_mut().unwrap().remove("kid");
    let (_, f) = analyze_jwks("u", doc(json!({"keys": [no_kid]})), &e);
    assert_eq!(codes(&f), ["jwks_key_without_kid", "jwks_no_rsa_key"]);

    let mut private = good.clone();
    private["d"] = json!("AAAA");
    let (_, f) = analyze_jwks("u", doc(json!({"keys": [private]})), &e);
    assert_eq!(codes(&f), ["jwks_private_member"]);

    let mut bare = good.clone();
    // A SubjectPublicKeyInfo in x5c: a public key, not a certificate.
    let spki = {
        use rsa::pkcs8::EncodePublicKey;
        let k = SigningKey::generate("x", 2048).unwrap();
        let der = k.public_jwk().to_public_key().unwrap().to_public_key_der().unwrap();
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der.as_bytes())
    };
    bare["x5c"] = json!([spki]);
    let (_, f) = analyze_jwks("u", doc(json!({"keys": [bare]})), &e);
    assert_eq!(codes(&f), ["jwks_x5c_invalid"]);
    assert!(f[0].message.contains("bare public key"));

    let (_, f) = analyze_jwks("u", doc(json!({"keys": []})), &e);
    assert_eq!(codes(&f), ["jwks_no_keys"]);
    let (_, f) = analyze_jwks("u", doc(json!([good.clone()])), &e);
    assert_eq!(codes(&f), ["jwks_not_json"]);
    let (_, f) = analyze_jwks("u", doc(json!({"keys": [good.clone(), good.clone()]})), &e);
    assert_eq!(codes(&f), ["jwks_duplicate_kid"]);

    let expect = Expect {
        kids: vec!["k1".into(), "k2".into()],
        hosted_on_s3: true,
        hosted: true,
        public: true,
        rest: false,
    };
    let (_, f) = analyze_jwks("u", doc(json!({"keys": [good]})), &expect);
    assert_eq!(codes(&f), ["jwks_missing_kid"]);
    assert!(f[0].message.contains("`k2`"));
}

#[test]
fn a_rest_apis_authorizer_takes_ec_keys_and_rsa_keys_of_its_algorithms() {
    let rest = Expect {
        rest: true,
        ..Expect::default()
    };
    let ec = json!({"kty": "EC", "kid": "ec-1", "crv": "P-256", "alg": "ES256", "use": "sig",
                    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
    let odd = json!({"kty": "EC", "kid": "k256", "crv": "secp256k1", "x": "AA", "y": "AA"});
    let mut rs512 = rsa_jwk("rs512");
    rs512["alg"] = json!("RS512");
    // Keycloak publishes an encryption key beside its signing key: skipped, not an error.
    let mut enc = rsa_jwk("enc");
    enc["use"] = json!("enc");
    enc["alg"] = json!("RSA-OAEP");
    let body = json!({"keys": [ec.clone(), odd, rs512, enc]});
    let (jwks, f) = analyze_jwks("u", doc(body.clone()), &rest);
    let kids: Vec<String> = jwks.unwrap().keys.into_iter().map(|k| k.kid).collect();
    assert_eq!(kids, ["ec-1", "rs512"]);
    assert_eq!(
        codes(&f),
        ["jwks_key_alg", "jwks_key_alg"],
        "the secp256k1 and encryption keys are said and skipped"
    );
    // An HTTP API's authorizer: EC keys are not keys at all.
    let (jwks, f) = analyze_jwks("u", doc(json!({"keys": [ec]})), &Expect::default());
    assert!(jwks.unwrap().keys.is_empty());
    assert_eq!(codes(&f), ["jwks_no_rsa_key"]);
    let (_, f) = analyze_jwks("u", doc(json!({"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]})), &rest);
    assert!(codes(&f).contains(&"jwks_no_usable_key"), "{f:?}");
}
