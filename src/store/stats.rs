//! Figures for operators: latency histograms for `/metrics` and the per-customer accuracy
//! table of `po-intake stats` and the UI's stats page (issue 21 item 4).
//!
//! An order is *decided* when it left review: accepted by the rules at ingest (*touchless*),
//! or approved or rejected by a reviewer (*reviewed*; the first approve/reject in
//! `review_actions` is the decision). Orders in review are not decided yet.

use std::collections::BTreeMap;

use rusqlite::params_from_iter;
use serde::Serialize;

use super::{Result, Store};

/// A cumulative histogram: `buckets[i]` counts the values `<=` the i-th bound.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Histogram {
    pub buckets: Vec<i64>,
    pub count: i64,
    pub sum: f64,
}

/// Every decided order with the path it took (`touchless` or `reviewed`) and the time
/// from its document stored to the decision, in seconds (never negative).
const DECISIONS: &str = "
    SELECT CASE WHEN r.at IS NULL THEN 'touchless' ELSE 'reviewed' END AS label,
           MAX(0.0, (julianday(COALESCE(r.at, o.created_at)) - julianday(d.created_at)) * 86400.0) AS secs
    FROM orders o JOIN documents d ON d.id = o.document_id
    LEFT JOIN (SELECT order_id, MIN(at) AS at FROM review_actions
               WHERE action IN ('approve', 'reject') GROUP BY order_id) r ON r.order_id = o.id
    WHERE o.state != 'review'";

/// Every document read by this build (parse + extraction time, seconds).
const READS: &str =
    "SELECT '' AS label, read_ms / 1000.0 AS secs FROM documents WHERE read_ms IS NOT NULL";

/// The decision paths, in the order they are reported.
pub const DECISION_PATHS: [&str; 2] = ["touchless", "reviewed"];

/// One customer's figures (`customer_id` None: orders whose customer is not known).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CustomerStats {
    pub customer_id: Option<String>,
    /// Every order of the customer, decided or not.
    pub orders: i64,
    /// Orders still in review.
    pub in_review: i64,
    /// Orders that left review: touchless + reviewed.
    pub decided: i64,
    /// Accepted by the rules at ingest, never in review.
    pub touchless: i64,
    /// Approved or rejected by a reviewer.
    pub reviewed: i64,
    /// touchless / decided (None when nothing is decided yet).
    pub touchless_share: Option<f64>,
    /// Orders a reviewer edited at least once.
    pub edited_orders: i64,
    /// Per field (`po_number`, `line.sku`, `customer`, ...): in how many orders a reviewer
    /// changed it. Edits recorded by an older build, which kept no field list, count in
    /// `edited_orders` only.
    pub corrected_fields: BTreeMap<String, i64>,
}

impl CustomerStats {
    /// The corrected fields, most often corrected first (then by name): `sku ×3, quantity ×1`.
    pub fn corrections(&self) -> Vec<(&str, i64)> {
        let mut v: Vec<(&str, i64)> = self
            .corrected_fields
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }

    /// The share touchless as a percentage with one decimal, `-` when nothing is decided.
    pub fn touchless_percent(&self) -> String {
        self.touchless_share
            .map_or_else(|| "-".to_string(), |s| format!("{:.1} %", s * 100.0))
    }

    /// The customer id, or `(unknown)`.
    pub fn customer_label(&self) -> &str {
        self.customer_id.as_deref().unwrap_or("(unknown)")
    }
}

/// The per-customer table as `po-intake stats` prints it.
pub fn customer_table(rows: &[CustomerStats]) -> String {
    use std::fmt::Write as _;
    let width = rows
        .iter()
        .map(|r| r.customer_label().chars().count())
        .chain(std::iter::once("customer".len()))
        .max()
        .unwrap_or(8);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:>6}  {:>9}  {:>7}  {:>9}  {:>10}  {:>6}  corrected fields (orders)",
        "customer", "orders", "in review", "decided", "touchless", "touchless%", "edited"
    );
    for r in rows {
        let fields: Vec<String> = r
            .corrections()
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect();
        let _ = writeln!(
            out,
            "{:<width$}  {:>6}  {:>9}  {:>7}  {:>9}  {:>10}  {:>6}  {}",
            r.customer_label(),
            r.orders,
            r.in_review,
            r.decided,
            r.touchless,
            r.touchless_percent(),
            r.edited_orders,
            if fields.is_empty() {
                "-".to_string()
            } else {
                fields.join(", ")
            }
        );
    }
    out
}

