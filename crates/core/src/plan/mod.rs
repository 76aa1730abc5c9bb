//! The pure planner: what AWS should become, as an ordered list of steps. No I/O, deterministic order.
//!
//! The unit is the resource kind: each module below owns one kind's slice of the [`Inventory`], its step type,
//! how its steps are planned and rendered, and (in tests) how AWS would play them. The AWS side
//! (`jwtstack_aws::apply`) has one executor per kind.
//!
//! - keys (`key`, with the key `timeline`), the issuer `bucket`, its `document`s, the CloudFront `distribution`
//!   in front of it, the alias records and certificates of custom domains (`dns`, for both owners);
//! - the `api`, its `authorizer`, `integration`s, `route`s and `stage`, the access log's `log_group`, the API's
//!   custom `domain`, and the Lambda `permission`s;
//! - the token endpoint's `function`, its role and log group (its route is one of the routes);
//! - `planner`: `plan(&Stack, &Inventory) -> Plan` and teardown, one planner towards two desired states;
//! - `import`: an owned API's changes as one import of its `openapi` definition; `render`: text and JSON.
//!
//! A step refers to what an earlier step of the same plan creates by a [`Ref::New`], never by a hole the
//! executor fills; where what follows can only be planned once something exists, the plan has a [`Barrier`].

mod api;
mod authorizer;
mod bucket;
mod conflict;
mod desired;
mod distribution;
mod dns;
mod document;
mod domain;
mod function;
mod ids;
mod import;
mod integration;
mod inventory;
mod key;
mod log_group;
pub mod openapi;
mod permission;
mod planner;
mod policy;
mod render;
mod rest;
mod role_policy;
mod route;
mod stage;
mod timeline;

pub use api::{ApiInfo, ApiStep, normal_cors};
pub use authorizer::{AuthorizerInfo, AuthorizerStep, OtherAuthorizer};
pub use bucket::{BucketInfo, BucketSlice, BucketStep, PublicAccessBlock, bucket_is_ours};
pub use conflict::Conflict;
pub use desired::{Desired, route_is_stacks};
pub use distribution::{
    CACHING_OPTIMIZED, DistributionInfo, DistributionSettings, DistributionSlice, DistributionStep, ORIGIN_ID, OriginAccessControlInfo,
    distribution_comment, resolve,
};
pub use dns::{AliasRecordInfo, AliasTarget, CLOUDFRONT_ZONE_ID, CertificateInfo, DnsOwner, DnsStep, DomainDns, RecordType};
pub use document::{Body, Document, DocumentStep, ObjectInfo};
pub use domain::{ApiDomainInfo, ApiMappingInfo, DomainSlice, DomainStep, ENDPOINT_TYPE, SECURITY_POLICY};
pub use function::{FunctionConfig, FunctionInfo, FunctionSlice, FunctionStep, RoleInfo};
pub use ids::{ApiId, AuthorizerId, DistributionId, IntegrationId, Kid, MappingId, OriginAccessControlId, ResourceId, RouteId};
pub use integration::{DEFAULT_TIMEOUT_MS, IntegrationInfo, IntegrationSettings, IntegrationSpec, IntegrationStep, IntegrationType};
pub use inventory::{Inventory, LockState, TakeoverMark};
pub use key::{KeyDeleteRefused, KeyHome, KeyInfo, KeySlice, KeyStep, plan_key_delete};
pub use log_group::{LogGroupInfo, LogGroupSlice, LogGroupStep, group_of_arn};
pub use permission::{PermissionInfo, PermissionSlice, PermissionStep};
pub use planner::{plan, plan_teardown, plan_towards};
pub use render::{Action, ChangeJson, PlanJson, Summary, render_markdown, render_text};
pub use rest::{
    DeploymentInfo, MethodAuth, MethodInfo, ResourceInfo, RestAuthorizerInfo, RestIntegration, RestIssuer, RestJwt, RestRecord, RestSlice,
    RestStageInfo, RestStep, TrustedKeys, endpoint_name,
};
pub use role_policy::{normal_policy, role_policy, trust_policy};
pub use route::{AuthorizationType, RouteAuth, RouteInfo, RouteStep};
pub use stage::{AccessLogSettings, AccessLogTarget, StageInfo, StageSettings, StageStep};
pub use timeline::{KeyEvents, KeyTimeline, RETIRED_KEPT, SSM_STANDARD_MAX_CHARS};

