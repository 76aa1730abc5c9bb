//! Teardown as a plan toward nothing: everything the stack owns, in reverse dependency order.

use std::collections::BTreeSet;

use super::policy::{PolicyChange, merge_policy};
use super::{IntegrationSpec, Inventory, Plan, RouteInfo, Step};
use crate::config::Stack;
use crate::names;

/// Computes what teardown would do: remove everything the stack owns, in reverse dependency order.
pub fn plan_teardown(stack: &Stack, inv: &Inventory, keep_keys: bool) -> Plan {
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    // The domain first: its mapping names the API.
    super::surface::plan_undeclared(&mut steps, &mut notes, stack, inv, true);
    match &inv.api {
        Some(api) if api.owned => steps.push(Step::DeleteApi {
            id: api.id.clone(),
            name: api.name.clone(),
        }),
        Some(api) => {
            let owned_routes: Vec<&RouteInfo> = inv.routes.iter().filter(|r| super::route_is_stacks(stack, inv, r)).collect();
            for r in &owned_routes {
                steps.push(Step::DeleteRoute {
                    id: r.id.clone(),
                    key: r.key.clone(),
                });
            }
            let used_by_others: BTreeSet<&str> = inv
                .routes
                .iter()
                .filter(|r| !owned_routes.iter().any(|o| o.id == r.id))
                .filter_map(|r| r.target.as_deref()?.strip_prefix("integrations/"))
                .collect();
            for i in inv.integrations.iter().filter(|i| i.owned) {
                if used_by_others.contains(i.id.as_str()) {
                    notes.push(format!("integration {} is kept: a route the stack does not own uses it", i.id));
                } else {
                    steps.push(Step::DeleteIntegration {
                        id: i.id.clone(),
                        spec: IntegrationSpec::of(i),
                    });
                }
            }
            if let Some(a) = &inv.authorizer {
                steps.push(Step::DeleteAuthorizer {
                    id: a.id.clone(),
                    name: stack.authorizer_name(),
                });
            }
            if inv.stage.as_ref().is_some_and(|s| s.owned) {
                steps.push(Step::DeleteStage);
            }
            notes.push(format!(
                "API {} was adopted (api.id): only the stack's authorizer, routes and integrations are removed",
                api.id
            ));
        }
        None => {}
    }
    for f in inv.permissions.keys() {
        steps.push(Step::RemovePermission { function: f.clone() });
    }
    super::surface::plan_log_group_removal(&mut steps, stack, inv, true);
    // The distribution before the bucket it reads.
    let zone_and_domain = stack
        .hosted()
        .and_then(|h| h.cloudfront.as_ref())
        .and_then(|cf| cf.hosted_zone_id.as_deref().zip(cf.domain.as_deref()));
    super::cloudfront::plan_removal(&mut steps, stack, inv, zone_and_domain);
    if let (Some(b), Some(h)) = (&inv.bucket, stack.hosted()) {
        let bucket = h.bucket.clone();
        for key in [h.discovery_key(), h.jwks_key()] {
            if inv.objects.contains_key(&key) {
                steps.push(Step::DeleteObject {
                    bucket: bucket.clone(),
                    key,
                });
            }
        }
        let owned = b.owned || inv.bucket_marker.as_deref() == Some(bucket.as_str());
        let deleting_bucket = owned && !b.has_other_objects;
        if !deleting_bucket {
            match merge_policy(b.policy.as_deref(), &names::statement_id(&stack.name), None) {
                PolicyChange::None => {}
                PolicyChange::Put(policy) => steps.push(Step::PutBucketPolicy {
                    bucket: bucket.clone(),
                    policy,
                    create: false,
                }),
                PolicyChange::Delete => steps.push(Step::DeleteBucketPolicy { bucket: bucket.clone() }),
            }
        }
        if deleting_bucket {
            steps.push(Step::DeleteBucket { bucket: bucket.clone() });
        } else if owned {
            notes.push(format!("bucket {bucket} is kept: it holds objects the stack did not write"));
        } else {
            notes.push(format!(
                "bucket {bucket} is kept: the stack did not create it (its public access block is left as it is)"
            ));
        }
    }
    if inv.bucket_marker.is_some() {
        steps.push(Step::DeleteBucketMarker {
            parameter: names::bucket_marker(&stack.name),
        });
    }
    if inv.key_timeline.is_some() && !keep_keys {
        steps.push(Step::DeleteKeyTimeline {
            parameter: names::key_timeline(&stack.name),
        });
    }
    if keep_keys {
        if !inv.keys.is_empty() {
            notes.push(format!(
                "{} key parameter(s) under {} are kept (--keep-keys)",
                inv.keys.len(),
                stack.key_parameter_prefix()
            ));
        }
    } else {
        for (kid, k) in &inv.keys {
            if let super::KeyHome::Kms { key_id: Some(id), .. } = &k.home {
                notes.push(format!(
                    "KMS deletes key {id} ({kid}) {} days after this teardown; until then `aws kms cancel-key-deletion --key-id {id}` undoes it",
                    crate::names::KMS_DELETION_DAYS
                ));
            }
            steps.push(Step::DeleteKey {
                kid: kid.clone(),
                home: k.home.clone(),
            });
        }
    }
    Plan {
        stack: stack.name.clone(),
        region: inv.region.clone(),
        steps,
        notes,
        integrations: Default::default(),
    }
}
