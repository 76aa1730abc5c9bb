//! API Gateway v2 (HTTP APIs): the API and its import, the JWT authorizer, integrations and routes; the
//! `$default` stage, the CORS configuration and the custom domains in their own files.
//!
//! Ownership without a state file: an owned API carries the stack tag; the authorizer is found by its name
//! `{stack}-jwt`; a route is the stack's when it uses that authorizer; an integration is the stack's when its
//! description carries the stack marker; the `$default` stage is the stack's when tagged.

use std::collections::HashMap;

mod cors;
mod domain;
mod stage;

use cors::cors_of;
pub use cors::update_cors;
pub use domain::{create_domain, create_mapping, delete_domain, delete_mapping, stack_domains, update_domain};
pub use stage::{
    configure_stage, create_stage, delete_access_log, delete_stage, deployment_status, enable_auto_deploy, find_default_stage,
};

use aws_sdk_apigatewayv2::types::{AuthorizerType, JwtConfiguration, ProtocolType};

use super::retry::no_retry;
use super::{AwsError, Clients, ErrorKind, classify, ignore_missing};
use jwtstack_core::names::{IDENTITY_SOURCE, TAG_KEY};
use jwtstack_core::plan::{
    ApiId, ApiInfo, AuthorizationType, AuthorizerId, AuthorizerInfo, IntegrationId, IntegrationInfo, IntegrationSettings, IntegrationSpec,
    IntegrationType, OtherAuthorizer, RouteInfo,
};

/// List calls use the largest page API Gateway accepts.
const PAGE: &str = "500";

/// Every item of a paginated list: `page(token)` fetches one page and returns its items and the next token
/// (`nextToken` of HTTP APIs, `position` of REST APIs).
pub(crate) async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let (items, next) = page(token.take()).await?;
        all.extend(items);
        match next {
            Some(t) => token = Some(t),
            None => return Ok(all),
        }
    }
}

/// The API the stack owns: the one HTTP API tagged with the stack. More than one is a conflict.
pub async fn find_owned_api(c: &Clients, stack: &str) -> Result<Option<ApiInfo>, AwsError> {
    let apis = all_pages(|token| async move {
        let out = c
            .apigw
            .get_apis()
            .max_results(PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("listing HTTP APIs", e))?;
        Ok((out.items().to_vec(), out.next_token().map(str::to_string)))
    })
    .await?;
    let found: Vec<ApiInfo> = apis
        .iter()
        .filter(|api| {
            api.tags().and_then(|t| t.get(TAG_KEY)).map(String::as_str) == Some(stack) && api.protocol_type() == Some(&ProtocolType::Http)
        })
        .map(|api| ApiInfo {
            id: api.api_id().unwrap_or_default().into(),
            name: api.name().unwrap_or_default().to_string(),
            endpoint: api.api_endpoint().unwrap_or_default().to_string(),
            owned: true,
            cors: cors_of(api.cors_configuration()),
            execute_api_disabled: api.disable_execute_api_endpoint().unwrap_or(false),
        })
        .collect();
    one_tagged(found, "HTTP", stack, |a| &a.id)
}

/// The one API of `kind` (HTTP, REST) tagged with the stack, if any: more than one is a conflict.
pub(crate) fn one_tagged<A>(mut found: Vec<A>, kind: &str, stack: &str, id: impl Fn(&A) -> &ApiId) -> Result<Option<A>, AwsError> {
    if found.len() > 1 {
        let ids: Vec<&str> = found.iter().map(|a| id(a).as_str()).collect();
        let mut e = AwsError::new(
            format!("finding the {kind} API of stack {stack}"),
            ErrorKind::Conflict,
            format!("{} {kind} APIs carry the tag {TAG_KEY}={stack}: {}", found.len(), ids.join(", ")),
        );
        e.hint = Some("delete the duplicates (or remove their tag) so that one remains, then deploy again".into());
        return Err(e);
    }
    Ok(found.pop())
}

