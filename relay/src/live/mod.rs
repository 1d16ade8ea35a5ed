//! The live layer (#10): delivering to whoever is connected, wherever they are connected. A
//! [`Bus`] addressed by [`Subject`]s named in the product's words, with an in-process
//! implementation for one relay ([`local::LocalBus`]) and a NATS one for several
//! ([`nats::NatsBus`]); durable [`streams`] in the store; [`presence`] with node leases
//! ([`node`]). Domains talk to subjects and streams through [`Live`], never to a socket's
//! channel.
//!
//! - [`subject`]: who or what a frame is for.
//! - [`local`]: the bus of one relay process; [`nats`]: the bus of several relays.
//! - [`streams`]: numbered events, resumed with `since`.
//! - [`presence`]: which connection is on which node; [`node`]: leases and cleaning up after a
//!   relay that died.
//! - [`once`]: once per client id across relays (claims with the first answer kept).
//! - [`config`]: the `live` section of the configuration.

pub mod config;
pub mod local;
pub mod nats;
pub mod node;
pub mod once;
pub mod presence;
pub mod streams;
pub mod subject;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use ringlink_protocol::widget::{Presence as PresenceMsg, RelayToWidget};
use ringlink_protocol::{encode, Envelope};

use crate::store::Store;

use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

pub use subject::Subject;

