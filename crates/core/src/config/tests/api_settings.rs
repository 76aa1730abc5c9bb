//! The API around the authorizer: public routes, CORS, the access log, throttling and the domain, refused at
//! their positions, and the warnings.

use super::*;

/// The API around the authorizer: each wrong value refused at its position (the text is appended after the
/// 17 lines of VALID, so its first line is line 18).
#[test]
fn api_settings_refusals() {
    let cases = [
        (
            "cors:\n  allow_origins: [https://app.example.com/]\n",
            "19:19: origin `https://app.example.com/` has a path",
        ),
        (
            "cors:\n  allow_origins: [app.example.com]\n",
            "19:19: origin `app.example.com` is not",
        ),
        (
            "cors:\n  allow_origins: [\"*\"]\n  allow_credentials: true\n",
            "19:19: allow_origins `*` with allow_credentials: true",
        ),
        (
            "cors:\n  allow_origins: [https://A.example.com]\n",
            "19:19: origin `https://A.example.com` is not written as the browser sends it",
        ),
        ("cors:\n  allow_origins: []\n", "19:3: cors.allow_origins is empty"),
        (
            "cors:\n  allow_origins: [https://a.example]\n  allow_methods: [FETCH]\n",
            "20:19: `FETCH` is not an HTTP method",
        ),
        (
            "cors:\n  allow_origins: [https://a.example]\n  allow_headers: [\"x y\"]\n",
            "20:19: `x y` is not a header name",
        ),
        (
            "cors:\n  allow_origins: [https://a.example]\n  max_age: 90000\n",
            "20:12: max_age is 90000",
        ),
        ("access_log: {retention_days: 31}\n", "18:30: retention_days is 31"),
        ("throttling: {rate: 0, burst: 10}\n", "18:20: throttling.rate is 0"),
        ("throttling: {rate: 10, burst: -1}\n", "18:31: throttling.burst is -1"),
        // API Gateway's ThrottlingBurstLimit is a 32-bit integer: past it the value would wrap.
        (
            "throttling: {rate: 10, burst: 2147483648}\n",
            "18:31: throttling.burst is 2147483648",
        ),
        (
            "throttling: {rate: 4294967296, burst: 10}\n",
            "18:20: throttling.rate is 4294967296",
        ),
        (
            "domain:\n  name: API.example.com\n  certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/a\n",
            "19:9: `API.example.com` is not a hostname",
        ),
        (
            "domain:\n  name: api.example.com\n  certificate_arn: arn:aws:acm:eu-west-1:123456789012:certificate/a\n",
            "20:20: the certificate is in eu-west-1, not in the stack's region us-east-1",
        ),
        (
            "domain:\n  name: api.example.com\n  certificate_arn: nope\n",
            "20:20: `nope` is not an ACM certificate ARN",
        ),
        (
            "domain:\n  name: api.example.com\n  certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/a\n  hosted_zone_id: /hostedzone/Z1\n",
            "21:19: `/hostedzone/Z1` is not a Route 53 hosted zone id",
        ),
        (
            "domain:\n  name: x.execute-api.us-east-1.amazonaws.com\n  certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/a\n",
            "19:9: `x.execute-api.us-east-1.amazonaws.com` is a name AWS gives its own resources",
        ),
    ];
    for (extra, want) in cases {
        let got = problems(&format!("{VALID}{extra}"));
        assert!(got.iter().any(|p| p.starts_with(want)), "{extra}: want {want}, got {got:?}");
    }
    // A public route takes no scopes.
    let text = with(
        "  - route: POST /lists\n    scopes",
        "  - route: POST /lists\n    auth: none\n    scopes",
    );
    assert!(
        problems(&text)
            .iter()
            .any(|p| p.starts_with("16:5: a route with `auth: none` has scopes")),
        "{:?}",
        problems(&text)
    );
    let text = with("  - route: POST /lists\n", "  - route: POST /lists\n    auth: maybe\n");
    assert!(problems(&text).iter().any(|p| p.starts_with("15:11:")), "{:?}", problems(&text));
    // CORS is the whole API's: not on an adopted one.
    let adopted = with("  name: grocery-api\n", "  id: abc123\n") + "cors:\n  allow_origins: [https://a.example]\n";
    assert!(
        problems(&adopted).iter().any(|p| p.starts_with("18:1: cors with api.id")),
        "{:?}",
        problems(&adopted)
    );
}

