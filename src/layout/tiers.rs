//! Two-tier item tables. SAP's purchase order form, and others like it, print each item on
//! two lines under a header of two label lines: "Item  Material  Description" over "Order
//! qty.  Unit  Price per unit  Net value". An item's first line reads against the upper
//! labels and its second against the lower ones. Merged into one header the labels overlap
//! ("Material" stands over "Order qty."), and the item's code, quantity and amount land in
//! each other's columns; read tier by tier, each cell is where a person looks for it.
//!
//! The header only proposes the tiers; the body decides. A row that opens with its line
//! number must carry no figures, and the next line must carry them. An item split by a page
//! break (its first line at the foot of one page, its figures under the header repeated on
//! the next) is one item.

use super::lexicon::Role;
use super::table::{bands, is_date, is_number, Cell, Column, Row, Table};
use super::{Line, Token};

/// The lower tier of a two-tier table: where its columns begin in [`Table::columns`] and
/// the boundaries between them.
#[derive(Debug, Clone)]
pub struct Lower {
    pub from: usize,
    pub bounds: Vec<f32>,
}

/// What a line of a two-tier table's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The first line of an item: a line number or code under the first upper label.
    Opens,
    /// An item's second line: its figures (and a unit or two), nothing else.
    Figures,
    /// Anything else: wrapped text, a note, a rule.
    Other,
}

fn roles(cells: &[Cell]) -> Vec<Role> {
    let mut v: Vec<Role> = cells
        .iter()
        .filter_map(|c| c.role)
        .filter(|r| *r != Role::Other)
        .collect();
    v.sort_by_key(|r| *r as u8);
    v.dedup();
    v
}

/// A header of two label lines that may be two tiers: the upper line names text columns
/// only (at least two of line number, code and description, one of them a code or a
/// description), the lower at least two figure columns, and neither names a column of the
/// other.
pub(super) fn split(stack: &[(usize, Vec<Cell>)]) -> Option<[Vec<Cell>; 2]> {
    let [(_, upper), (_, lower)] = stack else {
        return None;
    };
    let (u, l) = (roles(upper), roles(lower));
    let text_only = u.len() >= 2
        && u.iter().all(|r| !r.numeric() && *r != Role::Uom)
        && u.iter()
            .any(|r| matches!(r, Role::Sku | Role::CustomerPart | Role::Description));
    let figures = l.iter().filter(|r| r.numeric()).count() >= 2;
    let disjoint = !l.iter().any(|r| u.contains(r));
    (text_only && figures && disjoint).then(|| [upper.clone(), lower.clone()])
}

