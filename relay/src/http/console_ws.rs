//! The staff console's WebSocket (`/v1/console/ws`), opened only by the relay's own console
//! page (its `Origin` is the relay's): staff sign-in or resume (CHAT-6), then the agent's
//! conversations, colleagues and queue pushed as they change, and their requests by the table.
//! Closing the console (or losing the network) starts the grace period after which the agent
//! counts as offline (CHAT-5).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use ringlink_protocol::console::*;
use ringlink_protocol::widget::{Ping, Pong};
use ringlink_protocol::{Envelope, ErrorBody, ErrorCode};

use super::api::ApiError;
use super::routes::{routes, Caller};
use super::socket::{self, Beat, Conn};
use super::ws;
use crate::chat::staff::StaffIdentity;
use crate::chat::{self, desk};
use crate::live::{Delivery, Frame, Listening, Subject};
use crate::Relay;

pub async fn upgrade(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(e) = ws::refused_by_fault(&relay) {
        return ApiError(e).into_response();
    }
    if !ws::offers_subprotocol(&headers) {
        return ApiError(ws::no_subprotocol()).into_response();
    }
    let own = super::widget_origin::relay_origins(&relay, &headers);
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    if !origin.is_some_and(|o| own.iter().any(|m| m.eq_ignore_ascii_case(o))) {
        return ApiError(ErrorBody::new(
            ErrorCode::OriginNotAllowed,
            "the console socket opens only from the relay's own console page (/console)",
        ))
        .into_response();
    }
    let address = super::client_address(&relay, peer, &headers);
    let tasks = relay.tasks.clone();
    ws::limits(upgrade).on_upgrade(move |socket| tasks.track_future(run(relay, socket, address)))
}

pub(super) struct StaffConn {
    relay: Arc<Relay>,
    address: String,
    me: Option<StaffIdentity>,
    /// This console's connection key, while signed in.
    conn_key: Option<String>,
    /// Slot 0: this staff member's subject; slot 1: every console of the site.
    updates: Listening,
    then_push: Vec<RelayToConsole>,
}

async fn run(relay: Arc<Relay>, mut socket: WebSocket, address: String) {
    let mut me = StaffConn {
        relay: relay.clone(),
        address,
        me: None,
        conn_key: None,
        updates: Listening::default(),
        then_push: Vec::new(),
    };
    socket::serve(&relay, &mut socket, &mut me).await;
}

// The console's requests: who may send each, and the domain call that answers it.
routes! { StaffConn: ConsoleMsg => RelayToConsole, CONSOLE_ROUTES;
    StaffSignIn: guest |c, req| c.sign_in(req);
    StaffResume: guest |c, req| c.resume(req);
    Ping: guest |_c, _req| async { Ok::<Pong, ErrorBody>(Pong {}) };
    SetState: staff |c, s, req| desk::set_state(&c.relay, s, req.state);
    StaffSend: staff |c, s, req| desk::send(&c.relay, s, &req);
    StaffTyping: staff |c, s, req| desk::typing(&c.relay, s, &req);
    StaffRead: staff |c, s, req| desk::read(&c.relay, s, &req);
    CloseConversation: staff |c, s, req| desk::close(&c.relay, s, &req);
    Transfer: staff |c, s, req| desk::transfer(&c.relay, s, &req);
    AnswerTransfer: staff |c, s, req| desk::answer_transfer(&c.relay, s, &req);
    OpenColleague: staff |c, s, req| desk::open_colleague(&c.relay, s, &req);
    InviteVisitor: staff |c, s, req| chat::pageviews::invite(&c.relay, s, &req);
    GetHistory: staff |c, s, req| desk::history(&c.relay, s, &req);
    SearchChats: staff |c, s, req| desk::search(&c.relay, s, &req);
    AnswerLeftMessage: staff |c, s, req| desk::answer_left(&c.relay, s, &req);
}

impl Caller for StaffConn {
    fn staff(&self) -> Option<&StaffIdentity> {
        self.me.as_ref()
    }
}

impl Conn for StaffConn {
    type In = ConsoleMsg;
    type Out = RelayToConsole;
    const KIND: &'static str = "console";

