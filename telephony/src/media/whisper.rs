//! A whisper: a short clip (the credit warning tone) mixed into the audio one leg receives,
//! so that leg hears it over the other party's speech instead of in place of it. G.711 samples
//! are decoded, added with saturation and encoded again; the other leg's audio is untouched.

use crate::g711::{alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear, Codec};

/// The rest of one clip being mixed in, sample by sample.
pub(super) struct Whisper {
    clip: &'static [u8],
    pos: usize,
}

fn decode(codec: Codec, b: u8) -> i16 {
    match codec {
        Codec::Pcmu => ulaw_to_linear(b),
        Codec::Pcma => alaw_to_linear(b),
    }
}

fn encode(codec: Codec, s: i16) -> u8 {
    match codec {
        Codec::Pcmu => linear_to_ulaw(s),
        Codec::Pcma => linear_to_alaw(s),
    }
}

impl Whisper {
    /// `clip` is 8 kHz µ-law.
    pub fn new(clip: &'static [u8]) -> Self {
        Self { clip, pos: 0 }
    }

    pub fn is_done(&self) -> bool {
        self.pos >= self.clip.len()
    }

    /// Adds the next `payload.len()` samples of the clip to `payload` (encoded in `codec`).
    pub fn mix_into(&mut self, payload: &mut [u8], codec: Codec) {
        for b in payload.iter_mut() {
            let Some(&w) = self.clip.get(self.pos) else {
                return;
            };
            self.pos += 1;
            let sum = i32::from(decode(codec, *b)) + i32::from(ulaw_to_linear(w));
            *b = encode(
                codec,
                sum.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixing_adds_the_clip_to_the_speech_and_then_stops() {
        static CLIP: [u8; 4] = [0x9F, 0x9F, 0x9F, 0x9F]; // µ-law of about +1,000
        let tone = i32::from(ulaw_to_linear(0x9F));
        let speech = linear_to_alaw(-3000);
        let mut payload = [speech; 6];
        let mut w = Whisper::new(&CLIP);
        w.mix_into(&mut payload, Codec::Pcma);
        assert!(w.is_done());
        for &b in &payload[..4] {
            let got = i32::from(alaw_to_linear(b));
            let want = i32::from(alaw_to_linear(speech)) + tone;
            assert!((got - want).abs() < 130, "{got} vs {want}");
        }
        // Past the clip's end the speech goes through as it was.
        assert_eq!(&payload[4..], &[speech, speech]);
    }
}
