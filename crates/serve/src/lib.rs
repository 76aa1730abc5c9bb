//! `serve`: the stack's routes on a local port, with API Gateway's JWT authorizer in front.
//!
//! Each request is matched to a route as API Gateway matches it ([`jwtstack_core::config::route::select`], the matcher
//! `verify` uses), the token is decided on by the engine `verify` uses, failures are answered as API Gateway
//! answers them, and authorized requests go to the route's integration: an HTTP URL, or a local Lambda
//! runtime through the Lambda invoke API ([`lambda`]: a payload 2.0 event for an HTTP API, the Lambda proxy
//! event for a REST API).

mod cors;
pub mod event;
mod forward;
pub mod keys;
mod lambda;
pub mod rest_event;
mod served;
mod token_endpoint;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::http::{HeaderMap, HeaderValue, Method, StatusCode};
use jwtstack_core::config;
use jwtstack_core::crypto::token::{Decision, decide};
use serde_json::json;

use forward::integration_url;
use forward::{FORWARDING, passes, stays_under};
use jwtstack_core::config::route::unsafe_path;
pub use jwtstack_core::jwks::{Freshness, JwksSource};
pub use keys::Keys;
pub use served::{Served, ServedRoute, Target, parse_override, served};
pub use token_endpoint::{BoxFuture, ServedTokenEndpoint, TokenIssuer};

/// What serve answers with: the whole body at once (API Gateway buffers too).
pub type Response = hyper::Response<Full<Bytes>>;
type Request = hyper::Request<Incoming>;

fn response(status: StatusCode, body: impl Into<Bytes>) -> Response {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}

/// Why serve cannot start, or a route cannot be served as asked.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("--integration `{text}` is not ROUTE=URL")]
    OverrideNotRouteUrl { text: String },
    #[error("--integration `{text}`: {reason}")]
    OverrideUrl { text: String, reason: String },
    #[error("--integration `{text}`: the URL must be http(s)")]
    OverrideScheme { text: String },
    #[error("--integration names route `{route}`, which the stack does not have (its routes: {})", known.join(", "))]
    UnknownRoute { route: String, known: Vec<String> },
    #[error("cannot listen on {addr}: another program is listening there (an earlier `jwtstack serve`?); stop it or pass --port")]
    AddressInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("serve: reading the listening socket's address: {0}")]
    Socket(std::io::Error),
    #[error("serve: the HTTP client for integrations: {0}")]
    Client(#[from] reqwest::Error),
}

impl ServeError {
    /// The command line asked for something the stack does not have (exit 64), rather than serve failing.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ServeError::OverrideNotRouteUrl { .. }
                | ServeError::OverrideUrl { .. }
                | ServeError::OverrideScheme { .. }
                | ServeError::UnknownRoute { .. }
        )
    }
}

/// API Gateway's payload limit.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// API Gateway's quota on the request line and headers together.
pub const MAX_HEADER_BYTES: usize = 10_240;
/// API Gateway's longest integration timeout (HTTP APIs).
pub const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Options {
    pub stack_file: PathBuf,
    pub region: String,
    pub overrides: Vec<(String, String)>,
    pub json_log: bool,
    /// How long a client may take to send a request's headers, and may keep a connection idle between requests.
    pub header_timeout: Duration,
    /// Connections open at once; more are closed as they arrive.
    pub max_connections: usize,
    /// The token endpoint's clients and signatures, when the stack declares `token_endpoint`.
    pub token_issuer: Option<Arc<dyn TokenIssuer>>,
}

struct AppState {
    served: RwLock<Arc<Served>>,
    keys: Arc<Keys>,
    client: reqwest::Client,
    json_log: bool,
    requests: AtomicU64,
    log: std::sync::mpsc::Sender<String>,
    token: Option<token_endpoint::Endpoint>,
}

/// The access log: lines go through a channel to one thread that writes them to stderr in batches, so a
/// request never waits on a terminal or a pipe. A request's path is the client's: control characters (a C1
/// CSI in UTF-8, say) are written `\u00XX`.
fn log_writer() -> std::sync::mpsc::Sender<String> {
    use jwtstack_core::text::neutralize;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::Write;
        let mut err = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
        while let Ok(line) = rx.recv() {
            let _ = writeln!(err, "{}", neutralize(&line));
            while let Ok(more) = rx.try_recv() {
                let _ = writeln!(err, "{}", neutralize(&more));
            }
            let _ = err.flush();
        }
    });
    tx
}

/// Takes the port, before any key is fetched: a port in use is the commonest reason serve cannot start.
pub async fn listen(addr: SocketAddr) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(addr).await.map_err(|source| match source.kind() {
        std::io::ErrorKind::AddrInUse => ServeError::AddressInUse { addr },
        _ => ServeError::Listen { addr, source },
    })
}

