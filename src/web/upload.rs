//! Uploads: `POST /api/documents` for a portal or a script (an API token from
//! `po-intake token add NAME`, sent as `Authorization: Bearer`), and the `/upload` page for
//! a reviewer or a customer-service person (drag and drop, several files, each sent as its
//! own request with the session and its CSRF token).
//!
//! An upload goes through the same pipeline as a file from a drop folder: refused over
//! `limits.max_file_bytes` before anything is stored, otherwise stored by hash first, then
//! parsed (PDF, email, text, EDI, ...), extracted, checked and decided; the answer is the
//! same per-file outcome `ingest --json` prints. The extraction model is loaded on the first
//! upload and kept; uploads are processed one at a time so a burst cannot starve the reviewers
//! of the machine's cores.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::auth::Reviewer;
use super::error::ApiError;
use super::{render, AppState, WebError};
use crate::domain::{Incoming, SourceKind};
use crate::extract::Extractor;
use crate::parse::mime::sanitize_file_name;
use crate::parse::ParseError;
use crate::pipeline::{FileOutcome, FileStatus, Pipeline};
use crate::store::Store;

/// Most files in one multipart request.
const MAX_FILES_PER_REQUEST: usize = 20;
/// Room for multipart headers and form fields beside the largest allowed file.
const BODY_OVERHEAD: usize = 1024 * 1024;

/// What the upload routes share: the extraction model once loaded, and the one-at-a-time gate.
#[derive(Clone)]
struct Shared {
    extractor: Arc<tokio::sync::OnceCell<Arc<Extractor>>>,
    gate: Arc<tokio::sync::Semaphore>,
}

/// The upload routes, to be merged into the main router (inside the session layer).
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    let max_body = max_body(state);
    let shared = Shared {
        extractor: Arc::new(tokio::sync::OnceCell::new()),
        gate: Arc::new(tokio::sync::Semaphore::new(1)),
    };
    Router::new()
        .route("/upload", get(page))
        .route("/static/upload.js", get(upload_js))
        .route(
            "/api/documents",
            post(upload).layer(DefaultBodyLimit::max(max_body)),
        )
        .layer(Extension(shared))
}

#[derive(askama::Template)]
#[template(path = "upload.html")]
struct UploadPage {
    user: String,
    csrf: String,
    max_mb: u64,
}

async fn page(State(state): State<AppState>, who: Reviewer) -> Response {
    render(&UploadPage {
        user: who.name,
        csrf: who.csrf,
        max_mb: state.cfg().limits.max_file_bytes / (1024 * 1024),
    })
}

async fn upload_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("static/upload.js"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct RawQuery {
    name: Option<String>,
}

/// Who is uploading: a token's name, or a signed-in reviewer.
fn origin_of(kind: &str, name: &str) -> String {
    format!("upload:{kind}:{name}")
}

fn unauthorized(why: &str) -> Response {
    let mut resp = ApiError(WebError::Unauthorized).into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"po-intake\""),
    );
    tracing::debug!(why, "upload refused");
    resp
}

