//! What is changed by hand on an API the stack owns, through the strict proxy: every setting the definition sets
//! or leaves at AWS's default is compared, `plan` shows it, and `deploy` puts it back.

use crate::common;

use common::{Env, Proxy, json, stack_yaml};

#[test]
fn settings_changed_by_hand_on_an_owned_api_are_planned_and_put_back() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--seed", "21"]);
    let p = &proxy.endpoint;
    env.write_stack(&stack_yaml("drift", "drift-issuer-bucket", "name: drift-api", None));
    env.run_via(p, &["deploy"]).ok();
    let outputs = json(&env.run_via(p, &["outputs", "--json"]).ok().stdout);
    let api = outputs["api_id"].as_str().unwrap().to_string();
    let sdk = env.sdk();

    // By hand: a header every request now carries and a 50 ms timeout on every integration, a second JWT
    // authorizer for another issuer, and the execute-api endpoint turned off.
    let integrations = env.block_on(sdk.apigw.get_integrations().api_id(&api).send()).unwrap();
    for i in integrations.items() {
        env.block_on(
            sdk.apigw
                .update_integration()
                .api_id(&api)
                .integration_id(i.integration_id().unwrap())
                .request_parameters("overwrite:header.x-user-id", "admin")
                .timeout_in_millis(50)
                .send(),
        )
        .unwrap();
    }
    env.block_on(
        sdk.apigw
            .create_authorizer()
            .api_id(&api)
            .name("other-issuer")
            .authorizer_type(aws_sdk_apigatewayv2::types::AuthorizerType::Jwt)
            .identity_source("$request.header.Authorization")
            .jwt_configuration(
                aws_sdk_apigatewayv2::types::JwtConfiguration::builder()
                    .issuer("https://evil.example")
                    .audience("drift-api")
                    .build(),
            )
            .send(),
    )
    .unwrap();
    env.block_on(sdk.apigw.update_api().api_id(&api).disable_execute_api_endpoint(true).send())
        .unwrap();

    let plan = env.run_via(p, &["plan", "--detailed-exitcode"]).code(2);
    for line in [
        "request_parameters: overwrite:header.x-user-id=admin -> none",
        "timeout_in_millis: 50 -> 30000",
        "- apigw_authorizer other-issuer (not declared by the stack)",
        "https://evil.example",
        "disable_execute_api_endpoint: true -> false",
    ] {
        assert!(plan.stdout.contains(line), "{line}\n{}", plan.stdout);
    }
    let plan_json = json(&env.run_via(p, &["plan", "--json"]).ok().stdout);
    assert!(plan_json.to_string().contains("overwrite:header.x-user-id=admin"), "{plan_json}");

    env.run_via(p, &["deploy"]).ok();
    env.run_via(p, &["plan", "--detailed-exitcode"]).code(0);
    let integrations = env.block_on(sdk.apigw.get_integrations().api_id(&api).send()).unwrap();
    assert!(!integrations.items().is_empty());
    for i in integrations.items() {
        assert!(i.request_parameters().is_none_or(|m| m.is_empty()), "{i:?}");
        assert_eq!(i.timeout_in_millis(), Some(30_000), "{i:?}");
    }
    let authorizers = env.block_on(sdk.apigw.get_authorizers().api_id(&api).send()).unwrap();
    let names: Vec<_> = authorizers.items().iter().filter_map(|a| a.name()).collect();
    assert_eq!(names, ["drift-jwt"]);
    let got = env.block_on(sdk.apigw.get_api().api_id(&api).send()).unwrap();
    assert_eq!(got.disable_execute_api_endpoint(), Some(false));
    env.run_via(p, &["teardown", "--yes"]).ok();
}
