//! The rules on hand-built master data: every check and every matching path, table-driven,
//! with each tolerance tested exactly at its edge and just past it.

use po_intake::domain::{
    Charge, ChargeKind, Decision, ExceptionCode, Field, LineItem, MatchKind, Order,
};
use po_intake::rules::{
    self, BuyerAlias, CatalogItem, CheckContext, ContractPrice, Crossref, CrossrefOrigin, Customer,
    DuplicateHit, DuplicateProbe, MasterData, MasterRows, RulesConfig, StockPolicy, UomAlias,
};

fn item(sku: &str, desc: &str, uom: &str, price: f64, cur: &str) -> CatalogItem {
    CatalogItem {
        sku: sku.into(),
        description: desc.into(),
        uom: uom.into(),
        unit_price: price,
        currency: cur.into(),
        pack_size: 1.0,
        min_qty: 0.0,
        stock: None,
    }
}

fn master() -> MasterData {
    let mut bolt = item("CD-200", "Hex bolt M8 x 40 zinc plated", "EA", 0.50, "USD");
    bolt.pack_size = 50.0;
    bolt.min_qty = 100.0;
    bolt.stock = Some(10_000.0);
    let mut widget = item("AB-100", "Widget blue steel", "EA", 10.00, "USD");
    widget.stock = Some(100.0);
    let mut ties = item("GH-0400", "Cable tie 200mm black", "PK", 5.00, "USD");
    ties.stock = Some(5.0);
    MasterData::build(MasterRows {
        version: Some(3),
        catalog: vec![
            widget,
            bolt,
            item("EF-300", "Safety gloves nitrile large", "BOX", 24.00, "USD"),
            ties,
            item("XY-999", "Imported tool euro priced", "EA", 7.00, "EUR"),
            item("K-10", "Clamp small", "EA", 1.0, "USD"),
            item("K010", "Clamp large", "EA", 2.0, "USD"),
        ],
        customers: vec![
            Customer {
                customer_id: "ACME".into(),
                name: "Acme Tools, Inc.".into(),
                email_domains: vec!["acme.com".into(), "acme-tools.de".into()],
                currency: Some("USD".into()),
            },
            Customer {
                customer_id: "BETA".into(),
                name: "Beta Industrie GmbH".into(),
                email_domains: vec!["beta.de".into()],
                currency: Some("EUR".into()),
            },
            Customer {
                customer_id: "GAMMA".into(),
                name: "Gamma Supplies Ltd".into(),
                email_domains: vec![],
                currency: None,
            },
        ],
        crossref: vec![
            Crossref {
                customer_id: "ACME".into(),
                customer_part: "ACM-555".into(),
                sku: "AB-100".into(),
                origin: CrossrefOrigin::Import,
            },
            Crossref {
                customer_id: "ACME".into(),
                customer_part: "00777".into(),
                sku: "CD-200".into(),
                origin: CrossrefOrigin::Review,
            },
        ],
        contract_prices: vec![ContractPrice {
            customer_id: "ACME".into(),
            sku: "AB-100".into(),
            unit_price: 9.50,
        }],
        buyer_aliases: vec![BuyerAlias {
            alias: "acme purchasing dept".into(),
            customer_id: "ACME".into(),
        }],
        uom_aliases: vec![],
    })
}

fn f<T>(v: T) -> Option<Field<T>> {
    Some(Field::certain(v))
}

fn line(sku: &str, qty: f64, price: f64) -> LineItem {
    LineItem {
        line_no: 1,
        sku: f(sku.to_string()),
        quantity: f(qty),
        uom: f("EA".to_string()),
        unit_price: f(price),
        amount: f((qty * price * 100.0).round() / 100.0),
        ..LineItem::default()
    }
}

/// A clean ACME order: 10 x AB-100 at the contract price 9.50.
fn order() -> Order {
    Order {
        po_number: f("PO-1".to_string()),
        buyer: f("Acme Tools".to_string()),
        currency: f("USD".to_string()),
        total: f(95.0),
        lines: vec![line("AB-100", 10.0, 9.50)],
        ..Order::default()
    }
}

const ACME: Option<&str> = Some("Jane Buyer <jane@acme.com>");

fn run(o: &Order, sender: Option<&str>, cfg: &RulesConfig) -> po_intake::domain::CheckResult {
    rules::check(o, &CheckContext::new(sender), &master(), cfg)
}

fn codes(r: &po_intake::domain::CheckResult) -> Vec<ExceptionCode> {
    r.exceptions.iter().map(|e| e.code).collect()
}

#[test]
fn a_clean_order_is_accepted() {
    let r = run(&order(), ACME, &RulesConfig::default());
    assert_eq!(r.exceptions, vec![], "{:#?}", r.exceptions);
    assert_eq!(r.decision(), Decision::Accept);
    assert_eq!(r.customer_id.as_deref(), Some("ACME"));
    assert_eq!(r.lines.len(), 1);
    assert_eq!(r.lines[0].kind, MatchKind::Exact);
    assert_eq!(r.lines[0].matched_sku.as_deref(), Some("AB-100"));
}

#[test]
fn customer_resolution() {
    let cases: &[(Option<&str>, Option<&str>, Option<&str>)] = &[
        (Some("jane@acme.com"), None, Some("ACME")),
        (Some("jane@mail.acme.com"), None, Some("ACME")),
        (Some("Jane <jane@ACME-TOOLS.de>"), None, Some("ACME")),
        // A domain that merely ends in the same letters is not a subdomain.
        (Some("x@notacme.com"), None, None),
        (Some("x@unknown.org"), Some("ACME TOOLS INC."), Some("ACME")),
        (None, Some("The Beta Industrie G.m.b.H."), Some("BETA")),
        (None, Some("Acme Purchasing Dept."), Some("ACME")),
        (None, Some("Gama Supplies Limited"), Some("GAMMA")),
        (None, Some("Totally Other Co"), None),
        (None, None, None),
        // The domain wins over the printed name.
        (Some("a@beta.de"), Some("Acme Tools"), Some("BETA")),
    ];
    for (sender, buyer, want) in cases {
        let mut o = order();
        o.buyer = buyer.map(|b| Field::certain(b.to_string()));
        o.currency = None;
        let r = run(&o, *sender, &RulesConfig::default());
        assert_eq!(
            r.customer_id.as_deref(),
            *want,
            "sender {sender:?} buyer {buyer:?}"
        );
        let unknown = codes(&r).contains(&ExceptionCode::UnknownCustomer);
        assert_eq!(unknown, want.is_none(), "sender {sender:?} buyer {buyer:?}");
    }
}

