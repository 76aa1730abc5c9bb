//! The command line: flags and subcommands (clap). `main.rs` parses, this module's types carry the result.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod args;
pub use args::*;

impl Command {
    /// The AWS options given to this command, if it is one that calls AWS.
    pub fn aws(&self) -> Option<&AwsOpts> {
        match self {
            Command::Plan { aws, .. }
            | Command::Deploy { aws, .. }
            | Command::Teardown { aws, .. }
            | Command::Unlock { aws, .. }
            | Command::Outputs { aws }
            | Command::Logs { aws, .. }
            | Command::Rotate { aws, .. }
            | Command::Status { aws }
            | Command::Keys { aws, .. }
            | Command::Clients { aws, .. }
            | Command::Check { aws } => Some(aws),
            Command::Token(a) => Some(&a.aws),
            Command::Verify(a) => Some(&a.aws),
            Command::Serve(a) => Some(&a.aws),
            Command::Probe(a) => Some(&a.aws),
            Command::Validate
            | Command::ExportOpenapi { .. }
            | Command::Init(_)
            | Command::Schema { .. }
            | Command::Completions { .. }
            | Command::Man { .. } => None,
        }
    }
}

impl Global {
    /// AWS calls go to an emulator (`--endpoint-url` or `AWS_ENDPOINT_URL`).
    pub fn on_emulator(&self) -> bool {
        self.aws.endpoint_url.as_deref().is_some_and(|e| !e.is_empty())
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "jwtstack",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("JWTSTACK_COMMIT"), ")"),
    about = "Self-signed JWT issuer and API Gateway HTTP API JWT authorizer, from one stack file",
    after_help = format!(
        "jwtstack keeps an RSA signing key in SSM, publishes the OpenID discovery document and JWKS to S3, \
         and creates the HTTP API's JWT authorizer and scoped routes, all from stack.yaml.\n\n{}\n\n\
         Examples:\n  jwtstack validate\n  jwtstack plan --detailed-exitcode\n  jwtstack deploy\n  \
         jwtstack token --sub alice --scope lists.read\n  jwtstack verify \"$TOKEN\" --route \"GET /lists/42\"\n  \
         jwtstack teardown --yes",
        crate::exit::summary()
    )
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The stack file.
    #[arg(short = 'f', long = "file", global = true, default_value = "stack.yaml", value_name = "PATH")]
    pub file: PathBuf,
    /// More logging on stderr (-v info, -vv debug with every AWS call). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// No colours (also NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// The AWS options of the command that runs (set from its flags; defaults for offline commands).
    #[arg(skip)]
    pub aws: AwsOpts,
}

/// Where and how to call AWS: on the commands that call it, not on the offline ones.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "AWS options")]
pub struct AwsOpts {
    /// AWS region (overrides the stack file's `region` and the AWS config chain).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS profile from ~/.aws/config.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (an emulator such as moto); S3 then uses path-style addressing.
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", hide_env_values = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Print the AWS calls made, by service and operation, and the wall time, on stderr.
    #[arg(long, global = true)]
    pub stats: bool,
    /// Pace API Gateway calls to this many per second, with a burst of four seconds' worth up to 40 (the
    /// account quota is 10/s, burst 40, shared by every tool); 0 turns pacing off, as for an emulator.
    #[arg(long, global = true, default_value_t = jwtstack_aws::pace::QUOTA_RPS, value_name = "N")]
    pub max_rps: f64,
    /// API Gateway calls in flight at once.
    #[arg(long, global = true, default_value_t = jwtstack_aws::pace::DEFAULT_CONCURRENCY, value_name = "N")]
    pub max_concurrency: usize,
    /// Seconds between two changes of a custom domain name (API Gateway takes one per 30 s per account, a
    /// quota that cannot be raised; an emulator may be told less).
    #[arg(
        long,
        global = true,
        env = "JWTSTACK_DOMAIN_CALL_INTERVAL",
        hide_env_values = true,
        default_value_t = 30,
        value_name = "SECONDS"
    )]
    pub domain_call_interval: u64,
}

