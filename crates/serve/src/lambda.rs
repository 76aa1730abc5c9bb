//! A route's Lambda integration, served by a local runtime through the Lambda invoke API: an HTTP API sends
//! the function a payload 2.0 event ([`event`]), a REST API its Lambda proxy event ([`rest_event`]), and each
//! maps the function's answer, and its failures, as its API type does.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value};

use crate::forward::FORWARDING;
use crate::{AppState, Log, Response, ServedRoute, event, message, response, rest_event};

/// The request, once its route and token were checked.
pub(crate) struct Checked<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub params: &'a BTreeMap<String, String>,
    /// The verified claims; `None` on a public route.
    pub claims: Option<&'a Map<String, Value>>,
    pub peer: SocketAddr,
}

/// Invokes the runtime at `base` with the route's event, and answers with what the function gave.
pub(crate) async fn call(
    state: &AppState,
    base: &str,
    route: &ServedRoute,
    rest_stage: Option<&str>,
    r: &Checked<'_>,
    log: &mut Log,
) -> Response {
    // The forwarding headers are serve's own, as they are API Gateway's: what a client sent under those names
    // would pass for where the request came from.
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| !FORWARDING.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    headers.push(("x-forwarded-for".into(), r.peer.ip().to_string()));
    headers.push(("x-forwarded-proto".into(), "http".into()));
    let domain = r
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_string())
        .unwrap_or_else(|| "localhost".into());
    let now = jwtstack_core::clock::now_secs();
    let request_id = format!("{:016x}", state.requests.load(Ordering::Relaxed) ^ now.rotate_left(20));
    let time_epoch_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let source_ip = r.peer.ip().to_string();
    let request = event::Request {
        method: r.method,
        path: r.path,
        raw_query: r.query,
        headers: &headers,
        body: r.body,
        path_parameters: r.params,
        claims: r.claims,
        source_ip: &source_ip,
        request_id: &request_id,
        time_epoch_ms,
        domain: &domain,
    };
    let ev = match rest_stage {
        Some(stage) => rest_event::build(&request, route.key.path().unwrap_or("/"), stage),
        None => {
            let scopes = r.claims.filter(|_| !route.scopes.is_empty()).map(event::token_scopes);
            event::build(&request, route.key.as_str(), scopes)
        }
    };
    invoke(state, base, ev, rest_stage.is_some(), log).await
}

/// An API's answer when the function could not be invoked (500), or failed or answered in the wrong format
/// (HTTP API: 500; REST API: 502, Lambda Developer Guide `services-apigateway-errors`).
pub(crate) fn failed(rest: bool, invoked: bool) -> Response {
    match (rest, invoked) {
        (true, true) => message(502, "Internal server error"),
        (true, false) => message(500, "Internal server error"),
        (false, _) => message(500, "Internal Server Error"),
    }
}

async fn invoke(state: &AppState, base: &str, ev: Value, rest: bool, log: &mut Log) -> Response {
    let url = format!("{}/2015-03-31/functions/function/invocations", base.trim_end_matches('/'));
    let resp = match state
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(ev.to_string())
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) if rest && e.is_timeout() => {
            log.integration_error = Some(format!("function timed out: {url}"));
            return message(504, "Endpoint request timed out");
        }
        Err(e) if rest => {
            log.integration_error = Some(format!("function unreachable: {url}: {e}"));
            return failed(rest, false);
        }
        Err(e) => return crate::unreachable(&e, "function", &url, log),
    };
    let function_error = resp.headers().contains_key("x-amz-function-error");
    let refused = !resp.status().is_success();
    let body = resp.bytes().await.unwrap_or_default();
    if function_error || refused {
        log.integration_error = Some(format!(
            "the function failed: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
        return failed(rest, function_error);
    }
    let answer = if rest {
        rest_event::response(&body)
    } else {
        event::response(&body)
    };
    match answer {
        Ok(fr) => {
            let mut r = response(StatusCode::from_u16(fr.status).unwrap_or(StatusCode::OK), fr.body);
            for (k, v) in fr.headers {
                if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
                    r.headers_mut().append(k, v);
                }
            }
            r
        }
        Err(e) => {
            log.integration_error = Some(e.to_string());
            failed(rest, true)
        }
    }
}
