//! The pure planner: `plan(&Stack, &Inventory) -> Plan`, and teardown as a plan toward nothing.
//!
//! No I/O, deterministic order. Steps come out in the order AWS needs them: key, bucket, documents, API,
//! authorizer, integrations, routes, stage, permissions, then deletions of what is no longer wanted.

pub mod inventory;
mod render;

use std::collections::{BTreeMap, BTreeSet};

pub use inventory::*;
pub use render::{PlanJson, render_text};

use crate::config::{ApiRef, Hosted, Integration, KeyRole, Method, Stack};
use crate::crypto::documents;
use crate::crypto::keys::Jwk;

pub const IDENTITY_SOURCE: &str = "$request.header.Authorization";
pub const STAGE_NAME: &str = "$default";
pub const TAG_KEY: &str = "jwtstack:stack";

/// The marker in the description of every integration the stack creates.
pub fn integration_marker(stack: &str) -> String {
    format!("managed by jwtstack; {TAG_KEY}={stack}")
}

/// The Sid of the stack's statement in the bucket policy and in Lambda resource policies.
pub fn statement_id(stack: &str) -> String {
    format!("jwtstack-{stack}-public-well-known")
}

pub fn permission_id(stack: &str) -> String {
    format!("jwtstack-{stack}-invoke")
}

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

    pub fn of(info: &IntegrationInfo) -> IntegrationSpec {
        IntegrationSpec {
            integration_type: info.integration_type.clone(),
            uri: info.uri.clone(),
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
        parameter: String,
        bits: usize,
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
    CreateApi {
        name: String,
    },
    UpdateApiName {
        id: String,
        before: String,
        after: String,
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
    CreateRoute {
        key: String,
        scopes: Vec<String>,
        integration: IntegrationSpec,
    },
    UpdateRoute {
        id: String,
        key: String,
        diffs: Vec<Diff>,
        scopes: Vec<String>,
        integration: IntegrationSpec,
    },
    CreateStage,
    UpdateStage,
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
    DeleteKey {
        kid: String,
        parameter: String,
    },
}

/// One attribute that changes, for display.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diff {
    pub field: String,
    pub before: String,
    pub after: String,
}

impl Diff {
    fn new(field: &str, before: impl Into<String>, after: impl Into<String>) -> Diff {
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
    #[error("the key parameter {parameter} exists but cannot be read as an RSA private key")]
    UnreadableKey { parameter: String },
    #[error(
        "previous key `{kid}` has no private key in SSM ({parameter}), so it cannot be published; remove it from previous_keys or restore the parameter"
    )]
    MissingKey { kid: String, parameter: String },
    #[error(
        "the JWKS would be {bytes} bytes with {keys} keys, over API Gateway's 150,000-byte limit; retire previous keys with `jwtstack rotate finish`"
    )]
    JwksTooLarge { bytes: usize, keys: usize },
}

