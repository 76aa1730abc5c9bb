//! The engine every changing command shares: read what exists, plan, take the stack's lock, read and plan
//! again under it (another run may have changed AWS while this one waited), apply. A plan with a barrier is
//! applied in parts: up to the barrier, then AWS is read and the rest planned again. `deploy`, `rotate`,
//! `teardown` and `keys delete` differ only in their [`Goal`]. The engine reports [`Event`]s; it never prints.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jwtstack_core::config::{Issuer, Stack};
use jwtstack_core::issuer::Expect;
use jwtstack_core::plan::{self, ApiStep, Desired, Inventory, Plan, Step, TakeoverMark, resolve};

use crate::apply::{self, Deployed, Made};
use crate::event::{Event, Report};
use crate::lock::{self, LockError};
use crate::{AwsError, Clients, account, apigw, fetch, inventory};

/// Why a run stopped. Everything before the first change is refused with it too.
#[derive(Debug, thiserror::Error)]
pub enum ConvergeError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Conflict(#[from] plan::Conflict),
    #[error(transparent)]
    KeyDelete(#[from] plan::KeyDeleteRefused),
    #[error(transparent)]
    Rotate(#[from] jwtstack_core::rotation::RotateError),
    #[error(transparent)]
    Locked(#[from] LockError),
    #[error(transparent)]
    Apply(#[from] apply::ApplyError),
    #[error("{0}")]
    Failure(String),
}

type Error = ConvergeError;

/// What a run converges AWS to.
#[derive(Debug, Clone, Copy)]
pub enum Goal<'a> {
    /// The stack as declared (`deploy`, and each `rotate` step after its edit). `no_wait`: do not wait for
    /// CloudFront to deploy a change.
    Deploy { skip_issuer_check: bool, no_wait: bool },
    /// Nothing the stack owns (keys too, unless `keep_keys`).
    Teardown { keep_keys: bool },
    /// The stack without one retired key's private key.
    DeleteKey { kid: &'a str },
}

impl Goal<'_> {
    /// The command named in the lock.
    fn command(&self) -> &'static str {
        match self {
            Goal::Deploy { .. } => "deploy",
            Goal::Teardown { .. } => "teardown",
            Goal::DeleteKey { .. } => "keys delete",
        }
    }

    /// What exists; a deploy also derives the public half of keys that have none recorded.
    async fn read(&self, c: &Clients, stack: &Stack) -> Result<Inventory, Error> {
        Ok(match self {
            Goal::Deploy { .. } => inventory::read_for_deploy(c, stack).await?,
            _ => inventory::read(c, stack).await?,
        })
    }

    /// `imported`: an import of this run is done, and the API is brought to its definition call by call.
    fn plan(&self, stack: &Stack, inv: &Inventory, imported: bool) -> Result<Plan, Error> {
        let towards = |d: Desired<'_>| plan::plan_towards(&if imported { d.after_import() } else { d }, inv);
        Ok(match self {
            Goal::Deploy { no_wait: false, .. } => towards(Desired::declared(stack))?,
            Goal::Deploy { no_wait: true, .. } => towards(Desired::declared_without_waiting(stack))?,
            Goal::Teardown { keep_keys } => towards(Desired::nothing(stack, *keep_keys))?,
            Goal::DeleteKey { kid } => {
                let h = jwtstack_core::rotation::hosted(stack)?;
                plan::plan_key_delete(stack, h, inv, kid)?
            }
        })
    }
}

/// How a run ended.
pub struct Converged {
    /// What was applied: the steps of every part (or the first plan, when it was empty).
    pub plan: Plan,
    /// What exists after the run, as the outputs name it.
    pub deployed: Deployed,
    /// What existed before the run (the first read, outside the lock).
    pub before: Inventory,
    /// The stack with its issuer URL known (`cloudfront: true` is named after its distribution).
    pub stack: Stack,
}

/// A run planned and checked, not applied yet: `plan` is what it would change (teardown shows it and asks to
/// confirm before [`Prepared::run`]).
pub struct Prepared<'a> {
    c: &'a Clients,
    stack: &'a Stack,
    goal: Goal<'a>,
    /// What exists (read outside the lock).
    before: Inventory,
    /// The first plan: made from `before`, it is planned again under the lock.
    pub plan: Plan,
}

/// Reads what exists and plans `goal`; a deploy also checks, before any change, what AWS would refuse only
/// half-way (an external issuer that would not work, an account that forbids a public bucket).
pub async fn prepare<'a>(c: &'a Clients, stack: &'a Stack, goal: Goal<'a>, report: Report<'_>) -> Result<Prepared<'a>, ConvergeError> {
    let before = goal.read(c, stack).await?;
    let plan = goal.plan(&resolve(stack, &before), &before, false)?;
    if let (Goal::Deploy { skip_issuer_check, .. }, false) = (goal, plan.is_empty()) {
        gate_external_issuer(stack, &plan, skip_issuer_check, report).await?;
        gate_public_access(c, stack, &plan, report).await?;
    }
    Ok(Prepared {
        c,
        stack,
        goal,
        before,
        plan,
    })
}

/// Plans `goal` and applies it under the stack's lock.
pub async fn converge(
    c: &Clients,
    stack: &Stack,
    goal: Goal<'_>,
    lock_timeout: Duration,
    report: Report<'_>,
) -> Result<Converged, ConvergeError> {
    prepare(c, stack, goal, report).await?.run(lock_timeout, report).await
}

impl Prepared<'_> {
    /// Takes the lock, reads and plans again under it (another run may have changed AWS while this one
    /// waited), and applies. A run with nothing to do writes nothing, not even the lock.
    pub async fn run(self, lock_timeout: Duration, report: Report<'_>) -> Result<Converged, ConvergeError> {
        let Prepared {
            c,
            stack,
            goal,
            before,
            plan: first,
        } = self;
        if first.is_empty() {
            return Ok(Converged {
                plan: first,
                deployed: Deployed::of(&before, &stack.name),
                stack: resolve(stack, &before),
                before,
            });
        }
        let (plan, deployed, resolved) = locked(c, stack, goal.command(), lock_timeout, &before.lock.marks, || {
            apply_in_parts(c, stack, goal, report)
        })
        .await?;
        Ok(Converged {
            plan,
            deployed,
            before,
            stack: resolved,
        })
    }
}

