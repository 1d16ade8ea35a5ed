//! The `[chat]` section (relay-wide limits) and each site's chat settings, which its admins
//! change in the console (capacity, grace and no-reply times, routing, the "call me back"
//! button). A site without settings of its own gets the defaults written here.

use serde::{Deserialize, Serialize};

/// Relay-wide chat limits (`[chat]` in the file, `RINGLINK_CHAT__*`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChatConfig {
    /// Largest attachment accepted. Attachments live in the database so every relay can serve
    /// them; 5 MiB holds a phone photo or a scanned page and keeps a row a database handles
    /// well (PostgreSQL's `bytea` and SQLite's blobs both stay fast well past this).
    pub max_attachment_bytes: usize,
    /// Attachments one visitor or staff member may upload per hour: a bound on what a stranger
    /// can make the database hold.
    pub attachments_per_hour: u32,
    /// How often the keeper looks for offline and silent agents (ms). A second keeps moves
    /// within a second of their deadline without a query storm.
    pub sweep_every_ms: u64,
    /// Staff sessions last this long (hours): a working day and a half.
    pub staff_session_hours: i64,
    /// Conversations ended longer ago than this are deleted with their lines (days; 0 keeps
    /// them forever).
    pub retention_days: i64,
    /// Messages left while nobody was free that one address may leave per hour.
    pub left_messages_per_hour: u32,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            max_attachment_bytes: 5 * 1024 * 1024,
            attachments_per_hour: 30,
            sweep_every_ms: 1000,
            staff_session_hours: 36,
            retention_days: 365,
            left_messages_per_hour: 5,
        }
    }
}

/// How a new visitor's agent is chosen (CHAT-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RoutingMode {
    /// Fewest open conversations; ties go to the agent idle longest.
    #[default]
    Balanced,
    /// Any agent with room, at random (the seed's way).
    Random,
}

/// One site's chat settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteChat {
    /// Visitor conversations an agent serves at once.
    pub capacity: u32,
    /// An agent offline (or whose console went away) this long loses their open visitor
    /// conversations to colleagues: a minute covers a reload or a train tunnel.
    pub grace_secs: u32,
    /// A visitor line unanswered this long moves the conversation to another agent.
    pub no_reply_secs: u32,
    pub routing: RoutingMode,
    /// Leave agents on a live phone call out of routing.
    pub skip_on_call: bool,
    /// The CALL button the "no agent free" offer uses ("call me back"), if any.
    pub call_button: Option<String>,
    /// A transfer unanswered this long stays with the agent who asked.
    pub transfer_secs: u32,
}

impl Default for SiteChat {
    fn default() -> Self {
        Self {
            capacity: 3,
            grace_secs: 60,
            no_reply_secs: 120,
            routing: RoutingMode::Balanced,
            skip_on_call: true,
            call_button: None,
            transfer_secs: 30,
        }
    }
}

impl SiteChat {
    /// Refuses settings that would make routing nonsense, saying which and why.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=50).contains(&self.capacity) {
            return Err("capacity must be 1 to 50 conversations per agent".into());
        }
        if !(5..=86_400).contains(&self.grace_secs) {
            return Err("grace_secs must be 5 s to a day".into());
        }
        if !(10..=86_400).contains(&self.no_reply_secs) {
            return Err("no_reply_secs must be 10 s to a day".into());
        }
        if !(5..=600).contains(&self.transfer_secs) {
            return Err("transfer_secs must be 5 s to 10 min".into());
        }
        Ok(())
    }
}
