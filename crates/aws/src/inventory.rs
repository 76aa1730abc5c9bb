//! Reads everything one stack may own, from all services, into an [`Inventory`]. Services are read concurrently.

use std::collections::BTreeSet;

use super::{AwsError, Clients, account, acm, apigw, apigw_rest, cloudfront, function, kms, lambda, logs, role, route53, s3, ssm};
use jwtstack_core::config::{ApiRef, ApiType, KeyStore, Stack};
use jwtstack_core::crypto::jws::algorithms_of;
use jwtstack_core::names::{integration_marker, permission_id, token_function, token_function_log_group};
use jwtstack_core::plan::{
    ApiDomainInfo, BucketSlice, DistributionId, DistributionSlice, DomainDns, DomainSlice, FunctionSlice, IntegrationSpec, Inventory,
    KeySlice, LockState, LogGroupInfo, LogGroupSlice,
};
use jwtstack_core::plan::{ApiInfo, RestAuthorizerInfo, RestSlice, TrustedKeys};

/// Everything the stack may own, as it is now. No private key is decrypted (see [`read_for_deploy`]).
pub async fn read(c: &Clients, stack: &Stack) -> Result<Inventory, AwsError> {
    let params_fut = ssm::read_stack_parameters(c, &stack.name);
    // An external issuer has no bucket.
    let bucket_fut = async {
        match stack.hosted() {
            Some(h) => s3::read_bucket(c, &h.bucket, &stack.name, &[h.discovery_key(), h.jwks_key()]).await,
            None => Ok(Default::default()),
        }
    };
    // Beside the stack's API, one of the other type carrying its tag: a stack switched between `api.type`s.
    let api_fut = async {
        match stack.api_type {
            ApiType::Http => {
                let other = async { Ok(apigw_rest::find_owned_api(c, &stack.name).await?.map(|f| f.info.id)) };
                let (api, other) = tokio::try_join!(read_api(c, stack), other)?;
                Ok((api, None, other))
            }
            ApiType::Rest => {
                let other = async { Ok(apigw::find_owned_api(c, &stack.name).await?.map(|a| a.id)) };
                let (rest, other) = tokio::try_join!(read_rest(c, stack), other)?;
                Ok((None, rest, other))
            }
        }
    };
    let (mut params, (bucket, objects), (api_part, rest_part, other_api)) = tokio::try_join!(params_fut, bucket_fut, api_fut)?;
    // KMS is read when the stack keeps its keys there, or names a key that SSM does not hold (a stack that
    // moved its keys from KMS back to SSM): an SSM-only stack needs no KMS permission.
    let named: Vec<String> = stack
        .hosted()
        .map(|h| h.published_keys().into_iter().map(String::from).collect())
        .unwrap_or_default();
    let recorded = params
        .key_timeline
        .as_ref()
        .map(|t| t.keys.keys().map(|k| k.to_string()).collect::<Vec<_>>())
        .unwrap_or_default();
    let in_kms = stack.hosted().is_some_and(|h| h.key_store == KeyStore::Kms)
        || named.iter().chain(&recorded).any(|k| !params.key_infos.contains_key(k.as_str()));
    if in_kms && stack.hosted().is_some() {
        for (kid, info) in kms::read_stack_keys(c, &stack.name).await? {
            // A kid in both stores: SSM's key is the one that signs (KMS would only hold it after a failed switch).
            params.key_infos.entry(kid).or_insert(info);
        }
    }
    let distribution_record = params.distribution.take();
    let mut inv = Inventory {
        region: c.region.clone(),
        read_at: jwtstack_core::clock::rotation_now(),
        lock: LockState {
            stale: params.lock.as_deref().is_some_and(crate::lock::is_stale),
            holder: params.lock.map(|v| crate::lock::describe(&v)),
            marks: params.lock_marks.iter().map(|(p, v)| crate::lock::describe_mark(p, v)).collect(),
        },
        keys: KeySlice {
            stored: params.key_infos,
            timeline: params.key_timeline,
            clients: params.clients,
        },
        bucket: BucketSlice {
            found: bucket,
            marker: params.bucket_marker,
        },
        documents: objects,
        log_group: LogGroupSlice {
            record: params.access_log.take(),
            ..LogGroupSlice::default()
        },
        domain: DomainSlice {
            record: params.api_domain.take(),
            ..DomainSlice::default()
        },
        other_api,
        ..Inventory::default()
    };
    let (log_group, domain) = (inv.log_group.record.clone(), inv.domain.record.is_some());
    let (distribution, around, (account, function)) = tokio::try_join!(
        read_cloudfront(c, stack, distribution_record),
        read_around_the_api(c, stack, log_group, domain),
        read_token_endpoint(c, stack, params.token_endpoint.take()),
    )?;
    inv.account = account;
    inv.function = function;
    inv.distribution = distribution.0;
    inv.issuer_dns = distribution.1;
    inv.log_group.found = around.log_group;
    inv.domain.found = around.domains;
    inv.api_dns = around.dns;
    if let Some((api, (authorizer, other_authorizers), integrations, routes, stage)) = api_part {
        inv.api = Some(api);
        inv.authorizer = authorizer;
        inv.other_authorizers = other_authorizers;
        inv.integrations = integrations;
        inv.routes = routes;
        inv.stage = stage;
    }
    if let Some((api, rest)) = rest_part {
        inv.api = api;
        inv.rest = rest;
        inv.rest.record = params.rest_resources.as_deref().and_then(|v| serde_json::from_str(v).ok());
    }
    // Functions whose statement may be the stack's: the declared ones and those behind the stack's integrations.
    let api_owned = inv.api.as_ref().is_some_and(|a| a.owned);
    let declared: BTreeSet<String> = stack
        .routes
        .iter()
        .filter_map(|r| r.integration.function().map(str::to_string))
        .collect();
    let mut functions = declared.clone();
    functions.extend(
        inv.integrations
            .iter()
            .filter(|i| i.owned || api_owned)
            .filter_map(|i| IntegrationSpec::of(i).function().map(str::to_string)),
    );
    // The token endpoint's function, which a REST API's method invokes (its integrations are not read as an
    // HTTP API's are): read where the stack declares it or made it.
    if let Some(account) = inv.account.as_deref() {
        functions.insert(jwtstack_core::names::token_function_arn(&inv.region, account, &stack.name));
    }
    for f in &declared {
        if !lambda::function_exists(c, f).await? {
            inv.permissions.missing_functions.insert(f.clone());
        }
    }
    let sid = permission_id(&stack.name);
    for f in functions {
        if let Some(p) = lambda::read_permission(c, &f, &sid).await? {
            inv.permissions.statements.insert(f, p);
        }
    }
    Ok(inv)
}

