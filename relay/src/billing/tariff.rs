//! Tariffs: the price of a destination prefix (connect fee, rate per minute, billing increments),
//! the charge for a call of N seconds and its inverse, the seconds an amount pays for.
//!
//! The rules, in the order they apply to a call bridged for `s` seconds:
//! - `s = 0` costs nothing: a call that never connected (or connected for no time) is free.
//! - Otherwise the billable time is the first increment, then whole next increments:
//!   `60/60` bills per started minute, `1/1` per second, `30/6` a first half minute then 6 s steps.
//! - The price is `connect_fee + ceil(per_minute * billable_seconds / 60)`: the per-minute rate is
//!   prorated over the billable seconds and rounded up to a whole minor unit once, on the total.
//!
//! [`Tariff::seconds_for`] is the exact inverse: the largest `s` whose charge fits an amount,
//! so `charge(seconds_for(a)) <= a` and `charge(seconds_for(a) + 1) > a` (below the
//! [`MAX_CALL_SECONDS`] ceiling).

use std::fmt;
use std::str::FromStr;

/// The longest a CALL may run, paid or not: a line left open by mistake costs the trunk and the
/// payer, and four hours is far beyond any customer-service call. No amount pays for more, so a
/// free tariff still ends.
pub const MAX_CALL_SECONDS: u64 = 4 * 3600;

/// Caps on a tariff's figures so the arithmetic can never overflow (`i128` inside, `i64` out)
/// and a typo (an extra zero or three) is refused: 1,000,000 minor units is 10,000 CNY.
pub const MAX_PRICE: i64 = 1_000_000;

/// The largest billing increment accepted, in seconds (one hour).
pub const MAX_INCREMENT: u64 = 3600;

/// Why a tariff figure was refused. The message says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    #[error("increments '{0}' must be FIRST/NEXT in whole seconds, each 1 to {MAX_INCREMENT}, for example 60/60, 1/1 or 30/6")]
    BadIncrements(String),
    #[error(
        "prefix '{0}' must be + and 1 to 15 digits, not starting with 0, for example +86 or +86138"
    )]
    BadPrefix(String),
    #[error("{what} must be between 0 and {MAX_PRICE} minor units (fen), not {value}")]
    BadPrice { what: &'static str, value: i64 },
}

/// Billing increments: the first billed block and each block after it, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Increments {
    pub first: u64,
    pub next: u64,
}

impl Increments {
    pub fn new(first: u64, next: u64) -> Result<Self, TariffError> {
        let ok = |n: u64| (1..=MAX_INCREMENT).contains(&n);
        if ok(first) && ok(next) {
            Ok(Self { first, next })
        } else {
            Err(TariffError::BadIncrements(format!("{first}/{next}")))
        }
    }

    /// The seconds billed for a call of `seconds`: 0, or the first increment plus whole next
    /// increments covering the rest.
    pub fn billable(&self, seconds: u64) -> u64 {
        if seconds == 0 {
            0
        } else if seconds <= self.first {
            self.first
        } else {
            (seconds - self.first)
                .div_ceil(self.next)
                .saturating_mul(self.next)
                .saturating_add(self.first)
        }
    }
}

impl FromStr for Increments {
    type Err = TariffError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TariffError::BadIncrements(s.chars().take(32).collect());
        let (first, next) = s.trim().split_once('/').ok_or_else(bad)?;
        let num = |t: &str| {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            t.parse::<u64>().map_err(|_| bad())
        };
        Self::new(num(first)?, num(next)?).map_err(|_| bad())
    }
}

impl fmt::Display for Increments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.first, self.next)
    }
}

/// The price of calls to numbers starting with `prefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tariff {
    pub prefix: String,
    /// Charged once when the call is bridged (minor units).
    pub connect_fee: i64,
    /// Minor units per minute of billable time.
    pub per_minute: i64,
    pub increments: Increments,
}

/// Checks a destination prefix: `+` and 1 to 15 digits, no leading zero.
pub fn check_prefix(prefix: &str) -> Result<(), TariffError> {
    let digits = prefix
        .strip_prefix('+')
        .ok_or_else(|| TariffError::BadPrefix(prefix.chars().take(32).collect()))?;
    let ok = (1..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(TariffError::BadPrefix(prefix.chars().take(32).collect()))
    }
}

