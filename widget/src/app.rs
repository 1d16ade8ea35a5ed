//! The mounted app: the signals the views read, the work the model asks for (frames, the session
//! token, host-page events), and the `mount` export and `Widget` handle the frame page's script
//! (`frame/frame.js`, on the relay's origin) drives for the loader on the merchant page.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Storage};

use crate::connection::{ConnEvent, Connection};
use crate::i18n::{Lang, Text};
use crate::model::{Action, ChatAction, ChatPage, Model, Out, PageNumber, Screen, Step};
use crate::panel_loader::PanelViews;
use crate::panels::Chunks;

/// Where the session token lives: this tab only, only after the visitor signed in, and in the
/// relay origin's storage (the frame's), which no script of the merchant page can read.
const TOKEN_KEY: &str = "ringlink.token";
/// Where the member's `tel:` choice on a phone lives (the relay origin's `localStorage`): a
/// preference of this browser, kept across visits; it counts only while signed in.
const TEL_CHOICE_KEY: &str = "ringlink.tel";
/// The chat's visitor id (CHAT): the relay origin's `localStorage`, so a conversation outlives
/// the page and the tab; minted only once the visitor opened the chat.
const VISITOR_KEY: &str = "ringlink.visitor";

/// A change to the model and the work it asks for, made by a panel's chunk.
type ModelChange = Box<dyn FnOnce(&mut Model) -> Vec<Out>>;

/// Everything the views need; `Copy`, so every closure takes its own. The panel's body is one
/// view of the model, patched in place on each change: one reactive effect instead of dozens
/// keeps the wasm small, and patching (not rebuilding) keeps focus and caret where they are.
#[derive(Clone, Copy)]
pub struct App {
    pub model: RwSignal<Model>,
    pub open: RwSignal<bool>,
    /// Which panels' chunks are here (`panels`, `panel_loader`).
    pub chunks: RwSignal<Chunks<PanelViews>>,
    pub lang: Lang,
}

thread_local! {
    static CONN: RefCell<Option<Connection>> = const { RefCell::new(None) };
    /// The frame script's `emit(type, detail)`: it posts to the loader, which dispatches
    /// `ringlink:<type>` on the merchant page's `window`.
    static EMIT: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
    /// The element the app is mounted in (`div.rl-app` in the frame document).
    static ROOT: RefCell<Option<Element>> = const { RefCell::new(None) };
    /// The frame script's `transcript(visitor)`: fetches the chat's transcript with the
    /// visitor id as bearer and offers it as a download.
    static TRANSCRIPT: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
    /// The mount config: its `attach` and `file` are the frame script's helpers for the
    /// chat's attachments (the fetches carry the visitor id as bearer).
    static CONFIG: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
    /// The element the panel last focused by itself (not the visitor).
    static PLACED: RefCell<Option<Element>> = const { RefCell::new(None) };
}

