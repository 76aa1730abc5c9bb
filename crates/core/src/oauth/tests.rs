use super::*;

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

fn record(secret: &str) -> ClientRecord {
    let scopes = vec!["lists.read".into(), "lists.write".into(), "gone.scope".into()];
    ClientRecord::new("billing", "cid-billing", scopes, hash_secret(secret), 1)
}

fn allowed<'a>(scopes: &'a [String], audiences: &'a [String]) -> Allowed<'a> {
    Allowed {
        route_scopes: scopes,
        audiences,
        max_ttl: 900,
    }
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// The billing client's request in the form body, with its secret `right` and `extra` parameters.
fn posted(extra: &str) -> TokenRequest {
    let body = format!("grant_type=client_credentials&client_id=cid-billing&client_secret=right{extra}");
    parse("POST", FORM, None, body.as_bytes()).unwrap()
}

fn error_of(r: Result<TokenRequest, OAuthError>) -> (u16, &'static str) {
    let e = r.unwrap_err();
    (e.status, e.error)
}

#[test]
fn both_client_authentication_methods_read_the_same_request() {
    let post = parse(
        "POST",
        FORM,
        None,
        b"grant_type=client_credentials&client_id=cid-billing&client_secret=s%2B1",
    )
    .unwrap();
    assert_eq!(
        (post.client_id.as_str(), post.secret.as_str(), post.basic),
        ("cid-billing", "s+1", false)
    );
    // RFC 6749 2.3.1: the id and secret are form-encoded before Basic's base64.
    let header = basic("cid-billing", "s%2B1");
    let b = parse(
        "POST",
        Some("application/x-www-form-urlencoded; charset=UTF-8"),
        Some(&header),
        b"grant_type=client_credentials&scope=lists.read",
    )
    .unwrap();
    assert_eq!((b.client_id.as_str(), b.secret.as_str(), b.basic), ("cid-billing", "s+1", true));
    assert_eq!(b.scope, Some(vec!["lists.read".to_string()]));
    // The same client id in the body beside Basic is allowed.
    parse("POST", FORM, Some(&header), b"grant_type=client_credentials&client_id=cid-billing").unwrap();
}

#[test]
fn malformed_requests_are_invalid_request_and_the_grant_type_is_checked() {
    let ok = "grant_type=client_credentials&client_id=a&client_secret=b";
    assert_eq!(error_of(parse("GET", FORM, None, ok.as_bytes())), (405, "invalid_request"));
    assert_eq!(
        error_of(parse("POST", Some("application/json"), None, ok.as_bytes())),
        (400, "invalid_request")
    );
    assert_eq!(error_of(parse("POST", None, None, ok.as_bytes())), (400, "invalid_request"));
    assert_eq!(
        error_of(parse("POST", FORM, None, b"client_id=a&client_secret=b")),
        (400, "invalid_request")
    );
    assert_eq!(
        error_of(parse("POST", FORM, None, b"grant_type=password&client_id=a&client_secret=b")),
        (400, "unsupported_grant_type")
    );
    assert_eq!(
        error_of(parse(
            "POST",
            FORM,
            None,
            b"grant_type=client_credentials&grant_type=client_credentials&client_id=a&client_secret=b"
        )),
        (400, "invalid_request")
    );
    assert_eq!(
        error_of(parse("POST", FORM, None, b"grant_type=client_credentials&client_secret=b")),
        (400, "invalid_request")
    );
    assert_eq!(error_of(parse("POST", FORM, None, &[0xff, 0xfe])), (400, "invalid_request"));
    let big = vec![b'a'; MAX_BODY_BYTES + 1];
    assert_eq!(error_of(parse("POST", FORM, None, &big)), (413, "invalid_request"));
    // Two ways of authenticating, or two different client ids, are refused.
    let header = basic("a", "b");
    assert_eq!(
        error_of(parse("POST", FORM, Some(&header), b"grant_type=client_credentials&client_secret=b")),
        (400, "invalid_request")
    );
    assert_eq!(
        error_of(parse("POST", FORM, Some(&header), b"grant_type=client_credentials&client_id=other")),
        (400, "invalid_request")
    );
}

#[test]
fn an_authorization_header_that_is_not_basic_credentials_is_invalid_client_with_a_challenge() {
    for header in ["Bearer abc", "Basic !!!", "Basic Zm9v", &basic("", "s")] {
        let e = parse("POST", FORM, Some(header), b"grant_type=client_credentials").unwrap_err();
        assert_eq!((e.status, e.error, e.basic_challenge), (401, "invalid_client", true), "{header}");
    }
    // No secret in the body: invalid_client, with the challenge every 401 carries (RFC 7235 3.1).
    let e = parse("POST", FORM, None, b"grant_type=client_credentials&client_id=a").unwrap_err();
    assert_eq!((e.status, e.error, e.basic_challenge), (401, "invalid_client", true));
}

#[test]
fn a_client_gets_the_scopes_it_asks_for_or_all_it_may_have() {
    let (scopes, audiences) = (
        vec!["lists.read".to_string(), "lists.write".to_string()],
        vec!["grocery-api".to_string()],
    );
    let r = record("right");
    let req = posted("");
    let g = grant(&req, Some(&r), &allowed(&scopes, &audiences), 10).unwrap();
    // `gone.scope` is granted by no route: it is not in the token.
    assert_eq!(g.scopes, ["lists.read", "lists.write"]);
    assert_eq!((g.audience.as_str(), g.ttl), ("grocery-api", 900));
    let req = posted("&scope=lists.read+lists.read");
    assert_eq!(
        grant(&req, Some(&r), &allowed(&scopes, &audiences), 10).unwrap().scopes,
        ["lists.read"]
    );
    let req = posted("&scope=lists.admin");
    let e = grant(&req, Some(&r), &allowed(&scopes, &audiences), 10).unwrap_err();
    assert_eq!((e.status, e.error), (400, "invalid_scope"));
    let s = success_body("t", &g);
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"access_token": "t", "token_type": "Bearer", "expires_in": 900, "scope": "lists.read lists.write"})
    );
}