/// Columns of one tier's labels, left to right.
pub(super) fn columns(tokens: &[Token<'_>], cells: &[Cell]) -> Vec<Column> {
    let mut out: Vec<Column> = cells
        .iter()
        .map(|c| Column {
            role: c.role.unwrap_or(Role::Other),
            label: c
                .words
                .iter()
                .map(|&i| tokens[i].text)
                .collect::<Vec<_>>()
                .join(" "),
            x0: c.x0,
            x1: c.x1,
        })
        .collect();
    out.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    out
}

/// A figure of an item's second line: a number, not a date ("7,190.00/1,000": a price
/// per thousand, counts).
fn figure(text: &str) -> bool {
    let t = text.split('/').next().unwrap_or(text);
    is_number(t) && !is_date(text) && t.chars().any(|c| c.is_ascii_digit())
}

/// The kind of each body line, given the upper tier's columns.
pub(super) fn kinds(
    tokens: &[Token<'_>],
    lines: &[Line],
    body: &[usize],
    upper: &[Column],
    h: f32,
) -> Vec<Kind> {
    let Some(first) = upper.first() else {
        return vec![Kind::Other; body.len()];
    };
    // The first label's reach: from a little left of it to where the next label begins.
    let reach = upper.get(1).map_or(first.x1 + h, |c| c.x0);
    body.iter()
        .map(|&li| {
            let words = &lines[li].words;
            let figures = words.iter().filter(|&&i| figure(tokens[i].text)).count();
            let text = words
                .iter()
                .filter(|&&i| {
                    let t = tokens[i].text;
                    t.chars().any(char::is_alphabetic) && !figure(t)
                })
                .count();
            let opens = words.first().is_some_and(|&i| {
                let t = &tokens[i];
                t.x_mid() >= first.x0 - h
                    && t.x_mid() < reach
                    && t.text.chars().any(|c| c.is_ascii_digit())
            }) && words.len() >= 2;
            if figures >= 2 && text <= 2 && !opens {
                Kind::Figures
            } else if opens {
                Kind::Opens
            } else {
                Kind::Other
            }
        })
        .collect()
}

/// Does an opening line carry the item's figures itself (a one-line row)? Then the table
/// is not read in tiers.
fn flat_row(tokens: &[Token<'_>], line: &Line) -> bool {
    let decimals = line
        .words
        .iter()
        .filter(|&&i| {
            let t = tokens[i].text;
            figure(t) && t.contains(['.', ','])
        })
        .count();
    decimals >= 2
}

/// The tier evidence of one table's body: an opening line followed by a figures line
/// (`pairs`), whether it opens with figures (an item's second line continued from the page
/// before) or ends with an opening line (its figures on the next page), and whether any
/// opening line carries its figures itself.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Evidence {
    pub pairs: usize,
    pub starts_with_figures: bool,
    pub ends_open: bool,
    pub flat: bool,
}

pub(super) fn evidence(
    tokens: &[Token<'_>],
    lines: &[Line],
    body: &[usize],
    kinds: &[Kind],
) -> Evidence {
    let mut e = Evidence::default();
    let mut open = false;
    for (p, &k) in kinds.iter().enumerate() {
        match k {
            Kind::Opens => {
                open = true;
                e.flat |= flat_row(tokens, &lines[body[p]]);
            }
            Kind::Figures if open => {
                e.pairs += 1;
                open = false;
            }
            Kind::Figures => {
                e.starts_with_figures |= !kinds[..p].contains(&Kind::Opens);
            }
            Kind::Other => {}
        }
    }
    e.ends_open = open;
    e
}

/// Cut a two-tier body into rows: an opening line starts a row, the first figures line
/// after it is the row's lower tier, and every other line is upper-tier text (wrapped
/// description, notes). Figures before the first opening line are a row of their own with
/// no upper line: the rest of the last item of the page before ([`join_pages`]).
pub(super) fn rows(
    tokens: &[Token<'_>],
    lines: &[Line],
    body: &[usize],
    kinds: &[Kind],
    table: &Table,
) -> Vec<Row> {
    let Some(lower) = &table.lower else {
        return vec![];
    };
    let n = table.columns.len();
    let mut out: Vec<Row> = Vec::new();
    let mut has_figures = false;
    // Before its figures, an item's text runs on line by line; after a gap it is over (the
    // foot of a page whose item goes on on the next page: what is printed under it there
    // is the page's, not the item's).
    let mut text_over = false;
    let mut last_y1 = f32::MIN;
    for (p, &li) in body.iter().enumerate() {
        // A rule ("_____") under the header or between items is no part of an item.
        let rule = lines[li]
            .words
            .iter()
            .all(|&i| !tokens[i].text.chars().any(char::is_alphanumeric));
        if rule {
            continue;
        }
        let tier = match kinds[p] {
            Kind::Opens => {
                out.push(Row {
                    lines: vec![],
                    cells: vec![vec![]; n],
                    cell_lines: vec![vec![]; n],
                });
                has_figures = false;
                0
            }
            Kind::Figures if !has_figures => {
                if out.is_empty() {
                    out.push(Row {
                        lines: vec![],
                        cells: vec![vec![]; n],
                        cell_lines: vec![vec![]; n],
                    });
                }
                has_figures = true;
                1
            }
            _ if out.is_empty() => continue,
            _ if !has_figures => {
                let line = &lines[li];
                text_over |= line.y0 - last_y1 > 1.5 * (line.y1 - line.y0);
                if text_over {
                    continue;
                }
                0
            }
            _ => 0,
        };
        if kinds[p] == Kind::Opens {
            text_over = false;
        }
        last_y1 = lines[li].y1;
        let Some(row) = out.last_mut() else { continue };
        row.lines.push(li);
        for &i in &lines[li].words {
            let x = tokens[i].x_mid();
            let c = if tier == 0 {
                table.column_at(x).min(lower.from.saturating_sub(1))
            } else {
                (lower.from + lower.bounds.iter().take_while(|&&b| x >= b).count()).min(n - 1)
            };
            row.cells[c].push(i);
            row.cell_lines[c].push(li);
        }
    }
    out
}

/// Bounds for a two-tier table: the upper tier's from the items' opening lines (notes under
/// an item run across the columns and would hide the gutters), the lower tier's from its
/// figures lines. A table with no opening line (a page that only finishes the item of the
/// page before) takes the upper bounds from all its other lines.
pub(super) fn tier_bounds(
    tokens: &[Token<'_>],
    lines: &[Line],
    body: &[usize],
    kinds: &[Kind],
    upper: &[Column],
    lower: &[Column],
) -> (Vec<f32>, Vec<f32>) {
    let of = |want: &[Kind]| -> Vec<&Line> {
        body.iter()
            .zip(kinds)
            .filter(|(_, k)| want.contains(k))
            .map(|(&li, _)| &lines[li])
            .collect()
    };
    let mut opening = of(&[Kind::Opens]);
    if opening.is_empty() {
        opening = of(&[Kind::Other]);
    }
    (
        bands(tokens, upper, &opening),
        bands(tokens, lower, &of(&[Kind::Figures])),
    )
}

/// An item whose first line ends one page and whose figures open the next page's table
/// (under the repeated header) is one row: the figures join the row above.
pub fn join_pages(tables: &mut [Table]) {
    for k in 1..tables.len() {
        let (before, after) = tables.split_at_mut(k);
        let (Some(prev), Some(next)) = (before.last_mut(), after.first_mut()) else {
            continue;
        };
        let (Some(pl), Some(nl)) = (&prev.lower, &next.lower) else {
            continue;
        };
        let same = next.page > prev.page
            && pl.from == nl.from
            && prev.columns.len() == next.columns.len()
            && prev
                .columns
                .iter()
                .zip(&next.columns)
                .all(|(a, b)| a.label == b.label);
        let from = pl.from;
        let upper_only = |r: &Row| r.cells[from..].iter().all(Vec::is_empty);
        let lower_only = |r: &Row| r.cells[..from].iter().all(Vec::is_empty);
        if !same
            || !prev.rows.last().is_some_and(upper_only)
            || !next.rows.first().is_some_and(lower_only)
        {
            continue;
        }
        let moved = next.rows.remove(0);
        if let Some(last) = prev.rows.last_mut() {
            last.lines.extend(moved.lines);
            for (c, (cell, at)) in moved.cells.into_iter().zip(moved.cell_lines).enumerate() {
                last.cells[c].extend(cell);
                last.cell_lines[c].extend(at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{sap_form, tokens, SAP_LOWER, SAP_UPPER};
    use super::super::{Layout, Token};
    use super::*;

    fn cell_text<'a>(t: &[Token<'a>], table: &Table, row: usize, role: Role) -> Vec<&'a str> {
        let Some(c) = table.column(role) else {
            return vec![];
        };
        table.rows[row].cells[c]
            .iter()
            .map(|&i| t[i].text)
            .collect()
    }

    #[test]
    fn an_item_on_two_lines_under_a_header_of_two_reads_each_line_against_its_own_labels() {
        let t = sap_form();
        let layout = Layout::build(&t);
        assert_eq!(layout.tables.len(), 1);
        let table = &layout.tables[0];
        assert!(table.lower.is_some(), "{:?}", table.columns);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(cell_text(&t, table, 0, Role::LineNo), vec!["00010"]);
        assert_eq!(
            cell_text(&t, table, 0, Role::Sku),
            vec!["00000000700-101790", "Your", "material", "number"]
        );
        // Right-aligned against the unit, the quantity stands in the unit's band (the item
        // reading takes it from there).
        assert_eq!(cell_text(&t, table, 0, Role::Uom), vec!["504", "Each"]);
        assert_eq!(cell_text(&t, table, 0, Role::UnitPrice), vec!["5.13"]);
        assert_eq!(cell_text(&t, table, 0, Role::Amount), vec!["2,585.52"]);
        assert_eq!(
            cell_text(&t, table, 1, Role::Description),
            vec!["BLUE", "PALLET"]
        );
        assert_eq!(cell_text(&t, table, 1, Role::Amount), vec!["934.70"]);
    }

    #[test]
    fn rows_with_their_figures_on_the_first_line_stay_one_tier() {
        // The same two label lines, but each item on one line: no tiers.
        let t = tokens(&[
            (1, SAP_UPPER),
            (2, SAP_LOWER),
            (
                4,
                &[
                    ("00010", 10.0),
                    ("AB-1", 50.0),
                    ("5", 100.0),
                    ("EA", 140.0),
                    ("PALLET", 200.0),
                    ("5.13", 290.0),
                    ("25.65", 430.0),
                ],
            ),
            (
                5,
                &[
                    ("00020", 10.0),
                    ("AB-2", 50.0),
                    ("2", 100.0),
                    ("EA", 140.0),
                    ("CRATE", 200.0),
                    ("1.50", 290.0),
                    ("3.00", 430.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        assert_eq!(layout.tables.len(), 1);
        assert!(layout.tables[0].lower.is_none());
    }

    #[test]
    fn an_item_cut_by_a_page_break_is_one_row() {
        let mut t = sap_form();
        // Item 00020's figures on page 2, under the header printed again.
        let header: Vec<Token<'_>> = t[..11].to_vec();
        for tok in t
            .iter_mut()
            .filter(|k| k.page == 1 && k.bbox[1] >= 9.0 * 12.0)
        {
            tok.page = 2;
        }
        t.extend(header.into_iter().map(|mut k| {
            k.page = 2;
            k
        }));
        let layout = Layout::build(&t);
        assert_eq!(layout.tables.len(), 2, "{:?}", layout.tables);
        let first = &layout.tables[0];
        assert_eq!(first.rows.len(), 2);
        assert_eq!(cell_text(&t, first, 1, Role::Uom), vec!["130", "Unit"]);
        assert_eq!(cell_text(&t, first, 1, Role::Amount), vec!["934.70"]);
        assert!(layout.tables[1].rows.is_empty());
    }
}
