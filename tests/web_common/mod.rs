//! Shared set-up for the web tests: a store in a temp dir with the fixture master data, a few
//! orders in review, two reviewers, and the server on 127.0.0.1 port 0.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::Utc;
use po_intake::config::Config;
use po_intake::contract::Extraction;
use po_intake::domain::{ExceptionCode, Field, Incoming, LineItem, Order, SourceKind};
use po_intake::rules::{self, CheckContext};
use po_intake::store::{IngestOutcome, NewOrder, Store};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery";

pub struct Env {
    pub _dir: TempDir,
    pub data: PathBuf,
    pub base: String,
    /// The order with one unknown_sku exception (BRG-6201-2RS -> BRG-6001-2RS), oldest.
    pub nearmiss: i64,
    /// The order whose description carries a script tag.
    pub xss: i64,
    /// The document id of the PDF.
    pub pdf_doc: i64,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn incoming(name: &str, sender: &str, bytes: Vec<u8>) -> Incoming {
    Incoming {
        source: SourceKind::Folder,
        origin: "inbox".into(),
        file_name: name.into(),
        sender: Some(sender.into()),
        received_at: Utc::now() - chrono::Duration::hours(3),
        bytes,
    }
}

/// Store `bytes` as a document and record `order` for it after running the rules.
fn record(store: &mut Store, inc: &Incoming, media: &str, order: Order) -> (i64, i64) {
    let IngestOutcome::New(doc) = store.ingest(inc, media, None).expect("ingest") else {
        panic!("document already stored");
    };
    let master = store.load_master().expect("master");
    let check = rules::check(
        &order,
        &CheckContext::new(inc.sender.as_deref()),
        &master,
        &rules::RulesConfig::default(),
    );
    let ids = store
        .record_orders(doc.id, &[NewOrder { order, check }])
        .expect("record");
    (doc.id, ids[0].0)
}

pub fn seed(data: &Path) -> (i64, i64, i64) {
    let mut store = Store::open(data).expect("open store");
    store
        .import_master(&root().join("fixtures/master"))
        .expect("import master");
    // 1. The near-miss PDF as extracted (fixtures/expected), without the printed total so
    //    the only problem left is the near-miss SKU on line 2.
    let ex: Extraction = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/expected/PO_nearmiss_sku.pdf.json"))
            .expect("expected json"),
    )
    .expect("extraction json");
    let mut order = ex.orders[0].to_order();
    order.total = None;
    let pdf = std::fs::read(root().join("fixtures/inbox/PO_nearmiss_sku.pdf")).expect("pdf");
    let (pdf_doc, nearmiss) = record(
        &mut store,
        &incoming("PO_nearmiss_sku.pdf", "purchasing@brennan-foods.com", pdf),
        "application/pdf",
        order,
    );
    let row = store.order(nearmiss).expect("order").expect("row");
    let codes: Vec<ExceptionCode> = row.check.exceptions.iter().map(|e| e.code).collect();
    assert_eq!(
        codes,
        vec![ExceptionCode::UnknownSku],
        "set-up: the near-miss order should have exactly one exception: {:?}",
        row.check.exceptions
    );
    // 2. A text PO whose description tries to run script.
    let evil = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">";
    let text = format!(
        "PURCHASE ORDER X-1\nBuyer: Brennan Foods Inc\n1  BRG-6001-2RS  {evil}  2 EA 4.41\n"
    );
    let order = Order {
        po_number: Some(Field::certain("X-1".into())),
        buyer: Some(Field::certain("Brennan Foods Inc".into())),
        currency: Some(Field::certain("USD".into())),
        lines: vec![LineItem {
            line_no: 1,
            sku: Some(Field::certain("NOPE-1".into())),
            description: Some(Field::certain(evil.into())),
            quantity: Some(Field::certain(2.0)),
            uom: Some(Field::certain("EA".into())),
            unit_price: Some(Field::certain(4.41)),
            amount: Some(Field::certain(8.82)),
            ..Default::default()
        }],
        ..Default::default()
    };
    let (_, xss) = record(
        &mut store,
        &incoming(
            "evil <b>po</b>.txt",
            "buyer@brennan-foods.com",
            text.into_bytes(),
        ),
        "text/plain",
        order,
    );
    store.upsert_user("alice", PASSWORD).expect("user alice");
    store.upsert_user("bob", PASSWORD).expect("user bob");
    (nearmiss, xss, pdf_doc)
}

pub async fn start() -> Env {
    start_with(|_| {}).await
}

/// [`start`] with a change to the configuration (limits, ...) before the server starts.
pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let d = data.clone();
    let (nearmiss, xss, pdf_doc) = tokio::task::spawn_blocking(move || seed(&d))
        .await
        .expect("seed");
    let mut cfg = Config::embedded_default();
    cfg.data_dir = data.clone();
    cfg.web.login_max_failures = 3;
    adjust(&mut cfg);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        if let Err(e) = po_intake::web::serve(listener, cfg).await {
            eprintln!("server stopped: {e}");
        }
    });
    Env {
        _dir: dir,
        data,
        base: format!("http://{addr}"),
        nearmiss,
        xss,
        pdf_doc,
    }
}
