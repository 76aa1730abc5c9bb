//! A REST API the stack adopts (`api.id`): what it adds beside the API's own, what it refuses to take over, when
//! it deploys the API's stage, and teardown of what it made alone.

use super::rest::{rest_steps, signed_lines};
use super::*;

const REST: &str = super::rest::REST;

/// An existing REST API the stack adopts: a public `GET /` and `GET /legacy` of its own, deployed to `prod`.
fn adopted() -> (Stack, Inventory) {
    let text = REST.replace("api: {name: shop-api, type: rest}", "api: {id: adopt1, type: rest, stage: prod}");
    let s = stack(&text);
    let mut inv = empty();
    inv.api = Some(ApiInfo {
        id: "adopt1".into(),
        name: "legacy-shop".into(),
        endpoint: crate::names::rest_invoke_url("adopt1", "us-east-1", "prod"),
        owned: false,
        cors: None,
        execute_api_disabled: false,
    });
    let theirs = |path: &str, id: &str| ResourceInfo {
        id: id.into(),
        path: path.into(),
        methods: [(
            "GET".to_string(),
            MethodInfo {
                integration: Some(RestIntegration {
                    integration_type: IntegrationType::HttpProxy,
                    http_method: "GET".into(),
                    uri: "https://legacy.example.com/".into(),
                    request_parameters: Default::default(),
                }),
                ..MethodInfo::default()
            },
        )]
        .into(),
    };
    inv.rest.resources = vec![theirs("/", "root0"), theirs("/legacy", "leg0")];
    inv.rest.endpoint = Some("REGIONAL".into());
    inv.rest.deployments = vec![DeploymentInfo {
        id: "dep0".into(),
        description: Some("release 7".into()),
        created: Some(100),
    }];
    inv.rest.stage = Some(RestStageInfo {
        deployment_id: "dep0".into(),
        description: Some("release 7".into()),
        created: Some(100),
        owned: false,
        ..RestStageInfo::default()
    });
    (s, inv)
}

#[test]
fn an_adopted_api_gets_the_stacks_resources_recorded_before_they_are_made_and_one_deployment() {
    let (s, mut inv) = adopted();
    let p = plan(&s, &inv).unwrap();
    let lines = signed_lines(&p);
    assert!(!lines.iter().any(|l| l.contains("apigw_rest_api ")), "{lines:?}");
    let record = lines.iter().position(|l| l.starts_with("~ apigw_rest_resource_record")).unwrap();
    let first_resource = lines.iter().position(|l| l.starts_with("+ apigw_rest_resource ")).unwrap();
    assert!(record < first_resource, "{lines:?}");
    assert_eq!(lines.last().unwrap(), "+ apigw_rest_deployment stage prod");
    let steps = rest_steps(&p);
    let RestStep::Record { record, .. } = steps.iter().find(|s| matches!(s, RestStep::Record { .. })).unwrap() else {
        unreachable!()
    };
    assert_eq!(record.api, "adopt1");
    assert_eq!(
        record.paths,
        [
            "/health",
            "/items",
            "/items/{id}",
            "/items/{id}/parts",
            "/items/{id}/parts/{proxy+}",
            "/orders"
        ]
    );
    assert!(matches!(steps.last(), Some(RestStep::Deploy { tag_stage: false, .. })));
    // Nothing of the API's own is touched.
    assert!(
        !steps
            .iter()
            .any(|s| matches!(s, RestStep::DeleteMethod { .. } | RestStep::DeleteResource { .. }))
    );
    simulate(&s, &mut inv, &p);
    let again = plan(&s, &inv).unwrap();
    assert!(rest_steps(&again).is_empty(), "{:?}", signed_lines(&again));
}

#[test]
fn a_route_whose_method_the_adopted_api_has_already_is_refused() {
    let (s, mut inv) = adopted();
    inv.rest.resources.push(ResourceInfo {
        id: "h0".into(),
        path: "/health".into(),
        methods: [("GET".to_string(), MethodInfo::default())].into(),
    });
    let err = plan(&s, &inv).unwrap_err();
    assert!(
        matches!(&err, Conflict::UnmanagedRoute { key, .. } if key == "GET /health"),
        "{err}"
    );
}

