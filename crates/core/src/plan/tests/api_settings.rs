//! The planner with the API around the authorizer: public routes, CORS, the access log, throttling and the
//! API's custom domain.

use super::*;

pub(super) const FULL: &str = r#"name: shop
region: us-east-1
issuer: {bucket: shop-issuer-123}
key_id: k1
audience: [shop-api]
api: {name: shop-api}
routes:
  - route: POST /login
    auth: none
    integration: {lambda: "arn:aws:lambda:us-east-1:123456789012:function:login"}
  - route: GET /orders/{id}
    scopes: [orders.read]
    integration: {http: "https://example.com/orders/{id}"}
cors:
  allow_origins: [https://app.example.com]
  allow_methods: [GET, POST]
  allow_headers: [authorization, content-type]
  max_age: 600
access_log: {retention_days: 30}
throttling: {rate: 100, burst: 200}
domain:
  name: api.example.com
  certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/abc
  hosted_zone_id: Z0123456789ABCDEFGHIJ
"#;

pub(super) fn issued(inv: &mut Inventory) {
    inv.api_dns.certificate = Some(CertificateInfo {
        arn: "arn:aws:acm:us-east-1:123456789012:certificate/abc".into(),
        status: "ISSUED".into(),
        domains: vec!["*.example.com".into()],
    });
}

pub(super) fn kinds(p: &Plan) -> Vec<String> {
    p.steps
        .iter()
        .flat_map(KindStep::lines)
        .map(|c| format!("{:?} {}", c.action, c.resource))
        .collect()
}

#[test]
fn all_five_deploy_in_order_and_converge() {
    let s = stack(FULL);
    let mut inv = empty();
    issued(&mut inv);
    let p = plan(&s, &inv).unwrap();
    let k = kinds(&p);
    let at = |what: &str| k.iter().position(|x| x == what).unwrap_or_else(|| panic!("{what} in {k:#?}"));
    // The group before the stage that writes to it; the domain's mapping after the stage; the records last.
    assert!(at("Create logs_group") < at("Create apigw_stage"));
    assert!(at("Create apigw_stage") < at("Create apigw_domain"));
    assert!(at("Create apigw_domain") < at("Create apigw_api_mapping"));
    assert!(at("Create apigw_api_mapping") < at("Create route53_alias"));
    // CORS and the public route are part of the one import.
    let import = p.steps.iter().find_map(|st| match st {
        Step::Api(ApiStep::Import { definition, changes, .. }) => Some((definition.clone(), changes.clone())),
        _ => None,
    });
    let (definition, changes) = import.expect("an import");
    assert!(changes.iter().any(|c| matches!(c, Step::Api(ApiStep::UpdateCors { .. }))));
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Step::Route(RouteStep::Create { key, auth: RouteAuth::Public, .. }) if key == "POST /login"))
    );
    let doc: serde_json::Value = serde_json::from_str(&definition).unwrap();
    assert_eq!(doc["x-amazon-apigateway-cors"]["allowOrigins"][0], "https://app.example.com");
    assert_eq!(doc["x-amazon-apigateway-cors"]["maxAge"], 600);
    assert!(doc["paths"]["/login"]["post"].get("security").is_none());
    assert!(doc["paths"]["/orders/{id}"]["get"]["security"].is_array());
    match p.steps.iter().find(|st| matches!(st, Step::Stage(StageStep::Create { .. }))) {
        Some(Step::Stage(StageStep::Create { settings, .. })) => {
            assert_eq!(
                settings.access_log.as_ref().map(|a| a.group.as_str()),
                Some("/aws/vendedlogs/jwtstack/shop/access")
            );
            assert_eq!(settings.throttling, Some(crate::config::Throttling { rate: 100, burst: 200 }));
        }
        other => panic!("{other:?}"),
    }
    simulate(&s, &mut inv, &p);
    let again = plan(&s, &inv).unwrap();
    assert!(again.is_empty(), "{:#?}", again.steps);
    let login = inv.routes.iter().find(|r| r.key == "POST /login").unwrap();
    assert_eq!(login.authorization_type.as_str(), "NONE");
    assert_eq!(login.authorizer_id, None);
}

