//! plan, deploy, teardown, outputs.

use std::io::IsTerminal;
use std::time::Duration;

use super::progress::Progress;
use super::use_color;
use crate::cli::Global;
use crate::error::Error;
use crate::exit;
use crate::output::{ApiDomainOutputs, CloudFrontOutputs, DeployJson, Outputs, TeardownJson, to_json};
use jwtstack_aws::apply::Deployed;
use jwtstack_aws::converge::{self, Converged, Goal, converge};
use jwtstack_aws::{Clients, inventory};
use jwtstack_aws::{fetch, lock};
use jwtstack_core::config::{KeyStore, Stack};
use jwtstack_core::issuer;
use jwtstack_core::plan::{self, render_markdown, render_text};
use jwtstack_core::probe::ProbeReport;

fn outputs_of(stack: &Stack, region: &str, ctx: &Deployed) -> Outputs {
    let issuer = stack.issuer_url(region);
    Outputs {
        stack: stack.name.clone(),
        region: region.into(),
        api_id: ctx.api_id.as_ref().map(|i| i.to_string()),
        api_endpoint: ctx.api_endpoint.clone(),
        discovery_url: stack.discovery_url(region),
        jwks_uri: stack.jwks_uri(region),
        issuer,
        authorizer_id: ctx.authorizer_id.as_ref().map(|i| i.to_string()),
        key_parameter: stack
            .hosted()
            .filter(|h| h.key_store == KeyStore::Ssm)
            .map(|h| stack.key_parameter(&h.key_id)),
        kms_key_alias: stack
            .hosted()
            .filter(|h| h.key_store == KeyStore::Kms)
            .map(|h| jwtstack_core::names::kms_alias(&stack.name, &h.key_id)),
        cloudfront_distribution: stack
            .hosted()
            .and_then(|h| h.cloudfront.as_ref())
            .zip(ctx.distribution.as_ref())
            .map(|(cf, (id, domain))| CloudFrontOutputs {
                id: id.to_string(),
                domain_name: domain.clone(),
                dns_record_to_add: match (&cf.domain, &cf.hosted_zone_id) {
                    (Some(name), None) => Some(format!("{name} CNAME {domain}")),
                    _ => None,
                },
            }),
        api_domain: stack.domain.as_ref().map(|d| {
            let target = ctx.api_domain_target.clone();
            ApiDomainOutputs {
                url: format!("https://{}", d.name),
                dns_record_to_add: match (&d.hosted_zone_id, &target) {
                    (None, Some(t)) => Some(format!("{} CNAME {t}", d.name)),
                    _ => None,
                },
                target,
            }
        }),
        access_log_group: stack.access_log.map(|_| ctx.access_log_group.clone()),
        token_endpoint: stack.token_endpoint_url(ctx.api_endpoint.as_deref()),
    }
}

fn print_outputs(o: &Outputs) {
    let none = "(not deployed)".to_string();
    crate::outln!("api_endpoint   {}", o.api_endpoint.as_ref().unwrap_or(&none));
    crate::outln!("api_id         {}", o.api_id.as_ref().unwrap_or(&none));
    crate::outln!("issuer         {}", o.issuer);
    crate::outln!("discovery_url  {}", o.discovery_url);
    let external = "(the provider's, from its discovery document)".to_string();
    crate::outln!("jwks_uri       {}", o.jwks_uri.as_ref().unwrap_or(&external));
    crate::outln!("authorizer_id  {}", o.authorizer_id.as_ref().unwrap_or(&none));
    match &o.kms_key_alias {
        Some(alias) => crate::outln!("kms_key_alias  {alias}"),
        None => crate::outln!("key_parameter  {}", o.key_parameter.as_ref().unwrap_or(&external)),
    }
    if let Some(cf) = &o.cloudfront_distribution {
        crate::outln!("distribution   {} ({})", cf.id, cf.domain_name);
        if let Some(record) = &cf.dns_record_to_add {
            crate::outln!("dns_record     {record}   (add it in the domain's DNS zone)");
        }
    }
    if let Some(d) = &o.api_domain {
        crate::outln!("api_url        {}", d.url);
        if let Some(record) = &d.dns_record_to_add {
            crate::outln!("api_dns_record {record}   (add it in the domain's DNS zone)");
        }
    }
    if let Some(group) = &o.access_log_group {
        crate::outln!("access_log     {group}   (jwtstack logs)");
    }
    if let Some(url) = &o.token_endpoint {
        crate::outln!("token_endpoint {url}   (jwtstack clients)");
    }
}

