//! The bucket steps: a bucket claimed, recorded, created and tagged (in that order, so that of two stacks
//! creating one bucket only one goes on, and a run that dies before the tag still knows it), its public-access
//! settings and policy, its deletion with the claim and the record.

use jwtstack_core::config::Stack;
use jwtstack_core::plan::BucketStep;

use super::Effect;
use crate::retry::{create_once, when_busy};
use crate::{AwsError, Clients, s3, ssm};

pub(super) async fn run(c: &Clients, stack: &Stack, step: &BucketStep) -> Result<Effect, AwsError> {
    let name = &stack.name;
    match step {
        BucketStep::Create { bucket } => {
            ssm::claim_bucket(c, bucket, name).await?;
            ssm::put_bucket_marker(c, name, bucket).await?;
            create_once(
                bucket,
                || s3::create_bucket(c, bucket),
                || async { Ok(s3::bucket_exists(c, bucket).await?.then_some(())) },
            )
            .await?;
            when_busy(|| s3::tag_bucket(c, bucket, name)).await?
        }
        BucketStep::Tag { bucket } => when_busy(|| s3::tag_bucket(c, bucket, name)).await?,
        BucketStep::PutPublicAccessBlock { bucket, after, .. } => when_busy(|| s3::put_public_access_block(c, bucket, *after)).await?,
        BucketStep::PutPolicy { bucket, policy, .. } => when_busy(|| s3::put_bucket_policy(c, bucket, policy)).await?,
        BucketStep::DeletePolicy { bucket } => when_busy(|| s3::delete_bucket_policy(c, bucket)).await?,
        BucketStep::Delete { bucket } => {
            when_busy(|| s3::delete_bucket(c, bucket)).await?;
            ssm::delete_bucket_claim(c, bucket).await?
        }
        BucketStep::DeleteMarker { .. } => ssm::delete_bucket_marker(c, name).await?,
    }
    Ok(Effect::None)
}
