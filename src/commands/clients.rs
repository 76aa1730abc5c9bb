//! `clients`: the token endpoint's clients, kept in SSM (`jwtstack_aws::clients`); and the token issuer `serve`
//! answers the endpoint with, over the same records and the stack's signing key.

use std::sync::Arc;

use rand::rngs::OsRng;
use serde_json::{Map, Value};

use crate::cli::{ClientsCommand, Global};
use crate::error::Error;
use crate::exit;
use crate::output::{ClientJson, ClientSecretJson, to_json};
use jwtstack_aws::Clients;
use jwtstack_aws::clients as store;
use jwtstack_aws::signer::{Signer, stack_signer};
use jwtstack_core::clock::now_secs;
use jwtstack_core::config::{MAX_TOKEN_MAX_TTL, Stack, TokenEndpoint, parse_duration_str};
use jwtstack_core::crypto::token::MintRequest;
use jwtstack_core::oauth::{self, ClientRecord, Grant, SecretHash};
use jwtstack_core::text::printable;
use jwtstack_serve::{BoxFuture, TokenIssuer};

/// The stack's token endpoint, or why the command has nothing to do.
fn endpoint(stack: &Stack) -> Result<&TokenEndpoint, Error> {
    stack.token_endpoint.as_ref().ok_or_else(|| {
        Error::Usage(format!(
            "stack `{}` declares no token_endpoint: add `token_endpoint: {{}}` to the stack file first (docs/token-endpoint.md)",
            stack.name
        ))
    })
}

async fn find(c: &Clients, stack: &Stack, name: &str) -> Result<ClientRecord, Error> {
    let (records, _) = store::list(c, &stack.name, None).await?;
    let mut named: Vec<ClientRecord> = records.into_iter().filter(|r| r.name == name).collect();
    match named.len() {
        0 => Err(Error::Usage(format!(
            "stack `{}` has no client named `{}` (`jwtstack clients list` shows them)",
            stack.name,
            printable(name)
        ))),
        1 => Ok(named.remove(0)),
        // Two `clients add` of one name at once can both succeed: act on neither, say which they are.
        _ => Err(Error::Failure(format!(
            "stack `{}` has {} clients named `{}` ({}): remove the one not in use with `aws ssm delete-parameter --name {}{{client_id}}`",
            stack.name,
            named.len(),
            printable(name),
            named.iter().map(|r| r.client_id.as_str()).collect::<Vec<_>>().join(", "),
            jwtstack_core::names::client_prefix(&stack.name)
        ))),
    }
}

pub async fn clients(g: &Global, c: &Clients, stack: &Stack, command: ClientsCommand) -> Result<u8, Error> {
    let te = endpoint(stack)?;
    match command {
        ClientsCommand::Add {
            name,
            scope,
            audience,
            ttl,
        } => add(g, c, stack, te, name, scope, audience, ttl).await,
        ClientsCommand::List => list(g, c, stack).await,
        ClientsCommand::RotateSecret { name, grace } => rotate_secret(g, c, stack, &name, &grace).await,
        ClientsCommand::Disable { name } => set_disabled(g, c, stack, &name, true).await,
        ClientsCommand::Enable { name } => set_disabled(g, c, stack, &name, false).await,
        ClientsCommand::Remove { name } => {
            let r = find(c, stack, &name).await?;
            store::delete(c, &stack.name, &r.client_id).await?;
            say(
                g,
                &r,
                format!(
                    "Removed client `{name}` ({}): it gets invalid_client within {}s",
                    r.client_id,
                    oauth::CLIENT_CACHE_SECONDS
                ),
            );
            Ok(exit::OK)
        }
    }
}

