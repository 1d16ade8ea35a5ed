//! One call's credit: start (hold a first chunk and write the call record), bridge (start the
//! billing clock), extend (hold another chunk), heartbeat, and settle (charge, release, end the
//! record). The hold is always `price.charge(paid_until)` (both legs, see [`super::price`]), so the relay can hang up at
//! `paid_until` seconds after the bridge and the settlement charges exactly what was held.

use ringlink_protocol::E164;

use super::{
    now_ms, seconds_between, utc_day, AccountId, Billing, BillingError, CallPrice, CHUNK_SECONDS,
    EXTEND_MARGIN, HOLD_ATTEMPTS, MAX_CALL_SECONDS,
};
use crate::store::billing::{
    AccountKind, AccountRow, Hold, HoldOutcome, OpenCall, SettleCall, ShareHold,
};

/// The longest end reason kept on a call record, in characters.
const MAX_REASON_CHARS: usize = 200;

/// A call about to be placed, as the CALL flow knows it.
#[derive(Clone, Debug)]
pub struct NewCall {
    /// The call's public id (unique; what the widget and logs name).
    pub public_id: String,
    pub member_id: i64,
    pub site_id: i64,
    /// The button key the page named.
    pub button: String,
    /// From [`Billing::account_for`].
    pub payer: AccountId,
    /// Leg A, priced by its longest tariff prefix.
    pub member_number: E164,
    /// Leg B, priced by its longest tariff prefix.
    pub merchant_number: E164,
}

/// Why no more credit can be held for a call: the call ends at its `paid_until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The payer's available credit is used up.
    Balance,
    /// The payer's daily spend cap is reached.
    DailyCap,
    /// The call reached [`MAX_CALL_SECONDS`].
    MaxCallLength,
    /// The member's daily share of the merchant's or sponsor's account is used up.
    Share,
}

/// What the call may run to after an extend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Seconds after the bridge the held credit pays for, exactly: hang up at this second.
    pub paid_until: u64,
    /// Minor units held in all for the call.
    pub reserved: i64,
    /// Set when no more can be held: warn the caller, then hang up at `paid_until`.
    pub limit: Option<Limit>,
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// Why it ended, for the call record ("member hung up", "credit used up", ...).
    pub reason: String,
    /// Whole seconds from bridge to end (a started second counts); `None` if never bridged.
    pub bridged_seconds: Option<u64>,
}

impl CallOutcome {
    /// The outcome of a call ending at `ended_at_ms`, its duration taken from the bridge time
    /// given to [`Billing::mark_bridged`].
    pub fn ended_at(reason: &str, r: &Reservation, ended_at_ms: i64) -> Self {
        Self {
            reason: reason.into(),
            bridged_seconds: r.bridged_at_ms.map(|b| seconds_between(b, ended_at_ms)),
        }
    }
}

/// What a settled call cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// The seconds charged: the bridged seconds, capped at the paid-until second.
    pub billed_seconds: u64,
    /// Minor units charged (a `charge` ledger entry when above 0), both legs.
    pub charge: i64,
    /// Of `charge`, what leg A (the member's number) cost; the rest is leg B's.
    pub member_leg: i64,
    /// Minor units held and given back.
    pub released: i64,
}

/// The credit one call holds. Not `Clone`: settle consumes it.
#[derive(Debug)]
pub struct Reservation {
    call_id: i64,
    public_id: String,
    account: AccountId,
    price: CallPrice,
    reserved: i64,
    paid_until: u64,
    bridged_at_ms: Option<i64>,
    limit: Option<Limit>,
    member_id: i64,
    /// The member's daily share of the payer account, seconds, when one applies.
    share: Option<u64>,
}

