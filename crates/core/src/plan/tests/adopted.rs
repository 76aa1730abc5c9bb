//! An adopted API (`api.id`): the stack adds its authorizer, routes and integrations, and removes only those.

use super::*;

pub(super) fn adopted_inventory() -> (Stack, Inventory) {
    let s = stack(&STACK.replace("api: {name: grocery-api}", "api: {id: abc123}"));
    let mut inv = empty();
    inv.api = Some(ApiInfo {
        id: "abc123".into(),
        name: "theirs".into(),
        endpoint: "https://e".into(),
        owned: false,
        cors: None,
        execute_api_disabled: true,
    });
    inv.integrations.push(IntegrationInfo {
        id: "int-theirs".into(),
        integration_type: "HTTP_PROXY".into(),
        uri: "https://theirs".into(),
        method: Some("GET".into()),
        payload_format_version: Some("1.0".into()),
        owned: false,
        settings: IntegrationSettings {
            timeout_ms: Some(50),
            ..Default::default()
        },
    });
    inv.routes.push(RouteInfo {
        id: "r-theirs".into(),
        key: "GET /health".into(),
        authorization_type: AuthorizationType::None,
        authorizer_id: None,
        scopes: vec![],
        target: Some("integrations/int-theirs".into()),
        operation_name: None,
    });
    inv.stage = Some(StageInfo {
        auto_deploy: true,
        owned: false,
        ..Default::default()
    });
    (s, inv)
}

#[test]
fn adopted_api_keeps_unmanaged_routes_and_integrations() {
    let (s, mut inv) = adopted_inventory();
    let p = plan(&s, &inv).unwrap();
    assert!(
        !p.steps.iter().any(|st| matches!(
            st,
            Step::Api(ApiStep::Create { .. })
                | Step::Stage(StageStep::Create { .. })
                | Step::Route(RouteStep::Delete { .. })
                | Step::Integration(IntegrationStep::Delete { .. })
        )),
        "{:#?}",
        p.steps
    );
    simulate(&s, &mut inv, &p);
    assert!(plan(&s, &inv).unwrap().is_empty());
    let down = plan_teardown(&s, &inv, false).unwrap();
    assert!(
        !down
            .steps
            .iter()
            .any(|st| matches!(st, Step::Api(ApiStep::Delete { .. }) | Step::Stage(StageStep::Delete { .. })))
    );
    assert!(
        !down
            .steps
            .iter()
            .any(|st| matches!(st, Step::Route(RouteStep::Delete { key, .. }) if key == "GET /health"))
    );
    assert!(
        !down
            .steps
            .iter()
            .any(|st| matches!(st, Step::Integration(IntegrationStep::Delete { id, .. }) if id == "int-theirs"))
    );
    simulate(&s, &mut inv, &down);
    assert_eq!(inv.routes.len(), 1);
    assert_eq!(inv.integrations.len(), 1);
    assert!(inv.authorizer.is_none());
}

#[test]
fn teardown_keeps_unmanaged_routes() {
    // Regression guard: a route the stack does not own, whose key the stack does not declare, survives teardown.
    let (s, mut inv) = adopted_inventory();
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let down = plan_teardown(&s, &inv, true).unwrap();
    assert!(
        down.steps
            .iter()
            .all(|st| !matches!(st, Step::Route(RouteStep::Delete { id, .. }) if id == "r-theirs"))
    );
}

#[test]
fn route_key_taken_by_unmanaged_route_is_a_conflict() {
    let (s, mut inv) = adopted_inventory();
    inv.routes[0].key = "GET /lists".into();
    let err = plan(&s, &inv).unwrap_err();
    assert!(
        matches!(err, Conflict::UnmanagedRoute { ref key, .. } if key == "GET /lists"),
        "{err}"
    );
}
