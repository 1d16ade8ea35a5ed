//! The site's CALL setup as its console admins see it (#11 "Admin": what today needs the
//! operator's CLI): call buttons, the merchant account's balance and latest ledger entries, the
//! call records, and calls and spend per day for the dashboard. Read-only here: buttons'
//! numbers are still set by the operator, who checks them (`admin button set`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::api::ApiError;
use crate::chat;
use crate::store::billing::AccountKind;
use crate::Relay;

#[derive(Serialize)]
struct Button {
    key: String,
    label: String,
    number: String,
    payer: &'static str,
    sponsor: Option<String>,
    capacity: Option<u32>,
}

#[derive(Serialize)]
struct Record {
    id: String,
    button: String,
    state: String,
    created_at: i64,
    billed_seconds: Option<i64>,
    charge: Option<i64>,
    merchant_charge: Option<i64>,
    end_reason: Option<String>,
}

#[derive(Serialize, Default, Clone)]
struct Day {
    /// Days since 1970-01-01 (UTC).
    day: i64,
    calls: u32,
    seconds: i64,
    /// What the merchant paid, minor units.
    spend: i64,
}

#[derive(Serialize)]
struct Entry {
    kind: String,
    amount: i64,
    note: String,
    created_at: i64,
}

#[derive(Serialize)]
struct CallsView {
    buttons: Vec<Button>,
    balance: i64,
    ledger: Vec<Entry>,
    records: Vec<Record>,
    /// The last 14 days, oldest first.
    per_day: Vec<Day>,
}

pub async fn calls(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    let (me, _) = chat::staff::authenticate(&relay, token).await?;
    if !me.is_admin() {
        return Err(ringlink_protocol::ErrorBody::new(
            ringlink_protocol::ErrorCode::NotAdmin,
            "only the site's admins may see its calls and money",
        )
        .into());
    }
    let store = &relay.store;
    let buttons = store
        .list_call_buttons(me.site_id)
        .await
        .map_err(chat::internal)?
        .into_iter()
        .map(|b| Button {
            key: b.key,
            label: b.label,
            number: b.number.to_string(),
            payer: b.payer.as_str(),
            sponsor: b.sponsor,
            capacity: b.capacity,
        })
        .collect();
    let account = store
        .ensure_account(AccountKind::Merchant, me.site_id)
        .await
        .map_err(chat::internal)?;
    let balance = store.ledger_sum(account.id).await.map_err(chat::internal)?;
    let ledger = store
        .ledger_entries(account.id, 50)
        .await
        .map_err(chat::internal)?
        .into_iter()
        .map(|e| Entry {
            kind: e.kind.as_str().to_owned(),
            amount: e.amount,
            note: e.note,
            created_at: e.created_at,
        })
        .collect();
    let today = crate::store::now() / 86_400;
    let since = (today - 13) * 86_400;
    let rows = store
        .call_records_of_site(me.site_id, since, 10_000)
        .await
        .map_err(chat::internal)?;
    let mut per_day: Vec<Day> = (0..14)
        .map(|i| Day {
            day: today - 13 + i,
            ..Day::default()
        })
        .collect();
    for r in &rows {
        let i = (r.created_at / 86_400 - (today - 13)).clamp(0, 13) as usize;
        per_day[i].calls += 1;
        per_day[i].seconds += r.billed_seconds.unwrap_or(0);
        per_day[i].spend += r.merchant_charge.unwrap_or(0);
    }
    let records = rows
        .into_iter()
        .take(100)
        .map(|r| Record {
            id: r.public_id,
            button: r.button_key,
            state: r.state,
            created_at: r.created_at,
            billed_seconds: r.billed_seconds,
            charge: r.charge,
            merchant_charge: r.merchant_charge,
            end_reason: r.end_reason,
        })
        .collect();
    Ok(Json(CallsView {
        buttons,
        balance,
        ledger,
        records,
        per_day,
    })
    .into_response())
}
