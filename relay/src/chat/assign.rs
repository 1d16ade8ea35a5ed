//! Routing against the store (CHAT-4): the site's agents are ranked by [`super::routing`], and
//! the first still normal with room when the store is asked gets the conversation. When nobody
//! can take it, it waits in the site's queue and the queue is served in order whenever room
//! appears. Moving a conversation off an agent (offline, silent, a transfer) puts it back at its
//! old place in the queue and routes it again without that agent.

use ringlink_protocol::chat::{ChatStatus, ConversationState, NoAgentOffer, QueuePlace};
use ringlink_protocol::console::{
    AgentState, ConversationKind, ConversationSummary, RelayToConsole, TransferOffer, VisitorInfo,
};
use ringlink_protocol::widget::RelayToWidget;

use super::config::SiteChat;
use super::lines::{self, Post, Writer};
use super::routing::{ranked, Candidate};
use super::store::conversations::ConversationRow;
use super::{deliver, staff_key};
use crate::store::StoreError;
use crate::Relay;

/// The site's chat settings (the defaults when it has none, or when they cannot be read).
pub async fn settings(relay: &Relay, site_id: i64) -> SiteChat {
    match relay.store.chat_settings(site_id).await {
        Ok(Some(body)) => serde_json::from_str(&body).unwrap_or_default(),
        Ok(None) => SiteChat::default(),
        Err(e) => {
            tracing::warn!(
                site = site_id,
                "chat settings unreadable, using defaults: {e}"
            );
            SiteChat::default()
        }
    }
}

/// Agents who could answer now: normal or busy (CHAT-5).
pub async fn agents_online(relay: &Relay, site_id: i64) -> u32 {
    match relay.store.staff_of_site(site_id).await {
        Ok(staff) => staff
            .iter()
            .filter(|s| s.state != AgentState::Offline)
            .count() as u32,
        Err(_) => 0,
    }
}

/// The site's staff as routing sees them.
fn candidates(staff: &[super::store::staff::StaffRow]) -> Vec<Candidate> {
    staff
        .iter()
        .map(|a| Candidate {
            staff_id: a.id,
            state: a.state,
            open: a.open,
            idle_since_ms: a.idle_since_ms,
            on_call: a.on_call,
        })
        .collect()
}

/// Tries to give a waiting conversation to an agent; true when one took it.
pub async fn route(
    relay: &Relay,
    c: &ConversationRow,
    exclude: Option<i64>,
) -> Result<bool, StoreError> {
    let s = settings(relay, c.site_id).await;
    let staff = relay.store.staff_of_site(c.site_id).await?;
    let candidates = candidates(&staff);
    let now = relay.chat.clock.now_ms();
    for id in ranked(
        &candidates,
        s.capacity,
        s.routing,
        s.skip_on_call,
        exclude,
        rand::random(),
    ) {
        if relay
            .store
            .assign_conversation(c.id, id, s.capacity, now)
            .await?
        {
            let Some(c) = relay.store.conversation_by_id(c.id).await? else {
                return Ok(true);
            };
            announce_assigned(relay, &c, id).await;
            return Ok(true);
        }
    }
    Ok(false)
}

/// Lines a newly assigned agent is sent with the conversation (older ones: `get_history`).
const LINES_ON_ASSIGN: i64 = 50;

/// Tells the visitor and the agent that the agent has the conversation now; the agent gets
/// its latest lines, so the visitor's first message is in front of them at once (CHAT-1).
async fn announce_assigned(relay: &Relay, c: &ConversationRow, agent: i64) {
    let summary = summary(relay, c, agent).await;
    deliver::to_staff(relay, agent, &RelayToConsole::Conversation(summary)).await;
    if let Ok(rows) = relay.store.lines_before(c.id, None, LINES_ON_ASSIGN).await {
        for l in &rows {
            let line = lines::to_wire(relay, &c.public_id, l).await;
            deliver::to_staff(relay, agent, &RelayToConsole::Line(line)).await;
        }
    }
    push_status(relay, c).await;
    push_colleague(relay, c.site_id, agent).await;
}