/// An existing API named by `api.id`.
pub async fn get_adopted_api(c: &Clients, id: &str) -> Result<ApiInfo, AwsError> {
    let out = c.apigw.get_api().api_id(id).send().await.map_err(|e| {
        let mut err = classify(format!("reading HTTP API {id}"), e);
        if err.is_not_found() {
            err.hint = Some("api.id names an existing HTTP API; use api.name to have the stack create one".into());
        }
        err
    })?;
    if out.protocol_type() != Some(&ProtocolType::Http) {
        return Err(AwsError::new(
            format!("reading API {id}"),
            ErrorKind::Other,
            "it is not an HTTP API (JWT authorizers need an HTTP API)",
        ));
    }
    Ok(ApiInfo {
        id: id.into(),
        name: out.name().unwrap_or_default().into(),
        endpoint: out.api_endpoint().unwrap_or_default().into(),
        owned: false,
        cors: cors_of(out.cors_configuration()),
        execute_api_disabled: out.disable_execute_api_endpoint().unwrap_or(false),
    })
}

/// The authorizer named `name`, if any. Two with that name is a conflict.
pub async fn find_authorizer(c: &Clients, api_id: &str, name: &str) -> Result<Option<AuthorizerInfo>, AwsError> {
    Ok(read_authorizers(c, api_id, name).await?.0)
}

/// The authorizer named `name`, if any (two with that name is a conflict), and the API's others.
pub async fn read_authorizers(c: &Clients, api_id: &str, name: &str) -> Result<(Option<AuthorizerInfo>, Vec<OtherAuthorizer>), AwsError> {
    let all = all_pages(|token| async move {
        let out = c
            .apigw
            .get_authorizers()
            .api_id(api_id)
            .max_results(PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify(format!("listing the authorizers of API {api_id}"), e))?;
        Ok((out.items().to_vec(), out.next_token().map(str::to_string)))
    })
    .await?;
    let (ours, others): (Vec<_>, Vec<_>) = all.iter().partition(|a| a.name() == Some(name));
    let mut found: Vec<AuthorizerInfo> = ours
        .iter()
        .map(|a| AuthorizerInfo {
            id: a.authorizer_id().unwrap_or_default().into(),
            issuer: a.jwt_configuration().and_then(|j| j.issuer()).unwrap_or_default().into(),
            audience: a.jwt_configuration().map(|j| j.audience().to_vec()).unwrap_or_default(),
            identity_source: a.identity_source().to_vec(),
        })
        .collect();
    if found.len() > 1 {
        let mut e = AwsError::new(
            format!("finding authorizer {name} in API {api_id}"),
            ErrorKind::Conflict,
            format!("{} authorizers are named {name}", found.len()),
        );
        e.hint = Some("delete all but one in the API Gateway console, then deploy again".into());
        return Err(e);
    }
    let others = others
        .iter()
        .map(|a| OtherAuthorizer {
            id: a.authorizer_id().unwrap_or_default().into(),
            name: a.name().unwrap_or_default().into(),
            kind: a.authorizer_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
            issuer: a.jwt_configuration().and_then(|j| j.issuer()).map(str::to_string),
        })
        .collect();
    Ok((found.pop(), others))
}

pub async fn list_integrations(c: &Clients, api_id: &str, marker: &str) -> Result<Vec<IntegrationInfo>, AwsError> {
    let items = all_pages(|token| async move {
        let out = c
            .apigw
            .get_integrations()
            .api_id(api_id)
            .max_results(PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify(format!("listing the integrations of API {api_id}"), e))?;
        Ok((out.items().to_vec(), out.next_token().map(str::to_string)))
    })
    .await?;
    let mut all: Vec<IntegrationInfo> = items
        .iter()
        .map(|i| IntegrationInfo {
            id: i.integration_id().unwrap_or_default().into(),
            integration_type: i.integration_type().map(|t| IntegrationType::parse(t.as_str())).unwrap_or_default(),
            uri: i.integration_uri().unwrap_or_default().into(),
            method: i.integration_method().map(str::to_string),
            payload_format_version: i.payload_format_version().map(str::to_string),
            owned: i.description() == Some(marker),
            settings: IntegrationSettings {
                timeout_ms: i.timeout_in_millis(),
                request_parameters: i.request_parameters().cloned().unwrap_or_default().into_iter().collect(),
                response_parameters: i
                    .response_parameters()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone().into_iter().collect())).collect())
                    .unwrap_or_default(),
                credentials_arn: i.credentials_arn().map(str::to_string),
                connection_type: i.connection_type().map(|t| t.as_str().to_string()),
                connection_id: i.connection_id().map(str::to_string),
                tls_server_name: i.tls_config().and_then(|t| t.server_name_to_verify()).map(str::to_string),
                subtype: i.integration_subtype().map(str::to_string),
            },
        })
        .collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(all)
}

