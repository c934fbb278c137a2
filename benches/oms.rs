//! `cargo bench --bench oms` (divan): `push` of a store's accepted orders to a fast local
//! receiver (an axum app on 127.0.0.1 that dedupes by Idempotency-Key and answers 201), and
//! to the file connector; divan's item counter gives orders per second. Each sample starts
//! from a freshly seeded store (not timed). Sizes via env: OMS_BENCH_ORDERS (default 3000),
//! OMS_BENCH_IN_FLIGHT (16).

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::sync::LazyLock;
use std::sync::{Arc, Mutex};

use divan::counter::ItemsCount;
use divan::Bencher;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

use po_intake::domain::{CheckResult, Field, LineItem, LineMatch, MatchKind, Order};
use po_intake::oms::{self, ConnectorConfig, HttpConfig, OmsConfig};
use po_intake::store::{NewOrder, Store};

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
    common::seed_orders(&mut store, n, 20, order);
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
    divan::main();
}

static ORDERS: LazyLock<usize> = LazyLock::new(|| env_usize("OMS_BENCH_ORDERS", 3000));

/// A store with [`ORDERS`] accepted orders waiting in the outbox.
fn seeded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path(), *ORDERS);
    dir
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Every order over HTTP to the loopback receiver, `OMS_BENCH_IN_FLIGHT` at once.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn http(bencher: Bencher) {
    let n = *ORDERS;
    let in_flight = env_usize("OMS_BENCH_IN_FLIGHT", 16);
    let rt = runtime();
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let url = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/orders", listener.local_addr().expect("addr"));
        let app = Router::new()
            .route("/orders", post(receive))
            .with_state(seen.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        url
    });
    let cfg = OmsConfig {
        connector: ConnectorConfig::Http(HttpConfig::new(&url)),
        max_in_flight: in_flight,
        poll_interval_ms: 10,
        ..OmsConfig::default()
    };
    bencher
        .counter(ItemsCount::new(n))
        .with_inputs(|| {
            seen.lock().expect("lock").clear();
            seeded()
        })
        .bench_local_values(|dir| {
            let report = rt.block_on(oms::push_once(dir.path(), &cfg)).expect("push");
            assert_eq!(report.delivered as usize, n, "{report}");
            let received = seen.lock().expect("lock").len();
            assert_eq!(received, n, "receiver got {received} distinct orders");
            dir
        });
}

/// Every order written by the file connector (fsync per file).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn file(bencher: Bencher) {
    let n = *ORDERS;
    let rt = runtime();
    let cfg = OmsConfig {
        connector: ConnectorConfig::File { dir: None },
        poll_interval_ms: 10,
        ..OmsConfig::default()
    };
    bencher
        .counter(ItemsCount::new(n))
        .with_inputs(seeded)
        .bench_local_values(|dir| {
            let report = rt.block_on(oms::push_once(dir.path(), &cfg)).expect("push");
            assert_eq!(report.delivered as usize, n, "{report}");
            dir
        });
}
