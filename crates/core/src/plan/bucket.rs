//! The issuer bucket: created and tagged by the stack (or named and adopted), its public-access settings, and
//! its policy: the public statement that lets anyone read `.well-known/*`, or the distribution's. Teardown
//! deletes a bucket the stack made and nothing else holds; any other bucket keeps everything but the stack's
//! statements.

use super::desired::Planner;
use super::policy::{PolicyChange, merge_statements, public_statement};
use super::render::{ChangeJson, set};
use super::{Action, Conflict, Diff, Inventory, KindStep, Placement, Step, distribution};
use crate::config::{Hosted, Stack};
use crate::names::{self, cloudfront_statement_id, statement_id};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BucketInfo {
    /// The bucket's region (`None` only in tests).
    pub region: Option<String>,
    /// Carries the stack's tag.
    pub owned: bool,
    /// Carries another stack's tag: that stack's name.
    pub other_stack: Option<String>,
    /// The bucket policy document, if any.
    pub policy: Option<String>,
    pub public_access_block: Option<PublicAccessBlock>,
    /// Whether objects other than the stack's documents are in the bucket (teardown keeps such a bucket).
    pub has_other_objects: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// The issuer bucket as AWS has it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BucketSlice {
    pub found: Option<BucketInfo>,
    /// The bucket named by `/jwtstack/{name}/bucket`: created by this stack, tagged or not yet.
    pub marker: Option<String>,
}

impl BucketSlice {
    /// The stack created the bucket: it carries the tag, or the stack's record names it (a run that died
    /// between creating and tagging it).
    fn is_stacks(&self, bucket: &str) -> bool {
        self.found.as_ref().is_some_and(|b| b.owned) || self.marker.as_deref() == Some(bucket)
    }
}

/// One change to the bucket.
#[derive(Debug, Clone, PartialEq)]
pub enum BucketStep {
    Create {
        bucket: String,
    },
    /// Tags a bucket the stack created but did not get to tag (the run died in between).
    Tag {
        bucket: String,
    },
    PutPublicAccessBlock {
        bucket: String,
        before: Option<PublicAccessBlock>,
        after: PublicAccessBlock,
    },
    PutPolicy {
        bucket: String,
        policy: String,
        create: bool,
    },
    DeletePolicy {
        bucket: String,
    },
    Delete {
        bucket: String,
    },
    /// Removes `/jwtstack/{name}/bucket`, the record that the stack created its bucket.
    DeleteMarker {
        parameter: String,
    },
}

impl From<BucketStep> for Step {
    fn from(s: BucketStep) -> Step {
        Step::Bucket(s)
    }
}

impl BucketStep {
    /// What a public issuer needs of the account: a policy that grants public reads, or the settings that
    /// allow one (the account's Block Public Access is read before either).
    pub fn may_open_the_bucket(&self) -> bool {
        match self {
            BucketStep::PutPolicy { .. } | BucketStep::PutPublicAccessBlock { .. } => true,
            BucketStep::Create { .. }
            | BucketStep::Tag { .. }
            | BucketStep::DeletePolicy { .. }
            | BucketStep::Delete { .. }
            | BucketStep::DeleteMarker { .. } => false,
        }
    }
}

impl KindStep for BucketStep {
    fn placement(&self) -> Placement {
        match self {
            BucketStep::Create { .. }
            | BucketStep::Tag { .. }
            | BucketStep::PutPublicAccessBlock { .. }
            | BucketStep::PutPolicy { .. }
            | BucketStep::DeletePolicy { .. } => Placement::ISSUER,
            BucketStep::Delete { .. } | BucketStep::DeleteMarker { .. } => Placement::MAIN,
        }
    }

    fn lines(&self) -> Vec<ChangeJson> {
        use Action::*;
        let (action, resource, name, diffs) = match self {
            BucketStep::Create { bucket } => (Create, "s3_bucket", bucket.as_str(), vec![]),
            BucketStep::Tag { bucket } => (Update, "s3_bucket", bucket.as_str(), vec![Diff::new("tag", "none", names::TAG_KEY)]),
            BucketStep::PutPublicAccessBlock { bucket, before, after } => {
                let show = |p: &PublicAccessBlock| {
                    format!(
                        "acls blocked={} ignored={}, public policy blocked={} restricted={}",
                        p.block_public_acls, p.ignore_public_acls, p.block_public_policy, p.restrict_public_buckets
                    )
                };
                (
                    if before.is_some() { Update } else { Create },
                    "s3_public_access_block",
                    bucket.as_str(),
                    vec![Diff::new("settings", before.as_ref().map(show).unwrap_or_default(), show(after))],
                )
            }
            BucketStep::PutPolicy { bucket, create, .. } => (
                if *create { Create } else { Update },
                "s3_bucket_policy",
                bucket.as_str(),
                vec![set("statements", "jwtstack statement merged; other statements kept")],
            ),
            BucketStep::DeletePolicy { bucket } => (Delete, "s3_bucket_policy", bucket.as_str(), vec![]),
            BucketStep::Delete { bucket } => (Delete, "s3_bucket", bucket.as_str(), vec![]),
            BucketStep::DeleteMarker { parameter } => (Delete, "ssm_parameter", parameter.as_str(), vec![]),
        };
        vec![ChangeJson::new(action, resource, name, diffs)]
    }
}