/// An encoded text frame: a broadcast is encoded once and the same bytes go to every socket.
pub type Frame = axum::extract::ws::Utf8Bytes;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    /// Nobody is subscribed to the subject: for an agent's subject, "not connected", known at
    /// once rather than after a timeout.
    #[error("no one is connected to answer")]
    NoResponders,
    /// Someone was subscribed but did not answer in time (or went away before answering).
    #[error("no answer in {0:?}")]
    Timeout(Duration),
    #[error("the live bus is unavailable: {0}")]
    Unavailable(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BusError {
    #[error("the live bus is unavailable: {0}")]
    Unavailable(String),
}

/// One frame delivered to a subscriber; a request carries the way to answer it.
#[derive(Debug)]
pub struct Delivery {
    pub frame: Frame,
    pub reply: Option<Replier>,
}

/// Answers one request (dropping it unanswered makes the requester's wait end in a timeout).
#[derive(Debug)]
pub struct Replier(oneshot::Sender<Frame>);

impl Replier {
    pub fn answer(self, frame: Frame) {
        let _ = self.0.send(frame);
    }
}

/// A subscription's deliveries; dropping it unsubscribes.
pub struct Subscription {
    rx: mpsc::Receiver<Delivery>,
    _unsubscribe: Box<dyn Send + Sync>,
}

impl Subscription {
    /// The next delivery, or `None` once the bus is gone.
    pub async fn next(&mut self) -> Option<Delivery> {
        self.rx.recv().await
    }
}

/// The next delivery of an optional subscription: never, while there is none (for a socket's
/// `select!` before sign-in or after its device was replaced).
pub async fn next_of(sub: &mut Option<Subscription>) -> Option<Delivery> {
    match sub {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

/// A socket's subscriptions: a widget's member events and its visitor's chat, a console's own
/// subject and its site's. Polled together by the socket loop; an empty slot never delivers.
#[derive(Default)]
pub struct Listening {
    pub slots: [Option<Subscription>; 2],
}

impl Listening {
    /// The next delivery of any slot (never, while all are empty).
    pub async fn next(&mut self) -> Option<Delivery> {
        std::future::poll_fn(|cx| {
            for sub in self.slots.iter_mut().flatten() {
                if let std::task::Poll::Ready(Some(d)) = sub.rx.poll_recv(cx) {
                    return std::task::Poll::Ready(Some(d));
                }
            }
            std::task::Poll::Pending
        })
        .await
    }
}

/// What every bus implementation gives the domains. Futures are boxed so the relay can hold one
/// `Arc<dyn Bus>` whichever implementation runs.
pub trait Bus: Send + Sync {
    /// Delivers `frame` to every current subscriber of `to`; nobody subscribed is not an error.
    /// Returns how many subscribers it went to (in-process; NATS cannot know and says 0).
    fn publish<'a>(
        &'a self,
        to: &'a Subject,
        frame: Frame,
    ) -> BoxFuture<'a, Result<usize, BusError>>;

    /// Starts receiving what is published or requested on `to`.
    fn subscribe<'a>(&'a self, to: &'a Subject) -> BoxFuture<'a, Result<Subscription, BusError>>;

    /// Sends `frame` to one subscriber of `to` (the most recent) and waits for its answer.
    fn request<'a>(
        &'a self,
        to: &'a Subject,
        frame: Frame,
        wait: Duration,
    ) -> BoxFuture<'a, Result<Frame, RequestError>>;
}

/// Encodes a frame nobody asked for (a push), once for every socket it goes to.
pub fn push_frame<M: serde::Serialize>(msg: M) -> Frame {
    encode(&Envelope::push(msg)).into()
}

/// The live layer of one relay: its bus, streams and presence, and its name among relays.
pub struct Live {
    pub bus: Arc<dyn Bus>,
    pub streams: streams::Streams,
    pub presence: presence::Presence,
    /// This relay's node id (`[live] node_id`).
    pub node_id: String,
    next_conn: AtomicU64,
    /// Phone agents and signed-in widgets connected to this relay, for /metrics.
    pub agents_here: AtomicUsize,
    pub widgets_here: AtomicUsize,
}

impl Live {
    /// One relay: everything in process, streams in its database.
    pub fn local(store: &Store, node_id: String) -> Self {
        Self {
            bus: Arc::new(local::LocalBus::new()),
            streams: streams::Streams::new(store.clone()),
            presence: presence::Presence::local(),
            node_id,
            next_conn: AtomicU64::new(0),
            agents_here: AtomicUsize::new(0),
            widgets_here: AtomicUsize::new(0),
        }
    }

    /// The relay's live layer as configured: NATS and shared presence when `nats_url` is set.
    pub async fn start(config: &config::LiveConfig, store: &Store) -> Result<Self, BusError> {
        let node_id = config.node_id();
        let Some(url) = &config.nats_url else {
            return Ok(Self::local(store, node_id));
        };
        let bus = nats::NatsBus::connect(url).await?;
        tracing::info!(node = %node_id, nats = %url, "live layer on NATS");
        Ok(Self {
            bus: Arc::new(bus),
            streams: streams::Streams::new(store.clone()),
            presence: presence::Presence::Shared(store.clone()),
            node_id,
            next_conn: AtomicU64::new(0),
            agents_here: AtomicUsize::new(0),
            widgets_here: AtomicUsize::new(0),
        })
    }

    /// True when several relays share this deployment (NATS and shared presence).
    pub fn is_shared(&self) -> bool {
        matches!(self.presence, presence::Presence::Shared(_))
    }

    /// (phone agents, signed-in widgets) connected to this relay.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.agents_here.load(Ordering::Relaxed),
            self.widgets_here.load(Ordering::Relaxed),
        )
    }

    /// A fresh id for a connection on this relay.
    pub fn next_conn(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A connection's name across the deployment: node and connection id.
    pub fn conn_key(&self, conn: u64) -> String {
        format!("{}/{conn}", self.node_id)
    }

    /// Appends a call event to the member's stream and sends it to the member's widgets,
    /// wherever they are connected. Returns it numbered. A store failure is logged and the
    /// event still goes out live, unnumbered (a widget that reconnects will not get it again).
    pub async fn member_event(&self, member_id: i64, msg: RelayToWidget) -> RelayToWidget {
        let stream = streams::member_stream(member_id);
        let msg = match self.streams.append(&stream, msg.clone()).await {
            Ok(numbered) => numbered,
            Err(e) => {
                tracing::error!(member = member_id, "call event not stored: {e}");
                msg
            }
        };
        self.to_widgets(member_id, &msg).await;
        msg
    }

    /// Sends `msg` to every widget the member has signed in, on any relay.
    pub async fn to_widgets(&self, member_id: i64, msg: &RelayToWidget) {
        let frame = push_frame(msg);
        if let Err(e) = self
            .bus
            .publish(&Subject::WidgetsOf(member_id), frame)
            .await
        {
            tracing::warn!(member = member_id, "push to widgets failed: {e}");
        }
    }

    /// The member's phone agents now, as widgets are shown them.
    pub async fn presence_of(&self, member_id: i64) -> PresenceMsg {
        match self.presence.agents_of(member_id).await {
            Ok(agents) => PresenceMsg { agents },
            Err(e) => {
                tracing::warn!(member = member_id, "presence unavailable: {e}");
                PresenceMsg::default()
            }
        }
    }

    /// Tells the member's widgets who is connected now.
    pub async fn publish_presence(&self, member_id: i64) {
        let p = self.presence_of(member_id).await;
        self.to_widgets(member_id, &RelayToWidget::Presence(p))
            .await;
    }
}
