//! One call's flow: leg A (member) with prompt and ringback, then leg B (merchant), the bridge,
//! credit warning and cut-off, and ending both legs with the right reason. Emits each
//! `CallEvent` as it happens and always finishes with `Ended`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use crate::agent::SipAgent;
use crate::control::{
    CallCommands, CallEnd, CallEvent, CallHandle, CallOrder, Command, DtmfSource, EndReason, Leg,
    COMMAND_QUEUE, EVENT_QUEUE,
};
use crate::error::CallError;
use crate::leg::{LegEvent, LegFailure, LegSpec, OutgoingLeg};
use crate::media::{Media, MediaNote, Play};
use crate::prompts::{credit_warning_tone, ringback_cycle, Prompt};
use crate::sdp;

/// Extra time over a prompt's own length before we stop waiting for it to finish playing.
const PROMPT_SLACK: Duration = Duration::from_millis(1500);

/// Starts a call in the background and returns its handle at once.
pub(crate) async fn place(agent: Arc<SipAgent>, order: CallOrder) -> Result<CallHandle, CallError> {
    if agent.shutdown.is_cancelled() {
        return Err(CallError::ShuttingDown);
    }
    let route = |n: &str| {
        let target = agent
            .config
            .target_for(n)
            .ok_or_else(|| CallError::NoRoute(n.into()))?;
        rsipstack::sip::HostWithPort::try_from(target)
            .map_err(|_| CallError::BadTarget(target.into()))?;
        Ok::<_, CallError>(target.to_owned())
    };
    let target_a = route(order.member.as_str())?;
    let target_b = route(order.merchant.as_str())?;
    let (sock_a, rtcp_a) = agent.bind_rtp().await?;
    let (sock_b, rtcp_b) = agent.bind_rtp().await?;
    let (notes_tx, notes) = mpsc::unbounded_channel();
    let media = Media::start(
        [sock_a, sock_b],
        [rtcp_a, rtcp_b],
        notes_tx,
        agent.config.media_timeout(),
    )?;
    let (events_tx, events) = mpsc::channel(EVENT_QUEUE);
    let (cmd_tx, cmds) = mpsc::channel(COMMAND_QUEUE);
    let call = Call {
        agent: agent.clone(),
        order,
        targets: [target_a, target_b],
        events: events_tx,
        cmds,
        media,
        notes,
        bridged_at: None,
        ended_at: None,
        reported: false,
    };
    agent.calls.clone().spawn(call.run());
    Ok(CallHandle {
        events,
        commands: CallCommands { tx: cmd_tx },
    })
}

struct Call {
    agent: Arc<SipAgent>,
    order: CallOrder,
    targets: [String; 2],
    events: mpsc::Sender<CallEvent>,
    cmds: mpsc::Receiver<Command>,
    media: Media,
    notes: mpsc::UnboundedReceiver<MediaNote>,
    bridged_at: Option<Instant>,
    /// When the call was decided over (a BYE came, or we hang up): billing stops here even if
    /// a peer never answers our BYE.
    ended_at: Option<Instant>,
    /// `Ended` went out already (a bridged call reports it before its BYEs are answered).
    reported: bool,
}

async fn next_or_pending(leg: &mut Option<&mut OutgoingLeg>) -> Option<LegEvent> {
    match leg {
        Some(l) => l.next().await,
        None => std::future::pending().await,
    }
}

