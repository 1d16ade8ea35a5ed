//! One live two-leg call, from the first INVITE to settlement: turns `CallControl` events into
//! progress for the member's widgets, runs the billing clock from the bridge (CALL-7): extends the
//! reservation before it runs out, warns before the credit ends, hangs both legs up at the exact
//! second it does, and settles the charge from the call's own timestamps.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ringlink_protocol::call_me::{CallEndReason, CallProgress, CallStage};
use ringlink_protocol::widget::RelayToWidget;
use ringlink_telephony::{
    CallCommands as CallHandleCommands, CallEnd, CallEvent, CallHandle, EndReason,
};
use tokio::time::{sleep_until, Instant as TokioInstant};

use crate::billing::{CallOutcome, Reservation};
use crate::live::{next_of, Delivery, Subscription};
use crate::store::now;
use crate::Relay;

/// How often the reservation is checked (extended when billing says it is near its end) while
/// the call is connected. One second: the cut-off itself has its own timer.
const CLOCK_TICK: Duration = Duration::from_secs(1);
/// The payer hears the credit warning tone this long before the credit runs out.
const WARN_BEFORE: u64 = ringlink_telephony::prompts::CREDIT_WARNING_SECS;
/// Running cost is pushed to the widgets this often while connected (the widget's own clock
/// ticks in between).
const PROGRESS_EVERY: u64 = 10;
/// A call control that stops sending events without an `Ended` is given up after this long
/// past the longest call.
const LOST_CALL_GRACE: Duration = Duration::from_secs(60);

pub(super) fn outcome(reason: CallEndReason, bridged_seconds: Option<u64>) -> CallOutcome {
    CallOutcome {
        reason: reason.as_str().to_owned(),
        bridged_seconds,
    }
}

/// The protocol's end reason for the agent's (which also carries a failure's detail).
pub fn reason_code(reason: &EndReason) -> CallEndReason {
    match reason {
        EndReason::MemberNoAnswer => CallEndReason::MemberNoAnswer,
        EndReason::MemberBusy => CallEndReason::MemberBusy,
        EndReason::MemberRejected => CallEndReason::MemberRejected,
        EndReason::MemberHungUp => CallEndReason::MemberHungUp,
        EndReason::MerchantNoAnswer => CallEndReason::MerchantNoAnswer,
        EndReason::MerchantBusy => CallEndReason::MerchantBusy,
        EndReason::MerchantRejected => CallEndReason::MerchantRejected,
        EndReason::MerchantHungUp => CallEndReason::MerchantHungUp,
        EndReason::CreditExhausted => CallEndReason::CreditExhausted,
        EndReason::MaxDuration => CallEndReason::MaxDuration,
        EndReason::TrunkAuthFailed => CallEndReason::TrunkAuthFailed,
        EndReason::Cancelled => CallEndReason::Cancelled,
        EndReason::Shutdown => CallEndReason::RelayShutdown,
        EndReason::Failed(_) => CallEndReason::Failed,
    }
}

pub(super) struct Session {
    relay: Arc<Relay>,
    call_id: String,
    member_id: i64,
    reservation: Reservation,
    /// The reservation's heartbeat is refreshed from placement on, ringing included, so the
    /// janitor never settles a call that is still ringing.
    last_heartbeat: Instant,
    /// Hang-up requests for this call from any relay (the call's subject); this node holds the
    /// SIP dialog, so it answers them.
    hang_ups: Option<Subscription>,
}

/// The billing clock of a connected call.
struct Clock {
    bridged: Instant,
    /// Seconds after the bridge that the reservation pays for, exactly.
    paid_until: u64,
    /// No more credit can be had: the call ends at `paid_until`.
    last: bool,
    warned: bool,
}

impl Session {
    pub fn new(
        relay: Arc<Relay>,
        call_id: String,
        member_id: i64,
        reservation: Reservation,
        hang_ups: Option<Subscription>,
    ) -> Self {
        Self {
            relay,
            call_id,
            member_id,
            reservation,
            last_heartbeat: Instant::now(),
            hang_ups,
        }
    }

