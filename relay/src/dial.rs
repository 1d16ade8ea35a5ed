//! DIAL routing: a signed-in member's dial intent goes only to one of that member's own phone
//! agents (DIAL-5), and the states the handset reports come back to the member's widgets.

use std::time::Duration;

use ringlink_protocol::agent::{CallUpdate, DialOrder, RelayToAgent};
use ringlink_protocol::call::CallState;
use ringlink_protocol::widget::{Dial, DialAccepted};
use ringlink_protocol::{ErrorBody, ErrorCode};

use crate::accounts::{random_id, Identity};
use crate::dial_cap::CapError;
use crate::dial_log::LogOp;
use crate::hub::{LiveCall, UpdateRefused};
use crate::store::now;
use crate::Relay;

/// Dial intents per member per minute. A person dials a few numbers a minute at most; a stolen
/// session must not turn the member's phone into an autodialler.
pub const DIALS_PER_MINUTE: u32 = 20;
pub const DIAL_WINDOW: Duration = Duration::from_secs(60);

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
            decide(relay, member, req)
        })
        .await
}

/// Decides one dial and, when every check passes, places it: a dial-log row, then the order.
async fn decide(relay: &Relay, member: &Identity, req: Dial) -> Result<DialAccepted, ErrorBody> {
    let number = relay
        .accounts
        .parse_number(&req.number)
        .map_err(ErrorBody::from)?;
    let confirm = relay.config.dial.needs_confirm(&number)?;
    let Some((agent, conn, tx)) = relay
        .hub
        .pick_agent(member.member_id, req.device.as_deref())
    else {
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
    if tx
        .try_send(crate::hub::push_frame(RelayToAgent::DialOrder(order)))
        .is_err()
    {
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
    let accepted = DialAccepted {
        call_id: call_id.clone(),
        number: number.clone(),
        device: agent.device.clone(),
    };
    let call = LiveCall {
        member_id: member.member_id,
        device: agent.device,
        agent_conn: conn,
        number,
        state: CallState::Sent,
    };
    relay.hub.start_call(&call_id, call, now());
    tracing::debug!(call = %call_id, confirm, "dial intent forwarded");
    Ok(accepted)
}

/// Applies a state the agent reported for one of its own calls.
pub async fn report(relay: &Relay, conn: u64, update: CallUpdate) -> Result<(), ErrorBody> {
    let event = relay
        .hub
        .update_call(
            conn,
            &update.call_id,
            update.state,
            update.detail.clone(),
            now(),
        )
        .map_err(|UpdateRefused::UnknownCall| {
            ErrorBody::new(
                ErrorCode::UnknownCall,
                format!(
                    "call '{}' is not a live call of this device",
                    update.call_id
                ),
            )
        })?;
    relay
        .dial_log
        .record(LogOp::State {
            public_id: event.call_id,
            state: event.state.as_str(),
            detail: event.detail,
            at: event.at,
        })
        .await;
    Ok(())
}

/// An agent connection ended: its unfinished calls fail, and widgets are told.
pub async fn agent_gone(relay: &Relay, member_id: i64, conn: u64) {
    for event in relay.hub.remove_agent(member_id, conn, now()) {
        let op = LogOp::State {
            public_id: event.call_id,
            state: "failed",
            detail: event.detail,
            at: event.at,
        };
        relay.dial_log.record(op).await;
    }
}

pub(crate) fn internal(e: impl std::fmt::Display) -> ErrorBody {
    tracing::error!("internal error: {e}");
    ErrorBody::new(
        ErrorCode::Internal,
        "the relay hit an internal error; try again in a moment",
    )
}
