//! What AWS should hold of a stack ([`Desired`]: the stack as declared, or nothing of it), and the plan being
//! made towards it ([`Planner`]), which every kind's planning adds to.

use super::{ApiId, Barrier, Inventory, Plan, Ref, RouteInfo, Step};
use crate::config::{AccessLog, ApiDomain, ApiRef, Cors, Hosted, Route, Stack, Throttling};

/// What AWS should hold of a stack.
#[derive(Debug, Clone, Copy)]
pub struct Desired<'a> {
    /// The stack the resources are named after and found by, whatever is wanted of it.
    pub stack: &'a Stack,
    goal: Goal,
    /// The run's import is done: what AWS holds of the API is brought to the definition call by call, not by
    /// another import (which would leave the same differences).
    by_calls: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Goal {
    /// The stack as declared. `wait`: a deploy waits for a distribution to serve the documents before what
    /// depends on them (`--no-wait` does not).
    Declared { wait: bool },
    /// Nothing of it (its keys too, unless `keep_keys`).
    Nothing { keep_keys: bool },
}

impl<'a> Desired<'a> {
    pub fn declared(stack: &'a Stack) -> Desired<'a> {
        Desired {
            stack,
            goal: Goal::Declared { wait: true },
            by_calls: false,
        }
    }

    /// The stack as declared, without waiting for CloudFront (`deploy --no-wait`).
    pub fn declared_without_waiting(stack: &'a Stack) -> Desired<'a> {
        Desired {
            stack,
            goal: Goal::Declared { wait: false },
            by_calls: false,
        }
    }

    pub fn nothing(stack: &'a Stack, keep_keys: bool) -> Desired<'a> {
        Desired {
            stack,
            goal: Goal::Nothing { keep_keys },
            by_calls: false,
        }
    }

    /// The same, after an import of this run: the API's content is changed call by call.
    pub fn after_import(self) -> Desired<'a> {
        Desired { by_calls: true, ..self }
    }

    pub fn by_calls(&self) -> bool {
        self.by_calls
    }

    fn declared_part<T>(&self, f: impl FnOnce(&'a Stack) -> T) -> Option<T> {
        match self.goal {
            Goal::Declared { .. } => Some(f(self.stack)),
            Goal::Nothing { .. } => None,
        }
    }

    pub fn is_teardown(&self) -> bool {
        matches!(self.goal, Goal::Nothing { .. })
    }

    /// The hosted issuer to converge (none for an external issuer, or for teardown).
    pub fn hosted(&self) -> Option<&'a Hosted> {
        self.declared_part(Stack::hosted).flatten()
    }

    /// A hosted issuer's leftovers (keys, documents, bucket) are removed only with the stack: a deploy that
    /// moved to an external issuer keeps them and says so.
    pub fn removes_issuer(&self) -> bool {
        self.is_teardown()
    }

    /// `None` for a deploy (which never deletes a key); for teardown, whether the keys stay.
    pub fn keys_removed(&self) -> Option<bool> {
        match self.goal {
            Goal::Declared { .. } => None,
            Goal::Nothing { keep_keys } => Some(keep_keys),
        }
    }

    pub fn api(&self) -> Option<&'a ApiRef> {
        self.declared_part(|s| &s.api)
    }

    pub fn routes(&self) -> &'a [Route] {
        self.declared_part(|s| s.routes.as_slice()).unwrap_or_default()
    }

    pub fn cors(&self) -> Option<&'a Cors> {
        self.declared_part(|s| s.cors.as_ref()).flatten()
    }

    pub fn access_log(&self) -> Option<AccessLog> {
        self.declared_part(|s| s.access_log).flatten()
    }

    pub fn throttling(&self) -> Option<Throttling> {
        self.declared_part(|s| s.throttling).flatten()
    }

    pub fn domain(&self) -> Option<&'a ApiDomain> {
        self.declared_part(|s| s.domain.as_ref()).flatten()
    }

    /// A deploy waits for a distribution to serve what it changed.
    pub fn waits(&self) -> bool {
        matches!(self.goal, Goal::Declared { wait: true })
    }
}