/// Computes what deploy would do. Pure and deterministic.
pub fn plan(stack: &Stack, inv: &Inventory) -> Result<Plan, Conflict> {
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    let region = inv.region.as_str();
    let issuer = stack.issuer_url(region);
    match stack.hosted() {
        Some(h) => plan_hosted(stack, h, inv, &mut steps, &mut notes)?,
        None if !inv.keys.is_empty() => notes.push(format!(
            "the issuer is external: {} key(s) left under {} from a hosted issuer are not published; teardown removes them",
            inv.keys.len(),
            stack.key_parameter_prefix()
        )),
        None => {}
    }

    // 4. The API.
    let api = inv.api.clone();
    match (&stack.api, &api) {
        (ApiRef::Owned { name }, None) => steps.push(Step::CreateApi { name: name.clone() }),
        (ApiRef::Owned { name }, Some(a)) if &a.name != name => steps.push(Step::UpdateApiName {
            id: a.id.clone(),
            before: a.name.clone(),
            after: name.clone(),
        }),
        _ => {}
    }
    let api_owned = api.as_ref().is_none_or(|a| a.owned);

    // 5. Authorizer.
    let authorizer_name = stack.authorizer_name();
    let wanted_sources = vec![IDENTITY_SOURCE.to_string()];
    match &inv.authorizer {
        None => steps.push(Step::CreateAuthorizer {
            name: authorizer_name.clone(),
            issuer: issuer.clone(),
            audience: stack.audience.clone(),
        }),
        Some(a) => {
            if a.issuer != issuer || a.audience != stack.audience || a.identity_source != wanted_sources {
                steps.push(Step::UpdateAuthorizer {
                    id: a.id.clone(),
                    name: authorizer_name.clone(),
                    issuer: (a.issuer.clone(), issuer.clone()),
                    audience: (a.audience.clone(), stack.audience.clone()),
                    identity_source: (a.identity_source.clone(), wanted_sources.clone()),
                });
            }
        }
    }
    let authorizer_id = inv.authorizer.as_ref().map(|a| a.id.as_str());

    // 6. Integrations: one per distinct spec; the first owned match (lowest id) is kept.
    let owned_integrations: Vec<&IntegrationInfo> = inv.integrations.iter().filter(|i| i.owned || api_owned).collect();
    let mut kept: BTreeMap<IntegrationSpec, &IntegrationInfo> = BTreeMap::new();
    for i in &owned_integrations {
        kept.entry(IntegrationSpec::of(i))
            .and_modify(|cur| {
                if i.id < cur.id {
                    *cur = i
                }
            })
            .or_insert(i);
    }
    let wanted_specs: BTreeSet<IntegrationSpec> = stack
        .routes
        .iter()
        .map(|r| IntegrationSpec::for_route(&r.integration, r.key.method()))
        .collect();
    for spec in &wanted_specs {
        if !kept.contains_key(spec) {
            steps.push(Step::CreateIntegration { spec: spec.clone() });
        }
    }
    let integration_by_id: BTreeMap<&str, IntegrationSpec> =
        inv.integrations.iter().map(|i| (i.id.as_str(), IntegrationSpec::of(i))).collect();

    // 7. Routes.
    let is_owned_route = |r: &RouteInfo| api_owned || (authorizer_id.is_some() && r.authorizer_id.as_deref() == authorizer_id);
    let mut wanted_keys = BTreeSet::new();
    let mut route_steps = Vec::new();
    for route in &stack.routes {
        let key = route.key.as_str().to_string();
        wanted_keys.insert(key.clone());
        let spec = IntegrationSpec::for_route(&route.integration, route.key.method());
        match inv.routes.iter().find(|r| r.key == key) {
            None => route_steps.push(Step::CreateRoute {
                key,
                scopes: route.scopes.clone(),
                integration: spec,
            }),
            Some(existing) if !is_owned_route(existing) => {
                return Err(Conflict::UnmanagedRoute {
                    key,
                    api: api.as_ref().map(|a| a.id.clone()).unwrap_or_default(),
                    stack: stack.name.clone(),
                    id: existing.id.clone(),
                });
            }
            Some(existing) => {
                let mut diffs = Vec::new();
                if existing.authorization_type.as_deref() != Some("JWT") {
                    diffs.push(Diff::new(
                        "authorization_type",
                        existing.authorization_type.clone().unwrap_or_else(|| "NONE".into()),
                        "JWT",
                    ));
                }
                if existing.authorizer_id.as_deref() != authorizer_id || authorizer_id.is_none() {
                    diffs.push(Diff::new(
                        "authorizer",
                        existing.authorizer_id.clone().unwrap_or_else(|| "none".into()),
                        authorizer_name.clone(),
                    ));
                }
                if existing.scopes != route.scopes {
                    diffs.push(Diff::new("scopes", list(&existing.scopes), list(&route.scopes)));
                }
                let current = existing
                    .target
                    .as_deref()
                    .and_then(|t| t.strip_prefix("integrations/"))
                    .and_then(|id| integration_by_id.get(id).map(|s| (id, s)));
                let target_ok = match (current, kept.get(&spec)) {
                    (Some((id, s)), Some(k)) => s == &spec && id == k.id,
                    _ => false,
                };
                if !target_ok {
                    let before = current
                        .map(|(_, s)| s.describe())
                        .or_else(|| existing.target.clone())
                        .unwrap_or_else(|| "none".into());
                    diffs.push(Diff::new("integration", before, spec.describe()));
                }
                if !diffs.is_empty() {
                    route_steps.push(Step::UpdateRoute {
                        id: existing.id.clone(),
                        key,
                        diffs,
                        scopes: route.scopes.clone(),
                        integration: spec,
                    });
                }
            }
        }
    }
    steps.extend(route_steps);

    // 8. Stage: `$default` with auto-deploy, so route changes go live.
    match &inv.stage {
        None => steps.push(Step::CreateStage),
        Some(s) if s.owned && !s.auto_deploy => steps.push(Step::UpdateStage),
        Some(s) if !s.owned && !s.auto_deploy => notes.push(
            "the $default stage is not managed by this stack and has auto-deploy off: deploy the API for route changes to go live".into(),
        ),
        _ => {}
    }

    // 9. Lambda invoke permissions, one per function.
    let wanted_functions: BTreeSet<&str> = wanted_specs
        .iter()
        .filter(|s| s.integration_type == "AWS_PROXY")
        .map(|s| s.uri.as_str())
        .collect();
    for f in &wanted_functions {
        let wanted_source = api.as_ref().map(|a| source_arn(f, region, &a.id));
        match inv.permissions.get(*f) {
            None => steps.push(Step::AddPermission { function: f.to_string() }),
            Some(p) if wanted_source.is_none() || p.source_arn != wanted_source => steps.push(Step::ReplacePermission {
                function: f.to_string(),
                before: p.source_arn.clone(),
            }),
            Some(_) => {}
        }
    }

    // 10. Deletions: routes no longer declared, integrations no longer used, permissions no longer needed.
    for r in &inv.routes {
        if !wanted_keys.contains(&r.key) && is_owned_route(r) {
            steps.push(Step::DeleteRoute {
                id: r.id.clone(),
                key: r.key.clone(),
            });
        }
    }
    // Integrations still targeted by routes the stack does not own must stay.
    let used_by_others: BTreeSet<&str> = inv
        .routes
        .iter()
        .filter(|r| !is_owned_route(r))
        .filter_map(|r| r.target.as_deref()?.strip_prefix("integrations/"))
        .collect();
    for i in &owned_integrations {
        let spec = IntegrationSpec::of(i);
        let is_kept = wanted_specs.contains(&spec) && kept.get(&spec).is_some_and(|k| k.id == i.id);
        if !is_kept && !used_by_others.contains(i.id.as_str()) {
            steps.push(Step::DeleteIntegration { id: i.id.clone(), spec });
        }
    }
    for f in inv.permissions.keys() {
        if !wanted_functions.contains(f.as_str()) {
            steps.push(Step::RemovePermission { function: f.clone() });
        }
    }

    if let Some(holder) = &inv.lock_holder {
        notes.push(format!("the stack is locked by {holder}"));
    }
    Ok(Plan {
        stack: stack.name.clone(),
        region: region.into(),
        steps,
        notes,
    })
}

