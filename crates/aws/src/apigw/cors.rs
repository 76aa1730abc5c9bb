//! An HTTP API's CORS configuration, as API Gateway holds it, and set or removed outside an import.

use aws_sdk_apigatewayv2::types::Cors;

use crate::{AwsError, Clients, classify, ignore_missing};

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
