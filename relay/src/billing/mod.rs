//! Billing for CALL: accounts, the ledger, tariffs, credit reservations and settlement
//! (CALL-4 who pays, CALL-7 pay per use).
//!
//! Money is integer minor units of one currency per deployment: [`CURRENCY`] (CNY), counted in
//! fen. A payer is a member, a merchant (one account per site) or a named sponsor ("see an ad,
//! call free"). Every change of a balance is a ledger entry written in the same transaction as
//! the cached `balance` column, so the balance always equals the sum of the entries.
//!
//! The life of one call, as the relay's CALL flow drives it:
//!
//! ```text
//! let payer = billing.account_for(&Payer::Member(member_id)).await?;  // or Merchant(site), Sponsor(..)
//! let mut r = billing.start_call(NewCall { public_id, member_id, site_id, button, payer,
//!                                          member_number, merchant_number }).await?;
//! // holds connect fee + CHUNK_SECONDS (or what is left), writes the call record `started`
//! billing.mark_bridged(&mut r, bridged_at_ms).await?;           // merchant answered: clock starts
//! billing.heartbeat(&r).await?;                                 // every HEARTBEAT_EVERY while up
//! if r.needs_extension(elapsed_s) {                             // < EXTEND_MARGIN paid ahead
//!     let grant = billing.extend(&mut r).await?;                // hang up at grant.paid_until s;
//! }                                                             // grant.limit: why no more
//! let end = CallOutcome::ended_at("member hung up", &r, ended_at_ms);
//! let s = billing.settle(r, end).await?;                        // Settlement { billed_seconds, charge, released }
//! ```
//!
//! The rest of the surface: `running_cost(&r, seconds)` for the widget's live cost;
//! `settle_orphans(stale_after)` / `spawn_janitor(stale_after, stop)` ([`janitor`]);
//! `credit`, `adjust`, `account`, `ledger`, `ledger_sum`, `set_daily_cap`, `create_sponsor`,
//! `sponsor`, `set_tariff`, `tariffs`, `tariff_for`, `call_record`, `call_records` ([`ledger`]).
//! Every error is a [`BillingError`] whose message a member can read. A refused `start_call`
//! writes nothing (no call record).
//!
//! The guarantees: credit is held only by one conditional UPDATE (`balance - reserved >= need`),
//! so concurrent calls on one account never hold more than it owns; the hold always equals
//! `price.charge(paid_until)` (both legs), so settling at `paid_until` charges exactly what was held and a
//! longer reported duration is capped at `paid_until` (the relay's lateness in hanging up is on the
//! house); an account never goes below zero (also a CHECK in the schema). Calls whose relay died are
//! settled by the [`janitor`] from their last heartbeat.
//!
//! Limits ([`Policy`]): a minimum available balance to start a call; a daily spend cap per payer
//! account, counting credit charged or held in the UTC day (checked inside the same conditional
//! UPDATE, so racing calls cannot pass it either); at settlement the unused part of a hold comes
//! back under the cap of the day of its last chunk. Members get [`DEFAULT_MEMBER_DAILY_CAP`]
//! unless their account has its own; merchants and sponsors get the policy's merchant and
//! sponsor caps. When a merchant or sponsor pays, each member also has a daily share of talk
//! seconds on that account ([`Policy::member_share_secs`]), held in the same transaction as the
//! credit by one conditional upsert. The minimum start balance covers [`Policy::min_talk_secs`]
//! at the call's tariff.
//!
//! - [`tariff`]: prices by destination prefix, the charge for N seconds and its inverse.
//! - [`price`]: a call's two legs (member's number, merchant's number), both billed from the
//!   bridge; the charge is their sum.
//! - [`ledger`]: payer accounts, credits and adjustments, tariffs, call records for reading.
//! - [`reservation`]: start, bridge, extend, heartbeat and settle one call.
//! - [`janitor`]: settles reservations left open by a relay that stopped.

pub mod janitor;
pub mod ledger;
pub mod price;
pub mod reservation;
pub mod tariff;

use std::time::Duration;

use crate::store::{Store, StoreError};

