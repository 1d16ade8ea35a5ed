//! The widget's WebSocket: opened only by the relay's own frame, for a page on the site's
//! allow-list (`widget_origin`, checked before the upgrade); then sign-in (sessions bound to the
//! site), presence of the member's phone agents (DIAL-3), dial intents (DIAL-5), call states,
//! pairing confirmation, sign-up and password reset by SMS code, and CALL requests for buttons of the page's own site.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use ringlink_protocol::account::{AskAccountCode, ResetPassword, SignUp};
use ringlink_protocol::call_me::*;
use ringlink_protocol::chat::*;
use ringlink_protocol::widget::*;
use ringlink_protocol::{Envelope, ErrorBody, ErrorCode};

use super::api::ApiError;
use super::routes::{routes, Caller};
use super::socket::{self, Beat, Conn};
use super::ws;
use crate::accounts::Identity;
use crate::chat::visitor::VisitorSession;
use crate::live::{streams, Delivery, Frame, Listening, Subject};
use crate::store::tokens::TokenKind;
use crate::{calls, chat, dial, pairing, signup, Relay};

pub async fn upgrade(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let refuse = |code, message: String| ApiError(ErrorBody::new(code, message)).into_response();
    if let Some(e) = ws::refused_by_fault(&relay) {
        return ApiError(e).into_response();
    }
    if !ws::offers_subprotocol(&headers) {
        return ApiError(ws::no_subprotocol()).into_response();
    }
    let Some(key) = query.get("site") else {
        return refuse(
            ErrorCode::BadField,
            "add ?site=SITE_KEY to the WebSocket URL".into(),
        );
    };
    let site = match relay.store.site_by_key(key).await {
        Ok(Some(site)) => site,
        Ok(None) => {
            return refuse(
                ErrorCode::UnknownSite,
                format!("no site has the key '{key}': check data-site in the tag"),
            )
        }
        Err(e) => return ApiError(dial::internal(e)).into_response(),
    };
    if let Err(e) = super::widget_origin::check(
        &relay,
        &headers,
        query.get("parent").map(String::as_str),
        &site,
    ) {
        return ApiError(e).into_response();
    }
    let address = super::client_address(&relay, peer, &headers);
    let tasks = relay.tasks.clone();
    let site_id = site.id;
    ws::limits(upgrade)
        .on_upgrade(move |socket| tasks.track_future(run(relay, socket, address, site_id)))
}

pub(super) struct WidgetConn {
    relay: Arc<Relay>,
    /// The merchant site whose page this widget is on: CALL buttons are looked up in it only.
    site_id: i64,
    address: String,
    member: Option<Identity>,
    /// Slot 0: the member's presence and call events, from any relay, once signed in. Slot 1:
    /// the visitor's chat, once the chat panel opened.
    updates: Listening,
    /// The visitor this socket opened chat for (CHAT), and its connection's key.
    visitor: Option<(VisitorSession, String)>,
    /// Pushes a request queued to follow its reply (a reopened chat's missed lines).
    then_push: Vec<RelayToWidget>,
    /// The last call event a resuming widget saw: what it missed is pushed after the reply.
    resume_since: Option<u64>,
}

async fn run(relay: Arc<Relay>, mut socket: WebSocket, address: String, site_id: i64) {
    let mut me = WidgetConn {
        relay: relay.clone(),
        site_id,
        address,
        member: None,
        updates: Listening::default(),
        resume_since: None,
        visitor: None,
        then_push: Vec::new(),
    };
    socket::serve(&relay, &mut socket, &mut me).await;
}

