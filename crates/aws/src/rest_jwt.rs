//! API Gateway's JWT authorizer for REST APIs, which aws-sdk-apigateway 1.125 cannot express: its
//! `AuthorizerType` has no `JWT`, and neither `CreateAuthorizer`'s input nor `Authorizer` has
//! `jwtConfiguration`. The calls still go through the SDK's own client (endpoint resolution, credentials,
//! SigV4 signing, retries, pacing, error parsing, the bounded answers): this module adds the one member the
//! SDK does not know to the request body before it is signed, and reads it back from the answer the SDK read.
//! The shapes are AWS's published API model (botocore's `apigateway` 2015-07-09: `JwtConfigurationInput`,
//! `JwtIssuerInput`, `JwtAdditionalClaim`, `JwtConfiguration`, `JwtIssuer`). When the SDK gains the fields,
//! this module is the one change.

use std::sync::{Arc, Mutex};

use aws_sdk_apigateway::Client;
use aws_sdk_apigateway::types::AuthorizerType;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::classify;
use crate::{AwsError, ErrorKind};
use jwtstack_core::config::ClaimRule;
use jwtstack_core::plan::{RestIssuer, RestJwt};

/// `JwtConfigurationInput` when sent, `JwtConfiguration` when read: the issuers and the algorithms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JwtConfiguration {
    pub issuers: Vec<JwtIssuer>,
    pub default_algorithms: Vec<String>,
}

impl JwtConfiguration {
    /// What the planner wants, as API Gateway takes it: every claim rule says whether it is required (AWS's
    /// default, when it is left out, is false).
    pub fn of(jwt: &RestJwt) -> JwtConfiguration {
        JwtConfiguration {
            issuers: jwt
                .issuers
                .iter()
                .map(|i| JwtIssuer {
                    issuer: i.issuer.clone(),
                    audiences: i.audiences.clone(),
                    additional_claims: i
                        .claims
                        .iter()
                        .map(|c| JwtAdditionalClaim {
                            claim_name: c.name.clone(),
                            format: SINGLE_STRING.into(),
                            required: Some(c.required),
                            expected_values: c.values.clone(),
                        })
                        .collect(),
                    jwks_uri: None,
                })
                .collect(),
            default_algorithms: jwt.algorithms.clone(),
        }
    }

    /// As the planner compares it.
    pub fn to_plan(&self) -> RestJwt {
        RestJwt {
            issuers: self
                .issuers
                .iter()
                .map(|i| RestIssuer {
                    issuer: i.issuer.clone(),
                    audiences: i.audiences.clone(),
                    claims: i
                        .additional_claims
                        .iter()
                        .map(|c| ClaimRule {
                            name: c.claim_name.clone(),
                            required: c.required.unwrap_or(false),
                            values: c.expected_values.clone(),
                        })
                        .collect(),
                })
                .collect(),
            algorithms: self.default_algorithms.clone(),
        }
    }
}

/// `JwtIssuerInput` / `JwtIssuer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JwtIssuer {
    pub issuer: String,
    pub audiences: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_claims: Vec<JwtAdditionalClaim>,
    /// Read only: API Gateway resolves it from the issuer's discovery document ("cannot be set").
    #[serde(default, skip_serializing)]
    pub jwks_uri: Option<String>,
}

/// `JwtAdditionalClaim`: `format` is `SINGLE_STRING`, the only value AWS defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JwtAdditionalClaim {
    pub claim_name: String,
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected_values: Vec<String>,
}

/// The only claim format AWS defines (`JwtClaimFormat`).
pub const SINGLE_STRING: &str = "SINGLE_STRING";
/// `AuthorizerType` `JWT`, which the SDK sends as it sends any value it does not know.
const JWT: &str = "JWT";

/// An authorizer of a REST API as API Gateway answers it, with its JWT configuration when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestAuthorizer {
    pub id: String,
    pub name: String,
    /// `JWT`, `TOKEN`, `REQUEST`, `COGNITO_USER_POOLS`.
    pub kind: String,
    pub identity_source: Option<String>,
    pub jwt: Option<JwtConfiguration>,
}

