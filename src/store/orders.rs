//! Orders and their exceptions. Recording a document's orders, their exceptions, the audit
//! entries and (for accepted ones) the outbox entries happens in one transaction, so a crash
//! leaves either all of it or none (and the document is then reprocessed on restart).

use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::Serialize;
use serde_json::json;

use super::{audit, now, outbox, Result, Store, StoreError};
use crate::dedupe::{content_key, po_key, DuplicateHit, DuplicateProbe};
use crate::domain::{CheckResult, Decision, Exception, ExceptionCode, Order, OrderState};

/// An order ready to be recorded.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub order: Order,
    pub check: CheckResult,
}

/// A stored order.
#[derive(Debug, Clone, Serialize)]
pub struct OrderRow {
    pub id: i64,
    pub document_id: i64,
    pub seq: i64,
    pub part: Option<String>,
    pub po_number: Option<String>,
    pub customer_id: Option<String>,
    pub state: OrderState,
    pub order: Order,
    pub check: CheckResult,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// Counts of orders per state, for `status`.
pub type StateCounts = Vec<(String, i64)>;

const ORDER_COLS: &str = "id, document_id, seq, part, po_number, customer_id, state, order_json, check_json, version, created_at, updated_at";

fn row_to_order(r: &Row<'_>) -> rusqlite::Result<OrderRow> {
    let state: String = r.get(6)?;
    let order_json: String = r.get(7)?;
    let check_json: String = r.get(8)?;
    let bad = |i, e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(OrderRow {
        id: r.get(0)?,
        document_id: r.get(1)?,
        seq: r.get(2)?,
        part: r.get(3)?,
        po_number: r.get(4)?,
        customer_id: r.get(5)?,
        state: OrderState::parse(&state).unwrap_or(OrderState::Review),
        order: serde_json::from_str(&order_json).map_err(|e| bad(7, e))?,
        check: serde_json::from_str(&check_json).map_err(|e| bad(8, e))?,
        version: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
    })
}

/// Orders that count for the duplicate check: in review, accepted or delivered.
const LIVE: &str = "state IN ('review', 'accepted', 'delivered', 'delivery_failed')";

/// The duplicate check's keys of an order, as stored beside it: the normalised PO number and
/// the content key ('' when it has none; see [`crate::dedupe`]).
fn keys(order: &Order) -> (String, String) {
    let po = order
        .po_number
        .as_ref()
        .map(|f| po_key(&f.value))
        .unwrap_or_default();
    (po, content_key(order).unwrap_or_default())
}

/// Fill the keys of orders recorded by a build that did not store them (run on open, after
/// the migrations; a no-op once every row has them). An order whose JSON no longer reads
/// gets no content key rather than blocking the store from opening.
pub(super) fn backfill_keys(conn: &rusqlite::Connection) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT id, po_number, order_json FROM orders WHERE po_key IS NULL OR content_key IS NULL",
    )?;
    let rows: Vec<(i64, Option<String>, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, po_number, json) in rows {
        let content = serde_json::from_str::<Order>(&json)
            .ok()
            .and_then(|o| content_key(&o))
            .unwrap_or_default();
        let po = po_number.as_deref().map(po_key).unwrap_or_default();
        conn.execute(
            "UPDATE orders SET po_key = ?2, content_key = ?3 WHERE id = ?1",
            params![id, po, content],
        )?;
    }
    Ok(())
}

/// The PO number (as stored) of a live order of `customer` (both unknown counts as the same)
/// whose normalised PO number is `key`, other than `except`.
fn same_po(
    conn: &rusqlite::Connection,
    customer: Option<&str>,
    key: &str,
    except: i64,
) -> Result<Option<String>> {
    if key.is_empty() {
        return Ok(None);
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT po_number FROM orders WHERE customer_id IS ?1 AND po_key = ?3
         AND po_number IS NOT NULL AND {LIVE} AND id != ?2 ORDER BY id LIMIT 1"
    ))?;
    Ok(stmt
        .query_row(params![customer, except, key], |r| r.get(0))
        .optional()?)
}