/// What a step needs of another resource: known when the plan is made, or what an earlier step of the same
/// plan creates (the executor keeps what each step made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref<T> {
    Known(T),
    /// Made by an earlier step of this plan (the only one of its kind that makes one, or the one the
    /// step names: an integration by its spec, a key by its kid, a domain by its name).
    New,
}

impl<T> Ref<T> {
    /// `None`: it does not exist yet, so an earlier step creates it.
    pub fn from_option(known: Option<T>) -> Ref<T> {
        match known {
            Some(t) => Ref::Known(t),
            None => Ref::New,
        }
    }

    pub fn known(&self) -> Option<&T> {
        match self {
            Ref::Known(t) => Some(t),
            Ref::New => None,
        }
    }
}

/// A value a step changes: what AWS has, and what the stack wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change<T> {
    pub before: T,
    pub after: T,
}

impl<T: PartialEq> Change<T> {
    pub fn changes(&self) -> bool {
        self.before != self.after
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
    pub fn new(field: &str, before: impl Into<String>, after: impl Into<String>) -> Diff {
        Diff {
            field: field.into(),
            before: before.into(),
            after: after.into(),
        }
    }
}

/// Where a step runs. The issuer (keys, bucket, documents, the distribution in front of them) and the head of
/// the API (the API and its integrations) need nothing of each other, so a run starts them side by side;
/// everything else follows in plan order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Issuer,
    ApiHead,
    Main,
}

/// Neighbouring steps of one group touch different resources and need nothing from each other: they run at
/// the same time. Writes to the API are in no group: API Gateway serialises changes to one API and answers 409
/// "concurrent modification" to overlapping writes (terraform-provider-aws issues 18018 and 37897).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    PutDocuments,
    AddPermissions,
    RemovePermissions,
    DeleteDocuments,
    DeleteKeys,
}

/// Where a step runs, with whom, and what else it is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub lane: Lane,
    /// Which neighbours it may run with (`None`: alone, in order).
    pub group: Option<Group>,
    /// Part of an API's content, which one import of the whole definition performs for an API the stack owns.
    pub in_import: bool,
    /// Goes live through the `$default` stage's automatic deployment (which can fail after the call
    /// succeeded).
    pub deploys: bool,
}

impl Placement {
    /// Alone, in plan order, part of nothing else.
    pub const MAIN: Placement = Placement {
        lane: Lane::Main,
        group: None,
        in_import: false,
        deploys: false,
    };
    /// With the issuer, which needs nothing of the API.
    pub const ISSUER: Placement = Placement {
        lane: Lane::Issuer,
        ..Placement::MAIN
    };
    /// Part of the API's content: an owned API's import performs it, and it goes live with the stage's
    /// deployment.
    pub const API_CONTENT: Placement = Placement {
        in_import: true,
        deploys: true,
        ..Placement::MAIN
    };

    pub const fn in_lane(self, lane: Lane) -> Placement {
        Placement { lane, ..self }
    }

    pub const fn in_group(self, group: Group) -> Placement {
        Placement {
            group: Some(group),
            ..self
        }
    }
}

/// What every kind's step answers. Each kind answers with an exhaustive match over its own steps (or one
/// answer for all of them, where the kind's steps are alike): a new step that forgets one does not compile.
pub trait KindStep {
    fn placement(&self) -> Placement;
    /// Its lines in the plan (`+`/`~`/`-`), in order.
    fn lines(&self) -> Vec<ChangeJson>;
}

