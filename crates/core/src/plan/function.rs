//! The token endpoint's function (`token_endpoint` in the stack file): its IAM role, with one inline policy of
//! exactly what the function calls; the log group Lambda writes it to; the Lambda function itself, jwtstack's
//! package ([`crate::oauth::package`]) configured by environment variables; and the public `POST {path}` route
//! to it, which the route, integration and permission kinds make like any `lambda:` route
//! ([`deployed_routes`]).
//!
//! Everything is named after the stack (`names::token_function`), recorded in `/jwtstack/{name}/token-endpoint`
//! before the role is made (so a stack that drops `token_endpoint`, or a run killed half-way, still finds it),
//! and tagged: a role, function or group of that name without the stack's tag is refused, never taken over.
//! The function's code is sent again only when its SHA-256 differs from the package's, its configuration only
//! where a value differs.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::desired::Planner;
use super::log_group::retention_change;
use super::render::{ChangeJson, list, set};
use super::role_policy::{normal_policy, role_policy, trust_policy};
use super::{Action, Conflict, Diff, Inventory, KeyHome, KindStep, LogGroupInfo, Placement, Step};
use crate::config::{KeyStore, Stack};
use crate::names;
use crate::oauth::package;

/// Lambda's bound on a function's environment variables, in all.
pub const ENVIRONMENT_MAX_BYTES: usize = 4096;

/// The role as IAM has it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoleInfo {
    pub arn: String,
    /// Carries the stack's tag.
    pub owned: bool,
    /// Its trust policy (`AssumeRolePolicyDocument`), parsed.
    pub trust: Value,
    /// Its inline policy `jwtstack-token-endpoint`, parsed (`None`: it has none).
    pub policy: Option<Value>,
    /// Its permissions boundary's ARN.
    pub boundary: Option<String>,
}

/// What the function runs with, as Lambda reports it and as the stack wants it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FunctionConfig {
    pub runtime: String,
    pub handler: String,
    pub role: String,
    pub memory_mb: i32,
    pub timeout_seconds: i32,
    pub architecture: String,
    pub environment: BTreeMap<String, String>,
}

/// The function as Lambda has it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FunctionInfo {
    pub arn: String,
    /// Carries the stack's tag.
    pub owned: bool,
    /// Lambda's `CodeSha256`: base64 of the deployment package's SHA-256.
    pub code_sha256: String,
    pub config: FunctionConfig,
}

/// The token endpoint's resources, read when the stack declares the endpoint or recorded making them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FunctionSlice {
    /// What `/jwtstack/{name}/token-endpoint` names: the function the stack recorded making.
    pub record: Option<String>,
    pub role: Option<RoleInfo>,
    pub log_group: Option<LogGroupInfo>,
    pub function: Option<FunctionInfo>,
}

/// One change to the token endpoint's function, its role or its log group.
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionStep {
    /// Writes `record` first, then makes the role (tagged, trusting Lambda, within `boundary`) and puts its
    /// policy.
    CreateRole {
        name: String,
        record: String,
        trust: Value,
        policy: Value,
        boundary: Option<String>,
    },
    /// Sets the role's permissions boundary (`after`), or removes it (`None`).
    PutBoundary {
        role: String,
        before: Option<String>,
        after: Option<String>,
    },
    /// Records a role of the stack that it had not recorded.
    Record {
        parameter: String,
        value: String,
    },
    PutTrust {
        role: String,
        trust: Value,
    },
    PutPolicy {
        role: String,
        exists: bool,
        policy: Value,
    },
    /// The group, tagged, with its retention.
    CreateLogGroup {
        name: String,
        retention_days: u32,
    },
    PutRetention {
        name: String,
        before: Option<u32>,
        after: u32,
    },
    /// Makes the function from the package and waits until it is active.
    CreateFunction {
        name: String,
        config: FunctionConfig,
    },
    /// Sends the package again (and its architecture), and waits until the update is done.
    UpdateCode {
        name: String,
        before: String,
        architecture: String,
    },
    /// Sends the configuration, and waits until the update is done.
    UpdateConfiguration {
        name: String,
        diffs: Vec<Diff>,
        config: FunctionConfig,
    },
    DeleteFunction {
        name: String,
    },
    DeleteLogGroup {
        name: String,
    },
    /// Deletes the role's inline policy, then the role.
    DeleteRole {
        name: String,
    },
    DeleteRecord {
        parameter: String,
    },
}

