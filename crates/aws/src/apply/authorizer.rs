//! The authorizer steps: the stack's JWT authorizer created (or found again by name after a lost answer),
//! brought back to its issuer and audiences, deleted.

use jwtstack_core::plan::AuthorizerStep;

use super::{Effect, Made};
use crate::retry::{create_once, when_busy};
use crate::{AwsError, Clients, apigw};

pub(super) async fn run(c: &Clients, step: &AuthorizerStep, made: &Made) -> Result<Effect, AwsError> {
    match step {
        AuthorizerStep::Create {
            api,
            name,
            issuer,
            audience,
        } => {
            let api = made.api(api)?;
            let id = create_once(
                name,
                || apigw::create_authorizer(c, &api, name, issuer, audience),
                || async { Ok(apigw::find_authorizer(c, &api, name).await?.map(|a| a.id)) },
            )
            .await?;
            Ok(Effect::Authorizer(id))
        }
        AuthorizerStep::Update {
            api,
            id,
            name,
            issuer,
            audience,
            ..
        } => {
            let api = made.api(api)?;
            when_busy(|| apigw::update_authorizer(c, &api, id, name, &issuer.after, &audience.after)).await?;
            Ok(Effect::None)
        }
        AuthorizerStep::Delete { api, id, .. } => {
            let api = made.api(api)?;
            when_busy(|| apigw::delete_authorizer(c, &api, id)).await?;
            Ok(Effect::None)
        }
    }
}
