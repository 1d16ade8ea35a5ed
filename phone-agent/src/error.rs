//! The agent's top-level error: what a command can fail with, each saying what to do next.

use crate::credentials::CredentialsError;
use crate::dialer::DialError;
use crate::relay_api::RelayError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error(transparent)]
    Relay(#[from] RelayError),
    #[error(transparent)]
    Dial(#[from] DialError),
    /// The relay refused the device token (a 401 with its own body naming a revoked or expired
    /// token) or sent `revoked`: retrying cannot help.
    #[error("this device was signed out ({0}); sign in again with `ringlink-agent login`")]
    SignedOut(String),
}
