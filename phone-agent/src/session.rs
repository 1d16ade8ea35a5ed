//! The connection to the relay: one outbound WebSocket (`/v1/agent/ws`, bearer device token,
//! subprotocol `ringlink.v1`), `hello` answered by `welcome`, a ping every heartbeat, dial orders
//! handed to the [`CallDesk`], call states sent back. Reconnects forever with backoff; stops only
//! when the relay itself says this device was signed out (a 401 with its error body naming a
//! revoked or expired token, or `revoked`).

use std::convert::Infallible;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use ringlink_protocol::agent::{AgentMsg, CallUpdate, Hello, RelayToAgent, Welcome};
use ringlink_protocol::widget::Ping;
use ringlink_protocol::{decode, encode, Envelope, ErrorBody, ErrorCode, SUBPROTOCOL};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::{AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::backoff::Backoff;
use crate::calls::CallDesk;
use crate::credentials::Credentials;
use crate::relay_api::agent_ws_url;
use crate::{Error, Result};

/// TCP, TLS and the upgrade over a slow mobile network.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// The relay answers `hello` at once; it gives us 10 s to send it, we give it as long.
pub const WELCOME_TIMEOUT: Duration = Duration::from_secs(10);
/// Call states waiting to be sent. A call makes at most a handful; 64 rides out a reconnect.
pub const UPDATE_QUEUE: usize = 64;
/// Silence from the relay for this many heartbeats means the link is dead: reconnect. The relay
/// applies the same rule to us.
pub const SILENT_HEARTBEATS: u32 = 3;
/// Never ping more often than this, whatever `welcome` says.
const MIN_HEARTBEAT: Duration = Duration::from_secs(1);
/// The id of `hello`; pings count up from the next one.
const HELLO_ID: u64 = 1;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Everything `run` needs.
pub struct AgentConfig {
    pub credentials: Credentials,
    /// Shown to the member ("Pixel 8").
    pub name: String,
    pub desk: CallDesk,
}

/// How one connection ended.
enum Outcome {
    /// Worth another attempt; the text says why, for the log.
    Retry(String),
    /// The device token no longer works: stop.
    SignedOut(String),
}

/// Runs the agent until the device is signed out. `updates` is the receiving end of the
/// channel the desk reports call states on; it outlives connections, so states of a call that
/// spans a reconnect are sent once the agent is back.
pub async fn run(
    config: AgentConfig,
    mut updates: mpsc::Receiver<CallUpdate>,
) -> Result<Infallible> {
    let url = agent_ws_url(&config.credentials.relay)?;
    let hello = Hello {
        name: config.name.clone(),
        backend: config.desk.backend().to_owned(),
        confirm: config.desk.confirms(),
        version: crate::VERSION.to_owned(),
    };
    let mut backoff = Backoff::new();
    let mut pending = None;
    loop {
        let attempt = backoff.failures() + 1;
        tracing::info!(attempt, %url, "connecting to the relay");
        let link = Link {
            config: &config,
            hello: &hello,
            url: &url,
        };
        match link
            .connect_and_serve(&mut updates, &mut pending, &mut backoff)
            .await
        {
            Outcome::SignedOut(why) => return Err(Error::SignedOut(why)),
            Outcome::Retry(why) => {
                let delay = backoff.next_delay();
                tracing::warn!("{why}; reconnecting in {:.1} s", delay.as_secs_f64());
                tokio::time::sleep(delay).await;
            }
        }
    }
}

struct Link<'a> {
    config: &'a AgentConfig,
    hello: &'a Hello,
    url: &'a str,
}

