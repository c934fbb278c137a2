//! The JSON API: the same actions as the pages, for scripts and tests. Same session cookie;
//! POSTs carry the session's CSRF token in `x-csrf-token` (returned by `POST /api/login`).
//! Errors are `{"error": "...", "status": N}`; a lost optimistic lock is 409.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{self, ClientAddr, Reviewer};
use super::error::ApiError;
use super::items::ops;
use super::queue::{self, Filter};
use super::{AppState, WebError};
use crate::domain::Order;
use crate::store::LoginCheck;

type ApiResult = Result<Response, ApiError>;

#[derive(Deserialize)]
pub struct LoginBody {
    name: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    Json(b): Json<LoginBody>,
) -> ApiResult {
    let web = state.cfg().web.clone();
    match auth::check_login(&state, b.name, b.password, client).await? {
        LoginCheck::Ok { token, session } => {
            let mut resp =
                Json(json!({"user": session.user.name, "csrf": session.csrf, "expires_at": session.expires_at}))
                    .into_response();
            let c = auth::session_cookie(&web, &token, auth::session_secs(&web));
            if let Ok(v) = HeaderValue::from_str(&c) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(resp)
        }
        LoginCheck::Invalid => Err(ApiError(WebError::Unauthorized)),
        LoginCheck::RateLimited => Err(ApiError(WebError::RateLimited)),
    }
}

pub async fn logout(State(state): State<AppState>, who: Reviewer) -> ApiResult {
    let token = who.token().to_string();
    state.db(move |store, _| Ok(store.logout(&token)?)).await?;
    Ok(Json(json!({"ok": true})).into_response())
}

pub async fn queue(
    State(state): State<AppState>,
    _who: Reviewer,
    Query(f): Query<Filter>,
) -> ApiResult {
    let (rows, counts) = state
        .db(|store, _| Ok((store.review_queue()?, store.exception_counts()?)))
        .await?;
    let rows = queue::filter(rows, &f)?;
    let counts: serde_json::Map<String, Value> =
        counts.into_iter().map(|(c, n)| (c, json!(n))).collect();
    Ok(Json(json!({"items": rows, "counts": counts})).into_response())
}

pub async fn item(State(state): State<AppState>, who: Reviewer, Path(id): Path<i64>) -> ApiResult {
    let v = state
        .db(move |store, cfg| {
            let (row, claim) = ops::view(store, cfg, &who.name, id)?;
            let document = store.document(row.document_id)?;
            let history = store.audit_for("order", id)?;
            Ok(json!({"order": row, "document": document, "claim": claim, "history": history}))
        })
        .await?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
pub struct VersionBody {
    version: i64,
}

pub async fn approve(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
    Json(b): Json<VersionBody>,
) -> ApiResult {
    state
        .db(move |store, cfg| ops::approve(store, cfg, &who.name, id, b.version))
        .await?;
    Ok(Json(json!({"ok": true, "order_id": id, "state": "accepted"})).into_response())
}

#[derive(Deserialize)]
pub struct RejectBody {
    version: i64,
    reason: String,
}

pub async fn reject(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
    Json(b): Json<RejectBody>,
) -> ApiResult {
    state
        .db(move |store, _| ops::reject(store, &who.name, id, b.version, &b.reason))
        .await?;
    Ok(Json(json!({"ok": true, "order_id": id, "state": "rejected"})).into_response())
}

#[derive(Deserialize)]
pub struct EditBody {
    version: i64,
    order: Order,
}

/// Replace the order's extraction with `order` and run the rules again.
pub async fn edit(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
    Json(b): Json<EditBody>,
) -> ApiResult {
    let v = state
        .db(move |store, cfg| {
            let version = ops::edit(store, cfg, &who.name, id, b.version, |o, _| {
                *o = b.order;
                Ok(())
            })?;
            let row = ops::open_row(store, id)?;
            Ok(json!({"version": version, "check": row.check}))
        })
        .await?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
pub struct FixBody {
    version: i64,
    exception: usize,
    #[serde(default)]
    remember: bool,
}

/// Apply the suggestion of exception number `exception` (0-based, as in `check.exceptions`).
pub async fn fix(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
    Json(b): Json<FixBody>,
) -> ApiResult {
    let v = state
        .db(move |store, cfg| {
            let version = ops::fix(
                store,
                cfg,
                &who.name,
                id,
                b.version,
                b.exception,
                b.remember,
            )?;
            let row = ops::open_row(store, id)?;
            Ok(json!({"version": version, "check": row.check}))
        })
        .await?;
    Ok(Json(v).into_response())
}

pub async fn deliveries(State(state): State<AppState>, _who: Reviewer) -> ApiResult {
    let parked = state.db(|store, _| Ok(store.parked_deliveries()?)).await?;
    Ok(Json(json!({"parked": parked})).into_response())
}
