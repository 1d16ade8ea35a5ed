//! One phone agent's connection as DIAL sees it, on whichever relay it is connected: it is in
//! presence under its device, it answers the dial requests sent to its device's subject (from
//! any relay), it keeps the calls it was ordered, and it numbers the states its phone reports
//! into the member's stream. When it goes, its unfinished calls fail and widgets are told.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use ringlink_protocol::agent::{CallUpdate, DialOrder, RelayToAgent};
use ringlink_protocol::call::{CallEvent, CallState};
use ringlink_protocol::widget::{AgentInfo, RelayToWidget};
use ringlink_protocol::{ErrorBody, ErrorCode, E164};
use serde::{Deserialize, Serialize};

use crate::accounts::Identity;
use crate::dial_log::LogOp;
use crate::live::{push_frame, BusError, Delivery, Frame, Listening, Subject};
use crate::store::live::PresenceRow;
use crate::store::now;
use crate::Relay;

/// What one relay asks the relay holding a device's connection.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "to_agent", rename_all = "snake_case")]
pub(crate) enum ToDevice {
    /// Dial for `member_id` (the order's call id is new).
    Dial { member_id: i64, order: DialOrder },
    /// The device connected again (`by`, a connection key): an older connection closes.
    Replaced { by: String },
}

/// The answer to a [`ToDevice::Dial`]: the order is on its way to the phone.
pub(crate) const TAKEN: &str = "taken";

/// A call this connection was ordered and has not seen end.
struct LiveCall {
    number: E164,
}

/// What the socket should do after a delivery.
pub enum Next {
    /// Send this frame to the phone.
    Send(Frame),
    Nothing,
}

pub struct AgentLink {
    member_id: i64,
    device: String,
    conn_key: String,
    calls: HashMap<String, LiveCall>,
    /// Requests for this device; dropped (unsubscribed) when the link goes or the device
    /// connects again.
    /// The device subject's orders (slot 0; empty once the device was replaced).
    pub orders: Listening,
    /// The "sent" state of the order just handed to the socket, numbered once it went out.
    sent: Option<CallEvent>,
}

impl AgentLink {
    /// Puts the connection in presence and subscribes it to its device's subject; an older
    /// connection of the same device, on any relay, is told to close.
    pub async fn join(
        relay: &Relay,
        id: &Identity,
        info: AgentInfo,
        conn: u64,
    ) -> Result<Self, BusError> {
        let live = &relay.live;
        let device = id.public_id.clone();
        let conn_key = live.conn_key(conn);
        let orders = live.bus.subscribe(&Subject::Device(device.clone())).await?;
        let row = PresenceRow {
            conn_key: conn_key.clone(),
            node_id: live.node_id.clone(),
            member_id: id.member_id,
            device: device.clone(),
            info: serde_json::to_string(&info).expect("agent info serializes"),
            state: "normal".into(),
            joined_ms: joined_ms(),
        };
        live.presence
            .join(row)
            .await
            .map_err(|e| BusError::Unavailable(e.to_string()))?;
        let replaced = ToDevice::Replaced {
            by: conn_key.clone(),
        };
        let _ = live
            .bus
            .publish(&Subject::Device(device.clone()), frame(&replaced))
            .await;
        live.agents_here.fetch_add(1, Ordering::Relaxed);
        live.publish_presence(id.member_id).await;
        Ok(Self {
            member_id: id.member_id,
            device,
            conn_key,
            calls: HashMap::new(),
            orders: Listening {
                slots: [Some(orders), None],
            },
            sent: None,
        })
    }

    /// Handles one frame sent to this device's subject.
    pub async fn on_delivery(&mut self, relay: &Relay, d: Delivery) -> Next {
        let Ok(msg) = serde_json::from_str::<ToDevice>(d.frame.as_str()) else {
            return Next::Nothing;
        };
        match msg {
            // The newer connection takes the dials; this one keeps only the calls it has.
            // It is not closed: two agents sharing one device token would take turns forever.
            ToDevice::Replaced { by } if by != self.conn_key => {
                self.orders.slots[0] = None;
                if let Err(e) = relay
                    .live
                    .presence
                    .leave(self.member_id, &self.conn_key)
                    .await
                {
                    tracing::warn!(device = %self.device, "replaced connection not cleared: {e}");
                }
                Next::Nothing
            }
            ToDevice::Replaced { .. } => Next::Nothing,
            ToDevice::Dial { member_id, order } if member_id == self.member_id => {
                let call_id = order.call_id.clone();
                let number = order.number.clone();
                let out = push_frame(RelayToAgent::DialOrder(order));
                self.calls.insert(
                    call_id.clone(),
                    LiveCall {
                        number: number.clone(),
                    },
                );
                if let Some(r) = d.reply {
                    r.answer(TAKEN.into());
                }
                // The phone gets its order first; the "sent" state is numbered right after
                // ([`AgentLink::order_sent`]), before any state the phone reports, which this
                // socket reads only after that.
                self.sent = Some(event(&self.device, &call_id, number, CallState::Sent, None));
                Next::Send(out)
            }
            // Not this member's device: never dialled (the requester checked; this is the last
            // line).
            ToDevice::Dial { .. } => Next::Nothing,
        }
    }

