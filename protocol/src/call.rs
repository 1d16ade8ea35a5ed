//! Call states: what the phone agent reports while its handset dials, and what the widget shows.

use serde::{Deserialize, Serialize};

use crate::number::E164;

/// The life of one dial instruction on the member's handset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// The relay accepted the intent and sent it to the phone agent.
    Sent,
    /// The agent is asking its owner to confirm (DIAL-6, `--confirm`).
    Confirming,
    /// The handset is dialling.
    Dialing,
    /// The far end is ringing.
    Ringing,
    /// The call is connected.
    Active,
    /// The call ended normally.
    Ended,
    /// The call could not be placed or was cut (busy, no carrier, agent gone).
    Failed,
    /// The phone's owner declined the dial at the confirm prompt: nothing was dialled.
    Declined,
}

impl CallState {
    /// The wire name (as serde writes it): `sent`, `dialing`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Confirming => "confirming",
            Self::Dialing => "dialing",
            Self::Ringing => "ringing",
            Self::Active => "active",
            Self::Ended => "ended",
            Self::Failed => "failed",
            Self::Declined => "declined",
        }
    }

    /// No further state follows.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Ended | Self::Failed | Self::Declined)
    }
}

/// One state change of one call, as the widget receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CallEvent {
    pub call_id: String,
    pub number: E164,
    /// The device placing the call.
    pub device: String,
    pub state: CallState,
    /// A detail for people: "BUSY", "declined on the phone", "phone agent disconnected".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Per-member sequence number, increasing; a reconnecting widget can tell what it missed.
    pub seq: u64,
    /// Unix seconds.
    pub at: i64,
}