/// Every refusal comes before the record is written: a scope no route grants, an audience not the stack's, a
/// lifetime over the endpoint's, a name taken.
#[allow(clippy::too_many_arguments)]
async fn add(
    g: &Global,
    c: &Clients,
    stack: &Stack,
    te: &TokenEndpoint,
    name: String,
    scopes: Vec<String>,
    audience: Option<String>,
    ttl: Option<String>,
) -> Result<u8, Error> {
    if !oauth::valid_name(&name) {
        return Err(Error::Usage(format!(
            "client name `{}` is not 1 to {} letters, digits, `-`, `_` or `.`",
            printable(&name),
            oauth::MAX_NAME
        )));
    }
    let granted = stack.all_scopes();
    let mut wanted: Vec<String> = Vec::new();
    for s in scopes.iter().flat_map(|s| s.split_whitespace()) {
        if !granted.iter().any(|g| g == s) {
            return Err(Error::Usage(format!(
                "scope `{}` is granted by no route of the stack (routes grant: {})",
                printable(s),
                granted.join(" ")
            )));
        }
        if !wanted.iter().any(|w| w == s) {
            wanted.push(s.to_string());
        }
    }
    if let Some(a) = &audience
        && !stack.audience.contains(a)
    {
        return Err(Error::Usage(format!(
            "audience `{}` is not one of the stack's ({})",
            printable(a),
            stack.audience.join(", ")
        )));
    }
    let ttl = match ttl {
        None => None,
        Some(t) => {
            let secs = parse_duration_str(&t).map_err(|e| Error::Usage(format!("--ttl: {e}")))?;
            if secs == 0 || secs > te.ttl {
                return Err(Error::Usage(format!(
                    "--ttl {secs}s: a client's tokens live 1s to the endpoint's ttl ({}s)",
                    te.ttl
                )));
            }
            Some(secs)
        }
    };
    let (existing, _) = store::list(c, &stack.name, None).await?;
    if let Some(r) = existing.iter().find(|r| r.name == name) {
        return Err(Error::Usage(format!(
            "stack `{}` already has a client named `{name}` ({}); `jwtstack clients rotate-secret {name}` gives it a new secret",
            stack.name, r.client_id
        )));
    }
    let secret = zeroize::Zeroizing::new(oauth::new_secret(&mut OsRng));
    let mut record = ClientRecord::new(
        &name,
        &oauth::new_client_id(&mut OsRng),
        wanted,
        oauth::hash_secret(&secret),
        now_secs(),
    );
    record.audience = audience;
    record.ttl = ttl;
    store::create(c, &stack.name, &record).await?;
    print_secret(g, &record, &secret, None);
    Ok(exit::OK)
}

/// The secret, once: on stdout, with the id; the notes on stderr.
fn print_secret(g: &Global, r: &ClientRecord, secret: &str, old_until: Option<u64>) {
    if g.json {
        let out = ClientSecretJson {
            name: r.name.clone(),
            client_id: r.client_id.clone(),
            client_secret: secret.to_string(),
            scopes: r.scopes.clone(),
            old_secret_expires_at: old_until,
        };
        crate::outln!("{}", to_json(&out));
        return;
    }
    crate::outln!("client_id={}", r.client_id);
    crate::outln!("client_secret={secret}");
    crate::errln!(
        "client `{}`: scopes {}. The secret is shown this once and only its SHA-256 is stored: keep it in a secret store.",
        r.name,
        r.scopes.join(" ")
    );
    if let Some(t) = old_until {
        crate::errln!(
            "the previous secret works until {} (Unix {t})",
            jwtstack_core::clock::format_utc(t as i64)
        );
    }
}

fn say(g: &Global, r: &ClientRecord, text: String) {
    if g.json {
        crate::outln!("{}", to_json(&client_json(r, now_secs())));
    } else {
        crate::outln!("{text}");
    }
}

fn client_json(r: &ClientRecord, now: u64) -> ClientJson {
    ClientJson {
        name: r.name.clone(),
        client_id: r.client_id.clone(),
        scopes: r.scopes.clone(),
        audience: r.audience.clone(),
        ttl: r.ttl,
        disabled: r.disabled,
        live_secrets: r.live_secrets(now),
        created_at: r.created_at,
    }
}

async fn list(g: &Global, c: &Clients, stack: &Stack) -> Result<u8, Error> {
    let (records, untrusted) = store::list(c, &stack.name, None).await?;
    let now = now_secs();
    for u in &untrusted {
        crate::errln!(
            "warning: {u} is not a client record jwtstack made for stack `{}` (no tag, or unreadable): it authenticates no one",
            stack.name
        );
    }
    if g.json {
        let all: Vec<ClientJson> = records.iter().map(|r| client_json(r, now)).collect();
        crate::outln!("{}", to_json(&all));
        return Ok(exit::OK);
    }
    if records.is_empty() {
        crate::outln!(
            "Stack `{}` has no clients: `jwtstack clients add NAME --scope SCOPE` adds one.",
            stack.name
        );
        return Ok(exit::OK);
    }
    crate::outln!(
        "  {:<24} {:<22} {:<9} {:<7} {:<8} SCOPES",
        "NAME",
        "CLIENT_ID",
        "STATE",
        "SECRETS",
        "TTL"
    );
    for r in &records {
        let state = if r.disabled { "disabled" } else { "enabled" };
        let ttl = r.ttl.map_or_else(|| "endpoint".to_string(), |t| format!("{t}s"));
        crate::outln!(
            "  {:<24} {:<22} {:<9} {:<7} {:<8} {}",
            printable(&r.name),
            r.client_id,
            state,
            r.live_secrets(now),
            ttl,
            r.scopes.join(" ")
        );
    }
    Ok(exit::OK)
}

