//! The console's REST calls to the relay (`/v1/console/...`): one fetch helper that sends this
//! tab's console token as the bearer and hands back the body, or the relay's own message.

use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

fn failed(e: JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Sends `method path` with an optional JSON body; `Ok(body text)` on a 2xx, else the
/// relay's error message (its `ErrorBody.message`, or the raw text).
pub async fn call(method: &str, path: &str, body: Option<String>) -> Result<String, String> {
    let token = crate::app::token().ok_or("signed out: sign in again")?;
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(b) = &body {
        init.set_body(&JsValue::from_str(b));
    }
    let req = Request::new_with_str_and_init(path, &init).map_err(failed)?;
    let h = req.headers();
    if body.is_some() {
        h.set("content-type", "application/json").map_err(failed)?;
    }
    h.set("authorization", &format!("Bearer {token}"))
        .map_err(failed)?;
    let window = web_sys::window().ok_or("no window")?;
    let res: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(failed)?
        .dyn_into()
        .map_err(failed)?;
    let text = JsFuture::from(res.text().map_err(failed)?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    if res.ok() {
        return Ok(text);
    }
    Err(serde_json::from_str::<ringlink_protocol::ErrorBody>(&text)
        .map(|e| e.message)
        .unwrap_or(text))
}

/// `GET path`, decoded.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let text = call("GET", path, None).await?;
    serde_json::from_str(&text).map_err(|e| format!("the relay's answer did not read: {e}"))
}

/// Offers `text` as a file download named `name` (a blob URL clicked by a hidden link).
pub fn download(name: &str, text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/plain;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = doc.create_element("a") {
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", name);
        if let Some(a) = a.dyn_ref::<web_sys::HtmlElement>() {
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
