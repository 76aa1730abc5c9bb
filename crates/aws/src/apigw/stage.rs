//! The `$default` stage: created auto-deploying with its access log and throttling, read back, brought to the
//! stack's settings, its access log removed, deleted; and the status of its last automatic deployment.

use aws_sdk_apigatewayv2::types::{AccessLogSettings, RouteSettings, Stage};
use jwtstack_core::names::{ACCESS_LOG_FORMAT, STAGE_NAME, TAG_KEY};
use jwtstack_core::plan::{AccessLogSettings as AccessLogInfo, StageInfo, StageSettings};

use super::{PAGE, all_pages, tags};
use crate::retry::no_retry;
use crate::{AwsError, Clients, classify, ignore_missing};

/// The `$default` stage's last automatic deployment, in API Gateway's words (`None` when it says nothing).
pub async fn deployment_status(c: &Clients, api_id: &str) -> Result<Option<String>, AwsError> {
    let out = c.apigw.get_stage().api_id(api_id).stage_name(STAGE_NAME).send().await;
    match out {
        Ok(out) => Ok(out.last_deployment_status_message().map(str::to_string)),
        Err(e) => {
            let err = classify(format!("reading stage {STAGE_NAME} of API {api_id}"), e);
            if err.is_not_found() { Ok(None) } else { Err(err) }
        }
    }
}

pub async fn find_default_stage(c: &Clients, api_id: &str, stack: &str) -> Result<Option<StageInfo>, AwsError> {
    let stages = all_pages(|token| async move {
        let out = c
            .apigw
            .get_stages()
            .api_id(api_id)
            .max_results(PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify(format!("listing the stages of API {api_id}"), e))?;
        Ok((out.items().to_vec(), out.next_token().map(str::to_string)))
    })
    .await?;
    Ok(stages
        .iter()
        .find(|s| s.stage_name() == Some(STAGE_NAME))
        .map(|s| stage_info(s, stack)))
}

pub async fn create_stage(
    c: &Clients,
    api_id: &str,
    stack: &str,
    access_log: Option<&str>,
    settings: &jwtstack_core::plan::StageSettings,
) -> Result<(), AwsError> {
    c.apigw
        .create_stage()
        .api_id(api_id)
        .stage_name(STAGE_NAME)
        .auto_deploy(true)
        .set_access_log_settings(access_log.map(access_log_settings))
        .set_default_route_settings(route_settings(settings))
        .set_tags(Some(tags(stack)))
        .customize()
        .config_override(aws_sdk_apigatewayv2::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| log_delivery_hint(classify(format!("creating stage {STAGE_NAME} of API {api_id}"), e), access_log))?;
    Ok(())
}

/// API Gateway's refusal when the account's log delivery policy (CloudWatch Logs resource policy
/// `AWSLogDeliveryWrite20150319`, at most 5,120 characters, one entry per log group outside `/aws/vendedlogs/`,
/// never removed) has no room for the group (anomalyco/sst#125, serverless/serverless#10469).
fn log_delivery_hint(mut e: AwsError, group: Option<&str>) -> AwsError {
    let full = e.message.contains("Insufficient permissions to enable logging") || e.message.contains("Policy document length");
    if let (true, Some(group)) = (full, group) {
        let name = jwtstack_core::plan::group_of_arn(group);
        e.hint = Some(if name.starts_with("/aws/vendedlogs/") {
            "the account's CloudWatch Logs policy for log delivery (AWSLogDeliveryWrite20150319) refuses even /aws/vendedlogs/ groups: read it with `aws logs describe-resource-policies` and remove the entries of log groups that are gone".to_string()
        } else {
            format!(
                "the account's CloudWatch Logs policy for log delivery (AWSLogDeliveryWrite20150319) is full (5,120 characters, an entry per log group, never removed): {name} was made before jwtstack put groups under /aws/vendedlogs/, which stay allowed. Remove the entries of log groups that are gone (`aws logs describe-resource-policies`, then `aws logs put-resource-policy`), or move the stack's log: remove `access_log`, deploy, add it back, deploy"
            )
        });
    }
    e
}

pub async fn enable_auto_deploy(c: &Clients, api_id: &str) -> Result<(), AwsError> {
    c.apigw
        .update_stage()
        .api_id(api_id)
        .stage_name(STAGE_NAME)
        .auto_deploy(true)
        .send()
        .await
        .map_err(|e| classify(format!("updating stage {STAGE_NAME} of API {api_id}"), e))?;
    Ok(())
}

pub async fn delete_stage(c: &Clients, api_id: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw
            .delete_stage()
            .api_id(api_id)
            .stage_name(STAGE_NAME)
            .send()
            .await
            .map(|_| ()),
        format!("deleting stage {STAGE_NAME} of API {api_id}"),
    )
}

pub(super) fn stage_info(s: &Stage, stack: &str) -> StageInfo {
    let route = s.default_route_settings();
    let throttling = route.and_then(|r| Some((r.throttling_rate_limit()?, r.throttling_burst_limit()?)));
    StageInfo {
        auto_deploy: s.auto_deploy().unwrap_or(false),
        owned: s.tags().and_then(|t| t.get(TAG_KEY)).map(String::as_str) == Some(stack),
        access_log: s
            .access_log_settings()
            .and_then(|a| a.destination_arn().filter(|d| !d.is_empty()).map(|d| (d, a.format())))
            .map(|(d, f)| AccessLogInfo {
                destination: d.to_string(),
                format: f.unwrap_or_default().to_string(),
            }),
        throttling,
        detailed_metrics: route.and_then(|r| r.detailed_metrics_enabled()).unwrap_or(false),
    }
}

pub(super) fn access_log_settings(arn: &str) -> AccessLogSettings {
    AccessLogSettings::builder().destination_arn(arn).format(ACCESS_LOG_FORMAT).build()
}

/// The default route settings to send, or none: a settings object without throttling values sets both
/// limits to 0 on AWS, and every request is then answered 429 (terraform-provider-aws#30373,
/// pulumi-aws#2363), so jwtstack sends one only with both values.
pub(super) fn route_settings(s: &StageSettings) -> Option<RouteSettings> {
    let t = s.throttling?;
    Some(
        RouteSettings::builder()
            .throttling_rate_limit(t.rate as f64)
            .throttling_burst_limit(t.burst)
            .detailed_metrics_enabled(s.detailed_metrics)
            .build(),
    )
}

/// Writes the declared access log and throttling onto the stage.
pub async fn configure_stage(c: &Clients, api_id: &str, access_log: Option<&str>, settings: &StageSettings) -> Result<(), AwsError> {
    c.apigw
        .update_stage()
        .api_id(api_id)
        .stage_name(STAGE_NAME)
        .set_access_log_settings(access_log.map(access_log_settings))
        .set_default_route_settings(route_settings(settings))
        .send()
        .await
        .map_err(|e| log_delivery_hint(classify(format!("updating stage {STAGE_NAME} of API {api_id}"), e), access_log))?;
    Ok(())
}

pub async fn delete_access_log(c: &Clients, api_id: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw
            .delete_access_log_settings()
            .api_id(api_id)
            .stage_name(STAGE_NAME)
            .send()
            .await
            .map(|_| ()),
        format!("removing the access log of stage {STAGE_NAME} of API {api_id}"),
    )
}
