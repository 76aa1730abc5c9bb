//! token and verify.

use std::io::Read;

use rand::rngs::OsRng;
use serde_json::{Map, Value};

use super::Session;
use crate::cli::{Global, TokenArgs, VerifyArgs};
use crate::error::Error;
use crate::exit;
use crate::output::{TokenJson, VerifyJson, to_json};
use jwtstack_aws::Clients;
use jwtstack_aws::jwks::{JwksSource, KeySource, LoadError};
use jwtstack_aws::signer::{SignerError, stack_signer};
use jwtstack_core::clock::now_secs as now;
use jwtstack_core::config::{ApiType, Hosted, Issuer, Stack, parse_duration_str, route};
use jwtstack_core::crypto::keys::{Jwks, SigningKey};
use jwtstack_core::crypto::token::{AuthorizerConfig, Decision, MintRequest, authorize, mint};
use jwtstack_core::text::{printable, read_bounded_string};

/// The most read of a key file or a claims file: a 4096-bit key's PEM is 3.3 KB, and a token's claims must fit
/// in API Gateway's 10,240-byte request headers.
pub(crate) const SMALL_FILE_BYTES: usize = 64 * 1024;

/// The region without calling AWS: flag, stack file, then the environment. Only needed for the default issuer URL.
pub(crate) fn local_region(g: &Global, stack: &Stack) -> Result<String, Error> {
    g.aws
        .region
        .clone()
        .or_else(|| stack.region.clone())
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty())
        // An issuer URL that does not depend on the region.
        .or_else(|| match &stack.issuer {
            Issuer::Hosted(h) if h.url.is_none() => None,
            _ => Some(String::new()),
        })
        .ok_or_else(|| {
            Error::Usage("the issuer URL depends on the region: pass --region, set `region:` in the stack file, or set AWS_REGION".into())
        })
}

fn parse_claim(text: &str) -> Result<(String, Value), Error> {
    let (k, v) = text
        .split_once('=')
        .ok_or_else(|| Error::Usage(format!("--claim `{text}` is not KEY=VALUE")))?;
    if k.is_empty() {
        return Err(Error::Usage(format!("--claim `{text}` has an empty key")));
    }
    let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()));
    if let Some(n) = past_64_bits(&value) {
        return Err(Error::Usage(format!(
            "--claim `{k}`: {n} is a number past 64 bits, which JSON readers round; give it as a string (`{k}=\"{v}\"`)"
        )));
    }
    Ok((k.to_string(), value))
}

/// A number in `value` (at any depth) past 64 bits: serde_json reads an integer literal that long as a float,
/// rounded, and the token would carry another number than the one given.
fn past_64_bits(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .filter(|f| n.is_f64() && f.abs() >= u64::MAX as f64)
            .map(|_| n.to_string()),
        Value::Array(a) => a.iter().find_map(past_64_bits),
        Value::Object(o) => o.values().find_map(past_64_bits),
        _ => None,
    }
}

/// The scopes a claim grants: `scp` holds them as API Gateway reads it, a space-separated string or a list.
fn scopes_in(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
        Value::Array(a) => a.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).collect(),
        other => vec![other.to_string()],
    }
}

