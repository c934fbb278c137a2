//! Clean orders to the OMS.
//!
//! - [`payload`]: the JSON an accepted order is delivered as (built when it is enqueued).
//! - [`Connector`]: one way of handing a payload to an OMS ([`http::HttpConnector`],
//!   [`file::FileConnector`]). A connector only *classifies* what happened into a
//!   [`SendOutcome`]; it never sleeps or retries.
//! - [`outbox`]: the delivery loop that owns retries, backoff, jitter, limits and parking:
//!   [`push_once`] (drain once, for `po-intake push`) and [`run_worker`] (inside
//!   `watch`/`serve`).
//! - [`OmsConfig`]: the `[oms]` table of the config file.

pub mod config;
pub mod file;
pub mod http;
pub mod outbox;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use serde_json::{json, Value};

use crate::contract::ContractOrder;
use crate::domain::{CheckResult, Order};

/// The canonical delivery payload: the order in the extraction contract shape plus what the
/// rules established (customer id, matched SKUs, the currency when none was printed), with
/// the subtotal and every charge so the OMS books the same total the customer printed.
pub fn payload(
    order_id: i64,
    document_id: i64,
    idempotency_key: &str,
    order: &Order,
    check: &CheckResult,
) -> Value {
    let contract = ContractOrder::from(order);
    let lines: Vec<Value> = contract
        .lines
        .iter()
        .zip(order.lines.iter())
        .map(|(cl, l)| {
            let m = check.lines.iter().find(|m| m.line_no == l.line_no);
            json!({
                "line_no": l.line_no,
                "sku": m.and_then(|m| m.matched_sku.clone()).or_else(|| cl.sku.clone()),
                "printed_sku": cl.sku,
                "customer_part": cl.customer_part,
                "description": cl.description,
                "quantity": cl.quantity,
                "uom": cl.uom,
                "uom_code": m.and_then(|m| m.uom_code.clone()),
                "unit_price": cl.unit_price,
                "price_unit": cl.price_unit.unwrap_or(1.0),
                "discount_pct": cl.discount_pct,
                "amount": cl.amount,
            })
        })
        .collect();
    json!({
        "order_id": order_id,
        "document_id": document_id,
        "idempotency_key": idempotency_key,
        "customer_id": check.customer_id,
        "po_number": contract.po_number,
        "order_date": contract.order_date,
        "buyer": contract.buyer,
        // The currency the rules settled on and checked prices in: the printed one, else the
        // customer's. A currency the extractor only guessed from the addresses' country gives
        // way to the customer's there, so the extracted value must not win here.
        "currency": check.currency.clone().or(contract.currency),
        "ship_to": contract.ship_to,
        "subtotal": contract.subtotal,
        "charges": contract
            .charges
            .iter()
            .map(|c| json!({
                "kind": c.kind,
                "label": c.label,
                "rate_pct": c.rate_pct,
                "amount": c.amount,
            }))
            .collect::<Vec<Value>>(),
        "total": contract.total,
        "lines": lines,
    })
}

pub use config::{AuthConfig, ConnectorConfig, HttpConfig, OmsConfig, RetryConfig};
pub use outbox::{
    push_once, push_once_blocking, push_with_connector, run_worker, run_worker_with, PushReport,
};

/// Errors that stop the delivery stage as a whole (a single failed delivery is never one of
/// these: it is recorded on its outbox row).
#[derive(Debug, thiserror::Error)]
pub enum OmsError {
    /// The `[oms]` config cannot work (bad URL, missing secret env var, ...).
    #[error("OMS config: {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The database thread is gone (it panicked or could not start).
    #[error("the outbox database thread stopped unexpectedly")]
    DbThread,
}

/// What one delivery to the OMS amounts to. Connectors only classify; the outbox loop
/// decides what to do (retry with backoff, park, mark delivered).
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// The OMS took the order.
    Delivered { status: Option<u16> },
    /// The OMS already has an order with this idempotency key (HTTP 409).
    AlreadyExists { status: Option<u16> },
    /// A transient failure: try again, not before `after` if the OMS said so.
    Retry {
        status: Option<u16>,
        after: Option<Duration>,
        reason: String,
    },
    /// The OMS refused the order; retrying will not help. `reason` carries its answer.
    Reject { status: Option<u16>, reason: String },
}