pub use crate::store::billing::{AccountKind, AccountRow, CallRecord, EntryKind, LedgerEntry};
pub use price::{CallPrice, LegCharges};
pub use reservation::{CallOutcome, Grant, Limit, NewCall, Reservation, Settlement};
pub use tariff::{Increments, Tariff, TariffError, MAX_CALL_SECONDS};

/// The deployment's one currency; every amount is in its minor unit (fen, 1/100 yuan).
pub const CURRENCY: &str = "CNY";
/// Minor units in one major unit, for display only (amounts are never converted to floats).
pub const MINOR_PER_MAJOR: i64 = 100;

/// Talk time held per chunk: a minute keeps the credit stranded by concurrent calls on one
/// account small, and means one extend (one UPDATE) per call-minute.
pub const CHUNK_SECONDS: u64 = 60;
/// Extend when less than this is paid ahead: room for a few database round trips even under
/// load, so a call with credit left never reaches its paid-until second unextended.
pub const EXTEND_MARGIN: Duration = Duration::from_secs(15);
/// How often the relay should refresh a live call's heartbeat. The janitor treats a reservation
/// as orphaned after [`janitor::STALE_AFTER`], several missed heartbeats later.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(20);

/// The credit a payer needs available to start a call (1 CNY): a call that can only afford a few
/// seconds annoys both parties; better to ask for a top-up before ringing anyone.
pub const DEFAULT_MIN_START_BALANCE: i64 = 100;
/// A member account's daily spend cap unless it has its own (200 CNY): bounds what a stolen
/// session can burn in a day. Merchant and sponsor accounts have no cap unless one is set.
pub const DEFAULT_MEMBER_DAILY_CAP: i64 = 20_000;

/// How many times a hold is retried when a concurrent call took the credit between reading the
/// account and the conditional UPDATE. Each retry re-reads, so it either fits what is left or
/// refuses; running out of attempts needs that many calls racing on one account at once.
const HOLD_ATTEMPTS: usize = 8;

/// Billing limits of a deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// See [`DEFAULT_MIN_START_BALANCE`].
    pub min_start_balance: i64,
    /// See [`DEFAULT_MEMBER_DAILY_CAP`]; `None`: no default cap for members.
    pub member_daily_cap: Option<i64>,
    /// Merchant and sponsor accounts' default daily caps
    /// ([`crate::calls::limits::DEFAULT_MERCHANT_DAILY_CAP`]); `None`: none.
    pub merchant_daily_cap: Option<i64>,
    pub sponsor_daily_cap: Option<i64>,
    /// Seconds a day one member may talk on one merchant's or sponsor's account
    /// ([`crate::calls::limits::DEFAULT_MEMBER_SHARE_MINUTES`]); `None`: no share.
    pub member_share_secs: Option<u64>,
    /// The start balance must pay for this much talk time at the call's tariff
    /// ([`crate::calls::limits::DEFAULT_MIN_TALK_SECS`]), as well as `min_start_balance`.
    pub min_talk_secs: u64,
}

impl Default for Policy {
    fn default() -> Self {
        use crate::calls::limits::*;
        Self {
            min_start_balance: DEFAULT_MIN_START_BALANCE,
            member_daily_cap: Some(DEFAULT_MEMBER_DAILY_CAP),
            merchant_daily_cap: Some(DEFAULT_MERCHANT_DAILY_CAP),
            sponsor_daily_cap: Some(DEFAULT_MERCHANT_DAILY_CAP),
            member_share_secs: Some(DEFAULT_MEMBER_SHARE_MINUTES * 60),
            min_talk_secs: DEFAULT_MIN_TALK_SECS,
        }
    }
}

impl Policy {
    /// No limits but the credit itself (tests, and deployments that bill elsewhere).
    pub fn open() -> Self {
        Self {
            min_start_balance: 0,
            member_daily_cap: None,
            merchant_daily_cap: None,
            sponsor_daily_cap: None,
            member_share_secs: None,
            min_talk_secs: 0,
        }
    }

    /// The daily cap of an account of `kind` without its own.
    pub fn default_cap(&self, kind: AccountKind) -> Option<i64> {
        match kind {
            AccountKind::Member => self.member_daily_cap,
            AccountKind::Merchant => self.merchant_daily_cap,
            AccountKind::Sponsor => self.sponsor_daily_cap,
        }
    }
}