pub async fn list_routes(c: &Clients, api_id: &str) -> Result<Vec<RouteInfo>, AwsError> {
    let items = all_pages(|token| async move {
        let out = c
            .apigw
            .get_routes()
            .api_id(api_id)
            .max_results(PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify(format!("listing the routes of API {api_id}"), e))?;
        Ok((out.items().to_vec(), out.next_token().map(str::to_string)))
    })
    .await?;
    let mut all: Vec<RouteInfo> = items
        .iter()
        .map(|r| RouteInfo {
            id: r.route_id().unwrap_or_default().into(),
            key: r.route_key().unwrap_or_default().into(),
            authorization_type: AuthorizationType::parse(r.authorization_type().map(|t| t.as_str())),
            authorizer_id: r.authorizer_id().map(AuthorizerId::from),
            scopes: r.authorization_scopes().to_vec(),
            target: r.target().map(str::to_string),
            operation_name: r.operation_name().map(str::to_string),
        })
        .collect();
    all.sort_by(|a, b| a.key.cmp(&b.key).then(a.id.cmp(&b.id)));
    Ok(all)
}

fn tags(stack: &str) -> HashMap<String, String> {
    HashMap::from([(TAG_KEY.to_string(), stack.to_string())])
}

pub async fn create_api(c: &Clients, name: &str, stack: &str) -> Result<ApiInfo, AwsError> {
    let out = c
        .apigw
        .create_api()
        .name(name)
        .protocol_type(ProtocolType::Http)
        .description(format!("managed by jwtstack; stack {stack}"))
        .set_tags(Some(tags(stack)))
        .customize()
        .config_override(aws_sdk_apigatewayv2::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(format!("creating HTTP API {name}"), e))?;
    Ok(ApiInfo {
        id: out.api_id().unwrap_or_default().into(),
        name: name.into(),
        endpoint: out.api_endpoint().unwrap_or_default().into(),
        owned: true,
        cors: cors_of(out.cors_configuration()),
        execute_api_disabled: out.disable_execute_api_endpoint().unwrap_or(false),
    })
}

/// `ImportApi`: a new HTTP API from the whole definition (`FailOnWarnings`: a definition AWS would only partly
/// apply is refused, and nothing is created). Not retried by the SDK: a lost answer may hide the new API, which
/// the caller looks for by its tag before trying again.
pub async fn import_api(c: &Clients, name: &str, definition: &str, issuer: &str) -> Result<ApiInfo, AwsError> {
    let out = c
        .apigw
        .import_api()
        .body(definition)
        .fail_on_warnings(true)
        .customize()
        .config_override(aws_sdk_apigatewayv2::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| import_error(classify(format!("importing HTTP API {name}"), e), issuer))?;
    Ok(ApiInfo {
        id: out.api_id().unwrap_or_default().into(),
        name: out.name().unwrap_or(name).into(),
        endpoint: out.api_endpoint().unwrap_or_default().into(),
        owned: true,
        cors: cors_of(out.cors_configuration()),
        execute_api_disabled: out.disable_execute_api_endpoint().unwrap_or(false),
    })
}

/// `ReimportApi`: the API's authorizer, integrations and routes become the definition's, all or nothing; its
/// stages stay. Sending the same definition twice has the same result, so the SDK may retry it.
pub async fn reimport_api(c: &Clients, id: &str, definition: &str, issuer: &str) -> Result<ApiInfo, AwsError> {
    let out = c
        .apigw
        .reimport_api()
        .api_id(id)
        .body(definition)
        .fail_on_warnings(true)
        .send()
        .await
        .map_err(|e| import_error(classify(format!("reimporting HTTP API {id}"), e), issuer))?;
    Ok(ApiInfo {
        id: id.into(),
        name: out.name().unwrap_or_default().into(),
        endpoint: out.api_endpoint().unwrap_or_default().into(),
        owned: true,
        cors: cors_of(out.cors_configuration()),
        execute_api_disabled: out.disable_execute_api_endpoint().unwrap_or(false),
    })
}

