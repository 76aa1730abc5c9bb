//! Retrying AWS calls: the SDK's retry settings for reads and idempotent writes, and creates that look for
//! their result before they are tried again (the SDK does not retry them: a lost answer may hide a success).

use std::future::Future;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use rand::Rng;
use rand::rngs::OsRng;

use super::{AwsError, ErrorKind};

/// Attempts per call, the first included. Throttling, 5xx and connection errors are retried with
/// exponential backoff and full jitter (the SDK's standard retry mode), bounded by these and by the timeouts.
pub const MAX_ATTEMPTS: u32 = 6;
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// One attempt, and one call with all its attempts.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
pub const CALL_TIMEOUT: Duration = Duration::from_secs(120);

pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF)
}

/// Creates are not retried by the SDK: a create whose answer was lost may have happened, so the caller
/// reads again before trying again (see [`create_once`]).
pub fn no_retry() -> RetryConfig {
    RetryConfig::disabled()
}

/// Exponential backoff with full jitter.
pub fn backoff(attempt: u32) -> std::time::Duration {
    let cap = INITIAL_BACKOFF.saturating_mul(1 << attempt.min(10)).min(MAX_BACKOFF);
    cap.mul_f64(OsRng.gen_range(0.0..=1.0))
}

/// Runs a create that the SDK does not retry. When it fails in a way that leaves its outcome unknown
/// (no answer, a 5xx, throttling), `find` looks for what it would have made before it is tried again, and
/// a conflict on a later attempt (our earlier attempt did succeed) resolves the same way. Never a silent
/// duplicate.
pub async fn create_once<T, C, CF, F, FF>(what: &str, mut create: C, mut find: F) -> Result<T, AwsError>
where
    C: FnMut() -> CF,
    CF: Future<Output = Result<T, AwsError>>,
    F: FnMut() -> FF,
    FF: Future<Output = Result<Option<T>, AwsError>>,
{
    let mut attempt = 1;
    loop {
        match create().await {
            Ok(v) => return Ok(v),
            // A throttled call was refused before it ran: nothing to look for, only to wait.
            Err(e) if e.kind == ErrorKind::Throttled && attempt < MAX_ATTEMPTS => {
                tracing::info!(what, attempt, "create throttled; waiting before trying again");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) if e.is_transient() && attempt < MAX_ATTEMPTS => {
                tracing::info!(what, attempt, error = %e, "create failed; checking whether it happened before trying again");
                tokio::time::sleep(backoff(attempt)).await;
                if let Some(v) = find().await? {
                    tracing::info!(what, "it had happened; using it");
                    return Ok(v);
                }
                attempt += 1;
            }
            Err(e) if e.kind == ErrorKind::Conflict && attempt > 1 => return find().await?.ok_or(e),
            Err(e) => return Err(e),
        }
    }
}

/// Runs a call again, after a pause, while AWS answers that another change to the same resource is in
/// progress ([`ErrorKind::Busy`]: API Gateway's 409 "concurrent modification", S3's `OperationAborted`). Nothing
/// happened on such an answer, so an update or a delete may simply be sent again; creates go through
/// [`create_once`], which looks for what an earlier attempt made first.
pub async fn when_busy<T, C, CF>(mut call: C) -> Result<T, AwsError>
where
    C: FnMut() -> CF,
    CF: Future<Output = Result<T, AwsError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(e) if e.kind == ErrorKind::Busy && attempt < MAX_ATTEMPTS => {
                tracing::info!(attempt, error = %e, "AWS is busy with another change to this resource; trying again");
                tokio::time::sleep(backoff(attempt).max(Duration::from_millis(100))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}
