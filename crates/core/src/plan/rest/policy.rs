//! The resource policy of a private REST API: the VPC endpoints the stack file lists may call it, and nothing
//! else (the Developer Guide's example for "Create a private API": a Deny of `execute-api:Invoke` unless
//! `aws:SourceVpce` is one of them, and an Allow). API Gateway keeps a policy with `execute-api:/*` written out
//! as the API's ARN, and answers it as an escaped JSON string: [`normal`] reads it back in the stack's terms.

use serde_json::{Value, json};

/// The policy the stack writes on a private API that `vpc_endpoints` may call.
pub fn private_policy(vpc_endpoints: &[String]) -> Value {
    let mut listed = vpc_endpoints.to_vec();
    listed.sort();
    listed.dedup();
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": listed}}
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

/// A policy as API Gateway answers it for API `api_id`, in the terms of [`private_policy`]: parsed (once more
/// when it is answered as an escaped string), this API's own ARN written back as `execute-api:/` (another
/// API's, account's or region's is left as it is, so a policy pointing elsewhere differs), condition values as
/// a sorted list. `None`: not a JSON policy.
pub fn normal(text: &str, api_id: &str) -> Option<Value> {
    let parsed: Value = serde_json::from_str(text).ok().or_else(|| {
        serde_json::from_str(&format!("\"{text}\""))
            .ok()
            .and_then(|s: String| serde_json::from_str(&s).ok())
    })?;
    let parsed = match parsed {
        Value::String(s) => serde_json::from_str(&s).ok()?,
        v => v,
    };
    Some(normalize(parsed, api_id, false))
}

fn normalize(v: Value, api_id: &str, condition_value: bool) -> Value {
    match v {
        Value::String(s) => {
            let s = match own_arn_rest(&s, api_id) {
                Some(rest) => format!("execute-api:/{rest}"),
                None => s,
            };
            if condition_value {
                Value::Array(vec![Value::String(s)])
            } else {
                Value::String(s)
            }
        }
        Value::Array(a) if condition_value => {
            let mut items: Vec<Value> = a.into_iter().map(|x| normalize(x, api_id, false)).collect();
            items.sort_by_key(|x| x.to_string());
            items.dedup();
            Value::Array(items)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(|x| normalize(x, api_id, false)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, x)| {
                    // Under a condition operator, a key such as `aws:SourceVpce` holds one value or a list.
                    let deeper = k.contains(':');
                    (k, normalize(x, api_id, deeper))
                })
                .collect(),
        ),
        other => other,
    }
}

/// What follows `{api_id}/` in `arn:{partition}:execute-api:{region}:{account}:{api_id}/...`, for this API.
fn own_arn_rest<'a>(s: &'a str, api_id: &str) -> Option<&'a str> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    match parts[..] {
        ["arn", _, "execute-api", _, account, resource] if account.len() == 12 => {
            resource.strip_prefix(api_id).and_then(|r| r.strip_prefix('/'))
        }
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
        assert_eq!(normal(held, "a1b2c3d4e5"), Some(wanted.clone()));
        assert_eq!(normal(&wanted.to_string(), "a1b2c3d4e5"), Some(wanted.clone()));
        // Another API's ARN is not this API's: such a policy differs.
        assert_ne!(normal(held, "zzzzzzzzzz"), Some(wanted.clone()));
        let other = private_policy(&["vpce-0123456789abcdef1".into()]);
        assert_ne!(normal(&other.to_string(), "a1b2c3d4e5"), Some(wanted));
        // The endpoints in any order, each once.
        let two = private_policy(&["vpce-0123456789abcdef1".into(), "vpce-0123456789abcdef0".into()]);
        let reordered = two.to_string().replace(
            r#"["vpce-0123456789abcdef0","vpce-0123456789abcdef1"]"#,
            r#"["vpce-0123456789abcdef1","vpce-0123456789abcdef0"]"#,
        );
        assert_eq!(normal(&reordered, "a1b2c3d4e5"), Some(two));
        assert_eq!(normal("not json", "a1b2c3d4e5"), None);
    }
}
