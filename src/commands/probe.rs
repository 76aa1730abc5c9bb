//! probe: real requests to the deployed API (or a gateway named by --endpoint), judged by what API Gateway's JWT
//! authorizer must answer; and the probe `deploy` runs at its end.

use jwtstack_aws::probe::{Patience, ProbeKeys, run};
use jwtstack_aws::signer::{Signer, stack_signer};
use jwtstack_aws::{Clients, apply::Deployed, inventory};
use jwtstack_core::config::{Issuer, Stack};
use jwtstack_core::crypto::keys::SigningKey;
use jwtstack_core::crypto::token::MintRequest;
use jwtstack_core::probe::{self, ProbeReport};

use super::Session;
use crate::cli::ProbeArgs;
use crate::error::Error;
use crate::exit;
use crate::output::to_json;

pub async fn probe(session: &Session<'_>, stack: &Stack, args: ProbeArgs) -> Result<u8, Error> {
    let g = session.g;
    // Route names are checked before any call.
    probe::plan(stack, &options(stack, &args.route, &args.through, true)).map_err(Error::Usage)?;
    if let Some(e) = &args.endpoint {
        check_endpoint(e)?;
    } else if stack.endpoint == Some(jwtstack_core::config::RestEndpoint::Private) {
        return Err(Error::Usage(super::stack::PRIVATE_PROBE.into()));
    }
    let offline = args.endpoint.is_some() && (args.key_file.is_some() || stack.hosted().is_none());
    let started = std::time::Instant::now();
    let clients = if offline { None } else { Some(session.clients(stack).await?) };
    let (endpoint, region, signer, unreadable) = match clients {
        None => {
            let region = super::token::local_region(g, stack)?;
            let signer = pem_signer(stack, args.key_file.as_deref())?;
            (args.endpoint.clone().unwrap_or_default(), region, signer, None)
        }
        Some(c) => {
            let endpoint = match &args.endpoint {
                Some(e) => e.clone(),
                None => deployed_endpoint(c, stack).await?,
            };
            let (signer, unreadable) = match args.key_file.as_deref() {
                Some(path) => (pem_signer(stack, Some(path))?, None),
                None => signer_of(c, stack).await,
            };
            (endpoint, c.region.clone(), signer, unreadable)
        }
    };
    let report = probe_with(
        stack,
        &region,
        &endpoint,
        signer.as_ref(),
        unreadable,
        &args.route,
        &args.through,
        Patience::NONE,
    )
    .await?;
    if let Some(c) = clients {
        // KMS signs while the probe runs: counted after it.
        super::report_stats(g, c, started);
    }
    if g.json {
        crate::outln!("{}", to_json(&report.to_json()));
    } else {
        crate::out!("{}", report.render());
    }
    Ok(if report.behaves() { exit::OK } else { exit::PROBE_FAILED })
}

/// `deploy`'s probe of the stack's own endpoint (or the gateway `endpoint` names): every route, with the
/// deployed key when this role may use it.
pub(crate) async fn after_deploy(
    c: &Clients,
    stack: &Stack,
    deployed: &Deployed,
    endpoint: Option<&str>,
) -> Result<Option<ProbeReport>, Error> {
    let Some(endpoint) = endpoint.or(deployed.api_endpoint.as_deref()) else {
        return Ok(None);
    };
    let (signer, unreadable) = signer_of(c, stack).await;
    let report = probe_with(
        stack,
        &c.region,
        endpoint,
        signer.as_ref(),
        unreadable,
        &[],
        &[],
        Patience::AFTER_DEPLOY,
    )
    .await?;
    Ok(Some(report))
}

