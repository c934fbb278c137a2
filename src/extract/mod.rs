//! Extraction: parsed words -> `Order`s. An ONNX token classifier labels every word
//! ([`model`], [`tokenize`]); [`decode`] rebuilds orders from the labels; [`normalize`]
//! reads numbers, dates and currencies with the document's locale.

mod address;
pub mod charges;
mod columns;
mod country;
pub mod decode;
pub mod email;
mod evidence;
pub mod freetext;
pub mod header;
pub mod model;
pub mod normalize;
pub mod party;
mod prose;
mod rows;
mod stray;
mod sums;
pub mod table;
pub mod texttable;
pub mod tokenize;
mod unit;

use std::path::{Path, PathBuf};

use chrono::DateTime;

use crate::config::ExtractConfig;
use crate::domain::{Field, LineItem, Order};
use crate::layout::lexicon::Role;
use crate::layout::{Layout, Token};
use crate::parse::{DocFlag, ParsedDocument, ParsedInput, PartContent};
use decode::LabeledWord;
use model::Model;
use tokenize::{Batch, Encoder, WordInput};

/// What came out of one input: its orders and anything the reviewer should know.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    pub orders: Vec<Order>,
    /// Parts that failed to parse, pages without text, ...
    pub warnings: Vec<String>,
    /// True when no part had readable text at all (so an empty result means "could not
    /// read", not "no order here").
    pub unreadable: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("extractor setup: {0}")]
    Setup(String),
    #[error("model inference: {0}")]
    Inference(String),
}

/// The ONNX model with its tokenizer.
pub struct ModelExtractor {
    model: Model,
    encoder: Encoder,
    ablate: Ablate,
}

/// Passes switched off for an ablation run (`PO_INTAKE_ABLATE=table,...`): what each pass
/// earns is measured by scoring with and without it (`scripts/eval-real`).
#[derive(Debug, Clone, Default)]
pub struct Ablate(Vec<String>);

impl Ablate {
    pub fn from_env() -> Ablate {
        Ablate(
            std::env::var("PO_INTAKE_ABLATE")
                .unwrap_or_default()
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
        )
    }

    pub fn off(&self, pass: &str) -> bool {
        self.0.iter().any(|p| p == pass)
    }
}

/// A model code at least this sure stands against the table's reading of the same row.
const SURE_CODE: f32 = 0.8;

/// What each item table's header names, for the decoder (see [`decode::HeaderHint`]).
fn header_hints(layout: &Layout) -> Vec<decode::HeaderHint> {
    layout
        .tables
        .iter()
        .filter_map(|t| {
            let below = t
                .header_lines
                .iter()
                .filter_map(|&l| layout.lines.get(l))
                .map(|l| l.y1)
                .reduce(f32::max)?;
            let description = t.column(Role::Description).map(|d| {
                let x0 = t.columns.get(d).map_or(0.0, |c| c.x0);
                let next = t
                    .columns
                    .iter()
                    .map(|c| c.x0)
                    .filter(|&x| x > x0)
                    .reduce(f32::min)
                    .unwrap_or(f32::MAX);
                (x0, next)
            });
            Some(decode::HeaderHint {
                page: t.page,
                below,
                unit_column: t.column(Role::Uom).is_some(),
                description,
            })
        })
        .collect()
}

/// Rows that multiply out (quantity × price = amount, or price per 100/1000).
fn checked_rows(lines: &[LineItem]) -> usize {
    lines.iter().filter(|l| table::multiplies_out(l)).count()
}

/// An "order" of one input without a single priced line (no unit price, no amount) beside
/// one that has priced lines is a misreading: terms and conditions, a comment block or a
/// bank line taken for a second PO. It goes; a header value the real order lacks (its total,
/// its date) is kept from it.
fn drop_unpriced_orders(orders: &mut Vec<Order>) {
    let priced = |o: &Order| {
        o.lines
            .iter()
            .any(|l| l.unit_price.is_some() || l.amount.is_some())
    };
    if !orders.iter().any(priced) {
        return;
    }
    let (keep, gone): (Vec<Order>, Vec<Order>) =
        std::mem::take(orders).into_iter().partition(priced);
    *orders = keep;
    if let [o] = orders.as_mut_slice() {
        for g in gone {
            o.total = o.total.take().or(g.total);
            o.order_date = o.order_date.take().or(g.order_date);
            o.ship_to = o.ship_to.take().or(g.ship_to);
        }
    }
}

