//! The stack's HTTP API as one OpenAPI 3 definition, the body of `ImportApi`/`ReimportApi` and the output of
//! `jwtstack export-openapi`. Pure: the same stack and region give the same bytes.
//!
//! The shape follows AWS's "Working with OpenAPI definitions for HTTP APIs" and its extension pages:
//! - `info.title` names the API; a root `tags` entry with `x-amazon-apigateway-tag-value` carries the stack tag,
//!   so the API is the stack's from the moment the import creates it;
//! - the JWT authorizer is a security scheme named like the authorizer (`{stack}-jwt`) with
//!   `x-amazon-apigateway-authorizer` (`type: jwt`, `jwtConfiguration`, `identitySource`);
//! - each route is an operation (`x-amazon-apigateway-any-method` for `ANY`) whose `security` requirement lists its
//!   scopes; the default route is the path `/$default` with `x-amazon-apigateway-any-method` and `isDefaultRoute:
//!   true` ("x-amazon-apigateway-any-method object"; a path that does not start with `/`, such as `$default`, is
//!   refused under FailOnWarnings: aws/serverless-application-model#2297 and its fix #2726);
//! - a public route (`auth: none`) is an operation without `security`: authorization type NONE;
//! - the CORS configuration is the root `x-amazon-apigateway-cors`;
//! - integrations are defined once in `components.x-amazon-apigateway-integrations` and referenced by every route
//!   that uses them, as the call-by-call path shares one integration among routes of equal spec;
//! - a Lambda integration's `uri` is the invocation URI of the function (`IntegrationSpec::of` reads it back as
//!   the function's ARN).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{DEFAULT_TIMEOUT_MS, IntegrationSpec, IntegrationType};
use crate::config::{ApiRef, Route, Stack};
use crate::names::{IDENTITY_SOURCE, TAG_KEY};

/// The Lambda invocation URI API Gateway uses for a function, in the API's region.
pub fn lambda_invocation_uri(function_arn: &str, region: &str) -> String {
    let partition = function_arn.split(':').nth(1).unwrap_or("aws");
    format!("arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations")
}

/// The function ARN inside an invocation URI (`None` when `uri` is not one).
pub fn function_of_invocation_uri(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix("arn:")?;
    let (_, rest) = rest.split_once(":apigateway:")?;
    let (_, rest) = rest.split_once(":lambda:path/2015-03-31/functions/")?;
    rest.strip_suffix("/invocations").filter(|f| f.starts_with("arn:"))
}

/// The API's name in the definition: the stack's `api.name`, or the stack's name for an adopted API (whose
/// definition is only ever exported, never imported).
fn title(stack: &Stack) -> &str {
    match &stack.api {
        ApiRef::Owned { name } => name,
        ApiRef::Adopted { .. } => &stack.name,
    }
}

fn integration(spec: &IntegrationSpec, region: &str) -> Value {
    match spec.integration_type {
        IntegrationType::AwsProxy => json!({
            "type": "aws_proxy",
            "httpMethod": "POST",
            "uri": lambda_invocation_uri(&spec.uri, region),
            "payloadFormatVersion": spec.payload_format_version,
            "connectionType": "INTERNET",
            "timeoutInMillis": DEFAULT_TIMEOUT_MS,
        }),
        _ => json!({
            "type": "http_proxy",
            "httpMethod": spec.method.clone().unwrap_or_else(|| "ANY".into()),
            "uri": spec.uri,
            "payloadFormatVersion": spec.payload_format_version,
            "connectionType": "INTERNET",
            "timeoutInMillis": DEFAULT_TIMEOUT_MS,
        }),
    }
}

