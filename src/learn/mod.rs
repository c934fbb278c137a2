//! Layouts learned from approved orders (issue 18).
//!
//! Most orders come from customers who print every PO from the same ERP form. Once a person
//! has approved one order of a form, we know where each value of that form is printed: the
//! label it follows (or its place on the page), the item table's header and the band of each
//! column. The next document of the same customer whose static words (letterhead, labels,
//! table header: the [`Layout::fingerprint`]) sit where they sat is read that way first.
//!
//! Flow: `approve` -> [`learn`] (from the approved values and the document's words; a value
//! the reviewer retyped is found again among the words) -> stored per customer and sender ->
//! the pipeline's [`apply`] after the generic extractor: a matching layout overwrites the
//! values it covers, and a field whose anchor moved or vanished keeps the generic reading and
//! is flagged (`layout_changed`) for review. The rules always run afterwards: a layout never
//! accepts an order by itself.
//!
//! A layout learns only what it can read back: [`learn`] reads the approving document with
//! the new layout and keeps only the fields (and the table) it reproduces exactly.

pub mod approve;
pub mod fields;
pub mod geometry;
mod table;

use serde::{Deserialize, Serialize};

use crate::domain::{LayoutUse, Order};
use crate::extract::normalize::Locale;
use crate::parse::{ParsedInput, PartContent};
use geometry::{squash, Doc};

pub use fields::FieldRule;
pub use table::{Column, TableRule};

/// Share of a layout's static words that must be in place for the layout to apply.
pub const MATCH: f32 = 0.75;
/// Below [`MATCH`] but at least this: the customer's known form, changed. Flagged.
pub const NEAR: f32 = 0.35;

/// Most static words kept in a fingerprint.
const MAX_ANCHORS: usize = 80;

/// A word that stays put from one document of a layout to the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anchor {
    pub text: String,
    pub page: u32,
    pub bbox: [f32; 4],
}

/// What was learned about one document form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Static words of the first page above the item table (letterhead, labels, headings).
    pub fingerprint: Vec<Anchor>,
    pub fields: Vec<FieldRule>,
    pub table: Option<TableRule>,
    /// Header fields the approved order left empty (a currency this form never prints): a
    /// reading of them is the generic reader's guess and is dropped.
    #[serde(default)]
    pub absent: Vec<String>,
}

/// How much of `layout`'s fingerprint is found in place in `doc` (0..=1).
pub fn score(layout: &Layout, doc: &Doc) -> f32 {
    if layout.fingerprint.is_empty() {
        return 0.0;
    }
    let found = layout
        .fingerprint
        .iter()
        .filter(|a| find_anchor(doc, a, 0.0).is_some())
        .count();
    found as f32 / layout.fingerprint.len() as f32
}

/// The static words of `layout` not found in place in `doc`.
pub fn missing(layout: &Layout, doc: &Doc) -> Vec<String> {
    layout
        .fingerprint
        .iter()
        .filter(|a| find_anchor(doc, a, 0.0).is_none())
        .map(|a| format!("{}@{:.0},{:.0}", a.text, a.bbox[0], a.bbox[1]))
        .collect()
}

/// The word of `doc` that is `a` in `a`'s place, its y moved by `dy`. A block above it may
/// have grown by a line or two (a longer address): the vertical tolerance allows for that.
pub(crate) fn find_anchor<'d>(doc: &'d Doc, a: &Anchor, dy: f32) -> Option<&'d geometry::W> {
    let (tx, ty) = (doc.tol_x(a.page), doc.shift_y(a.page));
    let want = squash(&a.text);
    doc.lines
        .iter()
        .filter(|l| l.page == a.page && l.y1 >= a.bbox[1] + dy - ty && l.y0 <= a.bbox[3] + dy + ty)
        .flat_map(|l| l.words.iter())
        .filter(|w| squash(&w.text) == want)
        .filter(|w| (w.bbox[0] - a.bbox[0]).abs() <= tx && (w.bbox[1] - a.bbox[1] - dy).abs() <= ty)
        .min_by(|p, q| {
            let d = |w: &geometry::W| {
                (w.bbox[0] - a.bbox[0]).abs() + (w.bbox[1] - a.bbox[1] - dy).abs()
            };
            d(p).total_cmp(&d(q))
        })
}

