//! Executes a plan's steps in order. Ids of things created earlier in the run (the API, the authorizer,
//! integrations) are resolved here; the planner only names them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::stream::{self, StreamExt};

use crate::retry::{create_once, when_busy};
use crate::{AwsError, Clients, ErrorKind, apigw, kms, lambda, s3, ssm};
use jwtstack_core::config::Stack;
use jwtstack_core::crypto::documents;
use jwtstack_core::crypto::keys::{Jwk, SigningKey};
use jwtstack_core::names::{integration_marker, permission_id, source_arn};
use jwtstack_core::plan::{Document, IntegrationSpec, Inventory, KeyHome, Plan, Step};

mod cloudfront;
mod lanes;
mod surface;

use lanes::{lanes, parallel_group};

/// What exists after (part of) a run: the ids later steps need.
#[derive(Debug, Default, Clone)]
pub struct Context {
    pub api_id: Option<String>,
    pub api_endpoint: Option<String>,
    pub authorizer_id: Option<String>,
    pub integrations: BTreeMap<IntegrationSpec, String>,
    /// The public halves of the keys created in this run, by kid.
    pub generated: BTreeMap<String, Jwk>,
    /// The stack's origin access control, and its distribution (id, domain).
    pub origin_access_control: Option<String>,
    pub distribution: Option<(String, String)>,
    /// The invalidations this run created, by distribution.
    pub invalidations: Vec<(String, String)>,
    /// `--no-wait`: do not wait for CloudFront (and so do not read the issuer through it).
    pub no_wait: bool,
    /// The access log's group.
    pub log_group_arn: Option<String>,
    /// The API domain created in this run: its endpoint and that endpoint's zone.
    pub api_domain_target: Option<(String, String)>,
}

impl Context {
    /// What exists before `plan` runs: the ids in the inventory, and the integrations the planner chose.
    pub fn new(inv: &Inventory, plan: &Plan) -> Context {
        Context {
            api_id: inv.api.as_ref().map(|a| a.id.clone()),
            api_endpoint: inv.api.as_ref().map(|a| a.endpoint.clone()),
            authorizer_id: inv.authorizer.as_ref().map(|a| a.id.clone()),
            integrations: plan.integrations.clone(),
            generated: BTreeMap::new(),
            origin_access_control: inv.origin_access_control.as_ref().map(|o| o.id.clone()),
            distribution: inv.distribution.as_ref().map(|d| (d.id.clone(), d.domain_name.clone())),
            invalidations: Vec::new(),
            no_wait: false,
            log_group_arn: inv.log_group.as_ref().map(|g| g.arn.clone()),
            // The stack's domain (one it tagged); a domain created in the run replaces it.
            api_domain_target: inv
                .api_domains
                .iter()
                .find(|d| d.owned)
                .map(|d| (d.target.clone(), d.target_zone.clone())),
        }
    }
}

fn missing(what: &str) -> AwsError {
    AwsError::new(
        format!("applying the plan: {what}"),
        ErrorKind::Other,
        "an earlier step did not produce it",
    )
}

/// How a run of steps ended early.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("step {step} of {total} failed: {source}")]
    Step { step: usize, total: usize, source: AwsError },
    #[error("interrupted: {done} of {total} steps were applied")]
    Interrupted { done: usize, total: usize },
}

/// Runs every step; `progress` is called before each (for stderr output). When `stop` is set (Ctrl-C), the
/// steps in flight finish and no other starts.
///
/// Two lanes first, side by side: the issuer (key, bucket, documents) and the head of the API (the API and
/// its integrations), which need nothing from each other; then everything else in plan order (the
/// authorizer after the documents, routes after the authorizer). Within a lane, steps run in order, and
/// neighbours of one kind that touch different resources run together (see [`parallel_group`]).
pub async fn apply(
    c: &Clients,
    stack: &Stack,
    plan: &Plan,
    ctx: &mut Context,
    stop: &Arc<AtomicBool>,
    progress: impl FnMut(usize, &Step),
) -> Result<(), ApplyError> {
    let (issuer, api_head, rest) = lanes(&plan.steps);
    let run = Run {
        c,
        stack,
        plan,
        stop,
        progress: std::cell::RefCell::new(progress),
        done: std::sync::atomic::AtomicUsize::new(0),
    };
    if !issuer.is_empty() && !api_head.is_empty() {
        let mut api_ctx = ctx.clone();
        let (a, b) = tokio::join!(run.lane(&issuer, ctx), run.lane(&api_head, &mut api_ctx));
        ctx.api_id = api_ctx.api_id;
        ctx.api_endpoint = api_ctx.api_endpoint;
        ctx.integrations = api_ctx.integrations;
        // Both lanes have finished; the first failure in plan order is the one reported.
        match (a, b) {
            (Err(x), Err(y)) => return Err(run.first(x, y)),
            (Err(e), Ok(())) | (Ok(()), Err(e)) => return Err(run.report(e)),
            (Ok(()), Ok(())) => {}
        }
        run.lane(&rest, ctx).await.map_err(|e| run.report(e))
    } else {
        let all: Vec<usize> = (0..plan.steps.len()).collect();
        run.lane(&all, ctx).await.map_err(|e| run.report(e))
    }
}