/// Why API Gateway refused an import, and what to do. It reads the JWT authorizer's issuer while importing and
/// warns when it cannot ("Unable to create Authorizer ...: Caught exception when connecting to ...": loige.co,
/// "debugging API Gateway HTTP OIDC JWT authorizer"): that is the issuer's to fix. Any other warning is about
/// the definition jwtstack generated: jwtstack's to fix.
fn import_error(mut e: AwsError, issuer: &str) -> AwsError {
    if e.hint.is_some() || !e.message.contains("Warnings found during import") {
        return e;
    }
    e.hint = Some(if e.message.contains("Unable to create Authorizer") {
        format!(
            "API Gateway could not read the issuer {}/.well-known/openid-configuration while importing, so it refused the authorizer (and the whole import, nothing changed). Make it reachable over https from the internet (`jwtstack check` reads it as API Gateway does), then deploy again",
            issuer.trim_end_matches('/')
        )
    } else {
        "API Gateway refused the definition jwtstack generated (FailOnWarnings); `jwtstack export-openapi` prints it. Please report this with that output".into()
    });
    e
}

/// Turns the API's `execute-api` endpoint back on.
pub async fn enable_execute_api_endpoint(c: &Clients, id: &str) -> Result<(), AwsError> {
    c.apigw
        .update_api()
        .api_id(id)
        .disable_execute_api_endpoint(false)
        .send()
        .await
        .map_err(|e| classify(format!("turning on the execute-api endpoint of HTTP API {id}"), e))?;
    Ok(())
}

pub async fn rename_api(c: &Clients, id: &str, name: &str) -> Result<(), AwsError> {
    c.apigw
        .update_api()
        .api_id(id)
        .name(name)
        .send()
        .await
        .map_err(|e| classify(format!("renaming HTTP API {id}"), e))?;
    Ok(())
}

fn jwt_configuration(issuer: &str, audience: &[String]) -> JwtConfiguration {
    JwtConfiguration::builder()
        .issuer(issuer)
        .set_audience(Some(audience.to_vec()))
        .build()
}

pub async fn create_authorizer(c: &Clients, api_id: &str, name: &str, issuer: &str, audience: &[String]) -> Result<AuthorizerId, AwsError> {
    let out = c
        .apigw
        .create_authorizer()
        .api_id(api_id)
        .name(name)
        .authorizer_type(AuthorizerType::Jwt)
        .identity_source(IDENTITY_SOURCE)
        .jwt_configuration(jwt_configuration(issuer, audience))
        .customize()
        .config_override(aws_sdk_apigatewayv2::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(format!("creating JWT authorizer {name} in API {api_id}"), e))?;
    Ok(out.authorizer_id().unwrap_or_default().into())
}

pub async fn update_authorizer(c: &Clients, api_id: &str, id: &str, name: &str, issuer: &str, audience: &[String]) -> Result<(), AwsError> {
    c.apigw
        .update_authorizer()
        .api_id(api_id)
        .authorizer_id(id)
        .name(name)
        .authorizer_type(AuthorizerType::Jwt)
        .identity_source(IDENTITY_SOURCE)
        .jwt_configuration(jwt_configuration(issuer, audience))
        .send()
        .await
        .map_err(|e| classify(format!("updating JWT authorizer {name} in API {api_id}"), e))?;
    Ok(())
}

pub async fn delete_authorizer(c: &Clients, api_id: &str, id: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw
            .delete_authorizer()
            .api_id(api_id)
            .authorizer_id(id)
            .send()
            .await
            .map(|_| ()),
        format!("deleting authorizer {id} of API {api_id}"),
    )
}

