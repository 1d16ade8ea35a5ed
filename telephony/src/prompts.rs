//! The recorded prompts (raw 8 kHz µ-law, embedded with `include_bytes!`, made by
//! `prompts/make.sh`), and the ringback and credit warning tones generated in code.

use crate::control::Lang;
use crate::g711::linear_to_ulaw;

/// Which prompt to play.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    Connecting,
    MerchantBusy,
    MerchantNoAnswer,
    CallFailed,
    CreditExhausted,
}

macro_rules! prompt_file {
    ($lang:literal, $name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/prompts/",
            $lang,
            "/",
            $name,
            ".ulaw"
        ))
    };
}

impl Prompt {
    /// The prompt's µ-law samples in `lang`.
    pub fn audio(self, lang: Lang) -> &'static [u8] {
        match (lang, self) {
            (Lang::En, Prompt::Connecting) => prompt_file!("en", "connecting"),
            (Lang::En, Prompt::MerchantBusy) => prompt_file!("en", "merchant_busy"),
            (Lang::En, Prompt::MerchantNoAnswer) => prompt_file!("en", "merchant_no_answer"),
            (Lang::En, Prompt::CallFailed) => prompt_file!("en", "call_failed"),
            (Lang::En, Prompt::CreditExhausted) => prompt_file!("en", "credit_exhausted"),
            (Lang::Zh, Prompt::Connecting) => prompt_file!("zh", "connecting"),
            (Lang::Zh, Prompt::MerchantBusy) => prompt_file!("zh", "merchant_busy"),
            (Lang::Zh, Prompt::MerchantNoAnswer) => prompt_file!("zh", "merchant_no_answer"),
            (Lang::Zh, Prompt::CallFailed) => prompt_file!("zh", "call_failed"),
            (Lang::Zh, Prompt::CreditExhausted) => prompt_file!("zh", "credit_exhausted"),
        }
    }
}

/// China ringback: 450 Hz, 1 s on, 4 s off (YD/T 1278).
pub const RINGBACK_HZ: f64 = 450.0;
pub const RINGBACK_ON_MS: u32 = 1000;
pub const RINGBACK_OFF_MS: u32 = 4000;
/// About -10 dBm0: clearly audible, well below clipping.
const RINGBACK_AMPLITUDE: f64 = 6000.0;

/// The payer hears the credit warning tone this long before the credit runs out; the widget
/// shows the same count ("credit runs out in 60 s") and the README says so.
pub const CREDIT_WARNING_SECS: u64 = 60;
/// The warning: two 200 ms beeps 200 ms apart, mixed over the other party's speech.
pub const WARNING_HZ: f64 = 1400.0;
const WARNING_BEEP_MS: u32 = 200;
/// About -20 dBm0: heard over speech without drowning it.
const WARNING_AMPLITUDE: f64 = 2000.0;

/// The credit warning tone as µ-law samples (600 ms), built once.
pub fn credit_warning_tone() -> &'static [u8] {
    static TONE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    TONE.get_or_init(|| {
        let beep = (WARNING_BEEP_MS * 8) as usize;
        (0..beep * 3)
            .map(|i| {
                let s = if i < beep || i >= 2 * beep {
                    let t = i as f64 / 8000.0;
                    WARNING_AMPLITUDE * (2.0 * std::f64::consts::PI * WARNING_HZ * t).sin()
                } else {
                    0.0
                };
                linear_to_ulaw(s as i16)
            })
            .collect()
    })
}

/// One full ringback cadence (5 s) as µ-law samples, built once.
pub fn ringback_cycle() -> &'static [u8] {
    static CYCLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    CYCLE.get_or_init(|| {
        let on = (RINGBACK_ON_MS * 8) as usize;
        let total = ((RINGBACK_ON_MS + RINGBACK_OFF_MS) * 8) as usize;
        (0..total)
            .map(|i| {
                let s = if i < on {
                    let t = i as f64 / 8000.0;
                    RINGBACK_AMPLITUDE * (2.0 * std::f64::consts::PI * RINGBACK_HZ * t).sin()
                } else {
                    0.0
                };
                linear_to_ulaw(s as i16)
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_exists_and_is_short() {
        for lang in [Lang::Zh, Lang::En] {
            for p in [
                Prompt::Connecting,
                Prompt::MerchantBusy,
                Prompt::MerchantNoAnswer,
                Prompt::CallFailed,
                Prompt::CreditExhausted,
            ] {
                let len = p.audio(lang).len();
                assert!(
                    (4_000..=34_000).contains(&len),
                    "{lang:?} {p:?}: {len} bytes"
                );
            }
        }
    }

    #[test]
    fn warning_tone_is_short_and_quieter_than_ringback() {
        let t = credit_warning_tone();
        assert_eq!(t.len(), 4_800);
        let peak = t
            .iter()
            .map(|&b| crate::g711::ulaw_to_linear(b).unsigned_abs())
            .max();
        assert!(peak.is_some_and(|p| (1500..=2200).contains(&p)), "{peak:?}");
    }

    #[test]
    fn ringback_is_one_second_of_tone_then_silence() {
        let c = ringback_cycle();
        assert_eq!(c.len(), 40_000);
        assert!(c[..8000]
            .iter()
            .any(|&b| crate::g711::ulaw_to_linear(b).abs() > 5000));
        assert!(c[8000..]
            .iter()
            .all(|&b| crate::g711::ulaw_to_linear(b) == 0));
    }
}
