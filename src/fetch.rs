//! Fetching issuer documents over HTTP(S) the way API Gateway does: one GET, a 1500 ms timeout, and at most
//! 150,000 bytes (HTTP API quotas page). A document that API Gateway would not read is not read here either.

use std::time::Duration;

/// API Gateway's timeout for the discovery document and for the JWKS.
pub const TIMEOUT: Duration = Duration::from_millis(1500);
/// API Gateway's limit on the JWKS response.
pub const MAX_BYTES: usize = 150_000;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: not an http(s) URL")]
    BadUrl { url: String },
    #[error("{url}: no answer within {} ms (API Gateway gives up after {} ms)", TIMEOUT.as_millis(), TIMEOUT.as_millis())]
    Timeout { url: String },
    #[error("{url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("{url}: HTTP {status} (API Gateway needs 200)")]
    Status { url: String, status: u16 },
    #[error("{url}: the response is over {MAX_BYTES} bytes, API Gateway's limit")]
    TooLarge { url: String },
}

/// A response API Gateway would read: its body and content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
}

/// GETs `url` within the timeout and size limit; returns the body.
pub async fn get(url: &str) -> Result<Vec<u8>, FetchError> {
    get_with(url, TIMEOUT, MAX_BYTES).await.map(|f| f.body)
}

/// GETs `url` within API Gateway's timeout and size limit; returns the body and content type.
pub async fn get_document(url: &str) -> Result<Fetched, FetchError> {
    get_with(url, TIMEOUT, MAX_BYTES).await
}

pub async fn get_with(url: &str, timeout: Duration, max_bytes: usize) -> Result<Fetched, FetchError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| FetchError::BadUrl { url: url.into() })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(FetchError::BadUrl { url: url.into() });
    }
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| FetchError::Connect {
            url: url.into(),
            reason: e.to_string(),
        })?;
    let work = async {
        let mut resp = client.get(parsed).send().await.map_err(|e| classify(url, e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(FetchError::Status { url: url.into(), status });
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if resp.content_length().is_some_and(|n| n as usize > max_bytes) {
            return Err(FetchError::TooLarge { url: url.into() });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| classify(url, e))? {
            if body.len() + chunk.len() > max_bytes {
                return Err(FetchError::TooLarge { url: url.into() });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body, content_type })
    };
    // The whole exchange, headers and body, fits in the timeout, as with API Gateway.
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| FetchError::Timeout { url: url.into() })?
}

fn classify(url: &str, e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout { url: url.into() }
    } else {
        // The source chain says why (refused, TLS, DNS).
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        FetchError::Connect { url: url.into(), reason }
    }
}
