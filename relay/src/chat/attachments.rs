//! Attachments (CHAT): images and PDF, the type decided by the file's first bytes (never by
//! its name or the uploader's word), up to `[chat] max_attachment_bytes`, kept in the database
//! so every relay of a scaled-out deployment serves them, and served only to the parties of
//! the conversation they were sent in.

use ringlink_protocol::{ErrorBody, ErrorCode};

use super::internal;
use crate::accounts::random_id;
use crate::Relay;

/// The type of a file by its content: PNG, JPEG, GIF, WebP or PDF; anything else is refused.
pub fn sniff(body: &[u8]) -> Option<&'static str> {
    if body.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if body.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if body.starts_with(b"GIF87a") || body.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if body.len() >= 12 && &body[..4] == b"RIFF" && &body[8..12] == b"WEBP" {
        Some("image/webp")
    } else if body.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A file name fit to show: no path, no control or bidi characters, at most 100 characters.
pub fn clean_name(name: &str, mime: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !crate::names::is_refused(*c))
        .take(100)
        .collect();
    if cleaned.trim().is_empty() {
        let ext = mime.rsplit('/').next().unwrap_or("bin");
        format!("file.{ext}")
    } else {
        cleaned
    }
}

fn refused(why: String) -> ErrorBody {
    ErrorBody::new(ErrorCode::AttachmentRefused, why)
}

/// Stores an upload from `uploader` (a visitor or staff key) of site `site_id`; returns its
/// public id, to send with the line.
pub async fn upload(
    relay: &Relay,
    site_id: i64,
    uploader: &str,
    name: &str,
    body: &[u8],
) -> Result<(String, &'static str), ErrorBody> {
    let max = relay.chat.config.max_attachment_bytes;
    if body.len() > max {
        return Err(refused(format!(
            "the file is {} KB; files up to {} KB can be sent",
            body.len().div_ceil(1024),
            max / 1024
        )));
    }
    if body.is_empty() {
        return Err(refused("the file is empty".into()));
    }
    let Some(mime) = sniff(body) else {
        return Err(refused(
            "only images (PNG, JPEG, GIF, WebP) and PDF files can be sent".into(),
        ));
    };
    let now = relay.chat.clock.now_ms();
    within_hourly(relay, uploader, now).await?;
    let id = format!("at_{}", random_id(20));
    relay
        .store
        .insert_attachment(
            &id,
            site_id,
            None,
            uploader,
            &clean_name(name, mime),
            mime,
            body,
            now,
        )
        .await
        .map_err(internal)?;
    Ok((id, mime))
}

/// A person sends at most `attachments_per_hour` files an hour, uploads and canned copies alike.
async fn within_hourly(relay: &Relay, uploader: &str, now: i64) -> Result<(), ErrorBody> {
    let recent = relay
        .store
        .uploads_since(uploader, now - 3_600_000)
        .await
        .map_err(internal)?;
    if recent >= i64::from(relay.chat.config.attachments_per_hour) {
        return Err(ErrorBody {
            code: ErrorCode::RateLimited,
            message: format!(
                "{} files were sent in the last hour, the most allowed; try again later",
                relay.chat.config.attachments_per_hour
            ),
            retry_after: Some(3600),
        });
    }
    Ok(())
}

/// The file a staff member sends with a line: their own upload, or a fresh copy of a file of
/// one of their site's canned responses (within the same hourly allowance as uploads).
pub async fn staff_file(
    relay: &Relay,
    site_id: i64,
    public_id: &str,
    uploader: &str,
) -> Result<i64, ErrorBody> {
    let canned = relay
        .store
        .canned_attachment(site_id, public_id)
        .await
        .map_err(internal)?;
    let Some(src) = canned else {
        return own_upload(relay, public_id, uploader).await;
    };
    let now = relay.chat.clock.now_ms();
    within_hourly(relay, uploader, now).await?;
    relay
        .store
        .copy_attachment(src, &format!("at_{}", random_id(20)), uploader, now)
        .await
        .map_err(internal)
}

/// The store id of an attachment `uploader` sent and has not used in another conversation.
pub async fn own_upload(relay: &Relay, public_id: &str, uploader: &str) -> Result<i64, ErrorBody> {
    let a = relay
        .store
        .attachment(public_id)
        .await
        .map_err(internal)?
        .filter(|a| a.uploader == uploader)
        .ok_or_else(|| refused("no such upload of yours: upload the file again".into()))?;
    Ok(a.id)
}