/// Serves the site's queue in order while agents have room; when it moved, tells everyone still
/// waiting their new place.
pub async fn serve_queue(relay: &Relay, site_id: i64) -> Result<(), StoreError> {
    let mut served = 0;
    for c in relay.store.waiting_of_site(site_id).await? {
        if !route(relay, &c, None).await? {
            break;
        }
        served += 1;
    }
    if served > 0 {
        push_queue(relay, site_id).await?;
    }
    Ok(())
}

/// Pushes each waiting visitor their place and estimated wait (or the "no agent" offer).
pub async fn push_queue(relay: &Relay, site_id: i64) -> Result<(), StoreError> {
    for c in relay.store.waiting_of_site(site_id).await? {
        push_status(relay, &c).await;
    }
    Ok(())
}

/// The visitor's view of their conversation now.
pub async fn status(relay: &Relay, c: &ConversationRow) -> ChatStatus {
    let mut st = ChatStatus {
        conversation: c.public_id.clone(),
        state: c.state,
        agent: None,
        queue: None,
        offer: None,
    };
    match c.state {
        ConversationState::Active => {
            if let Some(a) = c.agent_id {
                st.agent = relay
                    .store
                    .staff_by_id(a)
                    .await
                    .ok()
                    .flatten()
                    .map(|s| s.name);
            }
        }
        ConversationState::Waiting => {
            let waiting = relay
                .store
                .waiting_of_site(c.site_id)
                .await
                .unwrap_or_default();
            let position = waiting
                .iter()
                .position(|w| w.id == c.id)
                .map(|p| p as u32 + 1)
                .unwrap_or(1);
            let online = agents_online(relay, c.site_id).await;
            let handling = relay
                .store
                .recent_handling_ms(c.site_id)
                .await
                .ok()
                .flatten();
            // Each agent frees a slot about every handling time / capacity.
            let s = settings(relay, c.site_id).await;
            let per_slot_ms = handling.unwrap_or(5 * 60_000) / i64::from(s.capacity.max(1));
            let wait_ms = per_slot_ms * i64::from(position) / i64::from(online.max(1));
            st.queue = Some(QueuePlace {
                position,
                wait_secs: (wait_ms / 1000).clamp(0, u32::MAX as i64) as u32,
            });
            if online == 0 {
                st.offer = Some(NoAgentOffer {
                    call_button: s.call_button.clone(),
                    leave_message: true,
                });
            }
        }
        ConversationState::Ended => {}
    }
    st
}

pub async fn push_status(relay: &Relay, c: &ConversationRow) {
    if let Some(v) = lines::visitor_public(relay, c).await {
        let st = status(relay, c).await;
        deliver::to_visitor(relay, &v, RelayToWidget::ChatStatus(st)).await;
    }
}

/// The site's staff and their states, to every console of the site: for a change to the list
/// itself (an account added, edited or removed). A change to one member is [`push_colleague`].
pub async fn push_colleagues(relay: &Relay, site_id: i64) {
    if let Ok(staff) = relay.store.staff_of_site(site_id).await {
        let list = staff.iter().map(|s| s.view()).collect();
        deliver::to_site_staff(relay, site_id, &RelayToConsole::Colleagues(list)).await;
    }
}