/// [`read`], then the public halves of the published SSM keys that have none recorded yet, derived from the
/// keys themselves: a deploy records them (keys stored before public halves were recorded).
pub async fn read_for_deploy(c: &Clients, stack: &Stack) -> Result<Inventory, AwsError> {
    let mut inv = read(c, stack).await?;
    if let Some(h) = stack.hosted() {
        ssm::derive_unrecorded(c, &mut inv.keys.stored, &h.published_keys()).await?;
    }
    Ok(inv)
}

type ApiPart = (
    jwtstack_core::plan::ApiInfo,
    (
        Option<jwtstack_core::plan::AuthorizerInfo>,
        Vec<jwtstack_core::plan::OtherAuthorizer>,
    ),
    Vec<jwtstack_core::plan::IntegrationInfo>,
    Vec<jwtstack_core::plan::RouteInfo>,
    Option<jwtstack_core::plan::StageInfo>,
);

async fn read_api(c: &Clients, stack: &Stack) -> Result<Option<ApiPart>, AwsError> {
    let api = match &stack.api {
        ApiRef::Owned { .. } => apigw::find_owned_api(c, &stack.name).await?,
        ApiRef::Adopted { id } => Some(apigw::get_adopted_api(c, id).await?),
    };
    let Some(api) = api else { return Ok(None) };
    let marker = integration_marker(&stack.name);
    let authorizer_name = stack.authorizer_name();
    let (authorizer, integrations, routes, stage) = tokio::try_join!(
        apigw::read_authorizers(c, &api.id, &authorizer_name),
        apigw::list_integrations(c, &api.id, &marker),
        apigw::list_routes(c, &api.id),
        apigw::find_default_stage(c, &api.id, &stack.name),
    )?;
    Ok(Some((api, authorizer, integrations, routes, stage)))
}

