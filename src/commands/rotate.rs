//! rotate, status, keys delete: the key lifecycle. The rules are in `rotation`; this is the I/O around them.

use std::path::Path;
use std::time::Duration;

use super::progress::Progress;
use crate::cli::{Global, RotateOpts, RotateStep};
use crate::error::Error;
use crate::exit;
use crate::output::{KeyDeletedJson, RotateJson, to_json};
use jwtstack_aws::converge::{Converged, Goal, converge};
use jwtstack_aws::{Clients, inventory};
use jwtstack_core::clock;
use jwtstack_core::config::{self, Stack};
use jwtstack_core::names;
use jwtstack_core::plan::{Inventory, KeyHome, KeyStep, Step};
use jwtstack_core::rotation::{self, Edit, LiveGateway, SafeFrom, Status};

/// The kids in the JWKS as deployed.
fn live_kids(stack: &Stack, inv: &Inventory) -> Vec<String> {
    stack.hosted().map(|h| inv.published_kids(&h.jwks_key())).unwrap_or_default()
}

async fn read_status(c: &Clients, stack: &Stack) -> Result<(Status, Inventory), Error> {
    let inv = inventory::read(c, stack).await?;
    let live = live_kids(stack, &inv);
    Ok((rotation::status(stack, &inv, &live, clock::rotation_now())?, inv))
}

/// Whether `status` asks a live gateway about the next key, and which.
#[derive(Debug, Clone, Copy)]
pub enum Ask<'a> {
    /// `jwtstack status`: reads only (its IAM policy may not sign).
    Nothing,
    /// The stack's deployed API.
    Deployed,
    /// The gateway `--endpoint` names.
    At(&'a str),
}

/// Where the rotation stands, with the live gateway's evidence about the next key when `ask` says so.
pub async fn status(g: &Global, c: &Clients, stack: &Stack, ask: Ask<'_>) -> Result<u8, Error> {
    if let Ask::At(e) = ask {
        super::probe::check_endpoint(e)?;
    }
    let (mut status, inv) = read_status(c, stack).await?;
    if !matches!(ask, Ask::Nothing) {
        status.live_gateway = next_key_on_the_gateway(g, c, stack, &status, &inv, ask).await;
    }
    if g.json {
        crate::outln!("{}", to_json(&status));
    } else {
        crate::out!("{}", render_status(&status));
    }
    Ok(exit::OK)
}

/// Asks the live gateway whether it accepts the next key: a token of it without scopes gets 403 once API
/// Gateway has its public half, 401 before. Not asked on an emulator, which serves no API, unless `endpoint`
/// names a gateway.
async fn next_key_on_the_gateway(
    g: &Global,
    c: &Clients,
    stack: &Stack,
    status: &Status,
    inv: &Inventory,
    ask: Ask<'_>,
) -> Option<LiveGateway> {
    let next = status.keys.iter().find(|k| k.role == "next" && k.store.is_some())?;
    let said = |accepted, evidence: String| {
        Some(LiveGateway {
            kid: next.kid.clone(),
            accepted,
            evidence,
        })
    };
    let endpoint = match ask {
        Ask::At(e) => e.to_string(),
        _ if g.on_emulator() => {
            return said(
                None,
                "not asked: an emulator serves no API (--endpoint names a gateway to ask)".into(),
            );
        }
        _ => match jwtstack_aws::apply::Deployed::of(inv, &stack.name).api_endpoint {
            Some(e) => e,
            None => return said(None, "not asked: the stack has no deployed API".into()),
        },
    };
    let Some(case) = jwtstack_core::probe::key_check(stack) else {
        return said(None, "not asked: no protected route has scopes, so no request tells".into());
    };
    let signer = match jwtstack_aws::signer::stack_signer(c, stack, &next.kid).await {
        Ok(s) => s,
        Err(e) => {
            return said(
                None,
                format!("not asked: the next key cannot be used here ({})", e.message.escape_debug()),
            );
        }
    };
    let plan = jwtstack_core::probe::ProbePlan {
        cases: vec![case],
        unproven: Vec::new(),
    };
    let keys = jwtstack_aws::probe::ProbeKeys {
        signer: Some(&signer),
        kid: Some(next.kid.clone()),
        issuer: stack.issuer_url(&c.region),
        audience: stack.audience[0].clone(),
        claims: jwtstack_core::probe::required_claims(stack),
    };
    let report = jwtstack_aws::probe::run(&plan, &endpoint, &keys, jwtstack_aws::probe::Patience::NONE).await;
    let r = report.results.first()?;
    let on = format!("{} {}", r.case.method, r.case.path);
    match &r.answer {
        Ok(a) if a.status == 403 => said(
            Some(true),
            format!("a token of {} without scopes got 403 on {on}: its signature is accepted", next.kid),
        ),
        Ok(a) if a.status == 401 => said(
            Some(false),
            format!(
                "a token of {} got 401 on {on}{}: the gateway does not accept it yet",
                next.kid,
                a.www_authenticate
                    .as_deref()
                    .map(|w| format!(" ({})", w.escape_debug()))
                    .unwrap_or_default()
            ),
        ),
        Ok(a) => said(
            None,
            format!("a token of {} got {} on {on}, which does not tell", next.kid, a.status),
        ),
        Err(e) => said(None, format!("no answer that tells from {endpoint}: {}", e.escape_debug())),
    }
}