/// The issuer bucket belongs to one stack and lives in one region, and so does the stack: another stack's
/// bucket is refused, and a run for another region would publish documents the first region's authorizer
/// trusts, or delete them. Refused before any change (deploy and teardown alike).
pub fn bucket_is_ours(stack: &Stack, inv: &Inventory) -> Result<(), Conflict> {
    let (Some(h), Some(b)) = (stack.hosted(), &inv.bucket.found) else {
        return Ok(());
    };
    // A bucket, its documents and its issuer belong to one stack: another stack's would have its JWKS
    // replaced (its tokens then fail with "unknown kid") or deleted by this stack's teardown.
    if let Some(other) = &b.other_stack {
        return Err(Conflict::BucketOfAnotherStack {
            bucket: h.bucket.clone(),
            other: other.clone(),
            stack: stack.name.clone(),
        });
    }
    match &b.region {
        Some(r) if r != &inv.region => Err(Conflict::BucketRegion {
            bucket: h.bucket.clone(),
            bucket_region: r.clone(),
            region: inv.region.clone(),
            stack: stack.name.clone(),
        }),
        _ => Ok(()),
    }
}

/// The bucket, its public-access settings, the distribution in front of it (`cloudfront`), and its policy:
/// the public statement, or the distribution's.
pub(super) fn plan(p: &mut Planner<'_>, h: &Hosted) -> Result<(), Conflict> {
    let inv = p.inv;
    let bucket = h.bucket.clone();
    let found = inv.bucket.found.as_ref();
    match found {
        None => p.push(BucketStep::Create { bucket: bucket.clone() }),
        Some(b) if !b.owned && inv.bucket.marker.as_deref() == Some(bucket.as_str()) => p.push(BucketStep::Tag { bucket: bucket.clone() }),
        Some(_) => {}
    }
    let existing_pab = found.and_then(|b| b.public_access_block);
    // Public: policies may grant public reads (the stack's one statement). Behind CloudFront: everything on.
    let block_policies = (h.public || h.cloudfront.is_some()).then_some(!h.public);
    if let Some(block_policies) = block_policies {
        let wanted = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: block_policies,
            restrict_public_buckets: block_policies,
        };
        if existing_pab != Some(wanted) {
            p.push(BucketStep::PutPublicAccessBlock {
                bucket: bucket.clone(),
                before: existing_pab,
                after: wanted,
            });
        }
    }
    if let Some(cf) = &h.cloudfront {
        distribution::plan_front(p, h, cf)?;
    }
    let stack = p.d.stack;
    let existing_policy = found.and_then(|b| b.policy.clone());
    let public = h.public.then(|| public_statement(stack, h, &inv.region));
    let read = h.cloudfront.as_ref().map(|_| distribution::read_statement(stack, h, inv));
    let wanted = [(statement_id(&stack.name), public), (cloudfront_statement_id(&stack.name), read)];
    match merge_statements(existing_policy.as_deref(), wanted) {
        PolicyChange::None => {}
        PolicyChange::Put(policy) => p.push(BucketStep::PutPolicy {
            bucket,
            policy,
            create: existing_policy.is_none(),
        }),
        PolicyChange::Delete => p.push(BucketStep::DeletePolicy { bucket }),
    }
    Ok(())
}

/// Teardown: the bucket when the stack made it and holds nothing else; otherwise only the stack's
/// statements leave its policy. Then the record of having made it.
pub(super) fn remove(p: &mut Planner<'_>) {
    if !p.d.removes_issuer() {
        return;
    }
    let (stack, inv) = (p.d.stack, p.inv);
    if let (Some(b), Some(h)) = (&inv.bucket.found, stack.hosted()) {
        let bucket = h.bucket.clone();
        let owned = inv.bucket.is_stacks(&bucket);
        let deleting = owned && !b.has_other_objects;
        if deleting {
            p.push(BucketStep::Delete { bucket });
        } else {
            let ours = [(statement_id(&stack.name), None), (cloudfront_statement_id(&stack.name), None)];
            match merge_statements(b.policy.as_deref(), ours) {
                PolicyChange::None => {}
                PolicyChange::Put(policy) => p.push(BucketStep::PutPolicy {
                    bucket: bucket.clone(),
                    policy,
                    create: false,
                }),
                PolicyChange::Delete => p.push(BucketStep::DeletePolicy { bucket: bucket.clone() }),
            }
            p.note(if owned {
                format!("bucket {bucket} is kept: it holds objects the stack did not write")
            } else {
                format!("bucket {bucket} is kept: the stack did not create it (its public access block is left as it is)")
            });
        }
    }
    if inv.bucket.marker.is_some() {
        p.push(BucketStep::DeleteMarker {
            parameter: names::bucket_marker(&stack.name),
        });
    }
}

#[cfg(test)]
impl BucketStep {
    pub(super) fn simulate(&self, inv: &mut Inventory) {
        fn found(inv: &mut Inventory) -> &mut BucketInfo {
            inv.bucket.found.as_mut().expect("the bucket exists")
        }
        match self {
            BucketStep::Create { bucket } => {
                inv.bucket.marker = Some(bucket.clone());
                inv.bucket.found = Some(BucketInfo {
                    owned: true,
                    ..BucketInfo::default()
                })
            }
            BucketStep::Tag { .. } => found(inv).owned = true,
            BucketStep::PutPublicAccessBlock { after, .. } => found(inv).public_access_block = Some(*after),
            BucketStep::PutPolicy { policy, .. } => found(inv).policy = Some(policy.clone()),
            BucketStep::DeletePolicy { .. } => found(inv).policy = None,
            BucketStep::Delete { .. } => inv.bucket.found = None,
            BucketStep::DeleteMarker { .. } => inv.bucket.marker = None,
        }
    }
}
