//! `/jwtstack/{name}/key-timeline`: what deploys did with each key, and when. Rotation's timing rules read it;
//! the planner computes the record a deploy writes, stamped with the time the deploy read AWS.

use std::collections::BTreeMap;

use super::Kid;

/// How many retired keys the key timeline remembers (for `status`).
pub const RETIRED_KEPT: usize = 4;

/// The most an SSM standard parameter holds, in characters.
pub const SSM_STANDARD_MAX_CHARS: usize = 4096;

/// `/jwtstack/{name}/key-timeline`: what deploys did with each key, and when (Unix seconds). Rotation's
/// timing rules read it; deploy writes it right after publishing the JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct KeyTimeline {
    /// The key that signs, as of the last deploy.
    #[serde(default)]
    pub signing: Option<Kid>,
    #[serde(default)]
    pub keys: BTreeMap<Kid, KeyEvents>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct KeyEvents {
    /// Published in the JWKS since (reset when a key is published again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpublished: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_from: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_until: Option<i64>,
}

impl KeyTimeline {
    /// The keys published as of the last deploy, sorted.
    pub fn published(&self) -> Vec<&str> {
        self.keys
            .iter()
            .filter(|(_, e)| e.published.is_some() && e.unpublished.is_none())
            .map(|(k, _)| k.as_str())
            .collect()
    }

    /// The timeline after a deploy at `now` that publishes `published` and signs with `signing`.
    pub fn advance(&self, now: i64, published: &[&str], signing: &str) -> KeyTimeline {
        let mut next = self.clone();
        for (kid, e) in next.keys.iter_mut() {
            if e.published.is_some() && e.unpublished.is_none() && !published.contains(&kid.as_str()) {
                e.unpublished = Some(now);
            }
        }
        for kid in published {
            let e = next.keys.entry(Kid::from(*kid)).or_default();
            if e.published.is_none() || e.unpublished.is_some() {
                e.published = Some(now);
                e.unpublished = None;
            }
        }
        if next.signing.as_ref().map(Kid::as_str) != Some(signing) {
            if let Some(old) = next.signing.take().and_then(|k| next.keys.get_mut(&k)) {
                old.signing_until = Some(now);
            }
            let e = next.keys.entry(Kid::from(signing)).or_default();
            e.signing_from = Some(now);
            e.signing_until = None;
            next.signing = Some(Kid::from(signing));
        }
        next.prune();
        next
    }

    /// Forgets all but the newest [`RETIRED_KEPT`] retired keys: rotation needs the events of published keys
    /// only, and the record must stay within an SSM standard parameter (4,096 characters) however many
    /// rotations a stack goes through.
    fn prune(&mut self) {
        let mut retired: Vec<(i64, Kid)> = self
            .keys
            .iter()
            .filter(|(k, e)| e.unpublished.is_some() && self.signing.as_ref() != Some(*k))
            .map(|(k, e)| (e.unpublished.unwrap_or_default(), k.clone()))
            .collect();
        retired.sort_unstable_by(|a, b| b.cmp(a));
        for (_, kid) in retired.into_iter().skip(RETIRED_KEPT) {
            self.keys.remove(&kid);
        }
    }

    /// The record as stored, in characters.
    pub fn stored_len(&self) -> usize {
        serde_json::to_string(self).map(|s| s.chars().count()).unwrap_or_default()
    }
}
