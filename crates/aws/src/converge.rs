//! The engine every changing command shares: read what exists, plan, take the stack's lock, read and plan
//! again under it (another run may have changed AWS while this one waited), apply. `deploy`, `rotate`,
//! `teardown` and `keys delete` differ only in their [`Goal`].

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::apply::{self, Context};
use crate::lock::{self, LockError};
use crate::{AwsError, fetch};
use crate::{Clients, account, apigw, inventory};
use jwtstack_core::config::{Issuer, Stack};
use jwtstack_core::plan::{self, Inventory, Plan, Step, render_text, resolve};

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

    fn plan(&self, stack: &Stack, inv: &Inventory) -> Result<Plan, Error> {
        Ok(match self {
            Goal::Deploy { .. } => plan::plan(stack, inv)?,
            Goal::Teardown { keep_keys } => {
                plan::bucket_is_ours(stack, inv)?;
                plan::plan_teardown(stack, inv, *keep_keys)
            }
            Goal::DeleteKey { kid } => {
                let h = jwtstack_core::rotation::hosted(stack)?;
                plan::plan_key_delete(stack, h, inv, kid)?
            }
        })
    }
}

/// How a run ended.
pub struct Converged {
    /// What was applied: the plan made under the lock (or the first plan, when it was empty).
    pub plan: Plan,
    /// The ids of what exists after the run.
    pub ctx: Context,
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
pub async fn prepare<'a>(c: &'a Clients, stack: &'a Stack, goal: Goal<'a>) -> Result<Prepared<'a>, ConvergeError> {
    let before = goal.read(c, stack).await?;
    let plan = goal.plan(&resolve(stack, &before), &before)?;
    if let (Goal::Deploy { skip_issuer_check, .. }, false) = (goal, plan.is_empty()) {
        gate_external_issuer(stack, &plan, skip_issuer_check).await?;
        gate_public_access(c, stack, &plan).await?;
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
pub async fn converge(c: &Clients, stack: &Stack, goal: Goal<'_>, lock_timeout: Duration) -> Result<Converged, ConvergeError> {
    prepare(c, stack, goal).await?.run(lock_timeout).await
}

impl Prepared<'_> {
    /// Takes the lock, reads and plans again under it (another run may have changed AWS while this one
    /// waited), and applies. A run with nothing to do writes nothing, not even the lock.
    pub async fn run(self, lock_timeout: Duration) -> Result<Converged, ConvergeError> {
        let Prepared {
            c,
            stack,
            goal,
            before,
            plan: first,
        } = self;
        if first.is_empty() {
            let ctx = Context::new(&before, &first);
            return Ok(Converged {
                plan: first,
                ctx,
                stack: resolve(stack, &before),
                before,
            });
        }
        let (plan, ctx, resolved) = apply_locked(c, stack, goal, lock_timeout).await?;
        Ok(Converged {
            plan,
            ctx,
            before,
            stack: resolved,
        })
    }
}

/// Under the lock: read, plan and apply.
async fn apply_locked(c: &Clients, stack: &Stack, goal: Goal<'_>, lock_timeout: Duration) -> Result<(Plan, Context, Stack), ConvergeError> {
    let no_wait = matches!(goal, Goal::Deploy { no_wait: true, .. });
    let deploy = matches!(goal, Goal::Deploy { .. });
    locked(c, stack, goal.command(), lock_timeout, || async {
        let read = || async {
            let mut current = goal.read(c, stack).await?;
            // The lock is this run's own.
            current.lock_holder = None;
            Ok::<_, Error>(current)
        };
        let mut current = read().await?;
        let mut resolved = resolve(stack, &current);
        let mut plan = goal.plan(&resolved, &current)?;
        // A new distribution goes first: the bucket policy, the documents and the authorizer name it (its ARN,
        // its domain), so the rest is planned again once it exists.
        let mut front_steps = Vec::new();
        if let Some(n) = plan.steps.iter().position(|s| matches!(s, Step::CreateDistribution { .. })) {
            let front = Plan {
                steps: plan.steps[..=n].to_vec(),
                notes: Vec::new(),
                ..plan.clone()
            };
            let mut ctx = Context::new(&current, &front);
            eprint!("{}", render_text(&front, false));
            run_plan(c, &resolved, &front, &mut ctx).await?;
            front_steps = front.steps;
            current = read().await?;
            resolved = resolve(stack, &current);
            plan = goal.plan(&resolved, &current)?;
        }
        let mut ctx = Context::new(&current, &plan);
        ctx.no_wait = no_wait;
        if !plan.is_empty() {
            if deploy {
                eprint!("{}", render_text(&plan, false));
            }
            run_plan(c, &resolved, &plan, &mut ctx).await?;
            if deploy {
                check_deployment(c, &plan, &ctx).await?;
            }
        }
        // What the run applied, both parts.
        plan.steps.splice(0..0, front_steps);
        Ok((plan, ctx, resolved))
    })
    .await
}

