//! A REST API (`api.type: rest`) the stack owns, call by call: the API, its resource tree, one method per
//! route with its integration, the JWT authorizer for REST APIs, and the deployment that makes them live.
//!
//! REST changes take effect only through a deployment to a stage. A deployment the stack makes names what it
//! deployed in its description (a digest of the methods, integrations and authorizer): a deploy creates one
//! when it changed the API, or when the stage's deployment is not of what the stack declares (a run cut off
//! between a change and its deployment, a deployment made by hand), and only then.
//!
//! AWS's REST import cannot express the JWT authorizer for REST APIs (the OpenAPI extension documents it for
//! HTTP APIs only), so an owned REST API is never imported: every change is its own call.
//!
//! An adopted REST API (`api.id`) holds the stack's authorizer (found by its name), its methods (each carries
//! the stack's marker as its operation name), and the resources the stack made for them, which API Gateway
//! cannot tag: they are recorded in `/jwtstack/{name}/rest-resources` before they are made, and teardown
//! removes a recorded resource only when no method of anyone else's remains on it or under it. The stack
//! deploys to the stage `api.stage` names (`live`); one it created carries its tag and goes at teardown; one
//! it did not is deployed once more at teardown, so that it no longer serves the stack's methods.

mod adopted;
mod plan;
pub mod policy;
#[cfg(test)]
mod sim;
mod stage;

pub(super) use plan::{deploy, plan, remove};
pub(super) use stage::settings;

use std::collections::BTreeMap;

use super::render::{ChangeJson, list, set};
use super::{Action, ApiId, AuthorizationType, AuthorizerId, Diff, IntegrationType, KindStep, Placement, Ref, ResourceId, RouteAuth, Step};
use crate::config::{ClaimRule, RestEndpoint};

/// What AWS holds of the stack's REST API beside the API itself (`Inventory.api`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RestSlice {
    /// The API's resources, root first.
    pub resources: Vec<ResourceInfo>,
    /// The stack's authorizer (found by its name).
    pub authorizer: Option<RestAuthorizerInfo>,
    /// The stage the stack deploys to.
    pub stage: Option<RestStageInfo>,
    /// The API's endpoint type as AWS has it (`REGIONAL`, `EDGE`, `PRIVATE`).
    pub endpoint: Option<String>,
    /// The signing algorithms of each trusted issuer's keys, read from its JWKS as API Gateway reads it, or
    /// why it could not be read.
    pub trusted: Vec<TrustedKeys>,
    /// An adopted API: the resources the stack recorded as made by it (for this API), and the API's
    /// deployments (to tell whether one made after the stack's last holds what the stack declares).
    pub record: Option<RestRecord>,
    pub deployments: Vec<DeploymentInfo>,
    /// The API's resource policy, as API Gateway answers it.
    pub policy: Option<String>,
    /// Whether the account has API Gateway's CloudWatch Logs role (read when the stack declares `access_log`):
    /// a REST API's stage cannot write an access log without it.
    pub logging_role: Option<bool>,
}

/// `/jwtstack/{name}/rest-resources`: the paths of the resources the stack made in an adopted REST API.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RestRecord {
    pub api: String,
    pub paths: Vec<String>,
}

/// A deployment of the API: its description and when it was made (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeploymentInfo {
    pub id: String,
    pub description: Option<String>,
    pub created: Option<i64>,
}

/// One trusted issuer's keys, as read when the inventory was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKeys {
    pub issuer: String,
    pub algorithms: Result<Vec<String>, String>,
}

/// A resource of the tree: a path, and the methods on it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceInfo {
    pub id: ResourceId,
    /// `/`, `/items`, `/items/{id}`.
    pub path: String,
    pub methods: BTreeMap<String, MethodInfo>,
}

/// A method as API Gateway holds it: who may call it, and its integration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MethodInfo {
    pub authorization_type: AuthorizationType,
    pub authorizer_id: Option<AuthorizerId>,
    pub scopes: Vec<String>,
    /// `method.request.path.{name}` → required.
    pub request_parameters: BTreeMap<String, bool>,
    pub integration: Option<RestIntegration>,
    /// The stack's marker on a method it made (an adopted API's methods are told apart by it).
    pub operation_name: Option<String>,
}

