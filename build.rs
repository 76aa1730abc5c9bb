//! The commit `jwtstack --version` names: `JWTSTACK_COMMIT` when the build sets it (a release built from an
//! archive), else the checkout's `HEAD`, else "unknown" (a crate built outside a checkout).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=JWTSTACK_COMMIT");
    let from_env = std::env::var("JWTSTACK_COMMIT").ok().filter(|c| !c.is_empty());
    let commit = from_env.or_else(head).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=JWTSTACK_COMMIT={commit}");
}

/// The checkout's commit, watched so that a new commit builds a new version string.
fn head() -> Option<String> {
    let out = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let git_dir = Command::new("git").args(["rev-parse", "--git-dir"]).output().ok()?;
    let git_dir = String::from_utf8_lossy(&git_dir.stdout).trim().to_string();
    println!("cargo:rerun-if-changed={git_dir}/HEAD");
    if let Ok(head) = std::fs::read_to_string(format!("{git_dir}/HEAD"))
        && let Some(branch) = head.trim().strip_prefix("ref: ")
    {
        println!("cargo:rerun-if-changed={git_dir}/{branch}");
        println!("cargo:rerun-if-changed={git_dir}/packed-refs");
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
