//! What several benchmarks share: filling a store with orders.

use chrono::Utc;
use po_intake::domain::{Incoming, SourceKind};
use po_intake::store::{IngestOutcome, NewOrder, Store};

/// Record `n` orders made by `order(i)` into `store`, `per_doc` to a stored document.
pub fn seed_orders(store: &mut Store, n: usize, per_doc: usize, order: impl Fn(usize) -> NewOrder) {
    let mut i = 0;
    let mut doc_no = 0;
    while i < n {
        let batch: Vec<NewOrder> = (i..(i + per_doc).min(n)).map(&order).collect();
        let incoming = Incoming {
            source: SourceKind::Folder,
            origin: "bench".into(),
            file_name: format!("bench-{doc_no}.pdf"),
            sender: None,
            received_at: Utc::now(),
            bytes: format!("bench document {doc_no}").into_bytes(),
        };
        let IngestOutcome::New(doc) = store
            .ingest(&incoming, "application/pdf", None)
            .expect("ingest")
        else {
            panic!("duplicate bench document")
        };
        store.record_orders(doc.id, &batch).expect("record");
        i += batch.len();
        doc_no += 1;
    }
}
