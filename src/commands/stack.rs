//! plan, deploy, teardown, outputs.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::use_color;
use crate::apply::{self, Context};
use crate::aws::{Clients, inventory};
use crate::cli::Global;
use crate::config::{Issuer, Stack};
use crate::error::Error;
use crate::plan::{self, Plan, PlanJson, Step, render_text};
use crate::{exit, issuer, lock};

/// What a deployed stack exposes. `outputs --json` prints this object (a contract).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Outputs {
    pub stack: String,
    pub region: String,
    pub api_id: Option<String>,
    pub api_endpoint: Option<String>,
    pub issuer: String,
    pub discovery_url: String,
    /// `None` for an external issuer: its discovery document names its JWKS.
    pub jwks_uri: Option<String>,
    pub authorizer_id: Option<String>,
    /// The signing key's parameter; `None` for an external issuer.
    pub key_parameter: Option<String>,
}

fn outputs_of(stack: &Stack, region: &str, ctx: &Context) -> Outputs {
    let issuer = stack.issuer_url(region);
    Outputs {
        stack: stack.name.clone(),
        region: region.into(),
        api_id: ctx.api_id.clone(),
        api_endpoint: ctx.api_endpoint.clone(),
        discovery_url: stack.discovery_url(region),
        jwks_uri: stack.jwks_uri(region),
        issuer,
        authorizer_id: ctx.authorizer_id.clone(),
        key_parameter: stack.hosted().map(|h| stack.key_parameter(&h.key_id)),
    }
}

fn print_outputs(o: &Outputs) {
    let none = "(not deployed)".to_string();
    println!("api_endpoint   {}", o.api_endpoint.as_ref().unwrap_or(&none));
    println!("api_id         {}", o.api_id.as_ref().unwrap_or(&none));
    println!("issuer         {}", o.issuer);
    println!("discovery_url  {}", o.discovery_url);
    let external = "(the provider's, from its discovery document)".to_string();
    println!("jwks_uri       {}", o.jwks_uri.as_ref().unwrap_or(&external));
    println!("authorizer_id  {}", o.authorizer_id.as_ref().unwrap_or(&none));
    println!("key_parameter  {}", o.key_parameter.as_ref().unwrap_or(&external));
}

pub async fn plan(g: &Global, c: &Clients, stack: &Stack, detailed_exitcode: bool) -> Result<u8, Error> {
    let read = inventory::read(c, stack).await?;
    let plan = plan::plan(stack, &read.inventory)?;
    if g.json {
        println!("{}", to_json(&plan.to_json()));
    } else {
        print!("{}", render_text(&plan, use_color(g)));
    }
    Ok(if detailed_exitcode && !plan.is_empty() {
        exit::CHANGES
    } else {
        exit::OK
    })
}

#[derive(Serialize)]
struct DeployJson {
    plan: PlanJson,
    outputs: Outputs,
}

pub async fn deploy(g: &Global, c: &Clients, stack: &Stack, lock_timeout: Duration, skip_issuer_check: bool) -> Result<u8, Error> {
    let started = std::time::Instant::now();
    let (plan, ctx) = converge(c, stack, lock_timeout, skip_issuer_check).await?;
    let took = started.elapsed().as_secs_f64();
    if stack.hosted().is_some() {
        check_hosted_issuer(g, stack, &c.region, skip_issuer_check).await;
    }
    let outputs = outputs_of(stack, &c.region, &ctx);
    if g.json {
        println!(
            "{}",
            to_json(&DeployJson {
                plan: plan.to_json(),
                outputs
            })
        );
    } else {
        if plan.is_empty() {
            println!("No changes: AWS matches the stack `{}`.", stack.name);
        } else {
            let s = plan.to_json().summary;
            println!(
                "Deployed `{}`: {} created, {} updated, {} deleted in {took:.1} s.",
                stack.name, s.create, s.update, s.delete
            );
        }
        print_outputs(&outputs);
    }
    Ok(exit::OK)
}

/// After a deploy, reads the hosted issuer as API Gateway will and reports what would fail. On an emulator
/// (`--endpoint-url`) the issuer URL is real AWS's, which the emulator does not serve: it says so and skips.
async fn check_hosted_issuer(g: &Global, stack: &Stack, region: &str, skip: bool) {
    let url = stack.issuer_url(region);
    if skip {
        return;
    }
    if g.endpoint_url.as_deref().is_some_and(|e| !e.is_empty()) {
        eprintln!(
            "issuer check skipped: --endpoint-url sends AWS calls to an emulator, which does not serve {url}; run `jwtstack check` against real AWS"
        );
        return;
    }
    let report = issuer::check(&url, &issuer::Expect::of(stack)).await;
    if report.ok() && report.findings.is_empty() {
        eprintln!(
            "issuer check: {} serves the discovery document and JWKS as API Gateway reads them",
            url
        );
    } else {
        eprint!("{}", report.render());
        eprintln!("issuer check: API Gateway may refuse tokens until the problems above are fixed (`jwtstack check` re-runs it)");
    }
}

