//! One run per stack at a time: deploy and teardown hold `/jwtstack/{name}/lock`, an SSM parameter created
//! without overwrite (so AWS decides who gets it) that says who holds it, where, and since when.
//! `plan`, `token` and `verify` do not lock.
//!
//! A lock whose run is gone ([`process`] says when that can be known) is taken over. SSM has no conditional
//! delete, and two runs that both found the lock stale must not both delete it, or the second deletes the lock
//! the first has just taken. So a taker first creates `/jwtstack/{name}/lock-takeover` without overwrite (one run
//! wins it), reads the lock again, and deletes it only if it is still the one judged stale; then it removes the
//! mark. Only a holder of the mark deletes a stale lock, and a stale lock, once deleted, never comes back (its
//! nonce was its dead run's), so a run that wins the mark later finds the lock changed and leaves it alone.
//! A run killed while it held the mark leaves the mark, and the stale lock, behind; the mark of a run known to
//! be gone is cleared by the same procedure one level up, under `/jwtstack/{name}/lock-takeover-2`, and so on:
//! each run killed at the worst moment in a row takes one level more, up to
//! [`LOCK_MARK_LEVELS`](jwtstack_core::names::LOCK_MARK_LEVELS); only a chain as long as that leaves the stack to
//! `jwtstack unlock --yes`.
//!
//! Every delete of the lock or the mark is sent once, without the SDK's retries: a retry sent after a lost answer
//! could delete the lock another run took in between. After a failed attempt the parameter is read again and
//! deleted only if it still holds what was to be removed. What remains is a delete held up in the network past
//! another run's create: SSM has no conditional delete to close that.

mod process;

use std::time::{Duration, Instant};

use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};

use crate::retry::backoff;
use crate::{AwsError, Clients, ErrorKind, ssm};
use jwtstack_core::clock::now_secs as now;
use jwtstack_core::names;
use jwtstack_core::plan::TakeoverMark;
use process::Liveness;

/// What the lock parameter holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub who: String,
    /// The machine's name, for people: two containers share one, so it decides nothing.
    pub host: String,
    pub pid: u32,
    pub command: String,
    /// Unix seconds.
    pub since: u64,
    /// Tells our own lock from another run's when an answer was lost.
    pub nonce: String,
    /// The PID namespace `pid` counts in (see [`process::pid_space`]); absent where it cannot be read, and in
    /// locks of earlier versions: such a run is never judged dead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_space: Option<String>,
    /// When the process started (clock ticks after boot): tells a pid taken again by another process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<u64>,
}

impl Holder {
    fn me(command: &str) -> Holder {
        let mut nonce = [0u8; 8];
        OsRng.fill_bytes(&mut nonce);
        let pid = std::process::id();
        Holder {
            who: std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .unwrap_or_else(|_| "unknown".into()),
            host: this_host(),
            pid,
            command: command.into(),
            since: now(),
            nonce: nonce.iter().map(|b| format!("{b:02x}")).collect(),
            pid_space: process::pid_space(),
            started: process::start_time(pid),
        }
    }

    pub fn describe(&self) -> String {
        let age = now().saturating_sub(self.since);
        format!("`{}` by {}@{} (pid {}), {} s ago", self.command, self.who, self.host, self.pid, age)
    }

    fn liveness(&self) -> Liveness {
        process::liveness(self.pid_space.as_deref(), self.pid, self.started)
    }

    /// Its run is known to be gone.
    fn is_gone(&self) -> bool {
        matches!(self.liveness(), Liveness::Gone(_))
    }
}

/// A lock or takeover mark as the parameter holds it.
fn encode(value: &impl Serialize) -> Result<String, AwsError> {
    serde_json::to_string(value).map_err(|e| AwsError::new("encoding the lock", ErrorKind::Other, e.to_string()))
}

/// What `/jwtstack/{name}/lock-takeover` holds while a run removes a stale lock.
#[derive(Debug, Serialize, Deserialize)]
struct Takeover {
    /// The nonce of the lock judged stale.
    stale: String,
    by: Holder,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("stack `{stack}` is locked: {holder}")]
    Held { stack: String, holder: String },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl LockError {
    pub const HELD_HINT: &str = "wait for that run, pass --lock-timeout to wait for it, or, if it died, run `jwtstack unlock --yes` (docs/failures.md#two-runs-at-once)";
}

