//! An owned API goes to AWS as one import of its definition, and the definition says what the stack means.

use super::*;

#[test]
fn an_adopted_api_is_never_imported() {
    let (s, inv) = adopted_inventory();
    let p = plan(&s, &inv).unwrap();
    assert!(p.steps.iter().any(|st| matches!(st, Step::Route(RouteStep::Create { .. }))));
    assert!(!p.steps.iter().any(|st| matches!(st, Step::Api(ApiStep::Import { .. }))));
}

#[test]
fn an_owned_api_changes_in_one_reimport_and_converges() {
    let s = stack(STACK);
    let mut inv = deployed(&s);
    let api_id = inv.api.as_ref().unwrap().id.clone();
    // Lambda integrations made by an import name the function by its invocation URI: the same integration.
    assert!(inv.integrations.iter().any(|i| i.uri.ends_with("function:w/invocations")));
    assert!(plan(&s, &inv).unwrap().is_empty(), "a no-op deploy after an import makes no write");
    // One scope, one route added, the API renamed: one call, with the plan's lines route by route.
    let changed = stack(
        &(STACK
            .replace(
                "scopes: [lists.write]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n  - route: PUT",
                "scopes: [lists.admin]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n  - route: PUT",
            )
            .replace("api: {name: grocery-api}", "api: {name: grocery-api-2}")
            + "  - route: DELETE /lists/{id}\n    scopes: [lists.write]\n    integration: {lambda: \"arn:aws:lambda:us-east-1:123456789012:function:w\"}\n"),
    );
    let p = plan(&changed, &inv).unwrap();
    let imports: Vec<&Step> = p.steps.iter().filter(|s| matches!(s, Step::Api(ApiStep::Import { .. }))).collect();
    let [
        Step::Api(ApiStep::Import {
            id, changes, definition, ..
        }),
    ] = &imports[..]
    else {
        panic!("{:#?}", p.steps)
    };
    assert_eq!(id.as_deref(), Some(api_id.as_str()));
    let text: Vec<String> = changes
        .iter()
        .flat_map(KindStep::lines)
        .map(|c| format!("{} {}", c.resource, c.name))
        .collect();
    assert_eq!(
        text,
        ["apigw_api id001", "apigw_route POST /lists", "apigw_route DELETE /lists/{id}"]
    );
    assert!(definition.contains("lists.admin"));
    simulate(&changed, &mut inv, &p);
    assert!(plan(&changed, &inv).unwrap().is_empty());
    assert_eq!(inv.api.as_ref().unwrap().id, api_id, "a reimport keeps the API");
    // Stage and permissions are not the import's: they stay separate steps, and survive it.
    assert!(inv.stage.is_some());
    assert!(!inv.permissions.statements.is_empty());
}

