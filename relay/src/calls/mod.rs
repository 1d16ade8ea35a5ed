//! CALL ("call me now", CALL-3 to CALL-7): a signed-in member asks, through a merchant's call
//! button, to be called; the relay checks the number, the destination and the payer, reserves
//! credit, has `CallControl` call the member then the merchant, and follows the call to its end.
//! Handlers only decode and encode; every rule lives here and in the submodules.
//!
//! - [`guard`]: destination policy, rate limits and live-call limits.
//! - [`limits`]: button capacity, daily caps and shares, SMS caps: defaults and the SMS caps.
//! - [`verify`]: SMS codes for new callback numbers; [`code_sms`]: their text.
//! - `session`: one live call: progress to the widgets, the billing clock, the hang-up at zero.

pub mod code_sms;
pub mod guard;
pub mod limits;
mod session;
pub mod verify;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ringlink_protocol::call_me::*;
use ringlink_protocol::{ErrorBody, ErrorCode};
use ringlink_telephony::{CallCommands, CallOrder, EndReason, Lang};

use crate::accounts::{random_id, Identity};

use crate::billing::{Billing, BillingError, NewCall, Payer, Policy};
use crate::config::CallsConfig;
use crate::dial::internal;
use crate::store::call_buttons::CallButton;
use crate::store::Store;
use crate::Relay;

/// A retried `CallMe` with the same client id within this long gets the first answer and
/// places no second call (a widget reconnecting mid-request retries, through any relay). Only
/// placed calls keep their claim (a refused one lets go of it), so the hourly limits bound the
/// rows an outsider can make.
const REMEMBER_CLIENT_IDS: Duration = Duration::from_secs(600);
/// A retry that finds its first request still being placed waits this long for its answer.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(5);
/// How long a hang-up asked through another relay waits for the relay holding the call.
const HANG_UP_WAIT: Duration = Duration::from_secs(3);

/// A hang-up asked through the call's subject, for the node that holds its SIP dialog.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct HangUpAsk {
    pub member_id: i64,
}
/// The answers to a [`HangUpAsk`].
pub(crate) const HUNG_UP: &str = "hung_up";
pub(crate) const NOT_YOURS: &str = "not_yours";

/// Everything CALL needs besides the gateways ([`crate::gateways`]): billing, the abuse
/// controls and the calls in flight on this relay.
pub struct Calls {
    pub billing: Billing,
    pub guard: Arc<guard::Guard>,
    /// Verification SMS per hour and day, in all and per site.
    pub sms_caps: limits::SmsCaps,
    /// A button's capacity unless it has its own.
    button_capacity: u32,
    orphan_after: Duration,
    live: Mutex<HashMap<String, LiveCall>>,
}

/// A call in flight on this relay: how to end it (at shutdown).
struct LiveCall {
    commands: CallCommands,
}

impl Calls {
    /// `node_id` is this relay's name among several: its live-call slots are recorded under it.
    pub fn new(config: &CallsConfig, store: Store, node_id: String) -> Self {
        let cap = |c: i64| (c > 0).then_some(c);
        let policy = Policy {
            min_start_balance: config.min_start_balance,
            member_daily_cap: cap(config.member_daily_cap),
            merchant_daily_cap: cap(config.merchant_daily_cap),
            sponsor_daily_cap: cap(config.sponsor_daily_cap),
            member_share_secs: (config.member_share_minutes > 0)
                .then_some(config.member_share_minutes.saturating_mul(60)),
            min_talk_secs: config.min_talk_secs,
        };
        Self {
            billing: Billing::with_policy(store.clone(), policy),
            guard: Arc::new(guard::Guard::new(config.clone(), store.clone(), node_id)),
            sms_caps: limits::SmsCaps::new(config, store),
            button_capacity: config.button_capacity,
            orphan_after: Duration::from_secs(config.orphan_after_secs),
            live: Mutex::new(HashMap::new()),
        }
    }

    /// How often a live call refreshes its reservation: a quarter of the orphan limit, at most
    /// billing's own heartbeat interval.
    pub(crate) fn heartbeat_every(&self) -> Duration {
        (self.orphan_after / 4).min(crate::billing::HEARTBEAT_EVERY)
    }

    /// Calls in flight on this relay (`ringlink_calls_live` at /metrics).
    pub fn live_count(&self) -> usize {
        self.live.lock().expect("calls lock").len()
    }

    /// Ends every live call (relay shutdown): both legs get BYE and each call settles.
    pub fn hang_up_all(&self, reason: EndReason) {
        for call in self.live.lock().expect("calls lock").values() {
            call.commands.hangup(reason.clone());
        }
    }
}

fn unknown_button(key: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::UnknownButton,
        format!("this page's call button '{key}' is not set up for calls; tell the shop, or use the number on the page"),
    )
}

async fn button(relay: &Relay, site_id: i64, key: &str) -> Result<CallButton, ErrorBody> {
    relay
        .store
        .call_button(site_id, key)
        .await
        .map_err(internal)?
        .ok_or_else(|| unknown_button(key))
}

