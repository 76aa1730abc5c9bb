//! Signing keys: each an SSM SecureString PEM (its public half recorded beside it) or an asymmetric KMS key,
//! created when the stack publishes a kid that does not exist yet and never replaced; the JWKS's keys and the
//! signing key as the key timeline records them; teardown's removal, and `keys delete` of a retired key.

use std::collections::BTreeMap;

use super::desired::Planner;
use super::render::{ChangeJson, set};
use super::{Action, Change, Conflict, Group, Inventory, KeyTimeline, Kid, KindStep, Placement, Plan, Ref, SSM_STANDARD_MAX_CHARS, Step};
use crate::config::{Hosted, KeyRole, KeyStore, Stack};
use crate::crypto::keys::Jwk;
use crate::names;

/// Where a private key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyHome {
    /// An SSM SecureString PEM (`parameter`), its public half recorded in the String parameter `record`.
    Ssm { parameter: String, record: String },
    /// An asymmetric KMS key named by `alias`; `key_id` once it exists.
    Kms { alias: String, key_id: Option<String> },
}

impl KeyHome {
    /// Where a new key named `kid` goes in `store`.
    pub fn new(stack: &Stack, store: KeyStore, kid: &str) -> KeyHome {
        match store {
            KeyStore::Ssm => KeyHome::Ssm {
                parameter: names::key_parameter(&stack.name, kid),
                record: names::public_key_record(&stack.name, kid),
            },
            KeyStore::Kms => KeyHome::Kms {
                alias: names::kms_alias(&stack.name, kid),
                key_id: None,
            },
        }
    }

    pub fn store(&self) -> KeyStore {
        match self {
            KeyHome::Ssm { .. } => KeyStore::Ssm,
            KeyHome::Kms { .. } => KeyStore::Kms,
        }
    }

    /// The SSM parameter or the KMS alias.
    pub fn name(&self) -> &str {
        match self {
            KeyHome::Ssm { parameter, .. } => parameter,
            KeyHome::Kms { alias, .. } => alias,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyInfo {
    pub home: KeyHome,
    /// The public half: the SSM key's record (or, for a deploy, derived from the key when no record exists
    /// yet), or KMS's GetPublicKey.
    pub public: Option<Jwk>,
    /// An SSM key's public half is recorded beside it (always true for a KMS key).
    pub recorded: bool,
    /// A KMS key scheduled for deletion: when it will be deleted (Unix seconds).
    pub deletion: Option<i64>,
    pub bits: Option<usize>,
    /// When the parameter was written (Unix seconds): the key's creation, since it is never overwritten.
    pub created: Option<i64>,
}

/// The stack's keys as AWS has them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeySlice {
    /// Private keys (SSM parameters under `/jwtstack/{name}/keys/`, KMS keys under `alias/jwtstack/{name}/`),
    /// by kid, with their public half when known without decrypting.
    pub stored: BTreeMap<Kid, KeyInfo>,
    /// When each key was published, signed and unpublished, as deploys recorded it (`None` before the first).
    pub timeline: Option<KeyTimeline>,
    /// The token endpoint's client records jwtstack made for the stack (tagged), as (parameter, client name):
    /// credentials of the stack's issuer, kept and removed with its keys.
    pub clients: Vec<(String, String)>,
}

/// One change to the keys.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyStep {
    Create {
        kid: Kid,
        home: KeyHome,
        bits: usize,
    },
    /// Records the public half of an SSM key created before public halves were recorded (read once, here,
    /// so that `plan` and `status` never need to decrypt it).
    RecordPublicHalf {
        kid: Kid,
        record: String,
        jwk: Jwk,
    },
    /// The JWKS gains or loses keys, or the signing key switches: writes the key timeline the planner
    /// computed (`timeline`, stamped with the time AWS was read for this plan).
    Publish {
        parameter: String,
        /// Every key published after this step, in JWKS order, with its role.
        published: Vec<(Kid, KeyRole)>,
        added: Vec<Kid>,
        removed: Vec<Kid>,
        signing: Change<Option<Kid>>,
        timeline: KeyTimeline,
    },
    /// Removes the key timeline (teardown, with the keys).
    DeleteTimeline {
        parameter: String,
    },
    /// Removes a token endpoint client's record (teardown, with the keys).
    DeleteClient {
        parameter: String,
        name: String,
    },
    /// Deletes an SSM key (and its public record), or schedules a KMS key's deletion and removes its alias.
    Delete {
        kid: Kid,
        home: KeyHome,
    },
    /// Drops a deleted key from the key timeline (`keys delete`); `timeline` is the record without it.
    Forget {
        kid: Kid,
        parameter: String,
        timeline: KeyTimeline,
    },
}

impl From<KeyStep> for Step {
    fn from(s: KeyStep) -> Step {
        Step::Key(s)
    }
}

impl KindStep for KeyStep {
    fn placement(&self) -> Placement {
        match self {
            KeyStep::Create { .. } | KeyStep::RecordPublicHalf { .. } | KeyStep::Publish { .. } => Placement::ISSUER,
            KeyStep::Delete { .. } => Placement::MAIN.in_group(Group::DeleteKeys),
            KeyStep::DeleteTimeline { .. } | KeyStep::DeleteClient { .. } | KeyStep::Forget { .. } => Placement::MAIN,
        }
    }

