//! Who may open the widget socket (#8 §1): only the relay's own frame, so the socket's `Origin`
//! is the relay's origin; the merchant page the frame sits on comes as `&parent=ORIGIN` and must
//! be on the site's allow-list. A page elsewhere can no longer open the socket in a browser, and
//! the frame page's `frame-ancestors` makes the browser enforce the same list.

use axum::http::{header, HeaderMap};
use ringlink_protocol::{ErrorBody, ErrorCode};

use crate::store::sites::Site;
use crate::Relay;

/// The origins the relay's own pages have: the configured public URL's, else the request's
/// `Host` over either scheme (a TLS-terminating proxy in front makes it `https`). A page can only
/// have this origin when the relay itself serves it.
pub fn relay_origins(relay: &Relay, headers: &HeaderMap) -> Vec<String> {
    if let Some(url) = relay.config.public_url.as_deref() {
        return vec![origin_of(url)];
    }
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => vec![format!("http://{host}"), format!("https://{host}")],
        None => Vec::new(),
    }
}

/// `https://relay.example` from `https://relay.example/some/path/`.
fn origin_of(url: &str) -> String {
    let url = url.trim();
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    url[..end].to_ascii_lowercase()
}

/// Checks the socket's `Origin` (the relay's own frame) and its `parent` (the merchant page,
/// on the site's allow-list).
pub fn check(
    relay: &Relay,
    headers: &HeaderMap,
    parent: Option<&str>,
    site: &Site,
) -> Result<(), ErrorBody> {
    let refuse = |m: String| Err(ErrorBody::new(ErrorCode::OriginNotAllowed, m));
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return refuse("no Origin header: the widget connects from the relay's frame page".into());
    };
    let own = relay_origins(relay, headers);
    if !own.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
        tracing::warn!(site = %site.key, %origin, "widget socket refused: not the relay's own frame");
        return refuse(format!(
            "origin {origin} may not open the widget socket: it opens only from the relay's own frame \
             ({}/widget/frame?site={}), which widget.js creates; load widget.js from the relay instead",
            own.first().map_or("the relay", String::as_str),
            site.key
        ));
    }
    let Some(parent) = parent.filter(|p| !p.is_empty()) else {
        return refuse(
            "add &parent=PAGE_ORIGIN to the WebSocket URL (the frame does this for the page it is on)"
                .into(),
        );
    };
    if !site.origins.iter().any(|o| o == parent) {
        tracing::warn!(site = %site.key, %parent, "widget refused: page origin not allowed");
        return refuse(format!(
            "origin {parent} is not allowed for site '{}'; the merchant can add it with: ringlink-relay admin site add-origin {} {parent}",
            site.key, site.key
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn the_public_urls_origin_drops_the_path() {
        assert_eq!(origin_of("https://Relay.example/"), "https://relay.example");
        assert_eq!(
            origin_of("https://relay.example:8443/rl/"),
            "https://relay.example:8443"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
