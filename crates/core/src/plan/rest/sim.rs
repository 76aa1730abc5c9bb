//! What each REST step does to the inventory, as AWS would: the planner's tests play plans with it.

use std::collections::BTreeMap;

use super::*;

impl RestStep {
    pub(in crate::plan) fn simulate(&self, inv: &mut super::super::Inventory, sim: &mut super::super::tests::Sim) {
        let rest = &mut inv.rest;
        let find = |rest: &mut RestSlice, path: &str| -> usize {
            rest.resources.iter().position(|r| r.path == path).expect("the resource exists")
        };
        match self {
            RestStep::CreateApi { name, endpoint, policy } => {
                inv.rest.endpoint = Some(endpoint_name(*endpoint).to_string());
                inv.rest.policy = policy.clone();
                let id = sim.next_id();
                inv.api = Some(super::super::ApiInfo {
                    endpoint: crate::names::rest_invoke_url(&id, &inv.region, crate::names::REST_STAGE_NAME),
                    id: id.into(),
                    name: name.clone(),
                    owned: true,
                    cors: None,
                    execute_api_disabled: false,
                });
                inv.rest.resources = vec![ResourceInfo {
                    id: sim.next_id().into(),
                    path: "/".into(),
                    methods: BTreeMap::new(),
                }];
            }
            RestStep::Rename { after, .. } => inv.api.as_mut().expect("the API exists").name = after.clone(),
            RestStep::UpdatePolicy { policy, .. } => inv.rest.policy = Some(policy.clone()),
            RestStep::CreateAuthorizer { jwt, .. } | RestStep::UpdateAuthorizer { after: jwt, .. } => {
                let id = rest.authorizer.as_ref().map_or_else(|| sim.next_id().into(), |a| a.id.clone());
                rest.authorizer = Some(RestAuthorizerInfo {
                    id,
                    jwt: Some(jwt.clone()),
                    identity_source: Some(crate::names::rest_identity_source()),
                });
            }
            RestStep::SetIdentitySource { .. } => {
                rest.authorizer.as_mut().expect("the authorizer exists").identity_source = Some(crate::names::rest_identity_source());
            }
            RestStep::CreateResource { path, .. } => rest.resources.push(ResourceInfo {
                id: sim.next_id().into(),
                path: path.clone(),
                methods: BTreeMap::new(),
            }),
            RestStep::PutMethod {
                path,
                method,
                auth,
                scopes,
                request_parameters,
                integration,
                ..
            } => {
                let authorizer = rest.authorizer.as_ref().map(|a| a.id.clone());
                let at = find(rest, path);
                rest.resources[at].methods.insert(
                    method.clone(),
                    MethodInfo {
                        authorization_type: if auth.is_public() {
                            AuthorizationType::None
                        } else {
                            AuthorizationType::Jwt
                        },
                        authorizer_id: if auth.is_public() { None } else { authorizer },
                        scopes: scopes.clone(),
                        request_parameters: request_parameters.clone(),
                        integration: Some(integration.clone()),
                        operation_name: Some(format!("{}:{method} {path}", sim.marker)),
                    },
                );
            }
            RestStep::UpdateMethod { path, method, after, .. } => {
                let authorizer = rest.authorizer.as_ref().map(|a| a.id.clone());
                let at = find(rest, path);
                let m = rest.resources[at].methods.get_mut(method).expect("the method exists");
                m.authorization_type = after.authorization_type.clone();
                m.authorizer_id = if after.authorization_type == AuthorizationType::Jwt {
                    authorizer
                } else {
                    None
                };
                m.scopes = after.scopes.clone();
                m.request_parameters = after.request_parameters.clone();
            }
            RestStep::PutIntegration { path, method, after, .. } => {
                let at = find(rest, path);
                rest.resources[at].methods.get_mut(method).expect("the method exists").integration = Some(after.clone());
            }
            RestStep::DeleteMethod { path, method, .. } => {
                let at = find(rest, path);
                rest.resources[at].methods.remove(method);
            }
            RestStep::DeleteResource { path, .. } => rest.resources.retain(|r| r.path != *path),
            RestStep::Deploy {
                description, tag_stage, ..
            } => {
                let id = sim.next_id();
                let owned = *tag_stage || rest.stage.as_ref().is_some_and(|s| s.owned);
                rest.deployments.push(DeploymentInfo {
                    id: id.clone(),
                    description: Some(description.clone()),
                    created: Some(sim.tick()),
                });
                let (access_log, throttling) = rest
                    .stage
                    .as_ref()
                    .map(|s| (s.access_log.clone(), s.throttling))
                    .unwrap_or_default();
                rest.stage = Some(RestStageInfo {
                    created: rest.deployments.last().and_then(|d| d.created),
                    deployment_id: id,
                    description: Some(description.clone()),
                    owned,
                    access_log,
                    throttling,
                })
            }
            RestStep::Record { record, .. } => rest.record = Some(record.clone()),
            RestStep::DeleteRecord { .. } => rest.record = None,
            RestStep::DeleteAuthorizer { .. } => rest.authorizer = None,
            RestStep::ConfigureStage {
                access_log, throttling, ..
            } => {
                let s = rest.stage.as_mut().expect("the stage exists");
                if let Some(a) = access_log {
                    s.access_log = a.as_ref().map(|t| super::super::AccessLogSettings {
                        destination: format!("arn:aws:logs:us-east-1:123456789012:log-group:{}", t.group),
                        format: crate::names::REST_ACCESS_LOG_FORMAT.into(),
                    });
                }
                if let Some(t) = throttling {
                    s.throttling = Some((f64::from(t.rate), t.burst));
                }
            }
            RestStep::DeleteStage { .. } => rest.stage = None,
            RestStep::DeleteApi { .. } => {
                inv.api = None;
                inv.rest = RestSlice::default();
            }
        }
    }
}
