//! KMS (`key_store: kms`): one asymmetric RSA key per kid, `SIGN_VERIFY`, named by the alias
//! `alias/jwtstack/{name}/{kid}` and tagged for the stack. jwtstack reads its public key, and `token` asks KMS
//! to sign (through the library's `signer`); the private key never leaves KMS.
//!
//! Keys are named by their key id (not their ARN) in every call: AWS takes either, and moto's
//! ScheduleKeyDeletion takes only the id.

use std::collections::BTreeMap;

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyManagerType, KeySpec, KeyState, KeyUsageType, Tag};

use super::retry::{create_once, no_retry};
use super::{AwsError, Clients, ErrorKind, classify, ignore_missing};
use jwtstack_core::crypto::keys::Jwk;
use jwtstack_core::names::{self, KMS_DELETION_DAYS, TAG_KEY};
use jwtstack_core::plan::{KeyHome, KeyInfo, Kid};

/// A key's id, the name jwtstack gives it in every call.
fn key_id(meta: &aws_sdk_kms::types::KeyMetadata) -> String {
    meta.key_id().to_string()
}

/// The stack's KMS keys, by kid: every alias under `alias/jwtstack/{name}/`, its key's state and public key.
pub async fn read_stack_keys(c: &Clients, stack: &str) -> Result<BTreeMap<Kid, KeyInfo>, AwsError> {
    let prefix = names::kms_alias_prefix(stack);
    let mut aliases = Vec::new();
    let mut pages = c.kms.list_aliases().limit(100).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("listing KMS aliases", e))?;
        for a in page.aliases() {
            if let (Some(name), Some(target)) = (a.alias_name(), a.target_key_id())
                && let Some(kid) = name.strip_prefix(&prefix)
            {
                aliases.push((kid.to_string(), name.to_string(), target.to_string()));
            }
        }
    }
    let mut keys = BTreeMap::new();
    for (kid, alias, target) in aliases {
        let described = c
            .kms
            .describe_key()
            .key_id(&target)
            .send()
            .await
            .map_err(|e| classify(format!("describing KMS key {target} ({alias})"), e))?;
        let meta = described.key_metadata();
        refuse_unless_made_for(c, stack, &alias, meta).await?;
        let key_id = meta.map(key_id).unwrap_or(target);
        let deletion = match meta.and_then(|m| m.key_state()) {
            Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion) => {
                Some(meta.and_then(|m| m.deletion_date()).map_or(0, |d| d.secs()))
            }
            _ => None,
        };
        let (public, bits) = if deletion.is_some() {
            (None, None)
        } else {
            match public_key(c, &key_id, &kid).await {
                Ok((jwk, bits)) => (Some(jwk), Some(bits)),
                Err(e) if e.kind == ErrorKind::Other => (None, None),
                Err(e) => return Err(e),
            }
        };
        keys.insert(
            Kid::from(kid),
            KeyInfo {
                home: KeyHome::Kms {
                    alias,
                    key_id: Some(key_id),
                },
                public,
                recorded: true,
                deletion,
                bits,
                created: meta.and_then(|m| m.creation_date()).map(|d| d.secs()),
            },
        );
    }
    Ok(keys)
}

/// The public JWK of a KMS key (GetPublicKey: DER SubjectPublicKeyInfo) and its size in bits.
pub async fn public_key(c: &Clients, key_id: &str, kid: &str) -> Result<(Jwk, usize), AwsError> {
    let context = format!("reading the public key of KMS key {key_id}");
    let out = c
        .kms
        .get_public_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| classify(context.clone(), e))?;
    let der = out.public_key().map(Blob::as_ref).unwrap_or_default();
    Jwk::from_spki_der(kid, der).map_err(|e| AwsError::new(context, ErrorKind::Other, e.to_string()))
}

/// What the key of `kid` says of itself: found again by it when a run died or an answer was lost between
/// CreateKey and CreateAlias.
fn description(stack: &str, kid: &str, alias: &str) -> String {
    format!("jwtstack signing key {kid} of stack {stack} (RS256; {alias})")
}

