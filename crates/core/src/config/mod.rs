//! The stack file: reading it (pure, from `&str`), validating every rule at once, and the validated model.
//!
//! Nothing here calls AWS: a stack that fails here has changed nothing.
//!
//! - this file: the validated model (`Stack`) and the errors, with `load` / `parse_str`;
//! - `yaml`: the only YAML code (positions, limits, in-place edits); `raw`: the serde mirror and its schema;
//! - `validate`: every rule, all reported at once; `route`: route keys; `edit`: rotation's key-field edits.

mod edit;
pub mod raw;
pub mod route;
mod validate;
mod yaml;

use std::fmt;
use std::io::Read;
use std::path::Path;

pub use edit::{KeyFields, edit_keys};
pub use raw::schema_json;
pub use route::{Method, RouteKey};
pub use yaml::scalar as yaml_scalar;
pub use yaml::{MAX_FILE_BYTES, Pos};

pub use raw::{ApiType, IpAddressType, KeyStore, RestEndpoint};
use raw::{RawDuration, RawStack};

/// API Gateway quotas that bound a stack (HTTP API quotas page).
pub mod quota {
    pub const AUDIENCES: usize = 50;
    pub const ROUTES: usize = 300;
    pub const SCOPES_PER_ROUTE: usize = 10;
    /// The length of one authorization scope (apigatewayv2 API model).
    pub const SCOPE_CHARS: usize = 64;
}

pub const DEFAULT_KEY_BITS: usize = 2048;
pub const DEFAULT_TOKEN_MAX_TTL: u64 = 3600;
/// A ceiling on `token_max_ttl`: rotation waits this long before retiring a key.
pub const MAX_TOKEN_MAX_TTL: u64 = 7 * 24 * 3600;

/// What the user wants: the validated stack file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    pub name: String,
    pub region: Option<String>,
    pub issuer: Issuer,
    pub audience: Vec<String>,
    pub token_max_ttl: u64,
    pub api: ApiRef,
    pub routes: Vec<Route>,
    /// The API's CORS configuration (an API the stack owns).
    pub cors: Option<Cors>,
    /// The stage's access log, in the log group the stack owns.
    pub access_log: Option<AccessLog>,
    /// The stage's default route throttling.
    pub throttling: Option<Throttling>,
    /// The API's custom domain name.
    pub domain: Option<ApiDomain>,
    /// The OAuth 2.0 client-credentials endpoint.
    pub token_endpoint: Option<TokenEndpoint>,
    /// An HTTP API (the default) or a REST API.
    pub api_type: ApiType,
    /// A REST API the stack creates: its endpoint type.
    pub endpoint: Option<RestEndpoint>,
    /// REST APIs: the claims a token of the stack's own issuer must carry.
    pub require_claims: Vec<ClaimRule>,
    /// REST APIs: the issuers trusted beside the stack's own.
    pub trust: Vec<TrustedIssuer>,
    /// REST APIs: the stage deploy deploys to (`live` for an API the stack creates).
    pub stage: Option<String>,
    /// A private REST API: the VPC endpoints its resource policy lets in.
    pub vpc_endpoints: Vec<String>,
}

/// An issuer a REST API's authorizer trusts beside the stack's own (`trust:`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrustedIssuer {
    pub issuer: String,
    pub audience: Vec<String>,
    pub require_claims: Vec<ClaimRule>,
}

/// A claim a REST API's authorizer requires: API Gateway's `JwtAdditionalClaim` (format SINGLE_STRING).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClaimRule {
    pub name: String,
    /// A token without the claim is refused.
    pub required: bool,
    /// Accepted values, exact and case-sensitive; empty: any string.
    pub values: Vec<String>,
}

/// The claims API Gateway checks itself and refuses as additional claims (API reference, `JwtAdditionalClaim`).
pub const RESERVED_CLAIMS: [&str; 7] = ["iss", "aud", "exp", "nbf", "iat", "scope", "scp"];

/// Where the token endpoint answers, and how long its tokens live (seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenEndpoint {
    pub path: String,
    pub ttl: u64,
    /// The managed policy set as the permissions boundary of the function's role.
    pub permissions_boundary: Option<String>,
}

/// API Gateway's CORS configuration, as the stack declares it (lists in the file's order).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u32>,
    pub allow_credentials: bool,
}

/// The wildcard origins API Gateway takes ("Configure CORS for HTTP APIs": `*` any origin, `https://*` any
/// origin starting with `https://`, `http://*` any starting with `http://`); no other pattern is documented.
pub const WILDCARD_ORIGINS: [&str; 3] = ["*", "https://*", "http://*"];

