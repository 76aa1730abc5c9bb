//! The token endpoint's Lambda function (`functions/token-endpoint/index.mjs`), by its own tests: the shared
//! cases (`cases.json`, which `jwtstack_core::oauth` is tested against too) and its handler against this
//! test's emulator, through the model-checking proxy, with Node.js and the AWS SDK for JavaScript v3 that the
//! Lambda runtime ships (installed for the tests by scripts/install-test-tools.sh).

use crate::common::{self, Env};

#[test]
fn the_functions_own_tests_pass_against_the_emulator() {
    let env = Env::new();
    let dir = common::root().join("functions/token-endpoint");
    assert!(
        dir.join("node_modules/@aws-sdk/client-ssm/package.json").exists(),
        "the function's test dependencies are missing: run scripts/install-test-tools.sh"
    );
    let out = std::process::Command::new("node")
        .args(["--test", "test/"])
        .current_dir(&dir)
        .env("AWS_ENDPOINT_URL", env.endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // Every test ran: none skipped or left out.
    let count = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("# {key} ")))
            .and_then(|n| n.trim().parse::<u32>().ok())
            .unwrap_or(0)
    };
    assert!(count("pass") >= 37, "{stdout}");
    assert_eq!(
        (count("fail"), count("skipped"), count("todo"), count("cancelled")),
        (0, 0, 0, 0),
        "{stdout}"
    );
}
