//! The extraction JSON contract (`po-intake extract FILE`), relied on by evaluation tools
//! and by `po-intake check`. Key names here must never change; extra keys may be added.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{Charge, ChargeKind, DocKind, Field, LineItem, Order, SourceSpan};

/// The header field names of the contract, in contract order.
pub const HEADER_FIELDS: [&str; 6] = [
    "po_number",
    "order_date",
    "buyer",
    "currency",
    "ship_to",
    "total",
];
/// The line-item field names of the contract, in contract order.
pub const LINE_FIELDS: [&str; 7] = [
    "sku",
    "customer_part",
    "description",
    "quantity",
    "uom",
    "unit_price",
    "amount",
];

/// One line item, plain values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContractLine {
    pub sku: Option<String>,
    pub customer_part: Option<String>,
    pub description: Option<String>,
    pub quantity: Option<f64>,
    pub uom: Option<String>,
    pub unit_price: Option<f64>,
    pub amount: Option<f64>,
    /// Extra (issue 19): a discount printed on the line, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_pct: Option<f64>,
    /// Extra (issue 19): the unit price is per this many units (1, 100, 1000); absent = 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_unit: Option<f64>,
    /// Extra: per-field confidence (0..1) for the fields present.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub confidence: BTreeMap<String, f32>,
    /// Extra (issue 18): where each field was read, by field name (see
    /// [`ContractOrder::with_sources`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, SourceSpan>,
}

/// A charge, discount, tax or rounding row of the totals block (or a charge row of the table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractCharge {
    /// freight | handling | surcharge | discount | tax | rounding | other
    pub kind: ChargeKind,
    /// As printed.
    #[serde(default)]
    pub label: String,
    /// The printed rate in percent; null when none is printed.
    #[serde(default)]
    pub rate_pct: Option<f64>,
    /// Signed: discounts and credits are negative.
    pub amount: f64,
    /// Extra: how sure the extractor is of the amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// One order, plain values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContractOrder {
    pub po_number: Option<String>,
    /// ISO date, YYYY-MM-DD.
    pub order_date: Option<String>,
    pub buyer: Option<String>,
    pub currency: Option<String>,
    pub ship_to: Option<String>,
    pub total: Option<f64>,
    #[serde(default)]
    pub lines: Vec<ContractLine>,
    /// Issue 19: the printed sum of the lines before charges and tax (null when not printed).
    #[serde(default)]
    pub subtotal: Option<f64>,
    /// Issue 19: freight, handling, surcharges, discounts, tax and rounding as printed.
    #[serde(default)]
    pub charges: Vec<ContractCharge>,
    /// Extra: per-field confidence for the header.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub confidence: BTreeMap<String, f32>,
    /// Extra: which part of the input the order came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Extra (issue 18): where each header field was read (part, page, box in page units
    /// with a top-left origin, the words as printed), by field name. Written by `extract`;
    /// read by `review approve --order`, where a box teaches the layout that exact place.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, SourceSpan>,
}

/// The whole output of `extract` for one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    pub file: String,
    pub kind: DocKind,
    pub orders: Vec<ContractOrder>,
    /// Extra: parts that could not be read or flags worth knowing (e.g. `no_text_layer`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

fn val<T: Clone>(f: &Option<Field<T>>, name: &str, conf: &mut BTreeMap<String, f32>) -> Option<T> {
    f.as_ref().map(|f| {
        conf.insert(name.to_string(), (f.confidence * 1000.0).round() / 1000.0);
        f.value.clone()
    })
}

impl From<&LineItem> for ContractLine {
    fn from(l: &LineItem) -> Self {
        let mut c = BTreeMap::new();
        ContractLine {
            sku: val(&l.sku, "sku", &mut c),
            customer_part: val(&l.customer_part, "customer_part", &mut c),
            description: val(&l.description, "description", &mut c),
            quantity: val(&l.quantity, "quantity", &mut c),
            uom: val(&l.uom, "uom", &mut c),
            unit_price: val(&l.unit_price, "unit_price", &mut c),
            amount: val(&l.amount, "amount", &mut c),
            discount_pct: val(&l.discount_pct, "discount_pct", &mut c),
            price_unit: val(&l.price_unit, "price_unit", &mut c),
            confidence: c,
            sources: BTreeMap::new(),
        }
    }
}

