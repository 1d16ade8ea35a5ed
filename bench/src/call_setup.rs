//! A relay set up for CALL against the bench's own phones: the seeded database (members
//! `+86138…` with credit, a member-paid "sales" button, a tariff), the `[telephony]` routes to
//! the bench UAS ports, `[calls]` limits raised out of the way, and placing calls from signed-in
//! widgets at an offered rate while timing each step.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use futures_util::{SinkExt, StreamExt};
use ringlink_protocol::call_me::{CallMe, CallStage, HangUp};
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_protocol::{encode, Envelope};
use ringlink_relay::billing::{Billing, Increments, Payer, Tariff};
use ringlink_relay::store::call_buttons::CallButton;
use serde::Serialize;
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::relay_proc::RelayProc;
use crate::rtp_probe::CallMedia;
use crate::sip_phone::{Answered, Phone};
use crate::stats::{cpu_seconds, new_histogram, summarize, Latency};

/// Members' numbers: China Mobile's 138 block, routed to the bench's "member" phone.
pub const MEMBER_PREFIX: &str = "+86138";
/// The merchant's line behind the button (a Beijing landline), routed to the "merchant" phone.
pub const MERCHANT: &str = "+861065529988";
const BUTTON: &str = "sales";
/// Credit per member (fen): at 1 fen a minute it never runs out within a run.
const CREDIT: i64 = 1_000_000;
/// Every rate limit of `[calls]` is set this high so the limits never throttle the bench.
const NO_LIMIT: u32 = 1_000_000_000;
/// RTP ports for the relay: 10,000 ports is 5,000 calls, outside the kernel's ephemeral range.
const RTP_PORTS: (u16, u16) = (20_000, 29_999);
/// Widgets connecting at once while a run sets up.
const CONNECT_AT_ONCE: usize = 100;
/// After the last call is offered, how long to wait for the stragglers to connect.
const SETTLE: Duration = Duration::from_secs(15);

/// Seeds `members` CALL members with credit, the "sales" button and a tariff.
pub async fn seed(dir: &Path, members: usize) -> Result<()> {
    let store = crate::relay_proc::seed_members(dir, members, MEMBER_PREFIX).await?;
    let site = store
        .site_by_key(crate::relay_proc::SITE)
        .await?
        .ok_or_else(|| anyhow::anyhow!("bench site missing"))?;
    store
        .set_call_button(&CallButton {
            site_id: site.id,
            key: BUTTON.into(),
            label: "Sales".into(),
            number: ringlink_protocol::E164::new(MERCHANT)?,
            payer: ringlink_protocol::call_me::PayerKind::Member,
            sponsor: None,
            capacity: None,
        })
        .await?;
    let billing = Billing::new(store.clone());
    billing
        .set_tariff(&Tariff::new("+86", 0, 1, Increments::new(60, 60)?)?)
        .await?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM members ORDER BY id")
        .fetch_all(store.pool())
        .await?;
    for id in ids {
        let account = billing.account_for(&Payer::Member(id)).await?;
        billing.credit(account, CREDIT, "bench").await?;
    }
    crate::relay_proc::checkpoint_and_close(store).await
}

/// The relay's TOML: routes to the two phones and `[calls]` limits that never bite.
fn config(member: std::net::SocketAddr, merchant: std::net::SocketAddr) -> String {
    format!(
        r#"[telephony]
sip_listen = "127.0.0.1:0"
rtp_port_min = {}
rtp_port_max = {}
routes = [ {{ prefix = "{MEMBER_PREFIX}", target = "{member}" }}, {{ prefix = "+8610", target = "{merchant}" }} ]
ring_timeout_secs = 10

[calls]
per_member_per_hour = {NO_LIMIT}
per_address_per_hour = {NO_LIMIT}
per_destination_per_hour = {NO_LIMIT}
per_prefix_per_hour = {NO_LIMIT}
live_per_destination = {NO_LIMIT}
button_capacity = {NO_LIMIT}
member_daily_cap = 0
merchant_daily_cap = 0
sponsor_daily_cap = 0
member_share_minutes = 0
"#,
        RTP_PORTS.0, RTP_PORTS.1
    )
}

