//! The OMS outbox: the database is the queue. An entry is written in the same transaction
//! that accepts its order, so an accepted order is never lost and never enqueued twice
//! (`order_id` is UNIQUE).

use rusqlite::{params, Transaction};

use super::{now, Result};
use crate::domain::{CheckResult, Order};

/// The idempotency key the OMS sees for an order: stable across retries and restarts.
pub fn idempotency_key(order_id: i64, document_id: i64) -> String {
    format!("po-intake-{document_id}-{order_id}")
}

/// Enqueue delivery of an accepted order (inside the accepting transaction).
pub(crate) fn enqueue(
    tx: &Transaction<'_>,
    order_id: i64,
    document_id: i64,
    order: &Order,
    check: &CheckResult,
) -> Result<()> {
    let key = idempotency_key(order_id, document_id);
    let payload = crate::oms::payload(order_id, document_id, &key, order, check);
    tx.execute(
        "INSERT OR IGNORE INTO outbox (order_id, idempotency_key, payload, state, next_at, created_at)
         VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
        params![order_id, key, payload.to_string(), now()],
    )?;
    Ok(())
}