#[test]
fn unknown_customer_suggests_the_closest_name() {
    let mut o = order();
    o.buyer = f("Gamma Supply House".to_string());
    let r = run(&o, Some("x@elsewhere.org"), &RulesConfig::default());
    let e = r
        .exceptions
        .iter()
        .find(|e| e.code == ExceptionCode::UnknownCustomer)
        .expect("unknown_customer");
    assert!(e.message.contains("elsewhere.org"), "{}", e.message);
    assert!(e.message.contains("Gamma Supply House"), "{}", e.message);
    let s = e.suggestion.as_ref().expect("a suggestion");
    assert_eq!(
        (s.field.as_str(), s.value.as_str()),
        ("customer_id", "GAMMA")
    );
}

struct MatchCase {
    name: &'static str,
    sender: Option<&'static str>,
    sku: Option<&'static str>,
    part: Option<&'static str>,
    desc: Option<&'static str>,
    kind: MatchKind,
    matched: Option<&'static str>,
    suggested: Option<&'static str>,
}

#[test]
fn line_matching_paths() {
    let m = |name, sender, sku, part, desc, kind, matched, suggested| MatchCase {
        name,
        sender,
        sku,
        part,
        desc,
        kind,
        matched,
        suggested,
    };
    use MatchKind as K;
    let cases = [
        m(
            "exact",
            ACME,
            Some("AB-100"),
            None,
            None,
            K::Exact,
            Some("AB-100"),
            None,
        ),
        m(
            "crossref via printed sku",
            ACME,
            Some("ACM-555"),
            None,
            None,
            K::Crossref,
            Some("AB-100"),
            None,
        ),
        m(
            "crossref via customer part",
            ACME,
            None,
            Some("ACM-555"),
            None,
            K::Crossref,
            Some("AB-100"),
            None,
        ),
        m(
            "crossref part when sku is junk",
            ACME,
            Some("??"),
            Some("ACM-555"),
            None,
            K::Crossref,
            Some("AB-100"),
            None,
        ),
        m(
            "crossref normalised",
            ACME,
            None,
            Some("acm 555"),
            None,
            K::Crossref,
            Some("AB-100"),
            None,
        ),
        m(
            "crossref leading zeros (learned row)",
            ACME,
            Some("777"),
            None,
            None,
            K::Crossref,
            Some("CD-200"),
            None,
        ),
        m(
            "another customer's crossref is not used",
            Some("a@beta.de"),
            Some("ACM-555"),
            None,
            None,
            K::None,
            None,
            None,
        ),
        m(
            "normalised case and dash",
            ACME,
            Some("ab100"),
            None,
            None,
            K::Normalised,
            Some("AB-100"),
            None,
        ),
        m(
            "normalised dots and zeros",
            ACME,
            Some("A.B.0100"),
            None,
            None,
            K::Normalised,
            Some("AB-100"),
            None,
        ),
        m(
            "normalised catalog zeros",
            ACME,
            Some("gh 400"),
            None,
            None,
            K::Normalised,
            Some("GH-0400"),
            None,
        ),
        m(
            "normalised but ambiguous",
            ACME,
            Some("k 10"),
            None,
            None,
            K::None,
            None,
            Some("K-10"),
        ),
        m(
            "close code is only a suggestion",
            ACME,
            Some("AB-10O"),
            None,
            None,
            K::None,
            None,
            Some("AB-100"),
        ),
        m(
            "close customer part is only a suggestion",
            ACME,
            None,
            Some("CD2O0"),
            None,
            K::None,
            None,
            Some("CD-200"),
        ),
        m(
            "description is only a suggestion",
            ACME,
            None,
            None,
            Some("hex bolts M8 zinc plated"),
            K::None,
            None,
            Some("CD-200"),
        ),
        m(
            "nothing similar",
            ACME,
            Some("ZZZ-999999"),
            None,
            Some("banana"),
            K::None,
            None,
            None,
        ),
        m(
            "nothing printed",
            ACME,
            None,
            None,
            None,
            K::None,
            None,
            None,
        ),
    ];
    for c in cases {
        let mut o = order();
        o.total = None;
        o.lines[0].sku = c.sku.map(|s| Field::certain(s.to_string()));
        o.lines[0].customer_part = c.part.map(|s| Field::certain(s.to_string()));
        o.lines[0].description = c.desc.map(|s| Field::certain(s.to_string()));
        o.lines[0].unit_price = None;
        o.lines[0].amount = None;
        o.lines[0].quantity = f(100.0);
        let r = run(&o, c.sender, &RulesConfig::default());
        assert_eq!(r.lines[0].kind, c.kind, "{}", c.name);
        assert_eq!(r.lines[0].matched_sku.as_deref(), c.matched, "{}", c.name);
        let unknown: Vec<_> = r
            .exceptions
            .iter()
            .filter(|e| e.code == ExceptionCode::UnknownSku)
            .collect();
        if c.matched.is_some() {
            assert!(unknown.is_empty(), "{}: {unknown:?}", c.name);
        } else {
            // A suggestion never auto-accepts.
            assert_eq!(unknown.len(), 1, "{}", c.name);
            assert_eq!(r.decision(), Decision::Review, "{}", c.name);
            assert_eq!(unknown[0].line, Some(1));
            let s = unknown[0].suggestion.as_ref();
            assert_eq!(
                s.map(|s| s.value.as_str()),
                c.suggested,
                "{}: {s:?}",
                c.name
            );
            if let Some(s) = s {
                assert_eq!(s.field, "sku");
                assert!(!s.label.is_empty());
            }
        }
    }
}

