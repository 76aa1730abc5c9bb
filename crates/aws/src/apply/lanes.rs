//! How a plan's steps are scheduled: the two first lanes that run side by side, and the groups of
//! neighbouring steps that may run together.

use jwtstack_core::plan::Step;

/// The steps of the two first lanes and the rest, as indices into the plan.
pub(super) fn lanes(steps: &[Step]) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let is_issuer = |s: &Step| {
        matches!(
            s,
            Step::CreateKey { .. }
                | Step::RecordPublicKey { .. }
                | Step::TagBucket { .. }
                | Step::CreateBucket { .. }
                | Step::PutPublicAccessBlock { .. }
                | Step::PutBucketPolicy { .. }
                | Step::DeleteBucketPolicy { .. }
                | Step::PutObject { .. }
                | Step::UpdateKeys { .. }
                | Step::CreateOriginAccessControl { .. }
                | Step::CreateDistribution { .. }
                | Step::RecordDistribution { .. }
                | Step::UpdateDistribution { .. }
                | Step::InvalidateDocuments { .. }
                | Step::PutAliasRecords { .. }
                | Step::AwaitDistribution { .. }
        )
    };
    let is_api_head = |s: &Step| {
        matches!(
            s,
            Step::CreateApi { .. } | Step::UpdateApiName { .. } | Step::CreateIntegration { .. }
        )
    };
    let issuer: Vec<usize> = (0..steps.len()).take_while(|&i| is_issuer(&steps[i])).collect();
    let api_head: Vec<usize> = (issuer.len()..steps.len()).filter(|&i| is_api_head(&steps[i])).collect();
    let rest: Vec<usize> = (issuer.len()..steps.len()).filter(|i| !api_head.contains(i)).collect();
    (issuer, api_head, rest)
}

/// Steps that may run at the same time as their neighbours of the same group: they touch different
/// resources and need nothing from each other. Every other step runs alone, in order. Writes to the API are
/// never in a group: API Gateway serialises changes to one API and answers 409 "concurrent modification" to
/// overlapping writes (terraform-provider-aws issues 18018 and 37897), and its 10-per-second quota bounds them
/// anyway.
pub(super) fn parallel_group(step: &Step) -> Option<u8> {
    Some(match step {
        Step::PutObject { .. } => 1,
        Step::AddPermission { .. } | Step::ReplacePermission { .. } => 4,
        Step::RemovePermission { .. } => 7,
        Step::DeleteObject { .. } => 8,
        Step::DeleteKey { .. } => 9,
        _ => return None,
    })
}
