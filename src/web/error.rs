//! One error type for the web layer, mapped to HTTP once: an HTML page for the UI, JSON for
//! the API (see [`ApiError`]). Store conflicts (optimistic locking) become 409 with the
//! store's sentence, which says what happened.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many failed logins; wait a few minutes and try again")]
    RateLimited,
    #[error("please log in")]
    Unauthorized,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => WebError::Conflict(m),
            StoreError::NotFound { what, id } if id >= 0 => {
                WebError::NotFound(format!("{what} {id} not found"))
            }
            StoreError::NotFound { what, .. } => WebError::NotFound(format!("{what} not found")),
            other => WebError::Internal(format!("{other}")),
        }
    }
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            WebError::BadRequest(_) => "That did not work",
            WebError::Forbidden(_) => "Not allowed",
            WebError::NotFound(_) => "Not found",
            WebError::Conflict(_) => "Someone else got there first",
            WebError::RateLimited => "Too many attempts",
            WebError::Unauthorized => "Please log in",
            WebError::Internal(_) => "Something went wrong",
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: String,
    status: u16,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::Internal(m) = &self {
            tracing::error!("web: {m}");
        }
        let status = self.status();
        let page = ErrorPage {
            title: self.title(),
            message: self.to_string(),
            status: status.as_u16(),
        };
        let body = page
            .render()
            .unwrap_or_else(|_| "<h1>Error</h1>".to_string());
        let mut resp = super::with_page_headers(axum::response::Html(body).into_response());
        *resp.status_mut() = status;
        resp
    }
}

/// The same errors as JSON `{"error": "...", "status": 409}` for `/api/`.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let WebError::Internal(m) = &self.0 {
            tracing::error!("api: {m}");
        }
        let status = self.0.status();
        (
            status,
            Json(json!({"error": self.0.to_string(), "status": status.as_u16()})),
        )
            .into_response()
    }
}
