//! Phone agent <-> relay messages, on `GET /v1/agent/ws` with `Authorization: Bearer
//! <device token>` and subprotocol `ringlink.v1`. The agent always dials out; it never needs an
//! inbound port.

use serde::{Deserialize, Serialize};

use crate::call::CallState;
use crate::envelope::Validate;
use crate::error::{check_len, ErrorBody};
use crate::limits::*;
use crate::number::E164;

/// First frame after connecting: who the agent is. Answered by [`Welcome`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Hello {
    /// Shown to the member ("Pixel 8").
    pub name: String,
    /// `at`, `modemmanager`, `command` or `dry-run`.
    pub backend: String,
    /// The agent asks before dialling (DIAL-6).
    pub confirm: bool,
    /// The agent's version, for support.
    pub version: String,
}

/// A call changed state on the handset. Not answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CallUpdate {
    pub call_id: String,
    pub state: CallState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Everything the phone agent sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum AgentMsg {
    Hello(Hello),
    CallUpdate(CallUpdate),
    Ping(crate::widget::Ping),
}

impl Validate for AgentMsg {
    fn validate(&self) -> Result<(), ErrorBody> {
        match self {
            AgentMsg::Hello(h) => {
                check_len("name", &h.name, 1, MAX_DEVICE_NAME)?;
                check_len("backend", &h.backend, 1, MAX_BACKEND_NAME)?;
                check_len("version", &h.version, 1, MAX_ID)
            }
            AgentMsg::CallUpdate(u) => {
                check_len("call_id", &u.call_id, 1, MAX_ID)?;
                match &u.detail {
                    Some(d) => check_len("detail", d, 0, MAX_DETAIL),
                    None => Ok(()),
                }
            }
            AgentMsg::Ping(_) => Ok(()),
        }
    }
}

/// The relay knows this device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Welcome {
    pub device: String,
    pub member: E164,
    /// Send a ping at least this often; the relay drops agents silent for three times as long.
    pub heartbeat_secs: u64,
}

/// Dial this number now (or after asking, with `--confirm` or `confirm`) and report states for
/// `call_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DialOrder {
    pub call_id: String,
    pub number: E164,
    /// The number is outside the relay's usual destinations (another country, an unusual line
    /// class): the agent must ask its owner and dial only on "yes", even without `--confirm`.
    /// Sent only when true, so an agent too old to know the field refuses such orders.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirm: bool,
}

/// The device token was revoked; the agent stops and asks to sign in again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Revoked {
    pub reason: String,
}

/// Everything the relay sends to a phone agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum RelayToAgent {
    Welcome(Welcome),
    Pong(crate::widget::Pong),
    /// Push: dial a number (DIAL-5).
    DialOrder(DialOrder),
    /// Push: this device's token no longer works.
    Revoked(Revoked),
    Error(ErrorBody),
}

impl Validate for RelayToAgent {
    fn validate(&self) -> Result<(), ErrorBody> {
        Ok(())
    }
}
