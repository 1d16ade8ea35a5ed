//! The live hub of one relay: which phone agents and widget sessions each member has connected
//! (presence, DIAL-3), and which calls are in flight on which agent. Fan-out copies the senders
//! under the lock and sends outside it, so one slow socket never blocks the others.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use axum::extract::ws::Utf8Bytes;
use ringlink_protocol::call::{CallEvent, CallState};
use ringlink_protocol::call_me::CallProgress;
use ringlink_protocol::widget::{AgentInfo, Presence, RelayToWidget};
use ringlink_protocol::{encode, Envelope, E164};
use tokio::sync::mpsc;

/// Frames queued for one socket. A widget or agent that falls this far behind is too slow to
/// serve: further frames to it are dropped and counted, and its heartbeat will fail.
pub const OUTBOX_FRAMES: usize = 256;

/// Call events kept per member for widgets that reconnect (`Resume.since`): a member has a
/// handful of calls in flight at most, each with under ten states.
pub const RECENT_EVENTS: usize = 64;

/// An encoded text frame. Outboxes hold frames, not messages: a broadcast is encoded once for
/// every socket, and a queue slot costs 16 bytes instead of a whole message enum.
pub type Frame = Utf8Bytes;

pub type AgentTx = mpsc::Sender<Frame>;
pub type WidgetTx = mpsc::Sender<Frame>;

/// Encodes a frame nobody asked for.
pub fn push_frame<M: serde::Serialize>(msg: M) -> Frame {
    encode(&Envelope::push(msg)).into()
}

struct AgentLink {
    conn: u64,
    info: AgentInfo,
    tx: AgentTx,
}

struct WidgetLink {
    conn: u64,
    tx: WidgetTx,
}

#[derive(Default)]
struct MemberLinks {
    /// In connection order: the last is the most recently connected.
    agents: Vec<AgentLink>,
    widgets: Vec<WidgetLink>,
    /// Sequence of call events for this member.
    seq: u64,
    /// The latest call events (DIAL states and CALL progress), oldest first, with their
    /// sequence numbers, for replay to a reconnecting widget.
    recent: VecDeque<(u64, RelayToWidget)>,
}

impl MemberLinks {
    fn keep(&mut self, msg: RelayToWidget) {
        if self.recent.len() == RECENT_EVENTS {
            self.recent.pop_front();
        }
        self.recent.push_back((self.seq, msg));
    }

    /// Numbers and keeps a call event.
    fn record(&mut self, mut event: CallEvent) -> CallEvent {
        self.seq += 1;
        event.seq = self.seq;
        self.keep(RelayToWidget::CallState(event.clone()));
        event
    }

    /// Numbers and keeps a step of a two-leg call.
    fn record_progress(&mut self, mut progress: CallProgress) -> CallProgress {
        self.seq += 1;
        progress.seq = self.seq;
        self.keep(RelayToWidget::CallProgress(progress.clone()));
        progress
    }
}

/// A call the relay forwarded and has not seen end.
#[derive(Clone, Debug)]
pub struct LiveCall {
    pub member_id: i64,
    pub device: String,
    pub agent_conn: u64,
    pub number: E164,
    pub state: CallState,
}

#[derive(Default)]
struct State {
    members: HashMap<i64, MemberLinks>,
    calls: HashMap<String, LiveCall>,
}

#[derive(Default)]
pub struct Hub {
    state: Mutex<State>,
    next_conn: AtomicU64,
}

