//! `cargo bench --bench rules`: matching speed with a big catalog.
//!
//! 100,000 generated catalog items, a customer with 5,000 cross-references, 50-line orders
//! whose lines match in different ways. Plain `std::time` (harness = false): prints the
//! median and mean time per order for each kind of order, the index build time, and the
//! store import + load time of the same catalog as CSV.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use po_intake::domain::{Charge, ChargeKind, Field, LineItem, Order};
use po_intake::rules::{
    self, CatalogItem, CheckContext, Crossref, CrossrefOrigin, Customer, MasterData, MasterRows,
    RulesConfig,
};

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

fn measure(
    name: &str,
    order: &Order,
    master: &MasterData,
    cfg: &RulesConfig,
    iters: usize,
    out: &mut String,
) {
    let ctx = CheckContext::new(Some("orders@acme.com"));
    // Warm up.
    let r = rules::check(order, &ctx, master, cfg);
    let unknown = r.lines.iter().filter(|l| l.matched_sku.is_none()).count();
    let suggested = r
        .exceptions
        .iter()
        .filter(|e| e.suggestion.as_ref().is_some_and(|s| s.field == "sku"))
        .count();
    // The order's units and totals block must be understood, or the figure measures
    // an early exit.
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
    assert_eq!(unit_or_sum, 0, "{name}: {:?}", r.exceptions.first());
    let mut times: Vec<Duration> = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        black_box(rules::check(black_box(order), &ctx, master, cfg));
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let mean = times.iter().sum::<Duration>() / iters as u32;
    let max = times[times.len() - 1];
    let line = format!(
        "{name:<34} median {:>8.3} ms  mean {:>8.3} ms  max {:>8.3} ms  ({} lines unmatched, {} with a SKU suggestion)",
        median.as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
        unknown,
        suggested
    );
    println!("{line}");
    let _ = writeln!(out, "{line}");
}

fn main() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let catalog = gen_catalog(&mut rng);
    let t = Instant::now();
    let master = MasterData::build(rows(&catalog));
    println!(
        "index build: {} items, {:.0} ms",
        master.catalog_len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let cfg = RulesConfig::default();
    let mut out = String::new();
    for (kind, iters) in [
        (Kind::Exact, 200),
        (Kind::Crossref, 200),
        (Kind::Normalised, 200),
        (Kind::CodeTypo, 50),
        (Kind::CodeTypoNoDescription, 50),
        (Kind::DescriptionOnly, 50),
    ] {
        let order = gen_order(kind, &catalog, &mut rng);
        measure(
            &format!("50 lines, {kind:?}"),
            &order,
            &master,
            &cfg,
            iters,
            &mut out,
        );
    }

    // The same catalog through the store: CSV import and snapshot load.
    let tmp = std::env::temp_dir().join(format!("po-intake-bench-{}", std::process::id()));
    let src = tmp.join("master");
    if std::fs::create_dir_all(&src).is_ok() {
        let mut csv =
            String::from("sku,description,uom,unit_price,currency,pack_size,min_qty,stock\n");
        for it in &catalog {
            let _ = writeln!(
                csv,
                "{},{},{},{:.2},{},1,0,1000000",
                it.sku, it.description, it.uom, it.unit_price, it.currency
            );
        }
        if std::fs::write(src.join("catalog.csv"), csv).is_ok() {
            match po_intake::store::Store::open(&tmp.join("data")) {
                Ok(mut store) => {
                    let t = Instant::now();
                    match store.import_master(&src) {
                        Ok(r) => println!(
                            "store import of catalog.csv ({} rows): {:.0} ms",
                            r.catalog.total,
                            t.elapsed().as_secs_f64() * 1e3
                        ),
                        Err(e) => println!("import failed: {e}"),
                    }
                    let t = Instant::now();
                    match store.load_master() {
                        Ok(m) => println!(
                            "store load_master ({} items, indexes built): {:.0} ms",
                            m.catalog_len(),
                            t.elapsed().as_secs_f64() * 1e3
                        ),
                        Err(e) => println!("load failed: {e}"),
                    }
                }
                Err(e) => println!("store open failed: {e}"),
            }
        }
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
