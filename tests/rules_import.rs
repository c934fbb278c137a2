//! Master-data import through the store, and the rules against a real store: atomic
//! replacement, versions, bad rows reported with their lines and nothing changed, absent
//! files, learned rows surviving re-imports, and a duplicate PO arriving after a restart.

use std::fs;
use std::path::Path;

use chrono::Utc;
use po_intake::domain::{
    Decision, ExceptionCode, Field, Incoming, LineItem, MatchKind, Order, SourceKind,
};
use po_intake::master::ReadError;
use po_intake::rules::{self, CheckContext, RulesConfig};
use po_intake::store::{ImportError, NewOrder, Store};

const CATALOG: &str = "\
sku,description,uom,unit_price,currency,pack_size,min_qty,stock
AB-100,Widget blue steel,EA,10.00,USD,1,0,100
CD-200,\"Hex bolt M8 x 40, zinc plated\",EA,0.50,USD,50,100,10000
EF-300,Safety gloves nitrile,BOX,24.00,USD,,,
GH-400,Cable tie 200mm,PK,5.00,USD,1,0,5
";

const CUSTOMERS: &str = "\
customer_id,name,email_domains,currency
ACME,\"Acme Tools, Inc.\",acme.com;acme-tools.de,USD
BETA,Beta Industrie GmbH,beta.de,EUR
";

const CROSSREF: &str = "\
customer_id,customer_part,sku
ACME,ACM-555,AB-100
ACME,ACM-777,CD-200
";

const CONTRACT: &str = "\
customer_id,sku,unit_price
ACME,AB-100,9.50
";

fn write(dir: &Path, files: &[(&str, &str)]) {
    fs::create_dir_all(dir).expect("mkdir");
    for (name, text) in files {
        fs::write(dir.join(name), text).expect("write csv");
    }
}

fn full_set(dir: &Path) {
    write(
        dir,
        &[
            ("catalog.csv", CATALOG),
            ("customers.csv", CUSTOMERS),
            ("crossref.csv", CROSSREF),
            ("contract_prices.csv", CONTRACT),
        ],
    );
}

#[test]
fn import_loads_everything_and_reports_counts() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("master");
    full_set(&src);
    let mut store = Store::open(&tmp.path().join("data")).expect("store");
    assert_eq!(store.master_version().expect("version"), None);
    let report = store.import_master(&src).expect("import");
    assert_eq!(report.version, 1);
    assert_eq!(report.catalog.imported, Some(4));
    assert_eq!(report.customers.imported, Some(2));
    assert_eq!(report.crossref.imported, Some(2));
    assert_eq!(report.contract_prices.imported, Some(1));
    let text = report.to_string();
    assert!(
        text.contains("version 1") && text.contains("catalog.csv"),
        "{text}"
    );
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["version"], 1);
    assert_eq!(json["catalog"]["imported"], 4);

    let m = store.load_master().expect("load");
    assert_eq!(m.version(), Some(1));
    assert_eq!(m.catalog_len(), 4);
    let bolt = m.item("CD-200").expect("bolt");
    assert_eq!(bolt.description, "Hex bolt M8 x 40, zinc plated");
    assert_eq!(
        (bolt.pack_size, bolt.min_qty, bolt.stock),
        (50.0, 100.0, Some(10000.0))
    );
    let gloves = m.item("EF-300").expect("gloves");
    assert_eq!(
        (gloves.pack_size, gloves.min_qty, gloves.stock),
        (1.0, 0.0, None)
    );
    assert_eq!(m.customer("ACME").map(|c| c.email_domains.len()), Some(2));
    assert_eq!(m.crossref("ACME", "acm 555"), Some("AB-100"));
    assert_eq!(m.contract_price("ACME", "AB-100"), Some(9.5));
}

