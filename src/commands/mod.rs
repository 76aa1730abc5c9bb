//! One function per subcommand. Results go to stdout; progress and logs to stderr.

mod check;
mod clients;
mod logs;
mod probe;
mod progress;
mod rotate;
mod serve;
mod setup;
mod stack;
mod token;

use std::time::{Duration, Instant};

use crate::cli::{Cli, Command, Global, KeysCommand};
use crate::error::Error;
use crate::exit;
pub(crate) use clients::AwsTokenIssuer;
use jwtstack_aws::{Clients, Connection};
use jwtstack_core::config::{self, Stack};

/// Runs the parsed command line; returns the exit code.
pub async fn run(mut cli: Cli) -> Result<u8, Error> {
    if let Some(aws) = cli.command.aws() {
        cli.global.aws = aws.clone();
    }
    let g = &cli.global;
    let started = Instant::now();
    let session = Session::new(g, cli.command.name());
    // The commands that need no stack file.
    let command = match cli.command {
        Command::Init(args) => return setup::init(g, args),
        Command::Schema { output } => return setup::schema(output),
        Command::Completions { shell } => return setup::completions(shell),
        Command::Man { dir } => return setup::man(dir.as_deref()),
        other => other,
    };
    let mut stack = config::load(&g.file)?;
    // Valid but likely a mistake: said where the stack file is checked or applied.
    if matches!(
        command,
        Command::Validate | Command::Check { .. } | Command::Plan { .. } | Command::Deploy { .. } | Command::Serve(_)
    ) {
        for w in stack.warnings() {
            crate::errln!("warning: {w}");
        }
    }
    // `cloudfront: true` names the issuer after the distribution deploy created: the commands that put the
    // issuer URL in a token, compare a token's `iss` with it, or show it, read it from the stack's record.
    let shows_issuer = matches!(
        command,
        Command::Token(_)
            | Command::Verify(_)
            | Command::Serve(_)
            | Command::Probe(_)
            | Command::Check { .. }
            | Command::Outputs { .. }
            | Command::Status { .. }
    );
    if shows_issuer && stack.hosted().is_some_and(|h| h.awaits_distribution()) {
        stack = with_recorded_distribution(&session, &stack).await?;
    }
    if matches!(command, Command::ExportOpenapi { .. }) && stack.hosted().is_some_and(|h| h.awaits_distribution()) {
        return Err(Error::Usage(format!(
            "issuer.cloudfront: true names the issuer after the distribution, which deploy creates; export-openapi works offline, so it cannot know it.\n  Deploy first and read the issuer with `jwtstack outputs`, or set issuer.cloudfront.domain (stack `{}`)",
            stack.name
        )));
    }
    match command {
        Command::Validate => {
            if g.json {
                let out = crate::output::ValidateJson {
                    routes: stack.routes.len(),
                    stack: stack.name.clone(),
                    valid: true,
                };
                crate::outln!("{}", serde_json::to_string(&out).unwrap_or_default());
            } else {
                crate::outln!(
                    "{}: valid stack `{}` with {} route(s)",
                    g.file.display(),
                    stack.name,
                    stack.routes.len()
                );
            }
            Ok(exit::OK)
        }
        Command::ExportOpenapi { region } => {
            let region = region
                .or_else(|| stack.region.clone())
                .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
                .ok_or_else(|| {
                    Error::Usage(
                        "export-openapi needs the API's region: give --region, or set `region:` in the stack file or AWS_REGION".into(),
                    )
                })?;
            if !config::is_region(&region) {
                return Err(Error::Usage(format!("--region {region}: not an AWS region name (e.g. eu-west-1)")));
            }
            if stack.token_endpoint.is_some() {
                crate::errln!(
                    "note: the token endpoint's route is not in this definition: it invokes the stack's function by its ARN, which names the account, and export-openapi works offline"
                );
            }
            crate::out!("{}", jwtstack_core::plan::openapi::definition_text(&stack, &stack.routes, &region));
            Ok(exit::OK)
        }
        Command::Token(args) => token::token(&session, &stack, args).await,
        Command::Verify(args) => token::verify(&session, &stack, args).await,
        Command::Serve(args) => serve::serve(&session, &stack, args).await,
        Command::Probe(args) => probe::probe(&session, &stack, args).await,
        Command::Check { .. } => check::check(g, &stack).await,
        command => {
            let c = session.clients(&stack).await?;
            let result = match command {
                Command::Plan {
                    detailed_exitcode,
                    markdown,
                    ..
                } => stack::plan(g, c, &stack, detailed_exitcode, markdown).await,
                Command::Deploy {
                    lock_timeout,
                    skip_issuer_check,
                    no_wait,
                    no_probe,
                    probe_endpoint,
                    ..
                } => {
                    let wait = duration(&lock_timeout)?;
                    if let Some(e) = &probe_endpoint {
                        probe::check_endpoint(e)?;
                    }
                    let checks = stack::Checks {
                        skip_issuer_check,
                        no_wait,
                        no_probe,
                        probe_endpoint,
                    };
                    stack::deploy(g, c, &stack, wait, checks).await
                }
                Command::Teardown {
                    yes,
                    keep_keys,
                    lock_timeout,
                    ..
                } => {
                    let wait = duration(&lock_timeout)?;
                    stack::teardown(g, c, &stack, yes, keep_keys, wait).await
                }
                Command::Unlock { yes, .. } => stack::unlock(c, &stack, yes).await,
                Command::Rotate { step, .. } => rotate::rotate(g, c, &stack, step).await,
                Command::Status { .. } => rotate::status(g, c, &stack, rotate::Ask::Nothing).await,
                Command::Logs {
                    since,
                    follow,
                    status,
                    token_endpoint: false,
                    ..
                } => logs::logs(g, c, &stack, &since, follow, status.as_deref()).await,
                Command::Logs {
                    since,
                    follow,
                    token_endpoint: true,
                    ..
                } => logs::token_endpoint(g, c, &stack, &since, follow).await,
                Command::Keys {
                    command: KeysCommand::Delete { kid, yes },
                    ..
                } => rotate::keys_delete(g, c, &stack, &kid, yes, Duration::ZERO).await,
                Command::Clients { command, .. } => clients::clients(g, c, &stack, command).await,
                // Outputs; the offline commands returned above.
                _ => stack::outputs(g, c, &stack).await,
            };
            report_stats(g, c, started);
            result
        }
    }
}

