//! Rate limits shared by every relay on the database (#10 §2): a windowed counter per key,
//! taken with one conditional upsert that only one concurrent caller can win for the last
//! slot, and given back when what it counted never happened.
//!
//! The window slides in quarters: a key's row counts hits in its current bucket (a quarter of
//! the window) and in the four before it. A take succeeds while those five hold fewer than
//! `max`, so no window of the limit's length ever holds more than `max` hits (a fixed window
//! would let `2 × max` through around its reset, which costs money when the hits are calls or
//! SMS). The price of that guarantee: a key that used its cap waits up to a quarter window
//! longer than an exact sliding log would make it, and the `retry_after` it is told is exact
//! for this scheme.

use std::sync::OnceLock;
use std::time::Duration;

use super::{now, Result, Store, StoreError};

/// Buckets per window: the wait after a refusal is at most this fraction of a window longer
/// than an exact sliding window's, and each key's row holds `BUCKETS + 1` counters.
pub const BUCKETS: i64 = 4;

/// A hit that was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taken {
    /// Hits in the window, this one included.
    pub used: u32,
}

/// Why a take was refused.
#[derive(Debug, thiserror::Error)]
pub enum TakeError {
    #[error("limit reached; a slot frees in {retry_after} s")]
    Full { retry_after: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A named limit: at most `max` hits per `window` for each key, counted in the shared store
/// under `name:key`.
#[derive(Clone, Debug)]
pub struct Limit {
    name: &'static str,
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn new(name: &'static str, max: u32, window: Duration) -> Self {
        Self { name, max, window }
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.name)
    }

    /// Counts one hit for `key`, or says how long until one frees.
    pub async fn hit(&self, store: &Store, key: &str) -> Result<Taken, TakeError> {
        store.take(&self.key(key), self.max, self.window).await
    }

    /// Gives back one hit taken by [`Limit::hit`]; a failure is logged (the hit then counts
    /// until it leaves the window, which errs on the side of the limit).
    pub async fn refund(&self, store: &Store, key: &str) {
        if let Err(e) = store.give_back(&self.key(key)).await {
            tracing::warn!(limit = self.name, "giving back a counted hit failed: {e}");
        }
    }
}

/// The bucket length of a window, in whole seconds: `BUCKETS` of them cover the window.
fn bucket_secs(window: Duration) -> i64 {
    let secs = i64::try_from(window.as_secs())
        .unwrap_or(i64::MAX / 2)
        .max(1);
    (secs + BUCKETS - 1) / BUCKETS
}

/// The counter `i` (0 = current bucket) as of bucket `$2`: a row written in an older bucket
/// shifts its counts back by the buckets since, and forgets what fell out of the window.
/// A row from a later bucket (another relay's clock ahead) is taken as it is.
fn shifted(i: i64) -> String {
    let mut sql = format!("CASE WHEN $2 <= limit_counters.bucket THEN limit_counters.c{i}");
    for d in 1..=i {
        sql.push_str(&format!(
            " WHEN $2 - limit_counters.bucket = {d} THEN limit_counters.c{}",
            i - d
        ));
    }
    sql.push_str(" ELSE 0 END");
    sql
}

/// The take: insert the key's first hit, or, when the shifted counts leave room, shift and
/// count one more. Row-locked by the upsert on PostgreSQL, serialized writers on SQLite.
fn take_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let sets: Vec<String> = (0..=BUCKETS)
            .map(|i| {
                let one = if i == 0 { " + 1" } else { "" };
                format!("c{i} = {}{one}", shifted(i))
            })
            .collect();
        let sum: Vec<String> = (0..=BUCKETS).map(shifted).collect();
        let returned: Vec<String> = (0..=BUCKETS).map(|i| format!("c{i}")).collect();
        format!(
            "INSERT INTO limit_counters (limit_key, bucket, c0, expires_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (limit_key) DO UPDATE SET {}, \
             bucket = CASE WHEN $2 > limit_counters.bucket THEN $2 ELSE limit_counters.bucket END, \
             expires_at = CASE WHEN $3 > limit_counters.expires_at THEN $3 ELSE limit_counters.expires_at END \
             WHERE ({}) < $4 RETURNING {}",
            sets.join(", "),
            sum.join(" + "),
            returned.join(" + ")
        )
    })
}

/// Gives back the newest counted hit: the first non-zero counter from the current bucket back.
fn give_back_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let sets: Vec<String> = (0..=BUCKETS)
            .map(|i| {
                let newer: String = (0..i).map(|j| format!("c{j} = 0 AND ")).collect();
                format!("c{i} = CASE WHEN {newer}c{i} > 0 THEN c{i} - 1 ELSE c{i} END")
            })
            .collect();
        format!(
            "UPDATE limit_counters SET {} WHERE limit_key = $1",
            sets.join(", ")
        )
    })
}

