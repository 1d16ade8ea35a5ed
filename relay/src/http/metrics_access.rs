//! Who may read `/metrics`: anyone who reaches it, or with `http.metrics_token` only a request
//! carrying `Authorization: Bearer <token>`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::Relay;

pub async fn guarded(State(relay): State<Arc<Relay>>, headers: HeaderMap) -> Response {
    if let Some(token) = &relay.config.http.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Compared as digests, so the time taken says nothing about the token.
        if Sha256::digest(given.as_bytes()) != Sha256::digest(token.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need Authorization: Bearer <http.metrics_token>\n",
            )
                .into_response();
        }
    }
    super::metrics(State(relay)).await.into_response()
}
