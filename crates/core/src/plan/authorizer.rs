//! The stack's JWT authorizer in the API (`{stack}-jwt`): its issuer, audiences and identity source, repaired
//! when they drift; removed by teardown of an adopted API (an owned API goes whole).

use super::desired::Planner;
use super::render::{ChangeJson, set};
use super::{Action, ApiId, AuthorizerId, Change, Diff, KindStep, Placement, Ref, Step, distribution};
use crate::names::IDENTITY_SOURCE;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuthorizerInfo {
    pub id: AuthorizerId,
    pub issuer: String,
    pub audience: Vec<String>,
    pub identity_source: Vec<String>,
}

/// An authorizer of an API the stack owns that the stack does not declare (another name): removed, as the
/// definition has none but the stack's.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OtherAuthorizer {
    pub id: AuthorizerId,
    pub name: String,
    /// `JWT` or `REQUEST`.
    pub kind: String,
    /// A JWT authorizer's issuer.
    pub issuer: Option<String>,
}

/// One change to the authorizer.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizerStep {
    Create {
        api: Ref<ApiId>,
        name: String,
        issuer: String,
        audience: Vec<String>,
    },
    Update {
        api: Ref<ApiId>,
        id: AuthorizerId,
        name: String,
        issuer: Change<String>,
        audience: Change<Vec<String>>,
        identity_source: Change<Vec<String>>,
    },
    Delete {
        api: Ref<ApiId>,
        id: AuthorizerId,
        name: String,
        /// Another authorizer of an owned API (described), not the stack's.
        undeclared: Option<String>,
    },
}

impl From<AuthorizerStep> for Step {
    fn from(s: AuthorizerStep) -> Step {
        Step::Authorizer(s)
    }
}

impl AuthorizerStep {
    /// API Gateway reads the issuer's discovery document when it creates or changes a JWT authorizer.
    pub fn reads_issuer(&self) -> bool {
        match self {
            AuthorizerStep::Create { .. } | AuthorizerStep::Update { .. } => true,
            AuthorizerStep::Delete { .. } => false,
        }
    }
}

impl KindStep for AuthorizerStep {
    fn placement(&self) -> Placement {
        Placement::API_CONTENT
    }

    fn lines(&self) -> Vec<ChangeJson> {
        vec![match self {
            AuthorizerStep::Create {
                name, issuer, audience, ..
            } => ChangeJson::new(
                Action::Create,
                "apigw_authorizer",
                name.as_str(),
                vec![
                    set("issuer", issuer.as_str()),
                    set("audience", audience.join(", ")),
                    set("identity_source", IDENTITY_SOURCE),
                ],
            ),
            AuthorizerStep::Update {
                name,
                issuer,
                audience,
                identity_source,
                ..
            } => {
                let mut diffs = Vec::new();
                if issuer.changes() {
                    diffs.push(Diff::new("issuer", issuer.before.as_str(), issuer.after.as_str()));
                }
                if audience.changes() {
                    diffs.push(Diff::new("audience", audience.before.join(", "), audience.after.join(", ")));
                }
                if identity_source.changes() {
                    diffs.push(Diff::new(
                        "identity_source",
                        identity_source.before.join(", "),
                        identity_source.after.join(", "),
                    ));
                }
                ChangeJson::new(Action::Update, "apigw_authorizer", name.as_str(), diffs)
            }
            AuthorizerStep::Delete {
                name, undeclared: None, ..
            } => ChangeJson::new(Action::Delete, "apigw_authorizer", name.as_str(), vec![]),
            AuthorizerStep::Delete {
                name,
                undeclared: Some(what),
                ..
            } => ChangeJson::new(
                Action::Delete,
                "apigw_authorizer",
                format!("{name} (not declared by the stack)"),
                vec![Diff::new("authorizer", what.as_str(), "none")],
            ),
        }]
    }
}

/// The JWT authorizer: issuer, audiences, identity source.
pub(super) fn plan(p: &mut Planner<'_>) {
    if p.d.api().is_none() {
        return;
    }
    let (stack, inv) = (p.d.stack, p.inv);
    let name = stack.authorizer_name();
    let issuer = stack.issuer_url(&inv.region);
    let wanted_sources = vec![IDENTITY_SOURCE.to_string()];
    let api = p.api();
    match &inv.authorizer {
        None => p.push(AuthorizerStep::Create {
            api,
            name,
            issuer,
            audience: stack.audience.clone(),
        }),
        Some(a) => {
            if a.issuer != issuer && stack.hosted().is_some() {
                p.note(distribution::issuer_change_note(&a.issuer, &issuer));
            }
            if a.issuer != issuer || a.audience != stack.audience || a.identity_source != wanted_sources {
                p.push(AuthorizerStep::Update {
                    api,
                    id: a.id.clone(),
                    name,
                    issuer: Change {
                        before: a.issuer.clone(),
                        after: issuer,
                    },
                    audience: Change {
                        before: a.audience.clone(),
                        after: stack.audience.clone(),
                    },
                    identity_source: Change {
                        before: a.identity_source.clone(),
                        after: wanted_sources,
                    },
                });
            }
        }
    }
}

/// An owned API's authorizers the stack does not declare; teardown of an adopted API: the stack's authorizer
/// (an owned API goes whole).
pub(super) fn remove(p: &mut Planner<'_>) {
    if p.d.api().is_some() {
        if p.inv.api.as_ref().is_some_and(|a| a.owned) {
            for other in &p.inv.other_authorizers {
                let api = p.api();
                let what = match &other.issuer {
                    Some(issuer) => format!("{} ({}, issuer {issuer})", other.kind, other.id),
                    None => format!("{} ({})", other.kind, other.id),
                };
                p.push(AuthorizerStep::Delete {
                    api,
                    id: other.id.clone(),
                    name: other.name.clone(),
                    undeclared: Some(what),
                });
            }
        }
        return;
    }
    if p.api_goes() {
        return;
    }
    if let Some(a) = &p.inv.authorizer {
        let api = p.api();
        p.push(AuthorizerStep::Delete {
            api,
            id: a.id.clone(),
            name: p.d.stack.authorizer_name(),
            undeclared: None,
        });
    }
}

#[cfg(test)]
impl AuthorizerStep {
    pub(super) fn simulate(&self, inv: &mut super::Inventory, sim: &mut super::tests::Sim) {
        match self {
            AuthorizerStep::Create { issuer, audience, .. } => {
                inv.authorizer = Some(AuthorizerInfo {
                    id: sim.next_id().into(),
                    issuer: issuer.clone(),
                    audience: audience.clone(),
                    identity_source: vec![IDENTITY_SOURCE.into()],
                })
            }
            AuthorizerStep::Update {
                issuer,
                audience,
                identity_source,
                ..
            } => {
                let a = inv.authorizer.as_mut().expect("the authorizer exists");
                a.issuer = issuer.after.clone();
                a.audience = audience.after.clone();
                a.identity_source = identity_source.after.clone();
            }
            AuthorizerStep::Delete { undeclared: None, .. } => inv.authorizer = None,
            AuthorizerStep::Delete { id, .. } => inv.other_authorizers.retain(|a| &a.id != id),
        }
    }
}