#[test]
fn price_tolerance_boundaries() {
    let abs = RulesConfig::default(); // 0.01 absolute
    let pct = RulesConfig {
        price_tolerance_abs: 0.0,
        price_tolerance_pct: 1.0,
        ..RulesConfig::default()
    };
    // (config, sender, printed price, expected ok). ACME has a contract price 9.50 for AB-100;
    // GAMMA has none, so the catalog price 10.00 applies.
    let cases: &[(&RulesConfig, Option<&str>, f64, bool)] = &[
        (&abs, ACME, 9.50, true),
        (&abs, ACME, 9.51, true),
        (&abs, ACME, 9.49, true),
        (&abs, ACME, 9.5101, false),
        (&abs, ACME, 9.4899, false),
        (&abs, ACME, 10.00, false),
        (&pct, ACME, 9.595, true),
        (&pct, ACME, 9.405, true),
        (&pct, ACME, 9.5951, false),
        (&pct, ACME, 9.4049, false),
        (&abs, None, 10.01, true),
        (&abs, None, 9.50, false),
        (&abs, None, 10.0101, false),
    ];
    for (cfg, sender, price, ok) in cases {
        let mut o = order();
        if sender.is_none() {
            o.buyer = f("Gamma Supplies".to_string());
        }
        o.lines[0] = line("AB-100", 10.0, *price);
        o.total = None;
        let r = run(&o, *sender, cfg);
        let mismatch = r
            .exceptions
            .iter()
            .find(|e| e.code == ExceptionCode::PriceMismatch);
        assert_eq!(
            mismatch.is_none(),
            *ok,
            "price {price} sender {sender:?}: {mismatch:?}"
        );
        if let Some(e) = mismatch {
            let want = if sender.is_some() { "9.50" } else { "10.00" };
            let s = e.suggestion.as_ref().expect("suggestion");
            assert_eq!((s.field.as_str(), s.value.as_str()), ("unit_price", want));
            assert!(e.message.contains(want), "{}", e.message);
            assert_eq!(e.line, Some(1));
        }
    }
}

#[test]
fn price_in_converted_units() {
    // 1 DZ = 12 EA by default: the expected price per dozen is 12 x the contract price.
    let mut o = order();
    o.total = None;
    o.lines[0] = line("AB-100", 1.0, 114.0);
    o.lines[0].uom = f("DZ".to_string());
    let r = run(&o, ACME, &RulesConfig::default());
    assert_eq!(r.exceptions, vec![]);
    o.lines[0].unit_price = f(9.5);
    o.lines[0].amount = f(9.5);
    let r = run(&o, ACME, &RulesConfig::default());
    assert_eq!(codes(&r), vec![ExceptionCode::PriceMismatch]);
    assert_eq!(
        r.exceptions[0]
            .suggestion
            .as_ref()
            .map(|s| s.value.as_str()),
        Some("114.00")
    );
}

/// No currency printed: the customer's default from customers.csv is the order's (and what
/// the OMS payload carries).
#[test]
fn the_customers_currency_when_none_is_printed() {
    let mut o = order();
    o.currency = None;
    let r = run(&o, ACME, &RulesConfig::default());
    assert_eq!(r.exceptions, vec![]);
    assert_eq!(r.currency.as_deref(), Some("USD"));
    o.currency = f("usd".to_string());
    assert_eq!(
        run(&o, ACME, &RulesConfig::default()).currency.as_deref(),
        Some("USD")
    );
}

#[test]
fn currency_mismatches() {
    // Header: an ACME order in EUR (ACME is billed in USD). The line price is not compared.
    let mut o = order();
    o.currency = f("EUR".to_string());
    let r = run(&o, ACME, &RulesConfig::default());
    assert_eq!(codes(&r), vec![ExceptionCode::CurrencyMismatch]);
    assert_eq!(r.exceptions[0].line, None);
    assert!(r.exceptions[0].message.contains("EUR") && r.exceptions[0].message.contains("USD"));
    // A symbol is read as its code.
    o.currency = f("$".to_string());
    assert_eq!(run(&o, ACME, &RulesConfig::default()).exceptions, vec![]);
    // Line: a USD order for an item priced in EUR, no contract.
    let mut o = order();
    o.buyer = f("Gamma Supplies".to_string());
    o.lines[0] = line("XY-999", 1.0, 7.0);
    o.total = None;
    let r = run(&o, None, &RulesConfig::default());
    assert_eq!(codes(&r), vec![ExceptionCode::CurrencyMismatch]);
    assert_eq!(r.exceptions[0].line, Some(1));
    // Same item in an EUR order: fine.
    o.currency = f("EUR".to_string());
    assert_eq!(run(&o, None, &RulesConfig::default()).exceptions, vec![]);
    // A USD order line with no printed price: nothing priced in another currency to flag.
    o.currency = f("USD".to_string());
    o.lines[0].unit_price = None;
    o.lines[0].amount = None;
    assert_eq!(run(&o, None, &RulesConfig::default()).exceptions, vec![]);
}

#[test]
fn line_arithmetic_boundaries() {
    for (amount, ok) in [
        (95.0, true),
        (95.01, true),
        (94.99, true),
        (95.0101, false),
        (94.9899, false),
    ] {
        let mut o = order();
        o.lines[0].amount = f(amount);
        o.total = None;
        let r = run(&o, ACME, &RulesConfig::default());
        assert_eq!(
            r.exceptions.is_empty(),
            ok,
            "amount {amount}: {:?}",
            r.exceptions
        );
        if !ok {
            assert_eq!(codes(&r), vec![ExceptionCode::ArithmeticMismatch]);
            assert_eq!(r.exceptions[0].line, Some(1));
            assert_eq!(
                r.exceptions[0]
                    .suggestion
                    .as_ref()
                    .map(|s| s.value.as_str()),
                Some("95.00")
            );
        }
    }
}

