//! G.711 µ-law and A-law: sample conversion and the byte-for-byte PCMU<->PCMA transcode the
//! bridge uses when the two legs chose different codecs.

/// The RTP payload types of the two codecs we offer (RFC 3551 static types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    Pcmu,
    Pcma,
}

impl Codec {
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }
    pub fn from_payload_type(pt: u8) -> Option<Self> {
        match pt {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }
    /// The byte a silent sample encodes to.
    pub fn silence(self) -> u8 {
        match self {
            Codec::Pcmu => 0xFF,
            Codec::Pcma => 0xD5,
        }
    }
}

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32635;

/// Decodes one µ-law byte to a 16-bit linear sample.
pub fn ulaw_to_linear(u: u8) -> i16 {
    let u = !u;
    let sign = u & 0x80;
    let exponent = (u >> 4) & 0x07;
    let mantissa = u & 0x0F;
    let magnitude = ((((mantissa as i32) << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

/// Encodes a 16-bit linear sample to µ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut s = sample as i32;
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(ULAW_CLIP) + ULAW_BIAS;
    let exponent = (7 - ((s as u32) << 17).leading_zeros().min(7)) as u8;
    let exponent = exponent.min(7);
    let mantissa = ((s >> (exponent + 3)) & 0x0F) as u8;
    !(sign | (exponent << 4) | mantissa)
}

/// Decodes one A-law byte to a 16-bit linear sample.
pub fn alaw_to_linear(a: u8) -> i16 {
    let a = a ^ 0x55;
    let sign = a & 0x80;
    let exponent = (a >> 4) & 0x07;
    let mantissa = (a & 0x0F) as i32;
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    (if sign != 0 { magnitude } else { -magnitude }) as i16
}

/// Encodes a 16-bit linear sample to A-law.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut s = sample as i32;
    let sign = if s >= 0 {
        0x80
    } else {
        s = -s - 1;
        0
    };
    let s = s.min(32767);
    let encoded = if s < 256 {
        (s >> 4) as u8
    } else {
        let mut exponent = 1u8;
        while exponent < 7 && (s >> (exponent + 8)) > 0 {
            exponent += 1;
        }
        (exponent << 4) | ((s >> (exponent + 3)) & 0x0F) as u8
    };
    (sign | encoded) ^ 0x55
}

/// Lookup tables for the two direct transcodes, built once.
struct Tables {
    u2a: [u8; 256],
    a2u: [u8; 256],
}

fn tables() -> &'static Tables {
    static TABLES: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = Tables {
            u2a: [0; 256],
            a2u: [0; 256],
        };
        for b in 0..=255u8 {
            t.u2a[b as usize] = linear_to_alaw(ulaw_to_linear(b));
            t.a2u[b as usize] = linear_to_ulaw(alaw_to_linear(b));
        }
        t
    })
}

/// Rewrites `payload` in place from codec `from` to codec `to` (no-op when equal).
pub fn transcode(payload: &mut [u8], from: Codec, to: Codec) {
    let table = match (from, to) {
        (Codec::Pcmu, Codec::Pcma) => &tables().u2a,
        (Codec::Pcma, Codec::Pcmu) => &tables().a2u,
        _ => return,
    };
    for b in payload.iter_mut() {
        *b = table[*b as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_known_values() {
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(32767), 0x80);
        assert_eq!(linear_to_ulaw(-32768), 0x00);
    }

    #[test]
    fn alaw_known_values() {
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_alaw(32767), 0xAA);
        assert_eq!(linear_to_alaw(-32768), 0x2A);
    }

    #[test]
    fn every_code_round_trips_through_linear() {
        for b in 0..=255u8 {
            let u = linear_to_ulaw(ulaw_to_linear(b));
            assert_eq!(ulaw_to_linear(u), ulaw_to_linear(b), "ulaw {b:#x}");
            assert_eq!(linear_to_alaw(alaw_to_linear(b)), b, "alaw {b:#x}");
        }
    }

    #[test]
    fn transcode_keeps_the_signal_close() {
        for b in 0..=255u8 {
            let mut p = [b];
            transcode(&mut p, Codec::Pcmu, Codec::Pcma);
            let before = ulaw_to_linear(b) as i32;
            let after = alaw_to_linear(p[0]) as i32;
            // Both laws keep ~4% relative precision; allow that plus the small-signal step.
            assert!(
                (before - after).abs() <= before.abs() / 16 + 16,
                "{b:#x}: {before} vs {after}"
            );
            transcode(&mut p, Codec::Pcma, Codec::Pcmu);
            let back = ulaw_to_linear(p[0]) as i32;
            assert!(
                (before - back).abs() <= before.abs() / 8 + 32,
                "{b:#x}: {before} vs {back}"
            );
        }
        let mut silence = [Codec::Pcmu.silence(); 4];
        transcode(&mut silence, Codec::Pcmu, Codec::Pcma);
        assert_eq!(alaw_to_linear(silence[0]).abs(), 8);
    }
}
