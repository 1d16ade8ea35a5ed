//! A call's price: the two legs the trunk charges for, the merchant's number (leg B) and the
//! member's callback number (leg A), each priced by its own tariff (longest prefix), and the
//! charge for N seconds of the call with its exact inverse.
//!
//! When the clocks start: **both legs are billed from the bridge**, the moment the merchant
//! answers and talk starts. Leg A is answered earlier (the member picks up, then hears ringing
//! while the merchant is dialled), but that wait is not talk and the member cannot shorten it;
//! charging it would bill the member for the merchant's slowness, and a merchant who never
//! answers would cost the payer money for no call. So the seconds of both legs are the same
//! bridged seconds, and `charge(s) = member.charge(s) + merchant.charge(s)`.

use super::tariff::{Tariff, MAX_CALL_SECONDS};
use super::{Billing, BillingError};

impl Billing {
    /// The price of a call from `member_number` (leg A) to `merchant_number` (leg B): each
    /// leg's longest-prefix tariff. [`BillingError::NoTariff`] names the leg without one.
    pub async fn price_for(
        &self,
        member_number: &str,
        merchant_number: &str,
    ) -> Result<CallPrice, BillingError> {
        Ok(CallPrice::new(
            self.tariff_for(merchant_number).await?,
            self.tariff_for(member_number).await?,
        ))
    }
}

/// The tariffs of both legs of one call, fixed when the call starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallPrice {
    /// Leg B: the merchant's number.
    pub merchant: Tariff,
    /// Leg A: the member's callback number.
    pub member: Tariff,
}

/// What each leg of a call bridged for some seconds costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegCharges {
    /// Leg B, the merchant's number (minor units).
    pub merchant: i64,
    /// Leg A, the member's number (minor units).
    pub member: i64,
}

impl LegCharges {
    pub fn total(&self) -> i64 {
        self.merchant.saturating_add(self.member)
    }
}

impl CallPrice {
    pub fn new(merchant: Tariff, member: Tariff) -> Self {
        Self { merchant, member }
    }

    /// Each leg's charge for a call bridged for `seconds`.
    pub fn legs(&self, seconds: u64) -> LegCharges {
        LegCharges {
            merchant: self.merchant.charge(seconds),
            member: self.member.charge(seconds),
        }
    }

    /// The charge for a call bridged for `seconds`: both legs (minor units).
    pub fn charge(&self, seconds: u64) -> i64 {
        self.legs(seconds).total()
    }

    /// The exact number of seconds `amount` pays for, both legs: the largest
    /// `s <= MAX_CALL_SECONDS` with `charge(s) <= amount`; 0 when it does not pay for the first
    /// second. The sum of two step functions has no closed inverse, but it never decreases, so
    /// a binary search over `0..=MAX_CALL_SECONDS` finds it (about 14 steps).
    pub fn seconds_for(&self, amount: i64) -> u64 {
        if self.charge(1) > amount {
            return 0;
        }
        // Invariant: charge(lo) <= amount, and charge(hi + 1) > amount or hi is the ceiling.
        let (mut lo, mut hi) = (1, MAX_CALL_SECONDS);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.charge(mid) <= amount {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tariff(prefix: &str, connect: i64, per_minute: i64, inc: &str) -> Tariff {
        Tariff::new(prefix, connect, per_minute, inc.parse().unwrap()).unwrap()
    }

    fn brute_seconds_for(p: &CallPrice, amount: i64) -> u64 {
        (0..=MAX_CALL_SECONDS)
            .take_while(|&s| p.charge(s) <= amount)
            .last()
            .unwrap_or(0)
    }

    // covers #8 §5 Leg A: a call's charge is both legs' charges
    #[test]
    fn the_charge_is_the_sum_of_both_legs() {
        let p = CallPrice::new(
            tariff("+86", 10, 12, "60/60"),
            tariff("+86138", 5, 60, "1/1"),
        );
        assert_eq!(p.charge(0), 0, "a call never bridged is free on both legs");
        assert_eq!(
            p.legs(1),
            LegCharges {
                merchant: 22,
                member: 6
            }
        );
        assert_eq!(p.charge(1), 28);
        assert_eq!(p.charge(61), 34 + 66);
    }

    // covers #8 §5 Leg A: seconds_for is the exact inverse of the two-leg charge
    #[test]
    fn seconds_for_is_the_exact_inverse_for_every_amount() {
        let prices = [
            CallPrice::new(tariff("+86", 10, 12, "60/60"), tariff("+86", 0, 7, "30/6")),
            CallPrice::new(tariff("+86", 10, 60, "30/6"), tariff("+1", 3, 90, "1/1")),
            CallPrice::new(tariff("+86", 0, 0, "60/60"), tariff("+86", 5, 13, "6/6")),
            CallPrice::new(tariff("+86", 0, 1, "60/60"), tariff("+86", 0, 0, "1/1")),
        ];
        for p in &prices {
            for amount in -2..=500 {
                let s = p.seconds_for(amount);
                assert_eq!(s, brute_seconds_for(p, amount), "{p:?} amount {amount}");
                assert!(s == 0 || p.charge(s) <= amount);
                if s > 0 {
                    assert_eq!(p.seconds_for(p.charge(s)), s, "{p:?} amount {amount}");
                }
            }
        }
    }

    #[test]
    fn free_legs_still_end_at_the_ceiling() {
        let free = CallPrice::new(tariff("+86", 0, 0, "60/60"), tariff("+86", 0, 0, "1/1"));
        assert_eq!(free.seconds_for(0), MAX_CALL_SECONDS);
        let dear = tariff("+86", super::super::tariff::MAX_PRICE, 1, "1/1");
        assert_eq!(
            CallPrice::new(dear.clone(), dear).seconds_for(i64::MAX),
            MAX_CALL_SECONDS
        );
    }
}