/// Put the table pass's items in place of the model's when they are read at least as
/// surely: as many rows multiply out. With several orders in one input the model's grouping
/// of items into orders stands.
fn merge_table_items(
    orders: &mut Vec<Order>,
    items: Vec<LineItem>,
    tables: usize,
    unnamed: impl FnOnce() -> Vec<LineItem>,
) {
    if items.is_empty() {
        return;
    }
    // Several orders in one document each print their own item table. With one table, the
    // model's further "orders" are numbers it took for PO numbers (a phone number, an account
    // number): their fields fill what the first order lacks.
    if orders.len() > 1 && tables >= orders.len() {
        tracing::trace!(target: "po_intake::table", "merge: {} orders, {tables} tables: the model's grouping stands", orders.len());
        return;
    }
    if orders.len() > 1 {
        let rest: Vec<Order> = orders.drain(1..).collect();
        if let Some(first) = orders.first_mut() {
            for o in rest {
                first.po_number = first.po_number.take().or(o.po_number);
                first.order_date = first.order_date.take().or(o.order_date);
                first.buyer = first.buyer.take().or(o.buyer);
                first.currency = first.currency.take().or(o.currency);
                first.ship_to = first.ship_to.take().or(o.ship_to);
                first.total = first.total.take().or(o.total);
                first.lines.extend(o.lines);
            }
        }
    }
    if orders.is_empty() {
        orders.push(Order::default());
    }
    let Some(order) = orders.first_mut() else {
        return;
    };
    let (table, model) = (checked_rows(&items), checked_rows(&order.lines));
    // Rows with a quantity, a price or amount, and a code or description: what an item is.
    let complete = |lines: &[LineItem]| {
        lines
            .iter()
            .filter(|l| {
                l.quantity.is_some()
                    && (l.unit_price.is_some() || l.amount.is_some())
                    && (l.sku.is_some() || l.description.is_some())
            })
            .count()
    };
    let more_complete = complete(&items) > complete(&order.lines);
    for (who, lines) in [("table", &items), ("model", &order.lines)] {
        for l in lines.iter() {
            let v = |f: &Option<crate::domain::Field<f64>>| f.as_ref().map(|f| f.value);
            tracing::trace!(target: "po_intake::table", "merge: {who} row q {:?} p {:?} a {:?} checked {}", v(&l.quantity), v(&l.unit_price), v(&l.amount), table::multiplies_out(l));
        }
    }
    tracing::trace!(target: "po_intake::table", "merge: table rows {} checked {table} complete {}, model rows {} checked {model} complete {}", items.len(), complete(&items), order.lines.len(), complete(&order.lines));
    // Every row of a table of several multiplies out and the model read more rows, none of
    // the extra ones checked, all on the table's pages: the table read the items, the model
    // the items and some text beside them. (Rows on a page the table never reached, a second
    // page without a repeated header, stay the model's.)
    let pages = |lines: &[LineItem]| -> std::collections::BTreeSet<u32> {
        lines.iter().filter_map(page_of).collect()
    };
    let all_checked = items.len() >= 2
        && table == items.len()
        && items.len() < order.lines.len()
        && pages(&order.lines).is_subset(&pages(&items));
    if table > model
        || order.lines.is_empty()
        || table == model && items.len() != order.lines.len() && (more_complete || all_checked)
    {
        // The table wins on its named columns; a price or amount read from an unnamed
        // column may then complete its rows (the same rows, read again).
        let more = unnamed();
        order.lines = if more.len() == items.len() {
            more
        } else {
            items
        };
    } else if table == model && items.len() == order.lines.len() {
        // Both read the same rows: each field from the reader that is better at it. The
        // table's columns give the numbers and units; the model's labels the description,
        // and the code when it is sure of it.
        for (line, t) in order.lines.iter_mut().zip(items) {
            line.quantity = t.quantity.or(line.quantity.take());
            line.uom = t.uom.or(line.uom.take());
            line.unit_price = t.unit_price.or(line.unit_price.take());
            line.amount = t.amount.or(line.amount.take());
            if line.description.is_none() {
                line.description = t.description;
            }
            // A customer's part beside the code says the table told the two apart (a named
            // column, a "Vendor Material No" under the row): its reading of both stands.
            if line.sku.as_ref().is_none_or(|f| f.confidence < SURE_CODE)
                || t.customer_part.is_some()
            {
                line.sku = t.sku.or(line.sku.take());
                line.customer_part = t.customer_part.or(line.customer_part.take());
            }
        }
    }
}