/// The hosted issuer's part of a plan: keys, bucket, public access, policy, documents, key changes.
fn plan_hosted(stack: &Stack, h: &Hosted, inv: &Inventory, steps: &mut Vec<Step>, notes: &mut Vec<String>) -> Result<(), Conflict> {
    let region = inv.region.as_str();
    let bucket = h.bucket.clone();

    // 1. Keys: the signing key and the next key are generated when missing, never replaced; a previous key
    //    must exist, since it signed tokens that are still checked against it.
    let mut published: Vec<(String, Option<Jwk>)> = Vec::new();
    for kid in h.published_keys() {
        let parameter = stack.key_parameter(kid);
        match inv.keys.get(kid) {
            None if h.key_role(kid) == Some(KeyRole::Previous) => {
                return Err(Conflict::MissingKey {
                    kid: kid.into(),
                    parameter,
                });
            }
            None => {
                steps.push(Step::CreateKey {
                    kid: kid.into(),
                    parameter,
                    bits: h.key_bits,
                });
                published.push((kid.into(), None));
            }
            Some(k) => match &k.public {
                Some(j) => {
                    if kid == h.key_id && k.bits.is_some_and(|b| b != h.key_bits) {
                        notes.push(format!(
                            "key {kid} is {} bits and stays so (key_bits applies to new keys; rotate to change it)",
                            k.bits.unwrap_or_default()
                        ));
                    }
                    published.push((kid.into(), Some(j.clone())));
                }
                None => {
                    return Err(Conflict::UnreadableKey {
                        parameter: k.parameter.clone(),
                    });
                }
            },
        }
    }

    // 2. Bucket, its public-access settings and policy.
    let bucket_info = inv.bucket.clone();
    match &bucket_info {
        None => steps.push(Step::CreateBucket { bucket: bucket.clone() }),
        Some(b) if !b.owned && inv.bucket_marker.as_deref() == Some(bucket.as_str()) => {
            steps.push(Step::TagBucket { bucket: bucket.clone() })
        }
        Some(_) => {}
    }
    let existing_pab = bucket_info.as_ref().and_then(|b| b.public_access_block);
    if h.public {
        let wanted = PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: false,
            restrict_public_buckets: false,
        };
        if existing_pab != Some(wanted) {
            steps.push(Step::PutPublicAccessBlock {
                bucket: bucket.clone(),
                before: existing_pab,
                after: wanted,
            });
        }
    }
    let existing_policy = bucket_info.as_ref().and_then(|b| b.policy.clone());
    let statement = h.public.then(|| public_statement(stack, h, region));
    match merge_policy(existing_policy.as_deref(), &statement_id(&stack.name), statement) {
        PolicyChange::None => {}
        PolicyChange::Put(policy) => steps.push(Step::PutBucketPolicy {
            bucket: bucket.clone(),
            policy,
            create: existing_policy.is_none(),
        }),
        PolicyChange::Delete => steps.push(Step::DeleteBucketPolicy { bucket: bucket.clone() }),
    }

    // 3. Documents.
    let issuer = stack.issuer_url(region);
    let jwks_uri = format!("{issuer}/.well-known/jwks.json");
    let discovery = documents::discovery(&issuer, &jwks_uri, &stack.all_scopes());
    object_step(steps, inv, &bucket, h.discovery_key(), Document::Discovery, Some(discovery));
    let known: Option<Vec<Jwk>> = published.iter().map(|(_, j)| j.clone()).collect();
    let jwks = known.map(|keys| documents::jwks(&keys));
    if let Some(bytes) = jwks.as_ref().filter(|b| b.len() > documents::JWKS_MAX_BYTES) {
        return Err(Conflict::JwksTooLarge {
            bytes: bytes.len(),
            keys: published.len(),
        });
    }
    let jwks_step = object_step(steps, inv, &bucket, h.jwks_key(), Document::Jwks, jwks);
    if let Some(Step::PutObject { jwks_keys, .. }) = jwks_step {
        *jwks_keys = published.clone();
    }
    key_changes(steps, stack, h, inv);
    Ok(())
}