/// The words of the part of `input` an order was read from (the first readable part when
/// unnamed).
pub fn part_doc(input: &ParsedInput, part: Option<&str>) -> Option<Doc> {
    input
        .parts
        .iter()
        .enumerate()
        .filter(|(_, p)| part.is_none_or(|n| p.name == n))
        .find_map(|(i, p)| match &p.content {
            PartContent::Parsed { doc } if doc.edi.is_none() && doc.word_count() > 0 => {
                Some(Doc::of_part(doc, i as u32))
            }
            _ => None,
        })
}

/// Learn a layout from `order` (as approved) printed on `doc`. `None` when nothing of it
/// could be placed (an EDI message, an order typed in by hand).
pub fn learn(order: &Order, doc: &Doc) -> Option<Layout> {
    let table = table::learn(order, doc);
    let region = items_region(order, doc);
    let table_top = table
        .as_ref()
        .map(|t| (t.page, t.header_y0))
        .or(region.map(|r| (r.0, r.1)));
    let table_bottom = match &table {
        Some(t) => t.read(doc).ok().and_then(|r| r.bottom),
        None => region.map(|r| (r.2, r.3)),
    };
    let fields = fields::learn(order, doc, table_top, table_bottom);
    if fields.is_empty() && table.is_none() {
        return None;
    }
    // Static words: page 1 above the items (or the whole first page), without the values
    // (also those no rule reads: they change from one order to the next all the same).
    let taken: Vec<[f32; 4]> = fields::value_boxes(order, doc);
    let stop_y = match table_top {
        Some((1, y)) => y + 0.1,
        Some(_) | None => f32::MAX,
    };
    let is_value = |w: &geometry::W| {
        let (cx, cy) = ((w.bbox[0] + w.bbox[2]) / 2.0, w.cy());
        taken
            .iter()
            .any(|b| cx >= b[0] - 0.5 && cx <= b[2] + 0.5 && cy >= b[1] - 0.5 && cy <= b[3] + 0.5)
    };
    let mut fingerprint: Vec<Anchor> = doc
        .lines
        .iter()
        .filter(|l| l.page == 1 && l.y0 < stop_y)
        .flat_map(|l| l.words.iter())
        .filter(|w| !is_value(w))
        .filter(|w| {
            let letters = w.text.chars().filter(|c| c.is_alphabetic()).count();
            letters >= 2
                && !w.text.chars().any(|c| c.is_ascii_digit())
                && !geometry::is_month(&w.text)
        })
        .map(|w| Anchor {
            text: w.text.clone(),
            page: w.page,
            bbox: w.bbox,
        })
        .collect();
    fingerprint.truncate(MAX_ANCHORS);
    let absent = [
        ("currency", order.currency.is_none()),
        ("ship_to", order.ship_to.is_none()),
    ]
    .iter()
    .filter(|(_, none)| *none)
    .map(|(f, _)| f.to_string())
    .collect();
    Some(Layout {
        fingerprint,
        fields,
        table,
        absent,
    })
}

/// Where the items of `order` are printed: (first page, top y, last page, bottom y) of the
/// lines that carry an item's code or amount.
fn items_region(order: &Order, doc: &Doc) -> Option<(u32, f32, u32, f32)> {
    let mut hit: Vec<usize> = Vec::new();
    for item in &order.lines {
        let code = item
            .sku
            .as_ref()
            .map(|f| squash(&f.value))
            .filter(|c| c.len() >= 3);
        let amount = item.amount.as_ref().map(|f| f.value);
        let found = doc.lines.iter().position(|l| {
            l.words.iter().any(|w| {
                let sq = squash(&w.text);
                // A code wrapped in its column starts with a piece of it.
                code.as_deref()
                    .is_some_and(|c| sq == c || sq.len() >= 4 && c.starts_with(&sq))
                    || amount.is_some_and(|a| {
                        [Locale::Us, Locale::De].iter().any(|&loc| {
                            geometry::number(&w.text, loc)
                                .is_some_and(|v| geometry::same_number(v, a))
                        })
                    })
            })
        });
        hit.extend(found);
    }
    let (lo, hi) = (hit.iter().min()?, hit.iter().max()?);
    let (a, b) = (doc.lines.get(*lo)?, doc.lines.get(*hi)?);
    Some((a.page, a.y0, b.page, b.y1))
}

/// What reading with a layout gave: the order with the layout's values in place, and what
/// was read which way.
#[derive(Debug, Clone)]
pub struct Applied {
    pub order: Order,
    /// Fields read through the layout (header names; `lines` for the item table).
    pub read: Vec<String>,
    /// Fields whose anchor moved or vanished: read generically and flagged.
    pub changed: Vec<String>,
}

