//! API Gateway v1 (REST APIs): the API the stack owns, its resources, methods and integrations, its stage and
//! deployments. The JWT authorizer, which the SDK cannot express, is in `rest_jwt`.
//!
//! Ownership without a state file: the API carries the stack tag, and everything in it is the stack's; the
//! authorizer is found by its name `{stack}-jwt`; a deployment the stack made names the stack in its
//! description. In an adopted API, a method the stack made carries its marker as its operation name, and a
//! stage it created carries its tag.

use std::collections::BTreeMap;

use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, IntegrationType as SdkIntegrationType, Op, PatchOperation};

use crate::apigw::{all_pages, one_tagged};
use crate::retry::no_retry;
use crate::{AwsError, Clients, ErrorKind, classify, ignore_missing};
use jwtstack_core::config::RestEndpoint;
use jwtstack_core::names::{REST_STAGE_NAME, TAG_KEY, rest_invoke_url};
use jwtstack_core::plan::{
    ApiInfo, AuthorizationType, AuthorizerId, IntegrationType, MethodAuth, MethodInfo, ResourceId, ResourceInfo, RestIntegration,
};

mod stage;

pub use stage::{configure_stage, create_deployment, create_stage, delete_stage, has_logging_role, read_deployments, read_stage};

/// The largest page GetRestApis and GetResources give (API Reference: "The maximum value is 500").
const PAGE: i32 = 500;

fn api_info(id: &str, name: &str, region: &str) -> ApiInfo {
    ApiInfo {
        id: id.into(),
        name: name.into(),
        endpoint: rest_invoke_url(id, region, REST_STAGE_NAME),
        owned: true,
        cors: None,
        execute_api_disabled: false,
    }
}

/// A REST API as the stack reads it: the API, its endpoint type, its resource policy.
#[derive(Debug, Clone)]
pub struct FoundApi {
    pub info: ApiInfo,
    pub endpoint: Option<String>,
    pub policy: Option<String>,
}

impl FoundApi {
    fn of(info: ApiInfo, endpoint: Option<&EndpointConfiguration>, policy: Option<&str>) -> FoundApi {
        FoundApi {
            info,
            endpoint: endpoint.and_then(|e| e.types().first()).map(|t| t.as_str().to_string()),
            policy: policy.filter(|p| !p.is_empty()).map(str::to_string),
        }
    }
}

/// The REST API the stack owns (the one tagged with the stack). More than one is a conflict.
pub async fn find_owned_api(c: &Clients, stack: &str) -> Result<Option<FoundApi>, AwsError> {
    let apis = all_pages(|position| async move {
        let out = c
            .apigw_rest
            .get_rest_apis()
            .limit(PAGE)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify("listing REST APIs", e))?;
        Ok((out.items().to_vec(), next(out.position())))
    })
    .await?;
    let found = apis
        .iter()
        .filter(|api| api.tags().and_then(|t| t.get(TAG_KEY)).map(String::as_str) == Some(stack))
        .map(|api| {
            let mut info = api_info(api.id().unwrap_or_default(), api.name().unwrap_or_default(), &c.region);
            info.execute_api_disabled = api.disable_execute_api_endpoint();
            FoundApi::of(info, api.endpoint_configuration(), api.policy())
        })
        .collect();
    one_tagged(found, "REST", stack, |f| &f.info.id)
}

/// The REST API `api.id` names (`stage`: the stage the stack deploys to, in its invoke URL), with its endpoint
/// type; `None` when there is none (the plan refuses a deploy; teardown still removes the rest). Not the
/// stack's.
pub async fn get_adopted_api(c: &Clients, id: &str, stage: &str) -> Result<Option<FoundApi>, AwsError> {
    let out = match c.apigw_rest.get_rest_api().rest_api_id(id).send().await {
        Ok(out) => out,
        Err(e) => {
            let err = classify(format!("reading REST API {id}"), e);
            return if err.is_not_found() { Ok(None) } else { Err(err) };
        }
    };
    let mut info = api_info(id, out.name().unwrap_or_default(), &c.region);
    info.endpoint = rest_invoke_url(id, &c.region, stage);
    info.owned = false;
    info.execute_api_disabled = out.disable_execute_api_endpoint();
    Ok(Some(FoundApi::of(info, out.endpoint_configuration(), out.policy())))
}