pub(crate) fn duration(text: &str) -> Result<std::time::Duration, Error> {
    config::parse_duration_str(text)
        .map(std::time::Duration::from_secs)
        .map_err(|e| Error::Usage(format!("--lock-timeout: {e}")))
}

/// The AWS clients of one run, connected on first use and then shared: every call of the run is counted by
/// one set of clients (`--stats`), and a command that needs none connects to nothing.
pub(crate) struct Session<'g> {
    pub g: &'g Global,
    clients: tokio::sync::OnceCell<Clients>,
    /// The subcommand, as the call log (`JWTSTACK_CALL_LOG`) names it.
    command: &'static str,
}

impl Drop for Session<'_> {
    /// However the command ended, the AWS operations it sent go to the call log.
    fn drop(&mut self) {
        if let Some(c) = self.clients.get() {
            jwtstack_aws::iam::write_call_log(&c.stats, self.command);
        }
    }
}

impl<'g> Session<'g> {
    pub(crate) fn new(g: &'g Global, command: &'static str) -> Session<'g> {
        Session {
            g,
            clients: tokio::sync::OnceCell::new(),
            command,
        }
    }

    /// AWS clients for the stack: `--region` wins over the stack's `region`, which wins over the config chain.
    pub(crate) async fn clients(&self, stack: &Stack) -> Result<&Clients, Error> {
        self.clients.get_or_try_init(|| connect(self.g, stack)).await
    }
}

async fn connect(g: &Global, stack: &Stack) -> Result<Clients, Error> {
    // An empty endpoint is a script's unset variable: going to real AWS instead (or failing inside the SDK)
    // would act on an account nobody meant.
    // The flag, else the variable (clap reads it into the same field; an empty one may also be left out).
    let empty = match g.aws.endpoint_url.as_deref() {
        Some(e) => e.is_empty(),
        None => std::env::var_os("AWS_ENDPOINT_URL").is_some_and(|v| v.is_empty()),
    };
    if empty {
        return Err(Error::Usage(
            "--endpoint-url / AWS_ENDPOINT_URL is empty: give the emulator's URL, or unset AWS_ENDPOINT_URL to use AWS".into(),
        ));
    }
    let conn = Connection {
        region: g.aws.region.clone().or_else(|| stack.region.clone()),
        profile: g.aws.profile.clone(),
        endpoint_url: g.aws.endpoint_url.clone(),
        max_rps: g.aws.max_rps.max(0.0),
        max_concurrency: g.aws.max_concurrency.max(1),
        domain_call_interval: Some(std::time::Duration::from_secs(g.aws.domain_call_interval)),
        slow_call: Some(|notice| crate::errln!("{notice}")),
    };
    Ok(Clients::connect(&conn).await?)
}

/// The stack with the issuer URL of its recorded distribution (`/jwtstack/{name}/distribution`).
async fn with_recorded_distribution(session: &Session<'_>, stack: &Stack) -> Result<Stack, Error> {
    let c = session.clients(stack).await?;
    match jwtstack_aws::ssm::read_distribution_record(c, &stack.name).await? {
        Some(r) => Ok(stack.with_distribution_domain(&r.domain)),
        None => Err(Error::Failure(format!(
            "the issuer of stack `{}` is its CloudFront distribution's URL (issuer.cloudfront: true), and no distribution is recorded in {}: run `jwtstack deploy` first",
            stack.name,
            jwtstack_core::names::distribution_record(&stack.name)
        ))),
    }
}

pub(crate) fn report_stats(g: &Global, c: &Clients, started: Instant) {
    let calls = c.stats.calls();
    tracing::info!(total = c.stats.total(), writes = c.stats.writes(), "AWS calls");
    if !g.aws.stats {
        return;
    }
    crate::errln!(
        "AWS calls: {} ({} writes, {} throttled) in {:.2}s",
        c.stats.total(),
        c.stats.writes(),
        c.stats.throttled(),
        started.elapsed().as_secs_f64()
    );
    for (op, n) in calls {
        crate::errln!("  {op:<40} {n}");
    }
}

/// Asks on stderr and reads one line from stdin, trimmed. `what` names the answer in an error.
pub(crate) fn prompt(text: &str, what: &str) -> Result<String, Error> {
    use std::io::{BufRead, Write};
    crate::err!("{text}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::Failure(format!("reading {what}: {e}")))?;
    Ok(line.trim().to_string())
}

/// Colours only on a terminal, never with --no-color or NO_COLOR.
pub(crate) fn use_color(g: &Global) -> bool {
    use std::io::IsTerminal;
    !g.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}
