//! Reading an issuer the way API Gateway does (`{issuer}/.well-known/openid-configuration`, then its
//! `jwks_uri`, each within 1500 ms and 150,000 bytes) and saying what would make the authorizer fail, each
//! finding with its fix. Used by `check`, by deploy for an external issuer, and by `verify` to find an
//! external issuer's keys.
//!
//! The analysis of what was fetched is pure ([`analyze_discovery`], [`analyze_jwks`]); `jwtstack_aws::fetch::check`
//! does the I/O.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::crypto::jws::Alg;
use crate::crypto::keys::{Jwk, Jwks};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// API Gateway will refuse tokens (or the issuer) because of it.
    Error,
    /// Works with API Gateway, but is fragile or unusual.
    Warning,
}

/// One problem, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub level: Level,
    /// A stable name for scripts and tests (`issuer_mismatch`, `jwks_no_rsa_key`...).
    pub code: &'static str,
    pub message: String,
    pub fix: String,
}

fn error(code: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        level: Level::Error,
        code,
        message: message.into(),
        fix: fix.into(),
    }
}

fn warning(code: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        level: Level::Warning,
        ..error(code, message, fix)
    }
}

/// What was learnt about an issuer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub issuer: String,
    pub discovery_url: String,
    pub jwks_uri: Option<String>,
    /// The kids of the usable keys (RSA, with a kid).
    pub kids: Vec<String>,
    pub findings: Vec<Finding>,
    /// A REST API's authorizer: the report of each issuer it trusts beside this one (`trust:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted: Vec<Report>,
    /// The usable keys, for `verify`.
    #[serde(skip)]
    pub jwks: Option<Jwks>,
}

/// On an emulator (`--endpoint-url`) the issuer URL is real AWS's, which the emulator does not serve.
pub fn emulator_skip(url: &str) -> Finding {
    warning(
        "issuer_check_skipped",
        format!("--endpoint-url sends AWS calls to an emulator, which does not serve {url}"),
        "run `jwtstack check` against real AWS",
    )
}

impl Report {
    /// A report that read nothing, for the reason given.
    pub fn skipped(issuer: &str, why: Finding) -> Report {
        Report {
            issuer: issuer.into(),
            discovery_url: format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')),
            jwks_uri: None,
            kids: Vec::new(),
            findings: vec![why],
            trusted: Vec::new(),
            jwks: None,
        }
    }

    /// No error, in this issuer's findings or a trusted issuer's.
    pub fn ok(&self) -> bool {
        !self.findings.iter().any(|f| f.level == Level::Error) && self.trusted.iter().all(Report::ok)
    }

    /// The findings as text, one per line with its fix under it. A finding quotes what the issuer served (its
    /// `issuer`, a kid, a content type): each is [`printable`](crate::text::printable), so a served value
    /// cannot add a line of its own (a forged `fix:`).
    pub fn render(&self) -> String {
        use crate::text::printable;
        let mut out = String::new();
        for f in &self.findings {
            let tag = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
            };
            out.push_str(&format!(
                "{tag}[{}]: {}\n  fix: {}\n",
                f.code,
                printable(&f.message),
                printable(&f.fix)
            ));
        }
        out
    }
}

/// What the caller knows the issuer must publish.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// Kids that must be in the JWKS (a hosted stack's published keys).
    pub kids: Vec<String>,
    /// The issuer is jwtstack's own S3 bucket: a 403 means the bucket is not public.
    pub hosted_on_s3: bool,
    /// jwtstack publishes the documents (a bucket, maybe behind CloudFront): fixes name deploy.
    pub hosted: bool,
    /// The stack already makes the bucket public (`issuer.public: true`).
    pub public: bool,
    /// A REST API's authorizer reads it: EC keys (ES256/384/512) and RSA keys for RS384/RS512 are usable too.
    pub rest: bool,
}

impl Expect {
    /// What a stack's issuer must publish: a hosted one, every key the stack publishes; an external one, no
    /// particular key.
    pub fn of(stack: &crate::config::Stack) -> Expect {
        match stack.hosted() {
            Some(h) => Expect {
                kids: h.published_keys().into_iter().map(String::from).collect(),
                hosted_on_s3: h.url.is_none(),
                hosted: true,
                public: h.public,
                rest: stack.api_type == crate::config::ApiType::Rest,
            },
            None => Expect {
                rest: stack.api_type == crate::config::ApiType::Rest,
                ..Expect::default()
            },
        }
    }
}

