//! stdout is the API. Every `--json` document is a typed struct here (or named here when its type lives with
//! the code that computes it); `jwtstack schema --output` prints their JSON Schema, and a test snapshots it, so
//! a change to a document shows up in review. Errors are rendered here too, in one place: text with a `hint:`
//! line on stderr, and under `--json` also one JSON document on stdout.

use schemars::JsonSchema;
use serde::Serialize;

use crate::error::Error;
use jwtstack_core::crypto::token::Decision;
use jwtstack_core::issuer::Report;
use jwtstack_core::plan::PlanJson;
use jwtstack_core::rotation::Status;

/// Pretty JSON of a document.
pub fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// What a deployed stack exposes: `outputs --json`, and `outputs` inside `deploy --json`.
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Outputs {
    pub stack: String,
    pub region: String,
    pub api_id: Option<String>,
    pub api_endpoint: Option<String>,
    pub issuer: String,
    pub discovery_url: String,
    /// `None` for an external issuer: its discovery document names its JWKS.
    pub jwks_uri: Option<String>,
    pub authorizer_id: Option<String>,
    /// The signing key's SSM parameter (`key_store: ssm`); `None` for an external issuer.
    pub key_parameter: Option<String>,
    /// The signing key's KMS alias (`key_store: kms`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_alias: Option<String>,
    /// The CloudFront distribution in front of the issuer bucket (`issuer.cloudfront`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudfront_distribution: Option<CloudFrontOutputs>,
    /// The API's custom domain (`domain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_domain: Option<ApiDomainOutputs>,
    /// The access log's CloudWatch Logs group (`access_log`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_group: Option<String>,
    /// Where services ask for tokens (`token_endpoint`): the API's custom domain, else its endpoint, with the
    /// path, as the discovery document names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct ApiDomainOutputs {
    /// `https://api.example.com`.
    pub url: String,
    /// The regional endpoint the name points at (`d-abc123.execute-api.{region}.amazonaws.com`).
    pub target: Option<String>,
    /// The DNS record to add when jwtstack does not write it (no `hosted_zone_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_record_to_add: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct CloudFrontOutputs {
    pub id: String,
    /// `d111111abcdef8.cloudfront.net`.
    pub domain_name: String,
    /// The DNS record a custom domain needs when jwtstack does not write it (no `hosted_zone_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_record_to_add: Option<String>,
}

/// `validate --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ValidateJson {
    pub routes: usize,
    pub stack: String,
    pub valid: bool,
}

/// `deploy --json`: what was applied, and the outputs.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeployJson {
    pub plan: PlanJson,
    pub outputs: Outputs,
    /// The probe of the deployed gateway (`null` when it did not run: see `probe_skipped`).
    pub probe: Option<jwtstack_core::probe::report::ProbeJson>,
    /// Why the probe did not run (`--no-probe`, an emulator, no API).
    pub probe_skipped: Option<String>,
}

/// `teardown --json`: what was removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TeardownJson {
    pub removed: PlanJson,
}

/// `rotate start|activate|finish --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RotateJson {
    pub step: &'static str,
    /// Whether the stack file was edited.
    pub edited: bool,
    /// The unified diff of the stack file (empty when it needed no edit).
    pub diff: String,
    pub deployed: bool,
    pub plan: Option<PlanJson>,
    pub status: Option<Status>,
}

/// `keys delete --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeyDeletedJson {
    pub deleted: String,
    /// The SSM parameter, or the KMS alias.
    pub parameter: String,
    /// `ssm` or `kms`.
    pub store: &'static str,
    /// A KMS key is scheduled for deletion this many days ahead (`aws kms cancel-key-deletion` undoes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_days: Option<i32>,
}

/// `token --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TokenJson {
    pub token: String,
    pub kid: String,
    pub issuer: String,
    pub audience: Vec<String>,
    pub subject: String,
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds.
    pub expires_at: u64,
}

/// `clients add --json` and `clients rotate-secret --json`: the secret, shown this once.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClientSecretJson {
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    /// `rotate-secret`: when the previous secret stops working (Unix seconds); absent when it already has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_secret_expires_at: Option<u64>,
}

/// A client as `clients list --json` (a list of these), `disable`, `enable` and `remove` show it: never a
/// secret or its hash.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClientJson {
    pub name: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// The tokens' audience; `null`: the stack's first.
    pub audience: Option<String>,
    /// The tokens' lifetime in seconds; `null`: the endpoint's ttl.
    pub ttl: Option<u64>,
    pub disabled: bool,
    /// Secrets that authenticate now (2 during a rotation's grace period).
    pub live_secrets: usize,
    /// Unix seconds.
    pub created_at: u64,
}

/// `verify --json`: API Gateway's decision, and the route it was taken for.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VerifyJson {
    #[serde(flatten)]
    pub decision: Decision,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_scopes: Option<Vec<String>>,
}

