//! Sign-up and "forgot password" (#9 §2): the links under the sign-in form, the two steps of
//! getting a code by SMS and using it, the note saying what a Ringlink account is, and the
//! signed-in account's line near "Sign out".

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;
use ringlink_protocol::account::CodePurpose;

use crate::app::App;
use crate::model::written_number::written;
use crate::model::{AccountFlow, Action, Asked};

/// Under the sign-in form: what the account is, "Create account" and "Forgot password?".
pub fn links(app: App) -> impl IntoView {
    let a = app.lang.account();
    view! {
        <p class="rl-note" data-rl="account-note">{a.what_it_is}</p>
        <p class="rl-links">
            <button type="button" class="rl-link-btn" data-rl="create-account"
                on:click=move |_| app.act(Action::StartAccount(CodePurpose::SignUp))>
                {a.create_account}</button>
            " · "
            <button type="button" class="rl-link-btn" data-rl="forgot-password"
                on:click=move |_| app.act(Action::StartAccount(CodePurpose::Reset))>
                {a.forgot_password}</button>
        </p>
    }
}

/// The account screen for the flow's step.
pub fn screen(app: App, flow: &AccountFlow) -> impl IntoView {
    let a = app.lang.account();
    let (title, intro) = match flow.purpose {
        CodePurpose::SignUp => (a.sign_up_title, a.sign_up_intro),
        CodePurpose::Reset => (a.reset_title, a.reset_intro),
    };
    let step = if flow.code_sent.is_some() {
        code_step(app, flow).into_any()
    } else {
        number_step(app, flow).into_any()
    };
    view! {
        <div class="rl-account" data-rl="account" data-purpose=flow.purpose.as_str()>
            <h3 class="rl-sub">{title}</h3>
            <p class="rl-intro">{intro}</p>
            {step}
            <p class="rl-note">{a.what_it_is}</p>
            <button type="button" class="rl-link-btn" data-rl="back-to-sign-in"
                on:click=move |_| app.act(Action::LeaveAccount)>{a.back_to_sign_in}</button>
        </div>
    }
}

fn number_step(app: App, flow: &AccountFlow) -> impl IntoView {
    let t = app.t();
    let a = app.lang.account();
    let number: NodeRef<Input> = NodeRef::new();
    let busy = flow.busy == Some(Asked::AskAccountCode);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(n) = number.get() {
            app.act(Action::AskAccountCode(n.value()));
        }
    };
    view! {
        <form class="rl-form" on:submit=submit>
            <label class="rl-field">
                <span>{t.number_label}</span>
                <input data-rl="account-number" type="tel" inputmode="tel" autocomplete="username"
                    prop:value=flow.number.clone() node_ref=number/>
            </label>
            <button type="submit" class="rl-primary" data-rl="account-send-code" disabled=busy>
                {if busy { a.sending_code } else { a.send_code }}
            </button>
        </form>
    }
}

fn code_step(app: App, flow: &AccountFlow) -> impl IntoView {
    let a = app.lang.account();
    let code: NodeRef<Input> = NodeRef::new();
    let password: NodeRef<Input> = NodeRef::new();
    let name: NodeRef<Input> = NodeRef::new();
    let sign_up = flow.purpose == CodePurpose::SignUp;
    let busy = matches!(flow.busy, Some(Asked::SignUp | Asked::ResetPassword));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let value = |r: NodeRef<Input>| r.get().map(|i| i.value()).unwrap_or_default();
        app.act(Action::FinishAccount {
            code: value(code),
            password: value(password),
            name: value(name),
        });
    };
    let name_field = sign_up.then(|| {
        view! {
            <label class="rl-field">
                <span>{a.name_label}</span>
                <input data-rl="account-name" type="text" autocomplete="name" maxlength="64"
                    node_ref=name/>
            </label>
        }
    });
    let (label, note) = if sign_up {
        (a.create_submit, None)
    } else {
        (
            a.reset_submit,
            Some(view! { <p class="rl-note">{a.reset_signs_out}</p> }),
        )
    };
    view! {
        <form class="rl-form" on:submit=submit>
            <label class="rl-field">
                <span>{a.code_label}</span>
                <input data-rl="account-code" type="text" inputmode="numeric"
                    autocomplete="one-time-code" maxlength="12" node_ref=code/>
            </label>
            <label class="rl-field">
                <span>{a.new_password_label}</span>
                <input data-rl="account-password" type="password" autocomplete="new-password"
                    node_ref=password/>
            </label>
            {name_field}
            {note}
            <button type="submit" class="rl-primary" data-rl="account-submit" disabled=busy>
                {if busy { a.working } else { label }}
            </button>
        </form>
        <button type="button" class="rl-link-btn" data-rl="account-other-number"
            on:click=move |_| app.act(Action::AccountOtherNumber)>{a.other_number}</button>
    }
}

/// "Ringlink account 138 0013 8000": which account is signed in, near "Sign out".
pub fn account_line(app: App, member: &str) -> impl IntoView {
    let a = app.lang.account();
    view! {
        <span data-rl="account-number-shown">
            {a.account_label} " " <b>{written(member)}</b>
        </span>
    }
}
