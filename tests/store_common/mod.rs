//! Shared set-up for tests that need an order waiting in the outbox.

#![allow(dead_code)]

use chrono::Utc;
use po_intake::domain::{CheckResult, Field, Incoming, Order, SourceKind};
use po_intake::store::{IngestOutcome, NewOrder, Store};

/// A store at `dir` with one accepted order (PO `po`) queued for delivery; returns its id.
pub fn one_accepted_order(dir: &std::path::Path, po: &str) -> i64 {
    let mut store = Store::open(dir).expect("store");
    let incoming = Incoming {
        source: SourceKind::Folder,
        origin: "inbox".into(),
        file_name: format!("{po}.pdf"),
        sender: None,
        received_at: Utc::now(),
        bytes: format!("%PDF- order {po}").into_bytes(),
    };
    let IngestOutcome::New(doc) = store
        .ingest(&incoming, "application/pdf", None)
        .expect("ingest")
    else {
        panic!("already stored")
    };
    let order = NewOrder {
        order: Order {
            po_number: Some(Field::certain(po.to_string())),
            ..Order::default()
        },
        check: CheckResult {
            customer_id: Some("C1".into()),
            currency: None,
            exceptions: vec![],
            lines: vec![],
        },
    };
    store.record_orders(doc.id, &[order]).expect("record")[0].0
}