/// Computes what teardown would do: remove everything the stack owns, in reverse dependency order.
pub fn plan_teardown(stack: &Stack, inv: &Inventory, keep_keys: bool) -> Plan {
    let mut steps = Vec::new();
    let mut notes = Vec::new();
    let authorizer_id = inv.authorizer.as_ref().map(|a| a.id.as_str());
    match &inv.api {
        Some(api) if api.owned => steps.push(Step::DeleteApi {
            id: api.id.clone(),
            name: api.name.clone(),
        }),
        Some(api) => {
            let owned_routes: Vec<&RouteInfo> = inv
                .routes
                .iter()
                .filter(|r| authorizer_id.is_some() && r.authorizer_id.as_deref() == authorizer_id)
                .collect();
            for r in &owned_routes {
                steps.push(Step::DeleteRoute {
                    id: r.id.clone(),
                    key: r.key.clone(),
                });
            }
            let used_by_others: BTreeSet<&str> = inv
                .routes
                .iter()
                .filter(|r| !owned_routes.iter().any(|o| o.id == r.id))
                .filter_map(|r| r.target.as_deref()?.strip_prefix("integrations/"))
                .collect();
            for i in inv.integrations.iter().filter(|i| i.owned) {
                if used_by_others.contains(i.id.as_str()) {
                    notes.push(format!("integration {} is kept: a route the stack does not own uses it", i.id));
                } else {
                    steps.push(Step::DeleteIntegration {
                        id: i.id.clone(),
                        spec: IntegrationSpec::of(i),
                    });
                }
            }
            if let Some(a) = &inv.authorizer {
                steps.push(Step::DeleteAuthorizer {
                    id: a.id.clone(),
                    name: stack.authorizer_name(),
                });
            }
            if inv.stage.as_ref().is_some_and(|s| s.owned) {
                steps.push(Step::DeleteStage);
            }
            notes.push(format!(
                "API {} was adopted (api.id): only the stack's authorizer, routes and integrations are removed",
                api.id
            ));
        }
        None => {}
    }
    for f in inv.permissions.keys() {
        steps.push(Step::RemovePermission { function: f.clone() });
    }
    if let (Some(b), Some(h)) = (&inv.bucket, stack.hosted()) {
        let bucket = h.bucket.clone();
        for key in [h.discovery_key(), h.jwks_key()] {
            if inv.objects.contains_key(&key) {
                steps.push(Step::DeleteObject {
                    bucket: bucket.clone(),
                    key,
                });
            }
        }
        let owned = b.owned || inv.bucket_marker.as_deref() == Some(bucket.as_str());
        let deleting_bucket = owned && !b.has_other_objects;
        if !deleting_bucket {
            match merge_policy(b.policy.as_deref(), &statement_id(&stack.name), None) {
                PolicyChange::None => {}
                PolicyChange::Put(policy) => steps.push(Step::PutBucketPolicy {
                    bucket: bucket.clone(),
                    policy,
                    create: false,
                }),
                PolicyChange::Delete => steps.push(Step::DeleteBucketPolicy { bucket: bucket.clone() }),
            }
        }
        if deleting_bucket {
            steps.push(Step::DeleteBucket { bucket: bucket.clone() });
        } else if owned {
            notes.push(format!("bucket {bucket} is kept: it holds objects the stack did not write"));
        } else {
            notes.push(format!(
                "bucket {bucket} is kept: the stack did not create it (its public access block is left as it is)"
            ));
        }
    }
    if inv.bucket_marker.is_some() {
        steps.push(Step::DeleteBucketMarker {
            parameter: crate::aws::ssm::bucket_marker(&stack.name),
        });
    }
    if inv.key_timeline.is_some() && !keep_keys {
        steps.push(Step::DeleteKeyTimeline {
            parameter: crate::aws::ssm::key_timeline(&stack.name),
        });
    }
    if keep_keys {
        if !inv.keys.is_empty() {
            notes.push(format!(
                "{} key parameter(s) under {} are kept (--keep-keys)",
                inv.keys.len(),
                stack.key_parameter_prefix()
            ));
        }
    } else {
        for (kid, k) in &inv.keys {
            steps.push(Step::DeleteKey {
                kid: kid.clone(),
                parameter: k.parameter.clone(),
            });
        }
    }
    Plan {
        stack: stack.name.clone(),
        region: inv.region.clone(),
        steps,
        notes,
    }
}

