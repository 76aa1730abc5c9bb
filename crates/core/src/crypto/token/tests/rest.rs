//! A REST API's authorizer: several issuers, each with its own keys, audiences and required claims.

use super::*;
use crate::config::ClaimRule;

const OTHER: &str = "https://acme.eu.auth0.com/";

fn other_key() -> SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    // The same kid as the stack's key: kids are unique per issuer only.
    KEY.get_or_init(|| SigningKey::generate("k1", 2048).unwrap()).clone()
}

fn keys() -> Jwks {
    let mut keys = jwks().of_issuer(ISS).keys;
    keys.extend(
        Jwks {
            keys: vec![other_key().public_jwk()],
        }
        .of_issuer(OTHER)
        .keys,
    );
    Jwks { keys }
}

fn rest_cfg() -> AuthorizerConfig {
    AuthorizerConfig {
        api: ApiType::Rest,
        issuers: vec![
            IssuerRule {
                issuer: ISS.into(),
                audiences: vec!["grocery-api".into()],
                claims: vec![ClaimRule {
                    name: "tenant".into(),
                    required: true,
                    values: vec!["acme".into(), "globex".into()],
                }],
            },
            IssuerRule {
                issuer: OTHER.into(),
                audiences: vec!["https://grocery.example.com".into()],
                claims: vec![ClaimRule {
                    name: "org_id".into(),
                    required: false,
                    values: vec!["org_1".into()],
                }],
            },
        ],
    }
}

fn ours(extra: Value) -> String {
    let mut c = claims();
    c["tenant"] = json!("acme");
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    sign_raw(&key(), &header(), &c)
}

fn theirs(extra: Value) -> String {
    let mut c = json!({"iss": OTHER, "aud": ["https://grocery.example.com"], "sub": "svc", "exp": NOW + 900, "scope": "lists.read"});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    sign_raw(&other_key(), &header(), &c)
}

fn rest(token: &str, route: Option<&[&str]>) -> Decision {
    let r = route.map(scopes);
    authorize(&rest_cfg(), &keys(), Some(token), r.as_deref(), NOW + 1)
}

#[test]
fn each_issuer_is_accepted_with_its_own_keys_and_named() {
    let d = rest(&ours(json!({})), Some(&["lists.read"]));
    assert!(d.allowed, "{d:?}");
    assert_eq!(d.issuer.as_deref(), Some(ISS));
    let d = rest(&theirs(json!({})), Some(&["lists.read"]));
    assert!(d.allowed, "{d:?}");
    assert_eq!(d.issuer.as_deref(), Some(OTHER));
}

#[test]
fn one_issuers_key_never_vouches_for_another_issuers_iss() {
    // Signed by the other issuer's key (same kid), claiming the stack's issuer: checked with the stack's
    // keys, where the signature fails.
    let mut c = claims();
    c["tenant"] = json!("acme");
    let forged = sign_raw(&other_key(), &header(), &c);
    let d = rest(&forged, None);
    assert_eq!((d.status, d.reason.as_str()), (401, "signature verification failed"));
    // An issuer nobody trusts: no key set to check it with.
    let d = rest(&theirs(json!({"iss": "https://evil.example.com"})), None);
    assert_eq!(d.status, 401);
    assert!(d.reason.contains("is not one the authorizer trusts"), "{}", d.reason);
    // No iss at all.
    let mut c = claims();
    c.as_object_mut().unwrap().remove("iss");
    let d = rest(&sign_raw(&key(), &header(), &c), None);
    assert!(d.reason.starts_with("token has no iss claim"), "{}", d.reason);
    // Keys marked with no issuer (an HTTP API's key set) serve no REST decision.
    let d = authorize(&rest_cfg(), &jwks(), Some(&ours(json!({}))), None, NOW + 1);
    assert!(d.reason.contains("is not one the authorizer trusts"), "{}", d.reason);
}

#[test]
fn audiences_are_the_issuers_own_and_client_id_stands_for_none() {
    let d = rest(&theirs(json!({"aud": "grocery-api"})), None);
    assert_eq!(d.reason, "the token does not have a valid audience");
    let mut c = claims();
    c["tenant"] = json!("acme");
    c.as_object_mut().unwrap().remove("aud");
    c["client_id"] = json!("grocery-api");
    let d = rest(&sign_raw(&key(), &header(), &c), None);
    assert_eq!((d.status, d.reason.as_str()), (401, "the token does not have a valid audience"));
    // The HTTP API's authorizer takes client_id when aud is absent.
    assert!(authorize(&cfg(), &jwks(), Some(&sign_raw(&key(), &header(), &c)), None, NOW + 1).allowed);
}

