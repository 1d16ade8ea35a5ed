//! The GSM 03.38 (3GPP TS 23.038) 7-bit default alphabet: which characters it holds, their
//! septets (extension-table characters take two: ESC then the code), and septet packing with
//! the fill bits that align text after a UDH.

/// The escape septet that introduces an extension-table character.
pub const ESCAPE: u8 = 0x1B;

/// Stands in for the escape position in [`BASIC`]; never matched because lookups skip 0x1B.
const NO_CHAR: char = '\u{FFFF}';

/// The basic table, indexed by septet.
#[rustfmt::skip]
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', NO_CHAR, 'Æ', 'æ', 'ß', 'É',
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
];

/// The extension table: (code after ESC, character).
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// One character in septets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Septets {
    /// A basic-table character: one septet.
    One(u8),
    /// An extension-table character: ESC then this code, two septets that must stay together.
    Escaped(u8),
}

impl Septets {
    /// How many septets the character takes.
    pub fn len(self) -> usize {
        match self {
            Self::One(_) => 1,
            Self::Escaped(_) => 2,
        }
    }

    /// Always false: every character takes at least one septet.
    pub fn is_empty(self) -> bool {
        false
    }

    fn push_to(self, out: &mut Vec<u8>) {
        match self {
            Self::One(code) => out.push(code),
            Self::Escaped(code) => out.extend_from_slice(&[ESCAPE, code]),
        }
    }
}

/// The septets of `ch`, or `None` when the GSM alphabet lacks it.
pub fn char_septets(ch: char) -> Option<Septets> {
    if ch == NO_CHAR {
        return None;
    }
    if let Some(code) = BASIC.iter().position(|&c| c == ch) {
        return u8::try_from(code).ok().map(Septets::One);
    }
    EXTENSION
        .iter()
        .find(|&&(_, c)| c == ch)
        .map(|&(code, _)| Septets::Escaped(code))
}

/// Whether every character of `text` is in the GSM alphabet (basic or extension table).
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|ch| char_septets(ch).is_some())
}

/// The number of septets `text` takes, or `None` when it is not all GSM.
pub fn septet_len(text: &str) -> Option<usize> {
    text.chars()
        .map(|ch| char_septets(ch).map(Septets::len))
        .sum()
}

/// `text` as unpacked septets (one per octet), or `None` when it is not all GSM.
pub fn encode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        char_septets(ch)?.push_to(&mut out);
    }
    Some(out)
}

/// Appends the septets of `ch` (known to be GSM) to `out`.
pub(crate) fn push_char(ch: char, out: &mut Vec<u8>) -> bool {
    match char_septets(ch) {
        Some(septets) => {
            septets.push_to(out);
            true
        }
        None => false,
    }
}

/// Unpacked septets back to text. An ESC before an unknown code reads as the basic-table
/// character of that code, as TS 23.038 tells a receiver to do.
pub fn decode(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut iter = septets.iter().map(|s| s & 0x7F);
    while let Some(code) = iter.next() {
        if code == ESCAPE {
            let Some(next) = iter.next() else { break };
            let ext = EXTENSION
                .iter()
                .find(|&&(c, _)| c == next)
                .map(|&(_, ch)| ch);
            out.push(ext.unwrap_or(BASIC[usize::from(next)]));
        } else {
            out.push(BASIC[usize::from(code)]);
        }
    }
    out
}

/// Packs septets eight to seven octets, least significant bit first, after `fill_bits` zero
/// bits (the padding that puts the first septet on a septet boundary after a UDH).
pub fn pack(septets: &[u8], fill_bits: usize) -> Vec<u8> {
    let total_bits = fill_bits + 7 * septets.len();
    let mut out = vec![0u8; total_bits.div_ceil(8)];
    for (i, &septet) in septets.iter().enumerate() {
        let bit = fill_bits + 7 * i;
        let value = u16::from(septet & 0x7F) << (bit % 8);
        out[bit / 8] |= (value & 0xFF) as u8;
        if value > 0xFF {
            out[bit / 8 + 1] |= (value >> 8) as u8;
        }
    }
    out
}

