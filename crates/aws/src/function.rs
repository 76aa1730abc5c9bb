//! Lambda: the token endpoint's function (`names::token_function`), made from jwtstack's package, tagged, and
//! waited for. Lambda makes a function `Pending` and an update `InProgress` for a while after each change, and
//! refuses the next change meanwhile with `ResourceConflictException` (Lambda Developer Guide, "Lambda function
//! states"); every change here waits until the function is `Active` and its update `Successful`, as the
//! Terraform provider does (`waitFunctionCreated`, `waitFunctionUpdated`, internal/service/lambda/function.go).
//!
//! A role IAM has just made is not yet one Lambda can assume: `CreateFunction` and
//! `UpdateFunctionConfiguration` answer `InvalidParameterValueException` "The role defined for the function
//! cannot be assumed by Lambda" for some seconds (IAM User Guide, "Changes that I make are not always
//! immediately visible"), or "The provided execution role does not have permissions" while its policy is
//! not yet seen; the Terraform provider retries both answers for its propagation timeout of two minutes
//! (`retryFunctionOp`), and so does this module.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, Environment, FunctionCode, LastUpdateStatus, Runtime, State};
use jwtstack_core::names::TAG_KEY;
use jwtstack_core::oauth::package;
use jwtstack_core::plan::{FunctionConfig, FunctionInfo};

use super::retry::{backoff, create_once, no_retry, when_busy};
use super::{AwsError, Clients, ErrorKind, classify, ignore_missing};

/// How long a new role may take to become one Lambda can assume (the Terraform provider's propagation
/// timeout).
const ROLE_PROPAGATION: Duration = Duration::from_secs(120);
/// How long a function may stay `Pending` or its update `InProgress`.
const SETTLE: Duration = Duration::from_secs(300);

/// The function named `name`, with its configuration, code digest and tag, or `None`.
pub async fn read_function(c: &Clients, name: &str, stack: &str) -> Result<Option<FunctionInfo>, AwsError> {
    let out = match c.lambda.get_function().function_name(name).send().await {
        Ok(o) => o,
        Err(e) => {
            let err = classify(format!("reading Lambda function {name}"), e);
            return if err.is_not_found() { Ok(None) } else { Err(err) };
        }
    };
    let Some(f) = out.configuration() else { return Ok(None) };
    // GetFunction answers tags only to a caller allowed lambda:ListTags, and answers none otherwise (Lambda API
    // Reference, GetFunction): they are asked for explicitly, so a missing permission is an error rather than
    // a function that looks like someone else's.
    let arn = f.function_arn().unwrap_or_default();
    let tags = c
        .lambda
        .list_tags()
        .resource(arn)
        .send()
        .await
        .map_err(|e| classify(format!("reading the tags of Lambda function {name}"), e))?;
    let owned = tags.tags().and_then(|t| t.get(TAG_KEY)).map(String::as_str) == Some(stack);
    let environment = f
        .environment()
        .and_then(|e| e.variables())
        .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(Some(FunctionInfo {
        arn: arn.to_string(),
        owned,
        code_sha256: f.code_sha256().unwrap_or_default().to_string(),
        config: FunctionConfig {
            runtime: f.runtime().map(|r| r.as_str().to_string()).unwrap_or_default(),
            handler: f.handler().unwrap_or_default().to_string(),
            role: f.role().unwrap_or_default().to_string(),
            memory_mb: f.memory_size().unwrap_or_default(),
            timeout_seconds: f.timeout().unwrap_or_default(),
            // Lambda's default is x86_64 (CreateFunction, Architectures).
            architecture: f.architectures().first().map_or("x86_64", |a| a.as_str()).to_string(),
            environment,
        },
    }))
}

/// The role is not yet one Lambda can assume: IAM has not propagated it.
fn role_not_ready(e: &AwsError) -> bool {
    e.code.as_deref() == Some("InvalidParameterValueException")
        && (e.message.contains("cannot be assumed by Lambda")
            || e.message.contains("The provided execution role does not have permissions"))
}

