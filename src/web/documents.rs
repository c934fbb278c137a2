//! The originals, served from the archive by document id (never by a path from the request):
//! the file itself (PDFs inline with their content type, anything else as plain text or a
//! download) and the attachments of an email, by their position in the message.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::auth::Reviewer;
use super::{AppState, WebError};
use crate::parse::mime::email_attachments;

/// A file name safe inside a quoted Content-Disposition value.
fn disposition(kind: &str, name: &str) -> HeaderValue {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._- ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    HeaderValue::from_str(&format!("{kind}; filename=\"{clean}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// `bytes` as `ctype` (never sniffed), cached by the browser as `cache` says.
fn bytes_response(bytes: Vec<u8>, ctype: &'static str, cache: &'static str) -> Response {
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    resp
}

/// Bytes with a content type that cannot run script in our origin: PDFs inline, text as
/// plain text, everything else as a download; all under a sandboxing CSP, never sniffed.
fn file_response(bytes: Vec<u8>, media_type: &str, name: &str) -> Response {
    let (ctype, disp) = match media_type {
        "application/pdf" => ("application/pdf", "inline"),
        "text/plain" | "message/rfc822" | "text/csv" => ("text/plain; charset=utf-8", "inline"),
        _ => ("application/octet-stream", "attachment"),
    };
    let mut resp = bytes_response(bytes, ctype, "private, max-age=300");
    let h = resp.headers_mut();
    h.insert(header::CONTENT_DISPOSITION, disposition(disp, name));
    // A PDF can carry script and forms; the browser's viewer must not run them in our
    // origin. `sandbox` without allow-scripts gives the document an opaque origin (Chromium's
    // viewer still renders it: it is a plugin, allowed by `object-src 'self'`).
    let csp = if ctype == "application/pdf" {
        "sandbox; default-src 'none'; object-src 'self'; plugin-types application/pdf"
    } else {
        "sandbox; default-src 'none'"
    };
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    resp
}

pub async fn original(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (doc, bytes) = state
        .db(move |store, _| {
            let doc = store
                .document(id)?
                .ok_or_else(|| WebError::NotFound(format!("document {id} not found")))?;
            let bytes = store.read_original(&doc.sha256)?;
            store.audit(&who.name, "document", Some(id), "viewed", None)?;
            Ok((doc, bytes))
        })
        .await?;
    Ok(file_response(bytes, &doc.media_type, &doc.file_name))
}

pub async fn attachment(
    State(state): State<AppState>,
    who: Reviewer,
    Path((id, n)): Path<(i64, usize)>,
) -> Result<Response, WebError> {
    let att = state
        .db(move |store, cfg| {
            let doc = store
                .document(id)?
                .ok_or_else(|| WebError::NotFound(format!("document {id} not found")))?;
            if doc.media_type != "message/rfc822" {
                return Err(WebError::NotFound(format!("document {id} is not an email")));
            }
            let bytes = store.read_original(&doc.sha256)?;
            let att = email_attachments(&bytes, &cfg.limits)
                .map_err(|e| WebError::BadRequest(format!("this email cannot be shown: {e}")))?
                .into_iter()
                .nth(n)
                .ok_or_else(|| {
                    WebError::NotFound(format!("document {id} has no attachment {n}"))
                })?;
            store.audit(
                &who.name,
                "document",
                Some(id),
                "viewed",
                Some(&serde_json::json!({"attachment": att.name})),
            )?;
            Ok(att)
        })
        .await?;
    Ok(file_response(att.bytes, &att.media_type, &att.name))
}

/// Page `n` of a PDF document as a PNG, drawn by poppler once and kept in the store's cache:
/// the background of the item page's page view. 404 when poppler is missing or fails (the
/// page view then shows the words alone).
pub async fn page_image(
    State(state): State<AppState>,
    _who: Reviewer,
    Path((id, n)): Path<(i64, u32)>,
) -> Result<Response, WebError> {
    let limit = std::time::Duration::from_millis(state.cfg().limits.ocr_page_ms);
    let (path, cached, original) = state
        .db(move |store, cfg| {
            let doc = store
                .document(id)?
                .ok_or_else(|| WebError::NotFound(format!("document {id} not found")))?;
            if doc.media_type != "application/pdf" || n == 0 || n > cfg.limits.max_pages {
                return Err(WebError::NotFound(format!("document {id} has no page {n}")));
            }
            let path = store
                .page_image_path(&doc.sha256, n)
                .ok_or_else(|| WebError::NotFound(format!("document {id} has no page {n}")))?;
            let cached = std::fs::read(&path).ok();
            let original = match cached {
                Some(_) => None,
                None => Some(store.read_original(&doc.sha256)?),
            };
            Ok((path, cached, original))
        })
        .await?;
    let png = match (cached, original) {
        (Some(png), _) => png,
        (None, Some(pdf)) => tokio::task::spawn_blocking(move || {
            let png =
                crate::parse::ocr::render_page_png(&pdf, n, super::pageview::IMAGE_DPI, limit)
                    .map_err(|e| WebError::NotFound(format!("page {n} cannot be drawn: {e}")))?;
            if let Err(e) = crate::store::write_whole(&path, &png, false) {
                tracing::warn!(document = id, page = n, "keeping the page image: {e}");
            }
            Ok::<_, WebError>(png)
        })
        .await
        .map_err(|e| WebError::Internal(format!("drawing a page failed: {e}")))??,
        (None, None) => return Err(WebError::NotFound(format!("page {n} not found"))),
    };
    Ok(bytes_response(png, "image/png", "private, max-age=3600"))
}