/// Serves `served` on `listener` until Ctrl-C. `ready` is told the bound address.
pub async fn run(
    listener: tokio::net::TcpListener,
    opts: Options,
    served: Served,
    source: impl JwksSource,
    keys: Arc<Keys>,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    for r in &served.routes {
        if let Target::Missing(arn) = &r.target {
            eprintln!(
                "warning: route `{}` invokes {arn}; give its local runtime with --integration \"{}=http://127.0.0.1:9000\" (until then it answers 500)",
                r.key, r.key
            );
        }
    }
    let client = reqwest::Client::builder()
        .timeout(INTEGRATION_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .build()?;
    let state = Arc::new(AppState {
        served: RwLock::new(Arc::new(served)),
        keys: keys.clone(),
        client,
        json_log: opts.json_log,
        requests: AtomicU64::new(0),
        log: log_writer(),
        token: opts.token_issuer.clone().map(token_endpoint::Endpoint::new),
    });
    tokio::spawn(keys::keep_fresh(source, keys));
    tokio::spawn(reload_stack(
        opts.stack_file.clone(),
        opts.region.clone(),
        opts.overrides.clone(),
        state.clone(),
    ));
    let addr = listener.local_addr().map_err(ServeError::Socket)?;
    ready(addr);
    accept(listener, state, opts.header_timeout, opts.max_connections).await;
    Ok(())
}

/// Serves connections until Ctrl-C. Each connection has `header_timeout` to send a request's headers (which
/// also bounds an idle keep-alive connection), and at most `max_connections` are open at once: a slow or idle
/// client cannot hold the server.
async fn accept(listener: tokio::net::TcpListener, state: Arc<AppState>, header_timeout: Duration, max_connections: usize) {
    let permits = Arc::new(tokio::sync::Semaphore::new(max_connections.max(1)));
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    let mut refused = 0u64;
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => {
                eprintln!("Ctrl-C: stopping");
                return;
            }
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(_) => continue,
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            refused += 1;
            if refused.is_power_of_two() {
                eprintln!("serve: {max_connections} connections are open; closing new ones ({refused} so far; --max-connections)");
            }
            continue;
        };
        let state = state.clone();
        let service = hyper::service::service_fn(move |req: Request| {
            let state = state.clone();
            async move { Ok::<_, std::convert::Infallible>(handle(&state, peer, req).await) }
        });
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = connection.await;
            drop(permit);
        });
    }
}

/// Reloads stack.yaml when it changes; an invalid file is reported and the routes served so far stay.
async fn reload_stack(file: PathBuf, region: String, overrides: Vec<(String, String)>, state: Arc<AppState>) {
    let stamp = |f: &PathBuf| std::fs::metadata(f).and_then(|m| m.modified()).ok();
    let mut last = stamp(&file);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = stamp(&file);
        if now == last {
            continue;
        }
        last = now;
        match config::load(&file)
            .map_err(|e| e.to_string())
            .and_then(|s| served(&s, &region, &overrides).map_err(|e| e.to_string()))
        {
            Ok(s) if !s.same_keys(&state.served.read().unwrap_or_else(|e| e.into_inner())) => eprintln!(
                "stack: {} changes the API type or the trusted issuers, whose keys serve read when it started: restart serve; still serving the previous routes",
                file.display()
            ),
            Ok(s) => {
                let n = s.routes.len();
                *state.served.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(s);
                eprintln!("stack: reloaded {} ({n} route(s))", file.display());
            }
            Err(e) => eprintln!("stack: {} is not valid, still serving the previous routes:\n{e}", file.display()),
        }
    }
}

fn message(status: u16, text: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = response(status, json!({ "message": text }).to_string());
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    r
}

/// A request no route takes: an HTTP API answers 404; a REST API 403 `Missing Authentication Token`, for a
/// path it lacks and for a method its resource lacks alike (AWS Knowledge Center, "Why do I get Missing
/// Authentication Token errors from API Gateway?").
fn no_route(served: &Served) -> Response {
    if served.rest_stage.is_none() {
        return message(404, "Not Found");
    }
    let mut r = message(403, "Missing Authentication Token");
    r.headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static("MissingAuthenticationTokenException"));
    r
}

fn denial(d: &Decision) -> Response {
    let mut r = if d.status == 403 {
        message(403, "Forbidden")
    } else {
        message(401, "Unauthorized")
    };
    if let Some(w) = d.www_authenticate.as_deref().and_then(|w| HeaderValue::from_str(w).ok()) {
        r.headers_mut().insert("www-authenticate", w);
    }
    r
}