fn charge(kind: ChargeKind, amount: f64) -> Charge {
    Charge {
        kind,
        label: format!("{kind:?}"),
        rate_pct: None,
        amount: Field::certain(amount),
    }
}

#[test]
fn total_arithmetic() {
    use ChargeKind::*;
    // Lines sum to 95.00.
    let cases: Vec<(Option<f64>, Vec<Charge>, bool, &str)> = vec![
        (None, vec![], true, "no total: nothing to check"),
        (Some(95.0), vec![], true, "exact"),
        (Some(95.01), vec![], true, "at the tolerance"),
        (Some(95.0101), vec![], false, "just past the tolerance"),
        (Some(113.05), vec![], true, "19% tax not extracted"),
        (Some(99.75), vec![], true, "5% tax not extracted"),
        (Some(101.0), vec![], false, "unexplained difference"),
        (Some(90.0), vec![], false, "total below the lines"),
        (Some(105.0), vec![charge(Freight, 10.0)], true, "freight"),
        (
            Some(124.95),
            vec![charge(Freight, 10.0)],
            true,
            "freight then 19% tax",
        ),
        (
            Some(113.05),
            vec![charge(Tax, 18.05)],
            true,
            "tax extracted",
        ),
        (
            Some(113.05),
            vec![charge(Tax, 10.0)],
            false,
            "tax extracted but wrong: 10.00 is no configured rate of 95.00",
        ),
        (
            Some(90.0),
            vec![charge(Discount, 5.0)],
            true,
            "discount printed positive",
        ),
        (
            Some(90.0),
            vec![charge(Discount, -5.0)],
            true,
            "discount printed negative",
        ),
    ];
    for (total, charges, ok, name) in cases {
        let mut o = order();
        o.total = total.map(Field::certain);
        o.charges = charges;
        let r = run(&o, ACME, &RulesConfig::default());
        assert_eq!(r.exceptions.is_empty(), ok, "{name}: {:?}", r.exceptions);
        if !ok {
            // A wrong unrated tax is reported as the tax step and as the total step.
            assert!(
                codes(&r)
                    .iter()
                    .all(|c| *c == ExceptionCode::ArithmeticMismatch),
                "{name}"
            );
            assert!(r.exceptions.iter().all(|e| e.line.is_none()), "{name}");
        }
    }
    // Without configured rates, an unextracted tax is a mismatch.
    let cfg = RulesConfig {
        tax_rates_pct: vec![],
        ..RulesConfig::default()
    };
    let mut o = order();
    o.total = f(113.05);
    assert_eq!(
        codes(&run(&o, ACME, &cfg)),
        vec![ExceptionCode::ArithmeticMismatch]
    );
}

#[test]
fn quantity_pack_minimum_and_units() {
    let with_box = RulesConfig {
        uom_conversions: [("BOX".to_string(), 12.0), ("DZ".to_string(), 12.0)].into(),
        ..RulesConfig::default()
    };
    let def = RulesConfig::default();
    // (sku, qty, uom, config, expected code, suggested quantity/uom)
    type Case<'a> = (
        &'a str,
        f64,
        &'a str,
        &'a RulesConfig,
        Option<ExceptionCode>,
        Option<&'a str>,
    );
    let cases: &[Case] = &[
        ("CD-200", 100.0, "EA", &def, None, None),
        ("CD-200", 150.0, "EA", &def, None, None),
        (
            "CD-200",
            50.0,
            "EA",
            &def,
            Some(ExceptionCode::PackMultiple),
            Some("100"),
        ),
        (
            "CD-200",
            99.0,
            "EA",
            &def,
            Some(ExceptionCode::PackMultiple),
            Some("100"),
        ),
        (
            "CD-200",
            120.0,
            "EA",
            &def,
            Some(ExceptionCode::PackMultiple),
            Some("150"),
        ),
        (
            "CD-200",
            151.0,
            "PCS",
            &def,
            Some(ExceptionCode::PackMultiple),
            Some("200"),
        ),
        // 10 DZ = 120 EA, next multiple 150 EA = 12.5 DZ.
        (
            "CD-200",
            10.0,
            "DZ",
            &def,
            Some(ExceptionCode::PackMultiple),
            Some("12.5"),
        ),
        ("AB-100", 10.0, "Stück", &def, None, None),
        ("AB-100", 10.0, "each", &def, None, None),
        (
            "AB-100",
            1.0,
            "BOX",
            &def,
            Some(ExceptionCode::UomMismatch),
            Some("EA"),
        ),
        ("AB-100", 1.0, "BOX", &with_box, None, None),
        // Catalog unit BOX (= 12 EA): 24 EA is 2 boxes.
        ("EF-300", 24.0, "EA", &with_box, None, None),
        (
            "EF-300",
            24.0,
            "EA",
            &def,
            Some(ExceptionCode::UomMismatch),
            Some("BOX"),
        ),
    ];
    for (sku, qty, uom, cfg, code, sugg) in cases {
        let mut o = order();
        o.buyer = f("Gamma Supplies".to_string());
        o.total = None;
        o.lines[0] = line(sku, *qty, 0.0);
        o.lines[0].uom = f(uom.to_string());
        o.lines[0].unit_price = None;
        o.lines[0].amount = None;
        let r = run(&o, None, cfg);
        let got: Vec<_> = r.exceptions.iter().map(|e| e.code).collect();
        let want: Vec<_> = code.iter().copied().collect();
        assert_eq!(got, want, "{sku} {qty} {uom}: {:?}", r.exceptions);
        if let Some(e) = r.exceptions.first() {
            assert_eq!(
                e.suggestion.as_ref().map(|s| s.value.as_str()),
                *sugg,
                "{sku} {qty} {uom}"
            );
            assert!(e.message.contains(sku), "{}", e.message);
        }
    }
}