#[test]
fn changes_are_one_step_each() {
    let s = stack(FULL);
    let mut inv = empty();
    issued(&mut inv);
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let changed = stack(
        &FULL
            .replace("retention_days: 30", "retention_days: 90")
            .replace("rate: 100", "rate: 50")
            .replace("max_age: 600", "max_age: 60"),
    );
    let p = plan(&changed, &inv).unwrap();
    assert_eq!(
        kinds(&p),
        ["Update apigw_cors", "Update logs_group", "Update apigw_stage"],
        "{:#?}",
        p.steps
    );
    let text = lines(&p).join("\n");
    assert!(text.contains("rate 100 burst 200") && text.contains("rate 50 burst 200"), "{text}");
    simulate(&changed, &mut inv, &p);
    assert!(plan(&changed, &inv).unwrap().is_empty());
}

#[test]
fn removing_them_removes_what_the_stack_owns() {
    let s = stack(FULL);
    let mut inv = empty();
    issued(&mut inv);
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let bare_text = FULL[..FULL.find("cors:").unwrap()].to_string();
    let bare = stack(&bare_text);
    let p = plan(&bare, &inv).unwrap();
    let k = kinds(&p);
    for want in [
        "Delete apigw_cors",
        "Delete apigw_api_mapping",
        "Delete apigw_domain",
        "Update apigw_stage",
        "Delete logs_group",
    ] {
        assert!(k.contains(&want.to_string()), "{want} in {k:#?}");
    }
    // Without the zone in the file, the records cannot be found: said, not guessed.
    assert!(
        p.notes.iter().any(|n| n.contains("api.example.com") && n.contains("DNS record")),
        "{:#?}",
        p.notes
    );
    // API Gateway cannot unset throttling: a note, never an update that would set 0.
    assert!(p.notes.iter().any(|n| n.contains("cannot unset")), "{:#?}", p.notes);
    simulate(&bare, &mut inv, &p);
    assert!(plan(&bare, &inv).unwrap().is_empty());
    assert!(inv.log_group.found.is_none() && inv.log_group.record.is_none());
    assert!(inv.domain.found.is_empty() && inv.domain.record.is_none());
}

#[test]
fn teardown_removes_domain_records_and_group() {
    let s = stack(FULL);
    let mut inv = empty();
    issued(&mut inv);
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let down = plan_teardown(&s, &inv, false).unwrap();
    let k = kinds(&down);
    let at = |what: &str| k.iter().position(|x| x == what).unwrap_or_else(|| panic!("{what} in {k:#?}"));
    assert!(at("Delete route53_alias") < at("Delete apigw_api_mapping"));
    assert!(at("Delete apigw_api_mapping") < at("Delete apigw_domain"));
    assert!(at("Delete apigw_domain") < at("Delete apigw_api"));
    assert!(at("Delete apigw_api") < at("Delete logs_group"));
    simulate(&s, &mut inv, &down);
    assert!(inv.domain.found.is_empty() && inv.log_group.found.is_none() && inv.api_dns.records.is_empty());
}

#[test]
fn refusals_before_any_change() {
    let s = stack(FULL);
    // No certificate, or one not issued, or for another name.
    let inv = empty();
    assert!(matches!(plan(&s, &inv), Err(Conflict::ApiCertificateNotUsable { .. })));
    for (status, domains) in [("PENDING_VALIDATION", "*.example.com"), ("ISSUED", "other.example.org")] {
        let mut inv = empty();
        inv.api_dns.certificate = Some(CertificateInfo {
            arn: "x".into(),
            status: status.into(),
            domains: vec![domains.into()],
        });
        let e = plan(&s, &inv).unwrap_err();
        assert!(matches!(e, Conflict::ApiCertificateNotUsable { .. }), "{e}");
    }
    // Someone else's domain name, log group or DNS record.
    let mut inv = empty();
    issued(&mut inv);
    inv.domain.found.push(ApiDomainInfo {
        name: "api.example.com".into(),
        owned: false,
        ..Default::default()
    });
    assert!(matches!(plan(&s, &inv), Err(Conflict::ApiDomainTaken { .. })));
    let mut inv = empty();
    issued(&mut inv);
    inv.log_group.found = Some(LogGroupInfo {
        arn: "arn:aws:logs:us-east-1:1:log-group:/jwtstack/shop/access".into(),
        retention_days: None,
        owned: false,
    });
    assert!(matches!(plan(&s, &inv), Err(Conflict::LogGroupTaken { .. })));
    let mut inv = empty();
    issued(&mut inv);
    inv.api_dns.records = vec![AliasRecordInfo {
        record_type: "A".into(),
        alias_target: Some("elsewhere.example.net".into()),
        ..Default::default()
    }];
    let e = plan(&s, &inv).unwrap_err();
    assert!(e.to_string().contains("not at the stack's API domain"), "{e}");
}

