//! The table pass: line items read from the item tables that [`crate::layout`] found, cell by
//! cell, the way a person reads an unfamiliar PO: find the header, follow its columns down,
//! one row per item.
//!
//! The model's labels are not needed here; they are what the decoder falls back on when no
//! table with a header is found (emails written as prose, tables without header labels).

use crate::domain::{Field, LineItem, SourceSpan};
use crate::layout::lexicon::{supplier_code_label, Role};
use crate::layout::table::{is_date, Row, Table};
use crate::layout::{Layout, Token};

use super::normalize::{parse_number, Locale};
use super::unit::is_unit;

/// Confidence of a value read from a column whose header names it.
const CELL_CONF: f32 = 0.9;
/// A row whose numbers multiply out (quantity × price = amount) is surer of them.
const CHECKED_CONF: f32 = 0.97;

/// Items read from every table of `layout`, in print order, with how many of them multiply
/// out (the caller's measure of how well the table was read).
///
/// With `unnamed`, a table with no column named for the price (or the amount) lets its
/// unnamed columns compete for it ("Price Per / Unit" printed over five baselines): one wins
/// only with more rows that multiply out than without it. The caller decides on the named
/// reading whether the table beats the model, and only then takes this one: a price found
/// this way is no evidence that the table was read well.
pub fn items(
    tokens: &[Token<'_>],
    layout: &Layout,
    part: u32,
    locale: Locale,
    unnamed: bool,
) -> Vec<LineItem> {
    let mut out: Vec<LineItem> = Vec::new();
    for table in &layout.tables {
        // Several price or amount columns ("Rate before discount", "Basic rate"; "Net",
        // "Gross"): the pair whose rows multiply out with the quantity. On a tie, the first
        // price and the last amount.
        let of = |r: Role| -> Vec<Option<usize>> {
            let v: Vec<Option<usize>> = (0..table.columns.len())
                .filter(|&c| table.columns[c].role == r)
                .map(Some)
                .collect();
            if !v.is_empty() {
                v
            } else if unnamed {
                // None first: on a tie the unnamed column loses.
                std::iter::once(None)
                    .chain(
                        (0..table.columns.len())
                            .filter(|&c| table.columns[c].role == Role::Other)
                            .map(Some),
                    )
                    .collect()
            } else {
                vec![None]
            }
        };
        let amounts: Vec<Option<usize>> = if table.columns.iter().any(|c| c.role == Role::Amount) {
            of(Role::Amount).into_iter().rev().collect()
        } else {
            of(Role::Amount)
        };
        let mut best: Option<(usize, Vec<LineItem>)> = None;
        for price in of(Role::UnitPrice) {
            for &amount in &amounts {
                let cols = Money { price, amount };
                let mut prev: Option<LineItem> = None;
                let mut read = Vec::new();
                for row in &table.rows {
                    if let Some(mut li) =
                        item(tokens, table, row, part, locale, prev.as_ref(), cols)
                    {
                        quantity_thousands_by_arithmetic(&mut li);
                        prev = Some(li.clone());
                        read.push(li);
                    }
                }
                let checked = read.iter().filter(|l| multiplies_out(l)).count();
                if best.as_ref().is_none_or(|(b, _)| checked > *b) {
                    best = Some((checked, read));
                }
            }
        }
        for mut li in best.map(|(_, v)| v).unwrap_or_default() {
            li.line_no = out.len() as u32 + 1;
            out.push(li);
        }
    }
    out
}

/// Which columns hold the unit price and the amount.
#[derive(Debug, Clone, Copy)]
struct Money {
    price: Option<usize>,
    amount: Option<usize>,
}

/// Decimals of a value as printed, at most 6 (1.27 -> 2, 3 -> 0).
fn decimals(v: f64) -> u32 {
    (0..6)
        .find(|&d| {
            let scaled = v * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
        })
        .unwrap_or(6)
}

/// Quantity × price = amount (prices per 100 or 1000 too), within rounding.
pub fn multiplies_out(l: &LineItem) -> bool {
    match (&l.quantity, &l.unit_price, &l.amount) {
        (Some(q), Some(p), Some(a)) => {
            let e = q.value * p.value;
            // A price printed to its cents stands for anything within half a cent of it
            // (1.27 for 1.2731): the amount may differ by that much per unit.
            let half_unit = 0.5 * 10f64.powi(-(decimals(p.value).max(2) as i32));
            let tol = 0.011f64
                .max(a.value.abs() * 0.002)
                .max(q.value.abs() * half_unit);
            [1.0, 100.0, 1000.0]
                .iter()
                .any(|d| (e / d - a.value).abs() <= tol)
        }
        _ => false,
    }
}

/// Where a value was read: the box around its words.
pub(super) fn span(
    tokens: &[Token<'_>],
    words: &[usize],
    part: u32,
    text: &str,
) -> Option<SourceSpan> {
    let first = tokens.get(*words.first()?)?;
    let mut bbox = first.bbox;
    for &i in words {
        let b = tokens[i].bbox;
        bbox = [
            bbox[0].min(b[0]),
            bbox[1].min(b[1]),
            bbox[2].max(b[2]),
            bbox[3].max(b[3]),
        ];
    }
    Some(SourceSpan {
        part,
        page: first.page,
        bbox,
        text: text.to_string(),
    })
}

/// The words of a column's cell, per line, in reading order.
fn cell_lines(row: &Row, col: usize) -> Vec<Vec<usize>> {
    let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
    for (k, &i) in row.cells[col].iter().enumerate() {
        let li = row.cell_lines[col][k];
        match out.last_mut() {
            Some((l, v)) if *l == li => v.push(i),
            _ => out.push((li, vec![i])),
        }
    }
    out.into_iter().map(|(_, v)| v).collect()
}

fn join(tokens: &[Token<'_>], words: &[usize]) -> String {
    words
        .iter()
        .map(|&i| tokens[i].text)
        .collect::<Vec<_>>()
        .join(" ")
}

/// How far the text of column `c` reaches: the right edge of its widest line in the table.
fn wrap_width(tokens: &[Token<'_>], table: &Table, c: usize) -> f32 {
    table
        .rows
        .iter()
        .flat_map(|r| r.cells[c].iter())
        .map(|&i| tokens[i].bbox[2])
        .fold(f32::MIN, f32::max)
}

/// Is `next` the wrapped rest of `prev`: would its first word not have fitted after `prev`
/// within the column's width? A line that ended early was a whole paragraph; what comes
/// under it is a note, not more description.
fn wrapped(tokens: &[Token<'_>], prev: &[usize], next: &[usize], right: f32) -> bool {
    let (Some(&last), Some(&first)) = (prev.last(), next.first()) else {
        return false;
    };
    let h = tokens[last].height();
    let width = tokens[first].bbox[2] - tokens[first].bbox[0];
    tokens[last].bbox[2] + 0.25 * h + width >= right - 0.5 * h
}

/// Do two lines of a cell start at the same x, as wrapped text does?
fn aligned(tokens: &[Token<'_>], prev: &[usize], next: &[usize]) -> bool {
    let (Some(&a), Some(&b)) = (prev.first(), next.first()) else {
        return false;
    };
    (tokens[a].bbox[0] - tokens[b].bbox[0]).abs() <= 0.5 * tokens[a].height()
}

/// A note under an item, not its description: a "label: value" line, a date, a schedule.
fn note_line(text: &str) -> bool {
    let t = text.trim();
    let lower = t.to_lowercase();
    t.contains(':')
        || t.split_whitespace().any(|w| {
            let w = w.trim_matches(|c: char| "()[],;".contains(c));
            let parts: Vec<&str> = w.split(['/', '.', '-']).collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        })
        || [
            "delivery",
            "deliver",
            "schedule",
            "due ",
            "required by",
            "need by",
            "lieferung",
            "liefertermin",
        ]
        .iter()
        .any(|k| lower.starts_with(k))
}

/// A line of figures and units only ("1 EA / 1 EA", "504"): unless it is the text wrapped
/// ("box of" / "25", starting where the line above starts), a sub-row of quantities printed
/// under the item's text, not more of it.
fn figures_only(text: &str) -> bool {
    let mut digits = false;
    let all = text.split_whitespace().all(|w| {
        let t = w.trim_matches(|c: char| ",;".contains(c));
        if t.chars().any(|c| c.is_ascii_digit()) {
            digits = true;
            t.chars().all(|c| c.is_ascii_digit() || ".,/-".contains(c))
        } else {
            t.is_empty() || t.chars().all(|c| "/-x@=".contains(c)) || is_unit(t)
        }
    });
    all && digits
}

/// The first number printed in a column's cell (a number cut in two by a space, "1 234,50",
/// reads as one), with the words it came from and what followed it.
fn number_in(
    tokens: &[Token<'_>],
    row: &Row,
    col: usize,
    locale: Locale,
) -> Option<(f64, Vec<usize>, Option<usize>)> {
    for line in cell_lines(row, col) {
        for (k, &i) in line.iter().enumerate() {
            let t = tokens[i].text;
            if !t.chars().any(|c| c.is_ascii_digit()) || is_date(t) {
                continue;
            }
            // Join a thousands group printed as two words ("1 234,50").
            let mut words = vec![i];
            let mut text = t.to_string();
            if let Some(&j) = line.get(k + 1) {
                let n = tokens[j].text;
                if t.len() <= 3
                    && t.chars().all(|c| c.is_ascii_digit())
                    && n.len() >= 3
                    && n.chars().take(3).all(|c| c.is_ascii_digit())
                    && n.chars()
                        .skip(3)
                        .all(|c| ".,".contains(c) || c.is_ascii_digit())
                {
                    text.push_str(n);
                    words.push(j);
                }
            }
            if let Some(v) = parse_number(per_units(&text, locale), locale) {
                let after = line.get(k + words.len()).copied();
                return Some((v, words, after));
            }
        }
    }
    None
}

/// The figure of a price per 10, 100 or 1,000 units as printed ("7,190.00/1,000" is
/// 7,190.00); anything else whole ("1/2" is no quantity of one).
fn per_units(text: &str, locale: Locale) -> &str {
    match text.split_once('/') {
        Some((v, n))
            if parse_number(n, locale)
                .is_some_and(|n| [10.0, 100.0, 1000.0, 10000.0].contains(&n)) =>
        {
            v
        }
        _ => text,
    }
}

/// A description that opens with its code in brackets ("[26723] Flavour Drops", as Odoo and
/// others print it): the bracketed code is the item's code, the rest its description.
pub fn split_bracketed_code(line: &mut LineItem) {
    let Some(desc) = line.description.as_mut() else {
        return;
    };
    if let Some((code, rest)) = bracketed_code(&desc.value) {
        let conf = desc.confidence;
        let src = desc.source.clone();
        desc.value = rest;
        if line.sku.as_ref().is_none_or(|s| s.value != code) {
            line.sku = Some(Field::new(code, conf, src));
        }
    }
}

/// A code as an order system keys it: without a separator left hanging at its end
/// ("CO38030012/", "AB-100,") or the next field's label glued on by the PDF's text layer
/// ("CO38030021HSN:"). A code that is nothing but that stays as read.
pub fn tidy_codes(line: &mut LineItem) {
    for f in [&mut line.sku, &mut line.customer_part]
        .into_iter()
        .flatten()
    {
        if let Some(t) = tidy_code(&f.value) {
            f.value = t;
        }
    }
    // A date read as a code ("20.07.2026", a delivery date) names no item.
    for code in [&mut line.sku, &mut line.customer_part] {
        if code.as_ref().is_some_and(|f| calendar_date(&f.value)) {
            *code = None;
        }
    }
}

/// A whole calendar date with a four-digit year of this era: day.month.year in either order
/// of day and month, or year-month-day. Part numbers with three groups of digits rarely pass
/// all three tests.
fn calendar_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split(['/', '.', '-']).collect();
    let [a, b, c] = parts.as_slice() else {
        return false;
    };
    let num = |p: &str| -> Option<u32> {
        (!p.is_empty() && p.len() <= 4 && p.chars().all(|ch| ch.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let (Some(x), Some(y), Some(z)) = (num(a), num(b), num(c)) else {
        return false;
    };
    let year = |p: &str, v: u32| p.len() == 4 && (1990..=2099).contains(&v);
    let day_month = |d: u32, m: u32| (1..=31).contains(&d) && (1..=12).contains(&m);
    (year(c, z) && (day_month(x, y) || day_month(y, x))) || (year(a, x) && day_month(z, y))
}

fn tidy_code(code: &str) -> Option<String> {
    let mut t = code.trim_end_matches(['/', ',', ';']);
    if let Some(head) = t.strip_suffix(':') {
        // "…0021HSN:": letters glued after the code's last digit, then a colon.
        let label = head.len()
            - head
                .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let rest = &head[..head.len() - label];
        t = if label >= 2 && rest.len() >= 4 && rest.ends_with(|c: char| c.is_ascii_digit()) {
            rest
        } else {
            head
        };
    }
    let mut t = t.trim_end_matches(['/', ',', ';']);
    // "3002214990HSN": the tariff-code label of the line below glued on by the reading.
    for label in ["HSN", "SAC"] {
        if let Some(rest) = t.strip_suffix(label) {
            if rest.len() >= 4 && rest.ends_with(|c: char| c.is_ascii_digit()) {
                t = rest;
            }
        }
    }
    (t != code && !t.is_empty()).then(|| t.to_string())
}

/// A quantity printed "1.000" reads as one with three decimals (as ERP printouts print
/// "12.000"); where that does not multiply out and the same digits as a thousand do
/// (1.000 × 0.795 = 795,00), the separator groups thousands.
pub fn quantity_thousands_by_arithmetic(line: &mut LineItem) {
    if multiplies_out(line) {
        return;
    }
    let Some(q) = line.quantity.as_ref() else {
        return;
    };
    let printed = q.source.as_ref().map_or("", |s| s.text.as_str());
    let digits = printed
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches(|c: char| c.is_alphabetic());
    let groups: Vec<&str> = digits.split(['.', ',']).collect();
    let grouped = groups.len() >= 2
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()));
    if !grouped {
        return;
    }
    let Ok(whole) = groups.concat().parse::<f64>() else {
        return;
    };
    if (whole - q.value).abs() < 1e-9 {
        return;
    }
    // Times the price as printed, with no per-100 or per-1000 reading: a thousand times the
    // quantity over a price per thousand is the same product as before.
    let (Some(p), Some(a)) = (line.unit_price.as_ref(), line.amount.as_ref()) else {
        return;
    };
    let tol = 0.011f64.max(a.value.abs() * 0.002);
    if (whole * p.value - a.value).abs() <= tol {
        if let Some(f) = line.quantity.as_mut() {
            f.value = whole;
        }
    }
}

/// "[AB-100] Blue widget" -> ("AB-100", "Blue widget").
fn bracketed_code(text: &str) -> Option<(String, String)> {
    let rest = text.strip_prefix('[')?;
    let (code, after) = rest.split_once(']')?;
    let code = code.trim();
    (code_like(code) && !code.contains(' ')).then(|| (code.to_string(), after.trim().to_string()))
}

/// Two codes that differ only in separators and case are one.
fn same_code(a: &str, b: &str) -> bool {
    let key = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    key(a) == key(b)
}

/// A part number: one token with a digit, at least three characters, no sentence marks.
fn code_like(text: &str) -> bool {
    text.chars().count() >= 3
        && text.chars().any(|c| c.is_ascii_digit())
        && !text.ends_with([',', ':', ';'])
        && !is_date(text)
}

fn text_field(
    tokens: &[Token<'_>],
    words: &[usize],
    part: u32,
    text: String,
    conf: f32,
) -> Option<Field<String>> {
    let text = text.trim().to_string();
    if text.is_empty() {
        return None;
    }
    let src = span(tokens, words, part, &text);
    Some(Field::new(text, conf, src))
}

/// The code in a code column: its first line (a code wrapped at a hyphen takes the next).
fn code(
    tokens: &[Token<'_>],
    table: &Table,
    row: &Row,
    col: usize,
    part: u32,
) -> Option<Field<String>> {
    let mut lines = cell_lines(row, col);
    // A line number right-aligned into the code's band: left of the code's label, digits only.
    let label_x0 = table.columns[col].x0;
    let numbered = table.column(Role::LineNo).is_some();
    for l in lines.iter_mut() {
        if numbered && l.len() >= 2 {
            let t = tokens[l[0]].text.trim_end_matches(['.', ')']);
            if t.len() <= 5
                && t.chars().all(|c| c.is_ascii_digit())
                && tokens[l[0]].bbox[2] < label_x0
            {
                l.remove(0);
            }
        }
    }
    let first_line = lines.iter().find(|l| !l.is_empty())?;
    let first = first_line;
    // A second field set apart in the cell ("CHEP PALLET      00": a revision) is no part of
    // the code: the code is the first run of words one word space apart.
    let run = first
        .windows(2)
        .position(|w| {
            let (a, b) = (&tokens[w[0]].bbox, &tokens[w[1]].bbox);
            b[0] - a[2] > (a[3] - a[1]).max(1.0)
        })
        .map_or(first.len(), |k| k + 1);
    let first = &first[..run];
    let mut words = first.to_vec();
    let mut text = join(tokens, first);
    // A code cut by its column's edge goes on, as one token, on the next line.
    let right = wrap_width(tokens, table, col);
    if let Some(next) = lines.iter().skip_while(|l| *l != first_line).nth(1) {
        let one = next.len() == 1 && !tokens[next[0]].text.contains(':');
        if one && (text.ends_with('-') || wrapped(tokens, first, next, right)) && first.len() == 1 {
            text.push_str(&join(tokens, next));
            words.extend(next);
        }
    }
    // A code is one token in most tables: keep the first when a phrase follows.
    let text = if text.split_whitespace().count() > 3 {
        text.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    } else {
        text
    };
    text_field(tokens, &words, part, text, CELL_CONF)
}

/// The supplier's code printed in a row under its label ("Vendor Material No: 4055", "Your
/// material number 4000056400", "Supplier Item 4000287391"): its value and the words of
/// label and value. On a buyer's PO the item column holds the buyer's own number; this one
/// is the code the item is sold under.
fn supplier_code(tokens: &[Token<'_>], row: &Row) -> Option<(String, Vec<usize>)> {
    let mut by_line: Vec<(usize, Vec<usize>)> = Vec::new();
    for (c, cell) in row.cells.iter().enumerate() {
        for (k, &i) in cell.iter().enumerate() {
            let li = row.cell_lines[c][k];
            match by_line.iter_mut().find(|(l, _)| *l == li) {
                Some((_, v)) => v.push(i),
                None => by_line.push((li, vec![i])),
            }
        }
    }
    for (_, mut words) in by_line {
        words.sort_by(|&a, &b| tokens[a].bbox[0].total_cmp(&tokens[b].bbox[0]));
        let texts: Vec<&str> = words.iter().map(|&i| tokens[i].text).collect();
        for j in 0..texts.len() {
            let Some(k) = supplier_code_label(&texts[j..]) else {
                continue;
            };
            let value = (j + k..texts.len())
                .take(3)
                .find(|&v| texts[v].chars().any(|c| c.is_alphanumeric()))?;
            let code = texts[value].trim_matches([':', ',', ';', '.']);
            if !code_like(code) {
                return None;
            }
            return Some((code.to_string(), words[j..=value].to_vec()));
        }
    }
    None
}

/// The line a row is anchored on: the first with a figure in a numeric column.
fn anchor_line(tokens: &[Token<'_>], table: &Table, row: &Row) -> Option<usize> {
    (0..table.columns.len())
        .filter(|&c| table.columns[c].role.numeric())
        .flat_map(|c| {
            row.cells[c]
                .iter()
                .zip(&row.cell_lines[c])
                .filter(|(&i, _)| tokens[i].text.chars().any(|ch| ch.is_ascii_digit()))
                .map(|(_, &li)| li)
        })
        .min()
}

/// The last line on which the row prints a figure outside its text columns (a second line
/// of figures under the first: a discount's amount, a tax's amount). The row's text goes on
/// at least that far.
fn last_figure_line(tokens: &[Token<'_>], table: &Table, row: &Row) -> Option<usize> {
    (0..table.columns.len())
        .filter(|&c| {
            !matches!(
                table.columns[c].role,
                Role::Description | Role::Sku | Role::CustomerPart | Role::LineNo
            )
        })
        .flat_map(|c| {
            row.cells[c]
                .iter()
                .zip(&row.cell_lines[c])
                .filter(|(&i, _)| crate::layout::table::is_number(tokens[i].text))
                .map(|(_, &li)| li)
        })
        .max()
}

/// Of the columns a header names for codes ("Ref", "Item Code", "Mfr Part No."), the first
/// with anything in it: a label over an empty band reads nothing (its codes stand in the
/// next column). Rows that repeat the code above leave it blank, so one filled cell will do.
fn code_column(table: &Table, role: Role) -> Option<usize> {
    let mut of_role = (0..table.columns.len()).filter(|&c| table.columns[c].role == role);
    let first = of_role.next()?;
    std::iter::once(first)
        .chain(of_role)
        .find(|&c| table.rows.iter().any(|r| !r.cells[c].is_empty()))
        .or(Some(first))
}

fn item(
    tokens: &[Token<'_>],
    table: &Table,
    row: &Row,
    part: u32,
    locale: Locale,
    above: Option<&LineItem>,
    money: Money,
) -> Option<LineItem> {
    let mut li = LineItem::default();
    let col = |r: Role| match r {
        Role::Sku | Role::CustomerPart => code_column(table, r),
        _ => table.column(r),
    };
    if let Some(c) = col(Role::Sku) {
        li.sku = code(tokens, table, row, c, part);
    }
    if let Some(c) = col(Role::CustomerPart) {
        li.customer_part = code(tokens, table, row, c, part);
        if li.sku.is_none() {
            li.sku = li.customer_part.take();
        }
    }
    let supplier = supplier_code(tokens, row);
    if let Some(c) = col(Role::Description) {
        let mut lines = cell_lines(row, c);
        // "Material/Description" columns print the code on the first line, the text below.
        if li.sku.is_none()
            && lines.len() >= 2
            && (1..=2).contains(&lines[0].len())
            && lines[0].iter().all(|&i| code_like(tokens[i].text))
        {
            let first = lines.remove(0);
            li.sku = text_field(tokens, &first, part, join(tokens, &first), CELL_CONF);
        }
        let mut words: Vec<usize> = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        let right = wrap_width(tokens, table, c);
        // Notes above the description (a schedule of the row before, cut wrongly) are
        // skipped; a note or an unwrapped line after it ends it.
        let anchor = anchor_line(tokens, table, row);
        let line_of = |l: &Vec<usize>| {
            l.first().and_then(|&i| {
                row.cells[c]
                    .iter()
                    .position(|&j| j == i)
                    .map(|k| row.cell_lines[c][k])
            })
        };
        let lead = lines
            .iter()
            .take_while(|l| note_line(&join(tokens, l)) && line_of(l) < anchor)
            .count();
        let lines = if lead < lines.len() {
            lines.split_off(lead)
        } else {
            lines
        };
        // A cell centred on its row's figures: as many of its lines below the figures as
        // above them belong to it, whatever they say ("... 600 grammes -" / figures /
        // "Custom's tariff: 29241900").
        let above = lines.iter().filter(|l| line_of(l) < anchor).count();
        let figures_end = last_figure_line(tokens, table, row);
        let mut below = 0;
        for (k, l) in lines.iter().enumerate() {
            let text = join(tokens, l);
            let centred = line_of(l) > anchor && below < above;
            if line_of(l) > anchor {
                below += 1;
            }
            // Beside the row's own figures the text is the row's, however short the line
            // before it ended ("2900 RPM" / "5 KW, 2 POLE, ..." beside a second line of
            // figures).
            let beside_figures = line_of(l) <= figures_end;
            if k > 0
                && !centred
                && (note_line(&text)
                    || figures_only(&text)
                        && !(aligned(tokens, &lines[k - 1], l)
                            && wrapped(tokens, &lines[k - 1], l, right))
                    || !beside_figures && !wrapped(tokens, &lines[k - 1], l, right))
            {
                break;
            }
            if supplier
                .as_ref()
                .is_some_and(|(_, sw)| l.iter().any(|w| sw.contains(w)))
            {
                break;
            }
            words.extend(l);
            parts.push(text);
        }
        let mut text = parts.join(" ");
        // "[26723] Flavour Drops": the code printed before the name (Odoo and others).
        if li.sku.is_none() {
            if let Some((code, rest)) = bracketed_code(&text) {
                li.sku = text_field(tokens, &words[..1], part, code, CELL_CONF);
                text = rest;
            }
        }
        li.description = text_field(tokens, &words, part, text, CELL_CONF);
    }
    if let Some((code, words)) = supplier {
        let text = join(tokens, &words);
        let field = Field::new(code, CELL_CONF, span(tokens, &words, part, &text));
        match li.sku.take() {
            Some(own) if !same_code(&own.value, &field.value) => {
                li.customer_part = li.customer_part.take().or(Some(own));
            }
            _ => {}
        }
        li.sku = Some(field);
    }
    let mut unit_after_qty = None;
    if let Some(c) = col(Role::Quantity) {
        if let Some((v, w, after)) = number_in(tokens, row, c, locale) {
            let text = join(tokens, &w);
            li.quantity = Some(Field::new(v, CELL_CONF, span(tokens, &w, part, &text)));
            // "570 EA" or "10PCS" in the quantity cell: the unit printed with it.
            let glued: String = text
                .chars()
                .skip_while(|c| c.is_ascii_digit() || ".,".contains(*c))
                .collect();
            if is_unit(&glued) {
                unit_after_qty = Some((glued, w.clone()));
            } else if let Some(a) = after.filter(|&a| is_unit(tokens[a].text)) {
                unit_after_qty = Some((tokens[a].text.to_string(), vec![a]));
            }
        }
    }
    if let Some(c) = col(Role::Uom) {
        // A unit the lexicon knows first: the wrapped tail of a header ("Unit of M" / "easu
        // re") can stand above it in the cell.
        let alphabetic = |i: &usize| tokens[*i].text.chars().any(char::is_alphabetic);
        let cell = &row.cells[c];
        let words: Vec<usize> = cell
            .iter()
            .copied()
            .find(|&i| is_unit(tokens[i].text))
            .or_else(|| cell.iter().copied().find(alphabetic))
            .into_iter()
            .collect();
        li.uom = text_field(tokens, &words, part, join(tokens, &words), CELL_CONF);
    }
    if li.quantity.is_none() {
        // "504 Each" right-aligned against the unit's label: the quantity printed in the
        // unit's band, right before the unit.
        if let Some(c) = col(Role::Uom) {
            let cell = &row.cells[c];
            let count = cell
                .iter()
                .position(|&i| is_unit(tokens[i].text))
                .and_then(|u| {
                    let q = *cell.get(u.checked_sub(1)?)?;
                    let same_line = row.cell_lines[c].get(u) == row.cell_lines[c].get(u - 1);
                    let v = parse_number(tokens[q].text, locale)?;
                    (same_line && v > 0.0).then_some((v, q))
                });
            if let Some((v, q)) = count {
                let text = tokens[q].text;
                li.quantity = Some(Field::new(v, CELL_CONF, span(tokens, &[q], part, text)));
            }
        }
    }
    if li.uom.is_none() {
        if let Some((u, w)) = unit_after_qty {
            li.uom = text_field(tokens, &w, part, u, CELL_CONF);
        }
    }
    if let Some(c) = money.price {
        if let Some((v, w, _)) = number_in(tokens, row, c, locale) {
            li.unit_price = Some(Field::new(
                v,
                CELL_CONF,
                span(tokens, &w, part, &join(tokens, &w)),
            ));
        }
    }
    if let Some(c) = money.amount {
        if let Some((v, w, _)) = number_in(tokens, row, c, locale) {
            li.amount = Some(Field::new(
                v,
                CELL_CONF,
                span(tokens, &w, part, &join(tokens, &w)),
            ));
        }
    }
    if li.uom.is_none() {
        // A unit printed beside the price ("YDS 0.6300", "0.63/EA").
        if let Some(c) = col(Role::UnitPrice) {
            let words: Vec<usize> = row.cells[c]
                .iter()
                .copied()
                .filter(|&i| is_unit(tokens[i].text))
                .take(1)
                .collect();
            li.uom = text_field(tokens, &words, part, join(tokens, &words), CELL_CONF);
        }
    }
    let any_number = li.quantity.is_some() || li.unit_price.is_some() || li.amount.is_some();
    let any_text = li.sku.is_some() || li.description.is_some();
    if !any_number {
        return None;
    }
    if !any_text {
        // Ditto rows: a quantity and a price under an item, code and text left blank, order
        // more of the item above (one row per colour, size or delivery).
        let above = above?;
        if li.quantity.is_none() || li.unit_price.is_none() && li.amount.is_none() {
            return None;
        }
        li.sku = above.sku.clone();
        li.customer_part = above.customer_part.clone();
        li.description = above.description.clone();
        if li.uom.is_none() {
            li.uom = above.uom.clone();
        }
    }
    if multiplies_out(&li) {
        for f in [&mut li.quantity, &mut li.unit_price, &mut li.amount]
            .into_iter()
            .flatten()
        {
            f.confidence = CHECKED_CONF;
        }
    }
    Some(li)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::testing::tokens;

    #[test]
    fn a_date_read_as_a_code_is_no_code() {
        for date in ["20.07.2026", "07/20/2026", "2026-07-20"] {
            assert!(calendar_date(date), "{date}");
        }
        for code in ["6202-2RS-C3", "100-20-3000", "3400-064-511", "12.5.8"] {
            assert!(!calendar_date(code), "{code}");
        }
        let mut line = LineItem {
            sku: Some(Field::certain("20.07.2026".to_string())),
            ..LineItem::default()
        };
        tidy_codes(&mut line);
        assert_eq!(line.sku, None);
    }

    #[test]
    fn a_stock_number_with_a_revision_set_apart_is_the_code_not_a_line_number() {
        // "00" after the code counts no lines, and the revision it is stays out of the code.
        let t = tokens(&[
            (
                1,
                &[
                    ("QUANTITY", 10.0),
                    ("STOCK", 90.0),
                    ("NUMBER", 126.0),
                    ("DESCRIPTION", 230.0),
                    ("PRICE", 390.0),
                    ("UNIT", 450.0),
                    ("TOTAL", 510.0),
                ],
            ),
            (
                2,
                &[
                    ("450", 30.0),
                    ("CHEP", 70.0),
                    ("PALLET", 98.0),
                    ("00", 150.0),
                    ("USE", 230.0),
                    ("CHEP", 252.0),
                    ("PALLET", 280.0),
                    ("4.9501", 390.0),
                    ("EA", 450.0),
                    ("2,227.55", 500.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        assert_eq!(layout.tables[0].column(Role::LineNo), None);
        let items = items(&t, &layout, 0, Locale::Us, false);
        assert_eq!(items.len(), 1);
        let sku = items[0].sku.as_ref().map(|f| f.value.as_str());
        assert_eq!(sku, Some("CHEP PALLET"));
    }

    #[test]
    fn of_two_price_columns_the_one_that_multiplies_out_is_the_price() {
        let t = tokens(&[
            (
                1,
                &[
                    ("Description", 10.0),
                    ("Qty", 120.0),
                    ("List", 170.0),
                    ("price", 196.0),
                    ("Net", 260.0),
                    ("price", 280.0),
                    ("Amount", 340.0),
                ],
            ),
            (
                2,
                &[
                    ("Motor", 10.0),
                    ("2", 126.0),
                    ("100.00", 180.0),
                    ("90.00", 280.0),
                    ("180.00", 340.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        let items = items(&t, &layout, 0, Locale::Us, false);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].unit_price.as_ref().map(|f| f.value), Some(90.0));
        assert!(multiplies_out(&items[0]));
    }

    #[test]
    fn text_beside_the_rows_second_line_of_figures_is_its_description_after_a_short_line() {
        let t = tokens(&[
            (
                1,
                &[
                    ("Description", 10.0),
                    ("Qty", 200.0),
                    ("Discount", 260.0),
                    ("Amount", 340.0),
                ],
            ),
            (
                2,
                &[
                    ("INDUCTION", 10.0),
                    ("MOTOR-55", 70.0),
                    ("KW", 124.0),
                    ("1", 206.0),
                    ("12.83", 260.0),
                    ("169706.04", 340.0),
                ],
            ),
            (3, &[("2900", 10.0), ("RPM", 40.0)]),
            (
                4,
                &[
                    ("5", 10.0),
                    ("KW,", 20.0),
                    ("2", 44.0),
                    ("POLE,", 56.0),
                    ("75", 92.0),
                    ("HP,", 110.0),
                    ("2900", 134.0),
                    ("RPM,", 162.0),
                    ("24977.96", 260.0),
                ],
            ),
            (5, &[("FRAME", 10.0), ("-250", 48.0), ("M", 76.0)]),
        ]);
        let layout = Layout::build(&t);
        let items = items(&t, &layout, 0, Locale::Us, false);
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].description.as_ref().map(|f| f.value.as_str()),
            Some("INDUCTION MOTOR-55 KW 2900 RPM 5 KW, 2 POLE, 75 HP, 2900 RPM, FRAME -250 M")
        );
    }

    #[test]
    fn a_line_of_figures_and_units_under_the_text_is_a_sub_row_not_description() {
        assert!(figures_only("1 EA / 1 EA"));
        assert!(figures_only("504"));
        assert!(figures_only("12.5 KG"));
        assert!(!figures_only("(24 units))"));
        assert!(!figures_only("2900 RPM"));
        assert!(!figures_only("EA"));
        assert!(!figures_only("5 KW, 2 POLE"));
    }

    #[test]
    fn an_indented_sub_row_of_figures_ends_the_text_but_a_wrapped_count_does_not() {
        // "1 EA / 1 EA" under the first item: a sub-row whose second figure stands in a
        // column of its own, so the line is beside the row's figures.
        let t = tokens(&[
            (
                1,
                &[
                    ("Description", 10.0),
                    ("Qty", 330.0),
                    ("HSN", 380.0),
                    ("Amount", 440.0),
                ],
            ),
            (2, &[("PALLETS", 10.0), ("200", 336.0), ("2030.00", 440.0)]),
            (
                3,
                &[
                    ("1", 34.0),
                    ("EA", 46.0),
                    ("/", 64.0),
                    ("1", 380.0),
                    ("EA", 392.0),
                ],
            ),
            (
                5,
                &[
                    ("Hex", 10.0),
                    ("head", 34.0),
                    ("cap", 64.0),
                    ("screw", 88.0),
                    ("DIN", 124.0),
                    ("933", 148.0),
                    ("stainless,", 172.0),
                    ("box", 238.0),
                    ("of", 262.0),
                    ("4", 336.0),
                    ("80.00", 440.0),
                ],
            ),
            (6, &[("25", 10.0)]),
        ]);
        let layout = Layout::build(&t);
        let items = items(&t, &layout, 0, Locale::Us, false);
        let text: Vec<_> = items
            .iter()
            .map(|l| l.description.as_ref().map(|f| f.value.as_str()))
            .collect();
        assert_eq!(
            text,
            vec![
                Some("PALLETS"),
                Some("Hex head cap screw DIN 933 stainless, box of 25")
            ]
        );
    }

    #[test]
    fn a_bracketed_period_under_an_item_is_a_note() {
        assert!(note_line("(17.01.2016 - 16.02.2016)"));
        assert!(!note_line("(Box (24 units))"));
    }

    #[test]
    fn a_code_loses_a_hanging_separator_and_a_glued_label() {
        assert_eq!(tidy_code("CO38030012/").as_deref(), Some("CO38030012"));
        assert_eq!(tidy_code("CO38030021HSN:").as_deref(), Some("CO38030021"));
        assert_eq!(tidy_code("3002214990HSN").as_deref(), Some("3002214990"));
        assert_eq!(tidy_code("AB-HSN"), None);
        assert_eq!(tidy_code("AB-100,").as_deref(), Some("AB-100"));
        assert_eq!(tidy_code("Ref:").as_deref(), Some("Ref"));
        assert_eq!(tidy_code("AB-100"), None);
        assert_eq!(tidy_code("FST-M12X12-"), None);
        assert_eq!(tidy_code("/"), None);
    }

    #[test]
    fn a_quantity_of_one_point_zero_zero_zero_is_a_thousand_when_that_multiplies_out() {
        let with_printed = |q: f64, printed: &str, p: f64, a: f64| {
            let mut l = priced(q, p, a);
            if let Some(f) = l.quantity.as_mut() {
                f.source = Some(SourceSpan {
                    part: 0,
                    page: 1,
                    bbox: [0.0; 4],
                    text: printed.to_string(),
                });
            }
            l
        };
        let mut l = with_printed(1.0, "1.000 Stück", 0.795, 795.0);
        quantity_thousands_by_arithmetic(&mut l);
        assert_eq!(l.quantity.as_ref().map(|f| f.value), Some(1000.0));
        // Twelve with three decimals that multiplies out stays twelve.
        let mut l = with_printed(12.0, "12.000", 2.5, 30.0);
        quantity_thousands_by_arithmetic(&mut l);
        assert_eq!(l.quantity.as_ref().map(|f| f.value), Some(12.0));
        // Neither reading multiplies out: as read.
        let mut l = with_printed(1.0, "1.000", 0.795, 12.0);
        quantity_thousands_by_arithmetic(&mut l);
        assert_eq!(l.quantity.as_ref().map(|f| f.value), Some(1.0));
    }

    fn priced(q: f64, p: f64, a: f64) -> LineItem {
        LineItem {
            quantity: Some(Field::certain(q)),
            unit_price: Some(Field::certain(p)),
            amount: Some(Field::certain(a)),
            ..LineItem::default()
        }
    }

    #[test]
    fn a_price_printed_to_the_cent_multiplies_out_within_half_a_cent_per_unit() {
        // 36 x 1.2731 = 45.83, the price printed rounded as 1.27 (36 x 1.27 = 45.72).
        assert!(multiplies_out(&priced(36.0, 1.27, 45.83)));
        // More than half a cent per unit off is a mismatch.
        assert!(!multiplies_out(&priced(36.0, 1.27, 46.20)));
        // A price with more decimals narrows the allowance to half its last digit.
        assert!(!multiplies_out(&priced(1000.0, 0.1234, 123.90)));
        assert!(multiplies_out(&priced(1000.0, 0.1234, 123.44)));
    }

    #[test]
    fn a_price_per_thousand_is_its_printed_figure_and_a_fraction_stays_whole() {
        assert_eq!(per_units("7,190.00/1,000", Locale::Us), "7,190.00");
        assert_eq!(per_units("12,50/100", Locale::De), "12,50");
        assert_eq!(per_units("1/2", Locale::Us), "1/2");
        assert_eq!(per_units("5.00", Locale::Us), "5.00");
    }

    #[test]
    fn an_item_read_in_two_tiers_gives_every_field_and_its_suppliers_code() {
        // SAP's form: the item's first line under "Item Material Description", its figures
        // under "Order qty. Unit Price per unit Net value", the quantity right-aligned
        // against the unit, a price per thousand, the vendor's code in a note.
        let t = crate::layout::testing::sap_form();
        let layout = Layout::build(&t);
        let items = items(&t, &layout, 0, Locale::Us, false);
        assert_eq!(items.len(), 2);
        let text = |f: &Option<Field<String>>| f.as_ref().map(|f| f.value.clone());
        let value = |f: &Option<Field<f64>>| f.as_ref().map(|f| f.value);
        let a = &items[0];
        assert_eq!(text(&a.sku).as_deref(), Some("4000056400"));
        assert_eq!(
            text(&a.customer_part).as_deref(),
            Some("00000000700-101790")
        );
        assert_eq!(text(&a.description).as_deref(), Some("PALLET WOOD CHEP"));
        assert_eq!(value(&a.quantity), Some(504.0));
        assert_eq!(text(&a.uom).as_deref(), Some("Each"));
        assert_eq!(value(&a.unit_price), Some(5.13));
        assert_eq!(value(&a.amount), Some(2585.52));
        let b = &items[1];
        assert_eq!(text(&b.sku).as_deref(), Some("1979135"));
        assert_eq!(text(&b.description).as_deref(), Some("BLUE PALLET"));
        assert_eq!(value(&b.quantity), Some(130.0));
        assert_eq!(value(&b.unit_price), Some(7190.0));
        assert!(multiplies_out(b));
    }

    #[test]
    fn a_headed_table_gives_one_item_per_row_with_every_field() {
        let t = tokens(&[
            (
                1,
                &[
                    ("Item", 10.0),
                    ("Description", 80.0),
                    ("Qty", 250.0),
                    ("Unit", 290.0),
                    ("Price", 320.0),
                    ("Amount", 380.0),
                ],
            ),
            (
                2,
                &[
                    ("AB-100", 10.0),
                    ("Blue", 80.0),
                    ("widget", 110.0),
                    ("10", 256.0),
                    ("EA", 290.0),
                    ("1.50", 326.0),
                    ("15.00", 386.0),
                ],
            ),
            (3, &[("Delivery:", 80.0), ("3/4/2025", 140.0)]),
            (
                4,
                &[
                    ("CD-200", 10.0),
                    ("Red", 80.0),
                    ("gadget", 104.0),
                    ("1,200", 250.0),
                    ("CS", 290.0),
                    ("2.00", 326.0),
                    ("2,400.00", 380.0),
                ],
            ),
            (6, &[("Total", 320.0), ("2,415.00", 380.0)]),
        ]);
        let layout = Layout::build(&t);
        let items = items(&t, &layout, 0, Locale::Us, false);
        assert_eq!(items.len(), 2);
        let a = &items[0];
        assert_eq!(a.sku.as_ref().map(|f| f.value.as_str()), Some("AB-100"));
        assert_eq!(
            a.description.as_ref().map(|f| f.value.as_str()),
            Some("Blue widget")
        );
        assert_eq!(a.quantity.as_ref().map(|f| f.value), Some(10.0));
        assert_eq!(a.uom.as_ref().map(|f| f.value.as_str()), Some("EA"));
        assert_eq!(a.unit_price.as_ref().map(|f| f.value), Some(1.5));
        assert_eq!(a.amount.as_ref().map(|f| f.value), Some(15.0));
        assert_eq!(items[1].quantity.as_ref().map(|f| f.value), Some(1200.0));
        assert_eq!(
            items[1].amount.as_ref().map(|f| f.confidence),
            Some(CHECKED_CONF)
        );
    }

    #[test]
    fn a_price_under_an_unnamed_heading_is_read_only_when_asked_and_only_if_it_multiplies_out() {
        let t = tokens(&[
            (
                1,
                &[
                    ("Item", 10.0),
                    ("Description", 80.0),
                    ("Qty", 220.0),
                    ("Price", 260.0),
                    ("Per", 292.0),
                    ("Total", 350.0),
                ],
            ),
            (
                2,
                &[
                    ("AB-100", 10.0),
                    ("Blue", 80.0),
                    ("widget", 110.0),
                    ("10", 224.0),
                    ("2.50", 264.0),
                    ("25.00", 350.0),
                ],
            ),
            (
                3,
                &[
                    ("CD-200", 10.0),
                    ("Red", 80.0),
                    ("bolt", 104.0),
                    ("4", 226.0),
                    ("1.25", 264.0),
                    ("5.00", 356.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        let named = items(&t, &layout, 0, Locale::Us, false);
        assert_eq!(named.len(), 2);
        assert!(named.iter().all(|l| l.unit_price.is_none()));
        let more = items(&t, &layout, 0, Locale::Us, true);
        let prices: Vec<Option<f64>> = more
            .iter()
            .map(|l| l.unit_price.as_ref().map(|f| f.value))
            .collect();
        assert_eq!(prices, vec![Some(2.5), Some(1.25)]);
    }

    #[test]
    fn a_suppliers_code_under_the_row_is_the_sku_and_the_buyers_code_its_customer_part() {
        let t = tokens(&[
            (
                1,
                &[
                    ("Item", 10.0),
                    ("Description", 80.0),
                    ("Qty", 300.0),
                    ("Price", 360.0),
                    ("Amount", 420.0),
                ],
            ),
            (
                2,
                &[
                    ("389585", 10.0),
                    ("Wood", 80.0),
                    ("pallet", 110.0),
                    ("450", 300.0),
                    ("7.53", 366.0),
                    ("3,388.50", 420.0),
                ],
            ),
            (
                3,
                &[
                    ("Vendor", 80.0),
                    ("Material", 122.0),
                    ("No:", 176.0),
                    ("4055", 200.0),
                ],
            ),
            (
                4,
                &[
                    ("ZX-9", 10.0),
                    ("Lid", 80.0),
                    ("2", 306.0),
                    ("1.00", 366.0),
                    ("2.00", 426.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        let items = items(&t, &layout, 0, Locale::Us, false);
        assert_eq!(items.len(), 2);
        let value = |f: &Option<Field<String>>| f.as_ref().map(|f| f.value.clone());
        assert_eq!(value(&items[0].sku).as_deref(), Some("4055"));
        assert_eq!(value(&items[0].customer_part).as_deref(), Some("389585"));
        assert_eq!(value(&items[0].description).as_deref(), Some("Wood pallet"));
        // A row without such a line keeps its code as the sku.
        assert_eq!(value(&items[1].sku).as_deref(), Some("ZX-9"));
        assert_eq!(items[1].customer_part, None);
    }

    #[test]
    fn a_description_centred_on_its_figures_keeps_its_line_below_them() {
        let t = tokens(&[
            (
                1,
                &[
                    ("Item", 10.0),
                    ("Description", 80.0),
                    ("Qty", 300.0),
                    ("Price", 360.0),
                    ("Amount", 420.0),
                ],
            ),
            (
                2,
                &[
                    ("Glutamine", 80.0),
                    ("powder", 140.0),
                    ("600g", 182.0),
                    ("-", 212.0),
                ],
            ),
            (
                3,
                &[
                    ("IAF068", 10.0),
                    ("15", 306.0),
                    ("17.09", 366.0),
                    ("256.35", 420.0),
                ],
            ),
            (4, &[("Tariff:", 80.0), ("29241900", 128.0)]),
        ]);
        let layout = Layout::build(&t);
        let items = items(&t, &layout, 0, Locale::Us, false);
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].description.as_ref().map(|f| f.value.as_str()),
            Some("Glutamine powder 600g - Tariff: 29241900")
        );
    }
}