    fn lines(&self) -> Vec<ChangeJson> {
        use Action::*;
        let one = |action, resource, name: &str, diffs| vec![ChangeJson::new(action, resource, name, diffs)];
        match self {
            KeyStep::Create {
                home: KeyHome::Ssm { parameter, record },
                bits,
                ..
            } => one(
                Create,
                "ssm_parameter",
                parameter,
                vec![
                    set("type", "SecureString"),
                    set("key", format!("RSA {bits}, generated")),
                    set("public half", record.as_str()),
                ],
            ),
            KeyStep::Create {
                home: KeyHome::Kms { alias, .. },
                bits,
                ..
            } => one(
                Create,
                "kms_key",
                alias,
                vec![set("key_spec", format!("RSA_{bits}")), set("usage", "SIGN_VERIFY")],
            ),
            KeyStep::RecordPublicHalf { kid, record, .. } => one(
                Create,
                "ssm_parameter",
                record,
                vec![set("value", format!("public JWK of key {kid}, read once from its private key"))],
            ),
            KeyStep::Publish {
                parameter,
                published,
                added,
                removed,
                signing,
                ..
            } => publish_lines(parameter, published, added, removed, signing),
            KeyStep::DeleteTimeline { parameter } => one(Delete, "ssm_parameter", parameter, vec![]),
            KeyStep::DeleteClient { parameter, name } => one(Delete, "token_client", name, vec![set("record", parameter.as_str())]),
            KeyStep::Delete {
                home: KeyHome::Ssm { parameter, .. },
                ..
            } => one(Delete, "ssm_parameter", parameter, vec![]),
            KeyStep::Delete {
                home: KeyHome::Kms { alias, key_id },
                ..
            } => one(
                Delete,
                "kms_key",
                &format!("{alias} ({})", key_id.as_deref().unwrap_or("?")),
                vec![set(
                    "deletion",
                    format!("scheduled in {} days (KMS's waiting period)", names::KMS_DELETION_DAYS),
                )],
            ),
            KeyStep::Forget { kid, parameter, .. } => one(Update, "key_timeline", parameter, vec![set("record", format!("forgets {kid}"))]),
        }
    }
}

/// One line per key added to or removed from the JWKS, and one for the signing key; the timeline alone when
/// nothing else changes.
fn publish_lines(
    parameter: &str,
    published: &[(Kid, KeyRole)],
    added: &[Kid],
    removed: &[Kid],
    signing: &Change<Option<Kid>>,
) -> Vec<ChangeJson> {
    let mut out = Vec::new();
    for kid in added {
        let what = match published.iter().find(|(k, _)| k == kid).map(|(_, r)| *r) {
            Some(KeyRole::Signing) => "published; signing key",
            Some(KeyRole::Next) => "published for verification; not signing yet",
            _ => "published for verification (previous key)",
        };
        out.push(ChangeJson::new(Action::Create, "jwks_key", kid.as_str(), vec![set("state", what)]));
    }
    for kid in removed {
        out.push(ChangeJson::new(
            Action::Delete,
            "jwks_key",
            kid.as_str(),
            vec![super::Diff::new("state", "published", "unpublished; private key kept in SSM")],
        ));
    }
    let after = signing.after.as_ref().map(Kid::as_str).unwrap_or_default();
    match &signing.before {
        Some(before) if Some(before) != signing.after.as_ref() => out.push(ChangeJson::new(
            Action::Update,
            "signing_key",
            after,
            vec![super::Diff::new("kid", before.as_str(), after)],
        )),
        None => out.push(ChangeJson::new(Action::Create, "signing_key", after, vec![])),
        Some(_) => {}
    }
    if out.is_empty() {
        out.push(ChangeJson::new(
            Action::Update,
            "key_timeline",
            parameter,
            vec![set("record", "brought up to date")],
        ));
    }
    out
}

/// The keys the JWKS publishes, in JWKS order: each with its public half when it is known before the run, or
/// made by this plan's create step.
pub(super) type Published = Vec<(Kid, Ref<Jwk>)>;

/// The signing key and the next key are generated when missing (in `key_store`), never replaced; a previous
/// key must exist, since it signed tokens that are still checked against it.
pub(super) fn plan(p: &mut Planner<'_>, h: &Hosted) -> Result<Published, Conflict> {
    let (stack, inv) = (p.d.stack, p.inv);
    let mut published = Vec::new();
    // Changing key_store moves no key: the signing key may stay in the other store only while the next key
    // (in the new store) is on its way in.
    if let Some(k) = inv.keys.stored.get(h.key_id.as_str())
        && k.home.store() != h.key_store
        && h.next_key.is_none()
    {
        return Err(Conflict::KeyStoreSwitch {
            kid: h.key_id.clone(),
            from: k.home.store().as_str(),
            to: h.key_store.as_str(),
        });
    }
    for kid in h.published_keys() {
        match inv.keys.stored.get(kid) {
            None if h.key_role(kid) == Some(KeyRole::Previous) => {
                return Err(Conflict::MissingKey {
                    kid: kid.into(),
                    parameter: stack.key_parameter(kid),
                });
            }
            None => {
                p.push(KeyStep::Create {
                    kid: kid.into(),
                    home: KeyHome::new(stack, h.key_store, kid),
                    bits: h.key_bits,
                });
                published.push((Kid::from(kid), Ref::New));
            }
            Some(k) => {
                let (public, record) = known_public_half(inv, h, kid, k)?;
                if let Some(r) = record {
                    p.push(r);
                }
                if kid == h.key_id && k.bits.is_some_and(|b| b != h.key_bits) {
                    p.note(format!(
                        "key {kid} is {} bits and stays so (key_bits applies to new keys; rotate to change it)",
                        k.bits.unwrap_or_default()
                    ));
                }
                published.push((Kid::from(kid), Ref::Known(public)));
            }
        }
    }
    Ok(published)
}

/// An external issuer publishes no key: those a hosted issuer left are said, and teardown removes them.
pub(super) fn note_unpublished(p: &mut Planner<'_>) {
    if !p.inv.keys.stored.is_empty() {
        p.note(format!(
            "the issuer is external: {} key(s) left under {} from a hosted issuer are not published; teardown removes them",
            p.inv.keys.stored.len(),
            p.d.stack.key_parameter_prefix()
        ));
    }
}

/// The keys added to or removed from the live JWKS, the signing key switched, and the key timeline brought up
/// to date, stamped with the time AWS was read.
pub(super) fn plan_publish(p: &mut Planner<'_>, h: &Hosted) -> Result<(), Conflict> {
    let inv = p.inv;
    let wanted: Vec<&str> = h.published_keys();
    let live = inv.published_kids(&h.jwks_key());
    let added: Vec<Kid> = wanted
        .iter()
        .filter(|k| !live.iter().any(|l| l == *k))
        .map(|k| Kid::from(*k))
        .collect();
    let removed: Vec<Kid> = live
        .iter()
        .filter(|k| !wanted.contains(&k.as_str()))
        .map(|k| Kid::from(k.as_str()))
        .collect();
    let before = inv.keys.timeline.clone().unwrap_or_default();
    let mut recorded: Vec<&str> = before.published();
    recorded.sort_unstable();
    let mut wanted_sorted = wanted.clone();
    wanted_sorted.sort_unstable();
    let signing_before = before.signing.clone();
    let stale = recorded != wanted_sorted || signing_before.as_ref().map(Kid::as_str) != Some(h.key_id.as_str());
    if added.is_empty() && removed.is_empty() && !stale {
        return Ok(());
    }
    // The record as it will be stored must fit its SSM parameter (stamps as long as real ones).
    let after = before.advance(inv.read_at, &wanted, &h.key_id);
    let longest = before.advance(9_999_999_999, &wanted, &h.key_id);
    if longest.stored_len() > SSM_STANDARD_MAX_CHARS {
        return Err(Conflict::KeyTimelineTooLarge {
            chars: longest.stored_len(),
            keys: longest.keys.len(),
        });
    }
    p.push(KeyStep::Publish {
        parameter: names::key_timeline(&p.d.stack.name),
        published: wanted
            .iter()
            .map(|k| (Kid::from(*k), h.key_role(k).unwrap_or(KeyRole::Previous)))
            .collect(),
        added,
        removed,
        signing: Change {
            before: signing_before,
            after: Some(Kid::from(h.key_id.as_str())),
        },
        timeline: after,
    });
    Ok(())
}

/// Teardown: the timeline and every key (unless kept).
pub(super) fn remove(p: &mut Planner<'_>) {
    let Some(keep_keys) = p.d.keys_removed() else { return };
    let inv = p.inv;
    if inv.keys.timeline.is_some() && !keep_keys {
        p.push(KeyStep::DeleteTimeline {
            parameter: names::key_timeline(&p.d.stack.name),
        });
    }
    if keep_keys {
        if !inv.keys.stored.is_empty() {
            p.note(format!(
                "{} key parameter(s) under {} are kept (--keep-keys)",
                inv.keys.stored.len(),
                p.d.stack.key_parameter_prefix()
            ));
        }
        if !inv.keys.clients.is_empty() {
            p.note(format!(
                "{} token endpoint client(s) under {} are kept (--keep-keys)",
                inv.keys.clients.len(),
                names::client_prefix(&p.d.stack.name)
            ));
        }
        return;
    }
    for (parameter, name) in &inv.keys.clients {
        p.push(KeyStep::DeleteClient {
            parameter: parameter.clone(),
            name: name.clone(),
        });
    }
    for (kid, k) in &inv.keys.stored {
        if let KeyHome::Kms { key_id: Some(id), .. } = &k.home {
            p.note(format!(
                "KMS deletes key {id} ({kid}) {} days after this teardown; until then `aws kms cancel-key-deletion --key-id {id}` undoes it",
                names::KMS_DELETION_DAYS
            ));
        }
        p.push(KeyStep::Delete {
            kid: kid.clone(),
            home: k.home.clone(),
        });
    }
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
    if inv
        .keys
        .timeline
        .as_ref()
        .and_then(|t| t.signing.as_ref())
        .is_some_and(|s| s == kid)
    {
        return Err(KeyDeleteRefused::Signing { kid: kid.into() });
    }
    let Some(info) = inv.keys.stored.get(kid) else {
        return Err(KeyDeleteRefused::Missing {
            kid: kid.into(),
            prefix: stack.key_parameter_prefix(),
        });
    };
    let mut steps = vec![Step::Key(KeyStep::Delete {
        kid: kid.into(),
        home: info.home.clone(),
    })];
    if let Some(mut timeline) = inv.keys.timeline.clone() {
        timeline.keys.remove(kid);
        steps.push(Step::Key(KeyStep::Forget {
            kid: kid.into(),
            parameter: names::key_timeline(&stack.name),
            timeline,
        }));
    }
    Ok(Plan {
        stack: stack.name.clone(),
        region: inv.region.clone(),
        steps,
        ..Plan::default()
    })
}

/// The public half of an existing key, and the step that records it when an SSM key has no record yet. A KMS
/// key scheduled for deletion cannot be published. Without a record and without decrypting (`plan`), the key
/// as published stands in for it; the deploy that records it derives it from the key itself.
fn known_public_half(inv: &Inventory, h: &Hosted, kid: &str, k: &KeyInfo) -> Result<(Jwk, Option<KeyStep>), Conflict> {
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
        KeyHome::Ssm { record, .. } if !k.recorded => Some(KeyStep::RecordPublicHalf {
            kid: kid.into(),
            record: record.clone(),
            jwk: public.clone(),
        }),
        _ => None,
    };
    Ok((public, record))
}

