//! The virtual keypad (DIAL-4): its keys in phone order, their test hooks, and how a key press
//! edits the number box.

use ringlink_protocol::limits::MAX_NUMBER_INPUT;

/// One key of the keypad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Digit(u8),
    Star,
    Hash,
    Back,
}

/// The twelve dialling keys, in the order a phone shows them.
pub const KEYS: [Key; 12] = [
    Key::Digit(1),
    Key::Digit(2),
    Key::Digit(3),
    Key::Digit(4),
    Key::Digit(5),
    Key::Digit(6),
    Key::Digit(7),
    Key::Digit(8),
    Key::Digit(9),
    Key::Star,
    Key::Digit(0),
    Key::Hash,
];

impl Key {
    /// The key's `data-rl` hook: `key-0`..`key-9`, `key-star`, `key-hash`, `key-back`.
    pub fn hook(self) -> &'static str {
        const DIGITS: [&str; 10] = [
            "key-0", "key-1", "key-2", "key-3", "key-4", "key-5", "key-6", "key-7", "key-8",
            "key-9",
        ];
        match self {
            Key::Digit(d) => DIGITS[usize::from(d % 10)],
            Key::Star => "key-star",
            Key::Hash => "key-hash",
            Key::Back => "key-back",
        }
    }

    /// What the key types.
    pub fn label(self) -> &'static str {
        const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
        match self {
            Key::Digit(d) => DIGITS[usize::from(d % 10)],
            Key::Star => "*",
            Key::Hash => "#",
            Key::Back => "⌫",
        }
    }

    /// The key's accessible name: what it shows, digit and letters ("2 ABC"), so speech input
    /// and screen readers name it as it is seen (#9 §5 keypad).
    pub fn spoken(self) -> &'static str {
        const SPOKEN: [&str; 10] = [
            "0 +", "1", "2 ABC", "3 DEF", "4 GHI", "5 JKL", "6 MNO", "7 PQRS", "8 TUV", "9 WXYZ",
        ];
        match self {
            Key::Digit(d) => SPOKEN[usize::from(d % 10)],
            other => other.label(),
        }
    }

    /// The letters printed under a digit, as on a phone.
    pub fn letters(self) -> &'static str {
        match self {
            Key::Digit(2) => "ABC",
            Key::Digit(3) => "DEF",
            Key::Digit(4) => "GHI",
            Key::Digit(5) => "JKL",
            Key::Digit(6) => "MNO",
            Key::Digit(7) => "PQRS",
            Key::Digit(8) => "TUV",
            Key::Digit(9) => "WXYZ",
            Key::Digit(0) => "+",
            _ => "",
        }
    }
}

/// The number after pressing `key`: keys append at the end, backspace takes the last character
/// off. Typing stops at the protocol's input limit, so the relay never refuses a keypad number
/// for its length.
pub fn press(number: &str, key: Key) -> String {
    let mut next = number.to_owned();
    if key == Key::Back {
        next.pop();
    } else if next.chars().count() < MAX_NUMBER_INPUT {
        next.push_str(key.label());
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_type_and_backspace_erases() {
        // covers DIAL-4: the virtual keypad edits the number to dial
        let typed = [0, 1, 0, 6, 5]
            .into_iter()
            .fold(String::new(), |n, d| press(&n, Key::Digit(d)));
        assert_eq!(typed, "01065");
        assert_eq!(press(&typed, Key::Back), "0106");
        assert_eq!(press("", Key::Back), "");
        assert_eq!(press("12", Key::Star), "12*");
        assert_eq!(press("12*", Key::Hash), "12*#");
        assert_eq!(press("+86 ", Key::Digit(1)), "+86 1", "typed text is kept");
    }

    #[test]
    fn typing_stops_at_the_input_limit() {
        // covers DIAL-4
        let full = "1".repeat(MAX_NUMBER_INPUT);
        assert_eq!(press(&full, Key::Digit(2)), full);
        assert_eq!(press(&full, Key::Back).len(), MAX_NUMBER_INPUT - 1);
    }

    #[test]
    fn keys_are_named_as_they_are_shown() {
        // covers #9 §5 keypad: the accessible name holds the digit and the letters shown
        for k in KEYS {
            let shown = format!("{} {}", k.label(), k.letters());
            assert_eq!(k.spoken(), shown.trim(), "{k:?}");
        }
        assert_eq!(Key::Digit(2).spoken(), "2 ABC");
    }

    #[test]
    fn every_key_has_its_own_hook() {
        // covers DIAL-4: the hooks the end-to-end test presses
        let mut hooks: Vec<&str> = KEYS.iter().map(|k| k.hook()).collect();
        hooks.push(Key::Back.hook());
        for d in 0..10 {
            assert!(hooks.contains(&format!("key-{d}").as_str()));
        }
        hooks.sort();
        hooks.dedup();
        assert_eq!(hooks.len(), 13);
        assert_eq!(Key::Star.hook(), "key-star");
        assert_eq!(Key::Hash.hook(), "key-hash");
        assert_eq!(Key::Back.hook(), "key-back");
    }
}