impl App {
    pub fn t(self) -> &'static Text {
        self.lang.text()
    }

    /// Changes the model and does the work it asks for. When the screen or the "call me" step
    /// changes under the visitor's focus (signed in, code sent, call live or over), focus moves
    /// to where they can act: the code box once a code went, "Hang up" while the call is live,
    /// else the first field if theirs went away.
    ///
    /// A sign-in refused puts focus in the password field; the offer of "call me now" arriving
    /// puts it on the first thing to do, not on × (#9 §5 focus). The loader is told when
    /// "signed in and chose the widget for `tel:` links" changes, and nothing else (#9 §3).
    pub fn act(self, action: Action) {
        if let Action::ChooseTelWidget(on) = action {
            if let Some(s) = local_storage() {
                let _ = s.set_item(TEL_CHOICE_KEY, if on { "widget" } else { "" });
            }
        }
        let at = |m: &Model| {
            (
                m.screen(),
                m.call_step(),
                m.signing_in(),
                m.takes_tel_links(),
                m.account_code_step(),
            )
        };
        let before = self.model.with_untracked(at);
        let out = self
            .model
            .try_update(|m| m.apply(action))
            .unwrap_or_default();
        run(self.model, out);
        let after = self.model.with_untracked(at);
        if after.3 != before.3 {
            emit("tel", &JsValue::from_bool(after.3));
        }
        let refused = before.2 && !after.2 && after.0 == Screen::SignIn;
        let code_step = after.4 != before.4;
        if (after.0, after.1) != (before.0, before.1) || refused || code_step {
            if !focus_in_panel() && !refused {
                return;
            }
            let to = match after.1 {
                _ if refused => Some("[data-rl=signin-password]"),
                Some(Step::EnterCode) => Some("[data-rl=sms-code]"),
                Some(Step::Live) => Some("[data-rl=hang-up]"),
                _ if after.4 == Some(true) => Some("[data-rl=account-code]"),
                _ => None,
            };
            let offered = before.1 == Some(Step::Loading);
            request_animation_frame(move || match to {
                Some(to) => focus(&[to]),
                None if offered || focus_lost() => focus_first(),
                None => {}
            });
        }
    }

    /// A change the chat chunk makes to the model (its own methods, so their code is in the
    /// chunk, not the core), and the work it asks for.
    pub fn act_with(self, f: impl FnOnce(&mut Model) -> Vec<Out> + 'static) {
        self.act_boxed(Box::new(f));
    }

    /// One copy of the update for every chat change (not one per closure).
    fn act_boxed(self, f: ModelChange) {
        let out = self.model.try_update(f).unwrap_or_default();
        run(self.model, out);
    }

    /// The visitor uses the panel again (opens it, picks a number or a call button, presses
    /// "Try again"): a panel whose chunk failed to load is fetched again when it next shows.
    pub fn use_again(self) {
        if self.chunks.with_untracked(Chunks::failed) {
            self.chunks.update(|c| {
                c.retry();
            });
        }
    }

    /// Opens or closes the panel, tells the host page, and on opening moves focus into it.
    pub fn set_open(self, open: bool) {
        if open {
            self.use_again();
        }
        if self.open.get_untracked() == open {
            return;
        }
        // Told before the panel leaves the DOM, so the loader can see focus was inside it and
        // give it back to the bubble.
        emit(if open { "open" } else { "close" }, &JsValue::NULL);
        // Only a chat in use changes with the panel; else nothing is drawn again.
        if self.model.with_untracked(|m| m.chat.is_some()) {
            self.act(Action::Chat(ChatAction::PanelOpen(open)));
        } else {
            self.model.update_untracked(|m| m.panel_open = open);
        }
        self.open.set(open);
        if open {
            request_animation_frame(focus_first);
        }
    }
}

/// Does the work the model asked for (one copy, however many closures call `act`). The host
/// page hears only of calls started here (`Model::started_here`).
fn run(model: RwSignal<Model>, out: Vec<Out>) {
    let here = |id: &str| model.with_untracked(|m| m.started_here(id));
    for o in out {
        match o {
            Out::Send(msg) => CONN.with(|c| {
                if let Some(c) = c.borrow().as_ref() {
                    c.send(msg)
                }
            }),
            Out::SaveToken(token) => {
                if let Some(s) = storage() {
                    let _ = s.set_item(TOKEN_KEY, &token);
                }
            }
            Out::ForgetToken => {
                if let Some(s) = storage() {
                    let _ = s.remove_item(TOKEN_KEY);
                }
            }
            Out::CallState(call) if here(&call.call_id) => {
                let detail = js_sys::Object::new();
                let set = |k: &str, v: JsValue| {
                    let _ = js_sys::Reflect::set(&detail, &k.into(), &v);
                };
                set("callId", call.call_id.into());
                set("number", call.number.into());
                set("state", call.state.as_str().into());
                set("detail", call.detail.map_or(JsValue::NULL, Into::into));
                emit("call-state", &detail);
            }
            Out::CallProgress(call) if here(&call.call_id) => {
                let detail = js_sys::Object::new();
                let set = |k: &str, v: JsValue| {
                    let _ = js_sys::Reflect::set(&detail, &k.into(), &v);
                };
                let num = |n: Option<f64>| n.map_or(JsValue::NULL, JsValue::from_f64);
                set("callId", call.call_id.into());
                set("label", call.label.into());
                set("stage", call.stage.as_str().into());
                set("seconds", JsValue::from_f64(call.seconds as f64));
                set("cost", num(call.cost.map(|c| c as f64)));
                set("currency", call.currency.into());
                set("endsIn", num(call.ends_in.map(|s| s as f64)));
                set(
                    "reason",
                    call.reason.map_or(JsValue::NULL, |r| r.as_str().into()),
                );
                emit("call-progress", &detail);
            }
            Out::CallState(_) | Out::CallProgress(_) => {}
            Out::SaveVisitor(v) => {
                if let Some(s) = local_storage() {
                    let _ = s.set_item(VISITOR_KEY, &v);
                }
            }
            Out::Unread(n) => emit("unread", &JsValue::from_f64(n as f64)),
            Out::Offered => focus_after_load(),
        }
    }
}

