//! Nothing dies silently (issue 21 item 3): a panic in the OMS delivery worker is logged at
//! ERROR with the thread and the order id, the supervisor restarts the worker (the restart is
//! counted in the store, where `status` and `/metrics` read it), and delivery resumes against
//! a real HTTP server on 127.0.0.1.
//!
//! Its own test binary: it installs a process-wide tracing subscriber and panic hook.

mod store_common;

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Router;

use po_intake::oms::http::HttpConnector;
use po_intake::oms::{
    self, Connector, ConnectorConfig, Delivery, HttpConfig, OmsConfig, RetryConfig, SendFuture,
};
use po_intake::store::outbox::DeliveryState;
use po_intake::store::Store;
use po_intake::supervise::{self, Backoff};

/// Every log line of this test binary, as the formatter wrote it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let cap = Captured::default();
        let w = cap.clone();
        tracing_subscriber_init(move || w.clone());
        // The binary's hook, plus the default one so a failing assertion still prints.
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            supervise::log_panic(info);
            default(info);
        }));
        cap
    })
}

fn tracing_subscriber_init<W: Write + 'static>(make: impl Fn() -> W + Send + Sync + 'static) {
    // The same format `po-intake` uses, at the default filter level of the binary (warn):
    // the test proves the panic is visible without raising the log level.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_ansi(false)
        .with_writer(make)
        .try_init();
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

/// A real HTTP connector to the loopback server that panics on its first send.
struct PanicsOnce {
    inner: HttpConnector,
    sends: AtomicU32,
}

impl Connector for PanicsOnce {
    fn send<'a>(&'a self, delivery: &'a Delivery) -> SendFuture<'a> {
        if self.sends.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("injected connector panic");
        }
        self.inner.send(delivery)
    }
    fn max_duration(&self) -> Duration {
        // Short, so the lease on the entry the panic abandoned runs out quickly.
        Duration::from_millis(500)
    }
    fn describe(&self) -> String {
        "panics once".into()
    }
}

async fn start_receiver(created: Arc<AtomicU32>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Router::new().route(
        "/orders",
        post(move || {
            let created = created.clone();
            async move {
                created.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::CREATED
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/orders")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_delivery_worker_is_logged_at_error_and_delivery_resumes() {
    logs();
    let dir = tempfile::tempdir().expect("tempdir");
    let created = Arc::new(AtomicU32::new(0));
    let url = start_receiver(created.clone()).await;
    let order_id = store_common::one_accepted_order(dir.path(), "PO-1");
    let mut http = HttpConfig::new(&url);
    http.timeout_ms = 400;
    http.connect_timeout_ms = 200;
    let cfg = OmsConfig {
        connector: ConnectorConfig::Http(http.clone()),
        retry: RetryConfig {
            max_attempts: 5,
            base_backoff_ms: 10,
            max_backoff_ms: 50,
            jitter: 0.0,
            max_retry_after_ms: 1000,
        },
        max_in_flight: 2,
        poll_interval_ms: 20,
        push_max_wait_ms: 1000,
    };
    let connector: Arc<dyn Connector> = Arc::new(PanicsOnce {
        inner: HttpConnector::new(&http).expect("connector"),
        sends: AtomicU32::new(0),
    });

    // The first run of the worker dies outright (a bug in the loop itself); the second runs
    // the real worker, whose connector panics on its first send.
    let runs = Arc::new(AtomicU32::new(0));
    let make = {
        let (d, runs) = (dir.path().to_path_buf(), runs.clone());
        move || {
            let (d, c, conn) = (d.clone(), cfg.clone(), connector.clone());
            let run = runs.fetch_add(1, Ordering::SeqCst);
            async move {
                if run == 0 {
                    panic!("injected worker panic");
                }
                oms::run_worker_with(d, c, conn, std::future::pending::<()>())
                    .await
                    .map(|_| ())
            }
        }
    };
    let backoff = Backoff {
        base: Duration::from_millis(20),
        max: Duration::from_millis(200),
        healthy_after: Duration::from_secs(60),
    };
    let sup = tokio::spawn(supervise::supervise(
        "oms-delivery".into(),
        dir.path().to_path_buf(),
        backoff,
        make,
    ));

    let start = Instant::now();
    while created.load(Ordering::SeqCst) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the order never arrived; log:\n{}",
            log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sup.abort();

    // Delivered exactly once, recorded as such.
    assert_eq!(created.load(Ordering::SeqCst), 1);
    let store = Store::open(dir.path()).expect("store");
    let start = Instant::now();
    loop {
        let e = store.outbox_entry(order_id).expect("entry").expect("row");
        if e.state == DeliveryState::Delivered {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "not recorded");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The supervisor's restart is in the store (what `status` and /metrics show).
    let workers = store.worker_health().expect("workers");
    assert_eq!(workers.len(), 1, "{workers:?}");
    assert_eq!(workers[0].worker, "oms-delivery");
    assert_eq!(workers[0].restarts, 1);
    assert!(workers[0]
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("injected worker panic")));

    // Both panics are in the log at ERROR (the filter is `warn`), with thread and context.
    let text = log_text();
    let lines: Vec<&str> = text.lines().collect();
    let worker_panic = lines
        .iter()
        .find(|l| l.contains("panic: injected worker panic"))
        .unwrap_or_else(|| panic!("no worker panic line in:\n{text}"));
    assert!(worker_panic.contains("ERROR"), "{worker_panic}");
    assert!(
        worker_panic.contains("context=oms-delivery"),
        "{worker_panic}"
    );
    assert!(worker_panic.contains("thread="), "{worker_panic}");
    let send_panic = lines
        .iter()
        .find(|l| l.contains("panic: injected connector panic"))
        .unwrap_or_else(|| panic!("no connector panic line in:\n{text}"));
    assert!(send_panic.contains("ERROR"), "{send_panic}");
    assert!(
        send_panic.contains(&format!("order {order_id}")),
        "the order id is named: {send_panic}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ERROR") && l.contains("restarting")),
        "the restart is logged at error:\n{text}"
    );
}
