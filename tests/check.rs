//! `jwtstack check` against a local HTTPS issuer (tests/support/idp.py, one realm per problem): each finding
//! and its fix, snapshotted.

use crate::common;

use common::{Env, Idp, Output, json, stack_yaml};

fn stack(issuer_url: &str, key_id: &str) -> String {
    format!(
        "name: grocery\nregion: us-east-1\nissuer:\n  bucket: grocery-issuer-check\n  url: {issuer_url}\nkey_id: {key_id}\n\
         audience: [grocery-api]\napi:\n  name: grocery-api\nroutes:\n\
         \x20 - route: GET /lists\n    scopes: [lists.read]\n    integration:\n      http: https://example.com/lists\n"
    )
}

#[test]
fn each_issuer_problem_is_reported_with_its_fix() {
    let idp = Idp::start();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("good", "idp-k1", 0),
        ("good", "grocery-2026-11", 1),
        ("mismatch", "idp-k1", 1),
        ("slash", "idp-k1", 1),
        ("texttype", "idp-k1", 0),
        ("forbidden", "idp-k1", 1),
        ("missing", "idp-k1", 1),
        ("slow", "idp-k1", 1),
        ("notjson", "idp-k1", 1),
        ("nokid", "idp-k1", 1),
        ("ec", "idp-k1", 1),
        ("private", "idp-k1", 1),
        ("big", "idp-k1", 1),
    ];
    for (realm, kid, code) in cases {
        std::fs::write(dir.path().join("stack.yaml"), stack(&idp.issuer(realm), kid)).unwrap();
        let out = Output::from(
            common::jwtstack_in(dir.path())
                .env("SSL_CERT_FILE", &idp.ca_file)
                .arg("check")
                .output()
                .unwrap(),
        )
        .code(code);
        let text = out.stdout.replace(&idp.port.to_string(), "PORT");
        let name = if kid == "idp-k1" {
            realm.to_string()
        } else {
            format!("{realm}_unknown_kid")
        };
        insta::assert_snapshot!(format!("check_{name}"), text);
    }
    // An issuer whose certificate the machine does not trust.
    std::fs::write(dir.path().join("stack.yaml"), stack(&idp.issuer("good"), "idp-k1")).unwrap();
    let out = Output::from(common::jwtstack_in(dir.path()).arg("check").output().unwrap()).code(1);
    assert!(out.stdout.contains("TLS failed"), "{}", out.stdout);
    assert!(out.stdout.contains("a certificate from a public CA"), "{}", out.stdout);
    // JSON for scripts.
    std::fs::write(dir.path().join("stack.yaml"), stack(&idp.issuer("slash"), "idp-k1")).unwrap();
    let out = Output::from(
        common::jwtstack_in(dir.path())
            .env("SSL_CERT_FILE", &idp.ca_file)
            .args(["check", "--json"])
            .output()
            .unwrap(),
    )
    .code(1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["code"], "issuer_mismatch");
    assert_eq!(v["findings"][0]["level"], "error");
}

#[test]
fn check_on_the_emulator_says_what_it_skipped() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", "newcomer-issuer-test", "name: grocery-api", None));
    let out = env.run(&["check"]).ok();
    assert!(out.stdout.contains("issuer_check_skipped"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("which does not serve https://newcomer-issuer-test.s3.us-east-1.amazonaws.com")
    );
    let j = json(&env.run(&["check", "--json"]).ok().stdout);
    assert_eq!(j["findings"][0]["code"], "issuer_check_skipped");
}
