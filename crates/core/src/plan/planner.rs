//! `plan(&Stack, &Inventory) -> Plan`: what deploy would do, as named steps in the order AWS needs them
//! (each `do_plan_*` is one part of the stack; their order is the order of the steps).

use std::collections::{BTreeMap, BTreeSet};

use super::keys::{key_changes, known_public_half};
use super::policy::{PolicyChange, merge_statements, public_statement};
use super::{Conflict, Diff, Document, IntegrationInfo, IntegrationSpec, Inventory, KeyHome, Plan, PublicAccessBlock, RouteInfo, Step};
use super::{cloudfront, surface};
use crate::config::{ApiRef, Hosted, Integration, KeyRole, Stack};
use crate::crypto::documents;
use crate::crypto::keys::Jwk;
use crate::names::{IDENTITY_SOURCE, cloudfront_statement_id, source_arn, statement_id};

/// Computes what deploy would do. Pure and deterministic.
pub fn plan(stack: &Stack, inv: &Inventory) -> Result<Plan, Conflict> {
    bucket_is_ours(stack, inv)?;
    missing_functions(stack, inv)?;
    let mut p = Planner {
        stack,
        inv,
        steps: Vec::new(),
        notes: Vec::new(),
    };
    p.do_plan_issuer()?;
    p.do_plan_api();
    p.do_plan_authorizer();
    let integrations = p.do_plan_integrations();
    p.do_plan_routes(&integrations)?;
    p.do_plan_stage()?;
    p.do_plan_permissions(&integrations);
    p.do_plan_deletions(&integrations);
    if let Some(holder) = &inv.lock_holder {
        p.notes.push(format!("the stack is locked by {holder}"));
    }
    let plan = Plan {
        stack: stack.name.clone(),
        region: inv.region.clone(),
        steps: p.steps,
        notes: p.notes,
        integrations: integrations.kept.iter().map(|(spec, i)| (spec.clone(), i.id.clone())).collect(),
    };
    Ok(super::fold_into_import(stack, inv, plan))
}

struct Planner<'a> {
    stack: &'a Stack,
    inv: &'a Inventory,
    steps: Vec<Step>,
    notes: Vec<String>,
}

/// The integrations as the routes need them: which exist and are kept, and which specs are wanted.
struct Integrations<'a> {
    /// The stack's integrations in AWS (all of an owned API's).
    owned: Vec<&'a IntegrationInfo>,
    /// One per distinct spec: the first owned match (lowest id) is kept.
    kept: BTreeMap<IntegrationSpec, &'a IntegrationInfo>,
    /// One spec per distinct route integration.
    wanted: BTreeSet<IntegrationSpec>,
}

