//! Why a two-leg call (CALL) ended: one closed list shared by the relay, which records and
//! pushes it, and the widget, which says it in words. Serialized in snake_case
//! (`member_hung_up`, `relay_shutdown`, …); the same names are stored on call records.

use serde::{Deserialize, Serialize};

/// Why a call ended. New reasons may be added; clients read unknown ones as [`Self::Failed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallEndReason {
    /// The member's phone rang out.
    MemberNoAnswer,
    MemberBusy,
    /// The member declined the call to their phone.
    MemberRejected,
    /// The member hung up (on the phone, or with the panel's hang-up button).
    MemberHungUp,
    MerchantNoAnswer,
    MerchantBusy,
    /// The merchant's side refused the call (603, 404, …).
    MerchantRejected,
    MerchantHungUp,
    /// The payer's credit ran out.
    CreditExhausted,
    /// The call reached the longest call allowed.
    MaxDuration,
    /// The SIP trunk refused the relay's credentials: an operator's problem, not the phone's.
    TrunkAuthFailed,
    /// Ended by the relay before anyone hung up (an operator, a lost call control).
    Cancelled,
    /// The relay was restarting or stopping.
    RelayShutdown,
    /// Anything else went wrong (network, SDP, no media).
    Failed,
}

impl CallEndReason {
    pub const ALL: [CallEndReason; 14] = [
        Self::MemberNoAnswer,
        Self::MemberBusy,
        Self::MemberRejected,
        Self::MemberHungUp,
        Self::MerchantNoAnswer,
        Self::MerchantBusy,
        Self::MerchantRejected,
        Self::MerchantHungUp,
        Self::CreditExhausted,
        Self::MaxDuration,
        Self::TrunkAuthFailed,
        Self::Cancelled,
        Self::RelayShutdown,
        Self::Failed,
    ];

    /// The wire name (as serde writes it), also what call records store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MemberNoAnswer => "member_no_answer",
            Self::MemberBusy => "member_busy",
            Self::MemberRejected => "member_rejected",
            Self::MemberHungUp => "member_hung_up",
            Self::MerchantNoAnswer => "merchant_no_answer",
            Self::MerchantBusy => "merchant_busy",
            Self::MerchantRejected => "merchant_rejected",
            Self::MerchantHungUp => "merchant_hung_up",
            Self::CreditExhausted => "credit_exhausted",
            Self::MaxDuration => "max_duration",
            Self::TrunkAuthFailed => "trunk_auth_failed",
            Self::Cancelled => "cancelled",
            Self::RelayShutdown => "relay_shutdown",
            Self::Failed => "failed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Someone simply hung up: nothing to explain beyond "call ended".
    pub fn is_hang_up(self) -> bool {
        matches!(self, Self::MemberHungUp | Self::MerchantHungUp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_serdes_and_parse_back() {
        for r in CallEndReason::ALL {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
            assert_eq!(CallEndReason::parse(r.as_str()), Some(r));
        }
        // The name the relay always sent at a restart; the widget used to look for `shutdown`.
        assert_eq!(CallEndReason::RelayShutdown.as_str(), "relay_shutdown");
        assert_eq!(CallEndReason::parse("shutdown"), None);
    }
}
