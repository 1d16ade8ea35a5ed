//! CALL's money and abuse limits beyond the per-call rate limits of [`super::guard`]: their
//! defaults, and the SMS caps (verification codes sent per hour and per day, in all and per
//! site), taken atomically so parallel requests can never send more than the cap.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ringlink_protocol::{ErrorBody, ErrorCode, E164};

use crate::config::CallsConfig;
use crate::throttle::Throttle;

/// Calls at once through one button unless it has its own capacity: a small shop answers a
/// few lines; one member letting his phone ring must not block the others.
pub const DEFAULT_BUTTON_CAPACITY: u32 = 3;
/// Merchant and sponsor accounts' daily spend cap unless they have their own (500 CNY): bounds
/// what a run of stolen member sessions can burn on someone else's account in a day.
pub const DEFAULT_MERCHANT_DAILY_CAP: i64 = 50_000;
/// Minutes a day one member may talk on one merchant's or sponsor's account: a customer call
/// or two, not a free phone line.
pub const DEFAULT_MEMBER_SHARE_MINUTES: u64 = 30;
/// The talk time the start balance must pay for (seconds, both legs, at the call's tariffs): a
/// call that can afford a few seconds is all prompts and annoys both parties.
pub const DEFAULT_MIN_TALK_SECS: u64 = 60;
/// Verification SMS per hour and per day in all: the relay must not become an SMS pump, and
/// an SMS costs the operator money.
pub const DEFAULT_SMS_PER_HOUR: u32 = 200;
pub const DEFAULT_SMS_PER_DAY: u32 = 1_000;
/// Verification SMS per site per hour and per day: one merchant page (or a script on it)
/// cannot use up the whole relay's SMS budget.
pub const DEFAULT_SMS_PER_SITE_PER_HOUR: u32 = 50;
pub const DEFAULT_SMS_PER_SITE_PER_DAY: u32 = 200;
/// Verification SMS per hour to numbers sharing their first `prefix_digits` digits (a block of
/// ten thousand numbers at the default 7): SMS pumping spreads over a range of numbers whose
/// operator pays the fraudster per message, so each number's own cap does not stop it.
pub const DEFAULT_SMS_PER_PREFIX_PER_HOUR: u32 = 20;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

/// One fixed window's count.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    used: u32,
}

impl Window {
    fn new(now: Instant) -> Self {
        Self {
            start: now,
            used: 0,
        }
    }

    /// The count as of `now` (a window that ran out starts again), and seconds to its reset.
    fn current(&mut self, now: Instant, len: Duration) -> u64 {
        if now.saturating_duration_since(self.start) >= len {
            *self = Self::new(now);
        }
        len.saturating_sub(now.saturating_duration_since(self.start))
            .as_secs()
            .max(1)
    }
}

/// The hour and day windows of one scope (all SMS, or one site's).
#[derive(Clone, Copy)]
struct Scope {
    hour: Window,
    day: Window,
}

