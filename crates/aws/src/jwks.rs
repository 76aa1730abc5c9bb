//! Where a JWKS comes from (a file, a URL, the deployed stack, an external issuer) and reading it with API
//! Gateway's limits. `verify` reads it once; `serve` keeps reading it.

use std::path::PathBuf;
use std::time::Duration;

use jwtstack_core::crypto::keys::Jwks;
pub use jwtstack_core::jwks::{Freshness, JwksSource, LoadError, usable_keys};

use crate::{Clients, fetch, s3};

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
    /// An external issuer's, found through its discovery document; `tell` hears what the issuer check found
    /// (usable keys are used even with warnings).
    External {
        url: String,
        tell: fn(&str),
        /// A REST API's authorizer trusts it: an error of the check (a discovery document naming another
        /// issuer...) refuses the keys, as API Gateway refuses such an issuer when the authorizer is made, and
        /// EC keys are usable. Otherwise usable keys are used whatever the warnings.
        rest: bool,
    },
    /// A REST API authorizer's issuers, each with its own source: the keys are marked with the issuer whose
    /// source gave them, so a token is checked with its own issuer's keys only.
    Issuers(Vec<(String, KeySource)>),
}

impl JwksSource for KeySource {
    fn describe(&self) -> String {
        match self {
            KeySource::File(p) => format!("file {}", p.display()),
            KeySource::Url(u) => format!("URL {u}"),
            KeySource::Deployed { bucket, key, .. } => format!("s3://{bucket}/{key}"),
            KeySource::External { url, .. } => format!("the issuer {url}"),
            KeySource::Issuers(parts) => parts.iter().map(|(_, s)| s.describe()).collect::<Vec<_>>().join(" and "),
        }
    }

    /// A file is cheap to stat; the others are fetched.
    fn interval(&self) -> Duration {
        match self {
            KeySource::File(_) => Duration::from_secs(1),
            // Every source is read again each time: as often as the slowest (fetched) one.
            KeySource::Issuers(parts) => parts.iter().map(|(_, s)| s.interval()).max().unwrap_or(Duration::from_secs(30)),
            _ => Duration::from_secs(30),
        }
    }

    fn freshness(&self) -> Freshness {
        match self {
            KeySource::File(p) => Freshness::Modified(std::fs::metadata(p).and_then(|m| m.modified()).ok()),
            // Files only: the latest change of any (one unreadable: loaded, to say why).
            KeySource::Issuers(parts) if parts.iter().all(|(_, s)| matches!(s, KeySource::File(_))) => {
                let times: Option<Vec<_>> = parts
                    .iter()
                    .map(|(_, s)| match s.freshness() {
                        Freshness::Modified(t) => t,
                        Freshness::Unknown => None,
                    })
                    .collect();
                Freshness::Modified(times.and_then(|t| t.into_iter().max()))
            }
            _ => Freshness::Unknown,
        }
    }

    async fn load(&self) -> Result<Jwks, LoadError> {
        let KeySource::Issuers(parts) = self else {
            return self.load_one().await;
        };
        let mut keys = Vec::new();
        for (issuer, source) in parts {
            let jwks = source.load_one().await.map_err(|e| match e {
                LoadError::Source(m) => LoadError::Source(format!("the keys of {issuer}: {m}")),
                LoadError::Document(m) => LoadError::Document(format!("the keys of {issuer}: {m}")),
            })?;
            keys.extend(jwks.of_issuer(issuer).keys);
        }
        Ok(Jwks { keys })
    }
}

impl KeySource {
    async fn load_one(&self) -> Result<Jwks, LoadError> {
        use LoadError::{Document, Source};
        let bytes = match self {
            // API Gateway reads at most this much of a JWKS; a larger file is refused, not read whole.
            KeySource::File(p) => {
                jwtstack_core::text::read_bounded(p, crate::fetch::MAX_BYTES).map_err(|e| Source(format!("{}: {e}", p.display())))?
            }
            KeySource::Url(u) => fetch::get(u).await.map_err(|e| Source(e.to_string()))?,
            KeySource::Deployed { clients, bucket, key } => {
                let body = s3::get_object(clients, bucket, key)
                    .await
                    .map_err(|e| Source(e.with_hint()))?
                    .ok_or_else(|| {
                        Source(format!(
                            "s3://{bucket}/{key} does not exist: deploy the stack first, or pass --jwks FILE"
                        ))
                    })?
                    .body;
                if body.len() > s3::MAX_OBJECT_BYTES {
                    return Err(Source(format!(
                        "s3://{bucket}/{key} is larger than {} bytes, the most API Gateway reads of a JWKS: `jwtstack deploy` writes the stack's own again",
                        s3::MAX_OBJECT_BYTES
                    )));
                }
                body
            }
            KeySource::Issuers(_) => return Err(Source("a list of issuers inside a list of issuers".into())),
            KeySource::External { url, tell, rest } => {
                let expect = jwtstack_core::issuer::Expect {
                    rest: *rest,
                    ..Default::default()
                };
                let report = fetch::check(url, &expect).await;
                tell(&report.render());
                if *rest && !report.ok() {
                    return Err(Source(format!(
                        "the issuer check of {url} found errors (see above): API Gateway would refuse this issuer, so its keys are not used"
                    )));
                }
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
