//! Header fields of a learned layout: where each value is printed relative to its label (the
//! words just left of it on its line, else just above it), or on the page when unlabelled.
//! Fields printed below the item table (the total) are placed relative to the table's
//! bottom, which moves with the number of lines.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::geometry::{
    self, find_runs, find_text, joined, same_number, squash, union, words_at, Doc, Found, W,
};
use super::{locale_name, locale_of};
use crate::domain::{Field, Order, SourceSpan};
use crate::extract::normalize::{self, Locale};

/// How sure a value read through a layout whose anchors were all found is.
pub const TRUSTED: f32 = 0.99;

/// Where one header field is printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldRule {
    /// The contract's name (`po_number`, `order_date`, ...).
    pub field: String,
    pub page: u32,
    /// The label's words as printed, left to right; empty when the value has none.
    pub label: Vec<String>,
    /// The label's first word (or, without a label, the value) where it was learned; its y
    /// is relative to the table's bottom when `below_table`.
    pub anchor: [f32; 4],
    pub below_table: bool,
    /// The value's box relative to the anchor's top-left corner.
    pub value: [f32; 4],
    /// The value's box on the learning document (to keep values out of the fingerprint).
    pub learned_value: [f32; 4],
    /// Words and lines the value took.
    pub words: usize,
    pub lines: usize,
    /// Read lines on to the first gap rather than exactly `lines`.
    #[serde(default)]
    pub free_lines: bool,
    /// The widest gap between two words of the value.
    pub gap: f32,
    /// Text glued before the value in its first word ("PO#" of "PO#4711").
    pub glued: String,
    /// How numbers and dates of this form are written (`us`, `uk`, `de`).
    pub locale: String,
}

/// A value read through a layout, with where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub field: String,
    pub text: String,
    pub date: Option<NaiveDate>,
    pub number: Option<f64>,
    pub span: SourceSpan,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// The label is not where it was learned.
    Anchor,
    /// Nothing readable where the value should be.
    Value,
}

const STRING_FIELDS: [&str; 3] = ["po_number", "buyer", "ship_to"];
const NUMBER_FIELDS: [&str; 2] = ["total", "subtotal"];

/// Fields whose value may run over several words and lines of varying count.
fn free_length(field: &str) -> bool {
    field == "buyer" || field == "ship_to"
}

impl Value {
    /// Put the value into `order` as a trusted reading.
    pub fn set(&self, order: &mut Order) {
        let f = |v| Some(Field::new(v, TRUSTED, Some(self.span.clone())));
        match self.field.as_str() {
            "po_number" => order.po_number = f(self.text.clone()),
            "buyer" => order.buyer = f(self.text.clone()),
            "ship_to" => order.ship_to = f(self.text.clone()),
            "currency" => order.currency = f(self.text.clone()),
            "order_date" => {
                if let Some(d) = self.date {
                    order.order_date = Some(Field::new(d, TRUSTED, Some(self.span.clone())));
                }
            }
            "total" => {
                if let Some(n) = self.number {
                    order.total = Some(Field::new(n, TRUSTED, Some(self.span.clone())));
                }
            }
            "subtotal" => {
                if let Some(n) = self.number {
                    order.subtotal = Some(Field::new(n, TRUSTED, Some(self.span.clone())));
                }
            }
            _ => {}
        }
    }
}

/// The approved header values of `order`, as (field, what to look for).
enum Want {
    Text(String),
    Date(NaiveDate),
    Number(f64),
    Currency(String),
}

fn wanted(order: &Order) -> Vec<(&'static str, Want)> {
    let mut out = Vec::new();
    let text = |v: &Option<Field<String>>| v.as_ref().map(|f| f.value.trim().to_string());
    for (name, v) in [
        ("po_number", text(&order.po_number)),
        ("buyer", text(&order.buyer)),
        ("ship_to", text(&order.ship_to)),
    ] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            out.push((name, Want::Text(v)));
        }
    }
    if let Some(d) = &order.order_date {
        out.push(("order_date", Want::Date(d.value)));
    }
    if let Some(c) = order.currency.as_ref().filter(|c| !c.value.is_empty()) {
        out.push(("currency", Want::Currency(c.value.clone())));
    }
    for (name, v) in [("total", &order.total), ("subtotal", &order.subtotal)] {
        if let Some(v) = v {
            out.push((name, Want::Number(v.value)));
        }
    }
    out
}