/// The next page's `position` (none, or an empty one: the last page).
pub(crate) fn next(position: Option<&str>) -> Option<String> {
    position.filter(|p| !p.is_empty()).map(str::to_string)
}

/// Creates the API, tagged with the stack; the API and its root resource. Not retried by the SDK: a create
/// whose answer was lost is found by its tag before it is tried again.
pub async fn create_api(
    c: &Clients,
    name: &str,
    endpoint: RestEndpoint,
    policy: Option<&str>,
    stack: &str,
) -> Result<(ApiInfo, ResourceId), AwsError> {
    let out = c
        .apigw_rest
        .create_rest_api()
        .name(name)
        .set_policy(policy.map(str::to_string))
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::from(jwtstack_core::plan::endpoint_name(endpoint)))
                .build(),
        )
        .tags(TAG_KEY, stack)
        .customize()
        .config_override(aws_sdk_apigateway::config::Config::builder().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(format!("creating REST API {name}"), e))?;
    let api = api_info(out.id().unwrap_or_default(), out.name().unwrap_or_default(), &c.region);
    let root = match out.root_resource_id().filter(|r| !r.is_empty()) {
        Some(root) => root.into(),
        None => root_of(c, &api.id).await?,
    };
    Ok((api, root))
}

/// The API's root resource (`/`).
pub async fn root_of(c: &Clients, api_id: &str) -> Result<ResourceId, AwsError> {
    let resources = read_resources(c, api_id).await?;
    resources.into_iter().find(|r| r.path == "/").map(|r| r.id).ok_or_else(|| {
        AwsError::new(
            format!("reading the resources of REST API {api_id}"),
            ErrorKind::Other,
            "it has no root resource `/`",
        )
    })
}

pub async fn rename_api(c: &Clients, id: &str, name: &str) -> Result<(), AwsError> {
    c.apigw_rest
        .update_rest_api()
        .rest_api_id(id)
        .patch_operations(patch(Op::Replace, "/name", Some(name)))
        .send()
        .await
        .map_err(|e| classify(format!("renaming REST API {id}"), e))?;
    Ok(())
}

/// Replaces a private API's resource policy.
pub async fn put_policy(c: &Clients, id: &str, policy: &str) -> Result<(), AwsError> {
    c.apigw_rest
        .update_rest_api()
        .rest_api_id(id)
        .patch_operations(patch(Op::Replace, "/policy", Some(policy)))
        .send()
        .await
        .map_err(|e| classify(format!("writing the resource policy of REST API {id}"), e))?;
    Ok(())
}

/// Deletes the API with everything in it. Not retried by the SDK: a refusal for the per-account quota (one
/// delete every 30 s) is waited out by the caller, which the SDK's backoff would not.
pub async fn delete_api(c: &Clients, id: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw_rest
            .delete_rest_api()
            .rest_api_id(id)
            .customize()
            .config_override(aws_sdk_apigateway::config::Config::builder().retry_config(no_retry()))
            .send()
            .await,
        format!("deleting REST API {id}"),
    )
}

pub(crate) fn patch(op: Op, path: &str, value: Option<&str>) -> PatchOperation {
    PatchOperation::builder()
        .op(op)
        .path(path)
        .set_value(value.map(str::to_string))
        .build()
}

/// The API's resources with their methods and integrations (`embed=methods`).
pub async fn read_resources(c: &Clients, api_id: &str) -> Result<Vec<ResourceInfo>, AwsError> {
    let resources = all_pages(|position| async move {
        let out = c
            .apigw_rest
            .get_resources()
            .rest_api_id(api_id)
            .embed("methods")
            .limit(PAGE)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify(format!("listing the resources of REST API {api_id}"), e))?;
        Ok((out.items().to_vec(), next(out.position())))
    })
    .await?;
    let mut all: Vec<ResourceInfo> = resources
        .iter()
        .map(|r| ResourceInfo {
            id: r.id().unwrap_or_default().into(),
            path: r.path().unwrap_or_default().to_string(),
            methods: r
                .resource_methods()
                .map(|m| m.iter().map(|(verb, m)| (verb.clone(), method_info(m))).collect())
                .unwrap_or_default(),
        })
        .collect();
    all.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(all)
}

