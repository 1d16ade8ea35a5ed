//! Protocol clients over real WebSockets, as the widget frame and the phone agent open them:
//! a widget socket (`Origin` the relay's public origin, `&parent=` the merchant page) and an
//! agent socket (`Authorization: Bearer`), each from a chosen loopback source address so a test
//! can play several client addresses behind one nginx.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use ringlink_protocol::agent::{AgentMsg, Hello, RelayToAgent, Welcome};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{RelayToWidget, Resume, SignIn, SignedIn, WidgetMsg};
use ringlink_protocol::{encode, Envelope, ErrorBody};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The default source address of test clients (nginx and the relays connect from 127.0.0.1).
pub const CLIENT_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 5));

pub type Widget = Client<WidgetMsg, RelayToWidget>;
pub type Agent = Client<AgentMsg, RelayToAgent>;

/// A handshake the server refused, with its status and body, or a transport failure.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Opens `ws://{addr}{path}` from `from` with `headers`.
pub async fn open(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, String)],
    from: IpAddr,
) -> Result<WebSocketStream<TcpStream>, Refused> {
    let socket = TcpSocket::new_v4().map_err(|e| Refused(e.to_string()))?;
    socket
        .bind(SocketAddr::new(from, 0))
        .map_err(|e| Refused(format!("bind {from}: {e}")))?;
    let stream = socket
        .connect(addr)
        .await
        .map_err(|e| Refused(format!("connect {addr}: {e}")))?;
    stream.set_nodelay(true).ok();
    let mut req = format!("ws://{addr}{path}").into_client_request().unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", "ringlink.v1".parse().unwrap());
    for (k, v) in headers {
        let name: tokio_tungstenite::tungstenite::http::HeaderName = k.parse().unwrap();
        req.headers_mut().append(name, v.parse().unwrap());
    }
    match tokio_tungstenite::client_async(req, stream).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            let body = resp
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            Err(Refused(format!("{}: {body}", resp.status())))
        }
        Err(e) => Err(Refused(e.to_string())),
    }
}

/// A widget socket on `addr` for `site`, opened by the frame served at `origin` on a page of
/// `parent`; `extra` headers go along (a test's forged `X-Forwarded-For`).
pub async fn widget(
    addr: SocketAddr,
    origin: &str,
    parent: &str,
    site: &str,
    from: IpAddr,
    extra: &[(&str, String)],
) -> Result<Widget, Refused> {
    let path = format!("/v1/widget/ws?site={site}&parent={parent}");
    let mut headers = vec![("origin", origin.to_owned())];
    headers.extend(extra.iter().cloned());
    Ok(Client::new(open(addr, &path, &headers, from).await?))
}

/// A staff console socket on `addr`, opened from the relay's own console page at `origin`.
pub async fn console(
    addr: SocketAddr,
    origin: &str,
) -> Result<
    Client<ringlink_protocol::console::ConsoleMsg, ringlink_protocol::console::RelayToConsole>,
    Refused,
> {
    let headers = [("origin", origin.to_owned())];
    Ok(Client::new(
        open(
            addr,
            "/v1/console/ws",
            &headers,
            IpAddr::from([127, 0, 0, 1]),
        )
        .await?,
    ))
}

/// An agent socket on `addr` with a device token; not yet said hello.
pub async fn agent(addr: SocketAddr, token: &str, from: IpAddr) -> Result<Agent, Refused> {
    let headers = [("authorization", format!("Bearer {token}"))];
    Ok(Client::new(
        open(addr, "/v1/agent/ws", &headers, from).await?,
    ))
}

/// A protocol client: requests with ids, replies paired by `re`, pushes in between.
pub struct Client<Out, In> {
    ws: WebSocketStream<TcpStream>,
    next_id: u64,
    _p: std::marker::PhantomData<(Out, In)>,
}