#[test]
fn required_claims_are_present_single_strings_of_the_expected_values() {
    let d = rest(&ours(json!({"tenant": null})), None);
    assert_eq!(d.reason, "claim \"tenant\" is not a single string");
    let mut c = claims();
    c["scope"] = json!("lists.read");
    let d = rest(&sign_raw(&key(), &header(), &c), None);
    assert_eq!((d.status, d.reason.as_str()), (401, "required claim \"tenant\" is missing"));
    assert_eq!(d.www_authenticate, None, "REST APIs document no WWW-Authenticate header");
    assert_eq!(
        rest(&ours(json!({"tenant": "Acme"})), None).reason,
        "claim \"tenant\" does not have an expected value"
    );
    assert_eq!(
        rest(&ours(json!({"tenant": ["acme"]})), None).reason,
        "claim \"tenant\" is not a single string"
    );
    assert!(rest(&ours(json!({"tenant": "globex"})), None).allowed);
    // Not required: absent passes, present must match.
    assert!(rest(&theirs(json!({})), None).allowed);
    assert!(rest(&theirs(json!({"org_id": "org_1"})), None).allowed);
    assert_eq!(
        rest(&theirs(json!({"org_id": "org_2"})), None).reason,
        "claim \"org_id\" does not have an expected value"
    );
    // The stack's rule is not the other issuer's.
    assert!(rest(&theirs(json!({"tenant": "nobody"})), None).allowed);
}

#[test]
fn times_come_before_claims_and_claims_before_scopes() {
    let d = rest(&ours(json!({"exp": NOW - 1, "tenant": "x"})), Some(&["lists.write"]));
    assert_eq!(d.reason, "token is expired");
    let d = rest(&ours(json!({"tenant": "x"})), Some(&["lists.write"]));
    assert_eq!(d.status, 401);
    let d = rest(&ours(json!({})), Some(&["lists.write"]));
    assert_eq!((d.status, d.www_authenticate.as_deref()), (403, None));
    assert_eq!(d.issuer.as_deref(), Some(ISS));
}

#[test]
fn an_http_api_ignores_issuer_marks_and_keeps_its_answers() {
    // The HTTP API's authorizer finds the key by kid alone, and answers with WWW-Authenticate.
    let d = authorize(&cfg(), &keys(), Some(&token(&[])), Some(&scopes(&["lists.write"])), NOW + 1);
    assert_eq!(d.status, 403);
    assert!(d.www_authenticate.unwrap().contains("insufficient_scope"));
    assert_eq!(d.issuer.as_deref(), Some(ISS));
}

#[test]
fn a_missing_token_and_odd_claims_are_refused_without_www_authenticate() {
    let d = authorize(&rest_cfg(), &keys(), None, None, NOW + 1);
    assert_eq!(
        (d.status, d.reason.as_str(), d.www_authenticate),
        (401, "missing: token not provided", None)
    );
    let d = authorize(&rest_cfg(), &keys(), Some("Bearer "), None, NOW + 1);
    assert_eq!((d.status, d.www_authenticate), (401, None));
    // An empty string is no value, even for a claim with no expected values.
    let mut cfg = rest_cfg();
    cfg.issuers[0].claims[0].values.clear();
    let d = authorize(&cfg, &keys(), Some(&ours(json!({"tenant": ""}))), None, NOW + 1);
    assert_eq!(d.reason, "claim \"tenant\" is empty");
    let d = rest(&ours(json!({"iss": 7})), None);
    assert_eq!(d.reason, "claim iss is not a string");
}

#[test]
fn a_verification_by_another_issuers_keys_is_never_decided_for_this_one() {
    // What verify_token never gives (the key set is chosen by iss), decide refuses anyway.
    let mut c = claims();
    c["tenant"] = json!("acme");
    let v = Verified {
        kid: "k1".into(),
        claims: c.as_object().unwrap().clone(),
        issuer: Some(OTHER.into()),
    };
    let d = crate::crypto::token::decide(&rest_cfg(), &v, None, NOW + 1);
    assert_eq!((d.status, d.reason.as_str(), d.issuer), (401, "issuer does not match", None));
    let v = Verified { issuer: None, ..v };
    assert_eq!(crate::crypto::token::decide(&rest_cfg(), &v, None, NOW + 1).status, 401);
}