/// Where the model's reading stands, a row it shares with the table (the same quantity,
/// price and amount, multiplying out) whose description is the table's cell after more text
/// ("Tower, VIP Square MOTOR 11 KW, ..." before "MOTOR 11 KW, ...") and starts above the
/// table's header took in text from outside the table: an address, a header word. The cell
/// is the description.
fn trim_descriptions_to_cells(lines: &mut [LineItem], items: &[LineItem], headers: &[(u32, f32)]) {
    let figures = |l: &LineItem| -> Option<[f64; 3]> {
        Some([
            l.quantity.as_ref()?.value,
            l.unit_price.as_ref()?.value,
            l.amount.as_ref()?.value,
        ])
    };
    let words = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .map(|w| w.to_lowercase())
            .collect::<Vec<_>>()
    };
    for line in lines.iter_mut().filter(|l| table::multiplies_out(l)) {
        let Some(f) = figures(line) else { continue };
        let mut same = items.iter().filter(|t| {
            table::multiplies_out(t)
                && figures(t).is_some_and(|g| g.iter().zip(f).all(|(a, b)| (a - b).abs() < 1e-9))
        });
        let (Some(t), None) = (same.next(), same.next()) else {
            continue;
        };
        let (Some(cell), Some(desc)) = (t.description.as_ref(), line.description.as_ref()) else {
            continue;
        };
        let (c, d) = (words(&cell.value), words(&desc.value));
        // Only text before the cell, and from above the table's header: what follows the
        // cell, or stands over it inside the table, may be its wrapped text that the table
        // cut as a note or left to the row above.
        let top = |f: &Field<String>| f.source.as_ref().map(|s| (s.page, s.bbox[1]));
        let over_header = match (top(desc), top(cell)) {
            (Some((dp, dy)), Some((cp, cy))) => {
                dp == cp && headers.iter().any(|&(p, y)| p == dp && dy < y && cy > y)
            }
            _ => false,
        };
        let inside = over_header && c.len() >= 2 && c.len() < d.len() && d.ends_with(&c);
        if inside {
            tracing::trace!(target: "po_intake::table", "description trimmed to its cell: {}", cell.value);
            line.description = Some(cell.clone());
        } else if let Some(filled) = fill_gaps(&cell.value, &d) {
            tracing::trace!(target: "po_intake::table", "description gaps filled from its cell: {filled}");
            if let Some(f) = line.description.as_mut() {
                f.value = filled;
            }
        }
    }
}

/// The cell's words from the model's first description word to its last, when the model's
/// words are those with one or two left out between them ("48 40" in "48 x 40", the "x"
/// taken for no word of the item): a description is one run of the cell's text.
fn fill_gaps(cell: &str, desc: &[String]) -> Option<String> {
    let words: Vec<&str> = cell.split_whitespace().collect();
    if desc.len() < 2 {
        return None;
    }
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    // Each start where the first word matches; the model's words in order from there.
    for start in (0..lower.len()).filter(|&k| lower[k] == desc[0]) {
        let mut at = start;
        let mut ok = true;
        for w in &desc[1..] {
            match (at + 1..lower.len()).find(|&k| &lower[k] == w) {
                Some(k) => at = k,
                None => {
                    ok = false;
                    break;
                }
            }
        }
        let left_out = (at + 1 - start).saturating_sub(desc.len());
        if ok && (1..=2).contains(&left_out) {
            return words.get(start..=at).map(|w| w.join(" "));
        }
        if ok {
            return None;
        }
    }
    None
}

/// The page a line was read on: where its first field with a source stands.
fn page_of(l: &LineItem) -> Option<u32> {
    l.sources().map(|s| s.page).next()
}

/// Lines with a quantity and a code or description: what an item is at the least.
fn complete_items(lines: &[LineItem]) -> usize {
    lines
        .iter()
        .filter(|l| l.quantity.is_some() && (l.sku.is_some() || l.description.is_some()))
        .count()
}

/// Items an email body's own readers found (its text tables, its sentences) in place of the
/// model's reading of the same body, which was learnt on printed forms. One email body is one
/// order: the model's further "orders" there are codes it took for PO numbers, and their
/// header fields only fill what the first lacks.
fn written_items(orders: &mut Vec<Order>, items: Vec<LineItem>) {
    if items.is_empty() {
        return;
    }
    let rest: Vec<Order> = if orders.len() > 1 {
        orders.drain(1..).collect()
    } else {
        Vec::new()
    };
    if orders.is_empty() {
        orders.push(Order::default());
    }
    if let Some(order) = orders.first_mut() {
        for o in rest {
            order.po_number = order.po_number.take().or(o.po_number);
            order.order_date = order.order_date.take().or(o.order_date);
            order.buyer = order.buyer.take().or(o.buyer);
            order.currency = order.currency.take().or(o.currency);
            order.ship_to = order.ship_to.take().or(o.ship_to);
            order.total = order.total.take().or(o.total);
        }
        order.lines = items;
    }
}

impl ModelExtractor {
    /// With `sessions` model sessions, for documents labelled in parallel.
    pub fn load_sessions(
        dir: &Path,
        threads: usize,
        sessions: usize,
    ) -> Result<Self, ExtractError> {
        Ok(ModelExtractor {
            model: Model::load_sessions(dir, threads, sessions)?,
            encoder: Encoder::load(&dir.join("tokenizer.json"))?,
            ablate: Ablate::from_env(),
        })
    }