/// Why a call update was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum UpdateRefused {
    /// Not a live call of this agent connection (unknown, another device's, or already over).
    UnknownCall,
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh id for a connection.
    pub fn next_conn(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("hub lock")
    }

    /// Registers a connected agent and tells the member's widgets.
    pub fn add_agent(&self, member_id: i64, conn: u64, info: AgentInfo, tx: AgentTx) {
        let (presence, widgets) = {
            let mut s = self.lock();
            let links = s.members.entry(member_id).or_default();
            // A device reconnecting replaces its old link.
            links.agents.retain(|a| a.info.device != info.device);
            links.agents.push(AgentLink { conn, info, tx });
            (presence_of(links), widget_senders(links))
        };
        broadcast(&widgets, RelayToWidget::Presence(presence));
    }

    /// Removes an agent connection; its unfinished calls fail. Returns the events sent, so the
    /// caller can record them.
    pub fn remove_agent(&self, member_id: i64, conn: u64, now: i64) -> Vec<CallEvent> {
        let (presence, widgets, events) = {
            let mut s = self.lock();
            let orphaned: Vec<String> = s
                .calls
                .iter()
                .filter(|(_, c)| c.agent_conn == conn)
                .map(|(id, _)| id.clone())
                .collect();
            let calls: Vec<(String, LiveCall)> = orphaned
                .into_iter()
                .filter_map(|id| s.calls.remove_entry(&id))
                .collect();
            let Some(links) = s.members.get_mut(&member_id) else {
                return Vec::new();
            };
            let before = links.agents.len();
            links.agents.retain(|a| a.conn != conn);
            if before == links.agents.len() && calls.is_empty() {
                return Vec::new(); // replaced by a newer connection of the same device
            }
            let mut events = Vec::new();
            for (call_id, call) in calls {
                events.push(links.record(CallEvent {
                    call_id,
                    number: call.number,
                    device: call.device,
                    state: CallState::Failed,
                    detail: Some("phone agent disconnected".into()),
                    seq: 0,
                    at: now,
                }));
            }
            (presence_of(links), widget_senders(links), events)
        };
        broadcast(&widgets, RelayToWidget::Presence(presence));
        for e in &events {
            broadcast(&widgets, RelayToWidget::CallState(e.clone()));
        }
        events
    }

    /// Subscribes a signed-in widget to its member's presence and calls. Returns the presence
    /// now and the call events after `since` that the relay still holds.
    pub fn add_widget(
        &self,
        member_id: i64,
        conn: u64,
        tx: WidgetTx,
        since: Option<u64>,
    ) -> (Presence, Vec<RelayToWidget>) {
        let mut s = self.lock();
        let links = s.members.entry(member_id).or_default();
        links.widgets.push(WidgetLink { conn, tx });
        let missed = match since {
            Some(seen) => links
                .recent
                .iter()
                .filter(|(seq, _)| *seq > seen)
                .map(|(_, msg)| msg.clone())
                .collect(),
            None => Vec::new(),
        };
        (presence_of(links), missed)
    }

    pub fn remove_widget(&self, member_id: i64, conn: u64) {
        let mut s = self.lock();
        if let Some(links) = s.members.get_mut(&member_id) {
            links.widgets.retain(|w| w.conn != conn);
            if links.widgets.is_empty() && links.agents.is_empty() {
                s.members.remove(&member_id);
            }
        }
    }

    pub fn presence(&self, member_id: i64) -> Presence {
        self.lock()
            .members
            .get(&member_id)
            .map(presence_of)
            .unwrap_or_default()
    }

    /// The agent that should dial: the named device, or the most recently connected one.
    pub fn pick_agent(
        &self,
        member_id: i64,
        device: Option<&str>,
    ) -> Option<(AgentInfo, u64, AgentTx)> {
        let s = self.lock();
        let links = s.members.get(&member_id)?;
        let agent = match device {
            Some(d) => links.agents.iter().find(|a| a.info.device == d),
            None => links.agents.last(),
        }?;
        Some((agent.info.clone(), agent.conn, agent.tx.clone()))
    }

    /// Starts tracking a call and tells the member's widgets it was sent.
    pub fn start_call(&self, call_id: &str, call: LiveCall, now: i64) -> CallEvent {
        let (event, widgets) = {
            let mut s = self.lock();
            let member_id = call.member_id;
            s.calls.insert(call_id.into(), call.clone());
            let links = s.members.entry(member_id).or_default();
            let event = links.record(CallEvent {
                call_id: call_id.into(),
                number: call.number,
                device: call.device,
                state: call.state,
                detail: None,
                seq: 0,
                at: now,
            });
            (event, widget_senders(links))
        };
        broadcast(&widgets, RelayToWidget::CallState(event.clone()));
        event
    }

    /// Applies a state reported by agent connection `conn` and tells the member's widgets.
    pub fn update_call(
        &self,
        conn: u64,
        call_id: &str,
        state: CallState,
        detail: Option<String>,
        now: i64,
    ) -> Result<CallEvent, UpdateRefused> {
        let (event, widgets) = {
            let mut s = self.lock();
            let call = match s.calls.get_mut(call_id) {
                Some(c) if c.agent_conn == conn => c,
                _ => return Err(UpdateRefused::UnknownCall),
            };
            call.state = state;
            let call = call.clone();
            if state.is_final() {
                s.calls.remove(call_id);
            }
            let links = s.members.entry(call.member_id).or_default();
            let event = links.record(CallEvent {
                call_id: call_id.into(),
                number: call.number,
                device: call.device,
                state,
                detail,
                seq: 0,
                at: now,
            });
            (event, widget_senders(links))
        };
        broadcast(&widgets, RelayToWidget::CallState(event.clone()));
        Ok(event)
    }

    /// Tells the member's widgets how their two-leg call moved on (CALL), numbered in the
    /// member's event sequence so a reconnecting widget gets what it missed.
    pub fn call_progress(&self, member_id: i64, progress: CallProgress) -> CallProgress {
        let (progress, widgets) = {
            let mut s = self.lock();
            let links = s.members.entry(member_id).or_default();
            (links.record_progress(progress), widget_senders(links))
        };
        broadcast(&widgets, RelayToWidget::CallProgress(progress.clone()));
        progress
    }

    /// Connection counts, for metrics and the benchmark.
    pub fn counts(&self) -> (usize, usize) {
        let s = self.lock();
        s.members.values().fold((0, 0), |(a, w), l| {
            (a + l.agents.len(), w + l.widgets.len())
        })
    }
}

