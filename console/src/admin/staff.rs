//! The site's staff accounts (CHAT-6): the list (`GET /v1/console/staff`), issuing one
//! (`POST`), editing its name, number, role and SMS-when-offline choice or password (`PUT
//! /v1/console/staff/{id}`), and removing it (`DELETE`: its sessions end at once). Colleagues
//! see the change by the relay's push.

use leptos::ev::SubmitEvent;
use leptos::html::{Input, Select};
use leptos::prelude::*;
use ringlink_protocol::console::{StaffRole, StaffView};

use crate::app::App;

type List = RwSignal<Option<Result<Vec<StaffView>, String>>>;

fn reload(list: List) {
    super::load("/v1/console/staff".into(), list);
}

pub fn page(app: App) -> impl IntoView {
    let a = app.lang.get_untracked().admin();
    let t = app.t();
    let list: List = RwSignal::new(None);
    reload(list);
    let editing = RwSignal::new(None::<i64>);
    let result = RwSignal::new(None::<Result<(), String>>);
    let rows = move |staff: Vec<StaffView>| {
        view! {
            <table class="c-table" data-c="staff-list">
                <thead><tr><th>{t.account}</th><th>{t.staff_name}</th><th>{a.number}</th>
                    <th>{t.role}</th><th>{a.state}</th><th></th></tr></thead>
                <tbody>
                {staff.into_iter().map(|s| {
                    let id = s.id;
                    let row = s.clone();
                    view! {
                        <tr data-c="staff-row" data-account=s.account.clone()>
                            <td>{s.account.clone()}</td><td data-c="staff-row-name">{s.name.clone()}</td>
                            <td>{s.number.clone().unwrap_or_default()}</td>
                            <td>{match s.role { StaffRole::Admin => t.admin, StaffRole::Agent => t.agent }}</td>
                            <td>{t.state(s.state)}</td>
                            <td>
                                <button type="button" data-c="staff-edit" on:click=move |_| editing.set(Some(id))>{a.edit}</button>
                                <button type="button" data-c="staff-remove" on:click=move |_| {
                                    leptos::task::spawn_local(async move {
                                        let done = crate::rest::call("DELETE", &format!("/v1/console/staff/{id}"), None).await;
                                        result.set(Some(done.map(|_| ())));
                                        reload(list);
                                    });
                                }>{a.remove}</button>
                            </td>
                        </tr>
                        {move || (editing.get() == Some(id)).then(|| edit_row(app, row.clone(), editing, result, list))}
                    }
                }).collect_view()}
                </tbody>
            </table>
        }
    };
    view! {
        <h2>{a.tab_staff}</h2>
        {super::loaded(app, list, rows)}
        {move || result.get().map(|r| match r {
            Ok(()) => view! { <p class="c-info" role="status" data-c="staff-saved">{a.saved}</p> }.into_any(),
            Err(e) => view! { <p class="c-error" role="alert" data-c="staff-edit-error">{e}</p> }.into_any(),
        })}
        {issue(app, list)}
    }
}

/// The fields both forms share: display name, number, password and role.
#[derive(Clone, Copy)]
struct Fields {
    name: NodeRef<Input>,
    number: NodeRef<Input>,
    password: NodeRef<Input>,
    role: NodeRef<Select>,
}

impl Fields {
    fn new() -> Self {
        Self {
            name: NodeRef::new(),
            number: NodeRef::new(),
            password: NodeRef::new(),
            role: NodeRef::new(),
        }
    }

    /// The request body for `account`: the name and role as given, the number unless blank
    /// (left out: unchanged), the password when typed or when `password_required` (a new
    /// account: the relay says what a password needs).
    fn body(&self, account: &str, password_required: bool) -> Option<serde_json::Value> {
        let (n, num, p, r) = (
            self.name.get()?,
            self.number.get()?,
            self.password.get()?,
            self.role.get()?,
        );
        let mut body = serde_json::json!({
            "account": account,
            "name": n.value().trim(),
            "role": r.value(),
        });
        let number = num.value().trim().to_owned();
        if !number.is_empty() {
            body["number"] = number.into();
        }
        if password_required || !p.value().is_empty() {
            body["password"] = p.value().into();
        }
        Some(body)
    }

    fn clear(&self) {
        for f in [self.name, self.number, self.password] {
            if let Some(f) = f.get() {
                f.set_value("");
            }
        }
    }
}