/// The key lines of a plan: keys added to or removed from the live JWKS, the signing key switched, and the
/// key timeline brought up to date (its stamps are taken when the step runs).
fn key_changes(steps: &mut Vec<Step>, stack: &Stack, h: &Hosted, inv: &Inventory) {
    let wanted: Vec<String> = h.published_keys().into_iter().map(String::from).collect();
    let live = inv.published_kids(&h.jwks_key());
    let added: Vec<String> = wanted.iter().filter(|k| !live.contains(k)).cloned().collect();
    let removed: Vec<String> = live.iter().filter(|k| !wanted.contains(k)).cloned().collect();
    let timeline = inv.key_timeline.clone().unwrap_or_default();
    let mut recorded: Vec<&str> = timeline.published();
    recorded.sort_unstable();
    let mut wanted_sorted: Vec<&str> = wanted.iter().map(String::as_str).collect();
    wanted_sorted.sort_unstable();
    let signing_before = timeline.signing.clone();
    let stale = recorded != wanted_sorted || signing_before.as_deref() != Some(h.key_id.as_str());
    if added.is_empty() && removed.is_empty() && !stale {
        return;
    }
    steps.push(Step::UpdateKeys {
        parameter: crate::aws::ssm::key_timeline(&stack.name),
        published: wanted
            .iter()
            .map(|k| (k.clone(), h.key_role(k).unwrap_or(KeyRole::Previous)))
            .collect(),
        added,
        removed,
        signing: (signing_before, h.key_id.clone()),
        timeline,
    });
}

