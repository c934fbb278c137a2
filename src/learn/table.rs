//! The item table of a learned layout: its header words and the band of each column, each
//! column with the field it holds. A row starts on a line with a number in the key column
//! (the quantity); lines below it until the next row add to its description.

use serde::{Deserialize, Serialize};

use super::geometry::{self, find_text, same_number, squash, union, Doc, W};
use super::{locale_name, locale_of, Anchor};
use crate::domain::{Field, LineItem, Order, SourceSpan};
use crate::extract::normalize::Locale;

use super::fields::TRUSTED;

/// One column band. `field: None` is a printed column the layout does not read (a position
/// number, a discount nobody asked for): its words belong to no field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub field: Option<String>,
    pub x0: f32,
    pub x1: f32,
}

/// Where the item table is and how its columns split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRule {
    pub page: u32,
    /// The header line's words.
    pub header: Vec<Anchor>,
    pub header_y0: f32,
    /// Columns left to right; a word belongs to the column whose band holds its middle,
    /// bands meeting half-way between learned columns.
    pub columns: Vec<Column>,
    /// Lines under a row (wrapped descriptions, a maker's part note) add to its description.
    pub wraps: bool,
    /// Item codes wrap in their narrow column onto the lines under the row.
    #[serde(default)]
    pub code_wraps: bool,
    /// The first word after the table (squashed), where reading stops.
    pub end: Option<String>,
    /// The widest vertical gap between lines inside the table.
    pub max_gap: f32,
    pub locale: String,
}