#[test]
fn stock_boundaries_and_policy() {
    let backorder = RulesConfig {
        stock_policy: StockPolicy::Backorder,
        ..RulesConfig::default()
    };
    let def = RulesConfig::default();
    for (qty, cfg, short) in [
        (100.0, &def, false),
        (101.0, &def, true),
        (101.0, &backorder, false),
    ] {
        let mut o = order();
        o.lines[0] = line("AB-100", qty, 9.5);
        o.total = None;
        let r = run(&o, ACME, cfg);
        assert_eq!(
            codes(&r).contains(&ExceptionCode::InsufficientStock),
            short,
            "qty {qty}"
        );
        if short {
            let e = &r.exceptions[0];
            assert!(
                e.message.contains("101") && e.message.contains("100"),
                "{}",
                e.message
            );
            assert!(e.message.contains("version 3"), "{}", e.message);
            assert_eq!(e.suggestion.as_ref().map(|s| s.value.as_str()), Some("100"));
        }
    }
}

#[test]
fn duplicate_po_uses_the_context() {
    let seen = |p: &DuplicateProbe<'_>| {
        Ok(
            (p.customer_id == Some("ACME") && p.po_key.as_deref() == Some("1")).then(|| {
                DuplicateHit::SamePo {
                    po_number: "PO-1".into(),
                }
            }),
        )
    };
    let ctx = CheckContext {
        sender: ACME,
        is_duplicate: &seen,
    };
    let r = rules::check(&order(), &ctx, &master(), &RulesConfig::default());
    assert_eq!(codes(&r), vec![ExceptionCode::DuplicatePo]);
    assert!(r.exceptions[0].message.contains("PO-1"));
    // The same number written differently is the same PO.
    let mut spaced = order();
    spaced.po_number = f("P.O. # 1".to_string());
    let r = rules::check(&spaced, &ctx, &master(), &RulesConfig::default());
    assert_eq!(codes(&r), vec![ExceptionCode::DuplicatePo]);
    let mut other = order();
    other.po_number = f("PO-2".to_string());
    let r = rules::check(&other, &ctx, &master(), &RulesConfig::default());
    assert_eq!(r.exceptions, vec![]);
}

/// A duplicate check that cannot run (the store failed) holds the order: fail closed.
#[test]
fn a_duplicate_check_that_fails_flags_the_order() {
    let broken = |_: &DuplicateProbe<'_>| Err("database is locked".to_string());
    let ctx = CheckContext {
        sender: ACME,
        is_duplicate: &broken,
    };
    let r = rules::check(&order(), &ctx, &master(), &RulesConfig::default());
    assert_eq!(codes(&r), vec![ExceptionCode::DuplicatePo]);
    assert!(r.exceptions[0].message.contains("could not run"));
    assert_eq!(r.decision(), po_intake::domain::Decision::Review);
}

/// An unknown customer's order is still looked up (against other unknown-customer orders),
/// with its normalised number and its content.
#[test]
fn an_unknown_customers_order_is_checked_for_duplicates() {
    let asked = std::cell::RefCell::new(Vec::new());
    let seen = |p: &DuplicateProbe<'_>| {
        asked
            .borrow_mut()
            .push((p.customer_id.map(str::to_string), p.po_key.clone()));
        Ok(p.content_key.as_ref().map(|_| DuplicateHit::SameContent {
            po_number: Some("PO-0".into()),
        }))
    };
    let ctx = CheckContext {
        sender: Some("someone@unknown.example"),
        is_duplicate: &seen,
    };
    let mut o = order();
    o.buyer = f("Nobody Known".to_string());
    let r = rules::check(&o, &ctx, &master(), &RulesConfig::default());
    assert!(codes(&r).contains(&ExceptionCode::UnknownCustomer));
    assert!(
        codes(&r).contains(&ExceptionCode::DuplicatePo),
        "{:?}",
        codes(&r)
    );
    assert_eq!(asked.borrow().as_slice(), &[(None, Some("1".to_string()))]);
}

#[test]
fn completeness() {
    type Edit = fn(&mut Order);
    let cases: &[(&str, Edit, Option<u32>)] = &[
        ("no PO", |o| o.po_number = None, None),
        ("blank PO", |o| o.po_number = f("  ".to_string()), None),
        (
            "no lines",
            |o| {
                o.lines.clear();
                o.total = None;
            },
            None,
        ),
        (
            "no quantity",
            |o| {
                o.lines[0].quantity = None;
                o.total = None;
            },
            Some(1),
        ),
        (
            "zero quantity",
            |o| {
                o.lines[0].quantity = f(0.0);
                o.lines[0].amount = f(0.0);
                o.total = None;
            },
            Some(1),
        ),
    ];
    for (name, edit, line) in cases {
        let mut o = order();
        edit(&mut o);
        let r = run(&o, ACME, &RulesConfig::default());
        assert_eq!(
            codes(&r),
            vec![ExceptionCode::MissingField],
            "{name}: {:?}",
            r.exceptions
        );
        assert_eq!(r.exceptions[0].line, *line, "{name}");
        assert_eq!(r.lines.len(), o.lines.len());
    }
}

