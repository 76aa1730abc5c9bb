//! What exists in AWS for one stack, as plain data. `aws::inventory` fills it; the planner only reads it.

use std::collections::{BTreeMap, BTreeSet};

use crate::crypto::keys::Jwk;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// The region everything lives in (from the stack file or the AWS config chain).
    pub region: String,
    /// Private keys (SSM parameters under `/jwtstack/{name}/keys/`, KMS keys under `alias/jwtstack/{name}/`),
    /// by kid, with their public half when known without decrypting.
    pub keys: BTreeMap<String, KeyInfo>,
    pub bucket: Option<BucketInfo>,
    /// The bucket named by `/jwtstack/{name}/bucket`: created by this stack, tagged or not yet.
    pub bucket_marker: Option<String>,
    /// Who holds the stack's run lock, described.
    pub lock_holder: Option<String>,
    /// The lock was left by a run of this machine that is gone.
    pub lock_stale: bool,
    /// When each key was published, signed and unpublished, as deploys recorded it (`None` before the first).
    pub key_timeline: Option<KeyTimeline>,
    /// The published documents, by object key.
    pub objects: BTreeMap<String, ObjectInfo>,
    pub api: Option<ApiInfo>,
    pub authorizer: Option<AuthorizerInfo>,
    pub integrations: Vec<IntegrationInfo>,
    pub routes: Vec<RouteInfo>,
    pub stage: Option<StageInfo>,
    /// Lambda invoke permissions that this stack added, by function ARN.
    pub permissions: BTreeMap<String, PermissionInfo>,
    /// Functions named by the stack's `lambda:` integrations that do not exist.
    pub missing_functions: BTreeSet<String>,
    /// The stack's CloudFront distribution (found by `/jwtstack/{name}/distribution`, else by its comment).
    pub distribution: Option<DistributionInfo>,
    /// `/jwtstack/{name}/distribution` names a distribution (which may since have gone).
    pub distribution_record: Option<String>,
    /// The stack's origin access control, by its name.
    pub origin_access_control: Option<OriginAccessControlInfo>,
    /// `issuer.cloudfront.certificate_arn` as ACM describes it in us-east-1 (`None`: not found).
    pub certificate: Option<CertificateInfo>,
    /// The A and AAAA records of `issuer.cloudfront.domain` in its hosted zone.
    pub alias_records: Vec<AliasRecordInfo>,
    /// The access log's group, `/jwtstack/{name}/access`.
    pub log_group: Option<LogGroupInfo>,
    /// `/jwtstack/{name}/access-log` and `/jwtstack/{name}/domain`: what the stack recorded creating.
    pub log_group_record: Option<String>,
    pub api_domain_record: Option<String>,
    /// The custom domain names tagged with the stack, and the one `domain.name` names (whoever owns it),
    /// with their API mappings.
    pub api_domains: Vec<ApiDomainInfo>,
    /// `domain.certificate_arn` as ACM describes it in the stack's region (`None`: not found).
    pub api_certificate: Option<CertificateInfo>,
    /// The A and AAAA records of `domain.name` in its hosted zone.
    pub api_alias_records: Vec<AliasRecordInfo>,
}

impl Inventory {
    /// The JWKS object at `jwks_key` as deployed, when it exists and reads as a JWKS.
    pub fn published_jwks(&self, jwks_key: &str) -> Option<crate::crypto::keys::Jwks> {
        self.objects.get(jwks_key).and_then(|o| serde_json::from_slice(&o.body).ok())
    }

