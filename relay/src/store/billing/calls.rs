//! Call records and the reservations of calls in progress: open (first hold and the record),
//! hold more, bridge, heartbeat, settle, and the queries the janitor and admin need.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{
    corrupt, seconds, tariff_at, CallRecord, Hold, HoldOutcome, OpenCall, ReservationRow,
    SettleCall, Settled,
};
use crate::billing::CallPrice;
use crate::store::{is_unique_violation, now, Result, Store, StoreError};

/// The conditional UPDATE that holds credit: $1 amount, $2 day, $3 account, $4 needed
/// available, $5 default cap. Zero rows affected means refused.
const HOLD_SQL: &str = "UPDATE billing_accounts SET reserved = reserved + $1, \
    cap_used = (CASE WHEN cap_day = $2 THEN cap_used ELSE 0 END) + $1, cap_day = $2 \
    WHERE id = $3 AND balance - reserved >= $4 \
    AND (CASE WHEN cap_day = $2 THEN cap_used ELSE 0 END) + $1 <= COALESCE(daily_cap, $5)";

/// The conditional upsert that counts a hold against a member's daily share: $1 account,
/// $2 member, $3 day, $4 seconds added, $5 seconds needed, $6 the share. Zero rows: refused.
const SHARE_SQL: &str = "INSERT INTO member_call_shares (account_id, member_id, day, used_secs) \
    SELECT $1, $2, $3, $4 WHERE $5 <= $6 \
    ON CONFLICT (account_id, member_id) DO UPDATE SET \
    used_secs = (CASE WHEN member_call_shares.day = excluded.day \
        THEN member_call_shares.used_secs ELSE 0 END) + excluded.used_secs, day = excluded.day \
    WHERE (CASE WHEN member_call_shares.day = excluded.day \
        THEN member_call_shares.used_secs ELSE 0 END) + $5 <= $6";

