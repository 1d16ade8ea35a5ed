//! CALL's abuse controls, checked before any call costs money: destination regions and line
//! classes, rate limits per member, client address, destination number and number prefix, and
//! the live-call limits per member and per number.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ringlink_protocol::{ErrorBody, ErrorCode, E164};

use crate::config::CallsConfig;
use crate::destination::{Allowed, Line};
use crate::throttle::Throttle;

const HOUR: Duration = Duration::from_secs(3600);

pub struct Guard {
    config: CallsConfig,
    per_member: Throttle,
    per_address: Throttle,
    per_destination: Throttle,
    per_prefix: Throttle,
    codes_per_number: Throttle,
    codes_per_member: Throttle,
    live: Mutex<Live>,
}

#[derive(Default)]
struct Live {
    members: HashMap<i64, usize>,
    numbers: HashMap<String, usize>,
}

/// Holds a call's places in the live-call counts; dropping it frees them.
pub struct LiveSlot {
    guard: Arc<Guard>,
    member_id: i64,
    numbers: [String; 2],
}

impl std::fmt::Debug for LiveSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LiveSlot(member {}, {:?})", self.member_id, self.numbers)
    }
}

impl Drop for LiveSlot {
    fn drop(&mut self) {
        let mut live = self.guard.live.lock().expect("live lock");
        dec(&mut live.members, &self.member_id);
        for n in &self.numbers {
            dec(&mut live.numbers, n);
        }
    }
}

fn dec<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            map.remove(key);
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

impl Guard {
    pub fn new(config: CallsConfig) -> Self {
        Self {
            per_member: Throttle::new(config.per_member_per_hour, HOUR),
            per_address: Throttle::new(config.per_address_per_hour, HOUR),
            per_destination: Throttle::new(config.per_destination_per_hour, HOUR),
            per_prefix: Throttle::new(config.per_prefix_per_hour, HOUR),
            codes_per_number: Throttle::new(config.codes_per_number_per_hour, HOUR),
            codes_per_member: Throttle::new(config.codes_per_member_per_hour, HOUR),
            live: Mutex::new(Live::default()),
            config,
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
        allowed.check(number, &Line::of(number), role)
    }

    /// Refuses a call when any of its rate limits is used up. Only calls that are placed count
    /// ([`Guard::count_call`]): a refusal for balance or policy costs nothing and uses nothing.
    pub fn check_call(&self, member_id: i64, address: &str, to: &E164) -> Result<(), ErrorBody> {
        let member = member_id.to_string();
        self.per_member
            .check(&member)
            .map_err(|s| limited("calls from your account", s))?;
        self.per_address
            .check(address)
            .map_err(|s| limited("calls from your network", s))?;
        self.per_destination
            .check(to.as_str())
            .map_err(|s| limited(&format!("calls to {to}"), s))?;
        let prefix = self.prefix(to);
        self.per_prefix
            .check(&prefix)
            .map_err(|s| limited("calls to numbers like this one", s))?;
        Ok(())
    }

    /// Counts a placed call against every rate limit.
    pub fn count_call(&self, member_id: i64, address: &str, to: &E164) {
        let _ = self.per_member.hit(&member_id.to_string());
        let _ = self.per_address.hit(address);
        let _ = self.per_destination.hit(to.as_str());
        let _ = self.per_prefix.hit(&self.prefix(to));
    }

    /// Counts one SMS code sent to `to` for `member_id`.
    pub fn count_code(&self, member_id: i64, to: &E164) -> Result<(), ErrorBody> {
        self.codes_per_member
            .check(&member_id.to_string())
            .map_err(|s| limited("codes requested", s))?;
        self.codes_per_number
            .hit(to.as_str())
            .map_err(|s| limited(&format!("codes sent to {to}"), s))?;
        let _ = self.codes_per_member.hit(&member_id.to_string());
        Ok(())
    }

    fn prefix(&self, to: &E164) -> String {
        to.as_str()
            .chars()
            .take(1 + self.config.prefix_digits)
            .collect()
    }

    /// Takes a live-call place for the member and both numbers, or says which is busy.
    pub fn enter(
        self: &Arc<Self>,
        member_id: i64,
        callback: &E164,
        merchant: &E164,
    ) -> Result<LiveSlot, ErrorBody> {
        let mut live = self.live.lock().expect("live lock");
        if live.members.get(&member_id).copied().unwrap_or(0) >= self.config.live_per_member {
            return Err(ErrorBody::new(
                ErrorCode::CallInProgress,
                "you already have a call in progress: hang it up before starting another",
            ));
        }
        for (n, role) in [(callback, "your number"), (merchant, "the merchant")] {
            if live.numbers.get(n.as_str()).copied().unwrap_or(0)
                >= self.config.live_per_destination
            {
                return Err(ErrorBody::new(
                    ErrorCode::CallInProgress,
                    format!(
                        "{role} is already on a call through this service; try again when it ends"
                    ),
                ));
            }
        }
        *live.members.entry(member_id).or_default() += 1;
        for n in [callback, merchant] {
            *live.numbers.entry(n.as_str().to_owned()).or_default() += 1;
        }
        Ok(LiveSlot {
            guard: self.clone(),
            member_id,
            numbers: [callback.as_str().to_owned(), merchant.as_str().to_owned()],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> E164 {
        E164::new(s).unwrap()
    }

    #[test]
    fn premium_rate_and_foreign_numbers_are_refused() {
        // covers CALL-8: only allowed regions and line classes are ever called
        let g = Guard::new(CallsConfig::default());
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
        let g = Guard::new(config);
        let e = g
            .destination_allowed(&n("+611900123456"), "your number")
            .unwrap_err();
        assert!(e.message.contains("premium-rate"), "{}", e.message);
    }

    #[test]
    fn one_live_call_per_member_and_number() {
        let g = Arc::new(Guard::new(CallsConfig::default()));
        let (a, m) = (n("+8613800138000"), n("+861065529988"));
        let slot = g.enter(1, &a, &m).unwrap();
        assert_eq!(
            g.enter(1, &n("+8613900139000"), &n("+861065529900"))
                .unwrap_err()
                .code,
            ErrorCode::CallInProgress
        );
        assert_eq!(
            g.enter(2, &n("+8613900139000"), &m).unwrap_err().code,
            ErrorCode::CallInProgress
        );
        drop(slot);
        assert!(g.enter(2, &n("+8613900139000"), &m).is_ok());
    }

    #[test]
    fn calls_are_rate_limited_per_destination() {
        let g = Guard::new(CallsConfig::default());
        let to = n("+8613800138000");
        for member in 0..5 {
            g.check_call(member, &format!("10.0.0.{member}"), &to)
                .unwrap();
            g.count_call(member, &format!("10.0.0.{member}"), &to);
        }
        let e = g.check_call(9, "10.0.0.9", &to).unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.retry_after.is_some());
    }
}
