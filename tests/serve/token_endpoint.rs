//! The token endpoint through the binary: `jwtstack clients` against the emulator, `serve` answering
//! `POST /oauth2/token` with each client authentication method and each error of RFC 6749 section 5.2, the
//! token it issues decided on by `verify`, and teardown removing the clients jwtstack made and nothing else.

use super::{Answer, Server, raw};
use crate::common::{self, Env, json};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

fn post(addr: &str, basic: Option<(&str, &str)>, content_type: &str, body: &str) -> Answer {
    let auth = basic
        .map(|(id, secret)| format!("Authorization: Basic {}\r\n", STANDARD.encode(format!("{id}:{secret}"))))
        .unwrap_or_default();
    let req = format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw(addr, req.as_bytes()).expect("an HTTP answer")
}

const FORM: &str = "application/x-www-form-urlencoded";

/// The answer's `error`, after checking the status and that no cache may keep it.
#[track_caller]
fn error(a: &Answer, status: u16) -> String {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.header("cache-control"), Some("no-store"));
    json(&a.body)["error"].as_str().unwrap().to_string()
}

fn claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn add(env: &Env, name: &str, scopes: &[&str]) -> (String, String) {
    let mut args = vec!["clients", "add", name, "--json"];
    for s in scopes {
        args.extend(["--scope", s]);
    }
    let j = json(&env.run(&args).ok().stdout);
    (
        j["client_id"].as_str().unwrap().to_string(),
        j["client_secret"].as_str().unwrap().to_string(),
    )
}