fn insert_exceptions(tx: &Transaction<'_>, order_id: i64, exceptions: &[Exception]) -> Result<()> {
    tx.execute("DELETE FROM exceptions WHERE order_id = ?1", [order_id])?;
    for e in exceptions {
        tx.execute(
            "INSERT INTO exceptions (order_id, code, line, message, suggestion) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                order_id,
                e.code.as_str(),
                e.line,
                e.message,
                e.suggestion.as_ref().map(serde_json::to_string).transpose()?
            ],
        )?;
    }
    Ok(())
}

impl Store {
    /// Record the outcome of processing document `document_id`: its orders (accepted ones
    /// enqueued for delivery) and the document marked processed, all in one transaction.
    /// Returns the new order ids with their decisions. A document already processed is left
    /// alone and its existing orders are returned.
    pub fn record_orders(
        &mut self,
        document_id: i64,
        orders: &[NewOrder],
    ) -> Result<Vec<(i64, Decision)>> {
        self.record_read_orders(document_id, orders, None)
    }

    /// [`Store::record_orders`], keeping how long reading the document took (parse +
    /// extraction, on the reader thread) for the extraction latency histogram.
    pub fn record_read_orders(
        &mut self,
        document_id: i64,
        orders: &[NewOrder],
        read_time: Option<std::time::Duration>,
    ) -> Result<Vec<(i64, Decision)>> {
        let read_ms = read_time.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        self.retrying(|s| s.record_orders_once(document_id, orders, read_ms))
    }

    fn record_orders_once(
        &mut self,
        document_id: i64,
        orders: &[NewOrder],
        read_ms: Option<i64>,
    ) -> Result<Vec<(i64, Decision)>> {
        let tx = self.conn_mut().transaction()?;
        let status: Option<String> = tx
            .query_row(
                "SELECT status FROM documents WHERE id = ?1",
                [document_id],
                |r| r.get(0),
            )
            .optional()?;
        match status.as_deref() {
            None => {
                return Err(StoreError::NotFound {
                    what: "document",
                    id: document_id,
                })
            }
            Some("stored") => {}
            Some(_) => {
                drop(tx);
                return Ok(self
                    .orders_for_document(document_id)?
                    .into_iter()
                    .map(|o| (o.id, o.check.decision()))
                    .collect());
            }
        }
        let mut out = Vec::new();
        let ts = now();
        for (seq, new) in orders.iter().enumerate() {
            // The duplicate check ran before this transaction; another writer may have
            // recorded the same PO since. Under the write lock, look once more before an
            // order goes to the outbox.
            let mut new = std::borrow::Cow::Borrowed(new);
            if new.check.decision() == Decision::Accept {
                if let Some(po) = new.order.po_number.as_ref().map(|f| f.value.clone()) {
                    let key = po_key(&po);
                    let customer = new.check.customer_id.clone();
                    if let Some(earlier) = same_po(&tx, customer.as_deref(), &key, -1)? {
                        new.to_mut().check.exceptions.push(Exception {
                            code: ExceptionCode::DuplicatePo,
                            line: None,
                            message: format!(
                                "PO {po} was recorded (as PO {earlier}) while this order was being read."
                            ),
                            suggestion: None,
                        });
                    }
                }
            }
            let new = new.as_ref();
            let decision = new.check.decision();
            let state = match decision {
                Decision::Accept => OrderState::Accepted,
                _ => OrderState::Review,
            };
            let (po, content) = keys(&new.order);
            tx.execute(
                "INSERT INTO orders (document_id, seq, part, po_number, customer_id, state, order_json, check_json, created_at, updated_at, po_key, content_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11)",
                params![
                    document_id,
                    seq as i64,
                    new.order.part,
                    new.order.po_number.as_ref().map(|f| f.value.clone()),
                    new.check.customer_id,
                    state.as_str(),
                    serde_json::to_string(&new.order)?,
                    serde_json::to_string(&new.check)?,
                    ts,
                    po,
                    content
                ],
            )?;
            let order_id = tx.last_insert_rowid();
            insert_exceptions(&tx, order_id, &new.check.exceptions)?;
            let codes: Vec<&str> = new
                .check
                .exceptions
                .iter()
                .map(|e| e.code.as_str())
                .collect();
            audit::append(
                &tx,
                "system",
                "order",
                Some(order_id),
                state.as_str(),
                Some(&json!({"document_id": document_id, "exceptions": codes})),
            )?;
            if state == OrderState::Accepted {
                outbox::enqueue(&tx, order_id, document_id, &new.order, &new.check)?;
            }
            out.push((order_id, decision));
        }
        tx.execute(
            "UPDATE documents SET status = 'processed', processed_at = ?2, read_ms = ?3 WHERE id = ?1",
            params![document_id, ts, read_ms],
        )?;
        audit::append(
            &tx,
            "system",
            "document",
            Some(document_id),
            "processed",
            Some(&json!({"orders": out.len()})),
        )?;
        tx.commit()?;
        Ok(out)
    }

