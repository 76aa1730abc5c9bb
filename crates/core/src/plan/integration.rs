//! Integrations: one per distinct target the routes use (routes with equal specs share one), marked as the
//! stack's in their description (every integration of an owned API is the stack's); removed when no route
//! of the stack uses them and no route of anyone else does.

use std::collections::{BTreeMap, BTreeSet};

use super::desired::Planner;
use super::render::ChangeJson;
use super::{Action, ApiId, Diff, IntegrationId, KindStep, Lane, Placement, Ref, RouteInfo, Step, openapi};
use crate::config::{Integration, Method};

/// API Gateway's integration types that jwtstack makes; any other is kept as AWS names it. Ordered as their
/// names are (integrations are numbered in spec order in the definition and listed so in a plan).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum IntegrationType {
    #[default]
    /// `HTTP_PROXY`: the request goes to a URL.
    HttpProxy,
    /// `AWS_PROXY`: a Lambda function is invoked.
    AwsProxy,
    Other(String),
}

impl IntegrationType {
    pub fn parse(s: &str) -> IntegrationType {
        match s {
            "HTTP_PROXY" => IntegrationType::HttpProxy,
            "AWS_PROXY" => IntegrationType::AwsProxy,
            other => IntegrationType::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            IntegrationType::HttpProxy => "HTTP_PROXY",
            IntegrationType::AwsProxy => "AWS_PROXY",
            IntegrationType::Other(s) => s,
        }
    }
}

impl Ord for IntegrationType {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for IntegrationType {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl From<&str> for IntegrationType {
    fn from(s: &str) -> IntegrationType {
        IntegrationType::parse(s)
    }
}

impl serde::Serialize for IntegrationType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IntegrationInfo {
    pub id: IntegrationId,
    pub integration_type: IntegrationType,
    pub uri: String,
    pub method: Option<String>,
    pub payload_format_version: Option<String>,
    /// Carries the stack's marker in its description (or lives in an API the stack owns).
    pub owned: bool,
    /// What the definition leaves at AWS's defaults, as AWS holds it: a value set by hand (a header the
    /// integration overwrites, a shorter timeout) changes what every request carries, so it is drift.
    pub settings: IntegrationSettings,
}

/// An integration's settings that jwtstack never sets (ApiGatewayV2 API Reference, Integration): AWS's defaults
/// are a 30,000 ms timeout for HTTP APIs, no parameter mapping, no credentials, the public internet, no TLS
/// server name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntegrationSettings {
    pub timeout_ms: Option<i32>,
    pub request_parameters: BTreeMap<String, String>,
    /// By status code.
    pub response_parameters: BTreeMap<String, BTreeMap<String, String>>,
    pub credentials_arn: Option<String>,
    pub connection_type: Option<String>,
    pub connection_id: Option<String>,
    pub tls_server_name: Option<String>,
    pub subtype: Option<String>,
}

/// An HTTP API integration's timeout when none is set (ApiGatewayV2 API Reference, Integration:
/// TimeoutInMillis, "The default value is 30,000 milliseconds ... for HTTP APIs").
pub const DEFAULT_TIMEOUT_MS: i32 = 30_000;

impl IntegrationSettings {
    /// Each setting that is not AWS's default, as it is and as the definition would have it.
    pub fn drift(&self) -> Vec<Diff> {
        let pairs = |m: &BTreeMap<String, String>| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
        let mut out = Vec::new();
        if let Some(t) = self.timeout_ms.filter(|t| *t != DEFAULT_TIMEOUT_MS) {
            out.push(Diff::new("timeout_in_millis", t.to_string(), DEFAULT_TIMEOUT_MS.to_string()));
        }
        if !self.request_parameters.is_empty() {
            out.push(Diff::new("request_parameters", pairs(&self.request_parameters), "none"));
        }
        for (status, m) in self.response_parameters.iter().filter(|(_, m)| !m.is_empty()) {
            out.push(Diff::new(&format!("response_parameters[{status}]"), pairs(m), "none"));
        }
        for (field, value) in [
            ("credentials_arn", &self.credentials_arn),
            ("connection_id", &self.connection_id),
            ("tls_server_name", &self.tls_server_name),
            ("integration_subtype", &self.subtype),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                out.push(Diff::new(field, v, "none"));
            }
        }
        if let Some(t) = self.connection_type.as_deref().filter(|t| *t != "INTERNET") {
            out.push(Diff::new("connection_type", t, "INTERNET"));
        }
        out
    }
}

