//! Item tables in an email's text: a header row the lexicon knows, then one row per item.
//!
//! An email body reaches us as text on a character grid: an HTML table laid out by
//! [`crate::parse::html`], a space-aligned or tab/pipe table (re-laid by
//! [`crate::parse::plain`]). There a cell is a run of words with single spaces between them and
//! cells are two spaces or more apart, so columns can be read exactly, without the tolerances a
//! printed page needs. The header cells name the columns ([`lexicon::role_of`], six
//! languages); a body cell belongs to the header cell it overlaps most (right-aligned numbers
//! under a left-aligned header included); a line with a number in the quantity column opens a
//! row, a line with text only under the description continues it (a `<br>` in a cell), and
//! anything else ends the table. Only email bodies are read this way (see
//! `ModelExtractor::extract_doc`).

use super::normalize::{parse_number, Locale};
use crate::domain::{Field, LineItem, SourceSpan};
use crate::layout::lexicon::{self, Role};
use crate::parse::{Page, ParsedDocument};

/// How sure a value read from a named column of an email table is.
const SURE: f32 = 0.9;

/// One cell: words with at most one space between them.
#[derive(Debug, Clone)]
struct Cell {
    x0: f32,
    x1: f32,
    y0: f32,
    y1: f32,
    text: String,
}

/// One text line of the body, as cells.
#[derive(Debug, Clone)]
struct Line {
    id: u32,
    cells: Vec<Cell>,
}

/// The page's character width: the median width per character of its words.
fn char_width(page: &Page) -> f32 {
    let mut w: Vec<f32> = page
        .words
        .iter()
        .filter_map(|w| {
            let n = w.text.chars().count();
            (n > 0).then(|| (w.bbox.x1 - w.bbox.x0) / n as f32)
        })
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    w.sort_by(f32::total_cmp);
    w.get(w.len() / 2).copied().unwrap_or(6.0)
}

fn lines(page: &Page) -> Vec<Line> {
    let cw = char_width(page);
    let mut out: Vec<Line> = Vec::new();
    for w in &page.words {
        let new_line = out.last().is_none_or(|l| l.id != w.line);
        if new_line {
            out.push(Line {
                id: w.line,
                cells: Vec::new(),
            });
        }
        let Some(line) = out.last_mut() else {
            continue;
        };
        match line.cells.last_mut() {
            // One space between words: the same cell.
            Some(c) if w.bbox.x0 - c.x1 < 1.5 * cw => {
                c.text.push(' ');
                c.text.push_str(&w.text);
                c.x1 = w.bbox.x1;
            }
            _ => line.cells.push(Cell {
                x0: w.bbox.x0,
                x1: w.bbox.x1,
                y0: w.bbox.y0,
                y1: w.bbox.y1,
                text: w.text.clone(),
            }),
        }
    }
    out
}

/// The role a header cell names: as a whole, else by its first part that is a known name
/// ("Description / Specification", "Qty/Menge").
fn cell_role(text: &str) -> Option<Role> {
    let whole = lexicon::role_of(text);
    if matches!(whole, None | Some(Role::Other)) && text.contains('/') {
        // "Price/Unit" is a price per unit, not the price-unit column "Preiseinheit" is.
        if let Some(r) = text.split('/').find_map(lexicon::role_of) {
            return Some(r);
        }
    }
    whole
}

/// The columns of a header line: each cell's extent and role, when the line names at least
/// a quantity and a code or description, and most of its cells are known column names.
fn header(line: &Line) -> Option<Vec<(f32, f32, Option<Role>)>> {
    if line.cells.len() < 2 {
        return None;
    }
    let roles: Vec<Option<Role>> = line.cells.iter().map(|c| cell_role(&c.text)).collect();
    let known = roles.iter().filter(|r| r.is_some()).count();
    let has = |r: Role| roles.contains(&Some(r));
    let ok = known >= 2
        && known * 2 >= roles.len()
        && has(Role::Quantity)
        && (has(Role::Sku) || has(Role::Description) || has(Role::CustomerPart));
    ok.then(|| {
        line.cells
            .iter()
            .zip(roles)
            .map(|(c, r)| (c.x0, c.x1, r))
            .collect()
    })
}

