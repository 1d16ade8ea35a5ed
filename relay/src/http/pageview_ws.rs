//! The loader's light page-view socket (CHAT-9), `GET /v1/visitor/watch?site=KEY&page=URL`
//! (optional `&title=`, `&referrer=` and `&lang=`), opened from the merchant's page when the tag has
//! `data-ringlink-invite`: its `Origin` must be on the site's allow-list. It reports the page
//! while it is open, answers pings, and carries one push: an agent's invitation to chat.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use ringlink_protocol::limits::MAX_URL;

/// A page title longer than this is cut: agents read a line, not a paragraph.
const MAX_TITLE: usize = 200;
use ringlink_protocol::widget::{Pong, RelayToWidget, WidgetMsg};
use ringlink_protocol::{Envelope, ErrorBody, ErrorCode};

use super::api::ApiError;
use super::socket::{self, Beat, Conn};
use super::ws;
use crate::chat::pageviews;
use crate::chat::store::site::PageviewRow;
use crate::live::{Delivery, Frame, Listening, Subject};
use crate::Relay;

pub async fn upgrade(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let refuse = |code, m: String| ApiError(ErrorBody::new(code, m)).into_response();
    if !ws::offers_subprotocol(&headers) {
        return ApiError(ws::no_subprotocol()).into_response();
    }
    let Some(key) = q.get("site") else {
        return refuse(ErrorCode::BadField, "add ?site=SITE_KEY".into());
    };
    let site = match relay.store.site_by_key(key).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return refuse(
                ErrorCode::UnknownSite,
                format!("no site has the key '{key}'"),
            )
        }
        Err(e) => return ApiError(crate::chat::internal(e)).into_response(),
    };
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .unwrap_or("");
    if !site.origins.iter().any(|o| o == origin) {
        return refuse(
            ErrorCode::OriginNotAllowed,
            format!("origin '{origin}' is not allowed for site '{}'", site.key),
        );
    }
    let cut = |k: &str| {
        q.get(k)
            .map(|v| v.chars().take(MAX_URL).collect::<String>())
    };
    let Some(page) = cut("page") else {
        return refuse(
            ErrorCode::BadField,
            "add &page=URL (the page the visitor is on)".into(),
        );
    };
    let (referrer, lang) = (
        cut("referrer"),
        cut("lang").map(|l| l.chars().take(35).collect()),
    );
    // The page's title, shown to agents as text: 200 characters, no control characters.
    let title = q
        .get("title")
        .map(|t| {
            t.chars()
                .filter(|c| !c.is_control())
                .take(MAX_TITLE)
                .collect::<String>()
        })
        .filter(|t| !t.trim().is_empty());
    let tasks = relay.tasks.clone();
    let site_id = site.id;
    ws::limits(upgrade).on_upgrade(move |socket| {
        tasks.track_future(run(
            relay,
            socket,
            site_id,
            Page {
                url: page,
                title,
                referrer,
                lang,
            },
        ))
    })
}

/// What the watcher reported of the page.
struct Page {
    url: String,
    title: Option<String>,
    referrer: Option<String>,
    lang: Option<String>,
}

struct PageviewConn {
    relay: Arc<Relay>,
    view: Option<PageviewRow>,
    updates: Listening,
}

async fn run(relay: Arc<Relay>, mut socket: WebSocket, site_id: i64, p: Page) {
    let view = match pageviews::join(&relay, site_id, p.url, p.title, p.referrer, p.lang).await {
        Ok(v) => v,
        Err(e) => {
            let _ = ws::send(&mut socket, &Envelope::push(RelayToWidget::Error(e))).await;
            return;
        }
    };
    let mut updates = Listening::default();
    match relay
        .live
        .bus
        .subscribe(&Subject::Visitor(pageviews::subject_id(&view.public_id)))
        .await
    {
        Ok(sub) => updates.slots[0] = Some(sub),
        Err(e) => tracing::warn!("page view not subscribed: {e}"),
    }
    let mut me = PageviewConn {
        relay: relay.clone(),
        view: Some(view),
        updates,
    };
    socket::serve(&relay, &mut socket, &mut me).await;
}

impl Conn for PageviewConn {
    type In = WidgetMsg;
    type Out = RelayToWidget;
    const KIND: &'static str = "pageview";

    async fn handle(
        &mut self,
        env: Envelope<WidgetMsg>,
    ) -> (Option<Envelope<RelayToWidget>>, Vec<RelayToWidget>) {
        let reply = match env.msg {
            WidgetMsg::Ping(_) => RelayToWidget::Pong(Pong {}),
            _ => RelayToWidget::Error(ErrorBody::new(
                ErrorCode::BadFrame,
                "this socket only reports the page: chat opens in the widget's frame",
            )),
        };
        (Some(Envelope::reply(env.id, reply)), Vec::new())
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
        Beat::Fine
    }

    async fn leave(&mut self) {
        if let Some(v) = self.view.take() {
            pageviews::leave(&self.relay, &v).await;
        }
    }
}
