//! The mounted console: the signals the views read, the requests the agent's clicks send and
//! what their replies and the relay's pushes change, the session token (this tab's
//! `sessionStorage`, resumed after a reconnect with the last line seen), and the notices.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use ringlink_protocol::console::*;
use ringlink_protocol::secret::Secret;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Storage;

use crate::connection::{ConnEvent, Connection};
use crate::desk::{Asked, Desk, Notice};
use crate::i18n::{Lang, Text};
use crate::notify;

/// This tab's staff session token; a new tab signs in again.
const TOKEN_KEY: &str = "ringlink.console.token";
/// The agent's language choice, kept for this browser.
const LANG_KEY: &str = "ringlink.console.lang";

#[derive(Clone, Copy)]
pub struct App {
    pub desk: RwSignal<Desk>,
    pub lang: RwSignal<Lang>,
    /// The socket is open.
    pub online: RwSignal<bool>,
    /// Unix milliseconds, every second (offers' countdowns).
    pub now: RwSignal<i64>,
    pub signing_in: RwSignal<bool>,
    /// The site key from `?site=`.
    pub site: RwSignal<String>,
    /// A short confirmation (a transfer was offered).
    pub info: RwSignal<Option<&'static str>>,
}

/// How long a "typing" notice shows without a fresh one.
const TYPING_FORGOTTEN: Duration = Duration::from_secs(8);

thread_local! {
    static CONN: RefCell<Option<Connection>> = const { RefCell::new(None) };
    /// Typing notices received, so only the latest one's timer clears the indicator.
    static TYPING_NOTICES: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn session() -> Option<Storage> {
    web_sys::window()?.session_storage().ok()?
}

pub fn token() -> Option<String> {
    session()?
        .get_item(TOKEN_KEY)
        .ok()?
        .filter(|t| !t.is_empty())
}

fn socket_url() -> String {
    let loc = web_sys::window().map(|w| w.location());
    let host = loc.as_ref().and_then(|l| l.host().ok()).unwrap_or_default();
    let secure = loc.and_then(|l| l.protocol().ok()).as_deref() == Some("https:");
    format!(
        "{}://{host}/v1/console/ws",
        if secure { "wss" } else { "ws" }
    )
}

fn query(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

fn first_lang() -> Lang {
    let stored = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(LANG_KEY).ok().flatten());
    let tag = stored.or_else(|| web_sys::window().and_then(|w| w.navigator().language()));
    Lang::from_tag(&tag.unwrap_or_default())
}

impl App {
    pub fn t(self) -> &'static Text {
        self.lang.get_untracked().text()
    }

    pub fn toggle_lang(self) {
        let next = self.lang.get_untracked().other();
        if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = s.set_item(LANG_KEY, next.code());
        }
        self.lang.set(next);
    }

    pub fn send(self, msg: ConsoleMsg, asked: Asked) {
        CONN.with(|c| {
            if let Some(c) = c.borrow().as_ref() {
                c.send(msg, asked);
            }
        });
    }

    pub fn sign_in(self, site: String, account: String, password: String) {
        // A click: the moment the browser lets the page make sound and ask for notifications.
        notify::unlock();
        self.signing_in.set(true);
        self.desk.update(|d| d.error = None);
        self.send(
            ConsoleMsg::StaffSignIn(StaffSignIn {
                site: site.trim().to_owned(),
                account: account.trim().to_owned(),
                password: Secret::new(password),
            }),
            Asked::SignIn,
        );
    }

    pub fn sign_out(self) {
        if let Some(s) = session() {
            let _ = s.remove_item(TOKEN_KEY);
        }
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    }

    pub fn set_state(self, state: AgentState) {
        self.send(ConsoleMsg::SetState(SetState { state }), Asked::SetState);
    }

    /// Opens a conversation: its history is fetched and what is in view is read.
    pub fn select(self, id: String) {
        notify::unlock();
        self.desk.update(|d| d.selected = Some(id.clone()));
        self.send(
            ConsoleMsg::GetHistory(GetHistory {
                conversation: id.clone(),
                before: None,
            }),
            Asked::History {
                conversation: id.clone(),
            },
        );
        self.read_in_view();
    }

    /// Sends the read receipt for the conversation on screen, while the page has focus.
    pub fn read_in_view(self) {
        if !notify::page_focused() {
            return;
        }
        let Some(id) = self.desk.with_untracked(|d| d.selected.clone()) else {
            return;
        };
        if let Some(upto) = self.desk.try_update(|d| d.mark_read(&id)).flatten() {
            self.send(
                ConsoleMsg::StaffRead(StaffRead {
                    conversation: id,
                    upto,
                }),
                Asked::Other,
            );
        }
    }

    fn on_event(self, ev: ConnEvent) {
        match ev {
            ConnEvent::Open => {
                self.online.set(true);
                if let Some(token) = token() {
                    let since = self.desk.with_untracked(|d| d.last_seq);
                    self.send(
                        ConsoleMsg::StaffResume(StaffResume {
                            token: Secret::new(token),
                            since,
                        }),
                        Asked::Resume,
                    );
                }
            }
            ConnEvent::Closed => self.online.set(false),
            ConnEvent::Frame(asked, msg) => self.on_frame(asked, *msg),
        }
    }

    fn on_frame(self, asked: Option<Asked>, msg: RelayToConsole) {
        if let RelayToConsole::StaffSignedIn(s) = &msg {
            if let Some(st) = session() {
                let _ = st.set_item(TOKEN_KEY, s.token.expose());
            }
        }
        if matches!(asked, Some(Asked::SignIn | Asked::Resume)) {
            self.signing_in.set(false);
        }
        if matches!(asked, Some(Asked::Resume)) && matches!(msg, RelayToConsole::Error(_)) {
            if let Some(st) = session() {
                let _ = st.remove_item(TOKEN_KEY);
            }
        }
        if matches!(
            (&asked, &msg),
            (Some(Asked::Transfer), RelayToConsole::ChatAck(_))
        ) {
            self.info.set(Some(self.t().transfer_sent));
        }
        let before = self.desk.with_untracked(|d| d.selected.clone());
        let focused = notify::page_focused();
        let sel = before.clone();
        let visible = move |c: &str| focused && sel.as_deref() == Some(c);
        if let RelayToConsole::Typing(n) = &msg {
            if n.typing {
                self.forget_typing_later(n.conversation.clone());
            }
        }
        let opened = matches!(msg, RelayToConsole::Opened(_));
        let new_line = matches!(msg, RelayToConsole::Line(_) | RelayToConsole::History(_));
        let notices = self
            .desk
            .try_update(|d| match &asked {
                Some(a) => d.reply(a, msg, visible),
                None => d.apply(msg, visible),
            })
            .unwrap_or_default();
        for n in notices {
            self.notice(n, focused, before.as_deref());
        }
        if opened {
            if let Some(id) = self.desk.with_untracked(|d| d.selected.clone()) {
                self.select(id);
            }
        } else if new_line {
            self.read_in_view();
            notify::scroll_lines();
        }
    }

    /// A "typing" whose "stopped" never came (a closed tab) is forgotten after a while; a
    /// newer notice restarts the wait.
    fn forget_typing_later(self, conversation: String) {
        let n = TYPING_NOTICES.with(|c| {
            c.set(c.get().wrapping_add(1));
            c.get()
        });
        set_timeout(
            move || {
                if TYPING_NOTICES.with(|c| c.get()) == n {
                    self.desk.update(|d| d.stop_typing(&conversation));
                }
            },
            TYPING_FORGOTTEN,
        );
    }

    fn notice(self, n: Notice, focused: bool, selected: Option<&str>) {
        let t = self.t();
        let (title, body, conv) = match n {
            Notice::Line {
                conversation,
                who,
                text,
            } => {
                let who = if who.is_empty() {
                    t.visitor.to_owned()
                } else {
                    who
                };
                (who, text, Some(conversation))
            }
            Notice::NewVisitor { conversation } => {
                (t.new_visitor.to_owned(), String::new(), Some(conversation))
            }
            Notice::Offer { from } => (t.new_offer.to_owned(), from, None),
            Notice::LeftMessage { name } => (t.left_messages.to_owned(), name, None),
        };
        if !focused || conv.as_deref() != selected {
            notify::beep();
        }
        if !focused {
            notify::desktop(&title, &body);
        }
    }
}

