//! The site's admin pages (#11 "Admin" and "Dashboard"), shown only to staff whose role is
//! admin (the relay refuses everyone else's calls with 403 in any case): a tab bar beside the
//! desk, and one page per tab, each over the console's REST calls ([`crate::rest`]).
//!
//! - `settings`: routing settings and the chat's "call me back" button.
//! - `staff`: the site's staff accounts: issue, edit, remove.
//! - `canned`: canned responses with their variables.
//! - `transcripts`: search stored conversations, open and download a transcript.
//! - `calls`: the site's CALL setup: buttons, balance and ledger, call records.
//! - `dashboard`: the charts (geometry in [`crate::chart`]).

mod calls;
mod canned;
mod dashboard;
mod settings;
mod staff;
mod transcripts;

use leptos::prelude::*;
use ringlink_protocol::console::StaffRole;

use crate::app::App;

pub use canned::Canned;

/// What the main area shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Desk,
    Settings,
    Staff,
    Canned,
    Transcripts,
    Calls,
    Dashboard,
}

impl Tab {
    const ALL: [Tab; 7] = [
        Tab::Desk,
        Tab::Settings,
        Tab::Staff,
        Tab::Canned,
        Tab::Transcripts,
        Tab::Calls,
        Tab::Dashboard,
    ];

    fn hook(self) -> &'static str {
        match self {
            Tab::Desk => "tab-desk",
            Tab::Settings => "tab-settings",
            Tab::Staff => "tab-staff",
            Tab::Canned => "tab-canned",
            Tab::Transcripts => "tab-transcripts",
            Tab::Calls => "tab-calls",
            Tab::Dashboard => "tab-dashboard",
        }
    }

    fn name(self, app: App) -> &'static str {
        let a = app.lang.get().admin();
        match self {
            Tab::Desk => a.tab_desk,
            Tab::Settings => a.tab_settings,
            Tab::Staff => a.tab_staff,
            Tab::Canned => a.tab_canned,
            Tab::Transcripts => a.tab_transcripts,
            Tab::Calls => a.tab_calls,
            Tab::Dashboard => a.tab_dashboard,
        }
    }
}

/// Whether the signed-in staff member is one of the site's admins.
pub fn is_admin(app: App) -> bool {
    app.desk.with(|d| d.me.as_ref().map(|m| m.role)) == Some(StaffRole::Admin)
}

/// The tab bar, for admins only.
pub fn tabs(app: App, tab: RwSignal<Tab>) -> impl IntoView {
    let admin = Memo::new(move |_| is_admin(app));
    move || {
        admin.get().then(|| {
            view! {
                <nav class="c-tabs" data-c="admin-tabs" role="tablist">
                    {Tab::ALL.into_iter().map(|t| view! {
                        <button type="button" role="tab" data-c=t.hook()
                            aria-selected=move || (tab.get() == t).to_string()
                            class:c-on=move || tab.get() == t
                            on:click=move |_| tab.set(t)>{move || t.name(app)}</button>
                    }).collect_view()}
                </nav>
            }
        })
    }
}

/// The page of the chosen tab (nothing on the desk's). It is drawn again only when the tab or
/// the role changes, through a memo: read straight from the desk, every pushed line or
/// presence change redrew the page and wiped what the admin was typing and the last result.
pub fn page(app: App, tab: RwSignal<Tab>) -> impl IntoView {
    let admin = Memo::new(move |_| is_admin(app));
    move || {
        if !admin.get() {
            return ().into_any();
        }
        let body = match tab.get() {
            Tab::Desk => return ().into_any(),
            Tab::Settings => settings::page(app).into_any(),
            Tab::Staff => staff::page(app).into_any(),
            Tab::Canned => canned::page(app).into_any(),
            Tab::Transcripts => transcripts::page(app).into_any(),
            Tab::Calls => calls::page(app).into_any(),
            Tab::Dashboard => dashboard::page(app).into_any(),
        };
        view! { <section class="c-admin-page" data-c="admin-page">{body}</section> }.into_any()
    }
}

/// A load's outcome as a page shows it: waiting, the relay's message, or the view.
pub fn loaded<T: Clone + Send + Sync + 'static, V: IntoView + 'static>(
    app: App,
    data: RwSignal<Option<Result<T, String>>>,
    show: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView {
    move || match data.get() {
        None => view! { <p class="c-muted">{app.lang.get().admin().loading}</p> }.into_any(),
        Some(Err(e)) => {
            view! { <p class="c-error" role="alert" data-c="admin-error">{e}</p> }.into_any()
        }
        Some(Ok(v)) => show(v).into_any(),
    }
}

/// Loads `path` into `data` (again on each call).
pub fn load<T: serde::de::DeserializeOwned + Send + Sync + 'static>(
    path: String,
    data: RwSignal<Option<Result<T, String>>>,
) {
    leptos::task::spawn_local(async move {
        data.set(Some(crate::rest::get::<T>(&path).await));
    });
}
