//! The command-level error: every domain error, the exit code each maps to, and its hint. `output` renders it.

use crate::exit;
use jwtstack_aws::AwsError;
use jwtstack_aws::apply::ApplyError;
use jwtstack_aws::converge::ConvergeError;
use jwtstack_aws::lock::LockError;
use jwtstack_core::config::ConfigError;
use jwtstack_core::plan::{Conflict, KeyDeleteRefused};
use jwtstack_core::rotation::RotateError;
use jwtstack_serve::ServeError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("{0}\n  nothing was changed; resolve the conflict and run deploy again")]
    Conflict(#[from] Conflict),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Locked(#[from] LockError),
    #[error("interrupted after {done} of {total} steps; run the command again to finish")]
    Interrupted { done: usize, total: usize },
    #[error("{0}\n  nothing was changed")]
    Rotate(#[from] RotateError),
    #[error("{0}")]
    Failure(String),
}

impl From<ApplyError> for Error {
    fn from(e: ApplyError) -> Error {
        match e {
            ApplyError::Step { step, total, source } => {
                let mut source = source;
                source.context = format!("step {step} of {total}: {}", source.context);
                Error::Aws(source)
            }
            ApplyError::Interrupted { done, total } => Error::Interrupted { done, total },
        }
    }
}

impl From<ConvergeError> for Error {
    fn from(e: ConvergeError) -> Error {
        match e {
            ConvergeError::Aws(e) => Error::Aws(e),
            ConvergeError::Conflict(e) => Error::Conflict(e),
            ConvergeError::KeyDelete(e) => e.into(),
            ConvergeError::Rotate(e) => Error::Rotate(e),
            ConvergeError::Locked(e) => Error::Locked(e),
            ConvergeError::Apply(e) => e.into(),
            ConvergeError::Failure(m) => Error::Failure(m),
        }
    }
}

impl From<ServeError> for Error {
    fn from(e: ServeError) -> Error {
        if e.is_usage() {
            Error::Usage(e.to_string())
        } else {
            Error::Failure(e.to_string())
        }
    }
}

impl From<KeyDeleteRefused> for Error {
    fn from(e: KeyDeleteRefused) -> Error {
        Error::Failure(e.to_string())
    }
}

impl Error {
    /// What to do about it, when there is one thing to say (a stack file's problems carry their own).
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Aws(e) | Error::Locked(LockError::Aws(e)) => e.hint.as_deref(),
            Error::Locked(LockError::Held { .. }) => Some(LockError::HELD_HINT),
            Error::Rotate(RotateError::NotNow(_)) => {
                Some("each step waits out API Gateway's JWKS cache and the longest token: docs/rotation.md#timing")
            }
            Error::Rotate(RotateError::WrongPhase(_)) => Some("the order of the steps: docs/rotation.md#the-steps"),
            Error::Interrupted { .. } => Some(
                "AWS holds the steps that completed: run the same command again to go on (docs/failures.md#a-killed-or-interrupted-run)",
            ),
            _ => None,
        }
    }

    /// The error's kind in `--json` output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config(_) => "invalid_stack",
            Error::Aws(_) => "aws",
            Error::Conflict(_) => "conflict",
            Error::Usage(_) => "usage",
            Error::Locked(_) => "locked",
            Error::Interrupted { .. } => "interrupted",
            Error::Rotate(_) => "rotation",
            Error::Failure(_) => "failure",
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) => exit::INVALID_STACK,
            Error::Usage(_) => exit::USAGE,
            Error::Interrupted { .. } => exit::INTERRUPTED,
            Error::Rotate(RotateError::NotNow(_)) => exit::NOT_YET,
            Error::Rotate(RotateError::WrongPhase(_)) => exit::FAILURE,
            Error::Aws(_) | Error::Conflict(_) | Error::Failure(_) | Error::Locked(_) => exit::FAILURE,
        }
    }
}
