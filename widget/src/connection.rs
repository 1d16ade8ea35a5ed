//! The WebSocket to the relay (subprotocol `ringlink.v1`): requests get ids and their replies are
//! paired back by `re`; frames typed while the socket is down wait in a short queue; a ping goes
//! every 25 s; a lost socket is reopened after a backoff with jitter, forever, except that a socket
//! the relay closed for not signing in sleeps until the visitor next asks for something.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::{set_interval, set_timeout};
use ringlink_protocol::widget::{Ping, RelayToWidget, WidgetMsg};
use ringlink_protocol::SUBPROTOCOL;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::backoff;
use crate::codec::{self, Json};
use crate::model::Asked;

/// Ping every 25 s: well inside the relay's three-heartbeat window, and through proxies that
/// drop idle connections after 30-60 s.
const PING_EVERY: Duration = Duration::from_secs(25);
/// Frames sent while the socket is down wait here (a sign-in, a dial). A person types a few;
/// more than this means something loops, and the oldest are dropped.
const MAX_QUEUED: usize = 8;
/// The relay closes a socket that has not signed in or resumed within its limit with 1008
/// (policy). Reconnecting at once would only repeat that every 30 s on every open page: such a
/// socket sleeps, and the next request (a sign-in) opens it again.
const CLOSE_NOT_SIGNED_IN: u16 = 1008;

/// What the connection tells the app.
pub enum ConnEvent {
    Open,
    /// A frame and, for a reply, which request it answers.
    Frame(Option<Asked>, RelayToWidget),
    /// The socket closed; `ever_open` is false while no connection has ever opened.
    Closed {
        ever_open: bool,
    },
}

type Sink = Rc<dyn Fn(ConnEvent)>;

struct Handlers {
    open: Closure<dyn FnMut()>,
    message: Closure<dyn FnMut(MessageEvent)>,
    close: Closure<dyn FnMut(CloseEvent)>,
}

struct Inner {
    url: String,
    ws: Option<WebSocket>,
    open: bool,
    ever_open: bool,
    /// Closed by the relay for not signing in: no reconnect until something is sent.
    asleep: bool,
    /// Failed attempts since the last open: drives the backoff.
    attempt: u32,
    next_id: u64,
    /// Requests awaiting their reply: (id, what was asked). Cleared when the socket closes.
    asked: Vec<(u64, Asked)>,
    queue: Vec<WidgetMsg>,
    sink: Sink,
    /// Made once and given to every socket, so no handler is ever dropped while it may run.
    handlers: Option<Handlers>,
}

#[derive(Clone)]
pub struct Connection(Rc<RefCell<Inner>>);

impl Connection {
    /// Opens the socket to `url` and keeps it open; every event goes to `sink`.
    pub fn start(url: String, sink: Sink) -> Connection {
        let conn = Connection(Rc::new(RefCell::new(Inner {
            url,
            ws: None,
            open: false,
            ever_open: false,
            asleep: false,
            attempt: 0,
            next_id: 1,
            asked: Vec::new(),
            queue: Vec::new(),
            sink,
            handlers: None,
        })));
        let (c1, c2, c3) = (conn.clone(), conn.clone(), conn.clone());
        conn.0.borrow_mut().handlers = Some(Handlers {
            open: Closure::new(move || c1.on_open()),
            message: Closure::new(move |ev: MessageEvent| c2.on_message(ev)),
            close: Closure::new(move |ev: CloseEvent| c3.on_close(Some(ev.code()))),
        });
        conn.connect();
        let c = conn.clone();
        set_interval(
            move || {
                if c.0.borrow().open {
                    c.send(WidgetMsg::Ping(Ping {}));
                }
            },
            PING_EVERY,
        );
        conn
    }

    fn connect(&self) {
        let made = {
            let mut inner = self.0.borrow_mut();
            match WebSocket::new_with_str(&inner.url, SUBPROTOCOL) {
                Ok(ws) => {
                    if let Some(h) = &inner.handlers {
                        ws.set_onopen(Some(h.open.as_ref().unchecked_ref()));
                        ws.set_onmessage(Some(h.message.as_ref().unchecked_ref()));
                        ws.set_onclose(Some(h.close.as_ref().unchecked_ref()));
                    }
                    inner.ws = Some(ws);
                    true
                }
                Err(_) => false,
            }
        };
        if !made {
            self.on_close(None);
        }
    }