/// `POST /api/documents`: multipart (every file part) or a raw body (named by `?name=` or
/// `X-File-Name`). Answers `{"documents": [outcome, ...]}`.
async fn upload(
    State(state): State<AppState>,
    Extension(shared): Extension<Shared>,
    Query(q): Query<RawQuery>,
    reviewer: Result<Reviewer, Response>,
    req: Request,
) -> Response {
    let origin = match bearer(req.headers()) {
        Some(Ok(token)) => {
            match state
                .db(move |store, _| Ok(store.api_token_name(&token)?))
                .await
            {
                Ok(Some(name)) => origin_of("token", &name),
                Ok(None) => return unauthorized("unknown token"),
                Err(e) => return ApiError(e).into_response(),
            }
        }
        Some(Err(())) => return unauthorized("malformed Authorization header"),
        None => match reviewer {
            Ok(r) => origin_of("user", &r.name),
            Err(_) => return unauthorized("no token and no session"),
        },
    };
    let files = match read_files(&state, q.name, req).await {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    if files.is_empty() {
        return ApiError(WebError::BadRequest(
            "no file in the request: send a multipart form with file parts, or the file as the body"
                .into(),
        ))
        .into_response();
    }
    match process(&state, &shared, origin, files).await {
        Ok(outcomes) => (StatusCode::OK, Json(json!({ "documents": outcomes }))).into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

/// The bearer token of the request: `None` without an Authorization header, `Err` when the
/// header is there but is no bearer token.
fn bearer(headers: &HeaderMap) -> Option<Result<String, ()>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let s = v.to_str().ok();
    Some(
        s.and_then(|s| {
            let (scheme, token) = s.trim().split_once(' ')?;
            (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
                .then(|| token.trim().to_string())
        })
        .ok_or(()),
    )
}

/// The most bytes one upload request may carry.
fn max_body(state: &AppState) -> usize {
    usize::try_from(state.cfg().limits.max_file_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(BODY_OVERHEAD)
}

/// 413 in the API's error shape.
fn payload_too_large(state: &AppState, detail: &str) -> Response {
    let msg = format!(
        "the upload could not be read whole ({detail}); one request may carry a file of at most {} bytes",
        state.cfg().limits.max_file_bytes
    );
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        Json(json!({ "error": msg, "status": 413 })),
    )
        .into_response()
}

/// The files of the request, each with a sanitised name.
async fn read_files(
    state: &AppState,
    query_name: Option<String>,
    req: Request,
) -> Result<Vec<(String, Vec<u8>)>, Response> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/form-data"));
    let mut files = vec![];
    if is_multipart {
        // The route's DefaultBodyLimit bounds what the multipart reader takes in.
        let mut form = Multipart::from_request(req, state).await.map_err(|e| {
            ApiError(WebError::BadRequest(format!("not a multipart form: {e}"))).into_response()
        })?;
        loop {
            let field = match form.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return Err(payload_too_large(state, &e.to_string())),
            };
            let Some(raw_name) = field.file_name().map(str::to_string) else {
                continue; // a form field (the CSRF token), not a file
            };
            if files.len() >= MAX_FILES_PER_REQUEST {
                return Err(ApiError(WebError::BadRequest(format!(
                    "more than {MAX_FILES_PER_REQUEST} files in one request"
                )))
                .into_response());
            }
            let bytes = field
                .bytes()
                .await
                .map_err(|e| payload_too_large(state, &e.to_string()))?;
            files.push((clean_name(&raw_name), bytes.to_vec()));
        }
    } else {
        let header_name = req
            .headers()
            .get("x-file-name")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let name = query_name.or(header_name).unwrap_or_default();
        let bytes = axum::body::to_bytes(req.into_body(), max_body(state))
            .await
            .map_err(|e| payload_too_large(state, &e.to_string()))?;
        if !bytes.is_empty() {
            files.push((clean_name(&name), bytes.to_vec()));
        }
    }
    Ok(files)
}

fn clean_name(raw: &str) -> String {
    sanitize_file_name(raw).unwrap_or_else(|| "upload".to_string())
}

/// Run the files through the pipeline on the blocking pool, one upload request at a time.
async fn process(
    state: &AppState,
    shared: &Shared,
    origin: String,
    files: Vec<(String, Vec<u8>)>,
) -> Result<Vec<FileOutcome>, WebError> {
    let _permit = shared
        .gate
        .acquire()
        .await
        .map_err(|e| WebError::Internal(format!("the upload gate closed: {e}")))?;
    let cfg = state.cfg().clone();
    let extractor = shared
        .extractor
        .get_or_try_init(|| {
            let cfg = cfg.extract.clone();
            async move {
                tokio::task::spawn_blocking(move || {
                    Extractor::from_config(&cfg)
                        .map(Arc::new)
                        .map_err(|e| WebError::Internal(format!("the extraction model: {e}")))
                })
                .await
                .map_err(|e| WebError::Internal(format!("loading the model failed: {e}")))?
            }
        })
        .await?
        .clone();
    tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&cfg.data_dir)?;
        let pipeline = Pipeline::new(&store, &cfg, &extractor)?;
        let limit = cfg.limits.max_file_bytes;
        let mut out = Vec::with_capacity(files.len());
        for (name, bytes) in files {
            if bytes.len() as u64 > limit {
                // Refused before anything is stored, as in a drop folder.
                let e = ParseError::TooLarge {
                    size: bytes.len() as u64,
                    limit,
                };
                out.push(FileOutcome {
                    file: name,
                    document_id: None,
                    status: FileStatus::Failed,
                    reason: Some(format!("{}: {e}", e.code())),
                    orders: vec![],
                });
                continue;
            }
            let incoming = Incoming {
                source: SourceKind::Upload,
                origin: origin.clone(),
                file_name: name,
                sender: None,
                received_at: Utc::now(),
                bytes,
            };
            let outcome = pipeline.handle(&mut store, &incoming)?;
            store.audit(
                &origin,
                "document",
                outcome.document_id,
                "uploaded",
                Some(&json!({ "file": outcome.file, "status": outcome.status })),
            )?;
            out.push(outcome);
        }
        Ok(out)
    })
    .await
    .map_err(|e| WebError::Internal(format!("an upload task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bearer_header_is_a_token() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer poi_abc"),
        );
        assert_eq!(bearer(&h), Some(Ok("poi_abc".to_string())));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  poi_x "),
        );
        assert_eq!(bearer(&h), Some(Ok("poi_x".to_string())));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic dXNlcjpwdw=="),
        );
        assert_eq!(bearer(&h), Some(Err(())));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&h), Some(Err(())));
    }
}