    /// The kids in the JWKS object at `jwks_key` as deployed (none when it is missing or unreadable).
    pub fn published_kids(&self, jwks_key: &str) -> Vec<String> {
        self.published_jwks(jwks_key)
            .map(|j| j.keys.into_iter().map(|k| k.kid).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyInfo {
    pub home: super::KeyHome,
    /// The public half: the SSM key's record (or, for a deploy, derived from the key when no record exists
    /// yet), or KMS's GetPublicKey.
    pub public: Option<Jwk>,
    /// An SSM key's public half is recorded beside it (always true for a KMS key).
    pub recorded: bool,
    /// A KMS key scheduled for deletion: when it will be deleted (Unix seconds).
    pub deletion: Option<i64>,
    pub bits: Option<usize>,
    /// When the parameter was written (Unix seconds): the key's creation, since it is never overwritten.
    pub created: Option<i64>,
}

/// How many retired keys the key timeline remembers (for `status`).
pub const RETIRED_KEPT: usize = 4;

/// The most an SSM standard parameter holds, in characters.
pub const SSM_STANDARD_MAX_CHARS: usize = 4096;

/// `/jwtstack/{name}/key-timeline`: what deploys did with each key, and when (Unix seconds). Rotation's
/// timing rules read it; deploy writes it right after publishing the JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct KeyTimeline {
    /// The key that signs, as of the last deploy.
    #[serde(default)]
    pub signing: Option<String>,
    #[serde(default)]
    pub keys: BTreeMap<String, KeyEvents>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct KeyEvents {
    /// Published in the JWKS since (reset when a key is published again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpublished: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_from: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_until: Option<i64>,
}

impl KeyTimeline {
    /// The keys published as of the last deploy, sorted.
    pub fn published(&self) -> Vec<&str> {
        self.keys
            .iter()
            .filter(|(_, e)| e.published.is_some() && e.unpublished.is_none())
            .map(|(k, _)| k.as_str())
            .collect()
    }

    /// The timeline after a deploy at `now` that publishes `published` and signs with `signing`.
    pub fn advance(&self, now: i64, published: &[&str], signing: &str) -> KeyTimeline {
        let mut next = self.clone();
        for (kid, e) in next.keys.iter_mut() {
            if e.published.is_some() && e.unpublished.is_none() && !published.contains(&kid.as_str()) {
                e.unpublished = Some(now);
            }
        }
        for kid in published {
            let e = next.keys.entry(kid.to_string()).or_default();
            if e.published.is_none() || e.unpublished.is_some() {
                e.published = Some(now);
                e.unpublished = None;
            }
        }
        if next.signing.as_deref() != Some(signing) {
            if let Some(old) = next.signing.take().and_then(|k| next.keys.get_mut(&k)) {
                old.signing_until = Some(now);
            }
            let e = next.keys.entry(signing.to_string()).or_default();
            e.signing_from = Some(now);
            e.signing_until = None;
            next.signing = Some(signing.to_string());
        }
        next.prune();
        next
    }

    /// Forgets all but the newest [`RETIRED_KEPT`] retired keys: rotation needs the events of published keys
    /// only, and the record must stay within an SSM standard parameter (4,096 characters) however many
    /// rotations a stack goes through.
    fn prune(&mut self) {
        let mut retired: Vec<(i64, String)> = self
            .keys
            .iter()
            .filter(|(k, e)| e.unpublished.is_some() && self.signing.as_deref() != Some(k.as_str()))
            .map(|(k, e)| (e.unpublished.unwrap_or_default(), k.clone()))
            .collect();
        retired.sort_unstable_by(|a, b| b.cmp(a));
        for (_, kid) in retired.into_iter().skip(RETIRED_KEPT) {
            self.keys.remove(&kid);
        }
    }

    /// The record as stored, in characters.
    pub fn stored_len(&self) -> usize {
        serde_json::to_string(self).map(|s| s.chars().count()).unwrap_or_default()
    }
}

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

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectInfo {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    /// The object's server-side encryption (`AES256`, `aws:kms`...), when S3 says.
    pub encryption: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiInfo {
    pub id: String,
    pub name: String,
    pub endpoint: String,
    /// Created by this stack (carries its tag); an adopted API is not owned.
    pub owned: bool,
    /// The API's CORS configuration (`None`: none).
    pub cors: Option<crate::config::Cors>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuthorizerInfo {
    pub id: String,
    pub issuer: String,
    pub audience: Vec<String>,
    pub identity_source: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IntegrationInfo {
    pub id: String,
    pub integration_type: String,
    pub uri: String,
    pub method: Option<String>,
    pub payload_format_version: Option<String>,
    /// Carries the stack's marker in its description (or lives in an API the stack owns).
    pub owned: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RouteInfo {
    pub id: String,
    pub key: String,
    pub authorization_type: Option<String>,
    pub authorizer_id: Option<String>,
    pub scopes: Vec<String>,
    /// `integrations/{id}`.
    pub target: Option<String>,
    /// A public route of an adopted API carries the stack's marker here (it has no authorizer to tell).
    pub operation_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StageInfo {
    pub auto_deploy: bool,
    pub owned: bool,
    /// Where and how the stage writes its access log.
    pub access_log: Option<AccessLogSettings>,
    /// The default route throttling (rate, burst), when configured.
    pub throttling: Option<(f64, i32)>,
    /// The default route settings' detailed metrics flag (kept as it is on every update).
    pub detailed_metrics: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessLogSettings {
    /// The log group's ARN (without `:*`).
    pub destination: String,
    pub format: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogGroupInfo {
    /// `arn:aws:logs:{region}:{account}:log-group:{name}` (without `:*`).
    pub arn: String,
    /// `None`: never expire.
    pub retention_days: Option<u32>,
    /// Carries the stack's tag.
    pub owned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiDomainInfo {
    pub name: String,
    pub certificate_arn: Option<String>,
    pub endpoint_type: Option<String>,
    pub security_policy: Option<String>,
    /// The regional endpoint the domain's DNS record points at (`d-abc123.execute-api.{region}.amazonaws.com`).
    pub target: String,
    /// That endpoint's hosted zone (the alias target's zone).
    pub target_zone: String,
    /// Carries the stack's tag.
    pub owned: bool,
    pub mappings: Vec<ApiMappingInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiMappingInfo {
    pub id: String,
    pub api_id: String,
    pub stage: String,
    /// The base path (`""`: the root).
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PermissionInfo {
    /// The SourceArn condition of the stack's statement.
    pub source_arn: Option<String>,
}

/// A distribution as AWS has it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DistributionInfo {
    pub id: String,
    pub arn: String,
    /// `d111111abcdef8.cloudfront.net`.
    pub domain_name: String,
    /// `InProgress` or `Deployed`.
    pub status: String,
    /// Carries the stack's tag.
    pub owned: bool,
    pub settings: DistributionSettings,
}

/// What jwtstack decides about its distribution; the planner compares these field by field, and an update
/// writes them over the distribution's configuration (keeping what jwtstack does not manage: WAF, logging,
/// geo restrictions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DistributionSettings {
    pub enabled: bool,
    /// The bucket's regional REST endpoint, `{bucket}.s3.{region}.amazonaws.com`.
    pub origin_domain: String,
    /// The only origin's origin access control (`None`: not known yet, it is created in the same run).
    pub origin_access_control_id: Option<String>,
    /// The origins the distribution has (jwtstack's: exactly one).
    pub origins: usize,
    pub aliases: Vec<String>,
    /// `None`: CloudFront's default certificate (`*.cloudfront.net`).
    pub certificate_arn: Option<String>,
    pub minimum_protocol_version: Option<String>,
    pub price_class: String,
    pub viewer_protocol_policy: String,
    pub cache_policy_id: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OriginAccessControlInfo {
    pub id: String,
    pub name: String,
    pub signing_behavior: String,
    pub signing_protocol: String,
    pub origin_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertificateInfo {
    pub arn: String,
    /// ACM's status: `ISSUED`, `PENDING_VALIDATION`, `EXPIRED`...
    pub status: String,
    /// The domain name and the subject alternative names.
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AliasRecordInfo {
    /// `A` or `AAAA`.
    pub record_type: String,
    /// The alias target's DNS name without the final dot; `None` for a record that is not an alias.
    pub alias_target: Option<String>,
}
