//! Chooses GSM-7 (data_coding 0) or UCS-2 (data_coding 8, UTF-16BE) for a text and splits
//! long texts into concatenated parts, each led by a UDH with an 8-bit reference (IEI 0x00)
//! and sent with esm_class 0x40.
//!
//! Hand-written rather than `rusmpp-extra`'s multipart builder: that one sizes GSM-7 parts in
//! octets of the unpacked form (134 septets a part, not 153) and its UCS-2 encoder refuses
//! characters outside the Basic Multilingual Plane, so an emoji would fail the whole send.

use serde::Serialize;

use crate::error::SmsError;
use crate::gsm7;

/// Septets in a single GSM-7 message: 140 octets hold 160 septets.
pub const GSM7_SINGLE_SEPTETS: usize = 160;
/// Septets in each part of a concatenated GSM-7 message: the 6-octet UDH plus one fill bit
/// take 7 septets of the 160.
pub const GSM7_PART_SEPTETS: usize = 153;
/// UTF-16 code units in a single UCS-2 message: 140 octets.
pub const UCS2_SINGLE_UNITS: usize = 70;
/// UTF-16 code units in each part of a concatenated UCS-2 message: 134 octets after the UDH.
pub const UCS2_PART_UNITS: usize = 67;
/// Length of the concatenation UDH: UDHL, IEI, IEDL, reference, total, sequence.
pub const CONCAT_UDH_LEN: usize = 6;
/// Information element "concatenated short messages, 8-bit reference number".
pub const IEI_CONCAT_8BIT: u8 = 0x00;
/// esm_class with the UDH indicator set (GSM features bit 6).
pub const ESM_CLASS_UDHI: u8 = 0x40;
/// esm_class for a plain message in the SMSC's default mode.
pub const ESM_CLASS_DEFAULT: u8 = 0x00;
/// Fill bits after a 6-octet UDH so packed text starts on a septet boundary: 48 bits + 1 = 7 x 7.
const FILL_BITS_AFTER_UDH: usize = 1;
/// The septet TS 23.038 puts in 7 spare trailing bits so they do not read as '@'.
const CR_SEPTET: u8 = 0x0D;

/// How a message's text is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// GSM 03.38 default alphabet, data_coding 0.
    Gsm7,
    /// UCS-2 (sent as UTF-16BE, so characters beyond the BMP survive), data_coding 8.
    Ucs2,
}

impl Encoding {
    /// The SMPP data_coding value.
    pub fn data_coding(self) -> u8 {
        match self {
            Self::Gsm7 => 0x00,
            Self::Ucs2 => 0x08,
        }
    }
}

/// One submit_sm's worth of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The short_message octets, UDH first when the message is concatenated.
    pub short_message: Vec<u8>,
    /// [`ESM_CLASS_UDHI`] for a part of a concatenated message, else [`ESM_CLASS_DEFAULT`].
    pub esm_class: u8,
}

/// A text encoded and split, ready for submit_sm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedText {
    pub encoding: Encoding,
    pub parts: Vec<Part>,
}

