//! The pure planner: what AWS should become, as an ordered list of steps. No I/O, deterministic order.
//!
//! - this file: the contract between the planner and the executor (`Step`, `Plan`, `Conflict`);
//! - `inventory`: what exists in AWS, as plain data (filled by `aws::inventory`);
//! - `planner`: `plan(&Stack, &Inventory) -> Plan`, one `do_plan_*` per part of the stack;
//! - `teardown`: the plan toward nothing; `keys`: key rotation lines and `keys delete`;
//! - `policy`: the bucket policy statement; `render`: text and JSON.
//!
//! Steps come out in the order AWS needs them: key, bucket, documents, API, authorizer, integrations,
//! routes, stage, permissions, then deletions of what is no longer wanted.

mod cloudfront;
mod dns;
mod import;
pub mod inventory;
mod keys;
pub mod openapi;
mod planner;
mod policy;
mod render;
pub mod surface;
mod teardown;

pub use cloudfront::{ORIGIN_ID, distribution_comment, resolve};
pub use import::fold_into_import;
pub use inventory::*;
pub use keys::{KeyDeleteRefused, plan_key_delete};
pub use planner::{bucket_is_ours, plan};
pub use render::{PlanJson, render_text};
pub use teardown::plan_teardown;

use std::collections::BTreeMap;

use crate::config::{Integration, KeyRole, KeyStore, Method, Stack};
use crate::crypto::keys::Jwk;

/// What an integration is, independent of its id: routes with equal specs share one integration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct IntegrationSpec {
    pub integration_type: String,
    pub uri: String,
    pub method: Option<String>,
    pub payload_format_version: String,
}

impl IntegrationSpec {
    pub fn for_route(integration: &Integration, method: Option<Method>) -> IntegrationSpec {
        match integration {
            Integration::Http { url } => IntegrationSpec {
                integration_type: "HTTP_PROXY".into(),
                uri: url.clone(),
                method: Some(method.unwrap_or(Method::Any).as_str().into()),
                payload_format_version: "1.0".into(),
            },
            Integration::Lambda { arn } => IntegrationSpec {
                integration_type: "AWS_PROXY".into(),
                uri: arn.clone(),
                method: None,
                payload_format_version: "2.0".into(),
            },
        }
    }

    /// What an existing integration is. A Lambda integration made by an import names its function by the
    /// invocation URI; it is the same integration as one naming the function's ARN.
    pub fn of(info: &IntegrationInfo) -> IntegrationSpec {
        let uri = match info.integration_type.as_str() {
            "AWS_PROXY" => openapi::function_of_invocation_uri(&info.uri).unwrap_or(&info.uri),
            _ => &info.uri,
        };
        IntegrationSpec {
            integration_type: info.integration_type.clone(),
            uri: uri.to_string(),
            method: info.method.clone().filter(|_| info.integration_type == "HTTP_PROXY"),
            payload_format_version: info.payload_format_version.clone().unwrap_or_default(),
        }
    }

    pub fn describe(&self) -> String {
        match &self.method {
            Some(m) => format!("{} {} {}", self.integration_type, m, self.uri),
            None => format!("{} {}", self.integration_type, self.uri),
        }
    }
}

/// Where a private key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyHome {
    /// An SSM SecureString PEM (`parameter`), its public half recorded in the String parameter `record`.
    Ssm { parameter: String, record: String },
    /// An asymmetric KMS key named by `alias`; `key_id` once it exists.
    Kms { alias: String, key_id: Option<String> },
}

impl KeyHome {
    /// Where a new key named `kid` goes in `store`.
    pub fn new(stack: &Stack, store: KeyStore, kid: &str) -> KeyHome {
        match store {
            KeyStore::Ssm => KeyHome::Ssm {
                parameter: crate::names::key_parameter(&stack.name, kid),
                record: crate::names::public_key_record(&stack.name, kid),
            },
            KeyStore::Kms => KeyHome::Kms {
                alias: crate::names::kms_alias(&stack.name, kid),
                key_id: None,
            },
        }
    }

