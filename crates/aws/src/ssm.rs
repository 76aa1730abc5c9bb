//! SSM Parameter Store: the private keys, as SecureString PKCS#8 PEM under `/jwtstack/{name}/keys/{kid}`,
//! their public halves under `/jwtstack/{name}/public-keys/{kid}`, and the stack's records (bucket, lock,
//! key timeline).
//!
//! A key parameter is never overwritten: puts are made without `Overwrite`, so AWS itself refuses a replace.
//! Reading what exists never decrypts: only [`get_key`] does, for `token` and for a deploy that records the
//! public half of a key stored before public halves were recorded.

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{ParameterType, Tag};

use super::retry::no_retry;
use super::{AwsError, Clients, ErrorKind, classify, ignore_missing};
use jwtstack_core::crypto::keys::{Jwk, SigningKey};
use jwtstack_core::names::{self, TAG_KEY, bucket_marker, key_timeline};
use jwtstack_core::plan::{KeyHome, KeyInfo, KeyTimeline, Kid};

/// What the stack keeps in SSM, read in one listing of `/jwtstack/{name}`.
#[derive(Default)]
pub struct StackParameters {
    pub key_infos: BTreeMap<Kid, KeyInfo>,
    /// The bucket this stack created (see [`put_bucket_marker`]).
    pub bucket_marker: Option<String>,
    /// The run lock's value, when a run holds it (or died holding it).
    pub lock: Option<String>,
    /// The lock's takeover marks (parameter, value), while a run removes a stale lock or a dead run's mark (or
    /// when one died doing so).
    pub lock_marks: Vec<(String, String)>,
    /// The key timeline, when a deploy has written one (an unreadable one counts as absent).
    pub key_timeline: Option<KeyTimeline>,
    /// `/jwtstack/{name}/distribution` (see [`DistributionRecord`]).
    pub distribution: Option<DistributionRecord>,
    /// `/jwtstack/{name}/access-log` and `/jwtstack/{name}/domain`: the log group and the API domain.
    pub access_log: Option<String>,
    pub api_domain: Option<String>,
    /// `/jwtstack/{name}/token-endpoint`: the token endpoint's function the stack made.
    pub token_endpoint: Option<String>,
    /// The resources the stack made in an adopted REST API (when the record carries the stack's tag).
    pub rest_resources: Option<String>,
    /// The token endpoint's client records that carry the stack's tag: (parameter, client name).
    pub clients: Vec<(String, String)>,
}

/// The stack's CloudFront distribution, as recorded right after it was created.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DistributionRecord {
    pub id: String,
    pub arn: String,
    pub domain: String,
}

pub async fn put_distribution_record(c: &Clients, stack: &str, record: &DistributionRecord) -> Result<(), AwsError> {
    let value = serde_json::to_string(record).unwrap_or_default();
    put_record(
        c,
        stack,
        &names::distribution_record(stack),
        &value,
        "jwtstack: the CloudFront distribution in front of the issuer bucket; not secret",
    )
    .await
}

/// Records a resource of the stack that no tag search finds cheaply (the log group, the API domain).
pub async fn put_stack_record(c: &Clients, stack: &str, parameter: &str, value: &str) -> Result<(), AwsError> {
    put_record(
        c,
        stack,
        parameter,
        value,
        "jwtstack: a resource of the stack, for teardown; not secret",
    )
    .await
}

/// The recorded distribution (one GetParameter): how `token`, `verify` and `serve` learn the URL of a
/// `cloudfront: true` issuer. `None` before the first deploy.
pub async fn read_distribution_record(c: &Clients, stack: &str) -> Result<Option<DistributionRecord>, AwsError> {
    let name = names::distribution_record(stack);
    match c.ssm.get_parameter().name(&name).send().await {
        Ok(out) => Ok(out.parameter().and_then(|p| p.value()).and_then(|v| serde_json::from_str(v).ok())),
        Err(e) => {
            let e = classify(format!("reading SSM parameter {name}"), e);
            if e.is_not_found() { Ok(None) } else { Err(e) }
        }
    }
}