impl Scope {
    fn new(now: Instant) -> Self {
        Self {
            hour: Window::new(now),
            day: Window::new(now),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Caps {
    per_hour: u32,
    per_day: u32,
}

impl Caps {
    /// `Err(retry_after)` when the scope has no SMS left in either window.
    fn room(&self, s: &mut Scope, now: Instant) -> Result<(), u64> {
        let hour_reset = s.hour.current(now, HOUR);
        let day_reset = s.day.current(now, DAY);
        if s.day.used >= self.per_day {
            return Err(day_reset);
        }
        if s.hour.used >= self.per_hour {
            return Err(hour_reset);
        }
        Ok(())
    }
}

/// Verification SMS counted against a global and a per-site cap, per hour and per day, and a
/// per-prefix cap per hour (every code the relay sends: CALL's and the account codes).
pub struct SmsCaps {
    global: Caps,
    site: Caps,
    state: Mutex<SmsState>,
    per_prefix: Throttle,
    prefix_digits: usize,
}

struct SmsState {
    global: Scope,
    /// Keyed by site id: sites are created by the operator, so this stays small.
    sites: HashMap<i64, Scope>,
}

fn sms_capped(whose: &str, secs: u64) -> ErrorBody {
    ErrorBody {
        code: ErrorCode::RateLimited,
        message: format!(
            "{whose} has sent as many verification SMS as it may for now; try again in {} (or call from your own number, which needs no code)",
            wait_words(secs)
        ),
        retry_after: Some(secs),
    }
}

fn wait_words(secs: u64) -> String {
    if secs >= 3600 {
        format!("{} h", secs.div_ceil(3600))
    } else if secs >= 60 {
        format!("{} min", secs.div_ceil(60))
    } else {
        format!("{secs} s")
    }
}

impl SmsCaps {
    pub fn new(config: &CallsConfig) -> Self {
        Self {
            global: Caps {
                per_hour: config.sms_per_hour,
                per_day: config.sms_per_day,
            },
            site: Caps {
                per_hour: config.sms_per_site_per_hour,
                per_day: config.sms_per_site_per_day,
            },
            state: Mutex::new(SmsState {
                global: Scope::new(Instant::now()),
                sites: HashMap::new(),
            }),
            per_prefix: Throttle::new(config.sms_per_prefix_per_hour, HOUR),
            prefix_digits: config.prefix_digits,
        }
    }

    /// The block `to` is in: `+` and its first `prefix_digits` digits.
    fn prefix(&self, to: &E164) -> String {
        to.as_str().chars().take(1 + self.prefix_digits).collect()
    }

    /// Takes one SMS from the site's and the global caps at once (under one lock: either both
    /// count it or neither does), or says which cap is reached and when it resets.
    /// The prefix's slot is taken first (atomically, on its own) and handed back when another
    /// cap refuses.
    pub fn take(&self, site_id: i64, to: &E164) -> Result<(), ErrorBody> {
        let prefix = self.prefix(to);
        self.per_prefix
            .hit(&prefix)
            .map_err(|s| sms_capped("this range of numbers", s))?;
        let refused = |e: ErrorBody| {
            self.per_prefix.refund(&prefix);
            e
        };
        let now = Instant::now();
        let mut st = self.state.lock().expect("sms caps lock");
        let site = st.sites.entry(site_id).or_insert_with(|| Scope::new(now));
        self.site
            .room(site, now)
            .map_err(|s| refused(sms_capped("this shop's page", s)))?;
        let mut global = st.global;
        self.global
            .room(&mut global, now)
            .map_err(|s| refused(sms_capped("this service", s)))?;
        st.global = global;
        st.global.hour.used += 1;
        st.global.day.used += 1;
        if let Some(site) = st.sites.get_mut(&site_id) {
            site.hour.used += 1;
            site.day.used += 1;
        }
        Ok(())
    }

    /// Gives back an SMS that was taken but could not be sent.
    pub fn give_back(&self, site_id: i64, to: &E164) {
        self.per_prefix.refund(&self.prefix(to));
        let mut st = self.state.lock().expect("sms caps lock");
        st.global.hour.used = st.global.hour.used.saturating_sub(1);
        st.global.day.used = st.global.day.used.saturating_sub(1);
        if let Some(site) = st.sites.get_mut(&site_id) {
            site.hour.used = site.hour.used.saturating_sub(1);
            site.day.used = site.day.used.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A fresh block each call, so these tests meet only the caps they are about.
    fn n() -> u32 {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    /// A number in its own block of the default 7-digit prefixes, one per `i`.
    fn num(i: u32) -> E164 {
        E164::new(&format!("+8613{i:03}000000")).unwrap()
    }

    fn caps(site_hour: u32, global_hour: u32) -> SmsCaps {
        SmsCaps::new(&CallsConfig {
            sms_per_hour: global_hour,
            sms_per_day: 100,
            sms_per_site_per_hour: site_hour,
            sms_per_site_per_day: 100,
            ..CallsConfig::default()
        })
    }

    #[test]
    fn a_site_cap_stops_one_site_and_leaves_the_others() {
        // covers #8 §6 SMS caps: per-site cap per hour
        let c = caps(2, 10);
        c.take(1, &num(n())).unwrap();
        c.take(1, &num(n())).unwrap();
        let e = c.take(1, &num(n())).unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.message.contains("shop"), "{}", e.message);
        assert!(e.retry_after.unwrap() > 3000);
        c.take(2, &num(n())).unwrap();
    }

    #[test]
    fn the_global_cap_stops_every_site_and_a_refusal_counts_nothing() {
        // covers #8 §6 SMS caps: global cap per hour
        let c = caps(5, 3);
        c.take(1, &num(n())).unwrap();
        c.take(2, &num(n())).unwrap();
        c.take(3, &num(n())).unwrap();
        let e = c.take(4, &num(n())).unwrap_err();
        assert!(e.message.contains("this service"), "{}", e.message);
        c.give_back(3, &num(n()));
        c.take(4, &num(n())).unwrap();
        // Site 4's refused try used none of its own cap: 4 more fit once global room exists.
        let st = c.state.lock().unwrap();
        assert_eq!(st.sites[&4].hour.used, 1);
    }

    #[test]
    fn parallel_requests_never_pass_the_cap() {
        // covers #8 §6 SMS caps: atomic under parallel requests
        let c = std::sync::Arc::new(caps(1000, 25));
        let taken: usize = (0..8)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || (0..20).filter(|_| c.take(1, &num(n())).is_ok()).count())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(taken, 25);
    }

    #[test]
    fn waits_read_in_words() {
        assert_eq!(wait_words(30), "30 s");
        assert_eq!(wait_words(61), "2 min");
        assert_eq!(wait_words(7200), "2 h");
    }

    #[test]
    fn a_range_of_numbers_has_its_own_cap() {
        // covers #9 §2 / CALL-7 SMS pumping: codes to one block of numbers per hour, and a
        // refusal by another cap gives the block's slot back
        let c = caps(1000, 1000);
        let block = |last: u32| E164::new(&format!("+86139001{last:05}")).unwrap();
        for i in 0..DEFAULT_SMS_PER_PREFIX_PER_HOUR {
            c.take(1, &block(i)).unwrap();
        }
        let e = c.take(1, &block(99)).unwrap_err();
        assert!(e.message.contains("range of numbers"), "{}", e.message);
        c.take(1, &num(n())).unwrap();
        c.give_back(1, &block(0));
        c.take(2, &block(98)).unwrap();
        let full = caps(0, 1000);
        assert!(full.take(1, &num(500)).is_err());
        let st = full.per_prefix.hit(&full.prefix(&num(500)));
        assert!(st.is_ok(), "the refused SMS kept no slot of its block");
    }
}
