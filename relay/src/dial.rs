//! DIAL routing: a signed-in member's dial intent goes only to one of that member's own phone
//! agents (DIAL-5), as a request to its device's subject on the live bus, wherever it is
//! connected; the states the handset reports come back through the member's stream
//! ([`crate::dial_agent`]).

use std::time::Duration;

use ringlink_protocol::agent::DialOrder;
use ringlink_protocol::widget::{Dial, DialAccepted};
use ringlink_protocol::{ErrorBody, ErrorCode};

use crate::accounts::{random_id, Identity};
use crate::dial_agent::{ToDevice, TAKEN};
use crate::dial_cap::CapError;
use crate::dial_log::LogOp;
use crate::live::Subject;
use crate::store::now;
use crate::Relay;

/// Dial intents per member per minute. A person dials a few numbers a minute at most; a stolen
/// session must not turn the member's phone into an autodialler.
pub const DIALS_PER_MINUTE: u32 = 20;
pub const DIAL_WINDOW: Duration = Duration::from_secs(60);
/// How long the relay holding the phone's connection has to take a dial order: it answers as
/// soon as the order is queued for the socket, so only a stalled relay takes this long.
pub const ORDER_WAIT: Duration = Duration::from_secs(3);

fn not_connected() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::AgentNotConnected,
        "your phone is not connected: start the Ringlink agent on it (ringlink-agent run) and try again",
    )
}

/// Forwards a dial intent to the member's agent (the named device, or the most recent one),
/// after the destination policy, the per-minute limit and the daily cap. A retry with the same
/// client id gets the first answer, acceptance or refusal, and is not dialled again.
pub async fn place(relay: &Relay, member: &Identity, req: Dial) -> Result<DialAccepted, ErrorBody> {
    let client_id = req.client_id.clone();
    relay
        .dial_ids
        .once(member.member_id, client_id.as_deref(), || {
            decide_once_everywhere(relay, member, req)
        })
        .await
}

/// With several relays, a client id is also claimed in the database they share, so a retry
/// through another relay (after a reconnect) gets the first dial's acceptance and is not
/// dialled again. One relay needs no claim: [`crate::dial_ids`] remembers, across restarts too.
async fn decide_once_everywhere(
    relay: &Relay,
    member: &Identity,
    req: Dial,
) -> Result<DialAccepted, ErrorBody> {
    let client_id = req.client_id.clone().filter(|_| relay.live.is_shared());
    let Some(client_id) = client_id else {
        return decide(relay, member, req).await;
    };
    let once = crate::live::once::Once {
        key: format!("dial:{}:{client_id}", member.member_id),
        keep: Duration::from_secs(relay.config.dial.client_id_memory_secs),
        wait: ORDER_WAIT,
        busy: "this dial is still being placed; wait a moment",
    };
    once.run(&relay.store, || decide(relay, member, req)).await
}

/// Decides one dial and, when every check passes, places it: a dial-log row, then the order.
async fn decide(relay: &Relay, member: &Identity, req: Dial) -> Result<DialAccepted, ErrorBody> {
    let number = relay
        .accounts
        .parse_number(&req.number)
        .map_err(ErrorBody::from)?;
    let confirm = relay.config.dial.needs_confirm(&number)?;
    let agent = relay
        .live
        .presence
        .pick_agent(member.member_id, req.device.as_deref())
        .await
        .map_err(internal)?;
    let Some(agent) = agent else {
        if let Some(device) = &req.device {
            let owns = relay
                .store
                .member_owns_device(member.member_id, device)
                .await
                .map_err(internal)?;
            if !owns {
                return Err(ErrorBody::new(
                    ErrorCode::NotYourDevice,
                    format!("device '{device}' is not one of your phones; choose one of your own"),
                ));
            }
        }
        return Err(not_connected());
    };
    relay
        .dial_throttle
        .hit(&member.member_id.to_string())
        .map_err(|secs| ErrorBody {
            code: ErrorCode::RateLimited,
            message: format!("too many dial requests; wait {secs} s before dialling again"),
            retry_after: Some(secs),
        })?;
    relay
        .dial_cap
        .take(member.member_id, now())
        .await
        .map_err(|e| match e {
            CapError::Reached(body) => body,
            CapError::Store(e) => internal(e),
        })?;
    let call_id = format!("call_{}", random_id(16));
    relay
        .dial_log
        .record(LogOp::Insert {
            public_id: call_id.clone(),
            member_id: member.member_id,
            device: agent.device.clone(),
            number: number.to_string(),
            client_id: req.client_id.clone(),
            at: now(),
        })
        .await;
    let order = DialOrder {
        call_id: call_id.clone(),
        number: number.clone(),
        confirm,
    };
    // A request to the device's subject, answered by whichever relay holds its connection: no
    // responders means the phone is not connected after all.
    let ask = ToDevice::Dial {
        member_id: member.member_id,
        order,
    };
    let to = Subject::Device(agent.device.clone());
    let answer = relay
        .live
        .bus
        .request(&to, crate::dial_agent::frame(&ask), ORDER_WAIT)
        .await;
    if !matches!(&answer, Ok(a) if a.as_str() == TAKEN) {
        tracing::debug!(call = %call_id, "dial order not taken: {answer:?}");
        let detail = Some("agent unreachable".to_owned());
        relay
            .dial_log
            .record(LogOp::State {
                public_id: call_id,
                state: "failed",
                detail,
                at: now(),
            })
            .await;
        return Err(not_connected());
    }
    metrics::counter!("ringlink_dial_intents_total").increment(1);
    tracing::debug!(call = %call_id, confirm, "dial intent forwarded");
    Ok(DialAccepted {
        call_id,
        number,
        device: agent.device,
    })
}

pub(crate) fn internal(e: impl std::fmt::Display) -> ErrorBody {
    tracing::error!("internal error: {e}");
    ErrorBody::new(
        ErrorCode::Internal,
        "the relay hit an internal error; try again in a moment",
    )
}
