//! The live probe: which requests prove that a deployed gateway does what the stack says, and what API
//! Gateway's JWT authorizer must answer to each (`shared` facts in docs/tokens.md, "How verify decides"). Pure: the
//! requests are sent, and the tokens signed, by `jwtstack-aws`'s probe runner.
//!
//! For each protected route, tokens API Gateway must refuse with 401 (none, malformed, signed by a key that is
//! not in the JWKS, the stack's kid with another key's signature, unsigned (`alg: none`), expired, for another
//! audience, from another issuer, from the issuer with a trailing slash), and a token of the stack's own that
//! lacks the route's scopes, which must be refused with 403: that answer proves signature, issuer, audience and
//! expiry were accepted, without the request reaching the integration. Public routes must answer without a
//! token; preflights must answer as `cors` says. Probe tokens are short-lived, name themselves in `sub`, and
//! carry a scope no route grants, unless a route is asked for (`through`).
//!
//! On a REST API (`api.type: rest`) the stack's tokens also carry the claims its issuer requires
//! (`require_claims`), and two more tokens must be refused with 401: one without a required claim, and one
//! signed by the stack's key that names another issuer the authorizer trusts (whose keys alone vouch for it).
//! A REST API's refusals carry no `www-authenticate` (AWS documents none), so a public route's 401 or 403
//! cannot be told from the authorizer's and counts against the gateway.

pub mod report;

pub use report::{CaseResult, ProbeReport};

use crate::config::route::{self, Method};
use crate::config::{ApiType, Cors, Route, RouteKey, Stack};

/// The `sub` of every probe token.
pub const PROBE_SUBJECT: &str = "jwtstack-probe";
/// A probe token's lifetime.
pub const PROBE_TTL_SECONDS: u64 = 120;
/// The issuer of the "another issuer" token, and the origin of the refused preflight.
pub const OTHER_ISSUER: &str = "https://jwtstack-probe.invalid";
pub const OTHER_ORIGIN: &str = "https://jwtstack-probe.invalid";
pub const OTHER_AUDIENCE: &str = "jwtstack-probe-other-audience";
/// The kid of the key that is in no JWKS.
pub const UNKNOWN_KID: &str = "jwtstack-probe-unknown-key";
/// The value put where a path parameter goes.
const PARAM: &str = "jwtstack-probe";

/// The token a probe request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    None,
    /// Not a JWT at all.
    Malformed,
    /// Valid claims, signed by a key generated for the probe (in no JWKS).
    UnknownKey,
    /// Valid claims and the stack's kid, signed by the probe's own key: a gateway that checks the kid but not
    /// the signature lets it through.
    ForgedSignature,
    /// Valid claims and the stack's kid, `alg: none` and no signature.
    Unsigned,
    /// Signed by the stack's key; expired an hour ago.
    Expired,
    /// Signed by the stack's key, for an audience the authorizer does not take.
    OtherAudience,
    /// Signed by the stack's key, with another `iss`.
    OtherIssuer,
    /// REST: signed by the stack's key, valid, without a claim the stack's issuer requires.
    MissingClaim {
        name: String,
    },
    /// REST: signed by the stack's key, `iss` another issuer the authorizer trusts (`trust:`), whose keys
    /// alone may vouch for its tokens.
    TrustedIssuer {
        issuer: String,
    },
    /// Signed by the stack's key, `iss` the issuer with a trailing slash (API Gateway compares exactly).
    IssuerWithSlash,
    /// Signed by the stack's key, valid, with only `scope` (a scope no route grants).
    WithoutScopes {
        scope: String,
    },
    /// Signed by the stack's key, valid, with the route's scopes (`through` only: the request reaches the
    /// integration).
    WithScopes {
        scopes: Vec<String>,
    },
}

impl Token {
    /// Whether the token is signed by the stack's key.
    pub fn needs_stack_key(&self) -> bool {
        matches!(
            self,
            Token::Expired
                | Token::OtherAudience
                | Token::OtherIssuer
                | Token::IssuerWithSlash
                | Token::MissingClaim { .. }
                | Token::TrustedIssuer { .. }
                | Token::WithoutScopes { .. }
                | Token::WithScopes { .. }
        )
    }