/// Calls the frame script's helper `name` (in the mount config) with `args`, if it has one.
pub fn frame_call(name: &str, args: &js_sys::Array) {
    CONFIG.with(|c| {
        let f = js_sys::Reflect::get(&c.borrow(), &name.into());
        if let Ok(f) = f.and_then(|f| f.dyn_into::<js_sys::Function>()) {
            let _ = f.apply(&JsValue::NULL, args);
        }
    });
}

/// Downloads the chat's transcript (the frame script does the fetch and the blob URL).
pub fn download_transcript(visitor: &str) {
    TRANSCRIPT.with(|t| {
        if let Some(f) = t.borrow().as_ref() {
            let _ = f.call1(&JsValue::NULL, &visitor.into());
        }
    });
}

fn emit(kind: &str, detail: &JsValue) {
    EMIT.with(|e| {
        if let Some(f) = e.borrow().as_ref() {
            let _ = f.call2(&JsValue::NULL, &kind.into(), detail);
        }
    });
}

/// The focused element of the frame document, when it is inside the app.
fn active_in_app() -> Option<Element> {
    let active = web_sys::window()?.document()?.active_element()?;
    ROOT.with(|r| {
        let root = r.borrow();
        let inside = root
            .as_ref()
            .is_some_and(|root| root.contains(Some(&active)));
        inside.then_some(active)
    })
}

/// Focus is on something inside the panel.
fn focus_in_panel() -> bool {
    active_in_app().is_some()
}

/// Focus left the panel's visible parts: on nothing, or on an element now `hidden`.
fn focus_lost() -> bool {
    match active_in_app() {
        Some(el) => el.closest("[hidden]").ok().flatten().is_some(),
        None => true,
    }
}

fn storage() -> Option<Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn local_storage() -> Option<Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The frame shows on a phone: the loader's full-screen sheet (`data-full`, a narrow screen)
/// or a touch screen.
pub fn on_phone() -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    let full = w
        .document()
        .and_then(|d| d.document_element())
        .is_some_and(|e| e.has_attribute("data-full"));
    let coarse = w
        .match_media("(pointer: coarse)")
        .ok()
        .flatten()
        .is_some_and(|q| q.matches());
    full || coarse
}

/// Focus goes to the "call me now" offer when a phone is missing, else the panel's first
/// visible field, else its first visible button or link in the body, and only then to ×:
/// keyboard and screen-reader users land where they can act.
fn focus_first() {
    focus(&[
        "[data-rl=offer-call-me]",
        // Nobody can answer the chat: its offer (call me back, leave a message) comes first.
        "[data-rl=chat-offer] button, [data-rl=chat-offer] input",
        "[data-rl=chat-input]",
        ".rl-body form input",
        ".rl-body button, .rl-body a[href], .rl-body input",
        "[data-rl=panel] button",
    ]);
}

