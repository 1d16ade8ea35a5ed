//! CALL's abuse controls, checked before any call costs money: destination regions and line
//! classes, rate limits per member, client address, destination number and number prefix, and
//! the live-call limits per member, per member number and per call button (its capacity).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ringlink_protocol::{ErrorBody, ErrorCode, E164};

use crate::config::CallsConfig;
use crate::destination::{Allowed, Line as LineClass};
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
    /// Live calls per (site id, button key).
    buttons: HashMap<(i64, String), usize>,
}

/// A call button as the live-call limit sees it.
pub struct Line<'a> {
    pub site_id: i64,
    pub key: &'a str,
    /// Calls at once through the button.
    pub capacity: u32,
}

/// Holds a call's places in the live-call counts; dropping it frees them.
pub struct LiveSlot {
    guard: Arc<Guard>,
    member_id: i64,
    number: String,
    button: (i64, String),
}

impl std::fmt::Debug for LiveSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LiveSlot(member {}, {}, button {:?})",
            self.member_id, self.number, self.button
        )
    }
}

impl Drop for LiveSlot {
    fn drop(&mut self) {
        let mut live = self.guard.live.lock().expect("live lock");
        dec(&mut live.members, &self.member_id);
        dec(&mut live.numbers, &self.number);
        dec(&mut live.buttons, &self.button);
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
        allowed.check(number, &LineClass::of(number), role)
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

    /// Takes a live-call place for the member, the member's number and one of the button's
    /// lines, all under one lock, or says which is busy. The merchant's number is not counted
    /// per number: the button's capacity is how many calls it takes at once.
    pub fn enter(
        self: &Arc<Self>,
        member_id: i64,
        callback: &E164,
        line: Line<'_>,
    ) -> Result<LiveSlot, ErrorBody> {
        let mut live = self.live.lock().expect("live lock");
        if live.members.get(&member_id).copied().unwrap_or(0) >= self.config.live_per_member {
            return Err(ErrorBody::new(
                ErrorCode::CallInProgress,
                "you already have a call in progress: hang it up before starting another",
            ));
        }
        if live.numbers.get(callback.as_str()).copied().unwrap_or(0)
            >= self.config.live_per_destination
        {
            return Err(ErrorBody::new(
                ErrorCode::CallInProgress,
                "your number is already on a call through this service; try again when it ends",
            ));
        }
        let button = (line.site_id, line.key.to_owned());
        let capacity = usize::try_from(line.capacity.max(1)).unwrap_or(usize::MAX);
        if live.buttons.get(&button).copied().unwrap_or(0) >= capacity {
            return Err(ErrorBody {
                code: ErrorCode::CallInProgress,
                message: format!(
                    "all of this shop's lines are busy ({capacity} calls at once); try again in a minute"
                ),
                retry_after: Some(LINES_BUSY_RETRY_SECS),
            });
        }
        *live.members.entry(member_id).or_default() += 1;
        *live
            .numbers
            .entry(callback.as_str().to_owned())
            .or_default() += 1;
        *live.buttons.entry(button.clone()).or_default() += 1;
        Ok(LiveSlot {
            guard: self.clone(),
            member_id,
            number: callback.as_str().to_owned(),
            button,
        })
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

    fn line(key: &str, capacity: u32) -> Line<'_> {
        Line {
            site_id: 1,
            key,
            capacity,
        }
    }

    #[test]
    fn one_live_call_per_member_and_member_number() {
        let g = Arc::new(Guard::new(CallsConfig::default()));
        let a = n("+8613800138000");
        let slot = g.enter(1, &a, line("sales", 3)).unwrap();
        assert_eq!(
            g.enter(1, &n("+8613900139000"), line("other", 3))
                .unwrap_err()
                .code,
            ErrorCode::CallInProgress
        );
        let e = g.enter(2, &a, line("other", 3)).unwrap_err();
        assert!(e.message.contains("your number"), "{}", e.message);
        drop(slot);
        assert!(g.enter(2, &a, line("other", 3)).is_ok());
    }

    #[test]
    fn a_button_takes_calls_up_to_its_capacity() {
        // covers #8 §5 Capacity: the merchant's number no longer blocks other members
        let g = Arc::new(Guard::new(CallsConfig::default()));
        let first = g.enter(1, &n("+8613800138000"), line("sales", 2)).unwrap();
        let _second = g.enter(2, &n("+8613900139000"), line("sales", 2)).unwrap();
        let e = g
            .enter(3, &n("+8613700137000"), line("sales", 2))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::CallInProgress);
        assert!(e.message.contains("lines are busy"), "{}", e.message);
        assert_eq!(e.retry_after, Some(LINES_BUSY_RETRY_SECS));
        assert!(g.enter(3, &n("+8613700137000"), line("other", 2)).is_ok());
        drop(first);
        assert!(g.enter(4, &n("+8613600136000"), line("sales", 2)).is_ok());
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
