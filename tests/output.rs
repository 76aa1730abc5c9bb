//! What the commands print, through the binary: counts that agree (`destroy` is teardown), one JSON document
//! under `--json` (errors included), no colours on a pipe, man pages for every subcommand, and a quiet end
//! when the reader of stdout goes away.

use crate::common;

use std::process::Stdio;

use common::{Env, json, jwtstack_in, stack_yaml};

const BUCKET: &str = "newcomer-issuer-test";

#[test]
fn destroy_is_teardown_and_counts_agree() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let deploy = env.run(&["deploy"]).ok();
    // The summary, the plan and the progress lines count the same lines.
    let created: usize = deploy
        .stdout
        .split("Deployed `grocery`: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("summary line");
    let progress: Vec<&str> = deploy.stderr.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(progress.len(), created, "{}", deploy.stderr);
    assert!(
        progress.last().unwrap().starts_with(&format!("[{created}/{created}] ")),
        "{progress:?}"
    );
    let plan_lines = deploy.stderr.lines().filter(|l| l.starts_with("  + ")).count();
    assert_eq!(plan_lines, created, "{}", deploy.stderr);

    let down = env.run(&["destroy", "--yes"]).ok();
    let deleted = down.stderr.lines().filter(|l| l.starts_with("  - ")).count();
    assert!(
        down.stdout.contains(&format!("Removed {deleted} resource(s) of stack `grocery`")),
        "{}\n{}",
        down.stdout,
        down.stderr
    );
    let progress = down.stderr.lines().filter(|l| l.starts_with('[')).count();
    assert_eq!(progress, deleted, "{}", down.stderr);
    env.run(&["plan"]).ok();
}

#[test]
fn json_mode_prints_one_document_errors_included() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    env.run(&["deploy"]).ok();

    let token = json(&env.run(&["token", "--sub", "alice", "--scope", "lists.read", "--json"]).ok().stdout);
    assert_eq!(token["kid"], "grocery-k1");
    assert_eq!(token["subject"], "alice");
    assert_eq!(token["scopes"], serde_json::json!(["lists.read"]));
    let lifetime = token["expires_at"].as_u64().unwrap() - token["issued_at"].as_u64().unwrap();
    assert_eq!(lifetime, 900);
    let jwt = token["token"].as_str().unwrap();
    let verdict = json(&env.run(&["verify", jwt, "--route", "GET /lists", "--json"]).ok().stdout);
    assert_eq!(verdict["allowed"], true);

    // A stack-file error: every problem with its position.
    env.write_stack("name: Grocery\naudiance: [x]\n");
    let bad = env.run(&["plan", "--json"]).code(65);
    let e = json(&bad.stdout);
    assert_eq!(e["error"]["kind"], "invalid_stack");
    assert_eq!(e["error"]["exit_code"], 65);
    let problems = e["error"]["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    assert!(
        problems
            .iter()
            .all(|p| p["line"].as_u64().unwrap() >= 1 && p["file"] == "stack.yaml")
    );
    assert!(bad.stderr.starts_with("error: stack.yaml:"), "{}", bad.stderr);

    // An AWS error: kind, message and hint.
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let unreachable = env.run_via("http://127.0.0.1:9", &["plan", "--json"]).code(1);
    let e = json(&unreachable.stdout);
    assert_eq!(e["error"]["kind"], "aws");
    assert!(e["error"]["hint"].as_str().unwrap().contains("--endpoint-url"), "{e}");
    assert!(!unreachable.stdout.contains("DispatchFailure"), "{}", unreachable.stdout);

    // A usage error.
    let usage = env.run(&["teardown", "--json"]).code(64);
    assert_eq!(json(&usage.stdout)["error"]["kind"], "usage");
}