impl Reservation {
    /// The call record's row id.
    pub fn call_id(&self) -> i64 {
        self.call_id
    }
    pub fn public_id(&self) -> &str {
        &self.public_id
    }
    pub fn account(&self) -> AccountId {
        self.account
    }
    /// Both legs' tariffs the call is priced at (fixed at start).
    pub fn price(&self) -> &CallPrice {
        &self.price
    }
    pub fn reserved(&self) -> i64 {
        self.reserved
    }
    /// Seconds after the bridge the held credit pays for.
    pub fn paid_until(&self) -> u64 {
        self.paid_until
    }
    pub fn bridged_at_ms(&self) -> Option<i64> {
        self.bridged_at_ms
    }
    /// Set once no more credit can be held.
    pub fn limit(&self) -> Option<Limit> {
        self.limit
    }
    /// The grant as it stands.
    pub fn grant(&self) -> Grant {
        Grant {
            paid_until: self.paid_until,
            reserved: self.reserved,
            limit: self.limit,
        }
    }
    /// True when the call, `elapsed` seconds after the bridge, should extend: less than
    /// [`EXTEND_MARGIN`] is paid ahead and more might be had.
    pub fn needs_extension(&self, elapsed: u64) -> bool {
        self.limit.is_none() && self.paid_until.saturating_sub(elapsed) < EXTEND_MARGIN.as_secs()
    }
}

/// How much more to hold to reach `want_total` held, given `room` (available credit, daily cap
/// left): the whole difference when it fits, else the most that pays for whole increments.
/// Returns (amount to add, new paid-until, whether room cut it short).
fn fit(price: &CallPrice, held: i64, want_total: i64, room: i64) -> (i64, u64, bool) {
    let want = want_total - held;
    if want <= room {
        return (want, price.seconds_for(want_total), false);
    }
    let paid = price.seconds_for(held.saturating_add(room.max(0)));
    (price.charge(paid) - held, paid, true)
}

impl Billing {
    /// Prices the call, checks the minimum balance and daily cap, holds the first chunk
    /// ([`CHUNK_SECONDS`], or what is left if that pays for at least the first increment) and
    /// writes the call record (`started`). Nothing is written when refused.
    pub async fn start_call(&self, call: NewCall) -> Result<Reservation, BillingError> {
        let price = self
            .price_for(call.member_number.as_str(), call.merchant_number.as_str())
            .await?;
        let chunk = CHUNK_SECONDS.min(MAX_CALL_SECONDS);
        // The start balance pays for a useful minimum talk time at this call's price (both legs).
        let min_start = self
            .policy
            .min_start_balance
            .max(price.charge(self.policy.min_talk_secs.min(MAX_CALL_SECONDS)));
        for _ in 0..HOLD_ATTEMPTS {
            let account = self.account(call.payer).await?;
            let now = now_ms();
            let day = utc_day(now);
            let available = account.balance - account.reserved;
            let first = price.charge(1);
            if available < min_start {
                return Err(BillingError::InsufficientBalance {
                    available,
                    needed: min_start.max(first),
                });
            }
            let share = self.share_of(&account);
            let share_left = match share {
                Some(limit) => {
                    let used = self
                        .store
                        .member_share_used(account.id, call.member_id, day)
                        .await?;
                    let left = limit.saturating_sub(used);
                    if left == 0 {
                        return Err(BillingError::ShareUsed {
                            minutes: limit / 60,
                        });
                    }
                    left
                }
                None => u64::MAX,
            };
            let target = chunk.min(share_left);
            let want_total = price.charge(target);
            let (cap, cap_left) = self.cap_room(&account, day);
            let (amount, paid_until, short) = fit(&price, 0, want_total, available.min(cap_left));
            if paid_until == 0 {
                return Err(if cap_left < available {
                    BillingError::DailyCapReached { cap }
                } else {
                    BillingError::InsufficientBalance {
                        available,
                        needed: min_start.max(first),
                    }
                });
            }
            let hold = Hold {
                amount,
                need_available: amount.max(min_start),
                day,
                default_cap: self.default_cap(account.kind),
                paid_until,
                at_ms: now,
                share: share.map(|limit| ShareHold {
                    member_id: call.member_id,
                    limit: seconds_i64(limit),
                    need: seconds_i64(target.min(paid_until)),
                    add: seconds_i64(paid_until),
                }),
            };
            let open = OpenCall {
                public_id: &call.public_id,
                member_id: call.member_id,
                site_id: call.site_id,
                button_key: &call.button,
                account_id: call.payer.0,
                member_number: call.member_number.as_str(),
                merchant_number: call.merchant_number.as_str(),
                price: &price,
                hold,
            };
            let short_of_share = share.is_some() && target < chunk && paid_until <= target;
            if let Some(call_id) = self.store.open_call(&open).await? {
                let limit = if short_of_share && !short {
                    Some(Limit::Share)
                } else {
                    limit_of(short, cap_left, available, paid_until)
                };
                return Ok(Reservation {
                    call_id,
                    public_id: call.public_id,
                    account: call.payer,
                    limit,
                    price,
                    reserved: amount,
                    paid_until,
                    bridged_at_ms: None,
                    member_id: call.member_id,
                    share,
                });
            }
        }
        Err(BillingError::Contended)
    }

