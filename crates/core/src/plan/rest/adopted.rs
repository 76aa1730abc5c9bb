//! What is the stack's in an adopted REST API (`api.id`), which it does not own: its methods (its marker as
//! their operation name, or its authorizer), the resources it recorded before it made them, the stage it
//! created; and teardown of those alone.

use std::collections::BTreeSet;

use super::super::Conflict;
use super::super::desired::Planner;
use super::{MethodInfo, RestRecord, RestStageInfo, RestStep};
use crate::names::{rest_deployed_digest, rest_resources_record, route_marker};

/// Whether a method is the stack's: every method of an API the stack owns; in an adopted API, one carrying the
/// stack's marker or using its authorizer.
pub(super) fn is_stacks(p: &Planner<'_>, m: &MethodInfo) -> bool {
    let authorizer = p.inv.rest.authorizer.as_ref().map(|a| &a.id);
    p.api_owned()
        || m.operation_name.as_deref() == Some(route_marker(&p.d.stack.name).as_str())
        || (authorizer.is_some() && m.authorizer_id.as_ref() == authorizer)
}

/// A route whose method exists in an adopted API and is not the stack's is refused: the stack does not take
/// over what it did not make.
pub(super) fn refuse_taken_methods<'w>(p: &Planner<'_>, wanted: impl Iterator<Item = (&'w str, &'w str)>) -> Result<(), Conflict> {
    for (path, method) in wanted {
        let Some(r) = p.inv.rest.resources.iter().find(|r| r.path == path) else {
            continue;
        };
        if r.methods.get(method).is_some_and(|m| !is_stacks(p, m)) {
            return Err(Conflict::UnmanagedRoute {
                key: format!("{method} {path}"),
                api: p.inv.api.as_ref().map(|a| a.id.to_string()).unwrap_or_default(),
                stack: p.d.stack.name.clone(),
                id: format!("resource {} method {method}", r.id),
            });
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

/// An adopted API: the record of the resources the stack made, written before it makes more (a run cut off
/// in between leaves a recorded path that does not exist, which the next run drops) and after it removed some.
pub(super) fn record_resources(p: &mut Planner<'_>, removed: &BTreeSet<String>, missing: &[String]) {
    if p.api_owned() {
        return;
    }
    let Some(api) = p.inv.api.as_ref().map(|a| a.id.to_string()) else {
        return;
    };
    let existing: BTreeSet<&str> = p.inv.rest.resources.iter().map(|r| r.path.as_str()).collect();
    let before = recorded(p);
    let after: BTreeSet<String> = before
        .iter()
        .filter(|path| existing.contains(path.as_str()) && !removed.contains(*path))
        .cloned()
        .chain(missing.iter().cloned())
        .collect();
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

/// An adopted API's stage serves a deployment made after the stack's last deployment of what it declares
/// (the API's own pipeline deployed it since): that deployment holds the stack's methods as they are, or the
/// plan would have changed them.
pub(super) fn serves_a_later_one(p: &Planner<'_>, stage: &RestStageInfo, digest: &str) -> bool {
    let ours = p
        .inv
        .rest
        .deployments
        .iter()
        .filter(|d| d.description.as_deref().and_then(|t| rest_deployed_digest(&p.d.stack.name, t)) == Some(digest))
        .filter_map(|d| d.created)
        .max();
    matches!((ours, stage.created), (Some(ours), Some(served)) if served >= ours)
}

/// `path` is a descendant of `parent`.
pub(super) fn is_under(path: &str, parent: &str) -> bool {
    if parent == "/" {
        return path != "/";
    }
    path.strip_prefix(parent).is_some_and(|rest| rest.starts_with('/'))
}
