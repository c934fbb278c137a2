//! Changing an order the way a reviewer does: set one field (a typed edit or a suggested
//! fix), then run the rules again. Pure functions over `Order`, plus [`recheck`], which reads
//! what the rules need (master data, sender, earlier POs) from the store.

use chrono::NaiveDate;

use super::WebError;
use crate::config::Config;
use std::collections::BTreeMap;

use crate::domain::{Charge, ChargeKind, CheckResult, Field, LineItem, Order, SourceSpan};

use crate::store::{OrderRow, Store};

pub const HEADER_FIELDS: [(&str, &str); 7] = [
    ("po_number", "PO number"),
    ("order_date", "Order date"),
    ("buyer", "Buyer"),
    ("currency", "Currency"),
    ("ship_to", "Ship to"),
    ("subtotal", "Subtotal"),
    ("total", "Total"),
];

pub const LINE_FIELDS: [(&str, &str); 9] = [
    ("sku", "SKU"),
    ("customer_part", "Customer part"),
    ("description", "Description"),
    ("quantity", "Qty"),
    ("uom", "UoM"),
    ("unit_price", "Unit price"),
    ("price_unit", "Per"),
    ("discount_pct", "Disc %"),
    ("amount", "Amount"),
];

/// The editable fields of a charge row (`c<index>_<field>` in the form).
pub const CHARGE_FIELDS: [&str; 4] = ["kind", "label", "rate_pct", "amount"];

/// The line number the rules use for the line at `index` (its own, else position).
pub fn line_no(line: &LineItem, index: usize) -> u32 {
    if line.line_no > 0 {
        line.line_no
    } else {
        u32::try_from(index + 1).unwrap_or(u32::MAX)
    }
}

pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The shown value of a header field.
pub fn header_value(o: &Order, field: &str) -> (String, Option<f32>) {
    fn s(f: &Option<Field<String>>) -> (String, Option<f32>) {
        f.as_ref()
            .map(|f| (f.value.clone(), Some(f.confidence)))
            .unwrap_or_default()
    }
    match field {
        "po_number" => s(&o.po_number),
        "order_date" => o
            .order_date
            .as_ref()
            .map(|f| (f.value.format("%Y-%m-%d").to_string(), Some(f.confidence)))
            .unwrap_or_default(),
        "buyer" => s(&o.buyer),
        "currency" => s(&o.currency),
        "ship_to" => s(&o.ship_to),
        "total" => o
            .total
            .as_ref()
            .map(|f| (fmt_num(f.value), Some(f.confidence)))
            .unwrap_or_default(),
        "subtotal" => o
            .subtotal
            .as_ref()
            .map(|f| (fmt_num(f.value), Some(f.confidence)))
            .unwrap_or_default(),
        _ => (String::new(), None),
    }
}

/// The shown value of a line field.
pub fn line_value(l: &LineItem, field: &str) -> (String, Option<f32>) {
    fn s(f: &Option<Field<String>>) -> (String, Option<f32>) {
        f.as_ref()
            .map(|f| (f.value.clone(), Some(f.confidence)))
            .unwrap_or_default()
    }
    fn n(f: &Option<Field<f64>>) -> (String, Option<f32>) {
        f.as_ref()
            .map(|f| (fmt_num(f.value), Some(f.confidence)))
            .unwrap_or_default()
    }
    match field {
        "sku" => s(&l.sku),
        "customer_part" => s(&l.customer_part),
        "description" => s(&l.description),
        "quantity" => n(&l.quantity),
        "uom" => s(&l.uom),
        "unit_price" => n(&l.unit_price),
        "price_unit" => n(&l.price_unit),
        "discount_pct" => n(&l.discount_pct),
        "amount" => n(&l.amount),
        _ => (String::new(), None),
    }
}

/// Set a text field; unchanged values keep their extraction confidence and source.
fn set_text(slot: &mut Option<Field<String>>, value: &str) {
    let v = value.trim();
    if v.is_empty() {
        *slot = None;
    } else if slot.as_ref().map(|f| f.value.as_str()) != Some(v) {
        *slot = Some(Field::certain(v.to_string()));
    }
}

fn parse_number(what: &str, value: &str) -> Result<Option<f64>, WebError> {
    let v = value.trim().replace(',', "");
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(Some(n)),
        _ => Err(WebError::BadRequest(format!(
            "{what}: '{}' is not a number",
            value.trim()
        ))),
    }
}

fn set_number(slot: &mut Option<Field<f64>>, what: &str, value: &str) -> Result<(), WebError> {
    match parse_number(what, value)? {
        None => *slot = None,
        Some(n) if slot.as_ref().map(|f| f.value) != Some(n) => *slot = Some(Field::certain(n)),
        Some(_) => {}
    }
    Ok(())
}

