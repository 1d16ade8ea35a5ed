//! No phone connected (DIAL-3, #9 §4): "call me now" when the merchant has a button for the
//! picked number (or a default one), what setting up the phone takes, in words, with a link to
//! the relay's help page (the commands live there), and the pairing box.

use leptos::prelude::*;

use crate::app::App;
use crate::model::{Action, Model};
use crate::pairing;

/// The relay's phone set-up page, on the origin the frame runs on.
const HELP_PAGE: &str = "/help/phone?lang=";

pub fn screen(app: App, m: &Model) -> impl IntoView {
    let p = app.lang.phone();
    let offer = m.call_me_offer().map(|button| {
        let button = button.to_owned();
        view! {
            <div class="rl-offer-call" data-rl="no-phone-call-me">
                <p>{p.call_me_offer}</p>
                <button type="button" class="rl-primary" data-rl="offer-call-me"
                    on:click=move |_| app.act(Action::CallButton(button.clone()))>
                    {app.lang.call().call_me}
                </button>
            </div>
        }
    });
    let help = format!("{HELP_PAGE}{}", p.help_lang);
    view! {
        {offer}
        <p class="rl-setup" data-rl="phone-setup">{p.setup} " "
            <a data-rl="phone-help" href=help target="_blank" rel="noopener">{p.setup_link}</a>
        </p>
        {pairing::form(app)}
    }
}
