//! The account: its id (STS, which the token endpoint's ARNs name) and its Block Public Access setting (S3 Control). An account (or organisation)
//! that blocks public bucket policies makes a public issuer impossible whatever the bucket says; it is read
//! before a deploy that would make the issuer bucket public, so that such a deploy changes nothing.

use super::{AwsError, Clients, classify};
use jwtstack_core::plan::PublicAccessBlock;

/// The account's id (STS `GetCallerIdentity`, which needs no permission).
pub async fn id(c: &Clients) -> Result<String, AwsError> {
    let who = c
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| classify("reading the account id (sts:GetCallerIdentity)", e))?;
    Ok(who.account().unwrap_or_default().to_string())
}

/// The account-level Block Public Access setting: `None` when the account has none (S3 then applies each
/// bucket's own).
pub async fn public_access_block(c: &Clients) -> Result<Option<PublicAccessBlock>, AwsError> {
    let account = id(c).await?;
    match c.s3control.get_public_access_block().account_id(&account).send().await {
        Ok(out) => Ok(out.public_access_block_configuration().map(|p| PublicAccessBlock {
            block_public_acls: p.block_public_acls().unwrap_or(false),
            ignore_public_acls: p.ignore_public_acls().unwrap_or(false),
            block_public_policy: p.block_public_policy().unwrap_or(false),
            restrict_public_buckets: p.restrict_public_buckets().unwrap_or(false),
        })),
        Err(e) => {
            let err = classify(format!("reading the Block Public Access setting of account {account}"), e);
            if err.is_not_found() { Ok(None) } else { Err(err) }
        }
    }
}

/// S3 Control's endpoint rules put the account id in front of the host (`{account}.s3-control...`), which an
/// emulator's `--endpoint-url` (an IP address) cannot take: with a custom endpoint, every call goes to it as is.
#[derive(Debug)]
pub(super) struct FixedEndpoint(pub String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_smithy_runtime_api::client::endpoint::EndpointFuture<'a> {
        aws_smithy_runtime_api::client::endpoint::EndpointFuture::ready(Ok(aws_smithy_types::endpoint::Endpoint::builder()
            .url(self.0.clone())
            .build()))
    }
}