    /// Logits for every window of `batch`, row-major [batch, seq, labels]. Each window runs
    /// on its own, trimmed to its real tokens. Why not several at once: the int8 model
    /// quantises its activations with one scale per run, so windows run together would be
    /// read through the loudest one's scale (coarser than alone, and different from how the
    /// same window reads in another document); one window per run reads as the float model
    /// does (real-dev: the same line and header F1 as the float export). It is also faster
    /// per window on this CPU (the attention scores of one window stay in cache: 19.9 ms
    /// against 23.4 ms per 256-token window in batches of 8) and holds less memory.
    fn run_windows(&self, batch: &Batch, n_labels: usize) -> Result<Vec<f32>, ExtractError> {
        let per = batch.seq;
        let mut logits = vec![0f32; batch.batch * per * n_labels];
        for w in 0..batch.batch {
            let r = w * per..(w + 1) * per;
            let len = batch
                .attention_mask
                .get(r.clone())
                .map(|m| m.iter().filter(|&&v| v != 0).count())
                .unwrap_or(per);
            let r = r.start..r.start + len;
            let (Some(ids), Some(mask), Some(bbox)) = (
                batch.input_ids.get(r.clone()),
                batch.attention_mask.get(r.clone()),
                batch.bbox.get(r.start * 4..r.end * 4),
            ) else {
                return Err(ExtractError::Inference(format!(
                    "window {w} of {} is shorter than its {len} tokens",
                    batch.batch
                )));
            };
            let out = self
                .model
                .run(ids.to_vec(), mask.to_vec(), bbox.to_vec(), 1, len)?;
            let dst = w * per * n_labels;
            if let Some(slot) = logits.get_mut(dst..dst + len * n_labels) {
                slot.copy_from_slice(&out);
            }
        }
        Ok(logits)
    }