const LOCALES: [Locale; 3] = [Locale::Us, Locale::Uk, Locale::De];

/// The locales to try for a date printed as `text`, the printed order first. "18/03/2014" for
/// 18 March reads right in every locale (there is no month 18), but it is printed day first,
/// and the customer's next "05/10/2026" is to be read the same way.
fn date_locales(text: &str, d: NaiveDate) -> [Locale; 3] {
    let first: Option<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())
        .and_then(|s| s.parse().ok());
    if first == Some(d.day()) && d.day() != d.month() {
        [Locale::Uk, Locale::De, Locale::Us]
    } else {
        LOCALES
    }
}

/// Where the value is printed, and the locale it reads with. Several places: the one nearest
/// the extractor's source span, else the first (the last for sums, printed at the bottom).
fn places(doc: &Doc, name: &str, want: &Want, hint: Option<&SourceSpan>) -> Vec<(Found, Locale)> {
    let mut found: Vec<(Found, Locale)> = match want {
        Want::Text(t) => find_text(doc, t, 6)
            .into_iter()
            .map(|f| (f, Locale::Us))
            .collect(),
        Want::Currency(c) => find_runs(doc, 1, |s| normalize::currency_code(s) == Some(c.as_str()))
            .into_iter()
            .map(|f| (f, Locale::Us))
            .collect(),
        Want::Date(d) => LOCALES
            .iter()
            .flat_map(|&l| find_runs(doc, 4, move |s| geometry::is_date(s, l, *d)))
            .filter_map(|f| reads_as(f, want))
            .collect(),
        Want::Number(n) => [Locale::Us, Locale::De]
            .iter()
            .flat_map(|&l| {
                find_runs(doc, 2, move |s| {
                    s.chars().any(|c| c.is_ascii_digit())
                        && geometry::number(s, l).is_some_and(|v| same_number(v, *n))
                })
                .into_iter()
                .map(move |f| (f, l))
            })
            .collect(),
    };
    if let Some(h) = hint {
        // The words at the value's box (where the extractor read it, or the words the
        // reviewer clicked): when they read as the value, that is exactly where it is.
        if let Some(at) = words_at(doc, h).and_then(|f| reads_as(f, want)) {
            return vec![at];
        }
        let d = |f: &Found| {
            let b = union(&f.words);
            let p = f.words.first().map_or(0, |w| w.page);
            (b[0] - h.bbox[0]).abs()
                + (b[1] - h.bbox[1]).abs()
                + if p == h.page { 0.0 } else { 1e6 }
        };
        found.sort_by(|a, b| d(&a.0).total_cmp(&d(&b.0)));
    } else if NUMBER_FIELDS.contains(&name) {
        found.reverse();
    }
    found
}

/// `found` with the locale it reads as `want` in, if it does.
fn reads_as(found: Found, want: &Want) -> Option<(Found, Locale)> {
    let text = joined(&found.words);
    let locale = match want {
        Want::Text(t) => (squash(&text) == squash(t)).then_some(Locale::Us),
        Want::Currency(c) => {
            (normalize::currency_code(&text) == Some(c.as_str())).then_some(Locale::Us)
        }
        Want::Date(d) => date_locales(&text, *d)
            .into_iter()
            .find(|&l| geometry::is_date(&text, l, *d)),
        Want::Number(n) => [Locale::Us, Locale::De].into_iter().find(|&l| {
            text.chars().any(|c| c.is_ascii_digit())
                && geometry::number(&text, l).is_some_and(|v| same_number(v, *n))
        }),
    }?;
    Some((found, locale))
}

/// The boxes of every approved header value of `order` printed in `doc` (where the
/// extractor read it, else where it is found first).
pub fn value_boxes(order: &Order, doc: &Doc) -> Vec<[f32; 4]> {
    wanted(order)
        .iter()
        .filter_map(|(name, want)| {
            places(doc, name, want, hint_of(order, name))
                .into_iter()
                .next()
                .map(|(f, _)| union(&f.words))
        })
        .collect()
}

