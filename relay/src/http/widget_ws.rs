//! The widget's WebSocket: opened only by the relay's own frame, for a page on the site's
//! allow-list (`widget_origin`, checked before the upgrade); then sign-in (sessions bound to the
//! site), presence of the member's phone agents (DIAL-3), dial intents (DIAL-5), call states,
//! pairing confirmation, sign-up and password reset by SMS code, and CALL requests for buttons of the page's own site.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use ringlink_protocol::account::{AskAccountCode, ResetPassword, SignUp};
use ringlink_protocol::call_me::*;
use ringlink_protocol::request::Request;
use ringlink_protocol::widget::*;
use ringlink_protocol::{Envelope, ErrorBody, ErrorCode};

use super::api::ApiError;
use super::ws::{self, Incoming};
use crate::accounts::Identity;
use crate::live::{streams, Subject, Subscription};
use crate::store::tokens::TokenKind;
use crate::{calls, dial, pairing, signup, Relay};

pub async fn upgrade(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let refuse = |code, message: String| ApiError(ErrorBody::new(code, message)).into_response();
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

struct WidgetConn {
    relay: Arc<Relay>,
    /// The merchant site whose page this widget is on: CALL buttons are looked up in it only.
    site_id: i64,
    address: String,
    member: Option<Identity>,
    /// The member's presence and call events, from any relay, once signed in.
    updates: Option<Subscription>,
}

async fn run(relay: Arc<Relay>, mut socket: WebSocket, address: String, site_id: i64) {
    let heartbeat = Duration::from_secs(relay.config.heartbeat_secs);
    let mut me = WidgetConn {
        relay: relay.clone(),
        site_id,
        address,
        member: None,
        updates: None,
    };
    let mut beat = tokio::time::interval(heartbeat);
    beat.tick().await;
    let mut last_heard = Instant::now();
    let sign_in_within = Duration::from_secs(relay.config.sign_in_within_secs);
    let unsigned_deadline = tokio::time::sleep(sign_in_within);
    tokio::pin!(unsigned_deadline);
    metrics::gauge!("ringlink_ws_connections", "kind" => "widget").increment(1.0);
    loop {
        tokio::select! {
            _ = &mut unsigned_deadline => {
                if me.member.is_none() {
                    let reason = format!("not signed in within {} s; reconnect to sign in", sign_in_within.as_secs());
                    ws::close(&mut socket, ws::CLOSE_POLICY, &reason).await;
                    break;
                }
                // Signed in: look again later, in case the member signs out and stays.
                unsigned_deadline.as_mut().reset(tokio::time::Instant::now() + sign_in_within);
            }
            _ = relay.shutdown.cancelled() => {
                ws::close(&mut socket, ws::CLOSE_GOING_AWAY, "relay restarting; reconnect shortly").await;
                break;
            }
            incoming = socket.recv() => match ws::classify::<WidgetMsg>(incoming) {
                Incoming::Frame(env) => {
                    last_heard = Instant::now();
                    let (reply, push) = me.handle(env).await;
                    if !ws::send(&mut socket, &reply).await { break }
                    let mut open = true;
                    for p in push {
                        open = open && ws::send(&mut socket, &Envelope::push(p)).await;
                    }
                    if !open { break }
                }
                Incoming::Bad(id, e) => {
                    last_heard = Instant::now();
                    if !ws::send(&mut socket, &Envelope::reply(id, RelayToWidget::Error(e))).await { break }
                }
                Incoming::Alive => last_heard = Instant::now(),
                Incoming::Gone(reason) => {
                    if let Some(r) = reason { ws::close(&mut socket, ws::CLOSE_TOO_BIG, &r).await }
                    break;
                }
            },
            Some(d) = crate::live::next_of(&mut me.updates) => if !ws::send_frame(&mut socket, d.frame).await { break },
            _ = beat.tick() => {
                if last_heard.elapsed() > heartbeat * 3 {
                    ws::close(&mut socket, ws::CLOSE_NORMAL, "no ping from the widget; reconnect").await;
                    break;
                }
                if let Some(err) = me.recheck().await {
                    if !ws::send(&mut socket, &Envelope::push(RelayToWidget::Error(err))).await { break }
                }
            }
        }
    }
    ws::finish(&mut socket).await;
    me.leave();
    metrics::gauge!("ringlink_ws_connections", "kind" => "widget").decrement(1.0);
}

fn answer<R: Request<Reply = RelayToWidget>>(
    re: Option<u64>,
    result: Result<R::Response, ErrorBody>,
) -> Envelope<RelayToWidget> {
    Envelope::reply(
        re,
        result.map(Into::into).unwrap_or_else(RelayToWidget::Error),
    )
}

impl WidgetConn {
    /// Answers one request, with the pushes that follow it (presence and missed call events
    /// after a sign-in).
    async fn handle(
        &mut self,
        env: Envelope<WidgetMsg>,
    ) -> (Envelope<RelayToWidget>, Vec<RelayToWidget>) {
        let re = env.id;
        match env.msg {
            WidgetMsg::SignIn(req) => {
                let result = self.sign_in(req).await;
                let push = if result.is_ok() {
                    self.subscribe(None).await
                } else {
                    Vec::new()
                };
                (answer::<SignIn>(re, result), push)
            }
            WidgetMsg::Resume(req) => {
                let since = req.since;
                let result = self.resume(req).await;
                let push = if result.is_ok() {
                    self.subscribe(since).await
                } else {
                    Vec::new()
                };
                (answer::<Resume>(re, result), push)
            }
            WidgetMsg::SignOut(_) => (answer::<SignOut>(re, self.sign_out().await), Vec::new()),
            WidgetMsg::Dial(req) => {
                let result = match &self.member {
                    Some(m) => dial::place(&self.relay, m, req).await,
                    None => Err(not_signed_in()),
                };
                (answer::<Dial>(re, result), Vec::new())
            }
            WidgetMsg::ConfirmPairing(req) => {
                let result = match &self.member {
                    Some(m) => pairing::confirm(&self.relay, m, &req.code).await,
                    None => Err(not_signed_in()),
                };
                (answer::<ConfirmPairing>(re, result), Vec::new())
            }
            WidgetMsg::Ping(_) => (answer::<Ping>(re, Ok(Pong {})), Vec::new()),
            WidgetMsg::CallOptions(req) => {
                let result = match &self.member {
                    Some(m) => calls::offer(&self.relay, self.site_id, m, req).await,
                    None => Err(not_signed_in()),
                };
                (answer::<CallOptions>(re, result), Vec::new())
            }
            WidgetMsg::SendCode(req) => {
                let result = match &self.member {
                    Some(m) => calls::verify::send_code(&self.relay, self.site_id, m, &req).await,
                    None => Err(not_signed_in()),
                };
                (answer::<SendCode>(re, result), Vec::new())
            }
            WidgetMsg::VerifyCode(req) => {
                let result = match &self.member {
                    Some(m) => {
                        calls::verify::verify_code(&self.relay, m, &req.number, &req.code).await
                    }
                    None => Err(not_signed_in()),
                };
                (answer::<VerifyCode>(re, result), Vec::new())
            }
            WidgetMsg::CallMe(req) => {
                let result = match &self.member {
                    Some(m) => {
                        calls::call_me(&self.relay, self.site_id, m, &self.address, req).await
                    }
                    None => Err(not_signed_in()),
                };
                (answer::<CallMe>(re, result), Vec::new())
            }
            WidgetMsg::HangUp(req) => {
                let result = match &self.member {
                    Some(m) => calls::hang_up(&self.relay, m, req).await,
                    None => Err(not_signed_in()),
                };
                (answer::<HangUp>(re, result), Vec::new())
            }
            WidgetMsg::AskAccountCode(req) => {
                let result = signup::ask_code(&self.relay, self.site_id, &self.address, &req).await;
                (answer::<AskAccountCode>(re, result), Vec::new())
            }
            WidgetMsg::SignUp(req) => {
                let minted = signup::sign_up(&self.relay, &req).await;
                self.signed_in_by_code::<SignUp>(re, minted).await
            }
            WidgetMsg::ResetPassword(req) => {
                let minted = signup::reset_password(&self.relay, &req).await;
                self.signed_in_by_code::<ResetPassword>(re, minted).await
            }
        }
    }

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

    /// A session minted by sign-up or password reset: signed in here, presence pushed.
    async fn signed_in_by_code<R: Request<Reply = RelayToWidget, Response = SignedIn>>(
        &mut self,
        re: Option<u64>,
        minted: Result<(Identity, ringlink_protocol::secret::Secret), ErrorBody>,
    ) -> (Envelope<RelayToWidget>, Vec<RelayToWidget>) {
        let result = match minted {
            Ok((id, token)) => self.adopt(id, token).await,
            Err(e) => Err(e),
        };
        let push = if result.is_ok() {
            self.subscribe(None).await
        } else {
            Vec::new()
        };
        (answer::<R>(re, result), push)
    }

    /// Binds a fresh session to this page's site and makes it this widget's.
    async fn adopt(
        &mut self,
        id: Identity,
        token: ringlink_protocol::secret::Secret,
    ) -> Result<SignedIn, ErrorBody> {
        crate::session_site::bind(&self.relay.store, &id, self.site_id).await?;
        self.leave();
        let reply = SignedIn {
            token,
            member: id.number.clone(),
            expires_at: id.expires_at,
        };
        self.member = Some(id);
        Ok(reply)
    }

    async fn resume(&mut self, req: Resume) -> Result<SignedIn, ErrorBody> {
        let id = self
            .relay
            .accounts
            .authenticate(req.token.expose(), TokenKind::Web)
            .await
            .map_err(|e| ErrorBody::from(&e))?;
        crate::session_site::check(&self.relay.store, &id, self.site_id).await?;
        self.leave();
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
        self.leave();
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
                self.updates = Some(sub);
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

    fn leave(&mut self) {
        self.member = None;
        if self.updates.take().is_some() {
            self.relay
                .live
                .widgets_here
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
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
        self.leave();
        Some(ErrorBody::new(
            ErrorCode::TokenRevoked,
            "your session ended: sign in again",
        ))
    }
}

fn not_signed_in() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::NotSignedIn,
        "sign in with your number and password first",
    )
}