/// How many parts a run may have: a new distribution, its wait, the import, what the import left (fixed call by
/// call), then the rest.
const MAX_PARTS: usize = 6;

/// Under the lock: read, plan and apply up to the plan's barrier, until a plan has none left.
async fn apply_in_parts(c: &Clients, stack: &Stack, goal: Goal<'_>, report: Report<'_>) -> Result<(Plan, Deployed, Stack), Error> {
    let mut made = Made::default();
    let mut applied: Option<Plan> = None;
    let mut imported = false;
    for _ in 0..MAX_PARTS {
        let mut current = goal.read(c, stack).await?;
        // The lock is this run's own.
        current.lock.holder = None;
        let resolved = resolve(stack, &current);
        let plan = goal.plan(&resolved, &current, imported)?;
        let upto = plan.barrier.as_ref().map_or(plan.steps.len(), |b| b.after.min(plan.steps.len()));
        if upto > 0 {
            report(Event::Applying { plan: &plan, part: upto });
        }
        let (part, more) = split_at_barrier(plan);
        if !part.is_empty() {
            run_part(c, &resolved, &part, &mut made, report).await?;
            imported |= part.steps.iter().any(|s| matches!(s, Step::Api(ApiStep::Import { .. })));
        }
        let all = match applied.take() {
            None => part,
            Some(mut all) => {
                all.steps.extend(part.steps);
                all.notes = part.notes;
                all
            }
        };
        if !more {
            if matches!(goal, Goal::Deploy { .. }) {
                check_deployment(c, &all, &current, &made).await?;
            }
            let deployed = Deployed::of(&current, &stack.name).updated(&made);
            return Ok((all, deployed, resolve(stack, &current)));
        }
        applied = Some(all);
    }
    let left = goal.plan(stack, &goal.read(c, stack).await?, true)?;
    Err(Error::Failure(format!(
        "the plan of stack `{}` did not settle after {MAX_PARTS} parts: AWS still holds what differs from the stack file after every change was made:\n{}\nThis is a jwtstack bug: please report it with this output and `jwtstack plan`",
        stack.name,
        plan::render_text(&left, false)
    )))
}

/// The steps to apply now (up to the barrier), and whether the stack is planned again afterwards (a barrier
/// after the last step too: what it made is read back).
fn split_at_barrier(mut plan: Plan) -> (Plan, bool) {
    match plan.barrier.take() {
        Some(b) if b.after > 0 && b.after <= plan.steps.len() => {
            plan.steps.truncate(b.after);
            (plan, true)
        }
        _ => (plan, false),
    }
}

/// An external issuer is read as API Gateway will before the authorizer is created or changed: a provider
/// that would not work stops the deploy before any change.
async fn gate_external_issuer(stack: &Stack, plan: &Plan, skip: bool, report: Report<'_>) -> Result<(), Error> {
    let Issuer::External { url } = &stack.issuer else { return Ok(()) };
    // The plan's own steps: an import reads the issuer whatever its changes are.
    if skip || !plan.steps.iter().any(Step::reads_issuer) {
        return Ok(());
    }
    let found = fetch::check(url, &Expect::default()).await;
    report(Event::Note { text: found.render() });
    if found.ok() {
        report(Event::Note {
            text: format!(
                "issuer check: {url} publishes {} usable key(s): {}\n",
                found.kids.len(),
                found.kids.join(", ")
            ),
        });
        Ok(())
    } else {
        Err(Error::Failure(format!(
            "the issuer {url} would not work with API Gateway (see above); nothing was changed. Fix the provider's documents, or pass --skip-issuer-check if this machine cannot reach the provider"
        )))
    }
}