/// The column a cell belongs to: the header cell it overlaps most, else the one whose
/// stretch (from its start to the next one's) holds the cell's start.
fn column_of(cols: &[(f32, f32, Option<Role>)], c: &Cell) -> Option<usize> {
    let overlap = |k: usize| {
        cols.get(k)
            .map_or(0.0, |(x0, x1, _)| (c.x1.min(*x1) - c.x0.max(*x0)).max(0.0))
    };
    let best = (0..cols.len()).max_by(|&a, &b| overlap(a).total_cmp(&overlap(b)))?;
    if overlap(best) > 0.0 {
        return Some(best);
    }
    (0..cols.len())
        .rev()
        .find(|&k| cols.get(k).is_some_and(|col| col.0 <= c.x0))
}

/// A rule under a header ("-----", "=====", "|---|").
fn is_rule(line: &Line) -> bool {
    line.cells.iter().all(|c| {
        c.text
            .chars()
            .all(|ch| matches!(ch, '-' | '=' | '_' | '|' | '+' | ':' | ' '))
    })
}

/// A number as a whole cell ("1.000", "12,50", "€ 4.50", "4,50 EUR"), not words with a figure.
fn number(text: &str, locale: Locale) -> Option<f64> {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let currency = ["eur", "usd", "gbp", "chf"]
        .iter()
        .any(|c| text.to_lowercase().contains(c));
    if letters > 0 && !(currency && letters == 3) {
        return None;
    }
    parse_number(text, locale)
}

/// A quantity cell, with a unit written after the number ("10 Stk").
fn quantity(text: &str, locale: Locale) -> Option<(f64, Option<String>)> {
    if let Some(q) = number(text, locale) {
        return Some((q, None));
    }
    let (n, unit) = text.split_once(' ')?;
    let unit = unit.trim();
    let word = !unit.is_empty() && unit.chars().all(|c| c.is_alphabetic() || c == '.');
    word.then(|| number(n, locale).map(|q| (q, Some(unit.to_string()))))
        .flatten()
}

#[derive(Default)]
struct Row {
    /// Cells by column index.
    cells: Vec<(usize, Cell)>,
}

impl Row {
    /// The cell of the first column with role `r`.
    fn get(&self, roles: &[Option<Role>], r: Role) -> Option<&Cell> {
        let k = roles.iter().position(|x| *x == Some(r))?;
        self.cells.iter().find(|(c, _)| *c == k).map(|(_, c)| c)
    }
}

/// The columns' roles once the rows are known. Two code columns and no description column
/// ("Reference | Article", "Code | Product": both words name a code in some trade): the one
/// whose cells hold more words is the description.
fn settle_roles(cols: &[(f32, f32, Option<Role>)], rows: &[Row]) -> Vec<Option<Role>> {
    let mut roles: Vec<Option<Role>> = cols.iter().map(|c| c.2).collect();
    let codes: Vec<usize> = (0..roles.len())
        .filter(|&k| roles.get(k) == Some(&Some(Role::Sku)))
        .collect();
    if codes.len() >= 2 && !roles.contains(&Some(Role::Description)) {
        let words = |k: usize| {
            rows.iter()
                .flat_map(|r| r.cells.iter().filter(move |(c, _)| *c == k))
                .map(|(_, c)| c.text.split_whitespace().count())
                .sum::<usize>()
        };
        if let Some(&k) = codes.iter().max_by_key(|&&k| words(k)) {
            if let Some(r) = roles.get_mut(k) {
                *r = Some(Role::Description);
            }
        }
    }
    roles
}