fn hint_of<'o>(order: &'o Order, name: &str) -> Option<&'o SourceSpan> {
    order.source_of(name)
}

/// Without a label, the nearest word above the value that is no value and no number (a
/// heading, the word "Purchase Order"): the value keeps its place relative to it when the
/// block it is in moves.
fn nearest_static_above(doc: &Doc, f: &Found, values: &[[f32; 4]]) -> Option<W> {
    let b = union(&f.words);
    let page = f.words.first()?.page;
    let is_value = |w: &W| {
        let (cx, cy) = ((w.bbox[0] + w.bbox[2]) / 2.0, w.cy());
        values
            .iter()
            .any(|v| cx >= v[0] - 0.5 && cx <= v[2] + 0.5 && cy >= v[1] - 0.5 && cy <= v[3] + 0.5)
    };
    doc.lines
        .iter()
        .filter(|l| l.page == page && l.y1 <= b[1] + 0.5 && b[1] - l.y0 <= 12.0 * doc.line_h)
        .flat_map(|l| l.words.iter())
        .filter(|w| {
            w.text.chars().filter(|c| c.is_alphabetic()).count() >= 2
                && !w.text.chars().any(|c| c.is_ascii_digit())
                && !geometry::is_month(&w.text)
                && !is_value(w)
        })
        .min_by(|p, q| {
            let d = |w: &W| (b[1] - w.bbox[1]) + 0.3 * (w.bbox[0] - b[0]).abs();
            d(p).total_cmp(&d(q))
        })
        .cloned()
}

/// The label of a value: the words just left of it on its line (up to four, with letters,
/// no wide gap), else the words just above its first word.
fn label_of(doc: &Doc, f: &Found) -> Option<(Vec<W>, bool)> {
    let line = doc.lines.get(f.line)?;
    let first = f.words.first()?;
    let start = line.words.iter().position(|w| w.bbox == first.bbox)?;
    let mut left: Vec<W> = Vec::new();
    let mut x = first.bbox[0];
    for w in line.words[..start].iter().rev() {
        let gap = x - w.bbox[2];
        let page_w = doc.page_size(line.page)[0];
        let limit = if left.is_empty() {
            (12.0 * doc.line_h).max(0.45 * page_w)
        } else {
            1.2 * doc.line_h
        };
        if gap > limit || left.len() >= 4 || !w.text.chars().any(char::is_alphabetic) {
            break;
        }
        x = w.bbox[0];
        left.insert(0, w.clone());
    }
    // A row of values under a row of labels ("Order No.  Buyer  PO Date" over
    // "4711  Rashid Nair  17 April 2014"): the words left of the value are another label's
    // value, so the label is the word over it.
    let under_labels = |x: f32| {
        doc.lines[..f.line]
            .iter()
            .rev()
            .take_while(|l| l.page == line.page && line.y0 - l.y1 <= 1.5 * doc.line_h)
            .take(1)
            .any(|l| {
                l.words.iter().any(|w| {
                    (w.bbox[0] - x).abs() <= doc.line_h
                        && w.text.chars().any(char::is_alphabetic)
                        && !w.text.chars().any(|c| c.is_ascii_digit())
                })
            })
    };
    // "Date Issued  18 May, 2023" under "PO #  B94412" is a label beside its value: the
    // word over the value is a value itself (digits), and a word ending in ':' is a label.
    let left_is_a_value = left.first().is_some_and(|w| {
        under_labels(w.bbox[0])
            && under_labels(first.bbox[0])
            && !left.iter().any(|w| w.text.ends_with(':'))
    });
    if !left.is_empty() && !left_is_a_value {
        return Some((left, true));
    }
    // Above: the nearest line over the value with words over its first word.
    let b = union(&f.words);
    let above = doc.lines[..f.line]
        .iter()
        .rev()
        .take_while(|l| l.page == line.page && line.y0 - l.y1 <= 2.5 * doc.line_h)
        .find_map(|l| {
            let ws: Vec<W> = l
                .words
                .iter()
                .filter(|w| {
                    w.bbox[2] >= b[0] - 2.0
                        && w.bbox[0] <= b[0] + 0.6 * (b[2] - b[0]).max(doc.line_h)
                })
                .filter(|w| w.text.chars().any(char::is_alphabetic))
                .cloned()
                .collect();
            (!ws.is_empty()).then_some(ws)
        })?;
    Some((above.into_iter().take(4).collect(), false))
}