    /// What the case is, in a finding.
    pub fn describe(&self) -> String {
        match self {
            Token::None => "a request without a token".into(),
            Token::Malformed => "a malformed token".into(),
            Token::UnknownKey => "a token signed by a key that is not in the JWKS".into(),
            Token::ForgedSignature => "a token with the stack's kid signed by another key".into(),
            Token::Unsigned => "an unsigned token (alg none) with the stack's kid".into(),
            Token::Expired => "an expired token".into(),
            Token::OtherAudience => format!("a token for another audience ({OTHER_AUDIENCE})"),
            Token::OtherIssuer => format!("a token from another issuer ({OTHER_ISSUER})"),
            Token::IssuerWithSlash => "a token whose issuer has a trailing slash".into(),
            Token::MissingClaim { name } => format!("a valid token of the stack without the required claim `{name}`"),
            Token::TrustedIssuer { issuer } => format!("a token signed by the stack's key naming the trusted issuer {issuer}"),
            Token::WithoutScopes { scope } => format!("a valid token of the stack without the route's scopes (scope `{scope}`)"),
            Token::WithScopes { scopes } => format!("a valid token with the route's scopes ({})", scopes.join(" ")),
        }
    }

    /// A short name for the case (`--json`).
    pub fn name(&self) -> &'static str {
        match self {
            Token::None => "no_token",
            Token::Malformed => "malformed",
            Token::UnknownKey => "unknown_key",
            Token::ForgedSignature => "forged_signature",
            Token::Unsigned => "alg_none",
            Token::Expired => "expired",
            Token::OtherAudience => "other_audience",
            Token::OtherIssuer => "other_issuer",
            Token::IssuerWithSlash => "issuer_with_slash",
            Token::MissingClaim { .. } => "missing_claim",
            Token::TrustedIssuer { .. } => "trusted_issuer_own_key",
            Token::WithoutScopes { .. } => "missing_scope",
            Token::WithScopes { .. } => "through",
        }
    }
}

/// What the gateway must answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// 401: the authorizer refuses the token.
    Unauthorized,
    /// 403: the token is valid and lacks the route's scopes.
    Forbidden,
    /// Anything but the authorizer's 401 or 403 (one with `www-authenticate: Bearer`): the request got past
    /// the authorizer (a public route, `through`). A 404 is taken as the integration's: API Gateway's own 404
    /// cannot be told from it without reading the body.
    Answered,
    /// REST: neither 401 nor 403. Its authorizer's refusals carry no `www-authenticate`, so an integration's
    /// own 401 or 403 cannot be told from them, and counts against the gateway.
    NotRefused,
    /// A preflight: answered by API Gateway with `Access-Control-Allow-Origin` for an allowed origin, and
    /// without it for another.
    Preflight { allowed: bool },
}

impl Expect {
    pub fn describe(&self) -> &'static str {
        match self {
            Expect::Unauthorized => "401",
            Expect::Forbidden => "403",
            Expect::Answered | Expect::NotRefused => "an answer past the authorizer (not 401 or 403)",
            Expect::Preflight { allowed: true } => "a preflight answer allowing the origin",
            Expect::Preflight { allowed: false } => "a preflight answer that does not allow the origin",
        }
    }
}

/// One request of the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The route the request is meant for (as the stack file names it).
    pub route: String,
    pub method: String,
    /// The request path, which API Gateway routes to `route`.
    pub path: String,
    pub token: Token,
    /// A preflight's request headers (`None`: not a preflight).
    pub preflight: Option<Preflight>,
    pub expect: Expect,
}

/// What a browser's preflight asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    pub origin: String,
    /// `Access-Control-Request-Method`.
    pub method: String,
    /// `Access-Control-Request-Headers`: `authorization` where `cors.allow_headers` allows it (a browser that
    /// sends a token asks for it; one not allowed is a refused preflight, as API Gateway answers it).
    pub headers: Option<String>,
}

/// The probe of a stack: its requests, and what it cannot prove (said, never counted as proven).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbePlan {
    pub cases: Vec<Case>,
    pub unproven: Vec<String>,
}

/// What the probe may do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Probe only these routes (route keys as the stack file writes them); all when empty.
    pub routes: Vec<String>,
    /// Routes whose integration the probe may reach, with a token holding the route's scopes.
    pub through: Vec<String>,
    /// Whether the probe can sign with the stack's key (not with an external issuer: its provider signs).
    pub can_sign: bool,
    /// The stack's kid, which the forged and unsigned tokens name (`None`: an external issuer, whose kids the
    /// probe does not know).
    pub kid: Option<String>,
}

