//! API Gateway v2 around the routes: the API's CORS configuration, the `$default` stage's access log and
//! throttling, and the custom domain name with its API mapping.

use aws_sdk_apigatewayv2::types::{
    AccessLogSettings, Cors, DomainName, DomainNameConfiguration, EndpointType, RouteSettings, SecurityPolicy, Stage,
};

use super::super::retry::no_retry;
use super::super::{AwsError, Clients, classify, ignore_missing};
use super::{PAGE, all_pages, tags};
use jwtstack_core::names::{ACCESS_LOG_FORMAT, STAGE_NAME, TAG_KEY};
use jwtstack_core::plan::{AccessLogSettings as AccessLogInfo, ApiDomainInfo, ApiMappingInfo, StageInfo, StageSettings};

pub(super) fn cors_of(c: Option<&Cors>) -> Option<jwtstack_core::config::Cors> {
    let c = c?;
    Some(jwtstack_core::config::Cors {
        allow_origins: c.allow_origins().to_vec(),
        allow_methods: c.allow_methods().to_vec(),
        allow_headers: c.allow_headers().to_vec(),
        expose_headers: c.expose_headers().to_vec(),
        max_age: c.max_age().and_then(|a| u32::try_from(a).ok()),
        allow_credentials: c.allow_credentials().unwrap_or(false),
    })
}

fn cors(c: &jwtstack_core::config::Cors) -> Cors {
    Cors::builder()
        .set_allow_origins(Some(c.allow_origins.clone()))
        .set_allow_methods(Some(c.allow_methods.clone()).filter(|v| !v.is_empty()))
        .set_allow_headers(Some(c.allow_headers.clone()).filter(|v| !v.is_empty()))
        .set_expose_headers(Some(c.expose_headers.clone()).filter(|v| !v.is_empty()))
        .set_max_age(c.max_age.map(|a| a as i32))
        .allow_credentials(c.allow_credentials)
        .build()
}

/// Sets (or removes) an API's CORS configuration outside an import.
pub async fn update_cors(c: &Clients, api_id: &str, wanted: Option<&jwtstack_core::config::Cors>) -> Result<(), AwsError> {
    let what = format!("setting the CORS configuration of API {api_id}");
    match wanted {
        Some(w) => c
            .apigw
            .update_api()
            .api_id(api_id)
            .cors_configuration(cors(w))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(what, e)),
        None => ignore_missing(c.apigw.delete_cors_configuration().api_id(api_id).send().await.map(|_| ()), what),
    }
}

pub(super) fn stage_info(s: &Stage, stack: &str) -> StageInfo {
    let route = s.default_route_settings();
    let throttling = route.and_then(|r| Some((r.throttling_rate_limit()?, r.throttling_burst_limit()?)));
    StageInfo {
        auto_deploy: s.auto_deploy().unwrap_or(false),
        owned: s.tags().and_then(|t| t.get(TAG_KEY)).map(String::as_str) == Some(stack),
        access_log: s
            .access_log_settings()
            .and_then(|a| a.destination_arn().filter(|d| !d.is_empty()).map(|d| (d, a.format())))
            .map(|(d, f)| AccessLogInfo {
                destination: d.to_string(),
                format: f.unwrap_or_default().to_string(),
            }),
        throttling,
        detailed_metrics: route.and_then(|r| r.detailed_metrics_enabled()).unwrap_or(false),
    }
}

pub(super) fn access_log_settings(arn: &str) -> AccessLogSettings {
    AccessLogSettings::builder().destination_arn(arn).format(ACCESS_LOG_FORMAT).build()
}

/// The default route settings to send, or none: a settings object without throttling values sets both
/// limits to 0 on AWS, and every request is then answered 429 (terraform-provider-aws#30373,
/// pulumi-aws#2363), so jwtstack sends one only with both values.
pub(super) fn route_settings(s: &StageSettings) -> Option<RouteSettings> {
    let t = s.throttling?;
    Some(
        RouteSettings::builder()
            .throttling_rate_limit(t.rate as f64)
            .throttling_burst_limit(t.burst as i32)
            .detailed_metrics_enabled(s.detailed_metrics)
            .build(),
    )
}

/// Writes the declared access log and throttling onto the stage.
pub async fn configure_stage(c: &Clients, api_id: &str, access_log: Option<&str>, settings: &StageSettings) -> Result<(), AwsError> {
    c.apigw
        .update_stage()
        .api_id(api_id)
        .stage_name(STAGE_NAME)
        .set_access_log_settings(access_log.map(access_log_settings))
        .set_default_route_settings(route_settings(settings))
        .send()
        .await
        .map_err(|e| classify(format!("updating stage {STAGE_NAME} of API {api_id}"), e))?;
    Ok(())
}

pub async fn delete_access_log(c: &Clients, api_id: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw
            .delete_access_log_settings()
            .api_id(api_id)
            .stage_name(STAGE_NAME)
            .send()
            .await
            .map(|_| ()),
        format!("removing the access log of stage {STAGE_NAME} of API {api_id}"),
    )
}

fn domain_info(d: &DomainName, stack: &str, mappings: Vec<ApiMappingInfo>) -> ApiDomainInfo {
    let conf = d.domain_name_configurations().first();
    ApiDomainInfo {
        name: d.domain_name().unwrap_or_default().to_string(),
        certificate_arn: conf.and_then(|c| c.certificate_arn()).map(str::to_string),
        endpoint_type: conf.and_then(|c| c.endpoint_type()).map(|t| t.as_str().to_string()),
        security_policy: conf.and_then(|c| c.security_policy()).map(|p| p.as_str().to_string()),
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
            id: m.api_mapping_id().unwrap_or_default().to_string(),
            api_id: m.api_id().unwrap_or_default().to_string(),
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
pub async fn create_domain(c: &Clients, name: &str, certificate_arn: &str, stack: &str) -> Result<(String, String), AwsError> {
    let out = c
        .apigw
        .create_domain_name()
        .domain_name(name)
        .domain_name_configurations(domain_configuration(certificate_arn))
        .set_tags(Some(tags(stack)))
        .customize()
        .config_override(aws_sdk_apigatewayv2::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(format!("creating custom domain name {name}"), e))?;
    let conf = out.domain_name_configurations().first();
    Ok((
        conf.and_then(|c| c.api_gateway_domain_name()).unwrap_or_default().to_string(),
        conf.and_then(|c| c.hosted_zone_id()).unwrap_or_default().to_string(),
    ))
}

fn domain_configuration(certificate_arn: &str) -> DomainNameConfiguration {
    DomainNameConfiguration::builder()
        .certificate_arn(certificate_arn)
        .endpoint_type(EndpointType::Regional)
        .security_policy(SecurityPolicy::Tls12)
        .build()
}

pub async fn update_domain(c: &Clients, name: &str, certificate_arn: &str) -> Result<(), AwsError> {
    c.apigw
        .update_domain_name()
        .domain_name(name)
        .domain_name_configurations(domain_configuration(certificate_arn))
        .send()
        .await
        .map_err(|e| classify(format!("updating custom domain name {name}"), e))?;
    Ok(())
}

pub async fn delete_domain(c: &Clients, name: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.apigw.delete_domain_name().domain_name(name).send().await.map(|_| ()),
        format!("deleting custom domain name {name}"),
    )
}

/// Maps the domain's root to the API's `$default` stage.
pub async fn create_mapping(c: &Clients, domain: &str, api_id: &str) -> Result<(), AwsError> {
    c.apigw
        .create_api_mapping()
        .domain_name(domain)
        .api_id(api_id)
        .stage(STAGE_NAME)
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
