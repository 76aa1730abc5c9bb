//! The route steps: a route created behind the stack's authorizer (or public) to its integration, changed,
//! deleted. A route key found after a lost answer is the route made.

use jwtstack_core::config::Stack;
use jwtstack_core::plan::{IntegrationId, IntegrationSpec, Ref, RouteStep};

use super::{Effect, Made, resolve};
use crate::retry::{create_once, when_busy};
use crate::{AwsError, Clients, apigw};

fn target(r: &Ref<IntegrationId>, spec: &IntegrationSpec, made: &Made) -> Result<IntegrationId, AwsError> {
    resolve(r, made.integrations.get(spec), "the integration id")
}

pub(super) async fn run(c: &Clients, stack: &Stack, step: &RouteStep, made: &Made) -> Result<Effect, AwsError> {
    let name = &stack.name;
    match step {
        RouteStep::Create {
            api,
            key,
            scopes,
            integration,
            target: t,
            auth,
        } => {
            let (api, auth, target) = (made.api(api)?, made.authorizer_of(auth)?, target(t, integration, made)?);
            let key = key.as_str();
            create_once(
                key,
                || apigw::create_route(c, &api, key, auth.as_deref(), scopes, &target, name),
                || async { Ok(apigw::list_routes(c, &api).await?.iter().any(|r| r.key == key).then_some(())) },
            )
            .await?
        }
        RouteStep::Update {
            api,
            id,
            key,
            scopes,
            integration,
            target: t,
            auth,
            ..
        } => {
            let (api, auth, target) = (made.api(api)?, made.authorizer_of(auth)?, target(t, integration, made)?);
            when_busy(|| apigw::update_route(c, &api, id, key.as_str(), auth.as_deref(), scopes, &target, name)).await?
        }
        RouteStep::Delete { api, id, .. } => {
            let api = made.api(api)?;
            when_busy(|| apigw::delete_route(c, &api, id)).await?
        }
    }
    Ok(Effect::None)
}
