//! Acknowledgements to customers: the rows `crate::ack` sends by SMTP.
//!
//! Why a sweep and not an insert in the accepting transaction: every way an order is decided
//! (the rules, a reviewer in the UI, the CLI) already commits the order's state; the sweep
//! ([`Store::enqueue_acks`]) derives the acknowledgements from that durable state, one row per
//! order and kind (`UNIQUE`), so a crash anywhere loses none and a repeated sweep adds none.
//! Sending is at least once: a row becomes `sent` after the server took the message; its
//! Message-ID is stable, so a resend after a crash in between is recognisable.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rusqlite::{params, TransactionBehavior};

use super::{now, Result, Store};

/// An acknowledgement that is due.
#[derive(Debug, Clone, PartialEq)]
pub struct DueAck {
    pub id: i64,
    pub order_id: i64,
    /// `accepted` or `rejected`.
    pub kind: String,
    pub to_addr: String,
    pub in_reply_to: Option<String>,
    pub attempts: u32,
}

/// One acknowledgement as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AckRow {
    /// `accepted` or `rejected`.
    pub kind: String,
    /// `pending`, `sent` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    /// Write a pending acknowledgement for every order decided since acknowledgements were
    /// first enabled whose customer is in `customers` (`*`: every customer) and whose document
    /// names a sender address. Returns how many were added.
    pub fn enqueue_acks(&mut self, customers: &[String]) -> Result<usize> {
        let all = customers.iter().any(|c| c == "*");
        let list = serde_json::to_string(customers).unwrap_or_else(|_| "[]".into());
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = now();
        tx.execute(
            "INSERT OR IGNORE INTO ack_settings (id, enabled_at) VALUES (1, ?1)",
            [&at],
        )?;
        let n = tx.execute(
            "INSERT OR IGNORE INTO acks (order_id, kind, to_addr, in_reply_to, state, next_at, created_at)
             SELECT o.id,
                    CASE WHEN o.state = 'rejected' THEN 'rejected' ELSE 'accepted' END,
                    d.sender, d.message_id, 'pending', ?1, ?1
             FROM orders o JOIN documents d ON d.id = o.document_id
             WHERE o.state IN ('accepted', 'delivered', 'delivery_failed', 'rejected')
               AND d.sender LIKE '%_@_%'
               AND o.updated_at >= (SELECT enabled_at FROM ack_settings WHERE id = 1)
               AND (?2 OR o.customer_id IN (SELECT value FROM json_each(?3)))",
            params![at, all, list],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Pending acknowledgements due now, oldest first.
    pub fn due_acks(&self, limit: usize) -> Result<Vec<DueAck>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, order_id, kind, to_addr, in_reply_to, attempts FROM acks
             WHERE state = 'pending' AND next_at <= ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![now(), limit as i64], |r| {
                Ok(DueAck {
                    id: r.get(0)?,
                    order_id: r.get(1)?,
                    kind: r.get(2)?,
                    to_addr: r.get(3)?,
                    in_reply_to: r.get(4)?,
                    attempts: r.get(5)?,
                })
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The server took the message.
    pub fn ack_sent(&mut self, id: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE acks SET state = 'sent', attempts = attempts + 1, sent_at = ?2, last_error = NULL WHERE id = ?1",
            params![id, now()],
        )?;
        Ok(())
    }

    /// An attempt failed: due again after `retry_in`, or given up (`failed`) when `give_up`.
    pub fn ack_failed(
        &mut self,
        id: i64,
        error: &str,
        retry_in: Duration,
        give_up: bool,
    ) -> Result<()> {
        let state = if give_up { "failed" } else { "pending" };
        self.conn().execute(
            "UPDATE acks SET state = ?2, attempts = attempts + 1, last_error = ?3, next_at = ?4 WHERE id = ?1",
            params![id, state, error, ts(Utc::now() + retry_in)],
        )?;
        Ok(())
    }

    /// Every acknowledgement of an order, oldest first.
    pub fn acks_for_order(&self, order_id: i64) -> Result<Vec<AckRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT kind, state, attempts, last_error FROM acks WHERE order_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([order_id], |r| {
                Ok(AckRow {
                    kind: r.get(0)?,
                    state: r.get(1)?,
                    attempts: r.get(2)?,
                    last_error: r.get(3)?,
                })
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
