use super::*;
use crate::config::parse_str;

const STACK: &str = r#"name: grocery
region: us-east-1
issuer: {bucket: grocery-issuer-123}
key_id: k1
audience: [grocery-api]
api: {name: grocery-api}
routes:
  - route: GET /lists/{proxy+}
    scopes: [lists.read]
    integration: {http: "https://example.com/lists/{proxy}"}
  - route: GET /lists/{id}
    scopes: [lists.read]
    integration: {http: "https://example.com/one/{id}"}
  - route: POST /lists
    scopes: [lists.write]
    integration: {http: "https://example.com/lists"}
  - route: GET /health
    integration: {http: "https://example.com/health"}
  - route: POST /login
    auth: none
    integration: {http: "https://example.com/login"}
  - route: GET /status
    auth: none
    integration: {http: "https://example.com/status"}
"#;

fn stack(text: &str) -> Stack {
    parse_str("stack.yaml", text).unwrap()
}

/// A probe that signs its own tokens with the stack's key `k1`.
fn signing_as_k1() -> Options {
    Options {
        can_sign: true,
        kid: Some("k1".into()),
        ..Default::default()
    }
}

fn cases_of<'a>(p: &'a ProbePlan, route: &str) -> Vec<&'a Case> {
    p.cases.iter().filter(|c| c.route == route).collect()
}

#[test]
fn each_protected_route_gets_the_nine_refusals_and_the_missing_scope() {
    let s = stack(STACK);
    let p = plan(&s, &signing_as_k1()).unwrap();
    let lists = cases_of(&p, "POST /lists");
    let tokens: Vec<&str> = lists.iter().map(|c| c.token.name()).collect();
    assert_eq!(
        tokens,
        [
            "no_token",
            "malformed",
            "unknown_key",
            "forged_signature",
            "alg_none",
            "expired",
            "other_audience",
            "other_issuer",
            "issuer_with_slash",
            "missing_scope"
        ]
    );
    assert!(lists[..9].iter().all(|c| c.expect == Expect::Unauthorized));
    assert_eq!(lists[9].expect, Expect::Forbidden);
    // The probe's scope is one no route grants.
    assert_eq!(
        lists[9].token,
        Token::WithoutScopes {
            scope: "jwtstack-probe".into()
        }
    );
    // A route without scopes: the refusals, and a word on what cannot be proven there.
    assert_eq!(cases_of(&p, "GET /health").len(), 9);
    assert!(
        p.unproven.iter().any(|u| u.contains("route `GET /health` has no scopes")),
        "{:?}",
        p.unproven
    );
    // Public routes: GET is probed without a token; POST would reach its integration.
    assert_eq!(cases_of(&p, "GET /status")[0].expect, Expect::Answered);
    assert!(cases_of(&p, "POST /login").is_empty());
    assert!(
        p.unproven.iter().any(|u| u.contains("public route `POST /login`")),
        "{:?}",
        p.unproven
    );
}

#[test]
fn each_request_is_routed_to_its_route_by_api_gateways_rules() {
    let s = stack(STACK);
    let p = plan(
        &s,
        &Options {
            can_sign: true,
            ..Default::default()
        },
    )
    .unwrap();
    let keys: Vec<&RouteKey> = s.routes.iter().map(|r| &r.key).collect();
    for c in &p.cases {
        let (k, _) = route::select(keys.iter().copied(), &c.method, &c.path).unwrap();
        assert_eq!(k.as_str(), c.route, "{c:?}");
    }
    // `GET /lists/{id}` takes one segment: the greedy route is probed with two.
    assert_eq!(cases_of(&p, "GET /lists/{proxy+}")[0].path, "/lists/jwtstack-probe/jwtstack-probe");
    assert_eq!(cases_of(&p, "GET /lists/{id}")[0].path, "/lists/jwtstack-probe");
}

#[test]
fn a_probe_never_carries_a_scope_a_route_requires_unless_asked() {
    let text = STACK.replace("[lists.write]", "[jwtstack-probe]");
    let s = stack(&text);
    let p = plan(
        &s,
        &Options {
            can_sign: true,
            ..Default::default()
        },
    )
    .unwrap();
    for c in &p.cases {
        if let Token::WithoutScopes { scope } = &c.token {
            assert_eq!(scope, "jwtstack-probe-1");
        }
        assert!(!matches!(c.token, Token::WithScopes { .. }));
    }
    let through = Options {
        can_sign: true,
        through: vec!["GET /health".into(), "POST /login".into()],
        ..Default::default()
    };
    let p = plan(&s, &through).unwrap();
    assert!(cases_of(&p, "POST /login").iter().any(|c| c.expect == Expect::Answered));
    assert!(
        cases_of(&p, "GET /health")
            .iter()
            .any(|c| matches!(c.token, Token::WithScopes { .. }) && c.expect == Expect::Answered)
    );
}

