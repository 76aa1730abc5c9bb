//! The stack's token endpoint as `serve` answers it: `POST {token_endpoint.path}`, decided by
//! [`jwtstack_core::oauth`] (the rules the deployed function follows), with client records and signatures from
//! a [`TokenIssuer`] the binary implements over SSM and the stack's key.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::http::{HeaderMap, HeaderValue, StatusCode};
use jwtstack_core::oauth::{self, Allowed, CLIENT_CACHE_SECONDS, ClientRecord, Grant, OAuthError};

use crate::{Response, response};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where the token endpoint's clients and signatures come from.
pub trait TokenIssuer: Send + Sync + 'static {
    /// Every client record jwtstack made for this stack.
    fn clients(&self) -> BoxFuture<'_, Result<Vec<ClientRecord>, String>>;
    /// A token for `grant`, signed with the stack's key `kid`.
    fn mint<'a>(&'a self, grant: &'a Grant, kid: &'a str) -> BoxFuture<'a, Result<String, String>>;
}

/// The endpoint as the stack file declares it, and what the stack allows a client.
#[derive(Debug, Clone)]
pub struct ServedTokenEndpoint {
    pub path: String,
    pub ttl: u64,
    pub route_scopes: Vec<String>,
    pub audiences: Vec<String>,
    /// The signing key's kid: the stack file's `key_id`, followed as serve reloads it.
    pub kid: String,
}

/// The issuer and every client record, read whole: again once the reading is [`CLIENT_CACHE_SECONDS`] old, so
/// a disabled or removed client is refused within that time; and on a client id not found, at most once per
/// [`REREAD_ON_MISS`], so a new client works within seconds while a flood of made-up ids costs no AWS call
/// each (and no id is answered faster or slower for being known).
pub struct Endpoint {
    issuer: Arc<dyn TokenIssuer>,
    records: tokio::sync::Mutex<Records>,
}

struct Records {
    by_id: HashMap<String, ClientRecord>,
    read_at: Option<Instant>,
}

pub const REREAD_ON_MISS: Duration = Duration::from_secs(5);

impl Endpoint {
    pub fn new(issuer: Arc<dyn TokenIssuer>) -> Endpoint {
        Endpoint {
            issuer,
            records: tokio::sync::Mutex::new(Records {
                by_id: HashMap::new(),
                read_at: None,
            }),
        }
    }

    async fn record(&self, client_id: &str) -> Result<Option<ClientRecord>, String> {
        if !oauth::plausible_client_id(client_id) {
            return Ok(None);
        }
        let mut records = self.records.lock().await;
        let age = records.read_at.map(|t| t.elapsed());
        let stale = age.is_none_or(|a| a >= Duration::from_secs(CLIENT_CACHE_SECONDS));
        let missing = !records.by_id.contains_key(client_id) && age.is_none_or(|a| a >= REREAD_ON_MISS);
        if stale || missing {
            let all = self.issuer.clients().await?;
            records.by_id = all.into_iter().map(|r| (r.client_id.clone(), r)).collect();
            records.read_at = Some(Instant::now());
        }
        Ok(records.by_id.get(client_id).cloned())
    }

    /// Answers one request. `failure` is told why a request failed, for the access log (never a secret, never
    /// text the client chose beyond a client id that can be one).
    pub async fn answer(
        &self,
        te: &ServedTokenEndpoint,
        headers: &HeaderMap,
        body: &Bytes,
        now: u64,
        failure: &mut Option<String>,
    ) -> Response {
        // API Gateway hands an integration a header sent twice as one, its values joined by commas (payload
        // format 2.0): so does serve, and the function and serve then decide alike.
        let joined = |name: &str| -> Option<String> {
            let values: Vec<String> = headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            (!values.is_empty()).then(|| values.join(","))
        };
        let decided = async {
            let (content_type, authorization) = (joined("content-type"), joined("authorization"));
            let req = oauth::parse("POST", content_type.as_deref(), authorization.as_deref(), body)?;
            let record = self.record(&req.client_id).await.map_err(|e| {
                OAuthError {
                    status: 500,
                    error: "server_error",
                    description: "the client could not be looked up".into(),
                    basic_challenge: false,
                }
                .with_cause(e)
            })?;
            let allowed = Allowed {
                route_scopes: &te.route_scopes,
                audiences: &te.audiences,
                max_ttl: te.ttl,
            };
            let grant = oauth::grant(&req, record.as_ref(), &allowed, now).map_err(|e| e.for_client(&req.client_id))?;
            let token = self.issuer.mint(&grant, &te.kid).await.map_err(|e| {
                OAuthError {
                    status: 500,
                    error: "server_error",
                    description: "the token could not be signed".into(),
                    basic_challenge: false,
                }
                .with_cause(e)
            })?;
            Ok::<_, Failed>((token, grant))
        };
        match decided.await {
            Ok((token, grant)) => json(StatusCode::OK, oauth::success_body(&token, &grant)),
            Err(f) => f.answer(failure),
        }
    }
}

/// Answers `error` to a request refused before it reached [`Endpoint::answer`] (a body over the bound), telling
/// `failure` why.
pub fn refuse(error: OAuthError, failure: &mut Option<String>) -> Response {
    Failed::from(error).answer(failure)
}

/// An error of RFC 6749 5.2 as JSON, with `WWW-Authenticate` on a 401 and `Allow` on a 405.
fn error_answer(error: &OAuthError) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = json(status, error.body());
    if error.basic_challenge {
        r.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static("Basic realm=\"jwtstack\", charset=\"UTF-8\""),
        );
    }
    if error.status == 405 {
        r.headers_mut().insert("allow", HeaderValue::from_static("POST"));
    }
    r
}

/// An error answer, and what the access log says of it (the client id when one was sent; a cause the client
/// is not told, such as why a lookup failed).
struct Failed {
    error: OAuthError,
    log: String,
}

impl Failed {
    fn answer(self, failure: &mut Option<String>) -> Response {
        *failure = Some(self.log);
        error_answer(&self.error)
    }
}

impl From<OAuthError> for Failed {
    fn from(error: OAuthError) -> Failed {
        let log = format!("{}: {}", error.error, error.description);
        Failed { error, log }
    }
}

trait Cause {
    fn with_cause(self, cause: String) -> Failed;
    fn for_client(self, client_id: &str) -> Failed;
}

impl Cause for OAuthError {
    fn with_cause(self, cause: String) -> Failed {
        let log = format!("{}: {} ({cause})", self.error, self.description);
        Failed { error: self, log }
    }
    fn for_client(self, client_id: &str) -> Failed {
        let log = format!(
            "{}: {} (client_id {})",
            self.error,
            self.description,
            oauth::loggable_client_id(client_id)
        );
        Failed { error: self, log }
    }
}

/// A JSON answer that no cache keeps (RFC 6749 5.1: `Cache-Control: no-store`, and `Pragma: no-cache`).
fn json(status: StatusCode, body: String) -> Response {
    let mut r = response(status, body);
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json;charset=UTF-8"));
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    h.insert("pragma", HeaderValue::from_static("no-cache"));
    r
}
