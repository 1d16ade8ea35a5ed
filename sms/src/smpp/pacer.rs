//! Outbound pacing for the SMPP link: at most `max_per_second` submit_sm, spaced evenly, and a
//! shared pause when the SMSC answers ESME_RTHROTTLED so every sender backs off, not just the
//! one that was refused. Also the jittered backoff ladder used between rebind attempts.

use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

/// First pause after an ESME_RTHROTTLED; doubles on each repeat for the same part.
pub(crate) const THROTTLE_PAUSE_START: Duration = Duration::from_millis(250);
/// Longest single throttle pause: an SMSC that throttles longer than this is better reported
/// than waited on.
pub(crate) const THROTTLE_PAUSE_MAX: Duration = Duration::from_secs(4);

/// The throttle pause for the `attempt`-th (1-based) ESME_RTHROTTLED in a row.
pub(crate) fn throttle_pause(attempt: u32) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(16);
    THROTTLE_PAUSE_START
        .saturating_mul(factor)
        .min(THROTTLE_PAUSE_MAX)
}

/// Spaces submit_sm evenly at the configured rate.
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    next_slot: Mutex<Instant>,
}

impl Pacer {
    pub(crate) fn new(max_per_second: u32) -> Self {
        Self {
            interval: Duration::from_secs(1) / max_per_second.max(1),
            next_slot: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this caller's slot. Slots are handed out in call order.
    pub(crate) async fn wait(&self) {
        let slot = {
            let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Holds every sender back for `pause` from now.
    pub(crate) fn pause(&self, pause: Duration) {
        let until = Instant::now() + pause;
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        if *next < until {
            *next = until;
        }
    }
}

/// First wait after a failed bind or a dropped link.
pub(crate) const REBIND_BACKOFF_MIN: Duration = Duration::from_millis(200);
/// Longest wait between rebind attempts: an SMSC back from maintenance is found within this.
pub(crate) const REBIND_BACKOFF_MAX: Duration = Duration::from_secs(30);

/// Doubling backoff with jitter (each wait is 50-100% of the step), so many relays restarting
/// together do not hammer the SMSC in lockstep.
#[derive(Debug)]
pub(crate) struct Backoff {
    step: Duration,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Self {
            step: REBIND_BACKOFF_MIN,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.step = REBIND_BACKOFF_MIN;
    }

    pub(crate) fn next_delay(&mut self) -> Duration {
        let step = self.step;
        self.step = (step * 2).min(REBIND_BACKOFF_MAX);
        let half = step / 2;
        let jitter_ms = rand::thread_rng().gen_range(0..=half.as_millis().max(1));
        half + Duration::from_millis(u64::try_from(jitter_ms).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_pause_doubles_to_a_cap() {
        assert_eq!(throttle_pause(1), Duration::from_millis(250));
        assert_eq!(throttle_pause(2), Duration::from_millis(500));
        assert_eq!(throttle_pause(5), Duration::from_secs(4));
        assert_eq!(throttle_pause(40), Duration::from_secs(4));
    }

    #[test]
    fn backoff_is_jittered_and_bounded() {
        let mut backoff = Backoff::new();
        let first = backoff.next_delay();
        assert!(first >= REBIND_BACKOFF_MIN / 2 && first <= REBIND_BACKOFF_MIN);
        for _ in 0..20 {
            assert!(backoff.next_delay() <= REBIND_BACKOFF_MAX);
        }
        backoff.reset();
        assert!(backoff.next_delay() <= REBIND_BACKOFF_MIN);
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_sends() {
        let pacer = Pacer::new(4);
        let start = Instant::now();
        for _ in 0..5 {
            pacer.wait().await;
        }
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(1),
            "5 sends at 4/s span 1 s"
        );
        pacer.pause(Duration::from_secs(2));
        let before = Instant::now();
        pacer.wait().await;
        assert!(before.elapsed() >= Duration::from_secs(2));
    }
}