    /// Answers a hang-up asked through the call's subject: only the call's own member may.
    fn on_hang_up(&self, d: Delivery, commands: &CallHandleCommands) {
        let ask = serde_json::from_str::<super::HangUpAsk>(d.frame.as_str()).ok();
        let mine = ask.is_some_and(|a| a.member_id == self.member_id);
        if mine {
            // Pressing "hang up" in the panel is the member hanging up.
            commands.hangup(EndReason::MemberHungUp);
        }
        if let Some(r) = d.reply {
            r.answer(
                if mine {
                    super::HUNG_UP
                } else {
                    super::NOT_YOURS
                }
                .into(),
            );
        }
    }

    async fn progress(&self, stage: CallStage, f: impl FnOnce(&mut CallProgress)) {
        let mut p = CallProgress {
            call_id: self.call_id.clone(),
            stage,
            seconds: None,
            cost: None,
            ends_in: None,
            reason: None,
            seq: 0,
            at: now(),
        };
        f(&mut p);
        self.relay
            .live
            .member_event(self.member_id, RelayToWidget::CallProgress(p))
            .await;
    }

    /// Follows the call to its end, then settles it and frees its place.
    pub async fn follow(mut self, mut handle: CallHandle) {
        let commands = handle.commands.clone();
        let mut clock: Option<Clock> = None;
        let mut tick = tokio::time::interval(CLOCK_TICK);
        let give_up = TokioInstant::now() + self.relay.calls.guard.max_call() + LOST_CALL_GRACE;
        let end = loop {
            // The call is cut at the paid second; the payer's goodbye plays after it, unbilled.
            let cutoff = clock
                .as_ref()
                .filter(|c| c.last)
                .map(|c| TokioInstant::from_std(c.bridged + Duration::from_secs(c.paid_until)));
            let warn_at = clock.as_ref().filter(|c| c.last && !c.warned).map(|c| {
                TokioInstant::from_std(
                    c.bridged + Duration::from_secs(c.paid_until.saturating_sub(WARN_BEFORE)),
                )
            });
            tokio::select! {
                event = handle.events.recv() => match event {
                    None => break None,
                    Some(CallEvent::Ended(end)) => break Some(end),
                    Some(event) => self.on_event(event, &mut clock).await,
                },
                Some(d) = next_of(&mut self.hang_ups) => self.on_hang_up(d, &commands),
                _ = tick.tick() => {
                    if let Some(c) = clock.as_mut() {
                        self.on_tick(c).await;
                    }
                    self.heartbeat_if_due().await;
                }
                _ = sleep_until(warn_at.unwrap_or(give_up)), if warn_at.is_some() => {
                    if let Some(c) = clock.as_mut() {
                        c.warned = true;
                        commands.warn_credit_low();
                        let left = c.paid_until.saturating_sub(c.bridged.elapsed().as_secs());
                        self.progress(CallStage::CreditLow, |p| p.ends_in = Some(left)).await;
                    }
                }
                _ = sleep_until(cutoff.unwrap_or(give_up)), if cutoff.is_some() => {
                    tracing::info!(call = %self.call_id, "credit exhausted: hanging up both legs");
                    commands.hangup(EndReason::CreditExhausted);
                    // Keep following: the Ended event carries the exact timestamps.
                    if let Some(c) = clock.as_mut() { c.last = false; c.paid_until = u64::MAX / 2; }
                }
                _ = sleep_until(give_up) => {
                    commands.hangup(EndReason::Failed("call control stopped answering".into()));
                    break None;
                }
            }
        };
        self.finish(end).await;
    }