// The widget's requests: who may send each, and the domain call that answers it.
routes! { WidgetConn: WidgetMsg => RelayToWidget, WIDGET_ROUTES;
    SignIn: guest |c, req| c.sign_in(req);
    Resume: guest |c, req| c.resume(req);
    SignOut: guest |c, _req| c.sign_out();
    Ping: guest |_c, _req| async { Ok(Pong {}) };
    AskAccountCode: guest |c, req| signup::ask_code(&c.relay, c.site_id, &c.address, &req);
    SignUp: guest |c, req| async {
        let minted = signup::sign_up(&c.relay, &req).await?;
        c.adopt(minted.0, minted.1).await
    };
    ResetPassword: guest |c, req| async {
        let minted = signup::reset_password(&c.relay, &req).await?;
        c.adopt(minted.0, minted.1).await
    };
    Dial: member |c, m, req| dial::place(&c.relay, m, req);
    ConfirmPairing: member |c, m, req| pairing::confirm(&c.relay, m, &req.code);
    CallOptions: member |c, m, req| calls::offer(&c.relay, c.site_id, m, req);
    SendCode: member |c, m, req| calls::verify::send_code(&c.relay, c.site_id, m, &req);
    VerifyCode: member |c, m, req| calls::verify::verify_code(&c.relay, m, &req.number, &req.code);
    CallMe: member |c, m, req| calls::call_me(&c.relay, c.site_id, m, &c.address, req);
    HangUp: member |c, m, req| calls::hang_up(&c.relay, m, req);
    ChatOpen: guest |c, req| c.chat_open(req);
    ChatSend: visitor |c, v, req| chat::visitor::send(&c.relay, v, &req);
    ChatTyping: visitor |c, v, req| chat::visitor::typing(&c.relay, v, req.typing);
    ChatRead: visitor |c, v, req| chat::visitor::read(&c.relay, v, req.upto);
    ChatEnd: visitor |c, v, req| chat::visitor::end(&c.relay, v, &req);
    LeaveMessage: guest |c, req| chat::visitor::leave_message(&c.relay, c.site_id, &c.address, &req);
}

impl Caller for WidgetConn {
    fn member(&self) -> Option<&Identity> {
        self.member.as_ref()
    }
    fn visitor(&self) -> Option<&VisitorSession> {
        self.visitor.as_ref().map(|(v, _)| v)
    }
}

impl Conn for WidgetConn {
    type In = WidgetMsg;
    type Out = RelayToWidget;
    const KIND: &'static str = "widget";

    /// Answers one request by the table; a request that signed a session in here is followed
    /// by the member's presence and, for a resume, the call events the widget missed.
    async fn handle(
        &mut self,
        env: Envelope<WidgetMsg>,
    ) -> (Option<Envelope<RelayToWidget>>, Vec<RelayToWidget>) {
        let reply = self.route(env.id, env.msg).await;
        let since = self.resume_since.take();
        // Every sign-in (or resume) left the old session's subscription first.
        let mut push = if self.member.is_some() && self.updates.slots[0].is_none() {
            self.subscribe(since).await
        } else {
            Vec::new()
        };
        push.append(&mut self.then_push);
        (Some(reply), push)
    }

    fn error(e: ErrorBody) -> RelayToWidget {
        RelayToWidget::Error(e)
    }

    fn updates(&mut self) -> &mut Listening {
        &mut self.updates
    }

    async fn deliver(&mut self, d: Delivery) -> Option<Frame> {
        Some(d.frame)
    }

    async fn beat(&mut self) -> Beat<RelayToWidget> {
        match self.recheck().await {
            Some(err) => Beat::Push(RelayToWidget::Error(err)),
            None => Beat::Fine,
        }
    }

    /// A widget with only the chat open (no member) is a visitor: it may stay without signing in.
    fn signed_in(&self) -> bool {
        self.member.is_some() || self.visitor.is_some()
    }

    async fn leave(&mut self) {
        self.leave_session();
        self.leave_chat().await;
    }
}

impl WidgetConn {
    async fn sign_in(&mut self, req: SignIn) -> Result<SignedIn, ErrorBody> {
        let accounts = &self.relay.accounts;
        let (id, token) = accounts
            .sign_in(
                &req.number,
                &req.password,
                &self.address,
                TokenKind::Web,
                "web",
            )
            .await
            .map_err(|e| ErrorBody::from(&e))?;
        self.adopt(id, token).await
    }

    /// Binds a fresh session to this page's site and makes it this widget's.
    async fn adopt(
        &mut self,
        id: Identity,
        token: ringlink_protocol::secret::Secret,
    ) -> Result<SignedIn, ErrorBody> {
        crate::session_site::bind(&self.relay.store, &id, self.site_id).await?;
        self.leave_session();
        let reply = SignedIn {
            token,
            member: id.number.clone(),
            expires_at: id.expires_at,
        };
        self.member = Some(id);
        Ok(reply)
    }

    async fn resume(&mut self, req: Resume) -> Result<SignedIn, ErrorBody> {
        self.resume_since = req.since;
        let id = self
            .relay
            .accounts
            .authenticate(req.token.expose(), TokenKind::Web)
            .await
            .map_err(|e| ErrorBody::from(&e))?;
        crate::session_site::check(&self.relay.store, &id, self.site_id).await?;
        self.leave_session();
        let reply = SignedIn {
            token: req.token,
            member: id.number.clone(),
            expires_at: id.expires_at,
        };
        self.member = Some(id);
        Ok(reply)
    }