#[test]
fn logs_on_a_pipe_carry_no_colours() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    for args in [&["plan", "-vv"][..], &["plan", "-vv", "--no-color"][..]] {
        let out = env.run(args).ok();
        assert!(out.stderr.contains("AWS call"), "{}", out.stderr);
        assert!(
            !out.stderr.contains('\x1b'),
            "ANSI escapes on a pipe: {:?}",
            &out.stderr[..200.min(out.stderr.len())]
        );
    }
}

#[test]
fn man_pages_exist_for_every_page_the_main_one_names() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = jwtstack_in(dir.path()).args(["man", "--dir"]).arg(&pages).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let main = std::fs::read_to_string(pages.join("jwtstack.1")).unwrap();
    let named: Vec<String> = main
        .split_whitespace()
        .filter_map(|w| w.strip_suffix("(1)"))
        .map(|w| w.replace("\\-", "-"))
        .collect();
    assert!(named.len() >= 15, "{named:?}");
    for page in named {
        assert!(pages.join(format!("{page}.1")).exists(), "{page}.1 is named but not written");
    }
    assert!(pages.join("jwtstack-rotate-start.1").exists());
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("stack.yaml"),
        stack_yaml("grocery", "hardening-issuer-test", "name: grocery-api", None),
    )
    .unwrap();
    for args in [
        &["validate"][..],
        &["schema"][..],
        &["schema", "--output"][..],
        &["completions", "bash"][..],
        &["man"][..],
    ] {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("jwtstack"));
        common::isolate_std(&mut c, dir.path());
        let mut child = c
            .current_dir(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader closes at once, as `| head -0` or `| grep -q` do.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        assert!(stderr.is_empty(), "{args:?} said something on a broken pipe: {stderr}");
        assert_eq!(out.status.code(), Some(141), "{args:?}");
    }
    // With a reader, the same commands succeed.
    let out = jwtstack_in(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let dir = tempfile::tempdir().unwrap();
    let out = jwtstack_in(dir.path()).arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = String::from_utf8(out.stdout).unwrap();
    let commit = v
        .strip_prefix(concat!("jwtstack ", env!("CARGO_PKG_VERSION"), " (commit "))
        .and_then(|r| r.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{v}"));
    // From a checkout, its HEAD (what the suite was built from); else "unknown".
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    assert_eq!(commit, head.as_deref().unwrap_or("unknown"), "{v}");
}

#[test]
fn plan_markdown_is_one_table_row_per_change_for_a_job_summary() {
    let env = Env::new();
    env.write_stack(&stack_yaml("grocery", BUCKET, "name: grocery-api", None));
    let changes = json(&env.run(&["plan", "--json"]).ok().stdout)["changes"].as_array().unwrap().len();
    let md = env.run(&["plan", "--markdown", "--detailed-exitcode"]).code(2);
    let lines: Vec<&str> = md.stdout.lines().collect();
    assert_eq!(lines[0], "### jwtstack plan: grocery in us-east-1", "{}", md.stdout);
    assert!(
        lines[2].starts_with(&format!("**{changes} to create, 0 to update")),
        "{}",
        md.stdout
    );
    assert_eq!(lines[4], "| change | resource | name | what changes |");
    let rows: Vec<&str> = lines.iter().copied().filter(|l| l.starts_with("| create |")).collect();
    assert_eq!(rows.len(), changes, "{}", md.stdout);
    // `$default` would open GitHub's maths, a `|` in a value would end its cell: both are escaped.
    assert!(md.stdout.contains("| create | apigw_stage | \\$default |"), "{}", md.stdout);
    assert!(!md.stdout.contains('\x1b'));

    env.run(&["deploy"]).ok();
    let again = env.run(&["plan", "--markdown", "--detailed-exitcode"]).ok();
    assert_eq!(
        again.stdout,
        "### jwtstack plan: grocery in us-east-1\n\nNo changes: AWS matches the stack.\n"
    );
    let both = env.run(&["plan", "--markdown", "--json"]).code(64);
    assert!(both.stderr.contains("--markdown") || both.stdout.contains("--markdown"), "{both:?}");
}