fn options(stack: &Stack, routes: &[String], through: &[String], can_sign: bool) -> probe::Options {
    probe::Options {
        routes: routes.to_vec(),
        through: through.to_vec(),
        can_sign,
        kid: stack.hosted().map(|h| h.key_id.clone()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn probe_with(
    stack: &Stack,
    region: &str,
    endpoint: &str,
    signer: Option<&Signer>,
    unreadable: Option<String>,
    routes: &[String],
    through: &[String],
    patience: Patience,
) -> Result<ProbeReport, Error> {
    let mut plan = probe::plan(stack, &options(stack, routes, through, signer.is_some())).map_err(Error::Usage)?;
    if let Some(why) = unreadable {
        plan.unproven.insert(0, why);
    }
    let keys = ProbeKeys {
        signer,
        kid: stack.hosted().map(|h| h.key_id.clone()),
        issuer: stack.issuer_url(region),
        audience: stack.audience[0].clone(),
        claims: probe::required_claims(stack),
    };
    Ok(run(&plan, endpoint, &keys, patience).await)
}

/// The stack's signing key, if this role may use it; else why not (the cases that need it are then not sent).
/// A KMS key is tried with one signature: a role may find the alias and still not be allowed `kms:Sign`.
async fn signer_of(c: &Clients, stack: &Stack) -> (Option<Signer>, Option<String>) {
    let Some(h) = stack.hosted() else {
        return (None, None);
    };
    let unusable = |why: String| {
        Some(format!(
            "the signing key {} could not be used ({}): the tokens that need it were not sent; `jwtstack probe` with a role that may read it (ssm:GetParameter with decryption, or kms:Sign) sends them",
            h.key_id,
            why.escape_debug()
        ))
    };
    let signer = match stack_signer(c, stack, &h.key_id).await {
        Ok(s) => s,
        Err(e) => return (None, unusable(e.message)),
    };
    if matches!(signer, Signer::Kms(_)) {
        let trial = MintRequest {
            issuer: stack.issuer_url(&c.region),
            audience: stack.audience.iter().take(1).cloned().collect(),
            subject: probe::PROBE_SUBJECT.into(),
            scopes: Vec::new(),
            ttl_seconds: 1,
            extra: Default::default(),
        };
        if let Err(e) = signer.mint(&trial, 0, &mut rand::rngs::OsRng).await {
            return (None, unusable(e.to_string()));
        }
    }
    (Some(signer), None)
}

fn pem_signer(stack: &Stack, path: Option<&std::path::Path>) -> Result<Option<Signer>, Error> {
    let (Some(path), Some(h)) = (path, stack.hosted()) else {
        if path.is_some() && matches!(stack.issuer, Issuer::External { .. }) {
            return Err(Error::Usage(
                "--key-file: the issuer is external, its provider signs the tokens; leave --key-file out".into(),
            ));
        }
        return Ok(None);
    };
    let pem = zeroize::Zeroizing::new(
        jwtstack_core::text::read_bounded_string(path, super::token::SMALL_FILE_BYTES)
            .map_err(|e| Error::Usage(format!("--key-file {}: {e}", path.display())))?,
    );
    let key = SigningKey::from_pem(&h.key_id, &pem).map_err(|e| Error::Usage(format!("--key-file {}: {e}", path.display())))?;
    Ok(Some(Signer::Pem(key)))
}

async fn deployed_endpoint(c: &Clients, stack: &Stack) -> Result<String, Error> {
    let inv = inventory::read(c, stack).await?;
    let deployed = Deployed::of(&inv, &stack.name);
    if deployed.private {
        return Err(Error::Usage(super::stack::PRIVATE_PROBE.into()));
    }
    deployed.api_endpoint.ok_or_else(|| {
        Error::Failure(format!(
            "stack `{}` has no deployed API in {}: run `jwtstack deploy` first, or name a gateway with --endpoint",
            stack.name, c.region
        ))
    })
}

/// A gateway named on the command line: an https URL with a host and nothing after the path, or http to this
/// machine (`jwtstack serve`). Tokens of the stack's key go there, so never in clear over a network.
pub(crate) fn check_endpoint(e: &str) -> Result<(), Error> {
    let refuse = |why: &str| {
        Err(Error::Usage(format!(
            "--endpoint `{}`: {why} (e.g. https://api.example.com, or http://127.0.0.1:8080 for `jwtstack serve`)",
            e.escape_debug()
        )))
    };
    let Ok(u) = url::Url::parse(e) else {
        return refuse("not a URL");
    };
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return refuse("no host"),
    };
    match u.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return refuse("http sends the probe's tokens in clear; use https (http only to this machine)"),
        _ => return refuse("not an http(s) URL"),
    }
    if !u.username().is_empty() || u.password().is_some() {
        return refuse("a user name or password in the URL is not sent; leave it out");
    }
    if u.query().is_some() || u.fragment().is_some() {
        return refuse("a query or fragment would be sent with every request; leave it out");
    }
    Ok(())
}
