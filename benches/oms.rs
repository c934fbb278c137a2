//! `cargo bench --bench oms`: orders per second delivered by `push` to a fast local receiver
//! (an axum app on 127.0.0.1 that dedupes by Idempotency-Key and answers 201), and to the
//! file connector. Sizes via env: OMS_BENCH_ORDERS (default 3000), OMS_BENCH_IN_FLIGHT (16).

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::Utc;

use po_intake::domain::{
    CheckResult, Field, Incoming, LineItem, LineMatch, MatchKind, Order, SourceKind,
};
use po_intake::oms::{self, ConnectorConfig, HttpConfig, OmsConfig};
use po_intake::store::{IngestOutcome, NewOrder, Store};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn order(i: usize) -> NewOrder {
    let lines = (1..=5)
        .map(|n| LineItem {
            line_no: n,
            sku: Some(Field::certain(format!("AB-{n}00"))),
            description: Some(Field::certain(format!("Widget size {n}"))),
            quantity: Some(Field::certain(n as f64)),
            unit_price: Some(Field::certain(9.5)),
            amount: Some(Field::certain(9.5 * n as f64)),
            ..LineItem::default()
        })
        .collect();
    NewOrder {
        order: Order {
            po_number: Some(Field::certain(format!("PO-{i}"))),
            buyer: Some(Field::certain("Acme Buying".to_string())),
            currency: Some(Field::certain("EUR".to_string())),
            lines,
            ..Order::default()
        },
        check: CheckResult {
            customer_id: Some("C1".into()),
            currency: None,
            exceptions: vec![],
            lines: (1..=5)
                .map(|n| LineMatch {
                    line_no: n,
                    matched_sku: Some(format!("AB-{n}00")),
                    kind: MatchKind::Exact,
                    uom_code: None,
                })
                .collect(),
        },
    }
}

/// `n` accepted orders, 20 per document.
fn seed(dir: &Path, n: usize) {
    let mut store = Store::open(dir).expect("store");
    let mut i = 0;
    let mut doc_no = 0;
    while i < n {
        let batch: Vec<NewOrder> = (i..(i + 20).min(n)).map(order).collect();
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

async fn receive(
    State(seen): State<Arc<Mutex<HashSet<String>>>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) else {
        return StatusCode::BAD_REQUEST;
    };
    if serde_json::from_str::<serde_json::Value>(&body).is_err() {
        return StatusCode::BAD_REQUEST;
    }
    if seen.lock().expect("lock").insert(key.to_string()) {
        StatusCode::CREATED
    } else {
        StatusCode::CONFLICT
    }
}

fn main() {
    // `cargo bench` passes --bench; a plain `cargo test --benches` run passes nothing and
    // gets a tiny size so it stays quick.
    let benching = std::env::args().any(|a| a == "--bench");
    let n = env_usize("OMS_BENCH_ORDERS", if benching { 3000 } else { 50 });
    let in_flight = env_usize("OMS_BENCH_IN_FLIGHT", 16);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let seen = Arc::new(Mutex::new(HashSet::new()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/orders", listener.local_addr().expect("addr"));
        let app = Router::new().route("/orders", post(receive)).with_state(seen.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let dir = tempfile::tempdir().expect("tempdir");
        let t = Instant::now();
        let d = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || seed(&d, n)).await.expect("seed");
        println!("seeded {n} accepted orders in {:.2?}", t.elapsed());

        let mut cfg = OmsConfig {
            connector: ConnectorConfig::Http(HttpConfig::new(&url)),
            max_in_flight: in_flight,
            poll_interval_ms: 10,
            ..OmsConfig::default()
        };
        let t = Instant::now();
        let report = oms::push_once(dir.path(), &cfg).await.expect("push");
        let secs = t.elapsed().as_secs_f64();
        let received = seen.lock().expect("lock").len();
        assert_eq!(report.delivered as usize, n, "{report}");
        assert_eq!(received, n, "receiver got {received} distinct orders");
        println!(
            "http: {n} orders delivered in {secs:.2} s = {:.0} orders/s (max_in_flight {in_flight})",
            n as f64 / secs
        );

        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || seed(&d, n)).await.expect("seed");
        cfg.connector = ConnectorConfig::File { dir: None };
        let t = Instant::now();
        let report = oms::push_once(dir.path(), &cfg).await.expect("push");
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(report.delivered as usize, n, "{report}");
        println!(
            "file: {n} orders written in {secs:.2} s = {:.0} orders/s (fsync per file)",
            n as f64 / secs
        );
    });
}
