//! The one socket loop every WebSocket of the relay runs (widget and phone agent today, visitors
//! and staff with CHAT): frames decoded with clear errors and answered in order, the live bus's
//! deliveries forwarded, heartbeats (a silent peer is dropped after three), an optional
//! sign-in deadline, and a close with a reason on shutdown. What differs per socket is a
//! [`Conn`]: its messages, its routing table and its checks on each beat.

use std::future::Future;
use std::time::{Duration, Instant};

use axum::extract::ws::WebSocket;
use ringlink_protocol::envelope::Validate;
use ringlink_protocol::{Envelope, ErrorBody};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::ws::{self, Incoming};
use crate::live::{Delivery, Frame, Listening};
use crate::Relay;

/// What a heartbeat found.
pub enum Beat<Out> {
    Fine,
    /// Tell the peer (a session revoked elsewhere), and stay open.
    Push(Out),
    /// Tell the peer, then close with this code and reason.
    Close(Option<Out>, u16, String),
}

/// One kind of socket: its messages and what it does with them.
pub trait Conn: Send {
    type In: DeserializeOwned + Validate + Send;
    type Out: Serialize + Send + Sync;
    /// `widget`, `agent`: for metrics and the reasons peers read.
    const KIND: &'static str;

    /// The reply to one request (`None` for a message that is not a request: an agent's call
    /// update), and the pushes that follow it.
    #[allow(clippy::type_complexity)]
    fn handle(
        &mut self,
        env: Envelope<Self::In>,
    ) -> impl Future<Output = (Option<Envelope<Self::Out>>, Vec<Self::Out>)> + Send;

    /// A request that could not be decoded, answered as this socket's error message.
    fn error(e: ErrorBody) -> Self::Out;

    /// Deliveries from the live bus this socket listens to (none until signed in).
    fn updates(&mut self) -> &mut Listening;

    /// A delivery turned into the frame the peer gets (`None`: nothing to send).
    fn deliver(&mut self, d: Delivery) -> impl Future<Output = Option<Frame>> + Send;

    /// Runs after a delivered frame went out (an agent numbers the dial's "sent" state only
    /// once the phone has its order), before the next frame is read.
    fn delivered(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// Checks on every heartbeat (a revoked token, an expired session).
    fn beat(&mut self) -> impl Future<Output = Beat<Self::Out>> + Send;

    /// False while the socket still has to sign in (a widget); then it is closed once the
    /// relay's `sign_in_within_secs` pass.
    fn signed_in(&self) -> bool {
        true
    }

    /// The socket ended, for any reason.
    fn leave(&mut self) -> impl Future<Output = ()> + Send;
}

/// Serves `socket` until it closes, the peer goes silent, or the relay shuts down. What a frame
/// sets off (a domain call, its database queries) runs in a boxed future: an idle socket's
/// task holds only this loop's state, not the largest query it might run (1.7 KB less per idle
/// phone agent in the idle bench: 11.9 KB → 10.2 KB at 16,384).
pub async fn serve<C: Conn>(relay: &Relay, socket: &mut WebSocket, conn: &mut C) {
    let heartbeat = Duration::from_secs(relay.config.heartbeat_secs);
    // Each socket's beats start at a random point of the first interval: thousands of sockets
    // opened together (a relay restart, a reconnect storm) would otherwise re-check their tokens
    // in the same instant every interval, a burst of queries that stalls everything behind it.
    let offset = heartbeat.mul_f64(rand::random::<f64>());
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + offset, heartbeat);
    let mut last_heard = Instant::now();
    let sign_in_within = Duration::from_secs(relay.config.sign_in_within_secs);
    let unsigned_deadline = tokio::time::sleep(sign_in_within);
    tokio::pin!(unsigned_deadline);
    metrics::gauge!("ringlink_ws_connections", "kind" => C::KIND).increment(1.0);
    let mut cut = false;
    loop {
        tokio::select! {
            _ = &mut unsigned_deadline => {
                if !conn.signed_in() {
                    let reason = format!("not signed in within {} s; reconnect to sign in", sign_in_within.as_secs());
                    ws::close(socket, ws::CLOSE_POLICY, &reason).await;
                    break;
                }
                // Signed in: look again later, in case the member signs out and stays.
                unsigned_deadline.as_mut().reset(tokio::time::Instant::now() + sign_in_within);
            }
            _ = relay.shutdown.cancelled() => {
                ws::close(socket, ws::CLOSE_GOING_AWAY, "relay restarting; reconnect shortly").await;
                break;
            }
            // A test's fault hook: the socket is cut with no close frame, as by a network loss.
            _ = relay.faults.socket_dropped(C::KIND) => {
                cut = true;
                break;
            }
            incoming = socket.recv() => match ws::classify::<C::In>(incoming) {
                Incoming::Frame(env) => {
                    last_heard = Instant::now();
                    let (reply, push) = Box::pin(conn.handle(env)).await;
                    if let Some(reply) = reply {
                        if !ws::send(socket, &reply).await { break }
                    }
                    let mut open = true;
                    for p in push {
                        open = open && ws::send(socket, &Envelope::push(p)).await;
                    }
                    if !open { break }
                }
                Incoming::Bad(id, e) => {
                    last_heard = Instant::now();
                    if !ws::send(socket, &Envelope::reply(id, C::error(e))).await { break }
                }
                Incoming::Alive => last_heard = Instant::now(),
                Incoming::Gone(reason) => {
                    if let Some(r) = reason { ws::close(socket, ws::CLOSE_TOO_BIG, &r).await }
                    break;
                }
            },
            Some(d) = conn.updates().next() => {
                if let Some(frame) = Box::pin(conn.deliver(d)).await {
                    if !ws::send_frame(socket, frame).await { break }
                    Box::pin(conn.delivered()).await;
                }
            }
            _ = beat.tick() => {
                if last_heard.elapsed() > heartbeat * 3 {
                    let reason = format!("no ping from the {}; reconnect", C::KIND);
                    ws::close(socket, ws::CLOSE_NORMAL, &reason).await;
                    break;
                }
                match Box::pin(conn.beat()).await {
                    Beat::Fine => {}
                    Beat::Push(p) => if !ws::send(socket, &Envelope::push(p)).await { break },
                    Beat::Close(push, code, reason) => {
                        if let Some(p) = push {
                            let _ = ws::send(socket, &Envelope::push(p)).await;
                        }
                        ws::close(socket, code, &reason).await;
                        break;
                    }
                }
            }
        }
    }
    if !cut {
        ws::finish(socket).await;
    }
    Box::pin(conn.leave()).await;
    metrics::gauge!("ringlink_ws_connections", "kind" => C::KIND).decrement(1.0);
}
