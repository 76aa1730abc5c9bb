//! What exists in AWS for one stack, as plain data: each kind's slice, side by side. `jwtstack_aws::inventory`
//! fills it; the planner only reads it.

use std::collections::BTreeMap;

use super::{
    ApiId, ApiInfo, AuthorizerInfo, BucketSlice, DistributionSlice, DomainDns, DomainSlice, FunctionSlice, IntegrationInfo, KeySlice,
    LogGroupSlice, ObjectInfo, OtherAuthorizer, PermissionSlice, RestSlice, RouteInfo, StageInfo,
};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// The region everything lives in (from the stack file or the AWS config chain).
    pub region: String,
    /// When AWS was read (Unix seconds, rotation's clock): a plan made from this inventory stamps the key
    /// timeline with it.
    pub read_at: i64,
    pub lock: LockState,
    pub keys: KeySlice,
    pub bucket: BucketSlice,
    /// The published documents, by object key.
    pub documents: BTreeMap<String, ObjectInfo>,
    pub distribution: DistributionSlice,
    /// `issuer.cloudfront.domain`'s certificate (read in us-east-1) and alias records.
    pub issuer_dns: DomainDns,
    pub api: Option<ApiInfo>,
    /// An API of the other type carrying the stack's tag (a REST API for an HTTP stack, an HTTP API for a REST
    /// one): the stack was deployed with the other `api.type`.
    pub other_api: Option<ApiId>,
    pub authorizer: Option<AuthorizerInfo>,
    /// The API's other authorizers (read for an API the stack owns).
    pub other_authorizers: Vec<OtherAuthorizer>,
    pub integrations: Vec<IntegrationInfo>,
    pub routes: Vec<RouteInfo>,
    pub stage: Option<StageInfo>,
    pub log_group: LogGroupSlice,
    pub domain: DomainSlice,
    /// `domain.name`'s certificate (read in the stack's region) and alias records.
    pub api_dns: DomainDns,
    pub permissions: PermissionSlice,
    /// The account (STS), read for a stack with a token endpoint: its function's and role's ARNs name it.
    pub account: Option<String>,
    /// The token endpoint's function, role and log group.
    pub function: FunctionSlice,
    /// A REST API's resources, methods, authorizer and stage (`api` is the REST API itself).
    pub rest: RestSlice,
}

/// The stack's run lock, as SSM has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockState {
    /// Who holds it, described.
    pub holder: Option<String>,
    /// It was left by a run of this machine that is gone.
    pub stale: bool,
    /// The takeover marks (`/jwtstack/{name}/lock-takeover` and up) a run holds, or left when it died.
    pub marks: Vec<TakeoverMark>,
}

/// A takeover mark of the run lock, as SSM has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeoverMark {
    pub parameter: String,
    /// Who holds it, described.
    pub taker: String,
    /// It was left by a run of this machine that is gone.
    pub gone: bool,
}
