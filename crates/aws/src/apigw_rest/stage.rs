//! A REST API's stages and deployments: the stage the stack deploys to (its deployment, tag, access log and
//! throttling), the API's deployments, and the account's CloudWatch Logs role a stage's access log needs.

use aws_sdk_apigateway::types::Op;

use super::{PAGE, next, patch};
use crate::apigw::all_pages;
use crate::retry::no_retry;
use crate::{AwsError, Clients, classify, ignore_missing};
use jwtstack_core::names::TAG_KEY;
use jwtstack_core::plan::{AccessLogSettings, DeploymentInfo, RestStageInfo};

/// The stage, the description of the deployment it serves and when that was made, and whether it carries the
/// stack's tag (`None`: no such stage).
pub async fn read_stage(c: &Clients, api_id: &str, stage: &str, stack: &str) -> Result<Option<RestStageInfo>, AwsError> {
    let out = match c.apigw_rest.get_stage().rest_api_id(api_id).stage_name(stage).send().await {
        Ok(out) => out,
        Err(e) => {
            let err = classify(format!("reading stage {stage} of REST API {api_id}"), e);
            return if err.is_not_found() { Ok(None) } else { Err(err) };
        }
    };
    let owned = out.tags().and_then(|t| t.get(TAG_KEY)).map(String::as_str) == Some(stack);
    let access_log = out.access_log_settings().and_then(|a| {
        Some(AccessLogSettings {
            destination: a.destination_arn()?.trim_end_matches(":*").to_string(),
            format: a.format().unwrap_or_default().to_string(),
        })
    });
    // A `*/*` setting made for metrics or logging alone holds no limit (0, or -1 for "none"): not throttling.
    let throttling = out
        .method_settings()
        .and_then(|m| m.get("*/*"))
        .map(|m| (m.throttling_rate_limit(), m.throttling_burst_limit()))
        .filter(|(rate, burst)| *rate > 0.0 && *burst > 0);
    let Some(deployment_id) = out.deployment_id().filter(|d| !d.is_empty()) else {
        return Ok(Some(RestStageInfo {
            owned,
            access_log,
            throttling,
            ..RestStageInfo::default()
        }));
    };
    let deployment = c
        .apigw_rest
        .get_deployment()
        .rest_api_id(api_id)
        .deployment_id(deployment_id)
        .send()
        .await
        .map_err(|e| classify(format!("reading deployment {deployment_id} of REST API {api_id}"), e))?;
    Ok(Some(RestStageInfo {
        deployment_id: deployment_id.to_string(),
        description: deployment.description().map(str::to_string),
        created: deployment.created_date().map(|d| d.secs()),
        owned,
        access_log,
        throttling,
    }))
}

/// The stage's access log (`Some(None)`: none) and the throttling of every method, in one UpdateStage.
pub async fn configure_stage(
    c: &Clients,
    api_id: &str,
    stage: &str,
    access_log: Option<Option<&str>>,
    throttling: Option<jwtstack_core::config::Throttling>,
) -> Result<(), AwsError> {
    let mut ops = Vec::new();
    match access_log {
        Some(Some(arn)) => {
            ops.push(patch(Op::Replace, "/accessLogSettings/destinationArn", Some(arn)));
            ops.push(patch(
                Op::Replace,
                "/accessLogSettings/format",
                Some(jwtstack_core::names::REST_ACCESS_LOG_FORMAT),
            ));
        }
        Some(None) => ops.push(patch(Op::Remove, "/accessLogSettings", None)),
        None => {}
    }
    if let Some(t) = throttling {
        ops.push(patch(Op::Replace, "/*/*/throttling/rateLimit", Some(&t.rate.to_string())));
        ops.push(patch(Op::Replace, "/*/*/throttling/burstLimit", Some(&t.burst.to_string())));
    }
    c.apigw_rest
        .update_stage()
        .rest_api_id(api_id)
        .stage_name(stage)
        .set_patch_operations(Some(ops))
        .send()
        .await
        .map_err(|e| classify(format!("configuring stage {stage} of REST API {api_id}"), e))?;
    Ok(())
}

/// Whether the account has API Gateway's CloudWatch Logs role in this region (GetAccount).
pub async fn has_logging_role(c: &Clients) -> Result<bool, AwsError> {
    let out = c
        .apigw_rest
        .get_account()
        .send()
        .await
        .map_err(|e| classify("reading API Gateway's account settings", e))?;
    Ok(out.cloudwatch_role_arn().is_some_and(|r| !r.is_empty()))
}

/// The API's deployments: their descriptions and when they were made.
pub async fn read_deployments(c: &Clients, api_id: &str) -> Result<Vec<DeploymentInfo>, AwsError> {
    let items = all_pages(|position| async move {
        let out = c
            .apigw_rest
            .get_deployments()
            .rest_api_id(api_id)
            .limit(PAGE)
            .set_position(position)
            .send()
            .await
            .map_err(|e| classify(format!("listing the deployments of REST API {api_id}"), e))?;
        Ok((out.items().to_vec(), next(out.position())))
    })
    .await?;
    Ok(items
        .iter()
        .map(|d| DeploymentInfo {
            id: d.id().unwrap_or_default().to_string(),
            description: d.description().map(str::to_string),
            created: d.created_date().map(|t| t.secs()),
        })
        .collect())
}

/// A stage serving `deployment`, tagged with the stack (the stage of an adopted API the stack creates).
pub async fn create_stage(c: &Clients, api_id: &str, stage: &str, deployment: &str, stack: &str) -> Result<(), AwsError> {
    c.apigw_rest
        .create_stage()
        .rest_api_id(api_id)
        .stage_name(stage)
        .deployment_id(deployment)
        .tags(TAG_KEY, stack)
        .customize()
        .config_override(aws_sdk_apigateway::config::Config::builder().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(format!("creating stage {stage} of REST API {api_id}"), e))?;
    Ok(())
}

pub async fn delete_stage(c: &Clients, api_id: &str, stage: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw_rest.delete_stage().rest_api_id(api_id).stage_name(stage).send().await,
        format!("deleting stage {stage} of REST API {api_id}"),
    )
}

/// One deployment of the API to the stage, which it creates when it does not exist (`None`: to no stage
/// yet); its id.
pub async fn create_deployment(c: &Clients, api_id: &str, stage: Option<&str>, description: &str) -> Result<String, AwsError> {
    let out = c
        .apigw_rest
        .create_deployment()
        .rest_api_id(api_id)
        .set_stage_name(stage.map(str::to_string))
        .description(description)
        .customize()
        .config_override(aws_sdk_apigateway::config::Config::builder().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(format!("deploying REST API {api_id} to stage {}", stage.unwrap_or("(none yet)")), e))?;
    Ok(out.id().unwrap_or_default().to_string())
}
