//! Key rotation as pure rules: where a stack is in the sequence, what each step changes in the stack file,
//! and when each step becomes safe. The commands in `commands::rotate` read AWS, apply these rules, edit
//! stack.yaml and deploy.
//!
//! The sequence, for a signing key A and a new key B:
//! 1. `start`: B is generated and published next to A; A still signs.
//! 2. `activate`, once B has been published for [`KEY_CACHE_SECS`] (API Gateway may hold a JWKS that long):
//!    B signs; A stays published as a previous key.
//! 3. `finish`, once A's last token has expired and the cache has passed (`token_max_ttl` + [`KEY_CACHE_SECS`]
//!    after A stopped signing): A is unpublished. Its private key stays in SSM until `keys delete`.

use serde::Serialize;

use crate::config::{Hosted, KeyFields, KeyRole, Stack};
use crate::plan::{Inventory, KeyEvents, KeyTimeline};

/// How long API Gateway may cache an issuer's JWKS.
pub const KEY_CACHE_SECS: i64 = 2 * 3600;

/// Where a stack is in the rotation sequence, read from its stack file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum Phase {
    /// One key, signing.
    Steady,
    /// A next key is published and not yet signing.
    Started { next: String },
    /// Previous keys are still published for the tokens they signed.
    Activated { previous: Vec<String> },
}

impl Phase {
    pub fn of(h: &Hosted) -> Phase {
        match (&h.next_key, h.previous_keys.is_empty()) {
            (Some(next), _) => Phase::Started { next: next.clone() },
            (None, false) => Phase::Activated {
                previous: h.previous_keys.clone(),
            },
            (None, true) => Phase::Steady,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Phase::Steady => "one key, signing; no rotation in progress".into(),
            Phase::Started { next } => format!("rotation started: {next} is published and not yet signing"),
            Phase::Activated { previous } => format!(
                "rotation activated: {} still published for the tokens {} signed",
                previous.join(", "),
                if previous.len() == 1 { "it" } else { "they" }
            ),
        }
    }
}

/// The earliest time a step is safe, or why it cannot be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "at")]
pub enum SafeFrom {
    At(i64),
    /// The key timeline does not say (the key was never deployed, or was published before jwtstack kept a
    /// timeline); only `--force` proceeds.
    Unknown(String),
}

/// When the next key may start signing: [`KEY_CACHE_SECS`] after it was first published.
pub fn activate_from(timeline: Option<&KeyTimeline>, next: &str) -> SafeFrom {
    match timeline
        .and_then(|t| t.keys.get(next))
        .and_then(|e| e.published.filter(|_| e.unpublished.is_none()))
    {
        Some(published) => SafeFrom::At(published + KEY_CACHE_SECS),
        None => SafeFrom::Unknown(format!("{next} has not been published yet: run `jwtstack deploy`")),
    }
}

/// When a previous key may be unpublished: its last token has expired and every cached JWKS and signer has
/// moved on, `token_max_ttl` + [`KEY_CACHE_SECS`] after it stopped signing. A key that never signed may go
/// at once.
pub fn retire_from(timeline: Option<&KeyTimeline>, kid: &str, token_max_ttl: u64) -> SafeFrom {
    let Some(e) = timeline.and_then(|t| t.keys.get(kid)) else {
        return SafeFrom::Unknown(format!("no record of when {kid} stopped signing"));
    };
    match (e.signing_from, e.signing_until) {
        (None, _) => SafeFrom::At(e.published.unwrap_or(0)),
        (Some(_), Some(until)) => SafeFrom::At(until + token_max_ttl as i64 + KEY_CACHE_SECS),
        (Some(_), None) => SafeFrom::Unknown(format!("{kid} is recorded as still signing: run `jwtstack deploy` first")),
    }
}

/// Why a rotation step does not go ahead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotateError {
    #[error("{0}")]
    NotNow(String),
    #[error("{0}")]
    WrongPhase(String),
}

/// What a step does: the new key fields, or nothing to edit (the step was already taken, and deploy only
/// converges, which is how an interrupted rotation resumes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Fields(KeyFields),
    AlreadyDone(String),
}

