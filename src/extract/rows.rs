//! From the model's spans to line items: the rules that work on whole rows of a table.
//!
//! The model labels words; a row of a printed table is one item. These rules mend what the
//! labels get wrong at the level of rows: numbers split over two words or read one column off,
//! two items begun on one row, rows set apart by white space (vertically centred cells), words
//! of another column inside a description, and quantity x price = amount to fill in or check a
//! row's numbers. Each is measured in `models/MODEL.md` and pinned by a test in `decode.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::decode::{num_field, LabeledWord, Span, ALTERNATE};
use super::normalize::Locale;
use crate::domain::{Field, LineItem};

/// "23 418.00" prints a thousands group as its own word, and the model may read the two
/// groups as two values of the same field (which then opens a phantom item). Adjacent spans
/// of one numeric field on one line, the first a bare 1-3 digit group and the second starting
/// with exactly three digits, close together, are one number.
pub(super) fn join_thousands_groups(words: &[LabeledWord<'_>], spans: Vec<Span>) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        if let Some(prev) = out.last_mut() {
            let numeric = matches!(
                span.field.as_str(),
                "quantity" | "unit_price" | "amount" | "total"
            );
            let a = prev.words.last().copied();
            let b = span.words.first().copied();
            if let (true, Some(ai), Some(bi)) = (numeric && prev.field == span.field, a, b) {
                if let (Some(x), Some(y)) = (words.get(ai), words.get(bi)) {
                    let height = (y.bbox[3] - y.bbox[1]).max(1.0);
                    let close = ai + 1 == bi
                        && x.page == y.page
                        && x.line == y.line
                        && y.bbox[0] - x.bbox[2] < 0.7 * height;
                    let lead = (1..=3).contains(&x.text.len())
                        && x.text.bytes().all(|c| c.is_ascii_digit());
                    let head = y.text.split(['.', ',']).next().unwrap_or("");
                    let group = head.len() == 3 && head.bytes().all(|c| c.is_ascii_digit());
                    if close && lead && group {
                        prev.words.extend(span.words);
                        continue;
                    }
                }
            }
        }
        out.push(span);
    }
    join_wrapped_thousands(words, out)
}