pub async fn plan(g: &Global, c: &Clients, stack: &Stack, detailed_exitcode: bool, markdown: bool) -> Result<u8, Error> {
    let inv = inventory::read(c, stack).await?;
    let plan = plan::plan(&jwtstack_core::plan::resolve(stack, &inv), &inv)?;
    if g.json {
        crate::outln!("{}", to_json(&plan.to_json()));
    } else if markdown {
        crate::out!("{}", render_markdown(&plan));
    } else {
        crate::output::write_stdout_styled(&render_text(&plan, use_color(g)));
    }
    Ok(if detailed_exitcode && !plan.is_empty() {
        exit::CHANGES
    } else {
        exit::OK
    })
}

/// What `deploy` checks besides converging, and what it may skip.
pub struct Checks {
    pub skip_issuer_check: bool,
    pub no_wait: bool,
    pub no_probe: bool,
    /// The gateway the probe asks instead of the API's own endpoint.
    pub probe_endpoint: Option<String>,
}

pub async fn deploy(g: &Global, c: &Clients, stack: &Stack, lock_timeout: Duration, checks: Checks) -> Result<u8, Error> {
    let Checks {
        skip_issuer_check,
        no_wait,
        no_probe,
        probe_endpoint,
    } = checks;
    let started = std::time::Instant::now();
    let goal = Goal::Deploy {
        skip_issuer_check,
        no_wait,
    };
    let progress = Progress::new(true);
    let converged = converge(c, stack, goal, lock_timeout, &|e| progress.report(e)).await;
    progress.finish();
    let Converged { plan, deployed, stack, .. } = converged?;
    let stack = &stack;
    let took = started.elapsed().as_secs_f64();
    let issuer_ok = stack.hosted().is_none() || check_hosted_issuer(g, stack, &c.region, skip_issuer_check || no_wait).await;
    let endpoint = probe_endpoint.as_deref();
    let (probe, probe_skipped) = match probe_skip_reason(g, stack, &deployed, no_probe, endpoint, issuer_ok, no_wait) {
        Some(why) => {
            crate::errln!("probe skipped: {why}");
            (None, Some(why))
        }
        None => (super::probe::after_deploy(c, stack, &deployed, endpoint).await?, None),
    };
    if let Some(p) = &probe
        && !g.json
    {
        crate::err!("{}", p.render());
    }
    let outputs = outputs_of(stack, &c.region, &deployed);
    if g.json {
        crate::outln!(
            "{}",
            to_json(&DeployJson {
                plan: plan.to_json(),
                outputs,
                probe: probe.as_ref().map(ProbeReport::to_json),
                probe_skipped,
            })
        );
    } else {
        if plan.is_empty() {
            crate::outln!("No changes: AWS matches the stack `{}`.", stack.name);
        } else {
            let s = plan.to_json().summary;
            crate::outln!(
                "Deployed `{}`: {} created, {} updated, {} deleted in {took:.1} s.",
                stack.name,
                s.create,
                s.update,
                s.delete
            );
        }
        print_outputs(&outputs);
    }
    if !issuer_ok {
        crate::errln!("error: deployed, but API Gateway cannot use the issuer (see above): the stack does not work until that is fixed");
        return Ok(exit::FAILURE);
    }
    if probe.as_ref().is_some_and(|p| !p.behaves()) {
        crate::errln!(
            "error: deployed, but the live gateway does not answer as the stack says (see above); `jwtstack probe` runs the same requests again"
        );
        return Ok(exit::PROBE_FAILED);
    }
    Ok(exit::OK)
}

/// Why `deploy` does not probe the gateway it deployed (or the one `--probe-endpoint` names), if it does not.
fn probe_skip_reason(
    g: &Global,
    stack: &Stack,
    deployed: &Deployed,
    no_probe: bool,
    endpoint: Option<&str>,
    issuer_ok: bool,
    no_wait: bool,
) -> Option<String> {
    if no_probe {
        return Some("--no-probe".into());
    }
    if (deployed.private || stack.endpoint == Some(jwtstack_core::config::RestEndpoint::Private)) && endpoint.is_none() {
        return Some(PRIVATE_PROBE.into());
    }
    if g.on_emulator() && endpoint.is_none() {
        return Some(
            "--endpoint-url sends AWS calls to an emulator, which serves no API; `--probe-endpoint URL` (or `jwtstack probe --endpoint URL`) probes a gateway you name (`jwtstack serve`, say)"
                .into(),
        );
    }
    if deployed.api_endpoint.is_none() && endpoint.is_none() {
        return Some(format!("stack `{}` has no API endpoint to probe", stack.name));
    }
    if !issuer_ok {
        return Some("API Gateway cannot use the issuer (see above): every token would be refused".into());
    }
    if no_wait && stack.hosted().is_some_and(|h| h.cloudfront.is_some()) {
        return Some("--no-wait: the distribution may not serve the issuer yet; `jwtstack probe` once it does".into());
    }
    None
}