#[test]
fn reimport_replaces_atomically_and_bumps_the_version() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("master");
    full_set(&src);
    let mut store = Store::open(&tmp.path().join("data")).expect("store");
    store.import_master(&src).expect("import 1");
    // Version 2 drops GH-400 and changes a price.
    write(
        &src,
        &[(
            "catalog.csv",
            "sku,description,uom,unit_price,currency,pack_size,min_qty,stock\n\
             AB-100,Widget blue steel,EA,11.00,USD,1,0,100\n\
             CD-200,Hex bolt,EA,0.50,USD,50,100,10000\n",
        )],
    );
    // A customer's units from the file; the reviewer's answer for "Gebinde" wins over it.
    write(
        &src,
        &[(
            "uom_aliases.csv",
            "customer_id,printed,uom\nACME,Gebinde,BOX\nACME,Ktn.,CS\n",
        )],
    );
    let r = store.import_master(&src).expect("import 2");
    assert_eq!(r.version, 2);
    let m = store.load_master().expect("load");
    assert_eq!(m.version(), Some(2));
    assert_eq!(m.catalog_len(), 2);
    assert!(m.item("GH-400").is_none());
    assert_eq!(m.item("AB-100").map(|i| i.unit_price), Some(11.0));
}

#[test]
fn a_bad_row_is_reported_with_its_line_and_nothing_changes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("master");
    full_set(&src);
    let mut store = Store::open(&tmp.path().join("data")).expect("store");
    store.import_master(&src).expect("import 1");
    // Line 7 has a non-numeric price; customers.csv is valid and must not be applied either.
    write(
        &src,
        &[
            (
                "catalog.csv",
                "sku,description,uom,unit_price,currency,pack_size,min_qty,stock\n\
                 N1,One,EA,1.00,USD,1,0,1\n\
                 N2,Two,EA,2.00,USD,1,0,1\n\
                 N3,Three,EA,3.00,USD,1,0,1\n\
                 N4,Four,EA,4.00,USD,1,0,1\n\
                 N5,Five,EA,5.00,USD,1,0,1\n\
                 N6,Six,EA,abc,USD,1,0,1\n\
                 N7,Seven,EA,7.00,USD,1,0,1\n",
            ),
            (
                "customers.csv",
                "customer_id,name,email_domains,currency\nNEW,New Co,new.com,USD\n",
            ),
            ("crossref.csv", "customer_id,customer_part,sku\n"),
            ("contract_prices.csv", "customer_id,sku,unit_price\n"),
        ],
    );
    let err = store.import_master(&src).expect_err("bad row");
    let Some(rows) = err.bad_rows() else {
        panic!("expected BadRows, got {err}");
    };
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].file.as_str(), rows[0].line), ("catalog.csv", 7));
    assert!(rows[0].message.contains("abc"), "{}", rows[0].message);
    assert!(err.to_string().contains("catalog.csv:7:"), "{err}");
    // Nothing changed: still version 1 with the old rows.
    assert_eq!(store.master_version().expect("v"), Some(1));
    let m = store.load_master().expect("load");
    assert_eq!(m.catalog_len(), 4);
    assert!(m.item("N1").is_none());
    assert!(m.customer("NEW").is_none());
    assert_eq!(m.crossref("ACME", "ACM-555"), Some("AB-100"));
}

