//! The reviewer web UI: server-rendered HTML (askama templates compiled into the binary), a
//! little plain JavaScript for the keyboard, and a JSON API under `/api/` for the same actions.
//!
//! Shape (after miniflux and atuin): every route is listed in [`router`]; handlers are short
//! (check, act, redirect); the signed-in reviewer is an extractor ([`auth::Reviewer`]) so no
//! handler can forget it; one middleware ([`auth::session_layer`]) finds the session and checks
//! the CSRF token of every POST, so no form can forget that either. SQLite is reached only
//! through [`AppState::db`], which runs the closure on the blocking pool with its own `Store`.
//! [`serve`] takes a bound listener so tests can bind port 0.

mod api;
pub mod auth;
mod deliveries;
mod documents;
mod edit;
mod error;
mod items;
pub mod ops;
mod queue;
mod upload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use askama::Template;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::config::Config;
use crate::store::Store;

pub use error::WebError;

/// What every handler shares: the configuration and where the store lives.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: Config,
    data_dir: PathBuf,
    /// The model's version once `/readyz` has loaded it (see [`ops::readyz`]).
    model_version: tokio::sync::OnceCell<String>,
}

impl AppState {
    pub fn new(cfg: Config) -> AppState {
        let data_dir = cfg.data_dir.clone();
        AppState {
            inner: Arc::new(Inner {
                cfg,
                data_dir,
                model_version: tokio::sync::OnceCell::new(),
            }),
        }
    }

    pub fn cfg(&self) -> &Config {
        &self.inner.cfg
    }

    /// Run `f` with a store of its own on the blocking pool (rusqlite is synchronous and
    /// `Store` is not `Sync`; SQLite WAL lets these run side by side).
    pub async fn db<T, F>(&self, f: F) -> Result<T, WebError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store, &Config) -> Result<T, WebError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = Store::open(&state.inner.data_dir)?;
            f(&mut store, &state.inner.cfg)
        })
        .await
        .map_err(|e| WebError::Internal(format!("a database task failed: {e}")))?
    }
}

/// Every route of the UI and the API, in one place.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/queue") }))
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/logout", post(auth::logout))
        .route("/queue", get(queue::page))
        .route("/items/{id}", get(items::page))
        .route("/items/{id}/edit", post(items::edit))
        .route("/items/{id}/fix", post(items::fix))
        .route("/items/{id}/learn-buyer", post(items::learn_buyer))
        .route("/items/{id}/approve", post(items::approve))
        .route("/items/{id}/reject", post(items::reject))
        .route("/items/{id}/skip", post(items::skip))
        .route("/documents/{id}/original", get(documents::original))
        .route(
            "/documents/{id}/attachments/{n}",
            get(documents::attachment),
        )
        .route("/deliveries", get(deliveries::page))
        .route("/deliveries/{order_id}/retry", post(deliveries::retry))
        .route(
            "/deliveries/{order_id}/delivered",
            post(deliveries::delivered),
        )
        .route("/static/style.css", get(style_css))
        .route("/static/app.js", get(app_js))
        .route("/api/login", post(api::login))
        .route("/api/logout", post(api::logout))
        .route("/api/queue", get(api::queue))
        .route("/api/items/{id}", get(api::item))
        .route("/api/items/{id}/approve", post(api::approve))
        .route("/api/items/{id}/reject", post(api::reject))
        .route("/api/items/{id}/edit", post(api::edit))
        .route("/api/items/{id}/fix", post(api::fix))
        .route("/api/deliveries", get(api::deliveries))
        .route("/metrics", get(ops::metrics))
        .merge(upload::routes(&state))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        // Probes bypass the session layer: no cookie lookup, no store access for /healthz.
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024))
        .with_state(state)
}

/// Serve the UI on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, cfg: Config) -> std::io::Result<()> {
    // Make sure the schema is current before the first request (and fail early if not).
    let data_dir = cfg.data_dir.clone();
    tokio::task::spawn_blocking(move || Store::open(&data_dir).map(|_| ()))
        .await
        .map_err(std::io::Error::other)?
        .map_err(std::io::Error::other)?;
    let app = router(AppState::new(cfg));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// Render a template as an HTML page with the security headers every page carries.
pub(crate) fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => with_page_headers(Html(html).into_response()),
        Err(e) => WebError::Internal(format!("rendering a page failed: {e}")).into_response(),
    }
}

pub(crate) fn with_page_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'self'; frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn style_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("static/style.css"),
    )
        .into_response()
}

async fn app_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        include_str!("static/app.js"),
    )
        .into_response()
}