pub async fn token(session: &Session<'_>, stack: &Stack, args: TokenArgs) -> Result<u8, Error> {
    let g = session.g;
    let Some(h) = stack.hosted() else {
        return Err(Error::Usage(format!(
            "the issuer is external ({}): the provider mints the tokens; `jwtstack verify TOKEN` checks one of them",
            stack.issuer_url("")
        )));
    };
    if args.sub.trim().is_empty() {
        return Err(Error::Usage(
            "--sub is empty: a token names its subject (a user id, a service name)".into(),
        ));
    }
    let ttl = parse_duration_str(&args.ttl).map_err(|e| Error::Usage(format!("--ttl: {e}")))?;
    if ttl == 0 {
        return Err(Error::Usage("--ttl must be at least 1 second".into()));
    }
    if ttl > stack.token_max_ttl && !args.force {
        return Err(Error::Usage(format!(
            "--ttl {ttl}s is over the stack's token_max_ttl of {}s (raise token_max_ttl, or pass --force)",
            stack.token_max_ttl
        )));
    }
    let scopes: Vec<String> = args.scope.as_deref().unwrap_or("").split_whitespace().map(str::to_string).collect();
    let granted = stack.all_scopes();
    if let Some(s) = scopes.iter().find(|s| !granted.contains(s))
        && !args.force
    {
        return Err(Error::Usage(format!(
            "scope `{s}` is granted by no route of the stack (routes grant: {}); pass --force to mint it anyway",
            granted.join(" ")
        )));
    }
    let audience = if args.aud.is_empty() {
        vec![stack.audience[0].clone()]
    } else {
        args.aud.clone()
    };
    if let Some(a) = audience.iter().find(|a| !stack.audience.contains(a))
        && !args.force
    {
        return Err(Error::Usage(format!(
            "audience `{a}` is not one of the stack's audiences ({}); pass --force to mint it anyway",
            stack.audience.join(", ")
        )));
    }
    let mut extra = Map::new();
    if let Some(path) = &args.claims_json {
        let text =
            read_bounded_string(path, SMALL_FILE_BYTES).map_err(|e| Error::Usage(format!("--claims-json {}: {e}", path.display())))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| Error::Usage(format!("--claims-json {}: {e}", path.display())))?;
        let Value::Object(m) = v else {
            return Err(Error::Usage(format!("--claims-json {}: not a JSON object", path.display())));
        };
        if let Some(n) = m.values().find_map(past_64_bits) {
            return Err(Error::Usage(format!(
                "--claims-json {}: {n} is a number past 64 bits, which JSON readers round; give it as a string",
                path.display()
            )));
        }
        extra.extend(m);
    }
    for c in &args.claim {
        let (k, v) = parse_claim(c)?;
        extra.insert(k, v);
    }
    // API Gateway reads `scp` as it reads `scope`: the same rule holds for what it grants.
    if let Some(scp) = extra.get("scp")
        && !args.force
        && let Some(s) = scopes_in(scp).into_iter().find(|s| !granted.contains(s))
    {
        return Err(Error::Usage(format!(
            "claim `scp` grants `{s}`, which no route of the stack grants (routes grant: {}); pass --force to mint it anyway",
            granted.join(" ")
        )));
    }
    let mut req = MintRequest {
        issuer: String::new(),
        audience,
        subject: args.sub,
        scopes,
        ttl_seconds: ttl,
        extra,
    };
    let issued_at = now();
    let token = match &args.key_file {
        Some(path) => {
            let pem = zeroize::Zeroizing::new(
                read_bounded_string(path, SMALL_FILE_BYTES).map_err(|e| Error::Usage(format!("--key-file {}: {e}", path.display())))?,
            );
            let key = SigningKey::from_pem(&h.key_id, &pem).map_err(|e| Error::Usage(format!("--key-file {}: {e}", path.display())))?;
            req.issuer = stack.issuer_url(&local_region(g, stack)?);
            mint(&key, &req, issued_at, &mut OsRng).map_err(|e| Error::Usage(e.to_string()))?
        }
        None => {
            let started = std::time::Instant::now();
            let c = session.clients(stack).await?;
            req.issuer = stack.issuer_url(&c.region);
            let minted = mint_deployed(c, stack, h, &req, issued_at).await;
            super::report_stats(g, c, started);
            minted?
        }
    };
    if g.json {
        let out = TokenJson {
            token,
            kid: h.key_id.clone(),
            issuer: req.issuer,
            audience: req.audience,
            subject: req.subject,
            scopes: req.scopes,
            issued_at,
            expires_at: issued_at.saturating_add(req.ttl_seconds),
        };
        crate::outln!("{}", to_json(&out));
    } else {
        crate::outln!("{token}");
    }
    Ok(exit::OK)
}

/// Mints with the stack's signing key where it lives (see [`stack_signer`]).
async fn mint_deployed(c: &Clients, stack: &Stack, h: &Hosted, req: &MintRequest, issued_at: u64) -> Result<String, Error> {
    let signer = stack_signer(c, stack, &h.key_id).await?;
    signer.mint(req, issued_at, &mut OsRng).await.map_err(|e| match e {
        SignerError::Mint(m) => Error::Usage(m.to_string()),
        other => Error::Failure(format!("{other}; no token was minted")),
    })
}

/// Where the JWKS comes from, and the region the issuer URL is built with: `--jwks FILE`, `--jwks-url URL`,
/// an external issuer's (through its discovery document, as API Gateway finds it), or the deployed one in S3.
pub(crate) async fn key_source(
    session: &Session<'_>,
    stack: &Stack,
    file: Option<&std::path::PathBuf>,
    url: Option<&String>,
) -> Result<(KeySource, String), Error> {
    let (source, region) = match (file, url, &stack.issuer) {
        (Some(p), _, _) => (KeySource::File(p.clone()), local_region(session.g, stack)?),
        (None, Some(u), _) => (KeySource::Url(u.clone()), local_region(session.g, stack)?),
        (None, None, Issuer::External { url }) => (external(url, stack.api_type == ApiType::Rest), String::new()),
        (None, None, Issuer::Hosted(h)) => {
            let c = session.clients(stack).await?;
            let region = c.region.clone();
            let source = KeySource::Deployed {
                clients: Box::new(c.clone()),
                bucket: h.bucket.clone(),
                key: h.jwks_key(),
            };
            (source, region)
        }
    };
    // A REST API's authorizer trusts more issuers: their keys are always their own, found as API Gateway
    // finds them; `--jwks`/`--jwks-url` stand for the stack's own issuer's.
    if stack.api_type == ApiType::Rest {
        let mut parts = vec![(stack.issuer_url(&region), source)];
        parts.extend(stack.trust.iter().map(|t| (t.issuer.clone(), external(&t.issuer, true))));
        return Ok((KeySource::Issuers(parts), region));
    }
    Ok((source, region))
}