/// Creates the KMS key of `kid` with its alias, and returns the key's id and public JWK. Neither call is
/// retried by the SDK: a lost answer may hide a success, and a retried CreateAlias that meets its own alias
/// would read as another run's. So: a key the alias names already is the one to use (an alias is never
/// moved); a key made for this alias but never named (a run killed between the calls, a lost CreateKey
/// answer) is named now instead of making another; and only a key the alias does not name is ever let go.
pub async fn create_key(c: &Clients, stack: &str, kid: &str, alias: &str, bits: usize) -> Result<(String, Jwk), AwsError> {
    if let Some(existing) = alias_target(c, alias).await? {
        let (jwk, _) = public_key(c, &existing, kid).await?;
        return Ok((existing, jwk));
    }
    let described = description(stack, kid, alias);
    let key_id = match unnamed_key(c, stack, &described).await? {
        Some(found) => {
            tracing::info!(key = %found, alias, "a key made for this alias was never named; naming it");
            found
        }
        None => {
            create_once(
                alias,
                || create_unnamed(c, stack, bits, &described),
                || unnamed_key(c, stack, &described),
            )
            .await?
        }
    };
    let named = create_once(
        alias,
        || async {
            c.kms
                .create_alias()
                .alias_name(alias)
                .target_key_id(&key_id)
                .customize()
                .config_override(aws_sdk_kms::config::Builder::default().retry_config(no_retry()))
                .send()
                .await
                .map(|_| key_id.clone())
                .map_err(|e| classify(format!("creating KMS alias {alias}"), e))
        },
        || alias_target(c, alias),
    )
    .await;
    let target = match named {
        Ok(target) => target,
        Err(e) if e.kind == ErrorKind::Conflict => alias_target(c, alias).await?.ok_or(e)?,
        Err(e) => return Err(e),
    };
    if target != key_id {
        // Another run named its own key first: use that one, and let this one go (the alias does not name it).
        schedule_deletion(c, &key_id).await?;
    }
    let (jwk, _) = public_key(c, &target, kid).await?;
    Ok((target, jwk))
}

/// CreateKey, once: an RSA `SIGN_VERIFY` key tagged for the stack, described for its alias.
async fn create_unnamed(c: &Clients, stack: &str, bits: usize, described: &str) -> Result<String, AwsError> {
    let spec = match bits {
        3072 => KeySpec::Rsa3072,
        4096 => KeySpec::Rsa4096,
        _ => KeySpec::Rsa2048,
    };
    let context = format!("creating a KMS key ({described})");
    let tag = Tag::builder()
        .tag_key(TAG_KEY)
        .tag_value(stack)
        .build()
        .map_err(|e| AwsError::new(context.clone(), ErrorKind::Other, e.to_string()))?;
    let created = c
        .kms
        .create_key()
        .key_spec(spec)
        .key_usage(KeyUsageType::SignVerify)
        .description(described)
        .tags(tag)
        .customize()
        .config_override(aws_sdk_kms::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(context.clone(), e))?;
    created
        .key_metadata()
        .map(key_id)
        .ok_or_else(|| AwsError::new(context, ErrorKind::Other, "CreateKey answered without the key's id"))
}

/// Keys scanned at once while looking for an unnamed key.
const SCAN_CONCURRENCY: usize = 8;