async fn rotate_secret(g: &Global, c: &Clients, stack: &Stack, name: &str, grace: &str) -> Result<u8, Error> {
    let grace = parse_duration_str(grace).map_err(|e| Error::Usage(format!("--grace: {e}")))?;
    if grace > MAX_TOKEN_MAX_TTL {
        return Err(Error::Usage(format!("--grace {grace}s is over 7 days")));
    }
    let mut r = find(c, stack, name).await?;
    let now = now_secs();
    let until = now + grace;
    // The secrets still live end within the grace (or keep an earlier end); the ones that ended are dropped.
    for s in &mut r.secrets {
        s.expires_at = Some(s.expires_at.map_or(until, |t| t.min(until)));
    }
    r.secrets.retain(|s| s.expires_at.is_some_and(|t| now < t));
    let secret = zeroize::Zeroizing::new(oauth::new_secret(&mut OsRng));
    r.secrets.push(SecretHash {
        sha256: oauth::hash_secret(&secret),
        expires_at: None,
    });
    store::update(c, &stack.name, &r).await?;
    print_secret(g, &r, &secret, (grace > 0).then_some(until));
    Ok(exit::OK)
}

async fn set_disabled(g: &Global, c: &Clients, stack: &Stack, name: &str, disabled: bool) -> Result<u8, Error> {
    let mut r = find(c, stack, name).await?;
    if r.disabled != disabled {
        r.disabled = disabled;
        store::update(c, &stack.name, &r).await?;
    }
    let text = if disabled {
        format!(
            "Disabled client `{name}` ({}): it gets invalid_client within {}s",
            r.client_id,
            oauth::CLIENT_CACHE_SECONDS
        )
    } else {
        format!("Enabled client `{name}` ({})", r.client_id)
    };
    say(g, &r, text);
    Ok(exit::OK)
}

/// `serve`'s token issuer: client records from SSM (each record's tag read once), tokens signed with the stack's
/// signing key named at each token (a rotation's `activate` switches it while serve runs): an SSM key read
/// once, a KMS key with one `kms:Sign` per token.
pub struct AwsTokenIssuer {
    clients: Clients,
    stack: Stack,
    issuer: String,
    known_tagged: std::sync::Mutex<std::collections::BTreeSet<String>>,
    signers: tokio::sync::Mutex<std::collections::BTreeMap<String, Arc<Signer>>>,
}

impl AwsTokenIssuer {
    pub fn new(clients: Clients, stack: Stack, issuer: String) -> Arc<AwsTokenIssuer> {
        Arc::new(AwsTokenIssuer {
            clients,
            stack,
            issuer,
            known_tagged: std::sync::Mutex::new(std::collections::BTreeSet::new()),
            signers: tokio::sync::Mutex::new(std::collections::BTreeMap::new()),
        })
    }
}

impl TokenIssuer for AwsTokenIssuer {
    fn clients(&self) -> BoxFuture<'_, Result<Vec<ClientRecord>, String>> {
        Box::pin(async move {
            store::list(&self.clients, &self.stack.name, Some(&self.known_tagged))
                .await
                .map(|(records, _)| records)
                .map_err(|e| e.to_string())
        })
    }

    fn mint<'a>(&'a self, grant: &'a Grant, kid: &'a str) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let signer = {
                let mut signers = self.signers.lock().await;
                match signers.get(kid) {
                    Some(s) => s.clone(),
                    None => {
                        let s = Arc::new(stack_signer(&self.clients, &self.stack, kid).await.map_err(|e| e.to_string())?);
                        signers.insert(kid.to_string(), s.clone());
                        s
                    }
                }
            };
            let mut extra = Map::new();
            extra.insert("client_id".into(), Value::String(grant.client_id.clone()));
            let req = MintRequest {
                issuer: self.issuer.clone(),
                audience: vec![grant.audience.clone()],
                subject: grant.client_id.clone(),
                scopes: grant.scopes.clone(),
                ttl_seconds: grant.ttl,
                extra,
            };
            signer.mint(&req, now_secs(), &mut OsRng).await.map_err(|e| e.to_string())
        })
    }
}
