//! The stage settings of a REST API the stack owns: its access log (into the stack's log group, in jwtstack's
//! format with REST's variables) and the throttling of every method (`*/*`), by one UpdateStage after the
//! deployment that makes the stage. An adopted API's stage is the API's own (its settings are refused in the
//! stack file).
//!
//! A REST stage writes its access log through API Gateway's CloudWatch Logs role, an account setting per
//! region ("CloudWatch Logs role ARN must be set in account settings to enable logging", UpdateStage's answer
//! without it: Miserlou/Zappa#1946, anomalyco/sst#1556): a stack that declares `access_log` where the account
//! has none is refused before any change.

use super::super::desired::Planner;
use super::super::stage::{access_log_diff, throttling_diff, throttling_text};
use super::super::{AccessLogTarget, Conflict, Diff, Ref, group_of_arn};
use super::RestStep;
use crate::names::{REST_ACCESS_LOG_FORMAT, is_access_log_group};

/// The stage's access log and throttling, where they differ from what the stack declares; an access log into
/// the stack's own group stops when the stack no longer declares it (the group goes after).
pub(in crate::plan) fn settings(p: &mut Planner<'_>) -> Result<(), Conflict> {
    if p.d.api().is_none() || !p.api_owned() {
        return Ok(());
    }
    let (stack, inv) = (p.d.stack, p.inv);
    let current = inv.rest.stage.as_ref();
    let mut diffs = Vec::new();
    let current_group = current
        .and_then(|s| s.access_log.as_ref())
        .map(|a| group_of_arn(&a.destination).to_string());
    let mut access_log = None;
    match p.d.access_log().map(|_| inv.log_group.group_name(&stack.name)) {
        Some(group) => {
            if let Some(diff) = access_log_diff(current.and_then(|s| s.access_log.as_ref()), &group, REST_ACCESS_LOG_FORMAT) {
                diffs.push(diff);
                // Refused only where the stage's log is to be written: a stage that has it keeps it.
                if inv.rest.logging_role == Some(false) {
                    return Err(Conflict::RestLogRoleMissing {
                        region: inv.region.clone(),
                    });
                }
                access_log = Some(Some(AccessLogTarget {
                    group,
                    arn: Ref::from_option(inv.log_group.found.as_ref().map(|g| g.arn.clone())),
                }));
            }
        }
        None => {
            if let Some(g) = current_group.filter(|g| is_access_log_group(&stack.name, g)) {
                diffs.push(Diff::new("access_log", g, "none"));
                access_log = Some(None);
            }
        }
    }
    let current_throttling = current.and_then(|s| s.throttling);
    let mut throttling = None;
    match p.d.throttling() {
        Some(t) => {
            if let Some(diff) = throttling_diff(current_throttling, t) {
                diffs.push(diff);
                throttling = Some(t);
            }
        }
        None if current_throttling.is_some() => p.note(format!(
            "throttling is not declared, but stage {} keeps {} on every method: set it on the stage, or declare the limits you want",
            stack.rest_stage(),
            throttling_text(current_throttling)
        )),
        None => {}
    }
    if diffs.is_empty() {
        return Ok(());
    }
    let api = p.api();
    p.push(RestStep::ConfigureStage {
        api,
        stage: stack.rest_stage().to_string(),
        access_log,
        throttling,
        diffs,
    });
    Ok(())
}