/// `rotate start`: publish `new_kid` as the next key.
pub fn start(stack: &Stack, inv: &Inventory, new_kid: &str) -> Result<Edit, RotateError> {
    let h = hosted(stack)?;
    if let Some(next) = &h.next_key {
        return Ok(Edit::AlreadyDone(format!("the rotation to {next} is already started")));
    }
    if h.key_role(new_kid).is_some() {
        return Err(RotateError::WrongPhase(format!(
            "{new_kid} is already in the stack file; choose another kid with --kid"
        )));
    }
    if inv.keys.stored.contains_key(new_kid) {
        return Err(RotateError::WrongPhase(format!(
            "a key {new_kid} already exists in SSM ({}); keys are never reused or overwritten: choose another kid with --kid",
            stack.key_parameter(new_kid)
        )));
    }
    let mut fields = KeyFields::of(h);
    fields.next_key = Some(new_kid.to_string());
    Ok(Edit::Fields(fields))
}

/// `rotate activate`: sign with the next key; the current one becomes a previous key.
pub fn activate(stack: &Stack, inv: &Inventory, now: i64, force: bool) -> Result<Edit, RotateError> {
    let h = hosted(stack)?;
    let Some(next) = &h.next_key else {
        return match Phase::of(h) {
            Phase::Activated { .. } => Ok(Edit::AlreadyDone(format!("{} already signs", h.key_id))),
            _ => Err(RotateError::WrongPhase(
                "no rotation in progress (no next_key): run `jwtstack rotate start` first".into(),
            )),
        };
    };
    if !force {
        match activate_from(inv.keys.timeline.as_ref(), next) {
            SafeFrom::At(t) if t <= now => {}
            SafeFrom::At(t) => {
                return Err(RotateError::NotNow(format!(
                    "{next} was published less than {}h ago; API Gateway may still hold a JWKS without it, and tokens it signs would be refused. Activate from {} (in {}), or pass --force",
                    KEY_CACHE_SECS / 3600,
                    crate::clock::format_utc(t),
                    crate::clock::format_span(t - now)
                )));
            }
            SafeFrom::Unknown(why) => return Err(RotateError::NotNow(format!("{why}; or pass --force"))),
        }
    }
    let mut previous = vec![h.key_id.clone()];
    previous.extend(h.previous_keys.iter().cloned());
    Ok(Edit::Fields(KeyFields {
        key_id: next.clone(),
        next_key: None,
        previous_keys: previous,
    }))
}

/// `rotate finish`: unpublish the previous keys whose tokens have all expired (all of them with `force`).
pub fn finish(stack: &Stack, inv: &Inventory, now: i64, force: bool) -> Result<Edit, RotateError> {
    let h = hosted(stack)?;
    if h.previous_keys.is_empty() {
        return match &h.next_key {
            Some(next) => Err(RotateError::WrongPhase(format!(
                "{next} is not signing yet: run `jwtstack rotate activate` first"
            ))),
            None => Ok(Edit::AlreadyDone("no previous key is published".into())),
        };
    }
    let mut keep = Vec::new();
    let mut waits = Vec::new();
    for kid in &h.previous_keys {
        match retire_from(inv.keys.timeline.as_ref(), kid, stack.token_max_ttl) {
            _ if force => {}
            SafeFrom::At(t) if t <= now => {}
            SafeFrom::At(t) => {
                keep.push(kid.clone());
                waits.push(format!(
                    "{kid} from {} (in {})",
                    crate::clock::format_utc(t),
                    crate::clock::format_span(t - now)
                ));
            }
            SafeFrom::Unknown(why) => {
                keep.push(kid.clone());
                waits.push(why);
            }
        }
    }
    if keep.len() == h.previous_keys.len() {
        return Err(RotateError::NotNow(format!(
            "tokens signed by the previous key(s) may still be live (token_max_ttl {}s + {}h of JWKS cache after they stopped signing): retire {}; or pass --force",
            stack.token_max_ttl,
            KEY_CACHE_SECS / 3600,
            waits.join("; ")
        )));
    }
    let mut fields = KeyFields::of(h);
    fields.previous_keys = keep;
    Ok(Edit::Fields(fields))
}

/// A kid for a new key: `{name}-{YYYY-MM-DD}`, with `-2`, `-3`... when that is taken.
pub fn new_kid(stack: &Stack, h: &Hosted, inv: &Inventory, now: i64) -> String {
    let date = crate::clock::format_utc(now);
    let base = format!("{}-{}", stack.name, &date[..10]);
    let taken = |k: &str| h.key_role(k).is_some() || inv.keys.stored.contains_key(k);
    if !taken(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}-{n}")).find(|k| !taken(k)).unwrap_or(base)
}