/// Counts `hold`'s share, if any, inside `tx`. False when the share is used up.
async fn take_share(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    account: i64,
    hold: &Hold,
) -> Result<bool> {
    let Some(share) = hold.share else {
        return Ok(true);
    };
    let done = sqlx::query(SHARE_SQL)
        .bind(account)
        .bind(share.member_id)
        .bind(hold.day)
        .bind(share.add)
        .bind(share.need)
        .bind(share.limit)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

impl Store {
    /// Talk seconds a member used today of a merchant's or sponsor's account.
    pub async fn member_share_used(&self, account: i64, member_id: i64, day: i64) -> Result<u64> {
        let row = sqlx::query(
            "SELECT used_secs FROM member_call_shares WHERE account_id = $1 AND member_id = $2 \
             AND day = $3",
        )
        .bind(account)
        .bind(member_id)
        .bind(day)
        .fetch_optional(self.pool())
        .await?;
        let used: i64 = match row {
            Some(r) => r.try_get("used_secs")?,
            None => 0,
        };
        Ok(u64::try_from(used).unwrap_or(0))
    }

    /// Holds the first chunk of credit and writes the call record and its reservation, in one
    /// transaction. `None` when the conditional UPDATE refused the hold (nothing written).
    pub async fn open_call(&self, c: &OpenCall<'_>) -> Result<Option<i64>> {
        let mut tx = self.pool().begin().await?;
        let held = sqlx::query(HOLD_SQL)
            .bind(c.hold.amount)
            .bind(c.hold.day)
            .bind(c.account_id)
            .bind(c.hold.need_available)
            .bind(c.hold.default_cap)
            .execute(&mut *tx)
            .await?;
        if held.rows_affected() == 0 || !take_share(&mut tx, c.account_id, &c.hold).await? {
            return Ok(None);
        }
        let now = now();
        let row = sqlx::query(
            "INSERT INTO call_records (public_id, member_id, site_id, button_key, payer_account_id, \
             member_number, merchant_number, tariff_prefix, member_tariff_prefix, state, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'started', $10) RETURNING id",
        )
        .bind(c.public_id)
        .bind(c.member_id)
        .bind(c.site_id)
        .bind(c.button_key)
        .bind(c.account_id)
        .bind(c.member_number)
        .bind(c.merchant_number)
        .bind(&c.price.merchant.prefix)
        .bind(&c.price.member.prefix)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("a call with id '{}' already exists", c.public_id))
            } else {
                e.into()
            }
        })?;
        let call_id: i64 = row.try_get("id")?;
        sqlx::query(
            "INSERT INTO billing_reservations (call_id, account_id, connect_fee, per_minute, \
             first_increment, next_increment, reserved, paid_until, cap_day, alive_at_ms, created_at, \
             share_secs, member_connect_fee, member_per_minute, member_first_increment, \
             member_next_increment) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(call_id)
        .bind(c.account_id)
        .bind(c.price.merchant.connect_fee)
        .bind(c.price.merchant.per_minute)
        .bind(seconds(c.price.merchant.increments.first))
        .bind(seconds(c.price.merchant.increments.next))
        .bind(c.hold.amount)
        .bind(seconds(c.hold.paid_until))
        .bind(c.hold.day)
        .bind(c.hold.at_ms)
        .bind(now)
        .bind(c.hold.share.map_or(0, |s| s.add))
        .bind(c.price.member.connect_fee)
        .bind(c.price.member.per_minute)
        .bind(seconds(c.price.member.increments.first))
        .bind(seconds(c.price.member.increments.next))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(call_id))
    }

    /// Holds more credit for an open reservation (same conditional UPDATE as the first chunk);
    /// also refreshes its heartbeat.
    pub async fn hold_more(&self, call_id: i64, account: i64, hold: &Hold) -> Result<HoldOutcome> {
        let mut tx = self.pool().begin().await?;
        let open = sqlx::query(
            "UPDATE billing_reservations SET reserved = reserved + $1, paid_until = $2, cap_day = $3, \
             alive_at_ms = $5, share_secs = share_secs + $6 \
             WHERE call_id = $4 AND settled_at IS NULL",
        )
        .bind(hold.amount)
        .bind(seconds(hold.paid_until))
        .bind(hold.day)
        .bind(call_id)
        .bind(hold.at_ms)
        .bind(hold.share.map_or(0, |s| s.add))
        .execute(&mut *tx)
        .await?;
        if open.rows_affected() == 0 {
            return Ok(HoldOutcome::Settled);
        }
        let held = sqlx::query(HOLD_SQL)
            .bind(hold.amount)
            .bind(hold.day)
            .bind(account)
            .bind(hold.need_available)
            .bind(hold.default_cap)
            .execute(&mut *tx)
            .await?;
        if held.rows_affected() == 0 || !take_share(&mut tx, account, hold).await? {
            return Ok(HoldOutcome::Refused);
        }
        tx.commit().await?;
        Ok(HoldOutcome::Held)
    }

    /// Starts the billing clock of an open call. False when it is already settled.
    pub async fn bridge_call(&self, call_id: i64, at_ms: i64) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let open = sqlx::query(
            "UPDATE billing_reservations SET bridged_at_ms = $1, alive_at_ms = $1 \
             WHERE call_id = $2 AND settled_at IS NULL",
        )
        .bind(at_ms)
        .bind(call_id)
        .execute(&mut *tx)
        .await?;
        if open.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE call_records SET state = 'bridged', bridged_at = $1 WHERE id = $2")
            .bind(at_ms.div_euclid(1000))
            .bind(call_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Refreshes a reservation's heartbeat. False when it is already settled.
    pub async fn touch_reservation(&self, call_id: i64, at_ms: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE billing_reservations SET alive_at_ms = $1 \
             WHERE call_id = $2 AND settled_at IS NULL",
        )
        .bind(at_ms)
        .bind(call_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Closes a reservation: charges the call (never more than it held), releases the rest,
    /// writes the charge entry and ends the call record, in one transaction. `None` when the
    /// reservation was already settled or (janitor) its heartbeat is newer than allowed.
    pub async fn settle_call(&self, s: &SettleCall<'_>) -> Result<Option<Settled>> {
        let mut tx = self.pool().begin().await?;
        let now = now();
        let Some(row) = sqlx::query(
            "UPDATE billing_reservations SET settled_at = $1 \
             WHERE call_id = $2 AND settled_at IS NULL AND alive_at_ms <= $3 \
             RETURNING account_id, reserved, cap_day, share_secs",
        )
        .bind(now)
        .bind(s.call_id)
        .bind(s.alive_at_most_ms)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let account: i64 = row.try_get("account_id")?;
        let reserved: i64 = row.try_get("reserved")?;
        let cap_day: i64 = row.try_get("cap_day")?;
        let share_secs: i64 = row.try_get("share_secs")?;
        let charge = s.legs.total().clamp(0, reserved);
        // Never more than the hold: if the legs were ever cut to it, leg A keeps its part first.
        let member_leg = s.legs.member.clamp(0, charge);
        let merchant_leg = charge - member_leg;
        let released = reserved - charge;
        sqlx::query(
            "UPDATE billing_accounts SET balance = balance - $1, reserved = reserved - $2, \
             cap_used = CASE WHEN cap_day = $3 THEN \
                 (CASE WHEN cap_used > $4 THEN cap_used - $4 ELSE 0 END) ELSE cap_used END \
             WHERE id = $5",
        )
        .bind(charge)
        .bind(reserved)
        .bind(cap_day)
        .bind(released)
        .bind(account)
        .execute(&mut *tx)
        .await?;
        let unused_share = share_secs - seconds(s.billed_seconds);
        if unused_share > 0 {
            // The share's unused seconds come back, on the day they were counted.
            sqlx::query(
                "UPDATE member_call_shares SET used_secs = CASE WHEN used_secs > $1 \
                 THEN used_secs - $1 ELSE 0 END WHERE account_id = $2 AND day = $3 \
                 AND member_id = (SELECT member_id FROM call_records WHERE id = $4)",
            )
            .bind(unused_share)
            .bind(account)
            .bind(cap_day)
            .bind(s.call_id)
            .execute(&mut *tx)
            .await?;
        }
        if charge > 0 {
            sqlx::query(
                "INSERT INTO ledger_entries (account_id, kind, amount, call_id, note, created_at) \
                 VALUES ($1, 'charge', $2, $3, $4, $5)",
            )
            .bind(account)
            .bind(-charge)
            .bind(s.call_id)
            .bind(format!("call {}: {} s", s.public_id, s.billed_seconds))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE call_records SET state = 'ended', ended_at = $1, end_reason = $2, \
             billed_seconds = $3, charge = $4, merchant_charge = $5, member_charge = $6 \
             WHERE id = $7",
        )
        .bind(now)
        .bind(s.reason)
        .bind(seconds(s.billed_seconds))
        .bind(charge)
        .bind(merchant_leg)
        .bind(member_leg)
        .bind(s.call_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(Settled {
            charge,
            member_leg,
            released,
        }))
    }

    /// An open reservation, or `None` when settled or unknown.
    pub async fn reservation(&self, call_id: i64) -> Result<Option<ReservationRow>> {
        let row = sqlx::query(&format!(
            "{RESERVATION_SELECT} WHERE r.call_id = $1 AND r.settled_at IS NULL"
        ))
        .bind(call_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| reservation_row(&r)).transpose()
    }

    /// Open reservations whose heartbeat is at or before `alive_at_most_ms`, oldest first.
    pub async fn stale_reservations(&self, alive_at_most_ms: i64) -> Result<Vec<ReservationRow>> {
        let rows = sqlx::query(&format!(
            "{RESERVATION_SELECT} WHERE r.settled_at IS NULL AND r.alive_at_ms <= $1 \
             ORDER BY r.alive_at_ms"
        ))
        .bind(alive_at_most_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(reservation_row).collect()
    }

    /// How many reservations are open (on one account, or on all).
    pub async fn open_reservations(&self, account: Option<i64>) -> Result<i64> {
        let q = match account {
            Some(a) => sqlx::query(
                "SELECT COUNT(*) AS n FROM billing_reservations WHERE settled_at IS NULL \
                 AND account_id = $1",
            )
            .bind(a),
            None => sqlx::query(
                "SELECT COUNT(*) AS n FROM billing_reservations WHERE settled_at IS NULL",
            ),
        };
        Ok(q.fetch_one(self.pool()).await?.try_get("n")?)
    }

    pub async fn call_record(&self, public_id: &str) -> Result<Option<CallRecord>> {
        let row = sqlx::query(&format!("{CALL_SELECT} WHERE public_id = $1"))
            .bind(public_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| call_record(&r)).transpose()
    }

    /// A merchant site's call records since `since` (Unix seconds), newest first.
    pub async fn call_records_of_site(
        &self,
        site_id: i64,
        since: i64,
        limit: i64,
    ) -> Result<Vec<CallRecord>> {
        sqlx::query(&format!(
            "{CALL_SELECT} WHERE site_id = $1 AND created_at >= $2 ORDER BY id DESC LIMIT $3"
        ))
        .bind(site_id)
        .bind(since)
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(call_record)
        .collect()
    }

    /// The newest call records first, of one member or of everyone.
    pub async fn call_records(&self, member: Option<i64>, limit: i64) -> Result<Vec<CallRecord>> {
        let by_member = format!("{CALL_SELECT} WHERE member_id = $1 ORDER BY id DESC LIMIT $2");
        let everyone = format!("{CALL_SELECT} ORDER BY id DESC LIMIT $1");
        let q = match member {
            Some(m) => sqlx::query(&by_member).bind(m).bind(limit),
            None => sqlx::query(&everyone).bind(limit),
        };
        q.fetch_all(self.pool())
            .await?
            .iter()
            .map(call_record)
            .collect()
    }
}

const RESERVATION_SELECT: &str =
    "SELECT r.call_id, c.public_id, r.account_id, c.tariff_prefix, r.connect_fee, \
    r.per_minute, r.first_increment, r.next_increment, r.reserved, r.paid_until, r.bridged_at_ms, \
    r.alive_at_ms, COALESCE(c.member_tariff_prefix, c.tariff_prefix) AS member_tariff_prefix, \
    r.member_connect_fee, r.member_per_minute, r.member_first_increment, \
    r.member_next_increment FROM billing_reservations r JOIN call_records c ON c.id = r.call_id";

fn reservation_row(r: &AnyRow) -> Result<ReservationRow> {
    let paid_until: i64 = r.try_get("paid_until")?;
    Ok(ReservationRow {
        call_id: r.try_get("call_id")?,
        public_id: r.try_get("public_id")?,
        account_id: r.try_get("account_id")?,
        price: CallPrice::new(
            tariff_at(r, r.try_get("tariff_prefix")?, "")?,
            tariff_at(r, r.try_get("member_tariff_prefix")?, "member_")?,
        ),
        reserved: r.try_get("reserved")?,
        paid_until: u64::try_from(paid_until)
            .map_err(|_| corrupt("paid_until", &paid_until.to_string()))?,
        bridged_at_ms: r.try_get("bridged_at_ms")?,
        alive_at_ms: r.try_get("alive_at_ms")?,
    })
}

const CALL_SELECT: &str =
    "SELECT id, public_id, member_id, site_id, button_key, payer_account_id, \
    member_number, merchant_number, tariff_prefix, member_tariff_prefix, state, created_at, \
    bridged_at, ended_at, end_reason, billed_seconds, charge, merchant_charge, member_charge \
    FROM call_records";

fn call_record(r: &AnyRow) -> Result<CallRecord> {
    Ok(CallRecord {
        id: r.try_get("id")?,
        public_id: r.try_get("public_id")?,
        member_id: r.try_get("member_id")?,
        site_id: r.try_get("site_id")?,
        button_key: r.try_get("button_key")?,
        payer_account_id: r.try_get("payer_account_id")?,
        member_number: r.try_get("member_number")?,
        merchant_number: r.try_get("merchant_number")?,
        tariff_prefix: r.try_get("tariff_prefix")?,
        member_tariff_prefix: r.try_get("member_tariff_prefix")?,
        state: r.try_get("state")?,
        created_at: r.try_get("created_at")?,
        bridged_at: r.try_get("bridged_at")?,
        ended_at: r.try_get("ended_at")?,
        end_reason: r.try_get("end_reason")?,
        billed_seconds: r.try_get("billed_seconds")?,
        charge: r.try_get("charge")?,
        merchant_charge: r.try_get("merchant_charge")?,
        member_charge: r.try_get("member_charge")?,
    })
}
