//! The stack's token endpoint: OAuth 2.0 client credentials (RFC 6749 sections 2.3.1, 4.4 and 5), decided
//! without I/O. A caller (`serve`, and the deployed function, which follows the same rules) reads the request,
//! hands it to [`parse`], looks up the client record [`parse`] names, and hands both to [`grant`]; the
//! [`Grant`] says what to mint and [`OAuthError`] what to answer instead.
//!
//! A client's secret is 256 random bits; only its SHA-256 is stored (a fast hash is enough for a secret of that
//! entropy: there is no dictionary to try). Secrets are compared in constant time, an unknown client costs the
//! same comparison as a known one, and every failure of client authentication is the same `invalid_client`.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

/// The most of a request body the endpoint reads: a client-credentials request is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// How long a client record may be cached, in seconds: a disabled or removed client gets `invalid_client`
/// within this time.
pub const CLIENT_CACHE_SECONDS: u64 = 30;
/// The default path and lifetime of the endpoint's tokens.
pub const DEFAULT_PATH: &str = "/oauth2/token";
pub const DEFAULT_TTL: u64 = 900;
/// A client name: what `jwtstack clients` commands take; letters, digits, `-`, `_` and `.`, 1 to 64.
pub const MAX_NAME: usize = 64;
/// The prefix of every secret: secret scanners and people recognise it.
pub const SECRET_PREFIX: &str = "jwtss_";

/// One client as stored (`/jwtstack/{stack}/clients/{client_id}`): never a secret, only its hashes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    pub name: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// The token's audience; the stack's first audience when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The token lifetime for this client, seconds; the endpoint's `ttl` when absent (and never over it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    #[serde(default)]
    pub disabled: bool,
    pub secrets: Vec<SecretHash>,
    pub created_at: u64,
}

/// The SHA-256 of a secret (hex), and when it stops being accepted (a secret rotated out keeps working for
/// its grace period).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretHash {
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

/// Never the hashes: a record in a log or an error shows what it grants and nothing that authenticates.
impl std::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .field("disabled", &self.disabled)
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl ClientRecord {
    /// The record an SSM parameter under the clients' path holds, when it parses and names the client its path
    /// names (`client_id`); anything else is no record jwtstack wrote.
    pub fn from_parameter(client_id: &str, value: Option<&str>) -> Option<ClientRecord> {
        value
            .and_then(|v| serde_json::from_str::<ClientRecord>(v).ok())
            .filter(|r| r.client_id == client_id)
    }

    /// A new, enabled client with one secret (its SHA-256), the stack's default audience and the endpoint's ttl.
    pub fn new(name: &str, client_id: &str, scopes: Vec<String>, secret_sha256: String, created_at: u64) -> ClientRecord {
        ClientRecord {
            name: name.to_string(),
            client_id: client_id.to_string(),
            scopes,
            audience: None,
            ttl: None,
            disabled: false,
            secrets: vec![SecretHash {
                sha256: secret_sha256,
                expires_at: None,
            }],
            created_at,
        }
    }

    /// The secrets accepted at `now`.
    pub fn live_secrets(&self, now: u64) -> usize {
        self.secrets.iter().filter(|s| s.expires_at.is_none_or(|t| now < t)).count()
    }
}

/// A new client id: 20 characters of base64url (120 random bits), never holding `:` (RFC 7617 forbids it in
/// a Basic user id).
pub fn new_client_id<R: RngCore + CryptoRng>(rng: &mut R) -> String {
    let mut b = [0u8; 15];
    rng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// A new secret: [`SECRET_PREFIX`] and 256 random bits in base64url.
pub fn new_secret<R: RngCore + CryptoRng>(rng: &mut R) -> String {
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b);
    format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(b))
}

