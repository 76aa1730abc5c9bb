//! The integration steps: an integration created with the stack's marker (or found again by it and its spec
//! after a lost answer), deleted.

use jwtstack_core::config::Stack;
use jwtstack_core::names::integration_marker;
use jwtstack_core::plan::{IntegrationSpec, IntegrationStep};

use super::{Effect, Made};
use crate::retry::{create_once, when_busy};
use crate::{AwsError, Clients, apigw};

pub(super) async fn run(c: &Clients, stack: &Stack, step: &IntegrationStep, made: &Made) -> Result<Effect, AwsError> {
    match step {
        IntegrationStep::Create { api, spec } => {
            let (api, marker) = (made.api(api)?, integration_marker(&stack.name));
            let id = create_once(
                &spec.describe(),
                || apigw::create_integration(c, &api, spec, &marker),
                || async {
                    let all = apigw::list_integrations(c, &api, &marker).await?;
                    Ok(all.into_iter().find(|i| i.owned && &IntegrationSpec::of(i) == spec).map(|i| i.id))
                },
            )
            .await?;
            Ok(Effect::Integration { spec: spec.clone(), id })
        }
        IntegrationStep::Delete { api, id, .. } => {
            let api = made.api(api)?;
            when_busy(|| apigw::delete_integration(c, &api, id)).await?;
            Ok(Effect::None)
        }
    }
}