/// A deploy that would make the issuer bucket public first reads the account's Block Public Access setting:
/// where it forbids public bucket policies, no bucket-level setting can lift it and the deploy would fail
/// half-way (after the key and the bucket), so it stops before any change. Where the setting cannot be read
/// (no `s3:GetAccountPublicAccessBlock`), it says so and goes on.
async fn gate_public_access(c: &Clients, stack: &Stack, plan: &Plan, report: Report<'_>) -> Result<(), Error> {
    let Some(h) = stack.hosted().filter(|h| h.public) else {
        return Ok(());
    };
    let opens = plan.steps.iter().any(|s| matches!(s, Step::Bucket(b) if b.may_open_the_bucket()));
    if !opens {
        return Ok(());
    }
    match account::public_access_block(c).await {
        Ok(Some(b)) if b.block_public_policy || b.restrict_public_buckets => Err(plan::Conflict::AccountBlocksPublicAccess {
            bucket: h.bucket.clone(),
            setting: if b.block_public_policy {
                "BlockPublicPolicy"
            } else {
                "RestrictPublicBuckets"
            },
        }
        .into()),
        Ok(_) => Ok(()),
        Err(e) => {
            report(Event::Note {
                text: format!(
                    "note: the account's Block Public Access setting could not be read ({}); deploying as if it allowed a public issuer\n",
                    e.message
                ),
            });
            Ok(())
        }
    }
}

/// Route and integration changes go live through the `$default` stage's automatic deployment, which can fail
/// on AWS's side after every call succeeded; the stage then reports it in `LastDeploymentStatusMessage`
/// ("Deployment attempt failed: ..."). Read once after the changes: a deployment still under way shows the
/// previous status, so this catches what has failed by then.
async fn check_deployment(c: &Clients, plan: &Plan, inv: &Inventory, made: &Made) -> Result<(), Error> {
    let api = made.api.as_ref().map(|a| &a.0).or(inv.api.as_ref().map(|a| &a.id));
    let Some(api) = api.filter(|_| plan.parts().any(Step::deploys)) else {
        return Ok(());
    };
    match apigw::deployment_status(c, api).await? {
        Some(message) if message.to_ascii_lowercase().contains("failed") => Err(Error::Failure(format!(
            "the changes were made, but API Gateway's automatic deployment of the $default stage of API {api} failed: {message}\n  \
             the routes are not live as planned; fix the cause and run deploy again"
        ))),
        _ => Ok(()),
    }
}

/// Applies one part of a run; Ctrl-C stops it after the steps in flight.
async fn run_part(c: &Clients, stack: &Stack, plan: &Plan, made: &mut Made, report: Report<'_>) -> Result<(), Error> {
    let opts = apply::Options {
        stop: Arc::new(AtomicBool::new(false)),
        report,
    };
    let work = apply::apply(c, stack, plan, made, &opts);
    tokio::pin!(work);
    let result = tokio::select! {
        r = &mut work => r,
        _ = tokio::signal::ctrl_c() => {
            report(Event::Stopping);
            opts.stop.store(true, Ordering::SeqCst);
            work.await
        }
    };
    if let Err(apply::ApplyError::Step { .. }) = &result {
        report(Event::Failed);
    }
    Ok(result?)
}

/// Runs `work` holding the stack's lock, and releases it however `work` ends. `marks`: the takeover marks the
/// stack was read with; those of runs that are gone are removed while the lock is held (a failure to is said,
/// and the run goes on: they stop nobody).
async fn locked<T, F, Fut>(
    c: &Clients,
    stack: &Stack,
    command: &str,
    timeout: Duration,
    marks: &[TakeoverMark],
    work: F,
) -> Result<T, Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let held = lock::acquire(c, &stack.name, command, timeout).await?;
    if marks.iter().any(|m| m.gone) {
        match lock::remove_dead_marks(c, &stack.name, Some(&held), marks).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                "removed {n} takeover mark(s) of the lock of stack {} left by runs that are gone",
                stack.name
            ),
            Err(e) => tracing::warn!("could not remove the takeover marks left by runs that are gone: {e}"),
        }
    }
    let result = work().await;
    let released = lock::release(c, held).await;
    match (result, released) {
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(e.into()),
        (Ok(v), Ok(())) => Ok(v),
    }
}
