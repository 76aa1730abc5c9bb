mod api_settings;
mod issuers;
mod rest;

use super::*;

const VALID: &str = r#"name: grocery
region: us-east-1
issuer:
  bucket: grocery-issuer-123
key_id: grocery-2026-11
audience: [grocery-api]
api:
  name: grocery-api
routes:
  - route: GET /lists/{proxy+}
    scopes: [lists.read]
    integration:
      http: https://example.com/lists/{proxy}
  - route: POST /lists
    scopes: [lists.write]
    integration:
      lambda: arn:aws:lambda:us-east-1:123456789012:function:lists-writer
"#;

fn problems(text: &str) -> Vec<String> {
    match parse_str("stack.yaml", text) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems
            .iter()
            .map(|p| format!("{}:{}: {}", p.pos.line, p.pos.col, p.message))
            .collect(),
    }
}

fn with(replace: &str, by: &str) -> String {
    assert!(VALID.contains(replace), "{replace}");
    VALID.replacen(replace, by, 1)
}

#[test]
fn the_example_stack_file_is_valid() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../stack.yaml")).unwrap();
    let stack = parse_str("stack.yaml", &text).unwrap();
    assert_eq!(stack.name, "grocery");
    assert_eq!(
        stack.key_parameter(&stack.hosted().unwrap().key_id),
        "/jwtstack/grocery/keys/grocery-2026-11"
    );
    assert_eq!(stack.authorizer_name(), "grocery-jwt");
}

#[test]
fn defaults_apply() {
    let s = parse_str("stack.yaml", VALID).unwrap();
    let h = s.hosted().unwrap();
    assert_eq!(h.key_bits, 2048);
    assert!(h.public);
    assert_eq!(s.token_max_ttl, 3600);
    assert_eq!(s.issuer_url("eu-west-1"), "https://grocery-issuer-123.s3.eu-west-1.amazonaws.com");
    assert_eq!(h.discovery_key(), ".well-known/openid-configuration");
    assert_eq!(
        s.jwks_uri("us-east-1").unwrap(),
        "https://grocery-issuer-123.s3.us-east-1.amazonaws.com/.well-known/jwks.json"
    );
    assert_eq!(
        s.api,
        ApiRef::Owned {
            name: "grocery-api".into()
        }
    );
    assert_eq!(s.all_scopes(), ["lists.read", "lists.write"]);
}

#[test]
fn issuer_url_path_becomes_the_document_prefix() {
    let s = parse_str(
        "stack.yaml",
        &with(
            "  bucket: grocery-issuer-123\n",
            "  bucket: grocery-issuer-123\n  url: https://cdn.example.com/auth\n",
        ),
    )
    .unwrap();
    assert_eq!(s.issuer_url("us-east-1"), "https://cdn.example.com/auth");
    assert_eq!(s.hosted().unwrap().jwks_key(), "auth/.well-known/jwks.json");
    assert_eq!(s.jwks_uri("x").unwrap(), "https://cdn.example.com/auth/.well-known/jwks.json");
}

#[test]
fn adopted_api() {
    let s = parse_str("stack.yaml", &with("  name: grocery-api", "  id: a1b2c3d4e5")).unwrap();
    assert_eq!(s.api, ApiRef::Adopted { id: "a1b2c3d4e5".into() });
}

#[test]
fn each_rule_reports_its_position() {
    let cases: &[(&str, &str, &str)] = &[
        ("name: grocery", "name: Grocery!", "1:7: stack name `Grocery!` is not 1 to 40"),
        ("name: grocery", &format!("name: {}", "a".repeat(41)), "1:7: stack name"),
        ("region: us-east-1", "region: Virginia", "2:9: `Virginia` is not an AWS region"),
        (
            "bucket: grocery-issuer-123",
            "bucket: Bad_Bucket",
            "4:11: `Bad_Bucket` is not a valid S3 bucket name",
        ),
        ("bucket: grocery-issuer-123", "bucket: a.b.c", "4:11: bucket `a.b.c` has a dot"),
        ("key_id: grocery-2026-11", "key_id: ../etc", "5:9: key_id `../etc`"),
        ("audience: [grocery-api]", "audience: []", "6:11: audience has 0 entries"),
        ("audience: [grocery-api]", "audience: [a, a]", "6:15: audience `a` is listed twice"),
        ("  name: grocery-api", "  name: x\n  id: abc", "7:1: api has both"),
        (
            "- route: GET /lists/{proxy+}",
            "- route: GET lists",
            "10:12: invalid route key `GET lists`: the path must start with /",
        ),
        (
            "- route: POST /lists",
            "- route: GET /lists/{rest+}",
            "14:12: route `GET /lists/{rest+}` is declared twice (first as routes[0])",
        ),
        ("scopes: [lists.read]", "scopes: [\"lists read\"]", "11:14: scope `lists read`"),
        ("scopes: [lists.read]", "scopes: [a, a]", "11:17: scope `a` is listed twice"),
        (
            "http: https://example.com/lists/{proxy}",
            "http: ftp://x",
            "13:13: `ftp://x` is not an absolute http(s) URL",
        ),
        (
            "lambda: arn:aws:lambda:us-east-1:123456789012:function:lists-writer",
            "lambda: lists-writer",
            "17:15: `lists-writer` is not a Lambda function ARN",
        ),
    ];
    for (from, to, expected) in cases {
        let got = problems(&with(from, to));
        assert!(
            got.iter().any(|g| g.starts_with(expected)),
            "{to}: expected `{expected}`, got {got:?}"
        );
    }
}

