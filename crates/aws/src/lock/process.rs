//! Whether the run that holds a lock is still running, as far as this machine can tell.
//!
//! A pid means something only in the PID namespace it was counted in: two containers (or two `unshare`d runs)
//! share a hostname and count pids from 1 each, so a hostname and a pid prove nothing. A lock records its run's
//! PID namespace (the kernel's boot id, the namespace's inode `/proc/self/ns/pid`, and the time namespace's, as
//! a start time reads shifted in another) and its process's start time; a run judges another dead only when both
//! ran in this same namespace of this same boot, and the pid is free (the kernel says so: `kill(pid, 0)` answers
//! ESRCH, where `/proc` mounted with `hidepid` hides another user's live process), a zombie (killed, not yet
//! reaped), or taken by a process that started later. Anything else is "cannot tell", which never takes a lock
//! over.

use std::path::Path;

/// Where this process's pids count: `{boot id}/{pid namespace}`; `None` where the machine cannot say (no
/// `/proc`, or a `/proc` mounted for another PID namespace, where `/proc/{pid}` would name someone else).
pub fn pid_space() -> Option<String> {
    let me = std::fs::read_link("/proc/self").ok()?;
    if me != Path::new(&std::process::id().to_string()) {
        return None;
    }
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
    // Kernels before 5.6 have no time namespaces.
    let time = std::fs::read_link("/proc/self/ns/time")
        .map(|t| format!("/{}", t.display()))
        .unwrap_or_default();
    Some(format!("{}/{}{time}", boot.trim(), namespace.display()))
}

/// When process `pid` started, in clock ticks after boot (`/proc/{pid}/stat`, field 22).
pub fn start_time(pid: u32) -> Option<u64> {
    stat(pid).ok().flatten().map(|s| s.started)
}

/// What this machine can say about the process that holds a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// It still runs, or this machine cannot tell (the reason): the lock is left alone.
    Running,
    CannotTell(&'static str),
    /// It is gone (the reason).
    Gone(&'static str),
}

/// The liveness of process `pid` counted in `space`, which started at `started` (when recorded).
pub fn liveness(space: Option<&str>, pid: u32, started: Option<u64>) -> Liveness {
    let Some(here) = pid_space() else {
        return Liveness::CannotTell("this machine cannot see its processes in /proc");
    };
    match space {
        None => return Liveness::CannotTell("the lock does not record the PID namespace its pid counts in"),
        Some(s) if s != here => {
            return Liveness::CannotTell("it ran in another PID namespace (a container) or on another machine or boot");
        }
        Some(_) => {}
    }
    match exists(pid) {
        Some(false) => return Liveness::Gone("its process has ended"),
        Some(true) => {}
        None => return Liveness::CannotTell("the kernel does not say whether its process exists"),
    }
    match stat(pid) {
        // It exists (another user's, under hidepid, or gone in between): alive as far as can be told.
        Err(()) | Ok(None) => Liveness::CannotTell("its process's status cannot be read"),
        Ok(Some(s)) if matches!(s.state, 'Z' | 'X') => Liveness::Gone("its process has ended (killed, not yet reaped)"),
        Ok(Some(s)) if started.is_some_and(|t| t != s.started) => Liveness::Gone("its pid now belongs to another process"),
        Ok(Some(_)) => Liveness::Running,
    }
}

/// Whether process `pid` exists: `kill(pid, 0)` is refused with ESRCH only when there is none (EPERM: it is
/// another user's).
#[cfg(unix)]
fn exists(pid: u32) -> Option<bool> {
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else {
        return Some(false);
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => Some(true),
        Err(e) if e == rustix::io::Errno::SRCH => Some(false),
        Err(e) if e == rustix::io::Errno::PERM => Some(true),
        Err(_) => None,
    }
}

#[cfg(not(unix))]
fn exists(_pid: u32) -> Option<bool> {
    None
}

struct Stat {
    state: char,
    started: u64,
}

/// `/proc/{pid}/stat`'s state and start time; `Ok(None)` when there is no such process.
fn stat(pid: u32) -> Result<Option<Stat>, ()> {
    let text = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err(()),
    };
    Ok(Some(parse_stat(&text).ok_or(())?))
}

/// The fields after the command name (which is in parentheses and may hold anything, parentheses included):
/// state is field 3, start time field 22.
fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let started = fields.nth(18)?.parse().ok()?;
    Some(Stat { state, started })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_its_state_and_start_time_whatever_the_command_name() {
        let line = "4242 (a) b (c)) Z 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615";
        let s = parse_stat(line).unwrap();
        assert_eq!((s.state, s.started), ('Z', 987654));
        assert!(parse_stat("12 (x) R 1").is_none());
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn this_process_runs_and_a_free_pid_is_gone_only_in_its_own_namespace() {
        let here = pid_space().expect("Linux's /proc names this process's PID namespace");
        let me = std::process::id();
        assert_eq!(liveness(Some(&here), me, start_time(me)), Liveness::Running);
        // The same pid with another start time: the pid was reused.
        let other = start_time(me).map(|t| t + 1);
        assert!(matches!(liveness(Some(&here), me, other), Liveness::Gone(_)));
        // A pid no process holds (above the kernel's largest).
        assert!(matches!(liveness(Some(&here), u32::MAX, None), Liveness::Gone(_)));
        assert!(matches!(liveness(Some(&here), 4_000_000, None), Liveness::Gone(_)));
        // Recorded in another namespace, or not at all: never taken for dead.
        assert!(matches!(liveness(Some("other/pid:[1]"), u32::MAX, None), Liveness::CannotTell(_)));
        assert!(matches!(liveness(None, u32::MAX, None), Liveness::CannotTell(_)));
    }
}