#[test]
fn a_later_deployment_by_the_apis_own_pipeline_is_not_deployed_over_an_earlier_one_is() {
    let (s, mut inv) = adopted();
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let ours = inv.rest.stage.clone().unwrap();
    // The API's pipeline deploys after the stack: its deployment holds the stack's methods as they are.
    let later = ours.created.unwrap() + 60;
    inv.rest.deployments.push(DeploymentInfo {
        id: "dep9".into(),
        description: Some("release 8".into()),
        created: Some(later),
    });
    inv.rest.stage = Some(RestStageInfo {
        deployment_id: "dep9".into(),
        description: Some("release 8".into()),
        created: Some(later),
        owned: false,
        ..RestStageInfo::default()
    });
    assert!(rest_steps(&plan(&s, &inv).unwrap()).is_empty());
    // The stage rolled back to a deployment from before the stack's: deployed again.
    inv.rest.stage = Some(RestStageInfo {
        deployment_id: "dep0".into(),
        description: Some("release 7".into()),
        created: Some(100),
        owned: false,
        ..RestStageInfo::default()
    });
    assert!(matches!(
        &rest_steps(&plan(&s, &inv).unwrap())[..],
        [RestStep::Deploy {
            why: "the stage serves a deployment the stack did not make",
            ..
        }]
    ));
}

#[test]
fn teardown_of_an_adopted_api_removes_what_the_stack_made_and_deploys_the_stage_without_it() {
    let (s, mut inv) = adopted();
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    // Someone added a method of their own under a resource the stack made: that resource and its parent stay.
    let at = inv.rest.resources.iter().position(|r| r.path == "/items/{id}").unwrap();
    inv.rest.resources[at].methods.insert("DELETE".into(), MethodInfo::default());
    let t = plan_teardown(&s, &inv, false).unwrap();
    let lines = signed_lines(&t);
    assert_eq!(
        lines,
        [
            "- apigw_rest_resource /items/{id}/parts/{proxy+}",
            "- apigw_rest_resource /items/{id}/parts",
            "- apigw_rest_method GET /items/{id}",
            "- apigw_rest_resource /health",
            "- apigw_rest_resource /orders",
            "- apigw_rest_resource_record /jwtstack/shop/rest-resources",
            "+ apigw_rest_deployment stage prod",
            "- apigw_rest_authorizer shop-jwt (id001)",
        ],
        "{lines:?}"
    );
    assert!(t.notes.iter().any(|n| n.contains("/items, /items/{id}")), "{:?}", t.notes);
    simulate(&s, &mut inv, &t);
    let paths: Vec<&str> = inv.rest.resources.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/", "/legacy", "/items", "/items/{id}"]);
    assert!(inv.rest.resources[3].methods.keys().eq(["DELETE"]));
}

#[test]
fn a_stage_the_stack_created_in_an_adopted_api_is_tagged_and_goes_at_teardown() {
    let (s, mut inv) = adopted();
    inv.rest.stage = None;
    let p = plan(&s, &inv).unwrap();
    assert!(matches!(rest_steps(&p).last(), Some(RestStep::Deploy { tag_stage: true, .. })));
    simulate(&s, &mut inv, &p);
    assert!(inv.rest.stage.as_ref().unwrap().owned);
    let t = plan_teardown(&s, &inv, false).unwrap();
    let lines = signed_lines(&t);
    assert!(lines.contains(&"- apigw_rest_stage prod".to_string()), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("deployment")), "{lines:?}");
}

#[test]
fn what_an_adopted_api_holds_that_the_stack_would_take_over_is_refused() {
    let (s, inv) = adopted();
    // The API's own `ANY /health` beside the stack's `GET /health`: either would take the other's requests.
    let mut any = inv.clone();
    any.rest.resources.push(ResourceInfo {
        id: "h0".into(),
        path: "/health".into(),
        methods: [("ANY".to_string(), MethodInfo::default())].into(),
    });
    assert!(matches!(plan(&s, &any), Err(Conflict::UnmanagedRoute { key, .. }) if key == "GET /health"));
    // The API's own `/items/{itemId}`: the stack's `/items/{id}` would be a second variable child.
    let mut sibling = inv.clone();
    for (path, id) in [("/items", "i0"), ("/items/{itemId}", "i1")] {
        sibling.rest.resources.push(ResourceInfo {
            id: id.into(),
            path: path.into(),
            methods: Default::default(),
        });
    }
    let err = plan(&s, &sibling).unwrap_err();
    assert!(
        matches!(&err, Conflict::RestVariableSibling { path, existing, .. } if path == "/items/{id}" && existing == "/items/{itemId}"),
        "{err}"
    );
    // An authorizer of the stack's name that is not a JWT one is not the stack's.
    let mut named = inv;
    named.rest.authorizer = Some(RestAuthorizerInfo {
        id: "theirs1".into(),
        jwt: None,
        identity_source: Some("method.request.header.X-Token".into()),
    });
    assert!(matches!(plan(&s, &named), Err(Conflict::RestAuthorizerTaken { .. })));
}

