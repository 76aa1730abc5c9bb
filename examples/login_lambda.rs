//! A login Lambda in Rust that mints tokens with the jwtstack library: `POST /login` with
//! `{"username": "...", "password": "..."}` answers `{"access_token": "...", "token_type": "Bearer",
//! "expires_in": 900}` signed with the stack's key, which API Gateway's JWT authorizer then accepts.
//!
//! It speaks the Lambda Runtime API itself (a `provided.al2023` function whose `bootstrap` is this binary), so it
//! needs nothing beyond the jwtstack crate's own dependencies. Build and package:
//!
//! ```sh
//! cargo build --release --example login_lambda --target x86_64-unknown-linux-musl
//! cp target/x86_64-unknown-linux-musl/release/examples/login_lambda bootstrap && zip login.zip bootstrap
//! ```
//!
//! Configuration (environment): the signing key, one of
//! - `JWTSTACK_KMS_KEY` (`alias/jwtstack/{name}/{kid}`, a stack with `key_store: kms`): each token is one
//!   `kms:Sign`, and the private key never reaches the function; its role needs `kms:Sign` and
//!   `kms:GetPublicKey` on that key;
//! - `JWTSTACK_KEY_PARAMETER` (`/jwtstack/{name}/keys/{kid}`, `key_store: ssm`): the PEM is read once per cold
//!   start; the role needs `ssm:GetParameter` on it (SSM's default key, `aws/ssm`, decrypts for any role of
//!   the account allowed to read the parameter: no KMS statement, and no deny of `kms:Decrypt`);
//!
//! and `JWTSTACK_KID`,
//! `JWTSTACK_ISSUER` and `JWTSTACK_AUDIENCE` (from `jwtstack outputs`), `LOGIN_USERS` (`alice:SHA256HEX,...`,
//! the demo credential store: replace [`authenticate`] with your login system) and `TOKEN_SCOPES`.

use std::time::{SystemTime, UNIX_EPOCH};

use jwtstack::crypto::keys::SigningKey;
use jwtstack::crypto::token::MintRequest;
use jwtstack::signer::Signer;
use rand::rngs::OsRng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// What the function needs, read once per cold start.
struct Config {
    signer: Signer,
    issuer: String,
    audience: String,
    scopes: Vec<String>,
    /// username -> SHA-256 of the password (hex). A demo store: use your own login system.
    users: Vec<(String, String)>,
    ttl: u64,
}

/// Checks a username and password. Replace this with a call to your existing login system.
fn authenticate(cfg: &Config, username: &str, password: &str) -> bool {
    let digest = hex::encode(Sha256::digest(password.as_bytes()));
    // Compare every entry in full, so the time taken does not tell which user exists.
    let mut ok = false;
    for (u, h) in &cfg.users {
        let same_user = u == username;
        let same_hash = h.len() == digest.len() && h.bytes().zip(digest.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        ok |= same_user && same_hash;
    }
    ok
}

fn reply(status: u16, body: Value) -> Value {
    json!({"statusCode": status, "headers": {"content-type": "application/json", "cache-control": "no-store"}, "body": body.to_string()})
}

/// One API Gateway payload 2.0 event in, one response out.
async fn handle(cfg: &Config, event: &Value, now: u64) -> Value {
    if event["requestContext"]["http"]["method"] != "POST" {
        return reply(405, json!({"error": "use POST"}));
    }
    let raw = event["body"].as_str().unwrap_or("");
    let body = if event["isBase64Encoded"] == true {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    } else {
        raw.to_string()
    };
    let Ok(creds) = serde_json::from_str::<Value>(&body) else {
        return reply(400, json!({"error": "send {\"username\": ..., \"password\": ...}"}));
    };
    let (Some(user), Some(pass)) = (creds["username"].as_str(), creds["password"].as_str()) else {
        return reply(400, json!({"error": "username and password are required"}));
    };
    if !authenticate(cfg, user, pass) {
        return reply(401, json!({"error": "invalid credentials"}));
    }
    let req = MintRequest {
        issuer: cfg.issuer.clone(),
        audience: vec![cfg.audience.clone()],
        subject: user.to_string(),
        scopes: cfg.scopes.clone(),
        ttl_seconds: cfg.ttl,
        extra: serde_json::Map::new(),
    };
    match cfg.signer.mint(&req, now, &mut OsRng).await {
        Ok(token) => reply(200, json!({"access_token": token, "token_type": "Bearer", "expires_in": cfg.ttl})),
        Err(e) => reply(500, json!({"error": e.to_string()})),
    }
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

async fn config() -> Result<Config, String> {
    let kid = env("JWTSTACK_KID")?;
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let signer = match std::env::var("JWTSTACK_KMS_KEY") {
        Ok(alias) => Signer::kms(aws_sdk_kms::Client::new(&aws), &alias, &kid),
        Err(_) => {
            let parameter = env("JWTSTACK_KEY_PARAMETER")?;
            let ssm = aws_sdk_ssm::Client::new(&aws);
            let out = ssm
                .get_parameter()
                .name(&parameter)
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| format!("reading {parameter}: {e}"))?;
            let pem = out.parameter().and_then(|p| p.value()).unwrap_or_default();
            Signer::Pem(SigningKey::from_pem(&kid, pem).map_err(|e| e.to_string())?)
        }
    };
    let users = env("LOGIN_USERS")?
        .split(',')
        .filter_map(|e| e.split_once(':'))
        .map(|(u, h)| (u.trim().to_string(), h.trim().to_ascii_lowercase()))
        .collect();
    Ok(Config {
        signer,
        issuer: env("JWTSTACK_ISSUER")?,
        audience: env("JWTSTACK_AUDIENCE")?,
        scopes: std::env::var("TOKEN_SCOPES")
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from)
            .collect(),
        users,
        ttl: 900,
    })
}

