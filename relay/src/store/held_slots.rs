//! Places held under a cap by something that lasts (a live call), shared by every relay on
//! the database (#10 §2): a scope with capacity N has slots 0..N-1, each a row taken by one
//! conditional insert that only one concurrent caller can win. Each row names its holder (freed
//! when the call ends) and the relay that took it (freed when that relay is found dead), and
//! expires on its own so a slot can never stay taken forever.

use super::{now, Result, Store};

/// Tries at taking a slot when concurrent holders keep winning the one picked: each lost try
/// means another caller took a slot, so a scope of up to this capacity is never refused
/// while a slot is free.
const HOLD_TRIES: i64 = 64;

impl Store {
    /// Takes a free slot of `scope` (fewer than `capacity` held) for `holder`, recorded under
    /// relay `node_id`, for `ttl_secs` at most. False when every slot is held.
    pub async fn hold_slot(
        &self,
        scope: &str,
        capacity: u32,
        holder: &str,
        node_id: &str,
        ttl_secs: i64,
    ) -> Result<bool> {
        let capacity = i64::from(capacity);
        for _ in 0..capacity.clamp(1, HOLD_TRIES) + 1 {
            let now = now();
            // The lowest slot below the capacity that is absent or expired; an expired row is
            // taken over in place. Two callers picking the same slot: one inserts (or updates),
            // the other's conflict finds it live and changes nothing.
            let taken = sqlx::query(
                "INSERT INTO held_slots (scope, slot, holder, node_id, expires_at) \
                 SELECT $1, c.slot, $3, $4, $5 FROM ( \
                   SELECT 0 AS slot \
                   UNION SELECT h.slot + 1 FROM held_slots h WHERE h.scope = $1 \
                   UNION SELECT h.slot FROM held_slots h WHERE h.scope = $1 AND h.expires_at <= $6 \
                 ) c \
                 WHERE c.slot < $2 AND NOT EXISTS (SELECT 1 FROM held_slots t \
                   WHERE t.scope = $1 AND t.slot = c.slot AND t.expires_at > $6) \
                 ORDER BY c.slot LIMIT 1 \
                 ON CONFLICT (scope, slot) DO UPDATE SET holder = excluded.holder, \
                   node_id = excluded.node_id, expires_at = excluded.expires_at \
                 WHERE held_slots.expires_at <= $6",
            )
            .bind(scope)
            .bind(capacity)
            .bind(holder)
            .bind(node_id)
            .bind(now + ttl_secs.max(1))
            .bind(now)
            .execute(self.pool())
            .await?
            .rows_affected();
            if taken == 1 {
                return Ok(true);
            }
            if self.held(scope).await? >= capacity {
                return Ok(false);
            }
        }
        Ok(false)
    }

    /// Slots of `scope` held now.
    pub async fn held(&self, scope: &str) -> Result<i64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM held_slots WHERE scope = $1 AND expires_at > $2",
        )
        .bind(scope)
        .bind(now())
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// Frees every slot `holder` holds (the call ended, or was refused after taking them).
    pub async fn release_slots(&self, holder: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM held_slots WHERE holder = $1")
            .bind(holder)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Frees every slot relay `node_id` took: called when that relay's lease expired (its
    /// calls died with it; the billing janitor settles them).
    pub async fn release_node(&self, node_id: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM held_slots WHERE node_id = $1")
            .bind(node_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
