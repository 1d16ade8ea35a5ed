//! What makes the agent look up: the unread count in the tab's title, a short beep (WebAudio,
//! allowed once the agent has clicked), and a desktop notification while the page is not
//! focused (permission asked on a click).

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use web_sys::{AudioContext, Notification, NotificationOptions, NotificationPermission};

thread_local! {
    static AUDIO: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// "(3) Ringlink console" while three lines are unread.
pub fn title(unread: u32, base: &str) {
    if let Some(d) = document() {
        if unread > 0 {
            d.set_title(&format!("({unread}) {base}"));
        } else {
            d.set_title(base);
        }
    }
}

pub fn page_focused() -> bool {
    document().and_then(|d| d.has_focus().ok()).unwrap_or(false)
}

/// Called from a click: makes the audio context (browsers allow sound only after a gesture)
/// and asks once for desktop notifications.
pub fn unlock() {
    AUDIO.with(|a| {
        let mut a = a.borrow_mut();
        match a.as_ref() {
            Some(ctx) => {
                let _ = ctx.resume();
            }
            None => *a = AudioContext::new().ok(),
        }
    });
    if Notification::permission() == NotificationPermission::Default {
        let _ = Notification::request_permission();
    }
}

/// A 150 ms tone at 880 Hz, quiet.
pub fn beep() {
    AUDIO.with(|a| {
        let a = a.borrow();
        let Some(ctx) = a.as_ref() else { return };
        let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
            return;
        };
        osc.frequency().set_value(880.0);
        gain.gain().set_value(0.08);
        let _ = osc.connect_with_audio_node(&gain);
        let _ = gain.connect_with_audio_node(&ctx.destination());
        let at = ctx.current_time();
        let _ = osc.start();
        let _ = osc.stop_with_when(at + 0.15);
    });
}

/// A desktop notification, when the agent allowed them.
pub fn desktop(title: &str, body: &str) {
    if Notification::permission() != NotificationPermission::Granted {
        return;
    }
    let opts = NotificationOptions::new();
    opts.set_body(body);
    opts.set_tag("ringlink-console");
    if let Ok(n) = Notification::new_with_options(title, &opts) {
        let on_click = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(|| {
            if let Some(w) = web_sys::window() {
                let _ = w.focus();
            }
        });
        n.set_onclick(Some(on_click.as_ref().unchecked_ref()));
        on_click.forget();
    }
}

/// Keeps the newest line in view after the list grew.
pub fn scroll_lines() {
    let Some(w) = web_sys::window() else { return };
    let cb = wasm_bindgen::closure::Closure::once_into_js(|| {
        if let Some(el) = document().and_then(|d| d.query_selector("[data-c=lines]").ok().flatten())
        {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let _ = w.request_animation_frame(cb.unchecked_ref());
}
