//! The console's WebSocket (`/v1/console/ws`, subprotocol `ringlink.v1`): requests get ids and
//! their replies are paired back by `re` with what was asked; frames sent while the socket is
//! down wait in a short queue; a ping every 25 s; a lost socket is reopened after a backoff
//! (1 s doubling to 30 s, with jitter), forever.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::{set_interval, set_timeout};
use ringlink_protocol::console::{ConsoleMsg, RelayToConsole};
use ringlink_protocol::widget::Ping;
use ringlink_protocol::{Envelope, SUBPROTOCOL};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::desk::Asked;

const PING_EVERY: Duration = Duration::from_secs(25);
/// A person sends a few lines while the network is down; more means something loops.
const MAX_QUEUED: usize = 32;

pub enum ConnEvent {
    Open,
    /// A frame and, for a reply, what it answers.
    Frame(Option<Asked>, Box<RelayToConsole>),
    Closed,
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
    attempt: u32,
    next_id: u64,
    asked: Vec<(u64, Asked)>,
    queue: Vec<(ConsoleMsg, Asked)>,
    sink: Sink,
    handlers: Option<Handlers>,
}

#[derive(Clone)]
pub struct Connection(Rc<RefCell<Inner>>);

/// The delay before reconnect attempt `attempt`: between half and all of 1 s × 2^attempt,
/// at most 30 s.
fn backoff_ms(attempt: u32) -> u32 {
    let ceiling = 1_000u32.saturating_mul(1 << attempt.min(5)).min(30_000);
    let half = f64::from(ceiling) / 2.0;
    (half + half * js_sys::Math::random()) as u32
}

impl Connection {
    pub fn start(url: String, sink: Sink) -> Connection {
        let conn = Connection(Rc::new(RefCell::new(Inner {
            url,
            ws: None,
            open: false,
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
            close: Closure::new(move |_: CloseEvent| c3.on_close()),
        });
        conn.connect();
        let c = conn.clone();
        set_interval(
            move || {
                if c.is_open() {
                    c.send(ConsoleMsg::Ping(Ping {}), Asked::Other);
                }
            },
            PING_EVERY,
        );
        conn
    }

    pub fn is_open(&self) -> bool {
        self.0.borrow().open
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
            self.on_close();
        }
    }

    fn on_open(&self) {
        let (queued, sink) = {
            let mut inner = self.0.borrow_mut();
            inner.open = true;
            inner.attempt = 0;
            (std::mem::take(&mut inner.queue), inner.sink.clone())
        };
        // The app resumes the session first; what was typed meanwhile follows.
        sink(ConnEvent::Open);
        for (msg, asked) in queued {
            self.send(msg, asked);
        }
    }

    fn on_message(&self, ev: MessageEvent) {
        let Some(text) = ev.data().as_string() else {
            return;
        };
        let env: Envelope<RelayToConsole> = match serde_json::from_str(&text) {
            Ok(env) => env,
            Err(e) => {
                web_sys::console::warn_1(
                    &format!("ringlink console: unreadable frame: {e}").into(),
                );
                return;
            }
        };
        let (asked, sink) = {
            let mut inner = self.0.borrow_mut();
            let asked = env.re.and_then(|re| {
                let at = inner.asked.iter().position(|(id, _)| *id == re)?;
                Some(inner.asked.swap_remove(at).1)
            });
            (asked, inner.sink.clone())
        };
        sink(ConnEvent::Frame(asked, Box::new(env.msg)));
    }

    fn on_close(&self) {
        let (delay, sink) = {
            let mut inner = self.0.borrow_mut();
            inner.open = false;
            inner.ws = None;
            inner.asked.clear();
            let delay = backoff_ms(inner.attempt);
            inner.attempt = inner.attempt.saturating_add(1);
            (delay, inner.sink.clone())
        };
        sink(ConnEvent::Closed);
        let c = self.clone();
        set_timeout(move || c.connect(), Duration::from_millis(u64::from(delay)));
    }

    /// Sends a request now, or queues it until the socket opens (pings are not queued).
    pub fn send(&self, msg: ConsoleMsg, asked: Asked) {
        let mut inner = self.0.borrow_mut();
        let ws = match (&inner.ws, inner.open) {
            (Some(ws), true) => ws.clone(),
            _ => {
                if !matches!(msg, ConsoleMsg::Ping(_)) {
                    if inner.queue.len() >= MAX_QUEUED {
                        inner.queue.remove(0);
                    }
                    inner.queue.push((msg, asked));
                }
                return;
            }
        };
        let id = inner.next_id;
        inner.next_id += 1;
        inner.asked.push((id, asked));
        drop(inner);
        let _ = ws.send_with_str(&ringlink_protocol::encode(&Envelope::request(id, msg)));
    }
}