/// What reading a table gave.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRead {
    pub lines: Vec<LineItem>,
    /// Page and y of the bottom of the last row.
    pub bottom: Option<(u32, f32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableMiss {
    /// The header is not found as learned (a column added, removed or moved).
    Header,
    /// A cell did not read as its column's type.
    Cell,
}

const NUMBER_COLS: [&str; 5] = [
    "quantity",
    "unit_price",
    "amount",
    "discount_pct",
    "price_unit",
];

fn text_of(l: &LineItem, f: &str) -> Option<String> {
    match f {
        "sku" => l.sku.as_ref().map(|v| v.value.clone()),
        "customer_part" => l.customer_part.as_ref().map(|v| v.value.clone()),
        "uom" => l.uom.as_ref().map(|v| v.value.clone()),
        "description" => l.description.as_ref().map(|v| v.value.clone()),
        _ => None,
    }
}

fn number_of(l: &LineItem, f: &str) -> Option<f64> {
    match f {
        "quantity" => l.quantity.as_ref().map(|v| v.value),
        "unit_price" => l.unit_price.as_ref().map(|v| v.value),
        "amount" => l.amount.as_ref().map(|v| v.value),
        "discount_pct" => l.discount_pct.as_ref().map(|v| v.value),
        "price_unit" => l.price_unit.as_ref().map(|v| v.value),
        _ => None,
    }
}

/// Do `ws` spell field `f` of item `l` (numbers read with `locale`)?
fn spells(ws: &[W], l: &LineItem, f: &str, locale: Locale) -> bool {
    let text = ws
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    match (number_of(l, f), text_of(l, f)) {
        (Some(n), _) => geometry::number(&text, locale).is_some_and(|v| same_number(v, n)),
        (None, Some(t)) => !squash(&t).is_empty() && squash(&text) == squash(&t),
        (None, None) => false,
    }
}

/// The words of `line` that spell field `f` of item `l` (numbers read with `locale`): the
/// words at the field's source box when they spell it (where the extractor read it, or the
/// words a reviewer clicked: a quantity "1" is not the position number "1"), else the first
/// that do.
fn cell(line: &[W], l: &LineItem, f: &str, locale: Locale) -> Option<Vec<W>> {
    if let Some(s) = l.source_of(f) {
        let at: Vec<W> = line
            .iter()
            .filter(|w| {
                let (cx, cy) = ((w.bbox[0] + w.bbox[2]) / 2.0, w.cy());
                w.part == s.part
                    && w.page == s.page
                    && (s.bbox[0] - 0.5..=s.bbox[2] + 0.5).contains(&cx)
                    && (s.bbox[1] - 0.5..=s.bbox[3] + 0.5).contains(&cy)
            })
            .cloned()
            .collect();
        if !at.is_empty() && spells(&at, l, f, locale) {
            return Some(at);
        }
    }
    if let Some(n) = number_of(l, f) {
        return line
            .iter()
            .position(|w| geometry::number(&w.text, locale).is_some_and(|v| same_number(v, n)))
            .map(|i| vec![line[i].clone()]);
    }
    let want = squash(&text_of(l, f)?);
    if want.is_empty() {
        return None;
    }
    for i in 0..line.len() {
        let mut acc = String::new();
        for (k, w) in line.iter().enumerate().skip(i).take(4) {
            acc.push_str(&squash(&w.text));
            if acc == want {
                return Some(line[i..=k].to_vec());
            }
            if !want.starts_with(&acc) {
                break;
            }
        }
    }
    None
}

/// A code printed in pieces down its column: starting on row line `li`, continued on the
/// next lines at the same left edge.
fn wrapped_code(doc: &Doc, li: usize, item: &LineItem, f: &str) -> Option<Vec<W>> {
    if !matches!(f, "sku" | "customer_part") {
        return None;
    }
    let want = squash(&text_of(item, f)?);
    let row = doc.lines.get(li)?;
    for w in &row.words {
        let mut acc = squash(&w.text);
        if acc.len() < 2 || acc.len() >= want.len() || !want.starts_with(&acc) {
            continue;
        }
        let mut ws = vec![w.clone()];
        for l in doc.lines.iter().skip(li + 1).take(3) {
            let Some(next) = l
                .words
                .iter()
                .find(|n| (n.bbox[0] - w.bbox[0]).abs() <= doc.line_h)
            else {
                break;
            };
            acc.push_str(&squash(&next.text));
            if !want.starts_with(&acc) {
                break;
            }
            ws.push(next.clone());
            if acc == want {
                return Some(ws);
            }
        }
    }
    None
}

/// Learn the item table of `order` on `doc`. `None` when its items cannot all be placed
/// in clean column bands, or when the rule does not read them back exactly.
pub fn learn(order: &Order, doc: &Doc) -> Option<TableRule> {
    if order.lines.is_empty() {
        return None;
    }
    for locale in [Locale::Us, Locale::De] {
        for wraps in [true, false] {
            let Some(rule) = learn_with(order, doc, locale, wraps) else {
                continue;
            };
            if rule
                .read(doc)
                .is_ok_and(|back| same_lines(&back.lines, &order.lines))
            {
                return Some(rule);
            }
        }
    }
    None
}

fn learn_with(order: &Order, doc: &Doc, locale: Locale, wraps: bool) -> Option<TableRule> {
    let fields = [
        "sku",
        "customer_part",
        "quantity",
        "uom",
        "unit_price",
        "amount",
        "discount_pct",
        "price_unit",
    ];
    // Each item's row: the line after the previous row where most of its values are printed.
    let mut rows: Vec<usize> = Vec::new();
    let mut code_wraps = false;
    let mut boxes: Vec<(String, [f32; 4])> = Vec::new();
    let mut from = 0;
    for item in &order.lines {
        let present: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|f| number_of(item, f).is_some() || text_of(item, f).is_some())
            .collect();
        let mut best: Option<(usize, usize)> = None;
        for (li, line) in doc.lines.iter().enumerate().skip(from) {
            let hits = present
                .iter()
                .filter(|f| cell(&line.words, item, f, locale).is_some())
                .count();
            if hits >= 2 && best.is_none_or(|(_, h)| hits > h) {
                best = Some((li, hits));
            }
            if best.is_some_and(|(_, h)| h == present.len()) {
                break;
            }
        }
        let (li, hits) = best?;
        if hits < present.len()
            && !present.iter().all(|f| {
                cell(&doc.lines[li].words, item, f, locale).is_some()
                    || wrapped_code(doc, li, item, f).is_some()
            })
        {
            return None;
        }
        for f in &present {
            let ws = match cell(&doc.lines[li].words, item, f, locale) {
                Some(ws) => ws,
                None => {
                    code_wraps = true;
                    wrapped_code(doc, li, item, f)?
                }
            };
            boxes.push((f.to_string(), union(&ws)));
        }
        if let Some(d) = item.description.as_ref().map(|d| d.value.as_str()) {
            let near = find_text(doc, d, 6)
                .into_iter()
                .filter(|f| f.line + 1 >= li && f.line <= li + 1)
                .min_by_key(|f| f.line.abs_diff(li))?;
            for w in &near.words {
                boxes.push(("description".into(), w.bbox));
            }
        }
        rows.push(li);
        from = li + 1;
    }
    let first = *rows.first()?;
    let page = doc.lines[first].page;
    if rows.iter().any(|&r| doc.lines[r].page != page) {
        // A table over several pages is left to the generic reader.
        return None;
    }
    // The header: the nearest line above the first row with at least two words of letters.
    let hi = (0..first).rev().find(|&i| {
        let l = &doc.lines[i];
        l.page == page
            && l.words
                .iter()
                .filter(|w| w.text.chars().any(char::is_alphabetic))
                .count()
                >= 2
    })?;
    let header_line = &doc.lines[hi];
    if first - hi > 3 {
        return None;
    }
    // Columns: each field's band over all rows.
    let mut cols: Vec<Column> = Vec::new();
    for (f, b) in &boxes {
        match cols.iter_mut().find(|c| c.field.as_deref() == Some(f)) {
            Some(c) => {
                c.x0 = c.x0.min(b[0]);
                c.x1 = c.x1.max(b[2]);
            }
            None => cols.push(Column {
                field: Some(f.clone()),
                x0: b[0],
                x1: b[2],
            }),
        }
    }
    if !cols.iter().any(|c| c.field.as_deref() == Some("quantity")) {
        return None;
    }
    cols.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    if cols.windows(2).any(|p| p[0].x1 > p[1].x0) {
        // Two fields share a cell: no clean bands.
        return None;
    }
    // Header words over no learned column are columns nobody reads.
    for w in &header_line.words {
        let over = cols
            .iter()
            .any(|c| w.bbox[2] >= c.x0 - 1.0 && w.bbox[0] <= c.x1 + 1.0);
        if !over {
            cols.push(Column {
                field: None,
                x0: w.bbox[0],
                x1: w.bbox[2],
            });
        }
    }
    cols.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    let mut merged: Vec<Column> = Vec::new();
    for c in cols {
        match merged.last_mut() {
            Some(m) if m.field.is_none() && c.field.is_none() && c.x0 - m.x1 < doc.line_h => {
                m.x1 = m.x1.max(c.x1);
            }
            Some(m) if m.x1 > c.x0 => return None,
            _ => merged.push(c),
        }
    }
    let last = *rows.last()?;
    let mut lines_in: Vec<usize> = (hi..=last).collect();
    let mut end = None;
    for (i, l) in doc.lines.iter().enumerate().skip(last + 1) {
        if l.page != page {
            break;
        }
        // Lines of the last row's description.
        let in_desc = boxes
            .iter()
            .any(|(f, b)| f == "description" && b[1] >= l.y0 - 0.5 && b[1] <= l.y1 + 0.5);
        if in_desc {
            lines_in.push(i);
            continue;
        }
        end = l
            .words
            .first()
            .map(|w| squash(&w.text))
            .filter(|s| !s.is_empty());
        break;
    }
    let max_gap = lines_in
        .windows(2)
        .map(|p| doc.lines[p[1]].y0 - doc.lines[p[0]].y1)
        .fold(0.0f32, f32::max);
    Some(TableRule {
        page,
        header: header_line
            .words
            .iter()
            .map(|w| Anchor {
                text: w.text.clone(),
                page,
                bbox: w.bbox,
            })
            .collect(),
        header_y0: header_line.y0,
        columns: merged,
        wraps,
        code_wraps,
        end,
        max_gap,
        locale: locale_name(locale).to_string(),
    })
}

