//! The `$default` stage: created auto-deploying (so route changes go live) with the access log and throttling
//! the stack declares, or brought to them. What the stack does not declare is left as the stage has it, with
//! one exception: an access log into the stack's own group, which goes with the group.

use super::desired::Planner;
use super::render::{ChangeJson, set};
use super::{Action, ApiId, Diff, KindStep, Placement, Ref, Step, group_of_arn};
use crate::config::Throttling;
use crate::names::{ACCESS_LOG_FORMAT, STAGE_NAME};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StageInfo {
    pub auto_deploy: bool,
    pub owned: bool,
    /// Where and how the stage writes its access log.
    pub access_log: Option<AccessLogSettings>,
    /// The default route throttling (rate, burst), when configured.
    pub throttling: Option<(f64, i32)>,
    /// The default route settings' detailed metrics flag (kept as it is on every update).
    pub detailed_metrics: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessLogSettings {
    /// The log group's ARN (without `:*`).
    pub destination: String,
    pub format: String,
}

/// The log group a stage writes its access log to: named by the stack, its ARN known once it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogTarget {
    pub group: String,
    pub arn: Ref<String>,
}

/// What the stack sets on the `$default` stage.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StageSettings {
    pub access_log: Option<AccessLogTarget>,
    pub throttling: Option<Throttling>,
    /// Kept as the stage has it (a default route settings object replaces the stage's whole).
    pub detailed_metrics: bool,
}

/// One change to the stage.
#[derive(Debug, Clone, PartialEq)]
pub enum StageStep {
    /// The `$default` stage, auto-deploying, with the settings the stack declares.
    Create {
        api: Ref<ApiId>,
        settings: StageSettings,
    },
    /// Turns auto-deploy on.
    EnableAutoDeploy {
        api: Ref<ApiId>,
    },
    /// Writes the declared access log and throttling onto the stage (one UpdateStage).
    Configure {
        api: Ref<ApiId>,
        diffs: Vec<Diff>,
        settings: StageSettings,
    },
    /// Stops the stage writing to the stack's log group (DeleteAccessLogSettings).
    DeleteAccessLog {
        api: Ref<ApiId>,
    },
    Delete {
        api: Ref<ApiId>,
    },
}

impl From<StageStep> for Step {
    fn from(s: StageStep) -> Step {
        Step::Stage(s)
    }
}

impl KindStep for StageStep {
    fn placement(&self) -> Placement {
        match self {
            // The stage made or set to auto-deploy: what the API holds goes live through its deployment.
            StageStep::Create { .. } | StageStep::EnableAutoDeploy { .. } => Placement {
                deploys: true,
                ..Placement::MAIN
            },
            StageStep::Configure { .. } | StageStep::DeleteAccessLog { .. } | StageStep::Delete { .. } => Placement::MAIN,
        }
    }

    fn lines(&self) -> Vec<ChangeJson> {
        let (action, diffs) = match self {
            StageStep::Create { settings, .. } => (Action::Create, created(settings)),
            StageStep::EnableAutoDeploy { .. } => (Action::Update, vec![Diff::new("auto_deploy", "false", "true")]),
            StageStep::Configure { diffs, .. } => (Action::Update, diffs.clone()),
            StageStep::DeleteAccessLog { .. } => (Action::Update, vec![Diff::new("access_log", "the stack's log group", "none")]),
            StageStep::Delete { .. } => (Action::Delete, vec![]),
        };
        vec![ChangeJson::new(action, "apigw_stage", STAGE_NAME, diffs)]
    }
}

fn created(s: &StageSettings) -> Vec<Diff> {
    let mut v = vec![set("auto_deploy", "true")];
    if let Some(a) = &s.access_log {
        v.push(set("access_log", a.group.as_str()));
    }
    if let Some(t) = s.throttling {
        v.push(set("throttling", format!("rate {} burst {}", t.rate, t.burst)));
    }
    v
}

pub(in crate::plan) fn throttling_text(t: Option<(f64, i32)>) -> String {
    t.map(|(r, b)| format!("rate {r} burst {b}")).unwrap_or_else(|| "none".into())
}

/// The change that brings a stage's access log (`current`) to the group `group` in `format`, if any: an HTTP
/// API's `$default` stage and a REST API's stage alike.
pub(in crate::plan) fn access_log_diff(current: Option<&AccessLogSettings>, group: &str, format: &str) -> Option<Diff> {
    let current_group = current.map(|a| group_of_arn(&a.destination));
    if current_group != Some(group) {
        Some(Diff::new("access_log", current_group.unwrap_or("none"), group))
    } else if current.is_some_and(|a| a.format != format) {
        Some(Diff::new("access_log_format", "another format", "jwtstack's JSON format"))
    } else {
        None
    }
}

