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

/// Store a document `file` and record one order for it (PO `po`, one line of 2 x SKU-1 at
/// 5.00), decided by the rules: accepted (touchless) unless `review`, then it waits with a
/// `missing_field` exception. `read_time` is what the reader thread took. Returns
/// (document id, order id).
pub fn record_order(
    store: &mut Store,
    file: &str,
    po: &str,
    customer: Option<&str>,
    review: bool,
    read_time: Option<std::time::Duration>,
) -> (i64, i64) {
    use po_intake::domain::{Exception, ExceptionCode, LineItem};
    let incoming = Incoming {
        source: SourceKind::Folder,
        origin: "inbox".into(),
        file_name: file.to_string(),
        sender: None,
        received_at: Utc::now(),
        bytes: format!("%PDF- order {po} in {file}").into_bytes(),
    };
    let IngestOutcome::New(doc) = store
        .ingest(&incoming, "application/pdf", None)
        .expect("ingest")
    else {
        panic!("already stored")
    };
    let exceptions = if review {
        vec![Exception {
            code: ExceptionCode::MissingField,
            line: None,
            message: "the order date is missing".into(),
            suggestion: None,
        }]
    } else {
        vec![]
    };
    let order = NewOrder {
        order: Order {
            po_number: Some(Field::certain(po.to_string())),
            lines: vec![LineItem {
                line_no: 1,
                sku: Some(Field::certain("SKU-1".into())),
                quantity: Some(Field::certain(2.0)),
                unit_price: Some(Field::certain(5.0)),
                ..LineItem::default()
            }],
            ..Order::default()
        },
        check: CheckResult {
            customer_id: customer.map(str::to_string),
            currency: None,
            exceptions,
            lines: vec![],
        },
    };
    let id = store
        .record_read_orders(doc.id, &[order], read_time)
        .expect("record")[0]
        .0;
    (doc.id, id)
}