impl Link<'_> {
    async fn connect_and_serve(
        &self,
        updates: &mut mpsc::Receiver<CallUpdate>,
        pending: &mut Option<CallUpdate>,
        backoff: &mut Backoff,
    ) -> Outcome {
        let socket = match self.connect().await {
            Ok(s) => s,
            Err(outcome) => return outcome,
        };
        let (mut sink, mut stream) = socket.split();
        let hello = Envelope::request(HELLO_ID, AgentMsg::Hello(self.hello.clone()));
        if let Err(e) = send(&mut sink, &hello).await {
            return Outcome::Retry(format!("could not say hello: {e}"));
        }
        let welcome = match timeout(WELCOME_TIMEOUT, await_welcome(&mut stream)).await {
            Ok(Ok(w)) => w,
            Ok(Err(outcome)) => return outcome,
            Err(_) => return Outcome::Retry("the relay did not answer hello within 10 s".into()),
        };
        tracing::info!(
            device = %welcome.device,
            member = %welcome.member,
            heartbeat_secs = welcome.heartbeat_secs,
            "connected to the relay; waiting for dial orders"
        );
        backoff.reset();
        let outcome = self
            .serve(&mut sink, &mut stream, &welcome, updates, pending)
            .await;
        let _ = sink.close().await;
        outcome
    }

    async fn connect(&self) -> Result<Socket, Outcome> {
        let mut request = self
            .url
            .into_client_request()
            .map_err(|e| Outcome::Retry(format!("bad relay address {}: {e}", self.url)))?;
        let token = self.config.credentials.device_token.expose();
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| Outcome::SignedOut("the stored device token is malformed".into()))?;
        auth.set_sensitive(true);
        let headers = request.headers_mut();
        headers.insert(AUTHORIZATION, auth);
        headers.insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(SUBPROTOCOL),
        );
        match timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(request)).await {
            Err(_) => Err(Outcome::Retry(format!(
                "the relay did not accept the connection within {} s",
                CONNECT_TIMEOUT.as_secs()
            ))),
            Ok(Ok((socket, _))) => Ok(socket),
            Ok(Err(WsError::Http(resp))) => Err(refusal(resp.status(), resp.body().as_deref())),
            Ok(Err(e)) => Err(Outcome::Retry(format!("cannot connect to the relay: {e}"))),
        }
    }

    async fn serve(
        &self,
        sink: &mut SplitSink<Socket, Message>,
        stream: &mut SplitStream<Socket>,
        welcome: &Welcome,
        updates: &mut mpsc::Receiver<CallUpdate>,
        pending: &mut Option<CallUpdate>,
    ) -> Outcome {
        if let Some(update) = pending.take() {
            if let Err(e) = send(sink, &Envelope::push(AgentMsg::CallUpdate(update.clone()))).await
            {
                *pending = Some(update);
                return Outcome::Retry(format!("the connection broke: {e}"));
            }
        }
        let heartbeat = Duration::from_secs(welcome.heartbeat_secs).max(MIN_HEARTBEAT);
        let mut ping = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        let mut next_id = HELLO_ID + 1;
        loop {
            tokio::select! {
                frame = stream.next() => {
                    last_heard = Instant::now();
                    match frame {
                        None => return Outcome::Retry("the relay closed the connection".into()),
                        Some(Err(e)) => return Outcome::Retry(format!("the connection broke: {e}")),
                        Some(Ok(Message::Close(frame))) => {
                            let why = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                            return Outcome::Retry(format!("the relay closed the connection ({why})"));
                        }
                        Some(Ok(Message::Text(text))) => {
                            if let Some(outcome) = self.on_frame(text.as_str()) {
                                return outcome;
                            }
                        }
                        Some(Ok(_)) => {}
                    }
                }
                Some(update) = updates.recv() => {
                    let frame = Envelope::push(AgentMsg::CallUpdate(update.clone()));
                    if let Err(e) = send(sink, &frame).await {
                        *pending = Some(update);
                        return Outcome::Retry(format!("the connection broke: {e}"));
                    }
                }
                _ = ping.tick() => {
                    let silent = last_heard.elapsed();
                    if silent > heartbeat * SILENT_HEARTBEATS {
                        return Outcome::Retry(format!("no word from the relay for {} s", silent.as_secs()));
                    }
                    let frame = Envelope::request(next_id, AgentMsg::Ping(Ping {}));
                    next_id += 1;
                    if let Err(e) = send(sink, &frame).await {
                        return Outcome::Retry(format!("the connection broke: {e}"));
                    }
                }
            }
        }
    }

    /// Handles one frame after `welcome`; `Some` ends the connection.
    fn on_frame(&self, text: &str) -> Option<Outcome> {
        match decode::<RelayToAgent>(text) {
            Ok(env) => match env.msg {
                RelayToAgent::DialOrder(order) => {
                    tracing::info!(call = %order.call_id, number = %order.number, "dial order");
                    self.config.desk.take(order);
                }
                RelayToAgent::Revoked(r) => return Some(Outcome::SignedOut(r.reason)),
                RelayToAgent::Error(e) => {
                    tracing::warn!(code = ?e.code, re = ?env.re, "the relay reports: {}", e.message)
                }
                RelayToAgent::Pong(_) => {}
                RelayToAgent::Welcome(_) => tracing::debug!("ignoring a second welcome"),
            },
            Err((_, e)) => tracing::warn!("unreadable frame from the relay: {}", e.message),
        }
        None
    }
}

/// Reads frames until `welcome` answers `hello`.
async fn await_welcome(stream: &mut SplitStream<Socket>) -> Result<Welcome, Outcome> {
    loop {
        let text = match stream.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                let why = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                return Err(Outcome::Retry(format!(
                    "the relay closed the connection ({why})"
                )));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(Outcome::Retry(format!("the connection broke: {e}"))),
            None => return Err(Outcome::Retry("the relay closed the connection".into())),
        };
        match decode::<RelayToAgent>(text.as_str()) {
            Ok(env) => match env.msg {
                RelayToAgent::Welcome(w) => return Ok(w),
                RelayToAgent::Revoked(r) => return Err(Outcome::SignedOut(r.reason)),
                RelayToAgent::Error(e) if env.re == Some(HELLO_ID) => {
                    return Err(Outcome::Retry(format!(
                        "the relay refused hello: {}",
                        e.message
                    )))
                }
                other => tracing::debug!(?other, "frame before welcome"),
            },
            Err((_, e)) => tracing::warn!("unreadable frame from the relay: {}", e.message),
        }
    }
}

/// The relay refused the upgrade. Only a 401 carrying the relay's own error body saying the
/// token is revoked or expired means signed out; a 401 from a proxy, a captive portal's page or
/// any other refusal is retried with backoff (the token may well be fine).
fn refusal(status: StatusCode, body: Option<&[u8]>) -> Outcome {
    let relay_said = body.and_then(|b| serde_json::from_slice::<ErrorBody>(b).ok());
    if status == StatusCode::UNAUTHORIZED {
        if let Some(e) = &relay_said {
            if matches!(e.code, ErrorCode::TokenRevoked | ErrorCode::TokenExpired) {
                return Outcome::SignedOut(e.message.clone());
            }
        }
    }
    let why = match relay_said {
        Some(e) => e.message,
        None => {
            "without the relay's error body: a proxy or a captive portal may be in the way".into()
        }
    };
    Outcome::Retry(format!(
        "the relay refused the connection (HTTP {status}) {why}"
    ))
}

async fn send(
    sink: &mut SplitSink<Socket, Message>,
    frame: &Envelope<AgentMsg>,
) -> Result<(), WsError> {
    sink.send(Message::Text(encode(frame).into())).await
}