#[test]
fn confidence_threshold_boundaries() {
    let def = RulesConfig::default(); // 0.8; po_number, sku, quantity, unit_price
    let with_desc = RulesConfig {
        confidence_fields: vec![rules::ConfidenceField::Description],
        ..RulesConfig::default()
    };
    // One threshold for every field (the per-field ones have their own test).
    let general = RulesConfig {
        confidence_thresholds: Default::default(),
        ..RulesConfig::default()
    };
    type Edit = fn(&mut Order);
    let cases: &[(&str, Edit, &RulesConfig, Option<Option<u32>>)] = &[
        (
            "po at threshold",
            |o| o.po_number.as_mut().unwrap().confidence = 0.8,
            &def,
            None,
        ),
        (
            "po below",
            |o| o.po_number.as_mut().unwrap().confidence = 0.79,
            &def,
            Some(None),
        ),
        (
            "sku below",
            |o| o.lines[0].sku.as_mut().unwrap().confidence = 0.5,
            &def,
            Some(Some(1)),
        ),
        (
            "quantity below",
            |o| o.lines[0].quantity.as_mut().unwrap().confidence = 0.1,
            &def,
            Some(Some(1)),
        ),
        (
            "price below",
            |o| o.lines[0].unit_price.as_mut().unwrap().confidence = 0.7999,
            &general,
            Some(Some(1)),
        ),
        (
            "description not covered",
            |o| o.lines[0].description = Some(Field::new("Widget".into(), 0.1, None)),
            &def,
            None,
        ),
        (
            "description covered",
            |o| o.lines[0].description = Some(Field::new("Widget".into(), 0.1, None)),
            &with_desc,
            Some(Some(1)),
        ),
        (
            "buyer not covered",
            |o| o.buyer.as_mut().unwrap().confidence = 0.1,
            &def,
            None,
        ),
    ];
    for (name, edit, cfg, want) in cases {
        let mut o = order();
        edit(&mut o);
        let r = run(&o, ACME, cfg);
        match want {
            None => assert_eq!(r.exceptions, vec![], "{name}"),
            Some(line) => {
                assert_eq!(
                    codes(&r),
                    vec![ExceptionCode::LowConfidence],
                    "{name}: {:?}",
                    r.exceptions
                );
                assert_eq!(r.exceptions[0].line, *line, "{name}");
                assert!(
                    r.exceptions[0].message.contains("below 0.80"),
                    "{}",
                    r.exceptions[0].message
                );
            }
        }
    }
}

/// A price, amount or total is trusted from 0.95 by default (the extractor gives 0.97 only
/// to figures its arithmetic confirms); a per-field threshold in the config overrides the
/// general one for that field only.
#[test]
fn per_field_thresholds_override_the_general_one() {
    use rules::ConfidenceField as F;
    let def = RulesConfig::default();
    assert_eq!(def.threshold(F::UnitPrice), 0.95);
    assert_eq!(def.threshold(F::Quantity), 0.8);
    let mut o = order();
    o.lines[0].unit_price.as_mut().unwrap().confidence = 0.9;
    o.lines[0].quantity.as_mut().unwrap().confidence = 0.9;
    // The one low-confidence message `cfg` gives for `o`.
    let low = |cfg: &RulesConfig| {
        let r = run(&o, ACME, cfg);
        assert_eq!(
            codes(&r),
            vec![ExceptionCode::LowConfidence],
            "{:?}",
            r.exceptions
        );
        r.exceptions[0].message.clone()
    };
    let m = low(&def);
    assert!(m.contains("unit_price") && m.contains("below 0.95"), "{m}");

    #[derive(serde::Deserialize)]
    struct File {
        rules: RulesConfig,
    }
    let f: File = toml::from_str(
        "[rules]\nconfidence_threshold = 0.95\nconfidence_thresholds = { unit_price = 0.85 }",
    )
    .expect("valid config");
    assert!(f.rules.validate().is_empty());
    let m = low(&f.rules);
    assert!(m.contains("quantity") && m.contains("below 0.95"), "{m}");
    assert!(toml::from_str::<File>("[rules]\nconfidence_thresholds = { nope = 0.5 }").is_err());
    let bad = RulesConfig {
        confidence_thresholds: [(F::Total, 1.5)].into_iter().collect(),
        ..RulesConfig::default()
    };
    assert_eq!(bad.validate().len(), 1);
}

#[test]
fn several_problems_are_all_reported_header_first() {
    let mut o = order();
    o.po_number = None;
    o.lines.push(LineItem {
        line_no: 2,
        sku: f("NOPE-1".to_string()),
        quantity: f(1.0),
        amount: f(5.0),
        ..LineItem::default()
    });
    o.lines[0].unit_price = f(12.0);
    o.lines[0].amount = f(120.0);
    o.total = f(500.0);
    let r = run(&o, ACME, &RulesConfig::default());
    assert_eq!(
        codes(&r),
        vec![
            ExceptionCode::MissingField,
            ExceptionCode::ArithmeticMismatch,
            ExceptionCode::PriceMismatch,
            ExceptionCode::UnknownSku,
        ],
        "{:#?}",
        r.exceptions
    );
    assert_eq!(r.lines.len(), 2);
    assert_eq!(r.lines[1].kind, MatchKind::None);
    assert!(r.exceptions.iter().all(|e| !e.message.is_empty()));
}

#[test]
fn config_reads_from_toml_with_defaults() {
    #[derive(serde::Deserialize)]
    struct File {
        rules: RulesConfig,
    }
    let f: File = toml::from_str(
        r#"
        [rules]
        price_tolerance_pct = 2.5
        stock_policy = "backorder"
        confidence_fields = ["po_number", "total"]
        [rules.uom_conversions]
        BOX = 12
        "#,
    )
    .expect("valid config");
    assert_eq!(f.rules.price_tolerance_pct, 2.5);
    assert_eq!(f.rules.price_tolerance_abs, 0.01);
    assert_eq!(f.rules.stock_policy, StockPolicy::Backorder);
    assert_eq!(f.rules.uom_conversions.get("BOX"), Some(&12.0));
    assert!(f.rules.validate().is_empty());
    assert!(toml::from_str::<File>("[rules]\nprice_tolerance = 1").is_err());
    assert!(toml::from_str::<File>("[rules]\nconfidence_fields = [\"nope\"]").is_err());
    let bad = RulesConfig {
        confidence_threshold: 1.5,
        price_tolerance_abs: -1.0,
        ..RulesConfig::default()
    };
    assert_eq!(bad.validate().len(), 2);
}