/// The stack's REST API (the one tagged with the stack, or the one `api.id` names): the API, its resources
/// with their methods, the stack's authorizer and stage (and an adopted API's deployments); and what each
/// trusted issuer's keys sign with, read as API Gateway reads it (its discovery document, then its JWKS).
async fn read_rest(c: &Clients, stack: &Stack) -> Result<Option<(Option<ApiInfo>, RestSlice)>, AwsError> {
    let trusted = async {
        let expect = jwtstack_core::issuer::Expect {
            rest: true,
            ..Default::default()
        };
        let mut all = Vec::new();
        for t in &stack.trust {
            let report = crate::fetch::check(&t.issuer, &expect).await;
            let error = report.findings.iter().find(|f| f.level == jwtstack_core::issuer::Level::Error);
            let algorithms = match (error, &report.jwks) {
                (Some(f), _) => Err(f.message.clone()),
                (None, Some(jwks)) => Ok(algorithms_of(jwks).into_iter().map(|a| a.as_str().to_string()).collect()),
                (None, None) => Err("its JWKS could not be read".to_string()),
            };
            all.push(TrustedKeys {
                issuer: t.issuer.clone(),
                algorithms,
            });
        }
        Ok::<_, AwsError>(all)
    };
    let api = async {
        let found = match &stack.api {
            ApiRef::Owned { .. } => apigw_rest::find_owned_api(c, &stack.name).await?,
            ApiRef::Adopted { id } => apigw_rest::get_adopted_api(c, id, stack.rest_stage()).await?,
        };
        let Some(apigw_rest::FoundApi {
            info: api,
            endpoint,
            policy,
        }) = found
        else {
            return Ok((None, RestSlice::default()));
        };
        let name = stack.authorizer_name();
        let deployments = async {
            if api.owned {
                Ok(Vec::new())
            } else {
                apigw_rest::read_deployments(c, &api.id).await
            }
        };
        let (resources, authorizers, stage, deployments) = tokio::try_join!(
            apigw_rest::read_resources(c, &api.id),
            crate::rest_jwt::list(&c.apigw_rest, &api.id),
            apigw_rest::read_stage(c, &api.id, stack.rest_stage(), &stack.name),
            deployments,
        )?;
        let ours: Vec<_> = authorizers.into_iter().filter(|a| a.name == name).collect();
        if ours.len() > 1 {
            let ids: Vec<&str> = ours.iter().map(|a| a.id.as_str()).collect();
            let mut e = AwsError::new(
                format!("reading the authorizers of REST API {}", api.id),
                crate::ErrorKind::Conflict,
                format!("{} authorizers are named {name}: {}", ours.len(), ids.join(", ")),
            );
            e.hint = Some("delete the duplicates so that one remains, then deploy again".into());
            return Err(e);
        }
        let authorizer = ours.into_iter().next().map(|a| RestAuthorizerInfo {
            id: a.id.into(),
            jwt: a.jwt.as_ref().map(crate::rest_jwt::JwtConfiguration::to_plan),
            identity_source: a.identity_source.clone(),
        });
        Ok((
            Some(api),
            RestSlice {
                resources,
                authorizer,
                stage,
                endpoint,
                deployments,
                policy,
                ..RestSlice::default()
            },
        ))
    };
    // Read whether or not the API exists yet: a first deploy is refused before it makes anything.
    let logging_role = async {
        match stack.access_log.is_some() {
            true => apigw_rest::has_logging_role(c).await.map(Some),
            false => Ok(None),
        }
    };
    let ((api, mut rest), trusted, logging_role) = tokio::try_join!(api, trusted, logging_role)?;
    rest.trusted = trusted;
    rest.logging_role = logging_role;
    Ok(Some((api, rest)))
}

