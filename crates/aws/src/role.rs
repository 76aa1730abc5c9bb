//! IAM: the token endpoint's role (`names::token_function`), tagged, trusting Lambda, with one inline policy.
//! IAM answers policy documents URL-encoded (IAM API Reference, GetRole and GetRolePolicy: "The policy
//! document returned in this structure is URL-encoded compliant with RFC 3986"); they are decoded and parsed
//! here, and compared as IAM reads them (`plan::normal_policy`).

use aws_sdk_iam::types::Tag;
use jwtstack_core::names::{TAG_KEY, TOKEN_POLICY_NAME};
use jwtstack_core::plan::RoleInfo;
use serde_json::Value;

use super::retry::{create_once, no_retry};
use super::{AwsError, Clients, ErrorKind, classify, ignore_missing};

fn document(encoded: &str) -> Value {
    let text = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The role named `name`, with its tag, trust policy and inline policy, or `None`.
pub async fn read_role(c: &Clients, name: &str, stack: &str) -> Result<Option<RoleInfo>, AwsError> {
    let role = match c.iam.get_role().role_name(name).send().await {
        Ok(out) => out.role,
        Err(e) => {
            let err = classify(format!("reading IAM role {name}"), e);
            return if err.is_not_found() { Ok(None) } else { Err(err) };
        }
    };
    let Some(role) = role else { return Ok(None) };
    let owned = role.tags().iter().any(|t| t.key() == TAG_KEY && t.value() == stack);
    let policy = match c.iam.get_role_policy().role_name(name).policy_name(TOKEN_POLICY_NAME).send().await {
        Ok(out) => Some(document(out.policy_document())),
        Err(e) => {
            let err = classify(format!("reading the policy {TOKEN_POLICY_NAME} of IAM role {name}"), e);
            if !err.is_not_found() {
                return Err(err);
            }
            None
        }
    };
    Ok(Some(RoleInfo {
        arn: role.arn().to_string(),
        owned,
        trust: role.assume_role_policy_document().map(document).unwrap_or(Value::Null),
        policy,
        boundary: role
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string),
    }))
}

/// Makes the role, tagged, trusting what `trust` says, within `boundary` (or finds the one an earlier attempt
/// made).
pub async fn create_role(c: &Clients, name: &str, trust: &Value, boundary: Option<&str>, stack: &str) -> Result<(), AwsError> {
    let tag = Tag::builder()
        .key(TAG_KEY)
        .value(stack)
        .build()
        .map_err(|e| AwsError::new(format!("creating IAM role {name}"), ErrorKind::Other, e.to_string()))?;
    create_once(
        name,
        || async {
            c.iam
                .create_role()
                .role_name(name)
                .description(format!("jwtstack stack {stack}: the token endpoint's function"))
                .assume_role_policy_document(trust.to_string())
                .tags(tag.clone())
                .set_permissions_boundary(boundary.map(str::to_string))
                .customize()
                .config_override(aws_sdk_iam::config::Builder::default().retry_config(no_retry()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify(format!("creating IAM role {name}"), e))
        },
        || async { Ok(read_role(c, name, stack).await?.filter(|r| r.owned).map(|_| ())) },
    )
    .await
}

/// Puts the role's inline policy (a put replaces it whole).
pub async fn put_policy(c: &Clients, role: &str, policy: &Value) -> Result<(), AwsError> {
    c.iam
        .put_role_policy()
        .role_name(role)
        .policy_name(TOKEN_POLICY_NAME)
        .policy_document(policy.to_string())
        .send()
        .await
        .map_err(|e| classify(format!("putting the policy {TOKEN_POLICY_NAME} of IAM role {role}"), e))?;
    Ok(())
}

/// Puts the role's trust policy back.
pub async fn put_trust(c: &Clients, role: &str, trust: &Value) -> Result<(), AwsError> {
    c.iam
        .update_assume_role_policy()
        .role_name(role)
        .policy_document(trust.to_string())
        .send()
        .await
        .map_err(|e| classify(format!("putting the trust policy of IAM role {role}"), e))?;
    Ok(())
}

/// Sets the role's permissions boundary, or removes it (`None`).
pub async fn put_boundary(c: &Clients, role: &str, boundary: Option<&str>) -> Result<(), AwsError> {
    let context = format!("setting the permissions boundary of IAM role {role}");
    match boundary {
        Some(arn) => c
            .iam
            .put_role_permissions_boundary()
            .role_name(role)
            .permissions_boundary(arn)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(context, e)),
        None => ignore_missing(c.iam.delete_role_permissions_boundary().role_name(role).send().await, context),
    }
}

/// Deletes the role's inline policy, then the role (IAM refuses to delete a role that has one: DeleteRole,
/// "DeleteConflict").
pub async fn delete_role(c: &Clients, name: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.iam
            .delete_role_policy()
            .role_name(name)
            .policy_name(TOKEN_POLICY_NAME)
            .send()
            .await,
        format!("deleting the policy {TOKEN_POLICY_NAME} of IAM role {name}"),
    )?;
    ignore_missing(
        c.iam.delete_role().role_name(name).send().await,
        format!("deleting IAM role {name}"),
    )
}