/// An external issuer is read as API Gateway will before the authorizer is created or changed: a provider
/// that would not work stops the deploy before any change.
async fn gate_external_issuer(stack: &Stack, plan: &Plan, skip: bool) -> Result<(), Error> {
    let Issuer::External { url } = &stack.issuer else { return Ok(()) };
    let touches_authorizer = plan
        .steps
        .iter()
        .flat_map(Step::parts)
        .any(|s| matches!(s, Step::CreateAuthorizer { .. } | Step::UpdateAuthorizer { .. }));
    if skip || !touches_authorizer {
        return Ok(());
    }
    let report = fetch::check(url, &jwtstack_core::issuer::Expect::default()).await;
    eprint!("{}", report.render());
    if report.ok() {
        eprintln!(
            "issuer check: {url} publishes {} usable key(s): {}",
            report.kids.len(),
            report.kids.join(", ")
        );
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
async fn gate_public_access(c: &Clients, stack: &Stack, plan: &Plan) -> Result<(), Error> {
    let Some(h) = stack.hosted().filter(|h| h.public) else {
        return Ok(());
    };
    let makes_public = plan
        .steps
        .iter()
        .any(|s| matches!(s, Step::PutBucketPolicy { .. } | Step::PutPublicAccessBlock { .. }));
    if !makes_public {
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
            eprintln!(
                "note: the account's Block Public Access setting could not be read ({}); deploying as if it allowed a public issuer",
                e.message
            );
            Ok(())
        }
    }
}

/// Route and integration changes go live through the `$default` stage's automatic deployment, which can fail
/// on AWS's side after every call succeeded; the stage then reports it in `LastDeploymentStatusMessage`
/// ("Deployment attempt failed: ..."). Read once after the changes: a deployment still under way shows the
/// previous status, so this catches what has failed by then.
async fn check_deployment(c: &Clients, plan: &Plan, ctx: &Context) -> Result<(), Error> {
    let touches_api = plan
        .steps
        .iter()
        .flat_map(Step::parts)
        .any(|s| s.is_api_content() || matches!(s, Step::CreateStage { .. } | Step::UpdateStage));
    let Some(api) = ctx.api_id.as_deref().filter(|_| touches_api) else {
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

/// Applies the plan; Ctrl-C stops it after the step in flight.
async fn run_plan(c: &Clients, stack: &Stack, plan: &Plan, ctx: &mut Context) -> Result<(), Error> {
    // Counted in plan lines, as the plan and the summary count them (a key step can be several lines).
    let total = plan.lines_before(plan.steps.len());
    let mut line_no = 0;
    let stop = Arc::new(AtomicBool::new(false));
    let listener = tokio::spawn({
        let stop = stop.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("Ctrl-C: stopping after the step in flight");
                stop.store(true, Ordering::SeqCst);
            }
        }
    });
    // On a terminal: a spinner with the step in flight; otherwise (CI, pipes) one line per step.
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_msg} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    let result = apply::apply(c, stack, plan, ctx, &stop, |_, step: &Step| {
        for ch in step.changes() {
            line_no += 1;
            let line = format!("{} {} {}", ch.action.sign(), ch.resource, ch.name);
            match &bar {
                Some(b) => {
                    b.set_position(line_no as u64 - 1);
                    b.println(format!("[{line_no}/{total}] {line}"));
                    b.set_message(line);
                }
                None => eprintln!("[{line_no}/{total}] {line}"),
            }
        }
    })
    .await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    listener.abort();
    if let Err(e) = &result
        && matches!(e, apply::ApplyError::Step { .. })
    {
        eprintln!("stopped: the steps before the failing one were applied; run the command again to continue");
    }
    Ok(result?)
}

/// Runs `work` holding the stack's lock, and releases it however `work` ends.
async fn locked<T, F, Fut>(c: &Clients, stack: &Stack, command: &str, timeout: Duration, work: F) -> Result<T, Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let held = lock::acquire(c, &stack.name, command, timeout).await?;
    let result = work().await;
    let released = lock::release(c, held).await;
    match (result, released) {
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(e.into()),
        (Ok(v), Ok(())) => Ok(v),
    }
}
