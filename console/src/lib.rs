//! The Ringlink staff console: a Leptos app the relay serves at `/console` (its own origin, the
//! only one the console socket accepts). Staff sign in with the account a merchant admin issued
//! (CHAT-6), set their state (CHAT-5), and serve visitor and colleague conversations side by side
//! (CHAT-1, CHAT-3, CHAT-7, CHAT-8): history, live lines, internal notes, typing and read
//! receipts, transfers, search and left messages, with the unread count in the title, a sound and
//! a desktop notification.
//!
//! Plain logic (built and tested natively too):
//! - [`desk`]: what the console shows and how each relay frame changes it.
//! - [`i18n`], [`admin_text`]: Chinese and English strings, and the choice between them.
//! - [`chart`]: the dashboard's chart geometry (scale, bars).
//!
//! Browser side (`wasm32` only):
//! - `app`: the signals, the requests and their replies, the session token.
//! - `connection`: the WebSocket: request ids, pings, reconnects with backoff.
//! - `notify`: the title's count, the beep, desktop notifications.
//! - `sign_in`, `header`, `sidebar`, `pane`, `composer`, `tools`: the screen's parts.
//! - `admin`: for the site's admins: settings, staff, canned responses, transcripts, CALL
//!   setup and the dashboard, over the console's REST calls (`rest`).
//! - `canned_pick`: the composer's canned responses, filled for the conversation.
//! - `files`: chat attachments, uploaded and saved with the console token.
//! - `search`: the conversation search's form and hits (the desk and the transcripts page).

pub mod admin_text;
pub mod chart;
pub mod desk;
pub mod i18n;

#[cfg(target_arch = "wasm32")]
mod admin;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod canned_pick;
#[cfg(target_arch = "wasm32")]
mod composer;
#[cfg(target_arch = "wasm32")]
mod connection;
#[cfg(target_arch = "wasm32")]
mod files;
#[cfg(target_arch = "wasm32")]
mod header;
#[cfg(target_arch = "wasm32")]
mod notify;
#[cfg(target_arch = "wasm32")]
mod pane;
#[cfg(target_arch = "wasm32")]
mod rest;
#[cfg(target_arch = "wasm32")]
mod search;
#[cfg(target_arch = "wasm32")]
mod sidebar;
#[cfg(target_arch = "wasm32")]
mod sign_in;
#[cfg(target_arch = "wasm32")]
mod tools;

/// Called by the page's boot script once the wasm is loaded.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    // A panic aborts the wasm (panic = "abort"): say where in the browser's console first.
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("ringlink console: {info}").into());
    }));
    app::mount();
}