/// A key made for an alias and never named: enabled, customer managed, `SIGN_VERIFY`, described for this
/// alias, tagged for this stack (nothing is trusted without the tag) and named by no alias at all. KMS has no
/// filter for these, so every key of the account is described; this runs only when a key is to be created.
async fn unnamed_key(c: &Clients, stack: &str, described: &str) -> Result<Option<String>, AwsError> {
    use futures_util::{StreamExt, TryStreamExt};
    let mut ids = Vec::new();
    let mut pages = c.kms.list_keys().limit(1000).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("listing KMS keys", e))?;
        ids.extend(page.keys().iter().filter_map(|k| k.key_id().map(str::to_string)));
    }
    let candidates: Vec<String> = futures_util::stream::iter(ids)
        .map(|id| async move {
            let out = c.kms.describe_key().key_id(&id).send().await;
            match out {
                Ok(out) => Ok(out.key_metadata().filter(|m| made_for(m, described)).map(key_id)),
                // A key of another principal's that this role may not describe is not ours.
                Err(e) => {
                    let err = classify(format!("describing KMS key {id}"), e);
                    if err.is_not_found() || err.kind == ErrorKind::AccessDenied {
                        Ok(None)
                    } else {
                        Err(err)
                    }
                }
            }
        })
        .buffer_unordered(SCAN_CONCURRENCY)
        .try_filter_map(|found| async move { Ok(found) })
        .try_collect()
        .await?;
    for id in candidates {
        let tagged = tagged_for(c, &id, stack).await?;
        let aliases = c
            .kms
            .list_aliases()
            .key_id(&id)
            .send()
            .await
            .map_err(|e| classify(format!("listing the aliases of KMS key {id}"), e))?;
        if tagged && aliases.aliases().is_empty() {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Refuses a key under the stack's alias that jwtstack did not make for this stack: one without the stack's
/// tag, or not a customer-managed RSA signing key. Publishing it would let whoever controls it mint accepted
/// tokens, and teardown would schedule its deletion; the error stops the run before any change.
async fn refuse_unless_made_for(
    c: &Clients,
    stack: &str,
    alias: &str,
    meta: Option<&aws_sdk_kms::types::KeyMetadata>,
) -> Result<(), AwsError> {
    let context = format!("reading the key of {alias}");
    let Some(m) = meta else {
        return Err(AwsError::new(context, ErrorKind::Other, "KMS described no key".to_string()));
    };
    let id = key_id(m);
    let mut not_ours = Vec::new();
    if m.key_manager() != Some(&KeyManagerType::Customer) {
        not_ours.push("not customer managed".to_string());
    }
    if m.key_usage() != Some(&KeyUsageType::SignVerify) {
        not_ours.push(format!("usage {}", m.key_usage().map_or("unknown", |u| u.as_str())));
    }
    if !matches!(m.key_spec(), Some(KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096)) {
        not_ours.push(format!("spec {}", m.key_spec().map_or("unknown", |k| k.as_str())));
    }
    if !tagged_for(c, &id, stack).await? {
        not_ours.push(format!("no tag {TAG_KEY}={stack}"));
    }
    if not_ours.is_empty() {
        return Ok(());
    }
    let mut err = AwsError::new(
        context,
        ErrorKind::Conflict,
        format!(
            "{alias} names KMS key {id}, which jwtstack did not make for stack `{stack}` ({}): it is neither published nor deleted",
            not_ours.join(", ")
        ),
    );
    err.hint = Some(format!(
        "if the key is not yours to sign with, remove the alias (aws kms delete-alias --alias-name {alias}) and deploy again; jwtstack then makes its own key (docs/failures.md#keys-under-the-stacks-name)"
    ));
    Err(err)
}

/// Whether KMS key `id` carries the stack's tag.
async fn tagged_for(c: &Clients, id: &str, stack: &str) -> Result<bool, AwsError> {
    let tags = c
        .kms
        .list_resource_tags()
        .key_id(id)
        .send()
        .await
        .map_err(|e| classify(format!("reading the tags of KMS key {id}"), e))?;
    Ok(tags.tags().iter().any(|t| t.tag_key() == TAG_KEY && t.tag_value() == stack))
}

/// A key `CreateKey` made with this description: enabled, customer managed, for signing.
fn made_for(m: &aws_sdk_kms::types::KeyMetadata, described: &str) -> bool {
    m.description() == Some(described)
        && m.key_state() == Some(&KeyState::Enabled)
        && m.key_manager() == Some(&KeyManagerType::Customer)
        && m.key_usage() == Some(&KeyUsageType::SignVerify)
}

/// The key an alias names, if the alias exists.
pub async fn alias_target(c: &Clients, alias: &str) -> Result<Option<String>, AwsError> {
    match c.kms.describe_key().key_id(alias).send().await {
        Ok(out) => Ok(out.key_metadata().map(key_id)),
        Err(e) => {
            let err = classify(format!("describing KMS key {alias}"), e);
            if err.is_not_found() { Ok(None) } else { Err(err) }
        }
    }
}

/// Schedules a key's deletion after KMS's waiting period; a key already scheduled is fine.
pub async fn schedule_deletion(c: &Clients, key_id: &str) -> Result<(), AwsError> {
    let out = c
        .kms
        .schedule_key_deletion()
        .key_id(key_id)
        .pending_window_in_days(KMS_DELETION_DAYS)
        .send()
        .await;
    match out {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = classify(format!("scheduling the deletion of KMS key {key_id}"), e);
            // KMSInvalidStateException: already pending deletion.
            if err.is_not_found() || err.code.as_deref() == Some("KMSInvalidStateException") {
                Ok(())
            } else {
                Err(err)
            }
        }
    }
}

/// Deletes the key of `kid`: its deletion is scheduled first, then its alias is removed, so an interrupted
/// run still finds the key by its alias next time.
pub async fn delete_key(c: &Clients, home: &KeyHome) -> Result<(), AwsError> {
    let KeyHome::Kms { alias, key_id } = home else {
        return Ok(());
    };
    if let Some(key_id) = key_id {
        schedule_deletion(c, key_id).await?;
    }
    ignore_missing(
        c.kms.delete_alias().alias_name(alias).send().await,
        format!("deleting KMS alias {alias}"),
    )
}
