//! The access log's CloudWatch Logs group, `/aws/vendedlogs/jwtstack/{name}/access` (a stack that made
//! `/jwtstack/{name}/access` before keeps it): recorded in `/jwtstack/{name}/access-log`
//! before it is created (so a killed run, or a stack that drops `access_log`, still finds it), tagged, kept
//! `retention_days`; a group of that name without the stack's tag is refused.

use super::desired::Planner;
use super::render::{ChangeJson, set};
use super::{Action, Conflict, Diff, KindStep, Placement, Step};
use crate::names::{access_log_group, access_log_record};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogGroupInfo {
    /// `arn:aws:logs:{region}:{account}:log-group:{name}` (without `:*`).
    pub arn: String,
    /// `None`: never expire.
    pub retention_days: Option<u32>,
    /// Carries the stack's tag.
    pub owned: bool,
}

/// The access log's group as AWS has it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogGroupSlice {
    pub found: Option<LogGroupInfo>,
    /// What `/jwtstack/{name}/access-log` names: the group the stack recorded creating.
    pub record: Option<String>,
}

impl LogGroupSlice {
    /// The stack's group: the one found (by the record: a stack that made its group under the old name keeps
    /// it), else where a new one goes.
    pub fn group_name(&self, stack: &str) -> String {
        match &self.found {
            Some(g) => group_of_arn(&g.arn).to_string(),
            None => access_log_group(stack),
        }
    }
}

/// The log group name inside a log group ARN (`arn:aws:logs:r:a:log-group:NAME[:*]`).
pub fn group_of_arn(arn: &str) -> &str {
    let name = arn.split_once(":log-group:").map(|(_, n)| n).unwrap_or(arn);
    name.strip_suffix(":*").unwrap_or(name)
}

/// One change to the log group or its record.
#[derive(Debug, Clone, PartialEq)]
pub enum LogGroupStep {
    /// The group, tagged, with its retention; `record` is written first.
    Create {
        name: String,
        retention_days: u32,
        record: String,
    },
    PutRetention {
        name: String,
        before: Option<u32>,
        after: u32,
    },
    /// Records a group of the stack that it had not recorded.
    Record {
        parameter: String,
        value: String,
    },
    /// Deletes the group, then its record.
    Delete {
        name: String,
        record: String,
    },
    /// Removes a record whose group is gone.
    DeleteRecord {
        parameter: String,
    },
}

impl From<LogGroupStep> for Step {
    fn from(s: LogGroupStep) -> Step {
        Step::LogGroup(s)
    }
}

impl KindStep for LogGroupStep {
    fn placement(&self) -> Placement {
        Placement::MAIN
    }

    fn lines(&self) -> Vec<ChangeJson> {
        vec![match self {
            LogGroupStep::Create { name, retention_days, .. } => ChangeJson::new(
                Action::Create,
                "logs_group",
                name.as_str(),
                vec![set("retention_days", retention_days.to_string())],
            ),
            LogGroupStep::PutRetention { name, before, after } => retention_change(name, *before, *after),
            LogGroupStep::Record { parameter, value } => ChangeJson::new(
                Action::Create,
                "ssm_parameter",
                parameter.as_str(),
                vec![set("value", value.as_str())],
            ),
            LogGroupStep::Delete { name, .. } => ChangeJson::new(Action::Delete, "logs_group", name.as_str(), vec![]),
            LogGroupStep::DeleteRecord { parameter } => ChangeJson::new(Action::Delete, "ssm_parameter", parameter.as_str(), vec![]),
        }]
    }
}

/// A log group's retention changing, as a plan line (the access log's group and the token endpoint's).
pub(super) fn retention_change(group: &str, before: Option<u32>, after: u32) -> ChangeJson {
    ChangeJson::new(
        Action::Update,
        "logs_group",
        group,
        vec![Diff::new(
            "retention_days",
            before.map(|b| b.to_string()).unwrap_or_else(|| "never expire".into()),
            after.to_string(),
        )],
    )
}

/// The log group, before the stage that writes to it.
pub(super) fn plan(p: &mut Planner<'_>) -> Result<(), Conflict> {
    let Some(al) = p.d.access_log() else {
        return Ok(());
    };
    let (stack, inv) = (p.d.stack, p.inv);
    let name = inv.log_group.group_name(&stack.name);
    match &inv.log_group.found {
        None => p.push(LogGroupStep::Create {
            name,
            retention_days: al.retention_days,
            record: access_log_record(&stack.name),
        }),
        Some(g) if !g.owned => {
            return Err(Conflict::LogGroupTaken {
                name,
                stack: stack.name.clone(),
            });
        }
        Some(g) => {
            if g.retention_days != Some(al.retention_days) {
                p.push(LogGroupStep::PutRetention {
                    name: name.clone(),
                    before: g.retention_days,
                    after: al.retention_days,
                });
            }
            if inv.log_group.record.as_deref() != Some(name.as_str()) {
                p.push(LogGroupStep::Record {
                    parameter: access_log_record(&stack.name),
                    value: name,
                });
            }
        }
    }
    Ok(())
}

/// The group, when the stack owns it and no longer declares it (after the stage or API that writes to it),
/// or the record of a group that is gone.
pub(super) fn remove(p: &mut Planner<'_>) {
    if p.d.access_log().is_some() {
        return;
    }
    let (stack, inv) = (p.d.stack, p.inv);
    if inv.log_group.found.as_ref().is_some_and(|g| g.owned) {
        p.push(LogGroupStep::Delete {
            name: inv.log_group.group_name(&stack.name),
            record: access_log_record(&stack.name),
        });
    } else if inv.log_group.record.is_some() {
        p.push(LogGroupStep::DeleteRecord {
            parameter: access_log_record(&stack.name),
        });
    }
}

#[cfg(test)]
impl LogGroupStep {
    pub(super) fn simulate(&self, inv: &mut super::Inventory) {
        let slice = &mut inv.log_group;
        match self {
            LogGroupStep::Create { name, retention_days, .. } => {
                slice.record = Some(name.clone());
                slice.found = Some(LogGroupInfo {
                    arn: format!("arn:aws:logs:us-east-1:123456789012:log-group:{name}"),
                    retention_days: Some(*retention_days),
                    owned: true,
                });
            }
            LogGroupStep::PutRetention { after, .. } => slice.found.as_mut().expect("the group exists").retention_days = Some(*after),
            LogGroupStep::Record { value, .. } => slice.record = Some(value.clone()),
            LogGroupStep::Delete { .. } => {
                slice.found = None;
                slice.record = None;
            }
            LogGroupStep::DeleteRecord { .. } => slice.record = None,
        }
    }
}
