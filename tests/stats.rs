//! `po-intake stats` (issue 21 item 4): per customer, orders, the share touchless and the
//! fields reviewers corrected, from a store with decided orders, through the real binary.

mod store_common;

use std::process::Command;

use po_intake::domain::Field;
use po_intake::store::Store;
use serde_json::Value;
use store_common::record_order;

/// Edit order `id` as a reviewer would: `change` the stored order, keep the check except
/// for `customer` (when given), store it version-checked.
fn edit(
    store: &mut Store,
    id: i64,
    customer: Option<&str>,
    change: impl FnOnce(&mut po_intake::domain::Order),
) {
    let row = store.order(id).expect("order").expect("row");
    let mut order = row.order.clone();
    change(&mut order);
    let mut check = row.check.clone();
    if let Some(c) = customer {
        check.customer_id = Some(c.to_string());
    }
    store
        .update_order(id, row.version, "alice", &order, &check)
        .expect("edit");
}

/// The store the tests read: see the expected figures in the test.
fn seed(data: &std::path::Path) {
    let mut s = Store::open(data).expect("store");
    // C1: one touchless; one edited (quantity and SKU) then approved; one edited (quantity)
    // then rejected; one waiting untouched.
    record_order(&mut s, "c1-1.pdf", "C1-1", Some("C1"), false, None);
    let (_, o2) = record_order(&mut s, "c1-2.pdf", "C1-2", Some("C1"), true, None);
    edit(&mut s, o2, None, |o| {
        o.lines[0].quantity = Some(Field::certain(3.0));
        o.lines[0].sku = Some(Field::certain("SKU-2".into()));
    });
    // A second edit of the same field counts once per order.
    edit(&mut s, o2, None, |o| {
        o.lines[0].quantity = Some(Field::certain(4.0))
    });
    s.approve_order(o2, None, "alice").expect("approve");
    let (_, o3) = record_order(&mut s, "c1-3.pdf", "C1-3", Some("C1"), true, None);
    edit(&mut s, o3, None, |o| {
        o.lines[0].quantity = Some(Field::certain(5.0))
    });
    s.reject_order(o3, None, "alice", "not ours")
        .expect("reject");
    record_order(&mut s, "c1-4.pdf", "C1-4", Some("C1"), true, None);
    // C2: two touchless; one whose values a reviewer only confirmed (same values, full
    // confidence: an edit, no correction), then approved.
    record_order(&mut s, "c2-1.pdf", "C2-1", Some("C2"), false, None);
    record_order(&mut s, "c2-2.pdf", "C2-2", Some("C2"), false, None);
    let (_, o7) = record_order(&mut s, "c2-3.pdf", "C2-3", Some("C2"), true, None);
    edit(&mut s, o7, None, |o| {
        if let Some(q) = o.lines[0].quantity.as_mut() {
            q.confidence = 1.0;
            q.source = None;
        }
    });
    s.approve_order(o7, None, "bob").expect("approve");
    // No customer known: one waiting; one a reviewer gave customer C3 and a new PO number.
    record_order(&mut s, "u-1.pdf", "U-1", None, true, None);
    let (_, o9) = record_order(&mut s, "u-2.pdf", "U-2", None, true, None);
    edit(&mut s, o9, Some("C3"), |o| {
        o.po_number = Some(Field::certain("U-2B".into()))
    });
}

fn stats(data: &std::path::Path, json: bool) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_po-intake"));
    c.arg("--data-dir").arg(data).arg("stats");
    if json {
        c.arg("--json");
    }
    let out = c.output().expect("run po-intake");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn stats_counts_touchless_orders_and_corrected_fields_per_customer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seed(&data);

    let out = stats(&data, true);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let rows = v["customers"].as_array().expect("customers");
    let ids: Vec<&Value> = rows.iter().map(|r| &r["customer_id"]).collect();
    assert_eq!(
        ids,
        [&Value::from("C1"), &"C2".into(), &"C3".into(), &Value::Null],
        "{out}"
    );
    let figures = |r: &Value| {
        [
            "orders",
            "in_review",
            "decided",
            "touchless",
            "reviewed",
            "edited_orders",
        ]
        .map(|k| r[k].as_i64().unwrap_or(-1))
    };
    assert_eq!(figures(&rows[0]), [4, 1, 3, 1, 2, 2], "{out}");
    assert_eq!(figures(&rows[1]), [3, 0, 3, 2, 1, 1], "{out}");
    assert_eq!(figures(&rows[2]), [1, 1, 0, 0, 0, 1], "{out}");
    assert_eq!(figures(&rows[3]), [1, 1, 0, 0, 0, 0], "{out}");
    let share = |r: &Value| r["touchless_share"].as_f64();
    assert!(
        share(&rows[0]).is_some_and(|s| (s - 1.0 / 3.0).abs() < 1e-9),
        "{out}"
    );
    assert!(
        share(&rows[1]).is_some_and(|s| (s - 2.0 / 3.0).abs() < 1e-9),
        "{out}"
    );
    assert_eq!(rows[3]["touchless_share"], Value::Null, "{out}");
    assert_eq!(
        rows[0]["corrected_fields"],
        serde_json::json!({"line.quantity": 2, "line.sku": 1}),
        "{out}"
    );
    assert_eq!(rows[1]["corrected_fields"], serde_json::json!({}), "{out}");
    assert_eq!(
        rows[2]["corrected_fields"],
        serde_json::json!({"customer": 1, "po_number": 1}),
        "{out}"
    );

    let text = stats(&data, false);
    let line = |id: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("no row for {id} in:\n{text}"))
            .to_string()
    };
    let c1: Vec<String> = line("C1").split_whitespace().map(str::to_string).collect();
    assert_eq!(
        c1,
        [
            "C1",
            "4",
            "1",
            "3",
            "1",
            "33.3",
            "%",
            "2",
            "line.quantity",
            "2,",
            "line.sku",
            "1"
        ],
        "{text}"
    );
    assert!(line("C2").ends_with("66.7 %       1  -"), "{text}");
    assert!(line("(unknown)").contains(" - "), "{text}");
}

#[test]
fn stats_on_an_empty_store_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    Store::open(&data).expect("store");
    assert_eq!(stats(&data, false), "no orders yet\n");
    let v: Value = serde_json::from_str(&stats(&data, true)).expect("json");
    assert_eq!(v["customers"], serde_json::json!([]));
}
