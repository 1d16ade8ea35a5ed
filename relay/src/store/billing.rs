//! Store functions of billing: accounts, ledger entries, tariffs, reservations, call records.
//! The rules (what to reserve, what to charge) live in `crate::billing`; these functions apply
//! them atomically. Every change of `balance` and its ledger entry share one transaction, and
//! credit is held only by a conditional UPDATE (`balance - reserved >= need`) so concurrent calls
//! can never hold more than the account owns. Transactions write first, so a SQLite connection
//! takes the write lock (waiting up to `busy_timeout`) before it reads anything.
//!
//! - [`accounts`]: accounts, ledger entries, tariffs.
//! - [`calls`]: call records and their reservations: open, hold more, bridge, heartbeat, settle.

use sqlx::any::AnyRow;
use sqlx::Row;

mod accounts;
mod calls;

use super::{Result, StoreError};
use crate::billing::tariff::{Increments, Tariff};
use crate::billing::{CallPrice, LegCharges};

/// Who an account belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    Member,
    Merchant,
    Sponsor,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Merchant => "merchant",
            Self::Sponsor => "sponsor",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "member" => Ok(Self::Member),
            "merchant" => Ok(Self::Merchant),
            "sponsor" => Ok(Self::Sponsor),
            other => Err(corrupt("account kind", other)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRow {
    pub id: i64,
    pub kind: AccountKind,
    pub member_id: Option<i64>,
    pub site_id: Option<i64>,
    pub sponsor_name: Option<String>,
    pub balance: i64,
    pub reserved: i64,
    /// The account's own daily cap; `None`: the relay's default for its kind.
    pub daily_cap: Option<i64>,
    pub cap_day: i64,
    pub cap_used: i64,
}

/// The kind of a ledger entry: a credit adds, a charge takes away, an adjustment either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Credit,
    Charge,
    Adjustment,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credit => "credit",
            Self::Charge => "charge",
            Self::Adjustment => "adjustment",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "credit" => Ok(Self::Credit),
            "charge" => Ok(Self::Charge),
            "adjustment" => Ok(Self::Adjustment),
            other => Err(corrupt("ledger entry kind", other)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: i64,
    pub account_id: i64,
    pub kind: EntryKind,
    /// Signed minor units.
    pub amount: i64,
    pub call_id: Option<i64>,
    pub note: String,
    pub created_at: i64,
}

/// One CALL's record (CDR). `state` is `started`, `bridged` or `ended`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    pub id: i64,
    pub public_id: String,
    pub member_id: i64,
    pub site_id: i64,
    pub button_key: String,
    pub payer_account_id: i64,
    pub member_number: String,
    pub merchant_number: String,
    /// Leg B's (the merchant's number) tariff prefix.
    pub tariff_prefix: String,
    /// Leg A's (the member's number) tariff prefix; `None` on records from before leg A was
    /// priced.
    pub member_tariff_prefix: Option<String>,
    pub state: String,
    pub created_at: i64,
    pub bridged_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
    pub billed_seconds: Option<i64>,
    /// Both legs (set when ended).
    pub charge: Option<i64>,
    /// Leg B's part of `charge`.
    pub merchant_charge: Option<i64>,
    /// Leg A's part of `charge`.
    pub member_charge: Option<i64>,
}

/// A new call record with the first chunk of credit it holds.
#[derive(Clone, Debug)]
pub struct OpenCall<'a> {
    pub public_id: &'a str,
    pub member_id: i64,
    pub site_id: i64,
    pub button_key: &'a str,
    pub account_id: i64,
    pub member_number: &'a str,
    pub merchant_number: &'a str,
    pub price: &'a CallPrice,
    pub hold: Hold,
}

/// Credit to hold on an account, and the conditions under which the hold is allowed.
#[derive(Clone, Copy, Debug)]
pub struct Hold {
    /// Added to `reserved` (and to the day's `cap_used`).
    pub amount: i64,
    /// The hold needs at least this much available (>= `amount`; the minimum balance to start).
    pub need_available: i64,
    /// The UTC day the hold counts against.
    pub day: i64,
    /// The daily cap when the account has none of its own.
    pub default_cap: i64,
    /// The reservation's paid-until second after the hold.
    pub paid_until: u64,
    /// When the hold is made (Unix ms); it also counts as the call's heartbeat.
    pub at_ms: i64,
    /// The member's daily share of the account this hold also counts against, if any.
    pub share: Option<ShareHold>,
}

/// Talk seconds a hold counts against a member's daily share of a merchant's or sponsor's
/// account: `add` seconds are counted when `need` more still fit under `limit` that day.
#[derive(Clone, Copy, Debug)]
pub struct ShareHold {
    pub member_id: i64,
    pub limit: i64,
    /// The seconds wanted (at most what is left of the share).
    pub need: i64,
    /// The seconds the hold pays for (`need` rounded up to the tariff's increments).
    pub add: i64,
}

/// An open reservation as the janitor and the tests see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservationRow {
    pub call_id: i64,
    pub public_id: String,
    pub account_id: i64,
    pub price: CallPrice,
    pub reserved: i64,
    pub paid_until: u64,
    pub bridged_at_ms: Option<i64>,
    pub alive_at_ms: i64,
}

/// What ends a call: the charge and the record's final fields.
#[derive(Clone, Debug)]
pub struct SettleCall<'a> {
    pub call_id: i64,
    pub public_id: &'a str,
    /// What each leg costs for `billed_seconds`; the charge is their sum (capped at the hold).
    pub legs: LegCharges,
    pub billed_seconds: u64,
    pub reason: &'a str,
    /// Settle only if the heartbeat is at or before this (the janitor); `i64::MAX` otherwise.
    pub alive_at_most_ms: i64,
}

/// The outcome of a settlement that happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settled {
    pub charge: i64,
    /// Leg A's part of `charge`.
    pub member_leg: i64,
    pub released: i64,
}

/// Whether more credit could be held for a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldOutcome {
    Held,
    /// Not enough available (or over the cap) at the moment of the UPDATE.
    Refused,
    /// The reservation is already settled (by hang-up or by the janitor).
    Settled,
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Conflict(format!("stored {what} '{value}' is corrupt"))
}

pub(super) fn tariff_of(r: &AnyRow, prefix: String) -> Result<Tariff> {
    tariff_at(r, prefix, "")
}

/// A tariff from columns `{col}connect_fee`, `{col}per_minute`, `{col}first_increment`,
/// `{col}next_increment` (`col` is "" for leg B, "member_" for leg A).
pub(super) fn tariff_at(r: &AnyRow, prefix: String, col: &str) -> Result<Tariff> {
    let inc = |c: &str| -> Result<u64> {
        let c = format!("{col}{c}");
        let v: i64 = r.try_get(c.as_str())?;
        u64::try_from(v).map_err(|_| corrupt(&c, &v.to_string()))
    };
    Ok(Tariff {
        prefix,
        connect_fee: r.try_get(format!("{col}connect_fee").as_str())?,
        per_minute: r.try_get(format!("{col}per_minute").as_str())?,
        increments: Increments {
            first: inc("first_increment")?,
            next: inc("next_increment")?,
        },
    })
}

pub(super) fn seconds(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
