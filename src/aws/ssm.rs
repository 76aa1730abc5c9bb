//! SSM Parameter Store: the private keys, as SecureString PKCS#8 PEM under `/jwtstack/{name}/keys/{kid}`.
//!
//! A key parameter is never overwritten: puts are made without `Overwrite`, so AWS itself refuses a replace.

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{ParameterType, Tag};

use super::{AwsError, Clients, ErrorKind, classify, ignore_missing, no_retry};
use crate::crypto::keys::SigningKey;
use crate::plan::{KeyInfo, TAG_KEY};

/// Every key under `prefix` (which ends with `/`), decrypted in memory to derive its public half.
pub async fn read_keys(c: &Clients, prefix: &str) -> Result<(BTreeMap<String, KeyInfo>, BTreeMap<String, SigningKey>), AwsError> {
    let mut infos = BTreeMap::new();
    let mut keys = BTreeMap::new();
    let path = prefix.trim_end_matches('/');
    let mut pages = c
        .ssm
        .get_parameters_by_path()
        .path(path)
        .with_decryption(true)
        .max_results(10)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(format!("listing SSM parameters under {path}"), e))?;
        for p in page.parameters() {
            let Some(name) = p.name() else { continue };
            let Some(kid) = name.strip_prefix(prefix) else { continue };
            let parsed = p.value().and_then(|v| SigningKey::from_pem(kid, v).ok());
            infos.insert(
                kid.to_string(),
                KeyInfo {
                    parameter: name.to_string(),
                    public: parsed.as_ref().map(SigningKey::public_jwk),
                    bits: parsed.as_ref().map(SigningKey::bits),
                },
            );
            if let Some(k) = parsed {
                keys.insert(kid.to_string(), k);
            }
        }
    }
    Ok((infos, keys))
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

pub async fn delete_key(c: &Clients, parameter: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.ssm.delete_parameter().name(parameter).send().await,
        format!("deleting SSM parameter {parameter}"),
    )
}

/// Creates the lock parameter with `value`; Conflict when it exists. Not retried by the SDK (see `lock`).
pub async fn put_lock(c: &Clients, parameter: &str, value: &str) -> Result<(), AwsError> {
    c.ssm
        .put_parameter()
        .name(parameter)
        .description("jwtstack run lock: held while deploy or teardown runs; `jwtstack unlock --yes` clears a stale one")
        .r#type(ParameterType::String)
        .value(value)
        .overwrite(false)
        .customize()
        .config_override(aws_sdk_ssm::config::Builder::default().retry_config(no_retry()))
        .send()
        .await
        .map_err(|e| classify(format!("taking the lock {parameter}"), e))?;
    Ok(())
}

/// The lock parameter's value, if it exists.
pub async fn get_lock(c: &Clients, parameter: &str) -> Result<Option<String>, AwsError> {
    match c.ssm.get_parameter().name(parameter).send().await {
        Ok(out) => Ok(out.parameter().and_then(|p| p.value()).map(str::to_string)),
        Err(e) => {
            let err = classify(format!("reading the lock {parameter}"), e);
            if err.is_not_found() { Ok(None) } else { Err(err) }
        }
    }
}

pub async fn delete_lock(c: &Clients, parameter: &str) -> Result<(), AwsError> {
    ignore_missing(
        c.ssm.delete_parameter().name(parameter).send().await,
        format!("releasing the lock {parameter}"),
    )
}