/// Set a header field from text.
pub fn set_header(o: &mut Order, field: &str, value: &str) -> Result<(), WebError> {
    match field {
        "po_number" => set_text(&mut o.po_number, value),
        "buyer" => set_text(&mut o.buyer, value),
        "currency" => set_text(&mut o.currency, &value.trim().to_uppercase()),
        "ship_to" => set_text(&mut o.ship_to, value),
        "total" => set_number(&mut o.total, "total", value)?,
        "subtotal" => set_number(&mut o.subtotal, "subtotal", value)?,
        "order_date" => {
            let v = value.trim();
            if v.is_empty() {
                o.order_date = None;
            } else {
                let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                    WebError::BadRequest(format!("order date: '{v}' is not a date like 2025-03-31"))
                })?;
                if o.order_date.as_ref().map(|f| f.value) != Some(d) {
                    o.order_date = Some(Field::certain(d));
                }
            }
        }
        other => {
            return Err(WebError::BadRequest(format!(
                "'{other}' is not a header field"
            )))
        }
    }
    Ok(())
}

/// Set a field of the line at `index` from text.
pub fn set_line(o: &mut Order, index: usize, field: &str, value: &str) -> Result<(), WebError> {
    let n = index + 1;
    let line = o
        .lines
        .get_mut(index)
        .ok_or_else(|| WebError::BadRequest(format!("the order has no line {n}")))?;
    match field {
        "sku" => set_text(&mut line.sku, value),
        "customer_part" => set_text(&mut line.customer_part, value),
        "description" => set_text(&mut line.description, value),
        "uom" => set_text(&mut line.uom, value),
        "quantity" => set_number(&mut line.quantity, &format!("line {n} quantity"), value)?,
        "unit_price" => set_number(&mut line.unit_price, &format!("line {n} unit price"), value)?,
        "amount" => set_number(&mut line.amount, &format!("line {n} amount"), value)?,
        "price_unit" => set_number(&mut line.price_unit, &format!("line {n} price unit"), value)?,
        "discount_pct" => set_number(
            &mut line.discount_pct,
            &format!("line {n} discount %"),
            value,
        )?,
        other => {
            return Err(WebError::BadRequest(format!(
                "'{other}' is not a line field"
            )))
        }
    }
    Ok(())
}

/// Set the charges from the form's `c<index>_<field>` values: a row whose amount is emptied
/// is removed; the blank row after the last one adds a charge when an amount is typed in.
fn set_charges(
    o: &mut Order,
    rows: BTreeMap<usize, BTreeMap<String, String>>,
) -> Result<(), WebError> {
    let mut keep = Vec::new();
    for (idx, f) in rows {
        let n = idx + 1;
        let get = |k: &str| f.get(k).map(|v| v.trim()).unwrap_or("");
        let Some(amount) = parse_number(&format!("charge {n} amount"), get("amount"))? else {
            continue;
        };
        let kind = ChargeKind::parse(get("kind")).unwrap_or(ChargeKind::Other);
        let rate = parse_number(&format!("charge {n} rate %"), get("rate_pct"))?;
        let label = get("label").to_string();
        let amount = if kind == ChargeKind::Discount {
            -amount.abs()
        } else {
            amount
        };
        let old = o.charges.get(idx);
        let unchanged = old.is_some_and(|c| {
            c.kind == kind && c.label == label && c.rate_pct == rate && c.amount.value == amount
        });
        keep.push(match old {
            Some(c) if unchanged => c.clone(),
            _ => Charge {
                kind,
                label,
                rate_pct: rate,
                amount: Field::certain(amount),
            },
        });
    }
    o.charges = keep;
    Ok(())
}

/// A box posted with the form: where the reviewer clicked a value's words on the page view
/// (JSON of a [`SourceSpan`]), checked to be a box on a page.
fn parse_box(input: &str, v: &str) -> Result<SourceSpan, WebError> {
    let bad = |why: &str| WebError::BadRequest(format!("the page box of {input}: {why}"));
    let span: SourceSpan = serde_json::from_str(v).map_err(|e| bad(&e.to_string()))?;
    let [x0, y0, x1, y1] = span.bbox;
    if span.page == 0 || span.text.len() > 4000 {
        return Err(bad("not a place on a page"));
    }
    if !span.bbox.iter().all(|c| c.is_finite() && c.abs() < 1e6) || x0 > x1 || y0 > y1 {
        return Err(bad("not a box"));
    }
    Ok(span)
}

/// Put the boxes the reviewer clicked (`box:h_<field>`, `box:l<index>_<field>`) on the
/// values they filled. A box whose value was emptied afterwards is dropped.
fn place_boxes(o: &mut Order, boxes: Vec<(String, SourceSpan)>) {
    for (input, span) in boxes {
        if let Some(f) = input.strip_prefix("h_") {
            o.place(f, span);
        } else if let Some((idx, f)) = input
            .strip_prefix('l')
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)))
        {
            if let Some(line) = o.lines.get_mut(idx) {
                line.place(f, span);
            }
        }
    }
}