#[test]
fn the_definition_says_what_the_stack_means() {
    let s = stack(&format!(
        "{STACK}  - route: $default\n    scopes: []\n    integration: {{http: \"https://example.com\"}}\n  - route: ANY /admin/{{id}}\n    scopes: [admin]\n    integration: {{http: \"https://example.com/admin\"}}\n"
    ));
    let doc = openapi::definition(&s, &s.routes, "eu-west-1");
    assert_eq!(doc["openapi"], "3.0.1");
    assert_eq!(doc["info"]["title"], "grocery-api");
    assert_eq!(doc["tags"][0]["x-amazon-apigateway-tag-value"], "grocery");
    let auth = &doc["components"]["securitySchemes"]["grocery-jwt"]["x-amazon-apigateway-authorizer"];
    assert_eq!(auth["type"], "jwt");
    assert_eq!(auth["identitySource"], "$request.header.Authorization");
    assert_eq!(
        auth["jwtConfiguration"]["issuer"],
        "https://grocery-issuer-123.s3.eu-west-1.amazonaws.com"
    );
    assert_eq!(auth["jwtConfiguration"]["audience"][0], "grocery-api");
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 4, "{paths:#?}");
    assert_eq!(paths["/lists"]["get"]["security"][0]["grocery-jwt"][0], "lists.read");
    assert_eq!(paths["/lists"]["post"]["security"][0]["grocery-jwt"][0], "lists.write");
    // The default route as AWS documents it: the path `/$default`, any method, `isDefaultRoute`.
    let default = &paths["/$default"]["x-amazon-apigateway-any-method"];
    assert_eq!(default["isDefaultRoute"], true);
    assert_eq!(default["security"][0]["grocery-jwt"], serde_json::json!([]));
    assert!(!paths.contains_key("$default"), "a path must start with /: {paths:#?}");
    assert_eq!(
        paths["/admin/{id}"]["x-amazon-apigateway-any-method"]["parameters"][0]["name"],
        "id"
    );
    assert_eq!(paths["/lists/{proxy+}"]["get"]["parameters"][0]["name"], "proxy+");
    // Equal integrations are one definition, referenced by each route: POST and PUT /lists share the Lambda.
    let integrations = doc["components"]["x-amazon-apigateway-integrations"].as_object().unwrap();
    assert_eq!(integrations.len(), 5);
    let post = &paths["/lists"]["post"]["x-amazon-apigateway-integration"]["$ref"];
    assert_eq!(post, &paths["/lists"]["put"]["x-amazon-apigateway-integration"]["$ref"]);
    let lambda = &integrations[post.as_str().unwrap().rsplit('/').next().unwrap()];
    assert_eq!(lambda["type"], "aws_proxy");
    assert_eq!(
        lambda["uri"],
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:w/invocations"
    );
    assert_eq!(lambda["payloadFormatVersion"], "2.0");
    let admin = &paths["/admin/{id}"]["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]["$ref"];
    let admin = &integrations[admin.as_str().unwrap().rsplit('/').next().unwrap()];
    assert_eq!(
        (admin["type"].as_str(), admin["httpMethod"].as_str()),
        (Some("http_proxy"), Some("ANY"))
    );
    // The same stack gives the same bytes.
    assert_eq!(
        openapi::definition_text(&s, &s.routes, "eu-west-1"),
        openapi::definition_text(&s, &s.routes, "eu-west-1")
    );
}

#[test]
fn settings_set_by_hand_on_an_owned_api_are_drift_that_a_reimport_puts_back() {
    let s = stack(STACK);
    let mut inv = deployed(&s);
    for i in &mut inv.integrations {
        i.settings
            .request_parameters
            .insert("overwrite:header.x-user-id".into(), "admin".into());
        i.settings.timeout_ms = Some(50);
    }
    inv.other_authorizers.push(OtherAuthorizer {
        id: "auth-2".into(),
        name: "other".into(),
        kind: "JWT".into(),
        issuer: Some("https://evil.example".into()),
    });
    inv.api.as_mut().unwrap().execute_api_disabled = true;
    let p = plan(&s, &inv).unwrap();
    let text = lines(&p).join("\n");
    assert!(
        text.contains("request_parameters: overwrite:header.x-user-id=admin -> none"),
        "{text}"
    );
    assert!(text.contains("timeout_in_millis: 50 -> 30000"), "{text}");
    assert!(text.contains("- apigw_authorizer other (not declared by the stack)"), "{text}");
    assert!(text.contains("disable_execute_api_endpoint: true -> false"), "{text}");
    // The integrations and the authorizer are one reimport, whose definition says the timeout it resets; the
    // endpoint is one UpdateApi beside it.
    assert_eq!(
        p.steps.iter().filter(|st| matches!(st, Step::Api(ApiStep::Import { .. }))).count(),
        1
    );
    assert!(
        p.steps
            .iter()
            .any(|st| matches!(st, Step::Api(ApiStep::EnableExecuteApiEndpoint { .. })))
    );
    let doc = openapi::definition(&s, &s.routes, "us-east-1");
    assert!(doc.get("servers").is_none(), "a server without url is an import warning");
    for i in doc["components"]["x-amazon-apigateway-integrations"].as_object().unwrap().values() {
        assert_eq!(i["timeoutInMillis"], DEFAULT_TIMEOUT_MS);
    }
    simulate(&s, &mut inv, &p);
    assert!(plan(&s, &inv).unwrap().is_empty(), "{:?}", lines(&plan(&s, &inv).unwrap()));
    // AWS's default timeout, said or not, is no drift.
    inv.integrations[0].settings.timeout_ms = None;
    assert!(plan(&s, &inv).unwrap().is_empty());
}
