//! Delivery receipts: the SMSC's deliver_sm text (`id:... sub:... stat:DELIVRD err:...`, SMPP
//! 3.4 appendix B) parsed into a [`DeliveryReport`] the relay can match to a sent message.

use ringlink_protocol::E164;
use serde::Serialize;

/// The esm_class message-type bits (2-5) of a deliver_sm.
pub const ESM_MESSAGE_TYPE_MASK: u8 = 0x3C;
/// Message type "MC delivery receipt".
pub const ESM_DELIVERY_RECEIPT: u8 = 0x04;
/// Message type "intermediate delivery notification".
pub const ESM_INTERMEDIATE_NOTIFICATION: u8 = 0x20;

/// Where a message got to, from the receipt's `stat:` word.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// `DELIVRD`: on the handset.
    Delivered,
    /// `UNDELIV`: the network gave up (unknown or barred subscriber, for example).
    Failed,
    /// `EXPIRED`: the validity period ran out before the handset was reached.
    Expired,
    /// `REJECTD`: the SMSC or network refused it.
    Rejected,
    /// `DELETED`: deleted at the SMSC.
    Deleted,
    /// `ACCEPTD`: accepted on the subscriber's behalf (an intermediate state).
    Accepted,
    /// `ENROUTE`: still on its way (an intermediate notification).
    Enroute,
    /// `UNKNOWN` or a word this parser does not know (kept, upper-cased).
    Unknown(String),
}

impl DeliveryState {
    /// Reads a `stat:` word; case does not matter.
    pub fn from_stat(word: &str) -> Self {
        match word.to_ascii_uppercase().as_str() {
            "DELIVRD" | "DELIVERED" => Self::Delivered,
            "UNDELIV" | "UNDELIVERABLE" => Self::Failed,
            "EXPIRED" => Self::Expired,
            "REJECTD" | "REJECTED" => Self::Rejected,
            "DELETED" => Self::Deleted,
            "ACCEPTD" | "ACCEPTED" => Self::Accepted,
            "ENROUTE" => Self::Enroute,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// Reads the message_state TLV (SMPP 3.4 section 5.3.2.35), for receipts that carry their
    /// outcome in TLVs instead of (or with an empty) text.
    pub fn from_message_state(value: u8) -> Self {
        match value {
            1 => Self::Enroute,
            2 => Self::Delivered,
            3 => Self::Expired,
            4 => Self::Deleted,
            5 => Self::Failed,
            6 => Self::Accepted,
            8 => Self::Rejected,
            other => Self::Unknown(format!("MESSAGE_STATE_{other}")),
        }
    }

    /// Whether no later report will follow for this message.
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::Accepted | Self::Enroute | Self::Unknown(_))
    }
}

/// A delivery receipt for one part of a sent message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// The SMSC message id, as the submit_sm_resp gave it (and as in [`crate::SmsReceipt`]).
    pub message_id: String,
    /// The number the message went to, when known (from the send, else from the receipt).
    pub to: Option<E164>,
    pub state: DeliveryState,
    /// The receipt's `err:` code, when present (network specific).
    pub error_code: Option<String>,
    /// When the gateway received the report.
    pub at_unix_ms: u64,
}

/// The fields of a receipt text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptText {
    pub id: String,
    pub state: DeliveryState,
    pub error_code: Option<String>,
}

/// Parses a delivery receipt text. Field names are matched without regard to case; `id:` and
/// `stat:` are required, `err:` optional; anything after `text:` is ignored (it echoes the
/// start of the message, which may hold a code).
pub fn parse_receipt_text(text: &str) -> Option<ReceiptText> {
    let head = match find_ci(text, "text:") {
        Some(at) => &text[..at],
        None => text,
    };
    let id = field(head, "id:")?;
    let state = DeliveryState::from_stat(&field(head, "stat:")?);
    let error_code = field(head, "err:");
    Some(ReceiptText {
        id,
        state,
        error_code,
    })
}

/// The value after `name` (which must start the text or follow whitespace), up to whitespace.
fn field(text: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(rel) = find_ci(&text[from..], name) {
        let at = from + rel;
        let starts_word = text[..at]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        if starts_word {
            let rest = &text[at + name.len()..];
            let value: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            return (!value.is_empty()).then_some(value);
        }
        from = at + name.len();
    }
    None
}