/// Learn where each approved header value of `order` is printed. `table_top` is the item
/// table's (page, header y), `table_bottom` its last row's (page, y1): fields under it are
/// placed relative to it. Keeps only the fields the rule reads back exactly.
pub fn learn(
    order: &Order,
    doc: &Doc,
    table_top: Option<(u32, f32)>,
    table_bottom: Option<(u32, f32)>,
) -> Vec<FieldRule> {
    let hint = |name: &str| hint_of(order, name);
    let values = value_boxes(order, doc);
    let mut out = Vec::new();
    for (name, want) in wanted(order) {
        let inside_items = |f: &Found| {
            let (page, vbox) = (f.words.first().map_or(1, |w| w.page), union(&f.words));
            match (table_top, table_bottom) {
                (Some((tp, ty)), Some((bp, by))) => {
                    (page > tp || page == tp && vbox[1] > ty)
                        && (page < bp || page == bp && vbox[3] < by)
                }
                _ => false,
            }
        };
        // A value among the items (a currency code in a price cell) is no header field. Of
        // the places the value is printed (a buyer's name in the letterhead, the title and
        // the ship-to), the first whose rule reads it back is learned.
        let learned = places(doc, name, &want, hint(name))
            .into_iter()
            .filter(|(f, _)| !inside_items(f))
            .find_map(|(found, locale)| {
                rule_at(
                    doc,
                    name,
                    &want,
                    &found,
                    locale,
                    &values,
                    table_top,
                    table_bottom,
                )
            });
        out.extend(learned);
    }
    out
}

/// The rule that reads field `name` where it was `found`, if it reads the approved value
/// back from this very document.
#[allow(clippy::too_many_arguments)]
fn rule_at(
    doc: &Doc,
    name: &str,
    want: &Want,
    found: &Found,
    locale: Locale,
    values: &[[f32; 4]],
    table_top: Option<(u32, f32)>,
    table_bottom: Option<(u32, f32)>,
) -> Option<FieldRule> {
    let first = found.words.first()?;
    let vbox = union(&found.words);
    let page = first.page;
    let below = match (table_top, table_bottom) {
        (Some((tp, ty)), Some((bp, by))) => {
            (page > tp || page == tp && vbox[1] > ty) && (page > bp || page == bp && vbox[1] >= by)
        }
        _ => false,
    };
    let dy = match (below, table_bottom) {
        (true, Some((_, by))) => by,
        _ => 0.0,
    };
    let glued = match want {
        Want::Text(t) if found.words.len() == 1 && squash(&first.text) != squash(t) => {
            glued_prefix(&first.text, &squash(t))?
        }
        _ => String::new(),
    };
    let (label, anchor) = match label_of(doc, found)
        .or_else(|| nearest_static_above(doc, found, values).map(|w| (vec![w], false)))
    {
        Some((ws, _)) => {
            let b = ws.first().map(|w| w.bbox).unwrap_or(vbox);
            (ws.iter().map(|w| w.text.clone()).collect(), b)
        }
        None => (Vec::new(), vbox),
    };
    let gap = found
        .words
        .windows(2)
        .filter(|p| (p[0].cy() - p[1].cy()).abs() < 0.5 * doc.line_h)
        .map(|p| p[1].bbox[0] - p[0].bbox[2])
        .fold(0.0f32, f32::max);
    let rule = FieldRule {
        field: name.to_string(),
        page,
        label,
        anchor: [anchor[0], anchor[1] - dy, anchor[2], anchor[3] - dy],
        below_table: below,
        value: [
            vbox[0] - anchor[0],
            vbox[1] - anchor[1],
            vbox[2] - anchor[0],
            vbox[3] - anchor[1],
        ],
        learned_value: vbox,
        words: found.words.len(),
        lines: found.lines,
        free_lines: found.lines > 1,
        gap,
        glued,
        locale: locale_name(locale).to_string(),
    };
    let reads = |r: &FieldRule| r.read(doc, table_bottom).is_ok_and(|v| agrees(&v, want));
    if reads(&rule) {
        return Some(rule);
    }
    let fixed = FieldRule {
        free_lines: false,
        ..rule
    };
    (fixed.lines > 1 && reads(&fixed)).then_some(fixed)
}