/// Apply the edit form (`h_<field>`, `l<index>_<field>` and `c<index>_<field>` pairs, and
/// `box:<input>` for a value filled by clicking its words) to `o`.
pub fn apply_form(o: &mut Order, pairs: &[(String, String)]) -> Result<(), WebError> {
    let mut charges: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    let mut boxes = Vec::new();
    for (k, v) in pairs {
        if let Some(input) = k.strip_prefix("box:") {
            if !v.trim().is_empty() {
                boxes.push((input.to_string(), parse_box(input, v)?));
            }
        } else if let Some((idx, f)) = k
            .strip_prefix('c')
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)))
        {
            if CHARGE_FIELDS.contains(&f) {
                charges
                    .entry(idx)
                    .or_default()
                    .insert(f.to_string(), v.clone());
            }
        } else if let Some(f) = k.strip_prefix("h_") {
            set_header(o, f, v)?;
        } else if let Some(rest) = k.strip_prefix('l') {
            let Some((idx, f)) = rest.split_once('_') else {
                continue;
            };
            let Ok(idx) = idx.parse::<usize>() else {
                continue;
            };
            set_line(o, idx, f, v)?;
        }
    }
    // Only a form that shows the charges (it always sends the blank row) changes them.
    if !charges.is_empty() {
        set_charges(o, charges)?;
    }
    place_boxes(o, boxes);
    Ok(())
}

/// The index of the line the rules call `line_no`.
pub fn line_index(o: &Order, no: u32) -> Option<usize> {
    o.lines
        .iter()
        .enumerate()
        .position(|(i, l)| line_no(l, i) == no)
}

/// The printed code a cross-reference for this line would map: its customer part, else the
/// code printed in the SKU column.
pub fn printed_code(l: &LineItem) -> Option<String> {
    [&l.customer_part, &l.sku]
        .into_iter()
        .flatten()
        .map(|f| f.value.trim().to_string())
        .find(|s| !s.is_empty())
}

/// For a suggested unit (exception `index` on a line, field `uom`): the unit printed on that
/// line, which "remember" teaches as the customer's word for the suggested unit.
pub fn printed_unit(o: &Order, check: &CheckResult, index: usize) -> Option<String> {
    let ex = check.exceptions.get(index)?;
    if ex.suggestion.as_ref()?.field != "uom" {
        return None;
    }
    let line = o.lines.get(line_index(o, ex.line?)?)?;
    line.uom
        .as_ref()
        .map(|u| u.value.trim().to_string())
        .filter(|u| !u.is_empty())
}

/// Apply the suggestion of exception `index` of `check` to `o`. A suggested SKU replaces
/// the printed one, which is kept as the customer's part number when that column was empty.
/// Returns the line index touched (for "remember") and the printed code it replaced.
pub fn apply_suggestion(
    o: &mut Order,
    check: &CheckResult,
    index: usize,
) -> Result<(Option<usize>, Option<String>), WebError> {
    let ex = check
        .exceptions
        .get(index)
        .ok_or_else(|| WebError::Conflict("that exception is gone; the order changed".into()))?;
    let s = ex
        .suggestion
        .as_ref()
        .ok_or_else(|| WebError::BadRequest("that exception has no suggested fix".into()))?;
    match ex.line {
        None => {
            if s.field == "customer_id" {
                return Err(WebError::BadRequest(
                    "a customer is confirmed with 'remember buyer', not as a field".into(),
                ));
            }
            set_header(o, &s.field, &s.value)?;
            Ok((None, None))
        }
        Some(no) => {
            let i = line_index(o, no)
                .ok_or_else(|| WebError::Conflict(format!("line {no} is gone; reload")))?;
            let printed = o.lines.get(i).and_then(printed_code);
            if s.field == "sku" {
                if let Some(line) = o.lines.get_mut(i) {
                    if line.customer_part.is_none() {
                        line.customer_part = line.sku.take();
                    }
                }
            }
            set_line(o, i, &s.field, &s.value)?;
            Ok((Some(i), printed))
        }
    }
}