    fn on_open(&self) {
        let queued = {
            let mut inner = self.0.borrow_mut();
            inner.open = true;
            inner.ever_open = true;
            inner.attempt = 0;
            std::mem::take(&mut inner.queue)
        };
        let sink = self.0.borrow().sink.clone();
        // The app resumes the session first; what was typed meanwhile follows.
        sink(ConnEvent::Open);
        for msg in queued {
            self.send(msg);
        }
    }

    fn on_message(&self, ev: MessageEvent) {
        let Some(text) = ev.data().as_string() else {
            return;
        };
        let frame = js_sys::JSON::parse(&text).ok();
        let Some((re, msg)) = frame.as_ref().and_then(codec::decode) else {
            web_sys::console::warn_2(&"ringlink: unreadable frame".into(), &text.into());
            return;
        };
        let (asked, sink) = {
            let mut inner = self.0.borrow_mut();
            let asked = re.and_then(|re| {
                let at = inner.asked.iter().position(|(id, _)| *id == re)?;
                Some(inner.asked.swap_remove(at).1)
            });
            (asked, inner.sink.clone())
        };
        sink(ConnEvent::Frame(asked, msg));
    }

    fn on_close(&self, code: Option<u16>) {
        let (ever_open, delay, sink) = {
            let mut inner = self.0.borrow_mut();
            inner.open = false;
            inner.ws = None;
            inner.asked.clear();
            if code == Some(CLOSE_NOT_SIGNED_IN) && inner.queue.is_empty() {
                inner.asleep = true;
                inner.attempt = 0;
                return;
            }
            let delay = backoff::delay_ms(inner.attempt, js_sys::Math::random());
            inner.attempt = inner.attempt.saturating_add(1);
            (inner.ever_open, delay, inner.sink.clone())
        };
        sink(ConnEvent::Closed { ever_open });
        let c = self.clone();
        set_timeout(move || c.connect(), Duration::from_millis(u64::from(delay)));
    }

    /// Sends a request now, or queues it until the socket opens (pings are not queued).
    pub fn send(&self, msg: WidgetMsg) {
        let mut inner = self.0.borrow_mut();
        let ws = match (&inner.ws, inner.open) {
            (Some(ws), true) => ws.clone(),
            _ => {
                if !matches!(msg, WidgetMsg::Ping(_)) {
                    if inner.queue.len() >= MAX_QUEUED {
                        inner.queue.remove(0);
                    }
                    inner.queue.push(msg);
                    if std::mem::take(&mut inner.asleep) {
                        drop(inner);
                        self.connect();
                    }
                }
                return;
            }
        };
        let id = inner.next_id;
        inner.next_id += 1;
        let asked = Asked::of(&msg);
        if asked != Asked::Ping {
            inner.asked.push((id, asked));
        }
        drop(inner);
        // A socket that is closing drops the frame; its close event follows and the model
        // sends what matters again after the resume.
        let _ = ws.send_with_str(&codec::encode(id, &msg));
    }
}

/// Frames as `JSON.parse` gives them.
impl Json for JsValue {
    fn field(&self, key: &str) -> Option<Self> {
        let v = js_sys::Reflect::get(self, &key.into()).ok()?;
        (!v.is_undefined() && !v.is_null()).then_some(v)
    }
    fn text(&self) -> Option<String> {
        self.as_string()
    }
    fn uint(&self) -> Option<u64> {
        // Whole numbers up to 2^53 are exact in a JavaScript number.
        let f = self.as_f64()?;
        (f >= 0.0 && f.fract() == 0.0 && f <= 9_007_199_254_740_991.0).then_some(f as u64)
    }
    fn int(&self) -> Option<i64> {
        let f = self.as_f64()?;
        (f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_991.0).then_some(f as i64)
    }
    fn flag(&self) -> Option<bool> {
        self.as_bool()
    }
    fn items(&self) -> Option<Vec<Self>> {
        js_sys::Array::is_array(self).then(|| js_sys::Array::from(self).iter().collect())
    }
}
