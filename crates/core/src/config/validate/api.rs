//! The API around the authorizer: public routes, CORS, the access log, throttling and the API's own domain.

use super::super::raw::{RawAccessLog, RawCors, RawDomain, RawRoute, RawStack, RawThrottling, RouteAuth};
use super::Validator;
use crate::config::route::{self, RouteKey};
use crate::config::{AccessLog, ApiDomain, ApiRef, Cors, Route, Throttling, WILDCARD_ORIGINS};

/// CloudWatch Logs' retention periods (PutRetentionPolicy, `retentionInDays`).
pub const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// CORS `MaxAge` (apigatewayv2 API model: 0 to 86400 seconds here; -1 "disables caching" is not offered).
pub const MAX_CORS_MAX_AGE: i64 = 86_400;
const CORS_METHODS: [&str; 8] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"];

impl Validator<'_> {
    /// Everything of the stack file beyond issuer, audiences and routes' own fields.
    pub(super) fn api_settings(
        &mut self,
        raw: &RawStack,
        api: &ApiRef,
        routes: &[Route],
    ) -> (Option<Cors>, Option<AccessLog>, Option<Throttling>, Option<ApiDomain>) {
        let cors = raw.cors.as_ref().map(|c| self.cors(c, api, routes));
        let access_log = raw.access_log.as_ref().map(|a| self.access_log(a));
        let throttling = raw.throttling.as_ref().map(|t| self.throttling(t));
        let domain = raw.domain.as_ref().map(|d| self.domain(d, raw.region.as_deref()));
        (cors, access_log, throttling, domain)
    }

    /// `auth: none`, which takes no scopes.
    pub(super) fn public_route(&mut self, base: &str, r: &RawRoute) -> bool {
        let public = r.auth == Some(RouteAuth::Public);
        if public && !r.scopes.is_empty() {
            self.at_key(
                &format!("{base}.scopes"),
                "a route with `auth: none` has scopes",
                Some("a public route checks no token, so no scope: remove `scopes`, or remove `auth: none` to protect the route".into()),
            );
        }
        public
    }

    fn cors(&mut self, c: &RawCors, api: &ApiRef, routes: &[Route]) -> Cors {
        if matches!(api, ApiRef::Adopted { .. }) {
            self.at_key(
                "cors",
                "cors with api.id",
                Some(
                    "the CORS configuration belongs to the whole API, and an adopted API keeps its own: set it on the API itself (`aws apigatewayv2 update-api --cors-configuration ...`), or remove `cors`"
                        .into(),
                ),
            );
        }
        if c.allow_origins.is_empty() {
            self.at_key(
                "cors.allow_origins",
                "cors.allow_origins is empty",
                Some("list the origins of the web apps that call the API, e.g. [https://app.example.com]".into()),
            );
        }
        for (i, o) in c.allow_origins.iter().enumerate() {
            if let Some(why) = origin_problem(o) {
                self.at(
                    &format!("cors.allow_origins[{i}]"),
                    format!("origin `{o}` {why}"),
                    Some("an origin is scheme://host[:port] exactly as the browser sends it, e.g. https://app.example.com, or `*`".into()),
                );
            }
        }
        let credentials = c.allow_credentials.unwrap_or(false);
        // `https://*` is any HTTPS origin: with credentials, any site the user visits could call the API as
        // the user, the exposure `*` is refused for.
        if credentials && let Some(i) = c.allow_origins.iter().position(|o| WILDCARD_ORIGINS.contains(&o.as_str())) {
            self.at(
                &format!("cors.allow_origins[{i}]"),
                format!("allow_origins `{}` with allow_credentials: true", c.allow_origins[i]),
                Some(
                    "a wildcard lets every site a signed-in user visits call the API with the user's credentials: list the origins".into(),
                ),
            );
        }
        for (i, m) in c.allow_methods.iter().enumerate() {
            if !CORS_METHODS.contains(&m.as_str()) {
                self.at(
                    &format!("cors.allow_methods[{i}]"),
                    format!("`{m}` is not an HTTP method"),
                    Some(format!("use {} (upper case)", CORS_METHODS.join(", "))),
                );
            }
        }
        for (field, list) in [("allow_headers", &c.allow_headers), ("expose_headers", &c.expose_headers)] {
            for (i, h) in list.iter().enumerate() {
                if h != "*" && (h.is_empty() || !h.bytes().all(is_token_byte)) {
                    self.at(
                        &format!("cors.{field}[{i}]"),
                        format!("`{h}` is not a header name"),
                        Some("a header name is letters, digits and -, e.g. content-type".into()),
                    );
                }
            }
        }
        let max_age = match c.max_age {
            Some(a) if !(0..=MAX_CORS_MAX_AGE).contains(&a) => {
                self.at(
                    "cors.max_age",
                    format!("max_age is {a}"),
                    Some(format!("seconds from 0 to {MAX_CORS_MAX_AGE}")),
                );
                None
            }
            a => a.map(|a| a as u32),
        };
        self.preflight_reaches_authorizer(routes);
        Cors {
            allow_origins: c.allow_origins.clone(),
            allow_methods: c.allow_methods.clone(),
            allow_headers: c.allow_headers.clone(),
            expose_headers: c.expose_headers.clone(),
            max_age,
            allow_credentials: credentials,
        }
    }

    /// API Gateway answers a preflight itself only when no route takes `OPTIONS` for the path; a protected
    /// `ANY` or `OPTIONS` route, or `$default`, takes it, and the authorizer answers the browser's token-less
    /// preflight 401 ("Configure CORS for HTTP APIs": "To support unauthorized OPTIONS requests, add an OPTIONS
    /// /{proxy+} route to your API that doesn't require authorization").
    fn preflight_reaches_authorizer(&mut self, routes: &[Route]) {
        for (i, r) in routes.iter().enumerate() {
            let method = r.key.method();
            if method == Some(route::Method::Options) && !r.public {
                self.at(
                    &format!("routes[{i}].route"),
                    format!(
                        "with cors, protected route `{}` takes the browser's preflights, which carry no token: its authorizer answers them 401",
                        r.key
                    ),
                    Some("add `auth: none` to this route (its integration answering the preflight), or remove it so that API Gateway answers preflights itself from `cors`".into()),
                );
                continue;
            }
            if r.public || !(r.key.is_default() || method == Some(route::Method::Any)) {
                continue;
            }
            // Every depth a greedy path takes: a public `OPTIONS /{path}` answers `/a` and leaves `/a/b` to
            // the protected `ANY /{proxy+}`.
            let taken = sample_paths(&r.key, deepest(routes)).into_iter().find_map(|probe| {
                let chosen = route::select(routes.iter().map(|r| &r.key), "OPTIONS", &probe);
                let protected = chosen
                    .and_then(|(k, _)| routes.iter().find(|x| &x.key == k))
                    .filter(|x| !x.public)?;
                Some((probe, protected))
            });
            if let Some((probe, protected)) = taken {
                self.at(
                    &format!("routes[{i}].route"),
                    format!(
                        "with cors, the browser's preflight `OPTIONS {probe}` goes to protected route `{}`, whose authorizer answers it 401",
                        protected.key
                    ),
                    Some(format!(
                        "add a public route for preflights (`route: OPTIONS {}` with `auth: none`, its integration answering 204), or declare the methods (GET, POST...) instead of ANY/$default so that API Gateway answers preflights itself",
                        r.key.path().unwrap_or("/{proxy+}")
                    )),
                );
            }
        }
    }

    pub(super) fn access_log(&mut self, a: &RawAccessLog) -> AccessLog {
        let days = a.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS as i64);
        if !RETENTION_DAYS.iter().any(|d| *d as i64 == days) {
            self.at(
                "access_log.retention_days",
                format!("retention_days is {days}, which CloudWatch Logs does not offer"),
                Some(format!(
                    "use one of {}",
                    RETENTION_DAYS.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
                )),
            );
        }
        AccessLog {
            retention_days: u32::try_from(days).unwrap_or(DEFAULT_RETENTION_DAYS),
        }
    }

    pub(super) fn throttling(&mut self, t: &RawThrottling) -> Throttling {
        let mut one = |field: &str, v: i64, what: &str| -> i32 {
            match i32::try_from(v) {
                Ok(v) if v >= 1 => v,
                _ => {
                    self.at(
                        &format!("throttling.{field}"),
                        format!("throttling.{field} is {v}"),
                        Some(format!(
                            "{what}: a whole number from 1 to {} (API Gateway's limits are 32-bit integers; to close a route, remove it)",
                            i32::MAX
                        )),
                    );
                    1
                }
            }
        };
        let rate = one("rate", t.rate, "requests per second");
        let burst = one("burst", t.burst, "requests in a burst");
        Throttling {
            rate: rate.unsigned_abs(),
            burst,
        }
    }

    pub(super) fn domain(&mut self, d: &RawDomain, region: Option<&str>) -> ApiDomain {
        self.hostname("domain.name", &d.name, "api.example.com");
        if let Some(cert_region) = self.certificate_arn("domain.certificate_arn", &d.certificate_arn, region.unwrap_or("REGION"))
            && let Some(region) = region
            && cert_region != region
        {
            self.at(
                "domain.certificate_arn",
                format!("the certificate is in {cert_region}, not in the stack's region {region}"),
                Some(format!(
                    "a regional custom domain uses an ACM certificate of its own region: request or import one in {region}"
                )),
            );
        }
        if let Some(z) = &d.hosted_zone_id {
            self.hosted_zone("domain.hosted_zone_id", z);
        }
        ApiDomain {
            name: d.name.clone(),
            certificate_arn: d.certificate_arn.clone(),
            hosted_zone_id: d.hosted_zone_id.clone(),
            ip_address_type: d.ip_address_type,
        }
    }
}