/// A held lock; release it with [`release`].
#[derive(Debug)]
pub struct Lock {
    parameter: String,
    holder: Holder,
}

fn read_holder(value: &str) -> Option<Holder> {
    serde_json::from_str(value).ok()
}

/// Takes the stack's lock, waiting up to `timeout` for another run to release it.
pub async fn acquire(c: &Clients, stack: &str, command: &str, timeout: Duration) -> Result<Lock, LockError> {
    let holder = Holder::me(command);
    let value = encode(&holder)?;
    let parameter = names::lock(stack);
    let started = Instant::now();
    let mut attempt = 1;
    loop {
        let outcome = ssm::put_lock(c, &parameter, &value).await;
        match outcome {
            Ok(()) => return Ok(Lock { parameter, holder }),
            Err(e) if e.kind == ErrorKind::Conflict || e.is_transient() => {
                // Whoever holds it now, it may be us (a put whose answer was lost).
                let current = ssm::get_string(c, &parameter).await?;
                let other = match current.as_deref().map(read_holder) {
                    Some(Some(h)) if h.nonce == holder.nonce => return Ok(Lock { parameter, holder }),
                    Some(Some(h)) => match h.liveness() {
                        Liveness::Gone(why) => match take_over(c, stack, &h, &holder).await? {
                            Taken::Removed => {
                                tracing::warn!(
                                    "the lock of stack {stack} was held by a run that is gone ({}; {why}); took it over",
                                    h.describe()
                                );
                                continue;
                            }
                            Taken::Changed => continue,
                            Taken::Busy(other) => other,
                        },
                        Liveness::Running | Liveness::CannotTell(_) => h.describe(),
                    },
                    Some(None) => format!("unreadable lock value in {parameter}"),
                    None if e.is_transient() => "nobody (the last attempt failed)".into(),
                    None => continue,
                };
                if started.elapsed() >= timeout && e.kind == ErrorKind::Conflict {
                    return Err(LockError::Held {
                        stack: stack.into(),
                        holder: other,
                    });
                }
                if started.elapsed() >= timeout && attempt >= 4 {
                    return Err(e.into());
                }
                if e.kind == ErrorKind::Conflict {
                    tracing::warn!("waiting for the lock of stack {stack}, held by {other}");
                }
                tokio::time::sleep(backoff(attempt).max(Duration::from_millis(500))).await;
                attempt = (attempt + 1).min(5);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// How an attempt to remove a stale lock (or a dead run's takeover mark) ended.
enum Taken {
    /// It was still the stale one, and is deleted.
    Removed,
    /// It had changed (another run took it over, or it was released): nothing deleted.
    Changed,
    /// Another run is taking it over (described).
    Busy(String),
}

/// What one guarded removal found.
enum Attempt {
    Ended(Taken),
    /// The mark is held by a run that is gone: nobody removes the stale one until the mark is cleared.
    MarkOfTheGone(Takeover),
}

/// Removes the lock of `stale`'s run, under the takeover mark, if it is still that run's (see the module's note).
///
/// A run that died holding the mark leaves it behind, and with it a lock nobody may remove. Such a mark is
/// cleared by the same procedure one level up: under the next mark, created without overwrite, the dead run's
/// mark is deleted only if it is still that run's (a dead run's mark, once deleted, never comes back); then the
/// lock is tried again. Only marks left by dead runs at every level leave the stack to `jwtstack unlock --yes`.
async fn take_over(c: &Clients, stack: &str, stale: &Holder, me: &Holder) -> Result<Taken, AwsError> {
    let parameter = names::lock(stack);
    let mut level = 1;
    let mut target = Guarded {
        parameter,
        mark: names::lock_mark(stack, level),
        doing: "taking over a stale lock",
        nonce_of: |v| read_holder(v).map(|h| h.nonce),
    };
    let mut dead = match target.remove(c, &stale.nonce, me).await? {
        Attempt::MarkOfTheGone(dead) => dead,
        Attempt::Ended(taken) => return Ok(taken),
    };
    // The mark at `level` is held by a dead run: clear it under the next one, climbing while that is dead too.
    loop {
        if level == names::LOCK_MARK_LEVELS {
            return Ok(Taken::Busy(format!(
                "{}, clearing a takeover mark (that run is gone, as are the runs that held the marks below: run `jwtstack unlock --yes` to clear them)",
                dead.by.describe()
            )));
        }
        target = Guarded {
            parameter: names::lock_mark(stack, level),
            mark: names::lock_mark(stack, level + 1),
            doing: "clearing the takeover mark of a run that is gone",
            nonce_of: |v| serde_json::from_str::<Takeover>(v).ok().map(|t| t.by.nonce),
        };
        match target.remove(c, &dead.by.nonce, me).await? {
            Attempt::MarkOfTheGone(above) => {
                dead = above;
                level += 1;
            }
            Attempt::Ended(Taken::Removed) => {
                tracing::warn!(
                    "the lock of stack {stack} was being taken over by a run that is gone ({}); cleared its mark",
                    dead.by.describe()
                );
                // The lock is tried again from the start: the marks below may have changed meanwhile.
                return Ok(Taken::Changed);
            }
            Attempt::Ended(taken) => return Ok(taken),
        }
    }
}

/// A parameter that only the holder of `mark` deletes, and only while it holds the value of the run with a
/// given nonce (`nonce_of` reads a value's).
struct Guarded {
    parameter: String,
    mark: String,
    /// What a holder of the mark is doing, in words.
    doing: &'static str,
    nonce_of: fn(&str) -> Option<String>,
}

impl Guarded {
    /// Deletes the parameter if it still holds the value of `stale`'s run, holding the mark meanwhile.
    async fn remove(&self, c: &Clients, stale: &str, me: &Holder) -> Result<Attempt, AwsError> {
        let value = encode(&Takeover {
            stale: stale.to_string(),
            by: me.clone(),
        })?;
        match ssm::put_lock(c, &self.mark, &value).await {
            Ok(()) => {}
            Err(e) if e.kind == ErrorKind::Conflict || e.is_transient() => {
                match ssm::get_string(c, &self.mark)
                    .await?
                    .as_deref()
                    .map(serde_json::from_str::<Takeover>)
                {
                    Some(Ok(t)) if t.by.nonce == me.nonce => {}
                    Some(Ok(t)) if t.by.is_gone() => return Ok(Attempt::MarkOfTheGone(t)),
                    Some(Ok(t)) => {
                        return Ok(Attempt::Ended(Taken::Busy(format!("{}, {}", t.by.describe(), self.doing))));
                    }
                    Some(Err(_)) => {
                        return Ok(Attempt::Ended(Taken::Busy(format!("unreadable takeover mark in {}", self.mark))));
                    }
                    None if e.is_transient() => return Err(e),
                    None => return Ok(Attempt::Ended(Taken::Changed)),
                }
            }
            Err(e) => return Err(e),
        }
        // Holding the mark: nobody else deletes the parameter until it is removed.
        let nonce_of = self.nonce_of;
        let is_stale = |v: &str| nonce_of(v).is_some_and(|n| n == stale);
        let removed = async {
            let still = ssm::get_string(c, &self.parameter).await?.as_deref().is_some_and(is_stale);
            if still {
                delete_while(c, &self.parameter, is_stale).await?;
            }
            Ok::<bool, AwsError>(still)
        }
        .await;
        // The mark goes whatever happened to the parameter.
        let unmarked = delete_while(c, &self.mark, |v| marked_by(v, &me.nonce)).await;
        let still = removed?;
        unmarked?;
        Ok(Attempt::Ended(if still { Taken::Removed } else { Taken::Changed }))
    }
}

/// Whether a takeover mark is the run's with `nonce`.
fn marked_by(value: &str, nonce: &str) -> bool {
    serde_json::from_str::<Takeover>(value).is_ok_and(|t| t.by.nonce == nonce)
}

/// Deletes `parameter` while it holds what `still` recognises: each delete is sent once, and after a failed one
/// the parameter is read again (it may be gone already, its answer lost, and taken since by another run).
async fn delete_while(c: &Clients, parameter: &str, still: impl Fn(&str) -> bool) -> Result<(), AwsError> {
    let mut attempt = 1;
    loop {
        match ssm::delete_once(c, parameter).await {
            Ok(()) => return Ok(()),
            Err(e) if e.is_transient() && attempt < 4 => {
                tokio::time::sleep(backoff(attempt)).await;
                if !ssm::get_string(c, parameter).await?.as_deref().is_some_and(&still) {
                    return Ok(());
                }
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// This machine's name, as recorded in a lock.
fn this_host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Whether the lock was left by a run that is known to be gone.
pub fn is_stale(value: &str) -> bool {
    read_holder(value).is_some_and(|h| h.is_gone())
}

/// A lock value in words, noting when its run is gone.
pub fn describe(value: &str) -> String {
    match read_holder(value) {
        Some(h) => match h.liveness() {
            Liveness::Gone(why) => format!(
                "{} (that run is gone: {why}; the next deploy or teardown takes the lock over)",
                h.describe()
            ),
            _ => h.describe(),
        },
        None => value.to_string(),
    }
}

/// Releases the lock if it is still ours (a forced `unlock` may have handed it to another run).
pub async fn release(c: &Clients, lock: Lock) -> Result<(), AwsError> {
    let ours = |v: &str| read_holder(v).is_some_and(|h| h.nonce == lock.holder.nonce);
    if ssm::get_string(c, &lock.parameter).await?.as_deref().is_some_and(ours) {
        delete_while(c, &lock.parameter, ours).await?;
    }
    Ok(())
}

/// Removes the lock if its run is known to be gone, as a takeover does (never a lock another run has just taken);
/// whether it did.
pub async fn remove_if_stale(c: &Clients, stack: &str, command: &str) -> Result<bool, AwsError> {
    let parameter = names::lock(stack);
    let Some(stale) = ssm::get_string(c, &parameter).await?.as_deref().and_then(read_holder) else {
        return Ok(false);
    };
    if !stale.is_gone() {
        return Ok(false);
    }
    let me = Holder::me(command);
    // Each round clears one dead run's mark, climbing from the lock; the lock goes once none is left.
    for _ in 0..=names::LOCK_MARK_LEVELS {
        match take_over(c, stack, &stale, &me).await? {
            Taken::Removed => return Ok(true),
            Taken::Busy(_) => return Ok(false),
            Taken::Changed => {
                let still = ssm::get_string(c, &parameter).await?.and_then(|v| read_holder(&v));
                if still.is_none_or(|h| h.nonce != stale.nonce) {
                    return Ok(false);
                }
            }
        }
    }
    Ok(false)
}

/// A takeover mark as the plan shows it: who left it, and whether that run is known to be gone.
pub fn describe_mark(parameter: &str, value: &str) -> TakeoverMark {
    let (taker, gone) = match serde_json::from_str::<Takeover>(value) {
        Ok(t) => (t.by.describe(), t.by.is_gone()),
        Err(_) => ("a run whose mark cannot be read".to_string(), false),
    };
    TakeoverMark {
        parameter: parameter.to_string(),
        taker,
        gone,
    }
}

/// Removes the takeover marks left by runs that are gone, when no lock remains (teardown's last step) or the
/// lock is `held` by this run: no run takes a live lock over, so none is climbing the marks then (a mark a
/// dead run left without the lock below it, say, which no run would otherwise clear). `dead`: the marks the
/// stack's read found left by runs that are gone, each read again before it goes. How many it removed.
pub async fn remove_dead_marks(c: &Clients, stack: &str, held: Option<&Lock>, dead: &[TakeoverMark]) -> Result<usize, AwsError> {
    let lock = ssm::get_string(c, &names::lock(stack)).await?;
    let ours = |v: &str| held.is_some_and(|l| read_holder(v).is_some_and(|h| h.nonce == l.holder.nonce));
    if lock.as_deref().is_some_and(|v| !ours(v)) {
        return Ok(0);
    }
    let mut removed = 0;
    for mark in dead.iter().filter(|m| m.gone).map(|m| &m.parameter) {
        let Some(t) = ssm::get_string(c, mark)
            .await?
            .and_then(|v| serde_json::from_str::<Takeover>(&v).ok())
        else {
            continue;
        };
        if t.by.is_gone() {
            delete_while(c, mark, |v| marked_by(v, &t.by.nonce)).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Clears the lock (and every takeover mark a run that died left) whoever holds it; returns who did.
pub async fn force_unlock(c: &Clients, stack: &str) -> Result<Option<String>, AwsError> {
    let parameter = names::lock(stack);
    let current = ssm::get_string(c, &parameter).await?;
    if current.is_some() {
        ssm::delete_lock(c, &parameter).await?;
    }
    for level in 1..=names::LOCK_MARK_LEVELS {
        let mark = names::lock_mark(stack, level);
        if ssm::get_string(c, &mark).await?.is_some() {
            ssm::delete_lock(c, &mark).await?;
        }
    }
    Ok(current.map(|v| read_holder(&v).map(|h| h.describe()).unwrap_or(v)))
}
