//! OMS delivery against a real HTTP server on 127.0.0.1 (an axum app bound to port 0) that
//! behaves like an idempotent order API (a repeated `Idempotency-Key` never creates a second
//! order: it answers 409) and misbehaves on purpose: 503s, answers slower than the client's
//! timeout, dropped connections, 429 with Retry-After, 400.
//!
//! Every test ends by proving that each accepted order was created exactly once at the
//! receiver and is `delivered` in the store, or is parked with the reason.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};

use po_intake::domain::{
    CheckResult, Field, Incoming, LineItem, LineMatch, MatchKind, Order, OrderState, SourceKind,
};
use po_intake::oms::file::FileConnector;
use po_intake::oms::{
    self, AuthConfig, Connector, ConnectorConfig, Delivery, HttpConfig, OmsConfig, PushReport,
    RetryConfig, SendOutcome,
};
use po_intake::store::outbox::DeliveryState;
use po_intake::store::{IngestOutcome, NewOrder, Store};

// ---------------------------------------------------------------- the receiver

/// How the receiver misbehaves. Counters count down per request (or per connection).
#[derive(Default)]
struct Behaviour {
    /// Answer 503 to this many requests first.
    fail_503: AtomicU32,
    /// Answer 429 with `Retry-After: <retry_after_s>` to this many requests first.
    fail_429: AtomicU32,
    retry_after_s: AtomicU32,
    /// Create the order, then take this long to answer, for this many requests.
    slow_first: AtomicU32,
    slow_first_ms: AtomicU64,
    /// Every request takes this long (after creating the order).
    slow_all_ms: AtomicU64,
    /// Close this many connections right after accepting them, without an answer.
    drop_connections: AtomicU32,
    /// Answer every request with this status and a body (0 = behave).
    always_status: AtomicU32,
}

#[derive(Debug, Clone)]
struct Seen {
    key: Option<String>,
    at: Instant,
    headers: HeaderMap,
    body: String,
}

#[derive(Default)]
struct Receiver {
    behaviour: Behaviour,
    requests: Mutex<Vec<Seen>>,
    /// Orders created, by idempotency key: (body, how many times created; must stay 1).
    created: Mutex<HashMap<String, (Value, u32)>>,
    dropped: AtomicU32,
    in_flight: AtomicU32,
    max_in_flight: AtomicU32,
}

impl Receiver {
    fn created_count(&self) -> usize {
        self.created.lock().unwrap().len()
    }
    fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
    fn requests_for(&self, key: &str) -> Vec<Seen> {
        let reqs = self.requests.lock().unwrap();
        reqs.iter()
            .filter(|r| r.key.as_deref() == Some(key))
            .cloned()
            .collect()
    }
}

fn take(c: &AtomicU32) -> bool {
    c.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

struct InFlight<'a>(&'a Receiver);
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn receive(State(rx): State<Arc<Receiver>>, headers: HeaderMap, body: String) -> Response {
    let now = rx.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    rx.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _guard = InFlight(&rx);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    rx.requests.lock().unwrap().push(Seen {
        key: key.clone(),
        at: Instant::now(),
        headers: headers.clone(),
        body: body.clone(),
    });
    let b = &rx.behaviour;
    let status = b.always_status.load(Ordering::SeqCst);
    if status != 0 {
        let code = StatusCode::from_u16(status as u16).unwrap();
        return (code, "sku ZZ-999 is not sold to customer C1").into_response();
    }
    if take(&b.fail_503) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
    }
    if take(&b.fail_429) {
        let after = b.retry_after_s.load(Ordering::SeqCst).to_string();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", after)],
            "slow down",
        )
            .into_response();
    }
    let Some(key) = key else {
        return (StatusCode::BAD_REQUEST, "missing Idempotency-Key").into_response();
    };
    let Ok(json) = serde_json::from_str::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "body is not JSON").into_response();
    };
    let fresh = {
        let mut created = rx.created.lock().unwrap();
        match created.get_mut(&key) {
            Some(_) => false,
            None => {
                created.insert(key.clone(), (json, 1));
                true
            }
        }
    };
    // Slow answers come after the order was created, like an OMS that commits and then
    // takes too long to say so: the client's retry must then get a 409, not a second order.
    let mut delay = b.slow_all_ms.load(Ordering::SeqCst);
    if take(&b.slow_first) {
        delay += b.slow_first_ms.load(Ordering::SeqCst);
    }
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if fresh {
        (StatusCode::CREATED, format!("{{\"id\":\"{key}\"}}")).into_response()
    } else {
        (StatusCode::CONFLICT, "order already exists").into_response()
    }
}

