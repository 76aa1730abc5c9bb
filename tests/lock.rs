//! The run lock under races, through the binary and tests/support/aws_proxy.py: runs in other PID namespaces
//! (real ones with `unshare` where the machine allows it), two runs taking over one dead run's lock at once (held
//! in step by the proxy's --rendezvous and --delay-nth), and a run killed and not yet reaped.

use crate::common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Env, Proxy, stack_yaml};

fn stack(env: &Env, name: &str) {
    env.write_stack(&stack_yaml(
        name,
        &format!("{name}-issuer-bucket"),
        &format!("name: {name}-api"),
        None,
    ));
}

/// This process's PID namespace as jwtstack records it: `{boot id}/{pid namespace}[/{time namespace}]`.
fn pid_space() -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    let ns = std::fs::read_link("/proc/self/ns/pid").unwrap();
    let time = std::fs::read_link("/proc/self/ns/time")
        .map(|t| format!("/{}", t.display()))
        .unwrap_or_default();
    format!("{}/{}{time}", boot.trim(), ns.display())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// A pid no process holds now: that of a child that has ended and been reaped.
fn free_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Writes a lock as a run of `host` with `pid` (counted in `pid_space`) would have left it.
fn plant_lock(env: &Env, stack: &str, host: &str, pid: u32, pid_space: Option<&str>) {
    let mut value = serde_json::json!({
        "who": "ci", "host": host, "pid": pid, "command": "deploy", "since": 1_700_000_000u64, "nonce": "0123456789abcdef",
    });
    if let Some(space) = pid_space {
        value["pid_space"] = space.into();
    }
    let sdk = env.sdk();
    env.block_on(
        sdk.ssm
            .put_parameter()
            .name(format!("/jwtstack/{stack}/lock"))
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .value(value.to_string())
            .overwrite(true)
            .send(),
    )
    .unwrap();
}

fn lock_value(env: &Env, stack: &str) -> Option<String> {
    let sdk = env.sdk();
    env.block_on(sdk.ssm.get_parameter().name(format!("/jwtstack/{stack}/lock")).send())
        .ok()
        .and_then(|o| o.parameter().and_then(|p| p.value()).map(str::to_string))
}

