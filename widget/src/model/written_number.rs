//! Phone numbers as people write them (#9 §5): national format for the relay's default region
//! (`010 6552 9988`, `138 0013 8000`), international otherwise (`+1 415 555 0100`), never raw
//! E.164. A small formatter for the regions the relay allows out of the box (China, plus plain
//! grouping for the rest) instead of libphonenumber, whose metadata alone would triple the wasm.
//! Also the `tel:` address of a number, for the native link that stays one tap away.

/// Country code of the relay's default region (`default_region = "CN"`): its numbers are shown
/// in national format, as people there write them. Others keep their `+` and country code.
pub const HOME_COUNTRY: &str = "86";

/// Longest run of digits a phone number has (E.164: 15); longer text is not a number and is
/// shown as it was written.
const MAX_DIGITS: usize = 15;

/// Country codes of two digits (ITU-T E.164 list); `1` and `7` are the one-digit ones, every
/// other code has three digits. Enough to split the country code off for display.
const TWO_DIGIT_CODES: &[&str] = &[
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// A number read from what a page or the relay wrote: its digits, and whether they start with
/// a country code (`+`, `00`) or are national (the default region's).
struct Read {
    digits: String,
    international: bool,
}

fn read(text: &str) -> Option<Read> {
    let text = text.trim();
    let text = text.strip_prefix("tel:").unwrap_or(text);
    let mut digits = String::new();
    for c in text.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            '+' if digits.is_empty() => {}
            _ => return None,
        }
    }
    if digits.is_empty() || digits.len() > MAX_DIGITS + 2 {
        return None;
    }
    if text.starts_with('+') {
        return Some(Read {
            digits,
            international: true,
        });
    }
    match digits.strip_prefix("00") {
        Some(rest) if !rest.is_empty() => Some(Read {
            digits: rest.to_owned(),
            international: true,
        }),
        _ => Some(Read {
            digits,
            international: false,
        }),
    }
}

/// `number` (E.164, or as a page wrote it) as people write it; text that is not a phone number
/// comes back trimmed, as it was.
pub fn written(number: &str) -> String {
    let Some(n) = read(number) else {
        return number.trim().to_owned();
    };
    let d = n.digits.as_bytes();
    if !n.international {
        return national(d.strip_prefix(b"0").unwrap_or(d));
    }
    let (cc, rest) = split_country(d);
    if cc == HOME_COUNTRY.as_bytes() {
        return national(rest);
    }
    let mut out = String::from("+");
    out.push_str(&text(cc));
    if !rest.is_empty() {
        out.push(' ');
        out.push_str(&if cc == b"1" {
            groups(rest, &[3, 3])
        } else {
            from_right(rest)
        });
    }
    out
}

/// The `tel:` address for the native link: `tel:+8610…` when the number is international or
/// in the default region, else the digits as written.
pub fn tel_href(number: &str) -> String {
    let mut out = String::from("tel:");
    match read(number) {
        Some(n) => {
            if n.international {
                out.push('+');
            }
            out.push_str(&n.digits);
        }
        None => out.push_str(number.trim()),
    }
    out
}

// Digits are handled as bytes: string slicing would pull the panic path that prints strings
// with their Unicode escapes, about 5 KB of wasm for nothing.

/// ASCII digits back to text.
fn text(digits: &[u8]) -> String {
    digits.iter().map(|&b| char::from(b)).collect()
}

fn split_country(d: &[u8]) -> (&[u8], &[u8]) {
    let two = d.get(..2).unwrap_or_default();
    let len = match d.first() {
        Some(b'1' | b'7') => 1,
        _ if TWO_DIGIT_CODES.iter().any(|c| c.as_bytes() == two) => 2,
        _ => 3,
    };
    d.split_at(len.min(d.len()))
}

