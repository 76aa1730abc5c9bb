//! The token endpoint's function, role, log group and route: planned with the rest, converged, torn down.

use super::*;

fn te_stack(extra: &str) -> Stack {
    stack(&format!("{STACK}token_endpoint: {{path: /oauth2/token, ttl: 10m}}\n{extra}"))
}

fn account_inventory() -> Inventory {
    Inventory {
        account: Some("123456789012".into()),
        ..empty()
    }
}

/// The stack deployed, as a deploy's two parts leave it.
fn deployed_with_endpoint(s: &Stack) -> Inventory {
    let mut inv = account_inventory();
    for _ in 0..2 {
        let p = plan(s, &inv).unwrap();
        simulate(s, &mut inv, &p);
    }
    assert!(plan(s, &inv).unwrap().is_empty());
    inv
}

const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:jwtstack-grocery-token";

#[test]
fn a_first_deploy_makes_the_role_the_group_the_function_and_its_public_route_then_nothing() {
    let s = te_stack("");
    let mut inv = account_inventory();
    let p = plan(&s, &inv).unwrap();
    let text = lines(&p).join("\n");
    for line in [
        "+ iam_role jwtstack-grocery-token",
        "+ logs_group /aws/lambda/jwtstack-grocery-token",
        "+ lambda_function jwtstack-grocery-token",
        &format!("+ lambda_permission {FUNCTION}"),
        "+ apigw_route POST /oauth2/token",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    // The function comes before the API, its permission after.
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(at("+ lambda_function") < at("apigw_api"));
    assert!(at("+ iam_role") < at("+ lambda_function"));
    // The route is in the import's definition, public, to the function.
    let definition = p
        .steps
        .iter()
        .find_map(|s| match s {
            Step::Api(ApiStep::Import { definition, .. }) => Some(definition.clone()),
            _ => None,
        })
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&definition).unwrap();
    let op = &doc["paths"]["/oauth2/token"]["post"];
    assert!(op.is_object(), "{doc}");
    assert!(op.get("security").is_none());
    assert!(definition.contains(&format!("functions/{FUNCTION}/invocations")));
    // Its configuration: the stack's issuer, audiences, scopes, kid and key.
    let config = p
        .steps
        .iter()
        .find_map(|s| match s {
            Step::Function(FunctionStep::CreateFunction { config, .. }) => Some(config.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(config.role, "arn:aws:iam::123456789012:role/jwtstack-grocery-token");
    assert_eq!(config.environment["JWTSTACK_KEY"], "ssm:/jwtstack/grocery/keys/k1");
    assert_eq!(config.environment["JWTSTACK_KID"], "k1");
    assert_eq!(config.environment["JWTSTACK_TTL"], "600");
    assert_eq!(config.environment["JWTSTACK_ROUTE_SCOPES"], r#"["lists.read","lists.write"]"#);
    assert_eq!(config.environment["JWTSTACK_AUDIENCES"], r#"["grocery-api"]"#);
    assert_eq!(
        config.environment["JWTSTACK_ISSUER"],
        "https://grocery-issuer-123.s3.us-east-1.amazonaws.com"
    );
    // The import ends the first part: what follows is planned again once the API exists, and the discovery
    // document then names the endpoint at the API's address; then nothing is left to do.
    assert!(p.barrier.is_some());
    simulate(&s, &mut inv, &p);
    let rest = plan(&s, &inv).unwrap();
    let text = lines(&rest).join("\n");
    assert_eq!(rest.steps.len(), 1, "{text}");
    assert!(text.contains(r#"token_endpoint: none -> "https://x/oauth2/token""#), "{text}");
    simulate(&s, &mut inv, &rest);
    let again = plan(&s, &inv).unwrap();
    assert!(again.is_empty(), "{}", lines(&again).join("\n"));
}

#[test]
fn a_scope_a_kid_or_new_code_is_the_smallest_change_to_the_function() {
    let s = te_stack("");
    let inv = deployed_with_endpoint(&s);
    let mut inv = inv;
    // A route's scope changes: the route, and the scopes the function grants.
    let changed = stack(&format!(
        "{}token_endpoint: {{path: /oauth2/token, ttl: 10m}}\n",
        STACK.replace(
            "scopes: [lists.write]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n  - route: PUT",
            "scopes: [lists.admin]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n  - route: PUT"
        )
    ));
    let p = plan(&changed, &inv).unwrap();
    let text = lines(&p).join("\n");
    assert!(text.contains("~ lambda_function jwtstack-grocery-token"), "{text}");
    assert!(text.contains("environment.JWTSTACK_ROUTE_SCOPES"), "{text}");
    assert!(!text.contains("code_sha256"), "{text}");
    assert!(!text.contains("iam_role"), "{text}");
    // A rotation's activation: the function signs with the new kid, its role's policy unchanged.
    let rotated = stack(
        &format!("{STACK}token_endpoint: {{path: /oauth2/token, ttl: 10m}}\n").replace("key_id: k1\n", "key_id: k2\nprevious_keys: [k1]\n"),
    );
    let p = plan(&rotated, &inv).unwrap();
    let change = p
        .steps
        .iter()
        .find_map(|st| match st {
            Step::Function(FunctionStep::UpdateConfiguration { diffs, .. }) => Some(diffs.clone()),
            _ => None,
        })
        .unwrap();
    assert!(change.contains(&Diff::new("environment.JWTSTACK_KID", "k1", "k2")), "{change:?}");
    assert!(change.contains(&Diff::new(
        "environment.JWTSTACK_KEY",
        "ssm:/jwtstack/grocery/keys/k1",
        "ssm:/jwtstack/grocery/keys/k2"
    )));
    assert!(!lines(&p).join("\n").contains("iam_role"));
    // Code that is not the package's: sent again, and nothing else.
    inv.function.function.as_mut().unwrap().code_sha256 = "b2xk".into();
    let p = plan(&s, &inv).unwrap();
    assert_eq!(
        p.steps,
        vec![Step::Function(FunctionStep::UpdateCode {
            name: "jwtstack-grocery-token".into(),
            before: "b2xk".into(),
            architecture: "arm64".into(),
        })]
    );
    // A policy written as lists of one is the same policy.
    simulate(&s, &mut inv, &p);
    let role = inv.function.role.as_mut().unwrap();
    let mut as_lists = role.policy.clone().unwrap();
    for st in as_lists["Statement"].as_array_mut().unwrap() {
        let action = st["Action"].clone();
        if action.is_string() {
            st["Action"] = serde_json::json!([action]);
        }
    }
    role.policy = Some(as_lists);
    assert!(plan(&s, &inv).unwrap().is_empty());
    // A policy changed by hand is put back.
    inv.function.role.as_mut().unwrap().policy = Some(serde_json::json!({"Version": "2012-10-17", "Statement": []}));
    let text = lines(&plan(&s, &inv).unwrap()).join("\n");
    assert!(text.contains("~ iam_role jwtstack-grocery-token"), "{text}");
}

#[test]
fn a_kms_stack_signs_with_kms_sign_on_its_own_keys_only() {
    let s = te_stack("key_store: kms\n");
    let inv = account_inventory();
    let p = plan(&s, &inv).unwrap();
    let (config, policy) = p.steps.iter().fold((None, None), |acc, st| match st {
        Step::Function(FunctionStep::CreateFunction { config, .. }) => (Some(config.clone()), acc.1),
        Step::Function(FunctionStep::CreateRole { policy, .. }) => (acc.0, Some(policy.clone())),
        _ => acc,
    });
    assert_eq!(config.unwrap().environment["JWTSTACK_KEY"], "kms:alias/jwtstack/grocery/k1");
    let policy = policy.unwrap().to_string();
    assert!(policy.contains(r#""Action":"kms:Sign""#), "{policy}");
    assert!(policy.contains(r#""kms:ResourceAliases":"alias/jwtstack/grocery/*""#), "{policy}");
    assert!(!policy.contains("ssm:GetParameter\""), "{policy}");
}

#[test]
fn a_stack_moving_to_kms_may_sign_in_both_stores_until_the_ssm_key_is_retired() {
    // The signing key in KMS, the previous one still published from SSM.
    let s = stack(&format!("{STACK}token_endpoint: {{}}\nkey_store: kms\n").replace("key_id: k1\n", "key_id: k2\nprevious_keys: [k1]\n"));
    let mut inv = account_inventory();
    inv.keys.stored.insert(
        "k1".into(),
        KeyInfo {
            home: KeyHome::Ssm {
                parameter: "/jwtstack/grocery/keys/k1".into(),
                record: "/jwtstack/grocery/public-keys/k1".into(),
            },
            public: Some(key_for("k1").public_jwk()),
            recorded: true,
            deletion: None,
            bits: Some(2048),
            created: None,
        },
    );
    let p = plan(&s, &inv).unwrap();
    let policy = p
        .steps
        .iter()
        .find_map(|st| match st {
            Step::Function(FunctionStep::CreateRole { policy, .. }) => Some(policy.to_string()),
            _ => None,
        })
        .unwrap();
    assert!(
        policy.contains(r#""Sid":"SigningKeySsm""#) && policy.contains(r#""Sid":"SigningKeyKms""#),
        "{policy}"
    );
}

#[test]
fn a_role_function_or_group_of_that_name_without_the_tag_is_refused() {
    let s = te_stack("");
    let inv = deployed_with_endpoint(&s);
    for which in 0..3 {
        let mut planted = inv.clone();
        match which {
            0 => planted.function.role.as_mut().unwrap().owned = false,
            1 => planted.function.log_group.as_mut().unwrap().owned = false,
            _ => planted.function.function.as_mut().unwrap().owned = false,
        }
        let err = plan(&s, &planted).unwrap_err();
        assert!(matches!(err, Conflict::TokenEndpointTaken { .. }), "{err}");
        // Teardown leaves what is not the stack's.
        let t = plan_teardown(&s, &planted, false).unwrap();
        let text = lines(&t).join("\n");
        let kept = ["- iam_role", "- logs_group /aws/lambda", "- lambda_function"][which];
        assert!(!text.contains(kept), "{text}");
    }
}

#[test]
fn teardown_and_a_stack_that_drops_the_endpoint_remove_it_after_what_names_it() {
    let s = te_stack("");
    let inv = deployed_with_endpoint(&s);
    for p in [plan_teardown(&s, &inv, false).unwrap(), plan(&stack(STACK), &inv).unwrap()] {
        let text = lines(&p).join("\n");
        let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} missing from\n{text}"));
        assert!(at(&format!("- lambda_permission {FUNCTION}")) < at("- lambda_function jwtstack-grocery-token"));
        assert!(at("- lambda_function") < at("- iam_role jwtstack-grocery-token"));
        at("- logs_group /aws/lambda/jwtstack-grocery-token");
        assert!(at("- iam_role") < at("- ssm_parameter /jwtstack/grocery/token-endpoint"));
    }
    let mut dropped = inv.clone();
    let p = plan(&stack(STACK), &inv).unwrap();
    simulate(&stack(STACK), &mut dropped, &p);
    assert_eq!(dropped.function, FunctionSlice::default());
    assert!(!dropped.routes.iter().any(|r| r.key == "POST /oauth2/token"));
    assert!(plan(&stack(STACK), &dropped).unwrap().is_empty());
}

#[test]
fn scopes_past_lambdas_environment_bound_are_refused_before_any_change() {
    // 30 routes of 10 scopes each (API Gateway's bound per route): over 4 KB of scope names in all.
    let mut text = format!("{STACK}token_endpoint: {{}}\n");
    for r in 0..30 {
        let scopes: Vec<String> = (0..10).map(|i| format!("area{r:02}.permission{i:02}")).collect();
        text = text.replace(
            "token_endpoint: {}\n",
            &format!(
                "  - route: GET /area{r}\n    scopes: [{}]\n    integration: {{http: \"https://example.com/a\"}}\ntoken_endpoint: {{}}\n",
                scopes.join(", ")
            ),
        );
    }
    let err = plan(&stack(&text), &account_inventory()).unwrap_err();
    assert!(
        matches!(err, Conflict::TokenEndpointEnvironmentTooLarge { scopes, .. } if scopes > 300),
        "{err}"
    );
    assert!(plan(&te_stack(""), &account_inventory()).is_ok());
}

#[test]
fn the_roles_permissions_boundary_is_set_kept_and_removed_as_the_file_says() {
    let arn = "arn:aws:iam::123456789012:policy/jwtstack-boundary";
    let bounded = stack(&format!(
        "{STACK}token_endpoint: {{path: /oauth2/token, ttl: 10m, permissions_boundary: \"{arn}\"}}\n"
    ));
    let inv = deployed_with_endpoint(&bounded);
    assert_eq!(inv.function.role.as_ref().unwrap().boundary.as_deref(), Some(arn));
    // The file drops it: the boundary alone is removed.
    let p = plan(&te_stack(""), &inv).unwrap();
    assert_eq!(
        p.steps,
        vec![Step::Function(FunctionStep::PutBoundary {
            role: "jwtstack-grocery-token".into(),
            before: Some(arn.into()),
            after: None,
        })]
    );
    // Set by hand to another policy: put back.
    let mut drifted = inv.clone();
    drifted.function.role.as_mut().unwrap().boundary = Some("arn:aws:iam::aws:policy/AdministratorAccess".into());
    let text = lines(&plan(&bounded, &drifted).unwrap()).join("\n");
    assert!(
        text.contains(
            "permissions_boundary: arn:aws:iam::aws:policy/AdministratorAccess -> arn:aws:iam::123456789012:policy/jwtstack-boundary"
        ),
        "{text}"
    );
}

#[test]
fn a_rest_api_gets_the_token_endpoints_public_method_after_its_function_and_teardown_removes_both() {
    let s = stack(&format!("{}token_endpoint: {{path: /oauth2/token, ttl: 10m}}\n", super::rest::REST));
    let function = "arn:aws:lambda:us-east-1:123456789012:function:jwtstack-shop-token";
    let p = plan(&s, &account_inventory()).unwrap();
    let text = lines(&p).join("\n");
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} missing from\n{text}"));
    // The function before the method that invokes it, its permission after, then the one deployment.
    assert!(at("+ iam_role jwtstack-shop-token") < at("+ lambda_function jwtstack-shop-token"));
    assert!(at("+ lambda_function jwtstack-shop-token") < at("+ apigw_rest_method POST /oauth2/token"));
    assert!(at("+ apigw_rest_method POST /oauth2/token") < at(&format!("+ lambda_permission {function}")));
    assert!(at(&format!("+ lambda_permission {function}")) < at("apigw_rest_deployment"));
    let method = super::rest::rest_steps(&p)
        .into_iter()
        .find_map(|r| match r {
            RestStep::PutMethod {
                path, auth, integration, ..
            } if path == "/oauth2/token" => Some((auth.clone(), integration.clone())),
            _ => None,
        })
        .unwrap();
    assert!(method.0.is_public(), "the token endpoint reads no bearer token");
    assert_eq!(method.1.integration_type, IntegrationType::AwsProxy);
    assert_eq!(method.1.uri, crate::plan::openapi::lambda_invocation_uri(function, "us-east-1"));

    // The first part ends with the API made: the discovery document is planned again with its address.
    assert!(matches!(p.phase().last(), Some(Step::Rest(RestStep::CreateApi { .. }))));
    assert!(p.barrier.as_ref().unwrap().why.contains("token endpoint"));

    let inv = deployed_with_endpoint(&s);
    // The discovery document names the endpoint under the stage's invoke URL.
    let endpoint = s.token_endpoint_url(inv.api.as_ref().map(|a| a.endpoint.as_str())).unwrap();
    assert!(endpoint.ends_with("amazonaws.com/live/oauth2/token"), "{endpoint}");

    let down = plan_teardown(&s, &inv, false).unwrap();
    let text = lines(&down).join("\n");
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} missing from\n{text}"));
    assert!(at("- apigw_rest_api") < at(&format!("- lambda_permission {function}")));
    assert!(at(&format!("- lambda_permission {function}")) < at("- lambda_function jwtstack-shop-token"));
    assert!(at("- lambda_function jwtstack-shop-token") < at("- iam_role jwtstack-shop-token"));
    let mut inv = inv;
    simulate(&s, &mut inv, &down);
    assert!(inv.function.function.is_none() && inv.function.role.is_none());
}