/// `call` again while the role is not yet visible to Lambda, for at most [`ROLE_PROPAGATION`].
async fn once_the_role_is_ready<T, C, CF>(mut call: C) -> Result<T, AwsError>
where
    C: FnMut() -> CF,
    CF: Future<Output = Result<T, AwsError>>,
{
    let start = Instant::now();
    let mut attempt = 1;
    loop {
        match call().await {
            Err(e) if role_not_ready(&e) && start.elapsed() < ROLE_PROPAGATION => {
                tracing::info!(attempt, "IAM has not propagated the new role to Lambda yet; trying again");
                tokio::time::sleep(backoff(attempt).clamp(Duration::from_millis(500), Duration::from_secs(5))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn environment(config: &FunctionConfig) -> Environment {
    Environment::builder()
        .set_variables(Some(config.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
        .build()
}

/// Makes the function from the package (or finds the one an earlier attempt made), then waits until it is
/// active.
pub async fn create_function(c: &Clients, name: &str, config: &FunctionConfig, stack: &str) -> Result<(), AwsError> {
    let create = || async {
        c.lambda
            .create_function()
            .function_name(name)
            .description(format!("jwtstack stack {stack}: the OAuth 2.0 token endpoint"))
            .runtime(Runtime::from(config.runtime.as_str()))
            .handler(&config.handler)
            .role(&config.role)
            .memory_size(config.memory_mb)
            .timeout(config.timeout_seconds)
            .architectures(Architecture::from(config.architecture.as_str()))
            .environment(environment(config))
            .code(FunctionCode::builder().zip_file(Blob::new(package::zip())).build())
            .set_tags(Some(HashMap::from([(TAG_KEY.to_string(), stack.to_string())])))
            .customize()
            .config_override(aws_sdk_lambda::config::Builder::default().retry_config(no_retry()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(format!("creating Lambda function {name}"), e))
    };
    create_once(
        name,
        || once_the_role_is_ready(create),
        || async { Ok(read_function(c, name, stack).await?.filter(|f| f.owned).map(|_| ())) },
    )
    .await?;
    wait_settled(c, name).await
}

/// Sends the package again with its architecture, then waits until the update is done.
pub async fn update_code(c: &Clients, name: &str, architecture: &str) -> Result<(), AwsError> {
    wait_settled(c, name).await?;
    when_busy(|| async {
        c.lambda
            .update_function_code()
            .function_name(name)
            .zip_file(Blob::new(package::zip()))
            .architectures(Architecture::from(architecture))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(format!("updating the code of Lambda function {name}"), e))
    })
    .await?;
    wait_settled(c, name).await
}

/// Sends the configuration, then waits until the update is done.
pub async fn update_configuration(c: &Clients, name: &str, config: &FunctionConfig) -> Result<(), AwsError> {
    wait_settled(c, name).await?;
    let call = || async {
        c.lambda
            .update_function_configuration()
            .function_name(name)
            .runtime(Runtime::from(config.runtime.as_str()))
            .handler(&config.handler)
            .role(&config.role)
            .memory_size(config.memory_mb)
            .timeout(config.timeout_seconds)
            .environment(environment(config))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(format!("updating the configuration of Lambda function {name}"), e))
    };
    once_the_role_is_ready(|| when_busy(call)).await?;
    wait_settled(c, name).await
}

pub async fn delete_function(c: &Clients, name: &str) -> Result<(), AwsError> {
    when_busy(|| async {
        ignore_missing(
            c.lambda.delete_function().function_name(name).send().await,
            format!("deleting Lambda function {name}"),
        )
    })
    .await
}

/// Waits until the function is `Active` and its last update is not `InProgress`; a `Failed` one is an error
/// with Lambda's reason.
async fn wait_settled(c: &Clients, name: &str) -> Result<(), AwsError> {
    let start = Instant::now();
    let mut attempt = 1;
    loop {
        let f = c
            .lambda
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
            .map_err(|e| classify(format!("reading the state of Lambda function {name}"), e))?;
        let failed = |what: &str, reason: Option<&str>| {
            AwsError::new(
                format!("waiting for Lambda function {name}"),
                ErrorKind::Other,
                format!("{what}: {}", reason.unwrap_or("Lambda gave no reason")),
            )
        };
        match (f.state(), f.last_update_status()) {
            (Some(State::Failed), _) => return Err(failed("the function failed to become active", f.state_reason())),
            (_, Some(LastUpdateStatus::Failed)) => {
                return Err(failed("the function's last update failed", f.last_update_status_reason()));
            }
            (Some(State::Pending), _) | (_, Some(LastUpdateStatus::InProgress)) => {}
            _ => return Ok(()),
        }
        if start.elapsed() > SETTLE {
            return Err(AwsError::new(
                format!("waiting for Lambda function {name}"),
                ErrorKind::Other,
                format!("it is still pending or updating after {} s", SETTLE.as_secs()),
            ));
        }
        tokio::time::sleep(backoff(attempt).clamp(Duration::from_millis(250), Duration::from_secs(5))).await;
        attempt += 1;
    }
}
