//! The API's custom domain names: found by the stack's tag (and the declared name, whoever owns it), created
//! regional with TLS 1.2 and their IP address type, changed (every change paced to API Gateway's quota), their API mappings made and removed, deleted.

use std::future::Future;

use aws_sdk_apigatewayv2::types::{DomainName, DomainNameConfiguration, EndpointType, IpAddressType as AwsIpAddressType, SecurityPolicy};
use jwtstack_core::config::IpAddressType;
use jwtstack_core::names::TAG_KEY;
use jwtstack_core::plan::{AliasTarget, ApiDomainInfo, ApiMappingInfo};

use super::{PAGE, all_pages, tags};
use crate::event::Report;
use crate::retry::{no_retry, spaced};
use crate::{AwsError, Clients, classify, ignore_missing};

/// A custom domain change (CreateDomainName, UpdateDomainName, DeleteDomainName), spaced by API Gateway's
/// quota, one per 30 s per account.
async fn paced<T, F, Fut>(c: &Clients, report: Report<'_>, call: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    spaced(&c.domain_calls, ("custom domain", "custom domain changes"), report, call).await
}

fn domain_info(d: &DomainName, stack: &str, mappings: Vec<ApiMappingInfo>) -> ApiDomainInfo {
    let conf = d.domain_name_configurations().first();
    ApiDomainInfo {
        name: d.domain_name().unwrap_or_default().to_string(),
        certificate_arn: conf.and_then(|c| c.certificate_arn()).map(str::to_string),
        endpoint_type: conf.and_then(|c| c.endpoint_type()).map(|t| t.as_str().to_string()),
        security_policy: conf.and_then(|c| c.security_policy()).map(|p| p.as_str().to_string()),
        ip_address_type: IpAddressType::from_aws(conf.and_then(|c| c.ip_address_type()).map(|t| t.as_str())),
        target: conf.and_then(|c| c.api_gateway_domain_name()).unwrap_or_default().to_string(),
        target_zone: conf.and_then(|c| c.hosted_zone_id()).unwrap_or_default().to_string(),
        owned: d.tags().and_then(|t| t.get(TAG_KEY)).map(String::as_str) == Some(stack),
        mappings,
    }
}

async fn mappings(c: &Clients, domain: &str) -> Result<Vec<ApiMappingInfo>, AwsError> {
    let items = all_pages(|token| async move {
        let out = c
            .apigw
            .get_api_mappings()
            .domain_name(domain)
            .max_results(PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify(format!("listing the API mappings of {domain}"), e))?;
        Ok((out.items().to_vec(), out.next_token().map(str::to_string)))
    })
    .await?;
    Ok(items
        .iter()
        .map(|m| ApiMappingInfo {
            id: m.api_mapping_id().unwrap_or_default().into(),
            api_id: m.api_id().unwrap_or_default().into(),
            stage: m.stage().unwrap_or_default().to_string(),
            key: m.api_mapping_key().unwrap_or_default().to_string(),
        })
        .collect())
}

/// The custom domain names tagged with the stack, and the one named `declared` whoever owns it, with their
/// mappings (one GetDomainNames, and one GetApiMappings per domain found).
pub async fn stack_domains(c: &Clients, stack: &str, declared: Option<&str>) -> Result<Vec<ApiDomainInfo>, AwsError> {
    let all = all_pages(|token| async move {
        let out = c
            .apigw
            .get_domain_names()
            .max_results(PAGE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| classify("listing API Gateway custom domain names", e))?;
        Ok((out.items().to_vec(), out.next_token().map(str::to_string)))
    })
    .await?;
    let mut found = Vec::new();
    for d in &all {
        let owned = d.tags().and_then(|t| t.get(TAG_KEY)).map(String::as_str) == Some(stack);
        let name = d.domain_name().unwrap_or_default();
        if owned || Some(name) == declared {
            found.push(domain_info(d, stack, mappings(c, name).await?));
        }
    }
    Ok(found)
}

/// A regional custom domain name with TLS 1.2, tagged; returns its endpoint and that endpoint's zone.
pub async fn create_domain(
    c: &Clients,
    report: Report<'_>,
    name: &str,
    certificate_arn: &str,
    ip: IpAddressType,
    stack: &str,
) -> Result<AliasTarget, AwsError> {
    let out = paced(c, report, || async {
        c.apigw
            .create_domain_name()
            .domain_name(name)
            .domain_name_configurations(domain_configuration(certificate_arn, ip))
            .set_tags(Some(tags(stack)))
            .customize()
            .config_override(aws_sdk_apigatewayv2::config::Builder::default().retry_config(no_retry()))
            .send()
            .await
            .map_err(|e| classify(format!("creating custom domain name {name}"), e))
    })
    .await?;
    let conf = out.domain_name_configurations().first();
    Ok(AliasTarget {
        dns_name: conf.and_then(|c| c.api_gateway_domain_name()).unwrap_or_default().to_string(),
        zone: conf.and_then(|c| c.hosted_zone_id()).unwrap_or_default().to_string(),
    })
}

/// The whole configuration: UpdateDomainName replaces it, so every field jwtstack decides is sent (an absent
/// IpAddressType would put the domain back to ipv4).
fn domain_configuration(certificate_arn: &str, ip: IpAddressType) -> DomainNameConfiguration {
    DomainNameConfiguration::builder()
        .certificate_arn(certificate_arn)
        .endpoint_type(EndpointType::Regional)
        .security_policy(SecurityPolicy::Tls12)
        .ip_address_type(match ip {
            IpAddressType::Ipv4 => AwsIpAddressType::Ipv4,
            IpAddressType::Dualstack => AwsIpAddressType::Dualstack,
        })
        .build()
}

pub async fn update_domain(c: &Clients, report: Report<'_>, name: &str, certificate_arn: &str, ip: IpAddressType) -> Result<(), AwsError> {
    paced(c, report, || async {
        c.apigw
            .update_domain_name()
            .domain_name(name)
            .domain_name_configurations(domain_configuration(certificate_arn, ip))
            .customize()
            .config_override(aws_sdk_apigatewayv2::config::Builder::default().retry_config(no_retry()))
            .send()
            .await
            .map_err(|e| classify(format!("updating custom domain name {name}"), e))
    })
    .await?;
    Ok(())
}

pub async fn delete_domain(c: &Clients, report: Report<'_>, name: &str) -> Result<(), AwsError> {
    paced(c, report, || async {
        ignore_missing(
            c.apigw
                .delete_domain_name()
                .domain_name(name)
                .customize()
                .config_override(aws_sdk_apigatewayv2::config::Builder::default().retry_config(no_retry()))
                .send()
                .await
                .map(|_| ()),
            format!("deleting custom domain name {name}"),
        )
    })
    .await
}

/// Maps the domain's root to the API's stage (an HTTP API's `$default`, a REST API's own: API mappings serve
/// both).
pub async fn create_mapping(c: &Clients, domain: &str, api_id: &str, stage: &str) -> Result<(), AwsError> {
    c.apigw
        .create_api_mapping()
        .domain_name(domain)
        .api_id(api_id)
        .stage(stage)
        .send()
        .await
        .map_err(|e| classify(format!("mapping {domain} to API {api_id}"), e))?;
    Ok(())
}

pub async fn delete_mapping(c: &Clients, domain: &str, id: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw
            .delete_api_mapping()
            .domain_name(domain)
            .api_mapping_id(id)
            .send()
            .await
            .map(|_| ()),
        format!("deleting API mapping {id} of {domain}"),
    )
}
