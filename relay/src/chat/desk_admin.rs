//! What the console's admin pages compute: canned responses with their variables filled in,
//! transcripts as text, and the dashboard's figures (chats per hour, waiting and first-response
//! times, each agent's load).

use ringlink_protocol::chat::Author;
use serde::Serialize;

use super::store::conversations::ConversationRow;
use super::store::desk::CannedRow;
use crate::store::StoreError;
use crate::Relay;

/// Fills a canned response's variables: `{agent}` (the agent's name), `{site}` (the shop's),
/// `{page}` (the page the visitor is on). Unknown braces stay as typed.
pub fn fill(text: &str, agent: &str, site: &str, page: &str) -> String {
    text.replace("{agent}", agent)
        .replace("{site}", site)
        .replace("{page}", page)
}

/// The site's canned responses, filled for one agent and (when given) one conversation.
pub async fn canned(
    relay: &Relay,
    site_id: i64,
    agent: &str,
    c: Option<&ConversationRow>,
) -> Result<Vec<CannedRow>, StoreError> {
    let info = c
        .and_then(|c| c.info.as_deref())
        .and_then(|i| serde_json::from_str::<ringlink_protocol::console::VisitorInfo>(i).ok());
    let site = info.as_ref().map(|i| i.site.clone()).unwrap_or_default();
    let page = info.and_then(|i| i.page).unwrap_or_default();
    Ok(relay
        .store
        .canned_of_site(site_id)
        .await?
        .into_iter()
        .map(|mut r| {
            r.text = fill(&r.text, agent, &site, &page);
            r
        })
        .collect())
}

/// `2026-12-02 06:50` (UTC) from Unix milliseconds.
pub fn utc_minute(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// A conversation as plain text, oldest first; internal notes only for staff.
pub async fn transcript(
    relay: &Relay,
    c: &ConversationRow,
    for_staff: bool,
) -> Result<String, StoreError> {
    let mut out = String::new();
    let mut before = None;
    let mut pages = Vec::new();
    loop {
        let rows = relay.store.lines_before(c.id, before, 500).await?;
        let Some(first) = rows.first() else { break };
        before = Some(first.seq);
        let full = rows.len() == 500;
        pages.push(rows);
        if !full {
            break;
        }
    }
    for rows in pages.into_iter().rev() {
        for l in rows {
            if l.internal && !for_staff {
                continue;
            }
            let line = super::lines::to_wire(relay, &c.public_id, &l).await;
            let who = match line.author {
                Author::Visitor => "Visitor".to_owned(),
                Author::Staff { name, .. } => name,
                Author::System => "—".to_owned(),
            };
            let note = if l.internal { " (internal note)" } else { "" };
            out.push_str(&format!(
                "[{} UTC] {who}{note}: {}",
                utc_minute(l.at_ms),
                l.text
            ));
            if let Some(a) = line.attachment {
                out.push_str(&format!(" [file: {}]", a.name));
            }
            out.push('\n');
        }
    }
    Ok(out)
}

/// One agent's load on the dashboard.
#[derive(Clone, Debug, Serialize)]
pub struct AgentLoad {
    pub id: i64,
    pub name: String,
    pub state: String,
    pub open: u32,
    pub capacity: u32,
    /// Visitor conversations this agent took in the last 24 hours.
    pub served_today: u32,
}

/// The dashboard's figures for the last 24 hours.
#[derive(Clone, Debug, Serialize)]
pub struct Dashboard {
    /// Chats started in each of the last 24 hours, oldest first.
    pub chats_per_hour: Vec<u32>,
    /// Mean time from the first line to an agent taking it (s).
    pub mean_wait_secs: Option<f64>,
    /// Mean time from an agent taking it to their first answer (s).
    pub mean_first_response_secs: Option<f64>,
    pub mean_rating: Option<f64>,
    pub agents: Vec<AgentLoad>,
}

pub async fn dashboard(relay: &Relay, site_id: i64) -> Result<Dashboard, StoreError> {
    let now = relay.chat.clock.now_ms();
    let day = 24 * 3_600_000;
    let rows = relay.store.conversation_times(site_id, now - day).await?;
    let mut per_hour = vec![0u32; 24];
    let mean = |v: Vec<i64>| {
        (!v.is_empty()).then(|| v.iter().sum::<i64>() as f64 / v.len() as f64 / 1000.0)
    };
    let mut waits = Vec::new();
    let mut firsts = Vec::new();
    let mut ratings = Vec::new();
    let mut served: std::collections::HashMap<i64, u32> = Default::default();
    for r in &rows {
        let age_h = ((now - r.created_ms) / 3_600_000).clamp(0, 23) as usize;
        per_hour[23 - age_h] += 1;
        if let (Some(q), Some(a)) = (r.queued_ms, r.assigned_ms) {
            waits.push((a - q).max(0));
        }
        if let (Some(a), Some(f)) = (r.assigned_ms, r.first_response_ms) {
            firsts.push((f - a).max(0));
        }
        if let Some(x) = r.rating {
            ratings.push(x * 1000);
        }
        if let Some(a) = r.agent_id {
            *served.entry(a).or_default() += 1;
        }
    }
    let capacity = super::assign::settings(relay, site_id).await.capacity;
    let agents = relay
        .store
        .staff_of_site(site_id)
        .await?
        .into_iter()
        .map(|s| AgentLoad {
            id: s.id,
            name: s.name.clone(),
            state: s.state.as_str().to_owned(),
            open: s.open,
            capacity,
            served_today: served.get(&s.id).copied().unwrap_or(0),
        })
        .collect();
    Ok(Dashboard {
        chats_per_hour: per_hour,
        mean_wait_secs: mean(waits),
        mean_first_response_secs: mean(firsts),
        mean_rating: mean(ratings),
        agents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc_minutes() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00");
        assert_eq!(utc_minute(1_796_194_200_000), "2026-12-02 06:50");
        assert_eq!(utc_minute(951_782_400_000), "2000-02-29 00:00");
    }

    // covers CHAT (canned responses with variables)
    #[test]
    fn canned_variables_are_filled() {
        assert_eq!(
            fill(
                "Hi, I'm {agent} from {site}. About {page}? {unknown}",
                "Li",
                "Shoe shop",
                "/boots"
            ),
            "Hi, I'm Li from Shoe shop. About /boots? {unknown}"
        );
    }
}
