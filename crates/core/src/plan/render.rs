//! Plans as people read them (one line per resource, `+`/`~`/`-`) and as programs read them (`--json`).

use serde::Serialize;

use super::{Diff, Document, Plan, Step};
use crate::config::KeyRole;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn sign(self) -> char {
        match self {
            Action::Create => '+',
            Action::Update => '~',
            Action::Delete => '-',
        }
    }
}

/// One line of a plan. The JSON form is a documented contract (README, "plan --json").
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ChangeJson {
    pub action: Action,
    pub resource: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diffs: Vec<Diff>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PlanJson {
    pub stack: String,
    pub region: String,
    pub changes: Vec<ChangeJson>,
    pub summary: Summary,
    pub notes: Vec<String>,
}

impl Step {
    /// The plan lines of this step: one, except for key changes (one line per key added or removed, and one
    /// for the signing key).
    pub fn changes(&self) -> Vec<ChangeJson> {
        if let Step::ImportApi { changes, .. } = self {
            return changes.iter().flat_map(Step::changes).collect();
        }
        // A wait changes nothing: no line.
        if let Step::AwaitDistribution { .. } = self {
            return Vec::new();
        }
        let Step::UpdateKeys {
            parameter,
            published,
            added,
            removed,
            signing,
            ..
        } = self
        else {
            return vec![self.change()];
        };
        let line = |action, resource, name: &str, diffs| ChangeJson {
            action,
            resource,
            name: name.into(),
            diffs,
        };
        let mut out = Vec::new();
        for kid in added {
            let role = published.iter().find(|(k, _)| k == kid).map(|(_, r)| *r);
            let what = match role {
                Some(KeyRole::Signing) => "published; signing key",
                Some(KeyRole::Next) => "published for verification; not signing yet",
                _ => "published for verification (previous key)",
            };
            out.push(line(Action::Create, "jwks_key", kid, vec![d("state", "", what)]));
        }
        for kid in removed {
            out.push(line(
                Action::Delete,
                "jwks_key",
                kid,
                vec![d("state", "published", "unpublished; private key kept in SSM")],
            ));
        }
        match &signing.0 {
            Some(before) if before != &signing.1 => {
                out.push(line(Action::Update, "signing_key", &signing.1, vec![d("kid", before, &signing.1)]))
            }
            None => out.push(line(Action::Create, "signing_key", &signing.1, vec![])),
            Some(_) => {}
        }
        if out.is_empty() {
            out.push(line(
                Action::Update,
                "key_timeline",
                parameter,
                vec![d("record", "", "brought up to date")],
            ));
        }
        out
    }

    /// The single line of a step (key changes: their first line).
    pub fn change(&self) -> ChangeJson {
        use Action::*;
        let (action, resource, name, diffs): (Action, &'static str, String, Vec<Diff>) = match self {
            Step::UpdateKeys { .. } | Step::ImportApi { .. } => return self.changes().swap_remove(0),
            Step::DeleteKeyTimeline { parameter } => (Delete, "ssm_parameter", parameter.clone(), vec![]),
            Step::CreateKey { home, bits, .. } => match home {
                super::KeyHome::Ssm { parameter, record } => (
                    Create,
                    "ssm_parameter",
                    parameter.clone(),
                    vec![
                        d("type", "", "SecureString"),
                        d("key", "", &format!("RSA {bits}, generated")),
                        d("public half", "", record),
                    ],
                ),
                super::KeyHome::Kms { alias, .. } => (
                    Create,
                    "kms_key",
                    alias.clone(),
                    vec![d("key_spec", "", &format!("RSA_{bits}")), d("usage", "", "SIGN_VERIFY")],
                ),
            },
            Step::RecordPublicKey { kid, record, .. } => (
                Create,
                "ssm_parameter",
                record.clone(),
                vec![d("value", "", &format!("public JWK of key {kid}, read once from its private key"))],
            ),
            Step::CreateBucket { bucket } => (Create, "s3_bucket", bucket.clone(), vec![]),
            Step::TagBucket { bucket } => (Update, "s3_bucket", bucket.clone(), vec![d("tag", "none", crate::names::TAG_KEY)]),
            Step::DeleteBucketMarker { parameter } => (Delete, "ssm_parameter", parameter.clone(), vec![]),
            Step::PutPublicAccessBlock { bucket, before, after } => {
                let show = |p: &super::PublicAccessBlock| {
                    format!(
                        "acls blocked={} ignored={}, public policy blocked={} restricted={}",
                        p.block_public_acls, p.ignore_public_acls, p.block_public_policy, p.restrict_public_buckets
                    )
                };
                let act = if before.is_some() { Update } else { Create };
                (
                    act,
                    "s3_public_access_block",
                    bucket.clone(),
                    vec![d("settings", &before.as_ref().map(show).unwrap_or_default(), &show(after))],
                )
            }
            Step::PutBucketPolicy { bucket, create, .. } => (
                if *create { Create } else { Update },
                "s3_bucket_policy",
                bucket.clone(),
                vec![d("statements", "", "jwtstack statement merged; other statements kept")],
            ),
            Step::DeleteBucketPolicy { bucket } => (Delete, "s3_bucket_policy", bucket.clone(), vec![]),
            Step::PutObject {
                bucket,
                key,
                document,
                body,
                create,
                changed,
                ..
            } => {
                let what = match (document, body) {
                    (Document::Jwks, None) => "JWKS with the key(s) generated by this deploy".to_string(),
                    (Document::Jwks, Some(b)) => format!("JWKS, {} bytes", b.len()),
                    (Document::Discovery, b) => format!("discovery document, {} bytes", b.as_ref().map(Vec::len).unwrap_or(0)),
                };
                let diffs = if *create { vec![d("content", "", &what)] } else { changed.clone() };
                (
                    if *create { Create } else { Update },
                    "s3_object",
                    format!("s3://{bucket}/{key}"),
                    diffs,
                )
            }
            Step::CreateOriginAccessControl { name } => (
                Create,
                "cloudfront_origin_access_control",
                name.clone(),
                vec![d("signing", "", "sigv4, always"), d("origin_type", "", "s3")],
            ),
            Step::CreateDistribution { settings } => {
                let mut diffs = vec![
                    d("origin", "", &format!("{} (origin access control)", settings.origin_domain)),
                    d("viewer_protocol_policy", "", &settings.viewer_protocol_policy),
                    d("cache_policy", "", "CachingOptimized (honours the documents' max-age)"),
                    d("price_class", "", &settings.price_class),
                ];
                if !settings.aliases.is_empty() {
                    diffs.push(d("aliases", "", &settings.aliases.join(", ")));
                    diffs.push(d("certificate", "", settings.certificate_arn.as_deref().unwrap_or_default()));
                }
                (Create, "cloudfront_distribution", settings.comment.clone(), diffs)
            }
            Step::RecordDistribution { parameter, id, .. } => (
                Create,
                "ssm_parameter",
                parameter.clone(),
                vec![d("value", "", &format!("distribution {id}, found by its comment and tag"))],
            ),
            Step::UpdateDistribution { id, diffs, .. } => (Update, "cloudfront_distribution", id.clone(), diffs.clone()),
            Step::InvalidateDocuments { distribution, paths } => (
                Create,
                "cloudfront_invalidation",
                distribution.clone(),
                vec![d("paths", "", &paths.join(", "))],
            ),
            Step::PutAliasRecords { zone, domain, target } => (
                Create,
                "route53_alias_records",
                format!("{domain} A, AAAA"),
                vec![d("target", "", target), d("hosted_zone", "", zone)],
            ),
            Step::AwaitDistribution { distribution, .. } => {
                (Update, "cloudfront_distribution", distribution.clone().unwrap_or_default(), vec![])
            }
            Step::DisableDistribution { id } => (Update, "cloudfront_distribution", id.clone(), vec![d("enabled", "true", "false")]),
            Step::DeleteDistribution { id } => (Delete, "cloudfront_distribution", id.clone(), vec![]),
            Step::DeleteOriginAccessControl { name, .. } => (Delete, "cloudfront_origin_access_control", name.clone(), vec![]),
            Step::DeleteAliasRecords { domain, target, .. } => (
                Delete,
                "route53_alias_records",
                format!("{domain} A, AAAA"),
                vec![d("target", target, "")],
            ),
            Step::CreateApi { name } => (Create, "apigw_api", name.clone(), vec![d("protocol", "", "HTTP")]),
            Step::UpdateApiName { id, before, after } => (Update, "apigw_api", id.clone(), vec![d("name", before, after)]),
            Step::CreateAuthorizer { name, issuer, audience } => (
                Create,
                "apigw_authorizer",
                name.clone(),
                vec![
                    d("issuer", "", issuer),
                    d("audience", "", &audience.join(", ")),
                    d("identity_source", "", crate::names::IDENTITY_SOURCE),
                ],
            ),
            Step::UpdateAuthorizer {
                name,
                issuer,
                audience,
                identity_source,
                ..
            } => {
                let mut diffs = Vec::new();
                if issuer.0 != issuer.1 {
                    diffs.push(d("issuer", &issuer.0, &issuer.1));
                }
                if audience.0 != audience.1 {
                    diffs.push(d("audience", &audience.0.join(", "), &audience.1.join(", ")));
                }
                if identity_source.0 != identity_source.1 {
                    diffs.push(d("identity_source", &identity_source.0.join(", "), &identity_source.1.join(", ")));
                }
                (Update, "apigw_authorizer", name.clone(), diffs)
            }
            Step::CreateIntegration { spec } => (Create, "apigw_integration", spec.describe(), vec![]),
            Step::CreateRoute {
                key,
                scopes,
                integration,
                public,
            } => (
                Create,
                "apigw_route",
                key.clone(),
                if *public {
                    vec![
                        d("authorization", "", "none (public)"),
                        d("integration", "", &integration.describe()),
                    ]
                } else {
                    vec![
                        d("scopes", "", &format!("[{}]", scopes.join(", "))),
                        d("integration", "", &integration.describe()),
                    ]
                },
            ),
            Step::UpdateRoute { key, diffs, .. } => (Update, "apigw_route", key.clone(), diffs.clone()),
            Step::CreateStage { settings } => (Create, "apigw_stage", crate::names::STAGE_NAME.into(), stage_lines(settings)),
            Step::ConfigureStage { diffs, .. } => (Update, "apigw_stage", crate::names::STAGE_NAME.into(), diffs.clone()),
            Step::DeleteAccessLog => (
                Update,
                "apigw_stage",
                crate::names::STAGE_NAME.into(),
                vec![d("access_log", "the stack's log group", "none")],
            ),
            Step::UpdateCors { before, after } => (
                match (before, after) {
                    (None, _) => Create,
                    (_, None) => Delete,
                    _ => Update,
                },
                "apigw_cors",
                "the API's CORS configuration".into(),
                vec![d("cors", &cors_text(before.as_ref()), &cors_text(after.as_ref()))],
            ),
            Step::CreateLogGroup { name, retention_days } => (
                Create,
                "logs_group",
                name.clone(),
                vec![d("retention_days", "", &retention_days.to_string())],
            ),
            Step::PutLogRetention { name, before, after } => (
                Update,
                "logs_group",
                name.clone(),
                vec![d(
                    "retention_days",
                    &before.map(|b| b.to_string()).unwrap_or_else(|| "never expire".into()),
                    &after.to_string(),
                )],
            ),
            Step::DeleteLogGroup { name } => (Delete, "logs_group", name.clone(), vec![]),
            Step::PutStackRecord { parameter, value } => (Create, "ssm_parameter", parameter.clone(), vec![d("value", "", value)]),
            Step::DeleteStackRecord { parameter } => (Delete, "ssm_parameter", parameter.clone(), vec![]),
            Step::CreateApiDomain { name, certificate_arn } => (
                Create,
                "apigw_domain",
                name.clone(),
                vec![d("certificate_arn", "", certificate_arn), d("endpoint", "", "REGIONAL, TLS_1_2")],
            ),
            Step::UpdateApiDomain { name, diffs, .. } => (Update, "apigw_domain", name.clone(), diffs.clone()),
            Step::CreateApiMapping { domain } => (
                Create,
                "apigw_api_mapping",
                format!("{domain}/"),
                vec![d("target", "", "this stack's API, stage $default")],
            ),
            Step::DeleteApiMapping { domain, id } => (Delete, "apigw_api_mapping", format!("{domain} ({id})"), vec![]),
            Step::DeleteApiDomain { name } => (Delete, "apigw_domain", name.clone(), vec![]),
            Step::PutApiAliasRecords { zone, domain, target } => (
                Create,
                "route53_alias",
                format!("{domain} A, AAAA in {zone}"),
                vec![d(
                    "target",
                    "",
                    target.as_ref().map(|t| t.0.as_str()).unwrap_or("(the new domain's endpoint)"),
                )],
            ),
            Step::DeleteApiAliasRecords { zone, domain, .. } => (Delete, "route53_alias", format!("{domain} A, AAAA in {zone}"), vec![]),
            Step::UpdateStage => (
                Update,
                "apigw_stage",
                crate::names::STAGE_NAME.into(),
                vec![d("auto_deploy", "false", "true")],
            ),
            Step::AddPermission { function } => (
                Create,
                "lambda_permission",
                function.clone(),
                vec![d("principal", "", "apigateway.amazonaws.com")],
            ),
            Step::ReplacePermission { function, before } => (
                Update,
                "lambda_permission",
                function.clone(),
                vec![d("source_arn", before.as_deref().unwrap_or("none"), "this stack's API")],
            ),
            Step::DeleteRoute { key, .. } => (Delete, "apigw_route", key.clone(), vec![]),
            Step::DeleteIntegration { spec, .. } => (Delete, "apigw_integration", spec.describe(), vec![]),
            Step::RemovePermission { function } => (Delete, "lambda_permission", function.clone(), vec![]),
            Step::DeleteAuthorizer { name, .. } => (Delete, "apigw_authorizer", name.clone(), vec![]),
            Step::DeleteStage => (Delete, "apigw_stage", crate::names::STAGE_NAME.into(), vec![]),
            Step::DeleteApi { id, name } => (
                Delete,
                "apigw_api",
                format!("{name} ({id}) with its routes, integrations, authorizer and stage"),
                vec![],
            ),
            Step::DeleteObject { bucket, key } => (Delete, "s3_object", format!("s3://{bucket}/{key}"), vec![]),
            Step::DeleteBucket { bucket } => (Delete, "s3_bucket", bucket.clone(), vec![]),
            Step::DeleteKey { home, .. } => match home {
                super::KeyHome::Ssm { parameter, .. } => (Delete, "ssm_parameter", parameter.clone(), vec![]),
                super::KeyHome::Kms { alias, key_id } => (
                    Delete,
                    "kms_key",
                    format!("{alias} ({})", key_id.as_deref().unwrap_or("?")),
                    vec![d(
                        "deletion",
                        "",
                        &format!("scheduled in {} days (KMS's waiting period)", crate::names::KMS_DELETION_DAYS),
                    )],
                ),
            },
            Step::ForgetKey { kid, parameter, .. } => (
                Update,
                "key_timeline",
                parameter.clone(),
                vec![d("record", "", &format!("forgets {kid}"))],
            ),
        };
        ChangeJson {
            action,
            resource,
            name,
            diffs,
        }
    }
}

fn d(field: &str, before: &str, after: &str) -> Diff {
    Diff {
        field: field.into(),
        before: before.into(),
        after: after.into(),
    }
}

impl Plan {
    /// How many plan lines the first `steps` steps make (a key step can be several): progress, errors and
    /// the summary all count in lines.
    pub fn lines_before(&self, steps: usize) -> usize {
        self.steps[..steps.min(self.steps.len())].iter().map(|s| s.changes().len()).sum()
    }

    pub fn to_json(&self) -> PlanJson {
        let changes: Vec<ChangeJson> = self.steps.iter().flat_map(Step::changes).collect();
        let count = |a: Action| changes.iter().filter(|c| c.action == a).count();
        PlanJson {
            stack: self.stack.clone(),
            region: self.region.clone(),
            summary: Summary {
                create: count(Action::Create),
                update: count(Action::Update),
                delete: count(Action::Delete),
            },
            changes,
            notes: self.notes.clone(),
        }
    }
}

/// The human plan. `color` adds ANSI colours (green create, yellow update, red delete).
pub fn render_text(plan: &Plan, color: bool) -> String {
    let json = plan.to_json();
    let mut out = String::new();
    let paint = |a: Action, s: &str| -> String {
        if !color {
            return s.to_string();
        }
        let code = match a {
            Action::Create => "32",
            Action::Update => "33",
            Action::Delete => "31",
        };
        format!("\x1b[{code}m{s}\x1b[0m")
    };
    for c in &json.changes {
        out.push_str(&paint(c.action, &format!("  {} {} {}", c.action.sign(), c.resource, c.name)));
        out.push('\n');
        for diff in &c.diffs {
            if diff.before.is_empty() {
                out.push_str(&format!("      {}: {}\n", diff.field, diff.after));
            } else {
                out.push_str(&format!("      {}: {} -> {}\n", diff.field, diff.before, diff.after));
            }
        }
    }
    for n in &json.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    if json.changes.is_empty() {
        out.push_str(&format!("No changes: AWS matches the stack `{}` in {}.\n", json.stack, json.region));
    } else {
        let s = &json.summary;
        out.push_str(&format!(
            "Plan for `{}` in {}: {} to create, {} to update, {} to delete.\n",
            json.stack, json.region, s.create, s.update, s.delete
        ));
    }
    out
}

fn stage_lines(s: &super::StageSettings) -> Vec<Diff> {
    let mut v = vec![Diff::new("auto_deploy", "", "true")];
    if let Some(g) = &s.access_log_group {
        v.push(Diff::new("access_log", "", g.clone()));
    }
    if let Some(t) = s.throttling {
        v.push(Diff::new("throttling", "", format!("rate {} burst {}", t.rate, t.burst)));
    }
    v
}

fn cors_text(c: Option<&crate::config::Cors>) -> String {
    match c {
        None => "none".into(),
        Some(c) => format!(
            "origins [{}] methods [{}] headers [{}]{}",
            c.allow_origins.join(", "),
            c.allow_methods.join(", "),
            c.allow_headers.join(", "),
            if c.allow_credentials { " with credentials" } else { "" }
        ),
    }
}