impl Cors {
    /// Whether `origin` is allowed, as API Gateway matches `allow_origins`: exactly, or by one of its
    /// [`WILDCARD_ORIGINS`].
    pub fn allows_origin(&self, origin: &str) -> bool {
        !origin.is_empty()
            && self.allow_origins.iter().any(|o| match o.as_str() {
                "*" => true,
                "https://*" => origin.starts_with("https://"),
                "http://*" => origin.starts_with("http://"),
                exact => exact == origin,
            })
    }

    /// Whether any origin of a scheme is allowed (`*`, `https://*`, `http://*`).
    pub fn has_wildcard(&self) -> bool {
        self.allow_origins.iter().any(|o| WILDCARD_ORIGINS.contains(&o.as_str()))
    }
}

/// The access log: CloudWatch Logs keeps it `retention_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessLog {
    pub retention_days: u32,
}

/// Requests per second and burst, for every route of the stage: both from 1 to `i32::MAX`, the burst being
/// the API model's 32-bit `ThrottlingBurstLimit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttling {
    pub rate: u32,
    pub burst: i32,
}

/// A regional custom domain name for the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiDomain {
    pub name: String,
    pub certificate_arn: String,
    pub hosted_zone_id: Option<String>,
    /// Declared: the domain is made so. `None`: a new domain is ipv4, an existing one keeps its type.
    pub ip_address_type: Option<IpAddressType>,
}

/// What a key declared in the stack file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    Signing,
    Next,
    Previous,
}

impl KeyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::Signing => "signing",
            KeyRole::Next => "next",
            KeyRole::Previous => "previous",
        }
    }
}

/// Who signs the tokens the authorizer accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issuer {
    /// jwtstack hosts the issuer: keys in SSM, documents in S3.
    Hosted(Hosted),
    /// Another identity provider signs the tokens; jwtstack creates the authorizer and routes only.
    External { url: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosted {
    pub bucket: String,
    /// The issuer URL as written; `None` means the bucket's regional URL (see [`Stack::issuer_url`]).
    pub url: Option<String>,
    pub public: bool,
    /// The documents are served through a CloudFront distribution the stack owns.
    pub cloudfront: Option<Box<CloudFront>>,
    /// The signing key: `token` signs with it, and it is published.
    pub key_id: String,
    /// A key published for verification only, ahead of signing with it (`rotate start`).
    pub next_key: Option<String>,
    /// Keys that signed before and stay published until their last tokens have expired (`rotate finish`).
    pub previous_keys: Vec<String>,
    pub key_bits: usize,
    /// Where new keys are created (existing keys stay where they are).
    pub key_store: KeyStore,
}

/// The distribution in front of a private issuer bucket (`issuer.cloudfront`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudFront {
    /// The issuer's own hostname, with `certificate_arn`; `None`: the distribution's `*.cloudfront.net` name.
    pub domain: Option<String>,
    pub certificate_arn: Option<String>,
    /// Route 53 zone where the stack writes `domain`'s alias records.
    pub hosted_zone_id: Option<String>,
    pub price_class: String,
}

/// What `issuer_url` says of `cloudfront: true` before the distribution exists (a first deploy's `plan`):
/// deploy creates the distribution first and plans the rest with its real name.
pub const NEW_DISTRIBUTION_URL: &str = "https://(new distribution).cloudfront.net";

impl Hosted {
    /// The issuer URL is served by AWS itself (the bucket's regional URL, or a CloudFront distribution the stack
    /// creates), not by something the user runs: an emulator does not serve it.
    pub fn served_by_aws(&self) -> bool {
        self.url.is_none() || self.cloudfront.is_some()
    }

    /// `cloudfront: true` whose distribution is not known yet: the issuer URL is still to be learnt.
    pub fn awaits_distribution(&self) -> bool {
        self.url.is_none() && self.cloudfront.is_some()
    }

    /// Every key the JWKS publishes, in JWKS order: the signing key, the next key, then the previous keys.
    pub fn published_keys(&self) -> Vec<&str> {
        let mut v = vec![self.key_id.as_str()];
        v.extend(self.next_key.as_deref());
        v.extend(self.previous_keys.iter().map(String::as_str));
        v
    }

    /// The role a published key plays, for messages.
    pub fn key_role(&self, kid: &str) -> Option<KeyRole> {
        if kid == self.key_id {
            Some(KeyRole::Signing)
        } else if self.next_key.as_deref() == Some(kid) {
            Some(KeyRole::Next)
        } else if self.previous_keys.iter().any(|k| k == kid) {
            Some(KeyRole::Previous)
        } else {
            None
        }
    }

    /// The key prefix of the published documents in the bucket: the issuer URL's path, so that
    /// `{issuer}/.well-known/...` maps onto `{prefix}.well-known/...` when the bucket serves the URL's root.
    pub fn document_prefix(&self) -> String {
        let Some(url) = &self.url else { return String::new() };
        match url::Url::parse(url) {
            Ok(u) => {
                let path = u.path().trim_matches('/');
                if path.is_empty() { String::new() } else { format!("{path}/") }
            }
            Err(_) => String::new(),
        }
    }