/// The Lambda Runtime API loop: next invocation, handle, respond.
#[tokio::main]
async fn main() -> Result<(), String> {
    let api = env("AWS_LAMBDA_RUNTIME_API")?;
    let base = format!("http://{api}/2018-06-01/runtime");
    let http = reqwest::Client::new();
    let cfg = match config().await {
        Ok(c) => c,
        Err(e) => {
            let _ = http
                .post(format!("{base}/init/error"))
                .body(json!({"errorMessage": e, "errorType": "Config"}).to_string())
                .send()
                .await;
            return Err(e);
        }
    };
    loop {
        let next = http
            .get(format!("{base}/invocation/next"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let id = next
            .headers()
            .get("lambda-runtime-aws-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let event: Value = next.json_value().await;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let answer = handle(&cfg, &event, now).await;
        http.post(format!("{base}/invocation/{id}/response"))
            .body(answer.to_string())
            .send()
            .await
            .map_err(|e| e.to_string())?;
    }
}

trait JsonValue {
    async fn json_value(self) -> Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Value {
        let bytes = self.bytes().await.unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwtstack::crypto::keys::Jwks;
    use jwtstack::crypto::token::{AuthorizerConfig, authorize};

    fn cfg() -> Config {
        Config {
            signer: Signer::Pem(SigningKey::generate("k1", 2048).unwrap()),
            issuer: "https://issuer.example".into(),
            audience: "grocery-api".into(),
            scopes: vec!["lists.read".into()],
            users: vec![("alice".into(), hex::encode(Sha256::digest(b"s3cret")))],
            ttl: 900,
        }
    }

    fn login(cfg: &Config, body: &str) -> Value {
        let event = json!({"requestContext": {"http": {"method": "POST"}}, "body": body, "isBase64Encoded": false});
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(handle(cfg, &event, 1_800_000_000))
    }

    #[test]
    fn a_good_login_gets_a_token_the_authorizer_accepts() {
        let cfg = cfg();
        let r = login(&cfg, r#"{"username": "alice", "password": "s3cret"}"#);
        assert_eq!(r["statusCode"], 200);
        let body: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
        let token = body["access_token"].as_str().unwrap();
        let Signer::Pem(key) = &cfg.signer else { unreachable!() };
        let jwks = Jwks {
            keys: vec![key.public_jwk()],
        };
        let authorizer = AuthorizerConfig::http(cfg.issuer.clone(), vec![cfg.audience.clone()]);
        let d = authorize(&authorizer, &jwks, Some(token), Some(&["lists.read".to_string()]), 1_800_000_100);
        assert!(d.allowed, "{}", d.reason);
    }

    #[test]
    fn bad_logins_get_no_token() {
        let cfg = cfg();
        assert_eq!(login(&cfg, r#"{"username": "alice", "password": "nope"}"#)["statusCode"], 401);
        assert_eq!(login(&cfg, r#"{"username": "bob", "password": "s3cret"}"#)["statusCode"], 401);
        assert_eq!(login(&cfg, "not json")["statusCode"], 400);
        assert_eq!(login(&cfg, r#"{"username": "alice"}"#)["statusCode"], 400);
    }
}