/// The distribution, its origin access control, the custom domain's certificate and alias records: read when
/// the stack fronts its issuer with CloudFront, or has a distribution recorded (one it no longer wants).
async fn read_cloudfront(
    c: &Clients,
    stack: &Stack,
    record: Option<ssm::DistributionRecord>,
) -> Result<(DistributionSlice, DomainDns), AwsError> {
    let wanted = stack.hosted().and_then(|h| h.cloudfront.as_ref());
    if wanted.is_none() && record.is_none() {
        return Ok(Default::default());
    }
    let distribution = async {
        match &record {
            Some(r) => cloudfront::read_distribution(c, &r.id, &stack.name).await,
            // The record is written right after the distribution is created: a run that died in between left
            // one to find by its comment and tag.
            None => cloudfront::find_distribution(c, &stack.name).await,
        }
    };
    let oac_name = jwtstack_core::names::origin_access_control_name(&stack.name);
    let certificate = async {
        match wanted.and_then(|cf| cf.certificate_arn.as_deref()) {
            Some(arn) => acm::describe_certificate(c, arn).await,
            None => Ok(None),
        }
    };
    let records = async {
        match wanted.and_then(|cf| cf.hosted_zone_id.as_deref().zip(cf.domain.as_deref())) {
            Some((zone, domain)) => route53::read_domain(c, zone, domain).await,
            None => Ok((Vec::new(), None)),
        }
    };
    let (found, origin_access_control, certificate, records) = tokio::try_join!(
        distribution,
        cloudfront::find_origin_access_control(c, &oac_name),
        certificate,
        records
    )?;
    // Whose is the custom domain, while the stack's own distribution does not serve it.
    let alias_elsewhere = match wanted.and_then(|cf| cf.domain.as_deref()) {
        Some(domain)
            if !found
                .as_ref()
                .is_some_and(|d| d.settings.aliases.iter().any(|a| a.eq_ignore_ascii_case(domain))) =>
        {
            cloudfront::alias_holder(c, domain, found.as_ref().map(|d| &*d.id)).await?
        }
        _ => None,
    };
    let slice = DistributionSlice {
        found,
        record: record.map(|r| DistributionId::from(r.id)),
        origin_access_control,
        alias_elsewhere,
    };
    let (records, zone_name) = records;
    Ok((
        slice,
        DomainDns {
            certificate,
            records,
            zone_name,
        },
    ))
}

/// The account and the token endpoint's role, log group and function: read when the stack declares the
/// endpoint or recorded making it; a stack without one makes none of these calls.
async fn read_token_endpoint(c: &Clients, stack: &Stack, record: Option<String>) -> Result<(Option<String>, FunctionSlice), AwsError> {
    if stack.token_endpoint.is_none() && record.is_none() {
        return Ok((None, FunctionSlice::default()));
    }
    let name = token_function(&stack.name);
    let group = token_function_log_group(&stack.name);
    let (account, role, log_group, function) = tokio::try_join!(
        account::id(c),
        role::read_role(c, &name, &stack.name),
        logs::find_group(c, &group, &stack.name),
        function::read_function(c, &name, &stack.name),
    )?;
    Ok((
        Some(account),
        FunctionSlice {
            record,
            role,
            log_group,
            function,
        },
    ))
}

/// The access log's group and the API's custom domains, as found.
#[derive(Default)]
struct AroundTheApi {
    log_group: Option<LogGroupInfo>,
    domains: Vec<ApiDomainInfo>,
    dns: DomainDns,
}

/// Read when the stack declares them or recorded creating them (a stack that no longer declares them removes
/// them); a stack that uses neither makes none of these calls (and needs no permission for them).
async fn read_around_the_api(
    c: &Clients,
    stack: &Stack,
    group_record: Option<String>,
    domain_recorded: bool,
) -> Result<AroundTheApi, AwsError> {
    let group = async {
        match stack.access_log.is_some() || group_record.is_some() {
            true => {
                let name = jwtstack_core::names::recorded_access_log_group(&stack.name, group_record.as_deref());
                logs::find_group(c, &name, &stack.name).await
            }
            false => Ok(None),
        }
    };
    let domains = async {
        match stack.domain.is_some() || domain_recorded {
            true => apigw::stack_domains(c, &stack.name, stack.domain.as_ref().map(|d| d.name.as_str())).await,
            false => Ok(Vec::new()),
        }
    };
    let certificate = async {
        match &stack.domain {
            Some(d) if d.certificate_arn.split(':').nth(3) == Some(c.region.as_str()) => {
                acm::describe_regional_certificate(c, &d.certificate_arn).await
            }
            _ => Ok(None),
        }
    };
    let records = async {
        match stack
            .domain
            .as_ref()
            .and_then(|d| d.hosted_zone_id.as_deref().map(|z| (z, d.name.as_str())))
        {
            Some((zone, domain)) => route53::read_domain(c, zone, domain).await,
            None => Ok((Vec::new(), None)),
        }
    };
    let (log_group, domains, certificate, records) = tokio::try_join!(group, domains, certificate, records)?;
    Ok(AroundTheApi {
        log_group,
        domains,
        dns: DomainDns {
            certificate,
            records: records.0,
            zone_name: records.1,
        },
    })
}
