//! What is the stack's in an adopted REST API (`api.id`), which it does not own: its methods (its marker as
//! their operation name: a method of the API's own that uses the stack's authorizer stays the API's), its JWT
//! authorizer `{name}-jwt`, the resources it recorded before it made them, the stage it created; and teardown
//! of those alone.

use std::collections::BTreeSet;

use super::super::Conflict;
use super::super::desired::Planner;
use super::{MethodInfo, RestRecord, RestStageInfo, RestStep};
use crate::names::{is_rest_method_marker, rest_deployed_digest, rest_resources_record};

/// Whether a method is the stack's: every method of an API the stack owns; in an adopted API, one carrying the
/// stack's marker as its operation name.
pub(super) fn is_stacks(p: &Planner<'_>, m: &MethodInfo) -> bool {
    p.api_owned()
        || m.operation_name
            .as_deref()
            .is_some_and(|o| is_rest_method_marker(&p.d.stack.name, o))
}

/// What an adopted API holds that the stack's routes would take over or that API Gateway would refuse beside
/// them, found before any change: a method of the API's own on a route's path with the same HTTP method, or
/// `ANY` on either side (on a REST resource a specific method wins over `ANY`, so either would take the
/// other's requests); a variable resource where a route needs another variable one under the same parent
/// (CreateResource: "A sibling ({id}) of this resource already has a variable path part -- only one is
/// allowed"); and an authorizer named `{name}-jwt` that is not a JWT authorizer, which the stack did not make.
pub(super) fn refuse_taken<'w>(p: &Planner<'_>, wanted: impl Iterator<Item = (&'w str, &'w str)>) -> Result<(), Conflict> {
    if p.api_owned() {
        return Ok(());
    }
    let api = p.inv.api.as_ref().map(|a| a.id.to_string()).unwrap_or_default();
    if let Some(a) = p.inv.rest.authorizer.as_ref().filter(|a| a.jwt.is_none()) {
        return Err(Conflict::RestAuthorizerTaken {
            name: p.d.stack.authorizer_name(),
            api,
            id: a.id.to_string(),
        });
    }
    for (path, method) in wanted {
        if let Some(r) = p.inv.rest.resources.iter().find(|r| r.path == path) {
            let taken = r
                .methods
                .iter()
                .find(|(verb, m)| (verb.as_str() == method || verb.as_str() == "ANY" || method == "ANY") && !is_stacks(p, m));
            if let Some((verb, _)) = taken {
                return Err(Conflict::UnmanagedRoute {
                    key: format!("{method} {path}"),
                    api,
                    stack: p.d.stack.name.clone(),
                    id: format!("{verb} on resource {}", r.id),
                });
            }
            continue;
        }
        // The deepest part of the path the API has; the next part is created under it.
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for depth in 1..=parts.len() {
            let at = format!("/{}", parts[..depth].join("/"));
            if p.inv.rest.resources.iter().any(|r| r.path == at) {
                continue;
            }
            let part = parts[depth - 1];
            let parent = format!("/{}", parts[..depth - 1].join("/"));
            let sibling = p.inv.rest.resources.iter().find(|r| {
                r.path.rsplit_once('/').is_some_and(|(up, last)| {
                    (if up.is_empty() { "/" } else { up }) == parent && last.starts_with('{') && part.starts_with('{') && last != part
                })
            });
            if let Some(s) = sibling {
                return Err(Conflict::RestVariableSibling {
                    path: at,
                    existing: s.path.clone(),
                    api,
                });
            }
            break;
        }
    }
    Ok(())
}

/// The paths the stack has recorded as made by it in this adopted API.
pub(super) fn recorded(p: &Planner<'_>) -> BTreeSet<String> {
    let api = p.inv.api.as_ref().map(|a| a.id.to_string());
    p.inv
        .rest
        .record
        .as_ref()
        .filter(|r| Some(&r.api) == api.as_ref())
        .map(|r| r.paths.iter().cloned().collect())
        .unwrap_or_default()
}

/// The recorded paths that exist in the API and that this plan does not remove: what the stack made and keeps.
pub(super) fn recorded_kept(p: &Planner<'_>, removed: &BTreeSet<String>) -> BTreeSet<String> {
    let existing: BTreeSet<&str> = p.inv.rest.resources.iter().map(|r| r.path.as_str()).collect();
    recorded(p)
        .into_iter()
        .filter(|path| existing.contains(path.as_str()) && !removed.contains(path))
        .collect()
}

/// An adopted API: the record of the resources the stack made, written before it makes more (a run cut off
/// in between leaves a recorded path that does not exist, which the next run drops) and after it removed some.
pub(super) fn record_resources(p: &mut Planner<'_>, removed: &BTreeSet<String>, missing: &[String]) {
    if p.api_owned() {
        return;
    }
    let Some(api) = p.inv.api.as_ref().map(|a| a.id.to_string()) else {
        return;
    };
    let after: BTreeSet<String> = recorded_kept(p, removed).into_iter().chain(missing.iter().cloned()).collect();
    let read = p.inv.rest.record.as_ref();
    let parameter = rest_resources_record(&p.d.stack.name);
    if after.is_empty() {
        if read.is_some() {
            p.push(RestStep::DeleteRecord { parameter });
        }
    } else if read.is_none_or(|r| r.api != api || r.paths.iter().cloned().collect::<BTreeSet<_>>() != after) {
        p.push(RestStep::Record {
            parameter,
            record: RestRecord {
                api,
                paths: after.into_iter().collect(),
            },
        });
    }
}

/// The stack's deployments of the API (their description names it), oldest first: when each was made, and
/// the digest it names (`teardown` for the one that took the stack's methods off the stage).
fn stack_deployments(p: &Planner<'_>) -> Vec<(i64, String)> {
    let mut ours: Vec<(i64, String)> = p
        .inv
        .rest
        .deployments
        .iter()
        .filter_map(|d| {
            Some((
                d.created?,
                rest_deployed_digest(&p.d.stack.name, d.description.as_deref()?)?.to_string(),
            ))
        })
        .collect();
    ours.sort();
    ours
}

/// An adopted API's stage serves a deployment of the API's own made after the stack's last one, which is of
/// what the stack declares (`digest`): the API's pipeline deployed it since, so it holds the stack's methods as
/// they are (or the plan would change them). Made in the same second as the stack's, it cannot be told to be
/// later, and is not taken for it.
pub(super) fn serves_a_later_one(p: &Planner<'_>, stage: &RestStageInfo, digest: &str) -> bool {
    let ours = stack_deployments(p);
    match (ours.last(), stage.created) {
        (Some((at, last)), Some(served)) => last == digest && served > *at,
        _ => false,
    }
}

/// Teardown: whether the adopted API's stage may still serve the stack's methods, so that it is deployed once
/// more without them: the stack's last deployment is not its teardown one, and the stage serves a deployment
/// made no earlier than the stack's first.
pub(super) fn stage_may_serve_ours(p: &Planner<'_>, stage: &RestStageInfo) -> bool {
    let ours = stack_deployments(p);
    match (ours.first(), ours.last(), stage.created) {
        (Some((first, _)), Some((_, last)), Some(served)) => last != TEARDOWN && served >= *first,
        _ => false,
    }
}

/// The digest the description of teardown's deployment names.
pub(super) const TEARDOWN: &str = "teardown";

/// `path` is a descendant of `parent`.
pub(super) fn is_under(path: &str, parent: &str) -> bool {
    if parent == "/" {
        return path != "/";
    }
    path.strip_prefix(parent).is_some_and(|rest| rest.starts_with('/'))
}
