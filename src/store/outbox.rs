//! The OMS outbox: the database is the queue. An entry is written in the same transaction
//! that accepts its order, so an accepted order is never lost and never enqueued twice
//! (`order_id` is UNIQUE).
//!
//! Lifecycle of an entry (`state`):
//! - `pending`: due at `next_at`. Claiming an entry for an attempt bumps `attempts` and moves
//!   `next_at` forward by a lease, in one transaction; if the process dies mid-attempt the
//!   entry simply becomes due again when the lease runs out (at-least-once sending; the
//!   idempotency key makes it exactly-once at the OMS).
//! - `delivered`: the OMS took it (2xx, or 409 "already exists"); the order is `delivered`.
//! - `delivery_failed`: parked for a person (retries exhausted, or refused by the OMS); the
//!   order is `delivery_failed`. A person can retry it or mark it delivered by hand.
//!
//! Every attempt and every change is in the audit log under entity `"outbox"` with the
//! **order id** as `entity_id` (the outbox is 1:1 with orders), so `audit_for("outbox",
//! order_id)` is the delivery history of an order. Order state changes are also logged under
//! entity `"order"`.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction, TransactionBehavior};
use serde::Serialize;
use serde_json::json;

use super::{audit, now, Result, Store, StoreError};
use crate::domain::{CheckResult, Order};

/// The idempotency key the OMS sees for an order: stable across retries and restarts.
///
/// Derived from the order id, its document id and the start of the document's sha256: ids
/// alone restart at 1 in a new data dir, and a fresh install sending to the same OMS would
/// then have its new orders refused as "already exists". With the content hash in it, the
/// same key means the same document's same order.
pub fn idempotency_key(order_id: i64, document_id: i64, document_sha256: &str) -> String {
    let h: String = document_sha256
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(12)
        .collect();
    format!("po-intake-{h}-{document_id}-{order_id}")
}

/// Enqueue delivery of an accepted order (inside the accepting transaction).
pub(crate) fn enqueue(
    tx: &Transaction<'_>,
    order_id: i64,
    document_id: i64,
    order: &Order,
    check: &CheckResult,
) -> Result<()> {
    let sha: String = tx.query_row(
        "SELECT sha256 FROM documents WHERE id = ?1",
        [document_id],
        |r| r.get(0),
    )?;
    let key = idempotency_key(order_id, document_id, &sha);
    let payload = crate::oms::payload(order_id, document_id, &key, order, check);
    tx.execute(
        "INSERT OR IGNORE INTO outbox (order_id, idempotency_key, payload, state, next_at, created_at)
         VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
        params![order_id, key, payload.to_string(), now()],
    )?;
    Ok(())
}

/// A timestamp as stored (RFC 3339, milliseconds, `Z`): these compare correctly as text.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// State of an outbox entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    DeliveryFailed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::DeliveryFailed => "delivery_failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeliveryState::Pending),
            "delivered" => Some(DeliveryState::Delivered),
            "delivery_failed" => Some(DeliveryState::DeliveryFailed),
            _ => None,
        }
    }
}

/// One outbox row, for the review UI and the CLI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub order_id: i64,
    pub idempotency_key: String,
    pub state: DeliveryState,
    /// Attempts started so far (reset to 0 when a person retries).
    pub attempts: u32,
    /// When the entry is next due (for a pending one).
    pub next_at: String,
    /// HTTP status of the last attempt, if there was a response.
    pub last_status: Option<u16>,
    /// Why the last attempt failed (for a parked entry: the OMS's answer).
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

const ENTRY_COLS: &str = "id, order_id, idempotency_key, state, attempts, next_at, last_status, last_error, created_at, delivered_at";

fn row_to_entry(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let state: String = r.get(3)?;
    Ok(OutboxEntry {
        id: r.get(0)?,
        order_id: r.get(1)?,
        idempotency_key: r.get(2)?,
        state: DeliveryState::parse(&state).unwrap_or(DeliveryState::Pending),
        attempts: r.get::<_, i64>(4)?.clamp(0, u32::MAX as i64) as u32,
        next_at: r.get(5)?,
        last_status: r
            .get::<_, Option<i64>>(6)?
            .and_then(|s| u16::try_from(s).ok()),
        last_error: r.get(7)?,
        created_at: r.get(8)?,
        delivered_at: r.get(9)?,
    })
}

/// An entry claimed for one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub id: i64,
    pub order_id: i64,
    pub idempotency_key: String,
    /// The payload JSON as enqueued.
    pub payload: String,
    /// The number of this attempt (1 for the first).
    pub attempt: u32,
}

/// Counts for `po-intake status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    /// Waiting to be sent (including those waiting for a retry).
    pub pending: i64,
    /// Of `pending`, those that have failed at least once.
    pub retrying: i64,
    pub delivered: i64,
    /// Parked for a person.
    pub delivery_failed: i64,
    /// When the oldest still-pending entry was enqueued.
    pub oldest_pending_at: Option<String>,
}

