//! SMS from the chat (CHAT-7 and "leave a message"): a staff member's SMS within their hourly
//! allowance and the site's and the service's SMS caps, and answering a left message.

use std::time::Duration;

use ringlink_protocol::chat::ChatAck;
use ringlink_protocol::console::AnswerLeftMessage;
use ringlink_protocol::{ErrorBody, ErrorCode, E164};

use super::desk::SMS_PER_STAFF_HOUR;
use super::staff::StaffIdentity;
use super::{internal, staff_key};
use crate::store::counters::Limit;
use crate::Relay;

/// A staff member's chat SMS per hour, counted in the shared store so that every relay of a
/// scaled-out deployment draws on the same allowance (an in-memory count gave each relay its own).
const PER_STAFF: Limit = Limit::new("sms:staff", SMS_PER_STAFF_HOUR, Duration::from_secs(3600));

/// Sends an SMS on a staff member's behalf, within their hourly allowance and the site's and
/// the service's SMS caps. An SMS that was not sent counts against none of them.
pub async fn send(
    relay: &Relay,
    me: &StaffIdentity,
    to: &E164,
    text: &str,
) -> Result<(), ErrorBody> {
    let key = staff_key(me.staff_id);
    PER_STAFF.hit(&relay.store, &key).await.map_err(|e| {
        crate::calls::guard::refusal(e, |wait| ErrorBody {
            code: ErrorCode::RateLimited,
            message: format!(
                "you have sent {SMS_PER_STAFF_HOUR} SMS this hour; try again in {} min",
                wait.div_ceil(60)
            ),
            retry_after: Some(wait),
        })
    })?;
    let sent = send_within_caps(relay, me, to, text).await;
    if sent.is_err() {
        PER_STAFF.refund(&relay.store, &key).await;
    }
    sent
}

/// The SMS within the site's and the service's caps (given back when it could not be sent).
async fn send_within_caps(
    relay: &Relay,
    me: &StaffIdentity,
    to: &E164,
    text: &str,
) -> Result<(), ErrorBody> {
    relay
        .calls
        .sms_caps
        .take(me.site_id, to, crate::calls::limits::SmsKind::Chat)
        .await?;
    let Some(gw) = relay.gateways.sms() else {
        relay.calls.sms_caps.give_back(me.site_id, to).await;
        return Err(ErrorBody::new(
            ErrorCode::Unavailable,
            "this relay cannot send SMS right now",
        ));
    };
    if let Err(e) = gw.send(to, text).await {
        tracing::warn!("chat SMS not sent: {e}");
        relay.calls.sms_caps.give_back(me.site_id, to).await;
        return Err(ErrorBody::new(
            ErrorCode::Unavailable,
            "the SMS could not be sent right now; try again in a minute",
        ));
    }
    Ok(())
}

/// Answers a left message; by SMS when the visitor asked for one.
pub async fn answer_left(
    relay: &Relay,
    me: &StaffIdentity,
    req: &AnswerLeftMessage,
) -> Result<ChatAck, ErrorBody> {
    let now = relay.chat.clock.now_ms();
    let left = relay
        .store
        .left_messages(me.site_id, 0)
        .await
        .map_err(internal)?
        .into_iter()
        .find(|l| l.public_id == req.id)
        .ok_or_else(|| ErrorBody::new(ErrorCode::BadField, "no such left message on this site"))?;
    if left.answered_by.is_some() {
        return Err(ErrorBody::new(
            ErrorCode::BadField,
            "a colleague has answered this message already",
        ));
    }
    if left.reply_by_sms {
        let to = E164::new(&left.number).map_err(|_| {
            ErrorBody::new(
                ErrorCode::InvalidNumber,
                "the visitor's number cannot take an SMS",
            )
        })?;
        send(relay, me, &to, &req.text).await?;
    }
    relay
        .store
        .answer_left_message(me.site_id, &req.id, me.staff_id, now)
        .await
        .map_err(internal)?;
    Ok(ChatAck {})
}