fn when(s: &SafeFrom, now: i64) -> String {
    match s {
        SafeFrom::At(t) if *t <= now => "now".into(),
        SafeFrom::At(t) => format!("from {} (in {})", clock::format_utc(*t), clock::format_span(t - now)),
        SafeFrom::Unknown(why) => format!("unknown: {why}"),
    }
}

/// The human status: one line per key, then the next step.
pub fn render_status(s: &Status) -> String {
    let mut out = format!("Stack `{}`: {}\n", s.stack, s.phase.describe());
    out.push_str(&format!(
        "  {:<28} {:<11} {:<4} {:<9} {:<7} {:<7} NOTE\n",
        "KID", "ROLE", "KEY", "PUBLISHED", "SIGNING", "AGE"
    ));
    let yes = |b: bool| if b { "yes" } else { "no" };
    for k in &s.keys {
        let age = k.created.map(|c| clock::format_span(s.now - c)).unwrap_or_else(|| "-".into());
        let note = match (&k.role[..], &k.safe_from) {
            ("next", Some(f)) => format!("activate: {}", when(f, s.now)),
            ("previous", Some(f)) => format!("retire: {}", when(f, s.now)),
            _ if k.deletion.is_some() => format!(
                "KMS deletes it {} (aws kms cancel-key-deletion undoes it)",
                k.deletion.map(clock::format_utc).unwrap_or_default()
            ),
            ("unpublished", _) if k.store.is_some() && !k.published => format!("may be deleted: jwtstack keys delete {} --yes", k.kid),
            ("unpublished", _) if k.published => "published but not in the stack file: deploy unpublishes it".into(),
            _ => String::new(),
        };
        out.push_str(&format!(
            "  {:<28} {:<11} {:<4} {:<9} {:<7} {:<7} {}\n",
            k.kid,
            k.role,
            k.store.unwrap_or("none"),
            yes(k.published),
            yes(k.signing),
            age,
            note
        ));
    }
    if let Some(live) = &s.live_gateway {
        out.push_str(&format!("Live gateway: {}\n", live.evidence));
    }
    if let Some(step) = &s.next_step {
        match &s.next_step_from {
            Some(f) => out.push_str(&format!("Next: {step}, {}\n", when(f, s.now))),
            None => out.push_str(&format!("Next: {step}, when you want a new signing key\n")),
        }
    }
    out
}

/// A step that edits the stack file and deploys.
enum Taken {
    Start { kid: Option<String>, opts: RotateOpts },
    Activate { force: bool, opts: RotateOpts },
    Finish { force: bool, opts: RotateOpts },
}