    async fn on_event(&mut self, event: CallEvent, clock: &mut Option<Clock>) {
        match event {
            CallEvent::CallingMember => self.progress(CallStage::CallingYou, |_| {}).await,
            CallEvent::MemberAnswered => self.progress(CallStage::ConnectingMerchant, |_| {}).await,
            CallEvent::MerchantRinging => self.progress(CallStage::MerchantRinging, |_| {}).await,
            CallEvent::Bridged => {
                let bridged = Instant::now();
                let billing = &self.relay.calls.billing;
                let marked = billing
                    .mark_bridged(&mut self.reservation, crate::billing::now_ms())
                    .await;
                let (paid_until, last) = match marked {
                    Ok(()) => {
                        let g = self.reservation.grant();
                        (g.paid_until, g.limit.is_some())
                    }
                    Err(e) => {
                        tracing::error!(call = %self.call_id, "billing could not start the clock: {e}");
                        (0, true)
                    }
                };
                *clock = Some(Clock {
                    bridged,
                    paid_until,
                    last,
                    warned: false,
                });
                self.last_heartbeat = bridged;
                let cost = billing.running_cost(&self.reservation, 0);
                self.progress(CallStage::Connected, |p| {
                    p.seconds = Some(0);
                    p.cost = Some(cost);
                })
                .await;
            }
            CallEvent::Dtmf { leg, .. } => {
                // The digit itself is not logged: on PAY calls it is part of a PIN.
                tracing::debug!(call = %self.call_id, ?leg, "DTMF digit received");
            }
            CallEvent::MemberRinging | CallEvent::CallingMerchant | CallEvent::Ended(_) => {}
        }
    }

    async fn on_tick(&mut self, c: &mut Clock) {
        let billing = &self.relay.calls.billing;
        let elapsed = c.bridged.elapsed().as_secs();
        if !c.last && self.reservation.needs_extension(elapsed) {
            match billing.extend(&mut self.reservation).await {
                Ok(g) => {
                    c.paid_until = g.paid_until;
                    c.last = g.limit.is_some();
                }
                Err(e) => {
                    tracing::info!(call = %self.call_id, "no more credit for this call: {e}");
                    c.last = true;
                }
            }
        }
        if elapsed > 0 && elapsed.is_multiple_of(PROGRESS_EVERY) {
            let cost = billing.running_cost(&self.reservation, elapsed);
            self.progress(CallStage::Connected, |p| {
                p.seconds = Some(elapsed);
                p.cost = Some(cost);
            })
            .await;
        }
    }

    /// Refreshes the reservation's heartbeat when it is due, ringing or connected.
    async fn heartbeat_if_due(&mut self) {
        if self.last_heartbeat.elapsed() < self.relay.calls.heartbeat_every() {
            return;
        }
        self.last_heartbeat = Instant::now();
        if let Err(e) = self.relay.calls.billing.heartbeat(&self.reservation).await {
            tracing::warn!(call = %self.call_id, "billing heartbeat failed: {e}");
        }
    }

    async fn finish(mut self, end: Option<CallEnd>) {
        // A hang-up asked from now on finds no one: the call is over.
        self.hang_ups = None;
        let (reason, seconds) = match &end {
            Some(e) => {
                let seconds = e.bridged_at.map(|b| {
                    let d = e.ended_at.saturating_duration_since(b);
                    // Started seconds count; the reservation's paid time caps it, so a call cut
                    // at zero is charged exactly what the credit paid for.
                    d.as_secs() + u64::from(d.subsec_nanos() > 0)
                });
                (reason_code(&e.reason), seconds)
            }
            None => (CallEndReason::Failed, None),
        };
        if let Some(e) = &end {
            tracing::info!(call = %self.call_id, reason = reason.as_str(), a_to_b = e.rtp.a_to_b, b_to_a = e.rtp.b_to_a, "call ended");
        }
        let calls = &self.relay.calls;
        calls.finished(&self.call_id);
        let settled = calls
            .billing
            .settle(self.reservation, outcome(reason, seconds))
            .await;
        let (seconds, cost) = match settled {
            Ok(s) => (Some(s.billed_seconds), Some(s.charge)),
            Err(e) => {
                tracing::error!(call = %self.call_id, "settlement failed (the janitor will retry): {e}");
                (seconds, None)
            }
        };
        metrics::counter!("ringlink_calls_ended_total", "reason" => reason.as_str()).increment(1);
        let relay = self.relay.clone();
        let member_id = self.member_id;
        let ended = RelayToWidget::CallProgress(CallProgress {
            call_id: self.call_id,
            stage: CallStage::Ended,
            seconds,
            cost,
            ends_in: None,
            reason: Some(reason),
            seq: 0,
            at: now(),
        });
        relay.live.member_event(member_id, ended).await;
    }
}