#[test]
fn an_external_issuer_is_probed_with_what_jwtstack_can_send() {
    let s = stack(STACK);
    let p = plan(&s, &Options::default()).unwrap();
    assert!(p.cases.iter().all(|c| !c.token.needs_stack_key()));
    assert!(p.unproven.iter().any(|u| u.contains("need the stack's key")));
}

#[test]
fn routes_and_through_must_be_declared() {
    let s = stack(STACK);
    let e = plan(
        &s,
        &Options {
            routes: vec!["GET /nope".into()],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.contains("route `GET /nope` is not in the stack"), "{e}");
    let only = plan(
        &s,
        &Options {
            routes: vec!["POST /lists".into()],
            can_sign: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(only.cases.iter().all(|c| c.route == "POST /lists"));
}

#[test]
fn preflights_for_paths_api_gateway_answers() {
    let text = format!("{STACK}cors:\n  allow_origins: [https://app.example.com]\n  allow_methods: [GET, POST]\n");
    let s = stack(&text);
    let p = plan(
        &s,
        &Options {
            can_sign: true,
            ..Default::default()
        },
    )
    .unwrap();
    let pre: Vec<&Case> = p.cases.iter().filter(|c| c.preflight.is_some()).collect();
    let asks = |origin: &str, method: &str| Preflight {
        origin: origin.into(),
        method: method.into(),
        headers: None,
    };
    assert!(pre.iter().any(|c| c.preflight == Some(asks("https://app.example.com", "POST"))
        && c.path == "/lists"
        && c.expect == Expect::Preflight { allowed: true }));
    assert!(
        pre.iter()
            .any(|c| c.preflight.as_ref().unwrap().origin == OTHER_ORIGIN && c.expect == Expect::Preflight { allowed: false })
    );
    // Without the route's method in `allow_methods`, API Gateway's answer allows nothing, and that is expected.
    let get_only = stack(&text.replace("allow_methods: [GET, POST]", "allow_methods: [GET]"));
    let p = plan(&get_only, &Options::default()).unwrap();
    let post: Vec<&Case> = p.cases.iter().filter(|c| c.path == "/lists" && c.preflight.is_some()).collect();
    assert_eq!(post.len(), 1, "{post:?}");
    assert_eq!(post[0].preflight.as_ref().unwrap().method, "POST");
    assert_eq!(post[0].expect, Expect::Preflight { allowed: false });
    // A token's header is asked for where `cors` allows it.
    let text = text.replace(
        "allow_origins: [https://app.example.com]\n",
        "allow_origins: [https://app.example.com]\n  allow_headers: [authorization]\n",
    );
    let p = plan(&stack(&text), &Options::default()).unwrap();
    assert!(
        p.cases
            .iter()
            .filter_map(|c| c.preflight.as_ref())
            .all(|p| p.headers.as_deref() == Some("authorization"))
    );
}

fn case(expect: Expect) -> Case {
    Case {
        route: "GET /x".into(),
        method: "GET".into(),
        path: "/x".into(),
        token: Token::None,
        preflight: Some(Preflight {
            origin: "https://app.example.com".into(),
            method: "GET".into(),
            headers: None,
        }),
        expect,
    }
}

fn answer(status: u16, origin: Option<&str>) -> Answer {
    Answer {
        status,
        www_authenticate: None,
        allow_origin: origin.map(str::to_string),
        error_type: None,
    }
}

#[test]
fn the_verdicts() {
    assert_eq!(judge(&case(Expect::Unauthorized), &answer(401, None)), Verdict::Behaves);
    assert_eq!(
        judge(&case(Expect::Unauthorized), &answer(200, None)),
        Verdict::Misbehaves { open: true }
    );
    assert_eq!(
        judge(&case(Expect::Unauthorized), &answer(403, None)),
        Verdict::Misbehaves { open: false }
    );
    assert_eq!(
        judge(&case(Expect::Forbidden), &answer(401, None)),
        Verdict::Misbehaves { open: false }
    );
    assert_eq!(
        judge(&case(Expect::Forbidden), &answer(502, None)),
        Verdict::Misbehaves { open: true }
    );
    // No route (404) and throttling (429) are wrong answers, not an open route.
    for status in [404, 429, 400] {
        assert_eq!(
            judge(&case(Expect::Unauthorized), &answer(status, None)),
            Verdict::Misbehaves { open: false },
            "{status}"
        );
    }
    assert_eq!(judge(&case(Expect::Answered), &answer(404, None)), Verdict::Behaves);
    // On a public route, the authorizer's 401 (it says `Bearer`) is wrong; the integration's own is its answer.
    let mut bearer = answer(401, None);
    bearer.www_authenticate = Some(r#"Bearer scope="" error="invalid_token""#.into());
    assert_eq!(judge(&case(Expect::Answered), &bearer), Verdict::Misbehaves { open: false });
    assert_eq!(judge(&case(Expect::Answered), &answer(401, None)), Verdict::Behaves);
    // A REST API's refusals say nothing of Bearer: any 401 or 403 on a public route counts against it.
    assert_eq!(
        judge(&case(Expect::NotRefused), &answer(401, None)),
        Verdict::Misbehaves { open: false }
    );
    assert_eq!(judge(&case(Expect::NotRefused), &answer(200, None)), Verdict::Behaves);
    let allowed = Expect::Preflight { allowed: true };
    assert_eq!(
        judge(&case(allowed.clone()), &answer(204, Some("https://app.example.com"))),
        Verdict::Behaves
    );
    assert_eq!(judge(&case(allowed), &answer(204, None)), Verdict::Misbehaves { open: false });
    let refused = Expect::Preflight { allowed: false };
    assert_eq!(judge(&case(refused.clone()), &answer(204, None)), Verdict::Behaves);
    assert_eq!(judge(&case(refused), &answer(204, Some("*"))), Verdict::Misbehaves { open: false });
}

#[test]
fn the_report_puts_an_open_route_first_and_quotes_safely() {
    let mut report = ProbeReport {
        endpoint: "https://x.execute-api.us-east-1.amazonaws.com".into(),
        ..Default::default()
    };
    report.results.push(CaseResult::new(
        case(Expect::Forbidden),
        Ok(Answer {
            status: 401,
            www_authenticate: Some("Bearer error=\"invalid_token\"\u{1b}[31m".into()),
            allow_origin: None,
            error_type: None,
        }),
        2,
    ));
    report
        .results
        .push(CaseResult::new(case(Expect::Unauthorized), Ok(answer(200, None)), 0));
    assert!(!report.behaves());
    assert!(report.open());
    let f = report.findings();
    assert!(f[0].starts_with("OPEN route `GET /x`"), "{f:?}");
    assert!(f[1].contains("\\u{1b}[31m"), "{f:?}");
    let text = report.render();
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("does NOT behave: 2 of 2"), "{text}");
    let json = serde_json::to_value(report.to_json()).unwrap();
    assert_eq!(json["open"], true);
    assert_eq!(json["requests"][0]["retries"], 2);
}

#[test]
fn a_wildcard_origin_is_probed_with_an_origin_it_takes_and_one_it_does_not() {
    let text = format!("{STACK}cors:\n  allow_origins: [\"https://*\"]\n  allow_methods: [GET, POST]\n");
    let p = plan(&stack(&text), &Options::default()).unwrap();
    let origins: Vec<(&str, &Expect)> = p
        .cases
        .iter()
        .filter_map(|c| c.preflight.as_ref().map(|pf| (pf.origin.as_str(), &c.expect)))
        .collect();
    assert!(origins.contains(&("https://app.jwtstack-probe.example", &Expect::Preflight { allowed: true })));
    assert!(origins.contains(&("http://jwtstack-probe.invalid", &Expect::Preflight { allowed: false })));
    assert!(!origins.iter().any(|(o, _)| *o == "https://*"));
}

#[test]
fn a_rest_stack_is_probed_with_its_required_claims_and_two_refusals_more() {
    // A REST resource has one variable child: the greedy route goes.
    let greedy =
        "  - route: GET /lists/{proxy+}\n    scopes: [lists.read]\n    integration: {http: \"https://example.com/lists/{proxy}\"}\n";
    let text = STACK.replace(greedy, "").replace("api: {name: grocery-api}", "api: {name: grocery-api, type: rest}").replace(
        "routes:\n",
        "require_claims:\n  - {name: tenant, values: [acme, globex]}\n  - {name: org_id, required: false, values: [o1]}\n  - {name: dept}\n\
         trust:\n  - {issuer: \"https://acme.eu.auth0.com/\", audience: [grocery-api]}\nroutes:\n",
    );
    let s = stack(&text);
    assert_eq!(
        required_claims(&s),
        [
            ("tenant".to_string(), "acme".to_string()),
            ("org_id".to_string(), "o1".to_string()),
            ("dept".to_string(), PROBE_SUBJECT.to_string())
        ]
    );
    let p = plan(&s, &signing_as_k1()).unwrap();
    let lists = cases_of(&p, "POST /lists");
    let tokens: Vec<&str> = lists.iter().map(|c| c.token.name()).collect();
    assert!(
        tokens.ends_with(&["missing_claim", "trusted_issuer_own_key", "missing_scope"]),
        "{tokens:?}"
    );
    assert_eq!(lists[tokens.len() - 3].token, Token::MissingClaim { name: "tenant".into() });
    assert_eq!(cases_of(&p, "GET /status")[0].expect, Expect::NotRefused);
    // An HTTP stack's tokens carry no claims of their own.
    assert!(required_claims(&stack(STACK)).is_empty());
}
