//! The command-level error: every domain error, and the exit code each maps to.

use crate::apply::ApplyError;
use crate::aws::AwsError;
use crate::config::ConfigError;
use crate::exit;
use crate::lock::LockError;
use crate::plan::Conflict;
use crate::rotation::RotateError;

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

impl Error {
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