/// Whether a parameter carries the stack's tag (one `ListTagsForResource`).
pub(crate) async fn has_stack_tag(c: &Clients, stack: &str, parameter: &str) -> Result<bool, AwsError> {
    let tags = c
        .ssm
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id(parameter)
        .send()
        .await
        .map_err(|e| classify(format!("reading the tags of SSM parameter {parameter}"), e))?;
    Ok(tags.tag_list().iter().any(|t| t.key() == TAG_KEY && t.value() == stack))
}

/// Every parameter under `path` (recursively), without decryption: one `GetParametersByPath` per 10.
pub(crate) async fn parameters_under(c: &Clients, path: &str) -> Result<Vec<aws_sdk_ssm::types::Parameter>, AwsError> {
    let mut out = Vec::new();
    let mut pages = c
        .ssm
        .get_parameters_by_path()
        .path(path)
        .recursive(true)
        .with_decryption(false)
        .max_results(10)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(format!("listing SSM parameters under {path}"), e))?;
        out.extend(page.parameters().iter().cloned());
    }
    Ok(out)
}

/// Every parameter under `/jwtstack/{name}`, without decryption: the keys (under `keys/`) with the public
/// halves recorded beside them (under `public-keys/`), the bucket marker, the lock and the key timeline.
pub async fn read_stack_parameters(c: &Clients, stack: &str) -> Result<StackParameters, AwsError> {
    let mut out = StackParameters::default();
    let path = names::parameter_root(stack);
    let prefix = names::key_parameter_prefix(stack);
    let marker = bucket_marker(stack);
    let timeline = key_timeline(stack);
    let records = names::public_key_prefix(stack);
    let mut public: BTreeMap<String, Jwk> = BTreeMap::new();
    let mut not_secure = Vec::new();
    let client_prefix = names::client_prefix(stack);
    let mut client_records = Vec::new();
    for p in &parameters_under(c, &path).await? {
        let Some(name) = p.name() else { continue };
        if name == names::lock(stack) {
            out.lock = p.value().map(str::to_string);
            continue;
        }
        if names::lock_mark_level(stack, name).is_some() {
            out.lock_marks.extend(p.value().map(|v| (name.to_string(), v.to_string())));
            continue;
        }
        if name == marker {
            out.bucket_marker = p.value().map(str::to_string);
            continue;
        }
        if name == names::access_log_record(stack) {
            out.access_log = p.value().map(str::to_string);
            continue;
        }
        if name == names::token_endpoint_record(stack) {
            out.token_endpoint = p.value().map(str::to_string);
            continue;
        }
        if name == names::rest_resources_record(stack) {
            out.rest_resources = p.value().map(str::to_string);
            continue;
        }
        if name == names::api_domain_record(stack) {
            out.api_domain = p.value().map(str::to_string);
            continue;
        }
        if name == names::distribution_record(stack) {
            out.distribution = p.value().and_then(|v| serde_json::from_str(v).ok());
            continue;
        }
        if name == timeline {
            out.key_timeline = p.value().and_then(|v| serde_json::from_str(v).ok());
            continue;
        }
        if let Some(id) = name.strip_prefix(&client_prefix) {
            let client = jwtstack_core::oauth::ClientRecord::from_parameter(id, p.value()).map_or_else(|| id.to_string(), |r| r.name);
            client_records.push((name.to_string(), client));
            continue;
        }
        if let Some(kid) = name.strip_prefix(&records) {
            // A record that does not parse, or names another kid, counts as absent: deploy writes it again.
            if let Some(jwk) = p
                .value()
                .and_then(|v| serde_json::from_str::<Jwk>(v).ok())
                .filter(|j| j.kid == kid && j.to_public_key().is_ok())
            {
                public.insert(kid.to_string(), jwk);
            }
            continue;
        }
        let Some(kid) = name.strip_prefix(&prefix) else { continue };
        if p.r#type() != Some(&ParameterType::SecureString) {
            not_secure.push(name.to_string());
        }
        out.key_infos.insert(
            Kid::from(kid),
            KeyInfo {
                home: KeyHome::Ssm {
                    parameter: name.to_string(),
                    record: names::public_key_record(stack, kid),
                },
                public: None,
                recorded: false,
                deletion: None,
                bits: None,
                created: p.last_modified_date().map(|d| d.secs()),
            },
        );
    }
    refuse_unless_made_for(c, stack, &out.key_infos, &not_secure).await?;
    // A record of resources names what teardown deletes in an API the stack does not own: one without the
    // stack's tag is not the stack's.
    if out.rest_resources.is_some() && !has_stack_tag(c, stack, &names::rest_resources_record(stack)).await? {
        out.rest_resources = None;
    }
    // Only the records jwtstack made (tagged when created) are the stack's: teardown removes those alone.
    for (parameter, client) in client_records {
        if has_stack_tag(c, stack, &parameter).await? {
            out.clients.push((parameter, client));
        }
    }
    for (kid, info) in out.key_infos.iter_mut() {
        if let Some(jwk) = public.remove(kid.as_str()) {
            info.bits = jwk.bits();
            info.public = Some(jwk);
            info.recorded = true;
        }
    }
    Ok(out)
}