/// `{issuer}/.well-known/openid-configuration`, as API Gateway builds it.
pub fn discovery_url(issuer: &str) -> String {
    format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))
}

fn unreachable(code: &'static str, what: &str, e: &FetchError, expect: &Expect) -> Finding {
    let fix = match e {
        FetchError::Timeout { .. } => "serve it faster than 1500 ms (API Gateway gives up then); a CDN in front helps".to_string(),
        FetchError::TooLarge { .. } => "keep it under 150,000 bytes: publish fewer keys".to_string(),
        FetchError::Status { status: 403, .. } if expect.hosted_on_s3 && expect.public => {
            "the stack's bucket policy allows public reads, yet S3 refuses them: the account's or the organisation's \
             Block Public Access (RestrictPublicBuckets), or a service control policy, overrides it. Serve the issuer \
             from a private bucket behind CloudFront (`cloudfront: true` under issuer; docs/cloudfront.md), \
             or ask an administrator for an exception"
                .to_string()
        }
        FetchError::Status { status: 403, .. } if expect.hosted_on_s3 => {
            "the bucket is not public: set issuer.public: true and deploy, or give CloudFront read access".to_string()
        }
        FetchError::Status { status: 403, .. } if expect.hosted => {
            "let CloudFront read the bucket (origin access control), or set issuer.public: true and deploy".to_string()
        }
        FetchError::Status { status: 403, .. } => "make it readable without credentials from the internet".to_string(),
        FetchError::Status { status: 404, .. } if expect.hosted_on_s3 => "run `jwtstack deploy` to publish it".to_string(),
        FetchError::Status { status: 404, .. } => "publish it at exactly this URL".to_string(),
        FetchError::Status { status, .. } if (300..400).contains(status) => {
            "API Gateway does not follow redirects: serve the document at this URL".to_string()
        }
        FetchError::Connect { reason, .. } if is_tls(reason) => {
            "serve it over https with a certificate from a public CA for this host name (API Gateway trusts nothing else)".to_string()
        }
        FetchError::BadUrl { .. } => "use an absolute https URL".to_string(),
        _ => "make it reachable over https from the internet".to_string(),
    };
    let message = match e {
        FetchError::Connect { url, reason } if is_tls(reason) => format!("{what}: TLS failed at {url}: {reason}"),
        _ => format!("{what}: {e}"),
    };
    error(code, message, fix)
}

fn is_tls(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("certificate") || r.contains("tls") || r.contains("handshake")
}

fn content_type(code: &'static str, what: &str, f: &Fetched) -> Option<Finding> {
    let ct = f.content_type.as_deref().unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    (essence != "application/json").then(|| {
        warning(
            code,
            format!("{what} is served as `{}`", if ct.is_empty() { "(no content type)" } else { ct }),
            "serve it with Content-Type: application/json (for S3: set the object's content type)",
        )
    })
}

