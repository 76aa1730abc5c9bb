//! The token endpoint's clients: one String parameter per client, `/jwtstack/{stack}/clients/{client_id}`,
//! holding its record as JSON (name, scopes, audience, lifetime, whether it is disabled, and the SHA-256 of
//! its secrets: never a secret) and tagged `jwtstack:stack`. A record without the tag, or that does not parse,
//! was not made by jwtstack for this stack: it is never trusted, so it authenticates no one.

use aws_sdk_ssm::types::ParameterType;

use super::{AwsError, Clients, ErrorKind, classify};
use jwtstack_core::names;
use jwtstack_core::oauth::ClientRecord;

/// Every client of the stack, by name, and the parameters under the clients' path that are not trusted (no
/// tag, or not a record): one `GetParametersByPath` per 10 records, and one `ListTagsForResource` per record
/// not in `known_tagged` (records already seen with the stack's tag; `serve` keeps them between readings).
pub async fn list(
    c: &Clients,
    stack: &str,
    known_tagged: Option<&std::sync::Mutex<std::collections::BTreeSet<String>>>,
) -> Result<(Vec<ClientRecord>, Vec<String>), AwsError> {
    let path = names::client_prefix(stack);
    let found: Vec<(String, Option<String>)> = crate::ssm::parameters_under(c, path.trim_end_matches('/'))
        .await?
        .iter()
        .filter_map(|p| Some((p.name()?.to_string(), p.value().map(str::to_string))))
        .collect();
    let (mut records, mut untrusted) = (Vec::new(), Vec::new());
    let known = |name: &str| known_tagged.is_some_and(|k| k.lock().unwrap_or_else(|e| e.into_inner()).contains(name));
    for (name, value) in found {
        let id = name.strip_prefix(&path).unwrap_or_default();
        let Some(r) = ClientRecord::from_parameter(id, value.as_deref()) else {
            untrusted.push(name);
            continue;
        };
        if known(&name) || crate::ssm::has_stack_tag(c, stack, &name).await? {
            if let Some(k) = known_tagged {
                k.lock().unwrap_or_else(|e| e.into_inner()).insert(name);
            }
            records.push(r);
        } else {
            untrusted.push(name);
        }
    }
    records.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((records, untrusted))
}

fn value_of(record: &ClientRecord, parameter: &str) -> Result<String, AwsError> {
    serde_json::to_string(record).map_err(|e| AwsError::new(format!("writing {parameter}"), ErrorKind::Other, e.to_string()))
}

/// Stores a new client, tagged in the same call, never over an existing parameter (sent once: a retry after a
/// lost answer would be refused by its own first attempt).
pub async fn create(c: &Clients, stack: &str, record: &ClientRecord) -> Result<(), AwsError> {
    let parameter = names::client_record(stack, &record.client_id);
    crate::ssm::put_new_string(
        c,
        &parameter,
        &format!(
            "jwtstack: token endpoint client `{}` of stack {stack}; secrets as SHA-256 only",
            record.name
        ),
        &value_of(record, &parameter)?,
        Some(stack),
        format!("putting SSM parameter {parameter}"),
    )
    .await
}

/// Writes a changed record over the client's parameter (its tag stays).
pub async fn update(c: &Clients, stack: &str, record: &ClientRecord) -> Result<(), AwsError> {
    let parameter = names::client_record(stack, &record.client_id);
    c.ssm
        .put_parameter()
        .name(&parameter)
        .r#type(ParameterType::String)
        .value(value_of(record, &parameter)?)
        .overwrite(true)
        .send()
        .await
        .map_err(|e| classify(format!("putting SSM parameter {parameter}"), e))?;
    Ok(())
}

/// Removes a client's record; one already gone is fine.
pub async fn delete(c: &Clients, stack: &str, client_id: &str) -> Result<(), AwsError> {
    crate::ssm::delete_key(c, &names::client_record(stack, client_id)).await
}