impl From<FunctionStep> for Step {
    fn from(s: FunctionStep) -> Step {
        Step::Function(s)
    }
}

impl KindStep for FunctionStep {
    fn placement(&self) -> Placement {
        Placement::MAIN
    }

    fn lines(&self) -> Vec<ChangeJson> {
        let line = |action, resource, name: &str, diffs| ChangeJson::new(action, resource, name, diffs);
        vec![match self {
            FunctionStep::CreateRole { name, boundary, .. } => {
                let mut diffs = vec![set("trusts", "lambda.amazonaws.com"), set("policy", names::TOKEN_POLICY_NAME)];
                diffs.extend(boundary.as_deref().map(|b| set("permissions_boundary", b)));
                line(Action::Create, "iam_role", name, diffs)
            }
            FunctionStep::PutBoundary { role, before, after } => line(
                Action::Update,
                "iam_role",
                role,
                vec![Diff::new(
                    "permissions_boundary",
                    before.as_deref().unwrap_or("none"),
                    after.as_deref().unwrap_or("none"),
                )],
            ),
            FunctionStep::Record { parameter, value } => {
                line(Action::Create, "ssm_parameter", parameter, vec![set("value", value.as_str())])
            }
            FunctionStep::PutTrust { role, .. } => line(
                Action::Update,
                "iam_role",
                role,
                vec![Diff::new("trust_policy", "changed by hand", "lambda.amazonaws.com")],
            ),
            FunctionStep::PutPolicy { role, exists, .. } => line(
                Action::Update,
                "iam_role",
                role,
                vec![Diff::new(
                    names::TOKEN_POLICY_NAME,
                    if *exists { "changed" } else { "none" },
                    "what the function calls",
                )],
            ),
            FunctionStep::CreateLogGroup { name, retention_days } => line(
                Action::Create,
                "logs_group",
                name,
                vec![set("retention_days", retention_days.to_string())],
            ),
            FunctionStep::PutRetention { name, before, after } => retention_change(name, *before, *after),
            FunctionStep::CreateFunction { name, config } => line(
                Action::Create,
                "lambda_function",
                name,
                vec![
                    set("runtime", config.runtime.as_str()),
                    set("code_sha256", package::code_sha256()),
                    set("environment", list(&config.environment.keys().collect::<Vec<_>>())),
                ],
            ),
            FunctionStep::UpdateCode { name, before, .. } => line(
                Action::Update,
                "lambda_function",
                name,
                vec![Diff::new("code_sha256", before.as_str(), package::code_sha256())],
            ),
            FunctionStep::UpdateConfiguration { name, diffs, .. } => line(Action::Update, "lambda_function", name, diffs.clone()),
            FunctionStep::DeleteFunction { name } => line(Action::Delete, "lambda_function", name, vec![]),
            FunctionStep::DeleteLogGroup { name } => line(Action::Delete, "logs_group", name, vec![]),
            FunctionStep::DeleteRole { name } => line(Action::Delete, "iam_role", name, vec![]),
            FunctionStep::DeleteRecord { parameter } => line(Action::Delete, "ssm_parameter", parameter, vec![]),
        }]
    }
}

fn role_arn(region: &str, account: &str, stack: &str) -> String {
    format!(
        "arn:{}:iam::{account}:role/{}",
        names::partition(region),
        names::token_function(stack)
    )
}

