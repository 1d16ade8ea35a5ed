//! Fixed-window throttles kept in memory: failed sign-ins per number and per address, dial
//! intents per member, pairing attempts per member. One relay process; a scaled-out deployment
//! counts per node (see README, "Scaling out").

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Above this many tracked keys, expired windows are swept, so a flood of distinct keys cannot
/// grow the map without bound.
const SWEEP_ABOVE: usize = 10_000;
/// At most one sweep this often: with more than `SWEEP_ABOVE` live keys a sweep frees nothing,
/// and sweeping on every hit made each hit scan the whole map.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

pub struct Throttle {
    max: u32,
    window: Duration,
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
            hits: Mutex::new(Hits {
                keys: HashMap::new(),
                next_sweep: Instant::now(),
            }),
        }
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
    }
}