/// A failed lane: the step (plan index) and why, or an interruption.
enum LaneError {
    Step(usize, AwsError),
    Interrupted,
}

struct Run<'a, F> {
    c: &'a Clients,
    stack: &'a Stack,
    plan: &'a Plan,
    stop: &'a Arc<AtomicBool>,
    progress: std::cell::RefCell<F>,
    /// Steps finished, across lanes.
    done: std::sync::atomic::AtomicUsize,
}

impl<F: FnMut(usize, &Step)> Run<'_, F> {
    /// Runs these steps (plan indices, in order) one after another, neighbours of one group together.
    async fn lane(&self, steps: &[usize], ctx: &mut Context) -> Result<(), LaneError> {
        let mut i = 0;
        while i < steps.len() {
            if self.stop.load(Ordering::SeqCst) {
                return Err(LaneError::Interrupted);
            }
            // The run of neighbouring steps that may go together (one step when it may not).
            let group = parallel_group(&self.plan.steps[steps[i]]);
            let mut end = i + 1;
            while group.is_some() && end < steps.len() && parallel_group(&self.plan.steps[steps[end]]) == group {
                end += 1;
            }
            for &n in &steps[i..end] {
                (self.progress.borrow_mut())(n, &self.plan.steps[n]);
            }
            let shared: &Context = ctx;
            let results: Vec<(usize, Result<Effect, AwsError>)> = stream::iter(steps[i..end].iter().copied())
                .map(|n| async move { (n, run_step(self.c, self.stack, &self.plan.steps[n], shared).await) })
                .buffer_unordered(PARALLEL_STEPS)
                .collect()
                .await;
            // Every step of the group has finished; the first failure (in plan order) is the one reported.
            let mut failed: Option<(usize, AwsError)> = None;
            let mut effects = Vec::new();
            for (n, r) in results {
                match r {
                    Ok(effect) => effects.push(effect),
                    Err(e) if failed.as_ref().is_none_or(|(m, _)| n < *m) => failed = Some((n, e)),
                    Err(_) => {}
                }
            }
            self.done.fetch_add(effects.len(), Ordering::SeqCst);
            for effect in effects {
                ctx.record(effect);
            }
            if let Some((n, source)) = failed {
                return Err(LaneError::Step(n, source));
            }
            i = end;
        }
        Ok(())
    }

    fn report(&self, e: LaneError) -> ApplyError {
        match e {
            LaneError::Step(n, source) => {
                // Numbered as the plan's lines are (the progress lines and the summary count them).
                ApplyError::Step {
                    step: self.plan.lines_before(n) + 1,
                    total: self.plan.lines_before(self.plan.steps.len()),
                    source,
                }
            }
            LaneError::Interrupted => ApplyError::Interrupted {
                done: self.done.load(Ordering::SeqCst),
                total: self.plan.steps.len(),
            },
        }
    }

    /// Of two lanes' failures, the step failure that comes first in the plan.
    fn first(&self, a: LaneError, b: LaneError) -> ApplyError {
        match (a, b) {
            (LaneError::Step(x, e), LaneError::Step(y, _)) if x < y => self.report(LaneError::Step(x, e)),
            (LaneError::Step(_, _), LaneError::Step(y, e)) => self.report(LaneError::Step(y, e)),
            (LaneError::Step(x, e), LaneError::Interrupted) | (LaneError::Interrupted, LaneError::Step(x, e)) => {
                self.report(LaneError::Step(x, e))
            }
            (LaneError::Interrupted, LaneError::Interrupted) => self.report(LaneError::Interrupted),
        }
    }
}

