//! The review queue: open orders oldest first, filterable by exception code, customer,
//! document origin and age, with counts per code and who is working what.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::auth::Reviewer;
use super::{render, AppState, WebError};
use crate::store::QueueRow;

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    pub code: Option<String>,
    pub customer: Option<String>,
    pub origin: Option<String>,
    /// Only orders received at least this many hours ago.
    pub min_age_hours: Option<String>,
    pub done: Option<String>,
}

fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `source:origin`, as the filter names it.
pub fn origin_key(r: &QueueRow) -> String {
    format!("{}:{}", r.source, r.origin)
}

fn age_hours(r: &QueueRow, now: DateTime<Utc>) -> f64 {
    DateTime::parse_from_rfc3339(&r.received_at)
        .map(|t| (now - t.with_timezone(&Utc)).num_minutes() as f64 / 60.0)
        .unwrap_or(0.0)
}

pub fn age_text(r: &QueueRow, now: DateTime<Utc>) -> String {
    let h = age_hours(r, now);
    if h < 1.0 {
        format!("{} min", (h * 60.0).max(0.0) as i64)
    } else if h < 48.0 {
        format!("{} h", h as i64)
    } else {
        format!("{} d", (h / 24.0) as i64)
    }
}

/// Apply a filter to the queue. A malformed age is a bad request, not a silent no-op.
pub fn filter(rows: Vec<QueueRow>, f: &Filter) -> Result<Vec<QueueRow>, WebError> {
    let min_age = match set(&f.min_age_hours) {
        Some(s) => Some(
            s.parse::<f64>()
                .ok()
                .filter(|h| h.is_finite())
                .ok_or_else(|| {
                    WebError::BadRequest(format!("min_age_hours '{s}' is not a number of hours"))
                })?,
        ),
        None => None,
    };
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .filter(|r| set(&f.code).is_none_or(|c| r.codes.iter().any(|x| x == c)))
        .filter(|r| set(&f.customer).is_none_or(|c| r.customer_id.as_deref() == Some(c)))
        .filter(|r| set(&f.origin).is_none_or(|o| origin_key(r) == o))
        .filter(|r| min_age.is_none_or(|h| age_hours(r, now) >= h))
        .collect())
}

pub struct RowView {
    pub id: i64,
    pub po: String,
    pub customer: String,
    pub buyer: String,
    pub origin: String,
    pub file: String,
    pub age: String,
    pub codes: Vec<String>,
    pub claimed_by: Option<String>,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    user: String,
    csrf: String,
    rows: Vec<RowView>,
    total: usize,
    counts: Vec<(String, i64)>,
    customers: Vec<String>,
    origins: Vec<String>,
    code: String,
    customer: String,
    origin: String,
    min_age_hours: String,
    flash: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    who: Reviewer,
    Query(f): Query<Filter>,
) -> Result<Response, WebError> {
    let (all, counts) = state
        .db(|store, _| Ok((store.review_queue()?, store.exception_counts()?)))
        .await?;
    let total = all.len();
    let mut customers: Vec<String> = all.iter().filter_map(|r| r.customer_id.clone()).collect();
    customers.sort();
    customers.dedup();
    let mut origins: Vec<String> = all.iter().map(origin_key).collect();
    origins.sort();
    origins.dedup();
    let now = Utc::now();
    let rows = filter(all, &f)?
        .into_iter()
        .map(|r| RowView {
            id: r.order_id,
            po: r.po_number.clone().unwrap_or_else(|| "—".into()),
            customer: r.customer_id.clone().unwrap_or_else(|| "unknown".into()),
            buyer: r.buyer.clone().unwrap_or_default(),
            origin: origin_key(&r),
            file: r.file_name.clone(),
            age: age_text(&r, now),
            claimed_by: r
                .claim
                .as_ref()
                .filter(|c| c.user != who.name)
                .map(|c| c.user.clone()),
            codes: r.codes,
        })
        .collect();
    // Only our own words reach the banner: `done` is a link anyone can send a reviewer.
    let flash = f.done.as_deref().and_then(|d| {
        let (what, id) = d.split_once(':').unwrap_or((d, ""));
        let what = match what {
            "approved" | "rejected" | "skipped" => what,
            _ => return None,
        };
        let id: i64 = id.parse().ok()?;
        Some(format!(
            "Order {id} {what}. The queue is clear of orders you can take."
        ))
    });
    Ok(render(&QueuePage {
        user: who.name,
        csrf: who.csrf,
        rows,
        total,
        counts,
        customers,
        origins,
        code: set(&f.code).unwrap_or("").to_string(),
        customer: set(&f.customer).unwrap_or("").to_string(),
        origin: set(&f.origin).unwrap_or("").to_string(),
        min_age_hours: set(&f.min_age_hours).unwrap_or("").to_string(),
        flash,
    }))
}
