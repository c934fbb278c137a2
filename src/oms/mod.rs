//! Clean orders to the OMS: the payload sent for an accepted order. (The outbox worker and the
//! connectors come with the OMS issue.)

use serde_json::{json, Value};

use crate::contract::ContractOrder;
use crate::domain::{CheckResult, Order};

/// The canonical delivery payload: the order in the extraction contract shape plus what the
/// rules established (customer id and matched SKUs).
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
                "unit_price": cl.unit_price,
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
        "currency": contract.currency,
        "ship_to": contract.ship_to,
        "total": contract.total,
        "lines": lines,
    })
}

/// Where accepted orders go; the `[oms]` table of the config file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Default)]
#[serde(default)]
pub struct OmsConfig {}
