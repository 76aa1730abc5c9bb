//! The stage steps: the `$default` stage created with its access log and throttling (or found again after a
//! lost answer), auto-deploy turned on, its settings written, its access log removed, the stage deleted.

use jwtstack_core::config::Stack;
use jwtstack_core::plan::{StageSettings, StageStep};

use super::{Effect, Made, resolve};
use crate::retry::{create_once, when_busy};
use crate::{AwsError, Clients, apigw};

/// The ARN of the log group the access log goes to (made earlier in the run, when new).
fn log_arn(settings: &StageSettings, made: &Made) -> Result<Option<String>, AwsError> {
    match &settings.access_log {
        None => Ok(None),
        Some(a) => resolve(&a.arn, made.log_group_arn.as_ref(), "the log group").map(Some),
    }
}

pub(super) async fn run(c: &Clients, stack: &Stack, step: &StageStep, made: &Made) -> Result<Effect, AwsError> {
    match step {
        StageStep::Create { api, settings } => {
            let (api, arn) = (made.api(api)?, log_arn(settings, made)?);
            create_once(
                "the $default stage",
                || apigw::create_stage(c, &api, &stack.name, arn.as_deref(), settings),
                || async { Ok(apigw::find_default_stage(c, &api, &stack.name).await?.map(|_| ())) },
            )
            .await?
        }
        StageStep::EnableAutoDeploy { api } => {
            let api = made.api(api)?;
            when_busy(|| apigw::enable_auto_deploy(c, &api)).await?
        }
        StageStep::Configure { api, settings, .. } => {
            let (api, arn) = (made.api(api)?, log_arn(settings, made)?);
            when_busy(|| apigw::configure_stage(c, &api, arn.as_deref(), settings)).await?
        }
        StageStep::DeleteAccessLog { api } => {
            let api = made.api(api)?;
            when_busy(|| apigw::delete_access_log(c, &api)).await?
        }
        StageStep::Delete { api } => {
            let api = made.api(api)?;
            when_busy(|| apigw::delete_stage(c, &api)).await?
        }
    }
    Ok(Effect::None)
}