/// Refuses a key parameter under the stack's path that jwtstack did not make for this stack: jwtstack creates
/// each as a SecureString carrying the stack's tag in the same call, so one without the tag, or of another
/// type, was put there by someone else. Publishing it would let whoever wrote it mint accepted tokens, and
/// teardown would delete it; the error stops the run before any change. Each key's tags are read with
/// `ListTagsForResource`, which answers for the parameter itself (a search by tag, `DescribeParameters`, can
/// lag a key made seconds earlier in the same run).
async fn refuse_unless_made_for(c: &Clients, stack: &str, keys: &BTreeMap<Kid, KeyInfo>, not_secure: &[String]) -> Result<(), AwsError> {
    for info in keys.values() {
        let KeyHome::Ssm { parameter, .. } = &info.home else { continue };
        let why = if not_secure.contains(parameter) {
            Some("not a SecureString".to_string())
        } else {
            let tagged = has_stack_tag(c, stack, parameter).await?;
            (!tagged).then(|| format!("no tag {TAG_KEY}={stack}"))
        };
        if let Some(why) = why {
            let mut err = AwsError::new(
                format!("reading SSM parameter {parameter}"),
                ErrorKind::Conflict,
                format!("{parameter} is not a key jwtstack made for stack `{stack}` ({why}): it is neither published nor deleted"),
            );
            err.hint = Some(format!(
                "if it is not yours, delete it (aws ssm delete-parameter --name {parameter}) and deploy again; jwtstack then makes its own key (docs/failures.md#keys-under-the-stacks-name)"
            ));
            return Err(err);
        }
    }
    Ok(())
}