/// The stored form of a secret: its SHA-256 in lower-case hex.
pub fn hash_secret(secret: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// What a log may say of a client id a request sent: the id when it can be one jwtstack made and is not a
/// secret pasted into the wrong field (or an id and secret swapped), else nothing of it.
pub fn loggable_client_id(client_id: &str) -> &str {
    if plausible_client_id(client_id) && !client_id.starts_with(SECRET_PREFIX) {
        client_id
    } else {
        "(not shown)"
    }
}

/// Whether `client_id` can be one jwtstack made (base64url, as [`new_client_id`] writes it): anything else is
/// never looked up, so no client id can name another parameter.
pub fn plausible_client_id(client_id: &str) -> bool {
    (1..=64).contains(&client_id.len()) && client_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether `name` may name a client.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// An error answer of RFC 6749 section 5.2: the status, `error`, and a description that never says which part
/// of a client's credentials was wrong and never repeats what the client sent (RFC 6749 5.2 limits its
/// characters; a log line must not carry the client's text). `basic_challenge`: send `WWW-Authenticate: Basic`,
/// which every 401 carries (RFC 7235 section 3.1), whichever way the client authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
    pub basic_challenge: bool,
}

impl OAuthError {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            error,
            description: description.into(),
            basic_challenge: false,
        }
    }
    fn invalid_request(description: impl Into<String>) -> OAuthError {
        OAuthError::new(400, "invalid_request", description)
    }
    /// A body over [`MAX_BODY_BYTES`]: a reader that stops at the bound answers this without the rest.
    pub fn body_too_large() -> OAuthError {
        OAuthError::new(413, "invalid_request", format!("the request body is over {MAX_BODY_BYTES} bytes"))
    }

    fn invalid_client() -> OAuthError {
        OAuthError {
            basic_challenge: true,
            ..OAuthError::new(401, "invalid_client", "client authentication failed")
        }
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        serde_json::json!({ "error": self.error, "error_description": self.description }).to_string()
    }
}

/// What a request carries that matters, once it is well formed.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub client_id: String,
    secret: String,
    /// `scope` as sent: `None` when absent or empty (all the client's scopes).
    pub scope: Option<Vec<String>>,
    /// Whether the client authenticated with HTTP Basic (`client_secret_basic`).
    pub basic: bool,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .field("basic", &self.basic)
            .finish_non_exhaustive()
    }
}

/// Reads a request to the token endpoint: the method, its `Content-Type` and `Authorization` headers (each
/// `None` when absent; a header sent twice is the caller's to refuse) and the body (at most
/// [`MAX_BODY_BYTES`]). RFC 6749: POST (3.2), a form body (4.4.2), no parameter twice (3.2), one way of client
/// authentication (2.3), Basic credentials form-encoded before base64 (2.3.1).
pub fn parse(method: &str, content_type: Option<&str>, authorization: Option<&str>, body: &[u8]) -> Result<TokenRequest, OAuthError> {
    if method != "POST" {
        return Err(OAuthError::new(405, "invalid_request", "the token endpoint takes POST only"));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(OAuthError::body_too_large());
    }
    let form_type = content_type
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| trim_ows(t).eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded"));
    }
    let text = std::str::from_utf8(body).map_err(|_| OAuthError::invalid_request("the body is not UTF-8"))?;
    let mut params: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
        if params.iter().any(|(seen, _)| *seen == k) {
            return Err(OAuthError::invalid_request("a parameter is given more than once"));
        }
        params.push((k.into_owned(), v.into_owned()));
    }
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match param("grant_type") {
        None | Some("") => return Err(OAuthError::invalid_request("grant_type is missing")),
        Some("client_credentials") => {}
        Some(_) => {
            return Err(OAuthError::new(
                400,
                "unsupported_grant_type",
                "this endpoint issues client_credentials grants only",
            ));
        }
    }
    let scope = param("scope")
        .map(|s| s.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !s.is_empty());
    let (client_id, secret, basic) = match authorization {
        Some(header) => {
            if param("client_secret").is_some() {
                return Err(OAuthError::invalid_request(
                    "the client authenticated twice (Authorization header and client_secret): use one",
                ));
            }
            let (id, secret) = basic_credentials(header).ok_or_else(OAuthError::invalid_client)?;
            if param("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the Authorization header's",
                ));
            }
            (id, secret, true)
        }
        None => match (param("client_id"), param("client_secret")) {
            (None | Some(""), _) => return Err(OAuthError::invalid_request("client_id is missing")),
            (Some(id), Some(secret)) => (id.to_string(), secret.to_string(), false),
            (Some(_), None) => return Err(OAuthError::invalid_client()),
        },
    };
    Ok(TokenRequest {
        client_id,
        secret,
        scope,
        basic,
    })
}

