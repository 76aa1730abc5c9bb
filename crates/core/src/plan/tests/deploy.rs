//! The planner on a whole stack: the first deploy, what one change makes, what teardown removes.

use super::*;

#[test]
fn create_from_empty_in_dependency_order() {
    let s = stack(STACK);
    let p = plan(&s, &empty()).unwrap();
    let kinds: Vec<&str> = p.steps.iter().flat_map(KindStep::lines).map(|c| c.resource).collect();
    assert_eq!(
        kinds,
        [
            "ssm_parameter",
            "s3_bucket",
            "s3_public_access_block",
            "s3_bucket_policy",
            "s3_object",
            "s3_object",
            "jwks_key",
            "signing_key",
            "apigw_api",
            "apigw_authorizer",
            "apigw_integration",
            "apigw_integration",
            "apigw_integration",
            "apigw_route",
            "apigw_route",
            "apigw_route",
            "apigw_route",
            "apigw_stage",
            "lambda_permission",
        ]
    );
    // The API, its authorizer, integrations and routes are one ImportApi, after the documents.
    let imports: Vec<usize> = (0..p.steps.len())
        .filter(|&i| matches!(p.steps[i], Step::Api(ApiStep::Import { id: None, .. })))
        .collect();
    assert_eq!(imports.len(), 1);
    assert!(
        p.steps[..imports[0]]
            .iter()
            .any(|s| matches!(s, Step::Document(DocumentStep::Put { .. })))
    );
    assert!(matches!(p.steps[imports[0] + 1], Step::Stage(StageStep::Create { .. })));
    assert!(!p.steps.iter().any(|s| matches!(
        s,
        Step::Route(RouteStep::Create { .. }) | Step::Authorizer(AuthorizerStep::Create { .. })
    )));
    // Two lambda routes on one function share one integration and one permission.
    let Step::Api(ApiStep::Import { changes, .. }) = &p.steps[imports[0]] else {
        unreachable!()
    };
    assert_eq!(
        changes
            .iter()
            .filter(|s| matches!(s, Step::Integration(IntegrationStep::Create { .. })))
            .count(),
        3
    );
    // 16 plan lines, plus the key lines: the key published and the signing key set.
    assert_eq!(p.to_json().summary.create, 19);
}

#[test]
fn planning_after_apply_makes_no_changes() {
    let s = stack(STACK);
    let inv = deployed(&s);
    let again = plan(&s, &inv).unwrap();
    assert!(again.is_empty(), "{:#?}", again.steps);
    assert_eq!(
        lines(&again).last().unwrap(),
        "No changes: AWS matches the stack `grocery` in us-east-1."
    );
}

#[test]
fn one_scope_changed_is_exactly_one_update() {
    let s = stack(STACK);
    let inv = deployed(&s);
    let changed = stack(&STACK.replacen(
        "scopes: [lists.read]\n    integration: {http: \"https://example.com/lists\"}",
        "scopes: [lists.read, lists.admin]\n    integration: {http: \"https://example.com/lists\"}",
        1,
    ));
    let p = plan(&changed, &inv).unwrap();
    let out = lines(&p);
    // The discovery document lists the scopes, so it changes too.
    assert_eq!(
        out,
        [
            "  ~ s3_object s3://grocery-issuer-123/.well-known/openid-configuration",
            "      scopes_supported: [\"lists.read\",\"lists.write\"] -> [\"lists.admin\",\"lists.read\",\"lists.write\"]",
            "  ~ apigw_route GET /lists",
            "      scopes: [lists.read] -> [lists.read, lists.admin]",
            "Plan for `grocery` in us-east-1: 0 to create, 2 to update, 0 to delete.",
        ]
    );
}

#[test]
fn one_route_removed_deletes_it_and_its_unused_integration() {
    let s = stack(STACK);
    let inv = deployed(&s);
    let fewer = stack(&STACK.replace(
        "  - route: GET /lists\n    scopes: [lists.read]\n    integration: {http: \"https://example.com/lists\"}\n",
        "",
    ));
    let p = plan(&fewer, &inv).unwrap();
    let changes: Vec<String> = p
        .steps
        .iter()
        .flat_map(KindStep::lines)
        .map(|c| format!("{:?} {} {}", c.action, c.resource, c.name))
        .collect();
    assert_eq!(
        changes,
        [
            "Delete apigw_route GET /lists",
            "Delete apigw_integration HTTP_PROXY GET https://example.com/lists"
        ]
    );
    let mut after = inv.clone();
    simulate(&fewer, &mut after, &p);
    assert!(plan(&fewer, &after).unwrap().is_empty());
}

#[test]
fn integration_target_change_creates_then_repoints_then_deletes() {
    let s = stack(STACK);
    let inv = deployed(&s);
    let moved = stack(&STACK.replace("http: \"https://example.com/lists\"}", "http: \"https://other.example.com/lists\"}"));
    let p = plan(&moved, &inv).unwrap();
    let changes: Vec<String> = p
        .steps
        .iter()
        .flat_map(KindStep::lines)
        .map(|c| format!("{:?} {}", c.action, c.resource))
        .collect();
    assert_eq!(
        changes,
        ["Create apigw_integration", "Update apigw_route", "Delete apigw_integration"]
    );
    // One call for the three: a reimport of the whole API.
    assert!(matches!(&p.steps[..], [Step::Api(ApiStep::Import { id: Some(_), changes, .. })] if changes.len() == 3));
}