#[test]
fn every_kind_of_bad_row_is_listed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("master");
    write(
        &src,
        &[
            (
                "catalog.csv",
                "sku,description,uom,unit_price,currency,pack_size,min_qty,stock\n\
                 A1,Fine,EA,1.00,USD,1,0,1\n\
                 A1,Duplicate,EA,1.00,USD,1,0,1\n\
                 A2,Unquoted, comma,EA,1.00,USD,1,0,1\n\
                 A3,Zero pack,EA,1.00,USD,0,0,1\n\
                 A4,Bad currency,EA,1.00,DOLLARS,1,0,1\n\
                 ,No sku,EA,1.00,USD,1,0,1\n",
            ),
            ("customers.csv", "customer_id,name\nC1,First\n"),
            (
                "crossref.csv",
                "customer_id,customer_part,sku\nC1,P1,A1\nC1,P2,MISSING\nC9,P3,A1\n",
            ),
            ("contract_prices.csv", "customer_id,sku\nC1,A1\n"),
        ],
    );
    let mut store = Store::open(&tmp.path().join("data")).expect("store");
    let err = store.import_master(&src).expect_err("bad rows");
    let Some(rows) = err.bad_rows() else {
        panic!("expected BadRows, got {err}");
    };
    let got: Vec<(&str, u64)> = rows.iter().map(|r| (r.file.as_str(), r.line)).collect();
    // Row problems first (all files); references are checked once rows are fine.
    assert_eq!(
        got,
        vec![
            ("catalog.csv", 3),
            ("catalog.csv", 4),
            ("catalog.csv", 5),
            ("catalog.csv", 6),
            ("catalog.csv", 7),
            ("contract_prices.csv", 1),
        ],
        "{err}"
    );
    assert!(rows[0].message.contains("duplicate") && rows[0].message.contains("line 2"));
    assert!(rows[1].message.contains("quotes"), "{}", rows[1].message);
    assert!(
        rows[5].message.contains("unit_price"),
        "{}",
        rows[5].message
    );
    assert_eq!(store.master_version().expect("v"), None);

    // With the rows fixed, unknown references are reported with their lines.
    write(
        &src,
        &[
            (
                "catalog.csv",
                "sku,description,uom,unit_price,currency\nA1,Fine,EA,1.00,USD\n",
            ),
            (
                "contract_prices.csv",
                "customer_id,sku,unit_price\nC1,A1,0.9\n",
            ),
        ],
    );
    let err = store.import_master(&src).expect_err("bad refs");
    let Some(rows) = err.bad_rows() else {
        panic!("expected BadRows, got {err}");
    };
    let got: Vec<(&str, u64)> = rows.iter().map(|r| (r.file.as_str(), r.line)).collect();
    assert_eq!(got, vec![("crossref.csv", 3), ("crossref.csv", 4)], "{err}");
    assert!(rows[0].message.contains("MISSING") && rows[1].message.contains("C9"));
}

#[test]
fn absent_files_keep_their_tables_and_an_empty_dir_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("master");
    full_set(&src);
    let mut store = Store::open(&tmp.path().join("data")).expect("store");
    store.import_master(&src).expect("import 1");
    let only_catalog = tmp.path().join("only-catalog");
    write(
        &only_catalog,
        &[(
            "catalog.csv",
            "sku,description,uom,unit_price,currency\nAB-100,Widget,EA,12.00,USD\nZZ-1,New,EA,1,USD\n",
        )],
    );
    let r = store.import_master(&only_catalog).expect("import 2");
    assert_eq!(r.version, 2);
    assert_eq!(r.catalog.imported, Some(2));
    assert_eq!(r.customers.imported, None);
    assert_eq!(r.customers.total, 2);
    assert!(r.to_string().contains("absent"), "{r}");
    let m = store.load_master().expect("load");
    assert_eq!(m.catalog_len(), 2);
    assert!(m.customer("ACME").is_some());
    // The crossref to AB-100 still resolves; the one to the dropped CD-200 is ignored.
    assert_eq!(m.crossref("ACME", "ACM-555"), Some("AB-100"));
    assert_eq!(m.crossref("ACME", "ACM-777"), None);

    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).expect("mkdir");
    assert!(matches!(
        store.import_master(&empty),
        Err(ImportError::Read(ReadError::NoFiles { .. }))
    ));
    assert!(matches!(
        store.import_master(&tmp.path().join("nope")),
        Err(ImportError::Read(ReadError::Io { .. }))
    ));
    assert_eq!(store.master_version().expect("v"), Some(2));
}

