//! One run per stack at a time: deploy and teardown hold `/jwtstack/{name}/lock`, an SSM parameter created
//! without overwrite (so AWS decides who gets it) that says who holds it, where, and since when.
//! `plan`, `token` and `verify` do not lock.

use std::time::{Duration, Instant};

use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};

use crate::retry::backoff;
use crate::{AwsError, Clients, ErrorKind, ssm};
use jwtstack_core::clock::now_secs as now;

/// What the lock parameter holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub who: String,
    pub host: String,
    pub pid: u32,
    pub command: String,
    /// Unix seconds.
    pub since: u64,
    /// Tells our own lock from another run's when an answer was lost.
    pub nonce: String,
}

impl Holder {
    pub fn describe(&self) -> String {
        let age = now().saturating_sub(self.since);
        format!("`{}` by {}@{} (pid {}), {} s ago", self.command, self.who, self.host, self.pid, age)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("stack `{stack}` is locked: {holder}")]
    Held { stack: String, holder: String },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

impl LockError {
    pub const HELD_HINT: &str = "wait for that run, pass --lock-timeout to wait for it, or, if it died, run `jwtstack unlock --yes`";
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
    let mut nonce = [0u8; 8];
    OsRng.fill_bytes(&mut nonce);
    let holder = Holder {
        who: std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".into()),
        host: this_host(),
        pid: std::process::id(),
        command: command.into(),
        since: now(),
        nonce: nonce.iter().map(|b| format!("{b:02x}")).collect(),
    };
    let value = serde_json::to_string(&holder).map_err(|e| AwsError::new("encoding the lock", ErrorKind::Other, e.to_string()))?;
    let parameter = jwtstack_core::names::lock(stack);
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
                    Some(Some(h)) if h.host == holder.host && process_is_gone(h.pid) => {
                        tracing::warn!(
                            "the lock of stack {stack} was held by a run that is gone ({}); taking it over",
                            h.describe()
                        );
                        ssm::delete_lock(c, &parameter).await?;
                        continue;
                    }
                    Some(Some(h)) => h.describe(),
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

/// This machine's name, as recorded in a lock.
fn this_host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Whether the lock was left by a run of this host that is gone.
pub fn is_stale(value: &str) -> bool {
    let host = this_host();
    read_holder(value).is_some_and(|h| h.host == host && process_is_gone(h.pid))
}

/// A lock value in words, noting when its run is gone.
pub fn describe(value: &str) -> String {
    match read_holder(value) {
        Some(h) => {
            let host = this_host();
            let gone = if h.host == host && process_is_gone(h.pid) {
                " (that run is gone; the next deploy or teardown takes the lock over)"
            } else {
                ""
            };
            format!("{}{gone}", h.describe())
        }
        None => value.to_string(),
    }
}

/// Whether a process of this host has ended. Only Linux (/proc) can tell; elsewhere it is taken as running.
fn process_is_gone(pid: u32) -> bool {
    std::path::Path::new("/proc/self").exists() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Releases the lock if it is still ours (a forced `unlock` may have handed it to another run).
pub async fn release(c: &Clients, lock: Lock) -> Result<(), AwsError> {
    let current = ssm::get_string(c, &lock.parameter).await?;
    if current
        .as_deref()
        .and_then(read_holder)
        .is_some_and(|h| h.nonce == lock.holder.nonce)
    {
        ssm::delete_lock(c, &lock.parameter).await?;
    }
    Ok(())
}

/// Clears the lock whoever holds it; returns who did.
pub async fn force_unlock(c: &Clients, stack: &str) -> Result<Option<String>, AwsError> {
    let parameter = jwtstack_core::names::lock(stack);
    let current = ssm::get_string(c, &parameter).await?;
    if current.is_some() {
        ssm::delete_lock(c, &parameter).await?;
    }
    Ok(current.map(|v| read_holder(&v).map(|h| h.describe()).unwrap_or(v)))
}
