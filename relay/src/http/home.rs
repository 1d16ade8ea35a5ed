//! The relay's own front page at `/`, in English and Chinese: what Ringlink is, the tag a
//! merchant pastes (with this relay's URL), and links to the console, the phone-setup help and
//! the health check.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;

use super::pages::{escape, page, PageLang};
use crate::Relay;

/// The relay's URL as browsers reach it: `public_url` when set, else `http://` and the
/// request's `Host` (only when it reads as a host name; the page escapes it anyway).
pub fn relay_url(relay: &Relay, headers: &HeaderMap) -> String {
    if let Some(url) = &relay.config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("relay.example.com");
    format!("http://{host}")
}

struct Words {
    title: &'static str,
    what: &'static str,
    dial: &'static str,
    call: &'static str,
    account: &'static str,
    embed: &'static str,
    embed_note: &'static str,
    links: &'static str,
    console: &'static str,
    console_note: &'static str,
    phone_help: &'static str,
    health: &'static str,
}

const EN: Words = Words {
    title: "Ringlink relay",
    what: "Ringlink connects a shop's web site to its visitors by phone. The shop pastes one script tag; visitors get a call bubble.",
    dial: "Call from your own phone: a member signs in on the page and clicks a number; their own handset, where the Ringlink agent runs, places the call on their own line.",
    call: "Call me now: the relay calls the member's phone, then the shop's line, and bridges them; the member, the shop or a sponsor pays.",
    account: "One Ringlink account, by mobile number, works on every shop that has the widget; the shop never sees the password.",
    embed: "Add the widget to a shop",
    embed_note: "Put this tag on every page, with the site key from ringlink-relay admin site create:",
    links: "More",
    console: "Console for shop staff",
    console_note: "live chat: agents and admins sign in here",
    phone_help: "Setting up your phone",
    health: "Health check",
};

const ZH: Words = Words {
    title: "Ringlink 中继服务",
    what: "Ringlink 让网店的网站通过电话联系访客。网店只需粘贴一个脚本标签，访客就会看到通话按钮。",
    dial: "用自己的手机拨打：会员在网页上登录并点击号码，运行 Ringlink 代理的手机会用会员自己的号码拨出。",
    call: "回拨（“现在给我打电话”）：中继先呼叫会员的手机，再呼叫网店的电话，并把两路接通；由会员、网店或赞助方付费。",
    account: "一个以手机号码注册的 Ringlink 账号可在所有装有此小工具的网店使用；网店看不到密码。",
    embed: "在网店中加入小工具",
    embed_note: "把下面的标签放到每个页面上，站点密钥来自 ringlink-relay admin site create：",
    links: "更多",
    console: "网店员工控制台",
    console_note: "在线客服：客服与管理员在此登录",
    phone_help: "设置您的手机",
    health: "健康检查",
};

pub async fn page_for(
    State(relay): State<Arc<Relay>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = PageLang::choose(query.get("lang").map(String::as_str), &headers);
    let w = match lang {
        PageLang::En => &EN,
        PageLang::Zh => &ZH,
    };
    let url = relay_url(&relay, &headers);
    let snippet =
        format!("<script src=\"{url}/widget/widget.js\" data-site=\"SITE_KEY\" async></script>");
    let code = lang.code();
    let other = lang.other();
    let body = format!(
        "<nav><a href=\"/?lang={oc}\" lang=\"{oc}\" hreflang=\"{oc}\">{on}</a></nav>\
         <h1>{title}</h1><p>{what}</p><ul><li>{dial}</li><li>{call}</li><li>{account}</li></ul>\
         <h2>{embed}</h2><p>{embed_note}</p><pre><code data-snippet>{snippet}</code></pre>\
         <h2>{links}</h2><ul>\
         <li><a href=\"/console\">{console}</a> <span class=\"note\">({console_note})</span></li>\
         <li><a href=\"/help/phone?lang={code}\">{phone_help}</a></li>\
         <li><a href=\"/healthz\">{health}</a></li></ul>",
        oc = other.code(),
        on = other.name(),
        title = escape(w.title),
        what = escape(w.what),
        dial = escape(w.dial),
        call = escape(w.call),
        account = escape(w.account),
        embed = escape(w.embed),
        embed_note = escape(w.embed_note),
        snippet = escape(&snippet),
        links = escape(w.links),
        console = escape(w.console),
        console_note = escape(w.console_note),
        phone_help = escape(w.phone_help),
        health = escape(w.health),
    );
    page(lang, w.title, &body)
}