    pub fn order(&self, id: i64) -> Result<Option<OrderRow>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {ORDER_COLS} FROM orders WHERE id = ?1"),
                [id],
                row_to_order,
            )
            .optional()?)
    }

    pub fn orders_for_document(&self, document_id: i64) -> Result<Vec<OrderRow>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {ORDER_COLS} FROM orders WHERE document_id = ?1 ORDER BY seq"
        ))?;
        let rows = stmt.query_map([document_id], row_to_order)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Orders in a state, oldest first.
    pub fn orders_in_state(&self, state: OrderState) -> Result<Vec<OrderRow>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {ORDER_COLS} FROM orders WHERE state = ?1 ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map([state.as_str()], row_to_order)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Is there already an accepted or queued order with this customer and PO number
    /// (other than `except_order`)? Used by the duplicate-PO check.
    pub fn po_exists(
        &self,
        customer_id: &str,
        po_number: &str,
        except_order: Option<i64>,
    ) -> Result<bool> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM orders WHERE customer_id = ?1 AND po_number = ?2
             AND state IN ('review', 'accepted', 'delivered', 'delivery_failed') AND id != ?3",
            params![customer_id, po_number, except_order.unwrap_or(-1)],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// The earlier order `probe` repeats, if any (other than `except_order`): one in review,
    /// accepted or delivered with the same customer (both unknown counts as the same) and the
    /// same normalised PO number, else one created within the window with the same content.
    /// Used by the duplicate-PO check; see [`crate::dedupe`].
    pub fn find_duplicate(
        &self,
        probe: &DuplicateProbe<'_>,
        except_order: Option<i64>,
    ) -> Result<Option<DuplicateHit>> {
        let except = except_order.unwrap_or(-1);
        if let Some(key) = &probe.po_key {
            if let Some(po_number) = same_po(self.conn(), probe.customer_id, key, except)? {
                return Ok(Some(DuplicateHit::SamePo { po_number }));
            }
        }
        if let Some(key) = &probe.content_key {
            let since = (chrono::Utc::now() - chrono::Duration::days(i64::from(probe.window_days)))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT po_number FROM orders WHERE customer_id IS ?1 AND content_key = ?4
                 AND {LIVE} AND id != ?2 AND created_at >= ?3 ORDER BY id LIMIT 1"
            ))?;
            let hit: Option<Option<String>> = stmt
                .query_row(params![probe.customer_id, except, since, key], |r| r.get(0))
                .optional()?;
            if let Some(po_number) = hit {
                return Ok(Some(DuplicateHit::SameContent { po_number }));
            }
        }
        Ok(None)
    }

    /// Replace an order's extraction and check result (a reviewer's edit or a rules re-run).
    /// `expected_version` is the version the caller read: a concurrent change is a Conflict.
    pub fn update_order(
        &mut self,
        id: i64,
        expected_version: i64,
        actor: &str,
        order: &Order,
        check: &CheckResult,
    ) -> Result<i64> {
        let tx = self.conn_mut().transaction()?;
        // What the reviewer changed, for the per-customer corrections of `stats`: read under
        // the same transaction as the update, so it is the version being replaced.
        let before: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT order_json, customer_id FROM orders WHERE id = ?1 AND version = ?2",
                params![id, expected_version],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let mut fields = match &before {
            Some((json, _)) => crate::domain::changed_fields(&serde_json::from_str(json)?, order),
            None => Vec::new(),
        };
        if before.is_some_and(|(_, c)| c != check.customer_id) {
            fields.push("customer".to_string());
        }
        let (po, content) = keys(order);
        let n = tx.execute(
            "UPDATE orders SET order_json = ?3, check_json = ?4, po_number = ?5, customer_id = ?6,
             version = version + 1, updated_at = ?7, po_key = ?8, content_key = ?9
             WHERE id = ?1 AND version = ?2 AND state = 'review'",
            params![
                id,
                expected_version,
                serde_json::to_string(order)?,
                serde_json::to_string(check)?,
                order.po_number.as_ref().map(|f| f.value.clone()),
                check.customer_id,
                now(),
                po,
                content
            ],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "order {id} was changed by someone else or is no longer in review; reload it"
            )));
        }
        insert_exceptions(&tx, id, &check.exceptions)?;
        tx.execute(
            "INSERT INTO review_actions (order_id, actor, action, detail, at) VALUES (?1, ?2, 'edit', NULL, ?3)",
            params![id, actor, now()],
        )?;
        audit::append(
            &tx,
            actor,
            "order",
            Some(id),
            "edited",
            Some(&json!({
                "exceptions": check.exceptions.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(),
                "fields": fields,
            })),
        )?;
        tx.commit()?;
        Ok(expected_version + 1)
    }

    /// A reviewer approves an order in review: it moves to accepted and into the outbox in one
    /// transaction. `expected_version` guards against two reviewers approving at once.
    pub fn approve_order(
        &mut self,
        id: i64,
        expected_version: Option<i64>,
        actor: &str,
    ) -> Result<()> {
        self.finish_review(id, expected_version, actor, OrderState::Accepted, None)
    }

    /// A reviewer rejects an order in review, with a reason.
    pub fn reject_order(
        &mut self,
        id: i64,
        expected_version: Option<i64>,
        actor: &str,
        reason: &str,
    ) -> Result<()> {
        self.finish_review(
            id,
            expected_version,
            actor,
            OrderState::Rejected,
            Some(reason),
        )
    }

    fn finish_review(
        &mut self,
        id: i64,
        expected_version: Option<i64>,
        actor: &str,
        to: OrderState,
        reason: Option<&str>,
    ) -> Result<()> {
        let row = self
            .order(id)?
            .ok_or(StoreError::NotFound { what: "order", id })?;
        let version = expected_version.unwrap_or(row.version);
        let tx = self.conn_mut().transaction()?;
        let n = tx.execute(
            "UPDATE orders SET state = ?3, version = version + 1, updated_at = ?4
             WHERE id = ?1 AND version = ?2 AND state = 'review'",
            params![id, version, to.as_str(), now()],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "order {id} is {} (version {}), not open for review at version {version}: someone else may have acted on it",
                row.state.as_str(),
                row.version
            )));
        }
        let action = if to == OrderState::Accepted {
            "approve"
        } else {
            "reject"
        };
        let detail = reason.map(|r| json!({ "reason": r }));
        tx.execute(
            "INSERT INTO review_actions (order_id, actor, action, detail, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, actor, action, detail.as_ref().map(|d| d.to_string()), now()],
        )?;
        audit::append(&tx, actor, "order", Some(id), to.as_str(), detail.as_ref())?;
        if to == OrderState::Accepted {
            outbox::enqueue(&tx, id, row.document_id, &row.order, &row.check)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Orders per state, for `status`.
    pub fn order_counts(&self) -> Result<StateCounts> {
        let mut stmt = self
            .conn()
            .prepare("SELECT state, COUNT(*) FROM orders GROUP BY state ORDER BY state")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Open exceptions per code (orders in review), for `status` and the queue.
    pub fn exception_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn().prepare(
            "SELECT e.code, COUNT(*) FROM exceptions e JOIN orders o ON o.id = e.order_id
             WHERE o.state = 'review' GROUP BY e.code ORDER BY e.code",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
