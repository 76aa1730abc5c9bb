//! Property-based fuzzing of the token parser and authorizer: no input panics, and no change to a valid token
//! is accepted. Bounded by case counts, so the run time is fixed.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtstack::crypto::keys::{Jwks, SigningKey};
use jwtstack::crypto::token::{AuthorizerConfig, MintRequest, authorize, mint};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

const ISS: &str = "https://issuer.example";
const NOW: u64 = 1_800_000_000;

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate("k1", 2048).unwrap())
}

fn valid_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let req = MintRequest {
            issuer: ISS.into(),
            audience: vec!["api".into()],
            subject: "alice".into(),
            scopes: vec!["read".into()],
            ttl_seconds: 900,
            ..Default::default()
        };
        mint(key(), &req, NOW, &mut StdRng::seed_from_u64(1)).unwrap()
    })
}

fn decide(identity: &str) -> jwtstack::crypto::token::Decision {
    let cfg = AuthorizerConfig::http(ISS, vec!["api".into()]);
    let jwks = Jwks {
        keys: vec![key().public_jwk()],
    };
    authorize(&cfg, &jwks, Some(identity), Some(&["read".to_string()]), NOW + 1)
}

#[test]
fn control_the_valid_token_is_allowed() {
    assert!(decide(valid_token()).allowed);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_string_is_decided_without_panic(s in ".{0,400}") {
        let d = decide(&s);
        prop_assert!(!d.allowed);
        prop_assert!(d.status == 401);
    }

    #[test]
    fn any_three_segments_are_decided_without_panic(
        h in proptest::collection::vec(any::<u8>(), 0..200),
        p in proptest::collection::vec(any::<u8>(), 0..200),
        s in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let t = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(h), URL_SAFE_NO_PAD.encode(p), URL_SAFE_NO_PAD.encode(s));
        prop_assert!(!decide(&t).allowed);
    }

    #[test]
    fn any_json_header_and_claims_are_decided_without_panic(
        alg in prop_oneof![Just("RS256".to_string()), ".{0,8}"],
        kid in prop_oneof![Just("k1".to_string()), ".{0,8}"],
        claims in "\\{(\"[a-z]{1,4}\":(-?[0-9]{1,20}|\"[^\"\\\\]{0,8}\"|true|null|\\[\\]|\\{\\}),?){0,6}\\}",
        sig in proptest::collection::vec(any::<u8>(), 0..260),
    ) {
        let header = serde_json::json!({"alg": alg, "kid": kid}).to_string();
        let t = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims), URL_SAFE_NO_PAD.encode(sig));
        prop_assert!(!decide(&t).allowed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_edit_of_a_valid_token_is_accepted(pos in 0usize..10_000, c in any::<char>(), op in 0u8..3) {
        let original = valid_token();
        let mut chars: Vec<char> = original.chars().collect();
        let at = pos % chars.len();
        match op {
            0 => chars[at] = c,
            1 => chars.insert(at, c),
            _ => { chars.remove(at); }
        }
        let edited: String = chars.into_iter().collect();
        prop_assume!(edited != original);
        let d = decide(&edited);
        prop_assert!(!d.allowed, "edited token accepted: op {} at {} with {:?}", op, at, c);
    }
}