fn wait_for_lock(env: &Env, stack: &str) {
    for _ in 0..500 {
        if lock_value(env, stack).is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no run took the lock of {stack}");
}

fn output(child: Child) -> common::Output {
    common::Output::from(child.wait_with_output().unwrap())
}

/// Whether this machine lets an unprivileged user open a user and PID namespace (`unshare -Upf`).
fn unshare_allowed() -> bool {
    Command::new("unshare")
        .args(["--user", "--pid", "--fork", "--map-root-user", "--mount-proc", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The binary in a PID namespace of its own (same hostname, same /etc/hostname), behind `forks` short-lived
/// processes, so that its pid there is `forks + 2`.
fn spawn_in_namespace(env: &Env, endpoint: &str, forks: usize, args: &[&str]) -> Child {
    let script = format!("{}\"$0\" \"$@\"; exit $?", "/bin/true; ".repeat(forks));
    let mut c = Command::new("unshare");
    common::isolate_std(&mut c, env.path());
    c.args(["--user", "--pid", "--fork", "--map-root-user", "--mount-proc", "sh", "-c", &script])
        .arg(assert_cmd::cargo::cargo_bin("jwtstack"))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .current_dir(env.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.spawn().unwrap()
}

#[test]
fn a_live_run_in_another_pid_namespace_with_the_same_hostname_keeps_its_lock() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--latency-ms", "80"]);
    stack(&env, "ns");
    if unshare_allowed() {
        // The first run's pid in its namespace (62) is free in the second's, where the binary is pid 2 and its
        // threads count from 3: a check of hostname and pid alone reads the first run as gone.
        let first = spawn_in_namespace(&env, &proxy.endpoint, 60, &["deploy"]);
        wait_for_lock(&env, "ns");
        let holder: serde_json::Value = serde_json::from_str(&lock_value(&env, "ns").unwrap()).unwrap();
        assert_eq!(
            (holder["host"].as_str(), holder["pid"].as_u64()),
            (Some(&*hostname()), Some(62)),
            "{holder}"
        );
        let second = output(spawn_in_namespace(&env, &proxy.endpoint, 0, &["deploy"]));
        assert_eq!(second.code, 1, "{}\n{}", second.stdout, second.stderr);
        assert!(second.stderr.contains("stack `ns` is locked: `deploy` by"), "{}", second.stderr);
        assert!(!second.stderr.contains("took it over"), "{}", second.stderr);
        let first = output(first);
        assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
        assert!(first.stdout.starts_with("Deployed"), "{}", first.stdout);
    } else {
        // No namespaces here: a lock a run in another namespace left, as it reads from this one.
        eprintln!("unshare is not allowed on this machine: the other namespace is simulated");
        plant_lock(&env, "ns", &hostname(), free_pid(), Some("another-boot/pid:[4026532999]"));
        let second = env.run_via(&proxy.endpoint, &["deploy"]);
        assert_eq!(second.code, 1, "{}\n{}", second.stdout, second.stderr);
        assert!(second.stderr.contains("stack `ns` is locked"), "{}", second.stderr);
    }
}

#[test]
fn a_lock_that_does_not_say_its_namespace_is_never_taken_for_dead() {
    // A run whose /etc/hostname was missing ("unknown"), or an earlier version's lock: hostname and a free pid
    // prove nothing, and the lock stays until its run releases it or someone runs `unlock --yes`.
    let env = Env::new();
    stack(&env, "unknownhost");
    let pid = free_pid();
    plant_lock(&env, "unknownhost", "unknown", pid, None);
    let out = env.run(&["deploy"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("stack `unknownhost` is locked: `deploy` by ci@unknown"),
        "{}",
        out.stderr
    );
    // Another namespace of this machine, same hostname, the pid free here.
    plant_lock(&env, "unknownhost", &hostname(), pid, Some("another-boot/pid:[4026532999]"));
    let out = env.run(&["deploy"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let plan = env.run(&["plan"]);
    assert!(plan.stdout.contains("the stack is locked by `deploy` by ci@"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("that run is gone"), "{}", plan.stdout);
    // This namespace, the pid free: gone, taken over.
    plant_lock(&env, "unknownhost", &hostname(), pid, Some(&pid_space()));
    let out = env.run(&["deploy"]).ok();
    assert!(out.stderr.contains("took it over"), "{}", out.stderr);
    assert!(out.stderr.contains("its process has ended"), "{}", out.stderr);
}

#[test]
fn two_runs_taking_over_one_dead_runs_lock_at_once_leave_it_to_one() {
    let env = Env::new();
    // Both runs read the dead run's lock before either changes it; the second delete of the lock, if any run
    // makes one, waits 3 s (the review's delay), until the first has taken the lock.
    let proxy = Proxy::start(
        &env.moto.endpoint,
        &[
            "--strict",
            "--latency-ms",
            "40",
            "--rendezvous",
            "AmazonSSM.GetParameter,\"/jwtstack/race/lock\",2",
            "--delay-nth",
            "AmazonSSM.DeleteParameter,\"/jwtstack/race/lock\",2,3",
        ],
    );
    stack(&env, "race");
    plant_lock(&env, "race", &hostname(), free_pid(), Some(&pid_space()));
    let a = common::spawn(&env, &proxy.endpoint, &[], &["deploy"]);
    let b = common::spawn(&env, &proxy.endpoint, &[], &["deploy"]);
    let (a, b) = (output(a), output(b));
    let runs = [&a, &b];
    let won: Vec<_> = runs.iter().filter(|o| o.code == 0).collect();
    let lost: Vec<_> = runs.iter().filter(|o| o.code != 0).collect();
    assert_eq!(
        (won.len(), lost.len()),
        (1, 1),
        "a:\n{}\n{}\nb:\n{}\n{}",
        a.stdout,
        a.stderr,
        b.stdout,
        b.stderr
    );
    assert!(won[0].stdout.starts_with("Deployed"), "{}", won[0].stdout);
    assert_eq!(lost[0].code, 1, "{}", lost[0].stderr);
    assert!(lost[0].stderr.contains("stack `race` is locked"), "{}", lost[0].stderr);
    // Nothing left behind: no lock, no takeover mark.
    assert_eq!(lock_value(&env, "race"), None);
    let sdk = env.sdk();
    assert!(
        env.block_on(sdk.ssm.get_parameter().name("/jwtstack/race/lock-takeover").send())
            .is_err()
    );
    env.run(&["plan", "--detailed-exitcode"]).ok();
}

#[test]
fn a_run_killed_and_not_yet_reaped_counts_as_gone() {
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--latency-ms", "80"]);
    stack(&env, "zombie");
    let mut first = common::spawn(&env, &proxy.endpoint, &[], &["deploy"]);
    wait_for_lock(&env, "zombie");
    // SIGKILL, and no wait: the process stays a zombie until this test reaps it.
    first.kill().unwrap();
    let pid = first.id();
    for _ in 0..100 {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        if state[state.rfind(')').unwrap() + 1..].trim_start().starts_with('Z') {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let plan = env.run(&["plan"]);
    assert!(plan.stdout.contains("not yet reaped"), "{}", plan.stdout);
    let out = env.run(&["deploy"]).ok();
    assert!(out.stderr.contains("took it over"), "{}", out.stderr);
    assert!(out.stderr.contains("killed, not yet reaped"), "{}", out.stderr);
    first.wait().unwrap();
    env.run(&["plan", "--detailed-exitcode"]).ok();
}

#[test]
fn lost_answers_while_taking_over_leave_one_lock_and_no_mark() {
    // The delete of the stale lock and of the takeover mark happen, and their answers are lost: each is read
    // again (never sent again blindly, which could delete a lock another run took in between).
    let env = Env::new();
    let proxy = Proxy::start(&env.moto.endpoint, &["--strict", "--lose-answer", "AmazonSSM.DeleteParameter:2"]);
    stack(&env, "lost");
    plant_lock(&env, "lost", &hostname(), free_pid(), Some(&pid_space()));
    let out = env.run_via(&proxy.endpoint, &["deploy"]).ok();
    assert!(out.stderr.contains("took it over"), "{}", out.stderr);
    assert_eq!(proxy.stats()["lost_answers"], 2);
    assert_eq!(lock_value(&env, "lost"), None);
    let sdk = env.sdk();
    assert!(
        env.block_on(sdk.ssm.get_parameter().name("/jwtstack/lost/lock-takeover").send())
            .is_err()
    );
}

#[test]
fn takeover_marks_left_by_dead_runs_are_said_and_removed_by_one_teardown_or_a_deploy() {
    let env = Env::new();
    stack(&env, "mark");
    // A dead run's lock, the marks of three runs that died in a row taking it over, and one left higher up by a
    // run that died after clearing the mark below its own.
    plant_lock(&env, "mark", &hostname(), free_pid(), Some(&pid_space()));
    for (parameter, nonce) in [
        ("lock-takeover", "fedcba9876543210"),
        ("lock-takeover-2", "00112233445566ff"),
        ("lock-takeover-3", "0011223344556677"),
        ("lock-takeover-5", "8899aabbccddeeff"),
    ] {
        plant_mark(&env, &format!("/jwtstack/mark/{parameter}"), nonce);
    }
    let plan = env.run(&["plan"]).stdout.replace('\n', " ");
    for said in [
        "died taking over a stale lock and left /jwtstack/mark/lock-takeover:",
        "died clearing the takeover mark of a run that is gone and left /jwtstack/mark/lock-takeover-3:",
    ] {
        assert!(plan.contains(said), "{said}: {plan}");
    }
    // One teardown, with nothing else to remove, clears them all.
    let out = env.run(&["teardown", "--yes"]).ok();
    assert!(
        out.stderr.contains("removed the run lock left by a run that is gone"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("removed 1 takeover mark(s)"), "{}", out.stderr);
    for parameter in lock_parameters() {
        assert!(!parameter_exists(&env, &format!("/jwtstack/mark/{parameter}")), "{parameter}");
    }

    // A mark no run climbs to (no lock below it) goes with the next deploy that takes the lock.
    plant_mark(&env, "/jwtstack/mark/lock-takeover-2", "00112233445566ff");
    let out = env.run(&["deploy", "--no-probe"]).ok();
    assert!(out.stderr.contains("removed 1 takeover mark(s) of the lock"), "{}", out.stderr);
    assert!(!parameter_exists(&env, "/jwtstack/mark/lock-takeover-2"));
    env.run(&["teardown", "--yes"]).ok();
}

/// Writes a takeover mark as a run of this machine (pid `pid`, gone) would have left it at `parameter`.
fn plant_mark(env: &Env, parameter: &str, nonce: &str) {
    let taker = serde_json::json!({
        "who": "ci", "host": hostname(), "pid": free_pid(), "command": "deploy", "since": 1_700_000_000u64,
        "nonce": nonce, "pid_space": pid_space(),
    });
    let mark = serde_json::json!({"stale": "0123456789abcdef", "by": taker});
    let sdk = env.sdk();
    env.block_on(
        sdk.ssm
            .put_parameter()
            .name(parameter)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .value(mark.to_string())
            .send(),
    )
    .unwrap();
}

fn parameter_exists(env: &Env, parameter: &str) -> bool {
    let sdk = env.sdk();
    env.block_on(sdk.ssm.get_parameter().name(parameter).send()).is_ok()
}

/// The lock and its takeover marks, as parameter names under `/jwtstack/{stack}/`.
fn lock_parameters() -> Vec<String> {
    let mut all = vec!["lock".to_string(), "lock-takeover".to_string()];
    all.extend((2..=8).map(|level| format!("lock-takeover-{level}")));
    all
}

#[test]
fn runs_killed_in_a_row_while_taking_over_a_dead_runs_lock_leave_nothing_the_next_run_cannot_clear() {
    let env = Env::new();
    stack(&env, "killed");
    // A dead run's mark at every level: the stack is left to `unlock`, which clears them all (a deploy with
    // nothing to change takes no lock, so this comes first).
    plant_lock(&env, "killed", &hostname(), free_pid(), Some(&pid_space()));
    for (level, parameter) in lock_parameters().iter().skip(1).enumerate() {
        plant_mark(&env, &format!("/jwtstack/killed/{parameter}"), &format!("{level:016x}"));
    }
    let refused = env.run(&["deploy", "--lock-timeout", "0s"]).code(1);
    assert!(refused.stderr.contains("clearing a takeover mark"), "{}", refused.stderr);
    assert!(refused.stderr.contains("jwtstack unlock --yes"), "{}", refused.stderr);
    assert!(lock_value(&env, "killed").is_some());
    env.run(&["unlock", "--yes"]).ok();
    for parameter in lock_parameters() {
        assert!(!parameter_exists(&env, &format!("/jwtstack/killed/{parameter}")), "{parameter}");
    }

    // Four runs died in a row: the first holding the lock, the second holding the takeover mark, the third and
    // the fourth each clearing the mark below. The next run clears the marks from the top, takes the lock over
    // and deploys.
    plant_lock(&env, "killed", &hostname(), free_pid(), Some(&pid_space()));
    plant_mark(&env, "/jwtstack/killed/lock-takeover", "fedcba9876543210");
    plant_mark(&env, "/jwtstack/killed/lock-takeover-2", "00112233445566ff");
    plant_mark(&env, "/jwtstack/killed/lock-takeover-3", "0011223344556677");
    let out = env.run(&["deploy"]).ok();
    assert_eq!(out.stderr.matches("cleared its mark").count(), 3, "{}", out.stderr);
    assert!(out.stderr.contains("took it over"), "{}", out.stderr);
    assert!(out.stdout.starts_with("Deployed"), "{}", out.stdout);
    for parameter in lock_parameters() {
        assert!(!parameter_exists(&env, &format!("/jwtstack/killed/{parameter}")), "{parameter}");
    }
    env.run(&["plan", "--detailed-exitcode"]).ok();
}
