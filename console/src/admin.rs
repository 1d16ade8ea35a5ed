//! For the site's admins (CHAT-6): issuing a staff account (account, display name, password,
//! role) with the console's REST call `POST /v1/console/staff`, the bearer being this tab's
//! console token. The new colleague then shows in everyone's list by the relay's push.

use leptos::ev::SubmitEvent;
use leptos::html::{Input, Select};
use leptos::prelude::*;
use ringlink_protocol::console::StaffRole;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

use crate::app::App;

/// Posts `body` (JSON) to `path` with the console token; `Ok` on a 2xx, else the relay's
/// message.
async fn post(path: &str, body: &str) -> Result<(), String> {
    let failed = |e: JsValue| e.as_string().unwrap_or_else(|| format!("{e:?}"));
    let token = crate::app::token().ok_or("signed out")?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    let req = Request::new_with_str_and_init(path, &init).map_err(failed)?;
    let h = req.headers();
    h.set("content-type", "application/json").map_err(failed)?;
    h.set("authorization", &format!("Bearer {token}"))
        .map_err(failed)?;
    let window = web_sys::window().ok_or("no window")?;
    let res: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    if res.ok() {
        return Ok(());
    }
    let text = JsFuture::from(res.text().map_err(failed)?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    let msg = serde_json::from_str::<ringlink_protocol::ErrorBody>(&text)
        .map(|e| e.message)
        .unwrap_or(text);
    Err(msg)
}

pub fn panel(app: App) -> impl IntoView {
    let t = app.t();
    let admin = move || app.desk.with(|d| d.me.as_ref().map(|m| m.role)) == Some(StaffRole::Admin);
    let (account, name, password): (NodeRef<Input>, NodeRef<Input>, NodeRef<Input>) =
        (NodeRef::new(), NodeRef::new(), NodeRef::new());
    let role: NodeRef<Select> = NodeRef::new();
    let result = RwSignal::new(None::<Result<(), String>>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (Some(a), Some(n), Some(p), Some(r)) =
            (account.get(), name.get(), password.get(), role.get())
        else {
            return;
        };
        let body = serde_json::json!({
            "account": a.value().trim(),
            "name": n.value().trim(),
            "password": p.value(),
            "role": r.value(),
        })
        .to_string();
        leptos::task::spawn_local(async move {
            let done = post("/v1/console/staff", &body).await;
            if done.is_ok() {
                a.set_value("");
                n.set_value("");
                p.set_value("");
            }
            result.set(Some(done));
        });
    };
    move || {
        admin().then(|| {
            view! {
                <form class="c-admin" data-c="add-staff" on:submit=submit>
                    <h2>{t.add_staff}</h2>
                    <label class="c-field"><span>{t.account}</span>
                        <input data-c="staff-account" autocomplete="off" node_ref=account/></label>
                    <label class="c-field"><span>{t.staff_name}</span>
                        <input data-c="staff-name" autocomplete="off" node_ref=name/></label>
                    <label class="c-field"><span>{t.password}</span>
                        <input data-c="staff-password" type="password" autocomplete="new-password"
                            node_ref=password/></label>
                    <label class="c-field"><span>{t.role}</span>
                        <select data-c="staff-role" node_ref=role>
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
        })
    }
}
