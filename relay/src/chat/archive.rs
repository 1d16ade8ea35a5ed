//! The site's stored conversations as staff read them (CHAT-2): a conversation's history page
//! by page, and search over the lines.

use ringlink_protocol::console::*;
use ringlink_protocol::ErrorBody;

use super::desk::mine;
use super::internal;
use super::lines;
use super::staff::StaffIdentity;
use super::store::conversations::ConversationRow;
use crate::Relay;

/// Up to 200 lines before `before`; admins may read any conversation of their site.
pub async fn history(
    relay: &Relay,
    me: &StaffIdentity,
    req: &GetHistory,
) -> Result<History, ErrorBody> {
    let c = match mine(relay, me, &req.conversation).await {
        Ok(c) => c,
        Err(e) if me.is_admin() => relay
            .store
            .conversation_by_public(&req.conversation)
            .await
            .map_err(internal)?
            .filter(|c| c.site_id == me.site_id && c.kind == ConversationKind::Visitor)
            .ok_or(e)?,
        Err(e) => return Err(e),
    };
    let rows = relay
        .store
        .lines_before(c.id, req.before, 200)
        .await
        .map_err(internal)?;
    let mut out = Vec::with_capacity(rows.len());
    for l in &rows {
        out.push(lines::to_wire(relay, &c.public_id, l).await);
    }
    Ok(History {
        conversation: c.public_id,
        lines: out,
    })
}

/// The site's visitor conversations, and the colleague ones this person is in, that contain
/// the words.
pub async fn search(
    relay: &Relay,
    me: &StaffIdentity,
    req: &SearchChats,
) -> Result<SearchHits, ErrorBody> {
    let rows = relay
        .store
        .search_lines(me.site_id, req.query.trim(), 100)
        .await
        .map_err(internal)?;
    let mut convs: std::collections::HashMap<i64, Option<ConversationRow>> = Default::default();
    let mut out = Vec::new();
    for l in rows {
        if let std::collections::hash_map::Entry::Vacant(e) = convs.entry(l.conversation_id) {
            e.insert(
                relay
                    .store
                    .conversation_by_id(l.conversation_id)
                    .await
                    .map_err(internal)?,
            );
        }
        let Some(Some(c)) = convs.get(&l.conversation_id) else {
            continue;
        };
        if c.kind == ConversationKind::Colleague && !c.has_staff(me.staff_id) {
            continue;
        }
        out.push(lines::to_wire(relay, &c.public_id, &l).await);
        if out.len() >= 50 {
            break;
        }
    }
    Ok(SearchHits { lines: out })
}