pub async fn create_integration(c: &Clients, api_id: &str, spec: &IntegrationSpec, marker: &str) -> Result<IntegrationId, AwsError> {
    let out = c
        .apigw
        .create_integration()
        .api_id(api_id)
        .integration_type(aws_sdk_apigatewayv2::types::IntegrationType::from(spec.integration_type.as_str()))
        .integration_uri(&spec.uri)
        .set_integration_method(spec.method.clone())
        .payload_format_version(&spec.payload_format_version)
        .description(marker)
        .customize()
        .config_override(aws_sdk_apigatewayv2::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(format!("creating integration {} in API {api_id}", spec.describe()), e))?;
    Ok(out.integration_id().unwrap_or_default().into())
}

pub async fn delete_integration(c: &Clients, api_id: &str, id: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw
            .delete_integration()
            .api_id(api_id)
            .integration_id(id)
            .send()
            .await
            .map(|_| ()),
        format!("deleting integration {id} of API {api_id}"),
    )
}

/// A route behind the authorizer `authorizer_id`, or a public one (`None`: authorization type NONE, the
/// stack's marker as its operation name).
pub async fn create_route(
    c: &Clients,
    api_id: &str,
    key: &str,
    authorizer_id: Option<&str>,
    scopes: &[String],
    integration_id: &str,
    stack: &str,
) -> Result<(), AwsError> {
    let call = c.apigw.create_route().api_id(api_id).route_key(key);
    let call = match authorizer_id {
        Some(a) => call
            .authorization_type(aws_sdk_apigatewayv2::types::AuthorizationType::Jwt)
            .authorizer_id(a)
            .set_authorization_scopes(Some(scopes.to_vec())),
        None => call
            .authorization_type(aws_sdk_apigatewayv2::types::AuthorizationType::None)
            .operation_name(jwtstack_core::names::route_marker(stack)),
    };
    call.target(format!("integrations/{integration_id}"))
        .customize()
        .config_override(aws_sdk_apigatewayv2::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(format!("creating route {key} in API {api_id}"), e))?;
    Ok(())
}

/// Brings a route to its spec. Made public, its authorizer and scopes are cleared (an empty authorizer id, as
/// the Terraform provider sends) and it takes the stack's marker.
#[allow(clippy::too_many_arguments)]
pub async fn update_route(
    c: &Clients,
    api_id: &str,
    id: &str,
    key: &str,
    authorizer_id: Option<&str>,
    scopes: &[String],
    integration_id: &str,
    stack: &str,
) -> Result<(), AwsError> {
    let call = c.apigw.update_route().api_id(api_id).route_id(id).route_key(key);
    let call = match authorizer_id {
        Some(a) => call
            .authorization_type(aws_sdk_apigatewayv2::types::AuthorizationType::Jwt)
            .authorizer_id(a)
            .set_authorization_scopes(Some(scopes.to_vec())),
        None => call
            .authorization_type(aws_sdk_apigatewayv2::types::AuthorizationType::None)
            .authorizer_id("")
            .set_authorization_scopes(Some(Vec::new()))
            .operation_name(jwtstack_core::names::route_marker(stack)),
    };
    call.target(format!("integrations/{integration_id}"))
        .send()
        .await
        .map_err(|e| classify(format!("updating route {key} in API {api_id}"), e))?;
    Ok(())
}

pub async fn delete_route(c: &Clients, api_id: &str, id: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw.delete_route().api_id(api_id).route_id(id).send().await,
        format!("deleting route {id} of API {api_id}"),
    )
}

/// The `$default` stage, auto-deploying, with the access log (`access_log`: the group's ARN) and throttling.
pub async fn delete_api(c: &Clients, id: &str) -> Result<(), AwsError> {
    ignore_missing(c.apigw.delete_api().api_id(id).send().await, format!("deleting HTTP API {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_pages_follows_the_tokens_to_the_end() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut asked = Vec::new();
        let items = rt
            .block_on(all_pages(|token| {
                asked.push(token.clone());
                async move {
                    Ok(match token.as_deref() {
                        None => (vec![1, 2], Some("a".to_string())),
                        Some("a") => (vec![3], Some("b".to_string())),
                        _ => (vec![4], None),
                    })
                }
            }))
            .unwrap();
        assert_eq!(items, [1, 2, 3, 4]);
        assert_eq!(asked, [None, Some("a".into()), Some("b".into())]);
    }
}
