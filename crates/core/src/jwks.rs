//! What of a JWKS API Gateway uses, and why one could not be had. Pure: `jwtstack_aws::jwks` fetches.

use std::time::Duration;

use crate::crypto::keys::Jwks;

/// Where a JWKS is read from, again and again (`serve` keeps its keys fresh from one): `jwtstack_aws::jwks`
/// implements it for a file, a URL, the deployed stack's S3 object and an external issuer.
pub trait JwksSource: Send + Sync + 'static {
    /// For messages: `file keys.json`, `s3://bucket/key`...
    fn describe(&self) -> String;
    /// How often the source is looked at.
    fn interval(&self) -> Duration;
    /// What tells, before loading, whether the source may have changed.
    fn freshness(&self) -> Freshness;
    fn load(&self) -> impl Future<Output = Result<Jwks, LoadError>> + Send;
}

/// Whether a source may have changed since it was last loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Only loading it tells (a URL, an S3 object).
    Unknown,
    /// Its modification time (`None`: it cannot be read): unchanged means not loaded again.
    Modified(Option<std::time::SystemTime>),
}

/// Why a JWKS could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The source could not be read (missing file, unreachable URL, no deployed JWKS, no usable key).
    #[error("{0}")]
    Source(String),
    /// It was read, but is not a JWKS API Gateway would use.
    #[error("{0}")]
    Document(String),
}

/// The keys API Gateway would use: RSA keys with a `kid`. Others (EC keys, keys without a kid) are skipped as
/// API Gateway skips them, and said at `-v`; a JWKS with none left is refused.
pub fn usable_keys(bytes: &[u8]) -> Result<Jwks, LoadError> {
    let not_a_jwks = |e: String| LoadError::Document(format!("the JWKS is not a valid {{\"keys\":[...]}} document: {e}"));
    let doc: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| not_a_jwks(e.to_string()))?;
    let Some(keys) = doc.get("keys").and_then(serde_json::Value::as_array) else {
        return Err(not_a_jwks("no `keys` list".into()));
    };
    let mut usable = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let kty = k.get("kty").and_then(serde_json::Value::as_str).unwrap_or("?");
        let kid = k.get("kid").and_then(serde_json::Value::as_str).filter(|s| !s.is_empty());
        match (kty, kid) {
            ("RSA", Some(kid)) => match serde_json::from_value::<crate::crypto::keys::Jwk>(k.clone()) {
                Ok(jwk) if !jwk.n.is_empty() && !jwk.e.is_empty() => usable.push(jwk),
                _ => tracing::info!("JWKS key #{i} ({kid}) is skipped: not a complete RSA public key"),
            },
            ("RSA", None) => tracing::info!("JWKS key #{i} (RSA) is skipped: it has no kid, so no token can name it"),
            (other, _) => tracing::info!("JWKS key #{i} is skipped: kty {other} (API Gateway uses RSA keys only)"),
        }
    }
    if usable.is_empty() {
        return Err(LoadError::Document(format!(
            "the JWKS holds no usable key ({} key(s), none RSA with a kid): API Gateway would deny every token",
            keys.len()
        )));
    }
    Ok(Jwks { keys: usable })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_keys_are_skipped_and_usable_ones_kept() {
        let good = r#"{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}"#;
        let doc =
            format!(r#"{{"keys":[{{"kty":"EC","kid":"ec","crv":"P-256","x":"a","y":"b"}},{{"kty":"RSA","n":"AQAB","e":"AQAB"}},{good}]}}"#);
        let jwks = usable_keys(doc.as_bytes()).unwrap();
        assert_eq!(jwks.keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["k1"]);
        let none = usable_keys(br#"{"keys":[{"kty":"EC","kid":"ec"}]}"#).unwrap_err();
        assert!(none.to_string().contains("no usable key"), "{none}");
        assert!(usable_keys(b"[]").is_err());
    }
}
