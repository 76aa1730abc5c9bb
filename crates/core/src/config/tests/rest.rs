//! `api.type: rest`, `trust` and `require_claims`.

use super::*;

#[test]
fn a_rest_stack_trusts_more_issuers_and_requires_claims() {
    let text = with("  name: grocery-api\n", "  name: grocery-api\n  type: rest\n")
        + "require_claims:\n  - name: tenant\n    values: [acme]\n\
           trust:\n  - issuer: https://acme.eu.auth0.com/\n    audience: [https://grocery.example.com]\n    require_claims:\n      - name: org_id\n        values: [org_1]\n        required: false\n";
    let s = parse_str("stack.yaml", &text).unwrap();
    assert_eq!(s.api_type, ApiType::Rest);
    assert_eq!(
        s.endpoint,
        Some(RestEndpoint::Regional),
        "an owned REST API is regional unless it says"
    );
    assert_eq!(
        s.require_claims,
        [ClaimRule {
            name: "tenant".into(),
            required: true,
            values: vec!["acme".into()],
        }]
    );
    assert_eq!(s.trust.len(), 1);
    assert_eq!(
        s.trust[0].issuer, "https://acme.eu.auth0.com/",
        "kept byte for byte, trailing slash included"
    );
    assert!(!s.trust[0].require_claims[0].required);
    // The authorizer: the stack's issuer first, then the trusted ones.
    let cfg = crate::crypto::token::AuthorizerConfig::of_stack(&s, "https://own".into());
    let issuers: Vec<&str> = cfg.issuers.iter().map(|i| i.issuer.as_str()).collect();
    assert_eq!(issuers, ["https://own", "https://acme.eu.auth0.com/"]);
}

#[test]
fn an_http_stack_has_no_rest_fields_and_a_rest_stack_no_http_only_ones() {
    let s = parse_str("stack.yaml", VALID).unwrap();
    assert_eq!((s.api_type, s.endpoint), (ApiType::Http, None));
    let p = problems(&with("  name: grocery-api\n", "  name: grocery-api\n  endpoint: private\n"));
    assert_eq!(p, ["9:3: api.endpoint needs `api.type: rest`"]);
    let p = problems(
        &(with("  name: grocery-api\n", "  name: grocery-api\n  type: rest\n") + "cors:\n  allow_origins: [https://a.example.com]\n"),
    );
    assert_eq!(p, ["19:1: cors is not done for REST APIs yet"]);
    // The token endpoint is a REST resource too: `~`, which a plain path takes, is refused there.
    let rest = with("  name: grocery-api\n", "  name: grocery-api\n  type: rest\n");
    assert!(problems(&(rest.clone() + "token_endpoint: {path: /oauth2/token}\n")).is_empty());
    let p = problems(&(rest + "token_endpoint:\n  path: /oauth2/~token\n"));
    assert_eq!(
        p,
        ["20:9: token_endpoint.path `/oauth2/~token`: a REST API's path part takes a-z, A-Z, 0-9, `.`, `_` and `-`, not `~`"]
    );
    let p = problems(
        &(with("  name: grocery-api\n", "  id: a1b2c3d4e5\n  type: rest\n  stage: prod\n") + "throttling:\n  rate: 10\n  burst: 20\n"),
    );
    assert_eq!(p, ["20:1: throttling with an adopted REST API (api.id)"]);
    let p = problems(&with(
        "  name: grocery-api\n",
        "  name: grocery-api\n  type: rest\n  endpoint: private\n",
    ));
    assert_eq!(p, ["10:3: endpoint: private needs api.vpc_endpoints"]);
    let private = |endpoints: &str| {
        with(
            "  name: grocery-api\n",
            &format!("  name: grocery-api\n  type: rest\n  endpoint: private\n  vpc_endpoints: {endpoints}\n"),
        )
    };
    let s = parse_str("stack.yaml", &private("[vpce-0123456789abcdef0]")).unwrap();
    assert_eq!(s.vpc_endpoints, ["vpce-0123456789abcdef0"]);
    assert_eq!(problems(&private("[vpc-0123]")), ["11:19: `vpc-0123` is not a VPC endpoint id"]);
    assert_eq!(problems(&private("[]")), ["11:3: `vpc_endpoints` is an empty list"]);
    assert_eq!(
        problems(&with(
            "  name: grocery-api\n",
            "  name: grocery-api\n  type: rest\n  vpc_endpoints: [vpce-0123456789abcdef0]\n"
        )),
        ["10:3: api.vpc_endpoints without endpoint: private"]
    );
    let s = parse_str(
        "stack.yaml",
        &with("  name: grocery-api\n", "  name: grocery-api\n  type: rest\n  endpoint: edge\n"),
    )
    .unwrap();
    assert_eq!(s.endpoint, Some(RestEndpoint::Edge));
    let s = parse_str(
        "stack.yaml",
        &with("  name: grocery-api\n", "  id: a1b2c3d4e5\n  type: rest\n  stage: prod\n"),
    )
    .unwrap();
    assert_eq!(s.endpoint, None, "an adopted REST API keeps its own endpoint type");
    assert_eq!(s.rest_stage(), "prod");
    assert_eq!(
        problems(&with("  name: grocery-api\n", "  id: a1b2c3d4e5\n  type: rest\n")),
        ["8:7: an adopted REST API needs api.stage: the stage the stack's deployments go live on"]
    );
}