/// Spaces and tabs, the only whitespace HTTP puts around a header's parts (RFC 9110 5.6.3); `str::trim` would
/// take more, and the function's JavaScript other characters.
fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// One application/x-www-form-urlencoded value, strictly: `+` is a space, `%` must start two hex digits, and
/// the bytes must be UTF-8 (as JavaScript's `decodeURIComponent` takes them); anything else is `None`.
fn unform(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit))?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `Basic base64(form-encoded id ":" form-encoded secret)`, RFC 6749 2.3.1 and RFC 7617; canonical base64 only.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = trim_ows(header).split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(trim_ows(rest)).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let (id, secret) = (unform(id)?, unform(secret)?);
    (!id.is_empty()).then_some((id, secret))
}

/// What the stack allows: the scopes its routes grant, its audiences, the endpoint's longest token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed<'a> {
    pub route_scopes: &'a [String],
    pub audiences: &'a [String],
    pub max_ttl: u64,
}

/// What to mint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub audience: String,
    pub ttl: u64,
}

/// A hash no secret has, compared against when the client is unknown, so that an unknown client id costs what
/// a wrong secret does.
const NO_CLIENT: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Decides a well-formed request against its client's record (`None`: no such client). Client authentication
/// first (unknown, disabled, or a secret that matches no live hash are one and the same `invalid_client`), then
/// the client's standing with the stack (`unauthorized_client`), then the scope (`invalid_scope`).
pub fn grant(req: &TokenRequest, record: Option<&ClientRecord>, allowed: &Allowed, now: u64) -> Result<Grant, OAuthError> {
    let presented = hash_secret(&req.secret);
    let mut matched = false;
    match record {
        Some(r) => {
            for s in &r.secrets {
                let live = s.expires_at.is_none_or(|t| now < t);
                let equal = aws_lc_rs::constant_time::verify_slices_are_equal(presented.as_bytes(), s.sha256.as_bytes()).is_ok();
                matched |= live & equal;
            }
        }
        None => {
            let _ = aws_lc_rs::constant_time::verify_slices_are_equal(presented.as_bytes(), NO_CLIENT.as_bytes());
        }
    }
    let record = match record {
        Some(r) if matched && !r.disabled && r.client_id == req.client_id => r,
        _ => return Err(OAuthError::invalid_client()),
    };
    let audience = match &record.audience {
        Some(a) if allowed.audiences.contains(a) => a.clone(),
        Some(a) => {
            return Err(OAuthError::new(
                400,
                "unauthorized_client",
                format!("the client's audience `{a}` is not one of the stack's"),
            ));
        }
        None => allowed
            .audiences
            .first()
            .cloned()
            .ok_or_else(|| OAuthError::new(400, "unauthorized_client", "the stack has no audience to issue tokens for"))?,
    };
    // What the client may have that a route still grants: a scope no route grants opens nothing.
    let usable: Vec<String> = record.scopes.iter().filter(|s| allowed.route_scopes.contains(s)).cloned().collect();
    let scopes = match &req.scope {
        None if usable.is_empty() => {
            return Err(OAuthError::new(
                400,
                "unauthorized_client",
                "none of the client's scopes is granted by a route of the stack",
            ));
        }
        None => usable,
        Some(asked) => {
            if asked.iter().any(|s| !usable.contains(s)) {
                return Err(OAuthError::new(
                    400,
                    "invalid_scope",
                    "a scope asked for is not one this client may have",
                ));
            }
            let mut once: Vec<String> = Vec::new();
            for s in asked {
                if !once.contains(s) {
                    once.push(s.clone());
                }
            }
            once
        }
    };
    Ok(Grant {
        client_id: record.client_id.clone(),
        scopes,
        audience,
        ttl: record.ttl.filter(|t| *t > 0).map_or(allowed.max_ttl, |t| t.min(allowed.max_ttl)),
    })
}

/// The success answer of RFC 6749 section 5.1 (to send with `Cache-Control: no-store`).
pub fn success_body(token: &str, grant: &Grant) -> String {
    serde_json::json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": grant.ttl,
        "scope": grant.scopes.join(" "),
    })
    .to_string()
}

pub mod events;
pub mod package;

#[cfg(test)]
mod tests;