/// Sends a staff request; on success runs `saved` and reloads the list; `result` says how it
/// went either way.
fn send(
    method: &'static str,
    path: String,
    body: serde_json::Value,
    list: List,
    result: RwSignal<Option<Result<(), String>>>,
    saved: impl FnOnce() + 'static,
) {
    let body = body.to_string();
    leptos::task::spawn_local(async move {
        let done = crate::rest::call(method, &path, Some(body)).await;
        if done.is_ok() {
            saved();
            reload(list);
        }
        result.set(Some(done.map(|_| ())));
    });
}

/// One account's edit form, in a row of its own under it.
fn edit_row(
    app: App,
    s: StaffView,
    editing: RwSignal<Option<i64>>,
    result: RwSignal<Option<Result<(), String>>>,
    list: List,
) -> impl IntoView {
    let a = app.lang.get_untracked().admin();
    let t = app.t();
    let f = Fields::new();
    let sms: NodeRef<Input> = NodeRef::new();
    let (id, account) = (s.id, s.account.clone());
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (Some(mut body), Some(sm)) = (f.body(&account, false), sms.get()) else {
            return;
        };
        body["sms_offline"] = sm.checked().into();
        let path = format!("/v1/console/staff/{id}");
        send("PUT", path, body, list, result, move || editing.set(None));
    };
    let admin = s.role == StaffRole::Admin;
    view! {
        <tr><td colspan="6">
            <form class="c-admin c-edit" data-c="staff-edit-form" on:submit=submit>
                <label class="c-field"><span>{t.staff_name}</span>
                    <input data-c="edit-name" value=s.name.clone() node_ref=f.name/></label>
                <label class="c-field"><span>{a.number}</span>
                    <input data-c="edit-number" type="tel" value=s.number.clone().unwrap_or_default() node_ref=f.number/></label>
                <label class="c-field"><span>{t.role}</span>
                    <select data-c="edit-role" node_ref=f.role>
                        <option value="agent" selected={!admin}>{t.agent}</option>
                        <option value="admin" selected=admin>{t.admin}</option>
                    </select></label>
                <label class="c-inline"><input type="checkbox" data-c="edit-sms"
                    checked=s.sms_offline node_ref=sms/>
                    <span>{a.sms_offline}</span></label>
                <label class="c-field"><span>{a.new_password}</span>
                    <input data-c="edit-password" type="password" autocomplete="new-password" node_ref=f.password/></label>
                <button type="submit" class="c-primary" data-c="edit-save">{a.save}</button>
                <button type="button" on:click=move |_| editing.set(None)>{a.cancel}</button>
            </form>
        </td></tr>
    }
}

/// Issuing a new account: account, display name, number, password, role.
fn issue(app: App, list: List) -> impl IntoView {
    let t = app.t();
    let a = app.lang.get_untracked().admin();
    let account: NodeRef<Input> = NodeRef::new();
    let f = Fields::new();
    let result = RwSignal::new(None::<Result<(), String>>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(ac) = account.get() else { return };
        let Some(body) = f.body(ac.value().trim(), true) else {
            return;
        };
        send(
            "POST",
            "/v1/console/staff".into(),
            body,
            list,
            result,
            move || {
                ac.set_value("");
                f.clear();
            },
        );
    };
    view! {
        <form class="c-admin" data-c="add-staff" on:submit=submit>
            <h2>{t.add_staff}</h2>
            <label class="c-field"><span>{t.account}</span>
                <input data-c="staff-account" autocomplete="off" node_ref=account/></label>
            <label class="c-field"><span>{t.staff_name}</span>
                <input data-c="staff-name" autocomplete="off" node_ref=f.name/></label>
            <label class="c-field"><span>{a.number}</span>
                <input data-c="staff-number" type="tel" autocomplete="off" node_ref=f.number/></label>
            <label class="c-field"><span>{t.password}</span>
                <input data-c="staff-password" type="password" autocomplete="new-password"
                    node_ref=f.password/></label>
            <label class="c-field"><span>{t.role}</span>
                <select data-c="staff-role" node_ref=f.role>
                    <option value="agent">{t.agent}</option>
                    <option value="admin">{t.admin}</option>
                </select></label>
            <button type="submit" class="c-primary" data-c="staff-add">{t.add_staff}</button>
            {move || result.get().map(|r| match r {
                Ok(()) => view! { <p class="c-info" role="status" data-c="staff-added">{t.staff_added}</p> }.into_any(),
                Err(e) => view! { <p class="c-error" role="alert" data-c="staff-error">{e}</p> }.into_any(),
            })}
        </form>
    }
}