    pub fn discovery_key(&self) -> String {
        format!("{}.well-known/openid-configuration", self.document_prefix())
    }

    pub fn jwks_key(&self) -> String {
        format!("{}.well-known/jwks.json", self.document_prefix())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiRef {
    /// An HTTP API the stack creates and owns, found again by this name and the stack tag.
    Owned { name: String },
    /// An existing HTTP API: the stack adds its authorizer, routes and integrations, and removes only those.
    Adopted { id: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub key: RouteKey,
    pub scopes: Vec<String>,
    pub integration: Integration,
    /// `auth: none`: no authorizer, no scopes.
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Integration {
    /// HTTP_PROXY to this URL, with the route's method.
    Http { url: String },
    /// AWS_PROXY to this Lambda function, payload format 2.0.
    Lambda { arn: String },
}

impl Integration {
    /// The Lambda function it invokes, if it is one.
    pub fn function(&self) -> Option<&str> {
        match self {
            Integration::Lambda { arn } => Some(arn),
            Integration::Http { .. } => None,
        }
    }
}

impl Stack {
    /// The SSM parameter that holds the private key named `kid`.
    pub fn key_parameter(&self, kid: &str) -> String {
        crate::names::key_parameter(&self.name, kid)
    }

    /// The path under which all of this stack's keys live.
    pub fn key_parameter_prefix(&self) -> String {
        crate::names::key_parameter_prefix(&self.name)
    }

    pub fn authorizer_name(&self) -> String {
        crate::names::authorizer_name(&self.name)
    }

    /// The stage a REST API is deployed to: `live`, or an adopted API's `api.stage`.
    pub fn rest_stage(&self) -> &str {
        self.stage.as_deref().unwrap_or(crate::names::REST_STAGE_NAME)
    }

    /// The issuer URL, byte for byte as it appears in the discovery document, the authorizer and every token.
    pub fn issuer_url(&self, region: &str) -> String {
        match &self.issuer {
            Issuer::Hosted(h) => match &h.url {
                Some(url) => url.clone(),
                None if h.cloudfront.is_some() => NEW_DISTRIBUTION_URL.to_string(),
                None => format!("https://{}.s3.{}.amazonaws.com", h.bucket, region),
            },
            Issuer::External { url } => url.clone(),
        }
    }

    /// The stack whose issuer is named after its distribution (`cloudfront: true`), now that its domain is
    /// known (the inventory, or `/jwtstack/{name}/distribution`). Any other stack is returned as it is.
    pub fn with_distribution_domain(&self, domain: &str) -> Stack {
        let mut s = self.clone();
        if let Issuer::Hosted(h) = &mut s.issuer
            && h.awaits_distribution()
        {
            h.url = Some(format!("https://{domain}"));
        }
        s
    }

    /// Where API Gateway reads the discovery document: `{issuer}/.well-known/openid-configuration`.
    pub fn discovery_url(&self, region: &str) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer_url(region).trim_end_matches('/'))
    }

    /// The JWKS URL of a hosted issuer (an external one names its own in its discovery document).
    pub fn jwks_uri(&self, region: &str) -> Option<String> {
        self.hosted().map(|_| format!("{}/.well-known/jwks.json", self.issuer_url(region)))
    }

    pub fn hosted(&self) -> Option<&Hosted> {
        match &self.issuer {
            Issuer::Hosted(h) => Some(h),
            Issuer::External { .. } => None,
        }
    }

    /// What is valid but likely a mistake: a public route that takes a protected route's requests, throttling
    /// above what the account allows by default.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = validate::api::shadowing_warnings(&self.routes);
        out.extend(self.throttling.and_then(validate::api::throttling_warning));
        out
    }

    /// Where the token endpoint answers, as the discovery document and `outputs` name it: the API's custom
    /// domain, else `api_endpoint` (the API's own address: `None` until the API exists), with the path.
    pub fn token_endpoint_url(&self, api_endpoint: Option<&str>) -> Option<String> {
        let te = self.token_endpoint.as_ref()?;
        let base = match &self.domain {
            Some(d) => format!("https://{}", d.name),
            None => api_endpoint?.trim_end_matches('/').to_string(),
        };
        Some(format!("{base}{}", te.path))
    }

    /// The token endpoint's route: a public `POST {path}` to the stack's function in `account`, which a deploy
    /// makes beside the declared routes.
    pub fn token_route(&self, region: &str, account: &str) -> Option<Route> {
        let te = self.token_endpoint.as_ref()?;
        Some(Route {
            key: RouteKey::parse(&format!("POST {}", te.path)).ok()?,
            scopes: Vec::new(),
            integration: Integration::Lambda {
                arn: crate::names::token_function_arn(region, account, &self.name),
            },
            public: true,
        })
    }

    pub fn all_scopes(&self) -> Vec<String> {
        let mut s: Vec<String> = self.routes.iter().flat_map(|r| r.scopes.iter().cloned()).collect();
        s.sort();
        s.dedup();
        s
    }
}

/// One thing wrong with the stack file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pos: Pos,
    pub message: String,
    pub hint: Option<String>,
}