/// One change to AWS, of one kind of resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Key(KeyStep),
    Bucket(BucketStep),
    Document(DocumentStep),
    Distribution(DistributionStep),
    Dns(DnsStep),
    Api(ApiStep),
    Authorizer(AuthorizerStep),
    Integration(IntegrationStep),
    Route(RouteStep),
    Stage(StageStep),
    LogGroup(LogGroupStep),
    Domain(DomainStep),
    Permission(PermissionStep),
    Function(FunctionStep),
    Rest(RestStep),
}

/// `$step` as its kind's step, bound to `$s`.
macro_rules! each_kind {
    ($step:expr, $s:ident => $e:expr) => {
        match $step {
            Step::Key($s) => $e,
            Step::Bucket($s) => $e,
            Step::Document($s) => $e,
            Step::Distribution($s) => $e,
            Step::Dns($s) => $e,
            Step::Api($s) => $e,
            Step::Authorizer($s) => $e,
            Step::Integration($s) => $e,
            Step::Route($s) => $e,
            Step::Stage($s) => $e,
            Step::LogGroup($s) => $e,
            Step::Domain($s) => $e,
            Step::Permission($s) => $e,
            Step::Function($s) => $e,
            Step::Rest($s) => $e,
        }
    };
}

impl KindStep for Step {
    fn placement(&self) -> Placement {
        each_kind!(self, s => s.placement())
    }

    fn lines(&self) -> Vec<ChangeJson> {
        each_kind!(self, s => s.lines())
    }
}

impl Step {
    pub fn lane(&self) -> Lane {
        self.placement().lane
    }

    pub fn group(&self) -> Option<Group> {
        self.placement().group
    }

    pub fn in_import(&self) -> bool {
        self.placement().in_import
    }

    pub fn deploys(&self) -> bool {
        self.placement().deploys
    }

    /// The call-by-call steps this step stands for: an import's changes, else the step itself.
    pub fn parts(&self) -> Vec<&Step> {
        match self {
            Step::Api(ApiStep::Import { changes, .. }) => changes.iter().collect(),
            other => vec![other],
        }
    }

    /// API Gateway reads the issuer for it: the authorizer is created or changed, or an import makes it anew
    /// from the definition (API Gateway fetches every JWT authorizer's discovery document while it imports, and
    /// warns when it cannot: loige.co, "debugging API Gateway HTTP OIDC JWT authorizer").
    pub fn reads_issuer(&self) -> bool {
        match self {
            Step::Authorizer(a) => a.reads_issuer(),
            Step::Api(ApiStep::Import { .. }) => true,
            Step::Rest(RestStep::CreateAuthorizer { .. } | RestStep::UpdateAuthorizer { .. }) => true,
            _ => false,
        }
    }
}

/// Where a plan is applied in parts: the steps before `after` first, then AWS is read and the rest planned
/// again, because what they make names what follows (a new distribution's domain is the issuer of the
/// documents and the authorizer) or takes time to be true (a distribution deploying its documents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Barrier {
    pub after: usize,
    pub why: &'static str,
}

/// The ordered steps that take AWS from the inventory to the stack (or to nothing, for teardown), plus notes
/// about things deliberately left alone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub stack: String,
    pub region: String,
    pub steps: Vec<Step>,
    pub notes: Vec<String>,
    /// The first point where the rest is planned again (`None`: the plan is applied whole).
    pub barrier: Option<Barrier>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The steps to apply now: up to the barrier, or all of them.
    pub fn phase(&self) -> &[Step] {
        match &self.barrier {
            Some(b) => &self.steps[..b.after.min(self.steps.len())],
            None => &self.steps,
        }
    }

    /// Every call-by-call step, an import's changes in its place.
    pub fn parts(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().flat_map(Step::parts)
    }
}

#[cfg(test)]
mod tests;
