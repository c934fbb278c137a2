//! `cargo bench --bench rules` (divan): matching speed with a big catalog.
//!
//! 100,000 generated catalog items, a customer with 5,000 cross-references, 50-line orders
//! whose lines match in different ways: the time of `rules::check` per order for each kind
//! of order, the index build, the store import + load of the same catalog as CSV, and the
//! duplicate-PO lookup in a store that already holds many orders of the customer.

mod common;

use std::fmt::Write as _;
use std::sync::LazyLock;

use divan::Bencher;
use po_intake::domain::{Charge, ChargeKind, CheckResult, Field, LineItem, Order};
use po_intake::rules::{
    self, CatalogItem, CheckContext, Crossref, CrossrefOrigin, Customer, MasterData, MasterRows,
    RulesConfig,
};
use po_intake::store::{NewOrder, Store};

const ITEMS: usize = 100_000;
const LINES: usize = 50;

/// A small deterministic PRNG (xorshift), so every run measures the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const NOUNS: &[&str] = &[
    "bolt", "nut", "washer", "screw", "anchor", "bracket", "hinge", "clamp", "gloves", "tape",
    "cable", "tie", "fuse", "relay", "switch", "socket", "plug", "valve", "hose", "fitting",
    "pipe", "elbow", "tee", "flange", "gasket", "bearing", "belt", "pulley", "spring", "pin",
    "rivet", "drill", "bit", "blade", "disc", "brush", "filter", "lamp", "battery", "charger",
];
const ADJS: &[&str] = &[
    "hex",
    "square",
    "round",
    "flat",
    "heavy",
    "light",
    "long",
    "short",
    "small",
    "large",
    "black",
    "white",
    "red",
    "blue",
    "green",
    "yellow",
    "zinc",
    "plated",
    "stainless",
    "steel",
    "brass",
    "copper",
    "nylon",
    "rubber",
    "plastic",
    "coated",
    "galvanised",
    "metric",
    "imperial",
    "industrial",
];

fn gen_catalog(rng: &mut Rng) -> Vec<CatalogItem> {
    let mut items = Vec::with_capacity(ITEMS);
    for n in 0..ITEMS {
        let a = (b'A' + (n % 26) as u8) as char;
        let b = (b'A' + ((n / 26) % 26) as u8) as char;
        let sku = format!("{a}{b}-{:05}-{}", rng.below(100_000), n % 7);
        let desc = format!(
            "{} {} {} M{} x {}",
            ADJS[rng.below(ADJS.len())],
            ADJS[rng.below(ADJS.len())],
            NOUNS[rng.below(NOUNS.len())],
            2 + rng.below(20),
            10 * (1 + rng.below(30))
        );
        items.push(CatalogItem {
            sku,
            description: desc,
            uom: "EA".into(),
            unit_price: 1.0 + rng.below(10_000) as f64 / 100.0,
            currency: "USD".into(),
            pack_size: 1.0,
            min_qty: 0.0,
            stock: Some(1_000_000.0),
        });
    }
    // Unique SKUs (the generator can repeat a number within a family).
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.sku.clone()));
    items
}

