//! `jwtstack logs`: the access log's recent requests, denied ones with the authorizer's reason and its fix.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::cli::Global;
use crate::error::Error;
use crate::exit;
use jwtstack_aws::{Clients, logs};
use jwtstack_core::access_log::{Request, StatusFilter, time_text};
use jwtstack_core::config::{Stack, parse_duration_str};

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
    let mut start = jwtstack_core::clock::now_secs().saturating_sub(back) as i64 * 1000;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let (mut shown, mut other) = (0usize, 0usize);
    loop {
        let events = logs::events_since(c, &group, start).await?;
        for e in &events {
            // Following re-reads from the last event's millisecond: events already printed come back.
            if !seen.insert(e.id.clone()) {
                continue;
            }
            start = start.max(e.timestamp);
            let Some(r) = Request::parse(&e.message) else {
                other += 1;
                continue;
            };
            if filter.is_some_and(|f| !f.matches(r.status())) {
                continue;
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
        }
        if !follow {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(FOLLOW_EVERY) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
    }
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
