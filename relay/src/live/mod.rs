//! The live layer (#10): delivering to whoever is connected, wherever they are connected. A
//! [`Bus`] addressed by [`Subject`]s named in the product's words, with an in-process
//! implementation for one relay ([`local::LocalBus`]) and a NATS one for several
//! ([`nats::NatsBus`]); the durable streams and presence come next. Domains talk to subjects,
//! never to a socket's channel.
//!
//! - [`subject`]: who or what a frame is for.
//! - [`local`]: the bus of one relay process.
//! - [`nats`]: the bus of several relays.

pub mod config;
pub mod local;
pub mod nats;
pub mod subject;

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

    /// Claims `key` cluster-wide for `ttl`: true for the first claimant, false while the claim
    /// holds (a client id retried through another relay is placed once).
    fn claim<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, BusError>>;
}