impl<Out: serde::Serialize, In: serde::de::DeserializeOwned + std::fmt::Debug> Client<Out, In> {
    fn new(ws: WebSocketStream<TcpStream>) -> Self {
        Self {
            ws,
            next_id: 0,
            _p: std::marker::PhantomData,
        }
    }

    /// Sends a request; returns its id.
    pub async fn send(&mut self, msg: Out) -> u64 {
        self.next_id += 1;
        let text = encode(&Envelope::request(self.next_id, msg));
        self.ws
            .send(Message::Text(text.into()))
            .await
            .expect("send on a test socket");
        self.next_id
    }

    /// The next protocol frame, or `None` when nothing came within `limit` or the socket closed.
    pub async fn next_within(&mut self, limit: Duration) -> Option<Envelope<In>> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??
                .ok()?;
            if let Message::Text(t) = msg {
                return Some(
                    serde_json::from_str(t.as_str())
                        .unwrap_or_else(|e| panic!("bad frame {t}: {e}")),
                );
            }
        }
    }

    /// The next frame for which `pick` returns something, within `limit`; frames before it are
    /// passed over.
    pub async fn wait_for<T>(
        &mut self,
        limit: Duration,
        mut pick: impl FnMut(&Envelope<In>) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let env = self.next_within(left).await?;
            if let Some(t) = pick(&env) {
                return Some(t);
            }
        }
    }

    /// Sends a request and returns its reply (pushes in between are dropped).
    pub async fn request(&mut self, msg: Out, limit: Duration) -> In {
        let id = self.send(msg).await;
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_default();
            match self.next_within(left).await {
                Some(env) if env.re == Some(id) => return env.msg,
                Some(_) => continue,
                None => panic!("no reply to request {id} within {limit:?} (or the socket closed)"),
            }
        }
    }

    /// Every frame that arrives within `window`.
    pub async fn drain(&mut self, window: Duration) -> Vec<Envelope<In>> {
        let deadline = Instant::now() + window;
        let mut out = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next_within(left).await {
                Some(env) => out.push(env),
                None => break,
            }
        }
        out
    }

    /// Closes the socket as a browser tab does.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

impl Widget {
    /// Signs in with number and password: the session, or the relay's error.
    pub async fn sign_in(&mut self, number: &str, password: &str) -> Result<SignedIn, ErrorBody> {
        let msg = WidgetMsg::SignIn(SignIn {
            number: number.into(),
            password: Secret::new(password),
        });
        match self.request(msg, REPLY_WITHIN).await {
            RelayToWidget::SignedIn(s) => Ok(s),
            RelayToWidget::Error(e) => Err(e),
            other => panic!("sign-in answered with {other:?}"),
        }
    }

    /// Resumes a session, asking for the call events after `since`.
    pub async fn resume(
        &mut self,
        token: &Secret,
        since: Option<u64>,
    ) -> Result<SignedIn, ErrorBody> {
        let msg = WidgetMsg::Resume(Resume {
            token: token.clone(),
            since,
        });
        match self.request(msg, REPLY_WITHIN).await {
            RelayToWidget::SignedIn(s) => Ok(s),
            RelayToWidget::Error(e) => Err(e),
            other => panic!("resume answered with {other:?}"),
        }
    }
}

impl Agent {
    /// Says hello as a dry-run phone agent named `name`.
    pub async fn hello(&mut self, name: &str) -> Result<Welcome, ErrorBody> {
        let msg = AgentMsg::Hello(Hello {
            name: name.into(),
            backend: "dry-run".into(),
            confirm: false,
            version: "e2e".into(),
        });
        match self.request(msg, REPLY_WITHIN).await {
            RelayToAgent::Welcome(w) => Ok(w),
            RelayToAgent::Error(e) => Err(e),
            other => panic!("hello answered with {other:?}"),
        }
    }
}

/// Replies come within this on a loaded 2-core machine (a debug-build password check included).
pub const REPLY_WITHIN: Duration = Duration::from_secs(15);