#[test]
fn learned_rows_survive_reimport() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("master");
    full_set(&src);
    let mut store = Store::open(&tmp.path().join("data")).expect("store");
    store.import_master(&src).expect("import 1");
    store
        .add_crossref("ACME", "ACME-GLOVES", "EF-300", "alice")
        .expect("learn");
    // A reviewer remaps an imported part: the learned row wins over crossref.csv later.
    store
        .add_crossref("ACME", "ACM-777", "GH-400", "alice")
        .expect("relearn");
    store
        .add_buyer_alias("ACME Purchasing Dept.", "ACME", "alice")
        .expect("alias");
    assert!(store.add_crossref("ACME", "X", "NO-SUCH", "alice").is_err());
    assert!(store
        .add_crossref("NOBODY", "X", "AB-100", "alice")
        .is_err());
    assert!(store.add_buyer_alias("...", "ACME", "alice").is_err());
    store
        .add_uom_alias("ACME", "Gebinde.", "EA", "alice")
        .expect("unit");
    assert!(store
        .add_uom_alias("NOBODY", "Gebinde", "EA", "alice")
        .is_err());

    // A customer's units from the file; the reviewer's answer for "Gebinde" wins over it.
    write(
        &src,
        &[(
            "uom_aliases.csv",
            "customer_id,printed,uom\nACME,Gebinde,BOX\nACME,Ktn.,CS\n",
        )],
    );
    let r = store.import_master(&src).expect("import 2");
    assert_eq!(r.version, 2);
    assert_eq!(r.learned_crossref, 2);
    assert_eq!(r.crossref_overridden_by_learned, 1);
    let m = store.load_master().expect("load");
    assert_eq!(m.crossref("ACME", "ACME-GLOVES"), Some("EF-300"));
    assert_eq!(m.crossref("ACME", "ACM-777"), Some("GH-400"));
    assert_eq!(m.crossref("ACME", "ACM-555"), Some("AB-100"));
    assert_eq!(m.uom_alias("ACME", "GEBINDE"), Some("EA"));
    assert_eq!(m.uom_alias("ACME", "KTN"), Some("CS"));

    // The alias identifies the customer of an order with no sender.
    let mut o = order("PO-9");
    o.buyer = Some(Field::certain("Acme purchasing dept".to_string()));
    o.lines[0].sku = None;
    o.lines[0].customer_part = Some(Field::certain("acme-gloves".to_string()));
    o.lines[0].uom = None;
    o.lines[0].unit_price = None;
    o.lines[0].amount = None;
    o.total = None;
    let res = rules::check(&o, &CheckContext::new(None), &m, &RulesConfig::default());
    assert_eq!(res.customer_id.as_deref(), Some("ACME"));
    assert_eq!(res.lines[0].kind, MatchKind::Crossref);
    assert_eq!(res.lines[0].matched_sku.as_deref(), Some("EF-300"));
    assert_eq!(res.exceptions, vec![]);
}

fn order(po: &str) -> Order {
    Order {
        po_number: Some(Field::certain(po.to_string())),
        buyer: Some(Field::certain("Acme Tools".to_string())),
        currency: Some(Field::certain("USD".to_string())),
        total: Some(Field::certain(95.0)),
        lines: vec![LineItem {
            line_no: 1,
            sku: Some(Field::certain("AB-100".to_string())),
            quantity: Some(Field::certain(10.0)),
            uom: Some(Field::certain("EA".to_string())),
            unit_price: Some(Field::certain(9.5)),
            amount: Some(Field::certain(95.0)),
            ..LineItem::default()
        }],
        ..Order::default()
    }
}

fn check_in(store: &Store, o: &Order) -> po_intake::domain::CheckResult {
    let m = store.load_master().expect("load");
    let dup =
        |p: &rules::DuplicateProbe<'_>| store.find_duplicate(p, None).map_err(|e| e.to_string());
    let ctx = CheckContext {
        sender: Some("orders@acme.com"),
        is_duplicate: &dup,
    };
    rules::check(o, &ctx, &m, &RulesConfig::default())
}

/// A store in `tmp`/data with the full master set imported; the data folder and the store.
fn store_with_master(tmp: &tempfile::TempDir) -> (std::path::PathBuf, Store) {
    let src = tmp.path().join("master");
    full_set(&src);
    let data = tmp.path().join("data");
    let mut store = Store::open(&data).expect("store");
    store.import_master(&src).expect("import");
    (data, store)
}