/// A plan being made: the steps so far, the notes, and where the plan is applied in parts.
pub(super) struct Planner<'a> {
    pub d: &'a Desired<'a>,
    pub inv: &'a Inventory,
    /// The routes a deploy makes: the declared ones and the token endpoint's.
    routes: Vec<Route>,
    steps: Vec<Step>,
    notes: Vec<String>,
    barrier: Option<Barrier>,
}

impl<'a> Planner<'a> {
    pub fn new(d: &'a Desired<'a>, inv: &'a Inventory) -> Planner<'a> {
        Planner {
            d,
            inv,
            routes: deployed_routes(d, inv),
            steps: Vec::new(),
            notes: Vec::new(),
            barrier: None,
        }
    }

    pub fn into_plan(self) -> Plan {
        Plan {
            stack: self.d.stack.name.clone(),
            region: self.inv.region.clone(),
            steps: self.steps,
            notes: self.notes,
            barrier: self.barrier,
        }
    }

    pub fn push(&mut self, step: impl Into<Step>) {
        self.steps.push(step.into());
    }

    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    /// The routes a deploy makes (none for teardown).
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter()
    }

    pub fn has_steps(&self) -> bool {
        !self.steps.is_empty()
    }

    /// What follows is planned again once the steps so far are applied (the first barrier stands).
    pub fn barrier_here(&mut self, why: &'static str) {
        if self.barrier.is_none() {
            self.barrier = Some(Barrier {
                after: self.steps.len(),
                why,
            });
        }
    }

    /// What follows the first step `is` picks is planned again once the steps up to it are applied (an earlier
    /// barrier stands).
    pub fn barrier_after(&mut self, is: impl Fn(&Step) -> bool, why: &'static str) {
        let Some(at) = self.steps.iter().position(is) else { return };
        if self.barrier.as_ref().is_none_or(|b| b.after > at + 1) {
            self.barrier = Some(Barrier { after: at + 1, why });
        }
    }

    /// The API: known, or created by this plan.
    pub fn api(&self) -> Ref<ApiId> {
        Ref::from_option(self.inv.api.as_ref().map(|a| a.id.clone()))
    }

    /// The API is the stack's (or does not exist yet): all its integrations and routes are the stack's.
    pub fn api_owned(&self) -> bool {
        self.inv.api.as_ref().is_none_or(|a| a.owned)
    }

    /// Teardown deletes the API whole: its routes, integrations, authorizer and stage go with it.
    pub fn api_goes(&self) -> bool {
        self.d.api().is_none() && self.inv.api.as_ref().is_some_and(|a| a.owned)
    }

    pub fn is_stacks_route(&self, r: &RouteInfo) -> bool {
        route_is_stacks(self.d.stack, self.inv, r)
    }
}

/// The routes a deploy makes: the stack's, and the token endpoint's (when the stack declares one and the
/// account is known, which the reader makes sure of for such a stack). None for teardown.
pub(super) fn deployed_routes(d: &Desired<'_>, inv: &Inventory) -> Vec<Route> {
    let mut routes = d.routes().to_vec();
    if !d.is_teardown()
        && let Some(account) = inv.account.as_deref()
    {
        routes.extend(d.stack.token_route(&inv.region, account));
    }
    routes
}

/// A route is the stack's when the API is, when it uses the stack's authorizer, or when it carries the stack's
/// marker in its operation name (a public route of an adopted API has no authorizer to tell).
pub fn route_is_stacks(stack: &Stack, inv: &Inventory, r: &RouteInfo) -> bool {
    let authorizer_id = inv.authorizer.as_ref().map(|a| &a.id);
    inv.api.as_ref().is_none_or(|a| a.owned)
        || (authorizer_id.is_some() && r.authorizer_id.as_ref() == authorizer_id)
        || r.operation_name.as_deref() == Some(crate::names::route_marker(&stack.name).as_str())
}
