//! The resource policy of a private REST API: the VPC endpoints the stack file lists may call it, and nothing
//! else (the Developer Guide's example for "Create a private API": a Deny of `execute-api:Invoke` unless
//! `aws:SourceVpce` is one of them, and an Allow). API Gateway keeps a policy with `execute-api:/*` written out
//! as the API's ARN, and answers it as an escaped JSON string: [`normal`] reads it back in the stack's terms.

use serde_json::{Value, json};

/// The policy the stack writes on a private API that `vpc_endpoints` may call.
pub fn private_policy(vpc_endpoints: &[String]) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": vpc_endpoints}}
            },
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*"
            }
        ]
    })
}

/// A policy as API Gateway answers it, in the terms of [`private_policy`]: parsed (once more when AWS answers
/// it as an escaped string), the API's own ARN written back as `execute-api:/`, a single condition value as
/// a list. `None`: not a JSON policy.
pub fn normal(text: &str) -> Option<Value> {
    let parsed: Value = serde_json::from_str(text).ok().or_else(|| {
        serde_json::from_str(&format!("\"{text}\""))
            .ok()
            .and_then(|s: String| serde_json::from_str(&s).ok())
    })?;
    let parsed = match parsed {
        Value::String(s) => serde_json::from_str(&s).ok()?,
        v => v,
    };
    Some(normalize(parsed, false))
}

fn normalize(v: Value, in_condition: bool) -> Value {
    match v {
        Value::String(s) => match api_arn_rest(&s) {
            Some(rest) => Value::String(format!("execute-api:/{rest}")),
            None if in_condition => Value::Array(vec![Value::String(s)]),
            None => Value::String(s),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(|x| normalize(x, false)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, x)| {
                    let deeper = in_condition_operator(&k);
                    (k, normalize(x, deeper))
                })
                .collect(),
        ),
        other => other,
    }
}

/// The keys under a condition operator (`aws:SourceVpce` under `StringNotEquals`) hold values that may be one
/// string or a list.
fn in_condition_operator(key: &str) -> bool {
    key.contains(':')
}

/// What follows `{api-id}/` in `arn:{partition}:execute-api:{region}:{account}:{api-id}/...`.
fn api_arn_rest(s: &str) -> Option<&str> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    match parts[..] {
        ["arn", _, "execute-api", _, account, resource] if account.len() == 12 => resource.split_once('/').map(|(_, r)| r),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_as_api_gateway_answers_it_is_the_one_the_stack_wrote() {
        let wanted = private_policy(&["vpce-0123456789abcdef0".into()]);
        // Escaped, with the API's ARN, one condition value as a string.
        let held = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*\",\"Condition\":{\"StringNotEquals\":{\"aws:SourceVpce\":\"vpce-0123456789abcdef0\"}}},{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*\"}]}"#;
        assert_eq!(normal(held), Some(wanted.clone()));
        assert_eq!(normal(&wanted.to_string()), Some(wanted.clone()));
        let other = private_policy(&["vpce-0123456789abcdef1".into()]);
        assert_ne!(normal(&other.to_string()), Some(wanted));
        assert_eq!(normal("not json"), None);
    }
}