#[test]
fn duplicate_po_after_a_restart() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = {
        let (data, mut store) = store_with_master(&tmp);
        let first = order("PO-4711");
        let res = check_in(&store, &first);
        assert_eq!(res.decision(), Decision::Accept, "{:?}", res.exceptions);
        record(&mut store, "po-4711.txt", first);
        data
    };
    // A new process: the same PO again is a duplicate; another PO is not.
    let store = Store::open(&data).expect("reopen");
    let again = check_in(&store, &order("PO-4711"));
    let codes: Vec<_> = again.exceptions.iter().map(|e| e.code).collect();
    assert_eq!(codes, vec![ExceptionCode::DuplicatePo]);
    assert!(again.exceptions[0].message.contains("PO-4711"));
    assert_eq!(again.decision(), Decision::Review);
    // Another PO with other lines is not (the same lines and total would be: see
    // `a_resent_po_written_differently_is_a_duplicate`).
    let mut next = order("PO-4712");
    next.lines[0].quantity = Some(Field::certain(20.0));
    next.lines[0].amount = Some(Field::certain(190.0));
    next.total = Some(Field::certain(190.0));
    let other = check_in(&store, &next);
    assert_eq!(other.decision(), Decision::Accept, "{:?}", other.exceptions);
}

/// Store a small document named `name`; its id.
fn ingest_doc(store: &mut Store, name: &str) -> i64 {
    store
        .ingest(
            &Incoming {
                source: SourceKind::Folder,
                origin: "in".into(),
                file_name: name.into(),
                sender: Some("orders@acme.com".into()),
                received_at: Utc::now(),
                bytes: name.as_bytes().to_vec(),
            },
            "text/plain",
            None,
        )
        .expect("ingest")
        .document()
        .id
}

/// Check `o` and record it for a new document, as the pipeline would.
fn record(store: &mut Store, name: &str, o: Order) {
    let check = check_in(store, &o);
    let doc = ingest_doc(store, name);
    store
        .record_orders(doc, &[NewOrder { order: o, check }])
        .expect("record");
}

/// Issue 22 item 10: "PO# 900 001", a re-send of PO 900001, is the same PO; and a re-send
/// whose number was read as something else entirely is caught by its lines and total.
#[test]
fn a_resent_po_written_differently_is_a_duplicate() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("master");
    full_set(&src);
    let mut store = Store::open(&tmp.path().join("data")).expect("store");
    store.import_master(&src).expect("import");
    record(&mut store, "po-900001.txt", order("900001"));
    for resent in ["PO# 900 001", "po-900001", "P.O. 900.001"] {
        let r = check_in(&store, &order(resent));
        let codes: Vec<_> = r.exceptions.iter().map(|e| e.code).collect();
        assert_eq!(codes, vec![ExceptionCode::DuplicatePo], "{resent}");
        assert!(
            r.exceptions[0].message.contains("900001"),
            "{}",
            r.exceptions[0].message
        );
    }
    // Read as "900": another number, but the same lines and total.
    let r = check_in(&store, &order("900"));
    let codes: Vec<_> = r.exceptions.iter().map(|e| e.code).collect();
    assert_eq!(codes, vec![ExceptionCode::DuplicatePo]);
    assert!(
        r.exceptions[0].message.contains("same lines"),
        "{}",
        r.exceptions[0].message
    );
    // Different lines and another number: not a duplicate.
    let mut other = order("900002");
    other.lines[0].quantity = Some(Field::certain(20.0));
    other.lines[0].amount = Some(Field::certain(190.0));
    other.total = Some(Field::certain(190.0));
    let r = check_in(&store, &other);
    assert_eq!(r.decision(), Decision::Accept, "{:?}", r.exceptions);
}