    /// Label every word of `doc` and decode the orders. `body`: the document is the text of
    /// an email, where items may be written as sentences ([`freetext`]).
    pub fn extract_doc(
        &self,
        doc: &ParsedDocument,
        part: u32,
        body: bool,
    ) -> Result<Vec<Order>, ExtractError> {
        let mut flat = Vec::new();
        let mut inputs = Vec::new();
        // Words of paragraphs of running text (terms and conditions) are not read by the
        // model ([`prose`]); an e-mail's body may write its items as sentences.
        let mut skipped = Vec::new();
        for page in &doc.pages {
            let (w, h) = (page.width.max(1.0), page.height.max(1.0));
            let scale = |v: f32, d: f32| ((v / d) * 1000.0).round().clamp(0.0, 1000.0) as i64;
            let prose = if body || self.ablate.off("prose") {
                vec![false; page.words.len()]
            } else {
                prose::paragraph_words(&page.words)
            };
            for (word, skip) in page.words.iter().zip(prose) {
                skipped.push(skip);
                if skip {
                    flat.push((page.number, word));
                    continue;
                }
                let b = &word.bbox;
                inputs.push(WordInput {
                    text: word.text.clone(),
                    bbox: [
                        scale(b.x0, w),
                        scale(b.y0, h),
                        scale(b.x1, w),
                        scale(b.y1, h),
                    ],
                });
                flat.push((page.number, word));
            }
        }
        if flat.is_empty() {
            return Ok(vec![]);
        }
        let meta = &self.model.meta;
        let read = if inputs.is_empty() {
            Vec::new()
        } else {
            let batch = self.encoder.encode(&inputs, meta.max_len, meta.stride)?;
            let n_labels = meta.labels.len();
            let logits = self.run_windows(&batch, n_labels)?;
            tokenize::word_labels(&batch, &logits, n_labels)
        };
        let no_field = meta.labels.iter().position(|l| l == "O").unwrap_or(0);
        let mut read = read.into_iter();
        let labels: Vec<(usize, f32)> = skipped
            .iter()
            .map(|&skip| {
                if skip {
                    (no_field, 1.0)
                } else {
                    read.next().unwrap_or((no_field, 0.0))
                }
            })
            .collect();
        let words: Vec<LabeledWord<'_>> = flat
            .iter()
            .zip(labels.iter())
            .map(|((page, w), (li, p))| LabeledWord {
                text: &w.text,
                page: *page,
                line: w.line,
                bbox: [w.bbox.x0, w.bbox.y0, w.bbox.x1, w.bbox.y1],
                label: meta.labels.get(*li).map(String::as_str).unwrap_or("O"),
                prob: *p,
            })
            .collect();
        // `RUST_LOG=po_intake::labels=trace` shows what the model said about every word: the
        // first thing to look at when a field comes out wrong.
        for w in &words {
            tracing::trace!(target: "po_intake::labels", "p{} l{} x{:.0} {:<16} {:.2} {}",
                w.page, w.line, w.bbox[0], w.label, w.prob, w.text);
        }
        let text = doc.text();
        let day_first_hint = country::day_first_country(&text);
        let locale = normalize::detect_locale_with(&text, day_first_hint);
        let tokens: Vec<Token<'_>> = flat
            .iter()
            .map(|(page, w)| Token {
                text: &w.text,
                page: *page,
                bbox: [w.bbox.x0, w.bbox.y0, w.bbox.x1, w.bbox.y1],
            })
            .collect();
        let layout = Layout::build(&tokens);
        let hints = if self.ablate.off("headers") {
            Vec::new()
        } else {
            header_hints(&layout)
        };
        let mut orders = decode::decode_with(&words, part, locale, &hints);
        let mut tabled = false;
        if !self.ablate.off("table") {
            // `RUST_LOG=po_intake::table=trace` shows each table as the layout step saw it.
            for t in &layout.tables {
                let cols: Vec<String> = t
                    .columns
                    .iter()
                    .map(|c| format!("{:?}[{}]@{:.0}-{:.0}", c.role, c.label, c.x0, c.x1))
                    .collect();
                tracing::trace!(target: "po_intake::table", "page {} header lines {:?} columns {} bounds {:?}", t.page, t.header_lines.iter().map(|&l| layout.lines[l].y0).collect::<Vec<_>>(), cols.join(" "), t.bounds);
                for r in &t.rows {
                    let cells: Vec<String> = r
                        .cells
                        .iter()
                        .map(|c| {
                            c.iter()
                                .map(|&i| tokens[i].text)
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .collect();
                    tracing::trace!(target: "po_intake::table", "  row {}", cells.join(" | "));
                }
            }
            let items = table::items(&tokens, &layout, part, locale, false);
            let unnamed = || table::items(&tokens, &layout, part, locale, true);
            tabled = !items.is_empty();
            let cells = items.clone();
            merge_table_items(&mut orders, items, layout.distinct_tables(), unnamed);
            let headers: Vec<(u32, f32)> = layout
                .tables
                .iter()
                .filter_map(|t| {
                    let bottom = t
                        .header_lines
                        .iter()
                        .filter_map(|&l| layout.lines.get(l).map(|l| l.y1))
                        .reduce(f32::max)?;
                    Some((t.page, bottom))
                })
                .collect();
            for o in orders.iter_mut() {
                trim_descriptions_to_cells(&mut o.lines, &cells, &headers);
            }
        }
        // An email body is text on a character grid: its tables are read by their columns
        // exactly, and items written as sentences by the sentence reader.
        if body && !self.ablate.off("texttable") {
            let rows = texttable::items(doc, part, locale);
            tabled |= !rows.is_empty();
            // A table cut short (a row shape it does not know) leaves the reading that
            // found more items.
            let found: usize = orders.iter().map(|o| complete_items(&o.lines)).sum();
            if rows.len() >= found {
                written_items(&mut orders, rows);
            }
        }
        if body && !tabled && !self.ablate.off("freetext") {
            written_items(&mut orders, freetext::items(doc, part, locale));
        }
        for line in orders.iter_mut().flat_map(|o| o.lines.iter_mut()) {
            table::split_bracketed_code(line);
            table::tidy_codes(line);
            table::quantity_thousands_by_arithmetic(line);
        }
        drop_unpriced_orders(&mut orders);
        if !self.ablate.off("stray") {
            stray::apply(&mut orders);
            stray::drop_below_totals(&tokens, &layout, &mut orders);
        }
        if !self.ablate.off("header") && orders.len() == 1 {
            if let Some(order) = orders.first_mut() {
                header::apply(&tokens, &layout, order, part, locale);
            }
        }
        if !self.ablate.off("party") {
            // Several orders in one file come from one buyer as a rule; the pass reads the
            // whole file for each.
            for order in orders.iter_mut() {
                party::apply(&tokens, &layout, order, part);
                country::apply(&tokens, &layout, order, part);
            }
        }
        if !self.ablate.off("spelling") {
            for order in orders.iter_mut() {
                party::respell_buyer(&tokens, &layout, order);
            }
        }
        if !self.ablate.off("charges") {
            charges::apply(&tokens, &layout, &mut orders, part, locale);
        }
        if !self.ablate.off("evidence") {
            evidence::apply(&mut orders);
            let known = normalize::date_order_known(&text, day_first_hint, locale);
            evidence::doubt_swappable_dates(&mut orders, known);
        }
        Ok(orders)
    }
}

/// What a value read by OCR keeps of the model's confidence: a field the model is 0.95
/// sure of on a scan is 0.81, still over the default threshold (0.8); one it is less sure
/// of goes to a person.
pub const OCR_CONFIDENCE: f32 = 0.85;

/// The extractor used by the pipeline and by `po-intake extract`.
pub struct Extractor {
    model: ModelExtractor,
}

/// Where the model lives when the config does not say: `models/` in the working directory,
/// else beside the crate (for tests and `cargo run`).
fn default_model_dir() -> PathBuf {
    let local = PathBuf::from("models");
    if local.join("model.onnx").is_file() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

impl Extractor {
    /// Load the model from `cfg.model_dir` (default `models/`). Fails with a message that
    /// says what is missing (the model files, or the ONNX Runtime library and how to get it).
    pub fn from_config(cfg: &ExtractConfig) -> Result<Extractor, ExtractError> {
        Extractor::load(cfg, 1)
    }

    /// For a process that reads several documents at once (`ingest`, `watch`, `serve`): one
    /// model session per worker of [`ExtractConfig::workers`], the weights shared. Each
    /// session runs on `threads` threads, by default the cores divided among the workers.
    pub fn for_workers(cfg: &ExtractConfig) -> Result<Extractor, ExtractError> {
        let workers = cfg.workers();
        let threads = match cfg.threads {
            0 if workers > 1 => (crate::config::cores() / workers).max(1),
            t => t,
        };
        Extractor::load(
            &ExtractConfig {
                threads,
                ..cfg.clone()
            },
            workers,
        )
    }

    /// The version of the model `cfg` names, from its `model.json`, without loading it (for
    /// `po-intake --version`).
    pub fn model_version(cfg: &ExtractConfig) -> Result<String, ExtractError> {
        let path = cfg
            .model_dir
            .clone()
            .unwrap_or_else(default_model_dir)
            .join("model.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ExtractError::Setup(format!("reading {}: {e}", path.display())))?;
        let meta: model::ModelMeta = serde_json::from_str(&text)
            .map_err(|e| ExtractError::Setup(format!("{} is invalid: {e}", path.display())))?;
        Ok(meta.version)
    }

    /// Load the model with `sessions` sessions (at least one).
    fn load(cfg: &ExtractConfig, sessions: usize) -> Result<Extractor, ExtractError> {
        let dir = cfg.model_dir.clone().unwrap_or_else(default_model_dir);
        if !dir.join("model.onnx").is_file() {
            return Err(ExtractError::Setup(format!(
                "no model at {}: set extract.model_dir to the folder with model.onnx, model.json and tokenizer.json",
                dir.join("model.onnx").display()
            )));
        }
        Ok(Extractor {
            model: ModelExtractor::load_sessions(&dir, cfg.threads, sessions)?,
        })
    }

    /// How many documents can be labelled at once.
    pub fn sessions(&self) -> usize {
        self.model.model.sessions()
    }

    /// The loaded model's version (from model.json), for reports.
    pub fn version(&self) -> &str {
        &self.model.model.meta.version
    }

    fn extract_doc(
        &self,
        doc: &ParsedDocument,
        part: u32,
        body: bool,
    ) -> Result<Vec<Order>, ExtractError> {
        self.model.extract_doc(doc, part, body)
    }

    /// Extract every order in every readable part of `input`.
    pub fn extract(&self, input: &ParsedInput) -> Extracted {
        let mut out = Extracted::default();
        let mut readable = 0;
        let email_date = input
            .email
            .as_ref()
            .and_then(|e| e.date.as_deref())
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.date_naive());
        for (idx, part) in input.parts.iter().enumerate() {
            match &part.content {
                PartContent::Failed { code, reason } => {
                    out.warnings
                        .push(format!("{}: {code}: {reason}", part.name));
                }
                PartContent::Parsed { doc } => {
                    if doc.flags.contains(&DocFlag::NoTextLayer) {
                        let why = if doc.notes.is_empty() {
                            "no OCR ran".to_string()
                        } else {
                            doc.notes.join("; ")
                        };
                        out.warnings.push(format!(
                            "{}: no_text_layer: a page has no text layer (scanned image) and OCR did not read it: {why}",
                            part.name
                        ));
                    } else {
                        out.warnings
                            .extend(doc.notes.iter().map(|n| format!("{}: {n}", part.name)));
                    }
                    if doc.word_count() == 0 {
                        continue;
                    }
                    readable += 1;
                    let read = match doc.edi.as_deref() {
                        // EDI: the standard defines every value; the model is not asked.
                        Some(edi) => {
                            out.warnings.extend(
                                edi.problems
                                    .iter()
                                    .map(|p| format!("{}: edi: {p}", part.name)),
                            );
                            Ok(edi.orders.clone())
                        }
                        None => self.extract_doc(
                            doc,
                            idx as u32,
                            input.email.is_some() && part.name.ends_with("body"),
                        ),
                    };
                    let orders = match read {
                        Ok(o) => o,
                        Err(e) => {
                            out.warnings
                                .push(format!("{}: extraction failed: {e}", part.name));
                            continue;
                        }
                    };
                    for mut order in orders {
                        if doc.flags.contains(&DocFlag::Ocr) {
                            // Read from pixels: every value is less sure than from a text layer.
                            order.map_confidence(|c| c * OCR_CONFIDENCE);
                        }
                        order.part = Some(part.name.clone());
                        if let Some(mail) =
                            input.email.as_ref().filter(|_| part.name.ends_with("body"))
                        {
                            email::apply(&mut order, doc, mail.subject.as_deref());
                        }
                        if let (Some(f), Some(sent)) = (order.order_date.as_mut(), email_date) {
                            let printed = f.source.as_ref().map(|s| s.text.as_str());
                            if let Some(other) =
                                printed.and_then(|p| normalize::nearer_reading(f.value, p, sent))
                            {
                                f.value = other;
                            }
                            // The send date settles a date the document left ambiguous.
                            if printed.is_some_and(|p| normalize::reading_settled(f.value, p, sent))
                            {
                                f.confidence = f.confidence.max(evidence::UNCHECKED);
                            }
                        }
                        if order.order_date.is_none() {
                            // An email PO with no date printed takes the email's date.
                            order.order_date = email_date.map(|d| Field::new(d, 0.9, None));
                        }
                        out.orders.push(order);
                    }
                }
            }
        }
        drop_cover_notes(&mut out.orders);
        out.unreadable = readable == 0;
        out
    }
}

/// Is this order read from an email's body (of the message or of a forwarded one)?
fn from_body(o: &Order) -> bool {
    o.part.as_deref().is_some_and(|p| p.ends_with("body"))
}

fn same_po(a: &Order, b: &Order) -> bool {
    let key = |o: &Order| {
        o.po_number
            .as_ref()
            .map(|f| crate::dedupe::po_key(&f.value))
    };
    key(a).is_some_and(|x| !x.is_empty() && Some(x) == key(b))
}

/// Is this order read from a forwarded message (inline or attached)?
fn from_forward(o: &Order) -> bool {
    from_body(o) && o.part.as_deref().is_some_and(|p| p.contains("fwd"))
}

/// A cover email ("please find attached PO 4711", a forward, a resend) is no order of its
/// own: when an attachment gave an order with items, a body order without items, or one
/// with the attachment's PO number, is the note that carried it. In a forward only the
/// newest message counts: a forwarded message's order goes when the note above it has items
/// of its own, and the note goes (as a cover note) when only the forwarded message has them.
fn drop_cover_notes(orders: &mut Vec<Order>) {
    let newest_has_items = orders
        .iter()
        .any(|o| from_body(o) && !from_forward(o) && !o.lines.is_empty());
    if newest_has_items {
        orders.retain(|o| !from_forward(o));
    } else if orders
        .iter()
        .any(|o| from_forward(o) && !o.lines.is_empty())
    {
        orders.retain(|o| from_forward(o) || !from_body(o) || !o.lines.is_empty());
    }
    let attached: Vec<Order> = orders
        .iter()
        .filter(|o| !from_body(o) && !o.lines.is_empty())
        .cloned()
        .collect();
    if attached.is_empty() {
        return;
    }
    orders.retain(|o| {
        !from_body(o) || !o.lines.is_empty() && !attached.iter().any(|a| same_po(a, o))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_left_out_inside_a_description_comes_back_from_its_cell() {
        let d = |s: &str| {
            s.split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        };
        let cell = "B4840A 48 x 40 BLOCK PALLETS";
        assert_eq!(
            fill_gaps(cell, &d("B4840A 48 40 BLOCK PALLETS")).as_deref(),
            Some("B4840A 48 x 40 BLOCK PALLETS")
        );
        // Whole already, or more than two words apart: the model's reading stands.
        assert_eq!(fill_gaps(cell, &d("B4840A 48 x 40 BLOCK PALLETS")), None);
        assert_eq!(fill_gaps("A b c d e F", &d("A F")), None);
    }

    fn row(desc: &str, q: f64, p: f64, a: f64) -> LineItem {
        LineItem {
            description: Some(Field::certain(desc.to_string())),
            quantity: Some(Field::certain(q)),
            unit_price: Some(Field::certain(p)),
            amount: Some(Field::certain(a)),
            ..LineItem::default()
        }
    }

    #[test]
    fn a_table_whose_rows_all_multiply_out_beats_a_model_that_read_text_rows_too() {
        let table = vec![
            row("IP 78.46.77.91, Server #57811", 1.0, 0.8403, 0.84),
            row("IP 178.63.90.222, Server #57811", 1.0, 0.8403, 0.84),
        ];
        let model = vec![
            row("IP Server", 1.0, 0.8403, 0.84),
            row("IP Server", 1.0, 0.8403, 0.84),
            row("5004 **** 6089", 1.0, 92.0, 77.0),
        ];
        let mut orders = vec![Order {
            lines: model.clone(),
            ..Order::default()
        }];
        merge_table_items(&mut orders, table.clone(), 1, Vec::new);
        assert_eq!(orders[0].lines, table);
        // A model row on a page the table never reached (no repeated header) keeps the
        // model's reading.
        let on_page = |mut l: LineItem, page: u32| {
            if let Some(f) = l.amount.as_mut() {
                f.source = Some(crate::domain::SourceSpan {
                    part: 0,
                    page,
                    bbox: [0.0; 4],
                    text: String::new(),
                });
            }
            l
        };
        let paged: Vec<LineItem> = table.iter().cloned().map(|l| on_page(l, 1)).collect();
        let mut orders = vec![Order {
            lines: vec![
                on_page(model[0].clone(), 1),
                on_page(model[1].clone(), 1),
                on_page(model[2].clone(), 2),
            ],
            ..Order::default()
        }];
        merge_table_items(&mut orders, paged, 1, Vec::new);
        assert_eq!(orders[0].lines.len(), 3);
        // A table of one row is no such evidence: the model's reading stands.
        let mut orders = vec![Order {
            lines: model.clone(),
            ..Order::default()
        }];
        merge_table_items(&mut orders, table[..1].to_vec(), 1, Vec::new);
        assert_eq!(orders[0].lines.len(), 3);
    }

    #[test]
    fn a_model_description_around_the_tables_cell_is_trimmed_to_the_cell() {
        // The header's last line ends at y 100 on page 1.
        let at = |mut l: LineItem, y: f32| {
            if let Some(d) = l.description.as_mut() {
                d.source = Some(crate::domain::SourceSpan {
                    part: 0,
                    page: 1,
                    bbox: [10.0, y, 200.0, y + 30.0],
                    text: d.value.clone(),
                });
            }
            l
        };
        let headers = [(1, 100.0)];
        let table = vec![at(row("MOTOR 11 KW, 15 HP", 4.0, 50000.0, 200000.0), 110.0)];
        let mut model = vec![
            at(
                row(
                    "Tower, VIP Square MOTOR 11 KW, 15 HP",
                    4.0,
                    50000.0,
                    200000.0,
                ),
                80.0,
            ),
            row("Weeks", 1.0, 2.0, 9.0),
        ];
        trim_descriptions_to_cells(&mut model, &table, &headers);
        let d: Vec<_> = model
            .iter()
            .map(|l| l.description.as_ref().map(|f| f.value.as_str()))
            .collect();
        assert_eq!(d, vec![Some("MOTOR 11 KW, 15 HP"), Some("Weeks")]);
        // A cell that is not inside the model's text changes nothing.
        let mut other = vec![at(row("Motor, cast iron", 4.0, 50000.0, 200000.0), 80.0)];
        trim_descriptions_to_cells(&mut other, &table, &headers);
        assert_eq!(
            other[0].description.as_ref().map(|f| f.value.as_str()),
            Some("Motor, cast iron")
        );
        // Text over the cell inside the table (the first line of a wrapped description) is
        // the row's own.
        let mut wrapped = vec![at(
            row("Hex screw MOTOR 11 KW, 15 HP", 4.0, 50000.0, 200000.0),
            105.0,
        )];
        trim_descriptions_to_cells(&mut wrapped, &table, &headers);
        assert_eq!(
            wrapped[0].description.as_ref().map(|f| f.value.as_str()),
            Some("Hex screw MOTOR 11 KW, 15 HP")
        );
    }

    #[test]
    fn an_order_without_a_priced_line_beside_a_priced_one_is_a_misreading() {
        let priced = LineItem {
            unit_price: Some(Field::certain(2.5)),
            ..LineItem::default()
        };
        let words = LineItem {
            description: Some(Field::certain("religion, sex".to_string())),
            ..LineItem::default()
        };
        let mut orders = vec![
            Order {
                lines: vec![priced.clone()],
                ..Order::default()
            },
            Order {
                total: Some(Field::certain(1350.72)),
                lines: vec![words.clone()],
                ..Order::default()
            },
        ];
        drop_unpriced_orders(&mut orders);
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].total.as_ref().map(|f| f.value), Some(1350.72));
        // Without any priced order nothing goes.
        let mut unpriced = vec![
            Order {
                lines: vec![words.clone()],
                ..Order::default()
            },
            Order {
                lines: vec![words],
                ..Order::default()
            },
        ];
        drop_unpriced_orders(&mut unpriced);
        assert_eq!(unpriced.len(), 2);
    }
    use crate::domain::LineItem;

    fn order(part: &str, po: &str, lines: usize) -> Order {
        Order {
            po_number: Some(Field::certain(po.to_string())),
            lines: vec![LineItem::default(); lines],
            part: Some(part.to_string()),
            ..Order::default()
        }
    }

    #[test]
    fn a_cover_email_beside_a_po_attachment_gives_one_order() {
        let mut orders = vec![order("body", "4711", 0), order("po-4711.pdf", "4711", 3)];
        drop_cover_notes(&mut orders);
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].part.as_deref(), Some("po-4711.pdf"));
        // The body repeating the attachment's PO with its items is the same order.
        let mut orders = vec![order("fwd1/body", "PO 4711", 2), order("po.pdf", "4711", 2)];
        drop_cover_notes(&mut orders);
        assert_eq!(orders.len(), 1);
    }

    #[test]
    fn only_the_newest_message_of_a_forward_counts() {
        // The note has items: the forwarded order goes.
        let mut orders = vec![order("body", "900", 2), order("fwd/body", "800", 3)];
        drop_cover_notes(&mut orders);
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].part.as_deref(), Some("body"));
        // The note has none: the forwarded order is the order.
        let mut orders = vec![order("body", "", 0), order("fwd/body", "800", 3)];
        drop_cover_notes(&mut orders);
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].part.as_deref(), Some("fwd/body"));
    }

    #[test]
    fn a_body_order_of_its_own_stays_beside_an_attachment() {
        let mut orders = vec![order("body", "900", 2), order("po.pdf", "4711", 3)];
        drop_cover_notes(&mut orders);
        assert_eq!(orders.len(), 2);
        // Without an attachment order, a body order is never dropped.
        let mut orders = vec![order("body", "4711", 0)];
        drop_cover_notes(&mut orders);
        assert_eq!(orders.len(), 1);
    }
}

/// Words for the decoder's unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::decode::LabeledWord;

    /// A word on page 1 at x on `line` (10 units per line), `width` wide, labelled with
    /// probability 0.9.
    pub(crate) fn word<'a>(
        text: &'a str,
        line: u32,
        x: f32,
        width: f32,
        label: &'a str,
    ) -> LabeledWord<'a> {
        LabeledWord {
            text,
            page: 1,
            line,
            bbox: [x, line as f32 * 10.0, x + width, line as f32 * 10.0 + 8.0],
            label,
            prob: 0.9,
        }
    }
}