/// Seconds until a refused key has room again: the shortest wait after which the buckets
/// still in the window hold fewer than `max` hits. `counts[0]` is bucket `row_bucket`'s.
fn retry_after(
    counts: [i64; (BUCKETS + 1) as usize],
    row_bucket: i64,
    bucket: i64,
    len: i64,
    now: i64,
    max: u32,
) -> u64 {
    let max = i64::from(max);
    let shift = usize::try_from((bucket - row_bucket).max(0)).unwrap_or(usize::MAX);
    let mut current = [0i64; (BUCKETS + 1) as usize];
    for (i, c) in current.iter_mut().enumerate() {
        if let Some(j) = i.checked_sub(shift) {
            *c = counts[j];
        }
    }
    let head = bucket.max(row_bucket);
    for ahead in 1..=BUCKETS + 1 {
        let kept = usize::try_from(BUCKETS + 1 - ahead).unwrap_or(0);
        if current[..kept].iter().sum::<i64>() < max {
            return u64::try_from((head + ahead) * len - now)
                .unwrap_or(1)
                .max(1);
        }
    }
    u64::try_from((head + BUCKETS + 1) * len - now)
        .unwrap_or(1)
        .max(1)
}

impl Store {
    /// Takes one hit of `key` under `max` per `window`, or says in how many seconds one frees.
    pub async fn take(&self, key: &str, max: u32, window: Duration) -> Result<Taken, TakeError> {
        let now = now();
        let len = bucket_secs(window);
        let bucket = now / len;
        if max == 0 {
            return Err(TakeError::Full {
                retry_after: window.as_secs().max(1),
            });
        }
        let expires = (bucket + BUCKETS + 1) * len;
        let used: Option<i64> = sqlx::query_scalar(take_sql())
            .bind(key)
            .bind(bucket)
            .bind(expires)
            .bind(i64::from(max))
            .fetch_optional(self.pool())
            .await
            .map_err(StoreError::from)?;
        if let Some(used) = used {
            return Ok(Taken {
                used: u32::try_from(used).unwrap_or(u32::MAX),
            });
        }
        let row: Option<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT bucket, c0, c1, c2, c3, c4 FROM limit_counters WHERE limit_key = $1",
        )
        .bind(key)
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::from)?;
        let retry_after = match row {
            Some((b, c0, c1, c2, c3, c4)) => {
                retry_after([c0, c1, c2, c3, c4], b, bucket, len, now, max)
            }
            None => 1,
        };
        Err(TakeError::Full { retry_after })
    }

    /// Gives back the newest hit of `key` (something counted that never happened).
    pub async fn give_back(&self, key: &str) -> Result<()> {
        sqlx::query(give_back_sql())
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Deletes counters whose every hit has left its window, and held slots past their expiry
    /// (a call cannot outlive it; see [`Store::hold_slot`]).
    pub async fn purge_limits(&self) -> Result<u64> {
        let now = now();
        let counters = sqlx::query("DELETE FROM limit_counters WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?
            .rows_affected();
        let slots = sqlx::query("DELETE FROM held_slots WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(counters + slots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_buckets_cover_the_window() {
        assert_eq!(bucket_secs(Duration::from_secs(3600)), 900);
        assert_eq!(bucket_secs(Duration::from_secs(86_400)), 21_600);
        assert_eq!(
            bucket_secs(Duration::from_secs(10)),
            3,
            "rounded up: 12 s >= 10 s"
        );
        assert_eq!(bucket_secs(Duration::from_secs(0)), 1);
    }

    #[test]
    fn the_wait_is_until_enough_hits_leave_the_window() {
        // Hour window, 900 s buckets, now 10 s into bucket 100; cap 3.
        let now: i64 = 100 * 900 + 10;
        let at = |bucket: i64| (bucket * 900 - now) as u64;
        // All three hits in the current bucket: free when it leaves, five buckets on.
        assert_eq!(retry_after([3, 0, 0, 0, 0], 100, 100, 900, now, 3), at(105));
        // One hit in the oldest bucket still counted: free when that one leaves.
        assert_eq!(retry_after([2, 0, 0, 0, 1], 100, 100, 900, now, 3), at(101));
        // A row written two buckets ago: its counts moved back two places first.
        assert_eq!(retry_after([0, 0, 3, 0, 0], 98, 100, 900, now, 3), at(101));
    }

    #[test]
    fn the_statements_are_built_for_every_bucket() {
        let take = take_sql();
        assert!(take.contains("c4 = CASE") && take.contains("THEN limit_counters.c0"));
        assert!(take.matches("$4").count() == 1);
        assert!(give_back_sql().contains("c0 = 0 AND c1 = 0 AND c2 = 0 AND c3 = 0 AND c4 > 0"));
    }
}