/// Every item row of every lexicon-headed table in the body.
pub fn items(doc: &ParsedDocument, part: u32, locale: Locale) -> Vec<LineItem> {
    let mut out = Vec::new();
    for page in &doc.pages {
        let lines = lines(page);
        let mut i = 0;
        while i < lines.len() {
            let Some(cols) = lines.get(i).and_then(header) else {
                i += 1;
                continue;
            };
            let qty_col = cols.iter().position(|c| c.2 == Some(Role::Quantity));
            let mut rows: Vec<Row> = Vec::new();
            let mut prev_id = lines.get(i).map_or(0, |l| l.id);
            let mut j = i + 1;
            while let Some(line) = lines.get(j) {
                if is_rule(line) {
                    prev_id = line.id;
                    j += 1;
                    continue;
                }
                let text: String = line
                    .cells
                    .iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                // A blank line or a totals line ends the table.
                if line.id > prev_id + 1 || lexicon::ends_table(&text) {
                    break;
                }
                let mut row = Row::default();
                for c in &line.cells {
                    let Some(k) = column_of(&cols, c) else {
                        continue;
                    };
                    match row.cells.iter_mut().find(|(col, _)| *col == k) {
                        Some((_, have)) => {
                            have.text.push(' ');
                            have.text.push_str(&c.text);
                            have.x1 = c.x1;
                        }
                        None => row.cells.push((k, c.clone())),
                    }
                }
                let opens = qty_col
                    .and_then(|k| row.cells.iter().find(|(col, _)| *col == k))
                    .is_some_and(|(_, c)| quantity(&c.text, locale).is_some());
                // Text under text columns only, none under the first column: a wrapped cell
                // of the row above ("MPN 3RT2016", a `<br>` in a cell). Text that starts under
                // the first column is what follows the table.
                let textual = |k: usize| {
                    k > 0
                        && !cols
                            .get(k)
                            .and_then(|c| c.2)
                            .is_some_and(|r| r.numeric() || r == Role::Uom)
                };
                let first_end = cols.first().map_or(0.0, |c| c.1);
                let continues = !row.cells.is_empty()
                    && row.cells.iter().all(|(k, c)| {
                        textual(*k)
                            && c.x0 > first_end
                            && !c.text.chars().all(|ch| ch.is_ascii_digit() || ch == '.')
                    });
                if opens {
                    rows.push(row);
                } else if continues && !rows.is_empty() {
                    if let Some(last) = rows.last_mut() {
                        for (k, more) in row.cells {
                            match last.cells.iter_mut().find(|(col, _)| *col == k) {
                                Some((_, d)) => {
                                    d.text.push(' ');
                                    d.text.push_str(&more.text);
                                }
                                None => last.cells.push((k, more)),
                            }
                        }
                    }
                } else {
                    break;
                }
                prev_id = line.id;
                j += 1;
            }
            let roles = settle_roles(&cols, &rows);
            for row in &rows {
                if let Some(item) = item(row, &roles, part, page.number, locale, out.len()) {
                    out.push(item);
                }
            }
            i = j.max(i + 1);
        }
    }
    out
}

/// A value read from cell `c`, with the cell as its source.
fn field<T>(c: &Cell, v: T, part: u32, page: u32) -> Option<Field<T>> {
    Some(Field::new(
        v,
        SURE,
        Some(SourceSpan {
            part,
            page,
            bbox: [c.x0, c.y0, c.x1, c.y1],
            text: c.text.clone(),
        }),
    ))
}

