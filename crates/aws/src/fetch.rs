//! Fetching issuer documents over HTTP(S) the way API Gateway does: one GET, a 1500 ms timeout, and at most
//! 150,000 bytes (HTTP API quotas page). A document that API Gateway would not read is not read here either.

use std::time::Duration;

use jwtstack_core::issuer::{Expect, Report, analyze_discovery, analyze_jwks, discovery_url};
pub use jwtstack_core::issuer::{FetchError, Fetched, MAX_BYTES, TIMEOUT};

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
        FetchError::Connect {
            url: url.into(),
            reason: with_causes(&e),
        }
    }
}

/// An error with its source chain, which says why a connection failed (refused, TLS, DNS).
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut reason = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    reason
}

/// Fetches and checks the issuer's two documents.
pub async fn check(issuer: &str, expect: &Expect) -> Report {
    let discovery_url = discovery_url(issuer);
    let mut report = Report {
        issuer: issuer.to_string(),
        discovery_url: discovery_url.clone(),
        jwks_uri: None,
        kids: Vec::new(),
        findings: Vec::new(),
        trusted: Vec::new(),
        jwks: None,
    };
    let (jwks_uri, findings) = analyze_discovery(issuer, &discovery_url, get_document(&discovery_url).await, expect);
    report.findings.extend(findings);
    let Some(jwks_uri) = jwks_uri else { return report };
    let (jwks, findings) = analyze_jwks(&jwks_uri, get_document(&jwks_uri).await, expect);
    report.jwks_uri = Some(jwks_uri);
    report.findings.extend(findings);
    report.kids = jwks
        .as_ref()
        .map(|j| j.keys.iter().map(|k| k.kid.clone()).collect())
        .unwrap_or_default();
    report.jwks = jwks;
    report
}