    /// The member's daily share of `account` in seconds, when one applies (someone other than
    /// the member pays).
    fn share_of(&self, account: &AccountRow) -> Option<u64> {
        match account.kind {
            AccountKind::Member => None,
            AccountKind::Merchant | AccountKind::Sponsor => self.policy.member_share_secs,
        }
    }

    /// Starts the billing clock: the merchant answered and the legs are bridged at `at_unix_ms`.
    /// Also counts as a heartbeat.
    pub async fn mark_bridged(
        &self,
        r: &mut Reservation,
        at_unix_ms: i64,
    ) -> Result<(), BillingError> {
        if !self.store.bridge_call(r.call_id, at_unix_ms).await? {
            return Err(BillingError::AlreadySettled);
        }
        r.bridged_at_ms = Some(at_unix_ms);
        Ok(())
    }

    /// Holds another chunk, or what is left of the credit (or of the daily cap) in whole
    /// increments; a hold also counts as a heartbeat. The grant's `paid_until` is exact: the held credit pays for that second and
    /// not the next. [`BillingError::AlreadySettled`] when the janitor settled the call.
    pub async fn extend(&self, r: &mut Reservation) -> Result<Grant, BillingError> {
        if r.paid_until >= MAX_CALL_SECONDS {
            r.limit = Some(Limit::MaxCallLength);
            return Ok(r.grant());
        }
        let chunk_end = (r.paid_until + CHUNK_SECONDS).min(MAX_CALL_SECONDS);
        for _ in 0..HOLD_ATTEMPTS {
            let account = self.account(r.account).await?;
            let now = now_ms();
            let day = utc_day(now);
            let share_left = match r.share {
                Some(limit) => {
                    let used = self
                        .store
                        .member_share_used(account.id, r.member_id, day)
                        .await?;
                    limit.saturating_sub(used)
                }
                None => u64::MAX,
            };
            if share_left == 0 {
                r.limit = Some(Limit::Share);
                return Ok(r.grant());
            }
            let target = chunk_end.min(r.paid_until.saturating_add(share_left));
            let want_total = r.price.charge(target);
            let available = account.balance - account.reserved;
            let (_, cap_left) = self.cap_room(&account, day);
            let (amount, paid_until, short) =
                fit(&r.price, r.reserved, want_total, available.min(cap_left));
            if amount <= 0 || paid_until <= r.paid_until {
                r.limit = limit_of(true, cap_left, available, paid_until);
                return Ok(r.grant());
            }
            let hold = Hold {
                amount,
                need_available: amount,
                day,
                default_cap: self.default_cap(account.kind),
                paid_until,
                at_ms: now,
                share: r.share.map(|limit| ShareHold {
                    member_id: r.member_id,
                    limit: seconds_i64(limit),
                    need: seconds_i64(target.min(paid_until) - r.paid_until),
                    add: seconds_i64(paid_until - r.paid_until),
                }),
            };
            let short_of_share = r.share.is_some() && target < chunk_end && paid_until <= target;
            match self.store.hold_more(r.call_id, r.account.0, &hold).await? {
                HoldOutcome::Held => {
                    r.reserved += amount;
                    r.paid_until = paid_until;
                    r.limit = if short_of_share && !short {
                        Some(Limit::Share)
                    } else {
                        limit_of(short, cap_left, available, paid_until)
                    };
                    return Ok(r.grant());
                }
                HoldOutcome::Refused => continue,
                HoldOutcome::Settled => return Err(BillingError::AlreadySettled),
            }
        }
        Err(BillingError::Contended)
    }