#[test]
fn issuer_url_rules() {
    for (url, expected) in [
        ("http://x.example.com", "is not https"),
        ("https://x.example.com/", "ends with a slash"),
        ("https://x.example.com?a=b", "query or fragment"),
        ("https://x.example.com#f", "query or fragment"),
        ("https://user@x.example.com", "no credentials"),
        ("https://X.example.com", "canonical form"),
        ("not a url", "is not a URL"),
    ] {
        let got = problems(&with(
            "  bucket: grocery-issuer-123\n",
            &format!("  bucket: grocery-issuer-123\n  url: \"{url}\"\n"),
        ));
        assert!(got.iter().any(|g| g.contains(expected)), "{url}: {got:?}");
    }
}

#[test]
fn quotas_are_enforced() {
    let scopes: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
    let got = problems(&with("scopes: [lists.read]", &format!("scopes: [{}]", scopes.join(", "))));
    assert!(
        got.iter().any(|g| g.contains("11 scopes; API Gateway allows at most 10")),
        "{got:?}"
    );

    let auds: Vec<String> = (0..51).map(|i| format!("a{i}")).collect();
    let got = problems(&with("audience: [grocery-api]", &format!("audience: [{}]", auds.join(", "))));
    assert!(got.iter().any(|g| g.contains("51 entries")), "{got:?}");

    let mut text = VALID.split("routes:").next().unwrap().to_string() + "routes:\n";
    for i in 0..301 {
        text.push_str(&format!("  - route: GET /r{i}\n    integration: {{http: https://example.com}}\n"));
    }
    let got = problems(&text);
    assert!(got.iter().any(|g| g.contains("routes has 301 entries")), "{got:?}");
}

