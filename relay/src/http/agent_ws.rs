//! The phone agent's WebSocket: the device token is checked before the upgrade; then `hello`,
//! dial orders out (DIAL-5), call states in, heartbeats, and revocation within one heartbeat.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use ringlink_protocol::agent::*;
use ringlink_protocol::widget::{AgentInfo, Pong};
use ringlink_protocol::{Envelope, ErrorBody, ErrorCode};

use super::api::ApiError;
use super::socket::{self, Beat, Conn};
use super::ws::{self, Incoming};
use crate::accounts::Identity;
use crate::dial_agent::{AgentLink, Next};
use crate::live::{Delivery, Frame, Listening};
use crate::store::tokens::TokenKind;
use crate::Relay;

/// An agent has this long after connecting to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn upgrade(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(_peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(e) = ws::refused_by_fault(&relay) {
        return ApiError(e).into_response();
    }
    if !ws::offers_subprotocol(&headers) {
        return ApiError(ws::no_subprotocol()).into_response();
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = token else {
        let msg =
            "send 'Authorization: Bearer <device token>'; get a token with `ringlink-agent login`";
        return ApiError(ErrorBody::new(ErrorCode::NotSignedIn, msg)).into_response();
    };
    let identity = match relay
        .accounts
        .authenticate(token.trim(), TokenKind::Device)
        .await
    {
        Ok(id) => id,
        Err(e) => {
            let mut body = ErrorBody::from(&e);
            if matches!(body.code, ErrorCode::TokenRevoked | ErrorCode::TokenExpired) {
                body.message = format!("{}: run `ringlink-agent login` on the phone", e);
            }
            return ApiError(body).into_response();
        }
    };
    let tasks = relay.tasks.clone();
    ws::limits(upgrade).on_upgrade(move |socket| tasks.track_future(run(relay, socket, identity)))
}

/// Waits for the agent's `hello`, answering anything else with an error.
async fn await_hello(socket: &mut WebSocket) -> Option<(Option<u64>, Hello)> {
    let deadline = tokio::time::sleep(HELLO_TIMEOUT);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => {
                ws::close(socket, ws::CLOSE_POLICY, "no hello within 10 s").await;
                return None;
            }
            incoming = socket.recv() => match ws::classify::<AgentMsg>(incoming) {
                Incoming::Frame(Envelope { id, msg: AgentMsg::Hello(h), .. }) => return Some((id, h)),
                Incoming::Frame(env) => {
                    let e = ErrorBody::new(ErrorCode::BadFrame, "send 'hello' first");
                    if !ws::send(socket, &Envelope::reply(env.id, RelayToAgent::Error(e))).await { return None }
                }
                Incoming::Bad(id, e) => {
                    if !ws::send(socket, &Envelope::reply(id, RelayToAgent::Error(e))).await { return None }
                }
                Incoming::Alive => {}
                Incoming::Gone(_) => return None,
            }
        }
    }
}

async fn run(relay: Arc<Relay>, mut socket: WebSocket, id: Identity) {
    let Some((hello_id, hello)) = await_hello(&mut socket).await else {
        ws::finish(&mut socket).await;
        return;
    };
    if let Err(e) = crate::names::check_name("device name", &hello.name) {
        let reply = Envelope::reply(hello_id, RelayToAgent::Error(e.into()));
        let _ = ws::send(&mut socket, &reply).await;
        ws::close(
            &mut socket,
            ws::CLOSE_POLICY,
            "the device name has a control or direction-override character",
        )
        .await;
        return;
    }
    let conn = relay.live.next_conn();
    let info = AgentInfo {
        device: id.public_id.clone(),
        name: hello.name,
        backend: hello.backend,
        confirm: hello.confirm,
    };
    let heartbeat = Duration::from_secs(relay.config.heartbeat_secs);
    let welcome = Welcome {
        device: id.public_id.clone(),
        member: id.number.clone(),
        heartbeat_secs: heartbeat.as_secs(),
    };
    if !ws::send(
        &mut socket,
        &Envelope::reply(hello_id, RelayToAgent::Welcome(welcome)),
    )
    .await
    {
        return;
    }
    let link = match AgentLink::join(&relay, &id, info, conn).await {
        Ok(link) => link,
        Err(e) => {
            tracing::error!("phone agent could not join the live layer: {e}");
            ws::close(
                &mut socket,
                ws::CLOSE_GOING_AWAY,
                "relay not ready; reconnect shortly",
            )
            .await;
            return;
        }
    };
    let _ = relay.store.touch_token(id.token_id).await;
    tracing::info!(device = %id.public_id, "phone agent connected");
    let mut me = AgentConn {
        relay: relay.clone(),
        id,
        link,
    };
    socket::serve(&relay, &mut socket, &mut me).await;
    tracing::info!(device = %me.id.public_id, "phone agent disconnected");
}

/// A phone agent's socket after its hello.
struct AgentConn {
    relay: Arc<Relay>,
    id: Identity,
    link: AgentLink,
}

impl Conn for AgentConn {
    type In = AgentMsg;
    type Out = RelayToAgent;
    const KIND: &'static str = "agent";

    /// The agent's messages: call updates (answered only when refused), pings, and a second
    /// hello (refused). The device token was checked before the upgrade.
    async fn handle(
        &mut self,
        env: Envelope<AgentMsg>,
    ) -> (Option<Envelope<RelayToAgent>>, Vec<RelayToAgent>) {
        let reply = match env.msg {
            AgentMsg::CallUpdate(u) => self
                .link
                .report(&self.relay, u)
                .await
                .err()
                .map(RelayToAgent::Error),
            AgentMsg::Ping(_) => Some(RelayToAgent::Pong(Pong {})),
            AgentMsg::Hello(_) => Some(RelayToAgent::Error(ErrorBody::new(
                ErrorCode::BadFrame,
                "hello was already received on this connection",
            ))),
        };
        (reply.map(|r| Envelope::reply(env.id, r)), Vec::new())
    }

    fn error(e: ErrorBody) -> RelayToAgent {
        RelayToAgent::Error(e)
    }

    fn updates(&mut self) -> &mut Listening {
        &mut self.link.orders
    }

    async fn deliver(&mut self, d: Delivery) -> Option<Frame> {
        match self.link.on_delivery(&self.relay, d).await {
            Next::Send(out) => Some(out),
            Next::Nothing => None,
        }
    }

    async fn delivered(&mut self) {
        self.link.order_sent(&self.relay).await;
    }

    /// A device signed out elsewhere is told and closed within one heartbeat.
    async fn beat(&mut self) -> Beat<RelayToAgent> {
        let store = &self.relay.store;
        if !store.token_is_live(self.id.token_id).await.unwrap_or(true) {
            let reason = "this device was signed out; run `ringlink-agent login` to sign in again"
                .to_owned();
            return Beat::Close(
                Some(RelayToAgent::Revoked(Revoked { reason })),
                ws::CLOSE_POLICY,
                "device revoked".into(),
            );
        }
        let _ = store.touch_token(self.id.token_id).await;
        Beat::Fine
    }

    async fn leave(&mut self) {
        self.link.leave(&self.relay).await;
    }
}
