//! Endpoints for operators and their tools, not for reviewers: `/healthz` (the process
//! answers), `/readyz` (the store opens and the model loads) and `/metrics` (Prometheus text
//! exposition format, version 0.0.4).
//!
//! The metrics are read from the store on every scrape, not kept in this process: `watch`,
//! `ingest` and `serve` usually run as separate processes on one store, and the store is what
//! they share. A scrape costs a handful of `GROUP BY` queries.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::auth::Reviewer;
use super::AppState;
use crate::domain::OrderState;
use crate::extract::Extractor;
use crate::store::{Histogram, Store, StoreError};

/// The environment variable holding the bearer token that may scrape `/metrics`.
pub const METRICS_TOKEN_ENV: &str = "PO_INTAKE_METRICS_TOKEN";

/// Upper bounds (seconds) of the processing-time histogram buckets.
const PROCESSING_BUCKETS: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Upper bounds (seconds) of the extraction-time histogram buckets.
const EXTRACTION_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Upper bounds (seconds) of the stored -> decided histogram buckets: a touchless order takes
/// seconds, one that waits for a reviewer minutes to days.
const DECISION_BUCKETS: &[f64] = &[
    1.0, 10.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0, 259200.0, 604800.0,
];

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// 200 while the process can answer at all. Touches nothing, so a slow store never makes an
/// orchestrator kill a live process.
pub async fn healthz() -> Response {
    text(StatusCode::OK, "ok\n".into())
}

/// 200 when the store opens (and is migrated) and the extraction model has loaded; 503 with
/// the reason otherwise. The model is loaded on the first probe (not at start, so a server
/// that is never probed pays nothing) and kept; a failed load is tried again next probe.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let store = state
        .db(|s, _| Ok(s.schema_version()?))
        .await
        .map(|v| format!("store: ok (schema {v})"))
        .map_err(|e| format!("store: {e}"));
    let cfg = state.cfg().extract.clone();
    let model = state
        .inner
        .model_version
        .get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || {
                Extractor::from_config(&cfg)
                    .map(|x| x.version().to_string())
                    .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| format!("the model load failed: {e}"))?
        })
        .await
        .map(|v| format!("model: ok ({v})"))
        .map_err(|e| format!("model: {e}"));
    let ready = store.is_ok() && model.is_ok();
    let body = [store, model]
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| e))
        .collect::<Vec<_>>()
        .join("\n");
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    text(status, format!("{body}\n"))
}

/// Whether this request may read `/metrics`: always when `web.metrics_public`; else with a
/// reviewer session or the bearer token from [`METRICS_TOKEN_ENV`] (unset or empty: no token
/// is accepted).
fn may_scrape(state: &AppState, reviewer: bool, headers: &HeaderMap) -> bool {
    if state.cfg().web.metrics_public || reviewer {
        return true;
    }
    let Ok(token) = std::env::var(METRICS_TOKEN_ENV) else {
        return false;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Compared as hashes so the time taken says nothing about how much of it matched.
    !token.is_empty()
        && given.is_some_and(|g| {
            crate::store::sha256_hex(g.trim().as_bytes())
                == crate::store::sha256_hex(token.as_bytes())
        })
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(
    State(state): State<AppState>,
    reviewer: Result<Reviewer, Response>,
    headers: HeaderMap,
) -> Response {
    if !may_scrape(&state, reviewer.is_ok(), &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need a session or a bearer token (web.metrics_public = false)\n",
        )
            .into_response();
    }
    match state.db(|s, _| Ok(render_metrics(s)?)).await {
        Ok(body) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// A Prometheus text-format writer: `# HELP`/`# TYPE` once per family, then samples.
#[derive(Default)]
struct Prom {
    out: String,
}

impl Prom {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// A histogram's `_bucket` (cumulative, then `+Inf`), `_sum` and `_count` samples.
    fn histogram(&mut self, name: &str, labels: &[(&str, &str)], bounds: &[f64], h: &Histogram) {
        let bucket = format!("{name}_bucket");
        for (le, n) in bounds.iter().zip(&h.buckets) {
            let le = number(*le);
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            self.sample(&bucket, &with_le, *n as f64);
        }
        let mut inf = labels.to_vec();
        inf.push(("le", "+Inf"));
        self.sample(&bucket, &inf, h.count as f64);
        self.sample(&format!("{name}_sum"), labels, h.sum);
        self.sample(&format!("{name}_count"), labels, h.count as f64);
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            let inner: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            let _ = write!(self.out, "{{{}}}", inner.join(","));
        }
        let _ = writeln!(self.out, " {}", number(value));
    }
}

/// A label value as the text format wants it: `\`, `"` and newlines escaped.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A sample value: integers without a fraction, `+Inf`/`-Inf`/`NaN` spelled as Prometheus does.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn seconds_since(rfc3339: &str, now: chrono::DateTime<chrono::Utc>) -> Option<f64> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?;
    Some(((now - t.with_timezone(&chrono::Utc)).num_milliseconds() as f64 / 1000.0).max(0.0))
}

fn timestamp(rfc3339: &str) -> Option<f64> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?;
    Some(t.timestamp_millis() as f64 / 1000.0)
}