impl RestAuthorizer {
    /// From what the SDK read of an answer (`id`, `name`, `type`, `identitySource`) and its configuration.
    fn read([id, name, kind, identity_source]: [Option<&str>; 4], jwt: Option<JwtConfiguration>) -> RestAuthorizer {
        RestAuthorizer {
            id: id.unwrap_or_default().to_string(),
            name: name.unwrap_or_default().to_string(),
            kind: kind.unwrap_or_default().to_string(),
            identity_source: identity_source.map(str::to_string),
            jwt,
        }
    }
}

/// Creates a JWT authorizer. `identity_source` is a header mapping (`method.request.header.Authorization`).
pub async fn create(
    client: &Client,
    api_id: &str,
    name: &str,
    identity_source: &str,
    config: &JwtConfiguration,
) -> Result<RestAuthorizer, AwsError> {
    let context = || format!("creating JWT authorizer {name} on REST API {api_id}");
    let member = serde_json::to_value(config).map_err(|e| AwsError::new(context(), ErrorKind::Other, e.to_string()))?;
    let answer = Answer::default();
    let out = client
        .create_authorizer()
        .rest_api_id(api_id)
        .name(name)
        .r#type(AuthorizerType::from(JWT))
        .identity_source(identity_source)
        .customize()
        // Not retried by the SDK: a create whose answer was lost is looked for (by name) before it is tried
        // again, or the API would hold two authorizers of one name.
        .config_override(aws_sdk_apigateway::config::Config::builder().retry_config(crate::retry::no_retry()))
        .interceptor(AddMember {
            name: "jwtConfiguration",
            value: member,
        })
        .interceptor(answer.clone())
        .send()
        .await
        .map_err(|e| classify(context(), e))?;
    Ok(RestAuthorizer::read(
        [
            out.id(),
            out.name(),
            out.r#type().map(AuthorizerType::as_str),
            out.identity_source(),
        ],
        answer.jwt_configuration(&context())?,
    ))
}

/// Every authorizer of the API, each JWT one with its configuration.
pub async fn list(client: &Client, api_id: &str) -> Result<Vec<RestAuthorizer>, AwsError> {
    let context = || format!("listing the authorizers of REST API {api_id}");
    let pages = crate::apigw::all_pages(|position| async move {
        let answer = Answer::default();
        let out = client
            .get_authorizers()
            .rest_api_id(api_id)
            .limit(500)
            .set_position(position)
            .customize()
            .interceptor(answer.clone())
            .send()
            .await
            .map_err(|e| classify(context(), e))?;
        let raw = answer.items(&context())?;
        let mut page = Vec::new();
        for a in out.items() {
            let id = a.id().unwrap_or_default();
            let jwt = raw
                .iter()
                .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
                .and_then(|r| r.get("jwtConfiguration"))
                .map(|v| serde_json::from_value::<JwtConfiguration>(v.clone()))
                .transpose()
                .map_err(|e| AwsError::new(context(), ErrorKind::Other, format!("jwtConfiguration of {id}: {e}")))?;
            page.push(RestAuthorizer::read(
                [Some(id), a.name(), a.r#type().map(AuthorizerType::as_str), a.identity_source()],
                jwt,
            ));
        }
        Ok((page, crate::apigw_rest::next(out.position())))
    })
    .await?;
    Ok(pages)
}

/// Replaces an authorizer's JWT configuration whole: "a single `replace` operation on the
/// `/jwtConfiguration` path, with the complete configuration as the value" (developer guide, "Update a JWT
/// authorizer for a REST API"), the value being the configuration as JSON text. The SDK expresses this call
/// as it is; only the answer's configuration is read here.
pub async fn replace_configuration(
    client: &Client,
    api_id: &str,
    authorizer_id: &str,
    config: &JwtConfiguration,
) -> Result<RestAuthorizer, AwsError> {
    let context = || format!("updating JWT authorizer {authorizer_id} of REST API {api_id}");
    let text = serde_json::to_string(config).map_err(|e| AwsError::new(context(), ErrorKind::Other, e.to_string()))?;
    let answer = Answer::default();
    let out = client
        .update_authorizer()
        .rest_api_id(api_id)
        .authorizer_id(authorizer_id)
        .patch_operations(crate::apigw_rest::patch(
            aws_sdk_apigateway::types::Op::Replace,
            "/jwtConfiguration",
            Some(&text),
        ))
        .customize()
        .interceptor(answer.clone())
        .send()
        .await
        .map_err(|e| classify(context(), e))?;
    Ok(RestAuthorizer::read(
        [
            out.id(),
            out.name(),
            out.r#type().map(AuthorizerType::as_str),
            out.identity_source(),
        ],
        answer.jwt_configuration(&context())?,
    ))
}

/// Adds one member to the JSON body of the request, before it is signed.
#[derive(Debug)]
struct AddMember {
    name: &'static str,
    value: Value,
}

impl Intercept for AddMember {
    fn name(&self) -> &'static str {
        "jwtstack-rest-jwt-member"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let bytes = request.body().bytes().ok_or("the request body is not in memory")?;
        let mut body: Map<String, Value> = if bytes.is_empty() {
            Map::new()
        } else {
            serde_json::from_slice(bytes)?
        };
        body.insert(self.name.to_string(), self.value.clone());
        let bytes = serde_json::to_vec(&body)?;
        let length = bytes.len().to_string();
        *request.body_mut() = SdkBody::from(bytes);
        request.headers_mut().insert("content-length", length);
        Ok(())
    }
}

