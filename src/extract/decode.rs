//! Word labels -> `Order`s.
//!
//! Labels are `O` or `<tag>-<field>` with the field names of the extraction contract. Tags:
//! `B` begins a value, `I` continues it (on the same or the next line), and for line-item
//! fields `S` begins a value that also starts a new line item. A line item also starts when
//! a field it already has appears again (so a missed `S` costs little), and a new order
//! starts when a different PO number appears after line items (several POs in one file).
//! Values are normalised with the document's locale; a field's confidence is the mean
//! probability of its words.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::normalize::{currency_code, parse_date, parse_number, Locale};
use super::rows::{
    absorb_stray_numbers, beyond_column_gap, fill_by_arithmetic, item_rows, join_split_rows,
    join_thousands_groups, reconcile_by_arithmetic, rows_by_band,
};
use crate::domain::{Field, LineItem, Order, SourceSpan};

/// One word as the decoder sees it.
#[derive(Debug, Clone)]
pub struct LabeledWord<'a> {
    pub text: &'a str,
    pub page: u32,
    pub line: u32,
    /// x0, y0, x1, y1 in page units.
    pub bbox: [f32; 4],
    pub label: &'a str,
    pub prob: f32,
}

pub use crate::contract::{HEADER_FIELDS, LINE_FIELDS as ITEM_FIELDS};

/// Every label a model for this decoder may emit, in a stable order.
pub fn label_set() -> Vec<String> {
    let mut v = vec!["O".to_string()];
    for f in HEADER_FIELDS {
        v.push(format!("B-{f}"));
        v.push(format!("I-{f}"));
    }
    for f in ITEM_FIELDS {
        v.push(format!("S-{f}"));
        v.push(format!("B-{f}"));
        v.push(format!("I-{f}"));
    }
    v
}

/// Prefix of a span's field for an alternate reading kept with an item (a weak second value
/// of a field the item holds): no rule reads it as its field; arithmetic may choose it.
pub(super) const ALTERNATE: &str = "alt:";

#[derive(Debug, Clone)]
pub(super) struct Span {
    pub(super) field: String,
    pub(super) starts_item: bool,
    /// Begun by an `I-` word that could not join the open span (other words came between):
    /// the rest of a value wrapped onto a later line (a code cut in a narrow column).
    pub(super) continues: bool,
    pub(super) words: Vec<usize>,
}

impl Span {
    /// A value the rules found or moved: no item start, no continuation.
    pub(super) fn plain(field: &str, words: Vec<usize>) -> Span {
        Span {
            field: field.to_string(),
            starts_item: false,
            continues: false,
            words,
        }
    }
}

fn split_label(label: &str) -> Option<(char, &str)> {
    let (tag, field) = label.split_once('-')?;
    let t = tag.chars().next()?;
    Some((t, field))
}

