//! The review queue as the web UI sees it: open orders with their document's origin and
//! who is working them. A claim says "a reviewer has this order open"; it expires by itself
//! so a reviewer who walks away does not block an order for long.

use chrono::{Duration, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{now, Result, Store};

/// Who has an order open, until when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    pub user: String,
    pub expires_at: String,
}

/// One open order in the queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub order_id: i64,
    pub document_id: i64,
    pub po_number: Option<String>,
    pub customer_id: Option<String>,
    pub buyer: Option<String>,
    /// Where the document came from: source kind and folder/mailbox.
    pub source: String,
    pub origin: String,
    pub file_name: String,
    pub received_at: String,
    pub created_at: String,
    pub version: i64,
    /// Exception codes, in the order the rules found them.
    pub codes: Vec<String>,
    pub claim: Option<Claim>,
}

impl Store {
    /// Every order in review, oldest first, with origin, exception codes and live claims.
    pub fn review_queue(&self) -> Result<Vec<QueueRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT o.id, o.document_id, o.po_number, o.customer_id, o.order_json, d.source, d.origin,
                    d.file_name, d.received_at, o.created_at, o.version,
                    (SELECT group_concat(code, ',') FROM (SELECT code FROM exceptions e WHERE e.order_id = o.id ORDER BY e.id)),
                    c.user_name, c.expires_at
             FROM orders o JOIN documents d ON d.id = o.document_id
             LEFT JOIN review_claims c ON c.order_id = o.id AND c.expires_at > ?1
             WHERE o.state = 'review' ORDER BY o.created_at, o.id",
        )?;
        let rows = stmt.query_map([now()], |r| {
            let order_json: String = r.get(4)?;
            let buyer = serde_json::from_str::<crate::domain::Order>(&order_json)
                .ok()
                .and_then(|o| o.buyer.map(|b| b.value));
            let codes: Option<String> = r.get(11)?;
            let user: Option<String> = r.get(12)?;
            let expires: Option<String> = r.get(13)?;
            Ok(QueueRow {
                order_id: r.get(0)?,
                document_id: r.get(1)?,
                po_number: r.get(2)?,
                customer_id: r.get(3)?,
                buyer,
                source: r.get(5)?,
                origin: r.get(6)?,
                file_name: r.get(7)?,
                received_at: r.get(8)?,
                created_at: r.get(9)?,
                version: r.get(10)?,
                codes: codes
                    .map(|c| c.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
                claim: user
                    .zip(expires)
                    .map(|(user, expires_at)| Claim { user, expires_at }),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The live claim on an order, if any.
    pub fn claim_of(&self, order_id: i64) -> Result<Option<Claim>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT user_name, expires_at FROM review_claims WHERE order_id = ?1 AND expires_at > ?2",
                params![order_id, now()],
                |r| {
                    Ok(Claim {
                        user: r.get(0)?,
                        expires_at: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Claim an order for `user` for `ttl` unless someone else holds a live claim; returns
    /// the claim now in force (theirs if they hold it).
    pub fn claim_order(&mut self, order_id: i64, user: &str, ttl: Duration) -> Result<Claim> {
        let expires_at = (Utc::now() + ttl).to_rfc3339_opts(SecondsFormat::Millis, true);
        self.conn().execute(
            "INSERT INTO review_claims (order_id, user_name, claimed_at, expires_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (order_id) DO UPDATE SET user_name = excluded.user_name,
                 claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
             WHERE review_claims.user_name = excluded.user_name OR review_claims.expires_at <= ?3",
            params![order_id, user, now(), expires_at],
        )?;
        Ok(self.claim_of(order_id)?.unwrap_or(Claim {
            user: user.to_string(),
            expires_at,
        }))
    }

    /// Drop `user`'s claim on an order (after approve, reject or skip).
    pub fn release_claim(&mut self, order_id: i64, user: &str) -> Result<()> {
        self.conn().execute(
            "DELETE FROM review_claims WHERE order_id = ?1 AND user_name = ?2",
            params![order_id, user],
        )?;
        Ok(())
    }
}
