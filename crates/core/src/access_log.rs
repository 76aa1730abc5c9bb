//! The access log as `jwtstack logs` reads it: one JSON object per request in the format deploy sets on the
//! stage ([`crate::names::ACCESS_LOG_FORMAT`]), a filter on the status, and for a denied request the
//! authorizer's reason with its fix (the table of docs/troubleshooting.md). Pure: no I/O.

use serde::{Deserialize, Serialize};

use crate::text::printable;

/// One request, as API Gateway wrote it. `-` (API Gateway's empty value) reads as absent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Request {
    pub request_id: String,
    pub request_time: String,
    pub ip: String,
    pub method: String,
    pub path: String,
    pub route_key: String,
    pub status: String,
    pub authorizer_error: String,
    pub integration_error: String,
    pub response_latency: String,
    pub error_message: String,
    pub sub: String,
}

fn present(v: &str) -> Option<&str> {
    Some(v).filter(|v| !v.is_empty() && *v != "-")
}

impl Request {
    /// A log event's message; `None` when it is not one of jwtstack's format (another format, or a line
    /// API Gateway wrote before the stage's format changed).
    pub fn parse(message: &str) -> Option<Request> {
        serde_json::from_str::<Request>(message.trim())
            .ok()
            .filter(|r| present(&r.status).is_some() || present(&r.request_id).is_some())
    }

    pub fn status(&self) -> Option<u16> {
        self.status.parse().ok()
    }

    /// The authorizer's reason for a 401/403 (`None` for a request it let through or never saw).
    pub fn denial(&self) -> Option<&str> {
        present(&self.authorizer_error).or_else(|| match self.status() {
            Some(401 | 403) => present(&self.error_message),
            _ => None,
        })
    }

    /// One line: time, status, method, path, route, latency, and why it failed. Every field is the log's
    /// (anyone who can send a request writes some of them: a path, a `sub`), so each is made
    /// [`printable`]: no control character, no line break of its own.
    pub fn render(&self, time: &str) -> String {
        let field = |v: &str| printable(present(v).unwrap_or("-")).into_owned();
        let mut line = format!(
            "{} {} {} {} route={} latency={}ms",
            printable(time),
            field(&self.status),
            field(&self.method),
            field(&self.path),
            field(&self.route_key),
            field(&self.response_latency),
        );
        if let Some(sub) = present(&self.sub) {
            line.push_str(&format!(" sub={}", printable(sub)));
        }
        if let Some(reason) = self.denial() {
            line.push_str(&format!("\n    denied: {}", printable(reason)));
            if let Some(fix) = fix_for(reason) {
                line.push_str(&format!("\n    fix: {fix}"));
            }
        } else if let Some(e) = present(&self.integration_error) {
            line.push_str(&format!("\n    integration error: {}", printable(e)));
        }
        line
    }
}

/// `--status`: an exact code (`401`) or a class (`4xx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Exact(u16),
    Class(u16),
}

impl StatusFilter {
    pub fn parse(text: &str) -> Result<StatusFilter, String> {
        let t = text.trim().to_ascii_lowercase();
        if let Some(class) = t.strip_suffix("xx")
            && let Ok(d @ 1..=5) = class.parse::<u16>()
        {
            return Ok(StatusFilter::Class(d));
        }
        match t.parse::<u16>() {
            Ok(code @ 100..=599) => Ok(StatusFilter::Exact(code)),
            _ => Err(format!("--status `{text}`: give an HTTP status (401) or a class (4xx)")),
        }
    }

    pub fn matches(self, status: Option<u16>) -> bool {
        match (self, status) {
            (StatusFilter::Exact(c), Some(s)) => c == s,
            (StatusFilter::Class(d), Some(s)) => s / 100 == d,
            _ => false,
        }
    }
}