fn spans(words: &[LabeledWord<'_>]) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut open: Option<Span> = None;
    for (i, w) in words.iter().enumerate() {
        let Some((tag, field)) = split_label(w.label) else {
            if let Some(s) = open.take() {
                out.push(s);
            }
            continue;
        };
        if tag == 'I' {
            if let Some(s) = &mut open {
                let last = s.words.last().and_then(|&j| words.get(j));
                let adjacent = last.is_some_and(|l| l.page == w.page && w.line <= l.line + 2);
                if s.field == field && adjacent {
                    s.words.push(i);
                    continue;
                }
            }
        }
        if let Some(s) = open.take() {
            out.push(s);
        }
        open = Some(Span {
            field: field.to_string(),
            starts_item: tag == 'S',
            continues: tag == 'I',
            words: vec![i],
        });
    }
    if let Some(s) = open {
        out.push(s);
    }
    out
}

fn span_text(words: &[LabeledWord<'_>], s: &Span, line_sep: &str) -> String {
    let mut out = String::new();
    let mut last_line: Option<(u32, u32)> = None;
    for &i in &s.words {
        let Some(w) = words.get(i) else { continue };
        if let Some(l) = last_line {
            if l == (w.page, w.line) {
                out.push(' ');
            } else if !(line_sep == " " && joins_at_hyphen(&out, w.text)) {
                out.push_str(line_sep);
            }
        }
        out.push_str(w.text);
        last_line = Some((w.page, w.line));
    }
    out
}

/// Browsers and LibreOffice break a line after a hyphen ("PUN-" / "H-8X1,25-BL", "A2-" /
/// "70", "temp -" / "30"): the text printed across the break has no space there. True when
/// `before` ends in such a hyphen: one after a letter or digit, or a lone minus sign before
/// a number.
fn joins_at_hyphen(before: &str, next: &str) -> bool {
    let Some(head) = before.strip_suffix('-') else {
        return false;
    };
    match head.chars().last() {
        Some(c) if c.is_alphanumeric() => true,
        Some(c) if c.is_whitespace() => next.starts_with(|c: char| c.is_ascii_digit()),
        None => next.starts_with(|c: char| c.is_ascii_digit()),
        _ => false,
    }
}

fn span_conf(words: &[LabeledWord<'_>], s: &Span) -> f32 {
    let probs: Vec<f32> = s
        .words
        .iter()
        .filter_map(|&i| words.get(i).map(|w| w.prob))
        .collect();
    if probs.is_empty() {
        0.0
    } else {
        probs.iter().sum::<f32>() / probs.len() as f32
    }
}

fn span_source(words: &[LabeledWord<'_>], s: &Span, part: u32, text: &str) -> Option<SourceSpan> {
    let first = words.get(*s.words.first()?)?;
    let mut b = first.bbox;
    for &i in &s.words {
        if let Some(w) = words.get(i) {
            if w.page == first.page {
                b[0] = b[0].min(w.bbox[0]);
                b[1] = b[1].min(w.bbox[1]);
                b[2] = b[2].max(w.bbox[2]);
                b[3] = b[3].max(w.bbox[3]);
            }
        }
    }
    Some(SourceSpan {
        part,
        page: first.page,
        bbox: b,
        text: text.to_string(),
    })
}

/// The wrapped rest of two code columns side by side ("6ES7151-1FX" / "33" under the buyer's
/// code, "00-A2" under ours) is one line of words labelled alike: give each word to the code
/// field whose column it sits under. Returns false (nothing done) when a word is under
/// neither, and the caller falls back to plain continuation.
fn continue_codes_by_column(words: &[LabeledWord<'_>], item: &mut [Span], span: &Span) -> bool {
    let column_of = |s: &Span| -> Option<(f32, f32, u32, u32)> {
        let ws: Vec<&LabeledWord<'_>> = s.words.iter().filter_map(|&i| words.get(i)).collect();
        let first = ws.first()?;
        let x0 = ws.iter().map(|w| w.bbox[0]).fold(f32::MAX, f32::min);
        let x1 = ws.iter().map(|w| w.bbox[2]).fold(f32::MIN, f32::max);
        let last_line = ws.iter().map(|w| w.line).max().unwrap_or(first.line);
        Some((x0, x1, first.page, last_line))
    };
    let targets: Vec<(usize, (f32, f32, u32, u32))> = item
        .iter()
        .enumerate()
        .filter(|(_, s)| s.field == "sku" || s.field == "customer_part")
        .filter_map(|(i, s)| column_of(s).map(|c| (i, c)))
        .collect();
    if targets.is_empty() {
        return false;
    }
    let mut plan: Vec<(usize, usize)> = Vec::new();
    for &wi in &span.words {
        let Some(w) = words.get(wi) else { return false };
        let under = targets.iter().find(|(_, (x0, x1, page, line))| {
            *page == w.page
                && w.line > *line
                && w.line <= line + 2
                && w.bbox[0] < *x1
                && w.bbox[2] > *x0
        });
        match under {
            Some((ti, _)) => plan.push((*ti, wi)),
            None => return false,
        }
    }
    for (ti, wi) in plan {
        if let Some(t) = item.get_mut(ti) {
            t.words.push(wi);
        }
    }
    true
}

/// The rest of a code cut in its narrow cell ("A9F930-5B" / "B75") that the model began as a
/// new item's code: one word directly below the item's code, starting inside its column, on a
/// line where the model found no quantity, price or amount (a new row of a table with
/// numbers prints them on its first line). Joins it to the code; returns whether it did.
fn join_cut_code(words: &[LabeledWord<'_>], item: &mut [Span], span: &Span) -> bool {
    let [wi] = span.words[..] else {
        return false;
    };
    let Some(w) = words.get(wi) else { return false };
    let numeric = |s: &Span| matches!(s.field.as_str(), "quantity" | "unit_price" | "amount");
    if !item.iter().any(numeric) {
        return false;
    }
    let Some(code) = item.iter_mut().rev().find(|s| s.field == span.field) else {
        return false;
    };
    let Some(last) = code.words.last().and_then(|&i| words.get(i)) else {
        return false;
    };
    let in_column = w.page == last.page
        && w.line == last.line + 1
        && w.bbox[0] >= last.bbox[0] - 1.0
        && w.bbox[0] < last.bbox[2];
    let numbers_on_line = line_words(words, w.page, w.line).iter().any(|&i| {
        words.get(i).is_some_and(|x| {
            split_label(x.label)
                .is_some_and(|(_, f)| matches!(f, "quantity" | "unit_price" | "amount"))
        })
    });
    if !in_column || numbers_on_line {
        return false;
    }
    code.words.push(wi);
    true
}

/// The item's unit, when weakly read (p < 0.7), on the line of `strong` (a surer unit), and
/// printed right after a description word, was part of the description ("9 pcs"): it becomes
/// description, so the sure unit is the item's and opens no second item.
fn demote_unit_in_description(words: &[LabeledWord<'_>], item: &mut [Span], strong: &Span) {
    let line_of = |s: &Span| {
        s.words
            .first()
            .and_then(|&i| words.get(i))
            .map(|w| (w.page, w.line))
    };
    let desc: HashSet<usize> = item
        .iter()
        .filter(|s| s.field == "description")
        .flat_map(|s| s.words.iter().copied())
        .collect();
    for s in item.iter_mut().filter(|s| s.field == "uom") {
        let after_description = s
            .words
            .first()
            .and_then(|&i| i.checked_sub(1))
            .is_some_and(|i| desc.contains(&i));
        if line_of(s) == line_of(strong) && span_conf(words, s) < 0.7 && after_description {
            s.field = "description".to_string();
        }
    }
}

/// An address is one block: lines on top of each other, starting at about the same x. Side by
/// side "Bill to / Ship to" columns interleave in reading order, so a span can pick up words
/// of the neighbouring column or of a later block. Keep the column holding most of the span's
/// words, and in it the first run of lines without a gap.
fn address_block(words: &[LabeledWord<'_>], s: &Span) -> Span {
    // Per (page, line): the words of the span on it and where they start.
    let mut rows: Vec<((u32, u32), f32, Vec<usize>)> = Vec::new();
    for &i in &s.words {
        let Some(w) = words.get(i) else { continue };
        match rows.last_mut() {
            Some((key, _, ws)) if *key == (w.page, w.line) => {
                // A second run on the same line further right is another column.
                let prev_end = ws
                    .last()
                    .and_then(|&j| words.get(j))
                    .map(|p| p.bbox[2])
                    .unwrap_or(0.0);
                let gap = w.bbox[0] - prev_end;
                let height = (w.bbox[3] - w.bbox[1]).max(1.0);
                if gap > 3.0 * height {
                    rows.push(((w.page, w.line), w.bbox[0], vec![i]));
                } else {
                    ws.push(i);
                }
            }
            _ => rows.push(((w.page, w.line), w.bbox[0], vec![i])),
        }
    }
    if rows.len() <= 1 {
        return s.clone();
    }
    // Columns: rows whose start x is within a few character widths of each other.
    let tol = |i: usize| {
        words
            .get(i)
            .map(|w| 2.5 * (w.bbox[3] - w.bbox[1]).max(1.0))
            .unwrap_or(10.0)
    };
    let mut best: Option<(usize, f32)> = None;
    for (ri, (_, x0, _)) in rows.iter().enumerate() {
        let t = rows[ri].2.first().map(|&i| tol(i)).unwrap_or(10.0);
        let n: usize = rows
            .iter()
            .filter(|(_, x, _)| (x - x0).abs() <= t)
            .map(|(_, _, ws)| ws.len())
            .sum();
        if best.is_none_or(|(bn, _)| n > bn) {
            best = Some((n, *x0));
        }
    }
    let Some((_, col_x)) = best else {
        return s.clone();
    };
    let mut kept: Vec<usize> = Vec::new();
    let mut last_line: Option<(u32, u32)> = None;
    for ((page, line), x0, ws) in &rows {
        let t = ws.first().map(|&i| tol(i)).unwrap_or(10.0);
        if (x0 - col_x).abs() > t {
            continue;
        }
        if let Some((lp, ll)) = last_line {
            if *page != lp || *line > ll + 1 {
                break;
            }
        }
        kept.extend(ws);
        last_line = Some((*page, *line));
    }
    if kept.is_empty() {
        return s.clone();
    }
    Span {
        field: s.field.clone(),
        starts_item: s.starts_item,
        continues: s.continues,
        words: kept,
    }
}

/// An "item" with a description and nothing else (no code, quantity or price) is the rest of
/// the item above it: a description wrapped in its cell or a note under the line that the
/// model began as a new item. Its text joins the item above.
fn merge_orphan_descriptions(words: &[LabeledWord<'_>], items: &[Vec<Span>]) -> Vec<Vec<Span>> {
    let mut out: Vec<Vec<Span>> = Vec::new();
    for item in items {
        let orphan = item.iter().any(|s| s.field == "description")
            && item
                .iter()
                .all(|s| s.field == "description" || s.field == "uom");
        match out.last_mut() {
            Some(prev) if orphan => {
                let has_unit = prev.iter().any(|p| p.field == "uom");
                for s in item {
                    if s.field == "description" || !prev.iter().any(|p| p.field == s.field) {
                        prev.push(s.clone());
                    } else if has_unit && super::unit::opens_description(words, s) {
                        // "box of 200" wrapped under an item that prints its unit: the
                        // second "unit" opens a phrase of the description.
                        prev.push(Span {
                            field: "description".to_string(),
                            ..s.clone()
                        });
                    }
                }
            }
            _ => out.push(item.clone()),
        }
    }
    out
}

/// Whether `rest` starts under `head`: its first word overlaps the x range of `head`'s words.
fn same_column(words: &[LabeledWord<'_>], head: &Span, rest: &[usize]) -> bool {
    let Some(first) = rest.first().and_then(|&i| words.get(i)) else {
        return false;
    };
    head.words
        .iter()
        .filter_map(|&i| words.get(i))
        .any(|w| w.page == first.page && first.bbox[0] < w.bbox[2] && first.bbox[2] > w.bbox[0])
}

/// A code cut in a narrow column goes on in the same cell on the next line ("6ES7151-1FX" /
/// "33"); the model sometimes leaves the rest unlabelled. Take a free, code-like word (no
/// lower case, no spaces) that starts inside the cell directly below the code's last word.
fn wrapped_code(words: &[LabeledWord<'_>], s: &Span, used: &HashSet<usize>) -> Span {
    let mut out = s.clone();
    for _ in 0..2 {
        let Some(last) = out.words.last().and_then(|&i| words.get(i)) else {
            break;
        };
        let (x0, x1) = out
            .words
            .iter()
            .filter_map(|&i| words.get(i))
            .filter(|w| w.page == last.page)
            .fold((f32::MAX, f32::MIN), |(a, b), w| {
                (a.min(w.bbox[0]), b.max(w.bbox[2]))
            });
        let height = (last.bbox[3] - last.bbox[1]).max(1.0);
        let mut below = line_words(words, last.page, last.line + 1);
        // A code cut at its hyphen in a vertically centred row goes on under the row's middle
        // line, which prints nothing in this column.
        let in_column = |i: &usize| {
            words
                .get(*i)
                .is_some_and(|w| w.bbox[0] < x1 && w.bbox[2] > x0 - 1.0)
        };
        let mut reach = 0.8 * height;
        if last.text.ends_with('-') && !below.iter().any(in_column) {
            below = line_words(words, last.page, last.line + 2);
            reach = 2.0 * height;
        }
        let candidates: Vec<usize> = below
            .into_iter()
            .filter(|i| !used.contains(i) && !out.words.contains(i))
            .filter(|&i| {
                words.get(i).is_some_and(|w| {
                    w.label == "O"
                        && w.bbox[0] >= x0 - 1.0
                        && w.bbox[0] < x1
                        && w.bbox[2] <= x1 + height
                        && w.bbox[1] - last.bbox[3] < reach
                        && w.text.chars().any(|c| c.is_ascii_alphanumeric())
                        && w.text.chars().all(|c| {
                            c.is_ascii_uppercase() || c.is_ascii_digit() || "-./_".contains(c)
                        })
                })
            })
            .collect();
        // The rest opens its line in the cell: a word left of it inside the cell ("Werkszeugnis
        // 3.1 nach EN 10204", a note printed across the columns) means the line is no part of
        // the cell.
        let opens_cell = |i: usize| {
            let Some(w) = words.get(i) else { return false };
            !line_words(words, w.page, w.line).iter().any(|&j| {
                j != i
                    && words
                        .get(j)
                        .is_some_and(|o| o.bbox[0] < w.bbox[0] && o.bbox[2] > x0 - 1.0)
            })
        };
        match candidates.as_slice() {
            [one] if opens_cell(*one) => out.words.push(*one),
            _ => break,
        }
    }
    out
}

/// A buyer is a name on one line: keep the words of the span's first line and complete them
/// to the run they stand in ("Castings" of "Fenwick Castings (UK) Ltd"); words the model
/// carried on to later lines (a table header, a second address) are not part of it.
fn buyer_name(words: &[LabeledWord<'_>], s: &Span) -> Span {
    let Some(first) = s.words.first().and_then(|&i| words.get(i)) else {
        return s.clone();
    };
    let key = (first.page, first.line);
    let mut out: Vec<usize> = Vec::new();
    for &i in &s.words {
        if words.get(i).is_some_and(|w| (w.page, w.line) == key) {
            for j in line_run(words, i, &s.field, 1.0) {
                if !out.contains(&j) {
                    out.push(j);
                }
            }
        }
    }
    out.sort_unstable();
    Span {
        field: s.field.clone(),
        starts_item: s.starts_item,
        continues: s.continues,
        words: out,
    }
}

/// Indices of the words on one printed line, left to right.
/// Is the span on a bank account's line ("IBAN GBP NL07INGB…", "Bank account (USD)")? The
/// currency there is the account's, not the order's.
fn on_bank_line(words: &[LabeledWord<'_>], s: &Span) -> bool {
    let Some(w) = s.words.first().and_then(|&i| words.get(i)) else {
        return false;
    };
    line_words(words, w.page, w.line).iter().any(|&i| {
        words.get(i).is_some_and(|o| {
            let t = o
                .text
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            matches!(
                t.as_str(),
                "iban" | "swift" | "bic" | "bank" | "account" | "acct" | "a/c" | "konto" | "compte"
            )
        })
    })
}

/// A description line goes on to the words the model left unlabelled one word space after
/// its last ("CHEP BLOCK" + "PALLET"): text runs on where nothing parts it.
fn to_line_ends(words: &[LabeledWord<'_>], s: &Span, used: &HashSet<usize>) -> Span {
    let mut out = s.clone();
    let mut ends: Vec<usize> = Vec::new();
    for &i in &s.words {
        let Some(w) = words.get(i) else { continue };
        match ends.iter_mut().find(|e| {
            words
                .get(**e)
                .is_some_and(|o| (o.page, o.line) == (w.page, w.line))
        }) {
            Some(e) if words.get(*e).is_some_and(|o| o.bbox[0] < w.bbox[0]) => *e = i,
            Some(_) => {}
            None => ends.push(i),
        }
    }
    for end in ends {
        let Some(w) = words.get(end) else { continue };
        let row = line_words(words, w.page, w.line);
        let Some(pos) = row.iter().position(|&i| i == end) else {
            continue;
        };
        let height = (w.bbox[3] - w.bbox[1]).max(1.0);
        let mut last = end;
        for &next in &row[pos + 1..] {
            let (Some(l), Some(r)) = (words.get(last), words.get(next)) else {
                break;
            };
            let free = r.label == "O"
                && !used.contains(&next)
                && !out.words.contains(&next)
                && r.text.chars().any(char::is_alphabetic)
                && !r.text.ends_with(':');
            if !free || r.bbox[0] - l.bbox[2] > 0.6 * height {
                break;
            }
            out.words.push(next);
            last = next;
        }
    }
    out.words.sort_unstable();
    out
}

fn line_words(words: &[LabeledWord<'_>], page: u32, line: u32) -> Vec<usize> {
    let mut v: Vec<usize> = (0..words.len())
        .filter(|&i| {
            words
                .get(i)
                .is_some_and(|w| w.page == page && w.line == line)
        })
        .collect();
    v.sort_by(|&a, &b| {
        let xa = words.get(a).map_or(0.0, |w| w.bbox[0]);
        let xb = words.get(b).map_or(0.0, |w| w.bbox[0]);
        xa.total_cmp(&xb)
    });
    v
}

/// Does this label belong to another field than `field` (an `O` word may be part of it)?
fn other_field(label: &str, field: &str) -> bool {
    label != "O" && split_label(label).is_none_or(|(_, f)| f != field)
}

/// The run of words on a line that contains `seed` (a labelled word): neighbours closer than
/// `gap` word heights, not labelled as another field and not a "Label:" of their own. The
/// model often leaves a house number, a postcode or "Ltd" of a labelled line as `O`.
fn line_run(words: &[LabeledWord<'_>], seed: usize, field: &str, gap: f32) -> Vec<usize> {
    let Some(sw) = words.get(seed) else {
        return vec![seed];
    };
    let row = line_words(words, sw.page, sw.line);
    let Some(pos) = row.iter().position(|&i| i == seed) else {
        return vec![seed];
    };
    let height = (sw.bbox[3] - sw.bbox[1]).max(1.0);
    let joins = |a: usize, b: usize| -> bool {
        let (Some(l), Some(r)) = (words.get(a), words.get(b)) else {
            return false;
        };
        r.bbox[0] - l.bbox[2] < gap * height
    };
    // A standalone dash, bar or bullet separates two things printed on one line
    // ("Acme Ltd — Purchase Order").
    let separator = |t: &str| !t.is_empty() && t.chars().all(|c| "—–-|·•/".contains(c));
    let usable = |i: usize| {
        words.get(i).is_some_and(|w| {
            !other_field(w.label, field) && !w.text.ends_with(':') && !separator(w.text)
        })
    };
    let mut lo = pos;
    while lo > 0 && usable(row[lo - 1]) && joins(row[lo - 1], row[lo]) {
        lo -= 1;
    }
    let mut hi = pos;
    while hi + 1 < row.len() && usable(row[hi + 1]) && joins(row[hi], row[hi + 1]) {
        hi += 1;
    }
    row[lo..=hi].to_vec()
}

/// Complete an address block: every labelled line gets its whole run of words, and a line
/// directly below that starts in the same column and carries no other field's label (the
/// country the model left out) joins it.
fn complete_block(words: &[LabeledWord<'_>], s: &Span) -> Span {
    let field = s.field.as_str();
    let mut lines: Vec<(u32, u32)> = Vec::new();
    for &i in &s.words {
        if let Some(w) = words.get(i) {
            if !lines.contains(&(w.page, w.line)) {
                lines.push((w.page, w.line));
            }
        }
    }
    let Some(first) = s.words.first().and_then(|&i| words.get(i)) else {
        return s.clone();
    };
    let col_x = s
        .words
        .iter()
        .filter_map(|&i| words.get(i))
        .map(|w| w.bbox[0])
        .fold(f32::MAX, f32::min);
    let height = (first.bbox[3] - first.bbox[1]).max(1.0);
    let mut out: Vec<usize> = Vec::new();
    let push_run = |run: Vec<usize>, out: &mut Vec<usize>| {
        for i in run {
            if !out.contains(&i) {
                out.push(i);
            }
        }
    };
    for &(page, line) in &lines {
        for &i in s.words.iter() {
            if words
                .get(i)
                .is_some_and(|w| (w.page, w.line) == (page, line))
            {
                push_run(line_run(words, i, field, 1.5), &mut out);
            }
        }
    }
    // Lines below the last labelled one, while they continue the block.
    let (mut page, mut line) = lines.last().copied().unwrap_or((first.page, first.line));
    for _ in 0..2 {
        let last_bottom = out
            .iter()
            .filter_map(|&i| words.get(i))
            .filter(|w| (w.page, w.line) == (page, line))
            .map(|w| w.bbox[3])
            .fold(f32::MIN, f32::max);
        let row = line_words(words, page, line + 1);
        let Some(&start) = row.iter().find(|&&i| {
            words
                .get(i)
                .is_some_and(|w| (w.bbox[0] - col_x).abs() <= 1.5 * height)
        }) else {
            break;
        };
        let Some(sw) = words.get(start) else { break };
        let close_below = sw.bbox[1] - last_bottom <= 0.9 * height;
        // Contact lines, an e-mail's sign-off and the heading of the next block are not part
        // of an address.
        let contact = [
            "tel",
            "phone",
            "fax",
            "e-mail",
            "email",
            "attn",
            "contact",
            "thank",
            "regards",
            "best",
            "kind",
            "cheers",
            "sincerely",
            "mit",
            "viele",
            "gruß",
            "please",
            "vendor",
            "supplier",
            "bill",
            "invoice",
            "ship",
            "deliver",
            "sold",
            "payment",
            "terms",
            "order",
            "lieferant",
            "rechnung",
            "liefer",
        ]
        .iter()
        .any(|p| sw.text.to_lowercase().starts_with(p));
        if !close_below || contact || sw.label != "O" || sw.text.ends_with(':') {
            break;
        }
        let run = line_run(words, start, field, 1.5);
        if run.len() > 6
            || run
                .iter()
                .any(|&i| words.get(i).is_some_and(|w| w.label != "O"))
        {
            break;
        }
        push_run(run, &mut out);
        line += 1;
        page = sw.page;
    }
    // Reading order: by line, then left to right.
    out.sort_by(|&a, &b| {
        let ka = words.get(a).map(|w| (w.page, w.line, w.bbox[0]));
        let kb = words.get(b).map(|w| (w.page, w.line, w.bbox[0]));
        ka.partial_cmp(&kb).unwrap_or(std::cmp::Ordering::Equal)
    });
    Span {
        field: s.field.clone(),
        starts_item: s.starts_item,
        continues: s.continues,
        words: out,
    }
}

#[derive(Default)]
struct OrderAcc {
    header: Vec<Span>,
    items: Vec<Vec<Span>>,
}

impl OrderAcc {
    fn is_empty(&self) -> bool {
        self.header.is_empty() && self.items.is_empty()
    }
}

/// What the layout's table finder read of an item table's header line: the columns it names,
/// which a person reading an unfamiliar form looks at before the rows.
#[derive(Debug, Clone, Default)]
pub struct HeaderHint {
    pub page: u32,
    /// Bottom of the header's last line: the rows below it are the table's (until the next
    /// header on the page).
    pub below: f32,
    /// The header names a unit column ("UoM", "Unit").
    pub unit_column: bool,
    /// Where the description column's cells may print: from its label's left edge to the
    /// next column's label.
    pub description: Option<(f32, f32)>,
}

/// The header of the table `w` is printed under, if the layout found one.
pub(super) fn header_of<'h>(
    hints: &'h [HeaderHint],
    w: &LabeledWord<'_>,
) -> Option<&'h HeaderHint> {
    hints
        .iter()
        .filter(|h| h.page == w.page && h.below <= w.bbox[1] + 1.0)
        .max_by(|a, b| a.below.total_cmp(&b.below))
}

/// Turn labelled words of one part into orders. Returns no order when nothing was labelled
/// as an order field (a chatty email, a terms page).
pub fn decode(words: &[LabeledWord<'_>], part: u32, locale: Locale) -> Vec<Order> {
    decode_with(words, part, locale, &[])
}

/// [`decode`], with what the layout read of the item tables' headers (`hints`).
pub fn decode_with(
    words: &[LabeledWord<'_>],
    part: u32,
    locale: Locale,
    hints: &[HeaderHint],
) -> Vec<Order> {
    let mut orders: Vec<OrderAcc> = vec![OrderAcc::default()];
    let enders = table_end_lines(words);
    for span in join_thousands_groups(words, spans(words)) {
        let Some(acc) = orders.last_mut() else { break };
        if HEADER_FIELDS.contains(&span.field.as_str()) {
            if span.field == "po_number" && !acc.items.is_empty() {
                let new_po = span_text(words, &span, " ");
                let current = acc
                    .header
                    .iter()
                    .find(|s| s.field == "po_number")
                    .map(|s| span_text(words, s, " "));
                // A weakly read number (a code cut at its hyphen read as a PO number) does
                // not open a second order.
                if current.as_ref().is_some_and(|c| *c != new_po)
                    && span_conf(words, &span) < SECOND_PO_CONF
                {
                    continue;
                }
                if current.is_some_and(|c| c != new_po) {
                    orders.push(OrderAcc {
                        header: vec![span],
                        items: vec![],
                    });
                    continue;
                }
            }
            if span.continues {
                if let Some(prev) = acc.header.iter_mut().rev().find(|s| s.field == span.field) {
                    prev.words.extend(span.words);
                    continue;
                }
            }
            acc.header.push(span);
        } else if ITEM_FIELDS.contains(&span.field.as_str()) {
            // Text below the line that closes the table ("Total 35,923.55", then "Notes: ...")
            // is no continuation of the last item's description.
            if span.field == "description" && !span.starts_item {
                if let Some(item) = acc.items.last() {
                    if past_table_end(words, &enders, item, &span) {
                        continue;
                    }
                }
            }
            if span.continues && matches!(span.field.as_str(), "sku" | "customer_part") {
                if let Some(item) = acc.items.last_mut() {
                    if continue_codes_by_column(words, item, &span) {
                        continue;
                    }
                }
            }
            if span.continues {
                if let Some(prev) = acc
                    .items
                    .last_mut()
                    .and_then(|item| item.iter_mut().rev().find(|s| s.field == span.field))
                {
                    // The rest of a code prints in the code's own column; a digit wrapped in
                    // another column's cell (an HTS code's) is no part of it, nor the start of
                    // an item: it stays with the item as an alternate reading.
                    // Each word is judged on its own: a span can run from the code's rest
                    // on to a word in the description column ("634" / "M5x20").
                    let code = matches!(span.field.as_str(), "sku" | "customer_part");
                    if !code {
                        prev.words.extend(span.words);
                        continue;
                    }
                    let (inside, outside): (Vec<usize>, Vec<usize>) = span
                        .words
                        .iter()
                        .partition(|&&wi| same_column(words, prev, &[wi]));
                    prev.words.extend(inside);
                    if !outside.is_empty() {
                        if let Some(item) = acc.items.last_mut() {
                            item.push(Span {
                                field: format!("{ALTERNATE}{}", span.field),
                                words: outside,
                                ..span
                            });
                        }
                    }
                    continue;
                }
            }
            // A code cut at a hyphen in a narrow column ("FST-M12X12-" / "A2") goes on below
            // its first part; the model may begin the rest as a new value.
            if matches!(span.field.as_str(), "sku" | "customer_part") {
                if let Some(prev) = acc
                    .items
                    .last_mut()
                    .and_then(|item| item.iter_mut().rev().find(|s| s.field == span.field))
                {
                    let last = prev.words.last().and_then(|&i| words.get(i));
                    let first = span.words.first().and_then(|&i| words.get(i));
                    if let (Some(l), Some(f)) = (last, first) {
                        let below = f.page == l.page && f.line > l.line && f.line <= l.line + 2;
                        let same_column = f.bbox[0] < l.bbox[2] && f.bbox[2] > l.bbox[0] - 1.0;
                        // The rest is the nearest word below in the column: past a word
                        // between them ("SAF-5162-" / "M"), a code is the next item's.
                        let skipped = words.iter().any(|x| {
                            x.page == l.page
                                && x.line > l.line
                                && x.line < f.line
                                && x.bbox[0] < l.bbox[2]
                                && x.bbox[2] > l.bbox[0]
                        });
                        if l.text.ends_with('-') && below && same_column && !skipped {
                            prev.words.extend(span.words);
                            continue;
                        }
                    }
                }
            }
            if !span.continues && matches!(span.field.as_str(), "sku" | "customer_part") {
                if let Some(item) = acc.items.last_mut() {
                    if join_cut_code(words, item, &span) {
                        continue;
                    }
                }
            }
            // A field the item already holds, weakly labelled and not marked as a new item's
            // start, is a stray (a date wrapped in a narrow cell read as a price), not the
            // start of a phantom item that would take the description lines below. It stays
            // with the item as an alternate reading: the row's real quantity beside a row
            // number read as one, which arithmetic can pick (`reconcile_by_arithmetic`).
            // A unit inside the description ("9 pcs"), weakly read, and the row's real unit
            // after it on the same line: the first is description, not a second item's unit.
            if span.field == "uom" && !span.starts_item && span_conf(words, &span) >= 0.9 {
                if let Some(item) = acc.items.last_mut() {
                    demote_unit_in_description(words, item, &span);
                }
            }
            // A second unit that opens a description phrase ("box of 100" under the row) is
            // description, not the start of an item that would take the lines below.
            if span.field == "uom"
                && !span.starts_item
                && super::unit::opens_description(words, &span)
            {
                if let Some(item) = acc
                    .items
                    .last_mut()
                    .filter(|item| item.iter().any(|s| s.field == "uom"))
                {
                    item.push(Span {
                        field: "description".to_string(),
                        ..span
                    });
                    continue;
                }
            }
            // A second price (or amount) on the row of the first: an "Extended Price" column
            // before "Price" read as two prices. It is no new item; arithmetic picks the
            // reading (`reconcile_by_arithmetic`).
            // Likewise a second quantity on the row (a date wrapped in its cell, "12" /
            // "January" / "2021"): the surer of the two is the quantity. Either way a row
            // opens one item, and a misread does not shift every item below it.
            // A second code on the row of the first (an EAN or manufacturer column read as a
            // second customer part) is no new item either: the code cut around it would lose
            // its wrapped rest, and the row its numbers.
            if matches!(
                span.field.as_str(),
                "quantity" | "unit_price" | "amount" | "sku" | "customer_part"
            ) && !span.starts_item
            {
                let line_of = |s: &Span| {
                    s.words
                        .first()
                        .and_then(|&i| words.get(i))
                        .map(|w| (w.page, w.line))
                };
                let line = line_of(&span);
                if let Some(item) = acc.items.last_mut() {
                    // A row number read as the quantity opened the item: the row rules
                    // (`join_split_rows`) drop it, so it is no quantity to weigh.
                    if let Some(held) = item.iter_mut().find(|s| {
                        s.field == span.field
                            && line_of(s) == line
                            && !(s.field == "quantity" && s.starts_item)
                    }) {
                        let mut span = span;
                        // Of two codes, a barcode number (GTIN) is not the part number,
                        // however sure the model was.
                        let rank = |s: &Span| {
                            let text = span_text(words, s, "");
                            (!barcode_shaped(&text), span_conf(words, s))
                        };
                        let better = if matches!(span.field.as_str(), "sku" | "customer_part") {
                            rank(&span) > rank(held)
                        } else {
                            span_conf(words, &span) > span_conf(words, held)
                        };
                        if better {
                            std::mem::swap(&mut held.words, &mut span.words);
                        }
                        span.field = format!("{ALTERNATE}{}", span.field);
                        item.push(span);
                        continue;
                    }
                }
            }
            // A number wrapped in another column's cell on the row's next lines ("6153-4" /
            // "35" read as an amount) stands apart from the row's own value of the field:
            // a new row's value would stand in that value's column.
            // (A number in the description's column is its end, "box of" / "100":
            // `absorb_stray_numbers`.)
            let off_column = |item: &Vec<Span>| {
                matches!(span.field.as_str(), "quantity" | "unit_price" | "amount")
                    // a row, not a lone number (that is `absorb_stray_numbers`' to judge)
                    && item.iter().any(|s| {
                        matches!(s.field.as_str(), "sku" | "customer_part" | "description")
                    })
                    && !item
                        .iter()
                        .filter(|s| s.field == "description")
                        .any(|d| !off_column_below(words, d, &span, u32::MAX))
                    && item
                        .iter()
                        .filter(|s| s.field == span.field)
                        .any(|held| off_column_below(words, held, &span, 3))
            };
            let weak_repeat = acc.items.last_mut().filter(|item| {
                !span.starts_item
                    && span.field != "description"
                    && item.iter().any(|s| s.field == span.field)
                    && (span_conf(words, &span) < 0.6 || off_column(item))
            });
            if let Some(item) = weak_repeat {
                item.push(Span {
                    field: format!("{ALTERNATE}{}", span.field),
                    ..span
                });
                continue;
            }
            let new_item = match acc.items.last() {
                None => true,
                Some(item) => {
                    span.starts_item
                        || (span.field != "description"
                            && item.iter().any(|s| s.field == span.field))
                }
            };
            if new_item {
                acc.items.push(vec![span]);
            } else if let Some(item) = acc.items.last_mut() {
                item.push(span);
            }
        }
    }
    orders.retain(|o| !o.is_empty());
    let single_order = orders.len() == 1;
    let mut out: Vec<Order> = orders
        .iter()
        .filter_map(|o| build_order(words, o, part, locale, single_order, hints))
        .collect();
    // One order without a PO number: look for one by its printed label (with several orders
    // the label cannot say which order it belongs to).
    if let [only] = out.as_mut_slice() {
        if only.po_number.is_none() {
            only.po_number = po_number_by_label(words, part);
        }
    }
    out
}

/// The lines (page, line) that close an item table: they open with a total's label.
fn table_end_lines(words: &[LabeledWord<'_>]) -> Vec<(u32, u32)> {
    let mut lines: std::collections::BTreeMap<(u32, u32), Vec<&LabeledWord<'_>>> =
        std::collections::BTreeMap::new();
    for w in words {
        lines.entry((w.page, w.line)).or_default().push(w);
    }
    lines
        .into_iter()
        .filter(|(_, ws)| {
            let mut ws = ws.clone();
            ws.sort_by(|a, b| a.bbox[0].total_cmp(&b.bbox[0]));
            let text: Vec<&str> = ws.iter().map(|w| w.text).collect();
            crate::layout::lexicon::ends_table(&text.join(" "))
        })
        .map(|(key, _)| key)
        .collect()
}

/// Whether a table-closing line stands between the item's last word and the span's first.
fn past_table_end(
    words: &[LabeledWord<'_>],
    enders: &[(u32, u32)],
    item: &[Span],
    span: &Span,
) -> bool {
    let at = |i: &usize| words.get(*i).map(|w| (w.page, w.line));
    let last = item
        .iter()
        .flat_map(|s| s.words.iter())
        .filter_map(at)
        .max();
    let first = span.words.iter().filter_map(at).min();
    match (last, first) {
        (Some(last), Some(first)) => enders.iter().any(|e| *e > last && *e < first),
        _ => false,
    }
}

/// A GTIN (UPC-A, EAN-13, GTIN-14): 12 to 14 digits and nothing else. Printed in its own
/// column beside the part numbers; a customer's part number of that shape is rare.
fn barcode_shaped(text: &str) -> bool {
    (12..=14).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// Is `span` printed on one of the next `lines` lines below `held` and outside its column
/// (no horizontal overlap)?
fn off_column_below(words: &[LabeledWord<'_>], held: &Span, span: &Span, lines: u32) -> bool {
    let bounds = |s: &Span| {
        let ws: Vec<&LabeledWord<'_>> = s.words.iter().filter_map(|&i| words.get(i)).collect();
        let first = ws.first()?;
        let x0 = ws.iter().map(|w| w.bbox[0]).fold(f32::MAX, f32::min);
        let x1 = ws.iter().map(|w| w.bbox[2]).fold(f32::MIN, f32::max);
        Some((first.page, first.line, x0, x1))
    };
    let (Some((hp, hl, hx0, hx1)), Some((sp, sl, sx0, sx1))) = (bounds(held), bounds(span)) else {
        return false;
    };
    hp == sp && sl > hl && sl <= hl.saturating_add(lines) && (sx1 < hx0 || sx0 > hx1)
}

/// `RUST_LOG=po_intake::items=trace`: each item's spans, as the model grouped them and as
/// they are read.
fn trace_items(words: &[LabeledWord<'_>], what: &str, items: &[Vec<Span>]) {
    if !tracing::enabled!(target: "po_intake::items", tracing::Level::TRACE) {
        return;
    }
    for item in items {
        let spans: Vec<String> = item
            .iter()
            .map(|s| format!("{}={:?}", s.field, span_text(words, s, "/")))
            .collect();
        tracing::trace!(target: "po_intake::items", "{what} {}", spans.join(" "));
    }
}

fn text_field(words: &[LabeledWord<'_>], s: &Span, part: u32, sep: &str) -> Field<String> {
    let text = span_text(words, s, sep);
    let src = span_source(words, s, part, &text);
    Field::new(text.trim().to_string(), span_conf(words, s), src)
}

/// "1 150.11" and "8 885" print a thousands group as its own word; the model may label only
/// the last group, or only the first. Pull in directly preceding groups of 1-3 digits on the
/// same line, or the unlabelled group of three digits right after a lone 1-3 digit value.
fn with_thousands_groups(words: &[LabeledWord<'_>], s: &Span) -> Span {
    let mut out = s.clone();
    while let Some(&first) = out.words.first() {
        let (Some(prev_i), Some(f)) = (first.checked_sub(1), words.get(first)) else {
            break;
        };
        let Some(p) = words.get(prev_i) else { break };
        let group = |t: &str| t.len() == 3 && t.bytes().all(|b| b.is_ascii_digit());
        let head = f.text.split(['.', ',']).next().unwrap_or("");
        let height = (f.bbox[3] - f.bbox[1]).max(1.0);
        let close = p.page == f.page && p.line == f.line && f.bbox[0] - p.bbox[2] < 0.7 * height;
        let short = (1..=3).contains(&p.text.len()) && p.text.bytes().all(|b| b.is_ascii_digit());
        if close && short && group(head) && p.label == "O" {
            out.words.insert(0, prev_i);
        } else {
            break;
        }
    }
    // And the groups after a labelled lead ("1" then an unlabelled "000").
    while let Some(&last) = out.words.last() {
        let (Some(l), Some(n)) = (words.get(last), words.get(last + 1)) else {
            break;
        };
        let lead = out.words.len() == 1
            && (1..=3).contains(&l.text.len())
            && l.text.bytes().all(|b| b.is_ascii_digit());
        let head = n.text.split(['.', ',']).next().unwrap_or("");
        let group = head.len() == 3 && head.bytes().all(|b| b.is_ascii_digit());
        let height = (n.bbox[3] - n.bbox[1]).max(1.0);
        let close = l.page == n.page && l.line == n.line && n.bbox[0] - l.bbox[2] < 0.7 * height;
        if lead && group && close && n.label == "O" {
            out.words.push(last + 1);
        } else {
            break;
        }
    }
    wrapped_thousands_group(words, out)
}

/// A narrow, vertically centred cell wraps "390 864.25" or "2 500" at its space: the lead
/// group prints right-aligned over the rest, possibly with a line of a neighbouring cell
/// between them, and the model labels one half. The unlabelled half joins: a lead of 1-3
/// digits directly above a value that starts with a group of three digits, or such a group
/// directly below a lone lead.
fn wrapped_thousands_group(words: &[LabeledWord<'_>], s: Span) -> Span {
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let lead_like = |t: &str| (1..=3).contains(&t.len()) && digits(t);
    let group_like = |t: &str| {
        let head = t.split(['.', ',']).next().unwrap_or("");
        head.len() == 3 && digits(head)
    };
    // `upper` directly above `lower` in the same right-aligned column.
    let stacked = |upper: &LabeledWord<'_>, lower: &LabeledWord<'_>| {
        let height = (lower.bbox[3] - lower.bbox[1]).max(1.0);
        upper.page == lower.page
            && upper.line != lower.line
            && lower.bbox[1] >= upper.bbox[3] - 0.2 * height
            && lower.bbox[1] - upper.bbox[3] < 1.5 * height
            && (upper.bbox[2] - lower.bbox[2]).abs() < 0.5 * height
    };
    let free = |i: usize| words.get(i).filter(|w| w.label == "O");
    // Within three text lines (cells of a row interleave their lines).
    let near = |i: usize, w: &LabeledWord<'_>| {
        words
            .get(i)
            .is_some_and(|n| n.page == w.page && n.line.abs_diff(w.line) <= 3)
    };
    // Totals stand in a column of sums, one above the other ("Subtotal 188" over "Total
    // 188"): a number there is whole on its line.
    if !matches!(s.field.as_str(), "quantity" | "unit_price" | "amount") {
        return s;
    }
    let mut out = s;
    match out.words[..] {
        [one] => {
            let Some(w) = words.get(one) else { return out };
            if lead_like(w.text) {
                let rest = (one + 1..words.len())
                    .take_while(|&i| near(i, w))
                    .find(|&i| free(i).is_some_and(|n| group_like(n.text) && stacked(w, n)));
                if let Some(i) = rest {
                    out.words.push(i);
                    return out;
                }
            }
            // "13'168" / ".75" or "6'790." / "50": wrapped at its decimal point.
            let cut_at_point = w.text.ends_with(['.', ',']);
            let decimals = |t: &str| {
                let d = if cut_at_point {
                    Some(t)
                } else {
                    t.strip_prefix(['.', ','])
                };
                d.is_some_and(|d| (1..=6).contains(&d.len()) && digits(d))
            };
            if w.text.ends_with(|c: char| c.is_ascii_digit()) || cut_at_point {
                let rest = (one + 1..words.len())
                    .take_while(|&i| near(i, w))
                    .find(|&i| free(i).is_some_and(|n| decimals(n.text) && stacked(w, n)));
                if let Some(i) = rest {
                    out.words.push(i);
                    return out;
                }
            }
            if group_like(w.text) {
                let lead = (0..one)
                    .rev()
                    .take_while(|&i| near(i, w))
                    .find(|&i| free(i).is_some_and(|p| lead_like(p.text) && stacked(p, w)));
                if let Some(i) = lead {
                    out.words.insert(0, i);
                }
            }
            out
        }
        _ => out,
    }
}

/// A number wrapped in its narrow cell goes on *below* it; a word on a later line outside the
/// first line's column (a row number "003" under a quantity's row) is not part of it.
fn in_first_column(words: &[LabeledWord<'_>], s: &Span) -> Span {
    let Some(first) = s.words.first().and_then(|&i| words.get(i)) else {
        return s.clone();
    };
    let (x0, x1) = s
        .words
        .iter()
        .filter_map(|&i| words.get(i))
        .filter(|w| w.page == first.page && w.line == first.line)
        .fold((f32::MAX, f32::MIN), |(a, b), w| {
            (a.min(w.bbox[0]), b.max(w.bbox[2]))
        });
    let mut out = s.clone();
    out.words.retain(|&i| {
        words.get(i).is_some_and(|w| {
            (w.page == first.page && w.line == first.line)
                || (w.bbox[0] < x1 + 2.0 && w.bbox[2] > x0 - 2.0)
        })
    });
    out
}

pub(super) fn num_field(
    words: &[LabeledWord<'_>],
    s: &Span,
    part: u32,
    locale: Locale,
) -> Option<Field<f64>> {
    let s = &in_first_column(words, &with_thousands_groups(words, s));
    // A number wrapped in a narrow column ("2500." / "000") is one number.
    let text = span_text(words, s, "");
    let v = parse_number(&text, locale)?;
    let src = span_source(words, s, part, &text);
    Some(Field::new(v, span_conf(words, s), src))
}

fn build_order(
    words: &[LabeledWord<'_>],
    acc: &OrderAcc,
    part: u32,
    locale: Locale,
    single_order: bool,
    hints: &[HeaderHint],
) -> Option<Order> {
    let header = |f: &'static str| acc.header.iter().filter(move |s| s.field == f);
    let best = |f: &'static str| {
        header(f).max_by(|a, b| span_conf(words, a).total_cmp(&span_conf(words, b)))
    };
    let po_number = best("po_number").map(|s| {
        let mut f = text_field(words, s, part, " ");
        f.value = f
            .value
            .trim_matches(|c: char| c == ':' || c == '#' || c == ',')
            .to_string();
        f
    });
    let order_date = header("order_date").find_map(|s| {
        let text = span_text(words, s, " ");
        let d: NaiveDate = parse_date(&text, locale)?;
        Some(Field::new(
            d,
            span_conf(words, s),
            span_source(words, s, part, &text),
        ))
    });
    let buyer = header("buyer")
        .next()
        .map(|s| buyer_name(words, s))
        .map(|s| text_field(words, &s, part, " "));
    // All ship-to words together: the model may begin the address anew on every line.
    let model_ship = header("ship_to").cloned().reduce(|mut a, b| {
        a.words.extend(b.words);
        a
    });
    let ship_words = model_ship.as_ref().map_or(&[][..], |s| &s.words[..]);
    let ship_to = match super::address::headed_ship_to(words, ship_words, single_order) {
        // The block under its heading; as sure as the model was of the words it agreed on.
        Some(block) => {
            let agreed: Vec<f32> = block
                .iter()
                .filter(|i| ship_words.contains(i))
                .filter_map(|&i| words.get(i).map(|w| w.prob))
                .collect();
            let conf = if agreed.is_empty() {
                0.5
            } else {
                agreed.iter().sum::<f32>() / agreed.len() as f32
            };
            let span = Span::plain("ship_to", block);
            let mut f = text_field(words, &span, part, ", ");
            f.confidence = conf;
            Some(f)
        }
        None => model_ship
            .map(|s| address_block(words, &s))
            .map(|s| complete_block(words, &s))
            .map(|s| text_field(words, &s, part, ", ")),
    };
    // The grand total is printed last (totals only on the last page).
    let total = header("total")
        .rev()
        .find_map(|s| num_field(words, s, part, locale));
    let currency = header("currency")
        .filter(|s| !on_bank_line(words, s))
        .find_map(|s| {
            let text = span_text(words, s, " ");
            let code =
                currency_code(&text).or_else(|| text.split_whitespace().find_map(currency_code))?;
            Some(Field::new(
                code.to_string(),
                span_conf(words, s),
                span_source(words, s, part, &text),
            ))
        })
        .or_else(|| currency_from_symbols(words));
    // Words some field already holds: a wrapped code may only take free words.
    let used: HashSet<usize> = acc
        .items
        .iter()
        .flatten()
        .chain(acc.header.iter())
        .flat_map(|s| s.words.iter().copied())
        .collect();
    // A unit word read inside the description's run of words, under a header that names
    // no unit column, is the description's ("insulated 7 pcs", "A4-80, box of 200").
    let items: Vec<Vec<Span>> = acc
        .items
        .iter()
        .map(|item| super::unit::inside_description(words, item, hints))
        .collect();
    // Where the model found units: (page, x0, x1) of each unit word.
    let unit_columns: Vec<(u32, f32, f32)> = items
        .iter()
        .flatten()
        .filter(|s| s.field == "uom")
        .flat_map(|s| s.words.iter().filter_map(|&i| words.get(i)))
        .map(|w| (w.page, w.bbox[0], w.bbox[2]))
        .collect();
    let mut lines = Vec::new();
    let items = absorb_stray_numbers(words, merge_orphan_descriptions(words, &items));
    trace_items(words, "model item", &items);
    let mut items = rows_by_band(words, join_split_rows(words, items, locale));
    // Codes the model missed on some rows, read from the column of the other rows' codes.
    let mut by_column = HashSet::new();
    for field in ["customer_part", "sku"] {
        let taken: HashSet<usize> = used.union(&by_column).copied().collect();
        by_column.extend(super::columns::codes_by_column(
            words, &mut items, &taken, field,
        ));
    }
    let code_field = |s: &Span| {
        let mut f = text_field(words, &wrapped_code(words, s, &used), part, "");
        if s.words.iter().any(|i| by_column.contains(i)) {
            f.confidence = CODE_BY_COLUMN_CONF;
        }
        f
    };
    for item in &items {
        trace_items(words, "item", std::slice::from_ref(item));
        let item = &super::rows::code_rests_in_description(words, item);
        let item = &super::unit::code_rest_read_as_unit(words, item);
        let item = &super::unit::swap_with_description(words, item);
        let item = &super::unit::column_before_description(words, item);
        let item = &super::rows::alternate_codes_in_description(words, item);
        let item = &super::rows::other_column_rests(words, item);
        let item = &super::rows::thousands_lead_by_arithmetic(words, item, locale);
        let item = &super::rows::fill_description_column(words, item, &used, hints);
        // Of two units, one that opens a description phrase ("box of 200") is description.
        let units = item.iter().filter(|s| s.field == "uom").count();
        let has_unit = units > 0;
        let item: &Vec<Span> = &item
            .iter()
            .cloned()
            .map(|mut s| {
                if units > 1 && s.field == "uom" && super::unit::opens_description(words, &s) {
                    s.field = "description".to_string();
                }
                if s.field == "uom" && super::unit::ends_description(words, &s) {
                    s.field = "description".to_string();
                }
                // A weaker second quantity one word space after a description word on its
                // line ("DIN 338, pk 10" beside the row's quantity) is the description's.
                if s.field == format!("{ALTERNATE}quantity")
                    && super::unit::follows_description(words, item, &s)
                {
                    s.field = "description".to_string();
                }
                // A known unit read as a code, in the column where the other rows print
                // their units, is the row's unit ("HX-0022 | ROL" under "UoM").
                if !has_unit
                    && matches!(s.field.as_str(), "customer_part" | "sku")
                    && super::unit::code_in_unit_column(words, &s, &unit_columns)
                {
                    s.field = "uom".to_string();
                }
                s
            })
            .collect();
        let get = |f: &'static str| item.iter().filter(move |s| s.field == f);
        let mut li = LineItem {
            line_no: lines.len() as u32 + 1,
            sku: get("sku").next().map(code_field),
            customer_part: get("customer_part").next().map(code_field),
            description: None,
            quantity: get("quantity").find_map(|s| num_field(words, s, part, locale)),
            uom: get("uom").next().map(|s| {
                let mut s = s.clone();
                if let [only] = s.words[..] {
                    s.words.extend(super::unit::cut_rest(words, only, &used));
                }
                // "BO" / "X" cut in a narrow cell is one code.
                text_field(words, &s, part, "")
            }),
            unit_price: get("unit_price").find_map(|s| num_field(words, s, part, locale)),
            amount: get("amount").find_map(|s| num_field(words, s, part, locale)),
            ..LineItem::default()
        };
        // In reading order: a number absorbed from a stray item may sit between lines.
        let mut desc_spans: Vec<Span> = get("description")
            .map(|s| beyond_column_gap(words, s, hints))
            .map(|s| to_line_ends(words, &s, &used))
            .filter(|s| !s.words.is_empty())
            .collect();
        desc_spans.sort_by_key(|s| s.words.first().copied().unwrap_or(usize::MAX));
        // A word that became description later ("box" read as a unit in "box of 100") goes
        // inside the span it was printed in, in reading order.
        let mut merged: Vec<Span> = Vec::with_capacity(desc_spans.len());
        for s in desc_spans {
            let first = s.words.first().copied().unwrap_or(usize::MAX);
            let holder = merged.iter_mut().find(|m| {
                m.words.first().is_some_and(|&a| a < first)
                    && m.words.last().is_some_and(|&b| first < b)
            });
            match holder {
                Some(m) => {
                    m.words.extend(s.words);
                    m.words.sort_unstable();
                }
                None => merged.push(s),
            }
        }
        let desc_spans = merged;
        let descs: Vec<Field<String>> = desc_spans
            .iter()
            .map(|s| text_field(words, s, part, " "))
            .collect();
        if let Some(first) = descs.first() {
            let mut text = String::new();
            for d in &descs {
                if !text.is_empty() && !joins_at_hyphen(&text, &d.value) {
                    text.push(' ');
                }
                text.push_str(&d.value);
            }
            let conf = descs.iter().map(|d| d.confidence).sum::<f32>() / descs.len() as f32;
            li.description = Some(Field::new(text, conf, first.source.clone()));
        }
        swap_price_and_amount(&mut li);
        let rows = item_rows(words, item);
        reconcile_by_arithmetic(words, item, &rows, &used, &mut li, part, locale);
        fill_by_arithmetic(words, &rows, &used, &mut li, part, locale);
        if li.uom.is_none() {
            li.uom = super::unit::by_column(words, &rows, &unit_columns, &used).map(|found| {
                let span = Span::plain("uom", found);
                let mut f = text_field(words, &span, part, "");
                f.confidence = UNIT_BY_COLUMN_CONF;
                f
            });
        }
        if li.uom.is_none() {
            li.uom = super::unit::after_price(words, item).map(|(i, unit)| {
                let span = Span::plain("uom", vec![i]);
                let mut f = text_field(words, &span, part, "");
                f.value = unit.to_string();
                f
            });
        }
        // A row with neither a code nor a description and fewer than two of quantity, price
        // and amount is noise (a stray number), not an item.
        let numbers = [&li.quantity, &li.unit_price, &li.amount]
            .iter()
            .filter(|f| f.is_some())
            .count();
        if li.sku.is_none() && li.customer_part.is_none() && li.description.is_none() && numbers < 2
        {
            continue;
        }
        lines.push(li);
    }
    super::sums::money_column_by_sums(words, &mut lines, locale);
    super::sums::money_column_by_vote(&mut lines);
    super::sums::quantity_by_sums(words, &mut lines, locale);
    if po_number.is_none() && lines.is_empty() {
        return None;
    }
    // A PO number with no line items and nothing else an order carries (buyer, ship-to,
    // total) is a mention ("thanks for PO 88123"), not an order.
    if lines.is_empty() && buyer.is_none() && ship_to.is_none() && total.is_none() {
        return None;
    }
    Some(Order {
        po_number,
        order_date,
        buyer,
        currency,
        ship_to,
        total,
        lines,
        ..Order::default()
    })
}

/// Unit price and amount read from each other's columns (an e-mail table with "Amount" left
/// of "Price"): when quantity x price misses the amount but quantity x amount hits the price,
/// the two were swapped. Only quantities above one can tell them apart.
fn swap_price_and_amount(li: &mut LineItem) {
    let (Some(q), Some(p), Some(a)) = (&li.quantity, &li.unit_price, &li.amount) else {
        return;
    };
    let (q, p, a) = (q.value, p.value, a.value);
    let close = |x: f64, y: f64| (x - y).abs() <= 0.011 + 0.005 * y.abs();
    if q > 1.0 && !close(q * p, a) && close(q * a, p) {
        std::mem::swap(&mut li.unit_price, &mut li.amount);
    }
}

/// A PO number after an order's items opens a second order only when the model is at least
/// this sure of it.
const SECOND_PO_CONF: f32 = 0.6;

/// A unit found in the unit column of the other items, not by the model.
const UNIT_BY_COLUMN_CONF: f32 = 0.7;

/// A code found in the code column of the other items, not by the model.
const CODE_BY_COLUMN_CONF: f32 = 0.7;

/// The model found no PO number: take the value printed after a PO-number label ("PO No.:",
/// "Purchase Order #", "Order Number", "Bestell-Nr.") on the same line. Lower confidence than
/// a model value, so the review queue sees it unless everything else is clean.
fn po_number_by_label(words: &[LabeledWord<'_>], part: u32) -> Option<Field<String>> {
    let norm = |t: &str| {
        t.to_lowercase()
            .trim_end_matches([':', '.', '#'])
            .to_string()
    };
    for (i, w) in words.iter().enumerate() {
        // The normalised text of the k-th word when it is on this word's line.
        let on_line = |k: usize| {
            words
                .get(k)
                .filter(|n| n.page == w.page && n.line == w.line)
                .map(|n| norm(n.text))
        };
        let qualifier = |x: Option<String>| {
            x.is_some_and(|x| {
                matches!(x.as_str(), "no" | "nr" | "num" | "ref" | "") || x.starts_with("number")
            })
        };
        // How many words the label takes, or None when no label starts here.
        let label_len = match norm(w.text).as_str() {
            "po" | "p.o" | "p/o" => Some(if qualifier(on_line(i + 1)) { 2 } else { 1 }),
            "po-nr" | "po-no" | "ponumber" | "po-number" | "bestellnummer" | "bestell-nr"
            | "bestellnr" => Some(1),
            "order" | "bestellung" | "auftrag" if qualifier(on_line(i + 1)) => Some(2),
            "purchase" if on_line(i + 1).as_deref() == Some("order") => {
                Some(if qualifier(on_line(i + 2)) { 3 } else { 2 })
            }
            _ => None,
        };
        let Some(len) = label_len else { continue };
        let not_punct = |v: &&LabeledWord<'_>| {
            !v.text
                .chars()
                .all(|c| matches!(c, ':' | '#' | '-' | '/' | '.'))
        };
        let label_end = words.get(i + len - 1).map_or(w.bbox[2], |l| l.bbox[2]);
        let height = (w.bbox[3] - w.bbox[1]).max(1.0);
        // The value follows its label closely on the same printed row ...
        let beside = words
            .iter()
            .skip(i + len)
            .take(2)
            .filter(|v| v.page == w.page && v.line == w.line)
            .find(not_punct)
            .filter(|v| v.bbox[0] >= label_end - 1.0 && v.bbox[0] - label_end <= 8.0 * height);
        // ... or, in a grid of labelled cells, sits right under it.
        let below = || {
            words
                .iter()
                .skip(i + len)
                .filter(|v| v.page == w.page && v.line == w.line + 1)
                .filter(not_punct)
                .find(|v| {
                    v.bbox[0] < label_end + height
                        && v.bbox[2] > w.bbox[0] - height
                        && v.bbox[1] - w.bbox[3] <= 2.0 * height
                })
        };
        let Some(v) = beside.or_else(below) else {
            continue;
        };
        let text = v
            .text
            .trim_matches(|c: char| matches!(c, ':' | '#' | ',' | ';'));
        let digits = text.chars().filter(char::is_ascii_digit).count();
        let plausible = (3..=30).contains(&text.len())
            && digits >= 3
            && !text.contains(['(', ')', '@'])
            && parse_date(text, Locale::Us).is_none()
            && parse_date(text, Locale::De).is_none();
        if !plausible {
            continue;
        }
        let src = Some(SourceSpan {
            part,
            page: v.page,
            bbox: v.bbox,
            text: text.to_string(),
        });
        return Some(Field::new(text.to_string(), 0.5, src));
    }
    None
}

/// No currency field: a symbol or code printed next to the money values tells it.
fn currency_from_symbols(words: &[LabeledWord<'_>]) -> Option<Field<String>> {
    words.iter().find_map(|w| {
        let money = w.label.ends_with("total")
            || w.label.ends_with("unit_price")
            || w.label.ends_with("amount");
        if !money {
            return None;
        }
        let sym: String = w
            .text
            .chars()
            .filter(|c| !c.is_ascii_digit() && !matches!(c, '.' | ',' | '-' | '(' | ')'))
            .collect();
        currency_code(&sym).map(|c| Field::new(c.to_string(), w.prob * 0.8, None))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A word at x on `line`, `width` wide.
    fn at_x<'a>(text: &'a str, line: u32, x: f32, width: f32, label: &'a str) -> LabeledWord<'a> {
        crate::extract::testing::word(text, line, x, width, label)
    }

    /// A word at x on `line`, `width` wide, labelled with probability `prob`.
    fn at_p<'a>(
        text: &'a str,
        line: u32,
        x: f32,
        width: f32,
        label: &'a str,
        prob: f32,
    ) -> LabeledWord<'a> {
        LabeledWord {
            prob,
            ..at_x(text, line, x, width, label)
        }
    }

    fn w<'a>(text: &'a str, line: u32, label: &'a str) -> LabeledWord<'a> {
        LabeledWord {
            text,
            page: 1,
            line,
            bbox: [0.0, line as f32 * 10.0, 10.0, line as f32 * 10.0 + 8.0],
            label,
            prob: 0.9,
        }
    }

    #[test]
    fn items_headers_and_wrapped_descriptions() {
        let words = vec![
            w("PO", 0, "O"),
            w("4711", 0, "B-po_number"),
            w("Date:", 1, "O"),
            w("07.03.2025", 1, "B-order_date"),
            w("Ship", 2, "O"),
            w("Acme", 3, "B-ship_to"),
            w("Inc", 3, "I-ship_to"),
            w("Berlin", 4, "I-ship_to"),
            w("AB-100", 5, "S-sku"),
            w("Widget", 5, "B-description"),
            w("blue", 5, "I-description"),
            w("10", 5, "B-quantity"),
            w("1.234,50", 5, "B-unit_price"),
            w("12.345,00", 5, "B-amount"),
            w("extra", 6, "B-description"),
            w("long", 6, "I-description"),
            w("CD-200", 7, "B-sku"),
            w("2", 7, "B-quantity"),
            w("Total", 8, "O"),
            w("EUR", 8, "B-currency"),
            w("12.345,00", 8, "B-total"),
        ];
        let orders = decode(&words, 0, Locale::De);
        assert_eq!(orders.len(), 1);
        let o = &orders[0];
        assert_eq!(o.po_number.as_ref().unwrap().value, "4711");
        assert_eq!(
            o.order_date.as_ref().unwrap().value.to_string(),
            "2025-03-07"
        );
        assert_eq!(o.ship_to.as_ref().unwrap().value, "Acme Inc, Berlin");
        assert_eq!(o.currency.as_ref().unwrap().value, "EUR");
        assert_eq!(o.total.as_ref().unwrap().value, 12345.0);
        assert_eq!(
            o.lines.len(),
            2,
            "a repeated sku starts a new item even with B-"
        );
        assert_eq!(
            o.lines[0].description.as_ref().unwrap().value,
            "Widget blue extra long"
        );
        assert_eq!(o.lines[0].unit_price.as_ref().unwrap().value, 1234.5);
        assert_eq!(o.lines[1].sku.as_ref().unwrap().value, "CD-200");
        assert_eq!(o.lines[1].quantity.as_ref().unwrap().value, 2.0);
        assert!((o.lines[0].sku.as_ref().unwrap().confidence - 0.9).abs() < 1e-6);
    }

    #[test]
    fn text_below_the_total_line_is_no_part_of_the_last_description() {
        let words = vec![
            at_x("AB-100", 0, 50.0, 40.0, "S-sku"),
            at_x("Nyloc", 0, 110.0, 25.0, "B-description"),
            at_x("nut", 0, 138.0, 15.0, "I-description"),
            at_x("10", 0, 300.0, 10.0, "S-quantity"),
            at_x("69.74", 0, 400.0, 25.0, "S-unit_price"),
            at_x("697.40", 0, 500.0, 30.0, "S-amount"),
            at_x("zinc", 1, 110.0, 20.0, "I-description"),
            at_x("Total", 2, 330.0, 25.0, "O"),
            at_x("697.40", 2, 500.0, 30.0, "B-total"),
            at_x("Include", 3, 48.0, 30.0, "O"),
            at_x("chemical", 3, 124.0, 36.0, "I-description"),
            at_x("products.", 3, 163.0, 38.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let desc = orders[0].lines[0]
            .description
            .as_ref()
            .map(|d| d.value.as_str());
        assert_eq!(desc, Some("Nyloc nut zinc"));
        assert_eq!(orders[0].lines.len(), 1);
    }

    #[test]
    fn a_description_broken_after_a_hyphen_has_no_space_there() {
        let words = vec![
            w("AB-100", 0, "S-sku"),
            w("Tubing", 0, "B-description"),
            w("PUN-", 0, "I-description"),
            w("10", 0, "S-quantity"),
            w("H-8X1,25-BL,", 1, "I-description"),
            w("temp", 1, "I-description"),
            w("-", 1, "I-description"),
            w("30", 2, "I-description"),
            w("to", 2, "I-description"),
            w("+110", 2, "I-description"),
            w("Blue", 2, "I-description"),
            w("-", 2, "I-description"),
            w("grey", 3, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let desc = orders[0].lines[0]
            .description
            .as_ref()
            .map(|d| d.value.as_str());
        assert_eq!(
            desc,
            Some("Tubing PUN-H-8X1,25-BL, temp -30 to +110 Blue - grey"),
            "a dash between words keeps its spaces"
        );
    }

    #[test]
    fn a_second_po_number_after_items_starts_a_second_order() {
        let words = vec![
            w("A1", 0, "B-po_number"),
            w("X-1", 1, "S-sku"),
            w("1", 1, "B-quantity"),
            w("A2", 2, "B-po_number"),
            w("X-2", 3, "S-sku"),
            w("5", 3, "B-quantity"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[1].po_number.as_ref().unwrap().value, "A2");
        assert_eq!(orders[1].lines[0].quantity.as_ref().unwrap().value, 5.0);
        // read weakly, the same number is a stray, not a second order
        let mut weak = words.clone();
        weak[3].prob = 0.5;
        assert_eq!(decode(&weak, 0, Locale::Us).len(), 1);
    }

    #[test]
    fn a_ship_to_interleaved_with_a_neighbouring_column_keeps_its_own_block() {
        let at = |text, line, x, label| at_x(text, line, x, 30.0, label);
        let words = vec![
            at("PO-1", 0, 10.0, "B-po_number"),
            at("Acme", 1, 10.0, "B-ship_to"),
            at("GmbH", 1, 42.0, "I-ship_to"),
            at("Dock", 1, 300.0, "I-ship_to"),
            at("7", 1, 332.0, "I-ship_to"),
            at("Hafen", 2, 10.0, "O"),
            at("Mannheim", 2, 300.0, "I-ship_to"),
            at("Vendor", 3, 300.0, "O"),
            at("Other", 5, 300.0, "I-ship_to"),
            at("Ltd", 5, 332.0, "I-ship_to"),
            at("Bristol", 6, 300.0, "I-ship_to"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        assert_eq!(
            orders[0].ship_to.as_ref().unwrap().value,
            "Dock 7, Mannheim"
        );
    }

    #[test]
    fn a_code_cut_at_a_hyphen_continues_on_the_next_line() {
        let words = vec![
            w("FST-M12X12-", 1, "S-sku"),
            w("Screw", 1, "B-description"),
            w("10", 1, "B-quantity"),
            w("A2", 2, "S-sku"),
            w("BRG-1", 3, "S-sku"),
            w("2", 3, "B-quantity"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let skus: Vec<&str> = orders[0]
            .lines
            .iter()
            .map(|l| l.sku.as_ref().unwrap().value.as_str())
            .collect();
        assert_eq!(skus, vec!["FST-M12X12-A2", "BRG-1"]);
    }

    #[test]
    fn wrapped_rests_of_two_code_columns_go_to_their_own_columns() {
        let at = |text, line, x, label| at_x(text, line, x, 40.0, label);
        let words = vec![
            at("6ES7151-1FX", 1, 10.0, "S-customer_part"),
            at("FST-CSK-M5X1", 1, 60.0, "B-sku"),
            at("Screw", 1, 110.0, "B-description"),
            at("4", 1, 200.0, "B-quantity"),
            at("33", 2, 12.0, "I-sku"),
            at("00-A2", 2, 62.0, "I-sku"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].customer_part.as_ref().unwrap().value, "6ES7151-1FX33");
        assert_eq!(l[0].sku.as_ref().unwrap().value, "FST-CSK-M5X100-A2");
    }

    #[test]
    fn a_thousands_group_printed_as_its_own_word_belongs_to_the_number() {
        let mut one = w("1", 0, "O");
        one.bbox = [100.0, 0.0, 104.0, 8.0];
        let mut rest = w("150.11", 0, "B-total");
        rest.bbox = [106.0, 0.0, 130.0, 8.0];
        let words = vec![w("PO-1", 0, "B-po_number"), one, rest];
        let orders = decode(&words, 0, Locale::Us);
        assert_eq!(orders[0].total.as_ref().unwrap().value, 1150.11);
    }

    #[test]
    fn a_plain_address_block_is_kept_whole() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            w("Acme", 1, "B-ship_to"),
            w("Inc", 1, "I-ship_to"),
            w("1", 2, "I-ship_to"),
            w("Main", 2, "I-ship_to"),
            w("St", 2, "I-ship_to"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        assert_eq!(
            orders[0].ship_to.as_ref().unwrap().value,
            "Acme Inc, 1 Main St"
        );
    }

    #[test]
    fn nothing_labelled_is_no_order() {
        let words = vec![w("Thanks", 0, "O"), w("Jo", 1, "O")];
        assert!(decode(&words, 0, Locale::Us).is_empty());
    }

    #[test]
    fn a_weak_repeated_field_does_not_open_a_phantom_item() {
        let mut words = vec![
            w("A-1", 0, "S-sku"),
            w("Wire", 0, "B-description"),
            w("4.50", 0, "B-unit_price"),
            w("grey", 1, "I-description"),
            w("26,", 1, "B-unit_price"),
            w("Sold", 2, "I-description"),
            w("per", 2, "I-description"),
            w("B-2", 3, "S-sku"),
            w("Screw", 3, "B-description"),
            w("1.20", 3, "B-unit_price"),
        ];
        words[4].prob = 0.45;
        let o = &decode(&words, 0, Locale::Us)[0];
        assert_eq!(o.lines.len(), 2, "{:?}", o.lines);
        assert_eq!(o.lines[0].unit_price.as_ref().map(|f| f.value), Some(4.5));
        assert_eq!(
            o.lines[0].description.as_ref().map(|f| f.value.as_str()),
            Some("Wire grey Sold per")
        );
        // The same value labelled with confidence is a new item's price, as before.
        words[4].prob = 0.9;
        assert_eq!(decode(&words, 0, Locale::Us)[0].lines.len(), 3);
    }

    #[test]
    fn label_set_is_stable() {
        let l = label_set();
        assert_eq!(l.len(), 1 + 6 * 2 + 7 * 3);
        assert_eq!(l[0], "O");
        assert_eq!(l[1], "B-po_number");
    }

    #[test]
    fn price_and_amount_read_from_each_others_columns_are_swapped() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            w("AB-1", 1, "S-sku"),
            w("20", 1, "B-quantity"),
            w("1637.80", 1, "B-unit_price"),
            w("81.89", 1, "B-amount"),
            w("AB-2", 2, "S-sku"),
            w("3", 2, "B-quantity"),
            w("4.00", 2, "B-unit_price"),
            w("12.00", 2, "B-amount"),
            w("AB-3", 3, "S-sku"),
            w("1", 3, "B-quantity"),
            w("9.00", 3, "B-unit_price"),
            w("4.00", 3, "B-amount"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l[0].unit_price.as_ref().unwrap().value, 81.89);
        assert_eq!(l[0].amount.as_ref().unwrap().value, 1637.8);
        assert_eq!(
            l[1].unit_price.as_ref().unwrap().value,
            4.0,
            "consistent values stay"
        );
        assert_eq!(
            l[2].unit_price.as_ref().unwrap().value,
            9.0,
            "quantity 1 cannot tell price from amount"
        );
    }

    #[test]
    fn a_missing_amount_price_or_quantity_is_the_free_number_that_completes_the_product() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            // amount left unlabelled beside a tax rate
            at_x("AB-1", 1, 10.0, 20.0, "S-sku"),
            at_x("300", 1, 100.0, 10.0, "B-quantity"),
            at_x("2.71", 1, 150.0, 10.0, "B-unit_price"),
            at_x("20", 1, 200.0, 10.0, "O"),
            at_x("813.00", 1, 250.0, 20.0, "O"),
            // price unlabelled
            at_x("AB-2", 2, 10.0, 20.0, "S-sku"),
            at_x("4", 2, 100.0, 10.0, "B-quantity"),
            at_x("2.50", 2, 150.0, 10.0, "O"),
            at_x("10.00", 2, 250.0, 20.0, "B-amount"),
            // no free number completes the product: nothing is invented
            at_x("AB-3", 3, 10.0, 20.0, "S-sku"),
            at_x("5", 3, 100.0, 10.0, "B-quantity"),
            at_x("3.00", 3, 150.0, 10.0, "B-unit_price"),
            at_x("14.00", 3, 250.0, 20.0, "O"),
            // a row number read as the quantity: the free number that multiplies out wins
            at_x("AB-4", 4, 10.0, 20.0, "S-sku"),
            at_x("4", 4, 60.0, 5.0, "B-quantity"),
            at_x("5", 4, 100.0, 5.0, "O"),
            at_x("2.00", 4, 150.0, 10.0, "B-unit_price"),
            at_x("10.00", 4, 250.0, 20.0, "B-amount"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 4);
        assert_eq!(l[3].quantity.as_ref().unwrap().value, 5.0);
        let amount = l[0].amount.as_ref().unwrap();
        assert_eq!(amount.value, 813.0);
        let price = l[0].unit_price.as_ref().unwrap();
        assert!(
            amount.confidence < price.confidence,
            "arithmetic is less sure than the model's own reading"
        );
        assert_eq!(l[1].unit_price.as_ref().unwrap().value, 2.5);
        assert!(l[2].amount.is_none());
    }

    #[test]
    fn two_thousands_groups_read_as_two_amounts_are_one_number() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("EL-1", 1, 10.0, 20.0, "S-sku"),
            at_x("200", 1, 100.0, 15.0, "B-quantity"),
            at_x("117.09", 1, 150.0, 25.0, "B-unit_price"),
            at_x("23", 1, 230.0, 10.0, "B-amount"),
            at_x("418.00", 1, 242.0, 25.0, "S-amount"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1, "no phantom item from the second group");
        assert_eq!(l[0].amount.as_ref().unwrap().value, 23418.0);
    }

    #[test]
    fn a_lone_number_in_the_description_column_ends_the_description() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FW-6", 1, 10.0, 20.0, "S-sku"),
            at_x("washer,", 1, 60.0, 30.0, "B-description"),
            at_x("box", 1, 95.0, 15.0, "I-description"),
            at_x("of", 1, 112.0, 10.0, "I-description"),
            at_x("2", 1, 200.0, 5.0, "B-quantity"),
            at_x("122.44", 1, 250.0, 25.0, "B-unit_price"),
            at_x("200", 2, 60.0, 15.0, "B-quantity"),
            // a number alone far from any description is noise, not an item
            at_x("7", 4, 400.0, 5.0, "B-quantity"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1);
        assert_eq!(
            l[0].description.as_ref().unwrap().value,
            "washer, box of 200"
        );
        assert_eq!(l[0].quantity.as_ref().unwrap().value, 2.0);
    }

    #[test]
    fn a_code_rest_begun_as_a_new_item_joins_the_code_above_unless_its_row_has_numbers() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("A9F930-5B", 1, 60.0, 40.0, "S-customer_part"),
            at_x("FST-CSK-M4", 1, 105.0, 40.0, "B-sku"),
            at_x("10.000", 1, 500.0, 20.0, "B-quantity"),
            at_x("77.88", 1, 600.0, 20.0, "B-unit_price"),
            at_x("B75", 2, 60.0, 15.0, "S-customer_part"),
            at_x("X16-109", 2, 105.0, 30.0, "I-sku"),
            // directly below again, but with a quantity on its row: a new item
            at_x("KQ2620-7A", 3, 60.0, 40.0, "S-customer_part"),
            at_x("25.000", 3, 500.0, 20.0, "B-quantity"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].customer_part.as_ref().unwrap().value, "A9F930-5BB75");
        assert_eq!(l[0].sku.as_ref().unwrap().value, "FST-CSK-M4X16-109");
        assert_eq!(l[1].customer_part.as_ref().unwrap().value, "KQ2620-7A");
    }

    /// A word at x on `line`, whose top is at y (rows set apart by white space).
    fn at_y<'a>(text: &'a str, line: u32, x: f32, y: f32, label: &'a str) -> LabeledWord<'a> {
        LabeledWord {
            text,
            page: 1,
            line,
            bbox: [x, y, x + 8.0 * text.len() as f32, y + 8.0],
            label,
            prob: 0.9,
        }
    }

    #[test]
    fn in_rows_set_apart_by_space_a_centred_row_keeps_its_whole_description() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            // row 1: the description's first line is printed above the code and numbers
            at_y("Hex", 1, 200.0, 100.0, "B-description"),
            at_y("head", 1, 240.0, 100.0, "I-description"),
            at_y("1", 2, 10.0, 110.0, "S-quantity"),
            at_y("5", 2, 50.0, 110.0, "S-quantity"),
            at_y("AB-1", 2, 100.0, 110.0, "B-sku"),
            at_y("cap", 2, 200.0, 110.0, "I-description"),
            at_y("2.00", 2, 400.0, 110.0, "B-unit_price"),
            at_y("M6", 3, 200.0, 120.0, "I-description"),
            // row 2, after the gap between rows
            at_y("Nut", 4, 200.0, 150.0, "B-description"),
            at_y("3", 5, 50.0, 160.0, "S-quantity"),
            at_y("CD-2", 5, 100.0, 160.0, "B-sku"),
            at_y("DIN", 5, 200.0, 160.0, "I-description"),
            at_y("1.00", 5, 400.0, 160.0, "B-unit_price"),
            at_y("M8", 6, 200.0, 170.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2, "the row number opens no item");
        assert_eq!(l[0].quantity.as_ref().unwrap().value, 5.0);
        assert_eq!(l[0].description.as_ref().unwrap().value, "Hex head cap M6");
        assert_eq!(l[1].description.as_ref().unwrap().value, "Nut DIN M8");
    }

    #[test]
    fn a_code_that_began_an_item_beside_its_rows_item_joins_it() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("76.823.244", 1, 42.0, 40.0, "S-customer_part"),
            at_x("FST-M6", 1, 100.0, 30.0, "S-sku"),
            at_x("12.000", 1, 400.0, 20.0, "B-quantity"),
            at_x("4.51", 1, 450.0, 20.0, "B-unit_price"),
            at_x("62.587.310", 2, 42.0, 40.0, "S-customer_part"),
            at_x("BRG-6205", 2, 100.0, 30.0, "S-sku"),
            at_x("2.000", 2, 400.0, 20.0, "B-quantity"),
        ];
        let orders = decode(&words, 0, Locale::De);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].customer_part.as_ref().unwrap().value, "76.823.244");
        assert_eq!(l[0].sku.as_ref().unwrap().value, "FST-M6");
        assert_eq!(l[1].customer_part.as_ref().unwrap().value, "62.587.310");
    }

    #[test]
    fn a_row_number_read_as_the_quantity_does_not_split_its_row() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("1", 1, 58.0, 5.0, "S-quantity"),
            at_x("MRO998462", 1, 90.0, 40.0, "B-customer_part"),
            at_x("FST-HN-M16", 1, 160.0, 40.0, "B-sku"),
            at_x("200", 1, 350.0, 15.0, "B-quantity"),
            at_x("1.67", 1, 480.0, 20.0, "B-unit_price"),
            at_x("2", 2, 58.0, 5.0, "S-quantity"),
            at_x("STK662518", 2, 90.0, 40.0, "B-customer_part"),
            at_x("1,000", 2, 343.0, 20.0, "B-quantity"),
            // "12.000" is no row number: the row's first quantity stays
            at_x("12.000", 3, 300.0, 25.0, "S-quantity"),
            at_x("AB-7", 3, 160.0, 20.0, "B-sku"),
            at_x("3", 3, 450.0, 5.0, "B-quantity"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        let q: Vec<f64> = l
            .iter()
            .map(|x| x.quantity.as_ref().unwrap().value)
            .collect();
        assert_eq!(q, vec![200.0, 1000.0, 12.0]);
        assert_eq!(l[0].sku.as_ref().unwrap().value, "FST-HN-M16");
        assert_eq!(l[1].customer_part.as_ref().unwrap().value, "STK662518");
    }

    #[test]
    fn in_narrow_centred_rows_arithmetic_finds_the_quantity_beside_the_row_number() {
        let weak = |text, line, x, y, label| LabeledWord {
            prob: 0.47,
            ..at_y(text, line, x, y, label)
        };
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            // row 1: the real quantity left unlabelled
            at_y("Nyloc", 1, 274.0, 100.0, "B-description"),
            at_y("121.55", 2, 443.0, 110.0, "B-unit_price"),
            at_y("3,038.75", 2, 515.0, 110.0, "B-amount"),
            at_y("1", 3, 58.0, 120.0, "S-quantity"),
            at_y("P28623", 3, 94.0, 120.0, "B-customer_part"),
            at_y("FST-NYL", 3, 155.0, 120.0, "B-sku"),
            at_y("25", 3, 407.0, 120.0, "O"),
            at_y("nut", 4, 274.0, 130.0, "I-description"),
            // row 2: the quantity weakly read as a second one, the amount as a second price;
            // the row names the price twice and is still one row
            at_y("Countersunk", 5, 274.0, 160.0, "B-description"),
            at_y("28.65", 6, 443.0, 170.0, "B-unit_price"),
            at_y("2", 7, 58.0, 180.0, "S-quantity"),
            at_y("P91106", 7, 94.0, 180.0, "B-customer_part"),
            at_y("FST-CSK", 7, 155.0, 180.0, "B-sku"),
            weak("24", 7, 407.0, 180.0, "B-quantity"),
            at_y("687.60", 7, 504.0, 180.0, "B-unit_price"),
            at_y("screw", 8, 274.0, 190.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        let row = |i: usize| {
            let x = &l[i];
            let n = |f: &Option<Field<f64>>| f.as_ref().map(|f| f.value);
            (
                x.sku.as_ref().map(|f| f.value.clone()),
                n(&x.quantity),
                n(&x.unit_price),
                n(&x.amount),
                x.description.as_ref().map(|f| f.value.clone()),
            )
        };
        assert_eq!(l.len(), 2);
        assert_eq!(
            row(0),
            (
                Some("FST-NYL".into()),
                Some(25.0),
                Some(121.55),
                Some(3038.75),
                Some("Nyloc nut".into())
            )
        );
        assert_eq!(
            row(1),
            (
                Some("FST-CSK".into()),
                Some(24.0),
                Some(28.65),
                Some(687.6),
                Some("Countersunk screw".into())
            )
        );
        let amount = l[1].amount.as_ref().map_or(1.0, |f| f.confidence);
        assert!(
            amount < 0.47,
            "a value moved to another field is less sure: {amount}"
        );
    }

    #[test]
    fn a_code_cut_around_a_centred_rows_middle_line_is_one_code_of_one_item() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_y("Nut", 1, 200.0, 100.0, "B-description"),
            at_y("AB-1", 2, 100.0, 110.0, "B-sku"),
            at_y("4", 2, 50.0, 110.0, "S-quantity"),
            at_y("9.00", 2, 400.0, 110.0, "B-amount"),
            // row 2: the code's first part above the quantity's line, its rest below
            at_y("Socket", 4, 200.0, 140.0, "B-description"),
            at_y("FST-SHCS-M10X35-", 5, 100.0, 150.0, "B-sku"),
            at_y("1.51", 5, 350.0, 150.0, "B-unit_price"),
            at_y("25", 6, 50.0, 160.0, "S-quantity"),
            at_y("screw", 6, 200.0, 160.0, "I-description"),
            at_y("37.75", 6, 400.0, 160.0, "B-amount"),
            at_y("129", 7, 100.0, 170.0, "I-sku"),
            at_y("EA", 7, 350.0, 170.0, "B-uom"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2);
        assert_eq!(
            l[1].sku.as_ref().map(|f| f.value.as_str()),
            Some("FST-SHCS-M10X35-129")
        );
        assert_eq!(l[1].quantity.as_ref().map(|f| f.value), Some(25.0));
        assert_eq!(l[1].unit_price.as_ref().map(|f| f.value), Some(1.51));
        assert_eq!(l[1].uom.as_ref().map(|f| f.value.as_str()), Some("EA"));
    }

    #[test]
    fn thousands_groups_wrapped_in_a_narrow_cell_are_one_number() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            // "42 730.00" wrapped at its space, both halves read as amounts; "1 000" with
            // only its lead read
            at_y("42", 1, 584.0, 100.0, "B-amount"),
            at_y("1", 2, 40.0, 110.0, "S-quantity"),
            at_y("000", 2, 50.0, 110.0, "O"),
            at_y("AB-1", 2, 150.0, 110.0, "B-sku"),
            at_y("42.73", 2, 400.0, 110.0, "B-unit_price"),
            at_y("730.00", 2, 552.0, 110.0, "B-amount"),
            // "390 864.25" and "2 500" wrapped around a line of the neighbouring cells, one
            // half of each left unlabelled
            at_y("390", 3, 576.0, 150.0, "O"),
            at_y("2", 4, 92.0, 159.0, "S-quantity"),
            at_y("CD-2", 4, 150.0, 159.0, "B-sku"),
            at_y("156.3457", 4, 400.0, 159.0, "B-unit_price"),
            at_y("500", 5, 76.0, 168.0, "O"),
            at_y("864.25", 5, 552.0, 168.0, "B-amount"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        let n = |f: &Option<Field<f64>>| f.as_ref().map(|f| f.value);
        let got: Vec<_> = l.iter().map(|x| (n(&x.quantity), n(&x.amount))).collect();
        assert_eq!(
            got,
            vec![
                (Some(1000.0), Some(42730.0)),
                (Some(2500.0), Some(390864.25))
            ]
        );
    }

    #[test]
    fn a_number_wrapped_at_its_decimal_point_is_one_number() {
        // right-aligned in a narrow cell: "13'168" / ".75" and "6'790." / "50"
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_y("BRG-1", 1, 59.0, 135.0, "S-sku"),
            at_y("500", 1, 389.0, 135.0, "B-quantity"),
            at_y("13'168", 1, 526.0, 135.0, "B-amount"),
            at_y(".75", 2, 550.0, 143.5, "O"),
            at_y("FST-2", 3, 59.0, 160.0, "S-sku"),
            at_y("50", 3, 389.0, 160.0, "B-quantity"),
            at_y("6'790.", 3, 529.0, 160.0, "B-amount"),
            at_y("50", 4, 561.0, 168.5, "O"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        let a = |i: usize| l[i].amount.as_ref().map(|f| f.value);
        assert_eq!((a(0), a(1)), (Some(13168.75), Some(6790.5)));
    }

    #[test]
    fn a_code_rest_in_another_column_is_no_part_of_the_code() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("575039688", 1, 42.0, 40.0, "S-sku"),
            at_x("Screw", 1, 118.0, 30.0, "B-description"),
            at_x("8062.89.637", 1, 414.0, 40.0, "O"),
            at_x("12", 1, 478.0, 10.0, "B-quantity"),
            // the HTS code's wrapped digit, weakly read as the rest of a code
            at_x("zinc", 2, 118.0, 20.0, "I-description"),
            LabeledWord {
                prob: 0.33,
                ..at_x("3", 2, 414.0, 5.0, "I-sku")
            },
            // a real rest, under the code
            at_x("AB-77-", 3, 42.0, 30.0, "S-sku"),
            at_x("Nut", 3, 118.0, 20.0, "B-description"),
            at_x("5", 3, 478.0, 10.0, "B-quantity"),
            at_x("M8", 4, 118.0, 20.0, "I-description"),
            at_x("X", 4, 42.0, 8.0, "I-sku"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let skus: Vec<Option<&str>> = orders[0]
            .lines
            .iter()
            .map(|l| l.sku.as_ref().map(|f| f.value.as_str()))
            .collect();
        assert_eq!(skus, vec![Some("575039688"), Some("AB-77-X")]);
    }

    #[test]
    fn a_second_unit_that_opens_a_description_phrase_is_description() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-HN-M5", 1, 68.0, 50.0, "S-sku"),
            at_x("Hex", 1, 148.0, 12.0, "B-description"),
            at_x("nut,", 1, 162.0, 14.0, "I-description"),
            at_x("24", 1, 575.0, 10.0, "B-quantity"),
            at_x("Box", 1, 609.0, 14.0, "B-uom"),
            at_x("box", 2, 148.0, 12.0, "B-uom"),
            at_x("of", 2, 161.0, 6.0, "I-description"),
            at_x("200", 2, 169.0, 12.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].uom.as_ref().map(|f| f.value.as_str()), Some("Box"));
        assert_eq!(
            l[0].description.as_ref().map(|f| f.value.as_str()),
            Some("Hex nut, box of 200")
        );
    }

    #[test]
    fn an_unlabelled_word_inside_a_description_is_no_column_gap() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-M16", 1, 59.0, 40.0, "S-sku"),
            at_x("Hex", 1, 115.0, 13.0, "B-description"),
            at_x("head", 1, 131.0, 17.0, "O"),
            at_x("cap", 1, 151.0, 12.0, "I-description"),
            at_x("screw", 1, 166.0, 20.0, "I-description"),
            at_x("12", 1, 391.0, 10.0, "B-quantity"),
            at_x("7.28", 1, 440.0, 16.0, "B-unit_price"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let d = orders[0].lines[0].description.as_ref();
        assert_eq!(d.map(|f| f.value.as_str()), Some("Hex cap screw"));
    }

    #[test]
    fn a_code_wrapped_at_any_character_takes_its_rest_back_from_the_description() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("12", 1, 95.0, 8.0, "S-quantity"),
            at_x("BRG-6204", 1, 108.0, 36.0, "B-sku"),
            at_x("A9F649-7B", 1, 149.0, 40.0, "B-customer_part"),
            at_x("Deep", 1, 194.0, 18.0, "B-description"),
            at_x("groove", 1, 214.0, 24.0, "I-description"),
            at_x("A39", 2, 149.0, 14.0, "I-description"),
            at_x("clearance", 2, 194.0, 34.0, "I-description"),
            // a description's own capitalised word stays (it starts in the description column)
            at_x("5", 3, 95.0, 8.0, "S-quantity"),
            at_x("HX-1", 3, 108.0, 20.0, "B-sku"),
            at_x("KQ2590", 3, 149.0, 30.0, "B-customer_part"),
            at_x("Hex", 3, 194.0, 14.0, "B-description"),
            at_x("M4X30", 4, 194.0, 20.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        let cp = |i: usize| l[i].customer_part.as_ref().map(|f| f.value.as_str());
        let d = |i: usize| l[i].description.as_ref().map(|f| f.value.as_str());
        assert_eq!(
            (cp(0), d(0)),
            (Some("A9F649-7BA39"), Some("Deep groove clearance"))
        );
        assert_eq!((cp(1), d(1)), (Some("KQ2590"), Some("Hex M4X30")));
    }

    #[test]
    fn a_description_runs_on_to_an_unlabelled_word_one_space_after_it() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FL-CHEP", 1, 99.0, 30.0, "S-sku"),
            at_x("CHEP", 1, 152.0, 22.0, "B-description"),
            at_x("BLOCK", 1, 176.0, 24.0, "I-description"),
            at_x("PALLET", 1, 202.0, 30.0, "O"),
            at_x("540", 1, 380.0, 12.0, "S-quantity"),
            at_x("4.61", 1, 440.0, 16.0, "S-unit_price"),
            at_x("2,489.40", 1, 500.0, 32.0, "S-amount"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let d = orders[0].lines[0]
            .description
            .as_ref()
            .map(|f| f.value.as_str());
        assert_eq!(d, Some("CHEP BLOCK PALLET"));
    }

    #[test]
    fn a_currency_on_the_bank_accounts_line_is_not_the_orders() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("IBAN", 1, 300.0, 20.0, "O"),
            at_x("GBP", 1, 324.0, 16.0, "B-currency"),
            at_x("NL07INGB0020262515", 1, 344.0, 80.0, "O"),
            at_x("Total", 3, 300.0, 20.0, "O"),
            at_x("EUR", 3, 324.0, 16.0, "B-currency"),
            at_x("175.04", 3, 344.0, 24.0, "B-total"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let cur = orders[0].currency.as_ref().map(|f| f.value.as_str());
        assert_eq!(cur, Some("EUR"));
    }

    #[test]
    fn a_labelled_value_under_the_code_is_no_rest_of_it() {
        // "Line: 1000" under "329015": the figure is the label's, the code stays whole.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("520", 1, 60.0, 12.0, "S-quantity"),
            at_x("329015", 1, 96.0, 24.0, "S-sku"),
            at_x("SKID,48X40,BLOCK", 1, 175.0, 70.0, "B-description"),
            at_x("3.07", 1, 430.0, 16.0, "S-unit_price"),
            at_x("1,596.40", 1, 520.0, 32.0, "S-amount"),
            at_x("Line:", 2, 96.0, 18.0, "I-description"),
            at_x("1000", 2, 116.0, 16.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let sku = orders[0].lines[0].sku.as_ref().map(|f| f.value.as_str());
        assert_eq!(sku, Some("329015"));
    }

    #[test]
    fn a_code_rest_stops_at_its_column_and_other_cells_leave_the_description() {
        // fpdf2 wraps the code, the description and the EAN in their cells; the model reads
        // the code's rest and the first description word of the second line as one code span,
        // and the EAN's last digit as description.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("63.793.", 1, 67.0, 30.0, "S-sku"),
            at_x("Hex", 1, 108.0, 16.0, "B-description"),
            at_x("head", 1, 128.0, 20.0, "I-description"),
            at_x("29967019245", 1, 278.0, 50.0, "O"),
            at_x("10", 1, 373.0, 10.0, "B-quantity"),
            at_x("19.03", 1, 451.0, 22.0, "B-unit_price"),
            at_x("190.30", 1, 513.0, 26.0, "B-amount"),
            at_x("634", 2, 67.0, 14.0, "I-sku"),
            at_x("M5x20", 2, 108.0, 25.0, "I-sku"),
            at_x("steel", 2, 142.0, 20.0, "I-description"),
            at_x("8.8", 2, 167.0, 10.0, "I-description"),
            at_x("zinc", 2, 184.0, 16.0, "I-description"),
            at_x("plated,", 2, 205.0, 28.0, "I-description"),
            at_x("box", 2, 240.0, 15.0, "I-description"),
            at_x("of", 2, 259.0, 8.0, "I-description"),
            at_x("9", 2, 278.0, 5.0, "I-description"),
            at_x("25", 3, 108.0, 9.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1);
        let sku = l[0].sku.as_ref().map(|f| f.value.as_str());
        let d = l[0].description.as_ref().map(|f| f.value.as_str());
        assert_eq!(sku, Some("63.793.634"));
        assert_eq!(d, Some("Hex head M5x20 steel 8.8 zinc plated, box of 25"));
    }

    #[test]
    fn a_thousands_group_read_as_description_joins_its_number_when_the_row_multiplies_out() {
        // Plain-text table, monospace: "... 4mm²  Each  2 500  75.44  188 600.00".
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("EL-1", 1, 42.0, 24.0, "S-sku"),
            at_x("Lever", 1, 108.0, 30.0, "B-description"),
            at_x("4mm²", 1, 144.0, 24.0, "I-description"),
            at_x("Each", 1, 324.0, 24.0, "B-uom"),
            at_x("2", 1, 360.0, 6.0, "I-description"),
            at_x("500", 1, 372.0, 18.0, "B-quantity"),
            at_x("75.44", 1, 426.0, 30.0, "B-unit_price"),
            at_x("188", 1, 468.0, 18.0, "B-amount"),
            at_x("600.00", 1, 490.0, 36.0, "B-amount"),
            // a row whose numbers multiply out keeps its reading: "3" is no lead group
            at_x("EL-2", 2, 42.0, 24.0, "S-sku"),
            at_x("Clamp", 2, 108.0, 30.0, "B-description"),
            at_x("3", 2, 360.0, 6.0, "I-description"),
            at_x("500", 2, 372.0, 18.0, "B-quantity"),
            at_x("2.00", 2, 426.0, 24.0, "B-unit_price"),
            at_x("1000.00", 2, 492.0, 42.0, "B-amount"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        let q = |i: usize| l[i].quantity.as_ref().map(|f| f.value);
        let d = |i: usize| l[i].description.as_ref().map(|f| f.value.as_str());
        assert_eq!((q(0), d(0)), (Some(2500.0), Some("Lever 4mm²")));
        assert_eq!(l[0].amount.as_ref().map(|f| f.value), Some(188600.0));
        assert_eq!(q(1), Some(500.0));
    }

    #[test]
    fn a_weak_unit_inside_the_description_gives_way_to_the_rows_unit() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("HX-1", 1, 42.0, 24.0, "S-sku"),
            at_x("Hex", 1, 168.0, 18.0, "B-description"),
            at_x("key", 1, 192.0, 18.0, "I-description"),
            at_x("set", 1, 216.0, 18.0, "I-description"),
            at_x("metric", 1, 240.0, 36.0, "I-description"),
            at_x("1.5-10mm,", 1, 282.0, 54.0, "I-description"),
            at_x("9", 1, 342.0, 6.0, "I-description"),
            LabeledWord {
                prob: 0.6,
                ..at_x("pcs", 1, 354.0, 18.0, "B-uom")
            },
            at_x("4", 1, 678.0, 6.0, "B-quantity"),
            LabeledWord {
                prob: 1.0,
                ..at_x("EA", 1, 696.0, 12.0, "B-uom")
            },
            at_x("105.58", 1, 726.0, 36.0, "B-unit_price"),
            at_x("422.32", 1, 834.0, 36.0, "B-amount"),
            at_x("Tolerance", 2, 168.0, 54.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1, "the row's unit opens no second item");
        let d = l[0].description.as_ref().map(|f| f.value.as_str());
        assert_eq!(d, Some("Hex key set metric 1.5-10mm, 9 pcs Tolerance"));
        assert_eq!(l[0].uom.as_ref().map(|f| f.value.as_str()), Some("EA"));
        assert_eq!(l[0].unit_price.as_ref().map(|f| f.value), Some(105.58));
    }

    #[test]
    fn unsure_unlabelled_words_inside_the_description_column_are_description() {
        let unsure = |t: &'static str, x: f32| LabeledWord {
            prob: 0.6,
            ..at_x(t, 1, x, 14.0, "O")
        };
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-M10", 1, 59.0, 50.0, "S-sku"),
            at_x("Hex", 1, 115.0, 14.0, "B-description"),
            unsure("head", 131.0),
            unsure("cap", 151.0),
            // another column's cell: outside the description column
            unsure("8714.80", 288.0),
            at_x("20", 1, 391.0, 10.0, "B-quantity"),
            at_x("6.82", 1, 440.0, 20.0, "B-unit_price"),
            at_x("136.40", 1, 526.0, 26.0, "B-amount"),
            at_x("stainless", 2, 115.0, 34.0, "I-description"),
            at_x("steel", 2, 150.0, 20.0, "I-description"),
            at_x("A2-70,", 2, 172.0, 26.0, "I-description"),
            at_x("box", 2, 200.0, 16.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let d = orders[0].lines[0].description.as_ref();
        assert_eq!(
            d.map(|f| f.value.as_str()),
            Some("Hex head cap stainless steel A2-70, box")
        );
    }

    #[test]
    fn an_unsure_word_one_space_on_is_description_past_the_columns_widest_line() {
        // Text 8 high: a space is about 3 wide, the next column's cell starts further on.
        let unsure = |t: &'static str, x: f32, width: f32| LabeledWord {
            prob: 0.8,
            ..at_x(t, 1, x, width, "O")
        };
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-M8", 1, 42.0, 60.0, "S-sku"),
            at_x("Hex", 1, 126.0, 18.0, "B-description"),
            at_x("M8x50", 1, 147.0, 31.0, "I-description"),
            unsure("stainless", 181.0, 40.0),
            // a cell of the next column, a column gap on
            unsure("MPN-4411", 228.0, 40.0),
            at_x("1", 1, 389.0, 6.0, "B-quantity"),
            at_x("steel", 2, 126.0, 22.0, "I-description"),
            at_x("A2-70", 2, 151.0, 30.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let d = orders[0].lines[0].description.as_ref();
        assert_eq!(
            d.map(|f| f.value.as_str()),
            Some("Hex M8x50 stainless steel A2-70")
        );
    }

    #[test]
    fn a_unit_opening_a_phrase_under_the_row_opens_no_item() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-1", 1, 59.0, 50.0, "S-sku"),
            at_x("Countersunk", 1, 124.0, 40.0, "B-description"),
            at_x("screw", 1, 165.0, 20.0, "I-description"),
            at_x("10", 1, 396.0, 10.0, "B-quantity"),
            at_x("Box", 1, 425.0, 14.0, "B-uom"),
            at_x("68.11", 1, 449.0, 20.0, "B-unit_price"),
            at_x("681.10", 1, 529.0, 26.0, "B-amount"),
            at_x("box", 2, 124.0, 12.0, "B-uom"),
            at_x("of", 2, 137.0, 7.0, "I-description"),
            at_x("100", 2, 145.0, 12.0, "I-description"),
            // the end of the wrapped unit price, read as a quantity
            at_x("0", 2, 474.0, 5.0, "I-quantity"),
            at_x("FST-2", 3, 59.0, 50.0, "S-sku"),
            at_x("Nut", 3, 124.0, 14.0, "B-description"),
            at_x("5", 3, 396.0, 6.0, "B-quantity"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2);
        let d = l[0].description.as_ref().map(|f| f.value.as_str());
        assert_eq!(d, Some("Countersunk screw box of 100"));
        assert_eq!(l[0].uom.as_ref().map(|f| f.value.as_str()), Some("Box"));
    }

    #[test]
    fn an_extended_price_before_the_price_read_as_two_prices_is_one_item() {
        // "Qty | Extended Price | Price": the model read both money columns as prices.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("MM-358", 1, 0.0, 36.0, "S-sku"),
            at_x("Push-in", 1, 78.0, 42.0, "B-description"),
            at_x("terminal", 1, 126.0, 48.0, "I-description"),
            at_x("2500.00", 1, 318.0, 42.0, "B-quantity"),
            at_x("290,850.00", 1, 396.0, 60.0, "B-unit_price"),
            at_x("116.34", 1, 468.0, 36.0, "B-unit_price"),
            at_x("Mfr:", 2, 78.0, 24.0, "I-description"),
            at_x("WAGO", 2, 108.0, 24.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1);
        let v = |f: &Option<Field<f64>>| f.as_ref().map(|f| f.value);
        assert_eq!(
            (v(&l[0].quantity), v(&l[0].unit_price), v(&l[0].amount)),
            (Some(2500.0), Some(116.34), Some(290850.0))
        );
        let d = l[0].description.as_ref().map(|f| f.value.as_str());
        assert_eq!(d, Some("Push-in terminal Mfr: WAGO"));
    }

    #[test]
    fn a_total_under_a_subtotal_of_three_digits_is_whole() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("AB-1", 1, 42.0, 24.0, "S-sku"),
            at_x("4", 1, 452.0, 5.0, "B-quantity"),
            at_x("47.00", 1, 500.0, 24.0, "B-unit_price"),
            at_x("188", 1, 555.0, 15.0, "B-amount"),
            at_x("Subtotal", 2, 335.0, 40.0, "O"),
            at_x("188", 2, 555.0, 15.0, "O"),
            at_x("Total", 3, 335.0, 24.0, "O"),
            at_x("188", 3, 555.0, 15.0, "B-total"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        assert_eq!(orders[0].total.as_ref().map(|f| f.value), Some(188.0));
    }

    #[test]
    fn a_quantity_with_three_decimals_is_read_by_the_rows_arithmetic() {
        // "4,000 x 3 = 12" (three decimals) in a document that otherwise prints whole numbers.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("AB-1", 1, 67.0, 40.0, "S-sku"),
            at_x("4,000", 1, 452.0, 25.0, "B-quantity"),
            at_x("3", 1, 500.0, 5.0, "B-unit_price"),
            at_x("12", 1, 555.0, 10.0, "O"),
            // 1,000 x 2 = 2,000: read as printed
            at_x("AB-2", 2, 67.0, 40.0, "S-sku"),
            at_x("1,000", 2, 452.0, 25.0, "B-quantity"),
            at_x("2", 2, 500.0, 5.0, "B-unit_price"),
            at_x("2,000", 2, 555.0, 25.0, "B-amount"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        let v = |f: &Option<Field<f64>>| f.as_ref().map(|f| f.value);
        assert_eq!(
            (v(&l[0].quantity), v(&l[0].amount)),
            (Some(4.0), Some(12.0))
        );
        assert_eq!(
            (v(&l[1].quantity), v(&l[1].amount)),
            (Some(1000.0), Some(2000.0))
        );
    }

    #[test]
    fn a_rows_unit_read_as_description_trades_with_the_descriptions_box() {
        // "... A2-70, | 20 | Box | 49,45 | 989,00" with "box of 100" under the description:
        // the model read the unit column's "Box" as description and the description's "box"
        // as the unit.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-NYL", 1, 72.0, 40.0, "S-sku"),
            at_x("Nyloc", 1, 126.0, 26.0, "B-description"),
            at_x("nut", 1, 157.0, 16.0, "I-description"),
            at_x("A2-70,", 1, 180.0, 28.0, "I-description"),
            at_x("20", 1, 384.0, 10.0, "B-quantity"),
            at_x("Box", 1, 400.0, 16.0, "I-description"),
            at_x("49,45", 1, 462.0, 24.0, "B-unit_price"),
            at_x("989,00", 1, 520.0, 28.0, "B-amount"),
            at_x("box", 2, 126.0, 16.0, "B-uom"),
            at_x("of", 2, 145.0, 8.0, "I-description"),
            at_x("100", 2, 156.0, 14.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::De);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1);
        let d = l[0].description.as_ref().map(|f| f.value.as_str());
        assert_eq!(d, Some("Nyloc nut A2-70, box of 100"));
        assert_eq!(l[0].uom.as_ref().map(|f| f.value.as_str()), Some("Box"));
    }

    #[test]
    fn a_unit_column_before_the_quantity_read_as_description_trades_with_the_box() {
        // "... plated, | BOX | 2 | 82.60 | 165.20": the unit column comes before the quantity.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-M12", 1, 62.0, 40.0, "S-sku"),
            at_x("Hex", 1, 131.0, 16.0, "B-description"),
            at_x("zinc", 1, 150.0, 15.0, "I-description"),
            at_x("plated,", 1, 168.0, 25.0, "I-description"),
            at_x("BOX", 1, 210.0, 20.0, "I-description"),
            at_x("2", 1, 250.0, 6.0, "B-quantity"),
            at_x("82.60", 1, 450.0, 24.0, "B-unit_price"),
            at_x("165.20", 1, 536.0, 28.0, "B-amount"),
            at_x("box", 2, 131.0, 16.0, "B-uom"),
            at_x("of", 2, 147.0, 8.0, "I-description"),
            at_x("100", 2, 157.0, 14.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1);
        let d = l[0].description.as_ref().map(|f| f.value.as_str());
        assert_eq!(d, Some("Hex zinc plated, box of 100"));
        assert_eq!(l[0].uom.as_ref().map(|f| f.value.as_str()), Some("BOX"));
    }

    #[test]
    fn a_price_per_unit_names_the_unit_after_its_slash() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("651500988", 1, 42.0, 40.0, "S-sku"),
            at_x("Bearing", 1, 167.0, 30.0, "B-description"),
            at_x("10,00", 1, 464.0, 20.0, "B-quantity"),
            at_x("2,33/ea", 1, 543.0, 30.0, "B-unit_price"),
            at_x("400047", 2, 42.0, 40.0, "S-sku"),
            at_x("Screw", 2, 167.0, 30.0, "B-description"),
            at_x("2,00", 2, 464.0, 20.0, "B-quantity"),
            // a slash in a number names no unit
            at_x("1/2", 2, 543.0, 30.0, "B-unit_price"),
        ];
        let orders = decode(&words, 0, Locale::De);
        let l = &orders[0].lines;
        let uom = |i: usize| l[i].uom.as_ref().map(|f| f.value.as_str());
        let price = |i: usize| l[i].unit_price.as_ref().map(|f| f.value);
        assert_eq!((uom(0), price(0)), (Some("ea"), Some(2.33)));
        assert_eq!(uom(1), None);
    }

    #[test]
    fn a_unit_column_just_before_the_description_is_the_unit() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("50", 1, 87.0, 11.0, "S-quantity"),
            at_x("463554186", 1, 103.0, 51.0, "B-sku"),
            // the unit column's cell, a column gap before the description
            at_x("PC", 1, 168.0, 13.0, "B-description"),
            at_x("Countersunk", 1, 188.0, 58.0, "B-description"),
            at_x("screw", 1, 249.0, 27.0, "I-description"),
            at_x("1.87", 1, 393.0, 20.0, "B-unit_price"),
            at_x("4", 2, 87.0, 6.0, "S-quantity"),
            at_x("463554187", 2, 103.0, 51.0, "B-sku"),
            // a word space on: the description's own first word
            at_x("Box", 2, 168.0, 16.0, "B-description"),
            at_x("of", 2, 187.0, 8.0, "I-description"),
            at_x("100", 2, 198.0, 14.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        let uom = |i: usize| l[i].uom.as_ref().map(|f| f.value.as_str());
        let d = |i: usize| l[i].description.as_ref().map(|f| f.value.as_str());
        assert_eq!((uom(0), d(0)), (Some("PC"), Some("Countersunk screw")));
        assert_eq!((uom(1), d(1)), (None, Some("Box of 100")));
    }

    #[test]
    fn a_code_cut_at_its_hyphen_is_not_joined_to_the_next_items_code() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("SAF-5162-", 1, 42.0, 45.0, "S-sku"),
            at_x("Gloves", 1, 91.0, 30.0, "B-description"),
            at_x("6", 1, 379.0, 6.0, "B-quantity"),
            // the code's rest, read as description
            at_x("M", 2, 42.0, 8.0, "I-description"),
            at_x("Mfr:", 2, 91.0, 18.0, "I-description"),
            at_x("FST-CSK-M", 3, 42.0, 45.0, "S-sku"),
            at_x("Screw", 3, 91.0, 30.0, "B-description"),
            at_x("1", 3, 379.0, 6.0, "B-quantity"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2);
        let sku = |i: usize| l[i].sku.as_ref().map(|f| f.value.as_str());
        assert_eq!((sku(0), sku(1)), (Some("SAF-5162-M"), Some("FST-CSK-M")));
    }

    #[test]
    fn arithmetic_reads_a_discounted_row() {
        let unsure = |t: &'static str, x: f32| LabeledWord {
            prob: 0.54,
            ..at_x(t, 1, x, 12.0, "O")
        };
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-CSK-M", 1, 42.0, 45.0, "S-sku"),
            at_x("Screw", 1, 91.0, 30.0, "B-description"),
            at_x("BOX", 1, 304.0, 20.0, "B-uom"),
            // the quantity, missed; then the row's discount: 12 x 6.86 less 5 % is 78.20
            unsure("12", 374.0),
            unsure("5%", 408.0),
            at_x("6.86", 1, 466.0, 20.0, "B-unit_price"),
            at_x("78.20", 1, 530.0, 24.0, "B-amount"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let q = orders[0].lines[0].quantity.as_ref().map(|f| f.value);
        assert_eq!(q, Some(12.0));
    }

    #[test]
    fn a_number_wrapped_in_another_columns_cell_below_the_row_opens_no_item() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("BRG-6308-ZZ", 1, 59.0, 50.0, "S-sku"),
            at_x("Deep", 1, 115.0, 20.0, "B-description"),
            at_x("500", 1, 389.0, 14.0, "B-quantity"),
            at_x("30.10", 1, 436.0, 20.0, "B-unit_price"),
            at_x("6153-4", 1, 496.0, 26.0, "O"),
            at_x("15050.00", 1, 527.0, 26.0, "B-amount"),
            at_x("groove", 2, 115.0, 28.0, "I-description"),
            // the rest of "6153-4" / "35", read as an amount
            at_x("35", 2, 496.0, 10.0, "B-amount"),
            at_x("Hersteller:", 3, 115.0, 40.0, "I-description"),
            at_x("FST-1", 4, 59.0, 30.0, "S-sku"),
            at_x("Socket", 4, 115.0, 26.0, "B-description"),
            at_x("1", 4, 391.0, 6.0, "B-quantity"),
            at_x("66.34", 4, 527.0, 26.0, "B-amount"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2);
        let d = |i: usize| l[i].description.as_ref().map(|f| f.value.as_str());
        let a = |i: usize| l[i].amount.as_ref().map(|f| f.value);
        assert_eq!(
            (d(0), a(0)),
            (Some("Deep groove Hersteller:"), Some(15050.0))
        );
        assert_eq!((d(1), a(1)), (Some("Socket"), Some(66.34)));
    }

    #[test]
    fn of_two_codes_on_a_row_a_barcode_number_is_not_the_part_number() {
        let sure = |t: &'static str, x: f32, label: &'static str, prob: f32| {
            at_p(t, 1, x, 40.0, label, prob)
        };
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            sure("FST-M5X16", 60.0, "S-sku", 0.95),
            // an EAN column read, more surely, as a second customer part
            sure("4006381333931", 117.0, "B-customer_part", 0.97),
            sure("STK211935", 174.0, "B-customer_part", 0.9),
            sure("Hex", 232.0, "B-description", 0.97),
            sure("1", 443.0, "B-quantity", 1.0),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1);
        let cp = l[0].customer_part.as_ref().map(|f| f.value.as_str());
        assert_eq!(cp, Some("STK211935"));
    }

    #[test]
    fn a_code_rest_read_as_a_unit_joins_the_code_and_the_unit_cell_is_the_unit() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("20", 1, 96.0, 10.0, "S-quantity"),
            at_x("FST-M4X16", 1, 110.0, 45.0, "B-sku"),
            at_x("6ES7748-1", 1, 161.0, 45.0, "B-customer_part"),
            at_x("Hex", 1, 209.0, 16.0, "B-description"),
            at_x("plated,", 1, 228.0, 28.0, "I-description"),
            // the unit column's cell, read as description
            at_x("BOX", 1, 275.0, 20.0, "I-description"),
            at_x("4.39", 1, 320.0, 18.0, "B-unit_price"),
            // the customer part's rest, read as a unit
            at_x("BX20", 2, 161.0, 22.0, "B-uom"),
            at_x("box", 2, 209.0, 16.0, "B-uom"),
            at_x("of", 2, 228.0, 8.0, "I-description"),
            at_x("100", 2, 239.0, 14.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1);
        let cp = l[0].customer_part.as_ref().map(|f| f.value.as_str());
        let uom = l[0].uom.as_ref().map(|f| f.value.as_str());
        let d = l[0].description.as_ref().map(|f| f.value.as_str());
        assert_eq!(cp, Some("6ES7748-1BX20"));
        assert_eq!(uom, Some("BOX"));
        assert_eq!(d, Some("Hex plated, box of 100"));
    }

    #[test]
    fn a_unit_word_inside_a_description_right_of_the_quantity_stays_description() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("10", 1, 42.0, 10.0, "S-quantity"),
            at_x("Gloves,", 1, 80.0, 30.0, "B-description"),
            at_x("box", 1, 113.0, 16.0, "I-description"),
            at_x("of", 1, 132.0, 8.0, "I-description"),
            at_x("100", 1, 143.0, 14.0, "I-description"),
            at_x("4.39", 1, 320.0, 18.0, "B-unit_price"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        let d = l[0].description.as_ref().map(|f| f.value.as_str());
        assert_eq!((d, l[0].uom.as_ref()), (Some("Gloves, box of 100"), None));
    }

    #[test]
    fn a_note_line_under_a_wrapped_code_lends_it_nothing() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-CSK-M4X40", 1, 45.0, 60.0, "S-sku"),
            at_x("Countersunk", 1, 113.0, 44.0, "B-description"),
            at_x("6", 1, 370.0, 5.0, "B-quantity"),
            at_x("-109", 2, 45.0, 18.0, "I-sku"),
            at_x("of", 2, 113.0, 8.0, "I-description"),
            at_x("Werkszeugnis", 3, 45.0, 46.0, "O"),
            at_x("3.1", 3, 94.0, 10.0, "O"),
            at_x("nach", 3, 106.0, 17.0, "O"),
        ];
        let orders = decode(&words, 0, Locale::De);
        let sku = orders[0].lines[0].sku.as_ref().map(|f| f.value.as_str());
        assert_eq!(sku, Some("FST-CSK-M4X40-109"));
    }

    #[test]
    fn a_wrapped_dates_day_read_as_a_second_quantity_shifts_no_item() {
        let sure = |t: &'static str, line: u32, x: f32, label: &'static str, prob: f32| {
            at_p(t, line, x, 10.0, label, prob)
        };
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            sure("HX-0021", 1, 45.0, "S-sku", 1.0),
            sure("Tape", 1, 103.0, "B-description", 1.0),
            // the day of "12 January 2021", wrapped in the delivery-date cell
            sure("12", 1, 322.0, "B-quantity", 0.73),
            sure("1", 1, 393.0, "B-quantity", 0.99),
            sure("293.04", 1, 448.0, "B-unit_price", 0.99),
            sure("287.18", 1, 541.0, "B-amount", 1.0),
            sure("January", 2, 322.0, "O", 1.0),
            sure("FST-1", 3, 45.0, "S-sku", 1.0),
            sure("Screw", 3, 103.0, "B-description", 1.0),
            sure("6", 3, 393.0, "B-quantity", 0.99),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2);
        let q = |i: usize| l[i].quantity.as_ref().map(|f| f.value);
        let sku = |i: usize| l[i].sku.as_ref().map(|f| f.value.as_str());
        assert_eq!((sku(0), q(0)), (Some("HX-0021"), Some(1.0)));
        assert_eq!((sku(1), q(1)), (Some("FST-1"), Some(6.0)));
    }

    #[test]
    fn a_second_code_on_the_row_opens_no_item_and_the_wrapped_code_stays_whole() {
        let sure = |t: &'static str, line: u32, x: f32, label: &'static str, prob: f32| {
            at_p(t, line, x, 40.0, label, prob)
        };
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            sure("FST-M5X16-A", 1, 60.0, "S-sku", 0.93),
            sure("STK211935", 1, 117.0, "B-customer_part", 1.0),
            // the EAN column beside the customer's part number
            sure("861431519858", 1, 174.0, "B-customer_part", 0.67),
            sure("Hex", 1, 232.0, "B-description", 0.97),
            sure("1", 1, 443.0, "B-quantity", 1.0),
            sure("13.21", 1, 480.0, "B-unit_price", 1.0),
            sure("2", 2, 60.0, "I-sku", 0.88),
            sure("screw", 2, 232.0, "I-description", 0.99),
            sure("FST-NYL-M6", 3, 60.0, "S-sku", 0.95),
            sure("STK502073", 3, 117.0, "B-customer_part", 0.99),
            sure("25", 3, 443.0, "B-quantity", 1.0),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2);
        let sku = |i: usize| l[i].sku.as_ref().map(|f| f.value.as_str());
        let cp = |i: usize| l[i].customer_part.as_ref().map(|f| f.value.as_str());
        let q = |i: usize| l[i].quantity.as_ref().map(|f| f.value);
        assert_eq!(
            (sku(0), cp(0), q(0)),
            (Some("FST-M5X16-A2"), Some("STK211935"), Some(1.0))
        );
        assert_eq!(
            (sku(1), cp(1), q(1)),
            (Some("FST-NYL-M6"), Some("STK502073"), Some(25.0))
        );
    }

    #[test]
    fn a_code_cut_at_its_hyphen_takes_back_a_rest_without_digits() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("1,000", 1, 82.0, 20.0, "S-quantity"),
            at_x("SAF-5524-", 1, 107.0, 38.0, "B-sku"),
            at_x("Hi-vis", 1, 150.0, 20.0, "B-description"),
            at_x("vest", 1, 173.0, 14.0, "I-description"),
            at_x("XL", 2, 107.0, 9.0, "I-description"),
            // under a whole code, a capitalised word is description
            at_x("5", 3, 82.0, 5.0, "S-quantity"),
            at_x("SAF-5525", 3, 107.0, 38.0, "B-sku"),
            at_x("Gloves", 3, 150.0, 24.0, "B-description"),
            at_x("XL", 4, 107.0, 9.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        let sku = |i: usize| l[i].sku.as_ref().map(|f| f.value.as_str());
        let d = |i: usize| l[i].description.as_ref().map(|f| f.value.as_str());
        assert_eq!((sku(0), d(0)), (Some("SAF-5524-XL"), Some("Hi-vis vest")));
        assert_eq!((sku(1), d(1)), (Some("SAF-5525"), Some("Gloves XL")));
    }

    #[test]
    fn arithmetic_reads_a_spaced_amount_and_prefers_the_printed_column_order() {
        let p = |t: &'static str, line: u32, x: f32, label: &'static str, prob: f32| {
            at_p(t, line, x, 6.0 * t.len() as f32, label, prob)
        };
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            // "25 | 49 | 1 225": the quantity read as a price, the amount left unlabelled
            p("381093220", 1, 0.0, "S-sku", 0.99),
            p("BOX", 1, 468.0, "B-uom", 1.0),
            p("25", 1, 528.0, "B-unit_price", 0.69),
            p("49", 1, 594.0, "B-unit_price", 0.96),
            p("1", 1, 630.0, "O", 0.79),
            p("225", 1, 642.0, "O", 0.89),
            // "12 | 1 | 12": 12 x 1 = 12 either way round; the column order decides
            p("607935750", 2, 0.0, "S-sku", 0.99),
            p("EA", 2, 468.0, "B-uom", 1.0),
            p("12", 2, 528.0, "B-unit_price", 0.60),
            p("1", 2, 600.0, "B-unit_price", 0.45),
            p("12", 2, 648.0, "O", 0.98),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        let v = |f: &Option<Field<f64>>| f.as_ref().map(|f| f.value);
        let qpa = |i: usize| (v(&l[i].quantity), v(&l[i].unit_price), v(&l[i].amount));
        assert_eq!(qpa(0), (Some(25.0), Some(49.0), Some(1225.0)));
        assert_eq!(qpa(1), (Some(12.0), Some(1.0), Some(12.0)));
    }

    #[test]
    fn numbers_that_do_not_multiply_out_are_left_as_read() {
        // 10 x 5.00 less 10 % is 45.00: no triple of the row's numbers multiplies out.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("1", 1, 58.0, 5.0, "O"),
            at_x("AB-1", 1, 90.0, 30.0, "B-sku"),
            at_x("10", 1, 300.0, 10.0, "B-quantity"),
            at_x("5.00", 1, 350.0, 20.0, "B-unit_price"),
            at_x("10", 1, 400.0, 10.0, "O"),
            at_x("45.00", 1, 450.0, 20.0, "B-amount"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines[0];
        let n = |f: &Option<Field<f64>>| f.as_ref().map(|f| f.value);
        assert_eq!(
            (n(&l.quantity), n(&l.unit_price), n(&l.amount)),
            (Some(10.0), Some(5.0), Some(45.0))
        );
    }

    #[test]
    fn a_centred_row_whose_cells_start_on_different_lines_is_one_item() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_y("Hex", 1, 250.0, 100.0, "B-description"),
            at_y("A9F110", 2, 200.0, 110.0, "B-customer_part"),
            at_y("16.61", 2, 470.0, 110.0, "B-unit_price"),
            at_y("166.10", 2, 570.0, 110.0, "B-amount"),
            at_y("10", 3, 92.0, 120.0, "S-quantity"),
            at_y("FST-M10", 3, 106.0, 120.0, "B-sku"),
            at_y("screw", 4, 250.0, 130.0, "I-description"),
            // row 2: its price line comes before its quantity line as well
            at_y("Ball", 5, 250.0, 160.0, "B-description"),
            at_y("KQ2737", 6, 200.0, 170.0, "B-customer_part"),
            at_y("12.34", 6, 470.0, 170.0, "B-unit_price"),
            at_y("500", 7, 92.0, 180.0, "S-quantity"),
            at_y("BRG-6308", 7, 106.0, 180.0, "B-sku"),
            at_y("bearing", 8, 250.0, 190.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2);
        let row = |i: usize| {
            let x = &l[i];
            (
                x.customer_part.as_ref().unwrap().value.clone(),
                x.sku.as_ref().unwrap().value.clone(),
                x.quantity.as_ref().unwrap().value,
                x.unit_price.as_ref().unwrap().value,
                x.description.as_ref().unwrap().value.clone(),
            )
        };
        assert_eq!(
            row(0),
            (
                "A9F110".into(),
                "FST-M10".into(),
                10.0,
                16.61,
                "Hex screw".into()
            )
        );
        assert_eq!(
            row(1),
            (
                "KQ2737".into(),
                "BRG-6308".into(),
                500.0,
                12.34,
                "Ball bearing".into()
            )
        );
    }

    #[test]
    fn a_number_goes_on_below_itself_only_and_a_hyphenated_code_past_a_centre_line() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_y("500", 1, 86.0, 100.0, "S-quantity"),
            at_y("BRG-6308", 1, 106.0, 100.0, "B-sku"),
            at_y("A9F110-", 1, 200.0, 100.0, "B-customer_part"),
            at_y("Ball", 1, 300.0, 100.0, "B-description"),
            at_y("16.61", 1, 470.0, 100.0, "B-unit_price"),
            at_y("bearing", 2, 300.0, 110.0, "I-description"),
            // the row number of the next row, in another column than the quantity
            at_y("003", 3, 58.0, 120.0, "I-quantity"),
            // the rest of the hyphenated code, two lines below it
            at_y("6BB65", 3, 200.0, 120.0, "O"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l[0].quantity.as_ref().unwrap().value, 500.0);
        assert_eq!(l[0].customer_part.as_ref().unwrap().value, "A9F110-6BB65");
    }

    #[test]
    fn a_row_whose_numbers_were_read_one_column_off_is_re_read_by_arithmetic() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("HX-0008", 1, 10.0, 30.0, "S-sku"),
            at_x("Screwdriver", 1, 60.0, 40.0, "B-description"),
            at_x("3", 1, 300.0, 5.0, "B-unit_price"),
            at_x("88.59", 1, 400.0, 20.0, "B-amount"),
            at_x("265.77", 1, 450.0, 25.0, "S-amount"),
            at_x("Mfr:", 2, 60.0, 15.0, "B-description"),
            // an amount read as a second price
            at_x("CD-2", 2, 10.0, 30.0, "S-sku"),
            at_x("2", 2, 300.0, 5.0, "B-quantity"),
            at_x("20.05", 2, 400.0, 20.0, "B-unit_price"),
            at_x("40.10", 2, 450.0, 25.0, "B-unit_price"),
            // numbers that do not multiply out are left as read
            at_x("AB-1", 3, 10.0, 30.0, "S-sku"),
            at_x("2", 3, 300.0, 5.0, "B-unit_price"),
            at_x("9.00", 3, 400.0, 20.0, "B-amount"),
            at_x("19.00", 3, 450.0, 25.0, "S-amount"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l[0].quantity.as_ref().unwrap().value, 3.0);
        assert_eq!(l[0].unit_price.as_ref().unwrap().value, 88.59);
        assert_eq!(l[0].amount.as_ref().unwrap().value, 265.77);
        assert_eq!(l[0].description.as_ref().unwrap().value, "Screwdriver Mfr:");
        assert_eq!(l[1].unit_price.as_ref().unwrap().value, 20.05);
        assert_eq!(l[1].amount.as_ref().unwrap().value, 40.1);
        assert_eq!(l[2].amount.as_ref().unwrap().value, 9.0);
    }

    #[test]
    fn a_word_past_a_column_gap_is_not_description() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("BRG-6302", 1, 10.0, 30.0, "S-sku"),
            at_x("bearing", 1, 60.0, 28.0, "B-description"),
            at_x("2", 1, 92.0, 5.0, "I-description"),
            // the unit column, level with the description's first line
            at_x("PCS", 1, 200.0, 15.0, "I-description"),
            at_x("4", 1, 250.0, 5.0, "B-quantity"),
            at_x("metal", 2, 60.0, 20.0, "I-description"),
            at_x("shields", 2, 84.0, 28.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(
            l[0].description.as_ref().unwrap().value,
            "bearing 2 metal shields"
        );
    }

    #[test]
    fn without_space_between_rows_descriptions_stay_as_read() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_y("AB-1", 1, 100.0, 100.0, "S-sku"),
            at_y("Hex", 1, 200.0, 100.0, "B-description"),
            at_y("5", 1, 400.0, 100.0, "B-quantity"),
            at_y("screw", 2, 200.0, 110.0, "I-description"),
            at_y("CD-2", 3, 100.0, 120.0, "S-sku"),
            at_y("Nut", 3, 200.0, 120.0, "B-description"),
            at_y("3", 3, 400.0, 120.0, "B-quantity"),
            at_y("M8", 4, 200.0, 130.0, "I-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l[0].description.as_ref().unwrap().value, "Hex screw");
        assert_eq!(l[1].description.as_ref().unwrap().value, "Nut M8");
    }

    #[test]
    fn a_po_number_the_model_missed_is_read_after_its_label() {
        let words = vec![
            at_x("Order", 0, 300.0, 20.0, "O"),
            at_x("No.:", 0, 322.0, 12.0, "O"),
            at_x("P730401", 0, 336.0, 30.0, "O"),
            at_x("AB-1", 2, 10.0, 20.0, "S-sku"),
            at_x("5", 2, 40.0, 5.0, "B-quantity"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let po = orders[0].po_number.as_ref().unwrap();
        assert_eq!(po.value, "P730401");
        assert!(
            po.confidence < 0.6,
            "a label match is less sure than the model"
        );
        // A date after the label is not a PO number; nor is a word far off on the same row.
        for (text, x) in [("07/03/2025", 336.0), ("P730401", 500.0)] {
            let words = vec![
                at_x("PO", 0, 300.0, 12.0, "O"),
                at_x("#", 0, 314.0, 5.0, "O"),
                at_x(text, 0, x, 30.0, "O"),
                at_x("AB-1", 2, 10.0, 20.0, "S-sku"),
            ];
            let orders = decode(&words, 0, Locale::Us);
            assert!(orders[0].po_number.is_none(), "{text} at {x}");
        }
    }

    #[test]
    fn a_po_number_the_model_missed_is_read_under_its_label_in_a_grid() {
        let words = vec![
            at_x("PO", 0, 10.0, 12.0, "O"),
            at_x("Number", 0, 24.0, 30.0, "O"),
            at_x("Date", 0, 120.0, 20.0, "O"),
            at_x("Terms", 1, -60.0, 20.0, "O"),
            at_x("4500012345", 1, 12.0, 44.0, "O"),
            at_x("2025-03-07", 1, 120.0, 44.0, "O"),
            at_x("A-1", 2, 10.0, 20.0, "S-sku"),
            at_x("2", 2, 100.0, 8.0, "B-quantity"),
        ];
        let o = &decode(&words, 0, Locale::Us)[0];
        let po = o.po_number.as_ref().expect("read under its label");
        assert_eq!(po.value, "4500012345");
        assert!(po.confidence <= 0.5, "a fallback never passes untouched");
        // Nothing under the label: no PO number is invented from the next cell over.
        let mut far = words.clone();
        far.remove(4);
        assert!(decode(&far, 0, Locale::Us)[0].po_number.is_none());
    }

    #[test]
    fn a_po_number_alone_is_a_mention_not_an_order() {
        let words = vec![
            w("Thanks", 0, "O"),
            w("for", 0, "O"),
            w("PO", 0, "O"),
            w("88123", 0, "B-po_number"),
        ];
        assert!(decode(&words, 0, Locale::Us).is_empty());
        let mut words = words;
        words.push(w("Acme", 1, "B-ship_to"));
        assert_eq!(
            decode(&words, 0, Locale::Us).len(),
            1,
            "with a ship-to it is an order"
        );
    }

    #[test]
    fn an_address_line_is_completed_and_its_last_line_joins() {
        let words = vec![
            at_x("PO-9", 0, 10.0, 20.0, "B-po_number"),
            at_x("Ship", 1, 10.0, 15.0, "O"),
            at_x("to:", 1, 27.0, 10.0, "O"),
            at_x("Fenwick", 2, 10.0, 30.0, "B-ship_to"),
            at_x("Castings", 2, 42.0, 30.0, "I-ship_to"),
            at_x("Ltd", 2, 74.0, 12.0, "O"),
            at_x("Invoice", 2, 200.0, 30.0, "O"),
            at_x("40", 3, 10.0, 8.0, "O"),
            at_x("Mill", 3, 20.0, 15.0, "I-ship_to"),
            at_x("Road", 3, 37.0, 15.0, "I-ship_to"),
            at_x("United", 4, 10.0, 25.0, "O"),
            at_x("Kingdom", 4, 37.0, 30.0, "O"),
            at_x("Tel.", 5, 10.0, 12.0, "O"),
            at_x("0123", 5, 24.0, 20.0, "O"),
            at_x("AB-1", 7, 10.0, 20.0, "S-sku"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        assert_eq!(
            orders[0].ship_to.as_ref().unwrap().value,
            "Fenwick Castings Ltd, 40 Mill Road, United Kingdom",
            "the far-off column and the phone line stay out"
        );
    }

    #[test]
    fn a_buyer_is_the_run_on_its_first_line() {
        let words = vec![
            at_x("Fenwick", 0, 10.0, 30.0, "O"),
            at_x("Castings", 0, 42.0, 30.0, "B-buyer"),
            at_x("Ltd", 0, 74.0, 12.0, "O"),
            at_x("—", 0, 88.0, 6.0, "O"),
            at_x("Purchase", 0, 96.0, 30.0, "O"),
            at_x("SKU", 1, 10.0, 15.0, "I-buyer"),
            at_x("AB-1", 2, 10.0, 20.0, "S-sku"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        assert_eq!(
            orders[0].buyer.as_ref().unwrap().value,
            "Fenwick Castings Ltd"
        );
    }

    #[test]
    fn the_unlabelled_rest_of_a_wrapped_code_joins_it() {
        let words = vec![
            at_x("6ES7151-1FX", 0, 10.0, 40.0, "S-sku"),
            at_x("Relay", 0, 60.0, 20.0, "B-description"),
            at_x("4", 0, 100.0, 5.0, "B-quantity"),
            at_x("33", 1, 10.0, 8.0, "O"),
            at_x("module", 1, 60.0, 25.0, "I-description"),
            at_x("AB-2", 2, 10.0, 20.0, "S-sku"),
            at_x("Pump", 2, 60.0, 20.0, "B-description"),
            at_x("1", 2, 100.0, 5.0, "B-quantity"),
            at_x("seal", 3, 10.0, 15.0, "O"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l[0].sku.as_ref().unwrap().value, "6ES7151-1FX33");
        assert_eq!(
            l[1].sku.as_ref().unwrap().value,
            "AB-2",
            "a lower-case word is not a code"
        );
    }

    #[test]
    fn a_description_only_item_is_the_rest_of_the_item_above() {
        let words = vec![
            w("AB-1", 0, "S-sku"),
            w("Hex", 0, "B-description"),
            w("screw", 0, "I-description"),
            w("4", 0, "B-quantity"),
            w("stainless", 1, "S-description"),
            w("steel", 1, "I-description"),
            w("AB-2", 2, "S-sku"),
            w("2", 2, "B-quantity"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2);
        assert_eq!(
            l[0].description.as_ref().unwrap().value,
            "Hex screw stainless steel"
        );
    }

    /// A header over lines 1.. on page 1, naming a unit column or not, with the description
    /// column from x 100 to x 300.
    fn header(unit_column: bool) -> Vec<HeaderHint> {
        vec![HeaderHint {
            page: 1,
            below: 9.0,
            unit_column,
            description: Some((100.0, 300.0)),
        }]
    }

    #[test]
    fn a_unit_word_in_the_descriptions_run_under_a_header_without_a_unit_column_is_description() {
        // "Screwdriver set VDE insulated 7 pcs" | 2 | 172.69 | 345.38, and "A4-80, box of
        // 200": words 4 units apart (a word space), the quantity far to the right.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("HX-8", 1, 42.0, 30.0, "S-sku"),
            at_x("Screwdriver", 1, 100.0, 44.0, "B-description"),
            at_x("set", 1, 148.0, 12.0, "I-description"),
            at_x("VDE", 1, 164.0, 14.0, "I-description"),
            at_x("insulated", 1, 182.0, 36.0, "I-description"),
            at_x("7", 1, 222.0, 5.0, "I-description"),
            at_p("pcs", 1, 231.0, 14.0, "B-uom", 0.9),
            at_x("2", 1, 400.0, 5.0, "B-quantity"),
            at_x("172.69", 1, 440.0, 28.0, "B-unit_price"),
            at_x("345.38", 1, 500.0, 28.0, "B-amount"),
            at_x("HX-9", 2, 42.0, 30.0, "S-sku"),
            at_x("Hex", 2, 100.0, 14.0, "B-description"),
            at_x("nut", 2, 118.0, 14.0, "I-description"),
            at_x("A4-80,", 2, 136.0, 24.0, "I-description"),
            at_x("box", 2, 164.0, 14.0, "B-uom"),
            at_x("of", 2, 182.0, 8.0, "I-description"),
            at_x("200", 2, 194.0, 14.0, "I-description"),
            at_x("20", 2, 400.0, 10.0, "B-quantity"),
            at_x("111.72", 2, 440.0, 28.0, "B-unit_price"),
            at_x("2234.40", 2, 500.0, 32.0, "B-amount"),
        ];
        let read = |hints: &[HeaderHint]| {
            decode_with(&words, 0, Locale::Us, hints)[0]
                .lines
                .iter()
                .map(|l| {
                    (
                        l.description.as_ref().map(|f| f.value.clone()),
                        l.uom.as_ref().map(|f| f.value.clone()),
                    )
                })
                .collect::<Vec<_>>()
        };
        let text = |d: &str| Some(d.to_string());
        assert_eq!(
            read(&header(false)),
            vec![
                (text("Screwdriver set VDE insulated 7 pcs"), None),
                (text("Hex nut A4-80, box of 200"), None)
            ]
        );
        // Under a header that names a unit column, or none found, the reading stands.
        for hints in [header(true), vec![]] {
            let l = read(&hints);
            assert_eq!(l[0], (text("Screwdriver set VDE insulated 7"), text("pcs")));
        }
    }

    #[test]
    fn a_known_unit_read_as_a_code_in_the_other_rows_unit_column_is_the_unit() {
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-1", 1, 42.0, 60.0, "S-sku"),
            at_x("BX", 1, 254.0, 12.0, "B-uom"),
            at_x("172.47", 1, 390.0, 26.0, "B-unit_price"),
            at_x("10", 1, 440.0, 10.0, "B-quantity"),
            at_x("Screws", 2, 80.0, 30.0, "B-description"),
            at_x("HX-22", 3, 42.0, 30.0, "S-sku"),
            at_p("ROL", 3, 251.0, 19.0, "B-customer_part", 0.52),
            at_x("156.42", 3, 390.0, 26.0, "B-unit_price"),
            at_x("2", 3, 440.0, 5.0, "B-quantity"),
            at_x("Towels", 4, 80.0, 30.0, "B-description"),
        ];
        let orders = decode(&words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].uom.as_ref().map(|f| f.value.as_str()), Some("ROL"));
        assert_eq!(l[1].customer_part, None);
        assert_eq!(l[1].sku.as_ref().map(|f| f.value.as_str()), Some("HX-22"));
    }

    #[test]
    fn a_sure_word_one_space_on_inside_the_headed_description_column_is_description() {
        // "Nyloc nut steel class 8" over "zinc, box of 100": the model sure "8" is no field.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-NYL", 1, 42.0, 50.0, "S-sku"),
            at_x("Nyloc", 1, 100.0, 24.0, "B-description"),
            at_x("nut", 1, 127.0, 14.0, "I-description"),
            at_p("class", 1, 144.0, 22.0, "O", 0.53),
            at_p("8", 1, 169.0, 5.0, "O", 0.93),
            at_x("5.00", 1, 400.0, 18.0, "B-quantity"),
            at_x("67.04", 1, 440.0, 24.0, "B-unit_price"),
            at_x("zinc,", 2, 100.0, 20.0, "I-description"),
            at_x("box", 2, 123.0, 14.0, "I-description"),
            // Off the row's line (a note under it), a sure word stays out.
            at_p("#", 2, 140.0, 5.0, "O", 0.99),
        ];
        let read = |hints: &[HeaderHint]| {
            decode_with(&words, 0, Locale::Us, hints)[0].lines[0]
                .description
                .as_ref()
                .map(|f| f.value.clone())
        };
        assert_eq!(
            read(&header(true)).as_deref(),
            Some("Nyloc nut class 8 zinc, box")
        );
        assert_eq!(
            read(&[]).as_deref(),
            Some("Nyloc nut class zinc, box"),
            "without a header the sure word stays out"
        );
    }

    #[test]
    fn a_known_unit_inside_a_description_set_with_wide_word_spaces_stays_description() {
        // Word spaces of 4.8 on 8-high text (0.6 heights, wider than the fixed 0.55): "set"
        // stands no farther from its neighbours than any other word of the description.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("HX-8", 1, 42.0, 30.0, "S-sku"),
            at_x("Screwdriver", 1, 100.0, 44.0, "B-description"),
            at_x("set", 1, 148.8, 12.0, "I-description"),
            at_x("VDE", 1, 165.6, 14.0, "I-description"),
            at_x("insulated", 1, 184.4, 36.0, "I-description"),
            at_x("7", 1, 225.2, 5.0, "I-description"),
            at_x("2", 1, 400.0, 5.0, "B-quantity"),
            at_x("172.69", 1, 440.0, 28.0, "B-unit_price"),
            at_x("345.38", 1, 500.0, 28.0, "B-amount"),
        ];
        let l = &decode(&words, 0, Locale::Us)[0].lines;
        let d = l[0].description.as_ref().map(|f| f.value.as_str());
        assert_eq!(
            (d, l[0].uom.as_ref()),
            (Some("Screwdriver set VDE insulated 7"), None)
        );
    }

    #[test]
    fn a_word_past_a_gap_under_the_next_columns_label_is_no_description() {
        // "... size" | "TouchNTuff" printed under "Mfr Part No." (from x 300), 16 units on:
        // less than the 2.5 text heights that tell a column gap without a header.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("SAF-7967", 1, 42.0, 46.0, "S-sku"),
            at_x("Nitrile", 1, 226.0, 20.0, "B-description"),
            at_x("gloves,", 1, 249.0, 24.0, "I-description"),
            at_x("size", 1, 276.0, 14.0, "I-description"),
            at_x("TouchNTuff", 1, 306.0, 40.0, "I-description"),
            at_x("30.00", 1, 472.0, 19.0, "B-unit_price"),
            at_x("XL,", 2, 226.0, 11.0, "I-description"),
        ];
        let mut hints = header(false);
        hints[0].description = Some((226.0, 300.0));
        let read = |hints: &[HeaderHint]| {
            decode_with(&words, 0, Locale::Us, hints)[0].lines[0]
                .description
                .as_ref()
                .map(|f| f.value.clone())
        };
        assert_eq!(read(&hints).as_deref(), Some("Nitrile gloves, size XL,"));
        assert_eq!(
            read(&[]).as_deref(),
            Some("Nitrile gloves, size TouchNTuff XL,")
        );
    }

    #[test]
    fn a_weaker_second_quantity_one_space_after_the_description_is_description() {
        // "1 | HSS twist drill DIN 338, pk 10 | BX | 235.27": the row's quantity is the 1.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("HX-10", 1, 74.0, 33.0, "S-sku"),
            at_x("1", 1, 195.0, 5.0, "B-quantity"),
            at_x("HSS", 1, 205.0, 15.0, "B-description"),
            at_x("drill", 1, 223.0, 18.0, "I-description"),
            at_x("338,", 1, 244.0, 17.0, "I-description"),
            at_x("pk", 1, 264.0, 10.0, "I-description"),
            at_p("10", 1, 276.0, 10.0, "B-quantity", 0.86),
            at_x("BX", 1, 476.0, 10.0, "B-uom"),
            at_x("235.27", 1, 543.0, 27.0, "B-unit_price"),
        ];
        assert_eq!(
            only_line_description_and_quantity(&words),
            (Some("HSS drill 338, pk 10".to_string()), Some(1.0))
        );
    }

    #[test]
    fn a_weak_second_quantity_alone_on_its_line_in_the_description_column_is_description() {
        // "zinc flake, box of" / "50" / "IP67 rated": the 50 wrapped in the description's cell.
        let words = vec![
            w("PO-1", 0, "B-po_number"),
            at_x("FST-CSK", 1, 42.0, 60.0, "S-sku"),
            at_x("Countersunk", 1, 126.0, 58.0, "B-description"),
            at_x("1.00", 1, 431.0, 20.0, "B-quantity"),
            at_x("25.05", 1, 493.0, 25.0, "B-unit_price"),
            at_x("25.05", 1, 544.0, 25.0, "B-amount"),
            at_x("zinc", 2, 126.0, 18.0, "I-description"),
            at_x("box", 2, 147.0, 16.0, "I-description"),
            at_x("of", 2, 166.0, 9.0, "I-description"),
            at_p("50", 3, 126.0, 11.0, "B-quantity", 0.55),
            at_x("IP67", 4, 126.0, 21.0, "I-description"),
        ];
        assert_eq!(
            only_line_description_and_quantity(&words),
            (
                Some("Countersunk zinc box of 50 IP67".to_string()),
                Some(1.0)
            )
        );
    }

    /// The description and quantity of the one item `words` decode to.
    fn only_line_description_and_quantity(
        words: &[LabeledWord<'_>],
    ) -> (Option<String>, Option<f64>) {
        let orders = decode(words, 0, Locale::Us);
        let l = &orders[0].lines;
        assert_eq!(l.len(), 1, "{l:?}");
        (
            l[0].description.as_ref().map(|f| f.value.clone()),
            l[0].quantity.as_ref().map(|f| f.value),
        )
    }
}