/// Every metric, from the store. Names and meanings are listed in the README (Operations).
pub fn render_metrics(store: &Store) -> Result<String, StoreError> {
    let now = chrono::Utc::now();
    let mut p = Prom::default();

    p.family(
        "po_intake_documents",
        "gauge",
        "Documents in the store by source (folder, imap, ...) and status (stored, processed, failed).",
    );
    for (source, status, n) in store.document_counts_by_source()? {
        p.sample(
            "po_intake_documents",
            &[("source", &source), ("status", &status)],
            n as f64,
        );
    }

    p.family(
        "po_intake_orders",
        "gauge",
        "Orders by state: review (the rules or a reviewer held it), accepted (queued), rejected, delivered, delivery_failed.",
    );
    let orders = store.order_counts()?;
    for st in OrderState::ALL {
        let n = orders
            .iter()
            .find(|(k, _)| k == st.as_str())
            .map_or(0, |(_, n)| *n);
        p.sample("po_intake_orders", &[("state", st.as_str())], n as f64);
    }

    p.family(
        "po_intake_open_exceptions",
        "gauge",
        "Exceptions on orders waiting for review, by code.",
    );
    for (code, n) in store.exception_counts()? {
        p.sample("po_intake_open_exceptions", &[("code", &code)], n as f64);
    }

    let ob = store.outbox_counts()?;
    p.family(
        "po_intake_outbox_entries",
        "gauge",
        "Outbox entries by state (pending includes those waiting for a retry).",
    );
    for (state, n) in [
        ("pending", ob.pending),
        ("retrying", ob.retrying),
        ("delivered", ob.delivered),
        ("delivery_failed", ob.delivery_failed),
    ] {
        p.sample("po_intake_outbox_entries", &[("state", state)], n as f64);
    }
    p.family(
        "po_intake_outbox_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest pending delivery (0 when none is pending).",
    );
    let age = ob
        .oldest_pending_at
        .as_deref()
        .and_then(|t| seconds_since(t, now))
        .unwrap_or(0.0);
    p.sample("po_intake_outbox_oldest_pending_age_seconds", &[], age);

    p.family(
        "po_intake_worker_restarts_total",
        "counter",
        "Restarts of supervised workers after a panic or an error exit.",
    );
    for w in store.worker_health()? {
        p.sample(
            "po_intake_worker_restarts_total",
            &[("worker", &w.worker)],
            w.restarts as f64,
        );
    }

    let mailboxes = store.mailbox_summaries()?;
    p.family(
        "po_intake_mailbox_connected",
        "gauge",
        "1 when the mailbox's watcher last reported a live connection.",
    );
    for m in &mailboxes {
        let up = if m.health.connected { 1.0 } else { 0.0 };
        p.sample(
            "po_intake_mailbox_connected",
            &[("mailbox", &m.mailbox)],
            up,
        );
    }
    p.family(
        "po_intake_mailbox_last_sync_timestamp_seconds",
        "gauge",
        "When the mailbox was last checked completely (Unix time).",
    );
    for m in &mailboxes {
        if let Some(t) = m.health.last_sync.as_deref().and_then(timestamp) {
            p.sample(
                "po_intake_mailbox_last_sync_timestamp_seconds",
                &[("mailbox", &m.mailbox)],
                t,
            );
        }
    }

    let name = "po_intake_document_processing_seconds";
    p.family(
        name,
        "histogram",
        "Time from a document stored to processed (parse, extraction, rules), processed documents.",
    );
    let (buckets, count, sum) = store.processing_seconds_histogram(PROCESSING_BUCKETS)?;
    let h = Histogram {
        buckets,
        count,
        sum,
    };
    p.histogram(name, &[], PROCESSING_BUCKETS, &h);

    let name = "po_intake_extraction_seconds";
    p.family(
        name,
        "histogram",
        "Time to read a document on the reader thread: parse + extraction (model and decoder); documents processed by a build that records it.",
    );
    let h = store.extraction_seconds_histogram(EXTRACTION_BUCKETS)?;
    p.histogram(name, &[], EXTRACTION_BUCKETS, &h);

    let name = "po_intake_order_decision_seconds";
    p.family(
        name,
        "histogram",
        "Time from a document stored to its order decided: accepted by the rules (path=touchless) or approved/rejected by a reviewer (path=reviewed).",
    );
    for (path, h) in store.decision_seconds_histograms(DECISION_BUCKETS)? {
        p.histogram(name, &[("path", path)], DECISION_BUCKETS, &h);
    }

    Ok(p.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_and_numbers_are_written_as_prometheus_reads_them() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(f64::INFINITY), "+Inf");
        let mut p = Prom::default();
        p.sample("m", &[("k", "v\"")], 1.5);
        assert_eq!(p.out, "m{k=\"v\\\"\"} 1.5\n");
    }
}
