//! The custom domain steps: the domain name recorded, then created with its tag (or found again after a lost
//! answer); its certificate changed; its root mapped to the `$default` stage; mappings and the domain deleted.

use jwtstack_core::config::Stack;
use jwtstack_core::plan::DomainStep;

use super::{Effect, Made};
use crate::event::Report;
use crate::retry::{create_once, when_busy};
use crate::{AwsError, Clients, apigw, ssm};

pub(super) async fn run(c: &Clients, stack: &Stack, step: &DomainStep, made: &Made, report: Report<'_>) -> Result<Effect, AwsError> {
    let name = &stack.name;
    match step {
        DomainStep::Create {
            name: domain,
            certificate_arn,
            ip_address_type,
            record,
        } => {
            ssm::put_stack_record(c, name, record, domain).await?;
            let target = create_once(
                domain,
                || apigw::create_domain(c, report, domain, certificate_arn, *ip_address_type, name),
                || async {
                    let found = apigw::stack_domains(c, name, Some(domain)).await?;
                    Ok(found.into_iter().find(|d| d.owned && &d.name == domain).map(|d| d.alias_target()))
                },
            )
            .await?;
            return Ok(Effect::Domain {
                name: domain.clone(),
                target,
            });
        }
        DomainStep::Update {
            name: domain,
            certificate_arn,
            ip_address_type,
            ..
        } => when_busy(|| apigw::update_domain(c, report, domain, certificate_arn, *ip_address_type)).await?,
        DomainStep::CreateMapping { api, domain, stage } => {
            let api = made.api(api)?;
            create_once(
                &format!("the API mapping of {domain}"),
                || apigw::create_mapping(c, domain, &api, stage),
                || async {
                    let found = apigw::stack_domains(c, name, Some(domain)).await?;
                    Ok(found
                        .iter()
                        .flat_map(|d| &d.mappings)
                        .any(|m| m.api_id == api && &m.stage == stage && m.key.is_empty())
                        .then_some(()))
                },
            )
            .await?
        }
        DomainStep::DeleteMapping { domain, id } => when_busy(|| apigw::delete_mapping(c, domain, id)).await?,
        DomainStep::Delete { name: domain, record } => {
            when_busy(|| apigw::delete_domain(c, report, domain)).await?;
            if let Some(record) = record {
                ssm::delete_key(c, record).await?
            }
        }
        DomainStep::Record { parameter, value } => ssm::put_stack_record(c, name, parameter, value).await?,
        DomainStep::DeleteRecord { parameter } => ssm::delete_key(c, parameter).await?,
    }
    Ok(Effect::None)
}