#[test]
fn bucket_policy_statements_of_others_are_kept() {
    let s = stack(STACK);
    let mut inv = empty();
    let other = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Theirs","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::grocery-issuer-123/*"}]}"#;
    inv.bucket.found = Some(BucketInfo {
        owned: false,
        policy: Some(other.into()),
        public_access_block: None,
        has_other_objects: true,
        ..Default::default()
    });
    let p = plan(&s, &inv).unwrap();
    let policy = p.steps.iter().find_map(|st| match st {
        Step::Bucket(BucketStep::PutPolicy { policy, .. }) => Some(policy.clone()),
        _ => None,
    });
    let v: serde_json::Value = serde_json::from_str(&policy.unwrap()).unwrap();
    let sids: Vec<&str> = v["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["Theirs", "jwtstack-grocery-public-well-known"]);
    assert_eq!(v["Statement"][1]["Resource"], "arn:aws:s3:::grocery-issuer-123/.well-known/*");
    simulate(&s, &mut inv, &p);
    // Teardown removes only our statement, keeps the bucket (not ours) and its other objects.
    let down = plan_teardown(&s, &inv, false).unwrap();
    let put = down.steps.iter().find_map(|st| match st {
        Step::Bucket(BucketStep::PutPolicy { policy, .. }) => Some(policy.clone()),
        _ => None,
    });
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&put.unwrap()).unwrap(),
        serde_json::from_str::<serde_json::Value>(other).unwrap()
    );
    assert!(!down.steps.iter().any(|st| matches!(st, Step::Bucket(BucketStep::Delete { .. }))));
}

#[test]
fn private_bucket_gets_no_policy_and_teardown_of_owned_api_is_one_delete() {
    let s = stack(&STACK.replace(
        "issuer: {bucket: grocery-issuer-123}",
        "issuer: {bucket: grocery-issuer-123, public: false}",
    ));
    let p = plan(&s, &empty()).unwrap();
    assert!(!p.steps.iter().any(|st| matches!(
        st,
        Step::Bucket(BucketStep::PutPolicy { .. }) | Step::Bucket(BucketStep::PutPublicAccessBlock { .. })
    )));
    let inv = deployed(&s);
    let down = plan_teardown(&s, &inv, false).unwrap();
    let deletes: Vec<&str> = down.steps.iter().map(|st| st.lines()[0].resource).collect();
    assert_eq!(
        deletes,
        [
            "apigw_api",
            "lambda_permission",
            "s3_object",
            "s3_object",
            "s3_bucket",
            "ssm_parameter",
            "ssm_parameter",
            "ssm_parameter",
        ]
    );
    let kept = plan_teardown(&s, &inv, true).unwrap();
    assert!(!kept.steps.iter().any(|st| matches!(st, Step::Key(KeyStep::Delete { .. }))));
    assert!(kept.notes.iter().any(|n| n.contains("--keep-keys")));
}

#[test]
fn teardown_of_nothing_is_empty() {
    assert!(plan_teardown(&stack(STACK), &empty(), false).unwrap().is_empty());
}

#[test]
fn authorizer_drift_is_repaired() {
    let s = stack(STACK);
    let mut inv = deployed(&s);
    inv.authorizer.as_mut().unwrap().issuer = "https://grocery-issuer-123.s3.us-east-1.amazonaws.com/".into();
    let p = plan(&s, &inv).unwrap();
    assert_eq!(
        lines(&p)[..2],
        [
            "  ~ apigw_authorizer grocery-jwt",
            "      issuer: https://grocery-issuer-123.s3.us-east-1.amazonaws.com/ -> https://grocery-issuer-123.s3.us-east-1.amazonaws.com"
        ]
    );
}

#[test]
fn plan_json_is_stable() {
    let s = stack(STACK);
    let inv = deployed(&s);
    let changed = stack(&STACK.replace(
        "scopes: [lists.write]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n  - route: PUT",
        "scopes: [lists.admin]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n  - route: PUT",
    ));
    let json = serde_json::to_value(plan(&changed, &inv).unwrap().to_json()).unwrap();
    let changes = json["changes"].as_array().unwrap();
    let route = changes.iter().find(|c| c["resource"] == "apigw_route").unwrap();
    assert_eq!(
        route,
        &serde_json::json!({"action": "update", "resource": "apigw_route", "name": "POST /lists",
            "diffs": [{"field": "scopes", "before": "[lists.write]", "after": "[lists.admin]"}]})
    );
    assert_eq!(json["summary"], serde_json::json!({"create": 0, "update": 2, "delete": 0}));
}

#[test]
fn first_deploy_plan_snapshots() {
    let s = stack(STACK);
    let p = plan(&s, &empty()).unwrap();
    insta::assert_snapshot!("first_deploy_text", render_text(&p, false));
    insta::assert_json_snapshot!("first_deploy_json", p.to_json());
    insta::assert_snapshot!("first_deploy_markdown", render_markdown(&p));
    let inv = deployed(&s);
    insta::assert_snapshot!("teardown_text", render_text(&plan_teardown(&s, &inv, false).unwrap(), false));
}

#[test]
fn a_bucket_created_but_not_tagged_is_still_the_stacks() {
    // Regression guard: a run killed between CreateBucket and the tag left an untagged bucket.
    let s = stack(STACK);
    let mut inv = deployed(&s);
    inv.bucket.found.as_mut().unwrap().owned = false;
    let p = plan(&s, &inv).unwrap();
    assert_eq!(
        lines(&p)[..2],
        ["  ~ s3_bucket grocery-issuer-123", "      tag: none -> jwtstack:stack"]
    );
    let down = plan_teardown(&s, &inv, false).unwrap();
    assert!(down.steps.iter().any(|st| matches!(st, Step::Bucket(BucketStep::Delete { .. }))));
    // Without the marker, an untagged bucket is someone else's and stays.
    inv.bucket.marker = None;
    let down = plan_teardown(&s, &inv, false).unwrap();
    assert!(!down.steps.iter().any(|st| matches!(st, Step::Bucket(BucketStep::Delete { .. }))));
}