/// One key as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct KeyStatus {
    pub kid: String,
    /// `signing`, `next`, `previous`, or `unpublished` (stored, not in the stack file).
    pub role: String,
    /// Where the private key is: `ssm` or `kms`; absent when it is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<&'static str>,
    /// A KMS key scheduled for deletion: when KMS deletes it (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion: Option<i64>,
    /// In the JWKS as deployed.
    pub published: bool,
    /// Signs tokens, as of the last deploy.
    pub signing: bool,
    pub created: Option<i64>,
    pub events: KeyEvents,
    /// For the next key: when `rotate activate` is safe; for a previous key: when `rotate finish` is.
    pub safe_from: Option<SafeFrom>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Status {
    pub stack: String,
    #[serde(flatten)]
    pub phase: Phase,
    pub keys: Vec<KeyStatus>,
    /// The command that moves the rotation on, and from when.
    pub next_step: Option<String>,
    pub next_step_from: Option<SafeFrom>,
    pub now: i64,
    /// Whether the live gateway already accepts tokens of the next key (`rotate status` asks it; `null` when
    /// there is no next key, or nothing was asked).
    pub live_gateway: Option<LiveGateway>,
}

/// Evidence from the live gateway, beside the timing rules (which stay as they are): a token of the next key
/// without scopes answered 403 (its signature accepted) or 401 (not yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LiveGateway {
    pub kid: String,
    /// `None`: the gateway was not asked, or gave no answer that tells.
    pub accepted: Option<bool>,
    pub evidence: String,
}

/// Every key the stack file, SSM or the deployed JWKS knows, with its state.
pub fn status(stack: &Stack, inv: &Inventory, live_jwks: &[String], now: i64) -> Result<Status, RotateError> {
    let h = hosted(stack)?;
    let timeline = inv.keys.timeline.as_ref();
    let mut kids: Vec<String> = h.published_keys().into_iter().map(String::from).collect();
    for k in inv
        .keys
        .stored
        .keys()
        .map(|k| k.as_str())
        .chain(live_jwks.iter().map(String::as_str))
    {
        if !kids.iter().any(|x| x == k) {
            kids.push(k.to_string());
        }
    }
    let keys = kids
        .into_iter()
        .map(|kid| {
            let role = h.key_role(&kid);
            let safe_from = match role {
                Some(KeyRole::Next) => Some(activate_from(timeline, &kid)),
                Some(KeyRole::Previous) => Some(retire_from(timeline, &kid, stack.token_max_ttl)),
                _ => None,
            };
            KeyStatus {
                role: role.map(|r| r.as_str().to_string()).unwrap_or_else(|| "unpublished".into()),
                store: inv.keys.stored.get(kid.as_str()).map(|k| k.home.store().as_str()),
                deletion: inv.keys.stored.get(kid.as_str()).and_then(|k| k.deletion),
                published: live_jwks.contains(&kid),
                signing: timeline.and_then(|t| t.signing.as_ref()).is_some_and(|s| s == kid.as_str()),
                created: inv.keys.stored.get(kid.as_str()).and_then(|k| k.created),
                events: timeline.and_then(|t| t.keys.get(kid.as_str())).cloned().unwrap_or_default(),
                safe_from,
                kid,
            }
        })
        .collect::<Vec<_>>();
    let phase = Phase::of(h);
    let (next_step, next_step_from) = match &phase {
        Phase::Steady => (Some("jwtstack rotate start".to_string()), None),
        Phase::Started { next } => (Some("jwtstack rotate activate".into()), Some(activate_from(timeline, next))),
        Phase::Activated { previous } => {
            let earliest = previous
                .iter()
                .map(|k| retire_from(timeline, k, stack.token_max_ttl))
                .min_by_key(|s| match s {
                    SafeFrom::At(t) => *t,
                    SafeFrom::Unknown(_) => i64::MAX,
                });
            (Some("jwtstack rotate finish".into()), earliest)
        }
    };
    Ok(Status {
        stack: stack.name.clone(),
        phase,
        keys,
        next_step,
        next_step_from,
        now,
        live_gateway: None,
    })
}

