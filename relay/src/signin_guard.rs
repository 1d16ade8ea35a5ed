//! Who may try a password now. A sign-in takes its slots before the password is checked, in one
//! step per limit, so parallel attempts cannot all pass a check made before any failure is
//! counted. Three limits:
//! - per (number, address): a handful of failures, then that address waits out the window for
//!   that number. An attacker at X never locks the owner at Y out.
//! - per number: a growing delay (1 s, 2 s, 4 s … capped) once failures come from more than
//!   one address's worth, instead of a hard lock: many addresses together still guess slowly,
//!   and the owner waits seconds, not 15 minutes.
//! - per address: a high limit across numbers, against spraying many numbers from one place,
//!   high enough that one attacker behind a carrier NAT does not lock everyone out on a few
//!   failed sign-ins.
//!
//! Kept in this process's memory, per relay: a password guess costs no money and sends no SMS,
//! and a sign-in must not wait on a database write per try. Behind a load balancer each relay
//! counts on its own, so N relays let a guesser try up to N times as fast (limits that guard
//! money or SMS are shared across relays, in [`crate::store::counters`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ringlink_protocol::E164;

use crate::throttle::{Throttle, MAX_KEYS};

/// Failures allowed per (number, address) in a window: enough for typos, too few to guess.
pub const FAILURES_PER_NUMBER_AT_ADDRESS: u32 = 5;
/// Failures per client address across all numbers in a window. Twenty members behind one NAT
/// mistyping now and then stay far below it; spraying 20 numbers at the pair limit reaches it.
pub const FAILURES_PER_ADDRESS: u32 = 100;
/// Failures per number, from any addresses, before each attempt waits. Twice the pair limit, so
/// one address alone (which the pair limit stops at 5) never slows the owner down.
pub const FREE_FAILURES_PER_NUMBER: u32 = 2 * FAILURES_PER_NUMBER_AT_ADDRESS;
/// The first delay past the free failures; it doubles with each further failure.
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The delay stops growing here: at most one guess a minute for a number, from anywhere, while
/// the owner waits at most a minute.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// Failures are forgotten this long after they were counted.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The slots one attempt holds; hand it back with [`SignInGuard::succeeded`],
/// [`SignInGuard::failed`] or [`SignInGuard::abandoned`].
#[must_use]
pub struct Slot {
    pair: String,
    address: String,
    number: String,
}

pub struct SignInGuard {
    per_pair: Throttle,
    per_address: Throttle,
    per_number: Backoff,
}

impl Default for SignInGuard {
    fn default() -> Self {
        Self::with_cap(MAX_KEYS)
    }
}

impl SignInGuard {
    /// A guard whose maps hold at most `cap` keys each.
    pub fn with_cap(cap: usize) -> Self {
        Self {
            per_pair: Throttle::new(FAILURES_PER_NUMBER_AT_ADDRESS, FAILURE_WINDOW).with_cap(cap),
            per_address: Throttle::new(FAILURES_PER_ADDRESS, FAILURE_WINDOW).with_cap(cap),
            per_number: Backoff::new(cap),
        }
    }

    /// Takes a slot in every limit at once, or none: `Err(seconds to wait)`.
    pub fn reserve(&self, number: &E164, address: &str) -> Result<Slot, u64> {
        let slot = Slot {
            pair: format!("{number}|{address}"),
            address: address.to_owned(),
            number: number.as_str().to_owned(),
        };
        self.per_pair.hit(&slot.pair)?;
        if let Err(secs) = self.per_address.hit(&slot.address) {
            self.per_pair.refund(&slot.pair);
            return Err(secs);
        }
        if let Err(secs) = self.per_number.reserve(&slot.number) {
            self.per_pair.refund(&slot.pair);
            self.per_address.refund(&slot.address);
            return Err(secs);
        }
        Ok(slot)
    }

    /// The right password: this pair's and number's failures are forgotten, and the address
    /// gets its slot back (members behind one NAT who sign in fine never use it up).
    pub fn succeeded(&self, slot: Slot) {
        self.per_pair.clear(&slot.pair);
        self.per_address.refund(&slot.address);
        self.per_number.clear(&slot.number);
    }

    /// A wrong password: the slots stay taken until the window ends, and the number's delay
    /// runs from now (argon2 took a while since the slot was taken).
    pub fn failed(&self, slot: Slot) {
        self.per_number.failed(&slot.number);
        metrics::counter!("ringlink_signin_failures_total").increment(1);
    }

    /// The password was never checked (the relay was busy, the database failed): every slot
    /// is handed back.
    pub fn abandoned(&self, slot: Slot) {
        self.per_pair.refund(&slot.pair);
        self.per_address.refund(&slot.address);
        self.per_number.refund(&slot.number);
    }

    /// Keys tracked by each map: (pairs, addresses, numbers).
    pub fn tracked(&self) -> (usize, usize, usize) {
        (
            self.per_pair.len(),
            self.per_address.len(),
            self.per_number.len(),
        )
    }
}