/// A number of the default region (China) without its trunk `0`, written nationally: mobiles
/// `138 0013 8000`, 400/800 service numbers `400 123 4567`, fixed lines with their area code
/// (`010 6552 9988`, `0510 8766 1123`, `0771 234 5678`). Anything else: the digits, as dialled.
fn national(d: &[u8]) -> String {
    let len = d.len();
    if len == 11 && d.starts_with(b"1") {
        return groups(d, &[3, 4]);
    }
    if len == 10 && (d.starts_with(b"400") || d.starts_with(b"800")) {
        return groups(d, &[3, 3]);
    }
    // Beijing (10) and 20–29 have two-digit area codes; the others three.
    let beijing = d.starts_with(b"10");
    let area = if beijing || d.starts_with(b"2") { 2 } else { 3 };
    let subscriber = len.saturating_sub(area);
    if ((7..=8).contains(&subscriber) && !d.starts_with(b"1")) || (beijing && subscriber == 8) {
        let (a, s) = d.split_at(area);
        let head = if subscriber == 8 { 4 } else { 3 };
        let mut out = String::from("0");
        out.push_str(&text(a));
        out.push(' ');
        out.push_str(&groups(s, &[head]));
        return out;
    }
    if len <= 6 {
        // Short service numbers (95555, 12345) are dialled as they are.
        return text(d);
    }
    let mut out = String::from("0");
    out.push_str(&from_right(d));
    out
}

/// `digits` cut after each width in `widths`; the rest is the last group.
fn groups(digits: &[u8], widths: &[usize]) -> String {
    let mut out = String::with_capacity(digits.len() + widths.len());
    let mut rest = digits;
    for &w in widths {
        if rest.len() <= w {
            break;
        }
        let (head, tail) = rest.split_at(w);
        out.push_str(&text(head));
        out.push(' ');
        rest = tail;
    }
    out.push_str(&text(rest));
    out
}

/// Groups of four from the right (`20 7946 0958`), for regions this formatter has no plan of.
fn from_right(digits: &[u8]) -> String {
    let len = digits.len();
    let head = match len % 4 {
        0 => len.min(4),
        r => r,
    };
    let mut widths = [4usize; MAX_DIGITS / 4 + 1];
    widths[0] = head;
    let groups_needed = 1 + (len - head).div_ceil(4).saturating_sub(1);
    groups(digits, &widths[..groups_needed.min(widths.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_numbers_read_nationally() {
        // covers #9 §5 numbers: national format for the default region, never raw E.164
        assert_eq!(written("+861065529988"), "010 6552 9988");
        assert_eq!(written("+8613800138000"), "138 0013 8000");
        assert_eq!(written("+86 10 6552 9988"), "010 6552 9988");
        assert_eq!(written("01065529988"), "010 6552 9988");
        assert_eq!(written("010-6552-9988"), "010 6552 9988");
        assert_eq!(written("13900139000"), "139 0013 9000");
        assert_eq!(written("tel:+8651087661123"), "0510 8766 1123");
        assert_eq!(written("+862012345678"), "020 1234 5678");
        assert_eq!(written("+867712345678"), "0771 234 5678");
        assert_eq!(written("+864001234567"), "400 123 4567");
        assert_eq!(written("008613800138000"), "138 0013 8000");
        assert_eq!(written("95555"), "95555");
    }

    #[test]
    fn other_regions_keep_their_country_code() {
        // covers #9 §5 numbers: international format outside the default region
        assert_eq!(written("+14155550100"), "+1 415 555 0100");
        assert_eq!(written("+442079460958"), "+44 20 7946 0958");
        assert_eq!(written("+85221234567"), "+852 2123 4567");
        assert_eq!(written("+81312345678"), "+81 3 1234 5678");
    }

    #[test]
    fn no_e164_survives() {
        // covers #9 §5 numbers: whatever the relay or the page wrote, no `+86…` run of digits
        for e164 in [
            "+8613800138000",
            "+861065529988",
            "+8651087661123",
            "+14155550100",
        ] {
            let shown = written(e164);
            assert_ne!(shown, e164);
            assert!(shown.contains(' '), "{shown}");
        }
    }

    #[test]
    fn text_that_is_not_a_number_is_left_alone() {
        assert_eq!(written("  Front desk "), "Front desk");
        assert_eq!(written("*123#"), "*123#");
        assert_eq!(written(""), "");
    }

    #[test]
    fn the_native_link_dials_the_same_number() {
        // covers #9 §3 and §4: the number stays one tap away from dialling natively
        assert_eq!(tel_href("+86 10 6552 9988"), "tel:+861065529988");
        assert_eq!(tel_href("010 6552 9988"), "tel:01065529988");
        assert_eq!(tel_href("tel:+8613900139000"), "tel:+8613900139000");
        assert_eq!(tel_href("0086 139 0013 9000"), "tel:+8613900139000");
    }
}
