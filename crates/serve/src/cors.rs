//! API Gateway's CORS handling for an HTTP API with a CORS configuration ("Configure CORS for HTTP APIs"):
//! - a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) that no route takes is answered by
//!   the gateway itself, 204, with the configured headers when the origin, method and headers are allowed (none
//!   otherwise: the browser then refuses the call);
//! - every other response to an allowed origin gets `Access-Control-Allow-Origin` (and the exposed headers and
//!   credentials flag), and the CORS headers an integration returns are dropped ("API Gateway ignores CORS
//!   headers returned from your backend integration").

use hyper::http::{HeaderMap, HeaderValue, StatusCode};
use jwtstack_core::config::Cors;

use crate::{Response, response};

/// The request is a CORS preflight.
pub fn is_preflight(method: &str, headers: &HeaderMap) -> bool {
    method == "OPTIONS" && headers.contains_key("origin") && headers.contains_key("access-control-request-method")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The `Access-Control-Allow-Origin` value for this origin (`None`: not allowed).
fn allowed_origin(c: &Cors, origin: &str) -> Option<String> {
    // An exact match, or a scheme's wildcard that takes this origin: the origin itself is echoed; `*` alone
    // answers `*`.
    let named = Cors {
        allow_origins: c.allow_origins.iter().filter(|o| o.as_str() != "*").cloned().collect(),
        ..Cors::default()
    };
    if named.allows_origin(origin) {
        Some(origin.to_string())
    } else if c.allows_origin(origin) {
        Some("*".into())
    } else {
        None
    }
}

fn set(r: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

/// The gateway's own answer to a preflight no route takes.
pub fn preflight(c: &Cors, headers: &HeaderMap) -> Response {
    let mut r = response(StatusCode::NO_CONTENT, "");
    let origin = header(headers, "origin").unwrap_or_default();
    let method = header(headers, "access-control-request-method").unwrap_or_default().trim();
    let requested: Vec<String> = header(headers, "access-control-request-headers")
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    let Some(allow_origin) = allowed_origin(c, origin) else {
        return r;
    };
    let method_ok = c.allow_methods.iter().any(|m| m == "*" || m.eq_ignore_ascii_case(method));
    let headers_ok = requested
        .iter()
        .all(|h| c.allow_headers.iter().any(|a| a == "*" || a.eq_ignore_ascii_case(h)));
    if !method_ok || !headers_ok {
        return r;
    }
    set(&mut r, "access-control-allow-origin", &allow_origin);
    if allow_origin != "*" {
        set(&mut r, "vary", "Origin");
    }
    set(&mut r, "access-control-allow-methods", &c.allow_methods.join(","));
    if !c.allow_headers.is_empty() {
        set(&mut r, "access-control-allow-headers", &c.allow_headers.join(","));
    }
    if let Some(age) = c.max_age {
        set(&mut r, "access-control-max-age", &age.to_string());
    }
    if c.allow_credentials {
        set(&mut r, "access-control-allow-credentials", "true");
    }
    r
}

/// The CORS headers of any other response: the integration's are dropped, the configuration's added for an
/// allowed origin.
pub fn decorate(c: &Cors, request: &HeaderMap, r: &mut Response) {
    let theirs: Vec<_> = r
        .headers()
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for k in theirs {
        r.headers_mut().remove(k);
    }
    let Some(allow_origin) = header(request, "origin").and_then(|o| allowed_origin(c, o)) else {
        return;
    };
    set(r, "access-control-allow-origin", &allow_origin);
    if allow_origin != "*" {
        r.headers_mut().append("vary", HeaderValue::from_static("Origin"));
    }
    if !c.expose_headers.is_empty() {
        set(r, "access-control-expose-headers", &c.expose_headers.join(","));
    }
    if c.allow_credentials {
        set(r, "access-control-allow-credentials", "true");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors() -> Cors {
        Cors {
            allow_origins: vec!["https://app.example.com".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["authorization".into(), "content-type".into()],
            expose_headers: vec!["x-request-id".into()],
            max_age: Some(600),
            allow_credentials: true,
        }
    }

    fn request(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn an_allowed_preflight_gets_the_configuration() {
        let h = request(&[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "Authorization, Content-Type"),
        ]);
        assert!(is_preflight("OPTIONS", &h));
        let r = preflight(&cors(), &h);
        assert_eq!(r.status(), 204);
        let g = |k: &str| r.headers().get(k).map(|v| v.to_str().unwrap().to_string());
        assert_eq!(g("access-control-allow-origin").as_deref(), Some("https://app.example.com"));
        assert_eq!(g("access-control-allow-methods").as_deref(), Some("GET,POST"));
        assert_eq!(g("access-control-allow-headers").as_deref(), Some("authorization,content-type"));
        assert_eq!(g("access-control-max-age").as_deref(), Some("600"));
        assert_eq!(g("access-control-allow-credentials").as_deref(), Some("true"));
    }

    #[test]
    fn a_refused_origin_method_or_header_gets_no_cors_headers() {
        for h in [
            request(&[("origin", "https://evil.example"), ("access-control-request-method", "GET")]),
            request(&[("origin", "https://app.example.com"), ("access-control-request-method", "DELETE")]),
            request(&[
                ("origin", "https://app.example.com"),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "x-secret"),
            ]),
        ] {
            let r = preflight(&cors(), &h);
            assert_eq!(r.status(), 204);
            assert!(r.headers().keys().all(|k| !k.as_str().starts_with("access-control-")), "{h:?}");
        }
    }

    #[test]
    fn responses_carry_the_configured_headers_not_the_integrations() {
        let mut r = response(StatusCode::OK, "");
        r.headers_mut().insert("access-control-allow-origin", HeaderValue::from_static("*"));
        decorate(&cors(), &request(&[("origin", "https://app.example.com")]), &mut r);
        assert_eq!(r.headers()["access-control-allow-origin"], "https://app.example.com");
        assert_eq!(r.headers()["access-control-expose-headers"], "x-request-id");
        let mut r = response(StatusCode::OK, "");
        r.headers_mut().insert("access-control-allow-origin", HeaderValue::from_static("*"));
        decorate(&cors(), &request(&[("origin", "https://evil.example")]), &mut r);
        assert!(r.headers().get("access-control-allow-origin").is_none());
    }
}