/// A panel's chunk arrived (or failed), or a part the relay decides (the chat's offer) came.
/// When focus was stranded (on ×, where nothing else was to focus, or on the frame's body
/// because "Loading…" went away) or is still where the panel put it, while the visitor is in
/// the frame, it moves where opening the panel would put it now.
pub fn focus_after_load() {
    request_animation_frame(|| {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if !doc.has_focus().unwrap_or(false) {
            return;
        }
        // Where opening the panel put focus is provisional: the part that just arrived may
        // hold the better first field (the call sheet's number box after its picked link).
        let stranded = match active_in_app() {
            Some(el) => {
                el.class_name() == "rl-x"
                    || el.closest("[hidden]").ok().flatten().is_some()
                    || PLACED.with(|p| p.borrow().as_ref() == Some(&el))
            }
            None => true,
        };
        if stranded {
            focus_first();
        }
    });
}

/// Focuses the first element, not inside a `hidden` part, that the first matching selector
/// finds in the panel.
fn focus(selectors: &[&str]) {
    ROOT.with(|r| {
        let Some(root) = r.borrow().clone() else {
            return;
        };
        let visible = |sel: &&str| {
            let all = root.query_selector_all(sel).ok()?;
            (0..all.length())
                .filter_map(|i| all.item(i)?.dyn_into::<Element>().ok())
                .find(|e| e.closest("[hidden]").ok().flatten().is_none())
        };
        let first = selectors.iter().find_map(visible);
        if let Some(el) = first.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
            PLACED.with(|p| *p.borrow_mut() = Some(el.into()));
        }
    });
}

fn prop(obj: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(obj, &key.into()).ok()?.as_string()
}

/// `[{number, label}]` from the loader, without blanks or repeats.
fn page_numbers(list: &JsValue) -> Vec<PageNumber> {
    let mut out: Vec<PageNumber> = Vec::new();
    let Some(list) = list.dyn_ref::<js_sys::Array>() else {
        return out;
    };
    for item in list.iter() {
        let number = prop(&item, "number").unwrap_or_default().trim().to_owned();
        if number.is_empty() || out.iter().any(|p| p.number == number) {
            continue;
        }
        let label = prop(&item, "label").unwrap_or_default().trim().to_owned();
        let button = prop(&item, "button").unwrap_or_default().trim().to_owned();
        out.push(PageNumber {
            number,
            label,
            button,
        });
    }
    out
}

/// Mounts the app into `root` (the frame document's body), in a `div.rl-app` it adds.
/// `config`: `ws` (the relay's widget WebSocket URL, with `?site=`), `lang` (`zh`, `en` or
/// empty), `numbers` (`[{number, label}]` marked on the page), `emit(type, detail)`.
#[wasm_bindgen]
pub fn mount(root: Element, config: JsValue) -> Result<Widget, JsValue> {
    let url =
        prop(&config, "ws").ok_or("ringlink: config.ws (the relay WebSocket URL) is missing")?;
    let navigator = web_sys::window().and_then(|w| w.navigator().language());
    let lang = Lang::choose(prop(&config, "lang").as_deref(), navigator.as_deref());
    let emit_fn = js_sys::Reflect::get(&config, &"emit".into())?;
    EMIT.with(|e| *e.borrow_mut() = emit_fn.dyn_into().ok());
    let transcript = js_sys::Reflect::get(&config, &"transcript".into())?;
    TRANSCRIPT.with(|t| *t.borrow_mut() = transcript.dyn_into().ok());
    CONFIG.with(|c| *c.borrow_mut() = config.clone());
    let numbers = page_numbers(&js_sys::Reflect::get(&config, &"numbers".into())?);

    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("ringlink: no document")?;
    // The frame document speaks the panel's language (the relay renders it `lang="en"`).
    if let Some(html) = document.document_element() {
        html.set_attribute("lang", lang.code())?;
    }
    let holder: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
    holder.set_class_name("rl-app");
    root.append_child(&holder)?;
    ROOT.with(|r| *r.borrow_mut() = Some(holder.clone().into()));

    // Reading the kept token is the first touch of storage: the visitor has reached for the
    // bubble by now.
    let token = storage().and_then(|s| s.get_item(TOKEN_KEY).ok().flatten());
    let made: Rc<RefCell<Option<App>>> = Rc::default();
    let out = made.clone();
    let mut model = Model::new(lang, token);
    model.page_numbers = numbers;
    let tel = local_storage().and_then(|s| s.get_item(TEL_CHOICE_KEY).ok().flatten());
    model.tel_widget = tel.as_deref() == Some("widget");
    model.kept_visitor = local_storage().and_then(|s| s.get_item(VISITOR_KEY).ok().flatten());
    model.chat_page = ChatPage {
        page: prop(&config, "page").filter(|p| !p.is_empty()),
        referrer: prop(&config, "referrer").filter(|p| !p.is_empty()),
        lang: navigator.clone(),
    };
    leptos::mount::mount_to(holder, move || {
        let app = App {
            model: RwSignal::new(model),
            open: RwSignal::new(false),
            chunks: RwSignal::new(Chunks::default()),
            lang,
        };
        *out.borrow_mut() = Some(app);
        crate::panel::panel(app)
    })
    .forget();
    let app = made.borrow_mut().take().ok_or("ringlink: mount failed")?;

    let sink = Rc::new(move |ev: ConnEvent| {
        app.act(match ev {
            ConnEvent::Open => Action::Connected,
            ConnEvent::Frame(asked, msg) => Action::Frame(asked, msg),
            ConnEvent::Closed { ever_open } => Action::Disconnected { ever_open },
        })
    });
    let conn = Connection::start(url, sink);
    CONN.with(|c| *c.borrow_mut() = Some(conn));
    // A connected two-leg call's clock moves on each second between the relay's pushes.
    set_interval(
        move || {
            if app.model.with_untracked(Model::ticking) {
                app.act(Action::Tick);
            }
        },
        std::time::Duration::from_secs(1),
    );
    Ok(Widget { app })
}