/// The trigram filter must never miss: on random codes, the indexed search finds the same
/// smallest distance as a scan of the whole catalog.
#[test]
fn closest_code_agrees_with_a_full_scan() {
    use po_intake::rules::matching::{closest_code, Scratch};
    use po_intake::rules::text::{normalize_code, str_distance_within};
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut rand = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    const ALPHA: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ123456789";
    let mut codes: Vec<String> = (0..3000)
        .map(|_| {
            let len = 8 + rand(3);
            (0..len).map(|_| ALPHA[rand(ALPHA.len())] as char).collect()
        })
        .collect();
    codes.sort();
    codes.dedup();
    let m = MasterData::build(MasterRows {
        catalog: codes
            .iter()
            .map(|c| item(c, "x", "EA", 1.0, "USD"))
            .collect(),
        ..MasterRows::default()
    });
    let normalised: Vec<String> = codes.iter().map(|c| normalize_code(c)).collect();
    let mut scratch = Scratch::new();
    let mut found = 0;
    for i in 0..400 {
        let mut q: Vec<u8> = codes[rand(codes.len())].clone().into_bytes();
        for _ in 0..(1 + i % 3) {
            let p = rand(q.len());
            match rand(3) {
                0 => q[p] = ALPHA[rand(ALPHA.len())],
                1 => {
                    q.remove(p);
                }
                _ => q.insert(p, ALPHA[rand(ALPHA.len())]),
            }
        }
        let q = String::from_utf8(q).expect("ascii");
        let norm = normalize_code(&q);
        let k = 2.min((norm.len() / 4).max(1));
        let brute = normalised
            .iter()
            .filter_map(|c| str_distance_within(&norm, c, k))
            .min();
        let got = closest_code(&q, &m, 2, &mut scratch).map(|(d, _)| d);
        assert_eq!(got, brute, "query {q}");
        found += usize::from(got.is_some());
    }
    assert!(found > 200, "the test should exercise hits, got {found}");
}

/// Units printed in words and other languages resolve to the catalog's code; a case or pack
/// of an item sold per EA converts through its pack size (price per case = pack x price);
/// a word nobody taught the rules is `uom_mismatch`, until a reviewer's answer for this
/// customer is in the master data.
#[test]
fn printed_units_synonyms_packs_and_learned_units() {
    let rows_master = |aliases: Vec<UomAlias>| {
        let mut cased = item("CASE-12", "Paper towels", "EA", 2.0, "USD");
        cased.pack_size = 12.0;
        let mut m = MasterRows {
            catalog: vec![cased, item("RL-1", "Tape roll", "RL", 3.0, "USD")],
            customers: vec![Customer {
                customer_id: "ACME".into(),
                name: "Acme Tools, Inc.".into(),
                email_domains: vec!["acme.com".into()],
                currency: Some("USD".into()),
            }],
            ..MasterRows::default()
        };
        m.uom_aliases = aliases;
        MasterData::build(m)
    };
    let plain = rows_master(vec![]);
    let cfg = RulesConfig::default();
    let one = |sku: &str, qty: f64, uom: &str, price: f64| {
        let mut o = order();
        o.total = None;
        o.lines[0] = line(sku, qty, price);
        o.lines[0].uom = f(uom.to_string());
        o
    };
    let check = |m: &MasterData, o: &Order| {
        let r = rules::check(o, &CheckContext::new(ACME), m, &cfg);
        r.exceptions.iter().map(|e| e.code).collect::<Vec<_>>()
    };
    for (sku, qty, uom, price) in [
        ("CASE-12", 24.0, "Stück", 2.0),
        ("CASE-12", 12.0, "pcs.", 2.0),
        ("CASE-12", 2.0, "Karton", 24.0),
        ("CASE-12", 2.0, "caja", 24.0),
        ("CASE-12", 1.0, "Pck", 24.0),
        ("RL-1", 5.0, "Rolle", 3.0),
        ("RL-1", 5.0, "rouleau", 3.0),
        ("RL-1", 5.0, "rollo", 3.0),
    ] {
        assert_eq!(
            check(&plain, &one(sku, qty, uom, price)),
            vec![],
            "{qty} {uom}"
        );
    }
    // What the OMS is told: the unit as a code.
    let r = rules::check(
        &one("CASE-12", 2.0, "Karton", 24.0),
        &CheckContext::new(ACME),
        &plain,
        &cfg,
    );
    assert_eq!(r.lines[0].uom_code.as_deref(), Some("CS"));
    // A case priced per piece is a price problem, not a unit one.
    assert_eq!(
        check(&plain, &one("CASE-12", 2.0, "Karton", 2.0)),
        vec![ExceptionCode::PriceMismatch]
    );
    // "Gebinde" is nobody's word until a reviewer says so for this customer.
    let o = one("CASE-12", 2.0, "Gebinde", 24.0);
    assert_eq!(check(&plain, &o), vec![ExceptionCode::UomMismatch]);
    let taught = rows_master(vec![UomAlias {
        customer_id: "ACME".into(),
        printed: "GEBINDE".into(),
        uom: "CS".into(),
    }]);
    assert_eq!(check(&taught, &o), vec![]);
    // Another customer's answer does not apply.
    let other = rows_master(vec![UomAlias {
        customer_id: "BETA".into(),
        printed: "GEBINDE".into(),
        uom: "CS".into(),
    }]);
    assert_eq!(check(&other, &o), vec![ExceptionCode::UomMismatch]);
    // The config's synonyms apply to everyone.
    let mut syn = RulesConfig::default();
    syn.uom_synonyms.insert("CS".into(), vec!["gebinde".into()]);
    let r = rules::check(&o, &CheckContext::new(ACME), &plain, &syn);
    assert_eq!(r.exceptions, vec![]);
}

fn rated(kind: ChargeKind, label: &str, rate: Option<f64>, amount: f64) -> Charge {
    Charge {
        kind,
        label: label.into(),
        rate_pct: rate,
        amount: Field::certain(amount),
    }
}

