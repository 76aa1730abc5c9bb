//! Lambda invoke permissions: one statement of the stack's in each function's resource policy that a route
//! invokes, allowing API Gateway from this stack's API only; a function that does not exist is refused before
//! any change.

use std::collections::{BTreeMap, BTreeSet};

use super::desired::{Desired, Planner};
use super::render::{ChangeJson, set};
use super::{Action, ApiId, Conflict, Diff, Group, Inventory, KindStep, Placement, Ref, Step};
use crate::names::source_arn;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PermissionInfo {
    /// The SourceArn condition of the stack's statement.
    pub source_arn: Option<String>,
}

/// The functions' resource policies as Lambda has them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PermissionSlice {
    /// The stack's statement in each function's policy, by function ARN.
    pub statements: BTreeMap<String, PermissionInfo>,
    /// Functions named by the stack's `lambda:` integrations that do not exist.
    pub missing_functions: BTreeSet<String>,
}

/// One change to a function's resource policy.
#[derive(Debug, Clone, PartialEq)]
pub enum PermissionStep {
    Add {
        function: String,
        api: Ref<ApiId>,
    },
    /// The statement allows another API (or any): replaced by one for this stack's API.
    Replace {
        function: String,
        before: Option<String>,
        api: Ref<ApiId>,
    },
    Remove {
        function: String,
    },
}

impl From<PermissionStep> for Step {
    fn from(s: PermissionStep) -> Step {
        Step::Permission(s)
    }
}

impl KindStep for PermissionStep {
    fn placement(&self) -> Placement {
        match self {
            PermissionStep::Add { .. } | PermissionStep::Replace { .. } => Placement::MAIN.in_group(Group::AddPermissions),
            PermissionStep::Remove { .. } => Placement::MAIN.in_group(Group::RemovePermissions),
        }
    }

    fn lines(&self) -> Vec<ChangeJson> {
        vec![match self {
            PermissionStep::Add { function, .. } => ChangeJson::new(
                Action::Create,
                "lambda_permission",
                function.as_str(),
                vec![set("principal", "apigateway.amazonaws.com")],
            ),
            PermissionStep::Replace { function, before, .. } => ChangeJson::new(
                Action::Update,
                "lambda_permission",
                function.as_str(),
                vec![Diff::new("source_arn", before.as_deref().unwrap_or("none"), "this stack's API")],
            ),
            PermissionStep::Remove { function } => ChangeJson::new(Action::Delete, "lambda_permission", function.as_str(), vec![]),
        }]
    }
}

/// A route to a function that does not exist would answer 500 from the moment it is created: refused before
/// any change.
pub(super) fn missing_functions(d: &Desired<'_>, inv: &Inventory) -> Result<(), Conflict> {
    let routes_to = |function: &str| -> Vec<String> {
        d.routes()
            .iter()
            .filter(|r| r.integration.function() == Some(function))
            .map(|r| r.key.as_str().to_string())
            .collect()
    };
    match inv.permissions.missing_functions.iter().find(|f| !routes_to(f).is_empty()) {
        Some(function) => Err(Conflict::MissingFunction {
            function: function.clone(),
            routes: routes_to(function),
        }),
        None => Ok(()),
    }
}

/// One invoke permission per function, for this stack's API.
pub(super) fn plan(p: &mut Planner<'_>, functions: &BTreeSet<&str>) {
    let inv = p.inv;
    for &f in functions {
        let wanted_source = inv.api.as_ref().map(|a| source_arn(f, &inv.region, a.id.as_str()));
        let api = p.api();
        match inv.permissions.statements.get(f) {
            None => p.push(PermissionStep::Add {
                function: f.to_string(),
                api,
            }),
            Some(s) if wanted_source.is_none() || s.source_arn != wanted_source => p.push(PermissionStep::Replace {
                function: f.to_string(),
                before: s.source_arn.clone(),
                api,
            }),
            Some(_) => {}
        }
    }
}

/// The stack's statements in functions no route invokes any more.
pub(super) fn remove(p: &mut Planner<'_>, wanted: &BTreeSet<&str>) {
    let gone: Vec<String> = p
        .inv
        .permissions
        .statements
        .keys()
        .filter(|f| !wanted.contains(f.as_str()))
        .cloned()
        .collect();
    for function in gone {
        p.push(PermissionStep::Remove { function });
    }
}

#[cfg(test)]
impl PermissionStep {
    pub(super) fn simulate(&self, inv: &mut Inventory) {
        match self {
            PermissionStep::Add { function, .. } | PermissionStep::Replace { function, .. } => {
                let api = inv.api.as_ref().expect("the API exists").id.clone();
                let source = source_arn(function, &inv.region, api.as_str());
                inv.permissions
                    .statements
                    .insert(function.clone(), PermissionInfo { source_arn: Some(source) });
            }
            PermissionStep::Remove { function } => {
                inv.permissions.statements.remove(function);
            }
        }
    }
}