/// Do two readings of the items agree on every contract field?
pub fn same_lines(a: &[LineItem], b: &[LineItem]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            ["sku", "customer_part", "uom", "description"]
                .iter()
                .all(|f| text_of(x, f) == text_of(y, f))
                && NUMBER_COLS
                    .iter()
                    .all(|f| match (number_of(x, f), number_of(y, f)) {
                        (Some(p), Some(q)) => same_number(p, q),
                        (None, None) => true,
                        // A price per 1 may be left unsaid.
                        (Some(p), None) | (None, Some(p)) => {
                            *f == "price_unit" && same_number(p, 1.0)
                        }
                    })
        })
}

impl TableRule {
    /// The column a word belongs to: bands meet half-way between learned columns.
    fn column_of(&self, w: &W) -> Option<&Column> {
        let cx = (w.bbox[0] + w.bbox[2]) / 2.0;
        let n = self.columns.len();
        (0..n)
            .find(|&i| {
                let lo = if i == 0 {
                    f32::MIN
                } else {
                    (self.columns[i - 1].x1 + self.columns[i].x0) / 2.0
                };
                let hi = if i + 1 == n {
                    f32::MAX
                } else {
                    (self.columns[i].x1 + self.columns[i + 1].x0) / 2.0
                };
                cx >= lo && cx < hi
            })
            .and_then(|i| self.columns.get(i))
    }

