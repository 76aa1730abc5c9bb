//! A REST API the stack owns: the first deploy call by call, a second that changes nothing, the smallest change
//! plus one deployment, a run cut off before its deployment, teardown.

use super::*;

pub(super) const REST: &str = r#"name: shop
region: us-east-1
issuer: {bucket: shop-issuer-123}
key_id: k1
audience: [shop-api]
api: {name: shop-api, type: rest}
require_claims: [{name: tenant, values: [acme]}]
routes:
  - route: GET /items/{id}
    scopes: [items.read]
    integration: {http: "https://example.com/items/{id}"}
  - route: ANY /items/{id}/parts/{proxy+}
    scopes: [items.read]
    integration: {http: "https://example.com/parts/{proxy}"}
  - route: POST /orders
    scopes: [orders.write]
    integration: {lambda: "arn:aws:lambda:us-east-1:123456789012:function:orders"}
  - route: GET /health
    auth: none
    integration: {http: "https://example.com/health"}
"#;

pub(super) fn rest_steps(p: &Plan) -> Vec<&RestStep> {
    p.steps
        .iter()
        .filter_map(|s| match s {
            Step::Rest(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// The REST steps' plan lines, `+ kind name`.
pub(super) fn signed_lines(p: &Plan) -> Vec<String> {
    rest_steps(p)
        .iter()
        .flat_map(|s| s.lines())
        .map(|c| format!("{} {} {}", c.action.sign(), c.resource, c.name))
        .collect()
}

fn deployed(s: &Stack) -> Inventory {
    let mut inv = empty();
    let p = plan(s, &inv).unwrap();
    simulate(s, &mut inv, &p);
    inv
}

#[test]
fn first_deploy_call_by_call_parents_first_then_one_deployment() {
    let s = stack(REST);
    let p = plan(&s, &empty()).unwrap();
    let lines: Vec<String> = p
        .steps
        .iter()
        .flat_map(KindStep::lines)
        .filter(|c| c.resource.starts_with("apigw_rest") || c.resource == "lambda_permission")
        .map(|c| format!("{} {}", c.resource, c.name))
        .collect();
    assert_eq!(
        lines,
        [
            "apigw_rest_api shop-api",
            "apigw_rest_authorizer shop-jwt",
            "apigw_rest_resource /health",
            "apigw_rest_resource /items",
            "apigw_rest_resource /orders",
            "apigw_rest_resource /items/{id}",
            "apigw_rest_resource /items/{id}/parts",
            "apigw_rest_resource /items/{id}/parts/{proxy+}",
            "apigw_rest_method GET /items/{id}",
            "apigw_rest_method ANY /items/{id}/parts/{proxy+}",
            "apigw_rest_method POST /orders",
            "apigw_rest_method GET /health",
            "lambda_permission arn:aws:lambda:us-east-1:123456789012:function:orders",
            "apigw_rest_deployment stage live",
        ]
    );
    // The authorizer trusts the stack's issuer with its claim rule; the algorithm is its keys'.
    let Some(RestStep::CreateAuthorizer { jwt, .. }) = rest_steps(&p).into_iter().nth(1) else {
        panic!()
    };
    assert_eq!(jwt.algorithms, ["RS256"]);
    assert_eq!(jwt.issuers[0].issuer, "https://shop-issuer-123.s3.us-east-1.amazonaws.com");
    assert_eq!(jwt.issuers[0].claims[0].name, "tenant");
    // A path parameter the URL names is mapped; the Lambda function is invoked with POST.
    let methods: Vec<&RestStep> = rest_steps(&p)
        .into_iter()
        .filter(|s| matches!(s, RestStep::PutMethod { .. }))
        .collect();
    let RestStep::PutMethod {
        integration,
        request_parameters,
        ..
    } = methods[1]
    else {
        panic!()
    };
    assert_eq!(
        integration.request_parameters["integration.request.path.proxy"],
        "method.request.path.proxy"
    );
    assert_eq!(request_parameters.keys().collect::<Vec<_>>(), ["method.request.path.proxy"]);
    let RestStep::PutMethod { integration, auth, .. } = methods[2] else {
        panic!()
    };
    assert_eq!(
        (integration.integration_type.as_str(), integration.http_method.as_str()),
        ("AWS_PROXY", "POST")
    );
    assert!(integration.uri.ends_with("function:orders/invocations"));
    assert!(!auth.is_public());
    let RestStep::PutMethod { auth, scopes, .. } = methods[3] else {
        panic!()
    };
    assert!(auth.is_public() && scopes.is_empty());
    // Nothing of the HTTP API kinds.
    assert!(!p.steps.iter().any(|s| matches!(s, Step::Api(_) | Step::Route(_) | Step::Stage(_))));
}

#[test]
fn a_second_deploy_plans_nothing() {
    let s = stack(REST);
    let inv = deployed(&s);
    let p = plan(&s, &inv).unwrap();
    assert!(p.is_empty(), "{:?}", p.steps);
}

#[test]
fn a_scope_change_is_one_method_update_and_one_deployment() {
    let s = stack(REST);
    let inv = deployed(&s);
    let changed = stack(&REST.replacen("scopes: [orders.write]", "scopes: [orders.write, orders.admin]", 1));
    let p = plan(&changed, &inv).unwrap();
    let steps = rest_steps(&p);
    assert_eq!(steps.len(), 2, "{steps:?}");
    let RestStep::UpdateMethod { method, path, diffs, .. } = steps[0] else {
        panic!()
    };
    assert_eq!((method.as_str(), path.as_str()), ("POST", "/orders"));
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].field, "scopes");
    assert!(matches!(
        steps[1],
        RestStep::Deploy {
            why: "the API changed",
            ..
        }
    ));
    let mut inv = inv;
    simulate(&changed, &mut inv, &p);
    assert!(plan(&changed, &inv).unwrap().is_empty());
}

#[test]
fn a_run_cut_off_before_its_deployment_deploys_next_time() {
    let s = stack(REST);
    let mut inv = deployed(&s);
    let changed = stack(&REST.replace("https://example.com/health", "https://example.com/healthz"));
    let mut p = plan(&changed, &inv).unwrap();
    // The change was made, the deployment was not.
    p.steps.retain(|s| !matches!(s, Step::Rest(RestStep::Deploy { .. })));
    assert_eq!(p.steps.len(), 1);
    simulate(&changed, &mut inv, &p);
    let p = plan(&changed, &inv).unwrap();
    assert!(
        matches!(
            &rest_steps(&p)[..],
            [RestStep::Deploy {
                why: "the stage serves an earlier deployment",
                ..
            }]
        ),
        "{:?}",
        p.steps
    );
}

#[test]
fn a_route_removed_takes_the_resources_only_it_needed_deepest_first() {
    let s = stack(REST);
    let inv = deployed(&s);
    let without = stack(&REST.replace(
        "  - route: ANY /items/{id}/parts/{proxy+}\n    scopes: [items.read]\n    integration: {http: \"https://example.com/parts/{proxy}\"}\n",
        "",
    ));
    let p = plan(&without, &inv).unwrap();
    let lines = signed_lines(&p);
    assert_eq!(
        lines,
        [
            "- apigw_rest_resource /items/{id}/parts/{proxy+}",
            "- apigw_rest_resource /items/{id}/parts",
            "+ apigw_rest_deployment stage live"
        ]
    );
}

#[test]
fn a_trusted_issuer_changes_the_authorizer_whole_and_its_keys_the_algorithms() {
    let s = stack(REST);
    let mut inv = deployed(&s);
    let trusting = stack(&format!(
        "{REST}trust:\n  - issuer: https://login.example.com/\n    audience: [shop]\n"
    ));
    // Unread (or unreadable), the issuer is refused before any change.
    assert!(matches!(plan(&trusting, &inv), Err(Conflict::TrustedIssuerUnreadable { .. })));
    inv.rest.trusted = vec![TrustedKeys {
        issuer: "https://login.example.com/".into(),
        algorithms: Err("the discovery document answered 404".into()),
    }];
    let e = plan(&trusting, &inv).unwrap_err().to_string();
    assert!(e.contains("404") && e.contains("jwtstack check"), "{e}");
    inv.rest.trusted[0].algorithms = Ok(vec!["ES256".into()]);
    let p = plan(&trusting, &inv).unwrap();
    let steps = rest_steps(&p);
    let RestStep::UpdateAuthorizer { after, .. } = steps[0] else {
        panic!("{steps:?}")
    };
    assert_eq!(after.algorithms, ["RS256", "ES256"]);
    assert_eq!(after.issuers.len(), 2);
    assert!(matches!(steps[1], RestStep::Deploy { .. }));
    assert_eq!(steps.len(), 2);
}

#[test]
fn teardown_deletes_the_api_whole_and_the_permission() {
    let s = stack(REST);
    let inv = deployed(&s);
    let p = plan_teardown(&s, &inv, false).unwrap();
    let lines: Vec<String> = p
        .steps
        .iter()
        .flat_map(KindStep::lines)
        .filter(|c| c.resource.starts_with("apigw") || c.resource == "lambda_permission")
        .map(|c| format!("{} {}", c.action.sign(), c.resource))
        .collect();
    assert_eq!(lines, ["- apigw_rest_api", "- lambda_permission"]);
    let mut inv = inv;
    simulate(&s, &mut inv, &p);
    assert!(inv.api.is_none() && inv.rest == RestSlice::default());
}

#[test]
fn a_stage_deployed_by_hand_is_deployed_again() {
    let s = stack(REST);
    let mut inv = deployed(&s);
    inv.rest.stage.as_mut().unwrap().description = Some("hotfix".into());
    let p = plan(&s, &inv).unwrap();
    assert!(matches!(
        &rest_steps(&p)[..],
        [RestStep::Deploy {
            why: "the stage serves a deployment the stack did not make",
            ..
        }]
    ));
}

#[test]
fn a_stack_deployed_as_one_api_type_is_not_switched_to_the_other() {
    let s = stack(REST);
    let mut inv = empty();
    inv.other_api = Some("h1".into());
    for p in [plan(&s, &inv), plan_teardown(&s, &inv, false)] {
        let e = p.unwrap_err().to_string();
        assert!(e.contains("has an HTTP API (h1") && e.contains("Nothing was changed"), "{e}");
        assert!(e.contains("api.type: http (`jwtstack teardown"), "{e}");
    }
    let s = stack(
        &REST
            .replace("type: rest", "type: http")
            .replace("require_claims: [{name: tenant, values: [acme]}]\n", ""),
    );
    inv.other_api = Some("r1".into());
    for p in [plan(&s, &inv), plan_teardown(&s, &inv, false)] {
        let e = p.unwrap_err().to_string();
        assert!(e.contains("has a REST API (r1") && e.contains("now says api.type: http"), "{e}");
    }
    // Both deployed (by a version that let the switch through): refused by teardown too, which would take the
    // function, log group, domain and permissions the other API uses; the error says how to get out.
    let s = stack(REST);
    let mut inv = deployed(&s);
    inv.other_api = Some("h1".into());
    let e = plan_teardown(&s, &inv, false).unwrap_err().to_string();
    assert!(e.contains("an API of each type already") && e.contains("jwtstack:stack tag"), "{e}");
}

#[test]
fn a_renamed_path_parameter_goes_before_its_successor_is_made() {
    let s = stack(REST);
    let mut inv = deployed(&s);
    let renamed = stack(
        &REST
            .replace("/items/{id}", "/items/{itemId}")
            .replace("items/{id}", "items/{itemId}"),
    );
    let p = plan(&renamed, &inv).unwrap();
    let lines = signed_lines(&p);
    // The old variable child of /items (and what is under it) first: CreateResource refuses a second one.
    assert_eq!(
        lines[..3],
        [
            "- apigw_rest_resource /items/{id}/parts/{proxy+}",
            "- apigw_rest_resource /items/{id}/parts",
            "- apigw_rest_resource /items/{id}",
        ]
    );
    assert_eq!(lines[3], "+ apigw_rest_resource /items/{itemId}");
    simulate(&renamed, &mut inv, &p);
    assert!(plan(&renamed, &inv).unwrap().is_empty());
}

#[test]
fn the_deployment_does_not_hang_on_the_order_of_routes() {
    let s = stack(REST);
    let inv = deployed(&s);
    let (head, routes) = REST.split_once("routes:\n").unwrap();
    let (routes, rest) = routes.split_once("  - route: GET /health").unwrap();
    let moved = format!("{head}routes:\n  - route: GET /health{rest}{routes}");
    let p = plan(&stack(&moved), &inv).unwrap();
    assert!(p.is_empty(), "{:?}", p.steps);
}

#[test]
fn an_endpoint_type_change_is_refused_not_ignored() {
    let s = stack(REST);
    let inv = deployed(&s);
    let edge = stack(&REST.replace("type: rest}", "type: rest, endpoint: edge}"));
    let e = plan(&edge, &inv).unwrap_err().to_string();
    assert!(
        e.contains("is REGIONAL") && e.contains("endpoint: edge") && e.contains("Nothing was changed"),
        "{e}"
    );
}

#[test]
fn a_rest_stages_access_log_and_throttling_follow_its_deployment_and_need_the_accounts_logging_role() {
    let s = stack(&format!(
        "{REST}access_log: {{retention_days: 7}}\nthrottling: {{rate: 50, burst: 100}}\n"
    ));
    let mut inv = empty();
    inv.rest.logging_role = Some(false);
    assert!(matches!(plan(&s, &inv), Err(Conflict::RestLogRoleMissing { .. })));
    inv.rest.logging_role = Some(true);
    let p = plan(&s, &inv).unwrap();
    let lines = signed_lines(&p);
    let deployment = lines.iter().position(|l| l.starts_with("+ apigw_rest_deployment")).unwrap();
    assert_eq!(lines[deployment + 1], "~ apigw_rest_stage live", "{lines:?}");
    simulate(&s, &mut inv, &p);
    assert!(rest_steps(&plan(&s, &inv).unwrap()).is_empty());
    // Dropped: the access log into the stack's group stops; the throttling stays, said.
    let plain = stack(REST);
    let p = plan(&plain, &inv).unwrap();
    assert!(matches!(
        &rest_steps(&p)[..],
        [RestStep::ConfigureStage {
            access_log: Some(None),
            throttling: None,
            ..
        }]
    ));
    assert!(p.notes.iter().any(|n| n.contains("throttling is not declared")), "{:?}", p.notes);
}

#[test]
fn a_private_api_is_made_with_its_resource_policy_which_a_change_of_endpoints_rewrites_and_deploys() {
    let private = |vpce: &str| {
        stack(&REST.replace(
            "api: {name: shop-api, type: rest}",
            &format!("api: {{name: shop-api, type: rest, endpoint: private, vpc_endpoints: [{vpce}]}}"),
        ))
    };
    let s = private("vpce-0123456789abcdef0");
    let mut inv = empty();
    let p = plan(&s, &inv).unwrap();
    let Some(RestStep::CreateApi { policy: Some(policy), .. }) = rest_steps(&p).first().copied() else {
        panic!("{:?}", signed_lines(&p))
    };
    assert!(
        policy.contains("vpce-0123456789abcdef0") && policy.contains("aws:SourceVpce"),
        "{policy}"
    );
    simulate(&s, &mut inv, &p);
    // As API Gateway answers it: escaped, the API's ARN in place of execute-api:/.
    inv.rest.policy = Some(
        policy
            .replace("execute-api:/*", "arn:aws:execute-api:us-east-1:123456789012:id001/*")
            .replace('"', "\\\""),
    );
    assert!(rest_steps(&plan(&s, &inv).unwrap()).is_empty());
    let moved = private("vpce-0123456789abcdef1");
    let lines = signed_lines(&plan(&moved, &inv).unwrap());
    assert_eq!(lines, ["~ apigw_rest_api id001", "+ apigw_rest_deployment stage live"]);
}

#[test]
fn an_identity_source_changed_by_hand_is_set_back_and_deployed() {
    let s = stack(REST);
    let mut inv = deployed(&s);
    inv.rest.authorizer.as_mut().unwrap().identity_source = Some("method.request.header.X-Token".into());
    let lines = signed_lines(&plan(&s, &inv).unwrap());
    assert_eq!(lines, ["~ apigw_rest_authorizer id003", "+ apigw_rest_deployment stage live"]);
}
