//! The split points: one fallible lazy function per panel, whose body (and every view only it
//! reaches) `wasm-split-cli` moves into that panel's chunk, `split_<name>.wasm`. The first
//! call fetches the chunk; a failed fetch comes back as `Err` (never a panic, which with
//! `panic = "abort"` would kill the app) and is not remembered, so the next call fetches again.
//! The body shows a panel's views once they are here, "Loading…" before, and the failure with
//! "Try again" after a failed fetch ([`crate::panels`] keeps which).
//!
//! With the `unsplit` feature (trunk's development build) the same functions are plain async
//! functions and everything is in one module.
//!
//! Adding a panel: a variant in `panels::Panel`, a `lazy_panel!` line below returning its
//! views, a line in [`fetch`], and its name in the `chunks` table of scripts/build-widget.sh.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos::wasm_split::SplitLoaderError;

use crate::app::App;
use crate::model::Model;
use crate::panels::{Load, Panel};

/// One part of a panel, drawn from the model like the rest of the body.
pub type Part = fn(App, &Model) -> AnyView;

/// What a panel's chunk gives the core: its views, by where they go in the body.
#[derive(Clone, Copy, Debug)]
pub struct PanelViews {
    /// The panel's screen, in the body's main place.
    pub screen: Part,
    /// At the top of the body, under the status lines (the DIAL call's state).
    pub top: Part,
    /// Under the alert region (the page's numbers beside the dialer).
    pub bottom: Part,
}

fn nothing(_: App, _: &Model) -> AnyView {
    ().into_any()
}

/// A split point: `fn $name()` returns the panel's views, its body lives in chunk `$name`.
macro_rules! lazy_panel {
    ($(#[$doc:meta])* $name:ident => $views:expr) => {
        $(#[$doc])*
        #[cfg(not(feature = "unsplit"))]
        #[leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible)]
        fn $name() -> Result<PanelViews, SplitLoaderError> {
            Ok($views)
        }
        $(#[$doc])*
        #[cfg(feature = "unsplit")]
        async fn $name() -> Result<PanelViews, SplitLoaderError> {
            Ok($views)
        }
    };
}

lazy_panel!(
    /// DIAL: the dialer and keypad or "no phone" with pairing, the call's line, the page's numbers.
    dial => PanelViews {
        screen: crate::dialer::screen,
        top: crate::call_status::top,
        bottom: crate::dialer::bottom,
    }
);

lazy_panel!(
    /// CALL: "call me now" and the two-leg call.
    call_me => PanelViews {
        screen: crate::call_me::screen_view,
        top: nothing,
        bottom: nothing,
    }
);

lazy_panel!(
    /// CHAT: the visitor's chat, its offer when nobody is free, the rating and the transcript.
    chat => PanelViews {
        screen: crate::chat_view::screen,
        top: nothing,
        bottom: nothing,
    }
);

/// Fetches `p`'s chunk (at once when it is already here) and returns its views.
async fn fetch(p: Panel) -> Result<PanelViews, SplitLoaderError> {
    match p {
        Panel::Dial => dial().await,
        Panel::CallMe => call_me().await,
        Panel::Chat => chat().await,
    }
}

/// `p`'s views when its chunk is here; otherwise starts fetching it (once) and returns `None`.
/// Tracks the load state, so the body is drawn again when the chunk arrives or fails.
pub fn views(app: App, p: Panel) -> Option<PanelViews> {
    match app.chunks.with(|c| c.get(p).clone()) {
        Load::Ready(v) => Some(v),
        Load::NotYet => {
            if app.chunks.try_update_untracked(|c| c.begin(p)) == Some(true) {
                spawn_local(async move {
                    let got = fetch(p).await;
                    if got.is_err() {
                        leptos::logging::warn!("ringlink: the {} panel did not load", p.chunk());
                    }
                    app.chunks.update(|c| c.finish(p, got.ok()));
                    crate::app::focus_after_load();
                });
            }
            None
        }
        Load::Loading | Load::Failed => None,
    }
}

/// What the body shows in a panel's place until its views are here: "Loading…", or that the
/// fetch failed, with "Try again" (the next use fetches it again).
pub fn placeholder(app: App, p: Panel) -> AnyView {
    let t = app.t();
    if !app.chunks.with(|c| matches!(c.get(p), Load::Failed)) {
        return view! { <p class="rl-wait" data-rl="panel-loading">{t.panel_loading}</p> }
            .into_any();
    }
    view! {
        <div class="rl-failed" data-rl="panel-failed" data-panel=p.chunk()>
            <p>{t.panel_failed}</p>
            <button type="button" class="rl-primary" data-rl="panel-retry"
                on:click=move |_| app.use_again()>{t.panel_retry}</button>
        </div>
    }
    .into_any()
}