    /// Tells the janitor the call is still up. [`BillingError::AlreadySettled`] when it was
    /// settled meanwhile (the relay should hang up).
    pub async fn heartbeat(&self, r: &Reservation) -> Result<(), BillingError> {
        self.heartbeat_at(r, now_ms()).await
    }

    /// [`Billing::heartbeat`] at a given time (the relay's own clock, or a test's).
    pub async fn heartbeat_at(&self, r: &Reservation, at_unix_ms: i64) -> Result<(), BillingError> {
        if self.store.touch_reservation(r.call_id, at_unix_ms).await? {
            Ok(())
        } else {
            Err(BillingError::AlreadySettled)
        }
    }

    /// Ends the call: charges the bridged seconds (capped at `paid_until`, so never more than
    /// held), releases the rest of the hold, writes the charge entry and ends the call record,
    /// in one transaction.
    pub async fn settle(
        &self,
        r: Reservation,
        end: CallOutcome,
    ) -> Result<Settlement, BillingError> {
        let billed = end.bridged_seconds.unwrap_or(0).min(r.paid_until);
        let reason: String = end.reason.chars().take(MAX_REASON_CHARS).collect();
        let legs = r.price.legs(billed);
        let settled = self
            .store
            .settle_call(&SettleCall {
                call_id: r.call_id,
                public_id: &r.public_id,
                legs,
                billed_seconds: billed,
                reason: &reason,
                alive_at_most_ms: i64::MAX,
            })
            .await?
            .ok_or(BillingError::AlreadySettled)?;
        Ok(Settlement {
            billed_seconds: billed,
            charge: settled.charge,
            member_leg: settled.member_leg,
            released: settled.released,
        })
    }

    /// The cost so far of a call bridged for `seconds` (both legs), for the widget's live display.
    pub fn running_cost(&self, r: &Reservation, seconds: u64) -> i64 {
        r.price.charge(seconds)
    }
}

fn seconds_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Why a hold came out short, if it did.
fn limit_of(short: bool, cap_left: i64, available: i64, paid_until: u64) -> Option<Limit> {
    if paid_until >= MAX_CALL_SECONDS {
        Some(Limit::MaxCallLength)
    } else if !short {
        None
    } else if cap_left < available {
        Some(Limit::DailyCap)
    } else {
        Some(Limit::Balance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leg B 10 + 12/min, leg A free: the figures below are leg B's alone.
    fn tariff() -> CallPrice {
        let t =
            |fee, pm| super::super::Tariff::new("+86", fee, pm, "60/60".parse().unwrap()).unwrap();
        CallPrice::new(t(10, 12), t(0, 0))
    }

    #[test]
    fn fit_holds_the_whole_chunk_when_it_fits() {
        assert_eq!(fit(&tariff(), 0, 22, 1000), (22, 60, false));
        assert_eq!(fit(&tariff(), 22, 34, 12), (12, 120, false));
    }

    #[test]
    fn fit_holds_only_whole_increments_when_short() {
        // 30 fen of room pays the first minute (22) but not the second (34).
        assert_eq!(fit(&tariff(), 0, 34, 30), (22, 60, true));
        assert_eq!(fit(&tariff(), 0, 22, 21), (0, 0, true));
        assert_eq!(fit(&tariff(), 22, 34, 11), (0, 60, true));
        assert_eq!(fit(&tariff(), 22, 34, -5), (0, 60, true));
    }

    #[test]
    fn needs_extension_inside_the_margin_only() {
        let r = Reservation {
            call_id: 1,
            public_id: "c".into(),
            account: AccountId(1),
            price: tariff(),
            reserved: 22,
            paid_until: 60,
            bridged_at_ms: Some(0),
            limit: None,
            member_id: 1,
            share: None,
        };
        assert!(!r.needs_extension(0));
        assert!(!r.needs_extension(45));
        assert!(r.needs_extension(46));
        assert!(r.needs_extension(90));
        let done = Reservation {
            limit: Some(Limit::Balance),
            ..r
        };
        assert!(!done.needs_extension(59));
    }
}