/// The handle `mount` returns; the frame script calls it for the loader's messages.
#[wasm_bindgen]
pub struct Widget {
    app: App,
}

#[wasm_bindgen]
impl Widget {
    pub fn open(&self) {
        self.app.set_open(true);
    }

    pub fn close(&self) {
        self.app.set_open(false);
    }

    pub fn toggle(&self) {
        self.app.set_open(!self.app.open.get_untracked());
    }

    /// Opens the panel with `number` in the number box (a click-to-dial number on the page);
    /// `button` is the merchant's "call me now" button for it, if any.
    pub fn dial(&self, number: String, button: Option<String>) {
        self.app.use_again();
        self.app.act(Action::Fill {
            number,
            button: button.unwrap_or_default(),
        });
        self.app.set_open(true);
    }

    /// Opens the panel in "call me" mode for the merchant's button `button`
    /// (`data-ringlink-call="sales"`): the relay calls the member, then the number behind it.
    pub fn call(&self, button: String) {
        self.app.use_again();
        self.app.act(Action::CallButton(button.trim().to_owned()));
        self.app.set_open(true);
    }

    /// Opens the panel on the chat tab (`ringlink('chat')`, `data-ringlink-chat`); the first
    /// time, the relay mints the visitor's id.
    pub fn chat(&self) {
        self.app.use_again();
        self.app.act(Action::Chat(ChatAction::Tab(true)));
        self.app.set_open(true);
    }

    /// An agent invited this page view to chat (CHAT-9, from the loader's watcher): the panel
    /// opens on the chat, which redeems `code` and shows the agent's line.
    pub fn invite(&self, code: String) {
        self.app.use_again();
        self.app.act(Action::Chat(ChatAction::Invite(code)));
        self.app.set_open(true);
    }

    /// Replaces the page's marked numbers (`[{number, label}]`), shown as quick-dial buttons.
    #[wasm_bindgen(js_name = setNumbers)]
    pub fn set_numbers(&self, list: JsValue) {
        self.app.act(Action::SetPageNumbers(page_numbers(&list)));
    }

    #[wasm_bindgen(js_name = isOpen)]
    pub fn is_open(&self) -> bool {
        self.app.open.get_untracked()
    }
}

/// A fresh id for one dial or call, so a retry after a reconnect is recognised and never dials twice.
pub fn client_id() -> String {
    let now = js_sys::Date::now() as u64;
    let random = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    format!("w{now:x}{random:08x}")
}