/// What an integration is, independent of its id: routes with equal specs share one integration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct IntegrationSpec {
    pub integration_type: IntegrationType,
    pub uri: String,
    pub method: Option<String>,
    pub payload_format_version: String,
}

impl IntegrationSpec {
    pub fn for_route(integration: &Integration, method: Option<Method>) -> IntegrationSpec {
        match integration {
            Integration::Http { url } => IntegrationSpec {
                integration_type: IntegrationType::HttpProxy,
                uri: url.clone(),
                method: Some(method.unwrap_or(Method::Any).as_str().into()),
                payload_format_version: "1.0".into(),
            },
            Integration::Lambda { arn } => IntegrationSpec {
                integration_type: IntegrationType::AwsProxy,
                uri: arn.clone(),
                method: None,
                payload_format_version: "2.0".into(),
            },
        }
    }

    /// What an existing integration is. A Lambda integration made by an import names its function by the
    /// invocation URI; it is the same integration as one naming the function's ARN.
    pub fn of(info: &IntegrationInfo) -> IntegrationSpec {
        let integration_type = info.integration_type.clone();
        let uri = match integration_type {
            IntegrationType::AwsProxy => openapi::function_of_invocation_uri(&info.uri).unwrap_or(&info.uri),
            _ => &info.uri,
        };
        IntegrationSpec {
            method: info.method.clone().filter(|_| integration_type == IntegrationType::HttpProxy),
            integration_type,
            uri: uri.to_string(),
            payload_format_version: info.payload_format_version.clone().unwrap_or_default(),
        }
    }

    /// The function a Lambda integration invokes.
    pub fn function(&self) -> Option<&str> {
        (self.integration_type == IntegrationType::AwsProxy).then_some(self.uri.as_str())
    }

    pub fn describe(&self) -> String {
        match &self.method {
            Some(m) => format!("{} {} {}", self.integration_type.as_str(), m, self.uri),
            None => format!("{} {}", self.integration_type.as_str(), self.uri),
        }
    }
}

/// One change to the integrations.
#[derive(Debug, Clone, PartialEq)]
pub enum IntegrationStep {
    Create {
        api: Ref<ApiId>,
        spec: IntegrationSpec,
    },
    Delete {
        api: Ref<ApiId>,
        id: IntegrationId,
        spec: IntegrationSpec,
        /// Settings set by hand that made it drift (a new one replaces it); empty when no route needs it.
        drift: Vec<Diff>,
    },
}

impl From<IntegrationStep> for Step {
    fn from(s: IntegrationStep) -> Step {
        Step::Integration(s)
    }
}

impl KindStep for IntegrationStep {
    fn placement(&self) -> Placement {
        match self {
            IntegrationStep::Create { .. } => Placement::API_CONTENT.in_lane(Lane::ApiHead),
            IntegrationStep::Delete { .. } => Placement::API_CONTENT,
        }
    }

    fn lines(&self) -> Vec<ChangeJson> {
        vec![match self {
            IntegrationStep::Create { spec, .. } => ChangeJson::new(Action::Create, "apigw_integration", spec.describe(), vec![]),
            IntegrationStep::Delete { spec, drift, .. } => {
                ChangeJson::new(Action::Delete, "apigw_integration", spec.describe(), drift.clone())
            }
        }]
    }
}