/// A method's integration, as the stack makes it and compares it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct RestIntegration {
    pub integration_type: IntegrationType,
    /// The method the integration calls with: the route's for HTTP_PROXY, POST for a Lambda function.
    pub http_method: String,
    /// The URL, or the function's invocation URI.
    pub uri: String,
    /// `integration.request.path.{name}` → `method.request.path.{name}`: the path parameters the URL names.
    pub request_parameters: BTreeMap<String, String>,
}

impl RestIntegration {
    pub fn describe(&self) -> String {
        match self.integration_type {
            IntegrationType::HttpProxy => format!("HTTP_PROXY {} {}", self.http_method, self.uri),
            _ => format!("{} {}", self.integration_type.as_str(), self.uri),
        }
    }
}

/// The JWT configuration of a REST API's authorizer: API Gateway's `JwtConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct RestJwt {
    pub issuers: Vec<RestIssuer>,
    /// `defaultAlgorithms`.
    pub algorithms: Vec<String>,
}

/// `JwtIssuer`: one issuer, its audiences and the claims its tokens must carry.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct RestIssuer {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub claims: Vec<ClaimRule>,
}

impl RestJwt {
    fn describe(&self) -> String {
        let issuers: Vec<String> = self
            .issuers
            .iter()
            .map(|i| {
                let claims: Vec<String> = i
                    .claims
                    .iter()
                    .map(|c| match (c.required, c.values.is_empty()) {
                        (true, true) => format!("{} required", c.name),
                        (true, false) => format!("{} required in {}", c.name, list(&c.values)),
                        (false, true) => format!("{} any", c.name),
                        (false, false) => format!("{} in {}", c.name, list(&c.values)),
                    })
                    .collect();
                if claims.is_empty() {
                    format!("{} {}", i.issuer, list(&i.audiences))
                } else {
                    format!("{} {} claims {}", i.issuer, list(&i.audiences), list(&claims))
                }
            })
            .collect();
        format!("issuers {} algorithms {}", list(&issuers), list(&self.algorithms))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RestAuthorizerInfo {
    pub id: AuthorizerId,
    /// `None`: not a JWT authorizer.
    pub jwt: Option<RestJwt>,
    /// Where it reads the token (`method.request.header.Authorization` as the stack makes it).
    pub identity_source: Option<String>,
}

/// The stage the stack deploys to, and the description of the deployment it serves.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RestStageInfo {
    pub deployment_id: String,
    pub description: Option<String>,
    /// When the deployment it serves was made (Unix seconds).
    pub created: Option<i64>,
    /// It carries the stack's tag: the stack created it (in an adopted API).
    pub owned: bool,
    /// Where and how it writes its access log.
    pub access_log: Option<super::AccessLogSettings>,
    /// The throttling of every method (`*/*`): rate, burst.
    pub throttling: Option<(f64, i32)>,
}

/// A method's authorization, before and after: what `UpdateMethod` patches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodAuth {
    pub authorization_type: AuthorizationType,
    pub authorizer_id: Option<AuthorizerId>,
    pub scopes: Vec<String>,
    pub request_parameters: BTreeMap<String, bool>,
}