#[cfg(test)]
impl KeyStep {
    /// What AWS holds after this step.
    pub(super) fn simulate(&self, inv: &mut Inventory, sim: &mut super::tests::Sim) {
        match self {
            KeyStep::Create { kid, home, bits } => {
                let home = match home {
                    KeyHome::Kms { alias, .. } => KeyHome::Kms {
                        alias: alias.clone(),
                        key_id: Some(format!("arn:aws:kms:us-east-1:123456789012:key/{}", sim.next_id())),
                    },
                    ssm => ssm.clone(),
                };
                let public = super::tests::key_for(kid.as_str()).public_jwk();
                inv.keys.stored.insert(
                    kid.clone(),
                    KeyInfo {
                        home,
                        public: Some(public),
                        recorded: true,
                        deletion: None,
                        bits: Some(*bits),
                        created: None,
                    },
                );
            }
            KeyStep::RecordPublicHalf { kid, jwk, .. } => {
                let k = inv.keys.stored.get_mut(kid).expect("the key exists");
                k.public = Some(jwk.clone());
                k.recorded = true;
            }
            KeyStep::Publish { timeline, .. } | KeyStep::Forget { timeline, .. } => inv.keys.timeline = Some(timeline.clone()),
            KeyStep::DeleteTimeline { .. } => inv.keys.timeline = None,
            KeyStep::DeleteClient { parameter, .. } => inv.keys.clients.retain(|(p, _)| p != parameter),
            KeyStep::Delete { kid, .. } => {
                inv.keys.stored.remove(kid);
            }
        }
    }
}