/// Read `doc` with `layout` over the generic reading `generic`. Values the layout covers
/// and whose anchors were all found replace the generic ones (trusted); the others stay.
pub fn overlay(layout: &Layout, doc: &Doc, generic: &Order) -> Applied {
    let mut order = generic.clone();
    let mut read = Vec::new();
    let mut changed = Vec::new();
    let table = layout.table.as_ref().map(|t| t.read(doc));
    // Where the items end: as the layout read them, else as the generic reader did.
    let bottom = table
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .and_then(|r| r.bottom)
        .or_else(|| items_region(generic, doc).map(|r| (r.2, r.3)));
    for rule in &layout.fields {
        match rule.read(doc, bottom) {
            Ok(v) => {
                v.set(&mut order);
                read.push(rule.field.clone());
            }
            // The label is gone or moved: the form changed here.
            Err(fields::Miss::Anchor) => {
                tracing::debug!(target: "po_intake::learn", field = %rule.field, label = ?rule.label,
                    anchor = ?rule.anchor, below_table = rule.below_table, bottom = ?bottom, "label not in place");
                changed.push(rule.field.clone())
            }
            // The label is in place but nothing readable is beside it (a blank field): the
            // generic reading stands.
            Err(fields::Miss::Value) => {}
        }
    }
    for f in &layout.absent {
        match f.as_str() {
            "currency" => order.currency = None,
            "ship_to" => order.ship_to = None,
            _ => continue,
        }
        read.push(f.clone());
    }
    match table {
        Some(Ok(t)) if !t.lines.is_empty() => {
            order.lines = t.lines;
            keep_notes_out(&mut order.lines, &generic.lines);
            read.push("lines".into());
        }
        Some(_) => changed.push("lines".into()),
        None => {}
    }
    Applied {
        order,
        read,
        changed,
    }
}

/// A learned table reads every line under a row as its description: it knows the columns,
/// not which lines are notes ("Ref. quotation Q-16407", "IP67 rated"). Where the generic
/// reading has the same item (code, quantity, amount) with a description that is the
/// layout's with lines left off, those lines were told apart as notes: its description
/// stands.
fn keep_notes_out(lines: &mut [crate::domain::LineItem], generic: &[crate::domain::LineItem]) {
    use crate::domain::{Field, LineItem};
    let text = |f: &Option<Field<String>>| f.as_ref().map(|f| squash(&f.value));
    let num = |f: &Option<Field<f64>>| f.as_ref().map(|f| f.value);
    let same_item = |a: &LineItem, b: &LineItem| {
        text(&a.sku).is_some()
            && text(&a.sku) == text(&b.sku)
            && num(&a.quantity)
                .zip(num(&b.quantity))
                .is_some_and(|(x, y)| (x - y).abs() < 1e-6)
            && num(&a.amount)
                .zip(num(&b.amount))
                .is_none_or(|(x, y)| (x - y).abs() < 0.005)
    };
    for l in lines.iter_mut() {
        let Some(g) = generic.iter().find(|g| same_item(l, g)) else {
            continue;
        };
        let (Some(mine), Some(theirs)) = (l.description.as_ref(), g.description.as_ref()) else {
            continue;
        };
        let (m, t): (Vec<&str>, Vec<&str>) = (
            mine.value.split_whitespace().collect(),
            theirs.value.split_whitespace().collect(),
        );
        if !t.is_empty() && t.len() < m.len() && m.starts_with(&t) {
            let mut d = theirs.clone();
            d.confidence = d.confidence.max(mine.confidence.min(0.9));
            l.description = Some(d);
        }
    }
}

pub(crate) fn locale_name(l: Locale) -> &'static str {
    match l {
        Locale::Us => "us",
        Locale::Uk => "uk",
        Locale::De => "de",
    }
}

pub(crate) fn locale_of(s: &str) -> Locale {
    match s {
        "uk" => Locale::Uk,
        "de" => Locale::De,
        _ => Locale::Us,
    }
}

/// The note an order read with a layout carries (shown on the item page, checked by the
/// rules: a changed anchor is a `layout_changed` exception).
pub fn note(row: &crate::store::LayoutRow, applied: &Applied, score: f32) -> LayoutUse {
    LayoutUse {
        layout_id: row.id,
        learned_from: row.order_id,
        customer_id: row.customer_id.clone(),
        approved_by: row.approved_by.clone(),
        learned_at: row.learned_at.clone(),
        score: (score * 100.0).round() / 100.0,
        read: applied.read.clone(),
        changed: applied.changed.clone(),
        ms: 0.0,
    }
}

#[cfg(test)]
mod tests;
