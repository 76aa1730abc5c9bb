//! What serve serves: the stack's routes with their local targets (`--integration` overrides).

use jwtstack_core::config::{self, ApiType, Integration, RouteKey, Stack};
use jwtstack_core::crypto::token::AuthorizerConfig;

use crate::ServeError;
use crate::token_endpoint::ServedTokenEndpoint;

/// Where one route's requests go locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// HTTP_PROXY to this URL template (`{name}` and `{proxy}` substituted).
    Http(String),
    /// The Lambda invoke API of a local runtime at this base URL.
    Lambda(String),
    /// A Lambda route with no local runtime given: answered 500, as API Gateway answers a failed integration.
    Missing(String),
}

/// `--integration ROUTE=URL` (ROUTE may be `*`: every route without its own).
pub fn parse_override(text: &str) -> Result<(String, String), ServeError> {
    let (route, url) = text
        .split_once('=')
        .ok_or_else(|| ServeError::OverrideNotRouteUrl { text: text.into() })?;
    let parsed = url::Url::parse(&url.replace(['{', '}'], "")).map_err(|e| ServeError::OverrideUrl {
        text: text.into(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ServeError::OverrideScheme { text: text.into() });
    }
    Ok((route.trim().to_string(), url.trim().to_string()))
}

/// One route as served.
#[derive(Debug, Clone)]
pub struct ServedRoute {
    pub key: RouteKey,
    pub scopes: Vec<String>,
    pub target: Target,
    /// `auth: none`: no token is read.
    pub public: bool,
}

/// The stack as served: swapped whole when stack.yaml changes.
pub struct Served {
    pub routes: Vec<ServedRoute>,
    pub authorizer: AuthorizerConfig,
    /// The API's CORS configuration, applied as API Gateway applies it.
    pub cors: Option<config::Cors>,
    /// The token endpoint, when the stack declares one.
    pub token_endpoint: Option<ServedTokenEndpoint>,
    /// A REST API's stage (its Lambda events name it); `None` for an HTTP API.
    pub rest_stage: Option<String>,
}

impl Served {
    /// Whether `self` decides with the same key sets as `other`: the same API type and, for a REST API, the
    /// same trusted issuers (an HTTP API's one key set does not depend on its issuer URL).
    pub fn same_keys(&self, other: &Served) -> bool {
        if self.authorizer.api == ApiType::Http && other.authorizer.api == ApiType::Http {
            return true;
        }
        let issuers = |s: &Served| s.authorizer.issuers.iter().map(|i| i.issuer.clone()).collect::<Vec<_>>();
        self.authorizer.api == other.authorizer.api && issuers(self) == issuers(other)
    }
}

/// Builds the served routes; an override naming no route of the stack is an error.
pub fn served(stack: &Stack, region: &str, overrides: &[(String, String)]) -> Result<Served, ServeError> {
    for (route, _) in overrides {
        if route != "*" && !stack.routes.iter().any(|r| r.key.as_str() == route) {
            return Err(ServeError::UnknownRoute {
                route: route.clone(),
                known: stack.routes.iter().map(|r| r.key.as_str().to_string()).collect(),
            });
        }
    }
    let find = |key: &str| {
        overrides
            .iter()
            .find(|(r, _)| r == key)
            .or_else(|| overrides.iter().find(|(r, _)| r == "*"))
            .map(|(_, u)| u.clone())
    };
    let mut routes = Vec::with_capacity(stack.routes.len());
    for r in &stack.routes {
        let target = match (&r.integration, find(r.key.as_str())) {
            (Integration::Http { .. }, Some(url)) => Target::Http(url),
            (Integration::Http { url }, None) => Target::Http(url.clone()),
            (Integration::Lambda { .. }, Some(url)) => Target::Lambda(url),
            (Integration::Lambda { arn }, None) => Target::Missing(arn.clone()),
        };
        routes.push(ServedRoute {
            key: r.key.clone(),
            scopes: r.scopes.clone(),
            target,
            public: r.public,
        });
    }
    Ok(Served {
        routes,
        authorizer: AuthorizerConfig::of_stack(stack, stack.issuer_url(region)),
        cors: stack.cors.clone(),
        token_endpoint: stack.token_endpoint.as_ref().map(|t| ServedTokenEndpoint {
            path: t.path.clone(),
            ttl: t.ttl,
            route_scopes: stack.all_scopes(),
            audiences: stack.audience.clone(),
            kid: stack.hosted().map(|h| h.key_id.clone()).unwrap_or_default(),
        }),
        rest_stage: (stack.api_type == ApiType::Rest).then(|| stack.rest_stage().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(api: &str, extra: &str) -> Stack {
        let text = format!(
            "name: shop\nregion: us-east-1\nissuer:\n  external: https://idp.example.com\naudience: [shop-api]\napi:\n  name: shop-api\n{api}\
             routes:\n  - route: GET /orders\n    integration:\n      lambda: arn:aws:lambda:us-east-1:123456789012:function:orders\n{extra}"
        );
        config::parse_str("stack.yaml", &text).unwrap()
    }

    #[test]
    fn a_reload_keeps_the_key_sets_it_was_started_with() {
        let http = served(&stack("", ""), "us-east-1", &[]).unwrap();
        let trust = "trust:\n  - issuer: https://acme.eu.auth0.com/\n    audience: [shop-api]\n";
        let over = [("*".to_string(), "http://127.0.0.1:9/".to_string())];
        let rest = served(&stack("  type: rest\n", trust), "us-east-1", &over).unwrap();
        let fewer = served(&stack("  type: rest\n", ""), "us-east-1", &over).unwrap();
        assert!(http.same_keys(&http));
        assert!(rest.same_keys(&rest));
        assert!(!http.same_keys(&rest), "another API type");
        assert!(!rest.same_keys(&fewer), "another list of issuers");
        // A REST API's Lambda route is invoked as an HTTP API's is, with its own event.
        assert!(matches!(rest.routes[0].target, Target::Lambda(_)));
        let alone = served(&stack("  type: rest\n", trust), "us-east-1", &[]).unwrap();
        assert!(matches!(alone.routes[0].target, Target::Missing(_)));
        assert_eq!((http.rest_stage, alone.rest_stage.as_deref()), (None, Some("live")));
    }
}
