//! The chat's sweep, on every relay (each move is a conditional update, so two relays
//! sweeping at once move a conversation once): agents whose console went away longer than the
//! grace period become offline; offline agents' visitor conversations move to colleagues after
//! the grace period (CHAT-5); a visitor left unanswered longer than the no-reply time moves to
//! another agent, when one is free; transfers nobody answered lapse; queues are served; and
//! conversations past the retention time are deleted.

use ringlink_protocol::console::RelayToConsole;

use super::{assign, deliver};
use crate::store::StoreError;
use crate::Relay;

/// Retention runs this often: deleting old conversations is not urgent.
const PURGE_EVERY_MS: i64 = 3_600_000;

/// Runs the sweep every `sweep_every_ms`, or at once when woken, until shutdown.
pub fn spawn(relay: &std::sync::Arc<Relay>) {
    let relay = relay.clone();
    tokio::spawn(async move {
        let every = std::time::Duration::from_millis(relay.chat.config.sweep_every_ms.max(50));
        let mut last_purge = 0i64;
        loop {
            tokio::select! {
                _ = relay.shutdown.cancelled() => break,
                _ = tokio::time::sleep(every) => {}
                _ = relay.chat.wake.notified() => {}
            }
            if let Err(e) = sweep(&relay).await {
                tracing::warn!("chat sweep failed: {e}");
            }
            let now = relay.chat.clock.now_ms();
            if now - last_purge > PURGE_EVERY_MS {
                last_purge = now;
                purge(&relay, now).await;
            }
        }
    });
}

/// One pass over every rule, at the chat clock's now.
pub async fn sweep(relay: &Relay) -> Result<(), StoreError> {
    let now = relay.chat.clock.now_ms();
    for s in relay.store.staff_away_before(now).await? {
        let grace = i64::from(assign::settings(relay, s.site_id).await.grace_secs) * 1000;
        let away = s.away_since_ms.unwrap_or(now);
        if away + grace <= now {
            // Offline since the console went away: its grace has run already.
            let at = away;
            relay
                .store
                .set_agent_state(s.id, ringlink_protocol::console::AgentState::Offline, at)
                .await?;
            assign::push_colleague(relay, s.site_id, s.id).await;
        }
    }
    for s in relay.store.offline_staff_holding(now).await? {
        let grace = i64::from(assign::settings(relay, s.site_id).await.grace_secs) * 1000;
        if s.state_since_ms + grace > now {
            continue;
        }
        for c in relay.store.visitors_of_agent(s.id).await? {
            assign::move_off(relay, &c, s.id, "agent offline").await?;
        }
    }
    let min_no_reply = 10_000;
    for c in relay.store.silent_conversations(now - min_no_reply).await? {
        let (Some(agent), Some(since)) = (c.agent_id, c.awaiting_since_ms) else {
            continue;
        };
        let no_reply = i64::from(assign::settings(relay, c.site_id).await.no_reply_secs) * 1000;
        if since + no_reply > now || !assign::someone_else_free(relay, c.site_id, agent).await? {
            continue;
        }
        assign::move_off(relay, &c, agent, "no reply").await?;
    }
    for c in relay.store.expired_transfers(now).await? {
        let (Some(from), Some(to)) = (c.agent_id, c.transfer_to) else {
            continue;
        };
        if relay.store.set_transfer(c.id, from, None).await? {
            deliver::to_staff(
                relay,
                to,
                &RelayToConsole::ConversationGone(c.public_id.clone()),
            )
            .await;
            if let Some(now_c) = relay.store.conversation_by_id(c.id).await? {
                let s = assign::summary(relay, &now_c, from).await;
                deliver::to_staff(relay, from, &RelayToConsole::Conversation(s)).await;
            }
        }
    }
    for site in relay.store.sites_with_waiting().await? {
        assign::serve_queue(relay, site).await?;
    }
    Ok(())
}

async fn purge(relay: &Relay, now: i64) {
    let days = relay.chat.config.retention_days;
    if days <= 0 {
        return;
    }
    match relay
        .store
        .purge_conversations(now - days * 86_400_000)
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            conversations = n,
            "chat retention: old conversations deleted"
        ),
        Err(e) => tracing::warn!("chat retention failed: {e}"),
    }
}