/// A price or amount with a space as thousands separator, wrapped in a narrow cell at that
/// space: "42" on one line, "730.00" under it, right-aligned in the same column, both read
/// as the same field. The lead has no decimals (a value of the row above would) and the rest
/// is a group of three digits with decimals; the two are one number.
fn join_wrapped_thousands(words: &[LabeledWord<'_>], mut spans: Vec<Span>) -> Vec<Span> {
    let mut k = 0;
    while k < spans.len() {
        let lead = spans.get(k).and_then(|s| match s.words[..] {
            [one] if matches!(s.field.as_str(), "unit_price" | "amount") => {
                words.get(one).filter(|w| {
                    (1..=3).contains(&w.text.len()) && w.text.bytes().all(|b| b.is_ascii_digit())
                })
            }
            _ => None,
        });
        let Some(lead) = lead else {
            k += 1;
            continue;
        };
        let field = spans.get(k).map(|s| s.field.clone()).unwrap_or_default();
        let height = (lead.bbox[3] - lead.bbox[1]).max(1.0);
        let rest = (k + 1..spans.len()).find(|&j| {
            let Some(s) = spans.get(j).filter(|s| s.field == field) else {
                return false;
            };
            let Some(w) = s.words.first().and_then(|&i| words.get(i)) else {
                return false;
            };
            let (head, decimals) = w.text.split_once(['.', ',']).unwrap_or((w.text, ""));
            let group = head.len() == 3 && head.bytes().all(|b| b.is_ascii_digit());
            let below = w.page == lead.page
                && w.bbox[1] > lead.bbox[1]
                && w.bbox[1] - lead.bbox[3] < 1.5 * height;
            let aligned = (w.bbox[2] - lead.bbox[2]).abs() < 0.5 * height
                || (w.bbox[0] < lead.bbox[2] && w.bbox[2] > lead.bbox[0]);
            group && decimals.len() == 2 && below && aligned
        });
        if let Some(j) = rest {
            let moved = spans.remove(j);
            if let Some(s) = spans.get_mut(k) {
                s.words.extend(moved.words);
            }
        }
        k += 1;
    }
    spans
}

/// Is `w` printed inside the column of the description words `desc`, on one of their lines
/// or the line after one?
fn inside_description(desc: &[&LabeledWord<'_>], w: &LabeledWord<'_>) -> bool {
    desc.iter().any(|d| d.page == w.page)
        && desc
            .iter()
            .any(|d| d.line + 1 == w.line || d.line == w.line)
        && desc.iter().any(|d| d.bbox[0] <= w.bbox[0] + 1.0)
        && desc.iter().any(|d| d.bbox[2] >= w.bbox[2] - 1.0)
}

/// An "item" that is one number and nothing else, printed inside the description column of
/// the item above ("box of" / "200" wrapped in its cell), is the end of that description,
/// not an item of its own. So is a weak second number the item kept as an alternate reading
/// (a quantity the model half believed) when it stands alone on its line inside the item's
/// description column.
pub(super) fn absorb_stray_numbers(
    words: &[LabeledWord<'_>],
    items: Vec<Vec<Span>>,
) -> Vec<Vec<Span>> {
    let mut out: Vec<Vec<Span>> = Vec::with_capacity(items.len());
    for mut item in items {
        let desc: Vec<&LabeledWord<'_>> = item
            .iter()
            .filter(|s| s.field == "description")
            .flat_map(|s| s.words.iter().filter_map(|&j| words.get(j)))
            .collect();
        let lines_of = |field: &str| -> HashSet<(u32, u32)> {
            item.iter()
                .filter(|s| s.field != field)
                .flat_map(|s| s.words.iter().filter_map(|&j| words.get(j)))
                .map(|w| (w.page, w.line))
                .collect()
        };
        let numbers = ["quantity", "unit_price", "amount"].map(|f| format!("{ALTERNATE}{f}"));
        let strays: Vec<usize> = (0..item.len())
            .filter(|&k| {
                let Some(s) = item.get(k) else { return false };
                let [only] = s.words[..] else { return false };
                let Some(w) = words.get(only) else {
                    return false;
                };
                numbers.contains(&s.field)
                    && !lines_of(&s.field).contains(&(w.page, w.line))
                    && inside_description(&desc, w)
            })
            .collect();
        for k in strays {
            if let Some(s) = item.get_mut(k) {
                s.field = "description".to_string();
            }
        }
        let lone = match item.as_slice() {
            [only] if only.words.len() == 1 && only.field != "description" => only
                .words
                .first()
                .and_then(|&i| words.get(i).map(|w| (i, w))),
            _ => None,
        };
        if let (Some((i, w)), Some(prev)) = (lone, out.last_mut()) {
            let desc: Vec<&LabeledWord<'_>> = prev
                .iter()
                .filter(|s| s.field == "description")
                .flat_map(|s| s.words.iter().filter_map(|&j| words.get(j)))
                .collect();
            if inside_description(&desc, w) {
                prev.push(Span::plain("description", vec![i]));
                continue;
            }
        }
        out.push(item);
    }
    out
}

/// Two items begun on one row are one item. The model starts an item at a row number ("1",
/// "2" in a "#" column) read as a quantity, or at a code, and then starts another at the
/// row's real quantity or at its other code. When the next item's first row is this item's
/// first row and the two share no field, or only a quantity that is a bare 1-3 digit number
/// left of the other (a row number, which is dropped), or only numbers whose last three
/// multiply out (re-read by [`reread_numbers`]), they are merged. The description lines the
/// first one took can then go where they belong (see [`rows_by_band`]).
pub(super) fn join_split_rows(
    words: &[LabeledWord<'_>],
    items: Vec<Vec<Span>>,
    locale: Locale,
) -> Vec<Vec<Span>> {
    let fields = |item: &[Span]| -> Vec<String> {
        item.iter()
            .filter(|s| s.field != "description" && !s.field.starts_with(ALTERNATE))
            .map(|s| s.field.clone())
            .collect()
    };
    let first_row = |item: &[Span]| {
        item.iter()
            .filter(|s| s.field != "description" && !s.field.starts_with(ALTERNATE))
            .flat_map(|s| s.words.iter().copied())
            .min()
            .and_then(|i| words.get(i))
            .map(|w| (w.page, w.line))
    };
    let row_number = |item: &[Span], other: &[Span]| -> bool {
        let q = |it: &[Span]| {
            it.iter()
                .find(|s| s.field == "quantity")
                .and_then(|s| match s.words[..] {
                    [one] => words.get(one),
                    _ => None,
                })
        };
        match (q(item), q(other)) {
            (Some(a), Some(b)) => {
                a.text.len() <= 3
                    && a.text.bytes().all(|c| c.is_ascii_digit())
                    && a.bbox[2] <= b.bbox[0]
            }
            _ => false,
        }
    };
    let mut out: Vec<Vec<Span>> = Vec::with_capacity(items.len());
    for item in items {
        if let Some(prev) = out.last_mut() {
            let same_row = first_row(prev).is_some() && first_row(prev) == first_row(&item);
            let mine = fields(prev);
            let shared: Vec<String> = fields(&item)
                .into_iter()
                .filter(|f| mine.contains(f))
                .collect();
            let only_row_number = shared.iter().all(|f| f == "quantity") && row_number(prev, &item);
            if same_row && (shared.is_empty() || only_row_number) {
                if !shared.is_empty() {
                    prev.retain(|s| s.field != "quantity");
                }
                prev.extend(item);
                continue;
            }
            // The row's numbers read one column off ("24 | 50.40 | 1'209.60" as quantity,
            // amount and a second item's amount, or an amount as a second price): merged and
            // re-read by arithmetic.
            let numbers_only = shared
                .iter()
                .all(|f| matches!(f.as_str(), "quantity" | "unit_price" | "amount"));
            if same_row && !shared.is_empty() && numbers_only {
                let mut joined = prev.clone();
                joined.extend(item.iter().cloned());
                if reread_numbers(words, &mut joined, locale) {
                    *prev = joined;
                    continue;
                }
            }
        }
        out.push(item);
    }
    out
}

/// Words of a description line are a space apart; a word past a gap of several text heights
/// stands in another column (a unit printed level with a wrapped description's first line)
/// and is not part of the description. Drops such words and everything after them on the line.
/// So does a word past more than a word space that starts where the next column's label
/// starts, or right of it (`hints`: "size" | "TouchNTuff" under "Mfr Part No."): it prints in
/// that column's cell.
pub(super) fn beyond_column_gap(
    words: &[LabeledWord<'_>],
    s: &Span,
    hints: &[super::decode::HeaderHint],
) -> Span {
    let mut out = s.clone();
    let mut cut_line: Option<(u32, u32)> = None;
    let mut prev: Option<usize> = None;
    out.words.retain(|&i| {
        let Some(w) = words.get(i) else { return false };
        let line = (w.page, w.line);
        if cut_line == Some(line) {
            return false;
        }
        let same_line = prev.filter(|&p| words.get(p).is_some_and(|p| (p.page, p.line) == line));
        prev = Some(i);
        if let Some(p) = same_line {
            // The gap is to the nearest word on the left: words the model left unlabelled
            // between two of the span's ("Hex" head "cap") fill it.
            let between: Vec<&LabeledWord<'_>> = (p + 1..i)
                .filter_map(|j| words.get(j))
                .filter(|x| (x.page, x.line) == line)
                .collect();
            let left = between
                .iter()
                .map(|x| x.bbox[2])
                .fold(words.get(p).map_or(f32::MIN, |x| x.bbox[2]), f32::max);
            // Another item field between them (a quantity) stands in its own column, so the
            // word after it is in a further one.
            let field_between = between.iter().any(|x| {
                x.label.ends_with("-quantity")
                    || x.label.ends_with("-unit_price")
                    || x.label.ends_with("-amount")
            });
            let height = (w.bbox[3] - w.bbox[1]).max(1.0);
            let next_column = super::decode::header_of(hints, w)
                .and_then(|h| h.description)
                .is_some_and(|(_, end)| w.bbox[0] >= end - 1.0);
            let gap = w.bbox[0] - left;
            if field_between || gap > 2.5 * height || next_column && gap > height {
                cut_line = Some(line);
                return false;
            }
        }
        true
    });
    out
}

/// Give an item's last three numbers (left to right) the fields quantity, unit price and
/// amount when they multiply out (to the cent); any number left of them that the model read
/// as one of those fields is dropped. Returns false, changing nothing, when they do not.
fn reread_numbers(words: &[LabeledWord<'_>], item: &mut Vec<Span>, locale: Locale) -> bool {
    let numeric = |s: &Span| matches!(s.field.as_str(), "quantity" | "unit_price" | "amount");
    let x = |s: &Span| {
        s.words
            .first()
            .and_then(|&i| words.get(i))
            .map_or(0.0, |w| w.bbox[0])
    };
    let mut nums: Vec<(f32, usize, f64)> = item
        .iter()
        .enumerate()
        .filter(|(_, s)| numeric(s))
        .filter_map(|(k, s)| num_field(words, s, 0, locale).map(|f| (x(s), k, f.value)))
        .collect();
    nums.sort_by(|a, b| a.0.total_cmp(&b.0));
    let [.., (_, qk, q), (_, pk, p), (_, ak, a)] = nums[..] else {
        return false;
    };
    if q <= 0.0 || p <= 0.0 || (q * p - a).abs() > 0.011 + 0.001 * a.abs() {
        return false;
    }
    let keep = [qk, pk, ak];
    for (k, field) in [(qk, "quantity"), (pk, "unit_price"), (ak, "amount")] {
        if let Some(s) = item.get_mut(k) {
            s.field = field.to_string();
        }
    }
    let mut k = 0;
    item.retain(|s| {
        let kept = !numeric(s) || keep.contains(&k);
        k += 1;
        kept
    });
    true
}

/// Table rows set apart by white space are items. A browser or LibreOffice centres each cell
/// of a row vertically, so a row's cells start on different lines: its description's first
/// lines, or the buyer's code and the prices, sit above the line with our code and quantity,
/// and the model begins items in the wrong places. Lines with item fields are split into
/// bands wherever most of a text line of white space lies above a line. A band that names at
/// most one code of each kind, and more fields (other than the description) once than twice
/// or more, is one row, so one item: every value in it goes to that item, and the rest of an
/// item whose first value went there follows. (A row of a narrow table can name a field twice:
/// a row number read as a quantity beside the quantity, a thousands group wrapped onto its own
/// line; `reconcile_by_arithmetic` sorts the numbers out.) Bands that name most fields twice
/// (tables without row spacing, several items per band) keep the model's grouping; unless two
/// bands are rows, nothing changes.
pub(super) fn rows_by_band(words: &[LabeledWord<'_>], items: Vec<Vec<Span>>) -> Vec<Vec<Span>> {
    type Line = (u32, u32);
    let word = |i: usize| words.get(i);
    // Each line's page and top / bottom.
    let mut lines: BTreeMap<Line, (f32, f32)> = Default::default();
    for w in items
        .iter()
        .flatten()
        .flat_map(|s| s.words.iter().filter_map(|&i| word(i)))
    {
        let e = lines
            .entry((w.page, w.line))
            .or_insert((w.bbox[1], w.bbox[3]));
        e.0 = e.0.min(w.bbox[1]);
        e.1 = e.1.max(w.bbox[3]);
    }
    let mut sorted: Vec<(Line, f32, f32)> = lines.iter().map(|(k, v)| (*k, v.0, v.1)).collect();
    sorted.sort_by(|a, b| {
        (a.0 .0, a.1)
            .partial_cmp(&(b.0 .0, b.1))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    // A row break is white space of most of a text line between a line and everything above
    // it (lines of neighbouring cells may interleave at half a line).
    let mut heights: Vec<f32> = sorted.iter().map(|l| l.2 - l.1).collect();
    heights.sort_by(f32::total_cmp);
    let Some(&height) = heights.get(heights.len() / 2) else {
        return items;
    };
    let mut band_of: HashMap<Line, usize> = Default::default();
    let mut band = 0;
    let mut bottom: Option<(u32, f32)> = None;
    for (line, top, low) in &sorted {
        if let Some((page, b)) = bottom {
            if page != line.0 || top - b > 0.8 * height {
                band += 1;
            }
        }
        let b = match bottom {
            Some((page, b)) if page == line.0 => b.max(*low),
            _ => *low,
        };
        bottom = Some((line.0, b));
        band_of.insert(*line, band);
    }
    let span_band = |s: &Span| {
        s.words
            .first()
            .and_then(|&i| word(i))
            .and_then(|w| band_of.get(&(w.page, w.line)).copied())
    };
    // Bands that are rows: each non-description field at most once, at least one present.
    let mut named: HashMap<usize, Vec<&str>> = Default::default();
    // The rest of a code wrapped in its cell ("FST-SHCS-M10X35-" / "129") is no second code.
    let counted =
        |s: &&Span| s.field != "description" && !s.field.starts_with(ALTERNATE) && !s.continues;
    for s in items.iter().flatten().filter(counted) {
        if let Some(b) = span_band(s) {
            named.entry(b).or_default().push(s.field.as_str());
        }
    }
    let rows: HashSet<usize> = named
        .iter()
        .filter(|(_, fields)| {
            let mut count: BTreeMap<&str, usize> = Default::default();
            for f in fields.iter() {
                *count.entry(f).or_default() += 1;
            }
            let once = count.values().filter(|&&n| n == 1).count();
            let codes_once = ["sku", "customer_part"]
                .iter()
                .all(|c| count.get(c).copied().unwrap_or(0) <= 1);
            codes_once && once > count.len() - once
        })
        .map(|(b, _)| *b)
        .collect();
    if rows.len() < 2 {
        return items;
    }
    // Where each span goes: its band's row; else the row its item's first value went to;
    // else its own item. Keys: (0, band) for rows, (1, item) for items kept.
    let mut groups: BTreeMap<(u8, usize), Vec<Span>> = Default::default();
    for (k, item) in items.into_iter().enumerate() {
        let first = item
            .iter()
            .filter(counted)
            .min_by_key(|s| s.words.first().copied().unwrap_or(usize::MAX))
            .and_then(&span_band)
            .filter(|b| rows.contains(b));
        for s in item {
            let key = match span_band(&s).filter(|b| rows.contains(b)) {
                Some(b) => (0, b),
                None => first.map_or((1, k), |b| (0, b)),
            };
            groups.entry(key).or_default().push(s);
        }
    }
    // Reading order: by each group's first word.
    let mut out: Vec<Vec<Span>> = groups
        .into_values()
        .map(|mut g| {
            g.sort_by_key(|s| s.words.first().copied().unwrap_or(usize::MAX));
            join_wrapped_codes(words, g)
        })
        .collect();
    out.sort_by_key(|g| {
        g.iter()
            .filter_map(|s| s.words.first().copied())
            .min()
            .unwrap_or(usize::MAX)
    });
    out
}

/// In a row, the rest of a code cut at its hyphen ("FST-SHCS-M10X35-" above the row's middle
/// line, "129" below it) joins the code, when the model began the rest as a value of its own.
fn join_wrapped_codes(words: &[LabeledWord<'_>], group: Vec<Span>) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::with_capacity(group.len());
    for s in group {
        if s.continues && matches!(s.field.as_str(), "sku" | "customer_part") {
            let head = out.iter_mut().rev().find(|p| p.field == s.field);
            if let Some(head) = head {
                let cut = head
                    .words
                    .last()
                    .and_then(|&i| words.get(i))
                    .is_some_and(|w| w.text.ends_with('-'));
                if cut {
                    head.words.extend(s.words);
                    continue;
                }
            }
        }
        out.push(s);
    }
    out
}

/// The printed rows (page, line) of an item's quantity, price and amount: where a value the
/// model left unlabelled would be printed.
pub(super) fn item_rows(words: &[LabeledWord<'_>], item: &[Span]) -> HashSet<(u32, u32)> {
    item.iter()
        .filter(|s| matches!(s.field.as_str(), "quantity" | "unit_price" | "amount"))
        .flat_map(|s| s.words.iter().filter_map(|&i| words.get(i)))
        .map(|w| (w.page, w.line))
        .collect()
}

/// A value read by arithmetic is as sure as the two model values it completes, discounted by
/// this factor: the product agrees to the cent, but the model did not see the word as a field.
const ARITHMETIC_DISCOUNT: f32 = 0.9;

/// Quantity x unit price = amount. When the model found two of the three and left the third
/// unlabelled, a free number on the item's own rows that completes the product is the third
/// (a dense table's amount next to a wrapped "20 %" tax cell is a common miss). Only words no
/// field holds are candidates, and only an exact product (to the cent) counts.
pub(super) fn fill_by_arithmetic(
    words: &[LabeledWord<'_>],
    rows: &HashSet<(u32, u32)>,
    used: &HashSet<usize>,
    li: &mut LineItem,
    part: u32,
    locale: Locale,
) {
    let discounts = row_discounts(words, rows, used);
    let close = |x: f64, y: f64| multiplies_out(x, y, &discounts);
    // Free numbers on those rows, right to left (amounts are printed last).
    let mut free: Vec<usize> = (0..words.len())
        .filter(|i| !used.contains(i))
        .filter(|&i| {
            words
                .get(i)
                .is_some_and(|w| w.label == "O" && rows.contains(&(w.page, w.line)))
        })
        .collect();
    free.sort_by(|&a, &b| {
        let xa = words.get(a).map_or(0.0, |w| w.bbox[0]);
        let xb = words.get(b).map_or(0.0, |w| w.bbox[0]);
        xb.total_cmp(&xa)
    });
    let conf = |a: &Option<Field<f64>>, b: &Option<Field<f64>>| {
        let c = |f: &Option<Field<f64>>| f.as_ref().map_or(0.0, |f| f.confidence);
        c(a).min(c(b)) * ARITHMETIC_DISCOUNT
    };
    let find = |field: &str, confidence: f32, ok: &dyn Fn(f64) -> bool| {
        free.iter().find_map(|&i| {
            let span = Span::plain(field, vec![i]);
            if words.get(i).is_some_and(|w| percent(w.text).is_some()) {
                return None;
            }
            let mut f = num_field(words, &span, part, locale)?;
            if f.value <= 0.0 || !ok(f.value) {
                return None;
            }
            f.confidence = confidence;
            Some(f)
        })
    };
    let value = |f: &Option<Field<f64>>| f.as_ref().map(|f| f.value);
    match (
        value(&li.quantity),
        value(&li.unit_price),
        value(&li.amount),
    ) {
        (Some(q), Some(p), None) if q > 0.0 && p > 0.0 => {
            let c = conf(&li.quantity, &li.unit_price);
            li.amount = find("amount", c, &|a| close(q * p, a));
        }
        (Some(q), None, Some(a)) if q > 0.0 && a > 0.0 => {
            let c = conf(&li.quantity, &li.amount);
            li.unit_price = find("unit_price", c, &|p| close(q * p, a));
        }
        (None, Some(p), Some(a)) if p > 0.0 && a > 0.0 => {
            let c = conf(&li.unit_price, &li.amount);
            li.quantity = find("quantity", c, &|q| close(q * p, a));
        }
        // All three read, but they do not multiply out: the "quantity" may be a row number
        // and the real one a free number on the row.
        (Some(q), Some(p), Some(a)) if p > 0.0 && a > 0.0 && !close(q * p, a) => {
            let c = conf(&li.unit_price, &li.amount);
            if let Some(found) = find("quantity", c, &|q| close(q * p, a)) {
                li.quantity = Some(found);
            }
        }
        _ => {}
    }
}

/// A discount printed on an item's rows ("5%", "12.5%" in a "Disc." column): the amount is
/// the product less it. The free percentages on the rows.
fn row_discounts(
    words: &[LabeledWord<'_>],
    rows: &HashSet<(u32, u32)>,
    used: &HashSet<usize>,
) -> Vec<f64> {
    (0..words.len())
        .filter(|i| !used.contains(i))
        .filter_map(|i| words.get(i))
        .filter(|w| w.label == "O" && rows.contains(&(w.page, w.line)))
        .filter_map(|w| percent(w.text))
        .collect()
}

/// Is `amount` the `product` (quantity x price), to the cent, or the product less one of the
/// row's discounts?
fn multiplies_out(product: f64, amount: f64, discounts: &[f64]) -> bool {
    let near = |x: f64| (x - amount).abs() <= 0.011 + 0.001 * amount.abs();
    near(product) || discounts.iter().any(|d| near(product * (1.0 - d / 100.0)))
}

/// "5%", "-12.5%", "7,5%": a percentage between 0 and 100 printed as one word.
fn percent(text: &str) -> Option<f64> {
    let t = text
        .strip_suffix('%')?
        .trim_start_matches('-')
        .replace(',', ".");
    let d: f64 = t.parse().ok()?;
    (d > 0.0 && d < 100.0).then_some(d)
}

/// Quantity x unit price = amount, used to re-read a row whose values do not multiply out.
/// On tables the model never saw it may take the row number for the quantity and leave the
/// real one unlabelled or give it a second field, or read an amount as a second price
/// ("1 | P28623 | ... | 25 | 121.55 | 3,038.80" read as quantity 1). The candidates are the
/// item's own numbers (each span of a numeric field, alternate readings included) and
/// unlabelled numbers on its rows that no other field holds. Among the triples that multiply out to the cent, the one that keeps
/// most of the model's fields wins, and it must keep some: a triple made only of unlabelled
/// words, or two triples with different values and the same support, change nothing. Values
/// that move to another field get the triple's weakest confidence x [`ARITHMETIC_DISCOUNT`].
pub(super) fn reconcile_by_arithmetic(
    words: &[LabeledWord<'_>],
    item: &[Span],
    rows: &HashSet<(u32, u32)>,
    used: &HashSet<usize>,
    li: &mut LineItem,
    part: u32,
    locale: Locale,
) {
    const ROLES: [&str; 3] = ["quantity", "unit_price", "amount"];
    let discounts = row_discounts(words, rows, used);
    let close = |x: f64, y: f64| multiplies_out(x, y, &discounts);
    let value = |f: &Option<Field<f64>>| f.as_ref().map(|f| f.value);
    if let (Some(q), Some(p), Some(a)) = (
        value(&li.quantity),
        value(&li.unit_price),
        value(&li.amount),
    ) {
        if close(q * p, a) {
            return;
        }
    }
    // (field the model gave it, value)
    let mut cands: Vec<(Option<&str>, Field<f64>)> = item
        .iter()
        .map(|s| (s, s.field.strip_prefix(ALTERNATE).unwrap_or(&s.field)))
        .filter(|(_, field)| ROLES.contains(field))
        .filter_map(|(s, field)| Some((Some(field), num_field(words, s, part, locale)?)))
        .collect();
    // "4,000" is 4 000 or 4.000 (three decimals): a quantity printed with three decimals in a
    // document whose other numbers do not tell the locale. Both readings are candidates.
    let other_readings: Vec<(Option<&str>, Field<f64>)> = item
        .iter()
        .map(|s| (s, s.field.strip_prefix(ALTERNATE).unwrap_or(&s.field)))
        .filter(|(_, field)| ROLES.contains(field))
        .filter_map(|(s, field)| {
            let f = num_field(words, s, part, locale)?;
            let text: String = s
                .words
                .iter()
                .filter_map(|&i| words.get(i))
                .map(|w| w.text)
                .collect();
            let other = other_thousands_reading(&text, f.value)?;
            Some((Some(field), Field { value: other, ..f }))
        })
        .collect();
    cands.extend(other_readings);
    let numeric = |t: &str| {
        t.bytes().any(|b| b.is_ascii_digit())
            && t.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'\''))
    };
    for (i, w) in words.iter().enumerate() {
        if used.contains(&i) || w.label != "O" || !rows.contains(&(w.page, w.line)) {
            continue;
        }
        if !numeric(w.text) {
            continue;
        }
        let span = Span::plain("quantity", vec![i]);
        if let Some(f) = num_field(words, &span, part, locale) {
            cands.push((None, f));
        }
        // "1 225": a free lead group and the free group after it are one number too.
        let next = i + 1;
        let pair = words.get(next).filter(|n| {
            let head = n.text.split(['.', ',']).next().unwrap_or("");
            let height = (n.bbox[3] - n.bbox[1]).max(1.0);
            !used.contains(&next)
                && n.label == "O"
                && (n.page, n.line) == (w.page, w.line)
                && (1..=3).contains(&w.text.len())
                && w.text.bytes().all(|b| b.is_ascii_digit())
                && head.len() == 3
                && head.bytes().all(|b| b.is_ascii_digit())
                && n.bbox[0] - w.bbox[2] < 0.7 * height.max(n.bbox[2] - n.bbox[0])
        });
        if pair.is_some() {
            let joined = Span {
                words: vec![i, next],
                ..span
            };
            if let Some(f) = num_field(words, &joined, part, locale) {
                cands.push((None, f));
            }
        }
    }
    cands.retain(|(_, f)| f.value > 0.0 && f.value.is_finite());
    if cands.len() < 3 || cands.len() > 12 {
        return;
    }
    let support = |k: usize, role: &str| match cands.get(k).and_then(|c| c.0) {
        Some(f) if f == role => 2,
        Some(_) => 1,
        None => 0,
    };
    // (support, [q, p, a] candidate indexes); `tied` when another triple with other values
    // has the same support.
    let mut best: Option<(u32, [usize; 3])> = None;
    let mut tied = false;
    let n = cands.len();
    for q in 0..n {
        for p in (0..n).filter(|&p| p != q) {
            for a in (0..n).filter(|&a| a != q && a != p) {
                let v = |k: usize| cands.get(k).map_or(0.0, |c| c.1.value);
                if !close(v(q) * v(p), v(a)) {
                    continue;
                }
                // Ties go to the triple printed in the usual order, quantity left of price
                // left of amount.
                let x = |k: usize| {
                    cands
                        .get(k)
                        .and_then(|c| c.1.source.as_ref())
                        .map_or(0.0, |s| s.bbox[0])
                };
                let ordered = u32::from(x(q) < x(p) && x(p) < x(a));
                let s = 2 * (support(q, ROLES[0]) + support(p, ROLES[1]) + support(a, ROLES[2]))
                    + ordered;
                match best {
                    Some((bs, _)) if bs > s => {}
                    Some((bs, b)) if bs == s => {
                        let same = (0..3).all(|r| v(b[r]) == v([q, p, a][r]));
                        tied |= !same;
                    }
                    _ => {
                        best = Some((s, [q, p, a]));
                        tied = false;
                    }
                }
            }
        }
    }
    let Some((s, chosen)) = best else { return };
    if tied || s / 2 < 3 {
        return;
    }
    let weakest = chosen
        .iter()
        .filter_map(|&k| cands.get(k).map(|c| c.1.confidence))
        .fold(1.0f32, f32::min);
    let pick = |r: usize| {
        let (field, mut f) = cands.get(chosen[r])?.clone();
        if field != Some(ROLES[r]) {
            f.confidence = weakest * ARITHMETIC_DISCOUNT;
        }
        Some(f)
    };
    li.quantity = pick(0);
    li.unit_price = pick(1);
    li.amount = pick(2);
}

/// The other reading of "4,000" / "4.000" (one separator, 1-3 digits before it, exactly three
/// after): 4 when it was read as 4000, 4000 when it was read as 4. None for any other text.
pub(super) fn other_thousands_reading(text: &str, read: f64) -> Option<f64> {
    let (head, tail) = text.split_once(['.', ','])?;
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !(1..=3).contains(&head.len()) || tail.len() != 3 || !digits(head) || !digits(tail) {
        return None;
    }
    let whole: f64 = format!("{head}{tail}").parse().ok()?;
    let decimal = whole / 1000.0;
    if (read - whole).abs() < 1e-9 {
        Some(decimal)
    } else if (read - decimal).abs() < 1e-9 {
        Some(whole)
    } else {
        None
    }
}

/// fpdf2 and other writers wrap a code in a narrow cell at any character ("A9F649-7B" /
/// "A39"), and the model may read the rest, printed under the code and left of the
/// description column, as the first word of a description line. Such a code-like word, on the
/// line directly under a code's last word and inside its column, while the item's description
/// starts right of the code on the code's line, is the code's rest.
pub(super) fn code_rests_in_description(words: &[LabeledWord<'_>], item: &[Span]) -> Vec<Span> {
    let mut out: Vec<Span> = item.to_vec();
    let code_like = |t: &str| {
        t.chars().any(|c| c.is_ascii_digit())
            && t.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "-./".contains(c))
    };
    for k in 0..out.len() {
        let Some(code) = out
            .get(k)
            .filter(|s| matches!(s.field.as_str(), "sku" | "customer_part"))
        else {
            continue;
        };
        let Some(last) = code.words.last().and_then(|&i| words.get(i)) else {
            continue;
        };
        let desc_words = || {
            out.iter()
                .filter(|s| s.field == "description")
                .flat_map(|s| s.words.iter().copied())
        };
        // The description column starts right of the code on the code's own line.
        let right_of_code = desc_words().any(|i| {
            words.get(i).is_some_and(|w| {
                w.page == last.page && w.line == last.line && w.bbox[0] >= last.bbox[2]
            })
        });
        if !right_of_code {
            continue;
        }
        // After a code cut at its hyphen ("SAF-5524-" / "XL") the rest needs no digit.
        let cut_at_hyphen = last.text.ends_with('-');
        let rest = desc_words().find(|&i| {
            words.get(i).is_some_and(|w| {
                w.page == last.page
                    && w.line == last.line + 1
                    && w.bbox[0] >= last.bbox[0] - 1.0
                    && w.bbox[0] < last.bbox[2]
                    && (code_like(w.text)
                        || (cut_at_hyphen
                            && w.text.chars().all(|c| {
                                c.is_ascii_uppercase() || c.is_ascii_digit() || "-./".contains(c)
                            })))
            })
        });
        let Some(rest) = rest else { continue };
        // The rest opens its line in the code's column: after a word there ("Line: 1000"
        // under "329015") it is that label's value.
        let opens = words.get(rest).is_some_and(|r| {
            !words.iter().any(|o| {
                o.page == r.page
                    && o.line == r.line
                    && o.bbox[0] >= last.bbox[0] - 1.0
                    && o.bbox[2] <= r.bbox[0]
            })
        });
        if !opens {
            continue;
        }
        for s in out.iter_mut().filter(|s| s.field == "description") {
            s.words.retain(|&i| i != rest);
        }
        if let Some(code) = out.get_mut(k) {
            code.words.push(rest);
        }
    }
    out.retain(|s| !s.words.is_empty());
    out
}

/// A word read as the rest of a code but printed on one of the item's description lines,
/// inside the description column ("634" / "M5x20 steel 8.8"), is description: the code's rest
/// goes on in the code's own column. Such words come from the decoder as alternate codes.
pub(super) fn alternate_codes_in_description(
    words: &[LabeledWord<'_>],
    item: &[Span],
) -> Vec<Span> {
    let desc: Vec<&LabeledWord<'_>> = item
        .iter()
        .filter(|s| s.field == "description")
        .flat_map(|s| s.words.iter().filter_map(|&i| words.get(i)))
        .collect();
    let (Some(x0), Some(x1)) = (
        desc.iter().map(|w| w.bbox[0]).reduce(f32::min),
        desc.iter().map(|w| w.bbox[2]).reduce(f32::max),
    ) else {
        return item.to_vec();
    };
    let on_description_line = |w: &LabeledWord<'_>| {
        w.bbox[0] >= x0 - 1.0
            && w.bbox[0] < x1
            && desc.iter().any(|d| (d.page, d.line) == (w.page, w.line))
    };
    let mut out: Vec<Span> = item.to_vec();
    for k in 0..out.len() {
        let Some(s) = out.get(k) else { continue };
        let code = matches!(
            s.field.strip_prefix(ALTERNATE),
            Some("sku" | "customer_part")
        );
        let inside = s
            .words
            .iter()
            .all(|&i| words.get(i).is_some_and(on_description_line));
        if !code || !inside {
            continue;
        }
        let taken = std::mem::take(&mut out[k].words);
        // Into the description span that holds the line, in reading order.
        let line = taken
            .first()
            .and_then(|&i| words.get(i))
            .map(|w| (w.page, w.line));
        let holder = out.iter_mut().find(|d| {
            d.field == "description"
                && d.words
                    .iter()
                    .any(|&i| words.get(i).map(|w| (w.page, w.line)) == line)
        });
        match holder {
            Some(d) => {
                d.words.extend(taken);
                d.words.sort_unstable();
            }
            None => {
                if let Some(s) = out.get_mut(k) {
                    s.words = taken;
                }
            }
        }
    }
    out.retain(|s| !s.words.is_empty());
    out
}

/// A cell of another column wrapped under the item's first row ("29967019245" / "9", an EAN)
/// can end a description line when the model reads it as description. Such a word starts
/// where an unlabelled word of an earlier row of the item starts, to the right of all the
/// rest of the description: it belongs to that word's column and is dropped.
pub(super) fn other_column_rests(words: &[LabeledWord<'_>], item: &[Span]) -> Vec<Span> {
    let desc: Vec<usize> = item
        .iter()
        .filter(|s| s.field == "description")
        .flat_map(|s| s.words.iter().copied())
        .collect();
    // The lines the item's other fields print on: its row, where the other columns' cells
    // begin.
    let rows: HashSet<(u32, u32)> = item
        .iter()
        .filter(|s| s.field != "description")
        .flat_map(|s| s.words.iter().filter_map(|&i| words.get(i)))
        .map(|w| (w.page, w.line))
        .collect();
    let first_row = rows.iter().min().copied();
    let Some((page, row)) = first_row else {
        return item.to_vec();
    };
    let unlabelled_cells: Vec<f32> = (0..words.len())
        .filter_map(|i| words.get(i))
        .filter(|w| w.page == page && w.line == row && w.label == "O")
        .map(|w| w.bbox[0])
        .collect();
    let aligned = |w: &LabeledWord<'_>| {
        unlabelled_cells
            .iter()
            .any(|&x| (x - w.bbox[0]).abs() <= 1.0)
    };
    let rests: Vec<usize> = desc
        .iter()
        .copied()
        .filter(|&i| {
            let Some(w) = words.get(i) else { return false };
            if w.page != page || w.line <= row || !aligned(w) {
                return false;
            }
            let right_of_rest = desc
                .iter()
                .filter(|&&j| j != i)
                .filter_map(|&j| words.get(j))
                .all(|d| d.bbox[2] < w.bbox[0]);
            right_of_rest
        })
        .collect();
    if rests.is_empty() {
        return item.to_vec();
    }
    let mut out: Vec<Span> = item.to_vec();
    for s in out.iter_mut().filter(|s| s.field == "description") {
        s.words.retain(|i| !rests.contains(i));
    }
    out.retain(|s| !s.words.is_empty());
    out
}

/// "2 500" prints a thousands group as its own word, and the model may read the lead group as
/// the end of the description ("4mm² 2" / quantity 500). When an item's quantity, price and
/// amount do not multiply out, and joining the 1-3 digit word printed just left of one of
/// them makes them multiply out to the cent, the word is that number's lead group.
pub(super) fn thousands_lead_by_arithmetic(
    words: &[LabeledWord<'_>],
    item: &[Span],
    locale: Locale,
) -> Vec<Span> {
    const ROLES: [&str; 3] = ["quantity", "unit_price", "amount"];
    let close = |x: f64, y: f64| (x - y).abs() <= 0.011 + 0.001 * y.abs();
    let find = |role: &str| item.iter().position(|s| s.field == role);
    let (Some(qk), Some(pk), Some(ak)) = (find(ROLES[0]), find(ROLES[1]), find(ROLES[2])) else {
        return item.to_vec();
    };
    let value = |s: &Span| num_field(words, s, 0, locale).map(|f| f.value);
    let ks = [qk, pk, ak];
    let vals: Vec<Option<f64>> = ks.iter().map(|&k| item.get(k).and_then(value)).collect();
    let (Some(q), Some(p), Some(a)) = (vals[0], vals[1], vals[2]) else {
        return item.to_vec();
    };
    if close(q * p, a) {
        return item.to_vec();
    }
    let numeric_words: HashSet<usize> = item
        .iter()
        .filter(|s| ROLES.contains(&s.field.as_str()))
        .flat_map(|s| s.words.iter().copied())
        .collect();
    for (r, &k) in ks.iter().enumerate() {
        let Some(span) = item.get(k) else { continue };
        let Some(&first) = span.words.first() else {
            continue;
        };
        let Some(lead) = first.checked_sub(1) else {
            continue;
        };
        let (Some(x), Some(y)) = (words.get(lead), words.get(first)) else {
            continue;
        };
        let char_width = (y.bbox[2] - y.bbox[0]) / y.text.chars().count().max(1) as f32;
        let height = (y.bbox[3] - y.bbox[1]).max(1.0);
        let adjacent = x.page == y.page
            && x.line == y.line
            && y.bbox[0] - x.bbox[2] < (1.5 * char_width).max(0.4 * height);
        let lead_group =
            (1..=3).contains(&x.text.len()) && x.text.bytes().all(|b| b.is_ascii_digit());
        let head = y.text.split(['.', ',']).next().unwrap_or("");
        let group = head.len() == 3 && head.bytes().all(|b| b.is_ascii_digit());
        if !adjacent || !lead_group || !group || numeric_words.contains(&lead) {
            continue;
        }
        let mut joined = span.clone();
        joined.words.insert(0, lead);
        let Some(v) = value(&joined) else { continue };
        let mut t = [q, p, a];
        t[r] = v;
        if !close(t[0] * t[1], t[2]) {
            continue;
        }
        let mut out: Vec<Span> = item.to_vec();
        for s in out.iter_mut() {
            s.words.retain(|&i| i != lead);
        }
        if let Some(s) = out.get_mut(k) {
            *s = joined;
        }
        out.retain(|s| !s.words.is_empty());
        return out;
    }
    item.to_vec()
}

/// Words the model left unlabelled, unsure (p < [`UNSURE`]), inside a description line:
/// "Hex head cap screw" read as "Hex" + four `O`s, with the description going on below. A run
/// of such words right after a description word on its line, standing inside the column the
/// item's description takes on all its lines, is description. So is a word the model was
/// sure of ("steel class" / "8") one word space on, on the row's line (where its numbers
/// print) and inside the description column that the table's header names (`hints`): the
/// same cell, whatever the model thought of it.
pub(super) fn fill_description_column(
    words: &[LabeledWord<'_>],
    item: &[Span],
    used: &HashSet<usize>,
    hints: &[super::decode::HeaderHint],
) -> Vec<Span> {
    const UNSURE: f32 = 0.9;
    // A word space is about a third of the text height; a column's padding is wider.
    const SPACE: f32 = 0.45;
    let desc: Vec<usize> = item
        .iter()
        .filter(|s| s.field == "description")
        .flat_map(|s| s.words.iter().copied())
        .collect();
    let ws: Vec<&LabeledWord<'_>> = desc.iter().filter_map(|&i| words.get(i)).collect();
    let lines: HashSet<(u32, u32)> = ws.iter().map(|w| (w.page, w.line)).collect();
    let (Some(x0), Some(x1)) = (
        ws.iter().map(|w| w.bbox[0]).reduce(f32::min),
        ws.iter().map(|w| w.bbox[2]).reduce(f32::max),
    ) else {
        return item.to_vec();
    };
    // A column needs more than one line to say where it ends.
    if lines.len() < 2 {
        return item.to_vec();
    }
    let number_lines: HashSet<(u32, u32)> = item
        .iter()
        .filter(|s| matches!(s.field.as_str(), "quantity" | "unit_price" | "amount"))
        .flat_map(|s| s.words.iter().filter_map(|&i| words.get(i)))
        .map(|w| (w.page, w.line))
        .collect();
    let mut fill: Vec<usize> = Vec::new();
    for &d in &desc {
        let mut prev = d;
        let mut next = d + 1;
        while let (Some(p), Some(w)) = (words.get(prev), words.get(next)) {
            let height = (w.bbox[3] - w.bbox[1]).max(1.0);
            let gap = w.bbox[0] - p.bbox[2];
            // One space after the word before it: the same cell, even past the column's
            // widest line so far (a cell's gap to the next column is wider than a space).
            let spaced = gap < SPACE * height;
            let headed = || {
                number_lines.contains(&(w.page, w.line))
                    && super::decode::header_of(hints, w)
                        .and_then(|h| h.description)
                        .is_some_and(|(a, b)| w.bbox[0] >= a - 1.0 && w.bbox[2] <= b)
            };
            let fits = w.label == "O"
                && (w.prob < UNSURE || (spaced && headed()))
                && !used.contains(&next)
                && (w.page, w.line) == (p.page, p.line)
                && lines.contains(&(w.page, w.line))
                && w.bbox[0] >= x0
                && (spaced || (w.bbox[2] <= x1 + 1.0 && gap < 2.5 * height));
            if !fits {
                break;
            }
            fill.push(next);
            prev = next;
            next += 1;
        }
    }
    if fill.is_empty() {
        return item.to_vec();
    }
    let mut out = item.to_vec();
    for &i in &fill {
        // Into the description span holding the word before it.
        if let Some(s) = out
            .iter_mut()
            .find(|s| s.field == "description" && s.words.contains(&(i - 1)))
        {
            s.words.push(i);
            s.words.sort_unstable();
        } else if let Some(s) = out
            .iter_mut()
            .find(|s| s.field == "description" && s.words.iter().any(|&j| j < i))
        {
            s.words.push(i);
            s.words.sort_unstable();
        }
    }
    out
}
