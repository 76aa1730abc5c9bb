//! Every rule of the stack file, checked at once: each problem with its position and a hint.

use super::raw::{self, RawStack};
use super::yaml::{self, Pos};
use super::*;

pub(super) mod api;
mod cloudfront;
mod issuer;
mod rest;
mod token_endpoint;

/// Validates the typed stack against every rule; the problems are in no particular order.
pub(super) fn validate(loc: &yaml::Locator, raw: RawStack) -> (Stack, Vec<Problem>) {
    let mut v = Validator { loc, problems: Vec::new() };
    let stack = v.stack(raw);
    (stack, v.problems)
}

struct Validator<'a> {
    loc: &'a yaml::Locator,
    problems: Vec<Problem>,
}

impl Validator<'_> {
    fn at(&mut self, path: &str, message: impl Into<String>, hint: impl Into<Option<String>>) {
        self.problems.push(Problem {
            pos: self.loc.value(path),
            message: message.into(),
            hint: hint.into(),
        });
    }

    fn at_key(&mut self, path: &str, message: impl Into<String>, hint: impl Into<Option<String>>) {
        self.problems.push(Problem {
            pos: self.loc.key(path),
            message: message.into(),
            hint: hint.into(),
        });
    }

    fn stack(&mut self, raw: RawStack) -> Stack {
        self.name(&raw.name);
        if let Some(region) = &raw.region {
            let ok = is_region(region);
            if !ok {
                self.at(
                    "region",
                    format!("`{region}` is not an AWS region name"),
                    Some("for example: us-east-1".into()),
                );
            }
        }
        let issuer = self.issuer(&raw);
        self.audience("audience", &raw.audience);
        let token_max_ttl = match &raw.token_max_ttl {
            None => DEFAULT_TOKEN_MAX_TTL,
            Some(d) => match parse_duration("token_max_ttl", d) {
                Ok(s) if s == 0 || s > MAX_TOKEN_MAX_TTL => {
                    self.at(
                        "token_max_ttl",
                        format!("token_max_ttl is {s} seconds"),
                        Some("use a value from 1s to 7d".into()),
                    );
                    DEFAULT_TOKEN_MAX_TTL
                }
                Ok(s) => s,
                Err(m) => {
                    self.at(
                        "token_max_ttl",
                        m,
                        Some("write a number of seconds or a duration such as 15m, 1h, 1d".into()),
                    );
                    DEFAULT_TOKEN_MAX_TTL
                }
            },
        };
        let api = match (raw.api.name.clone(), raw.api.id.clone()) {
            (Some(name), None) => {
                if name.trim().is_empty() || name.len() > 128 {
                    self.at("api.name", "api.name must be 1 to 128 characters", None);
                } else if name.chars().any(char::is_control) {
                    self.at(
                        "api.name",
                        "api.name has a line break or tab in it",
                        Some("an API name is one line of text".into()),
                    );
                }
                ApiRef::Owned { name }
            }
            (None, Some(id)) => {
                if id.is_empty() || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
                    self.at(
                        "api.id",
                        format!("`{id}` is not an API id"),
                        Some("an API id is lower-case letters and digits, as shown by `aws apigatewayv2 get-apis` (REST APIs: `aws apigateway get-rest-apis`)".into()),
                    );
                }
                ApiRef::Adopted { id }
            }
            (Some(_), Some(_)) => {
                self.at_key(
                    "api",
                    "api has both `name` and `id`",
                    Some("use `name` for an API the stack creates, or `id` for an existing API, not both".into()),
                );
                ApiRef::Owned { name: String::new() }
            }
            (None, None) => {
                self.at_key(
                    "api",
                    "api needs `name` or `id`",
                    Some("`name: my-api` creates an API; `id: a1b2c3d4e5` adds routes to an existing one".into()),
                );
                ApiRef::Owned { name: String::new() }
            }
        };
        let rest = self.rest(&raw, &api, &issuer);
        let routes = self.routes(&raw.routes);
        if rest.api_type == ApiType::Rest {
            self.rest_routes(&raw.routes, &routes);
            self.rest_token_path(raw.token_endpoint.as_ref().and_then(|t| t.path.as_deref()));
        }
        // A REST stack's `cors` is refused by `rest` (not done yet), and not read as an HTTP API's.
        let (cors, access_log, throttling, domain) = match rest.api_type {
            ApiType::Http => self.api_settings(&raw, &api, &routes),
            ApiType::Rest => (
                None,
                raw.access_log.as_ref().map(|a| self.access_log(a)),
                raw.throttling.as_ref().map(|t| self.throttling(t)),
                raw.domain.as_ref().map(|d| self.domain(d, raw.region.as_deref())),
            ),
        };
        let token_endpoint = raw
            .token_endpoint
            .as_ref()
            .map(|t| self.token_endpoint(t, &issuer, &routes, token_max_ttl));
        Stack {
            name: raw.name,
            region: raw.region,
            issuer,
            audience: raw.audience,
            token_max_ttl,
            api,
            routes,
            cors,
            access_log,
            throttling,
            domain,
            token_endpoint,
            api_type: rest.api_type,
            endpoint: rest.endpoint,
            require_claims: rest.require_claims,
            trust: rest.trust,
            stage: rest.stage,
            vpc_endpoints: rest.vpc_endpoints,
        }
    }

    fn name(&mut self, name: &str) {
        let ok = (1..=40).contains(&name.len()) && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            self.at(
                "name",
                format!("stack name `{name}` is not 1 to 40 characters of a-z, 0-9 and -"),
                Some("the name prefixes SSM parameters and tags: for example `grocery` or `grocery-prod`".into()),
            );
        }
    }

    /// A hosted issuer (bucket, keys) or an external one (a URL only).
    fn issuer(&mut self, raw: &RawStack) -> Issuer {
        let i = &raw.issuer;
        match (&i.external, &i.bucket) {
            (Some(url), None) => {
                self.external_url(url);
                let not_here = |field: &str| format!("{field} is not allowed with issuer.external");
                let hint = || {
                    Some("the provider holds the keys and publishes the documents: remove this field, or use issuer.bucket to have jwtstack host the issuer".to_string())
                };
                for (path, present) in [
                    ("issuer.url", i.url.is_some()),
                    ("issuer.public", i.public.is_some()),
                    ("issuer.cloudfront", i.cloudfront.is_some()),
                ] {
                    if present {
                        self.at_key(path, not_here(path), hint());
                    }
                }
                for (path, present) in [
                    ("key_id", raw.key_id.is_some()),
                    ("next_key", raw.next_key.is_some()),
                    ("previous_keys", raw.previous_keys.is_some()),
                    ("key_bits", raw.key_bits.is_some()),
                    ("key_store", raw.key_store.is_some()),
                ] {
                    if present {
                        self.at_key(path, not_here(path), hint());
                    }
                }
                Issuer::External { url: url.clone() }
            }
            (None, Some(bucket)) => {
                let cloudfront = self.cloudfront(i);
                self.bucket(bucket, i.url.is_none() && cloudfront.is_none());
                if let Some(url) = &i.url {
                    self.issuer_url(url);
                }
                // With CloudFront the issuer is the distribution's (or its domain's) URL and the bucket private.
                let url = match &cloudfront {
                    Some(cf) => cf.domain.as_ref().map(|d| format!("https://{d}")),
                    None => i.url.clone(),
                };
                let public = i.public.unwrap_or(cloudfront.is_none());
                let key_bits = raw.key_bits.unwrap_or(DEFAULT_KEY_BITS as u32) as usize;
                if ![2048, 3072, 4096].contains(&key_bits) {
                    self.at("key_bits", format!("key_bits is {key_bits}"), Some("use 2048, 3072 or 4096".into()));
                }
                let key_store = raw.key_store.unwrap_or_default();
                // The key jwtstack would create in KMS (the next key during a rotation, else the signing key)
                // is named by an alias, whose characters are A-Z a-z 0-9 / _ - (no dot).
                let created = match (&raw.next_key, &raw.key_id) {
                    (Some(n), _) => Some(("next_key", n)),
                    (None, Some(k)) => Some(("key_id", k)),
                    (None, None) => None,
                };
                if let (KeyStore::Kms, Some((path, kid))) = (key_store, created)
                    && kid.contains('.')
                {
                    self.at(
                        path,
                        format!("{path} `{kid}` has a `.`, which a KMS alias name cannot hold (key_store: kms)"),
                        Some(format!("name the key with -, for example `{}`", kid.replace('.', "-"))),
                    );
                }
                let previous = raw.previous_keys.clone().unwrap_or_default();
                let key_id = match &raw.key_id {
                    Some(k) => {
                        self.keys(k, raw.next_key.as_deref(), &previous);
                        k.clone()
                    }
                    None => {
                        self.problems.push(Problem {
                            pos: Pos { line: 1, col: 1 },
                            message: "missing field `key_id`".into(),
                            hint: Some(
                                "a hosted issuer (issuer.bucket) signs with the key named by key_id: add e.g. `key_id: grocery-2026-11`"
                                    .into(),
                            ),
                        });
                        String::new()
                    }
                };
                Issuer::Hosted(Hosted {
                    bucket: bucket.clone(),
                    url,
                    public,
                    cloudfront,
                    key_id,
                    next_key: raw.next_key.clone(),
                    previous_keys: previous,
                    key_bits,
                    key_store,
                })
            }
            (Some(_), Some(_)) => {
                self.at_key(
                    "issuer",
                    "issuer has both `bucket` and `external`",
                    Some("`bucket` has jwtstack host the issuer; `external` names another identity provider's issuer URL".into()),
                );
                Issuer::External { url: String::new() }
            }
            (None, None) => {
                self.at_key(
                    "issuer",
                    "issuer needs `bucket` or `external`",
                    Some("`bucket: my-issuer-bucket` has jwtstack host the issuer; `external: https://idp.example.com` uses another provider's".into()),
                );
                Issuer::External { url: String::new() }
            }
        }
    }

    /// key_id, next_key and previous_keys: valid kids, each named once, and a JWKS that fits API Gateway's limit.
    fn keys(&mut self, key_id: &str, next: Option<&str>, previous: &[String]) {
        let mut named: Vec<(String, &str)> = vec![("key_id".into(), key_id)];
        named.extend(next.map(|n| ("next_key".to_string(), n)));
        named.extend(
            previous
                .iter()
                .enumerate()
                .map(|(i, k)| (format!("previous_keys[{i}]"), k.as_str())),
        );
        for (i, (path, kid)) in named.iter().enumerate() {
            if !is_kid(kid) {
                self.at(
                    path,
                    format!(
                        "{} `{kid}` is not 1 to 128 characters of A-Z, a-z, 0-9, -, _ and .",
                        field_name(path)
                    ),
                    Some("a key id names an SSM parameter; for example `grocery-2026-11`".into()),
                );
            } else if let Some((first, _)) = named[..i].iter().find(|(_, k)| k == kid) {
                self.at(
                    path,
                    format!("key `{kid}` is already named by {first}"),
                    Some("a key is the signing key, the next key or a previous key, never two of them".into()),
                );
            }
        }
        let fit = crate::crypto::documents::max_keys_in_jwks(4096, 128);
        if named.len() > fit {
            self.at_key(
                "previous_keys",
                format!(
                    "the JWKS would publish {} keys; at most {fit} keys of 4096 bits ({} of 2048 bits) fit under API Gateway's 150,000-byte JWKS limit",
                    named.len(),
                    crate::crypto::documents::max_keys_in_jwks(2048, 128),
                ),
                Some("retire previous keys whose tokens have expired: `jwtstack rotate finish`".into()),
            );
        }
    }

    /// An audience list at `at` (`audience`, `trust[0].audience`).
    fn audience(&mut self, at: &str, audience: &[String]) {
        if audience.is_empty() || audience.len() > quota::AUDIENCES {
            let takes = if at == "audience" {
                "API Gateway takes"
            } else {
                // AWS documents no quota for a REST API's issuers: the HTTP API's is kept.
                "jwtstack takes"
            };
            self.at(
                at,
                format!("{at} has {} entries; {takes} 1 to {}", audience.len(), quota::AUDIENCES),
                None,
            );
        }
        for (i, a) in audience.iter().enumerate() {
            let path = format!("{at}[{i}]");
            if a.trim().is_empty() {
                self.at(&path, "an audience is empty", None);
            } else if audience[..i].contains(a) {
                self.at(&path, format!("audience `{a}` is listed twice"), None);
            }
        }
    }

    fn routes(&mut self, raw: &[raw::RawRoute]) -> Vec<Route> {
        if raw.is_empty() || raw.len() > quota::ROUTES {
            self.at(
                "routes",
                format!(
                    "routes has {} entries; a stack has 1 to {} (API Gateway's routes per API)",
                    raw.len(),
                    quota::ROUTES
                ),
                None,
            );
        }
        let mut out: Vec<Route> = Vec::with_capacity(raw.len());
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (i, r) in raw.iter().enumerate() {
            let base = format!("routes[{i}]");
            let public = self.public_route(&base, r);
            let key = match RouteKey::parse(&r.route) {
                Ok(k) => {
                    let shape = k.shape();
                    if let Some((_, first)) = seen.iter().find(|(s, _)| *s == shape) {
                        self.at(
                            &format!("{base}.route"),
                            format!("route `{}` is declared twice (first as routes[{first}])", r.route),
                            Some("route keys must be unique; path parameters with other names still collide".into()),
                        );
                    }
                    seen.push((shape, i));
                    k
                }
                Err(e) => {
                    self.at(
                        &format!("{base}.route"),
                        format!("invalid route key `{}`: {}", r.route, e),
                        Some(route::HINT.into()),
                    );
                    RouteKey::default_route()
                }
            };
            if r.scopes.len() > quota::SCOPES_PER_ROUTE {
                self.at(
                    &format!("{base}.scopes"),
                    format!(
                        "route has {} scopes; API Gateway allows at most {}",
                        r.scopes.len(),
                        quota::SCOPES_PER_ROUTE
                    ),
                    None,
                );
            }
            for (j, s) in r.scopes.iter().enumerate() {
                let p = format!("{base}.scopes[{j}]");
                if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\\') {
                    self.at(
                        &p,
                        format!("scope `{s}` is empty or has a space, quote or backslash"),
                        Some("a token's `scope` claim is space-delimited, so a scope is one word, e.g. lists.read".into()),
                    );
                } else if s.chars().count() > quota::SCOPE_CHARS {
                    // The apigatewayv2 API model: AuthorizationScopes members are 1 to 64 characters.
                    self.at(
                        &p,
                        format!(
                            "scope `{s}` is {} characters; API Gateway allows at most {}",
                            s.chars().count(),
                            quota::SCOPE_CHARS
                        ),
                        Some("use a shorter scope name, e.g. orders.read".into()),
                    );
                } else if r.scopes[..j].contains(s) {
                    self.at(&p, format!("scope `{s}` is listed twice"), None);
                }
            }
            let integration = self.integration(&base, &r.integration);
            out.push(Route {
                key,
                scopes: r.scopes.clone(),
                integration,
                public,
            });
        }
        out
    }

    fn integration(&mut self, base: &str, raw: &raw::RawIntegration) -> Integration {
        let path = format!("{base}.integration");
        match (raw.http.clone(), raw.lambda.clone()) {
            (Some(url), None) => {
                // url::Url::parse would drop the newline a `|` block scalar keeps; API Gateway would not.
                let spaced = url.chars().any(|c| c.is_whitespace() || c.is_control());
                match url::Url::parse(&url.replace(['{', '}'], "")) {
                    _ if spaced => self.at(
                        &format!("{path}.http"),
                        format!("`{}` has a space, tab or line break in it", url.escape_debug()),
                        Some("write the URL as a plain or quoted scalar on one line (a `|` or `>` block keeps the line break)".into()),
                    ),
                    Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host_str().is_some() => {}
                    _ => self.at(
                        &format!("{path}.http"),
                        format!("`{url}` is not an absolute http(s) URL"),
                        Some("for example: https://backend.example.com/lists/{proxy}".into()),
                    ),
                }
                Integration::Http { url }
            }
            (None, Some(arn)) => {
                if !is_lambda_arn(&arn) {
                    self.at(
                        &format!("{path}.lambda"),
                        format!("`{arn}` is not a Lambda function ARN"),
                        Some("arn:aws:lambda:REGION:ACCOUNT:function:NAME (optionally :ALIAS)".into()),
                    );
                }
                Integration::Lambda { arn }
            }
            (Some(_), Some(_)) => {
                self.at_key(
                    &path,
                    "an integration has both `http` and `lambda`",
                    Some("keep one of them".to_string()),
                );
                Integration::Http { url: String::new() }
            }
            (None, None) => {
                self.at_key(
                    &path,
                    "an integration needs `http` or `lambda`",
                    Some("`http: https://...` proxies to a URL; `lambda: arn:aws:lambda:...` invokes a function".to_string()),
                );
                Integration::Http { url: String::new() }
            }
        }
    }
}

/// `previous_keys[2]` -> `previous_keys`.
fn field_name(path: &str) -> &str {
    path.split('[').next().unwrap_or(path)
}

fn is_lambda_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let len_ok = parts.len() == 7 || parts.len() == 8;
    len_ok
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "lambda"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5] == "function"
        && !parts[6].is_empty()
        && parts[6..]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}