fn sanitize(id: &str) -> String {
    id.chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

impl Call {
    async fn run(mut self) {
        let reason = self.drive().await;
        info!(call = %self.order.call_id, ?reason, rtp = ?self.media.stats(), "call ended");
        if !self.reported {
            self.report_end(reason).await;
        }
    }

    async fn report_end(&mut self, reason: EndReason) {
        self.reported = true;
        let end = CallEnd {
            reason,
            bridged_at: self.bridged_at,
            ended_at: self.ended_at.unwrap_or_else(Instant::now),
            rtp: self.media.stats(),
        };
        self.emit(CallEvent::Ended(end)).await;
    }

    async fn emit(&self, ev: CallEvent) {
        let _ = self.events.send(ev).await;
    }

    fn spec(&self, leg: Leg) -> LegSpec {
        let cfg = &self.agent.config;
        let (number, target, tag) = match leg {
            Leg::A => (&self.order.member, &self.targets[0], "a"),
            Leg::B => (&self.order.merchant, &self.targets[1], "b"),
        };
        let me = self.agent.advertised_sip();
        let rtp =
            std::net::SocketAddr::new(self.agent.advertised_ip, self.media.local_addr(leg).port());
        LegSpec {
            call_id: format!(
                "{}-{tag}-{:08x}",
                sanitize(&self.order.call_id),
                rand::random::<u32>()
            ),
            request_uri: format!("sip:{number}@{target};user=phone"),
            from_uri: format!("sip:{}@{me}", cfg.caller_id),
            contact_uri: format!("sip:ringlink@{me}"),
            destination: cfg.outbound_proxy.clone().unwrap_or_else(|| target.clone()),
            outbound_proxy: cfg.outbound_proxy.clone(),
            local_rtp: rtp,
            session_id: u64::from(rand::random::<u32>()),
            credential: crate::leg::credential(cfg),
        }
    }

    async fn drive(&mut self) -> EndReason {
        let hangup_limit = self.agent.config.hangup_timeout();
        // Leg A: the member.
        let mut a = match OutgoingLeg::start(self.agent.layer.clone(), self.spec(Leg::A)) {
            Ok(l) => l,
            Err(e) => return EndReason::Failed(e),
        };
        let answer_a = match self.ring(&mut a, Leg::A, None).await {
            Ok(sdp) => sdp,
            Err(r) => return r,
        };
        let media_a = match sdp::parse_answer(&answer_a) {
            Ok(m) => m,
            Err(e) => {
                a.hang_up(hangup_limit).await;
                return EndReason::Failed(format!("member's SDP answer: {e}"));
            }
        };
        self.media.set_remote(Leg::A, media_a);
        a.set_media(self.media.remote_setter(Leg::A));
        let lang = self.order.lang;
        self.media.play(Play {
            leg: Leg::A,
            clips: vec![Prompt::Connecting.audio(lang), ringback_cycle()],
            loop_last: true,
            done: None,
        });
        self.emit(CallEvent::MemberAnswered).await;

        // Leg B: the merchant, while A hears the prompt and ringback.
        let mut b = match OutgoingLeg::start(self.agent.layer.clone(), self.spec(Leg::B)) {
            Ok(l) => l,
            Err(e) => {
                return self
                    .fail_to_a(&mut a, Prompt::CallFailed, EndReason::Failed(e))
                    .await;
            }
        };
        let answer_b = match self.ring(&mut b, Leg::B, Some(&mut a)).await {
            Ok(sdp) => sdp,
            Err(reason) => {
                let prompt = match &reason {
                    EndReason::MerchantBusy => Some(Prompt::MerchantBusy),
                    EndReason::MerchantNoAnswer => Some(Prompt::MerchantNoAnswer),
                    EndReason::MerchantRejected
                    | EndReason::TrunkAuthFailed
                    | EndReason::Failed(_) => Some(Prompt::CallFailed),
                    _ => None,
                };
                return match prompt {
                    Some(p) => self.fail_to_a(&mut a, p, reason).await,
                    None => {
                        if !matches!(reason, EndReason::MemberHungUp) {
                            a.hang_up(hangup_limit).await;
                        }
                        reason
                    }
                };
            }
        };
        let media_b = match sdp::parse_answer(&answer_b) {
            Ok(m) => m,
            Err(e) => {
                b.hang_up(hangup_limit).await;
                let reason = EndReason::Failed(format!("merchant's SDP answer: {e}"));
                return self.fail_to_a(&mut a, Prompt::CallFailed, reason).await;
            }
        };
        self.media.set_remote(Leg::B, media_b);
        b.set_media(self.media.remote_setter(Leg::B));
        self.media.bridge();
        self.bridged_at = Some(Instant::now());
        self.emit(CallEvent::Bridged).await;
        self.bridged(&mut a, &mut b).await
    }

    /// Waits for `leg` to answer; returns its SDP answer. `answered` is the member's leg while
    /// the merchant rings: its hang-up cancels `leg`.
    async fn ring(
        &mut self,
        leg: &mut OutgoingLeg,
        which: Leg,
        mut answered: Option<&mut OutgoingLeg>,
    ) -> Result<String, EndReason> {
        let cfg = &self.agent.config;
        let hangup_limit = cfg.hangup_timeout();
        let ring_timer = tokio::time::sleep(cfg.ring_timeout());
        let answer_timer = tokio::time::sleep(cfg.answer_timeout());
        tokio::pin!(ring_timer, answer_timer);
        let mut responded = false;
        let shutdown = self.agent.shutdown.clone();
        let (busy, no_answer, rejected) = match which {
            Leg::A => (
                EndReason::MemberBusy,
                EndReason::MemberNoAnswer,
                EndReason::MemberRejected,
            ),
            Leg::B => (
                EndReason::MerchantBusy,
                EndReason::MerchantNoAnswer,
                EndReason::MerchantRejected,
            ),
        };
        loop {
            tokio::select! {
                ev = leg.next() => match ev {
                    Some(LegEvent::Calling) => self.emit(match which {
                        Leg::A => CallEvent::CallingMember,
                        Leg::B => CallEvent::CallingMerchant,
                    }).await,
                    Some(LegEvent::Trying) => responded = true,
                    Some(LegEvent::Ringing) => {
                        responded = true;
                        self.emit(match which {
                            Leg::A => CallEvent::MemberRinging,
                            Leg::B => CallEvent::MerchantRinging,
                        }).await;
                    }
                    Some(LegEvent::Answered(sdp)) => return Ok(sdp),
                    Some(LegEvent::Failed(f)) => return Err(match f {
                        LegFailure::Busy => busy,
                        LegFailure::NoAnswer => no_answer,
                        LegFailure::Rejected(code) => {
                            info!(?which, code, "leg rejected");
                            rejected
                        }
                        LegFailure::TrunkAuth(code) => {
                            self.trunk_refused(which, code);
                            EndReason::TrunkAuthFailed
                        }
                        LegFailure::Error(e) => EndReason::Failed(e),
                    }),
                    Some(LegEvent::RemoteBye) | Some(LegEvent::InfoDigit(_)) => {}
                    None => return Err(EndReason::Failed("leg ended before an answer".into())),
                },
                _ = &mut ring_timer => {
                    leg.hang_up(hangup_limit).await;
                    return Err(no_answer);
                }
                _ = &mut answer_timer, if !responded => {
                    leg.hang_up(hangup_limit).await;
                    return Err(EndReason::Failed(format!(
                        "no response to the INVITE on leg {which:?} within {} s",
                        cfg.answer_timeout_secs
                    )));
                }
                ev = next_or_pending(&mut answered) => match ev {
                    Some(LegEvent::InfoDigit(d)) => self.info_digit(Leg::A, d).await,
                    Some(LegEvent::RemoteBye) | None => {
                        leg.hang_up(hangup_limit).await;
                        return Err(EndReason::MemberHungUp);
                    }
                    Some(_) => {}
                },
                note = self.notes.recv() => self.on_note(note).await,
                cmd = self.cmds.recv() => match cmd {
                    Some(Command::Hangup(r)) => {
                        leg.hang_up(hangup_limit).await;
                        return Err(r);
                    }
                    Some(Command::WarnCreditLow) => {}
                    None => {
                        leg.hang_up(hangup_limit).await;
                        return Err(EndReason::Cancelled);
                    }
                },
                _ = shutdown.cancelled() => {
                    leg.hang_up(hangup_limit).await;
                    return Err(EndReason::Shutdown);
                }
            }
        }
    }

    /// Watches an answered leg while the other is being set up: returns when its peer hangs
    /// up (forwarding INFO digits meanwhile).
    async fn watch_answered(&self, leg: &mut OutgoingLeg, which: Leg) -> EndReason {
        loop {
            match leg.next().await {
                Some(LegEvent::InfoDigit(d)) => self.info_digit(which, d).await,
                Some(LegEvent::RemoteBye) | None => {
                    return match which {
                        Leg::A => EndReason::MemberHungUp,
                        Leg::B => EndReason::MerchantHungUp,
                    }
                }
                Some(_) => {}
            }
        }
    }

    /// The operator's line for a trunk that refused our credentials (never the password).
    fn trunk_refused(&self, which: Leg, code: u16) {
        let cfg = &self.agent.config;
        warn!(
            call = %self.order.call_id,
            leg = ?which,
            code,
            username = cfg.username.as_deref().unwrap_or("(none)"),
            realm = cfg.realm.as_deref().unwrap_or("(any)"),
            "the SIP trunk refused our credentials: check [telephony] username, password and realm \
             with the trunk provider"
        );
    }

    /// Stamps the end of the bridged call now, cuts the bridge (no more audio either way) and
    /// reports `Ended` at once: our BYEs may wait `hangup_timeout_secs` for an answer that never
    /// comes, and neither the bill nor the member's panel waits with them.
    async fn end_now(&mut self, reason: &EndReason) {
        if self.ended_at.is_none() {
            self.ended_at = Some(Instant::now());
            self.media.cut();
            self.report_end(reason.clone()).await;
        }
    }

    async fn info_digit(&self, leg: Leg, digit: char) {
        self.emit_digit(leg, digit, DtmfSource::SipInfo).await;
    }

    async fn emit_digit(&self, leg: Leg, digit: char, source: DtmfSource) {
        self.emit(CallEvent::Dtmf { leg, digit, source }).await;
    }

    async fn on_note(&self, note: Option<MediaNote>) {
        if let Some(MediaNote::Dtmf(leg, d)) = note {
            self.emit_digit(leg, d, DtmfSource::Rfc4733).await;
        }
    }

    /// Plays `prompt` to the answered member, then hangs up A; returns `reason`.
    async fn fail_to_a(
        &mut self,
        a: &mut OutgoingLeg,
        prompt: Prompt,
        reason: EndReason,
    ) -> EndReason {
        if self.play_and_wait(Leg::A, prompt, a).await {
            return EndReason::MemberHungUp;
        }
        a.hang_up(self.agent.config.hangup_timeout()).await;
        reason
    }

    /// Plays `prompt` to `leg` (whose dialog is `dialog`) and waits until it has been sent;
    /// returns true if that party hung up meanwhile.
    async fn play_and_wait(&mut self, leg: Leg, prompt: Prompt, dialog: &mut OutgoingLeg) -> bool {
        let audio = prompt.audio(self.order.lang);
        let (done_tx, done) = oneshot::channel();
        self.media.play(Play {
            leg,
            clips: vec![audio],
            loop_last: false,
            done: Some(done_tx),
        });
        let limit = Duration::from_millis(audio.len() as u64 / 8) + PROMPT_SLACK;
        tokio::select! {
            _ = tokio::time::timeout(limit, done) => false,
            _ = self.watch_answered(dialog, leg) => true,
        }
    }

    /// Credit is out at this second: the end is stamped and the bridge cut now, the other party
    /// gets BYE at once, and the payer hears the goodbye prompt (after the paid time, so nobody
    /// is billed for it) before its own BYE.
    async fn credit_out(&mut self, a: &mut OutgoingLeg, b: &mut OutgoingLeg) {
        let limit = self.agent.config.hangup_timeout();
        self.end_now(&EndReason::CreditExhausted).await;
        let payer = self.order.payer_leg;
        let (payer_dialog, other) = match payer {
            Leg::A => (a, b),
            Leg::B => (b, a),
        };
        let (_, hung_up) = tokio::join!(
            other.hang_up(limit),
            self.play_and_wait(payer, Prompt::CreditExhausted, payer_dialog)
        );
        if !hung_up {
            payer_dialog.hang_up(limit).await;
        }
    }

    /// The bridged call: runs until a side hangs up, the relay ends it, or a limit is hit.
    async fn bridged(&mut self, a: &mut OutgoingLeg, b: &mut OutgoingLeg) -> EndReason {
        let limit = self.agent.config.hangup_timeout();
        let max = self.order.max_duration.min(self.agent.config.max_call());
        let max_timer = tokio::time::sleep(max);
        tokio::pin!(max_timer);
        let shutdown = self.agent.shutdown.clone();
        let reason = loop {
            tokio::select! {
                ev = a.next() => match ev {
                    Some(LegEvent::InfoDigit(d)) => self.info_digit(Leg::A, d).await,
                    Some(LegEvent::RemoteBye) | None => {
                        self.end_now(&EndReason::MemberHungUp).await;
                        b.hang_up(limit).await;
                        return EndReason::MemberHungUp;
                    }
                    Some(_) => {}
                },
                ev = b.next() => match ev {
                    Some(LegEvent::InfoDigit(d)) => self.info_digit(Leg::B, d).await,
                    Some(LegEvent::RemoteBye) | None => {
                        self.end_now(&EndReason::MerchantHungUp).await;
                        a.hang_up(limit).await;
                        return EndReason::MerchantHungUp;
                    }
                    Some(_) => {}
                },
                note = self.notes.recv() => match note {
                    Some(MediaNote::Timeout) => {
                        warn!(call = %self.order.call_id, "no RTP from either leg: ending");
                        break EndReason::Failed(format!(
                            "no RTP from either leg for {} s",
                            self.agent.config.media_timeout_secs
                        ));
                    }
                    other => self.on_note(other).await,
                },
                cmd = self.cmds.recv() => match cmd {
                    Some(Command::WarnCreditLow) => {
                        self.media.whisper(self.order.payer_leg, credit_warning_tone());
                    }
                    Some(Command::Hangup(EndReason::CreditExhausted)) => {
                        self.credit_out(a, b).await;
                        return EndReason::CreditExhausted;
                    }
                    Some(Command::Hangup(r)) => break r,
                    None => break EndReason::Cancelled,
                },
                _ = &mut max_timer => break EndReason::MaxDuration,
                _ = shutdown.cancelled() => break EndReason::Shutdown,
            }
        };
        self.end_now(&reason).await;
        tokio::join!(a.hang_up(limit), b.hang_up(limit));
        reason
    }
}
