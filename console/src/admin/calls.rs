//! The site's CALL setup (`GET /v1/console/calls`, admins only): its call buttons with the
//! numbers they dial and who pays, the merchant account's balance and latest ledger entries,
//! and the latest call records. Read-only: the operator sets buttons' numbers (and checks them).

use leptos::prelude::*;

use crate::app::App;
use crate::chart::money;

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Button {
    pub key: String,
    pub label: String,
    pub number: String,
    pub payer: String,
    #[serde(default)]
    pub sponsor: Option<String>,
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Record {
    pub id: String,
    pub button: String,
    pub state: String,
    pub created_at: i64,
    pub billed_seconds: Option<i64>,
    pub merchant_charge: Option<i64>,
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Entry {
    pub kind: String,
    pub amount: i64,
    pub note: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Day {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub calls: u32,
    pub spend: i64,
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct CallsView {
    pub buttons: Vec<Button>,
    pub balance: i64,
    pub ledger: Vec<Entry>,
    pub records: Vec<Record>,
    pub per_day: Vec<Day>,
}

/// Unix seconds as `2026-12-02 06:50` (UTC).
pub fn when(secs: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(secs as f64 * 1000.0));
    let iso = d.to_iso_string().as_string().unwrap_or_default();
    iso.get(..16).unwrap_or(&iso).replacen('T', " ", 1)
}

pub fn page(app: App) -> impl IntoView {
    let a = app.lang.get_untracked().admin();
    let data = RwSignal::new(None::<Result<CallsView, String>>);
    super::load("/v1/console/calls".into(), data);
    let show = move |v: CallsView| {
        view! {
            <h2>{a.buttons}</h2>
            <table class="c-table" data-c="call-buttons">
                <thead><tr><th>{a.key}</th><th>{a.label}</th><th>{a.number}</th><th>{a.payer}</th></tr></thead>
                <tbody>{v.buttons.into_iter().map(|b| { let k = b.key.clone(); view! {
                    <tr data-c="call-button" data-key=k>
                        <td>{b.key}</td><td>{b.label}</td><td>{b.number}</td>
                        <td>{match b.sponsor { Some(s) => format!("{} ({s})", b.payer), None => b.payer }}</td>
                    </tr>
                }}).collect_view()}</tbody>
            </table>
            <p>{a.balance}": "<strong data-c="call-balance">{money(v.balance)}</strong></p>
            <h2>{a.ledger}</h2>
            {if v.ledger.is_empty() { Some(view! { <p class="c-muted">{a.no_rows}</p> }) } else { None }}
            <table class="c-table" data-c="ledger">
                <thead><tr><th>{a.when}</th><th>{a.note}</th><th>{a.amount}</th></tr></thead>
                <tbody>{v.ledger.into_iter().map(|e| view! {
                    <tr data-c="ledger-entry"><td>{when(e.created_at)}</td>
                        <td>{format!("{} {}", e.kind, e.note)}</td><td>{money(e.amount)}</td></tr>
                }).collect_view()}</tbody>
            </table>
            <h2>{a.records}</h2>
            {if v.records.is_empty() { Some(view! { <p class="c-muted">{a.no_rows}</p> }) } else { None }}
            <table class="c-table" data-c="call-records">
                <thead><tr><th>{a.when}</th><th>{a.key}</th><th>{a.state}</th><th>{a.seconds}</th><th>{a.charge}</th></tr></thead>
                <tbody>{v.records.into_iter().map(|r| view! {
                    <tr data-c="call-record" data-call=r.id.clone()><td>{when(r.created_at)}</td><td>{r.button}</td>
                        <td>{r.state}</td><td>{r.billed_seconds.map(|s| s.to_string()).unwrap_or_default()}</td>
                        <td>{r.merchant_charge.map(money).unwrap_or_default()}</td></tr>
                }).collect_view()}</tbody>
            </table>
        }
    };
    view! {
        <h2>{a.tab_calls}</h2>
        {super::loaded(app, data, show)}
    }
}
