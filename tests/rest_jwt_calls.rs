//! `jwtstack_aws::rest_jwt`: the REST JWT authorizer calls the Rust SDK cannot express, sent through the SDK's
//! own client to the emulator (its REST JWT authorizer, tests/support/moto_rest_jwt.py) through the proxy that
//! holds every request to botocore's API model (tests/support/model_check.py), so the added member is checked
//! against AWS's published shape.

use crate::common;

use common::Env;
use jwtstack_aws::rest_jwt::{self, JwtAdditionalClaim, JwtConfiguration, JwtIssuer, SINGLE_STRING};

fn config(issuers: &[(&str, &str)], claim: Option<&str>) -> JwtConfiguration {
    JwtConfiguration {
        issuers: issuers
            .iter()
            .map(|(issuer, audience)| JwtIssuer {
                issuer: issuer.to_string(),
                audiences: vec![audience.to_string()],
                additional_claims: claim
                    .map(|c| JwtAdditionalClaim {
                        claim_name: c.into(),
                        format: SINGLE_STRING.into(),
                        required: Some(true),
                        expected_values: vec!["acme".into()],
                    })
                    .into_iter()
                    .collect(),
                jwks_uri: None,
            })
            .collect(),
        default_algorithms: vec!["RS256".into()],
    }
}

#[test]
fn a_jwt_authorizer_is_created_read_back_and_replaced_whole() {
    let env = Env::new();
    let conf = env.sdk_config();
    let client = aws_sdk_apigateway::Client::from_conf(
        aws_sdk_apigateway::config::Builder::from(&conf)
            .endpoint_url(env.endpoint())
            .build(),
    );
    let api = env
        .block_on(client.create_rest_api().name("shop-api").send())
        .unwrap()
        .id()
        .unwrap()
        .to_string();

    let first = config(
        &[
            ("https://issuer.shop.example.com", "shop-api"),
            ("https://acme.eu.auth0.com/", "https://shop.example.com"),
        ],
        Some("tenant"),
    );
    let made = env
        .block_on(rest_jwt::create(
            &client,
            &api,
            "shop-jwt",
            "method.request.header.Authorization",
            &first,
        ))
        .unwrap();
    assert_eq!((made.name.as_str(), made.kind.as_str()), ("shop-jwt", "JWT"));
    assert_eq!(made.identity_source.as_deref(), Some("method.request.header.Authorization"));
    assert_eq!(made.jwt.as_ref(), Some(&first), "the answer carries the configuration sent");

    let listed = env.block_on(rest_jwt::list(&client, &api)).unwrap();
    assert_eq!(listed, std::slice::from_ref(&made));

    // "API Gateway keeps nothing from the previous configuration": one issuer, no claim.
    let second = config(&[("https://issuer.shop.example.com", "shop-api")], None);
    let replaced = env
        .block_on(rest_jwt::replace_configuration(&client, &api, &made.id, &second))
        .unwrap();
    assert_eq!(replaced.jwt.as_ref(), Some(&second));
    assert_eq!(env.block_on(rest_jwt::list(&client, &api)).unwrap()[0].jwt.as_ref(), Some(&second));

    // What AWS refuses comes back as the SDK's modelled 400, nothing made.
    let reserved = config(&[("https://issuer.shop.example.com", "shop-api")], Some("scp"));
    let e = env
        .block_on(rest_jwt::create(
            &client,
            &api,
            "other-jwt",
            "method.request.header.Authorization",
            &reserved,
        ))
        .unwrap_err();
    assert!(e.to_string().contains("scp"), "{e}");
    assert_eq!(env.block_on(rest_jwt::list(&client, &api)).unwrap().len(), 1);
}