/// What the access log says about one request: its route, and why it failed, by who failed it (the names
/// are API Gateway's `$context` variables: `authorizer.error`, `integration.error`).
#[derive(Default)]
struct Log {
    route: Option<String>,
    /// The request itself (too large): refused before routing.
    request_error: Option<String>,
    /// The token: 401/403.
    authorizer_error: Option<String>,
    /// The backend: unreachable, timed out, failed, or answered what cannot be relayed.
    integration_error: Option<String>,
    /// Answered by the gateway as a CORS preflight.
    preflight: bool,
}

async fn handle(state: &AppState, peer: SocketAddr, req: Request) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let mut log = Log::default();
    let cors = state.served.read().unwrap_or_else(|e| e.into_inner()).cors.clone();
    let request_headers = cors.as_ref().map(|_| req.headers().clone());
    let mut response = answer(state, peer, req, &method, &path, &mut log).await;
    if let (Some(c), Some(h)) = (&cors, &request_headers)
        && !log.preflight
    {
        cors::decorate(c, h, &mut response);
    }
    let n = state.requests.fetch_add(1, Ordering::Relaxed);
    access_log(state, n, &method, &path, &log, response.status().as_u16(), started.elapsed());
    response
}

fn access_log(state: &AppState, n: u64, method: &str, path: &str, log: &Log, status: u16, took: Duration) {
    let ms = took.as_secs_f64() * 1000.0;
    let line = if state.json_log {
        json!({"request": n, "method": method, "path": path, "route": log.route, "status": status,
               "request_error": log.request_error, "authorizer_error": log.authorizer_error,
               "integration_error": log.integration_error, "latency_ms": (ms * 1000.0).round() / 1000.0})
        .to_string()
    } else {
        let quoted = |v: &Option<String>| v.as_deref().map(|e| format!("\"{e}\"")).unwrap_or_else(|| "-".into());
        // The error field names who failed the request; a request that failed nowhere shows none.
        let error = [
            ("request_error", &log.request_error),
            ("authorizer_error", &log.authorizer_error),
            ("integration_error", &log.integration_error),
        ]
        .iter()
        .find(|(_, v)| v.is_some())
        .map(|(k, v)| format!(" {k}={}", quoted(v)))
        .unwrap_or_else(|| " authorizer_error=-".into());
        format!(
            "{method} {path} route={} status={status}{error} latency_ms={ms:.3}",
            quoted(&log.route),
        )
    };
    let _ = state.log.send(line);
}

async fn answer(state: &AppState, peer: SocketAddr, req: Request, method: &str, path: &str, log: &mut Log) -> Response {
    let header_bytes: usize = req.uri().to_string().len()
        + req.method().as_str().len()
        + req.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum::<usize>();
    if header_bytes > MAX_HEADER_BYTES {
        log.request_error = Some(format!(
            "request line and headers are {header_bytes} bytes, over {MAX_HEADER_BYTES}"
        ));
        return message(431, "Request Header Fields Too Large");
    }
    // A path with a dot segment (`..`, `%2e%2e`) or a backslash is matched as one route and, once an HTTP
    // client normalises it, fetched as another: the route that was checked and the path that was forwarded
    // would disagree. AWS documents no normalisation for HTTP APIs, so serve takes the strict reading: refused.
    if let Some(why) = unsafe_path(path) {
        log.request_error = Some(why);
        return message(400, "Bad Request");
    }
    let served = state.served.read().unwrap_or_else(|e| e.into_inner()).clone();
    // The token endpoint is a public `POST` route of its own, which no route of the stack may take.
    if let Some(te) = served.token_endpoint.as_ref().filter(|te| method == "POST" && path == te.path) {
        log.route = Some(format!("POST {}", te.path));
        let Some(endpoint) = &state.token else {
            log.integration_error = Some("the token endpoint has no key or clients to answer with".into());
            return message(500, "Internal Server Error");
        };
        let (parts, body) = req.into_parts();
        let Ok(body) = Limited::new(body, jwtstack_core::oauth::MAX_BODY_BYTES)
            .collect()
            .await
            .map(|b| b.to_bytes())
        else {
            // Refused as the rules refuse it, without reading the rest.
            return token_endpoint::refuse(jwtstack_core::oauth::OAuthError::body_too_large(), &mut log.integration_error);
        };
        let now = jwtstack_core::clock::now_secs();
        return endpoint.answer(te, &parts.headers, &body, now, &mut log.integration_error).await;
    }
    let selected = config::route::select(served.routes.iter().map(|r| &r.key), method, path);
    // A preflight no route takes is the gateway's to answer.
    if let Some(c) = &served.cors
        && selected.is_none()
        && cors::is_preflight(method, req.headers())
    {
        log.preflight = true;
        return cors::preflight(c, req.headers());
    }
    let route = selected.and_then(|(key, params)| Some((served.routes.iter().find(|r| std::ptr::eq(&r.key, key))?, params)));
    let Some((route, params)) = route else {
        return no_route(&served);
    };
    log.route = Some(route.key.to_string());
    let now = jwtstack_core::clock::now_secs();
    // A public route (`auth: none`) reads no token; every other one is decided on as the authorizer decides.
    let checked;
    let mut claims = None;
    if !route.public {
        // The identity source: $request.header.Authorization, exactly one of it. With two, which one API Gateway
        // would check is not documented, and checking one while forwarding both lets the other through.
        if req.headers().get_all("authorization").iter().count() > 1 {
            log.authorizer_error = Some("more than one Authorization header".into());
            return message(401, "Unauthorized");
        }
        let identity = req
            .headers()
            .get("authorization")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        checked = state.keys.check(identity.as_deref());
        let verified = match checked.as_ref() {
            Ok(v) => v,
            Err(d) => {
                log.authorizer_error = Some(d.reason.clone());
                return denial(d);
            }
        };
        let decision = decide(&served.authorizer, verified, Some(&route.scopes), now);
        if !decision.allowed {
            log.authorizer_error = Some(decision.reason.clone());
            return denial(&decision);
        }
        claims = Some(&verified.claims);
    }
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return message(413, "Request Entity Too Large"),
    };
    let query = parts.uri.query().unwrap_or("").to_string();
    match &route.target {
        Target::Missing(arn) => {
            log.integration_error = Some(format!("no local runtime for {arn} (--integration)"));
            lambda::failed(served.rest_stage.is_some(), false)
        }
        Target::Http(template) => forward_http(state, template, &params, &query, &parts.method, &parts.headers, body, peer, log).await,
        Target::Lambda(base) => {
            let checked = lambda::Checked {
                method,
                path,
                query: &query,
                headers: &parts.headers,
                body: &body,
                params: &params,
                claims,
                peer,
            };
            lambda::call(state, base, route, served.rest_stage.as_deref(), &checked, log).await
        }
    }
}

