//! One planner, two desired states: deploy plans towards the stack as declared, teardown towards nothing of
//! it. Each kind plans its own steps; this file says in which order. What is created or changed comes in the
//! order AWS needs it (keys, bucket, documents, distribution, the token endpoint's function, API, authorizer,
//! integrations, routes, log group, stage, domain, permissions), then what is removed, in the reverse order.

use super::desired::{Desired, Planner};
use super::integration::{self, Integrations};
use super::{Barrier, Conflict, DistributionStep, Inventory, Plan, Step, api, authorizer, bucket, distribution, document, domain};
use super::{function, key, log_group, permission, rest, route, stage};
use crate::config::{ApiType, Stack};
use std::collections::BTreeSet;

/// What deploy would do. Pure and deterministic.
pub fn plan(stack: &Stack, inv: &Inventory) -> Result<Plan, Conflict> {
    plan_towards(&Desired::declared(stack), inv)
}

/// What teardown would do: remove everything the stack owns, in reverse dependency order.
pub fn plan_teardown(stack: &Stack, inv: &Inventory, keep_keys: bool) -> Result<Plan, Conflict> {
    plan_towards(&Desired::nothing(stack, keep_keys), inv)
}

/// The steps that take AWS from `inv` to `d`.
pub fn plan_towards(d: &Desired<'_>, inv: &Inventory) -> Result<Plan, Conflict> {
    bucket::bucket_is_ours(d.stack, inv)?;
    permission::missing_functions(d, inv)?;
    // Teardown too: the function, log group, domain and permissions are the stack's, not one API's, and the
    // other API would lose them.
    if let Some(id) = &inv.other_api {
        let (found, now) = match d.stack.api_type {
            ApiType::Rest => ("HTTP", "rest"),
            ApiType::Http => ("REST", "http"),
        };
        return Err(Conflict::ApiTypeSwitch {
            stack: d.stack.name.clone(),
            id: id.to_string(),
            found,
            now,
            both: inv.api.as_ref().is_some_and(|a| a.owned),
        });
    }
    let mut p = Planner::new(d, inv);
    plan_issuer(&mut p)?;
    if d.stack.api_type == ApiType::Rest {
        plan_rest(&mut p)?;
        return Ok(finish(d, inv, p));
    }
    function::plan(&mut p)?;
    api::plan(&mut p);
    authorizer::plan(&mut p);
    let integrations = integration::plan(&mut p);
    route::plan(&mut p, &integrations)?;
    log_group::plan(&mut p)?;
    stage::plan(&mut p);
    domain::plan(&mut p)?;
    permission::plan(&mut p, &integrations.functions());
    remove(&mut p, &integrations);
    Ok(finish(d, inv, p))
}

/// A REST API (owned or adopted): its content, the Lambda
/// permissions, the deployment once both are in place; then what is removed.
fn plan_rest(p: &mut Planner<'_>) -> Result<(), Conflict> {
    // The access log's group exists before the stage writes to it; the token endpoint's function before the
    // method that invokes it.
    log_group::plan(p)?;
    function::plan(p)?;
    let planned = rest::plan(p)?;
    if p.d.stack.token_endpoint.is_some() && p.d.stack.domain.is_none() {
        // The discovery document names the token endpoint at the API's address, known once the API is made
        // (a domain's is known before).
        p.barrier_after(
            |s| matches!(s, Step::Rest(rest::RestStep::CreateApi { .. })),
            "the discovery document names the token endpoint at the new API's address",
        );
    }
    let invoked: BTreeSet<String> = p
        .routes()
        .iter()
        .filter_map(|r| r.integration.function().map(str::to_string))
        .collect();
    let functions: BTreeSet<&str> = invoked.iter().map(String::as_str).collect();
    permission::plan(p, &functions);
    if let Some(planned) = &planned {
        rest::deploy(p, planned);
        rest::settings(p)?;
    }
    // The domain's mapping names the stage, which the first deployment creates; it goes before the API.
    domain::plan(p)?;
    domain::remove(p);
    rest::remove(p);
    permission::remove(p, &functions);
    // Once no method invokes it.
    function::remove(p);
    // After the stage (or the API) that writes to it.
    log_group::remove(p);
    remove_issuer(p);
    Ok(())
}

