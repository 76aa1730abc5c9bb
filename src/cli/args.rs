//! The arguments of the commands that take more than a few flags, and the subcommands of `rotate`, `keys`
//! and `clients`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::AwsOpts;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Stack name ([a-z0-9-], default: the directory's name).
    #[arg(long)]
    pub name: Option<String>,
    /// The issuer bucket (default: {name}-jwt-issuer).
    #[arg(long)]
    pub bucket: Option<String>,
    /// The audience the authorizer accepts (default: {name}-api).
    #[arg(long)]
    pub audience: Option<String>,
    /// The signing key's kid (default: {name}-{YYYY-MM}).
    #[arg(long, value_name = "KID")]
    pub key_id: Option<String>,
    /// A first route (default: "GET /hello").
    #[arg(long, value_name = "\"METHOD /path\"")]
    pub route: Option<String>,
    /// The first route's scope (default: hello.read).
    #[arg(long)]
    pub scope: Option<String>,
    /// The first route's integration: an http(s) URL or a Lambda function ARN (default: https://example.com/hello).
    #[arg(long, value_name = "URL|ARN")]
    pub integration: Option<String>,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Where to send the requests: by default the stack's deployed API endpoint (`outputs`); a custom domain,
    /// or `jwtstack serve`'s address, otherwise.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Probe only this route (as written in stack.yaml). Repeat for several.
    #[arg(long, value_name = "ROUTE")]
    pub route: Vec<String>,
    /// Also send this route a valid token with its scopes, which reaches its integration: for routes where
    /// that is safe (a health check). Repeat for several.
    #[arg(long, value_name = "ROUTE")]
    pub through: Vec<String>,
    /// Sign with this PKCS#8 PEM instead of the deployed key (no AWS access with --endpoint).
    #[arg(long, value_name = "PEM")]
    pub key_file: Option<PathBuf>,
    #[command(flatten)]
    pub aws: AwsOpts,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// How long a client may take to send a request's headers, or keep a connection idle between requests.
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub header_timeout: String,
    /// Connections open at once; more are closed as they arrive.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_connections: usize,
    /// Address to listen on. Loopback by default; anything else exposes the routes to the network.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub bind: std::net::IpAddr,
    /// ROUTE=URL: send this route (as written in stack.yaml, or `*` for every route without its own) to a
    /// local URL: for an http route the URL template ({name} and {proxy} substituted), for a lambda route the
    /// base URL of a local runtime. Repeat for several routes.
    #[arg(long, value_name = "ROUTE=URL")]
    pub integration: Vec<String>,
    /// Check tokens against this JWKS file instead of the deployed one (reloaded when it changes).
    #[arg(long, value_name = "FILE", conflicts_with = "jwks_url")]
    pub jwks: Option<PathBuf>,
    /// Check tokens against the JWKS at this URL (fetched with API Gateway's limits, refreshed every 30 s).
    #[arg(long, value_name = "URL")]
    pub jwks_url: Option<String>,
    #[command(flatten)]
    pub aws: AwsOpts,
}

#[derive(Debug, Subcommand)]
pub enum RotateStep {
    /// Where the rotation stands (as `jwtstack rotate` without a step), with the live gateway's evidence.
    #[command(
        after_help = "Besides the timing rules, asks the live gateway whether it already accepts the next key: a \
                      token of it without scopes gets 403 once API Gateway has the key's public half, 401 before. \
                      Not asked on an emulator unless --endpoint names a gateway.\n\n\
                      Examples:\n  jwtstack rotate status\n  jwtstack rotate status --json\n  \
                      jwtstack rotate status --endpoint https://api.example.com"
    )]
    Status {
        /// The gateway to ask: by default the stack's deployed API endpoint; a custom domain or `jwtstack serve`.
        #[arg(long, value_name = "URL")]
        endpoint: Option<String>,
    },
    /// Generate the next key and publish it next to the signing key (not signing yet).
    #[command(after_help = "Examples:\n  jwtstack rotate start\n  jwtstack rotate start --kid grocery-2027-02 --dry-run")]
    Start {
        /// The new key's kid (default: {name}-{YYYY-MM-DD}).
        #[arg(long, value_name = "KID")]
        kid: Option<String>,
        #[command(flatten)]
        opts: RotateOpts,
    },
    /// Sign with the next key; the current key stays published for the tokens it signed.
    #[command(after_help = "Examples:\n  jwtstack rotate activate\n  jwtstack rotate activate --dry-run")]
    Activate {
        /// Activate before the next key has been published for 2 hours (tokens it signs may be refused meanwhile).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        opts: RotateOpts,
    },
    /// Unpublish the previous keys whose tokens have all expired; their private keys stay in SSM.
    #[command(
        after_help = "Examples:\n  jwtstack rotate finish\n  jwtstack rotate finish --force   # live tokens of the old key stop working"
    )]
    Finish {
        /// Unpublish every previous key now, even while tokens they signed may be live.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        opts: RotateOpts,
    },
}