/// What came of one attempt, as the outbox loop decided.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome {
    /// The OMS took the order.
    Delivered,
    /// The OMS already had it (409): counts as delivered.
    AlreadyExists,
    /// Failed; try again at this time.
    RetryAt(DateTime<Utc>),
    /// Failed for good: park for a person.
    Parked,
}

/// One finished attempt, to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub outcome: AttemptOutcome,
    /// HTTP status, if there was a response.
    pub status: Option<u16>,
    /// Why it failed (None when delivered).
    pub error: Option<String>,
    pub latency_ms: u64,
    /// The attempt number (from [`Claimed::attempt`]).
    pub attempt: u32,
}

impl Store {
    /// Claim up to `limit` due pending entries, oldest first, for one attempt each: bumps
    /// `attempts` and pushes `next_at` out by `lease`, so another worker (or this one after a
    /// crash) does not pick them up again before the lease runs out.
    pub fn claim_due_deliveries(&mut self, limit: usize, lease: Duration) -> Result<Vec<Claimed>> {
        let now_t = Utc::now();
        let until = now_t + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut claimed = Vec::new();
        {
            let mut sel = tx.prepare_cached(
                "SELECT id, order_id, idempotency_key, payload, attempts FROM outbox
                 WHERE state = 'pending' AND next_at <= ?1 ORDER BY id LIMIT ?2",
            )?;
            let rows = sel.query_map(params![ts(now_t), limit as i64], |r| {
                Ok(Claimed {
                    id: r.get(0)?,
                    order_id: r.get(1)?,
                    idempotency_key: r.get(2)?,
                    payload: r.get(3)?,
                    attempt: (r.get::<_, i64>(4)?.clamp(0, u32::MAX as i64 - 1) as u32) + 1,
                })
            })?;
            for row in rows {
                claimed.push(row?);
            }
            let mut upd = tx.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, next_at = ?2 WHERE id = ?1",
            )?;
            for c in &claimed {
                upd.execute(params![c.id, ts(until)])?;
            }
        }
        tx.commit()?;
        Ok(claimed)
    }

    /// Record the result of one attempt on outbox entry `outbox_id`, with its audit entries
    /// and the order's state change, in one transaction. Returns false when the entry was no
    /// longer pending (e.g. a person marked it delivered meanwhile): then only the attempt is
    /// logged and nothing else changes.
    pub fn record_attempt(&mut self, outbox_id: i64, rec: &AttemptRecord) -> Result<bool> {
        let now_s = now();
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let order_id: i64 = tx
            .query_row(
                "SELECT order_id FROM outbox WHERE id = ?1",
                [outbox_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "outbox entry",
                id: outbox_id,
            })?;
        let status = rec.status.map(i64::from);
        let (action, n, order_to) = match &rec.outcome {
            AttemptOutcome::Delivered | AttemptOutcome::AlreadyExists => {
                let n = tx.execute(
                    "UPDATE outbox SET state = 'delivered', delivered_at = ?2, last_status = ?3,
                     last_error = NULL WHERE id = ?1 AND state = 'pending'",
                    params![outbox_id, now_s, status],
                )?;
                let action = if rec.outcome == AttemptOutcome::Delivered {
                    "delivered"
                } else {
                    "already_exists"
                };
                (action, n, Some("delivered"))
            }
            AttemptOutcome::RetryAt(at) => {
                let n = tx.execute(
                    "UPDATE outbox SET next_at = ?2, last_status = ?3, last_error = ?4
                     WHERE id = ?1 AND state = 'pending'",
                    params![outbox_id, ts(*at), status, rec.error],
                )?;
                ("retry", n, None)
            }
            AttemptOutcome::Parked => {
                let n = tx.execute(
                    "UPDATE outbox SET state = 'delivery_failed', last_status = ?2, last_error = ?3
                     WHERE id = ?1 AND state = 'pending'",
                    params![outbox_id, status, rec.error],
                )?;
                ("parked", n, Some("delivery_failed"))
            }
        };
        let mut detail = json!({
            "attempt": rec.attempt,
            "status": rec.status,
            "latency_ms": rec.latency_ms,
        });
        if let Some(e) = &rec.error {
            detail["error"] = json!(e);
        }
        if let AttemptOutcome::RetryAt(at) = &rec.outcome {
            detail["next_at"] = json!(ts(*at));
        }
        if n == 0 {
            detail["ignored"] = json!("entry no longer pending");
        }
        audit::append(
            &tx,
            "system",
            "outbox",
            Some(order_id),
            action,
            Some(&detail),
        )?;
        if n > 0 {
            if let Some(to) = order_to {
                set_order_state(&tx, order_id, to, &now_s)?;
                audit::append(&tx, "system", "order", Some(order_id), to, None)?;
            }
        }
        tx.commit()?;
        Ok(n > 0)
    }

    /// When the earliest pending entry is due (None when nothing is pending).
    pub fn next_delivery_due(&self) -> Result<Option<DateTime<Utc>>> {
        let s: Option<String> = self.conn().query_row(
            "SELECT MIN(next_at) FROM outbox WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?;
        Ok(s.as_deref().and_then(parse_ts))
    }

    /// Outbox counts per state, for `status`.
    pub fn outbox_counts(&self) -> Result<OutboxCounts> {
        Ok(self.conn().query_row(
            "SELECT
                COALESCE(SUM(state = 'pending'), 0),
                COALESCE(SUM(state = 'pending' AND attempts > 0 AND last_error IS NOT NULL), 0),
                COALESCE(SUM(state = 'delivered'), 0),
                COALESCE(SUM(state = 'delivery_failed'), 0),
                MIN(CASE WHEN state = 'pending' THEN created_at END)
             FROM outbox",
            [],
            |r| {
                Ok(OutboxCounts {
                    pending: r.get(0)?,
                    retrying: r.get(1)?,
                    delivered: r.get(2)?,
                    delivery_failed: r.get(3)?,
                    oldest_pending_at: r.get(4)?,
                })
            },
        )?)
    }

    /// The outbox entry of an order, if it was ever accepted.
    pub fn outbox_entry(&self, order_id: i64) -> Result<Option<OutboxEntry>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {ENTRY_COLS} FROM outbox WHERE order_id = ?1"),
                [order_id],
                row_to_entry,
            )
            .optional()?)
    }

    /// Entries parked for a person (`delivery_failed`), oldest first.
    pub fn parked_deliveries(&self) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {ENTRY_COLS} FROM outbox WHERE state = 'delivery_failed' ORDER BY id"
        ))?;
        let rows = stmt.query_map([], row_to_entry)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A person sends a parked delivery again: the entry is pending and due now with a fresh
    /// attempt budget, the order back to `accepted`. Conflict unless it is parked.
    pub fn retry_delivery(&mut self, order_id: i64, actor: &str) -> Result<()> {
        let now_s = now();
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_at = ?2
             WHERE order_id = ?1 AND state = 'delivery_failed'",
            params![order_id, now_s],
        )?;
        if n == 0 {
            return Err(not_parked(&tx, order_id)?);
        }
        set_order_state(&tx, order_id, "accepted", &now_s)?;
        tx.execute(
            "INSERT INTO review_actions (order_id, actor, action, detail, at) VALUES (?1, ?2, 'retry_delivery', NULL, ?3)",
            params![order_id, actor, now_s],
        )?;
        audit::append(
            &tx,
            actor,
            "outbox",
            Some(order_id),
            "retry_requested",
            None,
        )?;
        audit::append(
            &tx,
            actor,
            "order",
            Some(order_id),
            "accepted",
            Some(&json!({"reason": "delivery retried"})),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A person confirms the order reached the OMS some other way (typed in by hand): the
    /// entry is delivered and is never sent again. Allowed for parked or pending entries;
    /// Conflict if already delivered.
    pub fn mark_delivered_by_hand(&mut self, order_id: i64, actor: &str) -> Result<()> {
        let now_s = now();
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE outbox SET state = 'delivered', delivered_at = ?2
             WHERE order_id = ?1 AND state IN ('pending', 'delivery_failed')",
            params![order_id, now_s],
        )?;
        if n == 0 {
            return Err(not_parked(&tx, order_id)?);
        }
        set_order_state(&tx, order_id, "delivered", &now_s)?;
        tx.execute(
            "INSERT INTO review_actions (order_id, actor, action, detail, at) VALUES (?1, ?2, 'mark_delivered', NULL, ?3)",
            params![order_id, actor, now_s],
        )?;
        audit::append(
            &tx,
            actor,
            "outbox",
            Some(order_id),
            "delivered_by_hand",
            None,
        )?;
        audit::append(
            &tx,
            actor,
            "order",
            Some(order_id),
            "delivered",
            Some(&json!({"by_hand": true})),
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Move an order to a delivery state (from accepted or delivery_failed), bumping its version.
fn set_order_state(tx: &Transaction<'_>, order_id: i64, to: &str, at: &str) -> Result<()> {
    tx.execute(
        "UPDATE orders SET state = ?2, version = version + 1, updated_at = ?3
         WHERE id = ?1 AND state IN ('accepted', 'delivered', 'delivery_failed') AND state != ?2",
        params![order_id, to, at],
    )?;
    Ok(())
}

/// The error for a person's action on an entry that is not in the right state.
fn not_parked(tx: &Transaction<'_>, order_id: i64) -> Result<StoreError> {
    let state: Option<String> = tx
        .query_row(
            "SELECT state FROM outbox WHERE order_id = ?1",
            [order_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match state {
        None => StoreError::NotFound {
            what: "outbox entry for order",
            id: order_id,
        },
        Some(s) => StoreError::Conflict(format!(
            "the delivery of order {order_id} is {s}; nothing to do"
        )),
    })
}