/// What a step produced that later steps need.
enum Effect {
    None,
    Key(String, Box<Jwk>),
    Api(String, String),
    Authorizer(String),
    Integration(IntegrationSpec, String),
    /// An import: the API, and its authorizer.
    Imported(String, String, Option<String>),
    OriginAccessControl(String),
    /// A distribution: id, domain.
    Distribution(String, String),
    /// An invalidation: distribution, id.
    Invalidation(String, String),
    LogGroup(String),
    /// An API domain: its endpoint, and that endpoint's zone.
    ApiDomain(String, String),
}

impl Context {
    fn record(&mut self, effect: Effect) {
        match effect {
            Effect::None => {}
            Effect::Key(kid, key) => {
                self.generated.insert(kid, *key);
            }
            Effect::Api(id, endpoint) => {
                self.api_id = Some(id);
                self.api_endpoint = Some(endpoint);
            }
            Effect::Authorizer(id) => self.authorizer_id = Some(id),
            Effect::Imported(id, endpoint, authorizer) => {
                self.api_id = Some(id);
                self.api_endpoint = Some(endpoint);
                self.authorizer_id = authorizer;
            }
            Effect::Integration(spec, id) => {
                self.integrations.insert(spec, id);
            }
            Effect::OriginAccessControl(id) => self.origin_access_control = Some(id),
            Effect::Distribution(id, domain) => self.distribution = Some((id, domain)),
            Effect::Invalidation(distribution, id) => self.invalidations.push((distribution, id)),
            Effect::LogGroup(arn) => self.log_group_arn = Some(arn),
            Effect::ApiDomain(target, zone) => self.api_domain_target = Some((target, zone)),
        }
    }
}

/// After an import: the API, and the id of the authorizer the definition made (the outputs name it).
async fn imported(c: &Clients, stack: &Stack, api: jwtstack_core::plan::ApiInfo) -> Result<Effect, AwsError> {
    let authorizer = apigw::find_authorizer(c, &api.id, &stack.authorizer_name()).await?;
    Ok(Effect::Imported(api.id, api.endpoint, authorizer.map(|a| a.id)))
}

/// How many independent steps run at once; API Gateway calls are paced on top of this.
const PARALLEL_STEPS: usize = 16;

