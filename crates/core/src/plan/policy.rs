//! The issuer bucket's policy: the stack's one statement, merged into whatever else the policy holds.

use crate::config::{Hosted, Stack};
use crate::names::{statement_id, well_known_arn};

/// The statement that lets anyone read the issuer's `.well-known/` documents, and nothing else.
pub(super) fn public_statement(stack: &Stack, h: &Hosted, region: &str) -> serde_json::Value {
    serde_json::json!({
        "Sid": statement_id(&stack.name),
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": well_known_arn(region, &h.bucket, &h.document_prefix()),
    })
}

pub(super) enum PolicyChange {
    None,
    Put(String),
    Delete,
}

/// Puts `statement` (or removes it, when `None`) under `sid` in a bucket policy, keeping every other statement.
pub(super) fn merge_policy(existing: Option<&str>, sid: &str, statement: Option<serde_json::Value>) -> PolicyChange {
    use serde_json::{Value, json};
    let mut doc: Value = existing
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_else(|| json!({"Version": "2012-10-17", "Statement": []}));
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    };
    let ours: Vec<&Value> = statements
        .iter()
        .filter(|s| s.get("Sid").and_then(Value::as_str) == Some(sid))
        .collect();
    let already = match &statement {
        Some(s) => ours.len() == 1 && ours[0] == s,
        None => ours.is_empty(),
    };
    if already {
        return PolicyChange::None;
    }
    let mut kept: Vec<Value> = statements
        .iter()
        .filter(|s| s.get("Sid").and_then(Value::as_str) != Some(sid))
        .cloned()
        .collect();
    if let Some(s) = statement {
        kept.push(s);
    }
    if kept.is_empty() {
        return PolicyChange::Delete;
    }
    doc["Statement"] = Value::Array(kept);
    if doc.get("Version").is_none() {
        doc["Version"] = json!("2012-10-17");
    }
    PolicyChange::Put(doc.to_string())
}

/// [`merge_policy`] for several statements (each `None` removed), in order: the change they make together.
pub(super) fn merge_statements<const N: usize>(existing: Option<&str>, wanted: [(String, Option<serde_json::Value>); N]) -> PolicyChange {
    let mut policy = existing.map(str::to_string);
    let mut changed = false;
    for (sid, statement) in wanted {
        match merge_policy(policy.as_deref(), &sid, statement) {
            PolicyChange::None => {}
            PolicyChange::Put(p) => (policy, changed) = (Some(p), true),
            PolicyChange::Delete => (policy, changed) = (None, true),
        }
    }
    match policy {
        _ if !changed => PolicyChange::None,
        Some(p) => PolicyChange::Put(p),
        None => PolicyChange::Delete,
    }
}
