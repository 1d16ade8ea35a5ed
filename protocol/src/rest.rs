//! REST bodies for the phone agent's sign-in (DIAL-1) and pairing. Errors are
//! [`crate::ErrorBody`] with a matching HTTP status.
//!
//! - `POST /v1/agent/login`: [`AgentLogin`] -> [`DeviceGrant`]
//! - `POST /v1/agent/pair`: [`PairStart`] -> [`PairStarted`]
//! - `POST /v1/agent/pair/poll`: [`PairPoll`] -> [`PairStatus`]

use serde::{Deserialize, Serialize};

use crate::error::{check_len, ErrorBody};
use crate::limits::*;
use crate::number::E164;
use crate::secret::Secret;

/// Sign a handset in with the member's number and password.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentLogin {
    pub number: String,
    pub password: Secret,
    pub device_name: String,
}

impl AgentLogin {
    pub fn validate(&self) -> Result<(), ErrorBody> {
        check_len("number", &self.number, 1, MAX_NUMBER_INPUT)?;
        check_len("password", self.password.expose(), 1, MAX_PASSWORD)?;
        check_len("device_name", &self.device_name, 1, MAX_DEVICE_NAME)
    }
}

/// A device token: store it with 0600 permissions and send it as `Authorization: Bearer`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceGrant {
    pub device: String,
    pub device_token: Secret,
    pub member: E164,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Start pairing without a password: the relay returns a code to show the owner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PairStart {
    pub device_name: String,
}

impl PairStart {
    pub fn validate(&self) -> Result<(), ErrorBody> {
        check_len("device_name", &self.device_name, 1, MAX_DEVICE_NAME)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PairStarted {
    /// Print this; the member types it into the widget.
    pub code: String,
    /// Keep this secret; poll with it.
    pub poll_secret: Secret,
    /// Unix seconds.
    pub expires_at: i64,
    /// Poll no more often than this.
    pub poll_interval_secs: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PairPoll {
    pub poll_secret: Secret,
}

impl PairPoll {
    pub fn validate(&self) -> Result<(), ErrorBody> {
        check_len("poll_secret", self.poll_secret.expose(), 1, MAX_TOKEN)
    }
}

/// Where a pairing stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PairStatus {
    /// Not confirmed yet: poll again.
    Pending,
    /// Confirmed by the member: here is the device token (returned once).
    Confirmed(DeviceGrant),
}