/// The requests that probe `stack`'s routes. A route or `through` the stack does not declare is an error.
pub fn plan(stack: &Stack, opts: &Options) -> Result<ProbePlan, String> {
    for name in opts.routes.iter().chain(&opts.through) {
        if !stack.routes.iter().any(|r| r.key == name.as_str()) {
            return Err(format!(
                "route `{name}` is not in the stack (its routes: {})",
                stack.routes.iter().map(|r| r.key.to_string()).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let mut p = ProbePlan::default();
    let keys: Vec<&RouteKey> = stack.routes.iter().map(|r| &r.key).collect();
    let scope = unused_scope(stack);
    let rest = stack.api_type == ApiType::Rest;
    let answered = if rest { Expect::NotRefused } else { Expect::Answered };
    for r in &stack.routes {
        if !opts.routes.is_empty() && !opts.routes.iter().any(|n| r.key == n.as_str()) {
            continue;
        }
        let Some((method, path)) = request_for(&r.key, &keys) else {
            p.unproven.push(format!(
                "route `{}`: every request the probe tries is taken by a more specific route",
                r.key
            ));
            continue;
        };
        let through = opts.through.iter().any(|n| r.key == n.as_str());
        let case = |token: Token, expect: Expect| Case {
            route: r.key.to_string(),
            method: method.clone(),
            path: path.clone(),
            token,
            preflight: None,
            expect,
        };
        if r.public {
            if through || matches!(method.as_str(), "GET" | "HEAD") {
                p.cases.push(case(Token::None, answered.clone()));
            } else {
                p.unproven.push(format!(
                    "public route `{}`: not probed, as a request reaches its integration (`--through '{}'` probes it)",
                    r.key, r.key
                ));
            }
            continue;
        }
        for token in [Token::None, Token::Malformed, Token::UnknownKey] {
            p.cases.push(case(token, Expect::Unauthorized));
        }
        if opts.kid.is_some() {
            for token in [Token::ForgedSignature, Token::Unsigned] {
                p.cases.push(case(token, Expect::Unauthorized));
            }
        }
        if !opts.can_sign {
            p.unproven.push(format!(
                "route `{}`: expired, other-audience, other-issuer and missing-scope tokens need the stack's key, which cannot be used here",
                r.key
            ));
            continue;
        }
        for token in [Token::Expired, Token::OtherAudience, Token::OtherIssuer, Token::IssuerWithSlash] {
            p.cases.push(case(token, Expect::Unauthorized));
        }
        if rest {
            // Every token carries `sub` and `jti`: a token without one cannot be made.
            if let Some(c) = stack
                .require_claims
                .iter()
                .find(|c| c.required && !matches!(c.name.as_str(), "sub" | "jti"))
            {
                p.cases
                    .push(case(Token::MissingClaim { name: c.name.clone() }, Expect::Unauthorized));
            }
            for t in &stack.trust {
                p.cases
                    .push(case(Token::TrustedIssuer { issuer: t.issuer.clone() }, Expect::Unauthorized));
            }
        }
        if r.scopes.is_empty() {
            p.unproven.push(format!(
                "route `{}` has no scopes: any valid token reaches its integration, so that the stack's tokens are accepted is not probed there (`--through '{}'` probes it)",
                r.key, r.key
            ));
        } else {
            p.cases.push(case(Token::WithoutScopes { scope: scope.clone() }, Expect::Forbidden));
        }
        if through {
            p.cases.push(case(
                Token::WithScopes {
                    scopes: r.scopes.iter().take(1).cloned().collect(),
                },
                answered.clone(),
            ));
        }
    }
    if let Some(cors) = &stack.cors {
        preflights(stack, cors, opts, &keys, &mut p);
    }
    Ok(p)
}

/// The request that tells whether the gateway accepts a key: a token of it without scopes, to the first
/// protected route with scopes (403: accepted; 401: not). `None` when no route has scopes.
pub fn key_check(stack: &Stack) -> Option<Case> {
    let keys: Vec<&RouteKey> = stack.routes.iter().map(|r| &r.key).collect();
    stack.routes.iter().filter(|r| !r.public && !r.scopes.is_empty()).find_map(|r| {
        let (method, path) = request_for(&r.key, &keys)?;
        Some(Case {
            route: r.key.to_string(),
            method,
            path,
            token: Token::WithoutScopes {
                scope: unused_scope(stack),
            },
            preflight: None,
            expect: Expect::Forbidden,
        })
    })
}

/// The claims a valid token of the stack carries beside the registered ones: on a REST API, each claim its
/// issuer requires or limits (`require_claims`), with its first expected value, or a string when any will do.
/// `sub` is the probe token's subject (its value, when limited); `jti`, which every token carries, is left out.
pub fn required_claims(stack: &Stack) -> Vec<(String, String)> {
    if stack.api_type != ApiType::Rest {
        return Vec::new();
    }
    stack
        .require_claims
        .iter()
        .filter(|c| (c.required || !c.values.is_empty()) && c.name != "jti")
        .map(|c| {
            (
                c.name.clone(),
                c.values.first().cloned().unwrap_or_else(|| PROBE_SUBJECT.to_string()),
            )
        })
        .collect()
}

/// A scope no route grants (so a probe token reaches no protected integration).
fn unused_scope(stack: &Stack) -> String {
    let granted = stack.all_scopes();
    (0..)
        .map(|n| {
            if n == 0 {
                "jwtstack-probe".to_string()
            } else {
                format!("jwtstack-probe-{n}")
            }
        })
        .find(|s| !granted.contains(s))
        .unwrap_or_default()
}

/// A method and path that API Gateway routes to `key` among `keys`, if one of the probe's tries is.
pub fn request_for(key: &RouteKey, keys: &[&RouteKey]) -> Option<(String, String)> {
    let methods: Vec<&str> = match key.method() {
        None | Some(Method::Any) => vec!["GET", "POST", "PUT", "PATCH", "DELETE"],
        Some(m) => vec![m.as_str()],
    };
    let paths: Vec<String> = match key.path() {
        None => vec![format!("/{PARAM}/default-route"), format!("/{PARAM}/default-route/{PARAM}")],
        Some(p) => [1, 2].iter().map(|depth| sample(p, *depth)).collect(),
    };
    for m in &methods {
        for path in &paths {
            if route::select(keys.iter().copied(), m, path).is_some_and(|(k, _)| k == key) {
                return Some((m.to_string(), path.clone()));
            }
        }
    }
    None
}

/// The path with each parameter filled, a greedy one with `depth` segments.
fn sample(path: &str, depth: usize) -> String {
    path.split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with("+}") {
                vec![PARAM; depth].join("/")
            } else if s.starts_with('{') {
                PARAM.to_string()
            } else {
                s.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A preflight per path that no `OPTIONS` route takes (API Gateway answers those itself): an allowed origin
/// asking for a method `cors.allow_methods` allows is allowed, another origin is not, and a route none of whose
/// methods is allowed gets no allowing answer at all.
fn preflights(stack: &Stack, cors: &Cors, opts: &Options, keys: &[&RouteKey], p: &mut ProbePlan) {
    // An origin `cors` names, or one its wildcard takes; and one it does not take, where there is one.
    let origin = match cors
        .allow_origins
        .iter()
        .find(|o| !crate::config::WILDCARD_ORIGINS.contains(&o.as_str()))
    {
        Some(o) => o.clone(),
        None if cors.allows_origin("https://app.jwtstack-probe.example") => "https://app.jwtstack-probe.example".to_string(),
        None => "http://app.jwtstack-probe.example".to_string(),
    };
    let refused = [OTHER_ORIGIN, "http://jwtstack-probe.invalid"]
        .into_iter()
        .find(|o| !cors.allows_origin(o));
    let headers = cors
        .allow_headers
        .iter()
        .any(|h| h == "*" || h.eq_ignore_ascii_case("authorization"))
        .then(|| "authorization".to_string());
    let mut seen = std::collections::BTreeSet::new();
    let selected = |r: &&Route| opts.routes.is_empty() || opts.routes.iter().any(|n| r.key == n.as_str());
    for r in stack.routes.iter().filter(selected) {
        let Some((method, path)) = request_for(&r.key, keys) else {
            continue;
        };
        if !seen.insert(path.clone()) {
            continue;
        }
        if route::select(keys.iter().copied(), "OPTIONS", &path).is_some() {
            p.unproven.push(format!(
                "preflight of {path}: an OPTIONS route takes it, so its integration answers, not API Gateway's CORS"
            ));
            continue;
        }
        // The method a browser would ask for: the route's, or for `ANY` one that `cors` allows.
        let allows = |m: &str| cors.allow_methods.iter().any(|a| a == "*" || a.eq_ignore_ascii_case(m));
        let asked = match r.key.method() {
            None | Some(Method::Any) => ["GET", "POST", "PUT", "PATCH", "DELETE"]
                .into_iter()
                .find(|m| allows(m))
                .map_or(method.clone(), str::to_string),
            Some(_) => method.clone(),
        };
        let method_allowed = allows(&asked);
        let preflight = |o: &str, allowed: bool| Case {
            route: r.key.to_string(),
            method: "OPTIONS".into(),
            path: path.clone(),
            token: Token::None,
            preflight: Some(Preflight {
                origin: o.to_string(),
                method: asked.clone(),
                headers: headers.clone(),
            }),
            expect: Expect::Preflight { allowed },
        };
        p.cases.push(preflight(&origin, method_allowed));
        if let Some(other) = refused
            && method_allowed
        {
            p.cases.push(preflight(other, false));
        }
    }
}

/// The probe's unsigned token: `alg: none`, `kid`, the claims of `unsigned`, and an empty signature.
pub fn unsigned_token(unsigned: &crate::crypto::token::Unsigned, kid: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let input = String::from_utf8_lossy(unsigned.signing_input());
    let claims = input.split_once('.').map_or("", |(_, c)| c);
    let header = serde_json::json!({"alg": "none", "typ": "JWT", "kid": kid});
    format!("{}.{claims}.", URL_SAFE_NO_PAD.encode(header.to_string()))
}

/// What the gateway answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub allow_origin: Option<String>,
    /// `x-amzn-ErrorType` of an answer API Gateway made itself (a REST API's `MissingAuthenticationTokenException`
    /// for a path it does not serve yet).
    pub error_type: Option<String>,
}

impl Answer {
    /// A REST API's answer to a request it has no route for ("Missing Authentication Token", 403): what a stage
    /// whose deployment is still spreading answers, as an HTTP API answers 404.
    pub fn no_route_yet(&self) -> bool {
        self.status == 404
            || self
                .error_type
                .as_deref()
                .is_some_and(|t| t.starts_with("MissingAuthenticationToken"))
    }
}

/// How a case turned out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Behaves,
    /// Not what API Gateway must answer; `open`: a protected route let a request past its authorizer.
    Misbehaves {
        open: bool,
    },
    /// No answer (connection, timeout): nothing proven.
    NoAnswer,
}

/// Whether a 401 or 403 is the JWT authorizer's: API Gateway's refusals carry `www-authenticate: Bearer ...`
/// (`error="invalid_token"`, `error="insufficient_scope"`); an integration's own 401 on a public route need not.
fn refused_by_authorizer(answer: &Answer) -> bool {
    matches!(answer.status, 401 | 403)
        && answer
            .www_authenticate
            .as_deref()
            .is_some_and(|w| w.get(..6).is_some_and(|b| b.eq_ignore_ascii_case("bearer")))
}

/// The verdict on one answer. A protected route is open when the answer came from past the authorizer: a
/// success, a redirect or a server error (the integration's); a 404 (no route), a 429 (throttled) or another
/// client error is wrong, not open.
pub fn judge(case: &Case, answer: &Answer) -> Verdict {
    let ok = match &case.expect {
        Expect::Unauthorized => answer.status == 401,
        Expect::Forbidden => answer.status == 403,
        Expect::Answered => !refused_by_authorizer(answer),
        Expect::NotRefused => !matches!(answer.status, 401 | 403),
        Expect::Preflight { allowed } => {
            let origin = case.preflight.as_ref().map_or("", |p| p.origin.as_str());
            let allows = answer.allow_origin.as_deref().is_some_and(|a| a == "*" || a == origin);
            if *allowed {
                (200..300).contains(&answer.status) && allows
            } else {
                !allows
            }
        }
    };
    if ok {
        return Verdict::Behaves;
    }
    let past_the_authorizer = matches!(answer.status, 200..=399 | 500..=599);
    let open = matches!(case.expect, Expect::Unauthorized | Expect::Forbidden) && past_the_authorizer;
    Verdict::Misbehaves { open }
}

#[cfg(test)]
mod tests;
