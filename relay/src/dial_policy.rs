//! DIAL's destination policy and limits (`[dial]` in the config file): which numbers a member's
//! phone is sent straight away, which only after its owner confirms on the phone, which never,
//! and how many dials a member may place a day.

use ringlink_protocol::{ErrorBody, E164};
use serde::{Deserialize, Serialize};

use crate::destination::{self, class_refused, Allowed, Line};

/// A person places a few dozen calls on a busy day; a stolen session dialling premium lines
/// places this many in five minutes.
pub const DEFAULT_DAILY_CAP: u32 = 100;
/// How long a retried dial (same client id) is answered from memory: longer than any
/// reconnect, short enough that the memory stays small.
pub const DEFAULT_CLIENT_ID_MEMORY_SECS: u64 = 600;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DialConfig {
    /// Regions (ISO codes) whose numbers are dialled without asking.
    pub allowed_regions: Vec<String>,
    /// Line classes dialled without asking.
    pub allowed_classes: Vec<String>,
    /// Line classes never dialled, even with the owner's confirmation: premium-rate and
    /// shared-cost lines are how toll fraud earns money, on the member's own phone bill.
    pub refused_classes: Vec<String>,
    /// Numbers outside the allowed regions or classes (and not refused) are sent with
    /// `confirm: true`: the phone agent asks its owner before dialling. `false` refuses them.
    pub confirm_outside: bool,
    /// Dials a member may place per day (UTC), counted from the dial log.
    pub daily_cap: u32,
    /// Seconds a dial's client id is remembered, so a retry is answered and not dialled twice.
    pub client_id_memory_secs: u64,
}

impl Default for DialConfig {
    fn default() -> Self {
        Self {
            allowed_regions: crate::destination::default_regions(),
            allowed_classes: crate::destination::default_classes(),
            refused_classes: ["premium_rate", "shared_cost"].map(String::from).to_vec(),
            confirm_outside: true,
            daily_cap: DEFAULT_DAILY_CAP,
            client_id_memory_secs: DEFAULT_CLIENT_ID_MEMORY_SECS,
        }
    }
}

impl DialConfig {
    /// Checks the section once at start-up; the message names the key.
    pub fn check(&self) -> Result<(), String> {
        destination::check_regions("dial.allowed_regions", &self.allowed_regions)?;
        destination::check_classes("dial.allowed_classes", &self.allowed_classes)?;
        destination::check_classes("dial.refused_classes", &self.refused_classes)?;
        if let Some(c) = self
            .refused_classes
            .iter()
            .find(|c| self.allowed_classes.contains(c))
        {
            return Err(format!(
                "dial: '{c}' is in both allowed_classes and refused_classes; keep it in one"
            ));
        }
        if self.daily_cap == 0 {
            return Err("dial.daily_cap must be at least 1".into());
        }
        if self.client_id_memory_secs == 0 {
            return Err("dial.client_id_memory_secs must be at least 1".into());
        }
        Ok(())
    }

    /// What happens to a dial to `number`: `Ok(false)` dial it, `Ok(true)` dial it once the
    /// owner confirms on the phone, `Err` refused (and why).
    pub fn needs_confirm(&self, number: &E164) -> Result<bool, ErrorBody> {
        let line = Line::of(number);
        if line.in_classes(&self.refused_classes) {
            return Err(class_refused(number, &line, "", "dial"));
        }
        let allowed = Allowed {
            regions: &self.allowed_regions,
            classes: &self.allowed_classes,
            verb: "dial",
        };
        match allowed.check(number, &line, "") {
            Ok(()) => Ok(false),
            Err(_) if self.confirm_outside => Ok(true),
            Err(refused) => Err(refused),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringlink_protocol::ErrorCode;

    fn n(s: &str) -> E164 {
        E164::new(s).unwrap()
    }

    #[test]
    fn home_numbers_dial_foreign_ones_ask_premium_ones_never() {
        // covers #8 §3 destination policy
        let c = DialConfig::default();
        assert_eq!(c.needs_confirm(&n("+8613800138000")), Ok(false));
        assert_eq!(c.needs_confirm(&n("+861065529988")), Ok(false));
        assert_eq!(c.needs_confirm(&n("+12015550123")), Ok(true), "US line");
        for premium in ["+611900123456", "+19005550199", "+449098790000"] {
            let e = c.needs_confirm(&n(premium)).unwrap_err();
            assert_eq!(e.code, ErrorCode::DestinationNotAllowed);
            assert!(e.message.contains("premium-rate"), "{}", e.message);
        }
        let strict = DialConfig {
            confirm_outside: false,
            ..DialConfig::default()
        };
        let e = strict.needs_confirm(&n("+12015550123")).unwrap_err();
        assert!(e.message.contains("region US"), "{}", e.message);
    }

    #[test]
    fn contradictions_and_typos_fail_at_start() {
        let mut c = DialConfig::default();
        c.allowed_classes.push("premium_rate".into());
        assert!(c.check().unwrap_err().contains("both"));
        let c = DialConfig {
            refused_classes: vec!["premium-rate".into()],
            ..DialConfig::default()
        };
        assert!(c.check().unwrap_err().contains("'premium-rate'"));
        assert!(DialConfig::default().check().is_ok());
    }
}