/// An identity provider's keys, through its discovery document; what the issuer check finds is said, and for
/// a REST API's authorizer (`rest`) an error in it refuses the keys.
fn external(url: &str, rest: bool) -> KeySource {
    KeySource::External {
        url: url.to_string(),
        tell: |findings| crate::err!("{findings}"),
        rest,
    }
}

/// The JWKS `verify` decides against. An unreadable `--jwks` file is a usage error; anything else is a failure.
async fn read_jwks(session: &Session<'_>, stack: &Stack, args: &VerifyArgs) -> Result<(Jwks, String), Error> {
    let (source, region) = key_source(session, stack, args.jwks.as_ref(), args.jwks_url.as_ref()).await?;
    let jwks = source.load().await.map_err(|e| match (&source, e) {
        (KeySource::File(_), LoadError::Source(e)) => Error::Usage(format!("--jwks {e}")),
        // A REST API's first key set is the stack's own: `--jwks FILE` when given.
        (KeySource::Issuers(parts), LoadError::Source(e))
            if matches!(parts.first(), Some((own, KeySource::File(_))) if e.starts_with(&format!("the keys of {own}:"))) =>
        {
            Error::Usage(format!("--jwks {e}"))
        }
        (KeySource::Url(_), LoadError::Source(e)) => Error::Failure(format!("fetching the JWKS: {e}")),
        (_, e) => Error::Failure(e.to_string()),
    })?;
    Ok((jwks, region))
}

pub async fn verify(session: &Session<'_>, stack: &Stack, args: VerifyArgs) -> Result<u8, Error> {
    let g = session.g;
    let token = if args.token == "-" {
        let mut s = String::new();
        std::io::stdin()
            .take(1 << 20)
            .read_to_string(&mut s)
            .map_err(|e| Error::Usage(format!("reading the token from stdin: {e}")))?;
        s.trim().to_string()
    } else {
        args.token.clone()
    };
    let (jwks, region) = read_jwks(session, stack, &args).await?;
    let cfg = AuthorizerConfig::of_stack(stack, stack.issuer_url(&region));

    let (decision, route_key, route_scopes) = match &args.route {
        None => (authorize(&cfg, &jwks, Some(&token), None, args.at.unwrap_or_else(now)), None, None),
        Some(req) => {
            let (method, path) = req
                .split_once(' ')
                .filter(|(m, p)| !m.is_empty() && p.starts_with('/'))
                .ok_or_else(|| Error::Usage(format!("--route `{req}` is not \"METHOD /path\"")))?;
            let selected = route::select(stack.routes.iter().map(|r| &r.key), &method.to_ascii_uppercase(), path);
            // The path alone, as `serve` checks it: a query string is not part of it.
            let path_only = path.split_once('?').map_or(path, |(p, _)| p);
            match (route::unsafe_path(path_only), selected) {
                // The same path rule as `serve`, which answers 400: the route matched is not the one a client
                // that resolves the dot segment reaches.
                (Some(why), _) => (
                    Decision::local(
                        false,
                        400,
                        format!("{why} of {req}: `serve` refuses it, and verify decides nothing for it"),
                    ),
                    None,
                    None,
                ),
                (None, None) => (
                    Decision::local(false, 404, format!("no route of the stack matches {req}")),
                    None,
                    None,
                ),
                (None, Some((key, _))) if stack.routes.iter().any(|r| &r.key == key && r.public) => (
                    Decision::local(
                        true,
                        200,
                        format!("route `{key}` is public (auth: none): API Gateway lets every request through without reading a token"),
                    ),
                    Some(key.to_string()),
                    Some(Vec::new()),
                ),
                (None, Some((key, _))) => {
                    let scopes = stack
                        .routes
                        .iter()
                        .find(|r| &r.key == key)
                        .map(|r| r.scopes.clone())
                        .unwrap_or_default();
                    let d = authorize(&cfg, &jwks, Some(&token), Some(&scopes), args.at.unwrap_or_else(now));
                    (d, Some(key.to_string()), Some(scopes))
                }
            }
        }
    };
    if g.json {
        crate::outln!(
            "{}",
            to_json(&VerifyJson {
                decision: decision.clone(),
                route: route_key.clone(),
                route_scopes: route_scopes.clone()
            })
        );
    } else {
        // The reason and the kid can carry what the token said (an unverified kid): printable only.
        let verdict = if decision.allowed { "ALLOWED" } else { "DENIED" };
        crate::outln!("{verdict} {}: {}", decision.status, printable(&decision.reason));
        if let Some(r) = &route_key {
            crate::outln!(
                "route: {} (scopes: [{}])",
                printable(r),
                printable(&route_scopes.unwrap_or_default().join(" "))
            );
        }
        if let Some(w) = &decision.www_authenticate {
            crate::outln!("www-authenticate: {}", printable(w));
        }
        if let Some(k) = &decision.kid {
            crate::outln!("kid: {}", printable(k));
        }
        if let Some(i) = &decision.issuer {
            crate::outln!("issuer: {}", printable(i));
        }
    }
    Ok(if decision.allowed { exit::OK } else { exit::DENIED })
}