#[test]
fn clients_get_tokens_from_serve_that_verify_decides_on_as_the_gateway_would() {
    let env = Env::new();
    let arn = env.create_function("tokens-writer");
    let base = common::stack_yaml("tokens", "tokens-issuer-bucket", "name: tokens-api", Some(&arn));
    env.write_stack(&base);
    env.run(&["deploy", "--no-probe"]).ok();
    let with_endpoint = format!("{base}token_endpoint:\n  ttl: 10m\n");
    env.write_stack(&with_endpoint);
    // serve answers the endpoint locally, whether or not it is deployed.

    let (id, secret) = add(&env, "billing", &["lists.read"]);
    assert!(secret.starts_with("jwtss_"), "{secret}");
    let (writer_id, writer_secret) = add(&env, "writer", &["lists.write"]);
    // Refused before anything is written: a taken name, a scope no route grants, an audience not the stack's.
    env.run(&["clients", "add", "billing", "--scope", "lists.read"]).code(64);
    env.run(&["clients", "add", "other", "--scope", "lists.nothing"]).code(64);
    env.run(&["clients", "add", "other", "--scope", "lists.read", "--audience", "elsewhere"])
        .code(64);
    let list = env.run(&["clients", "list"]).ok();
    assert!(list.stdout.contains("billing") && list.stdout.contains(&id), "{}", list.stdout);
    let hash = jwtstack::oauth::hash_secret(&secret);
    for shown in [&list.stdout, &list.stderr] {
        assert!(!shown.contains(&secret) && !shown.contains(&hash), "{shown}");
    }
    let record = env.parameter(&format!("/jwtstack/tokens/clients/{id}")).unwrap();
    let stored = record.value().unwrap();
    assert!(stored.contains(&hash) && !stored.contains(&secret), "{stored}");

    let server = Server::start(env.path(), &[], &[("AWS_ENDPOINT_URL", env.endpoint())]);
    let addr = server.addr.clone();
    // client_secret_basic.
    let ok = post(&addr, Some((&id, &secret)), FORM, "grant_type=client_credentials");
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.header("cache-control"), Some("no-store"));
    let j = json(&ok.body);
    assert_eq!(
        (j["token_type"].as_str(), j["expires_in"].as_u64(), j["scope"].as_str()),
        (Some("Bearer"), Some(600), Some("lists.read"))
    );
    let token = j["access_token"].as_str().unwrap().to_string();
    let c = claims(&token);
    assert_eq!(
        (c["sub"].as_str(), c["client_id"].as_str(), c["aud"].as_str()),
        (Some(id.as_str()), Some(id.as_str()), Some("tokens-api"))
    );
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 600);
    env.run(&["verify", &token, "--route", "GET /lists/42"]).ok();
    let denied = env.run(&["verify", &token, "--route", "POST /lists"]).code(3);
    assert!(denied.stdout.contains("403"), "{}", denied.stdout);
    // client_secret_post, with a scope asked for.
    let body = format!("grant_type=client_credentials&client_id={writer_id}&client_secret={writer_secret}&scope=lists.write");
    let ok = post(&addr, None, FORM, &body);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let token = json(&ok.body)["access_token"].as_str().unwrap().to_string();
    env.run(&["verify", &token, "--route", "POST /lists"]).ok();
    env.run(&["verify", &token, "--route", "GET /lists/42"]).code(3);

    // Each error with its status and `error`.
    let wrong = post(&addr, Some((&id, "jwtss_wrong")), FORM, "grant_type=client_credentials");
    assert_eq!(error(&wrong, 401), "invalid_client");
    assert!(
        wrong.header("www-authenticate").is_some_and(|w| w.starts_with("Basic")),
        "{:?}",
        wrong.headers
    );
    let wrong = post(
        &addr,
        None,
        FORM,
        &format!("grant_type=client_credentials&client_id={id}&client_secret=nope"),
    );
    assert_eq!(error(&wrong, 401), "invalid_client");
    assert!(wrong.header("www-authenticate").is_some(), "every 401 carries the challenge");
    let unknown = post(&addr, Some(("nobody", &secret)), FORM, "grant_type=client_credentials");
    assert_eq!(error(&unknown, 401), "invalid_client");
    assert_eq!(json(&unknown.body)["error_description"], json(&wrong.body)["error_description"]);
    assert_eq!(
        error(&post(&addr, Some((&id, &secret)), FORM, "grant_type=password"), 400),
        "unsupported_grant_type"
    );
    assert_eq!(
        error(&post(&addr, Some((&id, &secret)), FORM, "scope=lists.read"), 400),
        "invalid_request"
    );
    assert_eq!(
        error(&post(&addr, Some((&id, &secret)), "application/json", "{}"), 400),
        "invalid_request"
    );
    let scope = post(&addr, Some((&id, &secret)), FORM, "grant_type=client_credentials&scope=lists.write");
    assert_eq!(error(&scope, 400), "invalid_scope");
    let big = format!("grant_type=client_credentials&pad={}", "a".repeat(9000));
    assert_eq!(post(&addr, Some((&id, &secret)), FORM, &big).status, 413);
    // Only POST is the endpoint's route: API Gateway answers anything else at the path as no route.
    let get = raw(&addr, b"GET /oauth2/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    assert_eq!(get.status, 404);

    // A client the stack no longer serves (no route grants its scope) is unauthorized_client; serve reloads
    // the stack file on its own.
    let (reader_id, reader_secret) = add(&env, "reader2", &["lists.read"]);
    let without_reads = with_endpoint
        .replace("scopes: [lists.read]", "scopes: [lists.write]")
        .replace("scopes: [lists.read, lists.admin]", "scopes: [lists.admin]");
    env.write_stack(&without_reads);
    super::wait_for(
        || {
            let a = post(&addr, Some((&reader_id, &reader_secret)), FORM, "grant_type=client_credentials");
            a.status == 400 && json(&a.body)["error"] == "unauthorized_client"
        },
        "serve reloads the stack and refuses a client whose scopes no route grants",
    );
    env.write_stack(&with_endpoint);

    // Disabled, removed, or with a rotated-out secret (none of these looked up before, so none is cached).
    let (sleepy_id, sleepy_secret) = add(&env, "sleepy", &["lists.read"]);
    env.run(&["clients", "disable", "sleepy"]).ok();
    assert_eq!(
        error(
            &post(&addr, Some((&sleepy_id, &sleepy_secret)), FORM, "grant_type=client_credentials"),
            401
        ),
        "invalid_client"
    );
    let (gone_id, gone_secret) = add(&env, "gone", &["lists.read"]);
    env.run(&["clients", "remove", "gone"]).ok();
    assert_eq!(
        error(
            &post(&addr, Some((&gone_id, &gone_secret)), FORM, "grant_type=client_credentials"),
            401
        ),
        "invalid_client"
    );
    let (rot_id, old) = add(&env, "rotating", &["lists.read"]);
    let new = json(
        &env.run(&["clients", "rotate-secret", "rotating", "--grace", "0", "--json"])
            .ok()
            .stdout,
    )["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    // serve reads the records again on a client id it does not know, at most every 5 s: the new secret works
    // within seconds, and the one rotated out with no grace is refused.
    super::wait_for(
        || post(&addr, Some((&rot_id, &new)), FORM, "grant_type=client_credentials").status == 200,
        "a new client's rotated secret works within seconds",
    );
    assert_eq!(
        error(&post(&addr, Some((&rot_id, &old)), FORM, "grant_type=client_credentials"), 401),
        "invalid_client"
    );

    // The access log names each failure and the client, never a secret.
    let log = server.log();
    assert!(log.contains("invalid_client") && log.contains(&id), "{log}");
    for s in [&secret, &writer_secret, &old, &new] {
        assert!(!log.contains(s.as_str()), "a secret in serve's log");
    }
    drop(server);

    // A record planted under the clients' path without the stack's tag is neither trusted nor removed.
    let planted = "/jwtstack/tokens/clients/planted";
    env.block_on(
        env.sdk()
            .ssm
            .put_parameter()
            .name(planted)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .value(
                env.parameter(&format!("/jwtstack/tokens/clients/{id}"))
                    .unwrap()
                    .value()
                    .unwrap()
                    .replace(&id, "planted"),
            )
            .send(),
    )
    .unwrap();
    let listed = env.run(&["clients", "list"]).ok();
    assert!(listed.stderr.contains(planted), "{}", listed.stderr);
    let down = env.run(&["teardown", "--yes"]).ok();
    assert!(down.stderr.contains("- token_client billing"), "{}", down.stderr);
    let left = env.stack_parameters("tokens");
    assert_eq!(left, [planted], "teardown removes the clients jwtstack made and nothing else");
}