impl Tariff {
    /// A checked tariff.
    pub fn new(
        prefix: &str,
        connect_fee: i64,
        per_minute: i64,
        increments: Increments,
    ) -> Result<Self, TariffError> {
        check_prefix(prefix)?;
        for (what, value) in [
            ("the connect fee", connect_fee),
            ("the rate per minute", per_minute),
        ] {
            if !(0..=MAX_PRICE).contains(&value) {
                return Err(TariffError::BadPrice { what, value });
            }
        }
        Increments::new(increments.first, increments.next)?;
        Ok(Self {
            prefix: prefix.into(),
            connect_fee,
            per_minute,
            increments,
        })
    }

    /// The charge for a call bridged for `seconds` (minor units). 0 seconds costs nothing.
    pub fn charge(&self, seconds: u64) -> i64 {
        let billable = self.increments.billable(seconds);
        if billable == 0 {
            return 0;
        }
        let rated = (i128::from(self.per_minute) * i128::from(billable) + 59) / 60;
        i64::try_from(i128::from(self.connect_fee) + rated).unwrap_or(i64::MAX)
    }

    /// The exact number of seconds `amount` pays for: the largest `s <= MAX_CALL_SECONDS` with
    /// `charge(s) <= amount`. 0 when the amount does not cover the first increment.
    pub fn seconds_for(&self, amount: i64) -> u64 {
        let after_connect = i128::from(amount) - i128::from(self.connect_fee);
        if after_connect < 0 {
            return 0;
        }
        if self.per_minute == 0 {
            return MAX_CALL_SECONDS;
        }
        // ceil(pm * b / 60) <= a  <=>  pm * b <= 60 * a  <=>  b <= floor(60 * a / pm)
        let max_billable = after_connect * 60 / i128::from(self.per_minute);
        let first = i128::from(self.increments.first);
        if max_billable < first {
            return 0;
        }
        let next = i128::from(self.increments.next);
        let seconds = first + (max_billable - first) / next * next;
        u64::try_from(seconds)
            .unwrap_or(u64::MAX)
            .min(MAX_CALL_SECONDS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tariff(connect: i64, per_minute: i64, inc: &str) -> Tariff {
        Tariff::new("+86", connect, per_minute, inc.parse().unwrap()).unwrap()
    }

    // covers CALL-7
    #[test]
    fn sixty_sixty_bills_started_minutes() {
        let t = tariff(10, 12, "60/60");
        let cases = [
            (0, 0),
            (1, 22),
            (59, 22),
            (60, 22),
            (61, 34),
            (120, 34),
            (121, 46),
        ];
        for (s, want) in cases {
            assert_eq!(t.charge(s), want, "60/60 at {s} s");
        }
    }

    // covers CALL-7
    #[test]
    fn one_one_bills_per_second_rounding_the_total_up() {
        // 12 fen a minute is 0.2 fen a second: 1-5 s cost 1 fen, 6-10 s 2 fen.
        let t = tariff(10, 12, "1/1");
        let cases = [
            (0, 0),
            (1, 11),
            (5, 11),
            (6, 12),
            (59, 22),
            (60, 22),
            (61, 23),
        ];
        for (s, want) in cases {
            assert_eq!(t.charge(s), want, "1/1 at {s} s");
        }
        let even = tariff(0, 60, "1/1");
        for s in [0u64, 1, 59, 60, 61] {
            assert_eq!(even.charge(s), s as i64, "one fen a second at {s} s");
        }
    }

    // covers CALL-7
    #[test]
    fn thirty_six_bills_half_a_minute_then_six_second_steps() {
        let t = tariff(10, 60, "30/6");
        let cases = [
            (0, 0),
            (1, 40),
            (29, 40),
            (30, 40),
            (31, 46),
            (36, 46),
            (37, 52),
            (59, 70),
            (60, 70),
            (61, 76),
        ];
        for (s, want) in cases {
            assert_eq!(t.charge(s), want, "30/6 at {s} s");
        }
    }

    // covers CALL-7
    #[test]
    fn connect_fee_is_charged_once_and_only_when_bridged() {
        let t = tariff(25, 0, "60/60");
        assert_eq!(t.charge(0), 0);
        assert_eq!(t.charge(1), 25);
        assert_eq!(t.charge(3600), 25);
        let no_fee = tariff(0, 30, "60/60");
        assert_eq!(no_fee.charge(1), 30);
        assert_eq!(no_fee.charge(61), 60);
    }

    /// The inverse, by brute force: the largest s whose charge fits.
    fn brute_seconds_for(t: &Tariff, amount: i64) -> u64 {
        (0..=MAX_CALL_SECONDS)
            .take_while(|&s| t.charge(s) <= amount)
            .last()
            .unwrap_or(0)
    }

    // covers CALL-7
    #[test]
    fn seconds_for_is_the_exact_inverse_of_charge_for_every_amount() {
        let tariffs = [
            tariff(10, 12, "60/60"),
            tariff(10, 12, "1/1"),
            tariff(10, 60, "30/6"),
            tariff(0, 7, "30/6"),
            tariff(3, 90, "1/1"),
            tariff(0, 1, "60/60"),
            tariff(5, 13, "6/6"),
        ];
        for t in &tariffs {
            for amount in 0..=400 {
                let s = t.seconds_for(amount);
                assert_eq!(s, brute_seconds_for(t, amount), "{t:?} amount {amount}");
                assert!(t.charge(s) <= amount);
                // What an amount pays for is exactly what the charge for those seconds is.
                if s > 0 {
                    assert_eq!(t.seconds_for(t.charge(s)), s, "{t:?} amount {amount}");
                }
            }
        }
    }

    // covers CALL-7
    #[test]
    fn seconds_for_edges() {
        let t = tariff(10, 12, "60/60");
        assert_eq!(t.seconds_for(-5), 0);
        assert_eq!(t.seconds_for(0), 0);
        assert_eq!(t.seconds_for(21), 0, "one short of the first minute");
        assert_eq!(t.seconds_for(22), 60);
        assert_eq!(t.seconds_for(33), 60);
        assert_eq!(t.seconds_for(34), 120);
        let secs = tariff(0, 60, "1/1");
        assert_eq!(secs.seconds_for(61), 61);
        let free = tariff(0, 0, "60/60");
        assert_eq!(
            free.seconds_for(0),
            MAX_CALL_SECONDS,
            "free calls still end"
        );
        assert_eq!(
            tariff(MAX_PRICE, MAX_PRICE, "1/1").seconds_for(i64::MAX),
            MAX_CALL_SECONDS
        );
        assert!(tariff(MAX_PRICE, MAX_PRICE, "1/1").charge(u64::MAX) > 0);
    }

    #[test]
    fn increments_parse_and_refuse_nonsense() {
        assert_eq!(
            "60/60".parse(),
            Ok(Increments {
                first: 60,
                next: 60
            })
        );
        assert_eq!("30/6".parse(), Ok(Increments { first: 30, next: 6 }));
        assert_eq!(" 1/1 ".parse(), Ok(Increments { first: 1, next: 1 }));
        for bad in [
            "60/x", "60", "0/60", "60/0", "/", "60/60/60", "-1/1", "+1/1", "4000/1", "",
        ] {
            let e = bad.parse::<Increments>().unwrap_err();
            assert!(e.to_string().contains("FIRST/NEXT"), "{bad}: {e}");
        }
        assert_eq!(Increments { first: 30, next: 6 }.to_string(), "30/6");
    }

    #[test]
    fn tariffs_refuse_bad_prefixes_and_prices() {
        let inc = Increments {
            first: 60,
            next: 60,
        };
        assert!(Tariff::new("+86", 0, 0, inc).is_ok());
        assert!(Tariff::new("+861380013800012", 0, 0, inc).is_ok());
        for bad in ["86", "+", "+0", "+86a", "+8613800138000123"] {
            assert!(Tariff::new(bad, 0, 0, inc).is_err(), "{bad}");
        }
        assert!(Tariff::new("+86", -1, 0, inc).is_err());
        assert!(Tariff::new("+86", 0, MAX_PRICE + 1, inc).is_err());
    }
}