    /// The order went out to the phone: its "sent" state goes into the member's stream.
    pub async fn order_sent(&mut self, relay: &Relay) {
        if let Some(e) = self.sent.take() {
            relay
                .live
                .member_event(self.member_id, RelayToWidget::CallState(e))
                .await;
        }
    }

    /// Applies a state the phone reported for one of this connection's own calls.
    pub async fn report(&mut self, relay: &Relay, update: CallUpdate) -> Result<(), ErrorBody> {
        let Some(call) = self.calls.get_mut(&update.call_id) else {
            return Err(ErrorBody::new(
                ErrorCode::UnknownCall,
                format!(
                    "call '{}' is not a live call of this device",
                    update.call_id
                ),
            ));
        };
        let number = call.number.clone();
        if update.state.is_final() {
            self.calls.remove(&update.call_id);
        }
        let event = event(
            &self.device,
            &update.call_id,
            number,
            update.state,
            update.detail,
        );
        let op = LogOp::State {
            public_id: event.call_id.clone(),
            state: event.state.as_str(),
            detail: event.detail.clone(),
            at: event.at,
        };
        relay
            .live
            .member_event(self.member_id, RelayToWidget::CallState(event))
            .await;
        relay.dial_log.record(op).await;
        Ok(())
    }

    /// The connection ended: out of presence, its unfinished calls fail, widgets are told.
    pub async fn leave(&mut self, relay: &Relay) {
        self.orders.slots[0] = None;
        self.order_sent(relay).await;
        let (member_id, device, conn_key) = (self.member_id, &self.device, &self.conn_key);
        let calls = std::mem::take(&mut self.calls);
        let live = &relay.live;
        live.agents_here.fetch_sub(1, Ordering::Relaxed);
        if let Err(e) = live.presence.leave(member_id, conn_key).await {
            tracing::warn!(device = %device, "presence not cleared (the node's lease will): {e}");
        }
        live.publish_presence(member_id).await;
        for (call_id, call) in calls {
            fail_call(
                relay,
                member_id,
                device,
                call_id,
                call.number,
                "phone agent disconnected",
            )
            .await;
        }
    }
}

/// A dial that can no longer be followed fails: the widgets are told, the dial log records it.
async fn fail_call(
    relay: &Relay,
    member_id: i64,
    device: &str,
    call_id: String,
    number: E164,
    why: &str,
) {
    let detail = Some(why.to_owned());
    let e = event(device, &call_id, number, CallState::Failed, detail.clone());
    relay
        .live
        .member_event(member_id, RelayToWidget::CallState(e))
        .await;
    let op = LogOp::State {
        public_id: call_id,
        state: "failed",
        detail,
        at: now(),
    };
    relay.dial_log.record(op).await;
}

fn event(
    device: &str,
    call_id: &str,
    number: E164,
    state: CallState,
    detail: Option<String>,
) -> CallEvent {
    CallEvent {
        call_id: call_id.into(),
        number,
        device: device.into(),
        state,
        detail,
        seq: 0,
        at: now(),
    }
}

pub(crate) fn frame(msg: &ToDevice) -> Frame {
    serde_json::to_string(msg)
        .expect("live messages serialize")
        .into()
}

/// Joining time in milliseconds, made strictly increasing within this process so "the most
/// recently connected" is never a tie.
fn joined_ms() -> i64 {
    use std::sync::atomic::AtomicI64;
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = crate::billing::now_ms();
    let next = |last: i64| Some(now.max(last + 1));
    let last = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, next)
        .expect("always Some");
    now.max(last + 1)
}

/// How far back a dead relay's dials are looked for: no handset call lasts longer unnoticed.
const DIALS_LOOKED_BACK_SECS: i64 = 6 * 3600;

/// A relay died holding these phone connections: the dials still in flight on them can no
/// longer be followed, so they fail and the members' widgets are told (the phones reconnect to
/// another relay on their own).
pub async fn node_buried(relay: &Relay, node_id: &str, held: &[PresenceRow]) {
    let since = now() - DIALS_LOOKED_BACK_SECS;
    for row in held {
        let open = match relay.store.open_dials_of_device(&row.device, since).await {
            Ok(open) => open,
            Err(e) => {
                tracing::warn!(node = %node_id, "dials of a lost relay not closed: {e}");
                continue;
            }
        };
        for (call_id, member_id, number) in open {
            let Ok(number) = E164::new(&number) else {
                continue;
            };
            let why = "the relay your phone was connected to stopped";
            fail_call(relay, member_id, &row.device, call_id, number, why).await;
        }
    }
}