impl Default for AwsOpts {
    fn default() -> AwsOpts {
        AwsOpts {
            region: None,
            profile: None,
            endpoint_url: None,
            stats: false,
            max_rps: jwtstack_aws::pace::QUOTA_RPS,
            max_concurrency: jwtstack_aws::pace::DEFAULT_CONCURRENCY,
            domain_call_interval: jwtstack_aws::pace::DOMAIN_CALL_INTERVAL.as_secs(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the stack file offline; no AWS call.
    #[command(after_help = "Example:\n  jwtstack validate -f stacks/prod.yaml")]
    Validate,
    /// Show what deploy would change; changes nothing.
    #[command(
        after_help = "Examples:\n  jwtstack plan\n  jwtstack plan --json\n  jwtstack plan --detailed-exitcode   # exit 2 when changes are pending\n  jwtstack plan --markdown >> \"$GITHUB_STEP_SUMMARY\"   # a table for a pull request"
    )]
    Plan {
        /// Exit 0 when nothing would change, 2 when something would.
        #[arg(long)]
        detailed_exitcode: bool,
        /// The plan as a GitHub-flavoured Markdown table on stdout (a CI job summary, a pull request comment).
        #[arg(long, conflicts_with = "json")]
        markdown: bool,
        #[command(flatten)]
        aws: AwsOpts,
    },
    /// Print the stack's HTTP API as an OpenAPI 3 definition (what deploy imports for an API it owns); offline.
    #[command(
        name = "export-openapi",
        after_help = "The definition deploy sends in one ImportApi or ReimportApi call for an API the stack owns \
                      (api.name): the JWT authorizer, every route with its scopes, and their integrations, with API \
                      Gateway's extensions. No AWS call.\n\nExamples:\n  jwtstack export-openapi > openapi.json\n  \
                      jwtstack export-openapi --region eu-west-1"
    )]
    ExportOpenapi {
        /// The region the API is in (the default issuer URL and Lambda invocation URIs name it); else the stack
        /// file's `region`, else AWS_REGION.
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
    },
    /// Converge AWS to the stack file.
    #[command(
        after_help = "Examples:\n  jwtstack deploy\n  jwtstack deploy --lock-timeout 5m   # wait for another run of this stack\n  \
                      jwtstack deploy --skip-issuer-check   # the provider is not reachable from this network\n  \
                      jwtstack deploy --no-wait   # do not wait minutes for CloudFront (issuer.cloudfront)"
    )]
    Deploy {
        /// How long to wait for another run of this stack to finish (0: fail at once, naming it).
        #[arg(long, default_value = "0s", value_name = "DURATION")]
        lock_timeout: String,
        /// Do not read the issuer's documents (an external provider before the authorizer changes, a hosted
        /// issuer after the deploy), for networks that cannot reach it.
        #[arg(long)]
        skip_issuer_check: bool,
        /// Do not wait for CloudFront to deploy the distribution or an invalidation (issuer.cloudfront); the
        /// issuer is then not read through it, and the authorizer may name an issuer not served yet.
        #[arg(long)]
        no_wait: bool,
        /// Do not probe the deployed gateway at the end (`jwtstack probe` does it later).
        #[arg(long, conflicts_with = "probe_endpoint")]
        no_probe: bool,
        /// Probe this gateway at the end instead of the API's own endpoint: a custom domain, or `jwtstack serve`
        /// (with it, the probe runs on an emulator too).
        #[arg(long, value_name = "URL")]
        probe_endpoint: Option<String>,
        #[command(flatten)]
        aws: AwsOpts,
    },
    /// Remove everything the stack owns, and nothing else.
    #[command(
        visible_alias = "destroy",
        after_help = "Examples:\n  jwtstack teardown            # shows what goes, asks to confirm\n  jwtstack teardown --yes --keep-keys"
    )]
    Teardown {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Keep the private keys (SSM or KMS) and the token endpoint's clients.
        #[arg(long)]
        keep_keys: bool,
        /// How long to wait for another run of this stack to finish (0: fail at once, naming it).
        #[arg(long, default_value = "0s", value_name = "DURATION")]
        lock_timeout: String,
        #[command(flatten)]
        aws: AwsOpts,
    },
    /// Clear the stack's run lock left by a run that died.
    #[command(after_help = "Example:\n  jwtstack unlock --yes")]
    Unlock {
        /// Confirm: the run holding the lock is gone.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        aws: AwsOpts,
    },
    /// Print the deployed stack's outputs (endpoint, issuer, document URLs, authorizer id, key parameter).
    #[command(after_help = "Example:\n  jwtstack outputs --json")]
    Outputs {
        #[command(flatten)]
        aws: AwsOpts,
    },
    /// Print the API's recent requests from the access log (`access_log:`), denied ones with the authorizer's
    /// reason and its fix.
    #[command(
        after_help = "Examples:\n  jwtstack logs --since 1h --status 401\n  jwtstack logs --follow --status 4xx\n  \
                            jwtstack logs --json | jq 'select(.authorizerError != \"-\")'"
    )]
    Logs {
        /// How far back to read: 90s, 15m, 1h, 1d.
        #[arg(long, default_value = "15m", value_name = "DURATION")]
        since: String,
        /// Keep printing new requests as they arrive (every 2 s), until Ctrl-C.
        #[arg(long)]
        follow: bool,
        /// Only requests with this status (401) or class (4xx).
        #[arg(long, value_name = "STATUS", conflicts_with = "token_endpoint")]
        status: Option<String>,
        /// The token endpoint's refusals and failures (its function's log), instead of the access log.
        #[arg(long)]
        token_endpoint: bool,
        #[command(flatten)]
        aws: AwsOpts,
    },
    /// Mint an RS256 token signed with the stack's key.
    #[command(
        after_help = "Examples:\n  jwtstack token --sub alice --scope \"lists.read lists.write\" --ttl 15m\n  \
                            jwtstack token --sub bob --claim tenant=acme --claim admin=true --key-file key.pem"
    )]
    Token(TokenArgs),
    /// Decide on a token as API Gateway's JWT authorizer would.
    #[command(after_help = "Examples:\n  jwtstack verify \"$TOKEN\" --route \"GET /lists/42\"\n  \
                            echo \"Bearer $TOKEN\" | jwtstack verify - --jwks jwks.json --json\n  \
                            jwtstack verify \"$TOKEN\" --jwks-url https://auth.example.com/.well-known/jwks.json")]
    Verify(VerifyArgs),
    /// Rotate the signing key without breaking a live token: start, activate, finish.
    #[command(
        after_help = concat!("Rotate the signing key in three steps, each of which edits stack.yaml (keeping comments) and deploys:\n  \
                      start     generate the next key and publish it; the current key still signs\n  \
                      activate  sign with the next key (2 hours after start: API Gateway may cache the JWKS that long)\n  \
                      finish    unpublish the old key (token_max_ttl + 2 hours after activate)\n\
                      status (or no step): where the rotation stands and what comes next. A step that was already taken only \
                      converges, so an interrupted rotation resumes by running the same step again.", "\n\n", "Examples:\n  jwtstack rotate\n  jwtstack rotate start --dry-run\n  jwtstack rotate start --kid grocery-2027-02\n  \
                      jwtstack rotate activate\n  jwtstack rotate finish")
    )]
    Rotate {
        #[command(subcommand)]
        step: Option<RotateStep>,
        #[command(flatten)]
        aws: AwsOpts,
    },
    /// Show each key: its role, whether it is published and signing, its age, and when it may be retired.
    #[command(
        after_help = "Reads only: it signs nothing and asks no gateway (`jwtstack rotate status` also asks the live gateway \
                      whether it accepts the next key).\n\nExamples:\n  jwtstack status\n  jwtstack status --json"
    )]
    Status {
        #[command(flatten)]
        aws: AwsOpts,
    },
    /// The stack's private keys (in SSM or KMS): delete one that is no longer published.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
        #[command(flatten)]
        aws: AwsOpts,
    },
    /// The token endpoint's clients: add one (its secret is printed once), list, rotate a secret, disable, remove.
    #[command(
        after_help = "A client trades its id and secret for a token at the stack's token endpoint (token_endpoint in the \
                      stack file; RFC 6749 client credentials, by HTTP Basic or in the form body). Only the secret's \
                      SHA-256 is stored, in SSM under /jwtstack/{name}/clients/. A disabled or removed client is refused \
                      within 30 seconds (how long a record may be cached). See docs/token-endpoint.md.\n\nExamples:\n  \
                      jwtstack clients add billing --scope lists.read --scope lists.write\n  jwtstack clients list\n  \
                      jwtstack clients rotate-secret billing --grace 1h\n  jwtstack clients disable billing\n  \
                      jwtstack clients remove billing"
    )]
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
        #[command(flatten)]
        aws: AwsOpts,
    },
    /// Serve the stack's routes locally with API Gateway's JWT authorizer in front.
    #[command(
        after_help = concat!("Serve the stack's routes on a local port with API Gateway's JWT authorizer in front: routes match as \
                      API Gateway matches them, tokens are decided on by the engine `verify` uses, failures are answered \
                      as API Gateway answers them (401/403; no route: 404, or a REST API's 403), and authorized \
                      requests go to the route's integration: its HTTP URL (or the one given with --integration), or a \
                      local Lambda runtime (the Runtime Interface Emulator, `cargo lambda watch`) through the Lambda invoke \
                      API with the event its API type sends (payload 2.0; a REST API's Lambda proxy event). stack.yaml and the JWKS are reloaded when they change. One access-log \
                      line per request on stderr (--json: JSON lines). The address is printed on stdout.", "\n\n", "Examples:\n  jwtstack serve\n  jwtstack serve --port 3000 --integration \"GET /lists/{proxy+}=http://127.0.0.1:8000/lists/{proxy}\"\n  \
                      jwtstack serve --integration \"POST /lists=http://127.0.0.1:9000\"   # a local Lambda runtime\n  \
                      jwtstack serve --jwks jwks.json --integration \"*=http://127.0.0.1:8000\"")
    )]
    Serve(ServeArgs),
    /// Write a commented stack.yaml (asks on a terminal; flags or defaults otherwise).
    #[command(
        after_help = "Examples:\n  jwtstack init\n  jwtstack init --name shop --bucket shop-issuer-7f3a --audience shop-api \\\n    \
                      --route \"GET /orders/{id}\" --scope orders.read \\\n    --integration https://orders.example.com/orders/{id}\n  \
                      jwtstack -f stacks/dev.yaml init --name shop-dev"
    )]
    Init(InitArgs),
    /// Print the JSON Schema of the stack file (editors complete and check stack.yaml with it), or with
    /// --output that of every --json document.
    #[command(
        after_help = "Example:\n  jwtstack schema > stack.schema.json\n  # then, first line of stack.yaml:\n  \
                            # yaml-language-server: $schema=stack.schema.json\n  jwtstack schema --output   # the --json documents"
    )]
    Schema {
        /// The JSON Schema of the --json documents of every command (errors included), instead of the stack file's.
        #[arg(long)]
        output: bool,
    },
    /// Send real requests to the deployed API and check that its JWT authorizer answers as it must.
    #[command(after_help = concat!(
        "For every protected route: no token, a malformed token, a token signed by a key in no JWKS, an expired token, \
         one for another audience and one from another issuer must get 401; a valid token of the stack without the \
         route's scopes must get 403 (proof that signature, issuer, audience and expiry were accepted, without reaching \
         the integration). Public GET routes must answer without a token; preflights as `cors` says. Probe tokens live \
         2 minutes, have sub `jwtstack-probe` and a scope no route grants; --through lets a route's integration be \
         reached with its scopes. The answers are quoted (status, www-authenticate), never a token. Exit 0 when every \
         request behaves, 5 when one does not (each named; an open route first).",
        "\n\n",
        "Examples:\n  jwtstack probe\n  jwtstack probe --route \"GET /orders/{id}\" --json\n  \
         jwtstack probe --endpoint https://api.example.com\n  \
         jwtstack probe --endpoint http://127.0.0.1:8080 --key-file k1.pem   # `jwtstack serve`, offline"
    ))]
    Probe(ProbeArgs),
    /// Read the live issuer as API Gateway will and report every problem with its fix.
    #[command(
        after_help = concat!("Read the live issuer as API Gateway will: GET {issuer}/.well-known/openid-configuration, then its \
                      jwks_uri, over https, each within 1500 ms and 150,000 bytes, no redirects. Reports every problem with \
                      its fix: issuer mismatch or trailing slash, wrong content type, not public (403), missing kid, a private \
                      member in the JWKS, TLS errors... Exit 0 when API Gateway would accept the issuer (warnings allowed), \
                      1 when it would not.", "\n\n", "Examples:\n  jwtstack check\n  jwtstack check --json")
    )]
    Check {
        #[command(flatten)]
        aws: AwsOpts,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  jwtstack completions bash > ~/.local/share/bash-completion/completions/jwtstack\n  \
                            jwtstack completions zsh > ~/.zfunc/_jwtstack\n  jwtstack completions fish > ~/.config/fish/completions/jwtstack.fish"
    )]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write it and one page per subcommand into a directory.
    #[command(after_help = "Examples:\n  jwtstack man --dir ~/.local/share/man/man1 && man jwtstack-deploy\n  jwtstack man | man -l -")]
    Man {
        /// Write jwtstack.1 and a page per subcommand (jwtstack-deploy.1, ...) into this directory, which the
        /// main page's SEE ALSO list refers to.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

impl Command {
    /// The subcommand's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Validate => "validate",
            Command::Plan { .. } => "plan",
            Command::ExportOpenapi { .. } => "export-openapi",
            Command::Deploy { .. } => "deploy",
            Command::Teardown { .. } => "teardown",
            Command::Unlock { .. } => "unlock",
            Command::Outputs { .. } => "outputs",
            Command::Logs { .. } => "logs",
            Command::Token(_) => "token",
            Command::Verify(_) => "verify",
            Command::Rotate { .. } => "rotate",
            Command::Status { .. } => "status",
            Command::Keys { .. } => "keys",
            Command::Clients { .. } => "clients",
            Command::Serve(_) => "serve",
            Command::Init(_) => "init",
            Command::Schema { .. } => "schema",
            Command::Probe(_) => "probe",
            Command::Check { .. } => "check",
            Command::Completions { .. } => "completions",
            Command::Man { .. } => "man",
        }
    }
}
