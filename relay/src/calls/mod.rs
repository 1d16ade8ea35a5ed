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
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ringlink_protocol::call_me::*;
use ringlink_protocol::{ErrorBody, ErrorCode};
use ringlink_sms::SmsGateway;
use ringlink_telephony::{CallCommands, CallControl, CallOrder, EndReason, Lang};

use crate::accounts::{random_id, Identity};
use tokio_util::sync::CancellationToken;

use crate::billing::{Billing, BillingError, NewCall, Payer, Policy};
use crate::config::{CallsConfig, Config};
use crate::dial::internal;
use crate::remembered::Remembered;
use crate::store::call_buttons::CallButton;
use crate::store::Store;
use crate::Relay;

/// A retried `CallMe` with the same client id within this long gets the first answer and
/// places no second call (a widget reconnecting mid-request retries).
const REMEMBER_CLIENT_IDS: Duration = Duration::from_secs(600);
/// At most this many CALL client ids are remembered (placed calls only; the hourly limits keep
/// the real number far lower), so memory stays bounded whatever a client sends.
const CLIENT_IDS_REMEMBERED: usize = 50_000;

/// Everything CALL needs. The SIP agent and the SMS gateway start with the server
/// ([`Calls::connect`]); admin commands and migrations never touch them.
pub struct Calls {
    /// Unset when no SIP trunk is configured: CALL requests are refused as unavailable.
    control: OnceLock<Arc<dyn CallControl>>,
    sms: OnceLock<Arc<dyn SmsGateway>>,
    pub billing: Billing,
    pub guard: Arc<guard::Guard>,
    /// Verification SMS per hour and day, in all and per site.
    pub sms_caps: limits::SmsCaps,
    /// A button's capacity unless it has its own.
    button_capacity: u32,
    orphan_after: Duration,
    live: Mutex<HashMap<String, LiveCall>>,
    placed: Mutex<Remembered<(i64, String), CallPlaced>>,
}

/// A call in flight on this relay: whose it is and how to end it.
struct LiveCall {
    member_id: i64,
    commands: CallCommands,
}

/// Why CALL's parts could not start.
#[derive(Debug, thiserror::Error)]
pub enum CallsStartError {
    #[error("the SIP agent could not start: {0}")]
    Telephony(#[from] ringlink_telephony::TelephonyError),
    #[error("the SMS gateway could not start: {0}")]
    Sms(#[from] ringlink_sms::SmsError),
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
            control: OnceLock::new(),
            sms: OnceLock::new(),
            billing: Billing::with_policy(store.clone(), policy),
            guard: Arc::new(guard::Guard::new(config.clone(), store.clone(), node_id)),
            sms_caps: limits::SmsCaps::new(config, store),
            button_capacity: config.button_capacity,
            orphan_after: Duration::from_secs(config.orphan_after_secs),
            live: Mutex::new(HashMap::new()),
            placed: Mutex::new(Remembered::new(REMEMBER_CLIENT_IDS, CLIENT_IDS_REMEMBERED)),
        }
    }

    /// Starts the SMS gateway, the SIP agent (when `[telephony]` is configured) and the
    /// janitor that settles calls a stopped relay left open.
    pub async fn connect(
        &self,
        config: &Config,
        shutdown: CancellationToken,
    ) -> Result<(), CallsStartError> {
        let sms = ringlink_sms::gateway_from_config(&config.sms, shutdown.clone()).await?;
        tracing::info!(gateway = sms.kind(), "SMS gateway ready");
        let _ = self.sms.set(sms);
        if let Some(t) = &config.telephony {
            let agent = ringlink_telephony::SipAgent::start(t.clone(), shutdown.clone()).await?;
            tracing::info!(sip = %agent.local_sip_addr(), "SIP agent ready for CALL");
            let control: Arc<dyn CallControl> = agent;
            let _ = self.control.set(control);
        } else {
            tracing::info!("no [telephony] configured: CALL requests are refused as unavailable");
        }
        self.billing.spawn_janitor(self.orphan_after, shutdown);
        Ok(())
    }

    /// The SMS gateway, once the relay is serving.
    pub fn sms(&self) -> Option<&Arc<dyn SmsGateway>> {
        self.sms.get()
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

/// Places a two-leg call for a member through a button of the page's site.
pub async fn call_me(
    relay: &Arc<Relay>,
    site_id: i64,
    member: &Identity,
    address: &str,
    req: CallMe,
) -> Result<CallPlaced, ErrorBody> {
    let calls = &relay.calls;
    let Some(control) = calls.control.get().cloned() else {
        return Err(ErrorBody::new(
            ErrorCode::Unavailable,
            "calls through this service are not set up here (no SIP trunk): dial the number yourself",
        ));
    };
    if let Some(earlier) = req
        .client_id
        .as_deref()
        .and_then(|c| calls.replayed(member.member_id, c))
    {
        return Ok(earlier);
    }
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
            member_id: member.member_id,
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
    if let Some(c) = req.client_id {
        calls.remember(member.member_id, c, &placed);
    }
    let run = session::Session::new(relay.clone(), call_id, member.member_id, reservation);
    relay.tasks.spawn(async move {
        run.follow(handle).await;
        slot.release().await;
    });
    Ok(placed)
}

/// Ends a call of the signed-in member.
pub fn hang_up(relay: &Relay, member: &Identity, req: HangUp) -> Result<HungUp, ErrorBody> {
    let live = relay.calls.live.lock().expect("calls lock");
    match live.get(&req.call_id) {
        Some(c) if c.member_id == member.member_id => {
            // Pressing "hang up" in the panel is the member hanging up.
            c.commands.hangup(EndReason::MemberHungUp);
            Ok(HungUp {})
        }
        _ => Err(ErrorBody::new(
            ErrorCode::UnknownCall,
            format!("call '{}' is not a live call of yours", req.call_id),
        )),
    }
}

impl Calls {
    fn replayed(&self, member_id: i64, client_id: &str) -> Option<CallPlaced> {
        let mut placed = self.placed.lock().expect("calls lock");
        placed.get(&(member_id, client_id.to_owned()))
    }

    fn remember(&self, member_id: i64, client_id: String, placed: &CallPlaced) {
        let mut map = self.placed.lock().expect("calls lock");
        map.first_or_insert((member_id, client_id), placed);
    }

    fn finished(&self, call_id: &str) {
        self.live.lock().expect("calls lock").remove(call_id);
    }
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
