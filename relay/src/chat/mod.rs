//! CHAT (#11): live customer-service chat. Visitors write from the widget without signing in;
//! the site's staff answer in the console; agents talk among themselves (CHAT-1, CHAT-3). Every
//! conversation and line is stored (CHAT-2); new visitors are routed to agents in the normal
//! state (CHAT-4, CHAT-5) or queued in order; an agent who goes offline or stays silent loses
//! their visitors to colleagues; a line to a colleague who is away waits for them or goes by
//! SMS, and a line to a visitor who left is refused (CHAT-7); the first line carries what the
//! agent needs to know about the visitor (CHAT-8); agents can open a chat with a visitor who
//! is browsing (CHAT-9).
//!
//! - [`config`]: the `[chat]` section and each site's settings (capacity, grace, routing).
//! - [`clock`]: the chat's clock, which tests move forward.
//! - [`staff`]: staff accounts a merchant admin issues, and their sessions (CHAT-6).
//! - [`routing`]: who gets a new visitor: the rules alone, property-tested.
//! - [`assign`]: routing against the store, the queue, and moving conversations.
//! - [`lines`]: storing a line once and delivering it to the conversation's parties.
//! - [`visitor`]: the visitor's side: opening the panel, writing, ending, leaving a message.
//! - [`desk`]: the agent's side: states, replies, transfers, colleagues, history, search.
//! - [`desk_admin`]: canned responses filled in, transcripts, the dashboard's figures.
//! - [`keeper`]: the sweep that moves conversations off offline and silent agents.
//! - [`deliver`]: pushes to visitors' widgets and staff consoles through the live bus.
//! - [`attachments`]: files sniffed by content and kept in the database.
//! - [`pageviews`]: visitors browsing now, and agent-started chats (CHAT-9).
//! - [`store`]: the chat's store functions.

pub mod assign;
pub mod attachments;
pub mod clock;
pub mod config;
pub mod deliver;
pub mod desk;
pub mod desk_admin;
pub mod keeper;
pub mod lines;
pub mod pageviews;
pub mod routing;
pub mod staff;
pub mod store;
pub mod visitor;

use ringlink_protocol::{ErrorBody, ErrorCode};

pub use config::{ChatConfig, SiteChat};

/// The chat's state on one relay: its clock, and a nudge for the keeper.
pub struct Chat {
    pub config: ChatConfig,
    pub clock: clock::Clock,
    /// Wakes the keeper early (a test moved the clock, an agent went offline).
    pub wake: tokio::sync::Notify,
}

impl Chat {
    pub fn new(config: ChatConfig) -> Self {
        Self {
            config,
            clock: clock::Clock::default(),
            wake: tokio::sync::Notify::new(),
        }
    }
}

/// The error every failed store call becomes: nothing secret, and what to do.
pub fn internal(e: impl std::fmt::Display) -> ErrorBody {
    tracing::error!("chat: {e}");
    ErrorBody::new(
        ErrorCode::Internal,
        "the chat could not be saved just now; try again in a moment",
    )
}

pub fn unknown_conversation() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::UnknownConversation,
        "no such conversation here: it may have ended, or it is not yours",
    )
}

/// Who is on the other end of a chat socket: the key of its `chat_connections` rows and of
/// its read marks.
pub fn staff_key(staff_id: i64) -> String {
    format!("staff:{staff_id}")
}

pub fn visitor_key(visitor_id: i64) -> String {
    format!("visitor:{visitor_id}")
}

/// A relay node's chat sockets are gone (it died, or this relay restarted under its id): their
/// rows go, staff left with no console elsewhere start their grace period, and visitors' agents
/// see them as away.
pub async fn node_gone(relay: &crate::Relay, node: &str) {
    let who = match relay.store.bury_chat_node(node).await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(node, "a lost relay's chat sockets not cleaned up: {e}");
            return;
        }
    };
    let now = relay.chat.clock.now_ms();
    for w in who {
        if relay.store.chat_connections_of(&w).await.unwrap_or(1) > 0 {
            continue;
        }
        if let Some(id) = w.strip_prefix("staff:").and_then(|i| i.parse().ok()) {
            let _ = relay.store.set_staff_away(id, Some(now)).await;
        } else if let Some(id) = w.strip_prefix("visitor:").and_then(|i| i.parse().ok()) {
            let _ = relay.store.touch_chat_visitor(id, now).await;
        }
    }
    relay.chat.wake.notify_one();
}
