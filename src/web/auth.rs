//! Who is asking: the session cookie, the [`Reviewer`] extractor, CSRF, login and logout.
//!
//! [`session_layer`] runs before every handler: it looks the session cookie up once, stores
//! the session in the request extensions, and refuses any POST whose CSRF token (form field
//! `csrf` or header `x-csrf-token`) does not match the session's. The login form, which has no
//! session yet, is protected by a double-submit cookie instead. Handlers that need a person
//! take a [`Reviewer`]; without a session the HTML pages redirect to the login page and the
//! API answers 401.

use std::net::SocketAddr;

use askama::Template;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Duration;
use serde::Deserialize;

use super::error::ApiError;
use super::{render, AppState, WebError};
use crate::config::WebConfig;
use crate::store::{random_token, LoginCheck, LoginPolicy, Session};

pub const SESSION_COOKIE: &str = "po_session";
const LOGIN_CSRF_COOKIE: &str = "po_login_csrf";
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The session found for this request (set by [`session_layer`]).
#[derive(Clone)]
struct Found {
    session: Session,
    token: String,
}

/// The client's address, for login rate limiting.
#[derive(Clone)]
pub struct ClientAddr(pub String);

/// The signed-in reviewer. Taking this as an argument is what makes a handler need a login.
#[derive(Clone, Debug)]
pub struct Reviewer {
    pub name: String,
    pub csrf: String,
    token: String,
}

impl FromRequestParts<AppState> for Reviewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        match parts.extensions.get::<Found>() {
            Some(f) => Ok(Reviewer {
                name: f.session.user.name.clone(),
                csrf: f.session.csrf.clone(),
                token: f.token.clone(),
            }),
            None if parts.uri.path().starts_with("/api/") => {
                Err(ApiError(WebError::Unauthorized).into_response())
            }
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/queue");
                Err(Redirect::to(&format!("/login?next={}", encode(next))).into_response())
            }
        }
    }
}

/// Percent-encode for a query value (everything but unreserved characters).
pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A value of a cookie in the request.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The `csrf` field of an urlencoded form body (tokens are hex, so no decoding is needed).
fn form_csrf(body: &[u8]) -> Option<String> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "csrf")
        .map(|(_, v)| v.to_string())
}

/// Find the session; check the CSRF token of every state-changing request.
pub async fn session_layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let client = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    parts.extensions.insert(ClientAddr(client));
    if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
        let t = token.clone();
        match state.db(move |store, _| Ok(store.session(&t)?)).await {
            Ok(Some(session)) => {
                parts.extensions.insert(Found { session, token });
            }
            Ok(None) => {}
            Err(e) => return e.into_response(),
        }
    }
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let path = parts.uri.path().to_string();
    let api = path.starts_with("/api/");
    let expected = if path == "/login" {
        cookie(&parts.headers, LOGIN_CSRF_COOKIE)
    } else if path == "/api/login" {
        return next.run(Request::from_parts(parts, body)).await;
    } else {
        match parts.extensions.get::<Found>() {
            Some(f) => Some(f.session.csrf.clone()),
            // No session: the handler's Reviewer extractor answers 401 / redirect.
            None => return next.run(Request::from_parts(parts, body)).await,
        }
    };
    let header_token = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (given, body) = match header_token {
        Some(t) => (Some(t), body),
        None => match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
            Ok(bytes) => (form_csrf(&bytes), Body::from(bytes)),
            Err(_) => {
                return WebError::BadRequest("the form is too large".into()).into_response();
            }
        },
    };
    let ok = matches!((&expected, &given), (Some(e), Some(g)) if same(e, g));
    if !ok {
        let e = WebError::Forbidden(
            "the form's security token is missing or out of date; reload the page and try again"
                .into(),
        );
        return if api {
            ApiError(e).into_response()
        } else {
            e.into_response()
        };
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Only local paths may be a redirect target after login.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.starts_with("/login")
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_string()
        }
        _ => "/queue".to_string(),
    }
}

pub(crate) fn session_cookie(cfg: &WebConfig, token: &str, max_age_secs: i64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if cfg.secure_cookie { "; Secure" } else { "" }
    )
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    error: Option<String>,
    name: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_response(
    cfg: &WebConfig,
    status: StatusCode,
    next: String,
    error: Option<String>,
    name: String,
) -> Response {
    let csrf = random_token();
    let mut resp = render(&LoginPage {
        csrf: csrf.clone(),
        next,
        error,
        name,
    });
    *resp.status_mut() = status;
    let c = format!(
        "{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{}",
        if cfg.secure_cookie { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn login_page(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Response {
    let next = safe_next(q.next.as_deref());
    login_response(&state.cfg().web, StatusCode::OK, next, None, String::new())
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
}

/// Password checks running at once, server-wide.
static LOGIN_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Check a login against the store with the configured rate limit.
pub(crate) async fn check_login(
    state: &AppState,
    name: String,
    password: String,
    client: String,
) -> Result<LoginCheck, WebError> {
    // Each check runs argon2 (tens of ms of CPU and 19 MiB): a flood of logins waits here
    // instead of taking every core and the memory with it.
    let _slot = LOGIN_SLOTS
        .acquire()
        .await
        .map_err(|_| WebError::Internal("login slots closed".into()))?;
    state
        .db(move |store, cfg| {
            let w = &cfg.web;
            let policy = LoginPolicy {
                max_failures_per_name: w.login_max_failures,
                max_failures_per_client: w.login_max_failures_per_client,
                window: Duration::minutes(i64::try_from(w.login_window_minutes).unwrap_or(15)),
                lifetime: Duration::hours(i64::try_from(w.session_hours).unwrap_or(12)),
            };
            Ok(store.login(&name, &password, &client, &policy)?)
        })
        .await
}

pub(crate) fn session_secs(cfg: &WebConfig) -> i64 {
    i64::try_from(cfg.session_hours.saturating_mul(3600)).unwrap_or(12 * 3600)
}

pub async fn login_submit(
    State(state): State<AppState>,
    axum::Extension(ClientAddr(client)): axum::Extension<ClientAddr>,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    let web = state.cfg().web.clone();
    match check_login(&state, f.name.clone(), f.password, client).await {
        Ok(LoginCheck::Ok { token, .. }) => {
            let mut resp = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&web, &token, session_secs(&web)))
            {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(LoginCheck::Invalid) => login_response(
            &web,
            StatusCode::UNAUTHORIZED,
            next,
            Some("Wrong name or password.".into()),
            f.name,
        ),
        Ok(LoginCheck::RateLimited) => login_response(
            &web,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            Some(WebError::RateLimited.to_string()),
            f.name,
        ),
        Err(e) => e.into_response(),
    }
}

pub async fn logout(State(state): State<AppState>, who: Reviewer) -> Response {
    let token = who.token.clone();
    if let Err(e) = state.db(move |store, _| Ok(store.logout(&token)?)).await {
        return e.into_response();
    }
    let mut resp = Redirect::to("/login").into_response();
    let c = session_cookie(&state.cfg().web, "", 0);
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

impl Reviewer {
    /// The cookie token of this session (for API logout).
    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

/// [`safe_next`] for the integration tests.
#[doc(hidden)]
pub fn safe_next_for_tests(next: Option<&str>) -> String {
    safe_next(next)
}