/// Any command's failure under `--json`: `{"error": {...}}` on stdout (the text goes to stderr as well).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorJson {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// What failed: `invalid_stack`, `usage`, `aws`, `conflict`, `locked`, `interrupted`, `rotation`, `failure`.
    pub kind: &'static str,
    /// The process exit code.
    pub exit_code: u8,
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// For `invalid_stack`: every problem of the stack file, with its position.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ProblemJson>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProblemJson {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// The schema of every `--json` document, by command.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Documents {
    validate: ValidateJson,
    plan: PlanJson,
    deploy: DeployJson,
    teardown: TeardownJson,
    outputs: Outputs,
    status: Status,
    rotate: RotateJson,
    keys_delete: KeyDeletedJson,
    clients_add: ClientSecretJson,
    clients_list: Vec<ClientJson>,
    token: TokenJson,
    verify: VerifyJson,
    check: Report,
    probe: jwtstack_core::probe::report::ProbeJson,
    error: ErrorJson,
}

/// `jwtstack schema --output`: the JSON Schema of every `--json` document.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Documents);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// One error, as data: its message, a hint, and for a stack file every problem.
pub fn error_body(e: &Error) -> ErrorBody {
    let problems = match e {
        Error::Config(c) => c
            .problems
            .iter()
            .map(|p| ProblemJson {
                file: c.file.clone(),
                line: p.pos.line,
                col: p.pos.col,
                message: p.message.clone(),
                hint: p.hint.clone(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let message = match e {
        Error::Config(c) => format!(
            "{}: the stack file is invalid ({} problem(s)); nothing was sent to AWS",
            c.file,
            c.problems.len()
        ),
        other => other.to_string(),
    };
    ErrorBody {
        kind: e.kind(),
        exit_code: e.exit_code(),
        message,
        hint: e.hint().map(str::to_string),
        problems,
    }
}

/// The text of an error on stderr: `error: ...`, then `  hint: ...` when there is one. A stack file's
/// problems are each on their own line with their own hint.
pub fn render_error(e: &Error) -> String {
    let body = error_body(e);
    if let Error::Config(c) = e {
        let mut out = String::from("error: ");
        for (i, p) in body.problems.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&format!("{}:{}:{}: {}", p.file, p.line, p.col, p.message));
            push_hint(&mut out, p.hint.as_deref());
        }
        if body.problems.len() > 1 {
            out.push_str(&format!("\n{} problems in {}", body.problems.len(), c.file));
        }
        return out;
    }
    let mut out = format!("error: {}", body.message);
    push_hint(&mut out, body.hint.as_deref());
    out
}

fn push_hint(out: &mut String, hint: Option<&str>) {
    if let Some(h) = hint {
        out.push_str("\n  hint: ");
        out.push_str(h);
    }
}

/// Writes to stdout. A reader that went away (`| head`, `| grep -q`) ends the process quietly with the
/// shell's status for a broken pipe (141), as `cat` and `ls` end; any other write error is reported the same
/// way, since stdout is where the result would have gone.
///
/// Control characters other than line breaks and tabs are written `\u00XX` (see
/// [`jwtstack_core::text::neutralize`]): whatever reached the output from outside cannot drive the terminal.
pub fn write_stdout(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut text = args.to_string();
    if newline {
        text.push('\n');
    }
    write_raw(&jwtstack_core::text::neutralize(&text));
}

/// Writes `text` to stdout as it is, escape sequences included: only for text whose every value from outside
/// was neutralized where it was rendered, and that carries jwtstack's own colours (`plan` on a terminal).
pub fn write_stdout_styled(text: &str) {
    write_raw(text);
}

fn write_raw(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: writing to stdout: {e}");
        }
        std::process::exit(141);
    }
}

/// Writes to stderr, control characters other than line breaks and tabs written `\u00XX` as on stdout: notes
/// and reports there carry what issuers, AWS and files said. An error writing stderr is dropped, as
/// `eprint!` would panic on it.
pub fn write_stderr(args: std::fmt::Arguments<'_>, newline: bool) {
    use std::io::Write;
    let mut text = args.to_string();
    if newline {
        text.push('\n');
    }
    let _ = std::io::stderr()
        .lock()
        .write_all(jwtstack_core::text::neutralize(&text).as_bytes());
}

/// `eprint!` through [`write_stderr`].
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::output::write_stderr(format_args!($($arg)*), false) };
}

/// `eprintln!` through [`write_stderr`].
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::output::write_stderr(format_args!($($arg)*), true) };
}

/// `print!` to stdout, ending quietly when the reader has gone (see [`write_stdout`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write_stdout(format_args!($($arg)*), false) };
}

/// `println!` to stdout, ending quietly when the reader has gone (see [`write_stdout`]).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => { $crate::output::write_stdout(format_args!($($arg)*), true) };
}

#[cfg(test)]
mod tests {
    /// The `--json` documents are a contract: a change to any of them changes this snapshot.
    #[test]
    fn json_documents_schema() {
        insta::assert_snapshot!(super::schema_json());
    }
}