fn payer_of(b: &CallButton, member: &Identity) -> Payer {
    match b.payer {
        PayerKind::Member => Payer::Member(member.member_id),
        PayerKind::Merchant => Payer::Merchant(b.site_id),
        PayerKind::Sponsor => Payer::SponsorNamed(b.sponsor.clone().unwrap_or_default()),
    }
}

/// What a member sees before calling through a button (CALL-3, CALL-4).
pub async fn offer(
    relay: &Relay,
    site_id: i64,
    member: &Identity,
    req: CallOptions,
) -> Result<CallOffer, ErrorBody> {
    let b = button(relay, site_id, &req.button).await?;
    let verified = verify::callable_numbers(relay, member).await?;
    // Both legs, as the call will be priced: leg A at the number on file (the one offered).
    let billing = &relay.calls.billing;
    let price = match billing
        .price_for(member.number.as_str(), b.number.as_str())
        .await
    {
        Ok(p) => Some(p),
        Err(BillingError::NoTariff(_)) => None,
        Err(e) => return Err(billing_refusal(&e)),
    };
    let shown = price.filter(|_| b.payer == PayerKind::Member);
    let leg = |f: fn(&crate::billing::CallPrice) -> i64| shown.as_ref().map(f);
    Ok(CallOffer {
        button: b.key,
        label: b.label,
        callback: member.number.clone(),
        verified,
        payer: b.payer,
        sponsor: b.sponsor,
        per_minute: leg(|p| p.merchant.per_minute),
        connect_fee: leg(|p| p.merchant.connect_fee),
        member_per_minute: leg(|p| p.member.per_minute),
        member_connect_fee: leg(|p| p.member.connect_fee),
        currency: crate::billing::CURRENCY.into(),
    })
}

/// Places a two-leg call for a member through a button of the page's site. A retry with the
/// same client id, through this relay or any other, gets the first call's answer and places
/// nothing: the client id is claimed in the database every relay shares.
pub async fn call_me(
    relay: &Arc<Relay>,
    site_id: i64,
    member: &Identity,
    address: &str,
    req: CallMe,
) -> Result<CallPlaced, ErrorBody> {
    let Some(client_id) = req.client_id.clone() else {
        return place(relay, site_id, member, address, req).await;
    };
    // A refused request lets go of its claim: a retry may pass once the member verified the
    // number.
    let once = crate::live::once::Once {
        key: format!("call_me:{}:{client_id}", member.member_id),
        keep: REMEMBER_CLIENT_IDS,
        wait: WAIT_FOR_FIRST,
        busy: "this call request is still being placed; wait a moment",
    };
    once.run(&relay.store, || place(relay, site_id, member, address, req))
        .await
}

async fn place(
    relay: &Arc<Relay>,
    site_id: i64,
    member: &Identity,
    address: &str,
    req: CallMe,
) -> Result<CallPlaced, ErrorBody> {
    let calls = &relay.calls;
    let Some(control) = relay.gateways.call_control().cloned() else {
        return Err(ErrorBody::new(
            ErrorCode::Unavailable,
            "calls through this service are not set up here (no SIP trunk): dial the number yourself",
        ));
    };
    let b = button(relay, site_id, &req.button).await?;
    let callback = relay
        .accounts
        .parse_number(&req.callback)
        .map_err(ErrorBody::from)?;
    if !verify::is_callable(relay, member, &callback).await? {
        return Err(ErrorBody::new(
            ErrorCode::NumberNotVerified,
            format!(
                "{callback} is not verified yet: ask for a code by SMS and type it in, then call"
            ),
        ));
    }
    calls.guard.destination_allowed(&callback, "your number")?;
    calls
        .guard
        .destination_allowed(&b.number, "the merchant's number")?;
    let counted = calls
        .guard
        .check_call(member.member_id, address, &callback)
        .await?;
    let line = guard::Line {
        site_id,
        key: &b.key,
        capacity: b.capacity.unwrap_or(calls.button_capacity),
    };
    let slot = calls.guard.enter(member.member_id, &callback, line).await?;
    let payer = payer_of(&b, member);
    // A refusal from here on frees the live slot and refunds the rate limits at once, so a
    // retry is not refused by what this attempt held.
    let account = match calls.billing.account_for(&payer).await {
        Ok(a) => a,
        Err(e) => {
            slot.release().await;
            counted.give_back().await;
            return Err(billing_refusal(&e));
        }
    };
    let call_id = format!("cm_{}", random_id(16));
    let started = calls
        .billing
        .start_call(NewCall {
            public_id: call_id.clone(),
            member_id: member.member_id,
            site_id,
            button: b.key.clone(),
            payer: account,
            member_number: callback.clone(),
            merchant_number: b.number.clone(),
        })
        .await;
    let reservation = match started {
        Ok(r) => r,
        Err(e) => {
            slot.release().await;
            counted.give_back().await;
            return Err(billing_refusal(&e));
        }
    };
    let lang = if req.lang.as_deref() == Some("en") {
        Lang::En
    } else {
        Lang::Zh
    };
    let order = CallOrder {
        call_id: call_id.clone(),
        member: callback.clone(),
        merchant: b.number.clone(),
        lang,
        max_duration: calls.guard.max_call(),
        // The credit warning goes to whoever's account pays: the merchant's side when it pays.
        payer_leg: if b.payer == PayerKind::Merchant {
            ringlink_telephony::Leg::B
        } else {
            ringlink_telephony::Leg::A
        },
    };
    // Subscribed before anyone can learn the call id, so a hang-up from any relay is heard.
    let hang_ups = match relay
        .live
        .bus
        .subscribe(&crate::live::Subject::Call(call_id.clone()))
        .await
    {
        Ok(sub) => Some(sub),
        Err(e) => {
            tracing::warn!(call = %call_id, "hang-ups from other relays will not reach this call: {e}");
            None
        }
    };
    let handle = match control.place(order).await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(call = %call_id, "call could not be placed: {e}");
            let _ = calls
                .billing
                .settle(reservation, session::outcome(CallEndReason::Failed, None))
                .await;
            slot.release().await;
            counted.give_back().await;
            return Err(ErrorBody::new(
                ErrorCode::Unavailable,
                "the call could not be placed right now; try again in a minute",
            ));
        }
    };
    calls.guard.count_call(counted);
    calls.live.lock().expect("calls lock").insert(
        call_id.clone(),
        LiveCall {
            commands: handle.commands.clone(),
        },
    );
    metrics::counter!("ringlink_calls_placed_total").increment(1);
    let placed = CallPlaced {
        call_id: call_id.clone(),
        callback,
        label: b.label,
        payer: b.payer,
    };
    let run = session::Session::new(
        relay.clone(),
        call_id,
        member.member_id,
        reservation,
        hang_ups,
    );
    // A chat agent whose number is the button's line is on this call while it lasts (CHAT-4's
    // option not to route visitors to an agent on a live call).
    let line = b.number.to_string();
    let store = relay.store.clone();
    let node = relay.live.node_id.clone();
    let _ = store
        .set_on_call_by_number(site_id, &line, Some(&node))
        .await;
    relay.tasks.spawn(async move {
        run.follow(handle).await;
        slot.release().await;
        let _ = store.set_on_call_by_number(site_id, &line, None).await;
    });
    Ok(placed)
}

