//! Parked OMS deliveries: orders the OMS refused or that ran out of retries. A person sends
//! one again or records that it was entered by hand.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::auth::Reviewer;
use super::{render, AppState, WebError};
use crate::store::outbox::OutboxEntry;

#[derive(Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    user: String,
    csrf: String,
    parked: Vec<OutboxEntry>,
}

pub async fn page(State(state): State<AppState>, who: Reviewer) -> Result<Response, WebError> {
    let parked = state.db(|store, _| Ok(store.parked_deliveries()?)).await?;
    Ok(render(&DeliveriesPage {
        user: who.name,
        csrf: who.csrf,
        parked,
    }))
}

pub async fn retry(
    State(state): State<AppState>,
    who: Reviewer,
    Path(order_id): Path<i64>,
) -> Result<Response, WebError> {
    state
        .db(move |store, _| Ok(store.retry_delivery(order_id, &who.name)?))
        .await?;
    Ok(Redirect::to("/deliveries").into_response())
}

pub async fn delivered(
    State(state): State<AppState>,
    who: Reviewer,
    Path(order_id): Path<i64>,
) -> Result<Response, WebError> {
    state
        .db(move |store, _| Ok(store.mark_delivered_by_hand(order_id, &who.name)?))
        .await?;
    Ok(Redirect::to("/deliveries").into_response())
}