#[derive(Debug, Args)]
pub struct RotateOpts {
    /// Print the stack.yaml edit and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How long to wait for another run of this stack to finish (0: fail at once, naming it).
    #[arg(long, default_value = "0s", value_name = "DURATION")]
    pub lock_timeout: String,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Delete a key's private key from SSM. Refused while the key is in the stack file or the deployed JWKS.
    #[command(after_help = "Example:\n  jwtstack keys delete grocery-2026-08 --yes")]
    Delete {
        /// The key's kid.
        #[arg(value_name = "KID")]
        kid: String,
        /// Confirm: tokens signed by this key can never be verified again, and it cannot be restored.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Add a client; prints its client_id and client_secret, once (only the secret's hash is stored).
    #[command(after_help = "Example:\n  jwtstack clients add billing --scope lists.read --scope lists.write --ttl 10m")]
    Add {
        /// The client's name: letters, digits, `-`, `_` and `.`, 1 to 64.
        #[arg(value_name = "NAME")]
        name: String,
        /// A scope the client may have: one a route of the stack grants. Repeat for more.
        #[arg(long, value_name = "SCOPE", required = true)]
        scope: Vec<String>,
        /// The tokens' audience: one of the stack's (default: its first).
        #[arg(long, value_name = "AUDIENCE")]
        audience: Option<String>,
        /// The tokens' lifetime for this client, at most token_endpoint.ttl (default: that ttl).
        #[arg(long, value_name = "DURATION")]
        ttl: Option<String>,
    },
    /// The clients: name, client id, scopes, audience, lifetime, state and live secrets; never a secret or hash.
    List,
    /// A new secret for a client, printed once; the old one keeps working for --grace (default 1h; 0 ends it now).
    #[command(after_help = "Example:\n  jwtstack clients rotate-secret billing --grace 24h")]
    RotateSecret {
        #[arg(value_name = "NAME")]
        name: String,
        /// How long the old secret stays valid: 0, or a duration such as 15m, 1h, 1d (at most 7d).
        #[arg(long, value_name = "DURATION", default_value = "1h")]
        grace: String,
    },
    /// Refuse the client new tokens (within 30 s; tokens it holds live out their ttl); `enable` undoes it.
    Disable {
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Let a disabled client get tokens again.
    Enable {
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Remove a client and its secrets (within 30 s it gets invalid_client); tokens it holds live out their ttl.
    Remove {
        #[arg(value_name = "NAME")]
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The `sub` claim.
    #[arg(long, value_name = "USER")]
    pub sub: String,
    /// Scopes, space-separated, for the `scope` claim.
    #[arg(long, value_name = "SCOPES")]
    pub scope: Option<String>,
    /// Lifetime, e.g. 900, 15m, 1h (at most the stack's token_max_ttl).
    #[arg(long, default_value = "15m", value_name = "DURATION")]
    pub ttl: String,
    /// Audience (default: the stack's first audience); repeat for several.
    #[arg(long, value_name = "AUD")]
    pub aud: Vec<String>,
    /// Extra claim; the value is read as JSON when it parses (numbers, booleans, arrays), else as a string.
    #[arg(long, value_name = "KEY=VALUE")]
    pub claim: Vec<String>,
    /// A JSON object file of extra claims.
    #[arg(long, value_name = "FILE")]
    pub claims_json: Option<PathBuf>,
    /// Sign with this PKCS#8 PEM file instead of reading the key from SSM (offline use).
    #[arg(long, value_name = "PEM")]
    pub key_file: Option<PathBuf>,
    /// Allow a TTL over token_max_ttl and scopes no route grants.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub aws: AwsOpts,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The token, `Bearer <token>`, or `-` to read it from stdin.
    #[arg(value_name = "TOKEN")]
    pub token: String,
    /// A request, "METHOD /path", matched against the stack's routes for the scope check.
    #[arg(long, value_name = "REQUEST")]
    pub route: Option<String>,
    /// Read the JWKS from this file instead of the deployed stack.
    #[arg(long, value_name = "FILE", conflicts_with = "jwks_url")]
    pub jwks: Option<PathBuf>,
    /// Fetch the JWKS from this URL, with API Gateway's 1500 ms timeout and 150,000-byte limit.
    #[arg(long, value_name = "URL")]
    pub jwks_url: Option<String>,
    /// Decide as of this Unix time instead of now.
    #[arg(long, value_name = "UNIX")]
    pub at: Option<u64>,
    #[command(flatten)]
    pub aws: AwsOpts,
}