fn rows(catalog: &[CatalogItem]) -> MasterRows {
    let crossref = catalog
        .iter()
        .step_by(20)
        .enumerate()
        .map(|(i, it)| Crossref {
            customer_id: "ACME".into(),
            customer_part: format!("ACM{:06}", i),
            sku: it.sku.clone(),
            origin: CrossrefOrigin::Import,
        })
        .collect();
    MasterRows {
        version: Some(1),
        catalog: catalog.to_vec(),
        customers: vec![Customer {
            customer_id: "ACME".into(),
            name: "Acme Tools Inc".into(),
            email_domains: vec!["acme.com".into()],
            currency: Some("USD".into()),
        }],
        crossref,
        contract_prices: vec![],
        buyer_aliases: vec![],
        uom_aliases: vec![],
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Exact,
    Crossref,
    Normalised,
    /// One character of the code changed: unknown, a closest-code suggestion.
    CodeTypo,
    /// The same without a description: only the code index works.
    CodeTypoNoDescription,
    /// No code, a description with one word changed: a description suggestion.
    DescriptionOnly,
}

fn gen_order(kind: Kind, catalog: &[CatalogItem], rng: &mut Rng) -> Order {
    let mut lines = Vec::with_capacity(LINES);
    for i in 0..LINES {
        let idx = rng.below(catalog.len());
        let it = &catalog[idx];
        let mut line = LineItem {
            line_no: i as u32 + 1,
            quantity: Some(Field::certain(1.0 + rng.below(10) as f64)),
            // Units as people print them (issue 19): resolved through the synonym table.
            uom: Some(Field::certain(["EA", "Stück", "pcs.", "Nos"][i % 4].into())),
            unit_price: Some(Field::certain(it.unit_price)),
            ..LineItem::default()
        };
        line.amount = line
            .quantity
            .as_ref()
            .map(|q| Field::certain((q.value * it.unit_price * 100.0).round() / 100.0));
        match kind {
            Kind::Exact => line.sku = Some(Field::certain(it.sku.clone())),
            Kind::Crossref => {
                let k = rng.below(catalog.len() / 20);
                line.customer_part = Some(Field::certain(format!("ACM{k:06}")));
            }
            Kind::Normalised => {
                line.sku = Some(Field::certain(it.sku.replace('-', " ").to_lowercase()))
            }
            Kind::CodeTypo | Kind::CodeTypoNoDescription => {
                let mut code: Vec<char> = it.sku.chars().collect();
                let p = 3 + rng.below(3);
                code[p] = if code[p] == '9' { '8' } else { '9' };
                line.sku = Some(Field::certain(code.into_iter().collect()));
                if matches!(kind, Kind::CodeTypo) {
                    line.description = Some(Field::certain(it.description.clone()));
                }
            }
            Kind::DescriptionOnly => {
                let mut words: Vec<&str> = it.description.split(' ').collect();
                words[0] = "assorted";
                line.description = Some(Field::certain(words.join(" ")));
            }
        }
        lines.push(line);
    }
    // A totals block: subtotal, freight, a 3 % discount, 19 % tax on all of it.
    let subtotal: f64 = lines
        .iter()
        .filter_map(|l| l.amount.as_ref().map(|a| a.value))
        .sum();
    let r2 = |v: f64| (v * 100.0).round() / 100.0;
    let discount = -r2(subtotal * 0.03);
    let net = r2(subtotal + 25.0 + discount);
    let tax = r2(net * 0.19);
    let charge = |kind, label: &str, rate, amount| Charge {
        kind,
        label: label.into(),
        rate_pct: rate,
        amount: Field::certain(amount),
    };
    Order {
        po_number: Some(Field::certain("PO-1".into())),
        buyer: Some(Field::certain("Acme Tools".into())),
        currency: Some(Field::certain("USD".into())),
        subtotal: Some(Field::certain(r2(subtotal))),
        charges: vec![
            charge(ChargeKind::Freight, "Freight", None, 25.0),
            charge(ChargeKind::Discount, "Discount 3%", Some(3.0), discount),
            charge(ChargeKind::Tax, "VAT 19%", Some(19.0), tax),
        ],
        total: Some(Field::certain(r2(net + tax))),
        lines,
        ..Order::default()
    }
}

fn main() {
    divan::main();
}

/// The generated catalog and its indexes, built once for all benchmarks.
static CATALOG: LazyLock<Vec<CatalogItem>> =
    LazyLock::new(|| gen_catalog(&mut Rng(0x9E37_79B9_7F4A_7C15)));
static MASTER: LazyLock<MasterData> = LazyLock::new(|| MasterData::build(rows(&CATALOG)));

const KINDS: &[&str] = &[
    "exact",
    "crossref",
    "normalised",
    "code_typo",
    "code_typo_no_description",
    "description_only",
];

fn kind(name: &str) -> Kind {
    match name {
        "exact" => Kind::Exact,
        "crossref" => Kind::Crossref,
        "normalised" => Kind::Normalised,
        "code_typo" => Kind::CodeTypo,
        "code_typo_no_description" => Kind::CodeTypoNoDescription,
        _ => Kind::DescriptionOnly,
    }
}

/// `rules::check` of a 50-line order whose lines match the `kind` way.
#[divan::bench(args = KINDS, sample_count = 50)]
fn check_50_lines(bencher: Bencher, kind_name: &str) {
    let order = gen_order(kind(kind_name), &CATALOG, &mut Rng(0x5EED));
    let master = &*MASTER;
    let cfg = RulesConfig::default();
    let ctx = CheckContext::new(Some("orders@acme.com"));
    // The order's units and totals block must be understood, or the figure measures an
    // early exit.
    let r = rules::check(&order, &ctx, master, &cfg);
    let unit_or_sum = r
        .exceptions
        .iter()
        .filter(|e| {
            matches!(
                e.code,
                po_intake::domain::ExceptionCode::UomMismatch
                    | po_intake::domain::ExceptionCode::ArithmeticMismatch
            )
        })
        .count();
    assert_eq!(unit_or_sum, 0, "{kind_name}: {:?}", r.exceptions.first());
    bencher.bench_local(|| rules::check(&order, &ctx, master, &cfg));
}

/// Building the match indexes over 100,000 items.
#[divan::bench(sample_count = 5)]
fn index_build(bencher: Bencher) {
    let catalog = &*CATALOG;
    bencher.bench(|| MasterData::build(rows(catalog)));
}

/// The catalog as `catalog.csv` in a fresh folder; the folder (kept alive) and its path.
fn catalog_csv() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = tmp.path().join("master");
    std::fs::create_dir_all(&src).expect("master dir");
    let mut csv = String::from("sku,description,uom,unit_price,currency,pack_size,min_qty,stock\n");
    for it in CATALOG.iter() {
        let _ = writeln!(
            csv,
            "{},{},{},{:.2},{},1,0,1000000",
            it.sku, it.description, it.uom, it.unit_price, it.currency
        );
    }
    std::fs::write(src.join("catalog.csv"), csv).expect("catalog.csv");
    (tmp, src)
}