impl SendOutcome {
    /// The HTTP status behind the outcome, if there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            SendOutcome::Delivered { status }
            | SendOutcome::AlreadyExists { status }
            | SendOutcome::Retry { status, .. }
            | SendOutcome::Reject { status, .. } => *status,
        }
    }
}

/// One order to hand over.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub order_id: i64,
    /// Stable per order; the OMS uses it to ignore repeats.
    pub idempotency_key: String,
    /// The payload JSON as enqueued (see [`payload`]).
    pub payload: String,
}

/// The future a connector returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = SendOutcome> + Send + 'a>>;

/// A way to hand orders to an OMS. A new OMS is one file in `oms/` implementing this.
pub trait Connector: Send + Sync {
    /// Try once to deliver; classify what happened. Must not panic and must finish within
    /// [`Connector::max_duration`].
    fn send<'a>(&'a self, delivery: &'a Delivery) -> SendFuture<'a>;

    /// An upper bound on how long one `send` takes (the outbox lease is based on it).
    fn max_duration(&self) -> Duration;

    /// For logs and `status`: where orders go.
    fn describe(&self) -> String;
}

/// Build the connector the config names. `data_dir` is where the default file connector
/// writes (`<data_dir>/outbox/`). Secrets are read from the environment here.
pub fn connector(cfg: &OmsConfig, data_dir: &Path) -> Result<Box<dyn Connector>, OmsError> {
    Ok(match &cfg.connector {
        ConnectorConfig::File { dir } => Box::new(file::FileConnector::new(
            // `join` keeps an absolute `dir` as it is and takes a relative one from data_dir.
            data_dir.join(dir.as_deref().unwrap_or(Path::new("outbox"))),
        )),
        ConnectorConfig::Http(h) => Box::new(http::HttpConnector::new(h)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Charge, ChargeKind, Field, LineItem};

    #[test]
    fn the_payload_carries_charges_price_units_and_the_customers_currency() {
        let order = Order {
            po_number: Some(Field::certain("4711".into())),
            subtotal: Some(Field::certain(100.0)),
            total: Some(Field::certain(124.95)),
            charges: vec![
                Charge {
                    kind: ChargeKind::Freight,
                    label: "Fracht".into(),
                    rate_pct: None,
                    amount: Field::certain(5.0),
                },
                Charge {
                    kind: ChargeKind::Tax,
                    label: "MwSt 19%".into(),
                    rate_pct: Some(19.0),
                    amount: Field::certain(19.95),
                },
            ],
            lines: vec![LineItem {
                line_no: 1,
                quantity: Some(Field::certain(1000.0)),
                unit_price: Some(Field::certain(10.0)),
                price_unit: Some(Field::certain(100.0)),
                amount: Some(Field::certain(100.0)),
                ..LineItem::default()
            }],
            ..Order::default()
        };
        let check = CheckResult {
            customer_id: Some("C1".into()),
            currency: Some("EUR".into()),
            exceptions: vec![],
            lines: vec![],
        };
        let v = payload(1, 2, "k", &order, &check);
        assert_eq!(v["currency"], "EUR");
        assert_eq!(v["subtotal"], 100.0);
        assert_eq!(v["charges"][1]["kind"], "tax");
        assert_eq!(v["charges"][1]["rate_pct"], 19.0);
        assert_eq!(v["lines"][0]["price_unit"], 100.0);
        assert_eq!(v["lines"][0]["discount_pct"], serde_json::Value::Null);
    }

    #[test]
    fn a_guessed_currency_gives_way_to_the_one_the_rules_settled_on() {
        // Guessed from a UAE address (no printed mark, low confidence); the customer is
        // billed in USD and the rules checked the prices in USD.
        let order = Order {
            currency: Some(Field::new("AED".into(), 0.5, None)),
            ..Order::default()
        };
        let mut check = CheckResult {
            customer_id: Some("C1".into()),
            currency: Some("USD".into()),
            exceptions: vec![],
            lines: vec![],
        };
        assert_eq!(payload(1, 2, "k", &order, &check)["currency"], "USD");
        // With no customer currency to settle on, the extracted value is all there is.
        check.currency = None;
        assert_eq!(payload(1, 2, "k", &order, &check)["currency"], "AED");
    }
}
