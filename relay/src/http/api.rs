//! REST plumbing: JSON bodies whose rejections are [`ErrorBody`] JSON, and error responses with
//! the HTTP status that matches each error code.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ringlink_protocol::{ErrorBody, ErrorCode};
use serde::de::DeserializeOwned;

/// A JSON body; a malformed one is answered with a `bad_frame` error that names the problem.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(JsonRejection::BytesRejection(_)) => Err(ApiError(ErrorBody::new(
                ErrorCode::FrameTooLarge,
                "request body too large: at most 16 KiB",
            ))),
            Err(e) => Err(ApiError(ErrorBody::new(ErrorCode::BadFrame, e.body_text()))),
        }
    }
}

/// An [`ErrorBody`] sent with the matching status.
pub struct ApiError(pub ErrorBody);

impl From<ErrorBody> for ApiError {
    fn from(e: ErrorBody) -> Self {
        Self(e)
    }
}

pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadFrame
        | ErrorCode::BadField
        | ErrorCode::InvalidNumber
        | ErrorCode::WeakPassword => StatusCode::BAD_REQUEST,
        ErrorCode::AccountExists | ErrorCode::NoAccount => StatusCode::CONFLICT,
        ErrorCode::FrameTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::NotSignedIn
        | ErrorCode::BadCredentials
        | ErrorCode::TokenExpired
        | ErrorCode::TokenRevoked => StatusCode::UNAUTHORIZED,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::OriginNotAllowed | ErrorCode::NotYourDevice => StatusCode::FORBIDDEN,
        ErrorCode::UnknownSite | ErrorCode::UnknownCall | ErrorCode::UnknownButton => {
            StatusCode::NOT_FOUND
        }
        ErrorCode::PairingCodeInvalid | ErrorCode::CodeInvalid => StatusCode::GONE,
        ErrorCode::AgentNotConnected | ErrorCode::CallInProgress => StatusCode::CONFLICT,
        ErrorCode::NumberNotVerified | ErrorCode::DestinationNotAllowed => StatusCode::FORBIDDEN,
        ErrorCode::InsufficientBalance => StatusCode::PAYMENT_REQUIRED,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::UnknownConversation => StatusCode::NOT_FOUND,
        ErrorCode::VisitorLeft => StatusCode::GONE,
        ErrorCode::NotStaff => StatusCode::UNAUTHORIZED,
        ErrorCode::NotAdmin => StatusCode::FORBIDDEN,
        ErrorCode::ChatNotOpen => StatusCode::CONFLICT,
        ErrorCode::AttachmentRefused => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (status_of(self.0.code), Json(&self.0)).into_response();
        if let Some(secs) = self.0.retry_after {
            resp.headers_mut().insert("retry-after", secs.into());
        }
        resp
    }
}