/// The hosted issuer's keys; an external issuer's keys are the provider's to rotate.
pub fn hosted(stack: &Stack) -> Result<&Hosted, RotateError> {
    stack.hosted().ok_or_else(|| {
        RotateError::WrongPhase(format!(
            "the issuer is external ({}): its keys are the provider's, which rotates them; jwtstack has no key to rotate",
            stack.issuer_url("")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_str;

    const STACK: &str = "name: g\nissuer: {bucket: g-issuer}\nkey_id: a\naudience: [x]\ntoken_max_ttl: 1h\napi: {name: g}\nroutes:\n  - route: GET /x\n    integration: {http: https://example.com}\n";

    fn stack(fields: &str) -> Stack {
        parse_str("stack.yaml", &STACK.replace("key_id: a\n", fields)).unwrap()
    }

    fn inv(timeline: KeyTimeline) -> Inventory {
        Inventory {
            keys: crate::plan::KeySlice {
                timeline: Some(timeline),
                ..Default::default()
            },
            ..Inventory::default()
        }
    }

    #[test]
    fn the_sequence_and_its_clock() {
        let t0 = 1_800_000_000;
        let steady = stack("key_id: a\n");
        let i = inv(KeyTimeline::default().advance(t0, &["a"], "a"));
        let Edit::Fields(f) = start(&steady, &i, "b").unwrap() else {
            panic!()
        };
        assert_eq!(f.next_key.as_deref(), Some("b"));

        let started = stack("key_id: a\nnext_key: b\n");
        let i = inv(i.keys.timeline.unwrap().advance(t0 + 10, &["a", "b"], "a"));
        // Two hours after b was published, not a second sooner.
        let err = activate(&started, &i, t0 + 10 + KEY_CACHE_SECS - 1, false).unwrap_err();
        assert!(err.to_string().contains("in 1s"), "{err}");
        let Edit::Fields(f) = activate(&started, &i, t0 + 10 + KEY_CACHE_SECS, false).unwrap() else {
            panic!()
        };
        assert_eq!(
            (f.key_id.as_str(), f.next_key.clone(), f.previous_keys.clone()),
            ("b", None, vec!["a".to_string()])
        );
        assert!(activate(&started, &i, t0 + 11, true).is_ok());

        let active = stack("key_id: b\nprevious_keys: [a]\n");
        let t_act = t0 + 20_000;
        let i = inv(i.keys.timeline.unwrap().advance(t_act, &["b", "a"], "b"));
        // token_max_ttl (1h) + cache (2h) after a stopped signing.
        let due = t_act + 3600 + KEY_CACHE_SECS;
        let err = finish(&active, &i, due - 60, false).unwrap_err();
        assert!(err.to_string().contains("retire a from"), "{err}");
        let Edit::Fields(f) = finish(&active, &i, due, false).unwrap() else {
            panic!()
        };
        assert!(f.previous_keys.is_empty() && f.key_id == "b");
        assert!(finish(&active, &i, t_act, true).is_ok());

        // Steps already taken converge instead of failing: that is how an interrupted rotation resumes.
        assert!(matches!(start(&started, &i, "c").unwrap(), Edit::AlreadyDone(_)));
        assert!(matches!(activate(&active, &i, t_act, false).unwrap(), Edit::AlreadyDone(_)));
        assert!(matches!(finish(&steady, &i, t_act, false).unwrap(), Edit::AlreadyDone(_)));
        // Out of order.
        assert!(activate(&steady, &i, t_act, false).is_err());
        assert!(finish(&started, &i, t_act, false).is_err());
    }

    #[test]
    fn no_timeline_means_no_guess() {
        let started = stack("key_id: a\nnext_key: b\n");
        assert!(matches!(
            activate(&started, &Inventory::default(), 0, false),
            Err(RotateError::NotNow(_))
        ));
        let active = stack("key_id: b\nprevious_keys: [a]\n");
        let err = finish(&active, &Inventory::default(), i64::MAX / 2, false).unwrap_err();
        assert!(err.to_string().contains("no record of when a stopped signing"), "{err}");
    }

    #[test]
    fn only_due_keys_are_retired() {
        let active = stack("key_id: c\nprevious_keys: [b, a]\n");
        let t = KeyTimeline::default()
            .advance(0, &["a"], "a")
            .advance(100, &["b", "a"], "b")
            .advance(50_000, &["c", "b", "a"], "c");
        let i = inv(t);
        let Edit::Fields(f) = finish(&active, &i, 100 + 3600 + KEY_CACHE_SECS, false).unwrap() else {
            panic!()
        };
        assert_eq!(f.previous_keys, ["b"]);
    }

    #[test]
    fn new_kids_do_not_collide() {
        let s = stack("key_id: g-2026-11-24\n");
        let mut i = Inventory::default();
        let now = 1_795_478_400; // 2026-11-24
        let h = s.hosted().unwrap();
        assert_eq!(new_kid(&s, h, &i, now), "g-2026-11-24-2");
        i.keys.stored.insert(
            "g-2026-11-24-2".into(),
            crate::plan::KeyInfo {
                home: crate::plan::KeyHome::Ssm {
                    parameter: String::new(),
                    record: String::new(),
                },
                public: None,
                recorded: false,
                deletion: None,
                bits: None,
                created: None,
            },
        );
        assert_eq!(new_kid(&s, h, &i, now), "g-2026-11-24-3");
    }
}