fn item(
    row: &Row,
    roles: &[Option<Role>],
    part: u32,
    page: u32,
    locale: Locale,
    before: usize,
) -> Option<LineItem> {
    let text = |r: Role| {
        row.get(roles, r)
            .and_then(|c| field(c, c.text.clone(), part, page))
    };
    let num = |r: Role| {
        row.get(roles, r)
            .and_then(|c| number(&c.text, locale).and_then(|v| field(c, v, part, page)))
    };
    let qcell = row.get(roles, Role::Quantity)?;
    let (q, glued_unit) = quantity(&qcell.text, locale)?;
    let item = LineItem {
        line_no: before as u32 + 1,
        sku: text(Role::Sku),
        customer_part: text(Role::CustomerPart),
        description: text(Role::Description),
        quantity: field(qcell, q, part, page),
        uom: text(Role::Uom).or_else(|| glued_unit.and_then(|u| field(qcell, u, part, page))),
        unit_price: num(Role::UnitPrice),
        amount: num(Role::Amount),
        ..LineItem::default()
    };
    (item.sku.is_some() || item.description.is_some() || item.customer_part.is_some())
        .then_some(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text_to_doc;

    fn read(text: &str, locale: Locale) -> Vec<String> {
        items(&text_to_doc(text), 0, locale)
            .iter()
            .map(|l| {
                let s = |f: &Option<Field<String>>| {
                    f.as_ref().map(|f| f.value.clone()).unwrap_or_default()
                };
                let n = |f: &Option<Field<f64>>| {
                    f.as_ref().map(|f| f.value.to_string()).unwrap_or_default()
                };
                format!(
                    "{}|{}|{}|{}|{}|{}",
                    s(&l.sku),
                    s(&l.description),
                    n(&l.quantity),
                    s(&l.uom),
                    n(&l.unit_price),
                    n(&l.amount)
                )
            })
            .collect()
    }

    #[test]
    fn an_html_table_laid_out_as_text() {
        let text = "Hallo,\nwir bestellen wie folgt:\n\
            Pos   Anzahl   Artikel-Nr.   Beschreibung          ME      Preis (EUR)\n\
            1     24       CHN-08B       Roller chain 08B-1    Stück   71,75\n\
            2     50       FST-M6-20     Hex bolt M6x20 zinc   Pck     1.123,62\n\
            \x20                            zinc plated\n\
            Gesamtsumme: 17.918,99 EUR\n";
        assert_eq!(
            read(text, Locale::De),
            [
                "CHN-08B|Roller chain 08B-1|24|Stück|71.75|",
                "FST-M6-20|Hex bolt M6x20 zinc zinc plated|50|Pck|1123.62|"
            ]
        );
    }

    #[test]
    fn right_aligned_numbers_under_left_aligned_headers() {
        let text = "Item       Description      Qty   Unit price   Amount\n\
            ---------------------------------------------------\n\
            AB-100     Blue widget       10         4.50    45.00\n\
            CD-200     Cable tie       1000         0.12   120.00\n\
            \n\
            Total 165.00\n";
        assert_eq!(
            read(text, Locale::Us),
            [
                "AB-100|Blue widget|10||4.5|45",
                "CD-200|Cable tie|1000||0.12|120"
            ]
        );
    }

    #[test]
    fn of_two_code_columns_the_wordy_one_is_the_description() {
        let text = "Referencia   Artículo                Cantidad\n\
            BRG-6205     Ball bearing 6205 2RS   25\n\
            MB-2201      Marker pen black        20\n";
        assert_eq!(
            read(text, Locale::De),
            [
                "BRG-6205|Ball bearing 6205 2RS|25|||",
                "MB-2201|Marker pen black|20|||"
            ]
        );
    }

    #[test]
    fn notes_under_an_unnamed_column_continue_the_row() {
        let text = "No.     Stock Code   Description / Specification   Qty     Price/Unit\n\
            00010   319054156    Contactor 3P 12A              2       122.95\n\
            \x20                    MPN 3RT2016 (Siemens)\n\
            00020   435311842    Countersunk screw             1,000   62.60\n\
            Freight   15.00\n";
        assert_eq!(
            read(text, Locale::Us),
            [
                "319054156|Contactor 3P 12A MPN 3RT2016 (Siemens)|2||122.95|",
                "435311842|Countersunk screw|1000||62.6|"
            ]
        );
    }

    #[test]
    fn a_line_that_names_no_quantity_is_no_header() {
        let text = "Name       Phone\nAnna       +49 30 1234\n";
        assert!(read(text, Locale::Us).is_empty());
    }
}
