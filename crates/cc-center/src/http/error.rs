//! API errors as JSON bodies with their status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// No key, or an unknown one.
    Unauthorized,
    /// The key may not do this.
    Forbidden(String),
    /// No such thing (or another tenant's).
    NotFound(String),
    /// The request is malformed.
    BadRequest(String),
    /// The center refused in its current state (an agent's state change, a supervision).
    Conflict(String),
    /// The center stopped or the database failed.
    Unavailable(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "a valid API key is required: Authorization: Bearer KEY".to_owned(),
            ),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}
