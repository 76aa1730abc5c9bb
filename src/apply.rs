//! Executes a plan's steps in order. Ids of things created earlier in the run (the API, the authorizer,
//! integrations) are resolved here; the planner only names them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::stream::{self, StreamExt};
use rand::rngs::OsRng;

use crate::aws::retry::create_once;
use crate::aws::{AwsError, Clients, ErrorKind, apigw, lambda, s3, ssm};
use crate::config::Stack;
use crate::crypto::documents;
use crate::crypto::keys::SigningKey;
use crate::names::{integration_marker, permission_id, source_arn};
use crate::plan::{Document, IntegrationSpec, Inventory, Plan, Step};

/// What exists after (part of) a run: the ids later steps need.
#[derive(Debug, Default, Clone)]
pub struct Context {
    pub api_id: Option<String>,
    pub api_endpoint: Option<String>,
    pub authorizer_id: Option<String>,
    pub integrations: BTreeMap<IntegrationSpec, String>,
    /// Keys generated in this run, by kid.
    pub generated: BTreeMap<String, SigningKey>,
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

/// Runs every step in order; `progress` is called before each (for stderr output). When `stop` is set
/// (Ctrl-C), the step in flight finishes and no other starts.
pub async fn apply(
    c: &Clients,
    stack: &Stack,
    plan: &Plan,
    ctx: &mut Context,
    stop: &Arc<AtomicBool>,
    mut progress: impl FnMut(usize, &Step),
) -> Result<(), ApplyError> {
    let total = plan.steps.len();
    let mut i = 0;
    while i < total {
        if stop.load(Ordering::SeqCst) {
            return Err(ApplyError::Interrupted { done: i, total });
        }
        // The run of neighbouring steps that may go together (one step when it may not).
        let group = parallel_group(&plan.steps[i]);
        let mut end = i + 1;
        while group.is_some() && end < total && parallel_group(&plan.steps[end]) == group {
            end += 1;
        }
        for (n, step) in plan.steps[i..end].iter().enumerate() {
            progress(i + n, step);
        }
        let shared: &Context = ctx;
        let results: Vec<(usize, Result<Effect, AwsError>)> = stream::iter(i..end)
            .map(|n| async move { (n, run_step(c, stack, &plan.steps[n], shared).await) })
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
        for effect in effects {
            ctx.record(effect);
        }
        if let Some((n, source)) = failed {
            // Numbered as the plan's lines are (the progress lines and the summary count them).
            let lines = |steps: &[Step]| steps.iter().map(|s| s.changes().len()).sum::<usize>();
            return Err(ApplyError::Step {
                step: lines(&plan.steps[..n]) + 1,
                total: lines(&plan.steps),
                source,
            });
        }
        i = end;
    }
    Ok(())
}

/// What a step produced that later steps need.
enum Effect {
    None,
    Key(String, Box<SigningKey>),
    Api(String, String),
    Authorizer(String),
    Integration(IntegrationSpec, String),
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
            Effect::Integration(spec, id) => {
                self.integrations.insert(spec, id);
            }
        }
    }
}

/// Steps that may run at the same time as their neighbours of the same group: they touch different
/// resources and need nothing from each other. Every other step runs alone, in order.
fn parallel_group(step: &Step) -> Option<u8> {
    Some(match step {
        Step::PutObject { .. } => 1,
        Step::CreateIntegration { .. } => 2,
        Step::CreateRoute { .. } | Step::UpdateRoute { .. } => 3,
        Step::AddPermission { .. } | Step::ReplacePermission { .. } => 4,
        Step::DeleteRoute { .. } => 5,
        Step::DeleteIntegration { .. } => 6,
        Step::RemovePermission { .. } => 7,
        Step::DeleteObject { .. } => 8,
        Step::DeleteKey { .. } => 9,
        _ => return None,
    })
}

/// How many independent steps run at once; API Gateway calls are paced on top of this.
const PARALLEL_STEPS: usize = 16;