    pub fn store(&self) -> KeyStore {
        match self {
            KeyHome::Ssm { .. } => KeyStore::Ssm,
            KeyHome::Kms { .. } => KeyStore::Kms,
        }
    }

    /// The SSM parameter or the KMS alias.
    pub fn name(&self) -> &str {
        match self {
            KeyHome::Ssm { parameter, .. } => parameter,
            KeyHome::Kms { alias, .. } => alias,
        }
    }
}

/// What the stack sets on the `$default` stage.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StageSettings {
    /// The log group the access log goes to (its ARN is resolved at apply time).
    pub access_log_group: Option<String>,
    pub throttling: Option<crate::config::Throttling>,
    /// Kept as the stage has it (a default route settings object replaces the stage's whole).
    pub detailed_metrics: bool,
}

/// Which document an object step writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Document {
    Discovery,
    Jwks,
}

/// One change to AWS. Each step carries what `apply` needs, ids of things created earlier in the same run
/// being resolved at apply time.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    CreateKey {
        kid: String,
        home: KeyHome,
        bits: usize,
    },
    /// Records the public half of an SSM key created before public halves were recorded (read once, here,
    /// so that `plan` and `status` never need to decrypt it).
    RecordPublicKey {
        kid: String,
        record: String,
        jwk: Jwk,
    },
    /// Tags a bucket the stack created but did not get to tag (the run died in between).
    TagBucket {
        bucket: String,
    },
    /// Removes `/jwtstack/{name}/bucket`, the record that the stack created its bucket.
    DeleteBucketMarker {
        parameter: String,
    },
    CreateBucket {
        bucket: String,
    },
    PutPublicAccessBlock {
        bucket: String,
        before: Option<PublicAccessBlock>,
        after: PublicAccessBlock,
    },
    PutBucketPolicy {
        bucket: String,
        policy: String,
        create: bool,
    },
    DeleteBucketPolicy {
        bucket: String,
    },
    /// `body` is `None` when it depends on a key this plan creates; the JWKS is then built at apply time
    /// from `jwks_keys` (public halves known now, or generated earlier in the run).
    PutObject {
        bucket: String,
        key: String,
        document: Document,
        body: Option<Vec<u8>>,
        jwks_keys: Vec<(String, Option<Jwk>)>,
        create: bool,
        changed: Vec<Diff>,
    },
    /// The JWKS gains or loses keys, or the signing key switches; records the key timeline.
    UpdateKeys {
        parameter: String,
        /// Every key published after this step, in JWKS order, with its role.
        published: Vec<(String, KeyRole)>,
        added: Vec<String>,
        removed: Vec<String>,
        signing: (Option<String>, String),
        /// The timeline before this step.
        timeline: KeyTimeline,
    },
    /// Removes the key timeline (teardown, with the keys).
    DeleteKeyTimeline {
        parameter: String,
    },
    /// The origin access control (SigV4, always sign) through which the distribution reads the bucket.
    CreateOriginAccessControl {
        name: String,
    },
    /// The distribution in front of the bucket; apply records it in `/jwtstack/{name}/distribution`.
    CreateDistribution {
        settings: DistributionSettings,
    },
    /// Writes `/jwtstack/{name}/distribution` for a distribution found by its comment and tag (a run died
    /// between creating it and recording it).
    RecordDistribution {
        parameter: String,
        id: String,
        arn: String,
        domain: String,
    },
    UpdateDistribution {
        id: String,
        diffs: Vec<Diff>,
        settings: DistributionSettings,
    },
    /// Drops CloudFront's cached copies of the documents after they changed.
    InvalidateDocuments {
        distribution: String,
        paths: Vec<String>,
    },
    /// The A and AAAA alias records of the issuer's domain, to the distribution.
    PutAliasRecords {
        zone: String,
        domain: String,
        target: String,
    },
    /// No change, no plan line: waits until the distribution is deployed and this run's invalidations are
    /// done (unless `--no-wait`), then reads the issuer through it as API Gateway will, before anything that
    /// depends on it (the authorizer, the key timeline's signing switch).
    AwaitDistribution {
        distribution: Option<String>,
        /// Read the issuer through the distribution once deployed (deploy; not when it is being removed).
        check_issuer: bool,
    },
    DisableDistribution {
        id: String,
    },
    /// Deletes a disabled, deployed distribution, and its record.
    DeleteDistribution {
        id: String,
    },
    DeleteOriginAccessControl {
        id: String,
        name: String,
    },
    DeleteAliasRecords {
        zone: String,
        domain: String,
        target: String,
    },
    CreateApi {
        name: String,
    },
    UpdateApiName {
        id: String,
        before: String,
        after: String,
    },
    /// The API's CORS configuration (an owned API: part of its import).
    UpdateCors {
        before: Option<crate::config::Cors>,
        after: Option<crate::config::Cors>,
    },
    CreateAuthorizer {
        name: String,
        issuer: String,
        audience: Vec<String>,
    },
    UpdateAuthorizer {
        id: String,
        name: String,
        issuer: (String, String),
        audience: (Vec<String>, Vec<String>),
        identity_source: (Vec<String>, Vec<String>),
    },
    CreateIntegration {
        spec: IntegrationSpec,
    },
    /// A route behind the stack's authorizer, or a public one (`public`: authorization type NONE).
    CreateRoute {
        key: String,
        scopes: Vec<String>,
        integration: IntegrationSpec,
        public: bool,
    },
    UpdateRoute {
        id: String,
        key: String,
        diffs: Vec<Diff>,
        scopes: Vec<String>,
        integration: IntegrationSpec,
        public: bool,
    },
    /// The whole API in one call, for an API the stack owns: `ImportApi` when `id` is `None` (the API does not
    /// exist yet), else `ReimportApi`, which replaces the API's authorizer, integrations and routes with the
    /// definition's, all or nothing. `changes` are the call-by-call steps it stands for: what `plan` shows.
    ImportApi {
        id: Option<String>,
        name: String,
        definition: String,
        changes: Vec<Step>,
    },
    /// The `$default` stage, auto-deploying, with the settings the stack declares.
    CreateStage {
        settings: StageSettings,
    },
    /// Turns auto-deploy on.
    UpdateStage,
    /// Writes the declared access log and throttling onto the stage (one UpdateStage).
    ConfigureStage {
        diffs: Vec<Diff>,
        settings: StageSettings,
    },
    /// Stops the stage writing to the stack's log group (DeleteAccessLogSettings).
    DeleteAccessLog,
    /// The access log's group, tagged, with its retention.
    CreateLogGroup {
        name: String,
        retention_days: u32,
    },
    PutLogRetention {
        name: String,
        before: Option<u32>,
        after: u32,
    },
    DeleteLogGroup {
        name: String,
    },
    /// Records a resource of the stack (log group, API domain) that it had not recorded.
    PutStackRecord {
        parameter: String,
        value: String,
    },
    /// Removes a record whose resource is gone.
    DeleteStackRecord {
        parameter: String,
    },
    /// The API's regional custom domain name (TLS 1.2), tagged.
    CreateApiDomain {
        name: String,
        certificate_arn: String,
    },
    UpdateApiDomain {
        name: String,
        diffs: Vec<Diff>,
        certificate_arn: String,
    },
    /// Maps the domain's root to the API's `$default` stage.
    CreateApiMapping {
        domain: String,
    },
    DeleteApiMapping {
        domain: String,
        id: String,
    },
    DeleteApiDomain {
        name: String,
    },
    /// The A and AAAA alias records of the API's domain; `target` (endpoint, its zone) is `None` when the
    /// domain is created in the same run.
    PutApiAliasRecords {
        zone: String,
        domain: String,
        target: Option<(String, String)>,
    },
    DeleteApiAliasRecords {
        zone: String,
        domain: String,
        target: (String, String),
    },
    AddPermission {
        function: String,
    },
    ReplacePermission {
        function: String,
        before: Option<String>,
    },
    DeleteRoute {
        id: String,
        key: String,
    },
    DeleteIntegration {
        id: String,
        spec: IntegrationSpec,
    },
    RemovePermission {
        function: String,
    },
    DeleteAuthorizer {
        id: String,
        name: String,
    },
    DeleteStage,
    DeleteApi {
        id: String,
        name: String,
    },
    DeleteObject {
        bucket: String,
        key: String,
    },
    DeleteBucket {
        bucket: String,
    },
    /// Deletes an SSM key (and its public record), or schedules a KMS key's deletion and removes its alias.
    DeleteKey {
        kid: String,
        home: KeyHome,
    },
    /// Drops a deleted key from the key timeline (`keys delete`); `timeline` is the record without it.
    ForgetKey {
        kid: String,
        parameter: String,
        timeline: KeyTimeline,
    },
}