impl From<&Order> for ContractOrder {
    fn from(o: &Order) -> Self {
        let mut c = BTreeMap::new();
        ContractOrder {
            po_number: val(&o.po_number, "po_number", &mut c),
            order_date: val(&o.order_date, "order_date", &mut c).map(|d| d.to_string()),
            buyer: val(&o.buyer, "buyer", &mut c),
            currency: val(&o.currency, "currency", &mut c),
            ship_to: val(&o.ship_to, "ship_to", &mut c),
            total: val(&o.total, "total", &mut c),
            lines: o.lines.iter().map(ContractLine::from).collect(),
            subtotal: val(&o.subtotal, "subtotal", &mut c),
            charges: o
                .charges
                .iter()
                .map(|ch| ContractCharge {
                    kind: ch.kind,
                    label: ch.label.clone(),
                    rate_pct: ch.rate_pct,
                    amount: ch.amount.value,
                    confidence: (ch.amount.confidence < 1.0)
                        .then(|| (ch.amount.confidence * 1000.0).round() / 1000.0),
                })
                .collect(),
            confidence: c,
            part: o.part.clone(),
            sources: BTreeMap::new(),
        }
    }
}

/// The sources of the named fields that have one.
fn sources_of<'a>(
    names: impl Iterator<Item = &'a str>,
    of: impl Fn(&str) -> Option<&'a SourceSpan>,
) -> BTreeMap<String, SourceSpan> {
    names
        .filter_map(|n| of(n).map(|s| (n.to_string(), s.clone())))
        .collect()
}

impl ContractOrder {
    /// The order with where each value was read (`sources`): the `extract` command's
    /// output. Plain `from` leaves them out (the OMS payload does not need them).
    pub fn with_sources(o: &Order) -> Self {
        let mut c = ContractOrder::from(o);
        let header = HEADER_FIELDS.into_iter().chain(["subtotal"]);
        c.sources = sources_of(header, |n| o.source_of(n));
        for (cl, l) in c.lines.iter_mut().zip(&o.lines) {
            let line = LINE_FIELDS
                .into_iter()
                .chain(["discount_pct", "price_unit"]);
            cl.sources = sources_of(line, |n| l.source_of(n));
        }
        c
    }
}

fn field<T>(v: Option<T>, name: &str, conf: &BTreeMap<String, f32>) -> Option<Field<T>> {
    v.map(|value| Field::new(value, conf.get(name).copied().unwrap_or(1.0), None))
}

impl ContractOrder {
    /// Back to a domain order (for `check` and for gold files). Missing confidences are 1.0:
    /// a value given in a file is taken as certain.
    pub fn to_order(&self) -> Order {
        let c = &self.confidence;
        Order {
            po_number: field(self.po_number.clone(), "po_number", c),
            order_date: field(
                self.order_date
                    .as_deref()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                "order_date",
                c,
            ),
            buyer: field(self.buyer.clone(), "buyer", c),
            currency: field(self.currency.clone(), "currency", c),
            ship_to: field(self.ship_to.clone(), "ship_to", c),
            total: field(self.total, "total", c),
            lines: self
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let c = &l.confidence;
                    LineItem {
                        line_no: i as u32 + 1,
                        sku: field(l.sku.clone(), "sku", c),
                        customer_part: field(l.customer_part.clone(), "customer_part", c),
                        description: field(l.description.clone(), "description", c),
                        quantity: field(l.quantity, "quantity", c),
                        uom: field(l.uom.clone(), "uom", c),
                        unit_price: field(l.unit_price, "unit_price", c),
                        amount: field(l.amount, "amount", c),
                        discount_pct: field(l.discount_pct, "discount_pct", c),
                        price_unit: field(l.price_unit, "price_unit", c),
                    }
                })
                .collect(),
            subtotal: field(self.subtotal, "subtotal", c),
            charges: self
                .charges
                .iter()
                .filter(|ch| ch.amount.is_finite())
                .map(|ch| Charge {
                    kind: ch.kind,
                    label: ch.label.clone(),
                    rate_pct: ch.rate_pct.filter(|r| r.is_finite()),
                    amount: Field::new(ch.amount, ch.confidence.unwrap_or(1.0), None),
                })
                .collect(),
            part: self.part.clone(),
            layout: None,
        }
        .placed(self)
    }
}