/// Who pays for a call (CALL-4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payer {
    /// The calling member (member id).
    Member(i64),
    /// The merchant whose button was pressed (site id).
    Merchant(i64),
    /// A sponsor, by account id.
    Sponsor(i64),
    /// A sponsor, by the name a call button names.
    SponsorNamed(String),
}

/// A billing account's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub i64);

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why billing refused or failed. The message is a sentence a member (or operator) can act on.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("calls to {0} cannot be placed: there is no price for that destination yet")]
    NoTariff(String),
    #[error("not enough credit to start a call: {} available, {} needed. Top up and try again.", money(*.available), money(*.needed))]
    InsufficientBalance { available: i64, needed: i64 },
    #[error("today's spending limit of {} is reached; calls can be made again after midnight UTC", money(*.cap))]
    DailyCapReached { cap: i64 },
    #[error("you have used today's {minutes} minutes of calls this shop pays for; calls it pays for can be made again after midnight UTC")]
    ShareUsed { minutes: u64 },
    #[error("this call has already ended and been billed")]
    AlreadySettled,
    #[error("{0}")]
    NotFound(String),
    #[error("the amount must be {0}")]
    BadAmount(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("an adjustment of {} would leave less than the {} held by calls in progress", money(*.amount), money(*.held))]
    BelowHeld { amount: i64, held: i64 },
    #[error("the account is busy with many calls starting at once; try again in a moment")]
    Contended,
    #[error(transparent)]
    Tariff(#[from] TariffError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An amount for people: `12.34 CNY`, `-0.05 CNY`.
pub fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let per = MINOR_PER_MAJOR.unsigned_abs();
    format!("{sign}{}.{:02} {CURRENCY}", abs / per, abs % per)
}

/// Billing over the relay's store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Billing {
    store: Store,
    policy: Policy,
}

impl Billing {
    pub fn new(store: Store) -> Self {
        Self::with_policy(store, Policy::default())
    }

    pub fn with_policy(store: Store, policy: Policy) -> Self {
        Self { store, policy }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The cap that applies to an account without its own.
    fn default_cap(&self, kind: AccountKind) -> i64 {
        self.policy.default_cap(kind).unwrap_or(i64::MAX)
    }

    /// What the account may still commit today: (cap, room left under it).
    fn cap_room(&self, a: &AccountRow, day: i64) -> (i64, i64) {
        let cap = a.daily_cap.unwrap_or_else(|| self.default_cap(a.kind));
        let used = if a.cap_day == day { a.cap_used } else { 0 };
        (cap, cap.saturating_sub(used).max(0))
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// The UTC day (days since 1970-01-01) of a Unix-millisecond time: the daily cap's unit.
pub fn utc_day(at_ms: i64) -> i64 {
    at_ms.div_euclid(86_400_000)
}

/// Whole seconds from `from_ms` to `to_ms`, a started second counting as a second (as a started
/// billing increment does); 0 when `to_ms` is not after `from_ms`.
pub fn seconds_between(from_ms: i64, to_ms: i64) -> u64 {
    let ms = to_ms.saturating_sub(from_ms).max(0).unsigned_abs();
    ms.div_ceil(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_yuan() {
        assert_eq!(money(0), "0.00 CNY");
        assert_eq!(money(5), "0.05 CNY");
        assert_eq!(money(1234), "12.34 CNY");
        assert_eq!(money(-5), "-0.05 CNY");
        assert_eq!(money(i64::MIN), "-92233720368547758.08 CNY");
    }

    #[test]
    fn seconds_between_counts_a_started_second() {
        assert_eq!(seconds_between(1_000, 1_000), 0);
        assert_eq!(seconds_between(1_000, 900), 0);
        assert_eq!(seconds_between(1_000, 1_001), 1);
        assert_eq!(seconds_between(1_000, 61_000), 60);
        assert_eq!(seconds_between(1_000, 61_001), 61);
    }

    #[test]
    fn utc_days_turn_at_midnight() {
        assert_eq!(utc_day(0), 0);
        assert_eq!(utc_day(86_399_999), 0);
        assert_eq!(utc_day(86_400_000), 1);
    }
}
