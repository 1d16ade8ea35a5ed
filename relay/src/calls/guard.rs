//! CALL's abuse controls, checked before any call costs money: destination regions and line
//! classes, rate limits per member, client address, destination number and number prefix, and
//! the live-call limits per member, per member number and per call button (its capacity).

use std::sync::Arc;
use std::time::Duration;

use ringlink_protocol::{ErrorBody, ErrorCode, E164};

use crate::accounts::random_id;
use crate::config::CallsConfig;
use crate::destination::{Allowed, Line as LineClass};
use crate::dial::internal;
use crate::store::counters::{Limit, TakeError};
use crate::store::Store;

const HOUR: Duration = Duration::from_secs(3600);
/// A live call's slots expire this long after the longest call could have ended (ringing,
/// the member's goodbye, a slow settle): a relay that died without anyone calling
/// `release_node` for it blocks its members for this long at most.
const LIVE_SLOT_GRACE_SECS: u64 = 300;

/// Every limit here is counted in the database all relays share, so N relays behind a load
/// balancer give an attacker the same caps as one.
pub struct Guard {
    config: CallsConfig,
    store: Store,
    /// This relay's name among several: recorded on each live-call slot it takes.
    node_id: String,
    per_member: Limit,
    per_address: Limit,
    per_destination: Limit,
    per_prefix: Limit,
    codes_per_number: Limit,
    codes_per_member: Limit,
}

/// A call button as the live-call limit sees it.
pub struct Line<'a> {
    pub site_id: i64,
    pub key: &'a str,
    /// Calls at once through the button.
    pub capacity: u32,
}

/// Holds a call's places in the live-call counts. [`LiveSlot::release`] frees them when the
/// call ends; dropping it unreleased frees them from a spawned task.
pub struct LiveSlot {
    store: Store,
    holder: String,
    released: bool,
}

impl std::fmt::Debug for LiveSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LiveSlot({})", self.holder)
    }
}

impl LiveSlot {
    /// Frees the call's places for the next call, on every relay.
    pub async fn release(mut self) {
        self.released = true;
        release(&self.store, &self.holder).await;
    }
}

async fn release(store: &Store, holder: &str) {
    if let Err(e) = store.release_slots(holder).await {
        // The slots expire on their own (LIVE_SLOT_GRACE_SECS after the longest call).
        tracing::warn!("freeing a live call's slots failed: {e}");
    }
}

impl Drop for LiveSlot {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (store, holder) = (self.store.clone(), std::mem::take(&mut self.holder));
            rt.spawn(async move { release(&store, &holder).await });
        }
    }
}

/// A call's hits on the hourly call limits, taken by [`Guard::check_call`]. Kept by
/// [`Guard::count_call`] once the call is placed; [`CallCount::give_back`] (or dropping it)
/// refunds them, so a refusal for balance or policy uses nothing.
pub struct CallCount {
    store: Store,
    taken: Vec<(Limit, String)>,
}

impl CallCount {
    /// Refunds every hit: the call was not placed.
    pub async fn give_back(mut self) {
        refund(&self.store, std::mem::take(&mut self.taken)).await;
    }
}

async fn refund(store: &Store, taken: Vec<(Limit, String)>) {
    for (limit, key) in taken {
        limit.refund(store, &key).await;
    }
}

impl Drop for CallCount {
    fn drop(&mut self) {
        if self.taken.is_empty() {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (store, taken) = (self.store.clone(), std::mem::take(&mut self.taken));
            rt.spawn(async move { refund(&store, taken).await });
        }
    }
}

fn limited(what: &str, secs: u64) -> ErrorBody {
    ErrorBody {
        code: ErrorCode::RateLimited,
        message: format!("too many {what}; try again in {secs} s"),
        retry_after: Some(secs),
    }
}

/// A refused take in the words of `what`; a store failure is an internal error.
pub(crate) fn refusal(e: TakeError, words: impl FnOnce(u64) -> ErrorBody) -> ErrorBody {
    match e {
        TakeError::Full { retry_after } => words(retry_after),
        TakeError::Store(e) => internal(e),
    }
}

impl Guard {
    pub fn new(config: CallsConfig, store: Store, node_id: String) -> Self {
        Self {
            per_member: Limit::new("call:member", config.per_member_per_hour, HOUR),
            per_address: Limit::new("call:address", config.per_address_per_hour, HOUR),
            per_destination: Limit::new("call:to", config.per_destination_per_hour, HOUR),
            per_prefix: Limit::new("call:prefix", config.per_prefix_per_hour, HOUR),
            codes_per_number: Limit::new("code:number", config.codes_per_number_per_hour, HOUR),
            codes_per_member: Limit::new("code:member", config.codes_per_member_per_hour, HOUR),
            config,
            store,
            node_id,
        }
    }

    pub fn max_call(&self) -> Duration {
        Duration::from_secs(self.config.max_call_secs)
    }

    /// Refuses numbers outside the allowed regions and line classes. `role` names the number
    /// in the message ("your number", "the merchant's number").
    pub fn destination_allowed(&self, number: &E164, role: &str) -> Result<(), ErrorBody> {
        let allowed = Allowed {
            regions: &self.config.allowed_regions,
            classes: &self.config.allowed_classes,
            verb: "call",
        };
        allowed.check(number, &LineClass::of(number), role)
    }

