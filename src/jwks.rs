//! Where a JWKS comes from (a file, a URL, the deployed stack, an external issuer) and reading it with API
//! Gateway's limits. `verify` reads it once; `serve` keeps reading it.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::aws::{Clients, s3};
use crate::crypto::keys::Jwks;
use crate::{fetch, issuer};

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

/// Where the JWKS comes from.
pub enum KeySource {
    File(PathBuf),
    Url(String),
    /// The deployed JWKS, read through the S3 API (works on an emulator too).
    Deployed {
        clients: Box<Clients>,
        bucket: String,
        key: String,
    },
    /// An external issuer's, found through its discovery document.
    External(String),
}

impl KeySource {
    pub fn describe(&self) -> String {
        match self {
            KeySource::File(p) => format!("file {}", p.display()),
            KeySource::Url(u) => format!("URL {u}"),
            KeySource::Deployed { bucket, key, .. } => format!("s3://{bucket}/{key}"),
            KeySource::External(i) => format!("the issuer {i}"),
        }
    }

    /// How often the source is looked at. A file is cheap to stat; the others are fetched.
    pub fn interval(&self) -> Duration {
        match self {
            KeySource::File(_) => Duration::from_secs(1),
            _ => Duration::from_secs(30),
        }
    }

    /// A stamp that changes when the source may have changed (`None`: fetch to know).
    pub fn stamp(&self) -> Option<SystemTime> {
        match self {
            KeySource::File(p) => std::fs::metadata(p).and_then(|m| m.modified()).ok(),
            _ => None,
        }
    }

    pub async fn load(&self) -> Result<Jwks, LoadError> {
        use LoadError::{Document, Source};
        let bytes = match self {
            KeySource::File(p) => std::fs::read(p).map_err(|e| Source(format!("{}: {e}", p.display())))?,
            KeySource::Url(u) => fetch::get(u).await.map_err(|e| Source(e.to_string()))?,
            KeySource::Deployed { clients, bucket, key } => {
                s3::get_object(clients, bucket, key)
                    .await
                    .map_err(|e| Source(e.with_hint()))?
                    .ok_or_else(|| {
                        Source(format!(
                            "s3://{bucket}/{key} does not exist: deploy the stack first, or pass --jwks FILE"
                        ))
                    })?
                    .body
            }
            KeySource::External(url) => {
                // The findings go to stderr, each with its fix; usable keys are used even with warnings.
                let report = issuer::check(url, &issuer::Expect::default()).await;
                eprint!("{}", report.render());
                return report.jwks.filter(|j| !j.keys.is_empty()).ok_or_else(|| {
                    Source(format!(
                        "no usable key from the issuer {url} (see above); pass --jwks FILE or --jwks-url URL to decide anyway"
                    ))
                });
            }
        };
        if bytes.len() > fetch::MAX_BYTES {
            return Err(Document(format!(
                "the JWKS is {} bytes; API Gateway reads at most {} bytes, so it would deny every token",
                bytes.len(),
                fetch::MAX_BYTES
            )));
        }
        usable_keys(&bytes)
    }
}

/// The keys API Gateway would use: RSA keys with a `kid`. Others (EC keys, keys without a kid) are skipped as
/// API Gateway skips them, and said at `-v`; a JWKS with none left is refused.
fn usable_keys(bytes: &[u8]) -> Result<Jwks, LoadError> {
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