/// A route is the stack's when the API is, when it uses the stack's authorizer, or when it carries the stack's
/// marker in its operation name (a public route of an adopted API has no authorizer to tell).
pub fn route_is_stacks(stack: &Stack, inv: &Inventory, r: &RouteInfo) -> bool {
    let authorizer_id = inv.authorizer.as_ref().map(|a| a.id.as_str());
    inv.api.as_ref().is_none_or(|a| a.owned)
        || (authorizer_id.is_some() && r.authorizer_id.as_deref() == authorizer_id)
        || r.operation_name.as_deref() == Some(crate::names::route_marker(&stack.name).as_str())
}

impl Step {
    /// The call-by-call steps this step stands for: an import's changes, else the step itself.
    pub fn parts(&self) -> Vec<&Step> {
        match self {
            Step::ImportApi { changes, .. } => changes.iter().collect(),
            other => vec![other],
        }
    }
}

/// One attribute that changes, for display.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Diff {
    pub field: String,
    pub before: String,
    pub after: String,
}

impl Diff {
    pub(crate) fn new(field: &str, before: impl Into<String>, after: impl Into<String>) -> Diff {
        Diff {
            field: field.into(),
            before: before.into(),
            after: after.into(),
        }
    }
}

/// The ordered steps that take AWS from the inventory to the stack (or to nothing, for teardown),
/// plus notes about things deliberately left alone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub stack: String,
    pub region: String,
    pub steps: Vec<Step>,
    pub notes: Vec<String>,
    /// The existing integration each route spec targets, as the planner chose it (among equal ones, the
    /// lowest id); `apply` adds the ones it creates.
    pub integrations: BTreeMap<IntegrationSpec, String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// AWS holds something that contradicts what the stack owns; nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("route `{key}` already exists in API {api} and is not managed by stack `{stack}` (route id {id})")]
    UnmanagedRoute {
        key: String,
        api: String,
        stack: String,
        id: String,
    },
    #[error("the key {parameter} exists but cannot be read as an RSA key")]
    UnreadableKey { parameter: String },
    #[error(
        "the public half of key `{kid}` ({parameter}) is not recorded yet, and reading it means decrypting the private key, which `plan` never does; run `jwtstack deploy` once: it reads the key and records its public half in {record}"
    )]
    PublicKeyNotRecorded { kid: String, parameter: String, record: String },
    #[error(
        "key `{kid}` is in {from}, but key_store is {to}: a stack changes key stores by rotating, never by moving a key. Put key_store back to {from}, or rotate: `jwtstack rotate start` creates the next key in {to}, and `activate` and `finish` complete the switch (README, \"Where the keys live\")"
    )]
    KeyStoreSwitch { kid: String, from: &'static str, to: &'static str },
    #[error(
        "KMS key {key_id} (alias {alias}) of key `{kid}` is scheduled for deletion, so it cannot sign or be published; cancel it with `aws kms cancel-key-deletion --key-id {key_id}` and `aws kms enable-key --key-id {key_id}`, or name a new key"
    )]
    KeyPendingDeletion { kid: String, alias: String, key_id: String },
    #[error(
        "previous key `{kid}` has no private key in SSM or KMS ({parameter}), so it cannot be published; remove it from previous_keys or restore the key"
    )]
    MissingKey { kid: String, parameter: String },
    #[error(
        "bucket {bucket} is in {bucket_region}, not in {region}: stack `{stack}` was deployed in {bucket_region}; run jwtstack with --region {bucket_region} (or set `region: {bucket_region}` in the stack file), or choose another issuer.bucket for {region}"
    )]
    BucketRegion {
        bucket: String,
        bucket_region: String,
        region: String,
        stack: String,
    },
    #[error(
        "bucket {bucket} is the issuer bucket of stack `{other}` (its jwtstack:stack tag), not of stack `{stack}`: sharing it would replace `{other}`'s JWKS and let either stack's teardown delete the other's documents; choose another issuer.bucket"
    )]
    BucketOfAnotherStack { bucket: String, other: String, stack: String },
    #[error(
        "the account's Block Public Access setting ({setting}) forbids the public bucket policy that issuer.bucket {bucket} needs, and no bucket setting can lift it.\n  Ways out: serve the issuer from a private bucket behind CloudFront (`cloudfront: true` under issuer; README, \"Issuer behind CloudFront\"), or ask an administrator to allow public policies for this account"
    )]
    AccountBlocksPublicAccess { bucket: String, setting: &'static str },
    #[error(
        "the certificate {arn} cannot serve {domain}: {why}. CloudFront needs an ACM certificate in us-east-1 whose status is ISSUED and that covers the domain; request or import one there (`aws acm request-certificate --region us-east-1 --domain-name {domain} --validation-method DNS`), validate it, and name it in issuer.cloudfront.certificate_arn"
    )]
    CertificateNotUsable { arn: String, domain: String, why: String },
    #[error(
        "the {record_type} record of {domain} in hosted zone {zone} exists and points at {target}, not at the stack's {what}: jwtstack does not overwrite a record it did not write. Delete that record, or remove hosted_zone_id and point the name at the {what} yourself"
    )]
    AliasRecordTaken {
        what: &'static str,
        domain: String,
        zone: String,
        record_type: String,
        target: String,
    },
    #[error(
        "the certificate {arn} cannot serve the API's domain {domain}: {why}. A regional custom domain needs an ACM certificate in the stack's region ({region}) whose status is ISSUED and that covers the domain; request or import one there (`aws acm request-certificate --region {region} --domain-name {domain} --validation-method DNS`), validate it, and name it in domain.certificate_arn"
    )]
    ApiCertificateNotUsable {
        arn: String,
        domain: String,
        region: String,
        why: String,
    },
    #[error(
        "the custom domain name {domain} exists in API Gateway and is not this stack's ({owner}): jwtstack does not take over a domain it did not create. Choose another domain.name, or delete that domain name (`aws apigatewayv2 delete-domain-name --domain-name {domain}`) if nothing uses it"
    )]
    ApiDomainTaken { domain: String, owner: String },
    #[error(
        "the log group {name} exists and is not this stack's (it lacks the jwtstack:stack tag {stack}): jwtstack does not write its access log into a group it did not create. Delete or rename that group, or remove access_log"
    )]
    LogGroupTaken { name: String, stack: String },
    #[error(
        "the key timeline would be {chars} characters for {keys} keys, over the 4,096 an SSM standard parameter holds; publish fewer keys at once (retire previous keys with `jwtstack rotate finish`) or use shorter kids"
    )]
    KeyTimelineTooLarge { chars: usize, keys: usize },
    #[error(
        "Lambda function {function} does not exist (used by {}); create it first, or correct the ARN in the stack file",
        routes.join(", ")
    )]
    MissingFunction { function: String, routes: Vec<String> },
    #[error(
        "the JWKS would be {bytes} bytes with {keys} keys, over API Gateway's 150,000-byte limit; retire previous keys with `jwtstack rotate finish`"
    )]
    JwksTooLarge { bytes: usize, keys: usize },
}

#[cfg(test)]
mod tests;
