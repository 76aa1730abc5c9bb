//! The REST API steps: the API created (or found again by its tag after a lost answer), renamed, deleted; its
//! JWT authorizer; its resources, methods and integrations; the deployment to the stack's stage; in an adopted
//! API, the record of the resources the stack made, and at teardown its stage and authorizer. Creates
//! whose answer was lost are found again before they are tried again; writes that API Gateway refuses while
//! another change to the API is in progress are sent again.

use jwtstack_core::config::{RestEndpoint, Stack};
use jwtstack_core::names::{is_rest_method_marker, rest_identity_source, rest_method_marker};
use jwtstack_core::plan::{ApiId, AuthorizerId, Ref, ResourceId, RestStep};

use super::{Effect, Made, resolve};
use crate::apigw_rest::{self, At};
use crate::event::Report;
use crate::rest_jwt::{self, JwtConfiguration};
use crate::retry::{create_once, idempotent, spaced, when_busy};
use crate::{AwsError, Clients, ssm};

fn resource(r: &Ref<ResourceId>, path: &str, made: &Made) -> Result<ResourceId, AwsError> {
    resolve(r, made.resources.get(path), &format!("the id of resource {path}"))
}

pub(super) async fn run(c: &Clients, stack: &Stack, step: &RestStep, made: &Made, report: Report<'_>) -> Result<Effect, AwsError> {
    match step {
        RestStep::CreateApi { name, endpoint, policy } => {
            let interval = match endpoint {
                RestEndpoint::Edge => &c.rest_quotas.edge_creates,
                RestEndpoint::Regional | RestEndpoint::Private => &c.rest_quotas.creates,
            };
            let (api, root) = create_once(
                name,
                || {
                    spaced(interval, ("REST API create", "REST API creates"), report, || {
                        apigw_rest::create_api(c, name, *endpoint, policy.as_deref(), &stack.name)
                    })
                },
                || async {
                    match apigw_rest::find_owned_api(c, &stack.name).await? {
                        Some(apigw_rest::FoundApi { info: api, .. }) => {
                            let root = apigw_rest::root_of(c, &api.id).await?;
                            Ok(Some((api, root)))
                        }
                        None => Ok(None),
                    }
                },
            )
            .await?;
            return Ok(Effect::RestApi {
                id: api.id,
                endpoint: api.endpoint,
                root,
            });
        }
        RestStep::Rename { id, after, .. } => when_busy(|| apigw_rest::rename_api(c, id, after)).await?,
        RestStep::UpdatePolicy { id, policy, .. } => when_busy(|| apigw_rest::put_policy(c, id, policy)).await?,
        RestStep::CreateAuthorizer { api, name, jwt } => {
            let api = made.api(api)?;
            let config = JwtConfiguration::of(jwt);
            let source = rest_identity_source();
            let id = create_once(
                name,
                || async { Ok(rest_jwt::create(&c.apigw_rest, &api, name, &source, &config).await?.id) },
                || async {
                    Ok(rest_jwt::list(&c.apigw_rest, &api)
                        .await?
                        .into_iter()
                        .find(|a| &a.name == name)
                        .map(|a| a.id))
                },
            )
            .await?;
            return Ok(Effect::Authorizer(AuthorizerId::from(id)));
        }
        RestStep::SetIdentitySource { api, id, .. } => {
            let source = rest_identity_source();
            when_busy(|| apigw_rest::set_identity_source(c, api, id, &source)).await?
        }
        RestStep::UpdateAuthorizer { api, id, after, .. } => {
            let config = JwtConfiguration::of(after);
            when_busy(|| rest_jwt::replace_configuration(&c.apigw_rest, api, id, &config)).await?;
        }
        RestStep::CreateResource {
            api,
            parent,
            parent_path,
            path,
            part,
        } => {
            let (api, parent) = (made.api(api)?, resource(parent, parent_path, made)?);
            let id = create_once(
                path,
                || apigw_rest::create_resource(c, &api, &parent, part),
                || async {
                    Ok(apigw_rest::read_resources(c, &api)
                        .await?
                        .into_iter()
                        .find(|r| &r.path == path)
                        .map(|r| r.id))
                },
            )
            .await?;
            return Ok(Effect::Resource { path: path.clone(), id });
        }
        RestStep::PutMethod {
            api,
            resource: r,
            path,
            method,
            auth,
            scopes,
            request_parameters,
            integration,
        } => {
            let (api, r) = (made.api(api)?, resource(r, path, made)?);
            let authorizer = made.authorizer_of(auth)?;
            let at = At {
                api: &api,
                resource: &r,
                method,
            };
            let marker = rest_method_marker(&stack.name, method, path);
            create_once(
                &format!("{method} {path}"),
                || apigw_rest::put_method(c, at, authorizer.as_deref(), scopes, request_parameters, &marker),
                // Made by this call if it carries the stack's marker: one made meanwhile by someone else is
                // not taken for the stack's (the next PutMethod is refused, 409).
                || async {
                    let resources = apigw_rest::read_resources(c, &api).await?;
                    Ok(resources
                        .iter()
                        .find(|x| &x.path == path)
                        .and_then(|x| x.methods.get(method))
                        .and_then(|m| m.operation_name.as_deref())
                        .is_some_and(|o| is_rest_method_marker(&stack.name, o))
                        .then_some(()))
                },
            )
            .await?;
            when_busy(|| apigw_rest::put_integration(c, at, integration, false)).await?;
        }
        RestStep::UpdateMethod {
            api,
            resource,
            method,
            before,
            after,
            auth,
            ..
        } => {
            let authorizer = made.authorizer_of(auth)?;
            let ops = apigw_rest::method_patch(before, after, authorizer.as_deref());
            let at = At { api, resource, method };
            // A parameter the integration maps cannot go while it does: the integration goes first, and the
            // plan's PutIntegration puts the new one (nothing is live before the deployment).
            if before.request_parameters.keys().any(|k| !after.request_parameters.contains_key(k)) {
                when_busy(|| apigw_rest::delete_integration(c, at)).await?;
            }
            when_busy(|| apigw_rest::update_method(c, at, ops.clone())).await?;
        }
        RestStep::PutIntegration {
            api,
            resource,
            method,
            before,
            after,
            ..
        } => {
            let at = At { api, resource, method };
            when_busy(|| apigw_rest::put_integration(c, at, after, before.is_some())).await?;
        }
        RestStep::DeleteMethod { api, resource, method, .. } => {
            when_busy(|| apigw_rest::delete_method(c, At { api, resource, method })).await?
        }
        RestStep::DeleteResource { api, id, .. } => when_busy(|| apigw_rest::delete_resource(c, api, id)).await?,
        RestStep::Deploy {
            api,
            stage,
            description,
            tag_stage,
            ..
        } => {
            let api: ApiId = made.api(api)?;
            create_once(
                &format!("the deployment to stage {stage}"),
                || {
                    spaced(&c.rest_quotas.deployments, ("deployment", "deployments"), report, || async {
                        if !*tag_stage {
                            return apigw_rest::create_deployment(c, &api, Some(stage), description).await.map(|_| ());
                        }
                        // The stage the stack creates in an adopted API carries its tag from its first moment:
                        // a deployment to no stage, then the stage, tagged, serving it. A run cut off in
                        // between leaves a deployment no stage serves, and the next run deploys again.
                        let deployment = apigw_rest::create_deployment(c, &api, None, description).await?;
                        when_busy(|| apigw_rest::create_stage(c, &api, stage, &deployment, &stack.name)).await
                    })
                },
                || async {
                    let stage = apigw_rest::read_stage(c, &api, stage, &stack.name).await?;
                    Ok(stage
                        .is_some_and(|s| s.description.as_deref() == Some(description.as_str()))
                        .then_some(()))
                },
            )
            .await?;
        }
        RestStep::Record { parameter, record } => {
            let value = serde_json::to_string(record)
                .map_err(|e| AwsError::new(format!("recording {parameter}"), crate::ErrorKind::Other, e.to_string()))?;
            ssm::put_stack_record(c, &stack.name, parameter, &value).await?
        }
        RestStep::DeleteRecord { parameter } => ssm::delete_key(c, parameter).await?,
        RestStep::DeleteAuthorizer { api, id, .. } => when_busy(|| apigw_rest::delete_authorizer(c, api, id)).await?,
        RestStep::ConfigureStage {
            api,
            stage,
            access_log,
            throttling,
            ..
        } => {
            let api = made.api(api)?;
            let arn = match access_log {
                Some(Some(target)) => Some(Some(resolve(&target.arn, made.log_group_arn.as_ref(), "the log group")?)),
                Some(None) => Some(None),
                None => None,
            };
            when_busy(|| apigw_rest::configure_stage(c, &api, stage, arn.as_ref().map(|a| a.as_deref()), *throttling)).await?
        }
        RestStep::DeleteStage { api, stage } => when_busy(|| apigw_rest::delete_stage(c, api, stage)).await?,
        RestStep::DeleteApi { id, .. } => {
            spaced(&c.rest_quotas.deletes, ("REST API delete", "REST API deletes"), report, || {
                idempotent(|| apigw_rest::delete_api(c, id))
            })
            .await?
        }
    }
    Ok(Effect::None)
}