/// Where key `kid` is: its store as found, else where a deploy makes it.
fn key_home(stack: &Stack, inv: &Inventory, kid: &str, store: KeyStore) -> KeyHome {
    inv.keys
        .stored
        .get(kid)
        .map(|k| k.home.clone())
        .unwrap_or_else(|| KeyHome::new(stack, store, kid))
}

/// Where the function signs (`JWTSTACK_KEY`): the signing key's home.
fn signing_key(stack: &Stack, inv: &Inventory) -> Option<String> {
    let h = stack.hosted()?;
    Some(match key_home(stack, inv, &h.key_id, h.key_store) {
        KeyHome::Ssm { parameter, .. } => format!("ssm:{parameter}"),
        KeyHome::Kms { alias, .. } => format!("kms:{alias}"),
    })
}

/// The stores the published keys are in: the role may use a key in each.
fn key_stores(stack: &Stack, inv: &Inventory) -> Vec<KeyStore> {
    let Some(h) = stack.hosted() else { return Vec::new() };
    let mut stores: Vec<KeyStore> = h
        .published_keys()
        .into_iter()
        .map(|kid| match key_home(stack, inv, kid, h.key_store) {
            KeyHome::Ssm { .. } => KeyStore::Ssm,
            KeyHome::Kms { .. } => KeyStore::Kms,
        })
        .collect();
    stores.dedup();
    stores
}

/// The function's configuration for the stack.
pub fn wanted_config(stack: &Stack, inv: &Inventory, account: &str) -> Option<FunctionConfig> {
    let te = stack.token_endpoint.as_ref()?;
    let h = stack.hosted()?;
    let key = signing_key(stack, inv)?;
    let region = inv.region.as_str();
    let environment = BTreeMap::from([
        ("JWTSTACK_STACK".to_string(), stack.name.clone()),
        ("JWTSTACK_ISSUER".to_string(), stack.issuer_url(region)),
        ("JWTSTACK_AUDIENCES".to_string(), json!(stack.audience).to_string()),
        ("JWTSTACK_ROUTE_SCOPES".to_string(), json!(stack.all_scopes()).to_string()),
        ("JWTSTACK_TTL".to_string(), te.ttl.to_string()),
        ("JWTSTACK_KID".to_string(), h.key_id.clone()),
        ("JWTSTACK_KEY".to_string(), key),
    ]);
    Some(FunctionConfig {
        runtime: package::RUNTIME.into(),
        handler: package::HANDLER.into(),
        role: role_arn(region, account, &stack.name),
        memory_mb: package::MEMORY_MB,
        timeout_seconds: package::TIMEOUT_SECONDS,
        architecture: package::ARCHITECTURE.into(),
        environment,
    })
}

/// Each value of `wanted` that `have` does not hold (the architecture goes with the code).
fn config_diffs(have: &FunctionConfig, wanted: &FunctionConfig) -> Vec<Diff> {
    let mut out = Vec::new();
    let mut field = |name: &str, a: String, b: String| {
        if a != b {
            out.push(Diff::new(name, a, b));
        }
    };
    field("runtime", have.runtime.clone(), wanted.runtime.clone());
    field("handler", have.handler.clone(), wanted.handler.clone());
    field("role", have.role.clone(), wanted.role.clone());
    field("memory_mb", have.memory_mb.to_string(), wanted.memory_mb.to_string());
    field(
        "timeout_seconds",
        have.timeout_seconds.to_string(),
        wanted.timeout_seconds.to_string(),
    );
    let keys: std::collections::BTreeSet<&String> = have.environment.keys().chain(wanted.environment.keys()).collect();
    for k in keys {
        let value = |m: &BTreeMap<String, String>| m.get(k).cloned().unwrap_or_else(|| "none".into());
        field(&format!("environment.{k}"), value(&have.environment), value(&wanted.environment));
    }
    out
}