#[test]
fn an_adopted_rest_api_names_its_stage_which_only_it_may() {
    let adopted = |stage: &str| {
        with(
            "  name: grocery-api\n",
            &format!("  id: a1b2c3d4e5\n  type: rest\n  stage: {stage}\n"),
        )
    };
    let s = parse_str("stack.yaml", &adopted("prod_v2-eu")).unwrap();
    assert_eq!(s.rest_stage(), "prod_v2-eu");
    assert_eq!(problems(&adopted("'prod stage'")), ["10:10: `prod stage` is not a stage name"]);
    assert_eq!(
        problems(&with("  name: grocery-api\n", "  name: grocery-api\n  type: rest\n  stage: prod\n")),
        ["10:3: api.stage with api.name"]
    );
    assert_eq!(
        problems(&with("  name: grocery-api\n", "  id: a1b2c3d4e5\n  stage: prod\n")),
        ["9:3: api.stage needs `api.type: rest`"]
    );
}

#[test]
fn the_stacks_own_bucket_url_and_empty_lists_are_refused_in_trust() {
    let rest = with("  name: grocery-api\n", "  name: grocery-api\n  type: rest\n");
    let p = problems(&(rest.clone() + "trust:\n  - issuer: https://grocery-issuer-123.s3.us-east-1.amazonaws.com\n    audience: [x]\n"));
    assert_eq!(
        p,
        ["20:13: `https://grocery-issuer-123.s3.us-east-1.amazonaws.com` is the stack's own issuer"]
    );
    let p = problems(&(rest + "trust: []\nrequire_claims: []\n"));
    assert_eq!(p, ["19:1: `trust` is an empty list", "20:1: `require_claims` is an empty list"]);
}

#[test]
fn routes_a_rest_apis_resource_tree_cannot_hold_are_refused_at_their_position() {
    let rest = |routes: &str| {
        format!(
            "name: grocery\nregion: us-east-1\nissuer:\n  bucket: grocery-issuer-123\nkey_id: k1\naudience: [grocery-api]\n\
             api:\n  name: grocery-api\n  type: rest\nroutes:\n{routes}"
        )
    };
    let route = |key: &str| format!("  - route: {key}\n    integration:\n      http: https://example.com/x\n");
    let ok = rest(
        &[
            route("GET /items/{id}"),
            route("POST /items/{id}/reviews"),
            route("ANY /{proxy+}"),
            route("GET /"),
        ]
        .concat(),
    );
    assert_eq!(problems(&ok), Vec::<String>::new());
    let p = problems(&rest(
        &[
            route("$default"),
            route("GET /items/{id}"),
            route("GET /items/{itemId}/reviews"),
            route("GET /items/{proxy+}"),
        ]
        .concat(),
    ));
    assert_eq!(
        p,
        [
            "11:12: a REST API has no `$default` route",
            "17:12: `/items/{itemId}/reviews` puts {itemId} under /items beside {id} of routes[1]: a REST API resource has one variable child",
            "20:12: `/items/{proxy+}` puts {proxy+} under /items beside {id} of routes[1]: a REST API resource has one variable child",
        ]
    );
    // A literal part of other characters, and a key that does not parse (said once, not as `$default`).
    let p = problems(&rest(&[route("GET /v1:batch"), route("GET lists")].concat()));
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p[0].ends_with("`/v1:batch`: a REST API's path part takes a-z, A-Z, 0-9, `.`, `_` and `-`, not `:`"),
        "{p:?}"
    );
    assert!(!p[1].contains("$default"), "{p:?}");
    // An HTTP API takes them.
    let http =
        rest(&[route("$default"), route("GET /items/{id}"), route("GET /items/{itemId}/reviews")].concat()).replace("  type: rest\n", "");
    assert_eq!(problems(&http), Vec::<String>::new());
}