fn histogram_by_label(
    store: &Store,
    values: &str,
    bounds: &[f64],
) -> Result<BTreeMap<String, Histogram>> {
    let mut cols: Vec<String> = (1..=bounds.len())
        .map(|i| format!("COALESCE(SUM(secs <= ?{i}), 0)"))
        .collect();
    cols.push("COUNT(*)".into());
    cols.push("COALESCE(SUM(secs), 0.0)".into());
    let sql = format!(
        "SELECT label, {} FROM ({values}) GROUP BY label ORDER BY label",
        cols.join(", ")
    );
    let n = bounds.len();
    let mut stmt = store.conn().prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(bounds.iter()), |r| {
        let mut buckets = Vec::with_capacity(n);
        for i in 0..n {
            buckets.push(r.get(i + 1)?);
        }
        Ok((
            r.get::<_, String>(0)?,
            Histogram {
                buckets,
                count: r.get(n + 1)?,
                sum: r.get(n + 2)?,
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<BTreeMap<_, _>>>()?)
}

fn empty(bounds: &[f64]) -> Histogram {
    Histogram {
        buckets: vec![0; bounds.len()],
        ..Histogram::default()
    }
}

impl Store {
    /// Reading time (parse + extraction) of the documents processed by this build.
    pub fn extraction_seconds_histogram(&self, bounds: &[f64]) -> Result<Histogram> {
        Ok(histogram_by_label(self, READS, bounds)?
            .remove("")
            .unwrap_or_else(|| empty(bounds)))
    }

    /// Time from a document stored to its order decided, per decision path
    /// ([`DECISION_PATHS`], every path present, empty ones as zeros).
    pub fn decision_seconds_histograms(
        &self,
        bounds: &[f64],
    ) -> Result<Vec<(&'static str, Histogram)>> {
        let mut by = histogram_by_label(self, DECISIONS, bounds)?;
        Ok(DECISION_PATHS
            .iter()
            .map(|p| (*p, by.remove(*p).unwrap_or_else(|| empty(bounds))))
            .collect())
    }

    /// Per customer: orders, how many went through untouched, and which fields reviewers
    /// corrected. Customers sorted by id, the unknown customer last.
    pub fn customer_stats(&self) -> Result<Vec<CustomerStats>> {
        let mut out: BTreeMap<Option<String>, CustomerStats> = BTreeMap::new();
        let mut stmt = self.conn().prepare(
            "SELECT o.customer_id, COUNT(*),
                    COALESCE(SUM(o.state = 'review'), 0),
                    COALESCE(SUM(dec.label = 'touchless'), 0),
                    COALESCE(SUM(dec.label = 'reviewed'), 0)
             FROM orders o
             LEFT JOIN (SELECT o.id AS order_id, CASE WHEN r.at IS NULL THEN 'touchless' ELSE 'reviewed' END AS label
                        FROM orders o
                        LEFT JOIN (SELECT order_id, MIN(at) AS at FROM review_actions
                                   WHERE action IN ('approve', 'reject') GROUP BY order_id) r
                          ON r.order_id = o.id
                        WHERE o.state != 'review') dec ON dec.order_id = o.id
             GROUP BY o.customer_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CustomerStats {
                customer_id: r.get(0)?,
                orders: r.get(1)?,
                in_review: r.get(2)?,
                touchless: r.get(3)?,
                reviewed: r.get(4)?,
                ..CustomerStats::default()
            })
        })?;
        for row in rows {
            let mut c = row?;
            c.decided = c.touchless + c.reviewed;
            c.touchless_share = (c.decided > 0).then(|| c.touchless as f64 / c.decided as f64);
            out.insert(c.customer_id.clone(), c);
        }

        // Edits: one audit entry per edit, with the fields it changed (this build on).
        let mut stmt = self.conn().prepare(
            "SELECT o.id, o.customer_id, a.detail FROM audit_log a JOIN orders o ON o.id = a.entity_id
             WHERE a.entity = 'order' AND a.action = 'edited' ORDER BY a.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut per_order: BTreeMap<i64, (Option<String>, std::collections::BTreeSet<String>)> =
            BTreeMap::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let customer: Option<String> = r.get(1)?;
            let detail: Option<String> = r.get(2)?;
            let fields = detail
                .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
                .and_then(|d| {
                    d.get("fields").and_then(|f| f.as_array()).map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect::<Vec<_>>()
                    })
                })
                .unwrap_or_default();
            per_order
                .entry(id)
                .or_insert_with(|| (customer, Default::default()))
                .1
                .extend(fields);
        }
        for (customer, fields) in per_order.into_values() {
            let c = out
                .entry(customer.clone())
                .or_insert_with(|| CustomerStats {
                    customer_id: customer,
                    ..CustomerStats::default()
                });
            c.edited_orders += 1;
            for f in fields {
                *c.corrected_fields.entry(f).or_insert(0) += 1;
            }
        }
        // BTreeMap puts None first; the unknown customer reads better last.
        let (unknown, mut known): (Vec<_>, Vec<_>) =
            out.into_values().partition(|c| c.customer_id.is_none());
        known.extend(unknown);
        Ok(known)
    }
}
