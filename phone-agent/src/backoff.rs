//! Reconnect delays: 1 s doubling to 60 s, each plus random jitter, reset once a connection is
//! welcomed. The agent reconnects forever; the cap keeps a phone that was offline for an hour
//! from waiting more than a minute once the network is back.

use std::time::Duration;

use rand::Rng;

/// The first retry comes quickly: most drops are a blip (a relay restart, a cell handover).
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// Never wait longer than this between attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// Up to a quarter of the step is added at random, so after a relay restart thousands of agents
/// spread their reconnects over seconds instead of arriving in the same instant.
pub const JITTER_DIVISOR: u32 = 4;

#[derive(Debug, Clone)]
pub struct Backoff {
    step: Duration,
    failures: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

impl Backoff {
    pub fn new() -> Self {
        Self {
            step: FIRST_DELAY,
            failures: 0,
        }
    }

    /// Delays handed out since the last reset: failed attempts in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The delay before jitter that the next attempt waits.
    pub fn step(&self) -> Duration {
        self.step
    }

    /// The next delay: the current step plus up to a quarter of it at random. Doubles the step.
    pub fn next_delay(&mut self) -> Duration {
        self.next_delay_with(&mut rand::thread_rng())
    }

    /// [`Backoff::next_delay`] with a chosen random source (tests).
    pub fn next_delay_with<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Duration {
        let step = self.step;
        let max_jitter = step / JITTER_DIVISOR;
        let jitter = Duration::from_millis(rng.gen_range(0..=max_jitter.as_millis() as u64));
        self.step = (step * 2).min(MAX_DELAY);
        self.failures = self.failures.saturating_add(1);
        step + jitter
    }

    /// Back to the first delay, after a connection that worked.
    pub fn reset(&mut self) {
        *self = Self::new();
    }
}