async fn run_step(c: &Clients, stack: &Stack, step: &Step, ctx: &Context) -> Result<Effect, AwsError> {
    let name = &stack.name;
    let api_id = || ctx.api_id.clone().ok_or_else(|| missing("the API id"));
    // The stack's authorizer, or none for a public route.
    let authorizer = |public: bool| -> Result<Option<String>, AwsError> {
        if public {
            return Ok(None);
        }
        ctx.authorizer_id.clone().map(Some).ok_or_else(|| missing("the authorizer id"))
    };
    match step {
        Step::CreateKey {
            kid,
            home: KeyHome::Ssm { parameter, record },
            bits,
        } => {
            let key = tokio::task::spawn_blocking({
                let (kid, bits) = (kid.clone(), *bits);
                move || SigningKey::generate(&kid, bits)
            })
            .await
            .map_err(|e| AwsError::new("generating the signing key", ErrorKind::Other, e.to_string()))?
            .map_err(|e| AwsError::new("generating the signing key", ErrorKind::Other, e.to_string()))?;
            // If a lost answer hides that the put happened, the stored key is the one to publish.
            let key = create_once(
                parameter,
                || async { ssm::put_new_key(c, parameter, &key, name).await.map(|()| key.clone()) },
                || async {
                    match ssm::get_key(c, parameter, kid).await {
                        Ok(k) => Ok(Some(k)),
                        Err(e) if e.is_not_found() => Ok(None),
                        Err(e) => Err(e),
                    }
                },
            )
            .await?;
            let jwk = key.public_jwk();
            drop(key);
            ssm::put_public_record(c, name, record, &jwk).await?;
            return Ok(Effect::Key(kid.clone(), Box::new(jwk)));
        }
        Step::CreateKey {
            kid,
            home: KeyHome::Kms { alias, .. },
            bits,
        } => {
            let (_, jwk) = kms::create_key(c, name, kid, alias, *bits).await?;
            return Ok(Effect::Key(kid.clone(), Box::new(jwk)));
        }
        Step::RecordPublicKey { record, jwk, .. } => ssm::put_public_record(c, name, record, jwk).await?,
        Step::CreateBucket { bucket } => {
            // Claimed first, so that of two stacks creating one bucket at once only one goes on; then recorded,
            // so that a run dying before the tag below still knows the bucket is the stack's.
            ssm::claim_bucket(c, bucket, name).await?;
            ssm::put_bucket_marker(c, name, bucket).await?;
            create_once(
                bucket,
                || s3::create_bucket(c, bucket),
                || async { Ok(s3::bucket_exists(c, bucket).await?.then_some(())) },
            )
            .await?;
            when_busy(|| s3::tag_bucket(c, bucket, name)).await?;
        }
        Step::PutPublicAccessBlock { bucket, after, .. } => when_busy(|| s3::put_public_access_block(c, bucket, *after)).await?,
        Step::PutBucketPolicy { bucket, policy, .. } => when_busy(|| s3::put_bucket_policy(c, bucket, policy)).await?,
        Step::DeleteBucketPolicy { bucket } => when_busy(|| s3::delete_bucket_policy(c, bucket)).await?,
        Step::PutObject {
            bucket,
            key,
            document,
            body,
            jwks_keys,
            ..
        } => {
            let body = match (body, document) {
                (Some(b), _) => b.clone(),
                (None, Document::Jwks) => {
                    let keys = jwks_keys
                        .iter()
                        .map(|(kid, jwk)| match jwk {
                            Some(j) => Ok(j.clone()),
                            None => ctx.generated.get(kid).cloned().ok_or_else(|| missing("a generated key")),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    documents::jwks(&keys)
                }
                (None, Document::Discovery) => return Err(missing("the discovery document")),
            };
            when_busy(|| s3::put_document(c, bucket, key, body.clone())).await?;
        }
        Step::CreateOriginAccessControl { .. }
        | Step::CreateDistribution { .. }
        | Step::RecordDistribution { .. }
        | Step::UpdateDistribution { .. }
        | Step::InvalidateDocuments { .. }
        | Step::PutAliasRecords { .. }
        | Step::DeleteAliasRecords { .. }
        | Step::AwaitDistribution { .. }
        | Step::DisableDistribution { .. }
        | Step::DeleteDistribution { .. }
        | Step::DeleteOriginAccessControl { .. } => return cloudfront::run_step(c, stack, step, ctx).await,
        Step::UpdateCors { .. }
        | Step::CreateStage { .. }
        | Step::ConfigureStage { .. }
        | Step::DeleteAccessLog
        | Step::CreateLogGroup { .. }
        | Step::PutLogRetention { .. }
        | Step::DeleteLogGroup { .. }
        | Step::PutStackRecord { .. }
        | Step::DeleteStackRecord { .. }
        | Step::CreateApiDomain { .. }
        | Step::UpdateApiDomain { .. }
        | Step::CreateApiMapping { .. }
        | Step::DeleteApiMapping { .. }
        | Step::DeleteApiDomain { .. }
        | Step::PutApiAliasRecords { .. }
        | Step::DeleteApiAliasRecords { .. } => return surface::run_step(c, stack, step, ctx).await,
        Step::CreateApi { name: api_name } => {
            let api = create_once(api_name, || apigw::create_api(c, api_name, name), || apigw::find_owned_api(c, name)).await?;
            return Ok(Effect::Api(api.id, api.endpoint));
        }
        Step::ImportApi {
            id: None,
            name: api_name,
            definition,
            ..
        } => {
            let api = create_once(
                api_name,
                || apigw::import_api(c, api_name, definition),
                || apigw::find_owned_api(c, name),
            )
            .await?;
            return imported(c, stack, api).await;
        }
        Step::ImportApi {
            id: Some(id), definition, ..
        } => {
            let api = when_busy(|| apigw::reimport_api(c, id, definition)).await?;
            return imported(c, stack, api).await;
        }
        Step::UpdateApiName { id, after, .. } => when_busy(|| apigw::rename_api(c, id, after)).await?,
        Step::CreateAuthorizer {
            name: auth_name,
            issuer,
            audience,
        } => {
            let api = api_id()?;
            let id = create_once(
                auth_name,
                || apigw::create_authorizer(c, &api, auth_name, issuer, audience),
                || async { Ok(apigw::find_authorizer(c, &api, auth_name).await?.map(|a| a.id)) },
            )
            .await?;
            return Ok(Effect::Authorizer(id));
        }
        Step::UpdateAuthorizer {
            id,
            name: auth_name,
            issuer,
            audience,
            ..
        } => {
            let api = api_id()?;
            when_busy(|| apigw::update_authorizer(c, &api, id, auth_name, &issuer.1, &audience.1)).await?
        }
        Step::CreateIntegration { spec } => {
            let (api, marker) = (api_id()?, integration_marker(name));
            let id = create_once(
                &spec.describe(),
                || apigw::create_integration(c, &api, spec, &marker),
                || async {
                    let all = apigw::list_integrations(c, &api, &marker).await?;
                    Ok(all.into_iter().find(|i| i.owned && &IntegrationSpec::of(i) == spec).map(|i| i.id))
                },
            )
            .await?;
            return Ok(Effect::Integration(spec.clone(), id));
        }
        Step::CreateRoute {
            key,
            scopes,
            integration,
            public,
        } => {
            let auth = authorizer(*public)?;
            let target = ctx
                .integrations
                .get(integration)
                .cloned()
                .ok_or_else(|| missing("the integration id"))?;
            let api = api_id()?;
            create_once(
                key,
                || apigw::create_route(c, &api, key, auth.as_deref(), scopes, &target, name),
                || async { Ok(apigw::list_routes(c, &api).await?.iter().any(|r| &r.key == key).then_some(())) },
            )
            .await?;
        }
        Step::UpdateRoute {
            id,
            key,
            scopes,
            integration,
            public,
            ..
        } => {
            let auth = authorizer(*public)?;
            let target = ctx
                .integrations
                .get(integration)
                .cloned()
                .ok_or_else(|| missing("the integration id"))?;
            {
                let api = api_id()?;
                when_busy(|| apigw::update_route(c, &api, id, key, auth.as_deref(), scopes, &target, name)).await?
            };
        }
        Step::UpdateStage => {
            let api = api_id()?;
            when_busy(|| apigw::enable_auto_deploy(c, &api)).await?
        }
        Step::AddPermission { function } | Step::ReplacePermission { function, .. } => {
            let (sid, source) = (permission_id(name), source_arn(function, &c.region, &api_id()?));
            if matches!(step, Step::ReplacePermission { .. }) {
                lambda::remove_permission(c, function, &sid).await?;
            }
            create_once(
                function,
                || lambda::add_permission(c, function, &sid, &source),
                || async {
                    Ok(lambda::read_permission(c, function, &sid)
                        .await?
                        .filter(|p| p.source_arn.as_deref() == Some(&source))
                        .map(|_| ()))
                },
            )
            .await?
        }
        Step::DeleteRoute { id, .. } => {
            let api = api_id()?;
            when_busy(|| apigw::delete_route(c, &api, id)).await?
        }
        Step::DeleteIntegration { id, .. } => {
            let api = api_id()?;
            when_busy(|| apigw::delete_integration(c, &api, id)).await?
        }
        Step::RemovePermission { function } => lambda::remove_permission(c, function, &permission_id(name)).await?,
        Step::DeleteAuthorizer { id, .. } => {
            let api = api_id()?;
            when_busy(|| apigw::delete_authorizer(c, &api, id)).await?
        }
        Step::DeleteStage => {
            let api = api_id()?;
            when_busy(|| apigw::delete_stage(c, &api)).await?
        }
        Step::DeleteApi { id, .. } => when_busy(|| apigw::delete_api(c, id)).await?,
        Step::DeleteObject { bucket, key } => when_busy(|| s3::delete_object(c, bucket, key)).await?,
        Step::DeleteBucket { bucket } => {
            when_busy(|| s3::delete_bucket(c, bucket)).await?;
            ssm::delete_bucket_claim(c, bucket).await?;
        }
        Step::TagBucket { bucket } => when_busy(|| s3::tag_bucket(c, bucket, name)).await?,
        Step::DeleteBucketMarker { .. } => ssm::delete_bucket_marker(c, name).await?,
        Step::DeleteKey { home, .. } => match home {
            KeyHome::Ssm { .. } => ssm::delete_stored_key(c, home).await?,
            KeyHome::Kms { .. } => kms::delete_key(c, home).await?,
        },
        Step::UpdateKeys {
            published,
            signing,
            timeline,
            ..
        } => {
            let kids: Vec<&str> = published.iter().map(|(k, _)| k.as_str()).collect();
            let next = timeline.advance(jwtstack_core::clock::rotation_now(), &kids, &signing.1);
            ssm::put_key_timeline(c, name, &next).await?;
        }
        Step::DeleteKeyTimeline { parameter } => ssm::delete_key(c, parameter).await?,
        Step::ForgetKey { timeline, .. } => ssm::put_key_timeline(c, name, timeline).await?,
    }
    Ok(Effect::None)
}