/// Run the rules again on `order` (an edited version of `row`), as the pipeline would, but
/// not counting the order itself as a duplicate of its own PO.
pub fn recheck(
    store: &Store,
    cfg: &Config,
    row: &OrderRow,
    order: &Order,
) -> Result<CheckResult, WebError> {
    Ok(crate::learn::approve::recheck(store, cfg, row, order)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_form_edits_adds_and_removes_charges_and_the_new_fields() {
        let mut o = Order {
            lines: vec![LineItem::default()],
            charges: vec![Charge {
                kind: ChargeKind::Freight,
                label: "Fracht".into(),
                rate_pct: None,
                amount: Field::new(25.0, 0.9, None),
            }],
            ..Order::default()
        };
        apply_form(
            &mut o,
            &pairs(&[
                ("h_subtotal", "1,234.50"),
                ("l0_price_unit", "100"),
                ("l0_discount_pct", "5"),
                ("c0_kind", "freight"),
                ("c0_label", "Fracht"),
                ("c0_rate_pct", ""),
                ("c0_amount", "25"),
                ("c1_kind", "discount"),
                ("c1_label", "Rabatt 3%"),
                ("c1_rate_pct", "3"),
                ("c1_amount", "37.04"),
            ]),
        )
        .unwrap();
        assert_eq!(o.subtotal.as_ref().map(|f| f.value), Some(1234.5));
        assert_eq!(o.lines[0].price_per(), 100.0);
        assert_eq!(o.lines[0].net_factor(), 0.95);
        assert_eq!(o.charges.len(), 2);
        // Unchanged rows keep their extraction confidence; a typed discount is negative.
        assert_eq!(o.charges[0].amount.confidence, 0.9);
        assert_eq!(o.charges[1].amount.value, -37.04);
        assert_eq!(o.charges[1].rate_pct, Some(3.0));
        // Emptying an amount removes the row.
        apply_form(
            &mut o,
            &pairs(&[
                ("c0_kind", "freight"),
                ("c0_amount", ""),
                ("c1_kind", "discount"),
                ("c1_amount", "-37.04"),
                ("c2_kind", "freight"),
                ("c2_amount", ""),
            ]),
        )
        .unwrap();
        assert_eq!(o.charges.len(), 1);
        assert_eq!(o.charges[0].kind, ChargeKind::Discount);
        assert!(apply_form(&mut o, &pairs(&[("c0_amount", "abc")])).is_err());
    }

    #[test]
    fn a_clicked_box_places_the_value_it_filled() {
        let mut o = Order {
            po_number: Some(Field::new("4711".into(), 0.6, None)),
            lines: vec![LineItem {
                quantity: Some(Field::new(5.0, 0.7, None)),
                ..LineItem::default()
            }],
            ..Order::default()
        };
        let span = r#"{"part":0,"page":1,"bbox":[100,50,130,60],"text":"4711"}"#;
        apply_form(
            &mut o,
            &pairs(&[
                ("h_po_number", "4711"),
                ("box:h_po_number", span),
                ("l0_quantity", "6"),
                (
                    "box:l0_quantity",
                    r#"{"part":0,"page":2,"bbox":[300,400,310,410],"text":"6"}"#,
                ),
                // A value emptied after it was clicked: its box goes with it.
                ("h_buyer", ""),
                ("box:h_buyer", span),
                ("box:l9_sku", span),
            ]),
        )
        .unwrap();
        let po = o.po_number.as_ref().unwrap();
        // Same value, now confirmed and placed by the reviewer.
        assert_eq!(po.confidence, 1.0);
        assert_eq!(
            po.source.as_ref().map(|s| s.bbox),
            Some([100.0, 50.0, 130.0, 60.0])
        );
        let q = o.lines[0].quantity.as_ref().unwrap();
        assert_eq!((q.value, q.source.as_ref().map(|s| s.page)), (6.0, Some(2)));
        assert!(o.buyer.is_none());
        for bad in [
            r#"{"part":0,"page":0,"bbox":[1,1,2,2],"text":""}"#,
            r#"{"part":0,"page":1,"bbox":[5,1,2,2],"text":""}"#,
            r#"{"page":1}"#,
            "not json",
        ] {
            assert!(
                apply_form(&mut o, &pairs(&[("box:h_po_number", bad)])).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_unit_fix_remembers_the_printed_unit() {
        use crate::domain::{Exception, ExceptionCode, Suggestion};
        let o = Order {
            lines: vec![LineItem {
                line_no: 1,
                uom: Some(Field::certain(" Gebinde ".into())),
                ..LineItem::default()
            }],
            ..Order::default()
        };
        let ex = |field: &str| Exception {
            code: ExceptionCode::UomMismatch,
            line: Some(1),
            message: String::new(),
            suggestion: Some(Suggestion {
                field: field.into(),
                value: "EA".into(),
                label: "catalog unit".into(),
            }),
        };
        let check = CheckResult {
            customer_id: Some("C1".into()),
            currency: None,
            exceptions: vec![ex("uom"), ex("sku")],
            lines: vec![],
        };
        assert_eq!(printed_unit(&o, &check, 0).as_deref(), Some("Gebinde"));
        assert_eq!(printed_unit(&o, &check, 1), None);
    }
}
