//! The chat visitor's own HTTP calls, with the visitor id from `chat_opened` as bearer:
//! `GET /v1/chat/transcript` (their latest conversation as text, without internal notes) and
//! `GET /v1/chat/unread` (`{"unread": n}`, the lines of their open conversation they have not
//! read, for the bubble on a page where the app is not loaded: the loader's badge frame).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ringlink_protocol::{ErrorBody, ErrorCode};

use super::api::ApiError;
use super::console_api::text_file;
use crate::accounts::hash_token;
use crate::chat::store::site::VisitorRow;
use crate::chat::{self, desk_admin};
use crate::Relay;

/// The visitor the bearer names; 401 with what to send otherwise.
async fn visitor_of(relay: &Relay, headers: &HeaderMap) -> Result<VisitorRow, ErrorBody> {
    let unknown = || {
        ErrorBody::new(
            ErrorCode::NotSignedIn,
            "send Authorization: Bearer with the visitor id the chat gave (chat_opened)",
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(unknown)?;
    relay
        .store
        .chat_visitor_by_token(&hash_token(token))
        .await
        .map_err(chat::internal)?
        .ok_or_else(unknown)
}

pub async fn transcript(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = visitor_of(&relay, &headers).await?;
    let c = relay
        .store
        .latest_conversation_of_visitor(v.id)
        .await
        .map_err(chat::internal)?
        .ok_or_else(chat::unknown_conversation)?;
    let text = desk_admin::transcript(&relay, &c, false)
        .await
        .map_err(chat::internal)?;
    Ok(text_file("chat", text))
}

pub async fn unread(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = visitor_of(&relay, &headers).await?;
    let open = relay
        .store
        .open_conversation_of_visitor(v.id)
        .await
        .map_err(chat::internal)?;
    let unread = match open {
        Some(c) => chat::visitor::unread(&relay, &c)
            .await
            .map_err(chat::internal)?,
        None => 0,
    };
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "unread": unread })),
    )
        .into_response())
}