fn presence_of(links: &MemberLinks) -> Presence {
    Presence {
        agents: links.agents.iter().map(|a| a.info.clone()).collect(),
    }
}

fn widget_senders(links: &MemberLinks) -> Vec<WidgetTx> {
    links.widgets.iter().map(|w| w.tx.clone()).collect()
}

fn broadcast(widgets: &[WidgetTx], msg: RelayToWidget) {
    if widgets.is_empty() {
        return;
    }
    let frame = push_frame(msg);
    for tx in widgets {
        if tx.try_send(frame.clone()).is_err() {
            metrics::counter!("ringlink_frames_dropped_total", "to" => "widget").increment(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn next(rx: &mut mpsc::Receiver<Frame>) -> RelayToWidget {
        let frame = rx.recv().await.unwrap();
        serde_json::from_str::<Envelope<RelayToWidget>>(frame.as_str())
            .unwrap()
            .msg
    }

    fn info(device: &str) -> AgentInfo {
        AgentInfo {
            device: device.into(),
            name: "phone".into(),
            backend: "at".into(),
            confirm: false,
        }
    }

    #[tokio::test]
    async fn presence_follows_agents_and_calls_fail_when_their_agent_goes() {
        // covers DIAL-3: widgets learn at once when the member's phone agent comes and goes
        let hub = Hub::new();
        let (wtx, mut wrx) = mpsc::channel(16);
        assert!(hub.add_widget(1, 10, wtx, None).0.agents.is_empty());
        let (atx, _arx) = mpsc::channel(16);
        hub.add_agent(1, 11, info("dev_A"), atx);
        let got = next(&mut wrx).await;
        assert!(matches!(got, RelayToWidget::Presence(p) if p.agents.len() == 1));
        assert!(
            hub.pick_agent(2, None).is_none(),
            "another member sees no agent"
        );

        let number = E164::new("+8613800138000").unwrap();
        let call = LiveCall {
            member_id: 1,
            device: "dev_A".into(),
            agent_conn: 11,
            number,
            state: CallState::Sent,
        };
        hub.start_call("c1", call, 0);
        let _sent = next(&mut wrx).await;
        assert_eq!(
            hub.update_call(99, "c1", CallState::Active, None, 0),
            Err(UpdateRefused::UnknownCall)
        );
        let events = hub.remove_agent(1, 11, 5);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].state, CallState::Failed);
        assert!(matches!(next(&mut wrx).await, RelayToWidget::Presence(p) if p.agents.is_empty()));
        assert!(
            matches!(next(&mut wrx).await, RelayToWidget::CallState(e) if e.state == CallState::Failed)
        );
    }
}