/// The role, the log group and the function, before the API whose route invokes it.
pub(super) fn plan(p: &mut Planner<'_>) -> Result<(), Conflict> {
    let (stack, inv) = (p.d.stack, p.inv);
    if p.d.is_teardown() || stack.token_endpoint.is_none() {
        return Ok(());
    }
    let Some(account) = inv.account.as_deref() else { return Ok(()) };
    let Some(config) = wanted_config(stack, inv, account) else {
        return Ok(());
    };
    // Lambda refuses a function whose environment variables are over 4 KB in all (Lambda Developer Guide,
    // "Lambda quotas": "Function environment variables: 4 KB, for all environment variables associated with
    // the function, in aggregate"), measured here as the JSON object Lambda is sent: refused before any change.
    let bytes = serde_json::to_string(&config.environment).map_or(0, |t| t.len());
    if bytes > ENVIRONMENT_MAX_BYTES {
        return Err(Conflict::TokenEndpointEnvironmentTooLarge {
            bytes,
            scopes: stack.all_scopes().len(),
        });
    }
    let slice = &inv.function;
    let name = names::token_function(&stack.name);
    let taken = |what: &'static str, name: &str| Conflict::TokenEndpointTaken {
        what,
        name: name.to_string(),
        stack: stack.name.clone(),
    };
    let log_group = names::token_function_log_group(&stack.name);
    if slice.role.as_ref().is_some_and(|r| !r.owned) {
        return Err(taken("IAM role", &name));
    }
    if slice.log_group.as_ref().is_some_and(|g| !g.owned) {
        return Err(taken("log group", &log_group));
    }
    if slice.function.as_ref().is_some_and(|f| !f.owned) {
        return Err(taken("Lambda function", &name));
    }
    let policy = role_policy(stack, &inv.region, account, &key_stores(stack, inv));
    let boundary = stack.token_endpoint.as_ref().and_then(|te| te.permissions_boundary.clone());
    let record = names::token_endpoint_record(&stack.name);
    match &slice.role {
        None => p.push(FunctionStep::CreateRole {
            name: name.clone(),
            record,
            trust: trust_policy(),
            policy,
            boundary: boundary.clone(),
        }),
        Some(role) => {
            if slice.record.as_deref() != Some(name.as_str()) {
                p.push(FunctionStep::Record {
                    parameter: record,
                    value: name.clone(),
                });
            }
            if role.boundary != boundary {
                p.push(FunctionStep::PutBoundary {
                    role: name.clone(),
                    before: role.boundary.clone(),
                    after: boundary.clone(),
                });
            }
            if normal_policy(&role.trust) != normal_policy(&trust_policy()) {
                p.push(FunctionStep::PutTrust {
                    role: name.clone(),
                    trust: trust_policy(),
                });
            }
            if role.policy.as_ref().map(normal_policy) != Some(normal_policy(&policy)) {
                p.push(FunctionStep::PutPolicy {
                    role: name.clone(),
                    exists: role.policy.is_some(),
                    policy,
                });
            }
        }
    }
    match &slice.log_group {
        None => p.push(FunctionStep::CreateLogGroup {
            name: log_group,
            retention_days: package::LOG_RETENTION_DAYS,
        }),
        Some(g) if g.retention_days != Some(package::LOG_RETENTION_DAYS) => p.push(FunctionStep::PutRetention {
            name: log_group,
            before: g.retention_days,
            after: package::LOG_RETENTION_DAYS,
        }),
        Some(_) => {}
    }
    match &slice.function {
        None => p.push(FunctionStep::CreateFunction { name, config }),
        Some(f) => {
            if f.code_sha256 != package::code_sha256() || f.config.architecture != config.architecture {
                p.push(FunctionStep::UpdateCode {
                    name: name.clone(),
                    before: f.code_sha256.clone(),
                    architecture: config.architecture.clone(),
                });
            }
            let diffs = config_diffs(&f.config, &config);
            if !diffs.is_empty() {
                p.push(FunctionStep::UpdateConfiguration { name, diffs, config });
            }
        }
    }
    Ok(())
}

