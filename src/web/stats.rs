//! Per-customer accuracy for reviewers and their leads (issue 21 item 4): orders, the share
//! accepted without review, and which fields reviewers corrected. The same figures as
//! `po-intake stats`, from [`crate::store::Store::customer_stats`].

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::auth::Reviewer;
use super::{render, AppState, WebError};

/// One row as the page shows it.
struct Row {
    customer: String,
    orders: i64,
    in_review: i64,
    decided: i64,
    touchless: i64,
    touchless_percent: String,
    edited: i64,
    /// `field n`, most corrected first.
    corrections: Vec<String>,
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    user: String,
    csrf: String,
    rows: Vec<Row>,
}

pub async fn page(State(state): State<AppState>, who: Reviewer) -> Result<Response, WebError> {
    let stats = state.db(|store, _| Ok(store.customer_stats()?)).await?;
    let rows = stats
        .iter()
        .map(|c| Row {
            customer: c.customer_label().to_string(),
            orders: c.orders,
            in_review: c.in_review,
            decided: c.decided,
            touchless: c.touchless,
            touchless_percent: c.touchless_percent(),
            edited: c.edited_orders,
            corrections: c
                .corrections()
                .iter()
                .map(|(f, n)| format!("{f} {n}"))
                .collect(),
        })
        .collect();
    Ok(render(&StatsPage {
        user: who.name,
        csrf: who.csrf,
        rows,
    }))
}