/// Ends a call of the signed-in member: a request to the call's subject, answered by the relay
/// that holds its SIP dialog, wherever the member's widget is connected.
pub async fn hang_up(relay: &Relay, member: &Identity, req: HangUp) -> Result<HungUp, ErrorBody> {
    let unknown = || {
        ErrorBody::new(
            ErrorCode::UnknownCall,
            format!("call '{}' is not a live call of yours", req.call_id),
        )
    };
    let ask = serde_json::to_string(&HangUpAsk {
        member_id: member.member_id,
    })
    .expect("live messages serialize");
    let to = crate::live::Subject::Call(req.call_id.clone());
    match relay.live.bus.request(&to, ask.into(), HANG_UP_WAIT).await {
        Ok(a) if a.as_str() == HUNG_UP => Ok(HungUp {}),
        Ok(_) | Err(crate::live::RequestError::NoResponders) => Err(unknown()),
        Err(e) => {
            tracing::warn!(call = %req.call_id, "hang-up not answered: {e}");
            Err(ErrorBody::new(
                ErrorCode::Unavailable,
                "the relay holding this call did not answer; try hanging up again",
            ))
        }
    }
}

impl Calls {
    fn finished(&self, call_id: &str) {
        self.live.lock().expect("calls lock").remove(call_id);
    }
}

/// Starts the billing janitor, which settles calls whose relay stopped (their reservations'
/// heartbeats went stale), on every relay: a surviving relay settles a dead one's calls, and
/// the member's widgets are told the call ended.
pub fn spawn_janitor(relay: &Arc<Relay>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    relay
        .calls
        .billing
        .spawn_janitor(relay.calls.orphan_after, relay.shutdown.clone(), Some(tx));
    let relay = relay.clone();
    tokio::spawn(async move {
        while let Some(o) = rx.recv().await {
            let record = relay.calls.billing.call_record(&o.public_id).await;
            let Ok(Some(record)) = record else { continue };
            let ended = CallProgress {
                call_id: o.public_id,
                stage: CallStage::Ended,
                seconds: Some(o.billed_seconds),
                cost: Some(o.charge),
                ends_in: None,
                reason: Some(CallEndReason::RelayShutdown),
                seq: 0,
                at: crate::store::now(),
            };
            relay
                .live
                .member_event(
                    record.member_id,
                    ringlink_protocol::widget::RelayToWidget::CallProgress(ended),
                )
                .await;
        }
    });
}

/// A billing refusal as the member should read it.
pub(crate) fn billing_refusal(e: &BillingError) -> ErrorBody {
    match e {
        BillingError::Store(_) => internal(e),
        BillingError::NoTariff(_) => {
            ErrorBody::new(ErrorCode::DestinationNotAllowed, e.to_string())
        }
        _ => ErrorBody::new(ErrorCode::InsufficientBalance, e.to_string()),
    }
}