impl<'a> Planner<'a> {
    fn region(&self) -> &'a str {
        self.inv.region.as_str()
    }

    fn api_owned(&self) -> bool {
        self.inv.api.as_ref().is_none_or(|a| a.owned)
    }

    fn authorizer_id(&self) -> Option<&'a str> {
        self.inv.authorizer.as_ref().map(|a| a.id.as_str())
    }

    /// A route is the stack's when the API is, when it uses the stack's authorizer, or when it carries the
    /// stack's marker (a public route of an adopted API).
    fn is_owned_route(&self, r: &RouteInfo) -> bool {
        super::route_is_stacks(self.stack, self.inv, r)
    }

    /// 1-3. The hosted issuer (keys, bucket, documents); an external issuer has none of these.
    fn do_plan_issuer(&mut self) -> Result<(), Conflict> {
        match self.stack.hosted() {
            Some(h) => self.do_plan_hosted(h),
            None if !self.inv.keys.is_empty() => {
                self.notes.push(format!(
                    "the issuer is external: {} key(s) left under {} from a hosted issuer are not published; teardown removes them",
                    self.inv.keys.len(),
                    self.stack.key_parameter_prefix()
                ));
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn do_plan_hosted(&mut self, h: &Hosted) -> Result<(), Conflict> {
        let published = self.do_plan_keys(h)?;
        self.do_plan_bucket(h)?;
        self.do_plan_documents(h, &published)?;
        if let Some(cf) = &h.cloudfront {
            cloudfront::plan_after_documents(&mut self.steps, &mut self.notes, h, cf, self.inv)?;
        }
        key_changes(&mut self.steps, self.stack, h, self.inv)?;
        Ok(())
    }

    /// 1. Keys: the signing key and the next key are generated when missing (in `key_store`), never replaced;
    ///    a previous key must exist, since it signed tokens that are still checked against it. Returns the
    ///    published keys in JWKS order, with their public half when it is known before the run.
    fn do_plan_keys(&mut self, h: &Hosted) -> Result<Vec<(String, Option<Jwk>)>, Conflict> {
        let mut published: Vec<(String, Option<Jwk>)> = Vec::new();
        // Changing key_store moves no key: the signing key may stay in the other store only while the next key
        // (in the new store) is on its way in.
        if let Some(k) = self.inv.keys.get(&h.key_id)
            && k.home.store() != h.key_store
            && h.next_key.is_none()
        {
            return Err(Conflict::KeyStoreSwitch {
                kid: h.key_id.clone(),
                from: k.home.store().as_str(),
                to: h.key_store.as_str(),
            });
        }
        for kid in h.published_keys() {
            match self.inv.keys.get(kid) {
                None if h.key_role(kid) == Some(KeyRole::Previous) => {
                    return Err(Conflict::MissingKey {
                        kid: kid.into(),
                        parameter: self.stack.key_parameter(kid),
                    });
                }
                None => {
                    self.steps.push(Step::CreateKey {
                        kid: kid.into(),
                        home: KeyHome::new(self.stack, h.key_store, kid),
                        bits: h.key_bits,
                    });
                    published.push((kid.into(), None));
                }
                Some(k) => {
                    let (public, record) = known_public_half(self.inv, h, kid, k)?;
                    self.steps.extend(record);
                    if kid == h.key_id && k.bits.is_some_and(|b| b != h.key_bits) {
                        self.notes.push(format!(
                            "key {kid} is {} bits and stays so (key_bits applies to new keys; rotate to change it)",
                            k.bits.unwrap_or_default()
                        ));
                    }
                    published.push((kid.into(), Some(public)));
                }
            }
        }
        Ok(published)
    }

    /// 2. The bucket, its public-access settings, the distribution in front of it (`cloudfront`), and its
    ///    policy: the public statement, or the distribution's.
    fn do_plan_bucket(&mut self, h: &Hosted) -> Result<(), Conflict> {
        let bucket = h.bucket.clone();
        let bucket_info = self.inv.bucket.as_ref();
        match bucket_info {
            None => self.steps.push(Step::CreateBucket { bucket: bucket.clone() }),
            Some(b) if !b.owned && self.inv.bucket_marker.as_deref() == Some(bucket.as_str()) => {
                self.steps.push(Step::TagBucket { bucket: bucket.clone() })
            }
            Some(_) => {}
        }
        let existing_pab = bucket_info.and_then(|b| b.public_access_block);
        // Public: policies may grant public reads (the stack's one statement). Behind CloudFront: everything on.
        let block_policies = (h.public || h.cloudfront.is_some()).then_some(!h.public);
        if let Some(block_policies) = block_policies {
            let wanted = PublicAccessBlock {
                block_public_acls: true,
                ignore_public_acls: true,
                block_public_policy: block_policies,
                restrict_public_buckets: block_policies,
            };
            if existing_pab != Some(wanted) {
                self.steps.push(Step::PutPublicAccessBlock {
                    bucket: bucket.clone(),
                    before: existing_pab,
                    after: wanted,
                });
            }
        }
        if let Some(cf) = &h.cloudfront {
            cloudfront::plan_front(&mut self.steps, self.stack, h, cf, self.inv)?;
        }
        let existing_policy = bucket_info.and_then(|b| b.policy.clone());
        let public = h.public.then(|| public_statement(self.stack, h, self.region()));
        let distribution = h.cloudfront.as_ref().map(|_| cloudfront::read_statement(self.stack, h, self.inv));
        let name = &self.stack.name;
        let wanted = [(statement_id(name), public), (cloudfront_statement_id(name), distribution)];
        match merge_statements(existing_policy.as_deref(), wanted) {
            PolicyChange::None => {}
            PolicyChange::Put(policy) => self.steps.push(Step::PutBucketPolicy {
                bucket,
                policy,
                create: existing_policy.is_none(),
            }),
            PolicyChange::Delete => self.steps.push(Step::DeleteBucketPolicy { bucket }),
        }
        Ok(())
    }

    /// 3. The discovery document and the JWKS.
    fn do_plan_documents(&mut self, h: &Hosted, published: &[(String, Option<Jwk>)]) -> Result<(), Conflict> {
        let issuer = self.stack.issuer_url(self.region());
        let jwks_uri = format!("{issuer}/.well-known/jwks.json");
        let discovery = documents::discovery(&issuer, &jwks_uri, &self.stack.all_scopes());
        object_step(
            &mut self.steps,
            self.inv,
            &h.bucket,
            h.discovery_key(),
            Document::Discovery,
            Some(discovery),
            &[],
        );
        let known: Option<Vec<Jwk>> = published.iter().map(|(_, j)| j.clone()).collect();
        let jwks = known.map(|keys| documents::jwks(&keys));
        if let Some(bytes) = jwks.as_ref().filter(|b| b.len() > documents::JWKS_MAX_BYTES) {
            return Err(Conflict::JwksTooLarge {
                bytes: bytes.len(),
                keys: published.len(),
            });
        }
        let kids: Vec<String> = published.iter().map(|(k, _)| k.clone()).collect();
        let jwks_step = object_step(&mut self.steps, self.inv, &h.bucket, h.jwks_key(), Document::Jwks, jwks, &kids);
        if let Some(Step::PutObject { jwks_keys, .. }) = jwks_step {
            *jwks_keys = published.to_vec();
        }
        Ok(())
    }

    /// 4. The API: created, or renamed when the stack owns it.
    fn do_plan_api(&mut self) {
        match (&self.stack.api, &self.inv.api) {
            (ApiRef::Owned { name }, None) => self.steps.push(Step::CreateApi { name: name.clone() }),
            (ApiRef::Owned { name }, Some(a)) if &a.name != name => self.steps.push(Step::UpdateApiName {
                id: a.id.clone(),
                before: a.name.clone(),
                after: name.clone(),
            }),
            _ => {}
        }
        surface::plan_cors(&mut self.steps, self.stack, self.inv);
    }

    /// 5. The JWT authorizer: issuer, audiences, identity source.
    fn do_plan_authorizer(&mut self) {
        let authorizer_name = self.stack.authorizer_name();
        let issuer = self.stack.issuer_url(self.region());
        let wanted_sources = vec![IDENTITY_SOURCE.to_string()];
        match &self.inv.authorizer {
            None => self.steps.push(Step::CreateAuthorizer {
                name: authorizer_name,
                issuer,
                audience: self.stack.audience.clone(),
            }),
            Some(a) => {
                if a.issuer != issuer && self.stack.hosted().is_some() {
                    self.notes.push(cloudfront::issuer_change_note(&a.issuer, &issuer));
                }
                if a.issuer != issuer || a.audience != self.stack.audience || a.identity_source != wanted_sources {
                    self.steps.push(Step::UpdateAuthorizer {
                        id: a.id.clone(),
                        name: authorizer_name,
                        issuer: (a.issuer.clone(), issuer),
                        audience: (a.audience.clone(), self.stack.audience.clone()),
                        identity_source: (a.identity_source.clone(), wanted_sources),
                    });
                }
            }
        }
    }

    /// 6. Integrations: one per distinct spec; the first owned match (lowest id) is kept.
    fn do_plan_integrations(&mut self) -> Integrations<'a> {
        let api_owned = self.api_owned();
        let owned: Vec<&IntegrationInfo> = self.inv.integrations.iter().filter(|i| i.owned || api_owned).collect();
        let mut kept: BTreeMap<IntegrationSpec, &IntegrationInfo> = BTreeMap::new();
        for i in &owned {
            kept.entry(IntegrationSpec::of(i))
                .and_modify(|cur| {
                    if i.id < cur.id {
                        *cur = i
                    }
                })
                .or_insert(i);
        }
        let wanted: BTreeSet<IntegrationSpec> = self
            .stack
            .routes
            .iter()
            .map(|r| IntegrationSpec::for_route(&r.integration, r.key.method()))
            .collect();
        for spec in &wanted {
            if !kept.contains_key(spec) {
                self.steps.push(Step::CreateIntegration { spec: spec.clone() });
            }
        }
        Integrations { owned, kept, wanted }
    }

    /// 7. Routes: created, or updated where authorization, scopes or target differ.
    fn do_plan_routes(&mut self, integrations: &Integrations<'_>) -> Result<(), Conflict> {
        let inv = self.inv;
        let authorizer_id = self.authorizer_id();
        let authorizer_name = self.stack.authorizer_name();
        let integration_by_id: BTreeMap<&str, IntegrationSpec> =
            inv.integrations.iter().map(|i| (i.id.as_str(), IntegrationSpec::of(i))).collect();
        let mut route_steps = Vec::new();
        for route in &self.stack.routes {
            let key = route.key.as_str().to_string();
            let spec = IntegrationSpec::for_route(&route.integration, route.key.method());
            match inv.routes.iter().find(|r| r.key == key) {
                None => route_steps.push(Step::CreateRoute {
                    key,
                    scopes: route.scopes.clone(),
                    integration: spec,
                    public: route.public,
                }),
                Some(existing) if !self.is_owned_route(existing) => {
                    return Err(Conflict::UnmanagedRoute {
                        key,
                        api: inv.api.as_ref().map(|a| a.id.clone()).unwrap_or_default(),
                        stack: self.stack.name.clone(),
                        id: existing.id.clone(),
                    });
                }
                Some(existing) => {
                    let mut diffs = Vec::new();
                    let wanted_type = if route.public { "NONE" } else { "JWT" };
                    let current_type = existing.authorization_type.clone().unwrap_or_else(|| "NONE".into());
                    if current_type != wanted_type {
                        diffs.push(Diff::new("authorization_type", current_type, wanted_type));
                    }
                    let current_authorizer = existing.authorizer_id.as_deref().filter(|a| !a.is_empty());
                    if route.public && current_authorizer.is_some() {
                        diffs.push(Diff::new("authorizer", current_authorizer.unwrap_or_default(), "none"));
                    } else if !route.public && (current_authorizer != authorizer_id || authorizer_id.is_none()) {
                        diffs.push(Diff::new(
                            "authorizer",
                            current_authorizer.unwrap_or("none"),
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
                    let target_ok = match (current, integrations.kept.get(&spec)) {
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
                            public: route.public,
                        });
                    }
                }
            }
        }
        self.steps.extend(route_steps);
        Ok(())
    }

    /// 8. Stage: `$default` with auto-deploy, so route changes go live, after its log group; then the custom
    ///    domain mapped to it.
    fn do_plan_stage(&mut self) -> Result<(), Conflict> {
        surface::plan_log_group(&mut self.steps, self.stack, self.inv)?;
        surface::plan_stage(&mut self.steps, &mut self.notes, self.stack, self.inv);
        surface::plan_domain(&mut self.steps, &mut self.notes, self.stack, self.inv)
    }

    /// 9. Lambda invoke permissions, one per function.
    fn do_plan_permissions(&mut self, integrations: &Integrations<'_>) {
        for f in wanted_functions(integrations) {
            let wanted_source = self.inv.api.as_ref().map(|a| source_arn(f, self.region(), &a.id));
            match self.inv.permissions.get(f) {
                None => self.steps.push(Step::AddPermission { function: f.to_string() }),
                Some(p) if wanted_source.is_none() || p.source_arn != wanted_source => self.steps.push(Step::ReplacePermission {
                    function: f.to_string(),
                    before: p.source_arn.clone(),
                }),
                Some(_) => {}
            }
        }
    }

    /// 10. Deletions: routes no longer declared, integrations no longer used, permissions no longer needed.
    fn do_plan_deletions(&mut self, integrations: &Integrations<'_>) {
        let inv = self.inv;
        let wanted_keys: BTreeSet<&str> = self.stack.routes.iter().map(|r| r.key.as_str()).collect();
        for r in &inv.routes {
            if !wanted_keys.contains(r.key.as_str()) && self.is_owned_route(r) {
                self.steps.push(Step::DeleteRoute {
                    id: r.id.clone(),
                    key: r.key.clone(),
                });
            }
        }
        // Integrations still targeted by routes the stack does not own must stay.
        let used_by_others: BTreeSet<&str> = inv
            .routes
            .iter()
            .filter(|r| !self.is_owned_route(r))
            .filter_map(|r| r.target.as_deref()?.strip_prefix("integrations/"))
            .collect();
        for i in &integrations.owned {
            let spec = IntegrationSpec::of(i);
            let is_kept = integrations.wanted.contains(&spec) && integrations.kept.get(&spec).is_some_and(|k| k.id == i.id);
            if !is_kept && !used_by_others.contains(i.id.as_str()) {
                self.steps.push(Step::DeleteIntegration { id: i.id.clone(), spec });
            }
        }
        let wanted_functions = wanted_functions(integrations);
        for f in inv.permissions.keys() {
            if !wanted_functions.contains(f.as_str()) {
                self.steps.push(Step::RemovePermission { function: f.clone() });
            }
        }
        surface::plan_undeclared(&mut self.steps, &mut self.notes, self.stack, inv, false);
        surface::plan_log_group_removal(&mut self.steps, self.stack, inv, false);
        // A stack that no longer fronts its issuer with CloudFront removes the distribution, last.
        if self.stack.hosted().is_none_or(|h| h.cloudfront.is_none()) {
            cloudfront::plan_removal(&mut self.steps, self.stack, inv, None);
        }
    }
}

/// The issuer bucket belongs to one stack and lives in one region, and so does the stack: another stack's
/// bucket is refused, and a run for another region would publish
/// documents the first region's authorizer trusts, or delete them. Refused before any change (deploy and
/// teardown alike).
pub fn bucket_is_ours(stack: &Stack, inv: &Inventory) -> Result<(), Conflict> {
    let (Some(h), Some(b)) = (stack.hosted(), &inv.bucket) else {
        return Ok(());
    };
    // A bucket, its documents and its issuer belong to one stack: another stack's would have its JWKS
    // replaced (its tokens then fail with "unknown kid") or deleted by this stack's teardown.
    if let Some(other) = &b.other_stack {
        return Err(Conflict::BucketOfAnotherStack {
            bucket: h.bucket.clone(),
            other: other.clone(),
            stack: stack.name.clone(),
        });
    }
    match &b.region {
        Some(r) if r != &inv.region => Err(Conflict::BucketRegion {
            bucket: h.bucket.clone(),
            bucket_region: r.clone(),
            region: inv.region.clone(),
            stack: stack.name.clone(),
        }),
        _ => Ok(()),
    }
}

/// A route to a function that does not exist would answer 500 from the moment it is created: refuse before
/// any change.
fn missing_functions(stack: &Stack, inv: &Inventory) -> Result<(), Conflict> {
    let Some(function) = inv.missing_functions.iter().next() else {
        return Ok(());
    };
    let routes = stack
        .routes
        .iter()
        .filter(|r| matches!(&r.integration, Integration::Lambda { arn } if arn == function))
        .map(|r| r.key.as_str().to_string())
        .collect();
    Err(Conflict::MissingFunction {
        function: function.clone(),
        routes,
    })
}

/// The functions behind the wanted Lambda integrations.
fn wanted_functions<'s>(integrations: &'s Integrations<'_>) -> BTreeSet<&'s str> {
    integrations
        .wanted
        .iter()
        .filter(|s| s.integration_type == "AWS_PROXY")
        .map(|s| s.uri.as_str())
        .collect()
}

/// A document's put, when it is missing or differs in body or headers; returns the step for the caller to
/// complete.
fn object_step<'a>(
    steps: &'a mut Vec<Step>,
    inv: &Inventory,
    bucket: &str,
    key: String,
    document: Document,
    body: Option<Vec<u8>>,
    kids: &[String],
) -> Option<&'a mut Step> {
    let existing = inv.objects.get(&key);
    let mut changed = Vec::new();
    if let Some(o) = existing {
        if body.as_ref() != Some(&o.body) {
            changed.extend(body_diffs(document, &o.body, body.as_deref(), kids));
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
        // Anonymous readers cannot decrypt a KMS-encrypted object (a bucket whose default is SSE-KMS).
        if let Some(e) = o.encryption.as_deref().filter(|e| *e != "AES256") {
            changed.push(Diff::new("encryption", e, "AES256"));
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

/// What changes in a document, as a person reads it: the discovery document's fields that differ, the JWKS's
/// kids (`kids` is the JWKS to be, in order, even when a key is generated by this run). A document that is not
/// what jwtstack writes (not JSON) shows its size.
fn body_diffs(document: Document, before: &[u8], after: Option<&[u8]>, kids: &[String]) -> Vec<Diff> {
    use serde_json::Value;
    let parse = |b: &[u8]| serde_json::from_slice::<serde_json::Map<String, Value>>(b).ok();
    let sizes = || {
        let after = after
            .map(|b| format!("{} bytes", b.len()))
            .unwrap_or_else(|| "from the new key".into());
        vec![Diff::new("body", format!("{} bytes", before.len()), after)]
    };
    match document {
        Document::Discovery => {
            let (Some(old), Some(new)) = (parse(before), after.and_then(parse)) else {
                return sizes();
            };
            let fields: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            let show = |v: Option<&Value>| v.map(Value::to_string).unwrap_or_else(|| "none".into());
            let diffs: Vec<Diff> = fields
                .into_iter()
                .filter(|f| old.get(*f) != new.get(*f))
                .map(|f| Diff::new(f, show(old.get(f)), show(new.get(f))))
                .collect();
            if diffs.is_empty() { sizes() } else { diffs }
        }
        Document::Jwks => {
            let Some(old) = serde_json::from_slice::<crate::crypto::keys::Jwks>(before).ok() else {
                return sizes();
            };
            let old: Vec<String> = old.keys.into_iter().map(|k| k.kid).collect();
            if old == kids {
                // Same kids, other bytes: a key's material or the encoding changed.
                return sizes();
            }
            vec![Diff::new("kids", list(&old), list(kids))]
        }
    }
}

fn list(v: &[String]) -> String {
    format!("[{}]", v.join(", "))
}