/// `catalog import` of the 100,000-row CSV into a fresh store.
#[divan::bench(sample_count = 5)]
fn store_import(bencher: Bencher) {
    let (_keep, src) = catalog_csv();
    bencher
        .with_inputs(|| {
            let data = tempfile::tempdir().expect("tempdir");
            let store = Store::open(data.path()).expect("store");
            (data, store)
        })
        .bench_local_values(|(_data, mut store)| store.import_master(&src).expect("import"));
}

/// Loading the imported catalog and building its indexes (what each process start does).
#[divan::bench(sample_count = 5)]
fn store_load_master(bencher: Bencher) {
    let (_keep, src) = catalog_csv();
    let data = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(data.path()).expect("store");
    store.import_master(&src).expect("import");
    bencher.bench_local(|| store.load_master().expect("load"));
}

/// The duplicate-PO lookup of a new order against a store holding `n` earlier orders of the
/// same customer (an index lookup: flat in `n`).
#[divan::bench(args = [100, 10_000], sample_count = 50)]
fn duplicate_lookup(bencher: Bencher, n: usize) {
    let data = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(data.path()).expect("store");
    let mut rng = Rng(0xD0);
    let template = gen_order(Kind::Exact, &CATALOG, &mut rng);
    common::seed_orders(&mut store, n, 100, |i| {
        let mut order = template.clone();
        order.po_number = Some(Field::certain(format!("PO-{i}")));
        order.total = Some(Field::certain(i as f64));
        let check = CheckResult {
            customer_id: Some("C-1".into()),
            currency: None,
            exceptions: vec![],
            lines: vec![],
        };
        NewOrder { order, check }
    });
    let mut probe_order = template.clone();
    probe_order.po_number = Some(Field::certain("PO-NEW".into()));
    probe_order.total = Some(Field::certain(-1.0));
    let po_key = po_intake::dedupe::po_key("PO-NEW");
    let content_key = po_intake::dedupe::content_key(&probe_order);
    let probe = rules::DuplicateProbe {
        customer_id: Some("C-1"),
        po_key: Some(po_key),
        content_key,
        window_days: 30,
    };
    assert!(store
        .find_duplicate(&probe, None)
        .expect("lookup")
        .is_none());
    bencher.bench_local(|| store.find_duplicate(&probe, None).expect("lookup"));
}
