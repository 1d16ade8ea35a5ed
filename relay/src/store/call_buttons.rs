//! Merchant call buttons: the key a page names, the merchant number behind it (server-side only)
//! and who pays for calls through it (CALL-3, CALL-4).

use ringlink_protocol::call_me::PayerKind;
use ringlink_protocol::E164;
use sqlx::Row;

use super::{now, Result, Store, StoreError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallButton {
    pub site_id: i64,
    pub key: String,
    pub label: String,
    pub number: E164,
    pub payer: PayerKind,
    /// The sponsor account's name when a sponsor pays.
    pub sponsor: Option<String>,
    /// Calls at once through this button; `None`: the relay's `[calls] button_capacity`.
    pub capacity: Option<u32>,
}

fn payer_of(name: &str) -> Result<PayerKind> {
    PayerKind::parse(name)
        .ok_or_else(|| StoreError::Conflict(format!("stored payer '{name}' is corrupt")))
}

impl Store {
    /// Creates or replaces a button of a site.
    pub async fn set_call_button(&self, b: &CallButton) -> Result<()> {
        sqlx::query(
            "INSERT INTO call_buttons (site_id, button_key, label, number, payer, sponsor, created_at, \
             capacity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (site_id, button_key) DO UPDATE SET label = excluded.label, \
             number = excluded.number, payer = excluded.payer, sponsor = excluded.sponsor, \
             capacity = excluded.capacity",
        )
        .bind(b.site_id)
        .bind(&b.key)
        .bind(&b.label)
        .bind(b.number.as_str())
        .bind(b.payer.as_str())
        .bind(b.sponsor.as_deref())
        .bind(now())
        .bind(b.capacity.map(i64::from))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn call_button(&self, site_id: i64, key: &str) -> Result<Option<CallButton>> {
        let row = sqlx::query(
            "SELECT site_id, button_key, label, number, payer, sponsor, capacity FROM call_buttons \
             WHERE site_id = $1 AND button_key = $2",
        )
        .bind(site_id)
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| button_row(&r)).transpose()
    }

    pub async fn list_call_buttons(&self, site_id: i64) -> Result<Vec<CallButton>> {
        let rows = sqlx::query(
            "SELECT site_id, button_key, label, number, payer, sponsor, capacity FROM call_buttons \
             WHERE site_id = $1 ORDER BY button_key",
        )
        .bind(site_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(button_row).collect()
    }

    pub async fn remove_call_button(&self, site_id: i64, key: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM call_buttons WHERE site_id = $1 AND button_key = $2")
            .bind(site_id)
            .bind(key)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "no button '{key}' on this site"
            )));
        }
        Ok(())
    }
}

fn button_row(r: &sqlx::any::AnyRow) -> Result<CallButton> {
    let number: String = r.try_get("number")?;
    let payer: String = r.try_get("payer")?;
    Ok(CallButton {
        site_id: r.try_get("site_id")?,
        key: r.try_get("button_key")?,
        label: r.try_get("label")?,
        number: E164::new(&number)
            .map_err(|e| StoreError::Conflict(format!("stored number is corrupt: {e}")))?,
        payer: payer_of(&payer)?,
        sponsor: r.try_get("sponsor")?,
        capacity: r
            .try_get::<Option<i64>, _>("capacity")?
            .map(|c| u32::try_from(c).unwrap_or(u32::MAX)),
    })
}
