//! S3: the issuer bucket, its public-access settings and policy statement, and the two published documents.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration, ServerSideEncryption, Tag, Tagging,
};

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use super::retry::no_retry;
use super::{AwsError, Clients, ErrorKind, classify};
use jwtstack_core::crypto::documents::{CACHE_CONTROL, CONTENT_TYPE};
use jwtstack_core::names::TAG_KEY;
use jwtstack_core::plan::{BucketInfo, ObjectInfo, PublicAccessBlock};

/// Reads the bucket's state and the given objects. `None` when the bucket does not exist.
pub async fn read_bucket(
    c: &Clients,
    bucket: &str,
    stack: &str,
    keys: &[String],
) -> Result<(Option<BucketInfo>, BTreeMap<String, ObjectInfo>), AwsError> {
    let head = match c.s3.head_bucket().bucket(bucket).send().await {
        Ok(out) => out,
        Err(e) => {
            // A bucket in another region answers 301 (or 400) with its region in `x-amz-bucket-region`, and the
            // SDK does not follow it (awslabs/aws-sdk-rust issue 183). The planner refuses such a bucket by name.
            if let Some(region) = bucket_region_of(&e) {
                let info = BucketInfo {
                    region: Some(region),
                    ..BucketInfo::default()
                };
                return Ok((Some(info), BTreeMap::new()));
            }
            let mut err = classify(format!("reading S3 bucket {bucket}"), e);
            return match err.kind {
                ErrorKind::NotFound => Ok((None, BTreeMap::new())),
                ErrorKind::AccessDenied | ErrorKind::Other if err.code.is_none() || err.code.as_deref() == Some("Forbidden") => {
                    err.kind = ErrorKind::AccessDenied;
                    err.hint = Some(format!(
                        "bucket names are global: `{bucket}` may belong to another account; choose another issuer.bucket"
                    ));
                    Err(err)
                }
                _ => Err(err),
            };
        }
    };
    // The bucket exists: its settings and objects are read concurrently.
    let region = async {
        if let Some(r) = head.bucket_region() {
            return Ok(r.to_string());
        }
        let out =
            c.s3.get_bucket_location()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| classify(format!("reading the region of S3 bucket {bucket}"), e))?;
        // No constraint means us-east-1 (and `EU` is the old name of eu-west-1).
        Ok(match out.location_constraint().map(|l| l.as_str()) {
            None | Some("") => "us-east-1".to_string(),
            Some("EU") => "eu-west-1".to_string(),
            Some(r) => r.to_string(),
        })
    };
    // The stack whose tag the bucket carries (this one, another, or none).
    let owner = async {
        match c.s3.get_bucket_tagging().bucket(bucket).send().await {
            Ok(t) => Ok(t.tag_set().iter().find(|t| t.key() == TAG_KEY).map(|t| t.value().to_string())),
            Err(e) => {
                let err = classify(format!("reading the tags of S3 bucket {bucket}"), e);
                if err.is_not_found() { Ok(None) } else { Err(err) }
            }
        }
    };
    let policy = async {
        match c.s3.get_bucket_policy().bucket(bucket).send().await {
            Ok(p) => Ok(p.policy().map(str::to_string)),
            Err(e) => {
                let err = classify(format!("reading the policy of S3 bucket {bucket}"), e);
                if err.is_not_found() { Ok(None) } else { Err(err) }
            }
        }
    };
    let public_access_block = async {
        match c.s3.get_public_access_block().bucket(bucket).send().await {
            Ok(p) => Ok(p.public_access_block_configuration().map(|p| PublicAccessBlock {
                block_public_acls: p.block_public_acls().unwrap_or(false),
                ignore_public_acls: p.ignore_public_acls().unwrap_or(false),
                block_public_policy: p.block_public_policy().unwrap_or(false),
                restrict_public_buckets: p.restrict_public_buckets().unwrap_or(false),
            })),
            Err(e) => {
                let err = classify(format!("reading the public access block of S3 bucket {bucket}"), e);
                if err.is_not_found() { Ok(None) } else { Err(err) }
            }
        }
    };
    let objects = async {
        let found = futures_util::future::try_join_all(keys.iter().map(|k| get_object(c, bucket, k))).await?;
        Ok(keys
            .iter()
            .cloned()
            .zip(found)
            .filter_map(|(k, o)| o.map(|o| (k, o)))
            .collect::<BTreeMap<_, _>>())
    };
    // Whether teardown may delete the bucket: one small listing.
    let has_other_objects = async {
        let listing =
            c.s3.list_objects_v2()
                .bucket(bucket)
                .max_keys(keys.len() as i32 + 1)
                .send()
                .await
                .map_err(|e| classify(format!("listing S3 bucket {bucket}"), e))?;
        Ok(listing
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .any(|k| !keys.iter().any(|ours| ours == k)))
    };
    let (region, owner, policy, public_access_block, objects, has_other_objects) =
        tokio::try_join!(region, owner, policy, public_access_block, objects, has_other_objects)?;
    Ok((
        Some(BucketInfo {
            region: Some(region),
            owned: owner.as_deref() == Some(stack),
            other_stack: owner.filter(|o| o != stack),
            policy,
            public_access_block,
            has_other_objects,
        }),
        objects,
    ))
}

/// The region a refused bucket call names, when S3 says the bucket lives elsewhere.
fn bucket_region_of<E>(e: &SdkError<E, HttpResponse>) -> Option<String> {
    let raw = e.raw_response()?;
    if !matches!(raw.status().as_u16(), 301 | 400 | 403) {
        return None;
    }
    raw.headers().get("x-amz-bucket-region").map(str::to_string)
}