/// A listener that closes the first N connections as soon as they are accepted.
struct Dropping {
    inner: TcpListener,
    rx: Arc<Receiver>,
}

impl axum::serve::Listener for Dropping {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let Ok((s, a)) = self.inner.accept().await else {
                continue;
            };
            if take(&self.rx.behaviour.drop_connections) {
                self.rx.dropped.fetch_add(1, Ordering::SeqCst);
                drop(s);
                continue;
            }
            return (s, a);
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// Start the receiver on 127.0.0.1:0; returns its orders URL.
async fn start_receiver(rx: Arc<Receiver>) -> String {
    let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = inner.local_addr().unwrap();
    let app = Router::new()
        .route("/orders", post(receive))
        .with_state(rx.clone());
    tokio::spawn(async move {
        let _ = axum::serve(Dropping { inner, rx }, app).await;
    });
    format!("http://{addr}/orders")
}

// ---------------------------------------------------------------- the store side

fn order(i: usize) -> NewOrder {
    NewOrder {
        order: Order {
            po_number: Some(Field::certain(format!("PO-{i}"))),
            buyer: Some(Field::certain("Acme Buying".to_string())),
            currency: Some(Field::certain("EUR".to_string())),
            total: Some(Field::certain(20.0)),
            lines: vec![LineItem {
                line_no: 1,
                sku: Some(Field::certain("ab100".to_string())),
                quantity: Some(Field::certain(2.0)),
                unit_price: Some(Field::certain(10.0)),
                amount: Some(Field::certain(20.0)),
                ..LineItem::default()
            }],
            ..Order::default()
        },
        check: CheckResult {
            customer_id: Some("C1".to_string()),
            currency: None,
            exceptions: vec![],
            lines: vec![LineMatch {
                line_no: 1,
                matched_sku: Some("AB-100".to_string()),
                kind: MatchKind::Normalised,
                uom_code: None,
            }],
        },
    }
}

/// `n` accepted orders, one document each. Returns (order id, idempotency key).
fn accepted_orders(dir: &Path, n: usize) -> Vec<(i64, String)> {
    let mut store = Store::open(dir).unwrap();
    let mut out = Vec::new();
    for i in 0..n {
        let incoming = Incoming {
            source: SourceKind::Folder,
            origin: "inbox".into(),
            file_name: format!("po-{i}.pdf"),
            sender: None,
            received_at: Utc::now(),
            bytes: format!("%PDF- purchase order {i} {}", dir.display()).into_bytes(),
        };
        let IngestOutcome::New(doc) = store.ingest(&incoming, "application/pdf", None).unwrap()
        else {
            panic!("document {i} already stored")
        };
        for (id, _) in store.record_orders(doc.id, &[order(i)]).unwrap() {
            let key = store.outbox_entry(id).unwrap().unwrap().idempotency_key;
            out.push((id, key));
        }
    }
    out
}

fn http_cfg(url: &str) -> OmsConfig {
    let mut http = HttpConfig::new(url);
    http.timeout_ms = 1000;
    http.connect_timeout_ms = 500;
    OmsConfig {
        connector: ConnectorConfig::Http(http),
        retry: RetryConfig {
            max_attempts: 5,
            base_backoff_ms: 10,
            max_backoff_ms: 50,
            jitter: 0.5,
            max_retry_after_ms: 5000,
        },
        max_in_flight: 4,
        poll_interval_ms: 20,
        push_max_wait_ms: 5000,
    }
}

fn with_http(cfg: &mut OmsConfig, f: impl FnOnce(&mut HttpConfig)) {
    match &mut cfg.connector {
        ConnectorConfig::Http(h) => f(h),
        ConnectorConfig::File { .. } => panic!("not an http config"),
    }
}

/// Each order created exactly once at the receiver and `delivered` in the store, and the
/// receiver holds no order we did not send.
fn assert_delivered_exactly_once(dir: &Path, rx: &Receiver, orders: &[(i64, String)]) {
    let store = Store::open(dir).unwrap();
    let created = rx.created.lock().unwrap();
    for (id, key) in orders {
        let (body, times) = created
            .get(key)
            .unwrap_or_else(|| panic!("order {id} ({key}) never reached the receiver"));
        assert_eq!(*times, 1, "order {id} created {times} times");
        assert_eq!(body["order_id"], *id);
        let entry = store.outbox_entry(*id).unwrap().unwrap();
        assert_eq!(entry.state, DeliveryState::Delivered, "{entry:?}");
        assert!(entry.delivered_at.is_some());
        assert_eq!(
            store.order(*id).unwrap().unwrap().state,
            OrderState::Delivered
        );
    }
    assert_eq!(created.len(), orders.len(), "the receiver has extra orders");
    let counts = store.outbox_counts().unwrap();
    assert_eq!(counts.delivered, orders.len() as i64);
    assert_eq!((counts.pending, counts.delivery_failed), (0, 0));
}

/// The audit trail of an order's delivery attempts: (action, status) per attempt.
fn attempts_in_audit(dir: &Path, order_id: i64) -> Vec<(String, Option<u64>)> {
    let store = Store::open(dir).unwrap();
    store
        .audit_for("outbox", order_id)
        .unwrap()
        .into_iter()
        .filter(|e| e.actor == "system")
        .map(|e| {
            let status = e.detail.as_ref().and_then(|d| d["status"].as_u64());
            assert!(
                e.detail.as_ref().is_some_and(|d| d["latency_ms"].is_u64()),
                "attempt without latency: {e:?}"
            );
            (e.action, status)
        })
        .collect()
}

async fn push(dir: &Path, cfg: &OmsConfig) -> PushReport {
    let report = oms::push_once(dir, cfg).await.unwrap();
    eprintln!("push: {report}");
    report
}

// ---------------------------------------------------------------- the tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_requests_503_are_retried_and_every_order_arrives_once() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    rx.behaviour.fail_503.store(5, Ordering::SeqCst);
    let url = start_receiver(rx.clone()).await;
    let orders = accepted_orders(dir.path(), 12);

