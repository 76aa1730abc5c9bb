//! The key lines of a plan: keys published and unpublished, the signing key switched, the key timeline kept
//! up to date; and deleting a retired key (`keys delete`) as a plan of its own.

use super::{Conflict, Inventory, KeyHome, KeyInfo, Plan, SSM_STANDARD_MAX_CHARS, Step};
use crate::config::{Hosted, KeyRole, Stack};
use crate::crypto::keys::Jwk;
use crate::names;

/// The key lines of a plan: keys added to or removed from the live JWKS, the signing key switched, and the
/// key timeline brought up to date (its stamps are taken when the step runs).
pub(super) fn key_changes(steps: &mut Vec<Step>, stack: &Stack, h: &Hosted, inv: &Inventory) -> Result<(), Conflict> {
    let wanted: Vec<String> = h.published_keys().into_iter().map(String::from).collect();
    let live = inv.published_kids(&h.jwks_key());
    let added: Vec<String> = wanted.iter().filter(|k| !live.contains(k)).cloned().collect();
    let removed: Vec<String> = live.iter().filter(|k| !wanted.contains(k)).cloned().collect();
    let timeline = inv.key_timeline.clone().unwrap_or_default();
    let mut recorded: Vec<&str> = timeline.published();
    recorded.sort_unstable();
    let mut wanted_sorted: Vec<&str> = wanted.iter().map(String::as_str).collect();
    wanted_sorted.sort_unstable();
    let signing_before = timeline.signing.clone();
    let stale = recorded != wanted_sorted || signing_before.as_deref() != Some(h.key_id.as_str());
    if added.is_empty() && removed.is_empty() && !stale {
        return Ok(());
    }
    // The record after this step, with stamps as long as the real ones, must fit its SSM parameter.
    let kids: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let after = timeline.advance(9_999_999_999, &kids, &h.key_id);
    if after.stored_len() > SSM_STANDARD_MAX_CHARS {
        return Err(Conflict::KeyTimelineTooLarge {
            chars: after.stored_len(),
            keys: after.keys.len(),
        });
    }
    steps.push(Step::UpdateKeys {
        parameter: names::key_timeline(&stack.name),
        published: wanted
            .iter()
            .map(|k| (k.clone(), h.key_role(k).unwrap_or(KeyRole::Previous)))
            .collect(),
        added,
        removed,
        signing: (signing_before, h.key_id.clone()),
        timeline,
    });
    Ok(())
}

/// Why a key may not be deleted; nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyDeleteRefused {
    #[error("{kid} is the {role} key in the stack file; a key is deleted only after `jwtstack rotate finish` unpublished it")]
    Declared { kid: String, role: &'static str },
    #[error("{kid} is still published in the deployed JWKS: run `jwtstack deploy` to unpublish it first")]
    Published { kid: String },
    #[error("{kid} is recorded as the signing key: run `jwtstack deploy` first")]
    Signing { kid: String },
    #[error("no key {kid} in SSM under {prefix}")]
    Missing { kid: String, prefix: String },
}

/// Deletes the private key of a retired key, and forgets it in the key timeline. Refused while the key is
/// declared, published or recorded as signing: tokens it signed could still be presented.
pub fn plan_key_delete(stack: &Stack, h: &Hosted, inv: &Inventory, kid: &str) -> Result<Plan, KeyDeleteRefused> {
    if let Some(role) = h.key_role(kid) {
        return Err(KeyDeleteRefused::Declared {
            kid: kid.into(),
            role: role.as_str(),
        });
    }
    if inv.published_kids(&h.jwks_key()).iter().any(|k| k == kid) {
        return Err(KeyDeleteRefused::Published { kid: kid.into() });
    }
    if inv.key_timeline.as_ref().and_then(|t| t.signing.as_deref()) == Some(kid) {
        return Err(KeyDeleteRefused::Signing { kid: kid.into() });
    }
    let Some(info) = inv.keys.get(kid) else {
        return Err(KeyDeleteRefused::Missing {
            kid: kid.into(),
            prefix: stack.key_parameter_prefix(),
        });
    };
    let mut steps = vec![Step::DeleteKey {
        kid: kid.into(),
        home: info.home.clone(),
    }];
    if let Some(mut timeline) = inv.key_timeline.clone() {
        timeline.keys.remove(kid);
        steps.push(Step::ForgetKey {
            kid: kid.into(),
            parameter: names::key_timeline(&stack.name),
            timeline,
        });
    }
    Ok(Plan {
        stack: stack.name.clone(),
        region: inv.region.clone(),
        steps,
        notes: Vec::new(),
        integrations: Default::default(),
    })
}

/// The public half of an existing key, and the step that records it when an SSM key has no record yet. A KMS
/// key scheduled for deletion cannot be published. Without a record and without decrypting (`plan`), the key
/// as published stands in for it; the deploy that records it derives it from the key itself.
pub(super) fn known_public_half(inv: &Inventory, h: &Hosted, kid: &str, k: &KeyInfo) -> Result<(Jwk, Option<Step>), Conflict> {
    if let (Some(_), KeyHome::Kms { alias, key_id }) = (k.deletion, &k.home) {
        return Err(Conflict::KeyPendingDeletion {
            kid: kid.into(),
            alias: alias.clone(),
            key_id: key_id.clone().unwrap_or_default(),
        });
    }
    let public = match (&k.public, &k.home) {
        (Some(j), _) => j.clone(),
        (None, KeyHome::Ssm { parameter, record }) if !k.recorded => {
            let published = inv.published_jwks(&h.jwks_key()).and_then(|j| j.find(kid).cloned());
            published.ok_or_else(|| Conflict::PublicKeyNotRecorded {
                kid: kid.into(),
                parameter: parameter.clone(),
                record: record.clone(),
            })?
        }
        (None, home) => {
            return Err(Conflict::UnreadableKey {
                parameter: home.name().to_string(),
            });
        }
    };
    let record = match &k.home {
        KeyHome::Ssm { record, .. } if !k.recorded => Some(Step::RecordPublicKey {
            kid: kid.into(),
            record: record.clone(),
            jwk: public.clone(),
        }),
        _ => None,
    };
    Ok((public, record))
}
