//! The reviewer web UI: server-rendered HTML (askama templates compiled into the binary), a
//! little plain JavaScript for the keyboard, and a JSON API under `/api/` for the same actions.
//!
//! Shape (after miniflux and atuin): every route is listed in [`router`]; handlers are short
//! (check, act, redirect); the signed-in reviewer is an extractor ([`auth::Reviewer`]) so no
//! handler can forget it; one middleware ([`auth::session_layer`]) finds the session and checks
//! the CSRF token of every POST, so no form can forget that either. SQLite is reached only
//! through [`AppState::db`], which runs the closure on the blocking pool with a `Store` of a
//! small pool (opened and migrated once, reused by every request).
//! [`serve`] takes a bound listener so tests can bind port 0.

mod api;
pub mod auth;
mod deliveries;
mod documents;
mod edit;
mod error;
mod items;
pub mod ops;
mod pageview;
mod queue;
mod stats;
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
    /// Open (and migrated) stores, reused by every request: a store is opened when none is
    /// idle, and at most [`POOL_SIZE`] exist (the semaphore).
    idle: std::sync::Mutex<Vec<Store>>,
    permits: tokio::sync::Semaphore,
    /// How many stores were opened, for the test that they are reused.
    opened: std::sync::atomic::AtomicUsize,
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
                idle: std::sync::Mutex::new(Vec::new()),
                permits: tokio::sync::Semaphore::new(POOL_SIZE),
                opened: std::sync::atomic::AtomicUsize::new(0),
                model_version: tokio::sync::OnceCell::new(),
            }),
        }
    }

    pub fn cfg(&self) -> &Config {
        &self.inner.cfg
    }

    /// Run `f` on the blocking pool with a store of the pool to itself (rusqlite is
    /// synchronous and `Store` is not `Sync`; SQLite WAL lets these run side by side). The
    /// store goes back to the pool afterwards, with the master data it loaded.
    pub async fn db<T, F>(&self, f: F) -> Result<T, WebError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store, &Config) -> Result<T, WebError> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|e| WebError::Internal(format!("the store pool is closed: {e}")))?;
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let inner = &state.inner;
            let idle = inner.idle.lock().ok().and_then(|mut v| v.pop());
            let mut store = match idle {
                Some(s) => s,
                None => {
                    inner
                        .opened
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    Store::open(&inner.data_dir)?
                }
            };
            let out = f(&mut store, &inner.cfg);
            if let Ok(mut v) = inner.idle.lock() {
                v.push(store);
            }
            out
        })
        .await
        .map_err(|e| WebError::Internal(format!("a database task failed: {e}")))?
    }

    /// How many stores this state has opened so far.
    pub fn stores_opened(&self) -> usize {
        self.inner.opened.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Stores open at once for the web layer (requests beyond it wait for one).
const POOL_SIZE: usize = 4;

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
        .route("/items/{id}/forget-layout", post(items::forget_layout))
        .route("/documents/{id}/original", get(documents::original))
        .route(
            "/documents/{id}/attachments/{n}",
            get(documents::attachment),
        )
        .route("/documents/{id}/pages/{n}", get(documents::page_image))
        .route("/deliveries", get(deliveries::page))
        .route("/stats", get(stats::page))
        .route("/deliveries/{order_id}/retry", post(deliveries::retry))
        .route(
            "/deliveries/{order_id}/delivered",
            post(deliveries::delivered),
        )
        .route("/static/style.css", get(style_css))
        .route("/static/app.js", get(app_js))
        .route("/static/pageview.js", get(pageview_js))
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
    // Open (and migrate) the first store before the first request, and fail early if it
    // cannot be opened; it stays in the pool.
    let state = AppState::new(cfg);
    state
        .db(|_, _| Ok(()))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let app = router(state);
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

fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body,
    )
        .into_response()
}

async fn app_js() -> Response {
    script(include_str!("static/app.js"))
}

async fn pageview_js() -> Response {
    script(include_str!("static/pageview.js"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 21 item 5: requests share a few stores opened once, and the master data they
    /// load is kept until it changes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_share_the_stores_and_the_master_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cfg = Config::embedded_default();
        cfg.data_dir = dir.path().to_path_buf();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut store = Store::open(dir.path()).expect("open");
        store
            .import_master(&root.join("fixtures/master"))
            .expect("import");
        drop(store);
        let state = AppState::new(cfg);
        let calls = (0..40).map(|_| {
            state.db(|store, _| {
                let a = store.master()?;
                let b = store.master()?;
                Ok(Arc::ptr_eq(&a, &b))
            })
        });
        for same in futures::future::join_all(calls).await {
            assert!(
                same.expect("db call"),
                "master data loaded twice without a change"
            );
        }
        let opened = state.stores_opened();
        assert!(
            (1..=POOL_SIZE).contains(&opened),
            "{opened} stores for 40 requests"
        );
        // A change to the master data (here a learned buyer, from any connection) is seen.
        let changed = state
            .db(|store, _| {
                let before = store.master()?;
                let mut other = Store::open(store.data_dir())?;
                other.add_buyer_alias("Brennan Foods Incorporated", "C1009", "test")?;
                let after = store.master()?;
                Ok(!Arc::ptr_eq(&before, &after))
            })
            .await
            .expect("db call");
        assert!(changed, "the master data was not reloaded after a change");
    }
}