async fn run_step(c: &Clients, stack: &Stack, step: &Step, ctx: &Context) -> Result<Effect, AwsError> {
    let name = &stack.name;
    let api_id = || ctx.api_id.clone().ok_or_else(|| missing("the API id"));
    match step {
        Step::CreateKey { kid, parameter, bits } => {
            let key = tokio::task::spawn_blocking({
                let (kid, bits) = (kid.clone(), *bits);
                move || SigningKey::generate(&kid, bits, &mut OsRng)
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
            return Ok(Effect::Key(kid.clone(), Box::new(key)));
        }
        Step::CreateBucket { bucket } => {
            // Recorded first, so that a run dying before the tag below still knows the bucket is the stack's.
            ssm::put_bucket_marker(c, name, bucket).await?;
            create_once(
                bucket,
                || s3::create_bucket(c, bucket),
                || async { Ok(s3::bucket_exists(c, bucket).await?.then_some(())) },
            )
            .await?;
            s3::tag_bucket(c, bucket, name).await?;
        }
        Step::PutPublicAccessBlock { bucket, after, .. } => s3::put_public_access_block(c, bucket, *after).await?,
        Step::PutBucketPolicy { bucket, policy, .. } => s3::put_bucket_policy(c, bucket, policy).await?,
        Step::DeleteBucketPolicy { bucket } => s3::delete_bucket_policy(c, bucket).await?,
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
                            None => ctx
                                .generated
                                .get(kid)
                                .map(SigningKey::public_jwk)
                                .ok_or_else(|| missing("a generated key")),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    documents::jwks(&keys)
                }
                (None, Document::Discovery) => return Err(missing("the discovery document")),
            };
            s3::put_document(c, bucket, key, body).await?;
        }
        Step::CreateApi { name: api_name } => {
            let api = create_once(api_name, || apigw::create_api(c, api_name, name), || apigw::find_owned_api(c, name)).await?;
            return Ok(Effect::Api(api.id, api.endpoint));
        }
        Step::UpdateApiName { id, after, .. } => apigw::rename_api(c, id, after).await?,
        Step::CreateAuthorizer {
            name: auth_name,
            issuer,
            audience,
        } => {
            let id = apigw::create_authorizer(c, &api_id()?, auth_name, issuer, audience).await?;
            return Ok(Effect::Authorizer(id));
        }
        Step::UpdateAuthorizer {
            id,
            name: auth_name,
            issuer,
            audience,
            ..
        } => apigw::update_authorizer(c, &api_id()?, id, auth_name, &issuer.1, &audience.1).await?,
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
        Step::CreateRoute { key, scopes, integration } => {
            let auth = ctx.authorizer_id.clone().ok_or_else(|| missing("the authorizer id"))?;
            let target = ctx
                .integrations
                .get(integration)
                .cloned()
                .ok_or_else(|| missing("the integration id"))?;
            let api = api_id()?;
            create_once(
                key,
                || apigw::create_route(c, &api, key, &auth, scopes, &target),
                || async { Ok(apigw::list_routes(c, &api).await?.iter().any(|r| &r.key == key).then_some(())) },
            )
            .await?;
        }
        Step::UpdateRoute {
            id,
            key,
            scopes,
            integration,
            ..
        } => {
            let auth = ctx.authorizer_id.clone().ok_or_else(|| missing("the authorizer id"))?;
            let target = ctx
                .integrations
                .get(integration)
                .cloned()
                .ok_or_else(|| missing("the integration id"))?;
            apigw::update_route(c, &api_id()?, id, key, &auth, scopes, &target).await?;
        }
        Step::CreateStage => {
            let api = api_id()?;
            create_once(
                "the $default stage",
                || apigw::create_stage(c, &api, name),
                || async { Ok(apigw::find_default_stage(c, &api, name).await?.map(|_| ())) },
            )
            .await?
        }
        Step::UpdateStage => apigw::enable_auto_deploy(c, &api_id()?).await?,
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
        Step::DeleteRoute { id, .. } => apigw::delete_route(c, &api_id()?, id).await?,
        Step::DeleteIntegration { id, .. } => apigw::delete_integration(c, &api_id()?, id).await?,
        Step::RemovePermission { function } => lambda::remove_permission(c, function, &permission_id(name)).await?,
        Step::DeleteAuthorizer { id, .. } => apigw::delete_authorizer(c, &api_id()?, id).await?,
        Step::DeleteStage => apigw::delete_stage(c, &api_id()?).await?,
        Step::DeleteApi { id, .. } => apigw::delete_api(c, id).await?,
        Step::DeleteObject { bucket, key } => s3::delete_object(c, bucket, key).await?,
        Step::DeleteBucket { bucket } => s3::delete_bucket(c, bucket).await?,
        Step::TagBucket { bucket } => s3::tag_bucket(c, bucket, name).await?,
        Step::DeleteBucketMarker { .. } => ssm::delete_bucket_marker(c, name).await?,
        Step::DeleteKey { parameter, .. } => ssm::delete_key(c, parameter).await?,
        Step::UpdateKeys {
            published,
            signing,
            timeline,
            ..
        } => {
            let kids: Vec<&str> = published.iter().map(|(k, _)| k.as_str()).collect();
            let next = timeline.advance(crate::clock::rotation_now(), &kids, &signing.1);
            ssm::put_key_timeline(c, name, &next).await?;
        }
        Step::DeleteKeyTimeline { parameter } => ssm::delete_key(c, parameter).await?,
        Step::ForgetKey { timeline, .. } => ssm::put_key_timeline(c, name, timeline).await?,
    }
    Ok(Effect::None)
}