#[test]
fn no_zone_means_a_record_to_add() {
    let s = stack(&FULL.replace("  hosted_zone_id: Z0123456789ABCDEFGHIJ\n", ""));
    let mut inv = empty();
    issued(&mut inv);
    let p = plan(&s, &inv).unwrap();
    assert!(!kinds(&p).iter().any(|k| k.contains("route53")));
    simulate(&s, &mut inv, &p);
    let p = plan(&s, &inv).unwrap();
    assert!(p.is_empty());
    assert!(p.notes.iter().any(|n| n.contains("api.example.com CNAME d-")), "{:#?}", p.notes);
}

#[test]
fn an_adopted_api_gets_public_routes_it_can_find_again() {
    let (s, mut inv) = adopted_inventory();
    let text = STACK.replace("api: {name: grocery-api}", "api: {id: abc123}")
        + "  - route: POST /login\n    auth: none\n    integration: {http: \"https://example.com/login\"}\n";
    let s2 = stack(&text);
    let _ = s;
    let p = plan(&s2, &inv).unwrap();
    assert!(
        p.steps
            .iter()
            .any(|st| matches!(st, Step::Route(RouteStep::Create { key, auth: RouteAuth::Public, .. }) if key == "POST /login"))
    );
    simulate(&s2, &mut inv, &p);
    assert!(plan(&s2, &inv).unwrap().is_empty());
    // Teardown removes it (its marker), and leaves the API's own public route alone.
    let down = plan_teardown(&s2, &inv, false).unwrap();
    let deleted: Vec<&str> = down
        .steps
        .iter()
        .filter_map(|st| match st {
            Step::Route(RouteStep::Delete { key, .. }) => Some(key.as_str()),
            _ => None,
        })
        .collect();
    assert!(deleted.contains(&"POST /login"), "{deleted:?}");
    assert!(!deleted.contains(&"GET /health"), "{deleted:?}");
}

#[test]
fn a_route_made_public_loses_its_authorizer() {
    let s = stack(STACK);
    let mut inv = deployed(&s);
    let public = stack(&STACK.replacen("    scopes: [lists.write]\n", "    auth: none\n", 1));
    let p = plan(&public, &inv).unwrap();
    let text = lines(&p).join("\n");
    assert!(text.contains("authorization_type: JWT -> NONE"), "{text}");
    simulate(&public, &mut inv, &p);
    assert!(plan(&public, &inv).unwrap().is_empty());
}

/// A stack whose group was made as `/jwtstack/{name}/access`, before groups moved under `/aws/vendedlogs/`, keeps
/// it: its entry is in the account's log delivery policy already, and moving it would take a new one.
#[test]
fn a_group_made_under_the_old_name_stays_the_stacks() {
    let s = stack(FULL);
    let mut inv = empty();
    issued(&mut inv);
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let legacy = "/jwtstack/shop/access";
    inv.log_group.record = Some(legacy.into());
    inv.log_group.found.as_mut().unwrap().arn = format!("arn:aws:logs:us-east-1:123456789012:log-group:{legacy}");
    inv.stage.as_mut().unwrap().access_log.as_mut().unwrap().destination =
        format!("arn:aws:logs:us-east-1:123456789012:log-group:{legacy}");
    let again = plan(&s, &inv).unwrap();
    assert!(again.is_empty(), "{:#?}", again.steps);
    // Dropping access_log removes that group, and its stage setting.
    let without = stack(&FULL.replace("access_log: {retention_days: 30}\n", ""));
    let p = plan(&without, &inv).unwrap();
    let k = kinds(&p);
    assert!(k.contains(&"Delete logs_group".to_string()), "{k:?}");
    assert!(
        p.steps
            .iter()
            .any(|st| matches!(st, Step::LogGroup(LogGroupStep::Delete { name, .. }) if name == legacy))
    );
    assert!(
        p.steps
            .iter()
            .any(|st| matches!(st, Step::Stage(StageStep::DeleteAccessLog { .. })))
    );
}
