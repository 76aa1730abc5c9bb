//! Routes: each behind the stack's authorizer with its scopes, or public (`auth: none`), to its integration.
//! A route is the stack's when the API is, when it uses the stack's authorizer, or when it carries the
//! stack's marker; a route key someone else holds is a conflict, never taken over.

use std::collections::BTreeSet;

use super::desired::Planner;
use super::integration::Integrations;
use super::render::{ChangeJson, list, set};
use super::{Action, ApiId, AuthorizerId, Conflict, Diff, IntegrationId, IntegrationSpec, KindStep, Placement, Ref, RouteId, Step};
use crate::config::RouteKey;

/// A route's authorization type, as API Gateway names it; any other is kept as AWS names it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuthorizationType {
    /// `NONE` (also what API Gateway means when it says nothing).
    #[default]
    None,
    /// `JWT`.
    Jwt,
    Other(String),
}

impl AuthorizationType {
    pub fn parse(s: Option<&str>) -> AuthorizationType {
        match s {
            None | Some("NONE") => AuthorizationType::None,
            Some("JWT") => AuthorizationType::Jwt,
            Some(other) => AuthorizationType::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            AuthorizationType::None => "NONE",
            AuthorizationType::Jwt => "JWT",
            AuthorizationType::Other(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RouteInfo {
    pub id: RouteId,
    /// The route key as API Gateway holds it.
    pub key: String,
    pub authorization_type: AuthorizationType,
    pub authorizer_id: Option<AuthorizerId>,
    pub scopes: Vec<String>,
    /// `integrations/{id}`.
    pub target: Option<String>,
    /// A public route of an adopted API carries the stack's marker here (it has no authorizer to tell).
    pub operation_name: Option<String>,
}

impl RouteInfo {
    /// The integration the route targets.
    pub fn integration_id(&self) -> Option<&str> {
        self.target.as_deref()?.strip_prefix("integrations/")
    }
}

/// Who may call a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteAuth {
    /// `auth: none`: authorization type NONE, no authorizer, no scopes.
    Public,
    /// Behind the stack's JWT authorizer.
    Jwt(Ref<AuthorizerId>),
}

impl RouteAuth {
    pub fn is_public(&self) -> bool {
        matches!(self, RouteAuth::Public)
    }
}

/// One change to the routes.
#[derive(Debug, Clone, PartialEq)]
pub enum RouteStep {
    Create {
        api: Ref<ApiId>,
        key: RouteKey,
        scopes: Vec<String>,
        integration: IntegrationSpec,
        target: Ref<IntegrationId>,
        auth: RouteAuth,
    },
    Update {
        api: Ref<ApiId>,
        id: RouteId,
        key: RouteKey,
        diffs: Vec<Diff>,
        scopes: Vec<String>,
        integration: IntegrationSpec,
        target: Ref<IntegrationId>,
        auth: RouteAuth,
    },
    Delete {
        api: Ref<ApiId>,
        id: RouteId,
        key: String,
    },
}

impl From<RouteStep> for Step {
    fn from(s: RouteStep) -> Step {
        Step::Route(s)
    }
}

impl KindStep for RouteStep {
    fn placement(&self) -> Placement {
        Placement::API_CONTENT
    }

    fn lines(&self) -> Vec<ChangeJson> {
        vec![match self {
            RouteStep::Create {
                key,
                scopes,
                integration,
                auth,
                ..
            } => ChangeJson::new(
                Action::Create,
                "apigw_route",
                key.as_str(),
                match auth {
                    RouteAuth::Public => vec![set("authorization", "none (public)"), set("integration", integration.describe())],
                    RouteAuth::Jwt(_) => vec![set("scopes", list(scopes)), set("integration", integration.describe())],
                },
            ),
            RouteStep::Update { key, diffs, .. } => ChangeJson::new(Action::Update, "apigw_route", key.as_str(), diffs.clone()),
            RouteStep::Delete { key, .. } => ChangeJson::new(Action::Delete, "apigw_route", key.as_str(), vec![]),
        }]
    }
}

/// Routes: created, or updated where authorization, scopes or target differ.
pub(super) fn plan(p: &mut Planner<'_>, integrations: &Integrations<'_>) -> Result<(), Conflict> {
    let (stack, inv) = (p.d.stack, p.inv);
    let authorizer_id = inv.authorizer.as_ref().map(|a| &a.id);
    let authorizer_name = stack.authorizer_name();
    let api = p.api();
    for route in p.routes().to_vec() {
        let spec = IntegrationSpec::for_route(&route.integration, route.key.method());
        let auth = if route.public {
            RouteAuth::Public
        } else {
            RouteAuth::Jwt(Ref::from_option(authorizer_id.cloned()))
        };
        let existing = inv.routes.iter().find(|r| r.key == route.key.as_str());
        let Some(existing) = existing else {
            p.push(RouteStep::Create {
                api: api.clone(),
                key: route.key.clone(),
                scopes: route.scopes.clone(),
                target: integrations.target(&spec),
                integration: spec,
                auth,
            });
            continue;
        };
        if !p.is_stacks_route(existing) {
            return Err(Conflict::UnmanagedRoute {
                key: route.key.to_string(),
                api: inv.api.as_ref().map(|a| a.id.to_string()).unwrap_or_default(),
                stack: stack.name.clone(),
                id: existing.id.to_string(),
            });
        }
        let mut diffs = Vec::new();
        let wanted_type = if route.public {
            AuthorizationType::None
        } else {
            AuthorizationType::Jwt
        };
        if existing.authorization_type != wanted_type {
            diffs.push(Diff::new(
                "authorization_type",
                existing.authorization_type.as_str(),
                wanted_type.as_str(),
            ));
        }
        let current_authorizer = existing.authorizer_id.as_ref().filter(|a| !a.as_str().is_empty());
        if route.public && current_authorizer.is_some() {
            diffs.push(Diff::new(
                "authorizer",
                current_authorizer.map(|a| a.as_str()).unwrap_or_default(),
                "none",
            ));
        } else if !route.public && (current_authorizer != authorizer_id || authorizer_id.is_none()) {
            diffs.push(Diff::new(
                "authorizer",
                current_authorizer.map_or("none", |a| a.as_str()),
                authorizer_name.clone(),
            ));
        }
        if existing.scopes != route.scopes {
            diffs.push(Diff::new("scopes", list(&existing.scopes), list(&route.scopes)));
        }
        let current = existing
            .integration_id()
            .and_then(|id| inv.integrations.iter().find(|i| i.id == id).map(|i| (id, IntegrationSpec::of(i))));
        let target_ok = match (&current, integrations.kept_id(&spec)) {
            (Some((id, s)), Some(k)) => s == &spec && k == id,
            _ => false,
        };
        if !target_ok {
            let before = current
                .map(|(_, s)| s.describe())
                .or_else(|| existing.target.clone())
                .unwrap_or_else(|| "none".into());
            let mut after = spec.describe();
            if before == after {
                after.push_str(" (a new one: the current one has settings set by hand)");
            }
            diffs.push(Diff::new("integration", before, after));
        }
        if !diffs.is_empty() {
            p.push(RouteStep::Update {
                api: api.clone(),
                id: existing.id.clone(),
                key: route.key.clone(),
                diffs,
                scopes: route.scopes.clone(),
                target: integrations.target(&spec),
                integration: spec,
                auth,
            });
        }
    }
    Ok(())
}

/// The stack's routes it no longer declares (all of them, for teardown of an adopted API).
pub(super) fn remove(p: &mut Planner<'_>) {
    if p.api_goes() {
        return;
    }
    let wanted: BTreeSet<&str> = p.routes().iter().map(|r| r.key.as_str()).collect();
    let api = p.api();
    let gone: Vec<&RouteInfo> = p
        .inv
        .routes
        .iter()
        .filter(|r| !wanted.contains(r.key.as_str()) && p.is_stacks_route(r))
        .collect();
    for r in gone {
        p.push(RouteStep::Delete {
            api: api.clone(),
            id: r.id.clone(),
            key: r.key.clone(),
        });
    }
}

#[cfg(test)]
use super::Inventory;

#[cfg(test)]
impl RouteStep {
    pub(super) fn simulate(&self, stack: &crate::config::Stack, inv: &mut Inventory, sim: &mut super::tests::Sim) {
        let marker = crate::names::route_marker(&stack.name);
        // The integration the route targets: the one named, or the lowest id of the spec (as the planner keeps).
        let target = |inv: &Inventory, target: &Ref<IntegrationId>, spec: &IntegrationSpec| -> String {
            let id = match target {
                Ref::Known(id) => id.clone(),
                Ref::New => inv
                    .integrations
                    .iter()
                    .filter(|i| &IntegrationSpec::of(i) == spec)
                    .map(|i| i.id.clone())
                    .min()
                    .expect("the integration exists"),
            };
            format!("integrations/{id}")
        };
        let authorizer = |inv: &Inventory, auth: &RouteAuth| match auth {
            RouteAuth::Public => None,
            RouteAuth::Jwt(Ref::Known(id)) => Some(id.clone()),
            RouteAuth::Jwt(Ref::New) => inv.authorizer.as_ref().map(|a| a.id.clone()),
        };
        let kind = |auth: &RouteAuth| {
            if auth.is_public() {
                AuthorizationType::None
            } else {
                AuthorizationType::Jwt
            }
        };
        match self {
            RouteStep::Create {
                key,
                scopes,
                integration,
                target: t,
                auth,
                ..
            } => {
                let route = RouteInfo {
                    id: sim.next_id().into(),
                    key: key.to_string(),
                    authorization_type: kind(auth),
                    authorizer_id: authorizer(inv, auth),
                    scopes: scopes.clone(),
                    target: Some(target(inv, t, integration)),
                    operation_name: auth.is_public().then(|| marker.clone()),
                };
                inv.routes.push(route);
            }
            RouteStep::Update {
                id,
                scopes,
                integration,
                target: t,
                auth,
                ..
            } => {
                let (target, authorizer_id) = (target(inv, t, integration), authorizer(inv, auth));
                let r = inv.routes.iter_mut().find(|r| &r.id == id).expect("the route exists");
                r.scopes = scopes.clone();
                r.target = Some(target);
                r.authorizer_id = authorizer_id;
                r.authorization_type = kind(auth);
                if auth.is_public() {
                    r.operation_name = Some(marker);
                }
            }
            RouteStep::Delete { id, .. } => inv.routes.retain(|r| &r.id != id),
        }
    }
}