/// After a deploy, reads the hosted issuer as API Gateway will and reports what would fail; false when API
/// Gateway could not use it. On an emulator (`--endpoint-url`) the default issuer URL is real AWS's S3, which
/// the emulator does not serve: it says so and skips (an `issuer.url` of the user's own is read).
async fn check_hosted_issuer(g: &Global, stack: &Stack, region: &str, skip: bool) -> bool {
    let url = stack.issuer_url(region);
    if skip {
        return true;
    }
    if g.on_emulator() && stack.hosted().is_some_and(|h| h.served_by_aws()) {
        crate::errln!(
            "issuer check skipped: --endpoint-url sends AWS calls to an emulator, which does not serve {url}; run `jwtstack check` against real AWS"
        );
        return true;
    }
    let report = fetch::check(&url, &issuer::Expect::of(stack)).await;
    if report.ok() && report.findings.is_empty() {
        crate::errln!(
            "issuer check: {} serves the discovery document and JWKS as API Gateway reads them",
            url
        );
    } else {
        crate::err!("{}", report.render());
        if report.ok() {
            crate::errln!(
                "issuer check: API Gateway accepts the issuer; the warnings above are worth fixing (`jwtstack check` re-runs it)"
            );
        }
    }
    report.ok()
}

pub async fn unlock(c: &Clients, stack: &Stack, yes: bool) -> Result<u8, Error> {
    if !yes {
        return Err(Error::Usage(
            "unlock clears the lock whoever holds it: pass --yes once you are sure that run is gone".into(),
        ));
    }
    match lock::force_unlock(c, &stack.name).await? {
        Some(holder) => crate::outln!("Cleared the lock of stack `{}`, held by {holder}.", stack.name),
        None => crate::outln!("Stack `{}` was not locked.", stack.name),
    }
    Ok(exit::OK)
}

pub async fn teardown(g: &Global, c: &Clients, stack: &Stack, yes: bool, keep_keys: bool, lock_timeout: Duration) -> Result<u8, Error> {
    let started = std::time::Instant::now();
    let progress = Progress::new(false);
    let prepared = converge::prepare(c, stack, Goal::Teardown { keep_keys }, &|e| progress.report(e)).await?;
    if !prepared.plan.is_empty() {
        crate::err!("{}", render_text(&prepared.plan, false));
        if !yes {
            confirm(stack, prepared.plan.steps.len())?;
        }
    }
    let done = prepared.run(lock_timeout, &|e| progress.report(e)).await;
    progress.finish();
    let done = done?;
    let plan = done.plan;
    if plan.is_empty() {
        // A lock left by a dead run is the last thing the stack owns.
        if done.before.lock.stale && lock::remove_if_stale(c, &stack.name, "teardown").await? {
            crate::errln!("removed the run lock left by a run that is gone");
        }
        if done.before.lock.marks.iter().any(|m| m.gone) {
            let removed = lock::remove_dead_marks(c, &stack.name, None, &done.before.lock.marks).await?;
            if removed > 0 {
                crate::errln!("removed {removed} takeover mark(s) of the lock left by runs that are gone");
            }
        }
        if g.json {
            crate::outln!("{}", to_json(&TeardownJson { removed: plan.to_json() }));
        } else {
            for n in &plan.notes {
                crate::outln!("note: {n}");
            }
            crate::outln!("Nothing to remove: stack `{}` owns nothing in {}.", stack.name, c.region);
        }
        return Ok(exit::OK);
    }
    if g.json {
        crate::outln!("{}", to_json(&TeardownJson { removed: plan.to_json() }));
    } else {
        // The plan's own count: its `-` lines (a kept bucket's policy, say, is an update, not a removal).
        let s = plan.to_json().summary;
        let updated = if s.update > 0 {
            format!(", updated {}", s.update)
        } else {
            String::new()
        };
        crate::outln!(
            "Removed {} resource(s) of stack `{}`{updated} in {:.1} s.",
            s.delete,
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
    let inv = inventory::read(c, stack).await?;
    let ctx = Deployed::of(&inv, &stack.name);
    if ctx.api_id.is_none() {
        return Err(Error::Failure(format!(
            "stack `{}` has no HTTP API in {}: run `jwtstack deploy` first",
            stack.name, c.region
        )));
    }
    let outputs = outputs_of(stack, &c.region, &ctx);
    if g.json {
        crate::outln!("{}", to_json(&outputs));
    } else {
        print_outputs(&outputs);
    }
    Ok(exit::OK)
}

/// Why a private REST API is not probed from here, and how it is.
pub(crate) const PRIVATE_PROBE: &str = "a private REST API answers only through its VPC endpoints: from inside the VPC, with private DNS on the execute-api endpoint, `jwtstack probe --endpoint https://{api-id}.execute-api.{region}.amazonaws.com/{stage}` probes it";