/// One staff member's state and load, to every console of the site. Pushing only the member who
/// changed keeps a routed conversation at one push per console; the whole list grew as
/// conversations × agents² (BENCHMARKS.md, CHAT delivery: 313 MB for 300 visitors over 100 agents).
pub async fn push_colleague(relay: &Relay, site_id: i64, staff_id: i64) {
    match relay.store.staff_by_id(staff_id).await {
        Ok(Some(s)) if s.site_id == site_id && !s.disabled => {
            deliver::to_site_staff(relay, site_id, &RelayToConsole::Colleague(s.view())).await;
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("staff lookup for the colleagues push failed: {e}"),
    }
}

/// A conversation as `viewer` (a staff member) sees it in their list.
pub async fn summary(relay: &Relay, c: &ConversationRow, viewer: i64) -> ConversationSummary {
    // The same rule that refuses a reply: gone once no widget of theirs has been open for
    // the grace (a page navigation reconnects within it).
    let visitor_here = super::desk::visitor_here(relay, c).await;
    let unread = relay
        .store
        .unread_count(c.id, &staff_key(viewer), false)
        .await
        .unwrap_or(0);
    let transfer = match (c.transfer_to, c.agent_id, c.transfer_until_ms) {
        (Some(to), Some(from), Some(until)) if to == viewer => Some(TransferOffer {
            conversation: c.public_id.clone(),
            from,
            note: c.transfer_note.clone().unwrap_or_default(),
            expires_at: until,
        }),
        _ => None,
    };
    let (agent, colleague) = match c.kind {
        ConversationKind::Visitor => (c.agent_id, None),
        ConversationKind::Colleague => {
            let other = if c.agent_id == Some(viewer) {
                c.colleague_id
            } else {
                c.agent_id
            };
            (None, other)
        }
    };
    ConversationSummary {
        id: c.public_id.clone(),
        kind: c.kind,
        state: c.state,
        agent,
        colleague,
        visitor: c
            .info
            .as_deref()
            .and_then(|i| serde_json::from_str::<VisitorInfo>(i).ok()),
        visitor_here,
        last_seq: c.last_seq,
        unread,
        transfer,
    }
}

/// Whether someone other than `exclude` could take a visitor of the site now.
pub async fn someone_else_free(
    relay: &Relay,
    site_id: i64,
    exclude: i64,
) -> Result<bool, StoreError> {
    let s = settings(relay, site_id).await;
    let staff = relay.store.staff_of_site(site_id).await?;
    let candidates = candidates(&staff);
    Ok(!ranked(
        &candidates,
        s.capacity,
        s.routing,
        s.skip_on_call,
        Some(exclude),
        0,
    )
    .is_empty())
}

/// Moves a conversation off `from` (offline, silent, or a transfer nobody took): back into the
/// queue at its old place, then routed without `from`. The visitor sees the new agent's name
/// and a line saying so; the old agent's console drops it.
pub async fn move_off(
    relay: &Relay,
    c: &ConversationRow,
    from: i64,
    why: &str,
) -> Result<bool, StoreError> {
    if !relay.store.unassign_conversation(c.id, from).await? {
        return Ok(false);
    }
    tracing::info!(conversation = %c.public_id, from, why, "chat moved off an agent");
    deliver::to_staff(
        relay,
        from,
        &RelayToConsole::ConversationGone(c.public_id.clone()),
    )
    .await;
    let Some(waiting) = relay.store.conversation_by_id(c.id).await? else {
        return Ok(true);
    };
    if route(relay, &waiting, Some(from)).await? {
        relay
            .store
            .restart_awaiting(c.id, relay.chat.clock.now_ms())
            .await?;
        if let Some(now) = relay.store.conversation_by_id(c.id).await? {
            if let Some(agent) = now.agent_id {
                let name = relay
                    .store
                    .staff_by_id(agent)
                    .await?
                    .map(|s| s.name)
                    .unwrap_or_default();
                let text = format!("{name} is now serving you");
                let _ = lines::post(
                    relay,
                    &now,
                    Post {
                        writer: Writer::System,
                        text: &text,
                        client_id: None,
                        attachment_id: None,
                        internal: false,
                        visitor: None,
                    },
                )
                .await;
            }
        }
    } else {
        push_status(relay, &waiting).await;
    }
    push_colleague(relay, c.site_id, from).await;
    Ok(true)
}