    async fn handle(
        &mut self,
        env: Envelope<ConsoleMsg>,
    ) -> (Option<Envelope<RelayToConsole>>, Vec<RelayToConsole>) {
        let reply = self.route(env.id, env.msg).await;
        (Some(reply), std::mem::take(&mut self.then_push))
    }

    fn error(e: ErrorBody) -> RelayToConsole {
        RelayToConsole::Error(e)
    }

    fn updates(&mut self) -> &mut Listening {
        &mut self.updates
    }

    async fn deliver(&mut self, d: Delivery) -> Option<Frame> {
        Some(d.frame)
    }

    async fn beat(&mut self) -> Beat<RelayToConsole> {
        let Some(me) = &self.me else {
            return Beat::Fine;
        };
        if self
            .relay
            .store
            .staff_session_live(me.session_id)
            .await
            .unwrap_or(true)
        {
            return Beat::Fine;
        }
        self.leave().await;
        Beat::Push(RelayToConsole::Error(ErrorBody::new(
            ErrorCode::TokenRevoked,
            "your console session ended: sign in again",
        )))
    }

    fn signed_in(&self) -> bool {
        self.me.is_some()
    }

    async fn leave(&mut self) {
        let Some(me) = self.me.take() else { return };
        self.updates = Listening::default();
        let Some(key) = self.conn_key.take() else {
            return;
        };
        let store = &self.relay.store;
        let who = chat::staff_key(me.staff_id);
        if let Ok(0) = store.remove_chat_connection(&key, &who).await {
            let _ = store
                .set_staff_away(me.staff_id, Some(self.relay.chat.clock.now_ms()))
                .await;
            self.relay.chat.wake.notify_one();
        }
    }
}

impl StaffConn {
    async fn sign_in(&mut self, req: StaffSignIn) -> Result<StaffSignedIn, ErrorBody> {
        let (id, reply) = chat::staff::sign_in(
            &self.relay,
            &req.site,
            &req.account,
            &req.password,
            &self.address,
        )
        .await?;
        self.adopt(id, None).await?;
        Ok(reply)
    }

    async fn resume(&mut self, req: StaffResume) -> Result<StaffSignedIn, ErrorBody> {
        let (id, staff) = chat::staff::authenticate(&self.relay, req.token.expose()).await?;
        let site_name = self
            .relay
            .store
            .list_sites()
            .await
            .map_err(chat::internal)?
            .into_iter()
            .find(|s| s.id == id.site_id)
            .map(|s| s.name)
            .unwrap_or_default();
        let expires_at = id.expires_at;
        self.adopt(id, req.since).await?;
        Ok(StaffSignedIn {
            token: req.token,
            me: staff.view(),
            site_name,
            expires_at,
        })
    }

    /// Makes the session this console's: listens to the staff member's and the site's
    /// subjects (before reading, so nothing falls between), counts the connection, and queues
    /// what a signed-in console is sent first.
    async fn adopt(&mut self, id: StaffIdentity, since: Option<u64>) -> Result<(), ErrorBody> {
        self.leave().await;
        let relay = self.relay.clone();
        let live = &relay.live;
        for (slot, subject) in [Subject::Staff(id.staff_id), Subject::StaffOf(id.site_id)]
            .into_iter()
            .enumerate()
        {
            match live.bus.subscribe(&subject).await {
                Ok(sub) => self.updates.slots[slot] = Some(sub),
                Err(e) => tracing::warn!("console not subscribed to {subject}: {e}"),
            }
        }
        let key = live.conn_key(live.next_conn());
        relay
            .store
            .add_chat_connection(
                &key,
                &live.node_id,
                &chat::staff_key(id.staff_id),
                relay.chat.clock.now_ms(),
            )
            .await
            .map_err(chat::internal)?;
        relay
            .store
            .set_staff_away(id.staff_id, None)
            .await
            .map_err(chat::internal)?;
        self.conn_key = Some(key);
        self.then_push = desk::signed_in(&relay, &id, since).await;
        self.me = Some(id);
        Ok(())
    }
}