fn agrees(v: &Value, want: &Want) -> bool {
    match want {
        Want::Text(t) => v.text == *t,
        Want::Currency(c) => v.text == *c,
        Want::Date(d) => v.date == Some(*d),
        Want::Number(n) => v.number.is_some_and(|x| same_number(x, *n)),
    }
}

/// "PO#" of "PO#4711" for the value squashed to "4711": the printed text before the value.
fn glued_prefix(word: &str, squashed: &str) -> Option<String> {
    for (i, _) in word.char_indices() {
        if squash(&word[i..]) == squashed && !squash(&word[..i]).is_empty() {
            return Some(word[..i].to_string());
        }
    }
    None
}

impl FieldRule {
    /// Read the field from `doc`; `table_bottom` is where its item table ends (for fields
    /// placed below it).
    pub fn read(&self, doc: &Doc, table_bottom: Option<(u32, f32)>) -> Result<Value, Miss> {
        let (page, dy) = if self.below_table {
            match table_bottom {
                Some((p, y)) => (p, y),
                None => return Err(Miss::Anchor),
            }
        } else {
            (self.page, 0.0)
        };
        let (page, anchor) = self.find_label(doc, page, dy).ok_or(Miss::Anchor)?;
        let pred = [
            anchor[0] + self.value[0],
            anchor[1] + self.value[1],
            anchor[0] + self.value[2],
            anchor[1] + self.value[3],
        ];
        let words = self.value_words(doc, page, pred).ok_or(Miss::Value)?;
        self.value_of(words)
    }

    /// The page and box of the label's first word in `doc` (or, unlabelled, the learned
    /// place). Under the items, where the last row's height varies, the label is the first
    /// one below them in its column.
    fn find_label(&self, doc: &Doc, page: u32, dy: f32) -> Option<(u32, [f32; 4])> {
        if self.label.is_empty() {
            let a = self.anchor;
            return Some((page, [a[0], a[1] + dy, a[2], a[3] + dy]));
        }
        let tx = doc.tol_x(page);
        let want: Vec<String> = self.label.iter().map(|t| squash(t)).collect();
        let starts = |l: &geometry::VLine| -> Option<[f32; 4]> {
            l.words.iter().enumerate().find_map(|(i, w)| {
                let here = (w.bbox[0] - self.anchor[0]).abs() <= tx
                    && l.words
                        .get(i..i + want.len())
                        .is_some_and(|r| r.iter().zip(&want).all(|(w, t)| squash(&w.text) == *t));
                here.then_some(w.bbox)
            })
        };
        if self.below_table {
            return doc
                .lines
                .iter()
                .filter(|l| l.page == page && l.y0 >= dy - 0.5 * doc.line_h || l.page == page + 1)
                .find_map(|l| starts(l).map(|b| (l.page, b)));
        }
        let ty = doc.shift_y(page);
        doc.lines
            .iter()
            .filter(|l| l.page == page)
            .filter_map(starts)
            .filter(|b| (b[1] - self.anchor[1]).abs() <= ty)
            .min_by(|p, q| {
                let d =
                    |b: &[f32; 4]| (b[0] - self.anchor[0]).abs() + (b[1] - self.anchor[1]).abs();
                d(p).total_cmp(&d(q))
            })
            .map(|b| (page, b))
    }

