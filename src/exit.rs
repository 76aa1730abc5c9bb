//! Exit codes: the one place they are defined. `--help` lists them from [`CODES`]; the README documents them
//! and the tests assert them.

/// Success; for `plan --detailed-exitcode`, also "no changes".
pub const OK: u8 = 0;
/// A runtime failure: AWS, network, I/O, a conflict in AWS, or a token that could not be decided on.
pub const FAILURE: u8 = 1;
/// `plan --detailed-exitcode`: changes are pending.
pub const CHANGES: u8 = 2;
/// `verify`: the token was denied.
pub const DENIED: u8 = 3;
/// `rotate activate`/`finish`: the step is not safe yet (a cached JWKS or a live token could break); nothing
/// was changed. Run it again from the time printed, or pass `--force`.
pub const NOT_YET: u8 = 4;
/// `probe` (and `deploy`'s probe): the live gateway did not answer as API Gateway's JWT authorizer must.
pub const PROBE_FAILED: u8 = 5;
/// Interrupted (Ctrl-C): the step in flight finished, later ones did not start. Run the command again.
pub const INTERRUPTED: u8 = 130;
/// Usage error: bad flags or arguments, or a confirmation that was needed and not given.
pub const USAGE: u8 = 64;
/// The stack file is missing, unreadable or invalid. Nothing was sent to AWS.
pub const INVALID_STACK: u8 = 65;

/// Every exit code with its meaning in a few words, in ascending order.
pub const CODES: &[(u8, &str)] = &[
    (OK, "success (no changes)"),
    (FAILURE, "runtime failure"),
    (CHANGES, "changes pending (plan --detailed-exitcode)"),
    (DENIED, "token denied (verify)"),
    (NOT_YET, "rotation step not safe yet (rotate)"),
    (PROBE_FAILED, "the live gateway misbehaves (probe)"),
    (USAGE, "usage error"),
    (INVALID_STACK, "invalid stack file"),
    (INTERRUPTED, "interrupted (Ctrl-C)"),
];

/// "Exit codes: 0 success (no changes), 1 runtime failure, ..." for `--help`.
pub fn summary() -> String {
    let codes: Vec<String> = CODES.iter().map(|(c, what)| format!("{c} {what}")).collect();
    format!("Exit codes: {}.", codes.join(", "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_listed_once_in_order() {
        let codes: Vec<u8> = super::CODES.iter().map(|(c, _)| *c).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
        assert_eq!(codes.len(), 9);
    }
}