#[test]
fn a_method_of_the_apis_own_using_the_stacks_authorizer_stays_and_keeps_it() {
    let (s, mut inv) = adopted();
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let authorizer = inv.rest.authorizer.as_ref().unwrap().id.clone();
    let legacy = inv.rest.resources.iter_mut().find(|r| r.path == "/legacy").unwrap();
    let get = legacy.methods.get_mut("GET").unwrap();
    get.authorization_type = AuthorizationType::Jwt;
    get.authorizer_id = Some(authorizer);
    assert!(rest_steps(&plan(&s, &inv).unwrap()).is_empty(), "a deploy leaves it alone");
    let t = plan_teardown(&s, &inv, false).unwrap();
    let lines = signed_lines(&t);
    assert!(
        !lines.iter().any(|l| l.contains("/legacy") || l.contains("apigw_rest_authorizer")),
        "{lines:?}"
    );
    assert!(t.notes.iter().any(|n| n.contains("GET /legacy")), "{:?}", t.notes);
}

/// Plays the plan up to its deployment, as a run killed there leaves AWS.
fn cut_off_before_the_deployment(s: &Stack, inv: &mut Inventory, p: &Plan) {
    let cut = p
        .steps
        .iter()
        .position(|s| matches!(s, Step::Rest(RestStep::Deploy { .. })))
        .unwrap();
    let mut partial = p.clone();
    partial.steps.truncate(cut);
    simulate(s, inv, &partial);
}

#[test]
fn a_teardown_cut_off_before_its_deployment_deploys_on_the_next_run() {
    let (s, mut inv) = adopted();
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let t = plan_teardown(&s, &inv, false).unwrap();
    cut_off_before_the_deployment(&s, &mut inv, &t);
    let again = plan_teardown(&s, &inv, false).unwrap();
    let lines = signed_lines(&again);
    assert_eq!(
        lines,
        ["+ apigw_rest_deployment stage prod", "- apigw_rest_authorizer shop-jwt (id001)"]
    );
    simulate(&s, &mut inv, &again);
    assert!(rest_steps(&plan_teardown(&s, &inv, false).unwrap()).is_empty());
}

#[test]
fn a_deploy_cut_off_before_its_deployment_after_a_change_back_deploys_on_the_next_run() {
    let (s, mut inv) = adopted();
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let other = stack(
        &REST
            .replace("api: {name: shop-api, type: rest}", "api: {id: adopt1, type: rest, stage: prod}")
            .replace("orders.write", "orders.admin"),
    );
    let p = plan(&other, &inv).unwrap();
    simulate(&other, &mut inv, &p);
    // Back to the first declaration, cut off before the deployment: the stage serves the other one.
    let back = plan(&s, &inv).unwrap();
    cut_off_before_the_deployment(&s, &mut inv, &back);
    assert!(matches!(
        &rest_steps(&plan(&s, &inv).unwrap())[..],
        [RestStep::Deploy {
            why: "the stage serves an earlier deployment",
            ..
        }]
    ));
}

#[test]
fn a_domain_on_an_adopted_private_api_is_refused_before_any_change() {
    let (s, mut inv) = adopted();
    inv.rest.endpoint = Some("PRIVATE".into());
    let text = REST.replace("api: {name: shop-api, type: rest}", "api: {id: adopt1, type: rest, stage: prod}")
        + "domain: {name: api.example.com, certificate_arn: \"arn:aws:acm:us-east-1:123456789012:certificate/x\"}\n";
    assert!(plan(&s, &inv).is_ok(), "without a domain it deploys");
    let err = plan(&stack(&text), &inv).unwrap_err();
    assert!(matches!(&err, Conflict::RestPrivateDomain { .. }), "{err}");
}

#[test]
fn an_adopted_apis_token_endpoint_is_one_more_method_of_the_stacks_planned_whole() {
    let (_, inv) = adopted();
    let s = stack(&format!(
        "{}token_endpoint: {{path: /oauth2/token}}\n",
        REST.replace("api: {name: shop-api, type: rest}", "api: {id: adopt1, type: rest, stage: prod}")
    ));
    let inv = Inventory {
        account: Some("123456789012".into()),
        ..inv
    };
    let p = plan(&s, &inv).unwrap();
    let lines = signed_lines(&p);
    for wanted in ["+ apigw_rest_resource /oauth2", "+ apigw_rest_method POST /oauth2/token"] {
        assert!(lines.iter().any(|l| l == wanted), "{wanted}: {lines:?}");
    }
    // The API's address is known: no second part for the discovery document.
    assert!(
        p.barrier.as_ref().is_none_or(|b| !b.why.contains("token endpoint")),
        "{:?}",
        p.barrier
    );
    let text = super::lines(&p).join("\n");
    assert!(text.contains("+ lambda_function jwtstack-shop-token"), "{text}");
    let mut inv = inv;
    simulate(&s, &mut inv, &p);
    assert!(plan(&s, &inv).unwrap().is_empty());
}
