//! WebSocket clients for the benchmark: phone agents and widgets, connected from many 127.x.y.z
//! source addresses so tens of thousands of connections do not run out of ephemeral ports.

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use ringlink_protocol::agent::{AgentMsg, Hello, RelayToAgent};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{Ping, RelayToWidget, Resume, WidgetMsg};
use ringlink_protocol::{encode, Envelope};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<TcpStream>;

/// Spreads clients over 127.1.0.1 .. 127.1.249.250 (every 127/8 address is loopback on Linux).
pub fn source_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 1, ((i / 250) % 250) as u8, (1 + i % 250) as u8)
}

pub async fn connect(
    addr: SocketAddr,
    url: &str,
    headers: &[(&'static str, String)],
    i: usize,
) -> Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source_ip(i).into(), 0))?;
    let stream = socket.connect(addr).await.context("tcp connect")?;
    stream.set_nodelay(true)?;
    let mut req = url.into_client_request()?;
    for (k, v) in headers {
        req.headers_mut().insert(*k, v.parse()?);
    }
    let (ws, _) = tokio_tungstenite::client_async(req, stream)
        .await
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(resp) => {
                let body = resp
                    .body()
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default();
                anyhow::anyhow!("websocket handshake refused with {}: {body}", resp.status())
            }
            other => anyhow::anyhow!("websocket handshake failed: {other}"),
        })?;
    Ok(ws)
}

async fn next_text(ws: &mut Ws) -> Result<String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return Ok(t.to_string()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => bail!("closed"),
        }
    }
}

/// A phone agent of member `i` that said hello and was welcomed.
pub async fn agent(addr: SocketAddr, i: usize) -> Result<Ws> {
    let token = crate::relay_proc::agent_token(i);
    let url = format!("ws://{addr}/v1/agent/ws");
    let mut ws = connect(
        addr,
        &url,
        &[
            ("authorization", format!("Bearer {token}")),
            ("sec-websocket-protocol", "ringlink.v1".into()),
        ],
        i,
    )
    .await?;
    let hello = Hello {
        name: format!("bench {i}"),
        backend: "dry-run".into(),
        confirm: false,
        version: "bench".into(),
    };
    ws.send(Message::Text(
        encode(&Envelope::request(1, AgentMsg::Hello(hello))).into(),
    ))
    .await?;
    let reply: Envelope<RelayToAgent> = serde_json::from_str(&next_text(&mut ws).await?)?;
    if !matches!(reply.msg, RelayToAgent::Welcome(_)) {
        bail!("agent {i} not welcomed: {:?}", reply.msg);
    }
    Ok(ws)
}

/// A widget of member `i`, resumed with its session and past the first presence frame. It
/// connects as the relay's frame does: `Origin` the relay's own, the shop page as `parent`.
pub async fn widget(addr: SocketAddr, i: usize) -> Result<Ws> {
    let url = format!(
        "ws://{addr}/v1/widget/ws?site={}&parent={}",
        crate::relay_proc::SITE,
        crate::relay_proc::ORIGIN
    );
    let mut ws = connect(
        addr,
        &url,
        &[
            ("origin", format!("http://{addr}")),
            ("sec-websocket-protocol", "ringlink.v1".into()),
        ],
        i,
    )
    .await?;
    let resume = Resume {
        token: Secret::new(crate::relay_proc::web_token(i)),
        since: None,
    };
    ws.send(Message::Text(
        encode(&Envelope::request(1, WidgetMsg::Resume(resume))).into(),
    ))
    .await?;
    let reply: Envelope<RelayToWidget> = serde_json::from_str(&next_text(&mut ws).await?)?;
    if !matches!(reply.msg, RelayToWidget::SignedIn(_)) {
        bail!("widget {i} not signed in: {:?}", reply.msg);
    }
    let _presence = next_text(&mut ws).await?;
    Ok(ws)
}

/// Page view `i` of the shop (CHAT-9): a product page of its own, from a search engine.
pub async fn watch(addr: SocketAddr, i: usize) -> Result<Ws> {
    let page = format!(
        "{}/products/item-{i:06}?utm_source=bench",
        crate::relay_proc::ORIGIN
    );
    watch_page(addr, &page, i).await
}

/// A page view's socket as the loader's watcher (`widget/loader/watch.js`) opens it: `Origin`
/// the shop's, the page, referrer and language in the query. Returned after a ping's pong: the
/// relay answers only once it has stored the page view and pushed "browsing now".
pub async fn watch_page(addr: SocketAddr, page: &str, i: usize) -> Result<Ws> {
    let url = format!(
        "ws://{addr}/v1/visitor/watch?site={}&page={}&referrer={}&lang=en-US",
        crate::relay_proc::SITE,
        query_escape(page),
        query_escape("https://www.google.com/")
    );
    let mut ws = connect(
        addr,
        &url,
        &[
            ("origin", crate::relay_proc::ORIGIN.into()),
            ("sec-websocket-protocol", "ringlink.v1".into()),
        ],
        i,
    )
    .await?;
    ws.send(Message::Text(
        encode(&Envelope::request(1, WidgetMsg::Ping(Ping {}))).into(),
    ))
    .await?;
    loop {
        let reply: Envelope<RelayToWidget> = serde_json::from_str(&next_text(&mut ws).await?)?;
        match reply.msg {
            RelayToWidget::Pong(_) => return Ok(ws),
            RelayToWidget::Error(e) => bail!("page view {i} refused: {}", e.message),
            _ => {}
        }
    }
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
