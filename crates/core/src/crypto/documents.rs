//! The two documents the issuer publishes. Their bytes are a pure function of the stack and the public keys,
//! so an unchanged stack produces identical bytes and deploy uploads nothing.

use serde::Serialize;

use super::keys::{Jwk, Jwks};

pub const CONTENT_TYPE: &str = "application/json";
/// Short enough that a fix reaches API Gateway quickly; API Gateway keeps its own cache on top.
pub const CACHE_CONTROL: &str = "public, max-age=300";

#[derive(Serialize)]
struct Discovery<'a> {
    issuer: &'a str,
    jwks_uri: &'a str,
    response_types_supported: [&'a str; 1],
    subject_types_supported: [&'a str; 1],
    id_token_signing_alg_values_supported: [&'a str; 1],
    scopes_supported: &'a [String],
    claims_supported: [&'a str; 8],
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    token: Option<TokenEndpointMetadata<'a>>,
}

/// The token endpoint's metadata (RFC 8414 section 2, which OpenID Connect Discovery shares).
#[derive(Serialize)]
struct TokenEndpointMetadata<'a> {
    token_endpoint: &'a str,
    grant_types_supported: [&'a str; 1],
    token_endpoint_auth_methods_supported: [&'a str; 2],
}

/// `/.well-known/openid-configuration`. `issuer` is byte-identical to the authorizer's and every token's; a
/// stack with a token endpoint names it, with the one grant and the two client authentication methods it
/// answers.
pub fn discovery(issuer: &str, jwks_uri: &str, scopes: &[String], token_endpoint: Option<&str>) -> Vec<u8> {
    let doc = Discovery {
        issuer,
        jwks_uri,
        response_types_supported: ["token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        scopes_supported: scopes,
        claims_supported: ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope"],
        token: token_endpoint.map(|url| TokenEndpointMetadata {
            token_endpoint: url,
            grant_types_supported: ["client_credentials"],
            token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
        }),
    };
    to_bytes(&doc)
}

/// API Gateway reads at most this many bytes of a JWKS (HTTP API quotas).
pub const JWKS_MAX_BYTES: usize = 150_000;

/// How many RSA keys of `bits` bits, with kids of `kid_len` characters, fit in one JWKS under
/// [`JWKS_MAX_BYTES`]: measured on the exact bytes this module writes.
pub fn max_keys_in_jwks(bits: usize, kid_len: usize) -> usize {
    let jwk = Jwk {
        kty: "RSA".into(),
        kid: "k".repeat(kid_len.max(1)),
        use_: Some("sig".into()),
        alg: Some("RS256".into()),
        n: "A".repeat((bits / 8 * 4).div_ceil(3)),
        e: "AQAB".into(),
        crv: None,
        x: None,
        y: None,
        issuer: None,
    };
    let one = jwks(std::slice::from_ref(&jwk)).len();
    let per_key = jwks(&[jwk.clone(), jwk]).len() - one;
    let overhead = one - per_key;
    (JWKS_MAX_BYTES - overhead) / per_key
}

/// The JWKS, keys in the order given.
pub fn jwks(keys: &[Jwk]) -> Vec<u8> {
    to_bytes(&Jwks { keys: keys.to_vec() })
}

fn to_bytes<T: Serialize>(doc: &T) -> Vec<u8> {
    // Serializing these plain structs cannot fail.
    let mut out = serde_json::to_vec_pretty(doc).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_capacity_is_measured_on_real_bytes() {
        let fit = max_keys_in_jwks(2048, 20);
        let key = crate::crypto::keys::SigningKey::generate("k", 2048).unwrap();
        let mut jwk = key.public_jwk();
        jwk.kid = "x".repeat(20);
        assert!(jwks(&vec![jwk.clone(); fit]).len() <= JWKS_MAX_BYTES);
        assert!(jwks(&vec![jwk; fit + 1]).len() > JWKS_MAX_BYTES);
        assert!(max_keys_in_jwks(4096, 128) < max_keys_in_jwks(2048, 128));
    }

    #[test]
    fn discovery_document_has_the_expected_fields() {
        let bytes = discovery(
            "https://x.example",
            "https://x.example/.well-known/jwks.json",
            &["a".into(), "b".into()],
            None,
        );
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["issuer"], "https://x.example");
        assert_eq!(v["jwks_uri"], "https://x.example/.well-known/jwks.json");
        assert_eq!(v["id_token_signing_alg_values_supported"], serde_json::json!(["RS256"]));
        assert_eq!(v["scopes_supported"], serde_json::json!(["a", "b"]));
        assert_eq!(
            bytes,
            discovery(
                "https://x.example",
                "https://x.example/.well-known/jwks.json",
                &["a".into(), "b".into()],
                None
            )
        );
        assert!(v.get("token_endpoint").is_none() && v.get("grant_types_supported").is_none());
        let with = discovery(
            "https://x.example",
            "https://x.example/j",
            &[],
            Some("https://api.example/oauth2/token"),
        );
        let v: serde_json::Value = serde_json::from_slice(&with).unwrap();
        assert_eq!(v["token_endpoint"], "https://api.example/oauth2/token");
        assert_eq!(v["grant_types_supported"], serde_json::json!(["client_credentials"]));
        assert_eq!(
            v["token_endpoint_auth_methods_supported"],
            serde_json::json!(["client_secret_basic", "client_secret_post"])
        );
    }

    #[test]
    fn jwks_has_public_members_only() {
        let jwk = Jwk {
            kty: "RSA".into(),
            kid: "k".into(),
            use_: Some("sig".into()),
            alg: Some("RS256".into()),
            n: "AQAB".into(),
            e: "AQAB".into(),
            crv: None,
            x: None,
            y: None,
            issuer: None,
        };
        let v: serde_json::Value = serde_json::from_slice(&jwks(&[jwk])).unwrap();
        let key = v["keys"][0].as_object().unwrap();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(!key.contains_key(private));
        }
        assert_eq!(key["use"], "sig");
        assert_eq!(key["alg"], "RS256");
    }
}