/// Checks the discovery document; returns the `jwks_uri` to read next when there is one.
pub fn analyze_discovery(issuer: &str, url: &str, fetched: Result<Fetched, FetchError>, expect: &Expect) -> (Option<String>, Vec<Finding>) {
    let mut out = Vec::new();
    let f = match fetched {
        Ok(f) => f,
        Err(e) => {
            return (
                None,
                vec![unreachable("discovery_unreachable", "the discovery document", &e, expect)],
            );
        }
    };
    out.extend(content_type("discovery_content_type", "the discovery document", &f));
    let doc: Value = match serde_json::from_slice(&f.body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            out.push(error(
                "discovery_not_json",
                format!("{url} is not a JSON object"),
                "serve the OpenID discovery document: a JSON object with at least `issuer` and `jwks_uri`",
            ));
            return (None, out);
        }
    };
    match doc.get("issuer").and_then(Value::as_str) {
        None => out.push(error(
            "issuer_missing",
            "the discovery document has no `issuer`",
            format!("add \"issuer\": \"{issuer}\""),
        )),
        Some(got) if got != issuer => {
            let slash = got.trim_end_matches('/') == issuer.trim_end_matches('/');
            let message = if slash {
                format!(
                    "the discovery document's issuer `{got}` differs from `{issuer}` by a trailing slash; API Gateway compares byte for byte"
                )
            } else {
                format!("the discovery document's issuer is `{got}`, not `{issuer}`")
            };
            let fix = if expect.hosted {
                "the document was published for another issuer URL: run `jwtstack deploy`, which writes it from stack.yaml".to_string()
            } else {
                format!("configure the issuer exactly as the provider writes it (and as its tokens' `iss` say): `{got}`")
            };
            out.push(error("issuer_mismatch", message, fix));
        }
        Some(_) => {}
    }
    let jwks_uri = match doc.get("jwks_uri").and_then(Value::as_str) {
        None => {
            out.push(error(
                "jwks_uri_missing",
                "the discovery document has no `jwks_uri`",
                "add \"jwks_uri\": the https URL of the JWKS",
            ));
            None
        }
        Some(u) if !u.starts_with("https://") => {
            out.push(error(
                "jwks_uri_not_https",
                format!("jwks_uri `{u}` is not https"),
                "API Gateway reads the JWKS over https only",
            ));
            // Read it anyway, to report what else is wrong.
            Some(u.to_string())
        }
        Some(u) => Some(u.to_string()),
    };
    (jwks_uri, out)
}

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Checks the JWKS; returns its usable keys (RSA, with a kid).
pub fn analyze_jwks(url: &str, fetched: Result<Fetched, FetchError>, expect: &Expect) -> (Option<Jwks>, Vec<Finding>) {
    let mut out = Vec::new();
    let f = match fetched {
        Ok(f) => f,
        Err(e) => return (None, vec![unreachable("jwks_unreachable", "the JWKS", &e, expect)]),
    };
    out.extend(content_type("jwks_content_type", "the JWKS", &f));
    let keys = match serde_json::from_slice::<Value>(&f.body) {
        Ok(Value::Object(o)) => match o.get("keys") {
            Some(Value::Array(a)) => a.clone(),
            _ => {
                out.push(error(
                    "jwks_not_json",
                    format!("{url} has no `keys` list"),
                    "serve {\"keys\": [...]}, a list even for one key",
                ));
                return (None, out);
            }
        },
        _ => {
            out.push(error(
                "jwks_not_json",
                format!("{url} is not a JSON object"),
                "serve {\"keys\": [...]}",
            ));
            return (None, out);
        }
    };
    let mut usable = Vec::new();
    let mut kinds = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let kty = k.get("kty").and_then(Value::as_str).unwrap_or("?");
        let kid = k.get("kid").and_then(Value::as_str);
        let name = kid.map(|k| format!("key `{k}`")).unwrap_or_else(|| format!("key #{i}"));
        kinds.push(kty.to_string());
        let private: Vec<&str> = PRIVATE_MEMBERS.iter().copied().filter(|m| k.get(*m).is_some()).collect();
        if !private.is_empty() {
            out.push(error(
                "jwks_private_member",
                format!(
                    "{name} publishes private member(s) {}: anyone can sign tokens with it",
                    private.join(", ")
                ),
                "remove the key from the JWKS at once, stop using it, and publish public members only (kty, kid, use, alg, n, e)",
            ));
        }
        if kty != "RSA" && !(expect.rest && kty == "EC") {
            continue;
        }
        if kid.is_none_or(str::is_empty) {
            out.push(error(
                "jwks_key_without_kid",
                format!("{name} ({kty}) has no `kid`"),
                "give every key a kid, and put the same kid in the header of the tokens it signs",
            ));
            continue;
        }
        if let Some(alg) = k
            .get("alg")
            .and_then(Value::as_str)
            .filter(|a| !expect.rest && kty == "RSA" && !a.starts_with("RS") && !a.starts_with("PS"))
        {
            out.push(warning(
                "jwks_key_alg",
                format!("{name} is RSA with alg `{alg}`"),
                "use alg RS256 for RSA signing keys",
            ));
        }
        if let Some(x5c) = k.get("x5c")
            && let Some(problem) = x5c_problem(x5c)
        {
            out.push(error(
                "jwks_x5c_invalid",
                format!("{name}: x5c {problem}"),
                "remove x5c, or put the key's DER X.509 certificate in it (standard base64)",
            ));
        }
        match serde_json::from_value::<Jwk>(k.clone()) {
            // A REST API's authorizer: any key of an algorithm it accepts, RSA of 2048 to 8192 bits (its
            // members are checked as a signature is); another key (an encryption key, PS256) is skipped, as
            // API Gateway skips it.
            Ok(jwk) if expect.rest => match Alg::of_key(&jwk) {
                Some(_) if kty == "EC" || jwk.bits().is_some_and(|b| (2048..=8192).contains(&b)) => usable.push(jwk),
                Some(_) => out.push(error(
                    "jwks_key_invalid",
                    format!("{name} is not a usable RSA public key of 2048 to 8192 bits (n and e unpadded base64url)"),
                    "publish n and e as unpadded base64url of the big-endian integers",
                )),
                None => out.push(warning(
                    "jwks_key_alg",
                    format!(
                        "{name} ({kty}, alg {:?}, use {:?}, curve {:?}) signs no algorithm API Gateway accepts, and is skipped",
                        jwk.alg, jwk.use_, jwk.crv
                    ),
                    "sign with RS256/384/512 or ES256/384/512 (P-256, P-384, P-521) keys",
                )),
            },
            Ok(jwk) if jwk.to_public_key().is_ok() => usable.push(jwk),
            _ => out.push(error(
                "jwks_key_invalid",
                format!("{name} is not a usable RSA public key (n and e must be unpadded base64url)"),
                "publish n and e as unpadded base64url of the big-endian integers",
            )),
        }
    }
    if usable.is_empty() {
        let (code, message) = if keys.is_empty() {
            ("jwks_no_keys", format!("{url} holds no keys"))
        } else if expect.rest {
            (
                "jwks_no_usable_key",
                format!("{url} holds no usable RSA or EC key (kty: {})", kinds.join(", ")),
            )
        } else {
            (
                "jwks_no_rsa_key",
                format!("{url} holds no usable RSA key (kty: {})", kinds.join(", ")),
            )
        };
        let fix = if expect.rest {
            "API Gateway accepts RS256/384/512 and ES256/384/512 tokens for a REST API: have the provider publish such a key with a kid"
        } else {
            "API Gateway accepts RSA-signed tokens only: have the provider publish an RSA key (RS256) with a kid"
        };
        out.push(error(code, message, fix));
    }
    let mut seen = Vec::new();
    for k in &usable {
        if seen.contains(&&k.kid) {
            out.push(error(
                "jwks_duplicate_kid",
                format!("kid `{}` is published twice", k.kid),
                "give every key its own kid",
            ));
        }
        seen.push(&k.kid);
    }
    for kid in &expect.kids {
        if !usable.iter().any(|k| &k.kid == kid) {
            out.push(error(
                "jwks_missing_kid",
                format!("key `{kid}` of the stack is not in the published JWKS"),
                "run `jwtstack deploy` to publish it",
            ));
        }
    }
    (Some(Jwks { keys: usable }), out)
}

/// Why an `x5c` member is not a list of DER X.509 certificates, if it is not.
fn x5c_problem(x5c: &Value) -> Option<String> {
    use base64::Engine;
    use rsa::pkcs8::der::{Decode, Tag, Tagged, asn1::Any};
    let Some(list) = x5c.as_array().filter(|a| !a.is_empty()) else {
        return Some("is not a non-empty list".into());
    };
    for (i, c) in list.iter().enumerate() {
        let Some(der) = c.as_str().and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok()) else {
            return Some(format!("[{i}] is not standard base64"));
        };
        // A certificate is SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE, signature BIT STRING };
        // a bare public key (SubjectPublicKeyInfo) has two elements.
        match <Vec<Any>>::from_der(&der) {
            Ok(parts) if parts.len() == 3 && parts[0].tag() == Tag::Sequence && parts[2].tag() == Tag::BitString => {}
            Ok(parts) if parts.len() == 2 => return Some(format!("[{i}] is a bare public key, not a certificate")),
            _ => return Some(format!("[{i}] is not a DER X.509 certificate")),
        }
    }
    None
}

#[cfg(test)]
mod tests;
