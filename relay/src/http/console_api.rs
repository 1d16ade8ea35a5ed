//! The console's REST calls, each with `Authorization: Bearer <console token>` and authorized
//! against the staff member's own site (an id of another site's reads as unknown): staff
//! accounts (CHAT-6), the site's chat settings, canned responses, transcripts and the dashboard
//! (admins), and the visitor's own transcript download.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ringlink_protocol::{ErrorBody, ErrorCode};

use super::api::{ApiError, ApiJson};
use crate::chat::staff::{StaffForm, StaffIdentity};
use crate::chat::{self, desk_admin, SiteChat};
use crate::Relay;

fn bearer(headers: &HeaderMap) -> Result<&str, ErrorBody> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::NotStaff,
                "send Authorization: Bearer with your console token",
            )
        })
}

async fn staff(relay: &Relay, headers: &HeaderMap) -> Result<StaffIdentity, ErrorBody> {
    Ok(chat::staff::authenticate(relay, bearer(headers)?).await?.0)
}

async fn admin(relay: &Relay, headers: &HeaderMap) -> Result<StaffIdentity, ErrorBody> {
    let me = staff(relay, headers).await?;
    if !me.is_admin() {
        return Err(ErrorBody::new(
            ErrorCode::NotAdmin,
            "only the site's admins may do this",
        ));
    }
    Ok(me)
}

fn staff_error(e: chat::staff::StaffError) -> ApiError {
    ApiError(ErrorBody::from(&e))
}

pub async fn list_staff(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let me = staff(&relay, &headers).await?;
    let list: Vec<_> = relay
        .store
        .staff_of_site(me.site_id)
        .await
        .map_err(chat::internal)?
        .iter()
        .map(|s| s.view())
        .collect();
    Ok(Json(list).into_response())
}

pub async fn add_staff(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<StaffForm>,
) -> Result<Response, ApiError> {
    let me = admin(&relay, &headers).await?;
    let id = chat::staff::create(&relay, me.site_id, &form)
        .await
        .map_err(staff_error)?;
    chat::assign::push_colleagues(&relay, me.site_id).await;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))).into_response())
}

pub async fn edit_staff(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(form): ApiJson<StaffForm>,
) -> Result<Response, ApiError> {
    let me = admin(&relay, &headers).await?;
    if !chat::staff::update(&relay, me.site_id, id, &form)
        .await
        .map_err(staff_error)?
    {
        return Err(
            ErrorBody::new(ErrorCode::BadField, "no such staff account on this site").into(),
        );
    }
    chat::assign::push_colleagues(&relay, me.site_id).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Disables an account (its sessions end at once); an admin cannot disable themselves.
pub async fn remove_staff(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let me = admin(&relay, &headers).await?;
    if id == me.staff_id {
        return Err(ErrorBody::new(
            ErrorCode::BadField,
            "you cannot disable your own account: ask another admin",
        )
        .into());
    }
    if !relay
        .store
        .disable_staff(me.site_id, id, true)
        .await
        .map_err(chat::internal)?
    {
        return Err(
            ErrorBody::new(ErrorCode::BadField, "no such staff account on this site").into(),
        );
    }
    let _ = relay
        .store
        .set_agent_state(
            id,
            ringlink_protocol::console::AgentState::Offline,
            relay.chat.clock.now_ms(),
        )
        .await;
    relay.chat.wake.notify_one();
    chat::assign::push_colleagues(&relay, me.site_id).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The site's chat settings, for its admins (the admin pages' own read: agents get 403).
pub async fn get_settings(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let me = admin(&relay, &headers).await?;
    Ok(Json(chat::assign::settings(&relay, me.site_id).await).into_response())
}

pub async fn put_settings(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    ApiJson(s): ApiJson<SiteChat>,
) -> Result<Response, ApiError> {
    let me = admin(&relay, &headers).await?;
    s.validate()
        .map_err(|m| ErrorBody::new(ErrorCode::BadField, m))?;
    if let Some(b) = &s.call_button {
        if relay
            .store
            .call_button(me.site_id, b)
            .await
            .map_err(chat::internal)?
            .is_none()
        {
            return Err(ErrorBody::new(
                ErrorCode::UnknownButton,
                format!("the site has no call button '{b}': set it up first"),
            )
            .into());
        }
    }
    let body = serde_json::to_string(&s).expect("settings serialize");
    relay
        .store
        .put_chat_settings(me.site_id, &body)
        .await
        .map_err(chat::internal)?;
    relay.chat.wake.notify_one();
    Ok(Json(s).into_response())
}

pub async fn list_canned(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let me = staff(&relay, &headers).await?;
    let conv = match q.get("conversation") {
        Some(id) => relay
            .store
            .conversation_by_public(id)
            .await
            .map_err(chat::internal)?
            .filter(|c| c.site_id == me.site_id),
        None => None,
    };
    let list = desk_admin::canned(&relay, me.site_id, &me.name, conv.as_ref())
        .await
        .map_err(chat::internal)?;
    Ok(Json(list).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedForm {
    title: String,
    text: String,
    #[serde(default)]
    attachment: Option<String>,
}

pub async fn add_canned(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    ApiJson(f): ApiJson<CannedForm>,
) -> Result<Response, ApiError> {
    let me = admin(&relay, &headers).await?;
    ringlink_protocol::error::check_len("title", &f.title, 1, 64)?;
    ringlink_protocol::error::check_len(
        "text",
        &f.text,
        1,
        ringlink_protocol::limits::MAX_CHAT_TEXT,
    )?;
    let attachment = match &f.attachment {
        Some(a) => {
            Some(chat::attachments::own_upload(&relay, a, &chat::staff_key(me.staff_id)).await?)
        }
        None => None,
    };
    let id = relay
        .store
        .add_canned(me.site_id, &f.title, &f.text, attachment)
        .await
        .map_err(chat::internal)?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))).into_response())
}

pub async fn remove_canned(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let me = admin(&relay, &headers).await?;
    if !relay
        .store
        .remove_canned(me.site_id, id)
        .await
        .map_err(chat::internal)?
    {
        return Err(
            ErrorBody::new(ErrorCode::BadField, "no such canned response on this site").into(),
        );
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) fn text_file(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.txt\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A conversation's transcript for staff: its parties, or any admin of the site.
pub async fn staff_transcript(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let me = staff(&relay, &headers).await?;
    let c = relay
        .store
        .conversation_by_public(&id)
        .await
        .map_err(chat::internal)?
        .filter(|c| {
            c.site_id == me.site_id
                && (c.has_staff(me.staff_id) || (me.is_admin() && c.visitor_id.is_some()))
        })
        .ok_or_else(chat::unknown_conversation)?;
    let text = desk_admin::transcript(&relay, &c, true)
        .await
        .map_err(chat::internal)?;
    Ok(text_file(&c.public_id, text))
}

pub async fn dashboard(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let me = admin(&relay, &headers).await?;
    Ok(Json(
        desk_admin::dashboard(&relay, me.site_id)
            .await
            .map_err(chat::internal)?,
    )
    .into_response())
}