/// The stack file could not be read or is invalid; every problem is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}:{}: {}", self.file, p.pos.line, p.pos.col, p.message)?;
            if let Some(h) = &p.hint {
                write!(f, "\n  hint: {h}")?;
            }
        }
        if n > 1 {
            write!(f, "\n{n} problems in {}", self.file)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    fn single(file: &str, pos: Pos, message: impl Into<String>, hint: Option<String>) -> Self {
        ConfigError {
            file: file.into(),
            problems: vec![Problem {
                pos,
                message: message.into(),
                hint,
            }],
        }
    }
}

/// Reads and validates a stack file from disk. The file name is used in messages only.
pub fn load(path: &Path) -> Result<Stack, ConfigError> {
    let file = path.display().to_string();
    // One byte past the limit tells that the file is too large: `/dev/zero` is read no further.
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes));
    read.map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            Some("pass the stack file with -f PATH, or run jwtstack where stack.yaml is".to_string())
        } else {
            None
        };
        ConfigError::single(&file, Pos { line: 0, col: 0 }, format!("cannot read the stack file: {e}"), hint)
    })?;
    parse_bytes(&file, &bytes)
}

/// Validates a stack file's bytes: size, UTF-8, YAML, types, then every rule.
pub fn parse_bytes(file: &str, bytes: &[u8]) -> Result<Stack, ConfigError> {
    if bytes.len() > yaml::MAX_FILE_BYTES {
        return Err(ConfigError::single(
            file,
            Pos { line: 1, col: 1 },
            format!(
                "the file has more than {} bytes; a stack file is at most {} bytes",
                yaml::MAX_FILE_BYTES,
                yaml::MAX_FILE_BYTES
            ),
            Some("a stack of 300 routes fits in about 40 KiB: is this the right file?".into()),
        ));
    }
    // A byte order mark, as some Windows editors write it, is not part of the YAML.
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let col = before.len() - before.iter().rposition(|b| *b == b'\n').map(|i| i + 1).unwrap_or(0) + 1;
        ConfigError::single(
            file,
            Pos { line, col },
            "the file is not valid UTF-8",
            Some("save the stack file as UTF-8".into()),
        )
    })?;
    parse_str(file, text)
}

/// Validates a stack file's text. Pure: no I/O.
pub fn parse_str(file: &str, text: &str) -> Result<Stack, ConfigError> {
    let to_err = |e: yaml::YamlError| ConfigError::single(file, e.pos, e.message, e.hint);
    if text.trim().is_empty() {
        return Err(ConfigError::single(
            file,
            Pos { line: 1, col: 1 },
            "the stack file is empty",
            Some("start from the example stack.yaml in the jwtstack README".into()),
        ));
    }
    let loc = yaml::locate(text).map_err(to_err)?;
    let raw: RawStack = yaml::from_str(text).map_err(to_err)?;
    let (stack, mut problems) = validate::validate(&loc, raw);
    if problems.is_empty() {
        Ok(stack)
    } else {
        problems.sort_by_key(|p| p.pos);
        Err(ConfigError {
            file: file.into(),
            problems,
        })
    }
}

/// An AWS region name: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`.
pub fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts[0].len() == 2
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
}

/// A key id: it names an SSM parameter, so no slashes and no dot segments.
pub fn is_kid(kid: &str) -> bool {
    (1..=128).contains(&kid.len())
        && kid.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && kid != "."
        && kid != ".."
}

/// Seconds from `3600`, `90s`, `15m`, `1h`, `1d`.
pub fn parse_duration_str(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("`{text}` is not a duration"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("`{text}` has an unknown unit `{unit}`")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("`{text}` is too long"))
}

/// A duration field of the stack file (`field` names it in the message), in seconds.
fn parse_duration(field: &str, d: &RawDuration) -> Result<u64, String> {
    match d {
        RawDuration::Seconds(s) => Ok(*s),
        RawDuration::Text(t) => parse_duration_str(t),
        RawDuration::Number(n) if *n < 0.0 => Err(format!("{field} `{n}` is negative")),
        RawDuration::Number(n) => Err(format!("{field} `{n}` is not a whole number of seconds")),
    }
}

#[cfg(test)]
mod tests;