/// One object's body and headers, `None` when it does not exist.
/// The most of an object [`get_object`] reads: API Gateway's limit on a fetched issuer document.
pub const MAX_OBJECT_BYTES: usize = jwtstack_core::issuer::MAX_BYTES;

pub async fn get_object(c: &Clients, bucket: &str, key: &str) -> Result<Option<ObjectInfo>, AwsError> {
    let context = format!("reading s3://{bucket}/{key}");
    match c.s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let content_type = out.content_type().map(str::to_string);
            let cache_control = out.cache_control().map(str::to_string);
            let encryption = out.server_side_encryption().map(|e| e.as_str().to_string());
            // The documents are jwtstack's and small; one that grew past API Gateway's limit (by hand, or
            // another tool) is read to one byte past it and no further: it differs from what the stack
            // publishes, and a JWKS reader says it is too large.
            let mut body = Vec::new();
            let mut stream = out.body;
            while let Some(chunk) = stream
                .try_next()
                .await
                .map_err(|e| AwsError::new(context.clone(), ErrorKind::Connection, e.to_string()))?
            {
                let room = (MAX_OBJECT_BYTES + 1).saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() > MAX_OBJECT_BYTES {
                    break;
                }
            }
            Ok(Some(ObjectInfo {
                body,
                content_type,
                cache_control,
                encryption,
            }))
        }
        Err(e) => {
            let err = classify(context, e);
            if err.is_not_found() { Ok(None) } else { Err(err) }
        }
    }
}

pub async fn bucket_exists(c: &Clients, bucket: &str) -> Result<bool, AwsError> {
    match c.s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(true),
        Err(e) => {
            let err = classify(format!("reading S3 bucket {bucket}"), e);
            if err.is_not_found() { Ok(false) } else { Err(err) }
        }
    }
}

/// Creates the bucket. A bucket we already own (our own earlier attempt) is fine.
pub async fn create_bucket(c: &Clients, bucket: &str) -> Result<(), AwsError> {
    let mut req = c.s3.create_bucket().bucket(bucket);
    if c.region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(c.region.as_str()))
                .build(),
        );
    }
    let override_retry = aws_sdk_s3::config::Builder::default().retry_config(no_retry());
    if let Err(e) = req.customize().config_override(override_retry).send().await {
        let err = classify(format!("creating S3 bucket {bucket}"), e);
        if err.code.as_deref() != Some("BucketAlreadyOwnedByYou") {
            return Err(err);
        }
    }
    Ok(())
}

/// Marks the bucket as the stack's.
pub async fn tag_bucket(c: &Clients, bucket: &str, stack: &str) -> Result<(), AwsError> {
    let context = format!("tagging S3 bucket {bucket}");
    let tag = Tag::builder()
        .key(TAG_KEY)
        .value(stack)
        .build()
        .map_err(|e| AwsError::new(context.clone(), ErrorKind::Other, e.to_string()))?;
    let tagging = Tagging::builder()
        .tag_set(tag)
        .build()
        .map_err(|e| AwsError::new(context.clone(), ErrorKind::Other, e.to_string()))?;
    c.s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| classify(context, e))?;
    Ok(())
}

pub async fn put_public_access_block(c: &Clients, bucket: &str, p: PublicAccessBlock) -> Result<(), AwsError> {
    let conf = PublicAccessBlockConfiguration::builder()
        .block_public_acls(p.block_public_acls)
        .ignore_public_acls(p.ignore_public_acls)
        .block_public_policy(p.block_public_policy)
        .restrict_public_buckets(p.restrict_public_buckets)
        .build();
    c.s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(conf)
        .send()
        .await
        .map_err(|e| classify(format!("setting the public access block of S3 bucket {bucket}"), e))?;
    Ok(())
}

pub async fn put_bucket_policy(c: &Clients, bucket: &str, policy: &str) -> Result<(), AwsError> {
    c.s3.put_bucket_policy().bucket(bucket).policy(policy).send().await.map_err(|e| {
        let mut err = classify(format!("putting the policy of S3 bucket {bucket}"), e);
        if err.kind == ErrorKind::AccessDenied {
            err.hint = Some(
                "S3 refuses a public bucket policy when Block Public Access forbids it (the bucket's, the \
                     account's or the organisation's setting) or a service control policy denies it, as well as when \
                     IAM does not allow s3:PutBucketPolicy. Ways out: serve the issuer from a private bucket behind \
                     CloudFront (`cloudfront: true` under issuer; docs/cloudfront.md), or ask an administrator for an \
                     exception for this bucket"
                    .into(),
            );
        }
        err
    })?;
    Ok(())
}

pub async fn delete_bucket_policy(c: &Clients, bucket: &str) -> Result<(), AwsError> {
    c.s3.delete_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| classify(format!("deleting the policy of S3 bucket {bucket}"), e))?;
    Ok(())
}

pub async fn put_document(c: &Clients, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), AwsError> {
    c.s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(CONTENT_TYPE)
        .cache_control(CACHE_CONTROL)
        // Explicitly SSE-S3: a bucket whose default is SSE-KMS would otherwise encrypt the documents with a KMS
        // key that anonymous readers (API Gateway) cannot use.
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| classify(format!("uploading s3://{bucket}/{key}"), e))?;
    Ok(())
}

pub async fn delete_object(c: &Clients, bucket: &str, key: &str) -> Result<(), AwsError> {
    c.s3.delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| classify(format!("deleting s3://{bucket}/{key}"), e))?;
    Ok(())
}

pub async fn delete_bucket(c: &Clients, bucket: &str) -> Result<(), AwsError> {
    c.s3.delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| classify(format!("deleting S3 bucket {bucket}"), e))?;
    Ok(())
}