fn object_step<'a>(
    steps: &'a mut Vec<Step>,
    inv: &Inventory,
    bucket: &str,
    key: String,
    document: Document,
    body: Option<Vec<u8>>,
) -> Option<&'a mut Step> {
    let existing = inv.objects.get(&key);
    let mut changed = Vec::new();
    if let Some(o) = existing {
        if body.as_ref() != Some(&o.body) {
            let after = body
                .as_ref()
                .map(|b| format!("{} bytes", b.len()))
                .unwrap_or_else(|| "from the new key".into());
            changed.push(Diff::new("body", format!("{} bytes", o.body.len()), after));
        }
        if o.content_type.as_deref() != Some(documents::CONTENT_TYPE) {
            changed.push(Diff::new(
                "content_type",
                o.content_type.clone().unwrap_or_else(|| "none".into()),
                documents::CONTENT_TYPE,
            ));
        }
        if o.cache_control.as_deref() != Some(documents::CACHE_CONTROL) {
            changed.push(Diff::new(
                "cache_control",
                o.cache_control.clone().unwrap_or_else(|| "none".into()),
                documents::CACHE_CONTROL,
            ));
        }
        if changed.is_empty() {
            return None;
        }
    }
    steps.push(Step::PutObject {
        bucket: bucket.into(),
        key,
        document,
        body,
        jwks_keys: Vec::new(),
        create: existing.is_none(),
        changed,
    });
    steps.last_mut()
}

fn list(v: &[String]) -> String {
    format!("[{}]", v.join(", "))
}

/// The AWS partition of a region (aws, aws-cn, aws-us-gov).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The execute-api ARN allowed to invoke a function: any stage, method and path of the API. The function's
/// account is taken as the API's (cross-account Lambda integrations are not supported).
pub fn source_arn(function_arn: &str, region: &str, api_id: &str) -> String {
    let account = function_arn.split(':').nth(4).unwrap_or("*");
    format!("arn:{}:execute-api:{region}:{account}:{api_id}/*/*", partition(region))
}

fn public_statement(stack: &Stack, h: &Hosted, region: &str) -> serde_json::Value {
    serde_json::json!({
        "Sid": statement_id(&stack.name),
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": format!("arn:{}:s3:::{}/{}.well-known/*", partition(region), h.bucket, h.document_prefix()),
    })
}

enum PolicyChange {
    None,
    Put(String),
    Delete,
}

/// Puts `statement` (or removes it, when `None`) under `sid` in a bucket policy, keeping every other statement.
fn merge_policy(existing: Option<&str>, sid: &str, statement: Option<serde_json::Value>) -> PolicyChange {
    use serde_json::{Value, json};
    let mut doc: Value = existing
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_else(|| json!({"Version": "2012-10-17", "Statement": []}));
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    };
    let ours: Vec<&Value> = statements
        .iter()
        .filter(|s| s.get("Sid").and_then(Value::as_str) == Some(sid))
        .collect();
    let already = match &statement {
        Some(s) => ours.len() == 1 && ours[0] == s,
        None => ours.is_empty(),
    };
    if already {
        return PolicyChange::None;
    }
    let mut kept: Vec<Value> = statements
        .iter()
        .filter(|s| s.get("Sid").and_then(Value::as_str) != Some(sid))
        .cloned()
        .collect();
    if let Some(s) = statement {
        kept.push(s);
    }
    if kept.is_empty() {
        return PolicyChange::Delete;
    }
    doc["Statement"] = Value::Array(kept);
    if doc.get("Version").is_none() {
        doc["Version"] = json!("2012-10-17");
    }
    PolicyChange::Put(doc.to_string())
}

#[cfg(test)]
mod tests;