/// Per number: attempts not followed by a success, and when the next one may start.
struct Backoff {
    cap: usize,
    numbers: Mutex<HashMap<String, Attempts>>,
}

#[derive(Clone, Copy)]
struct Attempts {
    count: u32,
    next_allowed: Instant,
    last: Instant,
}

impl Backoff {
    fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            numbers: Mutex::new(HashMap::new()),
        }
    }

    fn delay(past_free: u32) -> Duration {
        let doublings = past_free.saturating_sub(1).min(16);
        (FIRST_DELAY * 2u32.pow(doublings)).min(MAX_DELAY)
    }

    fn reserve(&self, number: &str) -> Result<(), u64> {
        let mut numbers = self.numbers.lock().expect("backoff lock");
        let now = Instant::now();
        if !numbers.contains_key(number) && numbers.len() >= self.cap {
            numbers.retain(|_, a| now.duration_since(a.last) < FAILURE_WINDOW);
            if numbers.len() >= self.cap {
                // Forget the eighth that was quiet longest: they are the nearest to expiring.
                let mut lasts: Vec<Instant> = numbers.values().map(|a| a.last).collect();
                let nth = (lasts.len() / 8).min(lasts.len() - 1);
                let (_, cut, _) = lasts.select_nth_unstable(nth);
                let cut = *cut;
                numbers.retain(|_, a| a.last > cut);
            }
        }
        let a = numbers.entry(number.to_owned()).or_insert(Attempts {
            count: 0,
            next_allowed: now,
            last: now,
        });
        if now.duration_since(a.last) >= FAILURE_WINDOW {
            a.count = 0;
        }
        if a.count >= FREE_FAILURES_PER_NUMBER && now < a.next_allowed {
            let wait = a.next_allowed - now;
            return Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        }
        a.count += 1;
        a.last = now;
        if a.count > FREE_FAILURES_PER_NUMBER {
            a.next_allowed = now + Self::delay(a.count - FREE_FAILURES_PER_NUMBER);
        }
        Ok(())
    }

    fn failed(&self, number: &str) {
        if let Some(a) = self.numbers.lock().expect("backoff lock").get_mut(number) {
            if a.count > FREE_FAILURES_PER_NUMBER {
                let now = Instant::now();
                a.next_allowed = a
                    .next_allowed
                    .max(now + Self::delay(a.count - FREE_FAILURES_PER_NUMBER));
                a.last = now;
            }
        }
    }

    fn refund(&self, number: &str) {
        if let Some(a) = self.numbers.lock().expect("backoff lock").get_mut(number) {
            a.count = a.count.saturating_sub(1);
        }
    }

    fn clear(&self, number: &str) {
        self.numbers.lock().expect("backoff lock").remove(number);
    }

    fn len(&self) -> usize {
        self.numbers.lock().expect("backoff lock").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> E164 {
        E164::new("+8613800138000").unwrap()
    }

    // covers #8 §2 lock-out: one address's failures stop that address, not the owner elsewhere.
    #[test]
    fn one_address_failing_does_not_stop_another() {
        let g = SignInGuard::default();
        for _ in 0..FAILURES_PER_NUMBER_AT_ADDRESS {
            let s = g.reserve(&alice(), "10.0.0.1").unwrap();
            g.failed(s);
        }
        assert!(g.reserve(&alice(), "10.0.0.1").is_err());
        let s = g
            .reserve(&alice(), "10.0.0.2")
            .expect("the owner elsewhere may try");
        g.succeeded(s);
    }

    // covers #8 §2 lock-out: failures from many addresses grow a per-number delay.
    #[test]
    fn many_addresses_grow_a_delay_per_number() {
        let g = SignInGuard::default();
        for i in 0..FREE_FAILURES_PER_NUMBER {
            let s = g.reserve(&alice(), &format!("10.0.0.{i}")).unwrap();
            g.failed(s);
        }
        let s = g
            .reserve(&alice(), "10.0.1.1")
            .expect("first delayed attempt starts");
        g.failed(s);
        let wait = g
            .reserve(&alice(), "10.0.1.2")
            .err()
            .expect("then it waits");
        assert_eq!(wait, 1);
        assert_eq!(Backoff::delay(3), Duration::from_secs(4));
        assert_eq!(Backoff::delay(40), MAX_DELAY);
    }

    // covers #8 §2 lock-out: the throttle's maps are bounded; a flood of distinct numbers and
    // addresses cannot grow them past the cap.
    #[test]
    fn maps_stay_under_the_cap() {
        let g = SignInGuard::with_cap(64);
        for i in 0..1_000u32 {
            let number = E164::new(&format!("+86138{:08}", i)).unwrap();
            if let Ok(s) = g.reserve(
                &number,
                &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
            ) {
                g.failed(s);
            }
        }
        let (pairs, addresses, numbers) = g.tracked();
        assert!(
            pairs <= 64 && addresses <= 64 && numbers <= 64,
            "{pairs} {addresses} {numbers}"
        );
    }
}
