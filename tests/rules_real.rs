//! Issue 19, both directions, on the gold extractions in `fixtures/rules_real/` (orders as
//! European and US buyers print them: units in six languages, subtotals, freight, handling,
//! surcharges, discounts, tax, rounding, prices per 100, line discounts, cases of 12, decimal
//! metres and kilograms, a credit line; see `fixtures/rules_real/make.py`):
//!
//! - at least 95 % of the clean orders are accepted by `check` against `master/`;
//! - every order with one planted problem (a wrong price, an unknown SKU, a wrong total, a
//!   wrong tax amount, an unknown unit) is flagged with that problem's code: no false accept.

use std::path::{Path, PathBuf};

use po_intake::contract::Extraction;
use po_intake::domain::{CheckResult, ExceptionCode, Field, Order};
use po_intake::rules::{self, CheckContext, MasterData, RulesConfig};
use po_intake::store::Store;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules_real")
}

/// The master data as `catalog import` stores it.
fn master() -> MasterData {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(tmp.path()).expect("store");
    store.import_master(&dir().join("master")).expect("import");
    store.load_master().expect("load")
}

fn orders() -> Vec<(String, Order)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir().join("orders"))
        .expect("orders dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| {
            let ex: Extraction =
                serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json");
            let name = p.file_name().map(|n| n.to_string_lossy().to_string());
            ex.orders
                .into_iter()
                .map(move |o| (name.clone().unwrap_or_default(), o.to_order()))
        })
        .collect()
}

fn check(o: &Order, m: &MasterData) -> CheckResult {
    rules::check(o, &CheckContext::new(None), m, &RulesConfig::default())
}

#[test]
fn clean_orders_in_six_languages_are_accepted() {
    let m = master();
    let all = orders();
    assert!(all.len() >= 40, "the gold set has {} orders", all.len());
    let mut refused = Vec::new();
    for (name, o) in &all {
        let r = check(o, &m);
        if !r.exceptions.is_empty() {
            refused.push(format!("{name}: {:#?}", r.exceptions));
        }
    }
    let accepted = all.len() - refused.len();
    let rate = accepted as f64 / all.len() as f64;
    println!(
        "accepted {accepted} of {} clean orders ({:.1} %)",
        all.len(),
        rate * 100.0
    );
    assert!(rate >= 0.95, "{}", refused.join("\n"));
}

/// The first line that is an item (not a credit line).
fn item_line(o: &Order) -> usize {
    o.lines.iter().position(|l| !l.is_credit()).unwrap_or(0)
}

type Plant = fn(&mut Order);

fn wrong_price(o: &mut Order) {
    // 15 % over the agreed price, at least a cent (prices are printed in cents); amount,
    // subtotal and total follow, so only the price is off.
    let i = item_line(o);
    let l = &mut o.lines[i];
    let (Some(p), Some(q)) = (l.unit_price.as_mut(), l.quantity.as_ref()) else {
        return;
    };
    p.value = ((p.value * 1.15 * 100.0).round() / 100.0).max(p.value + 0.01);
    let new = (q.value * p.value / l.price_per() * l.net_factor() * 100.0).round() / 100.0;
    let delta = new - l.amount.as_ref().map_or(0.0, |a| a.value);
    l.amount = Some(Field::certain(new));
    for f in [&mut o.subtotal, &mut o.total].into_iter().flatten() {
        f.value += delta;
    }
}

fn unknown_sku(o: &mut Order) {
    let i = item_line(o);
    o.lines[i].sku = Some(Field::certain("QX-99871-Z".into()));
    o.lines[i].customer_part = None;
}

fn wrong_total(o: &mut Order) {
    if let Some(t) = o.total.as_mut() {
        t.value += 10.0;
    }
}

fn wrong_tax(o: &mut Order) {
    if let Some(c) = o
        .charges
        .iter_mut()
        .find(|c| c.kind == po_intake::domain::ChargeKind::Tax)
    {
        c.amount.value += 4.0;
    }
    if let Some(t) = o.total.as_mut() {
        t.value += 4.0;
    }
}

fn unknown_unit(o: &mut Order) {
    let i = item_line(o);
    o.lines[i].uom = Some(Field::certain("Gebinde".into()));
}

#[test]
fn every_planted_problem_is_flagged_with_its_code() {
    let m = master();
    let plants: [(&str, Plant, ExceptionCode); 5] = [
        ("wrong price", wrong_price, ExceptionCode::PriceMismatch),
        ("unknown SKU", unknown_sku, ExceptionCode::UnknownSku),
        (
            "wrong total",
            wrong_total,
            ExceptionCode::ArithmeticMismatch,
        ),
        ("wrong tax", wrong_tax, ExceptionCode::ArithmeticMismatch),
        ("unknown unit", unknown_unit, ExceptionCode::UomMismatch),
    ];
    let mut planted = 0;
    for (name, clean) in orders() {
        for (what, plant, code) in plants {
            let mut o = clean.clone();
            plant(&mut o);
            if o == clean {
                continue; // nothing to plant (no tax line)
            }
            planted += 1;
            let r = check(&o, &m);
            assert!(
                r.exceptions.iter().any(|e| e.code == code),
                "{name} with a {what}: expected {code:?}, got {:#?}",
                r.exceptions
            );
        }
    }
    println!("{planted} orders with a planted problem, all flagged");
    assert!(planted >= 180, "only {planted} planted");
}

/// The arithmetic names the step that fails.
#[test]
fn a_wrong_total_or_tax_names_its_step() {
    let m = master();
    let (_, clean) = orders()
        .into_iter()
        .find(|(_, o)| {
            o.charges
                .iter()
                .any(|c| c.rate_pct.is_some() && c.kind == po_intake::domain::ChargeKind::Tax)
        })
        .expect("an order with a rated tax line");
    let mut o = clean.clone();
    wrong_total(&mut o);
    let msgs: Vec<String> = check(&o, &m)
        .exceptions
        .into_iter()
        .map(|e| e.message)
        .collect();
    assert!(msgs.iter().any(|s| s.starts_with("Total:")), "{msgs:?}");
    let mut o = clean;
    wrong_tax(&mut o);
    let msgs: Vec<String> = check(&o, &m)
        .exceptions
        .into_iter()
        .map(|e| e.message)
        .collect();
    assert!(msgs.iter().any(|s| s.starts_with("Charge '")), "{msgs:?}");
}
