//! What serve forwards, and where: the integration URL, the headers that pass, the paths that are refused.

use std::collections::BTreeMap;

use hyper::http::{HeaderMap, HeaderName};

const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// Headers serve sets itself for the integration: what a client sent under these names is not forwarded.
pub(super) const FORWARDING: [&str; 4] = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "forwarded"];

/// Whether a header travels through the proxy: not hop-by-hop (RFC 9110 section 7.6.1: the fixed list, and
/// every header the message's `Connection` header names), not the length (set anew).
pub(super) fn passes(name: &HeaderName, headers: &HeaderMap) -> bool {
    let named_by_connection = headers
        .get_all("connection")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(name.as_str()));
    !HOP_BY_HOP.contains(&name.as_str()) && name != "content-length" && !named_by_connection
}

/// `{name}` and `{proxy}` in the integration URL, from the request's path parameters, plus the query string.
pub fn integration_url(template: &str, params: &BTreeMap<String, String>, query: &str) -> String {
    let mut url = template.to_string();
    for (k, v) in params {
        url = url.replace(&format!("{{{k}}}"), v).replace(&format!("{{{k}+}}"), v);
    }
    if !query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(query);
    }
    url
}

/// Whether `url`, once parsed (and so normalised) as the HTTP client will, is still under the static part of
/// the template's path (the path before its first `{`).
pub(super) fn stays_under(template: &str, url: &str) -> bool {
    let prefix = template.split('{').next().unwrap_or(template);
    match (url::Url::parse(prefix), url::Url::parse(url)) {
        (Ok(p), Ok(u)) => u.origin() == p.origin() && u.path().starts_with(p.path()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upstream_url_stays_under_its_template() {
        assert!(stays_under("http://u/items/{proxy}", "http://u/items/a/b?q=1"));
        assert!(!stays_under("http://u/items/{proxy}", "http://u/items/../admin"));
        assert!(!stays_under("http://u/items/{proxy}", "http://other/items/a"));
        assert!(stays_under("http://u/hello.txt", "http://u/hello.txt"));
    }
}
