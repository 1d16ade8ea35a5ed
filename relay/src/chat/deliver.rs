//! Pushes to the chat's parties through the live bus, wherever they are connected: a visitor's
//! widgets (`Visitor`), one staff member's consoles (`Staff`), every console of a site
//! (`StaffOf`). A bus failure is logged: the line is stored, and a reconnect brings it.

use ringlink_protocol::console::RelayToConsole;
use ringlink_protocol::widget::RelayToWidget;

use crate::live::{push_frame, Subject};
use crate::Relay;

async fn publish(relay: &Relay, to: Subject, frame: crate::live::Frame) {
    if let Err(e) = relay.live.bus.publish(&to, frame).await {
        tracing::warn!(subject = %to, "chat push failed: {e}");
    }
}

pub async fn to_visitor(relay: &Relay, visitor_public: &str, msg: RelayToWidget) {
    publish(
        relay,
        Subject::Visitor(visitor_public.to_owned()),
        push_frame(msg),
    )
    .await;
}

pub async fn to_staff(relay: &Relay, staff_id: i64, msg: &RelayToConsole) {
    publish(relay, Subject::Staff(staff_id), push_frame(msg)).await;
}

pub async fn to_site_staff(relay: &Relay, site_id: i64, msg: &RelayToConsole) {
    publish(relay, Subject::StaffOf(site_id), push_frame(msg)).await;
}
