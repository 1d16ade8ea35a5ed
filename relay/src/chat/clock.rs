//! The chat's clock: real time plus an offset a test may move forward, so the grace period and
//! the no-reply time can be tested without waiting minutes.

use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Unix milliseconds, as the chat sees them.
    pub fn now_ms(&self) -> i64 {
        crate::billing::now_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Moves this relay's chat clock forward (tests only: the relay never calls it).
    pub fn advance(&self, secs: i64) {
        self.offset_ms.fetch_add(secs * 1000, Ordering::Relaxed);
    }
}