#[test]
fn rotation_keys_are_checked() {
    let s = parse_str(
        "stack.yaml",
        &with("key_id: grocery-2026-11", "key_id: k2\nnext_key: k3\nprevious_keys: [k1, k0]"),
    )
    .unwrap();
    let h = s.hosted().unwrap();
    assert_eq!(h.published_keys(), ["k2", "k3", "k1", "k0"]);
    assert_eq!(h.key_role("k1"), Some(KeyRole::Previous));

    let got = problems(&with("key_id: grocery-2026-11", "key_id: k2\nnext_key: k2"));
    assert!(
        got.iter().any(|g| g.contains("6:11: key `k2` is already named by key_id")),
        "{got:?}"
    );
    let got = problems(&with("key_id: grocery-2026-11", "key_id: k2\nprevious_keys: [k1, ../x]"));
    assert!(got.iter().any(|g| g.contains("previous_keys `../x` is not")), "{got:?}");

    let fit = crate::crypto::documents::max_keys_in_jwks(4096, 128);
    let many: Vec<String> = (0..fit).map(|i| format!("old{i}")).collect();
    let got = problems(&with(
        "key_id: grocery-2026-11",
        &format!("key_id: k\nprevious_keys: [{}]", many.join(", ")),
    ));
    assert!(
        got.iter()
            .any(|g| g.contains(&format!("would publish {} keys; at most {fit} keys of 4096 bits", fit + 1))),
        "{got:?}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = with("name: grocery", "name: BAD")
        .replace("key_id: grocery-2026-11", "key_id: \"\"")
        .replace("key_bits", "x");
    let text = text.replace("audience: [grocery-api]", "audience: [grocery-api]\nkey_bits: 1024");
    let got = problems(&text);
    assert_eq!(got.len(), 3, "{got:?}");
    let err = parse_str("stack.yaml", &text).unwrap_err();
    assert!(err.to_string().ends_with("3 problems in stack.yaml"));
}

#[test]
fn unknown_fields_get_a_suggestion() {
    let err = parse_str("stack.yaml", &with("audience:", "audiance:")).unwrap_err();
    let p = &err.problems[0];
    assert_eq!((p.pos.line, p.pos.col), (6, 1));
    assert!(p.message.contains("unknown field `audiance`"), "{}", p.message);
    assert_eq!(p.hint.as_deref(), Some("did you mean `audience`?"));
}

#[test]
fn wrong_types_and_missing_fields() {
    let got = problems(&with("audience: [grocery-api]", "audience: {a: b}"));
    assert!(got[0].contains("invalid type"), "{got:?}");
    let got = problems(&VALID.replace("key_id: grocery-2026-11\n", ""));
    assert!(got[0].contains("missing field `key_id`"), "{got:?}");
}

#[test]
fn hostile_inputs_are_rejected_cleanly() {
    assert!(parse_bytes("s", b"").is_err());
    let e = parse_bytes("s", b"   \n").unwrap_err();
    assert!(e.problems[0].message.contains("empty"));
    let e = parse_bytes("s", b"name: gro\xffcery\n").unwrap_err();
    assert_eq!((e.problems[0].pos.line, e.problems[0].pos.col), (1, 10));
    assert!(e.problems[0].message.contains("UTF-8"));
    let big = vec![b'#'; 10 * 1024 * 1024];
    let e = parse_bytes("s", &big).unwrap_err();
    assert!(e.problems[0].message.contains("at most"));
    let e = parse_str("s", "a: b\n---\nc: d\n").unwrap_err();
    assert!(e.problems[0].message.contains("more than one YAML document"), "{e}");
    let e = parse_str("s", "- just\n- a list\n").unwrap_err();
    assert!(e.problems[0].message.contains("invalid type"), "{e}");
    let e = parse_str("s", "name: [unclosed\n").unwrap_err();
    assert!(e.problems[0].message.starts_with("YAML syntax error"), "{e}");
}

#[test]
fn durations() {
    assert_eq!(parse_duration_str("90"), Ok(90));
    assert_eq!(parse_duration_str("15m"), Ok(900));
    assert_eq!(parse_duration_str("1h"), Ok(3600));
    assert_eq!(parse_duration_str("2d"), Ok(172800));
    assert!(parse_duration_str("1w").is_err());
    assert!(parse_duration_str("h").is_err());
    assert!(parse_duration_str("99999999999999999999d").is_err());
    let got = problems(&with("audience: [grocery-api]", "audience: [grocery-api]\ntoken_max_ttl: 30d"));
    assert!(got.iter().any(|g| g.contains("token_max_ttl is 2592000 seconds")), "{got:?}");
}

#[test]
fn key_fields_are_edited_in_place() {
    let before = parse_str("stack.yaml", VALID).unwrap();
    let fields = KeyFields {
        key_id: "grocery-2027-02".into(),
        next_key: None,
        previous_keys: vec!["grocery-2026-11".into()],
    };
    let (text, after) = edit_keys("stack.yaml", VALID, &before, &fields).unwrap();
    assert_eq!(after.hosted().unwrap().key_id, "grocery-2027-02");
    assert_eq!(after.hosted().unwrap().previous_keys, ["grocery-2026-11"]);
    // Only the key lines changed.
    let expected = VALID.replace(
        "key_id: grocery-2026-11\n",
        "key_id: grocery-2027-02\nprevious_keys: [grocery-2026-11]\n",
    );
    assert_eq!(text, expected);
    // And back.
    let (again, _) = edit_keys("stack.yaml", &text, &after, &KeyFields::of(before.hosted().unwrap())).unwrap();
    assert_eq!(again, VALID);
}

#[test]
fn a_crlf_file_keeps_its_line_endings_when_rotation_edits_it() {
    let crlf = VALID.replace('\n', "\r\n");
    let before = parse_str("stack.yaml", &crlf).unwrap();
    let fields = KeyFields {
        key_id: "grocery-2026-11".into(),
        next_key: Some("grocery-2027-02".into()),
        previous_keys: vec![],
    };
    let (text, after) = edit_keys("stack.yaml", &crlf, &before, &fields).unwrap();
    assert_eq!(after.hosted().unwrap().next_key.as_deref(), Some("grocery-2027-02"));
    assert!(text.contains("next_key: grocery-2027-02\r\n"), "{text:?}");
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count(), "a bare LF in {text:?}");
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_stack_file() {
    let with_bom = format!("\u{feff}{VALID}");
    let stack = parse_bytes("stack.yaml", with_bom.as_bytes()).unwrap();
    assert_eq!(stack.name, "grocery");
}

#[test]
fn every_example_stack_file_is_valid() {
    let root = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"));
    let mut n = 0;
    let mut paths: Vec<std::path::PathBuf> = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            paths.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            paths.push(path);
        }
    }
    for path in paths {
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            if let Err(e) = parse_str(&path.display().to_string(), &text) {
                panic!("{e}");
            }
            n += 1;
        }
    }
    assert!(n >= 3, "{n} example stack files");
}