/// Two runs check the same re-sent PO before either records it (two processes, two drop
/// folders): both checks pass, and the second record must still not reach the outbox.
#[test]
fn a_duplicate_recorded_meanwhile_is_caught_when_the_order_is_recorded() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("master");
    full_set(&src);
    let mut store = Store::open(&tmp.path().join("data")).expect("store");
    store.import_master(&src).expect("import");
    let first = order("900001");
    let again = order("PO# 900 001");
    let (c1, c2) = (check_in(&store, &first), check_in(&store, &again));
    assert_eq!(
        (c1.decision(), c2.decision()),
        (Decision::Accept, Decision::Accept)
    );
    let mut ids = Vec::new();
    for (name, o, c) in [("a.txt", first, c1), ("b.txt", again, c2)] {
        let doc = ingest_doc(&mut store, name);
        ids.extend(
            store
                .record_orders(doc, &[NewOrder { order: o, check: c }])
                .expect("record"),
        );
    }
    assert_eq!(ids[0].1, Decision::Accept);
    assert_eq!(ids[1].1, Decision::Review);
    let second = store.order(ids[1].0).expect("order").expect("row");
    assert!(second
        .check
        .exceptions
        .iter()
        .any(|e| e.code == ExceptionCode::DuplicatePo));
    assert!(store.outbox_entry(ids[1].0).expect("outbox").is_none());
}

/// The duplicate check looks its keys up in an index (issue 21: it used to re-read every
/// earlier order of the customer for every new one). Orders recorded by a build that stored
/// no keys get them when the store opens, and a reviewer's edit moves them.
#[test]
fn orders_recorded_without_keys_and_edited_orders_are_still_found_as_duplicates() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = {
        let (data, mut store) = store_with_master(&tmp);
        record(&mut store, "po-900001.txt", order("900001"));
        data
    };
    // What an older build left behind: the order without its keys.
    let conn = rusqlite::Connection::open(data.join("po-intake.db")).expect("db");
    let n = conn
        .execute("UPDATE orders SET po_key = NULL, content_key = NULL", [])
        .expect("clear keys");
    assert_eq!(n, 1);
    drop(conn);
    let mut store = Store::open(&data).expect("reopen");
    let codes = |r: &po_intake::domain::CheckResult| -> Vec<ExceptionCode> {
        r.exceptions.iter().map(|e| e.code).collect()
    };
    assert_eq!(
        codes(&check_in(&store, &order("PO# 900 001"))),
        vec![ExceptionCode::DuplicatePo]
    );
    let r = check_in(&store, &order("900"));
    assert_eq!(codes(&r), vec![ExceptionCode::DuplicatePo]);
    assert!(r.exceptions[0].message.contains("same lines"), "{:?}", r);

    // An order in review, edited to other lines and another number: the old number and lines
    // no longer count, the new ones do.
    let mut held = order("777001");
    held.lines[0].quantity = Some(Field::certain(30.0));
    held.lines[0].amount = Some(Field::certain(285.0));
    held.total = Some(Field::certain(285.0));
    let mut check = check_in(&store, &held);
    check.exceptions.push(po_intake::domain::Exception {
        code: ExceptionCode::LowConfidence,
        line: None,
        message: "held for a look".into(),
        suggestion: None,
    });
    let doc = ingest_doc(&mut store, "po-777001.txt");
    let ids = store
        .record_orders(
            doc,
            &[NewOrder {
                order: held.clone(),
                check,
            }],
        )
        .expect("record");
    let id = ids[0].0;
    assert_eq!(ids[0].1, Decision::Review);
    let row = store.order(id).expect("order").expect("row");
    let mut edited = held.clone();
    edited.po_number = Some(Field::certain("777002".to_string()));
    edited.lines[0].quantity = Some(Field::certain(40.0));
    edited.lines[0].amount = Some(Field::certain(380.0));
    edited.total = Some(Field::certain(380.0));
    store
        .update_order(id, row.version, "ann", &edited, &row.check)
        .expect("edit");
    let mut again_old = held.clone();
    again_old.po_number = Some(Field::certain("777009".to_string()));
    assert_eq!(codes(&check_in(&store, &again_old)), vec![]);
    assert_eq!(
        codes(&check_in(&store, &order("777002"))),
        vec![ExceptionCode::DuplicatePo]
    );
}