/// What is wrong with a CORS origin (`None`: nothing).
fn origin_problem(o: &str) -> Option<&'static str> {
    if WILDCARD_ORIGINS.contains(&o) {
        return None;
    }
    if o.contains('*') {
        return Some("is a wildcard API Gateway does not document (it takes `*`, `https://*` and `http://*`)");
    }
    let Ok(u) = url::Url::parse(o) else {
        return Some("is not a URL origin");
    };
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Some("is not an http(s) origin");
    }
    if o.ends_with('/') || u.path() != "/" || u.query().is_some() || u.fragment().is_some() {
        return Some("has a path, query or trailing slash");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Some("has a user name");
    }
    if u.origin().ascii_serialization() != o {
        return Some("is not written as the browser sends it (lower case, no default port)");
    }
    None
}

/// RFC 9110 token characters (header names).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// How many segments a greedy parameter is tried with: one past the deepest declared path, so that a path
/// deeper than every other route's is tried too.
fn deepest(routes: &[Route]) -> usize {
    routes
        .iter()
        .filter_map(|r| r.key.path())
        .map(|p| p.split('/').count())
        .max()
        .unwrap_or(1)
        + 1
}

/// Paths a route key matches, one per depth its greedy parameter takes (1 to `depth` segments; each other
/// parameter `x`); `$default` gets paths no declared route is likely to take, at each depth.
pub fn sample_paths(key: &RouteKey, depth: usize) -> Vec<String> {
    let Some(path) = key.path() else {
        return (1..=depth).map(|d| format!("/preflight-probe{}", "/x".repeat(d - 1))).collect();
    };
    let greedy = path.split('/').any(|s| s.starts_with('{') && s.ends_with("+}"));
    let depths = if greedy { 1..=depth } else { 1..=1 };
    depths
        .map(|depth| {
            path.split('/')
                .map(|s| match s {
                    g if g.starts_with('{') && g.ends_with("+}") => vec!["x"; depth].join("/"),
                    p if p.starts_with('{') => "x".to_string(),
                    literal => literal.to_string(),
                })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

/// API Gateway's account-level throttling per Region, by default: stage and route limits cannot exceed it
/// ("Throttling requests to your HTTP API", route-level throttling: "The default route throttling limits can't
/// exceed account-level rate limits"; "Amazon API Gateway quotas": 10,000 requests per second, burst 5,000,
/// raised on request).
pub const ACCOUNT_RATE: u32 = 10_000;
pub const ACCOUNT_BURST: i32 = 5_000;

/// Throttling above the account's default limits: valid, but only an account whose quota was raised gets it.
pub fn throttling_warning(t: Throttling) -> Option<String> {
    (t.rate > ACCOUNT_RATE || t.burst > ACCOUNT_BURST).then(|| {
        format!(
            "throttling rate {} burst {} is above the account's default limits (rate {ACCOUNT_RATE}, burst {ACCOUNT_BURST} per Region), which the stage's limits cannot exceed: unless the account's limits were raised (AWS Support Center), requests are throttled at those",
            t.rate, t.burst
        )
    })
}

/// Public routes that take requests meant for a protected route (a more specific match wins): worth a
/// warning, since the protected route's authorizer never sees those requests. Every route's sample paths are
/// tried (a greedy path at several depths), so a public `GET /files/{a}/{b}` is found taking
/// `/files/x/x` from a protected `GET /files/{proxy+}`, as API Gateway would route it.
pub fn shadowing_warnings(routes: &[Route]) -> Vec<String> {
    const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
    // A public route's own paths, where it has parameters: an exact literal (`GET /health` under a protected
    // `ANY /{proxy+}`) is deliberate, a parameter may take more than meant.
    let depth = deepest(routes);
    let paths: Vec<String> = routes
        .iter()
        .filter(|r| r.public && r.key.path().is_some_and(|p| p.contains('{')))
        .flat_map(|r| sample_paths(&r.key, depth))
        .collect();
    let mut out = Vec::new();
    let mut said = std::collections::BTreeSet::new();
    for r in routes.iter().filter(|r| !r.public && !r.key.is_default()) {
        let methods: Vec<&str> = match r.key.method() {
            Some(route::Method::Any) => METHODS.to_vec(),
            Some(route::Method::Options) | None => continue,
            Some(m) => vec![m.as_str()],
        };
        for m in methods {
            // Its own paths first, then every other route's.
            for probe in sample_paths(&r.key, depth).iter().chain(&paths) {
                // A path the protected route would take on its own...
                if route::select(std::iter::once(&r.key), m, probe).is_none() {
                    continue;
                }
                // ...that a public route takes instead.
                let chosen = route::select(routes.iter().map(|r| &r.key), m, probe);
                let Some(public) = chosen.and_then(|(k, _)| routes.iter().find(|x| &x.key == k)).filter(|x| x.public) else {
                    continue;
                };
                if said.insert((public.key.to_string(), r.key.to_string(), m)) {
                    out.push(format!(
                        "public route `{}` takes `{m} {probe}`, a path of protected route `{}`: those requests reach the integration without a token",
                        public.key, r.key
                    ));
                }
            }
        }
    }
    out
}