    /// Takes the call's hit on each of its rate limits (per member, client address, destination
    /// number and number prefix), or refuses with the first one used up, refunding the others.
    /// Only calls that are placed count: the caller keeps the hits with [`Guard::count_call`],
    /// or gives them back.
    pub async fn check_call(
        &self,
        member_id: i64,
        address: &str,
        to: &E164,
    ) -> Result<CallCount, ErrorBody> {
        let mut count = CallCount {
            store: self.store.clone(),
            taken: Vec::with_capacity(4),
        };
        let prefix = self.prefix(to);
        let to_words = format!("calls to {to}");
        let steps: [(&Limit, String, &str); 4] = [
            (
                &self.per_member,
                member_id.to_string(),
                "calls from your account",
            ),
            (
                &self.per_address,
                address.to_owned(),
                "calls from your network",
            ),
            (&self.per_destination, to.as_str().to_owned(), &to_words),
            (&self.per_prefix, prefix, "calls to numbers like this one"),
        ];
        for (limit, key, what) in steps {
            match limit.hit(&self.store, &key).await {
                Ok(_) => count.taken.push((limit.clone(), key)),
                Err(e) => {
                    count.give_back().await;
                    return Err(refusal(e, |s| limited(what, s)));
                }
            }
        }
        Ok(count)
    }

    /// Keeps a placed call's hits on every rate limit.
    pub fn count_call(&self, mut count: CallCount) {
        count.taken.clear();
    }

    /// Counts one SMS code sent to `to` for `member_id`.
    pub async fn count_code(&self, member_id: i64, to: &E164) -> Result<(), ErrorBody> {
        let member = member_id.to_string();
        self.codes_per_member
            .hit(&self.store, &member)
            .await
            .map_err(|e| refusal(e, |s| limited("codes requested", s)))?;
        if let Err(e) = self.codes_per_number.hit(&self.store, to.as_str()).await {
            self.codes_per_member.refund(&self.store, &member).await;
            return Err(refusal(e, |s| limited(&format!("codes sent to {to}"), s)));
        }
        Ok(())
    }

    fn prefix(&self, to: &E164) -> String {
        to.as_str()
            .chars()
            .take(1 + self.config.prefix_digits)
            .collect()
    }

    /// Takes a live-call place for the member, the member's number and one of the button's
    /// lines (all or none: a refusal frees what was taken), or says which is busy. The
    /// merchant's number is not counted per number: the button's capacity is how many calls it
    /// takes at once. The places are rows in the shared store, so the caps hold across relays.
    pub async fn enter(
        self: &Arc<Self>,
        member_id: i64,
        callback: &E164,
        line: Line<'_>,
    ) -> Result<LiveSlot, ErrorBody> {
        let slot = LiveSlot {
            store: self.store.clone(),
            holder: format!("call_{}", random_id(16)),
            released: false,
        };
        let capacity = line.capacity.max(1);
        let cap = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let scopes = [
            (
                format!("member:{member_id}"),
                cap(self.config.live_per_member),
            ),
            (
                format!("number:{callback}"),
                cap(self.config.live_per_destination),
            ),
            (format!("button:{}:{}", line.site_id, line.key), capacity),
        ];
        let ttl =
            i64::try_from(self.config.max_call_secs + LIVE_SLOT_GRACE_SECS).unwrap_or(i64::MAX);
        for (i, (scope, cap)) in scopes.iter().enumerate() {
            let held = self
                .store
                .hold_slot(scope, *cap, &slot.holder, &self.node_id, ttl)
                .await;
            match held {
                Ok(true) => {}
                Ok(false) => {
                    slot.release().await;
                    return Err(busy(i, capacity));
                }
                Err(e) => {
                    slot.release().await;
                    return Err(internal(e));
                }
            }
        }
        Ok(slot)
    }
}

/// The refusal when live-call scope `i` of [`Guard::enter`] is full.
fn busy(i: usize, capacity: u32) -> ErrorBody {
    match i {
        0 => ErrorBody::new(
            ErrorCode::CallInProgress,
            "you already have a call in progress: hang it up before starting another",
        ),
        1 => ErrorBody::new(
            ErrorCode::CallInProgress,
            "your number is already on a call through this service; try again when it ends",
        ),
        _ => ErrorBody {
            code: ErrorCode::CallInProgress,
            message: format!(
                "all of this shop's lines are busy ({capacity} calls at once); try again in a minute"
            ),
            retry_after: Some(LINES_BUSY_RETRY_SECS),
        },
    }
}

/// When all of a button's lines are busy, the member is told to try again after this long: a
/// typical customer call is a few minutes, a ringing phone times out within one.
const LINES_BUSY_RETRY_SECS: u64 = 60;

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> E164 {
        E164::new(s).unwrap()
    }

    async fn guard(config: CallsConfig) -> Guard {
        let store = Store::open("sqlite::memory:").await.unwrap();
        Guard::new(config, store, "test".into())
    }

    #[tokio::test]
    async fn premium_rate_and_foreign_numbers_are_refused() {
        // covers CALL-8: only allowed regions and line classes are ever called
        let g = guard(CallsConfig::default()).await;
        assert!(g
            .destination_allowed(&n("+8613800138000"), "your number")
            .is_ok());
        assert!(g
            .destination_allowed(&n("+861065529988"), "your number")
            .is_ok());
        let e = g
            .destination_allowed(&n("+611900123456"), "the merchant's number")
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DestinationNotAllowed);
        assert!(e.message.contains("AU"), "{}", e.message);
        let mut config = CallsConfig::default();
        config.allowed_regions.push("AU".into());
        let g = guard(config).await;
        let e = g
            .destination_allowed(&n("+611900123456"), "your number")
            .unwrap_err();
        assert!(e.message.contains("premium-rate"), "{}", e.message);
    }

    #[test]
    fn busy_scopes_say_which_is_busy() {
        assert!(busy(0, 3).message.contains("you already have a call"));
        assert!(busy(1, 3).message.contains("your number"));
        let e = busy(2, 3);
        assert!(
            e.message.contains("lines are busy (3 calls"),
            "{}",
            e.message
        );
        assert_eq!(e.retry_after, Some(LINES_BUSY_RETRY_SECS));
    }
}