/// Unpacks `count` septets from packed octets that start with `fill_bits` padding bits.
pub fn unpack(packed: &[u8], fill_bits: usize, count: usize) -> Vec<u8> {
    (0..count)
        .map(|i| {
            let bit = fill_bits + 7 * i;
            let low = u16::from(packed.get(bit / 8).copied().unwrap_or(0));
            let high = u16::from(packed.get(bit / 8 + 1).copied().unwrap_or(0));
            ((((high << 8) | low) >> (bit % 8)) & 0x7F) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_detection() {
        // covers INBOX-5: temporary passwords and codes go out as GSM-7 when they can
        assert!(is_gsm7("Your Ringlink code is 482913"));
        assert!(is_gsm7("Prix: 5€ @ café ÄÖÜ ß {x} [y] ~|^\\"));
        assert!(!is_gsm7("验证码 482913"));
        assert!(!is_gsm7("emoji 😀"));
        // Looks Latin but is not in the table: ç lower case, á, ê.
        assert!(!is_gsm7("ç"));
        assert!(!is_gsm7("á"));
        assert!(!is_gsm7("ê"));
        // The escape slot and the placeholder are never characters.
        assert!(!is_gsm7("\u{1B}"));
        assert!(!is_gsm7("\u{FFFF}"));
    }

    #[test]
    fn escapes_take_two_septets() {
        assert_eq!(char_septets('A'), Some(Septets::One(0x41)));
        assert_eq!(char_septets('@'), Some(Septets::One(0x00)));
        assert_eq!(char_septets('€'), Some(Septets::Escaped(0x65)));
        assert_eq!(char_septets('{'), Some(Septets::Escaped(0x28)));
        assert_eq!(septet_len("a€b"), Some(4));
        assert_eq!(septet_len("[]"), Some(4));
        assert_eq!(septet_len("中"), None);
        assert_eq!(encode("€5"), Some(vec![0x1B, 0x65, 0x35]));
        assert_eq!(encode("$_"), Some(vec![0x02, 0x11]));
    }

    #[test]
    fn encode_decode_round_trip() {
        let text = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà\u{0C}^{}\\[~]|€";
        let septets = encode(text).expect("all GSM");
        assert!(septets.iter().all(|&s| s < 0x80));
        assert_eq!(decode(&septets), text);
        // An unknown escape falls back to the basic character.
        assert_eq!(decode(&[ESCAPE, 0x41]), "A");
    }

    #[test]
    fn packing_matches_the_spec_example() {
        // TS 23.038 / the classic PDU example: "hellohello" -> E8329BFD4697D9EC37.
        let septets = encode("hellohello").expect("gsm");
        let packed = pack(&septets, 0);
        assert_eq!(
            packed,
            vec![0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
        );
        assert_eq!(unpack(&packed, 0, septets.len()), septets);
    }

    #[test]
    fn packing_sizes_and_fill_bits() {
        let septets = vec![0x7F; 160];
        assert_eq!(pack(&septets, 0).len(), 140, "160 septets fill 140 octets");
        // After a 6-octet UDH, one fill bit puts 153 septets in the remaining 134 octets.
        let septets = encode(&"x".repeat(153)).expect("gsm");
        let packed = pack(&septets, 1);
        assert_eq!(packed.len(), 134);
        assert_eq!(packed[0] & 1, 0, "the fill bit is zero");
        assert_eq!(unpack(&packed, 1, 153), septets);
        for fill in 0..7 {
            let septets: Vec<u8> = (0..=0x7F).collect();
            assert_eq!(
                unpack(&pack(&septets, fill), fill, 128),
                septets,
                "fill {fill}"
            );
        }
    }
}