    fn band(&self, w: &W) -> Option<&str> {
        self.column_of(w).and_then(|c| c.field.as_deref())
    }

    /// Find the header line as learned: every learned header word in its column place,
    /// and no word the learned header did not have.
    fn find_header(&self, doc: &Doc) -> Result<usize, TableMiss> {
        let tx = doc.tol_x(self.page);
        let want: Vec<String> = self.header.iter().map(|a| squash(&a.text)).collect();
        for (i, l) in doc
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.page == self.page)
        {
            let hits = self
                .header
                .iter()
                .zip(&want)
                .filter(|(a, t)| {
                    l.words
                        .iter()
                        .any(|w| squash(&w.text) == **t && (w.bbox[0] - a.bbox[0]).abs() <= tx)
                })
                .count();
            if hits * 2 <= self.header.len() {
                continue;
            }
            // Most of the header is here: it must be all of it, and nothing more.
            let extra = l.words.iter().any(|w| {
                !self.header.iter().any(|a| {
                    squash(&w.text) == squash(&a.text) && (w.bbox[0] - a.bbox[0]).abs() <= tx
                })
            });
            if hits != self.header.len() || extra {
                return Err(TableMiss::Header);
            }
            return Ok(i);
        }
        Err(TableMiss::Header)
    }

    /// Read the items of `doc` with this table rule.
    pub fn read(&self, doc: &Doc) -> Result<TableRead, TableMiss> {
        let hi = self.find_header(doc)?;
        let locale = locale_of(&self.locale);
        let mut items: Vec<(LineItem, Vec<W>)> = Vec::new();
        let mut bottom = None;
        let mut prev_y1 = doc.lines[hi].y1;
        let gap_limit = (self.max_gap * 1.5).max(1.5 * doc.line_h);
        for l in doc.lines.iter().skip(hi + 1) {
            if l.page != self.page || l.y0 - prev_y1 > gap_limit {
                break;
            }
            if self
                .end
                .as_deref()
                .is_some_and(|e| l.words.first().is_some_and(|w| squash(&w.text) == e))
            {
                break;
            }
            let starts = l.words.iter().any(|w| {
                self.band(w) == Some("quantity") && geometry::number(&w.text, locale).is_some()
            });
            if starts {
                let mut item = LineItem {
                    line_no: items.len() as u32 + 1,
                    ..LineItem::default()
                };
                let mut cells: Vec<(&str, Vec<&W>)> = Vec::new();
                for w in &l.words {
                    if let Some(f) = self.band(w) {
                        match cells.iter_mut().find(|(n, _)| *n == f) {
                            Some((_, ws)) => ws.push(w),
                            None => cells.push((f, vec![w])),
                        }
                    }
                }
                for (f, ws) in cells {
                    set_cell(&mut item, f, &ws, locale)?;
                }
                items.push((item, l.words.clone()));
            } else if let Some((item, ws)) = items.last_mut() {
                // A line under a row: its description goes on, a wrapped code goes on.
                let mut desc: Vec<&W> = Vec::new();
                let mut any = false;
                for w in &l.words {
                    match self.band(w) {
                        Some("description") if self.wraps => desc.push(w),
                        Some(f @ ("sku" | "customer_part")) if self.code_wraps => {
                            append_code(item, f, w);
                        }
                        // A number or unit under a row is no wrapped text: the table ended.
                        Some(_) => {
                            any = false;
                            desc.clear();
                            break;
                        }
                        None => continue,
                    }
                    any = true;
                }
                if !any {
                    break;
                }
                if !desc.is_empty() {
                    let add = join(&desc);
                    match item.description.as_mut() {
                        Some(d) => {
                            d.value = format!("{} {add}", d.value);
                            if let Some(s) = d.source.as_mut() {
                                s.bbox = union(&[bbox_w(s.bbox), bbox_w(union_refs(&desc))]);
                            }
                        }
                        None => set_cell(item, "description", &desc, locale)?,
                    }
                }
                ws.extend(l.words.iter().cloned());
            } else {
                // Lines between the header and the first row (a second header line).
                prev_y1 = l.y1;
                continue;
            }
            prev_y1 = l.y1;
            bottom = Some((l.page, l.y1));
        }
        Ok(TableRead {
            lines: items.into_iter().map(|(i, _)| i).collect(),
            bottom,
        })
    }
}

