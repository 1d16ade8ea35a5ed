//! The password gate: argon2 (verify and hash) runs on at most about one blocking thread per
//! core, with a bounded queue in front. Past the queue a request is answered "busy, try again"
//! at once instead of piling up 19 MiB argon2 buffers (100 parallel sign-ins used to take the
//! relay from 31 MiB to 1.9 GiB RSS).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

/// Password checks waiting for a thread, beyond the ones running. At ~30 ms per argon2 check
/// per core this is under a second of waiting; more would only make sign-ins time out.
pub const MAX_WAITING: usize = 32;

/// Seconds a refused request is told to wait: the queue drains in about that time.
pub const BUSY_RETRY_SECS: u64 = 1;

/// The gate is full: every thread is busy and the queue is at its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the relay is busy checking other passwords; try again in {BUSY_RETRY_SECS} s")]
pub struct Busy;

pub struct PasswordGate {
    running: Arc<Semaphore>,
    /// Requests admitted (running or waiting).
    admitted: AtomicUsize,
    max_admitted: usize,
}

impl PasswordGate {
    /// At most `threads` checks at once and `waiting` more in the queue.
    pub fn new(threads: usize, waiting: usize) -> Self {
        let threads = threads.max(1);
        Self {
            running: Arc::new(Semaphore::new(threads)),
            admitted: AtomicUsize::new(0),
            max_admitted: threads + waiting,
        }
    }

    /// The relay's gate: one thread per core.
    pub fn global() -> &'static PasswordGate {
        static GATE: OnceLock<PasswordGate> = OnceLock::new();
        GATE.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            PasswordGate::new(cores, MAX_WAITING)
        })
    }

    /// Runs `work` on a blocking thread once one of the gate's permits is free, or refuses at
    /// once with [`Busy`] when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let admitted = Admitted::enter(self)?;
        let permit = self
            .running
            .clone()
            .acquire_owned()
            .await
            .expect("the gate's semaphore is never closed");
        let out = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .expect("password task panicked");
        drop(admitted);
        Ok(out)
    }
}

/// One admitted request; leaving (even by cancellation) frees its place in the queue.
struct Admitted<'a>(&'a PasswordGate);

impl<'a> Admitted<'a> {
    fn enter(gate: &'a PasswordGate) -> Result<Self, Busy> {
        gate.admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < gate.max_admitted).then_some(n + 1)
            })
            .map(|_| Self(gate))
            .map_err(|_| {
                metrics::counter!("ringlink_password_checks_refused_total").increment(1);
                Busy
            })
    }
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    // covers #8 §2 races: argon2 runs behind a semaphore with a bounded queue; past it, busy.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn past_the_queue_is_busy_and_threads_are_bounded() {
        let gate = Arc::new(PasswordGate::new(2, 3));
        let live = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (gate, live, peak) = (gate.clone(), live.clone(), peak.clone());
                tokio::spawn(async move {
                    gate.run(move || {
                        let n = live.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(100));
                        live.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        let mut ran = 0;
        let mut busy = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ran += 1,
                Err(Busy) => busy += 1,
            }
        }
        assert_eq!(ran, 5, "2 running + 3 waiting are admitted");
        assert_eq!(busy, 15);
        assert!(peak.load(Ordering::SeqCst) <= 2, "at most 2 at once");
        // once drained the gate admits again
        assert!(gate.run(|| ()).await.is_ok());
    }
}