/// The whole API: authorizer, integrations and `routes` (the stack's, with the token endpoint's for a deploy).
pub fn definition(stack: &Stack, routes: &[Route], region: &str) -> Value {
    let authorizer = stack.authorizer_name();
    // One named integration per distinct spec, numbered in spec order.
    let specs: BTreeSet<IntegrationSpec> = routes
        .iter()
        .map(|r| IntegrationSpec::for_route(&r.integration, r.key.method()))
        .collect();
    let names: BTreeMap<&IntegrationSpec, String> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (s, format!("integration-{}", i + 1)))
        .collect();
    let integrations: serde_json::Map<String, Value> = names.iter().map(|(s, name)| (name.clone(), integration(s, region))).collect();
    let mut paths: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
    for route in routes {
        let spec = IntegrationSpec::for_route(&route.integration, route.key.method());
        let (path, operation) = match (route.key.path(), route.key.method()) {
            (Some(path), Some(m)) if m != crate::config::Method::Any => (path.to_string(), m.as_str().to_ascii_lowercase()),
            (Some(path), _) => (path.to_string(), "x-amazon-apigateway-any-method".to_string()),
            (None, _) => ("/$default".to_string(), "x-amazon-apigateway-any-method".to_string()),
        };
        let mut op = json!({
            "operationId": route.key.as_str(),
            "responses": {"default": {"description": "Default response"}},
            "x-amazon-apigateway-integration": {
                "$ref": format!("#/components/x-amazon-apigateway-integrations/{}", names[&spec])
            },
        });
        if route.key.path().is_none() {
            op["isDefaultRoute"] = json!(true);
        }
        // A public route has no security requirement: API Gateway makes it authorization type NONE.
        if !route.public {
            op["security"] = json!([{authorizer.as_str(): route.scopes}]);
        }
        let parameters: Vec<Value> = route
            .key
            .path_parameters()
            .into_iter()
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !parameters.is_empty() {
            op["parameters"] = Value::Array(parameters);
        }
        paths.entry(path).or_default().insert(operation, op);
    }
    let mut doc = json!({
        "openapi": "3.0.1",
        "info": {
            "title": title(stack),
            "description": format!("managed by jwtstack; stack {}", stack.name),
            "version": "1.0",
        },
        "tags": [{"name": TAG_KEY, "x-amazon-apigateway-tag-value": stack.name}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                authorizer.as_str(): {
                    "type": "oauth2",
                    "flows": {},
                    "x-amazon-apigateway-authorizer": {
                        "type": "jwt",
                        "identitySource": IDENTITY_SOURCE,
                        "jwtConfiguration": {
                            "issuer": stack.issuer_url(region),
                            "audience": stack.audience,
                        },
                    },
                },
            },
            "x-amazon-apigateway-integrations": integrations,
        },
    });
    if let Some(c) = &stack.cors {
        doc["x-amazon-apigateway-cors"] = cors(c);
    }
    doc
}

/// `x-amazon-apigateway-cors`: the API's CORS configuration, in API Gateway's names.
pub fn cors(c: &crate::config::Cors) -> Value {
    let mut v = json!({
        "allowOrigins": c.allow_origins,
        "allowCredentials": c.allow_credentials,
    });
    for (name, list) in [
        ("allowMethods", &c.allow_methods),
        ("allowHeaders", &c.allow_headers),
        ("exposeHeaders", &c.expose_headers),
    ] {
        if !list.is_empty() {
            v[name] = json!(list);
        }
    }
    if let Some(a) = c.max_age {
        v["maxAge"] = json!(a);
    }
    v
}

/// The definition as `export-openapi` prints it (indented; the import sends the same document compact).
pub fn definition_text(stack: &Stack, routes: &[Route], region: &str) -> String {
    let mut text = serde_json::to_string_pretty(&definition(stack, routes, region)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocation_uris_round_trip() {
        let f = "arn:aws:lambda:eu-west-1:123456789012:function:lists";
        let uri = lambda_invocation_uri(f, "eu-west-1");
        assert_eq!(
            uri,
            "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:lists/invocations"
        );
        assert_eq!(function_of_invocation_uri(&uri), Some(f));
        assert_eq!(function_of_invocation_uri(f), None);
        assert_eq!(function_of_invocation_uri("https://example.com/invocations"), None);
        let cn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:x";
        assert!(lambda_invocation_uri(cn, "cn-north-1").starts_with("arn:aws-cn:apigateway:cn-north-1:"));
    }
}