/// A code that wrapped in its narrow column: the next line's piece is glued on.
fn append_code(item: &mut LineItem, f: &str, w: &W) {
    let slot = if f == "sku" {
        &mut item.sku
    } else {
        &mut item.customer_part
    };
    match slot.as_mut() {
        Some(c) => {
            c.value.push_str(&w.text);
            if let Some(s) = c.source.as_mut() {
                s.bbox = union(&[bbox_w(s.bbox), w.clone()]);
                s.text = c.value.clone();
            }
        }
        None => {
            *slot = Some(Field::new(
                w.text.clone(),
                TRUSTED,
                Some(SourceSpan {
                    part: w.part,
                    page: w.page,
                    bbox: w.bbox,
                    text: w.text.clone(),
                }),
            ))
        }
    }
}

fn bbox_w(b: [f32; 4]) -> W {
    W {
        text: String::new(),
        part: 0,
        page: 0,
        bbox: b,
    }
}

fn union_refs(ws: &[&W]) -> [f32; 4] {
    union(&ws.iter().map(|w| (*w).clone()).collect::<Vec<_>>())
}

fn join(ws: &[&W]) -> String {
    ws.iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn set_cell(item: &mut LineItem, f: &str, ws: &[&W], locale: Locale) -> Result<(), TableMiss> {
    let text = join(ws);
    let span = SourceSpan {
        part: ws.first().map_or(0, |w| w.part),
        page: ws.first().map_or(1, |w| w.page),
        bbox: union_refs(ws),
        text: text.clone(),
    };
    let t = |v: String| Some(Field::new(v, TRUSTED, Some(span.clone())));
    if NUMBER_COLS.contains(&f) {
        let n = geometry::number(&text, locale).ok_or(TableMiss::Cell)?;
        let v = Some(Field::new(n, TRUSTED, Some(span.clone())));
        match f {
            "quantity" => item.quantity = v,
            "unit_price" => item.unit_price = v,
            "amount" => item.amount = v,
            "discount_pct" => item.discount_pct = v,
            _ => item.price_unit = v,
        }
        return Ok(());
    }
    match f {
        "sku" => item.sku = t(text),
        "customer_part" => item.customer_part = t(text),
        "uom" => item.uom = t(text),
        "description" => item.description = t(text),
        _ => {}
    }
    Ok(())
}
