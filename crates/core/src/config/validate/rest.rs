//! `api.type: rest` and what only a REST API's JWT authorizer has: `trust` (more issuers) and `require_claims`.
//! The rules are API Gateway's (API reference: `JwtConfigurationInput`, `JwtIssuerInput`, `JwtAdditionalClaim`);
//! what a REST API cannot do yet through jwtstack is refused at its position, never ignored.

use super::super::raw::{RawClaim, RawRoute, RawStack};
use super::Validator;
use crate::config::{ApiRef, ApiType, ClaimRule, Issuer, RESERVED_CLAIMS, RestEndpoint, Route, TrustedIssuer};

/// What the REST fields of the stack file say.
pub(super) struct Rest {
    pub api_type: ApiType,
    pub endpoint: Option<RestEndpoint>,
    pub require_claims: Vec<ClaimRule>,
    pub trust: Vec<TrustedIssuer>,
    pub stage: Option<String>,
    pub vpc_endpoints: Vec<String>,
}

const NOT_YET: &str = "docs/rest-apis.md#what-is-not-done-yet";

impl Validator<'_> {
    pub(super) fn rest(&mut self, raw: &RawStack, api: &ApiRef, issuer: &Issuer) -> Rest {
        let api_type = raw.api.api_type.unwrap_or_default();
        let require_claims = raw
            .require_claims
            .as_ref()
            .map(|c| self.claims("require_claims", c))
            .unwrap_or_default();
        let trust: Vec<TrustedIssuer> = raw
            .trust
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, t)| {
                let at = format!("trust[{i}]");
                self.provider_url(&format!("{at}.issuer"), &t.issuer);
                self.audience(&format!("{at}.audience"), &t.audience);
                TrustedIssuer {
                    issuer: t.issuer.clone(),
                    audience: t.audience.clone(),
                    require_claims: t
                        .require_claims
                        .as_ref()
                        .map(|c| self.claims(&format!("{at}.require_claims"), c))
                        .unwrap_or_default(),
                }
            })
            .collect();
        // Issuer URLs are unique within the authorizer's configuration (`JwtConfigurationInput`).
        let own = match issuer {
            Issuer::External { url } => Some(url.clone()),
            Issuer::Hosted(h) => h.url.clone(),
        };
        // A hosted issuer without `url` is its bucket's regional URL, whatever the region.
        let bucket_url = match issuer {
            Issuer::Hosted(h) if h.url.is_none() && h.cloudfront.is_none() => Some(format!("https://{}.s3.", h.bucket)),
            _ => None,
        };
        for (list, present) in [
            ("trust", raw.trust.as_ref().is_some_and(Vec::is_empty)),
            ("require_claims", raw.require_claims.as_ref().is_some_and(Vec::is_empty)),
        ] {
            if present {
                self.at_key(
                    list,
                    format!("`{list}` is an empty list"),
                    Some(format!("list at least one entry, or remove `{list}`")),
                );
            }
        }
        for (i, t) in trust.iter().enumerate() {
            if own.as_deref() == Some(t.issuer.as_str()) || bucket_url.as_deref().is_some_and(|b| t.issuer.starts_with(b)) {
                self.at(
                    &format!("trust[{i}].issuer"),
                    format!("`{}` is the stack's own issuer", t.issuer),
                    Some("the stack's issuer is trusted already, with `audience` and `require_claims`: remove this entry".into()),
                );
            } else if trust[..i].iter().any(|o| o.issuer == t.issuer) {
                self.at(
                    &format!("trust[{i}].issuer"),
                    format!("issuer `{}` is listed twice", t.issuer),
                    Some("API Gateway takes each issuer once: merge the two entries' audiences and claims".into()),
                );
            }
        }
        let endpoint = raw.api.endpoint;
        match api_type {
            ApiType::Http => self.http_only(raw),
            ApiType::Rest => self.rest_only(raw, api),
        }
        let endpoint = match (api_type, api) {
            (ApiType::Rest, ApiRef::Owned { .. }) => Some(endpoint.unwrap_or_default()),
            _ => None,
        };
        let stage = match (api_type, api) {
            (ApiType::Rest, ApiRef::Owned { .. }) => Some(crate::names::REST_STAGE_NAME.to_string()),
            (ApiType::Rest, ApiRef::Adopted { .. }) => Some(self.stage(raw.api.stage.as_deref())),
            (ApiType::Http, _) => None,
        };
        let vpc_endpoints = self.vpc_endpoints(raw, endpoint);
        Rest {
            api_type,
            endpoint,
            require_claims,
            trust,
            stage,
            vpc_endpoints,
        }
    }

    /// An adopted REST API's stage, which the stack file names (CreateStage: "Stage names can only contain
    /// alphanumeric characters, hyphens, and underscores. Maximum length is 128 characters"): a deployment goes
    /// live there, and one the API does not have is created without any of the API's stage settings, so it is
    /// never chosen for the user.
    fn stage(&mut self, stage: Option<&str>) -> String {
        let Some(stage) = stage else {
            self.at(
                "api.id",
                "an adopted REST API needs api.stage: the stage the stack's deployments go live on",
                Some("add `stage: prod` (the API's stage, as `aws apigateway get-stages` lists it) under api; a name the API has not is created by the stack, without the settings of its other stages".into()),
            );
            return String::new();
        };
        let valid = (1..=128).contains(&stage.len()) && stage.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            self.at(
                "api.stage",
                format!("`{stage}` is not a stage name"),
                Some("a stage name is 1 to 128 letters, digits, hyphens and underscores, as `aws apigateway get-stages` shows it".into()),
            );
        }
        stage.to_string()
    }

    /// A private API's VPC endpoints: required with `endpoint: private` (a private API serves nothing without a
    /// resource policy naming who may call it, and CreateDeployment refuses one without: "Private REST API
    /// doesn't have a resource policy attached to it"), refused without it. An id is `vpce-` and 8 or 17 hex
    /// digits, as EC2 gives them.
    fn vpc_endpoints(&mut self, raw: &RawStack, endpoint: Option<RestEndpoint>) -> Vec<String> {
        let listed = raw.api.vpc_endpoints.clone().unwrap_or_default();
        match (endpoint, raw.api.vpc_endpoints.is_some()) {
            (Some(RestEndpoint::Private), false) => self.at_key(
                "api.endpoint",
                "endpoint: private needs api.vpc_endpoints",
                Some("list the VPC endpoints of execute-api that may call the API (vpce-...): the stack writes the resource policy that lets them alone in".into()),
            ),
            (Some(RestEndpoint::Private), true) if listed.is_empty() => self.at_key(
                "api.vpc_endpoints",
                "`vpc_endpoints` is an empty list",
                Some("list at least one VPC endpoint (vpce-...)".into()),
            ),
            (Some(RestEndpoint::Private), true) => {
                for (i, id) in listed.iter().enumerate() {
                    if listed[..i].contains(id) {
                        self.at(
                            &format!("api.vpc_endpoints[{i}]"),
                            format!("`{id}` is listed twice"),
                            Some("list each VPC endpoint once".into()),
                        );
                        continue;
                    }
                    let hex = id.strip_prefix("vpce-").unwrap_or_default();
                    if !matches!(hex.len(), 8 | 17) || !hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
                        self.at(
                            &format!("api.vpc_endpoints[{i}]"),
                            format!("`{id}` is not a VPC endpoint id"),
                            Some("a VPC endpoint id is vpce- and 17 (or, for older ones, 8) hex digits, as `aws ec2 describe-vpc-endpoints` lists it".into()),
                        );
                    }
                }
            }
            (_, true) => self.at_key(
                "api.vpc_endpoints",
                "api.vpc_endpoints without endpoint: private",
                Some("VPC endpoints are for a private REST API: set endpoint: private, or remove vpc_endpoints".into()),
            ),
            (_, false) => {}
        }
        listed
    }

    /// The fields an HTTP API's authorizer has no place for.
    fn http_only(&mut self, raw: &RawStack) {
        let why = "an HTTP API's JWT authorizer trusts one issuer and checks iss, aud, exp, nbf, iat and scopes only";
        for (path, present, what) in [
            ("trust", raw.trust.is_some(), "trust (more issuers)"),
            ("require_claims", raw.require_claims.is_some(), "require_claims"),
            ("api.endpoint", raw.api.endpoint.is_some(), "api.endpoint"),
            ("api.stage", raw.api.stage.is_some(), "api.stage"),
        ] {
            if present {
                self.at_key(
                    path,
                    format!("{what} needs `api.type: rest`"),
                    Some(if path == "api.endpoint" {
                        "an HTTP API has one endpoint type (regional): remove api.endpoint, or set api.type: rest".to_string()
                    } else if path == "api.stage" {
                        "jwtstack deploys an HTTP API's routes to its $default stage: remove api.stage".to_string()
                    } else {
                        format!("{why}: set api.type: rest for API Gateway's JWT authorizer for REST APIs, or remove {path}")
                    }),
                );
            }
        }
    }

    /// What jwtstack does not do for a REST API yet, each refused where it is written.
    fn rest_only(&mut self, raw: &RawStack, api: &ApiRef) {
        // The stage of an adopted API is the API's own: its settings are not the stack's to set.
        if matches!(api, ApiRef::Adopted { .. }) {
            for (path, present) in [("access_log", raw.access_log.is_some()), ("throttling", raw.throttling.is_some())] {
                if present {
                    self.at_key(
                        path,
                        format!("{path} with an adopted REST API (api.id)"),
                        Some(format!(
                            "the stage of an adopted REST API keeps its own settings: set them on the API's stage, and remove {path}"
                        )),
                    );
                }
            }
        }
        if matches!(api, ApiRef::Owned { .. }) && raw.api.stage.is_some() {
            self.at_key(
                "api.stage",
                "api.stage with api.name",
                Some(
                    "a REST API the stack creates is deployed to the stage `live`: remove api.stage (it is for an adopted API, api.id)"
                        .into(),
                ),
            );
        }
        match (api, raw.api.endpoint) {
            (ApiRef::Adopted { .. }, Some(_)) => self.at_key(
                "api.endpoint",
                "api.endpoint with api.id",
                Some("an adopted REST API keeps the endpoint type it has: remove api.endpoint".into()),
            ),
            // The regional custom domain name jwtstack makes cannot map a private API (a private one is made
            // through a VPC endpoint, which jwtstack does not do).
            (_, Some(RestEndpoint::Private)) if raw.domain.is_some() => self.at_key(
                "domain",
                "domain with endpoint: private",
                Some("the regional custom domain name jwtstack makes cannot map a private REST API, which is called through its VPC endpoints: remove domain".into()),
            ),
            _ => {}
        }
        if raw.cors.is_some() {
            self.at_key(
                "cors",
                "cors is not done for REST APIs yet",
                Some(format!(
                    "a REST API has no API-wide CORS configuration: add an `OPTIONS` route with `auth: none` for each path a browser calls, so that the integration answers preflight requests, and remove cors ({NOT_YET})"
                )),
            );
        }
    }

    /// The token endpoint's path as a REST resource: its path parts take what a route's do (the plain path
    /// `token_endpoint.path` allows `~` too, which CreateResource refuses).
    pub(super) fn rest_token_path(&mut self, path: Option<&str>) {
        if let Some(path) = path.filter(|p| p.contains('~')) {
            self.at(
                "token_endpoint.path",
                format!("token_endpoint.path `{path}`: a REST API's path part takes a-z, A-Z, 0-9, `.`, `_` and `-`, not `~`"),
                Some("rename the path part: API Gateway's CreateResource refuses it".into()),
            );
        }
    }

    /// What a REST API's resource tree cannot hold, found before any change: a REST API has no `$default`
    /// route, and a resource has at most one variable child ("A sibling ({id}) of this resource already has a
    /// variable path part -- only one is allowed", API Gateway's CreateResource), so `/items/{id}` and
    /// `/items/{itemId}/reviews` cannot both be made, nor `/items/{id}` beside `/items/{proxy+}`.
    /// A literal path part holds only `a-zA-Z0-9._-` ("Resource's path part only allow a-zA-Z0-9._- and curly
    /// braces at the beginning and the end and an optional plus sign before the closing brace", CreateResource).
    pub(super) fn rest_routes(&mut self, raw: &[RawRoute], routes: &[Route]) {
        // Each variable segment seen: its parent path and its name, with the route that made it.
        let mut variables: Vec<(String, String, usize)> = Vec::new();
        for (i, r) in routes.iter().enumerate() {
            let at = format!("routes[{i}].route");
            // A key that did not parse is said already (and stands here as `$default`).
            if r.key.is_default() && raw.get(i).is_some_and(|raw| raw.route.trim() != "$default") {
                continue;
            }
            let Some(path) = r.key.path() else {
                self.at(
                    &at,
                    "a REST API has no `$default` route",
                    Some("route every method and path to the integration with `ANY /{proxy+}` (and `ANY /` for the root)".into()),
                );
                continue;
            };
            let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            for (depth, segment) in segments.iter().enumerate() {
                let parent = format!("/{}", segments[..depth].join("/"));
                if !(segment.starts_with('{') && segment.ends_with('}')) {
                    if let Some(c) = segment.chars().find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c))) {
                        self.at(
                            &at,
                            format!("`{path}`: a REST API's path part takes a-z, A-Z, 0-9, `.`, `_` and `-`, not `{c}`"),
                            Some("rename the path part: API Gateway's CreateResource refuses it".into()),
                        );
                    }
                    continue;
                }
                let name = segment.trim_start_matches('{').trim_end_matches('}');
                match variables.iter().find(|(p, _, _)| *p == parent) {
                    Some((_, other, j)) if other != name => {
                        let hint = if other.ends_with('+') || name.ends_with('+') {
                            format!(
                                "a greedy parameter takes every path under {parent}: route both through it, or move one route elsewhere"
                            )
                        } else {
                            format!("name the parameter {{{other}}} in both routes")
                        };
                        self.at(
                            &at,
                            format!(
                                "`{path}` puts {{{name}}} under {parent} beside {{{other}}} of routes[{j}]: a REST API resource has one variable child"
                            ),
                            Some(hint),
                        )
                    }
                    Some(_) => {}
                    None => variables.push((parent, name.to_string(), i)),
                }
            }
        }
    }

    /// `require_claims` at `at`: API Gateway's `JwtAdditionalClaim` rules.
    fn claims(&mut self, at: &str, raw: &[RawClaim]) -> Vec<ClaimRule> {
        let mut out: Vec<ClaimRule> = Vec::new();
        for (i, c) in raw.iter().enumerate() {
            let path = format!("{at}[{i}]");
            if c.name.trim().is_empty() {
                self.at(&format!("{path}.name"), "a claim name is empty", None);
            } else if RESERVED_CLAIMS.contains(&c.name.as_str()) {
                self.at(
                    &format!("{path}.name"),
                    format!("`{}` is checked by the authorizer itself and cannot be an additional claim", c.name),
                    Some(format!(
                        "API Gateway refuses {} as additional claims: use `audience` for aud, and route scopes for scope",
                        RESERVED_CLAIMS.join(", ")
                    )),
                );
            } else if c.name.chars().any(char::is_control) {
                self.at(&format!("{path}.name"), "a claim name has a control character in it", None);
            } else if out.iter().any(|o| o.name == c.name) {
                self.at(
                    &format!("{path}.name"),
                    format!("claim `{}` is listed twice", c.name),
                    Some("API Gateway takes each claim once per issuer: merge the two entries' values".into()),
                );
            }
            let values = c.values.clone().unwrap_or_default();
            if c.values.as_ref().is_some_and(Vec::is_empty) {
                self.at_key(
                    &format!("{path}.values"),
                    "`values` is an empty list",
                    Some("list the accepted values, or remove `values` to accept any string".into()),
                );
            }
            for (j, v) in values.iter().enumerate() {
                if v.is_empty() {
                    self.at(
                        &format!("{path}.values[{j}]"),
                        "an expected value is empty",
                        Some("API Gateway refuses empty values".into()),
                    );
                } else if values[..j].contains(v) {
                    self.at(&format!("{path}.values[{j}]"), format!("value `{v}` is listed twice"), None);
                }
            }
            let required = c.required.unwrap_or(true);
            if !required && values.is_empty() {
                self.at(
                    &format!("{path}.required"),
                    format!("claim `{}` is neither required nor limited to values, so it checks nothing", c.name),
                    Some("remove `required: false`, or list the values a token that carries the claim must have".into()),
                );
            }
            out.push(ClaimRule {
                name: c.name.clone(),
                required,
                values,
            });
        }
        out
    }
}
