//! `jwtstack logs`: the access log's recent requests, denied ones with the authorizer's reason and its fix;
//! with `--token-endpoint`, the token endpoint's refusals and failures from its function's log.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::cli::Global;
use crate::error::Error;
use crate::exit;
use jwtstack_aws::{AwsError, Clients, logs};
use jwtstack_core::access_log::{Request, StatusFilter, time_text};
use jwtstack_core::config::{Stack, parse_duration_str};
use jwtstack_core::oauth::events::TokenEvent;

/// How often `--follow` asks CloudWatch Logs for new events.
const FOLLOW_EVERY: Duration = Duration::from_secs(2);

pub async fn logs(g: &Global, c: &Clients, stack: &Stack, since: &str, follow: bool, status: Option<&str>) -> Result<u8, Error> {
    if stack.access_log.is_none() {
        return Err(Error::Usage(format!(
            "stack `{}` has no access log: add `access_log: {{retention_days: 30}}` to the stack file and deploy; requests are logged from then on",
            stack.name
        )));
    }
    let filter = status.map(StatusFilter::parse).transpose().map_err(Error::Usage)?;
    let back = parse_duration_str(since).map_err(|e| Error::Usage(format!("--since {since}: {e}")))?;
    // The group the stack recorded creating (a stack made before groups moved under /aws/vendedlogs/ keeps its own).
    let record = jwtstack_aws::ssm::get_string(c, &jwtstack_core::names::access_log_record(&stack.name)).await?;
    let group = jwtstack_core::names::recorded_access_log_group(&stack.name, record.as_deref());
    let (mut shown, mut other) = (0usize, 0usize);
    each_event(c, &group, back, follow, |e| {
        let Some(r) = Request::parse(&e.message) else {
            other += 1;
            return;
        };
        if filter.is_some_and(|f| !f.matches(r.status())) {
            return;
        }
        shown += 1;
        if g.json {
            let mut v = serde_json::to_value(&r).unwrap_or_default();
            v["time"] = serde_json::Value::String(time_text(e.timestamp));
            if let Some(fix) = r.denial().and_then(jwtstack_core::access_log::fix_for) {
                v["fix"] = serde_json::Value::String(fix.into());
            }
            crate::outln!("{v}");
        } else {
            crate::outln!("{}", r.render(&time_text(e.timestamp)));
        }
    })
    .await?;
    if !g.json {
        crate::errln!(
            "{shown} request(s) from {group} in the last {since}{}{}",
            status.map(|s| format!(" with status {s}")).unwrap_or_default(),
            if other > 0 {
                format!(" ({other} line(s) not in jwtstack's format skipped)")
            } else {
                String::new()
            }
        );
    }
    Ok(exit::OK)
}

/// `logs --token-endpoint`: the refusals and failures the token endpoint's function logged.
pub async fn token_endpoint(g: &Global, c: &Clients, stack: &Stack, since: &str, follow: bool) -> Result<u8, Error> {
    if stack.token_endpoint.is_none() {
        return Err(Error::Usage(format!(
            "stack `{}` declares no token_endpoint: add `token_endpoint: {{}}` to the stack file and deploy (docs/token-endpoint.md)",
            stack.name
        )));
    }
    let back = parse_duration_str(since).map_err(|e| Error::Usage(format!("--since {since}: {e}")))?;
    let group = jwtstack_core::names::token_function_log_group(&stack.name);
    let mut shown = 0usize;
    let read = each_event(c, &group, back, follow, |e| {
        let Some(event) = TokenEvent::parse(&e.message) else { return };
        shown += 1;
        if g.json {
            let mut v = serde_json::to_value(&event).unwrap_or_default();
            v["time"] = serde_json::Value::String(time_text(e.timestamp));
            crate::outln!("{v}");
        } else {
            crate::outln!("{}", event.render(&time_text(e.timestamp)));
        }
    })
    .await;
    match read {
        Err(e) if e.is_not_found() => {
            return Err(Error::Usage(format!(
                "the token endpoint's log group {group} does not exist: deploy the stack first"
            )));
        }
        other => other?,
    }
    if !g.json {
        crate::errln!("{shown} refusal(s) or failure(s) of the token endpoint from {group} in the last {since}");
    }
    Ok(exit::OK)
}

/// Each event of `group` from `back` seconds ago, in order, each once; with `follow`, new ones every
/// [`FOLLOW_EVERY`] until Ctrl-C.
async fn each_event(c: &Clients, group: &str, back: u64, follow: bool, mut on: impl FnMut(&logs::Event)) -> Result<(), AwsError> {
    let mut start = jwtstack_core::clock::now_secs().saturating_sub(back) as i64 * 1000;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    loop {
        for e in logs::events_since(c, group, start).await? {
            // Following re-reads from the last event's millisecond: events already shown come back.
            if !seen.insert(e.id.clone()) {
                continue;
            }
            start = start.max(e.timestamp);
            on(&e);
        }
        if !follow {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::time::sleep(FOLLOW_EVERY) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