    async fn sign_out(&mut self) -> Result<SignedOut, ErrorBody> {
        if let Some(m) = &self.member {
            let _ = self
                .relay
                .store
                .revoke_token(&m.public_id, Some(m.member_id))
                .await;
        }
        self.leave_session();
        Ok(SignedOut {})
    }

    /// Joins the member's presence and call stream, wherever they come from; returns what to
    /// push now: the presence, then the call events after `since` that this widget missed.
    /// Subscribed first and read second, so nothing falls between; an event in both comes
    /// twice with one number, and the widget keeps the first.
    async fn subscribe(&mut self, since: Option<u64>) -> Vec<RelayToWidget> {
        let member_id = self
            .member
            .as_ref()
            .expect("subscribe after sign-in")
            .member_id;
        let live = &self.relay.live;
        match live.bus.subscribe(&Subject::WidgetsOf(member_id)).await {
            Ok(sub) => {
                self.updates.slots[0] = Some(sub);
                live.widgets_here
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(e) => tracing::warn!("widget not subscribed to its member's events: {e}"),
        }
        let presence = live.presence_of(member_id).await;
        let missed = match since {
            Some(seen) => live
                .streams
                .since(&streams::member_stream(member_id), seen)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!("missed call events unavailable: {e}");
                    Vec::new()
                }),
            None => Vec::new(),
        };
        std::iter::once(RelayToWidget::Presence(presence))
            .chain(missed)
            .collect()
    }

    fn leave_session(&mut self) {
        self.member = None;
        if self.updates.slots[0].take().is_some() {
            self.relay
                .live
                .widgets_here
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Opens the chat panel (CHAT): the visitor is found or minted, this socket listens to
    /// their chat from any relay and counts as their connection, and the lines the panel
    /// missed follow the reply.
    async fn chat_open(&mut self, req: ChatOpen) -> Result<ChatOpened, ErrorBody> {
        let member = self.member.as_ref().map(|m| m.number.to_string());
        let (v, opened) =
            chat::visitor::open(&self.relay, self.site_id, &self.address, member, &req).await?;
        self.leave_chat().await;
        let live = &self.relay.live;
        match live
            .bus
            .subscribe(&Subject::Visitor(v.public_id.clone()))
            .await
        {
            Ok(sub) => self.updates.slots[1] = Some(sub),
            Err(e) => tracing::warn!("visitor not subscribed to their chat: {e}"),
        }
        let key = live.conn_key(live.next_conn());
        let who = chat::visitor_key(v.visitor_id);
        let now = self.relay.chat.clock.now_ms();
        self.relay
            .store
            .add_chat_connection(&key, &live.node_id, &who, now)
            .await
            .map_err(chat::internal)?;
        self.then_push = chat::visitor::missed(&self.relay, &v, req.since).await;
        chat::visitor::presence_changed(&self.relay, &v).await;
        self.visitor = Some((v, key));
        Ok(opened)
    }

    /// The chat panel's connection ends: the visitor's agent sees them away once no widget of
    /// theirs is left.
    async fn leave_chat(&mut self) {
        let Some((v, key)) = self.visitor.take() else {
            return;
        };
        self.updates.slots[1] = None;
        let store = &self.relay.store;
        let who = chat::visitor_key(v.visitor_id);
        if let Ok(0) = store.remove_chat_connection(&key, &who).await {
            let _ = store
                .touch_chat_visitor(v.visitor_id, self.relay.chat.clock.now_ms())
                .await;
            chat::visitor::gone_after_grace(self.relay.clone(), v);
        }
    }

    /// On every heartbeat: a session revoked or expired elsewhere stops here too.
    async fn recheck(&mut self) -> Option<ErrorBody> {
        let m = self.member.as_ref()?;
        // A database hiccup is not a revocation: keep the session and look again next beat.
        if self
            .relay
            .store
            .token_is_live(m.token_id)
            .await
            .unwrap_or(true)
        {
            return None;
        }
        self.leave_session();
        Some(ErrorBody::new(
            ErrorCode::TokenRevoked,
            "your session ended: sign in again",
        ))
    }
}