/// Mounts the console in the page's body and opens the socket.
pub fn mount() {
    let app = App {
        desk: RwSignal::new(Desk::default()),
        lang: RwSignal::new(first_lang()),
        online: RwSignal::new(false),
        now: RwSignal::new(js_sys::Date::now() as i64),
        signing_in: RwSignal::new(false),
        site: RwSignal::new(query("site").unwrap_or_default()),
        info: RwSignal::new(None),
    };
    let conn = Connection::start(socket_url(), Rc::new(move |ev| app.on_event(ev)));
    CONN.with(|c| *c.borrow_mut() = Some(conn));
    set_interval(
        move || app.now.set(js_sys::Date::now() as i64),
        Duration::from_secs(1),
    );
    if let Some(w) = web_sys::window() {
        let on_focus = Closure::<dyn FnMut()>::new(move || app.read_in_view());
        let _ = w.add_event_listener_with_callback("focus", on_focus.as_ref().unchecked_ref());
        on_focus.forget();
    }
    leptos::mount::mount_to_body(move || {
        // Effects need the executor that mounting starts.
        Effect::new(move |_| {
            let n = app.desk.with(|d| d.unread_total());
            notify::title(n, app.lang.get().text().title);
        });
        root(app)
    });
}

fn root(app: App) -> impl IntoView {
    let signed = Memo::new(move |_| app.desk.with(|d| d.signed_in()));
    // A token in this tab: the resume is on its way; no form flashes meanwhile.
    let resuming = Memo::new(move |_| app.desk.with(|d| !d.signed_out) && token().is_some());
    move || {
        let lang = app.lang.get();
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if let Some(html) = doc.document_element() {
                let _ = html.set_attribute("lang", lang.code());
            }
        }
        if signed.get() {
            use crate::admin::Tab;
            let tab = RwSignal::new(Tab::Desk);
            view! {
                <div class="c-app" data-c="desk">
                    {crate::header::bar(app)}
                    {crate::admin::tabs(app, tab)}
                    // Hidden, not dropped, while an admin page shows: a half-typed reply stays.
                    <div class="c-columns" data-c="desk-columns"
                        style:display=move || if tab.get() == Tab::Desk { "" } else { "none" }>
                        {crate::sidebar::column(app)}
                        {crate::pane::main(app)}
                        <div class="c-right">
                            {crate::tools::column(app)}
                        </div>
                    </div>
                    {crate::admin::page(app, tab)}
                </div>
            }
            .into_any()
        } else if resuming.get() {
            let t = app.t();
            view! {
                <p class="c-wait" data-c="resuming">{t.signing_in}</p>
                {move || (!app.online.get()).then(|| view! {
                    <p class="c-wait c-muted" data-c="offline-note">{t.reconnecting}</p>
                })}
            }
            .into_any()
        } else {
            crate::sign_in::form(app).into_any()
        }
    }
}
