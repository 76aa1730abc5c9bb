//! Lambda: the resource-policy statement that lets API Gateway invoke a function behind a `lambda` route.
//! The statement's id is `jwtstack-{stack}-invoke`; other statements of the function are never touched.

use super::retry::no_retry;
use super::{AwsError, Clients, classify, ignore_missing};
use jwtstack_core::plan::PermissionInfo;

/// Whether the function exists (a route must never point at a missing one).
pub async fn function_exists(c: &Clients, function: &str) -> Result<bool, AwsError> {
    match c.lambda.get_function().function_name(function).send().await {
        Ok(_) => Ok(true),
        Err(e) => {
            let err = classify(format!("reading Lambda function {function}"), e);
            if err.is_not_found() { Ok(false) } else { Err(err) }
        }
    }
}

/// The stack's statement on `function`, if present.
pub async fn read_permission(c: &Clients, function: &str, sid: &str) -> Result<Option<PermissionInfo>, AwsError> {
    let out = match c.lambda.get_policy().function_name(function).send().await {
        Ok(o) => o,
        Err(e) => {
            let err = classify(format!("reading the resource policy of Lambda function {function}"), e);
            // No policy yet, or no such function: in both cases the statement is not there.
            return if err.is_not_found() { Ok(None) } else { Err(err) };
        }
    };
    let Some(policy) = out.policy() else { return Ok(None) };
    let doc: serde_json::Value = serde_json::from_str(policy).unwrap_or_default();
    let statements = doc.get("Statement").and_then(|s| s.as_array()).cloned().unwrap_or_default();
    Ok(statements
        .iter()
        .find(|s| s.get("Sid").and_then(|v| v.as_str()) == Some(sid))
        .map(|s| PermissionInfo {
            source_arn: s
                .pointer("/Condition/ArnLike/AWS:SourceArn")
                .and_then(|v| v.as_str())
                .map(str::to_string),
        }))
}

pub async fn add_permission(c: &Clients, function: &str, sid: &str, source_arn: &str) -> Result<(), AwsError> {
    c.lambda
        .add_permission()
        .function_name(function)
        .statement_id(sid)
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(source_arn)
        .customize()
        .config_override(aws_sdk_lambda::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| {
            let mut err = classify(format!("allowing API Gateway to invoke Lambda function {function}"), e);
            if err.is_not_found() {
                err.hint = Some("the function named in a `lambda:` integration must exist before deploy".into());
            }
            err
        })?;
    Ok(())
}

pub async fn remove_permission(c: &Clients, function: &str, sid: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.lambda.remove_permission().function_name(function).statement_id(sid).send().await,
        format!("removing statement {sid} from Lambda function {function}"),
    )
}
