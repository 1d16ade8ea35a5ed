//! The "call me now" screen (CALL-3 to CALL-7): the offer and who pays, the callback box to
//! confirm or change, the SMS code step for a new number, the call button, the live progress
//! (a polite live region; the running clock beside it is not announced every second) and
//! "Hang up". One structure for the box steps, so typing never rebuilds the box under the caret.
//! Buttons waiting for a reply are `aria-disabled`, not `disabled`: a disabled button drops the
//! keyboard focus, and the model ignores a second press anyway.

use leptos::ev::{MouseEvent, SubmitEvent};
use leptos::html::Input;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::app::{client_id, App};
use crate::model::{same_number, Action, Asked, Model, Step};

/// `data-step` of the screen, for styling and tests.
fn step_name(step: Step) -> &'static str {
    match step {
        Step::Loading => "loading",
        Step::NoOffer => "no-offer",
        Step::Confirm => "confirm",
        Step::NeedCode => "need-code",
        Step::EnterCode => "enter-code",
        Step::Placing => "placing",
        Step::Live => "live",
    }
}

/// The CALL panel's screen (its chunk, `panel_loader`).
pub fn screen_view(app: App, m: &Model) -> AnyView {
    match screen(app, m) {
        Some(v) => v.into_any(),
        None => ().into_any(),
    }
}

fn screen(app: App, m: &Model) -> Option<impl IntoView> {
    let c = app.lang.call();
    let flow = m.call_me.as_ref()?;
    let step = flow.step();
    let busy = flow.busy;
    let stage = match step {
        Step::Placing => "placing",
        _ => flow
            .call
            .as_ref()
            .map_or("idle", |call| call.stage.as_str()),
    };
    let boxed = matches!(
        step,
        Step::Confirm | Step::NeedCode | Step::EnterCode | Step::Placing
    );
    let sending = busy == Some(Asked::SendCode);
    let checking = busy == Some(Asked::VerifyCode);
    let hanging = busy == Some(Asked::HangUp);
    let (hook, label, class) = match step {
        Step::Confirm | Step::Placing => ("call-me-now", c.call_me, "rl-primary rl-dial"),
        _ if sending => ("send-code", c.sending_code, ""),
        Step::NeedCode => ("send-code", c.send_code, "rl-primary"),
        _ => ("send-code", c.resend_code, ""),
    };
    let on_file = flow
        .offer
        .as_ref()
        .is_some_and(|o| same_number(&flow.callback, o.callback.as_str()));
    let hint = match step {
        Step::Confirm | Step::Placing if on_file => c.callback_hint,
        Step::Confirm | Step::Placing => c.verified_hint,
        _ => c.needs_code,
    };
    // The box's button: "Call me now" or "Send code", by the step at the time of the press.
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        match app.model.with_untracked(Model::call_step) {
            Some(Step::Confirm) => app.act(Action::CallMe {
                client_id: client_id(),
            }),
            Some(Step::NeedCode | Step::EnterCode) => app.act(Action::SendCode),
            _ => {}
        }
    };
    let code: NodeRef<Input> = NodeRef::new();
    let verify = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = code.get() {
            app.act(Action::VerifyCode(input.value()));
        }
    };
    // One listener for the plain buttons, by their hook: fewer closures, a smaller wasm.
    let click = move |ev: MouseEvent| {
        let hook = ev
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|e| e.closest("button").ok().flatten())
            .and_then(|b| b.get_attribute("data-rl"));
        let action = match hook.as_deref() {
            Some("hang-up") => Action::HangUp,
            Some("leave-call-me") => Action::LeaveCallMe,
            Some("call-retry") => {
                let button = app.model.with_untracked(|m| {
                    m.call_me
                        .as_ref()
                        .map(|f| f.button.clone())
                        .unwrap_or_default()
                });
                Action::CallButton(button)
            }
            _ => return,
        };
        app.act(action);
    };
    Some(view! {
        <section class="rl-callme" data-rl="call-me" data-step=step_name(step) on:click=click>
            <h3 class="rl-offer">{m.offer_heading()}</h3>
            <p class="rl-payer" data-rl="payer">{m.payer_line()}</p>
            <p class="rl-wait" hidden=step != Step::Loading>{c.loading}</p>
            <p class="rl-progress" data-rl="call-progress" data-stage=stage role="status"
                aria-live="polite">{m.progress_line()}</p>
            <p class="rl-clock" data-rl="call-clock" aria-label=c.call_time aria-live="off">
                {m.call_clock()}
            </p>
            <form class="rl-form" on:submit=submit hidden=!boxed>
                <label class="rl-field">
                    <span>{c.callback_label}</span>
                    <input data-rl="callback" type="tel" inputmode="tel" autocomplete="tel"
                        aria-describedby="rl-callback-hint" prop:value=flow.callback.clone()
                        on:input=move |ev| app.act(Action::SetCallback(event_target_value(&ev)))/>
                </label>
                <p class="rl-hint" id="rl-callback-hint">{hint}</p>
                <button type="submit" class=class data-rl=hook
                    aria-disabled=sending || step == Step::Placing>{label}</button>
            </form>
            <form class="rl-form rl-code" on:submit=verify hidden=step != Step::EnterCode>
                <label class="rl-field">
                    <span>{c.code_label}</span>
                    <input data-rl="sms-code" inputmode="numeric" autocomplete="one-time-code"
                        maxlength="12" spellcheck="false" node_ref=code/>
                </label>
                <button type="submit" class="rl-primary" data-rl="verify-code"
                    aria-disabled=checking>{if checking { c.verifying } else { c.verify }}</button>
            </form>
            <button type="button" data-rl="call-retry"
                hidden=step != Step::NoOffer || flow.button.is_empty()>{c.retry}</button>
            <button type="button" class="rl-hangup" data-rl="hang-up" hidden=step != Step::Live
                aria-disabled=hanging>{if hanging { c.hanging_up } else { c.hang_up }}</button>
            <button type="button" class="rl-link-btn" data-rl="leave-call-me"
                hidden=matches!(step, Step::Placing | Step::Live)>{c.leave}</button>
        </section>
    })
}