/// The fix for an authorizer's reason, from the troubleshooting table (docs/troubleshooting.md). Matched on
/// the words API Gateway and jwtstack both use.
pub fn fix_for(reason: &str) -> Option<&'static str> {
    let r = reason.to_ascii_lowercase();
    const FIXES: [(&[&str], &str); 12] = [
        (&["missing", "not provided"], "send `Authorization: Bearer TOKEN`"),
        (
            &["malformed", "invalid token"],
            "send the compact JWT exactly as minted: no quotes, no line breaks",
        ),
        (
            &["algorithm", "alg"],
            "API Gateway accepts RSA-signed tokens only; jwtstack signs RS256",
        ),
        (
            &["kid"],
            "the JWKS has no key with this kid: a token from another stack, or signed with a key published less than 2 hours ago (`jwtstack rotate activate` waits)",
        ),
        (&["signature"], "sign with this stack's key (`jwtstack token`); never edit a token"),
        (
            &["issuer", "iss"],
            "`iss` must equal the authorizer's issuer byte for byte; `jwtstack outputs` shows it",
        ),
        (
            &["audience", "aud"],
            "mint with an audience the stack lists (`jwtstack token --aud`), or add it to `audience` and deploy",
        ),
        (&["expired"], "mint a new token; check the minting machine's clock"),
        (
            &["not valid yet", "nbf", "future", "iat"],
            "sync the minting machine's clock (NTP): API Gateway allows no leeway",
        ),
        (&["no exp", "exp claim"], "always set `exp`"),
        (
            &["scope"],
            "the token holds none of the route's scopes: mint with one of them (`jwtstack token --scope`)",
        ),
        (
            &["too large", "bytes"],
            "fewer or smaller claims: request line and headers are limited to 10,240 bytes",
        ),
    ];
    FIXES
        .iter()
        .find(|(words, _)| words.iter().any(|w| r.contains(w)))
        .map(|(_, fix)| *fix)
}

/// A log event's time (milliseconds since the epoch) as RFC 3339, to the second.
pub fn time_text(ms: i64) -> String {
    crate::clock::format_utc(ms.div_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DENIED: &str = r#"{"requestId":"abc=","requestTime":"1764331200000","ip":"203.0.113.9","method":"GET","path":"/lists/42","routeKey":"GET /lists/{id}","status":"401","authorizerError":"the token does not have a valid audience","integrationError":"-","responseLatency":"2","integrationLatency":"-","errorMessage":"Unauthorized","sub":"-"}"#;

    #[test]
    fn a_denied_request_says_why_and_what_to_do() {
        let r = Request::parse(DENIED).unwrap();
        assert_eq!(r.status(), Some(401));
        assert_eq!(r.denial(), Some("the token does not have a valid audience"));
        let line = r.render(&time_text(1_764_331_200_000));
        assert!(
            line.starts_with("2025-11-28T12:00:00Z 401 GET /lists/42 route=GET /lists/{id} latency=2ms"),
            "{line}"
        );
        assert!(line.contains("denied: the token does not have a valid audience"), "{line}");
        assert!(line.contains("fix: mint with an audience the stack lists"), "{line}");
    }

    #[test]
    fn an_allowed_request_is_one_line() {
        let ok = DENIED
            .replace(r#""status":"401""#, r#""status":"200""#)
            .replace("the token does not have a valid audience", "-")
            .replace(r#""sub":"-""#, r#""sub":"alice""#);
        let r = Request::parse(&ok).unwrap();
        assert_eq!(r.denial(), None);
        assert!(!r.render("t").contains('\n'));
        assert!(r.render("t").ends_with("sub=alice"));
    }

    #[test]
    fn other_lines_are_not_requests() {
        assert_eq!(Request::parse("START RequestId: 1"), None);
        assert_eq!(Request::parse("{}"), None);
    }

    #[test]
    fn status_filters() {
        assert_eq!(StatusFilter::parse("401"), Ok(StatusFilter::Exact(401)));
        assert_eq!(StatusFilter::parse("4xx"), Ok(StatusFilter::Class(4)));
        assert!(StatusFilter::parse("abc").is_err());
        assert!(StatusFilter::parse("99").is_err());
        assert!(StatusFilter::Class(4).matches(Some(403)));
        assert!(!StatusFilter::Exact(401).matches(Some(403)));
        assert!(!StatusFilter::Exact(401).matches(None));
    }

    #[test]
    fn every_reason_of_the_verifier_has_a_fix() {
        for reason in [
            "missing: token not provided",
            "malformed token: not three segments",
            "unsupported algorithm \"HS256\": only RS256 is accepted",
            "unknown kid \"k\": not in the JWKS",
            "signature verification failed",
            "issuer does not match",
            "token is expired",
            "token is not valid yet (nbf is in the future)",
            "token has no exp claim",
            "insufficient_scope",
        ] {
            assert!(fix_for(reason).is_some(), "{reason}");
        }
        assert_eq!(fix_for("something else entirely"), None);
    }

    #[test]
    fn times() {
        assert_eq!(time_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(time_text(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
