//! DIAL's daily cap per member: at most `[dial] daily_cap` dials per UTC day. The count starts
//! from the dial log in the database (so a restart does not reset it) and is then taken in
//! memory under one lock, so parallel dials can never place more than the cap.

use std::collections::HashMap;
use std::sync::Mutex;

use ringlink_protocol::{ErrorBody, ErrorCode};

use crate::store::{Store, StoreError};

const DAY: i64 = 86_400;

pub struct DailyCap {
    cap: u32,
    store: Store,
    /// Member -> (UTC day number, dials placed that day). Only members who dialled today.
    used: Mutex<Used>,
}

#[derive(Default)]
struct Used {
    day: i64,
    members: HashMap<i64, u32>,
}

impl DailyCap {
    pub fn new(cap: u32, store: Store) -> Self {
        Self {
            cap,
            store,
            used: Mutex::new(Used::default()),
        }
    }

    /// Takes one of the member's dials for today (`now` in Unix seconds), or refuses with
    /// when the count starts again.
    pub async fn take(&self, member_id: i64, now: i64) -> Result<(), CapError> {
        let day = now.div_euclid(DAY);
        if !self.knows(member_id, day) {
            // First dial today through this relay: count what the log already holds (dials
            // placed before a restart). Two first dials in parallel read the same count; the
            // first to lock records it and both are then taken one after the other.
            let placed = self.store.count_dials_since(member_id, day * DAY).await?;
            let mut used = self.lock(day);
            used.members.entry(member_id).or_insert(placed);
        }
        let mut used = self.lock(day);
        let count = used.members.entry(member_id).or_insert(0);
        if *count >= self.cap {
            let secs = ((day + 1) * DAY - now).max(1) as u64;
            return Err(CapError::Reached(ErrorBody {
                code: ErrorCode::RateLimited,
                message: format!(
                    "you have placed {} dials today, the most one account may place in a day; dialling opens again at 00:00 UTC",
                    self.cap
                ),
                retry_after: Some(secs),
            }));
        }
        *count += 1;
        Ok(())
    }

    fn knows(&self, member_id: i64, day: i64) -> bool {
        self.lock(day).members.contains_key(&member_id)
    }

    /// The counts for `day`; a new day starts every member from zero (every dial placed
    /// today went through this map). The day only moves forward, so two clock reads either
    /// side of midnight cannot clear the counts twice.
    fn lock(&self, day: i64) -> std::sync::MutexGuard<'_, Used> {
        let mut used = self.used.lock().expect("daily cap lock");
        if day > used.day {
            used.day = day;
            used.members.clear();
        }
        used
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CapError {
    #[error("{0}")]
    Reached(ErrorBody),
    #[error(transparent)]
    Store(#[from] StoreError),
}