/// What `[calls]` the bench changes, for the output.
pub const LIMITS_NOTE: &str = "[calls] per_member/per_address/per_destination/per_prefix_per_hour, live_per_destination and button_capacity raised to 1e9, member/merchant/sponsor daily caps and member_share_minutes 0; RTP ports 20000-29999";

/// One relay with its two phones, its scratch directory and its RTP port range.
pub struct CallBench {
    pub relay: RelayProc,
    _phones: [Phone; 2],
    answered: [mpsc::UnboundedReceiver<Answered>; 2],
    /// The widgets' command senders: the widgets (and their calls) live as long as these.
    widgets: Vec<mpsc::UnboundedSender<Cmd>>,
    epoch: Instant,
    _dir: crate::Scratch,
}

/// Setup figures for one batch of calls.
#[derive(Clone, Debug, Serialize)]
pub struct Setup {
    pub offered_per_sec: f64,
    pub calls: usize,
    pub connected: usize,
    pub refused: usize,
    pub ended_early: usize,
    /// CallMe sent by the widget → leg A's INVITE at the member's phone.
    pub to_invite: Latency,
    /// CallMe sent → `Connected` at the widget.
    pub to_connected: Latency,
    /// Connected calls per second, first CallMe to last `Connected`.
    pub achieved_per_sec: f64,
    /// Relay CPU per connected call (set up, and hung up at once in the setup runs), ms.
    pub relay_cpu_ms_per_call: f64,
    /// The bench's own CPU over the batch, % of its core.
    pub load_cpu_pct: f64,
    pub first_error: Option<String>,
}

enum Ev {
    Sent(usize, u64),
    Stage(
        usize,
        CallStage,
        u64,
        Option<ringlink_protocol::call_me::CallEndReason>,
    ),
    Refused(String),
}

#[derive(Default)]
struct Progress {
    sent: Option<u64>,
    invite: Option<u64>,
    connected: Option<u64>,
    ended: bool,
    /// The relay's call id, from leg A's Call-ID.
    call: Option<String>,
    a: Option<(Arc<tokio::net::UdpSocket>, std::net::SocketAddr)>,
    b: Option<(Arc<tokio::net::UdpSocket>, std::net::SocketAddr)>,
}

impl CallBench {
    pub async fn start(binary: &Path, seeded: &Path, core: usize) -> Result<Self> {
        let dir = crate::tempdir()?;
        std::fs::copy(seeded.join("ringlink.db"), dir.join("ringlink.db"))?;
        let epoch = Instant::now();
        let pool = || crate::rtp_probe::socket_pool(crate::rtp_probe::SHARED_SOCKETS);
        let (member, member_rx) = Phone::start(epoch, pool().await?).await?;
        let (merchant, merchant_rx) = Phone::start(epoch, pool().await?).await?;
        let file: PathBuf = dir.join("relay.toml");
        std::fs::write(&file, config(member.addr, merchant.addr))?;
        let relay = RelayProc::start_with(binary, &dir, core, Some(&file))?;
        Ok(Self {
            relay,
            _phones: [member, merchant],
            answered: [member_rx, merchant_rx],
            widgets: Vec::new(),
            epoch,
            _dir: dir,
        })
    }