/// One change to the stack's REST API.
#[derive(Debug, Clone, PartialEq)]
pub enum RestStep {
    CreateApi {
        name: String,
        endpoint: RestEndpoint,
        /// A private API's resource policy (JSON).
        policy: Option<String>,
    },
    /// A private API's resource policy, replaced (its VPC endpoints changed, or it was changed by hand).
    UpdatePolicy {
        id: ApiId,
        vpc_endpoints: Vec<String>,
        policy: String,
    },
    Rename {
        id: ApiId,
        before: String,
        after: String,
    },
    /// The stack's JWT authorizer: API Gateway reads every issuer's discovery document when it makes it.
    CreateAuthorizer {
        api: Ref<ApiId>,
        name: String,
        jwt: RestJwt,
    },
    /// The whole configuration replaced (API Gateway keeps nothing of the previous one).
    UpdateAuthorizer {
        api: ApiId,
        id: AuthorizerId,
        before: Option<RestJwt>,
        after: RestJwt,
    },
    /// Where the authorizer reads the token, set back to the `Authorization` header (changed by hand, every
    /// token would be refused: the authorizer fails closed).
    SetIdentitySource {
        api: ApiId,
        id: AuthorizerId,
        before: Option<String>,
    },
    /// A resource under its parent (known, or created by an earlier step of this plan: found by its path).
    CreateResource {
        api: Ref<ApiId>,
        parent: Ref<ResourceId>,
        parent_path: String,
        path: String,
        part: String,
    },
    /// A method and its integration.
    PutMethod {
        api: Ref<ApiId>,
        resource: Ref<ResourceId>,
        path: String,
        method: String,
        auth: RouteAuth,
        scopes: Vec<String>,
        request_parameters: BTreeMap<String, bool>,
        integration: RestIntegration,
    },
    /// A method's authorization, scopes or parameters, patched in place. When a parameter goes, the method's
    /// integration (which maps it) is deleted first, and the `PutIntegration` that follows puts the new one.
    UpdateMethod {
        api: ApiId,
        resource: ResourceId,
        path: String,
        method: String,
        before: MethodAuth,
        after: MethodAuth,
        /// Who may call it after: the stack's authorizer (known, or created by this plan), or anyone.
        auth: RouteAuth,
        diffs: Vec<Diff>,
    },
    /// A method's integration, replaced whole.
    PutIntegration {
        api: ApiId,
        resource: ResourceId,
        path: String,
        method: String,
        before: Option<RestIntegration>,
        after: RestIntegration,
    },
    DeleteMethod {
        api: ApiId,
        resource: ResourceId,
        path: String,
        method: String,
    },
    /// A resource and its methods (its children are deleted before it).
    DeleteResource {
        api: ApiId,
        id: ResourceId,
        path: String,
    },
    /// One deployment of the API as it now is to the stack's stage (created with it when it does not exist;
    /// in an adopted API, created with the stack's tag: `tag_stage`).
    Deploy {
        api: Ref<ApiId>,
        stage: String,
        description: String,
        why: &'static str,
        tag_stage: bool,
    },
    /// The resources the stack made in an adopted API, written before it makes more and after it removed some.
    Record {
        parameter: String,
        record: RestRecord,
    },
    DeleteRecord {
        parameter: String,
    },
    /// The stack's authorizer in an adopted API, once no method of the stack uses it.
    DeleteAuthorizer {
        api: ApiId,
        id: AuthorizerId,
        name: String,
    },
    /// The stage's access log and throttling, after the deployment that makes the stage (one UpdateStage).
    ConfigureStage {
        api: Ref<ApiId>,
        stage: String,
        /// `Some(None)`: the stage stops writing to the stack's group.
        access_log: Option<Option<super::AccessLogTarget>>,
        throttling: Option<crate::config::Throttling>,
        diffs: Vec<Diff>,
    },
    /// The stage the stack created in an adopted API, with its deployments' history of it.
    DeleteStage {
        api: ApiId,
        stage: String,
    },
    /// The API with everything in it.
    DeleteApi {
        id: ApiId,
        name: String,
    },
}

impl From<RestStep> for Step {
    fn from(s: RestStep) -> Step {
        Step::Rest(s)
    }
}

impl KindStep for RestStep {
    /// One after another, in plan order: API Gateway serialises the changes to one API (409 to overlapping
    /// writes), and none goes live before the deployment at the end.
    fn placement(&self) -> Placement {
        match self {
            RestStep::CreateApi { .. }
            | RestStep::Rename { .. }
            | RestStep::UpdatePolicy { .. }
            | RestStep::CreateAuthorizer { .. }
            | RestStep::UpdateAuthorizer { .. }
            | RestStep::SetIdentitySource { .. }
            | RestStep::CreateResource { .. }
            | RestStep::PutMethod { .. }
            | RestStep::UpdateMethod { .. }
            | RestStep::PutIntegration { .. }
            | RestStep::DeleteMethod { .. }
            | RestStep::DeleteResource { .. }
            | RestStep::Deploy { .. }
            | RestStep::Record { .. }
            | RestStep::DeleteRecord { .. }
            | RestStep::DeleteAuthorizer { .. }
            | RestStep::ConfigureStage { .. }
            | RestStep::DeleteStage { .. }
            | RestStep::DeleteApi { .. } => Placement::MAIN,
        }
    }