pub async fn rotate(g: &Global, c: &Clients, stack: &Stack, step: Option<RotateStep>) -> Result<u8, Error> {
    let step = match step {
        None | Some(RotateStep::Status { endpoint: None }) => return status(g, c, stack, Ask::Deployed).await,
        Some(RotateStep::Status { endpoint: Some(e) }) => return status(g, c, stack, Ask::At(&e)).await,
        Some(RotateStep::Start { kid, opts }) => Taken::Start { kid, opts },
        Some(RotateStep::Activate { force, opts }) => Taken::Activate { force, opts },
        Some(RotateStep::Finish { force, opts }) => Taken::Finish { force, opts },
    };
    let h = rotation::hosted(stack)?;
    let inv = &inventory::read(c, stack).await?;
    let now = clock::rotation_now();
    let (name, edit, opts) = match step {
        Taken::Start { kid, opts } => {
            let kid = kid.unwrap_or_else(|| rotation::new_kid(stack, h, inv, now));
            if !config::is_kid(&kid) {
                return Err(Error::Usage(format!(
                    "--kid `{kid}` is not 1 to 128 characters of A-Z, a-z, 0-9, -, _ and ."
                )));
            }
            ("start", rotation::start(stack, inv, &kid)?, opts)
        }
        Taken::Activate { force, opts } => ("activate", rotation::activate(stack, inv, now, force)?, opts),
        Taken::Finish { force, opts } => ("finish", rotation::finish(stack, inv, now, force)?, opts),
    };
    let lock_timeout = super::duration(&opts.lock_timeout)?;
    let file = &g.file;
    let (target, diff) = match edit {
        Edit::AlreadyDone(why) => {
            crate::errln!("{why}: nothing to edit in {}", file.display());
            (stack.clone(), String::new())
        }
        Edit::Fields(fields) => {
            let text = jwtstack_core::text::read_bounded_string(file, jwtstack_core::config::MAX_FILE_BYTES)
                .map_err(|e| Error::Failure(format!("reading {}: {e}", file.display())))?;
            let (new_text, new_stack) = config::edit_keys(&file.display().to_string(), &text, stack, &fields)?;
            let diff = similar::TextDiff::from_lines(&text, &new_text)
                .unified_diff()
                .context_radius(1)
                .header(&file.display().to_string(), &file.display().to_string())
                .to_string();
            if !opts.dry_run {
                write_atomically(file, &new_text)?;
            }
            (new_stack, diff)
        }
    };
    if opts.dry_run {
        if g.json {
            let out = RotateJson {
                step: name,
                edited: false,
                diff,
                deployed: false,
                plan: None,
                status: None,
            };
            crate::outln!("{}", to_json(&out));
        } else if diff.is_empty() {
            crate::outln!("Dry run: stack.yaml needs no edit; `jwtstack rotate {name}` would only deploy.");
        } else {
            crate::out!("{diff}");
            crate::outln!("Dry run: {} is unchanged and nothing was deployed.", file.display());
        }
        return Ok(exit::OK);
    }
    if !diff.is_empty() && !g.json {
        crate::out!("{diff}");
    }
    // A rotation waits for CloudFront: the next step's timing counts from when the new documents are served.
    let deploy = Goal::Deploy {
        skip_issuer_check: true,
        no_wait: false,
    };
    let progress = Progress::new(true);
    let converged = converge(c, &target, deploy, lock_timeout, &|e| progress.report(e)).await;
    progress.finish();
    let Converged { plan, .. } = converged.inspect_err(|_| {
        if !diff.is_empty() {
            crate::errln!(
                "{} was edited but the deploy did not finish: run `jwtstack rotate {name}` again to resume",
                file.display()
            );
        }
    })?;
    let (status, _) = read_status(c, &target).await?;
    if g.json {
        let out = RotateJson {
            step: name,
            edited: !diff.is_empty(),
            diff,
            deployed: true,
            plan: Some(plan.to_json()),
            status: Some(status),
        };
        crate::outln!("{}", to_json(&out));
    } else {
        let s = plan.to_json();
        for ch in s.changes.iter().filter(|c| c.resource == "jwks_key" || c.resource == "signing_key") {
            crate::outln!("  {} {} {}", ch.action.sign(), ch.resource, ch.name);
        }
        crate::outln!(
            "Deployed `{}`: {} created, {} updated, {} deleted.",
            target.name,
            s.summary.create,
            s.summary.update,
            s.summary.delete
        );
        crate::out!("{}", render_status(&status));
    }
    Ok(exit::OK)
}

/// Replaces the stack file in one rename, so a kill leaves the old or the new file, never half of one. A
/// stack file behind a link is edited where it is (the link stays a link); the temporary file is created
/// beside it exclusively, under a name of its own, so nothing planted there is followed or overwritten.
fn write_atomically(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write;
    let fail = |e: std::io::Error| Error::Failure(format!("writing {}: {e}", path.display()));
    let target = std::fs::canonicalize(path).map_err(fail)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".jwtstack-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(text.as_bytes()).map_err(fail)?;
    if let Ok(meta) = std::fs::metadata(&target) {
        tmp.as_file().set_permissions(meta.permissions()).map_err(fail)?;
    }
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(&target).map_err(|e| fail(e.error))?;
    Ok(())
}

pub async fn keys_delete(g: &Global, c: &Clients, stack: &Stack, kid: &str, yes: bool, lock_timeout: Duration) -> Result<u8, Error> {
    if !yes {
        return Err(Error::Usage(format!(
            "keys delete removes the private key of {kid} for good: tokens it signed can never be verified again. Pass --yes"
        )));
    }
    let progress = Progress::new(false);
    let done = converge(c, stack, Goal::DeleteKey { kid }, lock_timeout, &|e| progress.report(e)).await;
    progress.finish();
    let done = done?;
    let home = done.plan.steps.iter().find_map(|s| match s {
        Step::Key(KeyStep::Delete { home, .. }) => Some(home.clone()),
        _ => None,
    });
    let parameter = home.as_ref().map_or_else(|| stack.key_parameter(kid), |h| h.name().to_string());
    let kms = matches!(home, Some(KeyHome::Kms { .. }));
    if g.json {
        let out = KeyDeletedJson {
            deleted: kid.to_string(),
            parameter: parameter.clone(),
            store: if kms { "kms" } else { "ssm" },
            deletion_days: kms.then_some(names::KMS_DELETION_DAYS),
        };
        crate::outln!("{}", to_json(&out));
    } else if let Some(KeyHome::Kms { key_id, .. }) = &home {
        let key_id = key_id.as_deref().unwrap_or("?");
        crate::outln!(
            "Scheduled KMS key {key_id} of {kid} for deletion in {} days and removed its alias {parameter}; until then `aws kms cancel-key-deletion --key-id {key_id}` undoes it.",
            names::KMS_DELETION_DAYS
        );
    } else {
        crate::outln!("Deleted the private key of {kid} ({parameter}).");
    }
    Ok(exit::OK)
}