/// What the stack made and no longer wants (teardown, or a stack without `token_endpoint`): the function
/// (after the route and the permission that name it), its log group, its role, then the record.
pub(super) fn remove(p: &mut Planner<'_>) {
    let (stack, inv) = (p.d.stack, p.inv);
    let wanted = !p.d.is_teardown() && stack.token_endpoint.is_some() && stack.hosted().is_some();
    if wanted {
        return;
    }
    let slice = &inv.function;
    let name = names::token_function(&stack.name);
    if slice.function.as_ref().is_some_and(|f| f.owned) {
        p.push(FunctionStep::DeleteFunction { name: name.clone() });
    }
    if slice.log_group.as_ref().is_some_and(|g| g.owned) {
        p.push(FunctionStep::DeleteLogGroup {
            name: names::token_function_log_group(&stack.name),
        });
    }
    if slice.role.as_ref().is_some_and(|r| r.owned) {
        p.push(FunctionStep::DeleteRole { name });
    }
    if slice.record.is_some() {
        p.push(FunctionStep::DeleteRecord {
            parameter: names::token_endpoint_record(&stack.name),
        });
    }
}

#[cfg(test)]
impl FunctionStep {
    pub(super) fn simulate(&self, inv: &mut Inventory) {
        let slice = &mut inv.function;
        let account = inv.account.clone().unwrap_or_default();
        let arn = |kind: &str, name: &str| format!("arn:aws:{kind}::{account}:{name}");
        match self {
            FunctionStep::CreateRole {
                name,
                trust,
                policy,
                boundary,
                ..
            } => {
                slice.record = Some(name.clone());
                slice.role = Some(RoleInfo {
                    arn: arn("iam", &format!("role/{name}")),
                    owned: true,
                    trust: trust.clone(),
                    policy: Some(policy.clone()),
                    boundary: boundary.clone(),
                });
            }
            FunctionStep::PutBoundary { after, .. } => slice.role.as_mut().expect("the role exists").boundary = after.clone(),
            FunctionStep::Record { value, .. } => slice.record = Some(value.clone()),
            FunctionStep::PutTrust { trust, .. } => slice.role.as_mut().expect("the role exists").trust = trust.clone(),
            FunctionStep::PutPolicy { policy, .. } => slice.role.as_mut().expect("the role exists").policy = Some(policy.clone()),
            FunctionStep::CreateLogGroup { name, retention_days } => {
                slice.log_group = Some(LogGroupInfo {
                    arn: format!("arn:aws:logs:{}:{account}:log-group:{name}", inv.region),
                    retention_days: Some(*retention_days),
                    owned: true,
                })
            }
            FunctionStep::PutRetention { after, .. } => slice.log_group.as_mut().expect("the group exists").retention_days = Some(*after),
            FunctionStep::CreateFunction { name, config } => {
                slice.function = Some(FunctionInfo {
                    arn: format!("arn:aws:lambda:{}:{account}:function:{name}", inv.region),
                    owned: true,
                    code_sha256: package::code_sha256().into(),
                    config: config.clone(),
                })
            }
            FunctionStep::UpdateCode { architecture, .. } => {
                let f = slice.function.as_mut().expect("the function exists");
                f.code_sha256 = package::code_sha256().into();
                f.config.architecture = architecture.clone();
            }
            FunctionStep::UpdateConfiguration { config, .. } => {
                slice.function.as_mut().expect("the function exists").config = config.clone()
            }
            FunctionStep::DeleteFunction { .. } => slice.function = None,
            FunctionStep::DeleteLogGroup { .. } => slice.log_group = None,
            FunctionStep::DeleteRole { .. } => slice.role = None,
            FunctionStep::DeleteRecord { .. } => slice.record = None,
        }
    }
}
