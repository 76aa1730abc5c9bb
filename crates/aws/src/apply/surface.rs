//! The steps around the routes: the API's CORS configuration, the stage's access log and throttling, the log
//! group, and the custom domain with its mapping and alias records.

use super::{Context, Effect, missing};
use crate::retry::{create_once, when_busy};
use crate::{AwsError, Clients, apigw, logs, route53, ssm};
use jwtstack_core::config::Stack;
use jwtstack_core::names::{STAGE_NAME, access_log_record, api_domain_record};
use jwtstack_core::plan::Step;

pub(super) async fn run_step(c: &Clients, stack: &Stack, step: &Step, ctx: &Context) -> Result<Effect, AwsError> {
    let name = &stack.name;
    let api_id = || ctx.api_id.clone().ok_or_else(|| missing("the API id"));
    let log_arn = |group: &Option<String>| -> Result<Option<String>, AwsError> {
        match group {
            None => Ok(None),
            Some(_) => ctx.log_group_arn.clone().map(Some).ok_or_else(|| missing("the log group")),
        }
    };
    match step {
        Step::UpdateCors { after, .. } => {
            let api = api_id()?;
            when_busy(|| apigw::update_cors(c, &api, after.as_ref())).await?
        }
        Step::CreateStage { settings } => {
            let (api, arn) = (api_id()?, log_arn(&settings.access_log_group)?);
            create_once(
                "the $default stage",
                || apigw::create_stage(c, &api, name, arn.as_deref(), settings),
                || async { Ok(apigw::find_default_stage(c, &api, name).await?.map(|_| ())) },
            )
            .await?
        }
        Step::ConfigureStage { settings, .. } => {
            let (api, arn) = (api_id()?, log_arn(&settings.access_log_group)?);
            when_busy(|| apigw::configure_stage(c, &api, arn.as_deref(), settings)).await?
        }
        Step::DeleteAccessLog => {
            let api = api_id()?;
            when_busy(|| apigw::delete_access_log(c, &api)).await?
        }
        Step::CreateLogGroup {
            name: group,
            retention_days,
        } => {
            // Recorded first: a run that dies after creating the group still leaves the stack able to find it.
            ssm::put_stack_record(c, name, &access_log_record(name), group).await?;
            let arn = logs::create_group(c, group, *retention_days, name).await?;
            return Ok(Effect::LogGroup(arn));
        }
        Step::PutLogRetention { name: group, after, .. } => logs::put_retention(c, group, *after).await?,
        Step::DeleteLogGroup { name: group } => {
            logs::delete_group(c, group).await?;
            ssm::delete_key(c, &access_log_record(name)).await?
        }
        Step::PutStackRecord { parameter, value } => ssm::put_stack_record(c, name, parameter, value).await?,
        Step::DeleteStackRecord { parameter } => ssm::delete_key(c, parameter).await?,
        Step::CreateApiDomain {
            name: domain,
            certificate_arn,
        } => {
            ssm::put_stack_record(c, name, &api_domain_record(name), domain).await?;
            let target = create_once(
                domain,
                || apigw::create_domain(c, domain, certificate_arn, name),
                || async {
                    let found = apigw::stack_domains(c, name, Some(domain)).await?;
                    Ok(found
                        .into_iter()
                        .find(|d| d.owned && &d.name == domain)
                        .map(|d| (d.target, d.target_zone)))
                },
            )
            .await?;
            return Ok(Effect::ApiDomain(target.0, target.1));
        }
        Step::UpdateApiDomain {
            name: domain,
            certificate_arn,
            ..
        } => when_busy(|| apigw::update_domain(c, domain, certificate_arn)).await?,
        Step::CreateApiMapping { domain } => {
            let api = api_id()?;
            create_once(
                &format!("the API mapping of {domain}"),
                || apigw::create_mapping(c, domain, &api),
                || async {
                    let found = apigw::stack_domains(c, name, Some(domain)).await?;
                    Ok(found
                        .iter()
                        .flat_map(|d| &d.mappings)
                        .any(|m| m.api_id == api && m.stage == STAGE_NAME && m.key.is_empty())
                        .then_some(()))
                },
            )
            .await?
        }
        Step::DeleteApiMapping { domain, id } => when_busy(|| apigw::delete_mapping(c, domain, id)).await?,
        Step::DeleteApiDomain { name: domain } => {
            when_busy(|| apigw::delete_domain(c, domain)).await?;
            // The record names the declared domain: kept when the stack moves to another name.
            if stack.domain.as_ref().is_none_or(|d| &d.name == domain) {
                ssm::delete_key(c, &api_domain_record(name)).await?
            }
        }
        Step::PutApiAliasRecords { zone, domain, target } => {
            let (t, z) = target
                .clone()
                .or_else(|| ctx.api_domain_target.clone())
                .ok_or_else(|| missing("the API domain's endpoint"))?;
            route53::put_api_alias_records(c, zone, domain, (&t, &z)).await?
        }
        Step::DeleteApiAliasRecords { zone, domain, target } => {
            route53::delete_api_alias_records(c, zone, domain, (&target.0, &target.1)).await?
        }
        _ => return Err(missing("a step of another kind")),
    }
    Ok(Effect::None)
}