#[test]
fn every_failure_of_client_authentication_is_the_same_invalid_client() {
    let (scopes, audiences) = (vec!["lists.read".to_string()], vec!["grocery-api".to_string()]);
    let a = allowed(&scopes, &audiences);
    let req = |secret: &str| {
        let body = format!("grant_type=client_credentials&client_id=cid-billing&client_secret={secret}");
        parse("POST", FORM, None, body.as_bytes()).unwrap()
    };
    let right = record("right");
    let mut disabled = record("right");
    disabled.disabled = true;
    let mut expired = record("right");
    expired.secrets[0].expires_at = Some(10);
    let mut other_id = record("right");
    other_id.client_id = "someone-else".into();
    let failures = [
        grant(&req("wrong"), Some(&right), &a, 5),
        grant(&req("right"), None, &a, 5),
        grant(&req("right"), Some(&disabled), &a, 5),
        grant(&req("right"), Some(&expired), &a, 10),
        grant(&req("right"), Some(&other_id), &a, 5),
        grant(&req(""), Some(&right), &a, 5),
    ];
    for f in failures {
        assert_eq!(f.unwrap_err(), OAuthError::invalid_client());
    }
    // Before its expiry a rotated-out secret still works.
    grant(&req("right"), Some(&expired), &a, 9).unwrap();
}

