//! The token endpoint's role policies: the trust policy (Lambda may assume the role) and the inline policy of
//! exactly what the function calls, as the planner writes them and as IAM compares them.

use serde_json::{Value, json};

use crate::config::{KeyStore, Stack};
use crate::names;

/// The role's trust policy: Lambda may assume it.
pub fn trust_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }],
    })
}

/// The role's policy: exactly what `index.mjs` calls. The client records are read whole
/// (`ssm:GetParametersByPath` on their path, whose resource is the path itself) with each record's tag
/// (`ssm:ListTagsForResource`); the signing key is read (`ssm:GetParameter`; a SecureString under SSM's
/// AWS-managed key needs no `kms:Decrypt` grant) or used (`kms:Sign`, the stack's keys by their alias,
/// `kms:ResourceAliases`); the function writes its own log group, which the stack made. The keys are the
/// stack's keys in every store a published key is in (`stores`), not the signing key alone: a rotation, even
/// one that moves the stack to the other store, then changes which key signs without waiting for IAM to
/// propagate a new policy (IAM User Guide: changes are eventually consistent).
pub fn role_policy(stack: &Stack, region: &str, account: &str, stores: &[KeyStore]) -> Value {
    let p = names::partition(region);
    let parameter = |path: &str| format!("arn:{p}:ssm:{region}:{account}:parameter{path}");
    let clients = names::client_prefix(&stack.name);
    let key = |store: &KeyStore| match store {
        KeyStore::Ssm => json!({
            "Sid": "SigningKeySsm",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": parameter(&format!("{}*", names::key_parameter_prefix(&stack.name))),
        }),
        KeyStore::Kms => json!({
            "Sid": "SigningKeyKms",
            "Effect": "Allow",
            "Action": "kms:Sign",
            "Resource": format!("arn:{p}:kms:{region}:{account}:key/*"),
            "Condition": {"ForAnyValue:StringLike": {"kms:ResourceAliases": format!("{}*", names::kms_alias_prefix(&stack.name))}},
        }),
    };
    let mut statements = vec![
        json!({
            "Sid": "ClientRecords",
                "Effect": "Allow",
            "Action": "ssm:GetParametersByPath",
            "Resource": parameter(clients.trim_end_matches('/')),
        }),
        json!({
            "Sid": "ClientRecordTags",
            "Effect": "Allow",
            "Action": "ssm:ListTagsForResource",
            "Resource": parameter(&format!("{clients}*")),
        }),
    ];
    statements.extend([KeyStore::Ssm, KeyStore::Kms].iter().filter(|s| stores.contains(s)).map(key));
    statements.push(json!({
        "Sid": "OwnLog",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": format!(
            "arn:{p}:logs:{region}:{account}:log-group:{}:*",
            names::token_function_log_group(&stack.name)
        ),
    }));
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// A policy document as IAM compares it: `Action`, `Resource` and their `Not` forms are a list whether
/// written as one string or a list of one (IAM User Guide, "IAM JSON policy elements").
pub fn normal_policy(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("Action" | "NotAction" | "Resource" | "NotResource", Value::String(_)) => Value::Array(vec![v.clone()]),
                        _ => normal_policy(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normal_policy).collect()),
        other => other.clone(),
    }
}