/// Byte offset of `needle` (ASCII) in `haystack`, ignoring ASCII case.
fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?)
        .find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n) && haystack.is_char_boundary(i))
}

/// Spellings of a message id to try when matching a receipt to a send: some SMSCs answer
/// submit_sm in hexadecimal and write receipts in decimal, or the other way round.
pub fn id_variants(id: &str) -> Vec<String> {
    let mut out = vec![id.to_owned()];
    if id.len() <= 16 {
        if let Ok(n) = id.parse::<u64>() {
            out.push(format!("{n:x}"));
            out.push(format!("{n:X}"));
        }
        if let Ok(n) = u64::from_str_radix(id, 16) {
            out.push(n.to_string());
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_appendix_b_format() {
        // covers CALL-3: the relay learns that the verification code reached the handset
        let text = "id:0123456789 sub:001 dlvrd:001 submit date:2611231640 done date:2611231641 stat:DELIVRD err:000 text:Your code is 4829";
        let parsed = parse_receipt_text(text).expect("parses");
        assert_eq!(parsed.id, "0123456789");
        assert_eq!(parsed.state, DeliveryState::Delivered);
        assert_eq!(parsed.error_code.as_deref(), Some("000"));
        assert!(parsed.state.is_final());
    }

    #[test]
    fn states_and_case() {
        let parsed =
            parse_receipt_text("ID:abc SUB:001 STAT:undeliv ERR:005 Text:").expect("parses");
        assert_eq!(parsed.id, "abc");
        assert_eq!(parsed.state, DeliveryState::Failed);
        assert_eq!(DeliveryState::from_stat("EXPIRED"), DeliveryState::Expired);
        assert_eq!(DeliveryState::from_stat("REJECTD"), DeliveryState::Rejected);
        assert_eq!(DeliveryState::from_stat("DELETED"), DeliveryState::Deleted);
        assert_eq!(DeliveryState::from_stat("ACCEPTD"), DeliveryState::Accepted);
        assert_eq!(DeliveryState::from_stat("ENROUTE"), DeliveryState::Enroute);
        assert_eq!(
            DeliveryState::from_stat("weird"),
            DeliveryState::Unknown("WEIRD".into())
        );
        assert!(!DeliveryState::Enroute.is_final());
        assert_eq!(
            DeliveryState::from_message_state(2),
            DeliveryState::Delivered
        );
        assert_eq!(DeliveryState::from_message_state(5), DeliveryState::Failed);
        assert_eq!(
            DeliveryState::from_message_state(9),
            DeliveryState::Unknown("MESSAGE_STATE_9".into())
        );
    }

    #[test]
    fn the_echoed_text_cannot_fake_fields() {
        // The message echo after text: may contain "stat:" or "id:"; only the head counts.
        let text = "id:77 stat:UNDELIV err:001 text:id:99 stat:DELIVRD";
        let parsed = parse_receipt_text(text).expect("parses");
        assert_eq!(parsed.id, "77");
        assert_eq!(parsed.state, DeliveryState::Failed);
        // "submit date:" does not satisfy "id:"-like lookups inside other words.
        let text = "xid:1 id:2 stat:DELIVRD";
        assert_eq!(parse_receipt_text(text).expect("parses").id, "2");
    }

    #[test]
    fn rejects_what_is_not_a_receipt() {
        assert_eq!(parse_receipt_text("hello there"), None);
        assert_eq!(parse_receipt_text("id: stat:DELIVRD"), None);
        assert_eq!(parse_receipt_text("id:5 sub:001"), None);
        assert_eq!(parse_receipt_text(""), None);
        assert_eq!(
            parse_receipt_text("验证 id:1 stat:DELIVRD")
                .expect("parses")
                .id,
            "1"
        );
    }

    #[test]
    fn id_spellings() {
        assert_eq!(id_variants("255"), vec!["255", "ff", "FF", "597"]);
        assert_eq!(id_variants("ff"), vec!["ff", "255"]);
        assert_eq!(id_variants("m1"), vec!["m1"]);
    }
}