/// Notes on the lock, the import folded in, the wait for the issuer.
fn finish(d: &Desired<'_>, inv: &Inventory, mut p: Planner<'_>) -> Plan {
    if let Some(holder) = &inv.lock.holder {
        p.note(format!("the stack is locked by {holder}"));
    }
    for mark in &inv.lock.marks {
        let doing = match crate::names::lock_mark_level(&d.stack.name, &mark.parameter) {
            Some(1) => "taking over a stale lock",
            _ => "clearing the takeover mark of a run that is gone",
        };
        p.note(if mark.gone {
            format!(
                "{} died {doing} and left {}: the next deploy that changes something, or teardown, on this machine removes it (elsewhere: `jwtstack unlock --yes`)",
                mark.taker, mark.parameter
            )
        } else {
            format!("{} is {doing}", mark.taker)
        });
    }
    let mut plan = super::import::fold_into_import(d, inv, p.into_plan());
    wait_for_the_issuer(&mut plan);
    plan
}

/// API Gateway reads the issuer when it makes or changes the authorizer (an import makes it anew): with
/// `--no-wait`, a deploy that does so still waits for the distribution to serve the documents, or API Gateway
/// would refuse the authorizer: an import reads every JWT authorizer's issuer, and warns when it cannot.
fn wait_for_the_issuer(plan: &mut Plan) {
    if !plan.steps.iter().any(Step::reads_issuer) {
        return;
    }
    let awaits = plan.steps.iter_mut().enumerate().find_map(|(i, s)| match s {
        Step::Distribution(DistributionStep::Await {
            wait: wait @ false,
            check_issuer: true,
            ..
        }) => Some((i, wait)),
        _ => None,
    });
    let Some((at, wait)) = awaits else { return };
    *wait = true;
    if plan.barrier.is_none() {
        plan.barrier = Some(Barrier {
            after: at + 1,
            why: "the authorizer follows the distribution serving the documents",
        });
    }
    plan.notes.push(
        "--no-wait: this deploy makes or changes the authorizer, and API Gateway reads the issuer when it does: it waits for the distribution to serve the documents"
            .into(),
    );
}

/// The hosted issuer (keys, bucket, documents, the distribution in front, the key timeline); an external
/// issuer has none of these.
fn plan_issuer(p: &mut Planner<'_>) -> Result<(), Conflict> {
    let Some(h) = p.d.hosted() else {
        if !p.d.is_teardown() {
            key::note_unpublished(p);
        }
        return Ok(());
    };
    let published = key::plan(p, h)?;
    bucket::plan(p, h)?;
    document::plan(p, h, &published)?;
    if let Some(cf) = &h.cloudfront {
        distribution::plan_after_documents(p, h, cf)?;
    }
    key::plan_publish(p, h)
}

/// What the stack owns and no longer wants, in reverse dependency order: the domain before the API its
/// mapping names, routes before the integrations they target, the stage or API before the log group it
/// writes to, the distribution before the bucket it reads, the documents before their bucket, keys last.
fn remove(p: &mut Planner<'_>, integrations: &Integrations<'_>) {
    domain::remove(p);
    stage::remove_access_log(p);
    route::remove(p);
    integration::remove(p, integrations);
    authorizer::remove(p);
    stage::remove(p);
    api::remove(p);
    permission::remove(p, &integrations.functions());
    function::remove(p);
    log_group::remove(p);
    remove_issuer(p);
}

/// The distribution before the bucket it reads, the documents before their bucket, keys last.
fn remove_issuer(p: &mut Planner<'_>) {
    distribution::remove(p);
    document::remove(p);
    bucket::remove(p);
    key::remove(p);
}
