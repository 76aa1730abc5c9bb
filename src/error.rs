//! The command-level error: every domain error, and the exit code each maps to.

use crate::aws::AwsError;
use crate::config::ConfigError;
use crate::exit;
use crate::plan::Conflict;

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
    #[error("{0}")]
    Failure(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) => exit::INVALID_STACK,
            Error::Usage(_) => exit::USAGE,
            Error::Aws(_) | Error::Conflict(_) | Error::Failure(_) => exit::FAILURE,
        }
    }
}
