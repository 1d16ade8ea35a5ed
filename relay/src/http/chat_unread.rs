//! `GET /v1/chat/unread` with the visitor id as bearer (CHAT): how many lines of the visitor's
//! open conversation they have not read, as `{"unread": n}`, for the bubble on a page where
//! the app is not loaded (the loader's badge frame asks it after a navigation).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ringlink_protocol::{ErrorBody, ErrorCode};

use super::api::ApiError;
use crate::accounts::hash_token;
use crate::chat;
use crate::Relay;

pub async fn unread(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
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
    let v = relay
        .store
        .chat_visitor_by_token(&hash_token(token))
        .await
        .map_err(chat::internal)?
        .ok_or_else(unknown)?;
    let open = relay
        .store
        .open_conversation_of_visitor(v.id)
        .await
        .map_err(chat::internal)?;
    let unread = match open {
        Some(c) => relay
            .store
            .unread_count(c.id, "visitor", true)
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