/// The answer's body, kept once the SDK has read it.
#[derive(Debug, Clone, Default)]
struct Answer(Arc<Mutex<Option<Vec<u8>>>>);

impl Intercept for Answer {
    fn name(&self) -> &'static str {
        "jwtstack-rest-jwt-answer"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.response().body().bytes().map(<[u8]>::to_vec);
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = body;
        Ok(())
    }
}

impl Answer {
    fn json(&self, context: &str) -> Result<Map<String, Value>, AwsError> {
        let body = self.0.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_default();
        if body.is_empty() {
            return Ok(Map::new());
        }
        serde_json::from_slice(&body).map_err(|e| AwsError::new(context, ErrorKind::Other, format!("the answer is not a JSON object: {e}")))
    }

    fn jwt_configuration(&self, context: &str) -> Result<Option<JwtConfiguration>, AwsError> {
        self.json(context)?
            .get("jwtConfiguration")
            .map(|v| serde_json::from_value(v.clone()))
            .transpose()
            .map_err(|e| AwsError::new(context, ErrorKind::Other, format!("jwtConfiguration: {e}")))
    }

    /// A list answer's items (API Gateway's REST API lists them under `item`).
    fn items(&self, context: &str) -> Result<Vec<Map<String, Value>>, AwsError> {
        Ok(match self.json(context)?.remove("item") {
            Some(Value::Array(items)) => items
                .into_iter()
                .filter_map(|i| match i {
                    Value::Object(m) => Some(m),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shapes as botocore's model names their members (`JwtConfigurationInput`, `JwtIssuerInput`,
    /// `JwtAdditionalClaim`), and an answer as AWS's API reference shows `JwtIssuer` (with `jwksUri`).
    #[test]
    fn the_shapes_are_the_api_models() {
        let config = JwtConfiguration {
            issuers: vec![JwtIssuer {
                issuer: "https://acme.eu.auth0.com/".into(),
                audiences: vec!["shop-api".into()],
                additional_claims: vec![JwtAdditionalClaim {
                    claim_name: "tenant".into(),
                    format: SINGLE_STRING.into(),
                    required: Some(true),
                    expected_values: vec!["acme".into()],
                }],
                jwks_uri: Some("https://acme.eu.auth0.com/.well-known/jwks.json".into()),
            }],
            default_algorithms: vec!["RS256".into()],
        };
        assert_eq!(
            serde_json::to_value(&config).unwrap(),
            serde_json::json!({
                "issuers": [{"issuer": "https://acme.eu.auth0.com/", "audiences": ["shop-api"],
                             "additionalClaims": [{"claimName": "tenant", "format": "SINGLE_STRING", "required": true, "expectedValues": ["acme"]}]}],
                "defaultAlgorithms": ["RS256"]
            }),
            "jwksUri is read-only and never sent"
        );
        let read: JwtConfiguration = serde_json::from_value(serde_json::json!({
            "issuers": [{"issuer": "https://acme.eu.auth0.com/", "audiences": ["shop-api"],
                         "jwksUri": "https://acme.eu.auth0.com/.well-known/jwks.json"}],
            "defaultAlgorithms": ["RS256", "ES256"]
        }))
        .unwrap();
        assert_eq!(
            read.issuers[0].jwks_uri.as_deref(),
            Some("https://acme.eu.auth0.com/.well-known/jwks.json")
        );
        assert!(read.issuers[0].additional_claims.is_empty());
    }
}