/// An integration that gave no answer: 503 when it timed out, 500 otherwise, as API Gateway answers.
fn unreachable(e: &reqwest::Error, what: &str, url: &str, log: &mut Log) -> Response {
    if e.is_timeout() {
        log.integration_error = Some(format!("{what} timed out: {url}"));
        message(503, "Service Unavailable")
    } else {
        log.integration_error = Some(format!("{what} unreachable: {url}: {e}"));
        message(500, "Internal Server Error")
    }
}

#[allow(clippy::too_many_arguments)]
async fn forward_http(
    state: &AppState,
    template: &str,
    params: &BTreeMap<String, String>,
    query: &str,
    method: &Method,
    headers: &HeaderMap,
    body: Bytes,
    peer: SocketAddr,
    log: &mut Log,
) -> Response {
    let url = integration_url(template, params, query);
    // The URL sent upstream stays under the integration's own path (defence in depth: dot segments are
    // refused before routing).
    if !stays_under(template, &url) {
        log.request_error = Some(format!("the integration URL {url} leaves the integration's path"));
        return message(400, "Bad Request");
    }
    let mut out = state.client.request(method.clone(), &url);
    for (k, v) in headers
        .iter()
        .filter(|(k, _)| passes(k, headers) && !FORWARDING.contains(&k.as_str()))
    {
        out = out.header(k, v);
    }
    out = out
        .header("x-forwarded-for", peer.ip().to_string())
        .header("x-forwarded-proto", "http");
    let resp = match out.body(body).send().await {
        Ok(r) => r,
        Err(e) => return unreachable(&e, "integration", &url, log),
    };
    let status = resp.status();
    let mut headers = HeaderMap::new();
    for (k, v) in resp.headers().iter().filter(|(k, _)| passes(k, resp.headers())) {
        headers.append(k.clone(), v.clone());
    }
    let body = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => {
            log.integration_error = Some(format!("integration answer broke off: {e}"));
            return message(500, "Internal Server Error");
        }
    };
    let mut r = response(status, body);
    *r.headers_mut() = headers;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integration_urls() {
        let p = BTreeMap::from([("proxy".to_string(), "a/b".to_string()), ("id".to_string(), "7".to_string())]);
        assert_eq!(integration_url("http://u/x/{proxy}", &p, "q=1"), "http://u/x/a/b?q=1");
        assert_eq!(integration_url("http://u/o/{id}?k=v", &p, "q=1"), "http://u/o/7?k=v&q=1");
        assert_eq!(integration_url("http://u/o", &p, ""), "http://u/o");
    }

    #[test]
    fn overrides() {
        assert_eq!(
            parse_override("GET /lists/{id}=http://127.0.0.1:9/l/{id}").unwrap(),
            ("GET /lists/{id}".to_string(), "http://127.0.0.1:9/l/{id}".to_string())
        );
        assert!(parse_override("GET /x").is_err());
        assert!(parse_override("GET /x=ftp://h").is_err());
    }
}
