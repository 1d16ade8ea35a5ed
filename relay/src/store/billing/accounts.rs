//! Billing accounts and their ledger entries, and tariffs by destination prefix.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{seconds, tariff_of, AccountKind, AccountRow, EntryKind, LedgerEntry};
use crate::billing::tariff::Tariff;
use crate::store::{is_unique_violation, now, Result, Store, StoreError};

const ACCOUNT_COLUMNS: &str = "id, kind, member_id, site_id, sponsor_name, balance, reserved, \
    daily_cap, cap_day, cap_used";

fn account_row(r: &AnyRow) -> Result<AccountRow> {
    Ok(AccountRow {
        id: r.try_get("id")?,
        kind: AccountKind::parse(&r.try_get::<String, _>("kind")?)?,
        member_id: r.try_get("member_id")?,
        site_id: r.try_get("site_id")?,
        sponsor_name: r.try_get("sponsor_name")?,
        balance: r.try_get("balance")?,
        reserved: r.try_get("reserved")?,
        daily_cap: r.try_get("daily_cap")?,
        cap_day: r.try_get("cap_day")?,
        cap_used: r.try_get("cap_used")?,
    })
}

impl Store {
    /// The member's or site's account, created (balance 0) on first use.
    pub async fn ensure_account(&self, kind: AccountKind, owner_id: i64) -> Result<AccountRow> {
        let column = match kind {
            AccountKind::Member => "member_id",
            AccountKind::Merchant => "site_id",
            AccountKind::Sponsor => {
                return Err(StoreError::Conflict(
                    "sponsor accounts are created by name, not on first use".into(),
                ))
            }
        };
        sqlx::query(&format!(
            "INSERT INTO billing_accounts (kind, {column}, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT ({column}) DO NOTHING"
        ))
        .bind(kind.as_str())
        .bind(owner_id)
        .bind(now())
        .execute(self.pool())
        .await?;
        self.account_where(column, owner_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no account for {column} {owner_id}")))
    }

    /// True when the member (or site) an account would belong to exists.
    pub async fn owner_exists(&self, kind: AccountKind, owner_id: i64) -> Result<bool> {
        let table = match kind {
            AccountKind::Member => "members",
            AccountKind::Merchant => "sites",
            AccountKind::Sponsor => return Ok(self.account(owner_id).await?.is_some()),
        };
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table} WHERE id = $1"))
            .bind(owner_id)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    pub async fn create_sponsor(&self, name: &str) -> Result<AccountRow> {
        sqlx::query(
            "INSERT INTO billing_accounts (kind, sponsor_name, created_at) VALUES ('sponsor', $1, $2)",
        )
        .bind(name)
        .bind(now())
        .execute(self.pool())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("a sponsor named '{name}' already exists"))
            } else {
                e.into()
            }
        })?;
        self.sponsor_account(name)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no sponsor named '{name}'")))
    }

    pub async fn sponsor_account(&self, name: &str) -> Result<Option<AccountRow>> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM billing_accounts WHERE sponsor_name = $1"
        ))
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| account_row(&r)).transpose()
    }

    /// Every sponsor account, by name.
    pub async fn sponsor_accounts(&self) -> Result<Vec<AccountRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM billing_accounts WHERE kind = 'sponsor' ORDER BY sponsor_name"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(account_row).collect()
    }

    pub async fn account(&self, id: i64) -> Result<Option<AccountRow>> {
        self.account_where("id", id).await
    }

    async fn account_where(&self, column: &str, value: i64) -> Result<Option<AccountRow>> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM billing_accounts WHERE {column} = $1"
        ))
        .bind(value)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| account_row(&r)).transpose()
    }

    /// Sets (or with `None` clears) an account's own daily cap.
    pub async fn set_daily_cap(&self, account: i64, cap: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE billing_accounts SET daily_cap = $1 WHERE id = $2")
            .bind(cap)
            .bind(account)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Adds a signed entry and moves the balance with it, in one transaction. `None` (nothing
    /// written) when the entry would leave the balance below the credit held by calls.
    pub async fn post_entry(
        &self,
        account: i64,
        kind: EntryKind,
        amount: i64,
        note: &str,
    ) -> Result<Option<i64>> {
        let mut tx = self.pool().begin().await?;
        let moved = sqlx::query(
            "UPDATE billing_accounts SET balance = balance + $1 \
             WHERE id = $2 AND balance + $1 >= reserved",
        )
        .bind(amount)
        .bind(account)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Ok(None);
        }
        let row = sqlx::query(
            "INSERT INTO ledger_entries (account_id, kind, amount, note, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(account)
        .bind(kind.as_str())
        .bind(amount)
        .bind(note)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(row.try_get("id")?))
    }

    /// The sum of an account's ledger entries (what its balance must equal).
    pub async fn ledger_sum(&self, account: i64) -> Result<i64> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM ledger_entries \
             WHERE account_id = $1",
        )
        .bind(account)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("total")?)
    }

    /// The newest entries of an account first.
    pub async fn ledger_entries(&self, account: i64, limit: i64) -> Result<Vec<LedgerEntry>> {
        let rows = sqlx::query(
            "SELECT id, account_id, kind, amount, call_id, note, created_at FROM ledger_entries \
             WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(account)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LedgerEntry {
                    id: r.try_get("id")?,
                    account_id: r.try_get("account_id")?,
                    kind: EntryKind::parse(&r.try_get::<String, _>("kind")?)?,
                    amount: r.try_get("amount")?,
                    call_id: r.try_get("call_id")?,
                    note: r.try_get("note")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Creates or replaces the tariff of a prefix.
    pub async fn set_tariff(&self, t: &Tariff) -> Result<()> {
        sqlx::query(
            "INSERT INTO tariffs (prefix, connect_fee, per_minute, first_increment, next_increment, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (prefix) DO UPDATE SET \
             connect_fee = excluded.connect_fee, per_minute = excluded.per_minute, \
             first_increment = excluded.first_increment, next_increment = excluded.next_increment, \
             updated_at = excluded.updated_at",
        )
        .bind(&t.prefix)
        .bind(t.connect_fee)
        .bind(t.per_minute)
        .bind(seconds(t.increments.first))
        .bind(seconds(t.increments.next))
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// True when a tariff was removed.
    pub async fn remove_tariff(&self, prefix: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM tariffs WHERE prefix = $1")
            .bind(prefix)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn list_tariffs(&self) -> Result<Vec<Tariff>> {
        let rows = sqlx::query(
            "SELECT prefix, connect_fee, per_minute, first_increment, next_increment FROM tariffs \
             ORDER BY prefix",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| tariff_of(r, r.try_get("prefix")?))
            .collect()
    }

    /// The tariff whose prefix is the longest prefix of `number` (prefixes are `+digits`, so
    /// LIKE has no wildcard inside them to misread).
    pub async fn tariff_for(&self, number: &str) -> Result<Option<Tariff>> {
        let row = sqlx::query(
            "SELECT prefix, connect_fee, per_minute, first_increment, next_increment FROM tariffs \
             WHERE $1 LIKE prefix || '%' ORDER BY LENGTH(prefix) DESC LIMIT 1",
        )
        .bind(number)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| tariff_of(&r, r.try_get("prefix")?)).transpose()
    }
}