/// The integrations as the routes need them: which exist and are kept, and which specs are wanted.
pub(super) struct Integrations<'a> {
    /// The stack's integrations in AWS (all of an owned API's).
    owned: Vec<&'a super::IntegrationInfo>,
    /// One per distinct spec: the first owned match (lowest id) without drift is kept.
    kept: BTreeMap<IntegrationSpec, &'a super::IntegrationInfo>,
    /// One spec per distinct route integration.
    wanted: BTreeSet<IntegrationSpec>,
}

impl Integrations<'_> {
    /// The integration a route of this spec targets: the kept one, or the one this plan creates.
    pub(super) fn target(&self, spec: &IntegrationSpec) -> Ref<IntegrationId> {
        Ref::from_option(self.kept.get(spec).map(|i| i.id.clone()))
    }

    pub(super) fn kept_id(&self, spec: &IntegrationSpec) -> Option<&IntegrationId> {
        self.kept.get(spec).map(|i| &i.id)
    }

    /// The functions behind the wanted Lambda integrations.
    pub(super) fn functions(&self) -> BTreeSet<&str> {
        self.wanted.iter().filter_map(IntegrationSpec::function).collect()
    }
}

/// One per distinct spec; the first owned match (lowest id) whose settings are AWS's defaults is kept, the
/// missing ones created: one with settings set by hand is replaced (the routes move to the new one).
pub(super) fn plan<'a>(p: &mut Planner<'a>) -> Integrations<'a> {
    let inv = p.inv;
    let api_owned = p.api_owned();
    let owned: Vec<&IntegrationInfo> = inv.integrations.iter().filter(|i| i.owned || api_owned).collect();
    let mut kept: BTreeMap<IntegrationSpec, &IntegrationInfo> = BTreeMap::new();
    for i in owned.iter().filter(|i| i.settings.drift().is_empty()) {
        kept.entry(IntegrationSpec::of(i))
            .and_modify(|cur| {
                if i.id < cur.id {
                    *cur = i
                }
            })
            .or_insert(i);
    }
    let wanted: BTreeSet<IntegrationSpec> = p
        .routes()
        .iter()
        .map(|r| IntegrationSpec::for_route(&r.integration, r.key.method()))
        .collect();
    for spec in &wanted {
        if !kept.contains_key(spec) {
            let api = p.api();
            p.push(IntegrationStep::Create { api, spec: spec.clone() });
        }
    }
    Integrations { owned, kept, wanted }
}

/// Integrations no route of the stack uses any more, unless a route the stack does not own uses them.
pub(super) fn remove(p: &mut Planner<'_>, integrations: &Integrations<'_>) {
    if p.api_goes() {
        return;
    }
    let inv = p.inv;
    let used_by_others: BTreeSet<&str> = inv
        .routes
        .iter()
        .filter(|r| !p.is_stacks_route(r))
        .filter_map(RouteInfo::integration_id)
        .collect();
    for i in &integrations.owned {
        let spec = IntegrationSpec::of(i);
        let kept = integrations.wanted.contains(&spec) && integrations.kept.get(&spec).is_some_and(|k| k.id == i.id);
        if kept {
            continue;
        }
        if used_by_others.contains(i.id.as_str()) {
            if p.d.is_teardown() {
                p.note(format!("integration {} is kept: a route the stack does not own uses it", i.id));
            }
        } else {
            let api = p.api();
            p.push(IntegrationStep::Delete {
                api,
                id: i.id.clone(),
                spec,
                drift: i.settings.drift(),
            });
        }
    }
}

#[cfg(test)]
impl IntegrationStep {
    pub(super) fn simulate(&self, inv: &mut super::Inventory, sim: &mut super::tests::Sim) {
        match self {
            IntegrationStep::Create { spec, .. } => inv.integrations.push(IntegrationInfo {
                id: sim.next_id().into(),
                integration_type: spec.integration_type.clone(),
                uri: spec.uri.clone(),
                method: spec.method.clone(),
                payload_format_version: Some(spec.payload_format_version.clone()),
                owned: true,
                settings: Default::default(),
            }),
            IntegrationStep::Delete { id, .. } => inv.integrations.retain(|i| &i.id != id),
        }
    }
}
