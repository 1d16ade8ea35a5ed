//! Chat files in the console (CHAT): "Attach" uploads a file with the console token (`POST
//! /v1/chat/attachments`), whose id then goes with a line; a line's file is a button that
//! fetches it with the token and saves it. A plain link could not carry the bearer, and the
//! relay serves a file only to the conversation's parties.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// The files a chat line may carry, as the relay checks them by content.
pub const ACCEPT: &str = "image/png,image/jpeg,image/gif,image/webp,application/pdf";

fn failed(e: JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// `method path` with the console token; the response when it is a 2xx, else the relay's words.
async fn call(method: &str, path: &str, body: Option<&JsValue>) -> Result<Response, String> {
    let token = crate::app::token().ok_or("signed out")?;
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(b) = body {
        init.set_body(b);
    }
    let req = Request::new_with_str_and_init(path, &init).map_err(failed)?;
    req.headers()
        .set("authorization", &format!("Bearer {token}"))
        .map_err(failed)?;
    let window = web_sys::window().ok_or("no window")?;
    let res: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    if res.ok() {
        return Ok(res);
    }
    let text = JsFuture::from(res.text().map_err(failed)?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    Err(serde_json::from_str::<ringlink_protocol::ErrorBody>(&text)
        .map(|e| e.message)
        .unwrap_or(text))
}

/// Uploads `file`; its attachment id, or why the relay refused it (type, size).
pub async fn upload(file: web_sys::File) -> Result<String, String> {
    let name = String::from(js_sys::encode_uri_component(&file.name()));
    let path = format!("/v1/chat/attachments?name={name}");
    let res = call("POST", &path, Some(&file.into())).await?;
    let text = JsFuture::from(res.text().map_err(failed)?)
        .await
        .map_err(failed)?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("id")?.as_str().map(str::to_owned))
        .ok_or_else(|| format!("the relay's answer had no file id: {text}"))
}

/// Fetches attachment `id` and saves it as `name`.
pub fn save(id: String, name: String) {
    leptos::task::spawn_local(async move {
        let id = String::from(js_sys::encode_uri_component(&id));
        let path = format!("/v1/chat/attachments/{id}");
        let saved = async {
            let res = call("GET", &path, None).await?;
            let blob: web_sys::Blob = JsFuture::from(res.blob().map_err(failed)?)
                .await
                .map_err(failed)?
                .unchecked_into();
            let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
            let doc = web_sys::window()
                .and_then(|w| w.document())
                .ok_or("no document")?;
            let a: web_sys::HtmlAnchorElement =
                doc.create_element("a").map_err(failed)?.unchecked_into();
            a.set_href(&url);
            a.set_download(&name);
            a.click();
            let revoke = move || {
                let _ = web_sys::Url::revoke_object_url(&url);
            };
            leptos::prelude::set_timeout(revoke, std::time::Duration::from_secs(60));
            Ok::<(), String>(())
        };
        if let Err(e) = saved.await {
            web_sys::console::error_1(
                &format!("ringlink: {name} could not be fetched: {e}").into(),
            );
        }
    });
}
