//! serve: the I/O around `jwtstack_serve` (key source, first load, the address on stdout).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use super::Session;
use super::token::key_source;
use crate::cli::ServeArgs;
use crate::error::Error;
use crate::exit;
use jwtstack_aws::jwks::JwksSource;
use jwtstack_core::config::{self, Stack};
use jwtstack_serve::{Keys, Options};

pub async fn serve(session: &Session<'_>, stack: &Stack, args: ServeArgs) -> Result<u8, Error> {
    let g = session.g;
    let overrides = args
        .integration
        .iter()
        .map(|i| jwtstack_serve::parse_override(i))
        .collect::<Result<Vec<_>, _>>()?;
    let (source, region) = key_source(session, stack, args.jwks.as_ref(), args.jwks_url.as_ref()).await?;
    // Checked before listening: routes named by --integration must exist.
    let served = jwtstack_serve::served(stack, &region, &overrides)?;
    let listener = jwtstack_serve::listen(SocketAddr::new(args.bind, args.port)).await?;
    let jwks = source
        .load()
        .await
        .map_err(|e| Error::Failure(format!("reading the JWKS from {}: {e}", source.describe())))?;
    let n = jwks.keys.len();
    let keys = Arc::new(Keys::new(stack.api_type, jwks));
    let header_timeout = config::parse_duration_str(&args.header_timeout)
        .ok()
        .filter(|s| *s > 0)
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| {
            Error::Usage(format!(
                "--header-timeout `{}` is not a duration such as 30s or 2m",
                args.header_timeout
            ))
        })?;
    // The token endpoint answers with the stack's key and the client records in SSM, both read on first use.
    let token_issuer = match (&stack.token_endpoint, stack.hosted()) {
        (Some(_), Some(_)) => {
            let c = session.clients(stack).await?;
            let issuer = stack.issuer_url(&c.region);
            Some(super::AwsTokenIssuer::new(c.clone(), stack.clone(), issuer) as Arc<dyn jwtstack_serve::TokenIssuer>)
        }
        _ => None,
    };
    let opts = Options {
        stack_file: g.file.clone(),
        region,
        overrides,
        json_log: g.json,
        header_timeout,
        max_connections: args.max_connections,
        token_issuer,
    };
    let described = source.describe();
    let routes = stack.routes.len();
    jwtstack_serve::run(listener, opts, served, source, keys, |addr| {
        crate::outln!("http://{addr}");
        let _ = std::io::stdout().flush();
        crate::errln!(
            "serving `{}`: {routes} route(s) on http://{addr}, {n} key(s) from {described}; Ctrl-C stops",
            stack.name
        );
        if stack.throttling.is_some() {
            crate::errln!("note: throttling is not emulated (API Gateway applies `throttling` on AWS; serve never answers 429)");
        }
        if stack.access_log.is_some() {
            crate::errln!("note: requests are logged here on stderr, not to the CloudWatch Logs group");
        }
    })
    .await?;
    Ok(exit::OK)
}
