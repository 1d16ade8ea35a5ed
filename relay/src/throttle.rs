//! Fixed-window throttles kept in memory: dial intents per member, pairing attempts per member.
//! One relay process; a scaled-out deployment counts per node (see README, "Scaling out").
//! They stay in-process on purpose: they guard neither money nor SMS (a dial is free, a pairing
//! code is shown on the agent's own screen), so N relays giving N times the rate is harmless,
//! and a database write per dial would cost the latency the dial benchmark measures. Every
//! limit that guards money or SMS is shared across relays in [`crate::store::counters`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Above this many tracked keys, expired windows are swept, so a flood of distinct keys cannot
/// grow the map without bound.
const SWEEP_ABOVE: usize = 10_000;
/// At most this many keys per throttle (~100 bytes each, so ~10 MB): past it the eighth of the
/// windows that started longest ago (the nearest to expiring) are forgotten. An outsider can make
/// up numbers and addresses; without a cap each one is memory kept for a whole window.
pub const MAX_KEYS: usize = 100_000;
/// At most one sweep this often: with more than `SWEEP_ABOVE` live keys a sweep frees nothing,
/// and sweeping on every hit made each hit scan the whole map.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

pub struct Throttle {
    max: u32,
    window: Duration,
    cap: usize,
    hits: Mutex<Hits>,
}

struct Hits {
    keys: HashMap<String, (Instant, u32)>,
    next_sweep: Instant,
}

impl Throttle {
    /// At most `max` hits per `window` for each key.
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            cap: MAX_KEYS,
            hits: Mutex::new(Hits {
                keys: HashMap::new(),
                next_sweep: Instant::now(),
            }),
        }
    }

    /// The same throttle holding at most `cap` keys.
    pub fn with_cap(mut self, cap: usize) -> Self {
        self.cap = cap.max(1);
        self
    }

    /// `Err(seconds until the window resets)` when the key has used up its hits.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let hits = self.hits.lock().expect("throttle lock");
        match hits.keys.get(key) {
            Some((start, n)) if *n >= self.max && start.elapsed() < self.window => {
                Err(self.retry_after(*start))
            }
            _ => Ok(()),
        }
    }

    /// Counts one hit; `Err(retry_after)` when this hit is over the limit.
    pub fn hit(&self, key: &str) -> Result<(), u64> {
        let mut hits = self.hits.lock().expect("throttle lock");
        let now = Instant::now();
        if hits.keys.len() > SWEEP_ABOVE && now >= hits.next_sweep {
            let window = self.window;
            hits.keys
                .retain(|_, (start, _)| now.saturating_duration_since(*start) < window);
            hits.next_sweep = now + SWEEP_EVERY;
        }
        if hits.keys.len() >= self.cap && !hits.keys.contains_key(key) {
            let window = self.window;
            hits.keys
                .retain(|_, (start, _)| now.saturating_duration_since(*start) < window);
            if hits.keys.len() >= self.cap {
                let mut starts: Vec<Instant> = hits.keys.values().map(|(s, _)| *s).collect();
                let nth = (starts.len() / 8).min(starts.len() - 1);
                let (_, cut, _) = starts.select_nth_unstable(nth);
                let cut = *cut;
                hits.keys.retain(|_, (start, _)| *start > cut);
            }
        }
        let entry = hits.keys.entry(key.to_owned()).or_insert((now, 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        if entry.1 >= self.max {
            return Err(self.retry_after(entry.0));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Gives back one hit taken by [`Throttle::hit`] (an attempt that was never evaluated, or
    /// a success that should not count).
    pub fn refund(&self, key: &str) {
        if let Some(entry) = self.hits.lock().expect("throttle lock").keys.get_mut(key) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    /// Keys tracked now.
    pub fn len(&self) -> usize {
        self.hits.lock().expect("throttle lock").keys.len()
    }

    /// True when no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets a key (a successful sign-in clears its failures).
    pub fn clear(&self, key: &str) {
        self.hits.lock().expect("throttle lock").keys.remove(key);
    }

    fn retry_after(&self, start: Instant) -> u64 {
        self.window.saturating_sub(start.elapsed()).as_secs().max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_resets() {
        let t = Throttle::new(2, Duration::from_millis(200));
        assert!(t.hit("a").is_ok());
        assert!(t.hit("a").is_ok());
        assert!(t.check("a").is_err());
        assert!(t.hit("a").is_err());
        assert!(t.hit("b").is_ok(), "other keys are not affected");
        std::thread::sleep(Duration::from_millis(250));
        assert!(t.check("a").is_ok());
        assert!(t.hit("a").is_ok());
        t.clear("a");
        assert!(t.hit("a").is_ok());
        t.refund("a");
        t.refund("a");
        assert!(t.hit("a").is_ok() && t.hit("a").is_ok() && t.hit("a").is_err());
    }

    // covers #8 §2 lock-out, §4 bounded throttle keys: distinct keys past the cap do not grow
    // the map, and the newest windows (the ones still counting) are kept.
    #[test]
    fn keys_are_capped() {
        let t = Throttle::new(1, Duration::from_secs(60)).with_cap(100);
        for i in 0..10_000 {
            let _ = t.hit(&format!("k{i}"));
        }
        assert!(t.len() <= 100, "{} keys", t.len());
        assert!(t.hit("k9999").is_err(), "the newest key still counts");
    }
}