fn method_info(m: &aws_sdk_apigateway::types::Method) -> MethodInfo {
    MethodInfo {
        authorization_type: AuthorizationType::parse(m.authorization_type()),
        authorizer_id: m.authorizer_id().filter(|a| !a.is_empty()).map(AuthorizerId::from),
        scopes: m.authorization_scopes().to_vec(),
        request_parameters: m
            .request_parameters()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default(),
        integration: m.method_integration().map(|i| RestIntegration {
            integration_type: IntegrationType::parse(i.r#type().map(SdkIntegrationType::as_str).unwrap_or_default()),
            http_method: i.http_method().unwrap_or_default().to_string(),
            uri: i.uri().unwrap_or_default().to_string(),
            request_parameters: i
                .request_parameters()
                .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        }),
        operation_name: m.operation_name().map(str::to_string),
    }
}

/// A resource under `parent`; its id.
pub async fn create_resource(c: &Clients, api_id: &str, parent: &str, part: &str) -> Result<ResourceId, AwsError> {
    let out = c
        .apigw_rest
        .create_resource()
        .rest_api_id(api_id)
        .parent_id(parent)
        .path_part(part)
        .customize()
        .config_override(aws_sdk_apigateway::config::Config::builder().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(format!("creating resource {part} of REST API {api_id}"), e))?;
    Ok(out.id().unwrap_or_default().into())
}

pub async fn delete_resource(c: &Clients, api_id: &str, id: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw_rest.delete_resource().rest_api_id(api_id).resource_id(id).send().await,
        format!("deleting resource {id} of REST API {api_id}"),
    )
}

/// Where a method is: the API, the resource, the HTTP method.
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    pub api: &'a str,
    pub resource: &'a str,
    pub method: &'a str,
}

impl At<'_> {
    fn context(&self, what: &str) -> String {
        format!(
            "{what} method {} of resource {} in REST API {}",
            self.method, self.resource, self.api
        )
    }
}

/// A method: its authorization (the stack's authorizer and scopes, or none), its path parameters, and the
/// stack's marker as its operation name.
pub async fn put_method(
    c: &Clients,
    at: At<'_>,
    authorizer: Option<&str>,
    scopes: &[String],
    request_parameters: &BTreeMap<String, bool>,
    marker: &str,
) -> Result<(), AwsError> {
    let kind = if authorizer.is_some() {
        AuthorizationType::Jwt
    } else {
        AuthorizationType::None
    };
    c.apigw_rest
        .put_method()
        .rest_api_id(at.api)
        .resource_id(at.resource)
        .http_method(at.method)
        .authorization_type(kind.as_str())
        .set_authorizer_id(authorizer.map(str::to_string))
        .set_authorization_scopes((authorizer.is_some() && !scopes.is_empty()).then(|| scopes.to_vec()))
        .set_request_parameters((!request_parameters.is_empty()).then(|| request_parameters.clone().into_iter().collect()))
        .operation_name(marker)
        .customize()
        .config_override(aws_sdk_apigateway::config::Config::builder().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(at.context("creating"), e))?;
    Ok(())
}

/// A method's integration. A method has one: the one it has is deleted first (`PutIntegration` over an
/// existing one is not documented to replace it; Terraform replaces on a change of type or method the same
/// way).
pub async fn put_integration(c: &Clients, at: At<'_>, integration: &RestIntegration, replace: bool) -> Result<(), AwsError> {
    if replace {
        delete_integration(c, at).await?;
    }
    c.apigw_rest
        .put_integration()
        .rest_api_id(at.api)
        .resource_id(at.resource)
        .http_method(at.method)
        .r#type(SdkIntegrationType::from(integration.integration_type.as_str()))
        .integration_http_method(&integration.http_method)
        .uri(&integration.uri)
        .set_request_parameters(
            (!integration.request_parameters.is_empty()).then(|| integration.request_parameters.clone().into_iter().collect()),
        )
        .send()
        .await
        .map_err(|e| classify(at.context("integrating"), e))?;
    Ok(())
}