impl Order {
    /// Put the sources given in `c` on the values they name (a box a reviewer gave).
    fn placed(mut self, c: &ContractOrder) -> Order {
        for (name, s) in &c.sources {
            self.set_source(name, s.clone());
        }
        for (line, cl) in self.lines.iter_mut().zip(&c.lines) {
            for (name, s) in &cl.sources {
                line.set_source(name, s.clone());
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_keys_are_exact_and_roundtrip() {
        let json = r#"{"file":"x.pdf","kind":"pdf","orders":[{"po_number":"PO-1","order_date":"2025-03-07",
            "buyer":"Acme","currency":"USD","ship_to":null,"total":15.0,
            "lines":[{"sku":"AB-100","customer_part":null,"description":"Widget","quantity":10,
            "uom":"EA","unit_price":1.5,"amount":15.0}]}]}"#;
        let ex: Extraction = serde_json::from_str(json).unwrap();
        let order = ex.orders[0].to_order();
        assert_eq!(
            order.order_date.as_ref().unwrap().value.to_string(),
            "2025-03-07"
        );
        let back = ContractOrder::from(&order);
        let v = serde_json::to_value(&back).unwrap();
        for k in [
            "po_number",
            "order_date",
            "buyer",
            "currency",
            "ship_to",
            "total",
            "lines",
        ] {
            assert!(v.get(k).is_some(), "missing key {k}");
        }
        assert_eq!(v["ship_to"], serde_json::Value::Null);
        let line = &v["lines"][0];
        // The contract's names, spelled out: a renamed constant must not pass silently.
        for k in [
            "sku",
            "customer_part",
            "description",
            "quantity",
            "uom",
            "unit_price",
            "amount",
        ] {
            assert!(line.get(k).is_some(), "missing line key {k}");
        }
        assert_eq!(line["quantity"], 10.0);
        assert_eq!(back.lines[0].sku.as_deref(), Some("AB-100"));
    }

    #[test]
    fn sources_are_written_on_request_and_read_back_onto_their_values() {
        let span = |t: &str| SourceSpan {
            part: 0,
            page: 1,
            bbox: [10.0, 20.0, 30.0, 28.0],
            text: t.into(),
        };
        let order = Order {
            po_number: Some(Field::new("4711".into(), 0.8, Some(span("4711")))),
            buyer: Some(Field::new("Acme".into(), 0.9, None)),
            lines: vec![LineItem {
                quantity: Some(Field::new(5.0, 0.7, Some(span("5")))),
                ..LineItem::default()
            }],
            ..Order::default()
        };
        // The OMS payload (plain `from`) has none.
        let plain = serde_json::to_value(ContractOrder::from(&order)).unwrap();
        assert!(plain.get("sources").is_none() && plain["lines"][0].get("sources").is_none());
        let v = serde_json::to_value(ContractOrder::with_sources(&order)).unwrap();
        assert_eq!(v["sources"]["po_number"]["bbox"][2], 30.0);
        assert!(v["sources"].get("buyer").is_none());
        assert_eq!(v["lines"][0]["sources"]["quantity"]["text"], "5");
        let back: ContractOrder = serde_json::from_value(v).unwrap();
        let o = back.to_order();
        let po = o.po_number.unwrap();
        // The place comes back; the confidence stays what the file says.
        assert_eq!((po.confidence, po.source), (0.8, Some(span("4711"))));
        assert_eq!(
            o.lines[0].quantity.as_ref().and_then(|q| q.source.clone()),
            Some(span("5"))
        );
    }

    #[test]
    fn charges_subtotal_and_line_extras_roundtrip_and_old_json_still_loads() {
        let json = r#"{"po_number":"4711","total":119.0,"subtotal":100.0,
            "charges":[{"kind":"freight","label":"Fracht","rate_pct":null,"amount":5.0},
                       {"kind":"discount","label":"Rabatt 5%","rate_pct":5,"amount":-5.0},
                       {"kind":"tax","label":"MwSt 19%","rate_pct":19,"amount":19.0}],
            "lines":[{"sku":"A","quantity":1000,"uom":"Stk","unit_price":12.5,"price_unit":100,
                      "discount_pct":20,"amount":100.0}]}"#;
        let c: ContractOrder = serde_json::from_str(json).unwrap();
        let o = c.to_order();
        assert_eq!(o.subtotal.as_ref().map(|f| f.value), Some(100.0));
        assert_eq!(o.charges.len(), 3);
        assert_eq!(o.charges[1].signed(), -5.0);
        assert_eq!(o.charges[2].rate_pct, Some(19.0));
        assert_eq!(o.lines[0].price_per(), 100.0);
        assert_eq!(o.lines[0].net_factor(), 0.8);
        let back = serde_json::to_value(ContractOrder::from(&o)).unwrap();
        assert_eq!(back["charges"][0]["kind"], "freight");
        assert_eq!(back["charges"][2]["rate_pct"], 19.0);
        assert_eq!(back["subtotal"], 100.0);
        assert_eq!(back["lines"][0]["price_unit"], 100.0);
        // An order written before issue 19 has none of the new keys.
        let old: ContractOrder =
            serde_json::from_str(r#"{"po_number":"1","lines":[{"sku":"A","quantity":1}]}"#)
                .unwrap();
        let o = old.to_order();
        assert!(o.charges.is_empty() && o.subtotal.is_none());
        assert_eq!(o.lines[0].price_per(), 1.0);
        let v = serde_json::to_value(ContractOrder::from(&o)).unwrap();
        assert_eq!(v["subtotal"], serde_json::Value::Null);
        assert_eq!(v["charges"], serde_json::json!([]));
        assert!(v["lines"][0].get("price_unit").is_none());
    }
}