#[test]
fn cors_and_a_protected_catch_all_take_the_preflight_to_the_authorizer() {
    let cors = "cors:\n  allow_origins: [https://app.example.com]\n  allow_methods: [GET]\n";
    let any = with("  - route: GET /lists/{proxy+}", "  - route: ANY /lists/{proxy+}");
    let got = problems(&format!("{any}{cors}"));
    assert!(
        got.iter()
            .any(|p| p
                .starts_with("10:12: with cors, the browser's preflight `OPTIONS /lists/x` goes to protected route `ANY /lists/{proxy+}`")),
        "{got:?}"
    );
    // A public OPTIONS route for preflights answers it: accepted.
    let fixed = format!(
        "{any}  - route: OPTIONS /lists/{{proxy+}}\n    auth: none\n    integration: {{http: https://example.com/preflight}}\n{cors}"
    );
    assert_eq!(problems(&fixed), Vec::<String>::new());
    let default = format!("{VALID}  - route: $default\n    integration: {{http: https://example.com/}}\n{cors}");
    assert!(
        problems(&default).iter().any(|p| p.contains("goes to protected route `$default`")),
        "{:?}",
        problems(&default)
    );
    // Method routes: API Gateway answers the preflight itself.
    assert_eq!(problems(&format!("{VALID}{cors}")), Vec::<String>::new());
    // A protected OPTIONS route takes the preflight just as ANY does.
    let options =
        format!("{VALID}  - route: OPTIONS /lists\n    scopes: [lists.read]\n    integration: {{http: https://example.com/}}\n{cors}");
    let got = problems(&options);
    assert!(
        got.iter()
            .any(|p| p.starts_with("18:12: with cors, protected route `OPTIONS /lists` takes the browser's preflights")),
        "{got:?}"
    );
    // Without cors, a protected OPTIONS route is the user's to have.
    let no_cors = options.replace(cors, "");
    assert_eq!(problems(&no_cors), Vec::<String>::new());
}

#[test]
fn throttling_above_the_account_defaults_is_a_warning() {
    let at = parse_str("stack.yaml", &format!("{VALID}throttling: {{rate: 10000, burst: 5000}}\n")).unwrap();
    assert!(at.warnings().is_empty(), "{:?}", at.warnings());
    let above = parse_str("stack.yaml", &format!("{VALID}throttling: {{rate: 20000, burst: 5000}}\n")).unwrap();
    let w = above.warnings();
    assert!(
        w.iter()
            .any(|w| w.starts_with("throttling rate 20000 burst 5000 is above the account's default limits (rate 10000, burst 5000")),
        "{w:?}"
    );
    let burst = parse_str("stack.yaml", &format!("{VALID}throttling: {{rate: 10, burst: 2147483647}}\n")).unwrap();
    assert_eq!(burst.throttling.map(|t| t.burst), Some(i32::MAX));
    assert_eq!(burst.warnings().len(), 1, "{:?}", burst.warnings());
}

#[test]
fn a_public_route_that_takes_a_protected_routes_requests_is_a_warning() {
    let text = format!("{VALID}  - route: ANY /lists/{{proxy+}}\n    auth: none\n    integration: {{http: https://example.com/}}\n");
    let text = text.replace(
        "  - route: GET /lists/{proxy+}\n    scopes: [lists.read]\n    integration:\n      http: https://example.com/lists/{proxy}\n",
        "  - route: GET /lists\n    scopes: [lists.read]\n    integration:\n      http: https://example.com/lists/{proxy}\n",
    );
    let s = parse_str(
        "stack.yaml",
        &format!("{text}  - route: GET /lists/mine\n    scopes: [lists.read]\n    integration: {{http: https://example.com/}}\n"),
    )
    .unwrap();
    assert!(s.warnings().is_empty(), "{:?}", s.warnings());
    let s = parse_str(
        "stack.yaml",
        &format!("{VALID}  - route: GET /lists/{{id}}\n    auth: none\n    integration: {{http: https://example.com/}}\n"),
    )
    .unwrap();
    let w = s.warnings();
    assert!(
        w.iter()
            .any(|w| w.contains("public route `GET /lists/{id}` takes `GET /lists/x`, a path of protected route `GET /lists/{proxy+}`")),
        "{w:?}"
    );
}