/// Lines -> subtotal -> rated charges -> total, each failure naming its step (issue 19).
#[test]
fn arithmetic_steps_with_subtotal_charges_and_tax() {
    use ChargeKind::*;
    // The lines sum to 95.00.
    type Case = (
        Option<f64>,
        Vec<Charge>,
        f64,
        Option<&'static str>,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            Some(95.0),
            vec![
                rated(Freight, "Fracht", None, 5.0),
                rated(Tax, "MwSt 19%", Some(19.0), 19.0),
            ],
            119.0,
            None,
            "freight, then VAT on subtotal + freight",
        ),
        (
            Some(95.0),
            vec![
                rated(Freight, "Freight", None, 5.0),
                rated(Tax, "VAT 19%", Some(19.0), 18.05),
            ],
            118.05,
            None,
            "VAT on the goods only",
        ),
        (
            Some(95.0),
            vec![
                rated(Discount, "Remise 5%", Some(5.0), -4.75),
                rated(Tax, "TVA 20%", Some(20.0), 18.05),
            ],
            108.3,
            None,
            "discount then tax on the discounted base",
        ),
        (
            Some(100.0),
            vec![
                rated(Freight, "Vracht", None, 5.0),
                rated(Tax, "BTW 21%", Some(21.0), 21.0),
            ],
            121.0,
            None,
            "freight printed above the subtotal",
        ),
        (
            None,
            vec![
                rated(Handling, "Handling", None, 7.5),
                rated(Rounding, "Rundung", None, -0.01),
            ],
            102.49,
            None,
            "no subtotal printed, handling and rounding",
        ),
        (
            Some(95.0),
            vec![rated(Tax, "IVA 22%", Some(22.0), 20.9)],
            95.0,
            None,
            "a net total beside the tax line",
        ),
        (
            Some(95.0),
            vec![
                rated(Tax, "VAT 0%", Some(0.0), 0.0),
                rated(Tax, "BTW verlegd", None, 0.0),
            ],
            95.0,
            None,
            "reverse charge: no tax, with and without a rate",
        ),
        (Some(96.0), vec![], 96.0, Some("Subtotal:"), "subtotal off"),
        (
            Some(95.0),
            vec![rated(Tax, "VAT 19%", Some(19.0), 20.0)],
            115.0,
            Some("Charge 'VAT 19%'"),
            "tax amount not 19%",
        ),
        (
            Some(95.0),
            vec![
                rated(Freight, "Porte", None, 5.0),
                rated(Tax, "IVA 21%", Some(21.0), 21.0),
            ],
            131.0,
            Some("Total: subtotal 95.00 + Porte 5.00 + IVA 21% 21.00 = 121.00"),
            "total off",
        ),
    ];
    for (sub, charges, total, fails, name) in cases {
        let mut o = order();
        o.subtotal = sub.map(Field::certain);
        o.charges = charges;
        o.total = f(total);
        let r = run(&o, ACME, &RulesConfig::default());
        match fails {
            None => assert_eq!(r.exceptions, vec![], "{name}"),
            Some(step) => {
                assert_eq!(codes(&r), vec![ExceptionCode::ArithmeticMismatch], "{name}");
                assert!(
                    r.exceptions[0].message.starts_with(step),
                    "{name}: {}",
                    r.exceptions[0].message
                );
            }
        }
    }
}

/// Price per 100, line discounts and a 4-decimal price printed with 2 decimals.
#[test]
fn price_units_discounts_and_rounded_prices() {
    let run_line = |qty: f64, price: f64, per: Option<f64>, disc: Option<f64>, amount: f64| {
        let mut o = order();
        o.total = None;
        o.lines[0] = line("AB-100", qty, price);
        o.lines[0].price_unit = per.map(Field::certain);
        o.lines[0].discount_pct = disc.map(Field::certain);
        o.lines[0].amount = f(amount);
        codes(&run(&o, ACME, &RulesConfig::default()))
    };
    // Contract price 9.50 per piece.
    assert_eq!(run_line(10.0, 950.0, Some(100.0), None, 95.0), vec![]);
    assert_eq!(run_line(10.0, 9500.0, Some(1000.0), None, 95.0), vec![]);
    assert_eq!(
        run_line(10.0, 950.0, None, None, 9500.0),
        vec![ExceptionCode::PriceMismatch]
    );
    // List price 10.00 less 5 % is the contract price.
    assert_eq!(run_line(10.0, 10.0, None, Some(5.0), 95.0), vec![]);
    assert_eq!(
        run_line(10.0, 10.0, None, Some(5.0), 100.0),
        vec![ExceptionCode::ArithmeticMismatch]
    );
    // 100 x 9.5049 = 950.49, printed as 9.50: the amount is explained by rounding.
    assert_eq!(run_line(100.0, 9.50, None, None, 950.49), vec![]);
    // 9.506 would print as 9.51: not a rounding of 9.50.
    assert_eq!(
        run_line(100.0, 9.50, None, None, 950.60),
        vec![ExceptionCode::ArithmeticMismatch]
    );
}

#[test]
fn a_charge_row_of_the_item_table_is_booked_as_a_charge_not_an_unknown_item() {
    let mut o = order();
    o.lines.push(LineItem {
        line_no: 2,
        description: f("FUEL SURCHARGE".to_string()),
        quantity: f(1.0),
        unit_price: f(4.5),
        amount: f(4.5),
        ..LineItem::default()
    });
    o.total = f(99.5);
    let r = run(&o, ACME, &RulesConfig::default());
    assert_eq!(r.exceptions, vec![], "{:#?}", r.exceptions);
    assert_eq!(r.decision(), Decision::Accept);
    // The total must still add up with the charge in it.
    o.total = f(95.0);
    let r = run(&o, ACME, &RulesConfig::default());
    assert!(
        codes(&r).contains(&ExceptionCode::ArithmeticMismatch),
        "{:?}",
        codes(&r)
    );
    // A row that is no charge word and has no code stays an unknown item.
    o.lines[1].description = f("Blue widget special".to_string());
    o.total = f(99.5);
    let r = run(&o, ACME, &RulesConfig::default());
    assert_eq!(r.decision(), Decision::Review);
}
