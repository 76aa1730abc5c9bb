//! Exit codes: the one place they are defined. Documented in the README and asserted by tests.

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
/// Interrupted (Ctrl-C): the step in flight finished, later ones did not start. Run the command again.
pub const INTERRUPTED: u8 = 130;
/// Usage error: bad flags or arguments, or a confirmation that was needed and not given.
pub const USAGE: u8 = 64;
/// The stack file is missing, unreadable or invalid. Nothing was sent to AWS.
pub const INVALID_STACK: u8 = 65;