/// The change that brings a stage's throttling (`current`: rate, burst) to `wanted`, if any.
pub(in crate::plan) fn throttling_diff(current: Option<(f64, i32)>, wanted: Throttling) -> Option<Diff> {
    let wanted = (f64::from(wanted.rate), wanted.burst);
    (current != Some(wanted)).then(|| Diff::new("throttling", throttling_text(current), throttling_text(Some(wanted))))
}

/// The stage: created with the declared settings, or brought to them.
pub(super) fn plan(p: &mut Planner<'_>) {
    if p.d.api().is_none() {
        return;
    }
    let (stack, inv) = (p.d.stack, p.inv);
    let group = p.d.access_log().map(|_| inv.log_group.group_name(&stack.name));
    let settings = StageSettings {
        access_log: group.clone().map(|group| AccessLogTarget {
            group,
            arn: Ref::from_option(inv.log_group.found.as_ref().map(|g| g.arn.clone())),
        }),
        throttling: p.d.throttling(),
        detailed_metrics: inv.stage.as_ref().is_some_and(|s| s.detailed_metrics),
    };
    let api = p.api();
    let Some(s) = &inv.stage else {
        p.push(StageStep::Create { api, settings });
        return;
    };
    if !s.auto_deploy {
        if s.owned {
            p.push(StageStep::EnableAutoDeploy { api: api.clone() });
        } else {
            p.note(
                "the $default stage is not managed by this stack and has auto-deploy off: deploy the API for route changes to go live"
                    .into(),
            );
        }
    }
    let mut diffs = Vec::new();
    if let Some(g) = &group {
        diffs.extend(access_log_diff(s.access_log.as_ref(), g, ACCESS_LOG_FORMAT));
    }
    let current = s.throttling;
    match p.d.throttling() {
        Some(t) => diffs.extend(throttling_diff(current, t)),
        None if current.is_some() && s.owned => p.note(format!(
            "throttling is not declared, but the $default stage keeps {}: API Gateway cannot unset a stage's throttling (an update without values sets both to 0, and every request gets 429; terraform-provider-aws#30373). Declare the limits you want, or run teardown and deploy to recreate the stage without them",
            throttling_text(current)
        )),
        None => {}
    }
    if !diffs.is_empty() {
        p.push(StageStep::Configure { api, diffs, settings });
    }
}

/// The access log setting that points at the stack's own group, once the stack no longer declares it (the
/// group goes last, after the stage that writes to it); and for teardown of an adopted API, a word on the
/// throttling the stage keeps.
pub(super) fn remove_access_log(p: &mut Planner<'_>) {
    if p.api_goes() {
        return;
    }
    let (stack, inv) = (p.d.stack, p.inv);
    if let Some(s) = &inv.stage
        && p.d.access_log().is_none()
        && s.access_log
            .as_ref()
            .is_some_and(|a| crate::names::is_access_log_group(&stack.name, group_of_arn(&a.destination)))
    {
        let api = p.api();
        p.push(StageStep::DeleteAccessLog { api });
    }
    if p.d.is_teardown()
        && let Some((r, b)) = inv.stage.as_ref().and_then(|s| s.throttling)
        && stack.throttling.is_some()
    {
        p.note(format!(
            "the adopted API's $default stage keeps the throttling the stack set (rate {r} burst {b}): API Gateway cannot unset it without recreating the stage, and the stage is not the stack's"
        ));
    }
}

/// Teardown of an adopted API: the stage, when the stack created it.
pub(super) fn remove(p: &mut Planner<'_>) {
    if p.d.api().is_some() || p.api_goes() {
        return;
    }
    if p.inv.stage.as_ref().is_some_and(|s| s.owned) {
        let api = p.api();
        p.push(StageStep::Delete { api });
    }
}

#[cfg(test)]
impl StageStep {
    pub(super) fn simulate(&self, inv: &mut super::Inventory) {
        match self {
            StageStep::Create { settings, .. } => {
                inv.stage = Some(StageInfo {
                    auto_deploy: true,
                    owned: true,
                    ..Default::default()
                });
                configure(inv, settings);
            }
            StageStep::Configure { settings, .. } => configure(inv, settings),
            StageStep::EnableAutoDeploy { .. } => inv.stage.as_mut().expect("the stage exists").auto_deploy = true,
            StageStep::DeleteAccessLog { .. } => inv.stage.as_mut().expect("the stage exists").access_log = None,
            StageStep::Delete { .. } => inv.stage = None,
        }
    }
}

/// The stage's settings after an UpdateStage that sends them (what is not sent stays).
#[cfg(test)]
fn configure(inv: &mut super::Inventory, settings: &StageSettings) {
    let arn = inv.log_group.found.as_ref().map(|g| g.arn.clone());
    let st = inv.stage.as_mut().expect("the stage exists");
    if settings.access_log.is_some() {
        st.access_log = Some(AccessLogSettings {
            destination: arn.expect("the log group exists"),
            format: ACCESS_LOG_FORMAT.into(),
        });
    }
    if let Some(t) = settings.throttling {
        st.throttling = Some((f64::from(t.rate), t.burst));
    }
}