/// Derives the public halves of the SSM keys in `keys` that have no record yet, by reading each private key
/// once (deploy only; `plan` never decrypts). A key that cannot be read keeps no public half.
pub async fn derive_unrecorded(c: &Clients, keys: &mut BTreeMap<Kid, KeyInfo>, wanted: &[&str]) -> Result<(), AwsError> {
    for (kid, info) in keys.iter_mut().filter(|(k, i)| !i.recorded && wanted.contains(&k.as_str())) {
        let KeyHome::Ssm { parameter, .. } = &info.home else { continue };
        match get_key(c, parameter, kid).await {
            Ok(key) => {
                info.public = Some(key.public_jwk());
                info.bits = Some(key.bits());
            }
            Err(e) if e.kind == ErrorKind::Other => info.public = None,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Records the public half of a key (a String parameter, the public JWK as JSON; not secret).
pub async fn put_public_record(c: &Clients, stack: &str, record: &str, jwk: &Jwk) -> Result<(), AwsError> {
    let value = serde_json::to_string(jwk).unwrap_or_default();
    put_record(
        c,
        stack,
        record,
        &value,
        &format!(
            "jwtstack: the public half of signing key {} (read by plan and status; not secret)",
            jwk.kid
        ),
    )
    .await
}

pub async fn put_bucket_marker(c: &Clients, stack: &str, bucket: &str) -> Result<(), AwsError> {
    // Overwriting is fine here: the value is the bucket name, the same on every attempt.
    put_record(
        c,
        stack,
        &bucket_marker(stack),
        bucket,
        "jwtstack: the issuer bucket this stack created",
    )
    .await
}

pub async fn put_key_timeline(c: &Clients, stack: &str, timeline: &KeyTimeline) -> Result<(), AwsError> {
    let value = serde_json::to_string(timeline).unwrap_or_default();
    put_record(
        c,
        stack,
        &key_timeline(stack),
        &value,
        "jwtstack: when each key was published and signed (rotation timing); not secret",
    )
    .await
}

/// A plain String parameter that the stack rewrites whole (a record, never a key), tagged as the stack's.
async fn put_record(c: &Clients, stack: &str, name: &str, value: &str, description: &str) -> Result<(), AwsError> {
    let tag = Tag::builder()
        .key(TAG_KEY)
        .value(stack)
        .build()
        .map_err(|e| AwsError::new(name.to_string(), ErrorKind::Other, e.to_string()))?;
    c.ssm
        .put_parameter()
        .name(name)
        .description(description)
        .r#type(ParameterType::String)
        .value(value)
        .overwrite(true)
        .send()
        .await
        .map_err(|e| classify(format!("putting SSM parameter {name}"), e))?;
    c.ssm
        .add_tags_to_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .tags(tag)
        .send()
        .await
        .map_err(|e| classify(format!("tagging SSM parameter {name}"), e))?;
    Ok(())
}

pub async fn delete_bucket_marker(c: &Clients, stack: &str) -> Result<(), AwsError> {
    delete_key(c, &bucket_marker(stack)).await
}

/// Reads one private key.
pub async fn get_key(c: &Clients, parameter: &str, kid: &str) -> Result<SigningKey, AwsError> {
    let context = format!("reading SSM parameter {parameter}");
    let out = c
        .ssm
        .get_parameter()
        .name(parameter)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| {
            let mut err = classify(context.clone(), e);
            if err.is_not_found() {
                err.hint = Some("the key is created by `jwtstack deploy`; run it first, or pass --key-file".into());
            }
            err
        })?;
    let value = out.parameter().and_then(|p| p.value()).unwrap_or_default();
    SigningKey::from_pem(kid, value).map_err(|e| AwsError::new(context, ErrorKind::Other, e.to_string()))
}

/// Stores a new key. Fails (Conflict) if the parameter exists: a key is never replaced.
pub async fn put_new_key(c: &Clients, parameter: &str, key: &SigningKey, stack: &str) -> Result<(), AwsError> {
    let context = format!("putting SSM parameter {parameter}");
    let pem = key
        .to_pem()
        .map_err(|e| AwsError::new(context.clone(), ErrorKind::Other, e.to_string()))?;
    let tag = Tag::builder()
        .key(TAG_KEY)
        .value(stack)
        .build()
        .map_err(|e| AwsError::new(context.clone(), ErrorKind::Other, e.to_string()))?;
    c.ssm
        .put_parameter()
        .name(parameter)
        .description(format!(
            "jwtstack signing key {} of stack {stack} (RSA {}, PKCS#8 PEM)",
            key.kid,
            key.bits()
        ))
        .r#type(ParameterType::SecureString)
        .value(pem.as_str())
        .overwrite(false)
        .tags(tag)
        .customize()
        .config_override(aws_sdk_ssm::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| {
            let mut err = classify(context, e);
            if err.kind == ErrorKind::Conflict {
                err.hint = Some("a key parameter is never overwritten; another run may have created it: run deploy again".into());
            }
            err
        })?;
    Ok(())
}

/// Deletes an SSM key: its public record first, so that a run dying in between leaves a key that the next
/// teardown still finds.
pub async fn delete_stored_key(c: &Clients, home: &KeyHome) -> Result<(), AwsError> {
    let KeyHome::Ssm { parameter, record } = home else {
        return Ok(());
    };
    delete_key(c, record).await?;
    delete_key(c, parameter).await
}

/// Deletes a parameter of the stack (a key, the bucket record); one already gone is fine.
pub async fn delete_key(c: &Clients, parameter: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.ssm.delete_parameter().name(parameter).send().await,
        format!("deleting SSM parameter {parameter}"),
    )
}

/// Claims `bucket` for `stack` before the stack creates it: the claim is put without overwrite, so of two
/// stacks creating one bucket at once exactly one gets it. A claim of our own (an earlier attempt) is fine.
pub async fn claim_bucket(c: &Clients, bucket: &str, stack: &str) -> Result<(), AwsError> {
    let parameter = names::bucket_claim(bucket);
    let put = c
        .ssm
        .put_parameter()
        .name(&parameter)
        .description("jwtstack: the stack that created this issuer bucket (two stacks never share one)")
        .r#type(ParameterType::String)
        .value(stack)
        .overwrite(false)
        .customize()
        .config_override(aws_sdk_ssm::config::Builder::default().retry_config(no_retry()))
        .send()
        .await;
    let context = format!("claiming S3 bucket {bucket} ({parameter})");
    match put {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = classify(context.clone(), e);
            if err.kind != ErrorKind::Conflict && !err.is_transient() {
                return Err(err);
            }
            match get_string(c, &parameter).await? {
                Some(owner) if owner == stack => Ok(()),
                Some(owner) => {
                    let mut refused = AwsError::new(
                        context,
                        ErrorKind::Conflict,
                        format!("stack `{owner}` claimed bucket {bucket} first"),
                    );
                    refused.hint = Some(format!(
                        "an issuer bucket belongs to one stack: choose another issuer.bucket for `{stack}`"
                    ));
                    Err(refused)
                }
                None => Err(err),
            }
        }
    }
}

