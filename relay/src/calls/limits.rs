//! CALL's money and abuse limits beyond the per-call rate limits of [`super::guard`]: their
//! defaults, and the SMS caps (verification codes sent per hour and per day, in all and per
//! site, per number range), taken atomically in the database every relay shares, so parallel
//! requests through any number of relays can never send more than the cap.

use std::time::Duration;

use ringlink_protocol::ErrorCode;
use ringlink_protocol::{ErrorBody, E164};

use crate::config::CallsConfig;
use crate::store::counters::Limit;
use crate::store::Store;

use super::guard::refusal;

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

/// Verification SMS counted against a global and a per-site cap, per hour and per day, and a
/// per-prefix cap per hour (every code the relay sends: CALL's and the account codes). The
/// counts live in the database every relay shares: N relays send no more than one would.
pub struct SmsCaps {
    store: Store,
    per_prefix: Limit,
    site_day: Limit,
    site_hour: Limit,
    global_day: Limit,
    global_hour: Limit,
    prefix_digits: usize,
}

/// What an SMS is for, which the refusal names: the caps are shared, the words are not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsKind {
    /// A sign-up, reset or number verification code.
    Verification,
    /// The chat's: a line to an offline colleague, an answer to a left message.
    Chat,
}

fn sms_capped(kind: SmsKind, whose: &str, secs: u64) -> ErrorBody {
    let wait = wait_words(secs);
    let message = match kind {
        SmsKind::Verification => format!(
            "{whose} has sent as many verification SMS as it may for now; try again in {wait} (or call from your own number, which needs no code)"
        ),
        SmsKind::Chat => {
            format!("{whose} has sent as many SMS as it may for now; try again in {wait}")
        }
    };
    ErrorBody {
        code: ErrorCode::RateLimited,
        message,
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
    pub fn new(config: &CallsConfig, store: Store) -> Self {
        Self {
            store,
            per_prefix: Limit::new("sms:prefix", config.sms_per_prefix_per_hour, HOUR),
            site_day: Limit::new("sms:site:day", config.sms_per_site_per_day, DAY),
            site_hour: Limit::new("sms:site:hour", config.sms_per_site_per_hour, HOUR),
            global_day: Limit::new("sms:all:day", config.sms_per_day, DAY),
            global_hour: Limit::new("sms:all:hour", config.sms_per_hour, HOUR),
            prefix_digits: config.prefix_digits,
        }
    }

    /// The block `to` is in: `+` and its first `prefix_digits` digits.
    fn prefix(&self, to: &E164) -> String {
        to.as_str().chars().take(1 + self.prefix_digits).collect()
    }

    /// The caps one SMS counts against, with their keys and whose cap each is, in the order
    /// they are taken (the narrowest first, so a busy site does not use the service's budget).
    fn scopes(&self, site_id: i64, to: &E164) -> [(&Limit, String, &'static str); 5] {
        let site = site_id.to_string();
        [
            (&self.per_prefix, self.prefix(to), "this range of numbers"),
            (&self.site_day, site.clone(), "this shop's page"),
            (&self.site_hour, site, "this shop's page"),
            (&self.global_day, String::new(), "this service"),
            (&self.global_hour, String::new(), "this service"),
        ]
    }

    /// Takes one SMS from the number range's, the site's and the global caps, each taken
    /// atomically in the shared store; when one refuses, the ones already taken are handed
    /// back, so a refused SMS counts nowhere. Says which cap is reached and when it frees.
    pub async fn take(&self, site_id: i64, to: &E164, kind: SmsKind) -> Result<(), ErrorBody> {
        let scopes = self.scopes(site_id, to);
        for (i, (limit, key, whose)) in scopes.iter().enumerate() {
            if let Err(e) = limit.hit(&self.store, key).await {
                for (limit, key, _) in &scopes[..i] {
                    limit.refund(&self.store, key).await;
                }
                return Err(refusal(e, |s| sms_capped(kind, whose, s)));
            }
        }
        Ok(())
    }

    /// Gives back an SMS that was taken but could not be sent.
    pub async fn give_back(&self, site_id: i64, to: &E164) {
        for (limit, key, _) in self.scopes(site_id, to) {
            limit.refund(&self.store, &key).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_words() {
        assert_eq!(wait_words(30), "30 s");
        assert_eq!(wait_words(61), "2 min");
        assert_eq!(wait_words(7200), "2 h");
    }
}
