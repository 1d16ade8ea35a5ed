//! The "call me now" screen (CALL-3 to CALL-7): the offer and who pays, the callback box to
//! confirm or change, the SMS code step for a new number, the call button, the live progress
//! (a polite live region; the running clock beside it is not announced every second) and
//! "Hang up". One structure for the box steps, so typing never rebuilds the box under the caret.
//! Buttons waiting for a reply are `aria-disabled`, not `disabled`: a disabled button drops the
//! keyboard focus, and the model ignores a second press anyway.

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;

use crate::app::{client_id, App};
use crate::model::{same_number, stage_name, Action, Asked, Model, Step};

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

pub fn screen(app: App, m: &Model) -> Option<impl IntoView> {
    let c = app.lang.call();
    let flow = m.call_me.as_ref()?;
    let step = flow.step();
    let busy = flow.busy;
    let boxed = matches!(
        step,
        Step::Confirm | Step::NeedCode | Step::EnterCode | Step::Placing
    );
    let stage = match step {
        Step::Placing => "placing",
        _ => flow
            .call
            .as_ref()
            .map_or("idle", |call| stage_name(call.stage)),
    };
    let button = flow.button.clone();
    let retry = (step == Step::NoOffer && !button.is_empty()).then(|| {
        view! {
            <button type="button" data-rl="call-retry"
                on:click=move |_| app.act(Action::CallButton(button.clone()))>{c.retry}</button>
        }
    });
    let hang_up = (step == Step::Live).then(|| {
        let hanging = busy == Some(Asked::HangUp);
        view! {
            <button type="button" class="rl-hangup" data-rl="hang-up" aria-disabled=hanging
                on:click=move |_| app.act(Action::HangUp)>
                {if hanging { c.hanging_up } else { c.hang_up }}
            </button>
        }
    });
    let leave = (!matches!(step, Step::Placing | Step::Live)).then(|| {
        view! {
            <button type="button" class="rl-link-btn" data-rl="leave-call-me"
                on:click=move |_| app.act(Action::LeaveCallMe)>{c.leave}</button>
        }
    });
    Some(view! {
        <section class="rl-callme" data-rl="call-me" data-step=step_name(step)>
            <h3 class="rl-offer">{m.offer_heading()}</h3>
            <p class="rl-payer" data-rl="payer">{m.payer_line()}</p>
            {(step == Step::Loading).then(|| view! { <p class="rl-wait">{c.loading}</p> })}
            {retry}
            <p class="rl-progress" data-rl="call-progress" data-stage=stage role="status"
                aria-live="polite">{m.progress_line()}</p>
            <p class="rl-clock" data-rl="call-clock" aria-label=c.call_time aria-live="off">
                {m.call_clock()}
            </p>
            {boxed.then(|| callback_form(app, m, step))}
            {(step == Step::EnterCode).then(|| code_form(app, busy == Some(Asked::VerifyCode)))}
            {hang_up}
            {leave}
        </section>
    })
}

/// The callback box (CALL-3) and its one button: "Call me now" for a verified number, "Send
/// code" for a new one, "Send a new code" once one went.
fn callback_form(app: App, m: &Model, step: Step) -> impl IntoView {
    let c = app.lang.call();
    let flow = m.call_me.as_ref();
    let callback = flow.map(|f| f.callback.clone()).unwrap_or_default();
    let sending = flow.is_some_and(|f| f.busy == Some(Asked::SendCode));
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
    let (hook, label, class) = match step {
        Step::Confirm | Step::Placing => ("call-me-now", c.call_me, "rl-primary rl-dial"),
        _ if sending => ("send-code", c.sending_code, ""),
        Step::NeedCode => ("send-code", c.send_code, "rl-primary"),
        _ => ("send-code", c.resend_code, ""),
    };
    let waiting = sending || step == Step::Placing;
    let on_file = flow
        .and_then(|f| f.offer.as_ref())
        .is_some_and(|o| same_number(&callback, o.callback.as_str()));
    let hint = match step {
        Step::Confirm | Step::Placing if on_file => c.callback_hint,
        Step::Confirm | Step::Placing => c.verified_hint,
        _ => c.needs_code,
    };
    view! {
        <form class="rl-form" on:submit=submit>
            <label class="rl-field">
                <span>{c.callback_label}</span>
                <input data-rl="callback" type="tel" inputmode="tel" autocomplete="tel"
                    aria-describedby="rl-callback-hint" prop:value=callback
                    on:input=move |ev| app.act(Action::SetCallback(event_target_value(&ev)))/>
            </label>
            <p class="rl-hint" id="rl-callback-hint">{hint}</p>
            <button type="submit" class=class data-rl=hook aria-disabled=waiting>{label}</button>
        </form>
    }
}

/// The code from the SMS, for the number it went to.
fn code_form(app: App, checking: bool) -> impl IntoView {
    let c = app.lang.call();
    let code: NodeRef<Input> = NodeRef::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = code.get() {
            app.act(Action::VerifyCode(input.value()));
        }
    };
    view! {
        <form class="rl-form rl-code" on:submit=submit>
            <label class="rl-field">
                <span>{c.code_label}</span>
                <input data-rl="sms-code" inputmode="numeric" autocomplete="one-time-code"
                    maxlength="12" spellcheck="false" node_ref=code/>
            </label>
            <button type="submit" class="rl-primary" data-rl="verify-code" aria-disabled=checking>
                {if checking { c.verifying } else { c.verify }}
            </button>
        </form>
    }
}