    /// The words printed in the predicted box `pred`.
    fn value_words(&self, doc: &Doc, page: u32, pred: [f32; 4]) -> Option<Vec<W>> {
        let cy = (pred[1] + pred[3]) / 2.0;
        let first_line_h = if self.lines > 1 {
            (pred[3] - pred[1]) / self.lines as f32
        } else {
            pred[3] - pred[1]
        };
        let cy_first = if self.lines > 1 {
            pred[1] + first_line_h / 2.0
        } else {
            cy
        };
        let li = doc
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.page == page)
            .filter(|(_, l)| {
                ((l.y0 + l.y1) / 2.0 - cy_first).abs() <= 0.6 * doc.line_h.max(first_line_h)
            })
            .min_by(|a, b| {
                let d = |l: &geometry::VLine| ((l.y0 + l.y1) / 2.0 - cy_first).abs();
                d(a.1).total_cmp(&d(b.1))
            })
            .map(|(i, _)| i)?;
        let line = &doc.lines[li];
        let tx = doc.tol_x(page);
        let numeric = NUMBER_FIELDS.contains(&self.field.as_str());
        let gap_limit = (self.gap * 1.6).max(0.9 * doc.line_h);
        let mut words: Vec<W> = if numeric {
            // Sums are right-aligned: the last word keeps its right edge.
            let last = line
                .words
                .iter()
                .position(|w| (w.bbox[2] - pred[2]).abs() <= tx)?;
            let from = (last + 1).saturating_sub(self.words);
            line.words[from..=last].to_vec()
        } else {
            let start = line
                .words
                .iter()
                .enumerate()
                .filter(|(_, w)| {
                    (w.bbox[0] - pred[0]).abs() <= tx.min(2.0 * doc.line_h).max(doc.line_h)
                })
                .min_by(|a, b| {
                    (a.1.bbox[0] - pred[0])
                        .abs()
                        .total_cmp(&(b.1.bbox[0] - pred[0]).abs())
                })
                .map(|(i, _)| i)?;
            let mut ws = vec![line.words[start].clone()];
            for w in line.words.iter().skip(start + 1) {
                let fixed = !free_length(&self.field);
                if fixed && ws.len() >= self.words {
                    break;
                }
                let prev = ws.last().map_or(w.bbox[0], |p| p.bbox[2]);
                if w.bbox[0] - prev > gap_limit {
                    break;
                }
                ws.push(w.clone());
            }
            ws
        };
        if self.lines > 1 {
            let x0 = words.first().map_or(pred[0], |w| w.bbox[0]);
            let mut prev_y1 = line.y1;
            // An address has as many lines as it has: read on to the first gap, unless the
            // form prints something right under it (then as many lines as learned).
            let more = if self.free_lines { 8 } else { self.lines - 1 };
            for l in doc.lines.iter().skip(li + 1).take(more) {
                if l.page != page || l.y0 - prev_y1 > 0.8 * doc.line_h {
                    break;
                }
                let ws: Vec<W> = l
                    .words
                    .iter()
                    .skip_while(|w| w.bbox[2] < x0 - 1.0)
                    .cloned()
                    .collect();
                let Some(head) = ws.first() else { break };
                if (head.bbox[0] - x0).abs() > doc.line_h {
                    break;
                }
                let mut run = vec![head.clone()];
                for w in ws.iter().skip(1) {
                    let prev = run.last().map_or(w.bbox[0], |p| p.bbox[2]);
                    if w.bbox[0] - prev > gap_limit {
                        break;
                    }
                    run.push(w.clone());
                }
                prev_y1 = l.y1;
                words.extend(run);
            }
        }
        (!words.is_empty()).then_some(words)
    }

    /// The typed value of `words`.
    fn value_of(&self, words: Vec<W>) -> Result<Value, Miss> {
        let locale = locale_of(&self.locale);
        let mut text = joined(&words);
        if !self.glued.is_empty() {
            text = text
                .strip_prefix(self.glued.as_str())
                .ok_or(Miss::Value)?
                .to_string();
        }
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(Miss::Value);
        }
        let span = SourceSpan {
            part: words.first().map_or(0, |w| w.part),
            page: words.first().map_or(1, |w| w.page),
            bbox: union(&words),
            text: text.clone(),
        };
        let mut v = Value {
            field: self.field.clone(),
            text,
            date: None,
            number: None,
            span,
        };
        match self.field.as_str() {
            f if STRING_FIELDS.contains(&f) => {}
            "currency" => {
                v.text = normalize::currency_code(&v.text)
                    .ok_or(Miss::Value)?
                    .to_string();
            }
            "order_date" => {
                v.date = Some(normalize::parse_date(&v.text, locale).ok_or(Miss::Value)?);
            }
            _ => {
                v.number = Some(geometry::number(&v.text, locale).ok_or(Miss::Value)?);
            }
        }
        Ok(v)
    }
}
