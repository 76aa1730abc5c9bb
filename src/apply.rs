//! Executes a plan's steps in order. Ids of things created earlier in the run (the API, the authorizer,
//! integrations) are resolved here; the planner only names them.

use std::collections::BTreeMap;

use rand::rngs::OsRng;

use crate::aws::{AwsError, Clients, ErrorKind, apigw, lambda, s3, ssm};
use crate::config::Stack;
use crate::crypto::documents;
use crate::crypto::keys::SigningKey;
use crate::plan::{Document, IntegrationSpec, Inventory, Plan, Step, integration_marker, permission_id, source_arn};

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
    pub fn from_inventory(inv: &Inventory) -> Context {
        let api_owned = inv.api.as_ref().is_some_and(|a| a.owned);
        let mut integrations = BTreeMap::new();
        // Same choice as the planner: among equal owned integrations the lowest id is kept.
        for i in inv.integrations.iter().filter(|i| i.owned || api_owned) {
            let spec = IntegrationSpec::of(i);
            integrations
                .entry(spec)
                .and_modify(|cur: &mut String| {
                    if i.id < *cur {
                        *cur = i.id.clone()
                    }
                })
                .or_insert_with(|| i.id.clone());
        }
        Context {
            api_id: inv.api.as_ref().map(|a| a.id.clone()),
            api_endpoint: inv.api.as_ref().map(|a| a.endpoint.clone()),
            authorizer_id: inv.authorizer.as_ref().map(|a| a.id.clone()),
            integrations,
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

/// Runs every step; `progress` is called before each (for stderr output).
pub async fn apply(
    c: &Clients,
    stack: &Stack,
    plan: &Plan,
    ctx: &mut Context,
    mut progress: impl FnMut(usize, &Step),
) -> Result<(), AwsError> {
    for (i, step) in plan.steps.iter().enumerate() {
        progress(i, step);
        run_step(c, stack, step, ctx).await?;
    }
    Ok(())
}

async fn run_step(c: &Clients, stack: &Stack, step: &Step, ctx: &mut Context) -> Result<(), AwsError> {
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
            ssm::put_new_key(c, parameter, &key, name).await?;
            ctx.generated.insert(kid.clone(), key);
        }
        Step::CreateBucket { bucket } => s3::create_bucket(c, bucket, name).await?,
        Step::PutPublicAccessBlock { bucket, after, .. } => s3::put_public_access_block(c, bucket, *after).await?,
        Step::PutBucketPolicy { bucket, policy, .. } => s3::put_bucket_policy(c, bucket, policy).await?,
        Step::DeleteBucketPolicy { bucket } => s3::delete_bucket_policy(c, bucket).await?,
        Step::PutObject {
            bucket,
            key,
            document,
            body,
            ..
        } => {
            let body = match (body, document) {
                (Some(b), _) => b.clone(),
                (None, Document::Jwks) => {
                    let k = ctx
                        .generated
                        .get(&stack.key_id)
                        .ok_or_else(|| missing("the generated signing key"))?;
                    documents::jwks(&[k.public_jwk()])
                }
                (None, Document::Discovery) => return Err(missing("the discovery document")),
            };
            s3::put_document(c, bucket, key, body).await?;
        }
        Step::CreateApi { name: api_name } => {
            let api = apigw::create_api(c, api_name, name).await?;
            ctx.api_id = Some(api.id);
            ctx.api_endpoint = Some(api.endpoint);
        }
        Step::UpdateApiName { id, after, .. } => apigw::rename_api(c, id, after).await?,
        Step::CreateAuthorizer {
            name: auth_name,
            issuer,
            audience,
        } => {
            let id = apigw::create_authorizer(c, &api_id()?, auth_name, issuer, audience).await?;
            ctx.authorizer_id = Some(id);
        }
        Step::UpdateAuthorizer {
            id,
            name: auth_name,
            issuer,
            audience,
            ..
        } => apigw::update_authorizer(c, &api_id()?, id, auth_name, &issuer.1, &audience.1).await?,
        Step::CreateIntegration { spec } => {
            let id = apigw::create_integration(c, &api_id()?, spec, &integration_marker(name)).await?;
            ctx.integrations.insert(spec.clone(), id);
        }
        Step::CreateRoute { key, scopes, integration } => {
            let auth = ctx.authorizer_id.clone().ok_or_else(|| missing("the authorizer id"))?;
            let target = ctx
                .integrations
                .get(integration)
                .cloned()
                .ok_or_else(|| missing("the integration id"))?;
            apigw::create_route(c, &api_id()?, key, &auth, scopes, &target).await?;
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
        Step::CreateStage => apigw::create_stage(c, &api_id()?, name).await?,
        Step::UpdateStage => apigw::enable_auto_deploy(c, &api_id()?).await?,
        Step::AddPermission { function } => {
            lambda::add_permission(c, function, &permission_id(name), &source_arn(function, &c.region, &api_id()?)).await?
        }
        Step::ReplacePermission { function, .. } => {
            lambda::remove_permission(c, function, &permission_id(name)).await?;
            lambda::add_permission(c, function, &permission_id(name), &source_arn(function, &c.region, &api_id()?)).await?;
        }
        Step::DeleteRoute { id, .. } => apigw::delete_route(c, &api_id()?, id).await?,
        Step::DeleteIntegration { id, .. } => apigw::delete_integration(c, &api_id()?, id).await?,
        Step::RemovePermission { function } => lambda::remove_permission(c, function, &permission_id(name)).await?,
        Step::DeleteAuthorizer { id, .. } => apigw::delete_authorizer(c, &api_id()?, id).await?,
        Step::DeleteStage => apigw::delete_stage(c, &api_id()?).await?,
        Step::DeleteApi { id, .. } => apigw::delete_api(c, id).await?,
        Step::DeleteObject { bucket, key } => s3::delete_object(c, bucket, key).await?,
        Step::DeleteBucket { bucket } => s3::delete_bucket(c, bucket).await?,
        Step::DeleteKey { parameter, .. } => ssm::delete_key(c, parameter).await?,
    }
    Ok(())
}