/// An external issuer is read as API Gateway will before the authorizer is created or changed: a provider
/// that would not work stops the deploy before any change.
async fn gate_external_issuer(stack: &Stack, plan: &Plan, skip: bool) -> Result<(), Error> {
    let Issuer::External { url } = &stack.issuer else { return Ok(()) };
    let touches_authorizer = plan
        .steps
        .iter()
        .any(|s| matches!(s, Step::CreateAuthorizer { .. } | Step::UpdateAuthorizer { .. }));
    if skip || !touches_authorizer {
        return Ok(());
    }
    let report = issuer::check(url, &issuer::Expect::default()).await;
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

/// Plans and applies under the stack's lock; the plan shown on stderr. Returns what was applied.
pub(crate) async fn converge(
    c: &Clients,
    stack: &Stack,
    lock_timeout: Duration,
    skip_issuer_check: bool,
) -> Result<(Plan, Context), Error> {
    let read = inventory::read(c, stack).await?;
    let first = plan::plan(stack, &read.inventory)?;
    gate_external_issuer(stack, &first, skip_issuer_check).await?;
    // A deploy with nothing to do writes nothing, not even the lock.
    let (plan, ctx) = if first.is_empty() {
        (first, Context::from_inventory(&read.inventory))
    } else {
        locked(c, stack, "deploy", lock_timeout, || async {
            // Another run may have changed AWS while this one waited: plan again under the lock.
            let mut read = inventory::read(c, stack).await?;
            // The lock is this run's own.
            read.inventory.lock_holder = None;
            let plan = plan::plan(stack, &read.inventory)?;
            let mut ctx = Context::from_inventory(&read.inventory);
            if !plan.is_empty() {
                eprint!("{}", render_text(&plan, false));
                run_plan(c, stack, &plan, &mut ctx).await?;
            }
            Ok((plan, ctx))
        })
        .await?
    };
    Ok((plan, ctx))
}

/// Applies the plan; Ctrl-C stops it after the step in flight.
async fn run_plan(c: &Clients, stack: &Stack, plan: &Plan, ctx: &mut Context) -> Result<(), Error> {
    let total = plan.steps.len();
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
    let result = apply::apply(c, stack, plan, ctx, &stop, |i, step: &Step| {
        for ch in step.changes() {
            let line = format!("{} {} {}", ch.action.sign(), ch.resource, ch.name);
            match &bar {
                Some(b) => {
                    b.set_position(i as u64);
                    b.println(format!("[{}/{}] {line}", i + 1, total));
                    b.set_message(line);
                }
                None => eprintln!("[{}/{}] {line}", i + 1, total),
            }
        }
    })
    .await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    listener.abort();
    if let Err(e) = &result {
        if matches!(e, apply::ApplyError::Step { .. }) {
            eprintln!("stopped: the steps before the failing one were applied; run the command again to continue");
        }
    }
    Ok(result?)
}

/// Runs `work` holding the stack's lock, and releases it however `work` ends.
pub(crate) async fn locked<T, F, Fut>(c: &Clients, stack: &Stack, command: &str, timeout: Duration, work: F) -> Result<T, Error>
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

pub async fn unlock(c: &Clients, stack: &Stack, yes: bool) -> Result<u8, Error> {
    if !yes {
        return Err(Error::Usage(
            "unlock clears the lock whoever holds it: pass --yes once you are sure that run is gone".into(),
        ));
    }
    match lock::force_unlock(c, &stack.name).await? {
        Some(holder) => println!("Cleared the lock of stack `{}`, held by {holder}.", stack.name),
        None => println!("Stack `{}` was not locked.", stack.name),
    }
    Ok(exit::OK)
}

#[derive(Serialize)]
struct TeardownJson {
    removed: PlanJson,
}

pub async fn teardown(g: &Global, c: &Clients, stack: &Stack, yes: bool, keep_keys: bool, lock_timeout: Duration) -> Result<u8, Error> {
    let started = std::time::Instant::now();
    let read = inventory::read(c, stack).await?;
    let plan = plan::plan_teardown(stack, &read.inventory, keep_keys);
    if plan.is_empty() {
        // A lock left by a dead run is the last thing the stack owns.
        if read.inventory.lock_stale {
            lock::force_unlock(c, &stack.name).await?;
            eprintln!("removed the run lock left by a run that is gone");
        }
        if g.json {
            println!("{}", to_json(&TeardownJson { removed: plan.to_json() }));
        } else {
            for n in &plan.notes {
                println!("note: {n}");
            }
            println!("Nothing to remove: stack `{}` owns nothing in {}.", stack.name, c.region);
        }
        return Ok(exit::OK);
    }
    eprint!("{}", render_text(&plan, false));
    if !yes {
        confirm(stack, plan.steps.len())?;
    }
    let plan = locked(c, stack, "teardown", lock_timeout, || async {
        let read = inventory::read(c, stack).await?;
        let plan = plan::plan_teardown(stack, &read.inventory, keep_keys);
        let mut ctx = Context::from_inventory(&read.inventory);
        run_plan(c, stack, &plan, &mut ctx).await?;
        Ok(plan)
    })
    .await?;
    if g.json {
        println!("{}", to_json(&TeardownJson { removed: plan.to_json() }));
    } else {
        println!(
            "Removed {} resource(s) of stack `{}` in {:.1} s.",
            plan.steps.len(),
            stack.name,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(exit::OK)
}

fn confirm(stack: &Stack, n: usize) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "teardown needs --yes when stdin is not a terminal; nothing was removed".into(),
        ));
    }
    let line = super::prompt(
        &format!(
            "Remove these {n} resource(s) of stack `{}`? Type the stack name to confirm: ",
            stack.name
        ),
        "the confirmation",
    )?;
    if line != stack.name {
        return Err(Error::Usage("not confirmed; nothing was removed".into()));
    }
    Ok(())
}

pub async fn outputs(g: &Global, c: &Clients, stack: &Stack) -> Result<u8, Error> {
    let read = inventory::read(c, stack).await?;
    let ctx = Context::from_inventory(&read.inventory);
    if ctx.api_id.is_none() {
        return Err(Error::Failure(format!(
            "stack `{}` has no HTTP API in {}: run `jwtstack deploy` first",
            stack.name, c.region
        )));
    }
    let outputs = outputs_of(stack, &c.region, &ctx);
    if g.json {
        println!("{}", to_json(&outputs));
    } else {
        print_outputs(&outputs);
    }
    Ok(exit::OK)
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