/// A method's integration, if it has one.
pub async fn delete_integration(c: &Clients, at: At<'_>) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw_rest
            .delete_integration()
            .rest_api_id(at.api)
            .resource_id(at.resource)
            .http_method(at.method)
            .send()
            .await,
        at.context("deleting the integration of"),
    )
}

/// The patch that takes a method's authorization from `before` to `after`, as `UpdateMethod` takes it (the
/// Terraform provider's `resourceMethodUpdate`): `replace` of the type and the authorizer, one `add` or
/// `remove` per scope (the scope as the value), one per path parameter.
pub fn method_patch(before: &MethodAuth, after: &MethodAuth, authorizer: Option<&str>) -> Vec<PatchOperation> {
    let mut ops = Vec::new();
    if before.authorization_type != after.authorization_type {
        ops.push(patch(Op::Replace, "/authorizationType", Some(after.authorization_type.as_str())));
    }
    if before.authorizer_id.as_deref() != authorizer {
        ops.push(patch(Op::Replace, "/authorizerId", Some(authorizer.unwrap_or_default())));
    }
    for s in before.scopes.iter().filter(|s| !after.scopes.contains(s)) {
        ops.push(patch(Op::Remove, "/authorizationScopes", Some(s)));
    }
    for s in after.scopes.iter().filter(|s| !before.scopes.contains(s)) {
        ops.push(patch(Op::Add, "/authorizationScopes", Some(s)));
    }
    for (name, required) in &after.request_parameters {
        match before.request_parameters.get(name) {
            None => ops.push(patch(Op::Add, &format!("/requestParameters/{name}"), Some(&required.to_string()))),
            Some(r) if r != required => ops.push(patch(
                Op::Replace,
                &format!("/requestParameters/{name}"),
                Some(&required.to_string()),
            )),
            Some(_) => {}
        }
    }
    for name in before
        .request_parameters
        .keys()
        .filter(|n| !after.request_parameters.contains_key(*n))
    {
        ops.push(patch(Op::Remove, &format!("/requestParameters/{name}"), None));
    }
    ops
}

pub async fn update_method(c: &Clients, at: At<'_>, ops: Vec<PatchOperation>) -> Result<(), AwsError> {
    c.apigw_rest
        .update_method()
        .rest_api_id(at.api)
        .resource_id(at.resource)
        .http_method(at.method)
        .set_patch_operations(Some(ops))
        .send()
        .await
        .map_err(|e| classify(at.context("updating"), e))?;
    Ok(())
}

pub async fn delete_method(c: &Clients, at: At<'_>) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw_rest
            .delete_method()
            .rest_api_id(at.api)
            .resource_id(at.resource)
            .http_method(at.method)
            .send()
            .await,
        at.context("deleting"),
    )
}

/// Where an authorizer reads the token (UpdateAuthorizer, `replace /identitySource`).
pub async fn set_identity_source(c: &Clients, api_id: &str, id: &str, source: &str) -> Result<(), AwsError> {
    c.apigw_rest
        .update_authorizer()
        .rest_api_id(api_id)
        .authorizer_id(id)
        .patch_operations(patch(Op::Replace, "/identitySource", Some(source)))
        .send()
        .await
        .map_err(|e| classify(format!("updating authorizer {id} of REST API {api_id}"), e))?;
    Ok(())
}

pub async fn delete_authorizer(c: &Clients, api_id: &str, id: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw_rest.delete_authorizer().rest_api_id(api_id).authorizer_id(id).send().await,
        format!("deleting authorizer {id} of REST API {api_id}"),
    )
}