/// Removes a bucket's claim (the bucket is deleted).
pub async fn delete_bucket_claim(c: &Clients, bucket: &str) -> Result<(), AwsError> {
    delete_key(c, &names::bucket_claim(bucket)).await
}

/// Creates the lock parameter (or its takeover mark) with `value`; Conflict when it exists. Not retried by the
/// SDK (see `lock`).
pub async fn put_lock(c: &Clients, parameter: &str, value: &str) -> Result<(), AwsError> {
    put_new_string(
        c,
        parameter,
        "jwtstack run lock (or its takeover mark): held while deploy or teardown runs; `jwtstack unlock --yes` clears a stale one",
        value,
        None,
        format!("taking the lock {parameter}"),
    )
    .await
}

/// Creates a String parameter, never over an existing one, tagged in the same call when `stack` is given; sent
/// once: an SDK retry after a lost answer would be refused by its own first attempt.
pub(crate) async fn put_new_string(
    c: &Clients,
    parameter: &str,
    description: &str,
    value: &str,
    stack: Option<&str>,
    context: String,
) -> Result<(), AwsError> {
    let tags = match stack {
        Some(stack) => Some(vec![
            Tag::builder()
                .key(TAG_KEY)
                .value(stack)
                .build()
                .map_err(|e| AwsError::new(context.clone(), ErrorKind::Other, e.to_string()))?,
        ]),
        None => None,
    };
    c.ssm
        .put_parameter()
        .name(parameter)
        .description(description)
        .r#type(ParameterType::String)
        .value(value)
        .overwrite(false)
        .set_tags(tags)
        .customize()
        .config_override(aws_sdk_ssm::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(context, e))?;
    Ok(())
}

/// A String parameter's value (the lock, a bucket claim), if it exists. Never used for a key: no decryption.
pub async fn get_string(c: &Clients, parameter: &str) -> Result<Option<String>, AwsError> {
    match c.ssm.get_parameter().name(parameter).send().await {
        Ok(out) => Ok(out.parameter().and_then(|p| p.value()).map(str::to_string)),
        Err(e) => {
            let err = classify(format!("reading SSM parameter {parameter}"), e);
            if err.is_not_found() { Ok(None) } else { Err(err) }
        }
    }
}

/// Deletes the lock or its takeover mark with one request, never retried by the SDK (see `lock`).
pub async fn delete_once(c: &Clients, parameter: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.ssm
            .delete_parameter()
            .name(parameter)
            .customize()
            .config_override(aws_sdk_ssm::config::Builder::default().retry_config(no_retry()))
            .send()
            .await,
        format!("releasing the lock {parameter}"),
    )
}

pub async fn delete_lock(c: &Clients, parameter: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.ssm.delete_parameter().name(parameter).send().await,
        format!("releasing the lock {parameter}"),
    )
}
