//! Retrying AWS calls: the SDK's retry settings for reads and idempotent writes, and creates that look for
//! their result before they are tried again (the SDK does not retry them: a lost answer may hide a success).

use std::future::Future;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use rand::Rng;
use rand::rngs::OsRng;

use super::{AwsError, ErrorKind};
use crate::event::{Event, Report};

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
pub async fn when_busy<T, C, CF>(call: C) -> Result<T, AwsError>
where
    C: FnMut() -> CF,
    CF: Future<Output = Result<T, AwsError>>,
{
    again_while(|e| e.kind == ErrorKind::Busy, call).await
}

/// Runs an idempotent call the SDK does not retry (a delete whose quota [`spaced`] waits out) again, after a
/// pause, when it fails in a way that may pass: another change in progress, no answer, a 5xx. Throttling is
/// returned to the caller.
pub async fn idempotent<T, C, CF>(call: C) -> Result<T, AwsError>
where
    C: FnMut() -> CF,
    CF: Future<Output = Result<T, AwsError>>,
{
    again_while(|e| e.is_transient() && e.kind != ErrorKind::Throttled, call).await
}

/// The call, again after a backoff while its error is one `again` accepts, up to [`MAX_ATTEMPTS`] in all.
async fn again_while<T, C, CF>(again: impl Fn(&AwsError) -> bool, mut call: C) -> Result<T, AwsError>
where
    C: FnMut() -> CF,
    CF: Future<Output = Result<T, AwsError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(e) if again(&e) && attempt < MAX_ATTEMPTS => {
                tracing::info!(attempt, error = %e, "trying again");
                tokio::time::sleep(backoff(attempt).max(Duration::from_millis(100))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Tries of one call that API Gateway refuses for a per-account quota (each an interval after the last).
const QUOTA_TRIES: u32 = 5;

/// A call API Gateway allows once per `interval` per account (custom domain changes, REST API creates,
/// deletes and deployments; "Amazon API Gateway quotas", not raisable): spaced from this run's others, and
/// tried again an interval later when AWS refuses it for the quota (another run or tool of the account made
/// one). The SDK does not retry these: its backoff gives up within seconds. A wait is said; `quota` names
/// the quota ("custom domain"), `calls` the calls it limits ("custom domain changes").
pub(crate) async fn spaced<T, F, Fut>(
    interval: &crate::pace::Interval,
    (quota, calls): (&str, &str),
    report: Report<'_>,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let mut tries = 1;
    loop {
        let (slot, wait) = interval.take_slot();
        if !wait.is_zero() {
            let what = format!(
                "API Gateway's {quota} quota (one per {} s per account)",
                interval.interval().as_secs()
            );
            report(Event::Waiting {
                what: what.clone(),
                waited: Duration::ZERO,
            });
            tokio::time::sleep(wait).await;
            report(Event::Waited { what, took: wait });
        }
        match call().await {
            Err(e) if e.kind == ErrorKind::Throttled && tries < QUOTA_TRIES => {
                interval.pushed_back();
                tries += 1;
            }
            Err(e) if e.kind != ErrorKind::Throttled => {
                // Refused for another reason (a 409 while another change is in progress, a 5xx): the caller may
                // try again at once; should AWS have counted this one, that try is refused for the quota and waits.
                interval.give_back(slot);
                return Err(e);
            }
            Err(mut e) => {
                // Not to be retried again by a caller: the quota is the account's, and someone else uses it.
                e.kind = ErrorKind::Other;
                e.hint = Some(format!(
                    "API Gateway refused this {tries} times for its quota on {calls} (one per {} s per account): another run or tool of the account is making them; run the command again when it is done",
                    interval.interval().as_secs()
                ));
                return Err(e);
            }
            ok => return ok,
        }
    }
}