    let report = push(dir.path(), &http_cfg(&url)).await;

    assert_delivered_exactly_once(dir.path(), &rx, &orders);
    assert_eq!(report.delivered, 12);
    assert_eq!(report.retried, 5);
    assert_eq!(report.attempts, 17);
    assert_eq!(rx.request_count(), 17);
    assert!(rx.max_in_flight.load(Ordering::SeqCst) <= 4);
    // The audit log has every attempt: the five 503s as retries (which orders met them
    // depends on scheduling), and each order's last attempt delivered.
    let mut retries_503 = 0;
    for (order_id, _) in &orders {
        let trail = attempts_in_audit(dir.path(), *order_id);
        retries_503 += trail
            .iter()
            .filter(|t| **t == ("retry".to_string(), Some(503)))
            .count();
        assert_eq!(trail.last(), Some(&("delivered".to_string(), Some(201))));
    }
    assert_eq!(retries_503, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oms_that_stays_down_parks_the_order_and_a_person_can_retry_it() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    rx.behaviour.fail_503.store(u32::MAX, Ordering::SeqCst);
    let url = start_receiver(rx.clone()).await;
    let orders = accepted_orders(dir.path(), 2);
    let mut cfg = http_cfg(&url);
    cfg.retry.max_attempts = 3;

    let report = push(dir.path(), &cfg).await;

    assert_eq!(
        (report.parked, report.delivered, report.attempts),
        (2, 0, 6)
    );
    assert_eq!(rx.created_count(), 0);
    let store = Store::open(dir.path()).unwrap();
    let parked = store.parked_deliveries().unwrap();
    assert_eq!(parked.len(), 2);
    for p in &parked {
        assert_eq!(p.attempts, 3);
        assert_eq!(p.last_status, Some(503));
        let err = p.last_error.as_deref().unwrap_or_default();
        assert!(
            err.contains("gave up after 3 attempts") && err.contains("down for maintenance"),
            "{err}"
        );
        assert_eq!(
            store.order(p.order_id).unwrap().unwrap().state,
            OrderState::DeliveryFailed
        );
    }
    let counts = store.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.delivery_failed), (0, 2));
    let trail = attempts_in_audit(dir.path(), orders[0].0);
    assert_eq!(
        trail,
        vec![
            ("retry".to_string(), Some(503)),
            ("retry".to_string(), Some(503)),
            ("parked".to_string(), Some(503)),
        ]
    );

    // The OMS is back; a person retries one and types the other in by hand.
    rx.behaviour.fail_503.store(0, Ordering::SeqCst);
    let mut store = Store::open(dir.path()).unwrap();
    store.retry_delivery(orders[0].0, "alice").unwrap();
    store.mark_delivered_by_hand(orders[1].0, "bob").unwrap();
    assert!(
        store.retry_delivery(orders[1].0, "alice").is_err(),
        "not parked any more"
    );
    assert_eq!(
        store.order(orders[0].0).unwrap().unwrap().state,
        OrderState::Accepted
    );
    drop(store);

    let report = push(dir.path(), &cfg).await;
    assert_eq!((report.delivered, report.attempts), (1, 1));
    let created = rx.created.lock().unwrap().clone();
    assert_eq!(created.len(), 1, "the order marked by hand is never sent");
    assert!(created.contains_key(&orders[0].1));
    let store = Store::open(dir.path()).unwrap();
    for (id, _) in &orders {
        assert_eq!(
            store.order(*id).unwrap().unwrap().state,
            OrderState::Delivered
        );
    }
    let hand = store.audit_for("outbox", orders[1].0).unwrap();
    assert!(hand
        .iter()
        .any(|e| e.actor == "bob" && e.action == "delivered_by_hand"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_slower_than_the_timeout_is_retried_without_a_second_order() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    // The first two requests create their order and then answer after 1.5 s, past the
    // 300 ms timeout: the client cannot know the order was taken.
    rx.behaviour.slow_first.store(2, Ordering::SeqCst);
    rx.behaviour.slow_first_ms.store(1500, Ordering::SeqCst);
    let url = start_receiver(rx.clone()).await;
    let orders = accepted_orders(dir.path(), 6);
    let mut cfg = http_cfg(&url);
    with_http(&mut cfg, |h| h.timeout_ms = 300);
    cfg.max_in_flight = 1;

    let started = Instant::now();
    let report = push(dir.path(), &cfg).await;

    assert!(started.elapsed() < Duration::from_secs(5));
    assert_delivered_exactly_once(dir.path(), &rx, &orders);
    assert_eq!(report.retried, 2, "{report:?}");
    assert_eq!(
        report.already_existed, 2,
        "the retries met the orders the slow answers created"
    );
    let store = Store::open(dir.path()).unwrap();
    let e = store.outbox_entry(orders[0].0).unwrap().unwrap();
    assert_eq!((e.attempts, e.last_status), (2, Some(409)));
    let trail = store.audit_for("outbox", orders[0].0).unwrap();
    let first = trail[0].detail.clone().unwrap();
    assert_eq!(trail[0].action, "retry");
    assert!(
        first["error"].as_str().unwrap().contains("timed out"),
        "{first}"
    );
    assert!(first["latency_ms"].as_u64().unwrap() >= 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    rx.behaviour.drop_connections.store(3, Ordering::SeqCst);
    let url = start_receiver(rx.clone()).await;
    let orders = accepted_orders(dir.path(), 5);
    let mut cfg = http_cfg(&url);
    cfg.max_in_flight = 1;

    let report = push(dir.path(), &cfg).await;

    assert_eq!(rx.dropped.load(Ordering::SeqCst), 3);
    assert_delivered_exactly_once(dir.path(), &rx, &orders);
    assert_eq!(report.retried, 3, "{report:?}");
    let store = Store::open(dir.path()).unwrap();
    let trail = store.audit_for("outbox", orders[0].0).unwrap();
    assert_eq!(trail[0].action, "retry");
    let detail = trail[0].detail.clone().unwrap();
    assert!(detail["status"].is_null());
    assert!(!detail["error"].as_str().unwrap_or_default().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_retried_after_the_retry_after_the_oms_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    rx.behaviour.fail_429.store(1, Ordering::SeqCst);
    rx.behaviour.retry_after_s.store(1, Ordering::SeqCst);
    let url = start_receiver(rx.clone()).await;
    let orders = accepted_orders(dir.path(), 1);

    let report = push(dir.path(), &http_cfg(&url)).await;

    assert_delivered_exactly_once(dir.path(), &rx, &orders);
    assert_eq!((report.attempts, report.retried), (2, 1));
    let seen = rx.requests_for(&orders[0].1);
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    // The backoff alone would be 10 ms; Retry-After says a second.
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
    assert_eq!(
        attempts_in_audit(dir.path(), orders[0].0),
        vec![
            ("retry".to_string(), Some(429)),
            ("delivered".to_string(), Some(201))
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_is_parked_at_once_with_the_oms_answer() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    rx.behaviour.always_status.store(400, Ordering::SeqCst);
    let url = start_receiver(rx.clone()).await;
    let orders = accepted_orders(dir.path(), 3);

    let report = push(dir.path(), &http_cfg(&url)).await;

    assert_eq!((report.attempts, report.parked, report.retried), (3, 3, 0));
    assert_eq!(rx.request_count(), 3, "a 400 is never retried");
    let store = Store::open(dir.path()).unwrap();
    for (id, _) in &orders {
        let e = store.outbox_entry(*id).unwrap().unwrap();
        assert_eq!(e.state, DeliveryState::DeliveryFailed);
        assert_eq!((e.attempts, e.last_status), (1, Some(400)));
        let err = e.last_error.unwrap_or_default();
        assert!(
            err.contains("sku ZZ-999 is not sold to customer C1"),
            "{err}"
        );
        assert_eq!(
            store.order(*id).unwrap().unwrap().state,
            OrderState::DeliveryFailed
        );
    }
    assert_eq!(store.parked_deliveries().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_409_means_the_oms_already_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    let url = start_receiver(rx.clone()).await;
    let orders = accepted_orders(dir.path(), 3);
    // The OMS already has the second order (say, from a run whose answer was lost).
    rx.created.lock().unwrap().insert(
        orders[1].1.clone(),
        (serde_json::json!({"order_id": orders[1].0}), 1),
    );

    let report = push(dir.path(), &http_cfg(&url)).await;

    assert_eq!((report.delivered, report.already_existed), (3, 1));
    assert_delivered_exactly_once(dir.path(), &rx, &orders);
    assert_eq!(
        attempts_in_audit(dir.path(), orders[1].0),
        vec![("already_exists".to_string(), Some(409))]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_headers_idempotency_key_and_field_map_are_sent() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    let url = start_receiver(rx.clone()).await;
    let orders = accepted_orders(dir.path(), 1);
    std::env::set_var("PO_INTAKE_TEST_OMS_TOKEN", "s3cret-token");
    std::env::set_var("PO_INTAKE_TEST_OMS_PW", "pw");
    std::env::set_var("PO_INTAKE_TEST_OMS_KEY", "k-123");

    let mut cfg = http_cfg(&url);
    with_http(&mut cfg, |h| {
        h.auth = AuthConfig::Bearer {
            token_env: "PO_INTAKE_TEST_OMS_TOKEN".into(),
        };
        h.headers = BTreeMap::from([("X-Tenant".to_string(), "acme".to_string())]);
        h.field_map = BTreeMap::from([
            ("po_number".to_string(), "customerPo".to_string()),
            ("lines.sku".to_string(), "itemCode".to_string()),
        ]);
    });
    push(dir.path(), &cfg).await;

    assert_delivered_exactly_once(dir.path(), &rx, &orders);
    let seen = rx.requests_for(&orders[0].1);
    let h = &seen[0].headers;
    assert_eq!(h["authorization"], "Bearer s3cret-token");
    assert_eq!(h["x-tenant"], "acme");
    assert_eq!(h["content-type"], "application/json");
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(body["customerPo"], "PO-0");
    assert!(body.get("po_number").is_none());
    assert_eq!(body["customer_id"], "C1");
    assert_eq!(body["idempotency_key"], orders[0].1.as_str());
    // The matched SKU, renamed; the printed one stays as printed.
    assert_eq!(body["lines"][0]["itemCode"], "AB-100");
    assert_eq!(body["lines"][0]["printed_sku"], "ab100");

    // Basic auth and a custom header, on fresh orders.
    for (auth, expect) in [
        (
            AuthConfig::Basic {
                user: "po".into(),
                password_env: "PO_INTAKE_TEST_OMS_PW".into(),
            },
            ("authorization", "Basic cG86cHc="),
        ),
        (
            AuthConfig::Header {
                name: "X-Api-Key".into(),
                value_env: "PO_INTAKE_TEST_OMS_KEY".into(),
            },
            ("x-api-key", "k-123"),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let orders = accepted_orders(dir.path(), 1);
        let mut cfg = http_cfg(&url);
        with_http(&mut cfg, |h| h.auth = auth);
        push(dir.path(), &cfg).await;
        let seen = rx.requests_for(&orders[0].1);
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].headers[expect.0], expect.1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_run_concurrently_but_never_above_max_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    rx.behaviour.slow_all_ms.store(60, Ordering::SeqCst);
    let url = start_receiver(rx.clone()).await;
    let orders = accepted_orders(dir.path(), 15);
    let mut cfg = http_cfg(&url);
    cfg.max_in_flight = 3;

    push(dir.path(), &cfg).await;

    assert_delivered_exactly_once(dir.path(), &rx, &orders);
    assert_eq!(rx.max_in_flight.load(Ordering::SeqCst), 3);
    // Sent oldest first: the first three requests are the first three orders.
    let reqs = rx.requests.lock().unwrap();
    let mut first: Vec<_> = reqs[..3].iter().map(|r| r.key.clone().unwrap()).collect();
    first.sort();
    let mut expect: Vec<_> = orders[..3].iter().map(|o| o.1.clone()).collect();
    expect.sort();
    assert_eq!(first, expect);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_file_connector_writes_one_file_per_order() {
    let dir = tempfile::tempdir().unwrap();
    let orders = accepted_orders(dir.path(), 3);
    let cfg = OmsConfig::default();

    let report = push(dir.path(), &cfg).await;
    assert_eq!(report.delivered, 3);

    let out = dir.path().join("outbox");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expect: Vec<String> = orders.iter().map(|(_, k)| format!("{k}.json")).collect();
    expect.sort();
    assert_eq!(names, expect, "one file per order, no temp files left");
    let store = Store::open(dir.path()).unwrap();
    for (id, key) in &orders {
        let v: Value =
            serde_json::from_slice(&std::fs::read(out.join(format!("{key}.json"))).unwrap())
                .unwrap();
        assert_eq!(v["order_id"], *id);
        assert_eq!(v["lines"][0]["sku"], "AB-100");
        assert_eq!(
            store.order(*id).unwrap().unwrap().state,
            OrderState::Delivered
        );
    }
    drop(store);

    // A re-delivery (as after a crash between writing and recording) overwrites the same
    // file: no second file appears.
    let c = FileConnector::new(out.clone());
    let again = Delivery {
        order_id: orders[0].0,
        idempotency_key: orders[0].1.clone(),
        payload: "{\"order_id\": 1, \"again\": true}".into(),
    };
    assert_eq!(
        c.send(&again).await,
        SendOutcome::Delivered { status: None }
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 3);
    let v: Value =
        serde_json::from_slice(&std::fs::read(out.join(format!("{}.json", orders[0].1))).unwrap())
            .unwrap();
    assert_eq!(v["again"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_delivers_orders_as_they_are_accepted_and_stops_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    rx.behaviour.fail_503.store(2, Ordering::SeqCst);
    let url = start_receiver(rx.clone()).await;
    let first = accepted_orders(dir.path(), 3);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(oms::run_worker(
        dir.path().to_path_buf(),
        http_cfg(&url),
        async move {
            let _ = stop_rx.await;
        },
    ));

    wait_for(|| rx.created_count() == 3, Duration::from_secs(5)).await;
    // More orders accepted while the worker runs (by another thread, as the pipeline does).
    let d = dir.path().to_path_buf();
    let more = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&d).unwrap();
        let doc = match store
            .ingest(
                &Incoming {
                    source: SourceKind::Imap,
                    origin: "INBOX".into(),
                    file_name: "late.eml".into(),
                    sender: None,
                    received_at: Utc::now(),
                    bytes: b"late order".to_vec(),
                },
                "message/rfc822",
                None,
            )
            .unwrap()
        {
            IngestOutcome::New(d) => d,
            IngestOutcome::Duplicate(_) => panic!("duplicate"),
        };
        let ids = store
            .record_orders(doc.id, &[order(100), order(101)])
            .unwrap();
        ids.into_iter()
            .map(|(id, _)| (id, store.outbox_entry(id).unwrap().unwrap().idempotency_key))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    wait_for(|| rx.created_count() == 5, Duration::from_secs(5)).await;

    stop_tx.send(()).unwrap();
    let report = tokio::time::timeout(Duration::from_secs(3), worker)
        .await
        .expect("the worker stops on shutdown")
        .unwrap()
        .unwrap();
    assert_eq!((report.delivered, report.retried), (5, 2));
    let all: Vec<_> = first.into_iter().chain(more).collect();
    assert_delivered_exactly_once(dir.path(), &rx, &all);
}

async fn wait_for(cond: impl Fn() -> bool, limit: Duration) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < limit,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---------------------------------------------------------------- the crash test

/// Env vars that turn `crash_helper_child_push` into the child process of the crash test.
const CHILD_DIR: &str = "PO_INTAKE_OMS_CRASH_CHILD_DIR";
const CHILD_URL: &str = "PO_INTAKE_OMS_CRASH_CHILD_URL";

fn crash_cfg(url: &str) -> OmsConfig {
    let mut cfg = http_cfg(url);
    cfg.max_in_flight = 2;
    cfg.push_max_wait_ms = 8000;
    cfg
}

/// Not a test on its own: the crash test runs this test binary again, filtered to this
/// function, with the env vars set, as the `po-intake push` process it kills.
#[test]
fn crash_helper_child_push() {
    let (Ok(dir), Ok(url)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_URL)) else {
        return;
    };
    let report = oms::push_once_blocking(Path::new(&dir), &crash_cfg(&url)).unwrap();
    println!("child push finished: {report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_push_mid_delivery_and_running_it_again_delivers_the_rest_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    // Slow, so the child is mid-delivery (two in flight) when it is killed.
    rx.behaviour.slow_all_ms.store(150, Ordering::SeqCst);
    let url = start_receiver(rx.clone()).await;
    let orders = accepted_orders(dir.path(), 20);

    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "crash_helper_child_push",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir.path())
        .env(CHILD_URL, &url)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(|| rx.created_count() >= 6, Duration::from_secs(8)).await;
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed, not finished");

    let created_before = rx.created_count();
    assert!(created_before < 20, "killed mid-way, not at the end");
    let store = Store::open(dir.path()).unwrap();
    let counts = store.outbox_counts().unwrap();
    assert!(counts.pending > 0, "{counts:?}");
    drop(store);

    // Restart (the receiver is fast now). Entries the killed process had in flight are
    // still leased for timeout + margin; push waits for them.
    rx.behaviour.slow_all_ms.store(0, Ordering::SeqCst);
    let report = push(dir.path(), &crash_cfg(&url)).await;

    assert_delivered_exactly_once(dir.path(), &rx, &orders);
    assert_eq!(report.still_pending, 0);
    // Orders the receiver had created while their answer was lost in the kill were sent
    // again with the same key and met a 409: repeats at the wire, no duplicate orders.
    let repeats = rx.request_count() - rx.created_count();
    assert_eq!(report.already_existed as usize, repeats, "{report:?}");
    eprintln!(
        "created before the kill: {created_before}, repeated requests after restart: {repeats}"
    );
}

// ---------------------------------------------------------------- the store's queue

#[test]
fn a_claimed_entry_is_leased_and_comes_back_when_the_lease_runs_out() {
    use po_intake::store::outbox::{AttemptOutcome, AttemptRecord};
    let dir = tempfile::tempdir().unwrap();
    let orders = accepted_orders(dir.path(), 2);
    let mut store = Store::open(dir.path()).unwrap();
    let lease = Duration::from_secs(60);

    let a = store.claim_due_deliveries(1, lease).unwrap();
    assert_eq!((a.len(), a[0].order_id, a[0].attempt), (1, orders[0].0, 1));
    let b = store.claim_due_deliveries(10, lease).unwrap();
    assert_eq!(b.len(), 1, "the leased entry is not handed out twice");
    assert_eq!(b[0].order_id, orders[1].0);
    assert!(store.claim_due_deliveries(10, lease).unwrap().is_empty());
    assert!(store.next_delivery_due().unwrap().unwrap() > Utc::now());

    // A lease that has run out (as after a crash) makes the entry due again; the lost
    // attempt still counts towards the limit.
    let dir = tempfile::tempdir().unwrap();
    let orders = accepted_orders(dir.path(), 1);
    let mut store = Store::open(dir.path()).unwrap();
    store.claim_due_deliveries(5, Duration::ZERO).unwrap();
    let again = store.claim_due_deliveries(5, Duration::ZERO).unwrap();
    assert_eq!((again[0].order_id, again[0].attempt), (orders[0].0, 2));
    let counts = store.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.retrying), (1, 0));
    assert!(counts.oldest_pending_at.is_some());

    let changed = store
        .record_attempt(
            again[0].id,
            &AttemptRecord {
                outcome: AttemptOutcome::RetryAt(Utc::now()),
                status: Some(502),
                error: Some("HTTP 502 Bad Gateway".into()),
                latency_ms: 3,
                attempt: 2,
            },
        )
        .unwrap();
    assert!(changed);
    assert_eq!(store.outbox_counts().unwrap().retrying, 1);
    // A person marks it delivered while an attempt is in flight: the attempt's late
    // result changes nothing.
    let c = store.claim_due_deliveries(5, lease).unwrap();
    store.mark_delivered_by_hand(orders[0].0, "carol").unwrap();
    let changed = store
        .record_attempt(
            c[0].id,
            &AttemptRecord {
                outcome: AttemptOutcome::Parked,
                status: Some(400),
                error: Some("late".into()),
                latency_ms: 3,
                attempt: 3,
            },
        )
        .unwrap();
    assert!(!changed);
    let e = store.outbox_entry(orders[0].0).unwrap().unwrap();
    assert_eq!(e.state, DeliveryState::Delivered);
    assert_eq!(
        store.order(orders[0].0).unwrap().unwrap().state,
        OrderState::Delivered
    );
    assert!(store.mark_delivered_by_hand(orders[0].0, "carol").is_err());
}

// ------------------------------------------------- issue 22 item 8: bodies and leases

/// A raw receiver on 127.0.0.1 that answers every request with `500` and a body announced as
/// 3 GB, written as fast as the client takes it. Returns the URL and the bytes of body it
/// managed to write (the client stopping early shows as a small number).
async fn start_huge_body_receiver() -> (String, Arc<AtomicU64>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let w = written.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let w = w.clone();
            tokio::spawn(async move {
                // Read the request head and body (small) until a pause.
                let mut buf = vec![0u8; 64 * 1024];
                let _ = tokio::time::timeout(Duration::from_millis(200), sock.read(&mut buf)).await;
                let head = "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\n\
                            content-length: 3000000000\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                // Bounded: at most the announced 3 GB.
                for _ in 0..(3_000_000_000u64 / chunk.len() as u64) {
                    if sock.write_all(&chunk).await.is_err() {
                        return;
                    }
                    w.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
            });
        }
    });
    (format!("http://{addr}/orders"), written)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_error_body_is_read_only_up_to_a_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (url, written) = start_huge_body_receiver().await;
    let orders = accepted_orders(dir.path(), 1);
    let mut cfg = http_cfg(&url);
    with_http(&mut cfg, |h| h.timeout_ms = 3000);
    cfg.retry.max_attempts = 1;

    let report = push(dir.path(), &cfg).await;

    assert_eq!((report.attempts, report.parked), (1, 1), "{report:?}");
    // Give the server a moment to notice the closed connection.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = written.load(Ordering::SeqCst);
    // 64 KiB read, plus what the socket buffers on both sides hold.
    assert!(sent < 32 << 20, "the client took {sent} bytes of the body");
    let store = Store::open(dir.path()).unwrap();
    let e = store.outbox_entry(orders[0].0).unwrap().unwrap();
    let err = e.last_error.unwrap_or_default();
    assert!(err.contains("HTTP 500"), "{err}");
    assert!(err.len() < 2100, "{} bytes of reason", err.len());
}

/// A connector that promises 300 ms and takes 3 s, and counts how often it is running.
struct Overrunning {
    running: AtomicU32,
    max_running: AtomicU32,
    sends: AtomicU32,
}

impl Connector for Overrunning {
    fn send<'a>(&'a self, _d: &'a Delivery) -> oms::SendFuture<'a> {
        Box::pin(async move {
            self.sends.fetch_add(1, Ordering::SeqCst);
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_running.fetch_max(now, Ordering::SeqCst);
            struct Done<'b>(&'b AtomicU32);
            impl Drop for Done<'_> {
                fn drop(&mut self) {
                    self.0.fetch_sub(1, Ordering::SeqCst);
                }
            }
            let _done = Done(&self.running);
            tokio::time::sleep(Duration::from_secs(3)).await;
            SendOutcome::Delivered { status: Some(201) }
        })
    }

    fn max_duration(&self) -> Duration {
        Duration::from_millis(300)
    }

    fn describe(&self) -> String {
        "overrunning".into()
    }
}

/// The lease is the connector's longest send plus 2 s; an attempt that ran on past it was
/// claimed and sent again while it was still live. Every attempt is now cut at the
/// connector's limit: never two sends of one entry at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_never_outlives_its_lease() {
    let dir = tempfile::tempdir().unwrap();
    accepted_orders(dir.path(), 1);
    let mut cfg = http_cfg("http://127.0.0.1:9/unused");
    cfg.retry.max_attempts = 2;
    cfg.retry.base_backoff_ms = 3000;
    cfg.retry.max_backoff_ms = 3000;
    cfg.retry.jitter = 0.0;
    cfg.push_max_wait_ms = 8000;
    let c = Arc::new(Overrunning {
        running: AtomicU32::new(0),
        max_running: AtomicU32::new(0),
        sends: AtomicU32::new(0),
    });
    let started = Instant::now();
    let report = oms::push_with_connector(dir.path(), &cfg, c.clone())
        .await
        .unwrap();
    assert_eq!(c.max_running.load(Ordering::SeqCst), 1, "{report:?}");
    assert_eq!((report.attempts, report.parked), (2, 1), "{report:?}");
    // Two attempts of 300 ms and one backoff of 3 s; not two of 3 s each.
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}