#[test]
fn a_client_the_stack_no_longer_serves_is_unauthorized_client() {
    let audiences = vec!["grocery-api".to_string()];
    let r = record("right");
    let req = posted("");
    let none: Vec<String> = vec!["other.scope".into()];
    let e = grant(&req, Some(&r), &allowed(&none, &audiences), 1).unwrap_err();
    assert_eq!((e.status, e.error), (400, "unauthorized_client"));
    let mut foreign = record("right");
    foreign.audience = Some("another-api".into());
    let scopes = vec!["lists.read".to_string()];
    let e = grant(&req, Some(&foreign), &allowed(&scopes, &audiences), 1).unwrap_err();
    assert_eq!((e.status, e.error), (400, "unauthorized_client"));
    let mut short = record("right");
    short.ttl = Some(60);
    assert_eq!(grant(&req, Some(&short), &allowed(&scopes, &audiences), 1).unwrap().ttl, 60);
    short.ttl = Some(86_400);
    assert_eq!(grant(&req, Some(&short), &allowed(&scopes, &audiences), 1).unwrap().ttl, 900);
}

#[test]
fn secrets_and_hashes_stay_out_of_debug_output() {
    let secret = new_secret(&mut rand::rngs::OsRng);
    assert!(secret.starts_with(SECRET_PREFIX) && secret.len() == SECRET_PREFIX.len() + 43);
    let r = record(&secret);
    let req = parse(
        "POST",
        FORM,
        None,
        format!("grant_type=client_credentials&client_id=cid-billing&client_secret={secret}").as_bytes(),
    )
    .unwrap();
    for shown in [format!("{r:?}"), format!("{req:?}")] {
        assert!(!shown.contains(&secret) && !shown.contains(&hash_secret(&secret)), "{shown}");
    }
    let id = new_client_id(&mut rand::rngs::OsRng);
    assert_eq!(id.len(), 20);
    assert!(!id.contains(':'));
    assert_eq!(
        hash_secret("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

/// Every case of the function's `cases.json` through `parse` and `grant`: serve and the deployed function
/// (functions/token-endpoint/index.mjs, whose tests run the same file) answer each request alike.
#[test]
fn serve_decides_every_case_the_deployed_function_is_tested_with() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../functions/token-endpoint/cases.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let strings =
        |v: &serde_json::Value| -> Vec<String> { v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect() };
    let (scopes, audiences) = (strings(&doc["allowed"]["route_scopes"]), strings(&doc["allowed"]["audiences"]));
    let allowed = Allowed {
        route_scopes: &scopes,
        audiences: &audiences,
        max_ttl: doc["allowed"]["max_ttl"].as_u64().unwrap(),
    };
    let clients: Vec<ClientRecord> = serde_json::from_value(doc["clients"].clone()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let authorization = match &c["authorization"] {
            serde_json::Value::Null => None,
            a if a["raw"].is_string() => Some(a["raw"].as_str().unwrap().to_string()),
            a => Some(basic(a["basic"][0].as_str().unwrap(), a["basic"][1].as_str().unwrap())),
        };
        let body = match c["body_base64"].as_str() {
            Some(b) => STANDARD.decode(b).unwrap(),
            None => c["body"].as_str().unwrap().as_bytes().to_vec(),
        };
        let now = c["now"].as_u64().unwrap_or(doc["now"].as_u64().unwrap());
        let outcome = parse(
            c["method"].as_str().unwrap(),
            c["content_type"].as_str(),
            authorization.as_deref(),
            &body,
        )
        .and_then(|req| grant(&req, clients.iter().find(|r| r.client_id == req.client_id), &allowed, now));
        let want = &c["expect"];
        match outcome {
            Ok(g) => {
                assert_eq!(want["status"], 200, "{name}: granted {g:?}");
                if let Some(s) = want["scope"].as_str() {
                    assert_eq!(g.scopes.join(" "), s, "{name}");
                }
                if let Some(t) = want["expires_in"].as_u64() {
                    assert_eq!(g.ttl, t, "{name}");
                }
                if let Some(a) = want["audience"].as_str() {
                    assert_eq!(g.audience, a, "{name}");
                }
            }
            Err(e) => {
                assert_eq!(
                    (u64::from(e.status), e.error, e.basic_challenge),
                    (
                        want["status"].as_u64().unwrap(),
                        want["error"].as_str().unwrap_or("(granted)"),
                        want["challenge"].as_bool().unwrap()
                    ),
                    "{name}: {}",
                    e.description
                );
            }
        }
    }
}
