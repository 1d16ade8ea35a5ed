//! Reconnect timing: the delay doubles from 1 s up to 30 s, with jitter so a relay restart is
//! not met by every open widget in the same instant.

/// The first retry comes after about a second: a blip should be invisible to the visitor.
pub const MIN_DELAY_MS: u32 = 1_000;
/// Never wait longer than 30 s: a visitor on the page should not wait long once the relay is back.
pub const MAX_DELAY_MS: u32 = 30_000;

/// The delay before reconnect attempt `attempt` (0 for the first retry). `random` in [0, 1)
/// picks a point between half and all of the doubled delay ("equal jitter"); the result always
/// stays within 1 s..30 s.
pub fn delay_ms(attempt: u32, random: f64) -> u32 {
    let ceiling = MIN_DELAY_MS
        .saturating_mul(1u32 << attempt.min(5))
        .min(MAX_DELAY_MS);
    let half = f64::from(ceiling) / 2.0;
    let delay = half + half * random.clamp(0.0, 1.0);
    (delay as u32).clamp(MIN_DELAY_MS, MAX_DELAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_between_one_and_thirty_seconds() {
        // covers DIAL-3: the widget keeps trying so presence comes back on its own
        for attempt in 0..64 {
            for random in [0.0, 0.25, 0.5, 0.999, 1.0, -3.0, 7.0] {
                let d = delay_ms(attempt, random);
                assert!(
                    (MIN_DELAY_MS..=MAX_DELAY_MS).contains(&d),
                    "{attempt} {random}: {d}"
                );
            }
        }
    }

    #[test]
    fn delays_grow_then_cap_with_jitter() {
        assert_eq!(delay_ms(0, 0.0), 1_000);
        assert_eq!(delay_ms(1, 0.0), 1_000);
        assert_eq!(delay_ms(1, 1.0), 2_000);
        assert_eq!(delay_ms(3, 0.0), 4_000);
        assert_eq!(delay_ms(3, 1.0), 8_000);
        assert_eq!(delay_ms(10, 0.0), 15_000);
        assert_eq!(delay_ms(10, 1.0), 30_000);
        assert!(
            delay_ms(4, 0.1) < delay_ms(4, 0.9),
            "jitter spreads the retries"
        );
    }
}