    /// Places `n` calls (members 0..n) at `rate` per second; with `hang_up`, each is hung up
    /// from its widget as soon as it is connected. Returns the figures and the bridged media.
    pub async fn place(
        &mut self,
        n: usize,
        rate: f64,
        hang_up: bool,
    ) -> Result<(Setup, Vec<CallMedia>)> {
        let epoch = self.epoch;
        let ns = move || epoch.elapsed().as_nanos() as u64;
        let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
        let widgets = connect_widgets(&self.relay, n).await?;
        let mut cmds = Vec::with_capacity(n);
        for (i, w) in widgets.into_iter().enumerate() {
            let (tx, rx) = mpsc::unbounded_channel();
            cmds.push(tx);
            tokio::spawn(widget_task(i, w, rx, ev_tx.clone(), ns));
        }
        drop(ev_tx);
        // CPU from here on: placing the calls, not connecting the widgets.
        let (pid, me) = (self.relay.pid(), std::process::id());
        let (cpu0, load0, t0) = (cpu_seconds(pid), cpu_seconds(me), Instant::now());
        let mut calls: Vec<Progress> = (0..n).map(|_| Progress::default()).collect();
        let mut legs_b: HashMap<String, Answered> = HashMap::new();
        let (mut refused, mut first_error) = (0, None);
        let start = tokio::time::Instant::now();
        let deadline = start + Duration::from_secs_f64(n as f64 / rate) + SETTLE;
        let mut next = 0;
        let [member_rx, merchant_rx] = &mut self.answered;
        // Calls connected, or over without connecting.
        let mut done = 0;
        // Bounded by `deadline`, and done once every call is connected or over.
        while tokio::time::Instant::now() < deadline {
            if done + refused >= n {
                break;
            }
            let due = start + Duration::from_secs_f64(next as f64 / rate);
            tokio::select! {
                _ = tokio::time::sleep_until(due), if next < n => {
                    let _ = cmds[next].send(Cmd::Call);
                    next += 1;
                }
                Some(ev) = ev_rx.recv() => match ev {
                    Ev::Sent(i, t) => calls[i].sent = Some(t),
                    Ev::Stage(i, CallStage::Connected, t, _) => {
                        if calls[i].connected.replace(t).is_none() && !calls[i].ended { done += 1; }
                        if hang_up { let _ = cmds[i].send(Cmd::HangUp); }
                    }
                    Ev::Stage(i, CallStage::Ended, _, reason) => {
                        if calls[i].connected.is_none() && !calls[i].ended {
                            done += 1;
                            first_error.get_or_insert(format!("call ended before connecting: {reason:?}"));
                        }
                        calls[i].ended = true;
                    }
                    Ev::Stage(..) => {}
                    Ev::Refused(e) => { refused += 1; first_error.get_or_insert(e); }
                },
                Some(a) = member_rx.recv() => leg_a(&mut calls, a),
                Some(b) = merchant_rx.recv() => drop(legs_b.insert(b.call.clone(), b)),
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        // INVITEs that arrived while the loop was finishing; then match merchant legs to calls.
        while let Ok(a) = member_rx.try_recv() {
            leg_a(&mut calls, a);
        }
        while let Ok(b) = merchant_rx.try_recv() {
            legs_b.insert(b.call.clone(), b);
        }
        for c in calls.iter_mut() {
            if let Some(b) = c.call.as_ref().and_then(|id| legs_b.remove(id)) {
                c.b = Some((b.rtp, b.relay_rtp));
            }
        }
        let (mut to_invite, mut to_connected) = (new_histogram(), new_histogram());
        let (mut first, mut last) = (u64::MAX, 0);
        for c in &calls {
            if let (Some(s), Some(i)) = (c.sent, c.invite) {
                to_invite.record(i.saturating_sub(s).max(1))?;
            }
            if let (Some(s), Some(k)) = (c.sent, c.connected) {
                to_connected.record(k.saturating_sub(s).max(1))?;
                first = first.min(s);
                last = last.max(k);
            }
        }
        let connected = calls.iter().filter(|c| c.connected.is_some()).count();
        let ended_early = calls
            .iter()
            .filter(|c| c.ended && c.connected.is_none())
            .count();
        let span = last.saturating_sub(first) as f64 / 1e9;
        let media = calls
            .iter()
            .filter(|c| c.connected.is_some() && !c.ended)
            .filter_map(|c| {
                Some(CallMedia {
                    a: c.a.clone()?,
                    b: c.b.clone()?,
                })
            })
            .collect();
        // Widgets stay connected while `cmds` live: the calls stay up until the relay stops.
        self.widgets.extend(cmds);
        let setup = Setup {
            offered_per_sec: rate,
            calls: n,
            connected,
            refused,
            ended_early,
            to_invite: summarize(&to_invite),
            to_connected: summarize(&to_connected),
            achieved_per_sec: if span > 0.0 {
                connected as f64 / span
            } else {
                f64::NAN
            },
            relay_cpu_ms_per_call: 1e3 * (cpu_seconds(pid) - cpu0) / connected.max(1) as f64,
            load_cpu_pct: 100.0 * (cpu_seconds(me) - load0) / t0.elapsed().as_secs_f64(),
            first_error,
        };
        Ok((setup, media))
    }
}

/// Leg A's INVITE reached the member's phone: note when, and its media.
fn leg_a(calls: &mut [Progress], a: Answered) {
    if let Some(c) = member_index(&a.number).and_then(|i| calls.get_mut(i)) {
        c.invite = Some(a.at_ns);
        c.call = Some(a.call);
        c.a = Some((a.rtp, a.relay_rtp));
    }
}

/// `+86138{i:08}` → i.
fn member_index(number: &str) -> Option<usize> {
    number.strip_prefix(MEMBER_PREFIX)?.parse().ok()
}

async fn connect_widgets(relay: &RelayProc, n: usize) -> Result<Vec<crate::conns::Ws>> {
    let gate = Arc::new(Semaphore::new(CONNECT_AT_ONCE));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let permit = gate.clone().acquire_owned().await?;
        let addr = relay.addr;
        tasks.push(tokio::spawn(async move {
            let w = crate::conns::widget(addr, i).await;
            drop(permit);
            w
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

pub enum Cmd {
    Call,
    HangUp,
}

async fn widget_task(
    i: usize,
    ws: crate::conns::Ws,
    mut cmds: mpsc::UnboundedReceiver<Cmd>,
    ev: mpsc::UnboundedSender<Ev>,
    ns: impl Fn() -> u64,
) {
    let (mut tx, mut rx) = ws.split();
    let mut call_id: Option<String> = None;
    let mut next_id = 1;
    loop {
        tokio::select! {
            c = cmds.recv() => {
                let msg = match c {
                    Some(Cmd::Call) => {
                        let _ = ev.send(Ev::Sent(i, ns()));
                        WidgetMsg::CallMe(CallMe {
                            button: BUTTON.into(),
                            callback: format!("{MEMBER_PREFIX}{i:08}"),
                            client_id: None,
                            lang: None,
                        })
                    }
                    Some(Cmd::HangUp) => match &call_id {
                        Some(id) => WidgetMsg::HangUp(HangUp { call_id: id.clone() }),
                        None => continue,
                    },
                    None => break,
                };
                next_id += 1;
                let text = encode(&Envelope::request(next_id, msg));
                if tx.send(Message::Text(text.into())).await.is_err() { break }
            }
            m = rx.next() => {
                let Some(Ok(Message::Text(t))) = m else {
                    if matches!(m, Some(Ok(_))) { continue }
                    break;
                };
                let at = ns();
                let Ok(env) = serde_json::from_str::<Envelope<RelayToWidget>>(t.as_str()) else { continue };
                match env.msg {
                    RelayToWidget::CallPlaced(p) => call_id = Some(p.call_id),
                    RelayToWidget::CallProgress(p) => {
                        let _ = ev.send(Ev::Stage(i, p.stage, at, p.reason));
                    }
                    RelayToWidget::Error(e) => {
                        let _ = ev.send(Ev::Refused(format!("{:?}: {}", e.code, e.message)));
                    }
                    _ => {}
                }
            }
        }
    }
}