    fn lines(&self) -> Vec<ChangeJson> {
        let line = |action, kind: &'static str, name: String, diffs| vec![ChangeJson::new(action, kind, name, diffs)];
        match self {
            RestStep::CreateApi { name, endpoint, .. } => line(
                Action::Create,
                "apigw_rest_api",
                name.clone(),
                vec![set("endpoint", endpoint_name(*endpoint))],
            ),
            RestStep::UpdatePolicy { id, vpc_endpoints, .. } => line(
                Action::Update,
                "apigw_rest_api",
                id.to_string(),
                vec![set("policy", format!("only from {}", list(vpc_endpoints)))],
            ),
            RestStep::Rename { id, before, after } => line(
                Action::Update,
                "apigw_rest_api",
                id.to_string(),
                vec![Diff::new("name", before.as_str(), after.as_str())],
            ),
            RestStep::CreateAuthorizer { name, jwt, .. } => line(
                Action::Create,
                "apigw_rest_authorizer",
                name.clone(),
                vec![set("jwt_configuration", jwt.describe())],
            ),
            RestStep::UpdateAuthorizer { id, before, after, .. } => line(
                Action::Update,
                "apigw_rest_authorizer",
                id.to_string(),
                vec![Diff::new(
                    "jwt_configuration",
                    before.as_ref().map_or("none".into(), RestJwt::describe),
                    after.describe(),
                )],
            ),
            RestStep::SetIdentitySource { id, before, .. } => line(
                Action::Update,
                "apigw_rest_authorizer",
                id.to_string(),
                vec![Diff::new(
                    "identity_source",
                    before.as_deref().unwrap_or("none"),
                    crate::names::rest_identity_source(),
                )],
            ),
            RestStep::CreateResource { path, .. } => line(Action::Create, "apigw_rest_resource", path.clone(), vec![]),
            RestStep::PutMethod {
                path,
                method,
                auth,
                scopes,
                integration,
                ..
            } => line(
                Action::Create,
                "apigw_rest_method",
                format!("{method} {path}"),
                match auth {
                    RouteAuth::Public => vec![set("authorization", "none (public)"), set("integration", integration.describe())],
                    RouteAuth::Jwt(_) => vec![set("scopes", list(scopes)), set("integration", integration.describe())],
                },
            ),
            RestStep::UpdateMethod { path, method, diffs, .. } => {
                line(Action::Update, "apigw_rest_method", format!("{method} {path}"), diffs.clone())
            }
            RestStep::PutIntegration {
                path,
                method,
                before,
                after,
                ..
            } => line(
                Action::Update,
                "apigw_rest_integration",
                format!("{method} {path}"),
                vec![Diff::new(
                    "integration",
                    before.as_ref().map_or("none".into(), RestIntegration::describe),
                    after.describe(),
                )],
            ),
            RestStep::DeleteMethod { path, method, .. } => line(Action::Delete, "apigw_rest_method", format!("{method} {path}"), vec![]),
            RestStep::DeleteResource { path, .. } => line(Action::Delete, "apigw_rest_resource", path.clone(), vec![]),
            RestStep::Deploy { stage, why, .. } => line(
                Action::Create,
                "apigw_rest_deployment",
                format!("stage {stage}"),
                vec![set("why", *why)],
            ),
            RestStep::Record { record, .. } => line(
                Action::Update,
                "apigw_rest_resource_record",
                format!("resources made in {}", record.api),
                vec![set("paths", list(&record.paths))],
            ),
            RestStep::DeleteRecord { parameter } => line(Action::Delete, "apigw_rest_resource_record", parameter.clone(), vec![]),
            RestStep::DeleteAuthorizer { id, name, .. } => line(Action::Delete, "apigw_rest_authorizer", format!("{name} ({id})"), vec![]),
            RestStep::ConfigureStage { stage, diffs, .. } => line(Action::Update, "apigw_rest_stage", stage.clone(), diffs.clone()),
            RestStep::DeleteStage { stage, .. } => line(Action::Delete, "apigw_rest_stage", stage.clone(), vec![]),
            RestStep::DeleteApi { id, name } => line(
                Action::Delete,
                "apigw_rest_api",
                format!("{name} ({id}) with its resources, methods, authorizer, stage and deployments"),
                vec![],
            ),
        }
    }
}

pub fn endpoint_name(e: RestEndpoint) -> &'static str {
    match e {
        RestEndpoint::Regional => "REGIONAL",
        RestEndpoint::Edge => "EDGE",
        RestEndpoint::Private => "PRIVATE",
    }
}