/// GSM-7 when every character is in the GSM alphabet, else UCS-2.
pub fn choose_encoding(text: &str) -> Encoding {
    if gsm7::is_gsm7(text) {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

/// Splits GSM text into unpacked septet chunks: one chunk of up to 160 septets, or chunks of up
/// to 153. An escape pair (ESC + code) never straddles two chunks.
pub fn split_gsm7(text: &str) -> Option<Vec<Vec<u8>>> {
    let all = gsm7::encode(text)?;
    if all.len() <= GSM7_SINGLE_SEPTETS {
        return Some(vec![all]);
    }
    let mut chunks = Vec::new();
    let mut current = Vec::with_capacity(GSM7_PART_SEPTETS);
    let mut scratch = Vec::with_capacity(2);
    for ch in text.chars() {
        scratch.clear();
        gsm7::push_char(ch, &mut scratch);
        if current.len() + scratch.len() > GSM7_PART_SEPTETS {
            chunks.push(std::mem::take(&mut current));
        }
        current.extend_from_slice(&scratch);
    }
    chunks.push(current);
    Some(chunks)
}

/// Splits text into UTF-16 chunks: one of up to 70 code units, or chunks of up to 67. A
/// surrogate pair (a character beyond the BMP, such as an emoji) never straddles two chunks.
pub fn split_ucs2(text: &str) -> Vec<Vec<u16>> {
    let total: usize = text.chars().map(char::len_utf16).sum();
    if total <= UCS2_SINGLE_UNITS {
        return vec![text.encode_utf16().collect()];
    }
    let mut chunks = Vec::new();
    let mut current: Vec<u16> = Vec::with_capacity(UCS2_PART_UNITS);
    let mut buf = [0u16; 2];
    for ch in text.chars() {
        let units = ch.encode_utf16(&mut buf);
        if current.len() + units.len() > UCS2_PART_UNITS {
            chunks.push(std::mem::take(&mut current));
        }
        current.extend_from_slice(units);
    }
    chunks.push(current);
    chunks
}

/// The concatenation UDH for part `seq` (1-based) of `total`.
pub fn concat_udh(reference: u8, total: u8, seq: u8) -> [u8; CONCAT_UDH_LEN] {
    [0x05, IEI_CONCAT_8BIT, 0x03, reference, total, seq]
}

/// Encodes `text` and splits it into parts. `reference` ties the parts of one message together
/// on the handset; `packed` packs GSM-7 eight septets to seven octets (most SMSCs want one
/// septet per octet and pack themselves); at most `max_parts` parts.
pub fn encode_text(
    text: &str,
    reference: u8,
    packed: bool,
    max_parts: u8,
) -> Result<EncodedText, SmsError> {
    if text.is_empty() {
        return Err(SmsError::EmptyText);
    }
    let encoding = choose_encoding(text);
    let bodies: Vec<Vec<u8>> = match encoding {
        Encoding::Gsm7 => split_gsm7(text).unwrap_or_default(),
        Encoding::Ucs2 => split_ucs2(text)
            .into_iter()
            .map(|units| units.iter().flat_map(|u| u.to_be_bytes()).collect())
            .collect(),
    };
    let total = bodies.len();
    let total_u8 =
        u8::try_from(total)
            .ok()
            .filter(|&t| t <= max_parts)
            .ok_or(SmsError::TooLong {
                parts: total,
                max: max_parts,
            })?;
    let concatenated = total > 1;
    let parts = bodies
        .into_iter()
        .zip(1..=total_u8)
        .map(|(body, seq)| {
            let mut short_message = Vec::with_capacity(CONCAT_UDH_LEN + body.len());
            if concatenated {
                short_message.extend_from_slice(&concat_udh(reference, total_u8, seq));
            }
            if packed && encoding == Encoding::Gsm7 {
                let fill = if concatenated { FILL_BITS_AFTER_UDH } else { 0 };
                short_message.extend(pack_with_padding(body, fill));
            } else {
                short_message.extend(body);
            }
            Part {
                short_message,
                esm_class: if concatenated {
                    ESM_CLASS_UDHI
                } else {
                    ESM_CLASS_DEFAULT
                },
            }
        })
        .collect();
    Ok(EncodedText { encoding, parts })
}

/// Packs septets; when exactly 7 bits of the last octet would be spare, fills them with CR so
/// the handset does not show a trailing '@' (TS 23.038 6.1.2.3.1).
fn pack_with_padding(mut septets: Vec<u8>, fill_bits: usize) -> Vec<u8> {
    if (fill_bits + 7 * septets.len()) % 8 == 1 {
        septets.push(CR_SEPTET);
    }
    gsm7::pack(&septets, fill_bits)
}

#[cfg(test)]
#[path = "parts_tests.rs"]
mod tests;
