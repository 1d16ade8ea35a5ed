//! Chat attachments over HTTP (CHAT): `POST /v1/chat/attachments?name=FILE` with the file as
//! the body and `Authorization: Bearer TOKEN` (the visitor id from `chat_open`, or a console
//! session), answered with the attachment's id to send with the line; `GET
//! /v1/chat/attachments/{id}` with the same header, answered with the file to the parties of
//! the conversation it was sent in (and to its uploader before it is sent), and to no one else.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ringlink_protocol::{ErrorBody, ErrorCode};

use super::api::ApiError;
use crate::accounts::hash_token;
use crate::chat::{self, staff_key, visitor_key};
use crate::Relay;

/// Who is asking: a visitor (their key and site) or a staff member.
struct Party {
    key: String,
    site_id: i64,
    staff: Option<chat::staff::StaffIdentity>,
    visitor_id: Option<i64>,
}

async fn party(relay: &Relay, headers: &HeaderMap) -> Result<Party, ErrorBody> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::NotSignedIn,
                "send Authorization: Bearer with your visitor id or console token",
            )
        })?;
    if let Some(v) = relay
        .store
        .chat_visitor_by_token(&hash_token(token))
        .await
        .map_err(chat::internal)?
    {
        return Ok(Party {
            key: visitor_key(v.id),
            site_id: v.site_id,
            staff: None,
            visitor_id: Some(v.id),
        });
    }
    let (id, _) = chat::staff::authenticate(relay, token).await?;
    Ok(Party {
        key: staff_key(id.staff_id),
        site_id: id.site_id,
        staff: Some(id),
        visitor_id: None,
    })
}

#[derive(serde::Serialize)]
struct Uploaded {
    id: String,
    mime: &'static str,
    bytes: usize,
}

pub async fn upload(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let who = party(&relay, &headers).await?;
    let body = body.map_err(|_| {
        ErrorBody::new(
            ErrorCode::AttachmentRefused,
            format!(
                "the file is too large: files up to {} KB can be sent",
                relay.chat.config.max_attachment_bytes / 1024
            ),
        )
    })?;
    let name = q.get("name").map(String::as_str).unwrap_or("");
    let (id, mime) = chat::attachments::upload(&relay, who.site_id, &who.key, name, &body).await?;
    Ok(Json(Uploaded {
        id,
        mime,
        bytes: body.len(),
    })
    .into_response())
}

pub async fn download(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let who = party(&relay, &headers).await?;
    let missing = || {
        ErrorBody::new(
            ErrorCode::UnknownConversation,
            "no such file here, or it is not yours to see",
        )
    };
    let a = relay
        .store
        .attachment(&id)
        .await
        .map_err(chat::internal)?
        .filter(|a| a.site_id == who.site_id)
        .ok_or_else(missing)?;
    let allowed = if a.uploader == who.key {
        true
    } else if let Some(cid) = a.conversation_id {
        let c = relay
            .store
            .conversation_by_id(cid)
            .await
            .map_err(chat::internal)?
            .ok_or_else(missing)?;
        match (&who.staff, who.visitor_id) {
            (Some(s), _) => c.has_staff(s.staff_id) || (s.is_admin() && c.visitor_id.is_some()),
            (None, Some(v)) => c.visitor_id == Some(v),
            _ => false,
        }
    } else {
        false
    };
    if !allowed {
        return Err(missing().into());
    }
    let body = relay
        .store
        .attachment_body(a.id)
        .await
        .map_err(chat::internal)?;
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(static_mime(&a.mime)),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    // Never rendered inline as a document of the relay's origin: a PDF opens as a download.
    let disposition = if a.mime == "application/pdf" {
        "attachment"
    } else {
        "inline"
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{disposition}; filename*=UTF-8''{}",
        encode_name(&a.name)
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(resp)
}

fn static_mime(m: &str) -> &'static str {
    [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
    ]
    .into_iter()
    .find(|k| *k == m)
    .unwrap_or("application/octet-stream")
}

/// RFC 5987 percent-encoding of a file name.
fn encode_name(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
