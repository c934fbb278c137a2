//! Lines that are not items: what a reader of an unfamiliar PO skips without thinking.
//!
//! The model and the table pass read rows; some rows of a real PO are no items: a numbered
//! clause of the terms ("8. Seller shall protect ..."), an address or tax-number line under
//! the table, a subtotal under a group of items. Each is told by what it lacks or by what
//! it adds up to, never by its wording.

use crate::domain::{LineItem, Order};
use crate::layout::{lexicon, Layout, Token};

use super::table::multiplies_out;

/// Drop the rows of each order that are no items, and number the rest again.
pub fn apply(orders: &mut [Order]) {
    for order in orders {
        let before = order.lines.len();
        drop_unpriced_lines(&mut order.lines);
        drop_subtotal_rows(&mut order.lines);
        if order.lines.len() != before {
            for (i, l) in order.lines.iter_mut().enumerate() {
                l.line_no = i as u32 + 1;
            }
        }
    }
}

fn priced(l: &LineItem) -> bool {
    l.unit_price.is_some() || l.amount.is_some()
}

/// A code is what a person would key into the order system: it has a digit in it.
fn coded(l: &LineItem) -> bool {
    l.sku
        .as_ref()
        .is_some_and(|f| f.value.chars().any(|c| c.is_ascii_digit()))
}

/// In an order whose items carry prices, a row with neither a price nor an amount and no
/// item code to order by is text the reader took for a row (a clause, an address, a bank
/// line). A coded row with a quantity stays: an item whose price was missed must reach the
/// reviewer, not vanish.
fn drop_unpriced_lines(lines: &mut Vec<LineItem>) {
    if !lines.iter().any(priced) {
        return;
    }
    lines.retain(|l| priced(l) || coded(l) && l.quantity.is_some());
}

/// Nothing on the row says what is ordered: no code, no part number, no description, no
/// quantity.
fn nameless(l: &LineItem) -> bool {
    l.sku.is_none() && l.customer_part.is_none() && l.description.is_none() && l.quantity.is_none()
}

/// A row without a unit price whose amount is the sum of the two or more item amounts
/// above it (since the previous such row) is a group subtotal, not an item; so is one whose
/// amount is the sum of every item above it, across groups (the grand total printed as the
/// table's last row, without a label). So is a row that names nothing and repeats the sum
/// of the items above, even of one ("Taxable Amount 2,60,236.00" with the tax "46,842.48"
/// beside it, under a one-item table): a summary line.
fn drop_subtotal_rows(lines: &mut Vec<LineItem>) {
    let mut keep = Vec::with_capacity(lines.len());
    // Since the previous subtotal, and over the whole table.
    let (mut sum, mut run) = (0.0f64, 0usize);
    let (mut all, mut items) = (0.0f64, 0usize);
    for l in lines.drain(..) {
        if let Some(a) = &l.amount {
            let tol = 0.011f64.max(a.value.abs() * 0.0005);
            let needs = if nameless(&l) {
                1
            } else if l.unit_price.is_none() {
                2
            } else {
                usize::MAX
            };
            let group = run >= needs && (a.value - sum).abs() <= tol;
            let grand = items >= needs.max(2) && run < items && (a.value - all).abs() <= tol;
            if group || grand {
                tracing::debug!(target: "po_intake::table", "subtotal row dropped: {}", a.value);
                (sum, run) = (0.0, 0);
                continue;
            }
            sum += a.value;
            run += 1;
            all += a.value;
            items += 1;
        }
        keep.push(l);
    }
    *lines = keep;
}

/// Where a row was read: the page and top of the highest word any of its fields came from.
fn top(l: &LineItem) -> Option<(u32, f32)> {
    l.sources()
        .map(|s| (s.page, s.bbox[1]))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
}

fn complete(l: &LineItem) -> bool {
    l.quantity.is_some() && l.unit_price.is_some() && l.amount.is_some()
}

/// Lines that close an item table ("Total 1,234.00", "Terms and conditions"), as
/// (page, top).
fn closing_lines(tokens: &[Token<'_>], layout: &Layout) -> Vec<(u32, f32)> {
    layout
        .lines
        .iter()
        .filter(|line| {
            let text: Vec<&str> = line
                .words
                .iter()
                .filter_map(|&i| tokens.get(i).map(|t| t.text))
                .collect();
            lexicon::ends_table(&text.join(" "))
        })
        .map(|line| (line.page, line.y0))
        .collect()
}

/// A row read below the line that closes the item table: the totals block, a tax summary,
/// a clause of the terms, a bank line. The table is closed by the first total (or terms)
/// line below its last item that multiplies out; what the model took for a row past it is
/// no item unless it is a whole one (quantity, price and amount), as an incomplete one
/// would reach the OMS as a junk line.
pub fn drop_below_totals(tokens: &[Token<'_>], layout: &Layout, orders: &mut [Order]) {
    let closers = closing_lines(tokens, layout);
    if closers.is_empty() {
        return;
    }
    let before = |a: &(u32, f32), b: &(u32, f32)| a.0 < b.0 || a.0 == b.0 && a.1 < b.1;
    for order in orders {
        // The last item that multiplies out; where none does (a discount or tax column the
        // reader did not take in), the last whole one.
        let lowest = |keep: &dyn Fn(&LineItem) -> bool| {
            order
                .lines
                .iter()
                .filter(|l| keep(l))
                .filter_map(top)
                .max_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
        };
        let Some(last) = lowest(&|l| multiplies_out(l)).or_else(|| lowest(&complete)) else {
            continue;
        };
        let Some(end) = closers
            .iter()
            .filter(|c| before(&last, c))
            .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
            .copied()
        else {
            continue;
        };
        let n = order.lines.len();
        order.lines.retain(|l| {
            let past = top(l).is_some_and(|t| before(&end, &t));
            if past && !complete(l) {
                tracing::debug!(target: "po_intake::table", "row below the table's total dropped: {:?}",
                    l.description.as_ref().map(|f| f.value.as_str()));
                return false;
            }
            true
        });
        if order.lines.len() != n {
            for (i, l) in order.lines.iter_mut().enumerate() {
                l.line_no = i as u32 + 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Field;

    fn line(
        sku: Option<&str>,
        qty: Option<f64>,
        price: Option<f64>,
        amount: Option<f64>,
    ) -> LineItem {
        let f = |v: f64| Field::new(v, 0.9, None);
        LineItem {
            sku: sku.map(|s| Field::new(s.to_string(), 0.9, None)),
            quantity: qty.map(f),
            unit_price: price.map(f),
            amount: amount.map(f),
            ..LineItem::default()
        }
    }

    #[test]
    fn a_clause_read_as_a_row_goes_but_a_coded_item_without_price_stays() {
        let mut o = Order {
            lines: vec![
                line(Some("AB-100"), Some(2.0), Some(5.0), Some(10.0)),
                line(Some("protect,"), Some(8.0), None, None),
                line(None, Some(9.0), None, None),
                line(Some("CD-200"), Some(3.0), None, None),
            ],
            ..Order::default()
        };
        apply(std::slice::from_mut(&mut o));
        assert_eq!(skus(&o), vec![Some("AB-100"), Some("CD-200")]);
        assert_eq!(o.lines[1].line_no, 2);
    }

    #[test]
    fn an_unpriced_order_keeps_its_rows() {
        let mut o = Order {
            lines: vec![
                line(None, Some(120.0), None, None),
                line(None, Some(3.0), None, None),
            ],
            ..Order::default()
        };
        apply(std::slice::from_mut(&mut o));
        assert_eq!(o.lines.len(), 2);
    }

    #[test]
    fn a_group_subtotal_goes_and_the_next_group_counts_afresh() {
        let mut o = Order {
            lines: vec![
                line(Some("A1"), Some(59.0), Some(0.63), Some(37.17)),
                line(Some("A1"), Some(24.0), Some(0.63), Some(15.12)),
                line(Some("A1"), Some(83.0), None, Some(52.29)),
                line(Some("B2"), Some(10.0), Some(1.0), Some(10.0)),
                line(Some("B2"), Some(5.0), Some(1.0), Some(5.0)),
                line(Some("B2"), Some(15.0), None, Some(15.0)),
            ],
            ..Order::default()
        };
        apply(std::slice::from_mut(&mut o));
        assert_eq!(o.lines.len(), 4);
        assert!(o.lines.iter().all(|l| l.unit_price.is_some()));
    }

    #[test]
    fn a_nameless_row_repeating_the_items_sum_is_a_summary_line() {
        let mut o = Order {
            lines: vec![
                line(Some("M-1"), Some(2.0), Some(130.0), Some(260.0)),
                line(None, None, Some(46.8), Some(260.0)),
            ],
            ..Order::default()
        };
        apply(std::slice::from_mut(&mut o));
        assert_eq!(skus(&o), vec![Some("M-1")]);
        // A nameless row with an amount of its own is no sum: it stays for the reviewer.
        let mut o = Order {
            lines: vec![
                line(Some("M-1"), Some(2.0), Some(130.0), Some(260.0)),
                line(None, None, Some(46.8), Some(46.8)),
            ],
            ..Order::default()
        };
        apply(std::slice::from_mut(&mut o));
        assert_eq!(o.lines.len(), 2);
    }

    #[test]
    fn the_grand_total_under_two_subtotalled_groups_goes() {
        let mut o = Order {
            lines: vec![
                line(Some("A1"), Some(59.0), Some(0.63), Some(37.17)),
                line(Some("A1"), Some(24.0), Some(0.63), Some(15.12)),
                line(None, Some(83.0), None, Some(52.29)),
                line(Some("B2"), Some(10.0), Some(1.0), Some(10.0)),
                line(Some("B2"), Some(5.0), Some(1.0), Some(5.0)),
                line(None, Some(15.0), None, Some(15.0)),
                line(Some("B2"), Some(98.0), None, Some(67.29)),
            ],
            ..Order::default()
        };
        apply(std::slice::from_mut(&mut o));
        assert_eq!(o.lines.len(), 4);
        assert!(o.lines.iter().all(|l| l.unit_price.is_some()));
    }

    #[test]
    fn a_single_item_equal_to_the_one_above_is_no_subtotal() {
        let mut o = Order {
            lines: vec![
                line(Some("A1"), Some(1.0), Some(10.0), Some(10.0)),
                line(Some("FREIGHT1"), None, None, Some(10.0)),
            ],
            ..Order::default()
        };
        apply(std::slice::from_mut(&mut o));
        assert_eq!(o.lines.len(), 2);
    }

    fn skus(o: &Order) -> Vec<Option<&str>> {
        o.lines
            .iter()
            .map(|l| l.sku.as_ref().map(|f| f.value.as_str()))
            .collect()
    }

    fn at(mut l: LineItem, row: u32) -> LineItem {
        let span = crate::domain::SourceSpan {
            part: 0,
            page: 1,
            bbox: [10.0, row as f32 * 12.0, 50.0, row as f32 * 12.0 + 8.0],
            text: String::new(),
        };
        for f in [&mut l.quantity, &mut l.unit_price, &mut l.amount]
            .into_iter()
            .flatten()
        {
            f.source = Some(span.clone());
        }
        l
    }

    #[test]
    fn an_incomplete_row_below_the_total_goes_but_one_above_it_stays() {
        use crate::layout::testing::tokens;
        let t = tokens(&[
            (
                1,
                &[
                    ("Widget", 10.0),
                    ("2", 100.0),
                    ("5.00", 150.0),
                    ("10.00", 200.0),
                ],
            ),
            (2, &[("Gadget", 10.0), ("3", 100.0)]),
            (3, &[("Total", 10.0), ("10.00", 200.0)]),
            (4, &[("VAT", 10.0), ("1.90", 200.0)]),
            (
                5,
                &[
                    ("1.", 10.0),
                    ("Seller", 30.0),
                    ("shall", 80.0),
                    ("deliver", 120.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        let mut o = Order {
            lines: vec![
                at(line(Some("W-1"), Some(2.0), Some(5.0), Some(10.0)), 1),
                at(line(Some("G-2"), Some(3.0), None, None), 2),
                at(line(None, None, None, Some(1.9)), 4),
                at(line(None, Some(1.0), Some(5.0), None), 5),
            ],
            ..Order::default()
        };
        drop_below_totals(&t, &layout, std::slice::from_mut(&mut o));
        assert_eq!(skus(&o), vec![Some("W-1"), Some("G-2")]);
    }

    #[test]
    fn a_whole_row_below_the_total_stays_and_a_total_above_the_last_whole_row_closes_nothing() {
        use crate::layout::testing::tokens;
        let t = tokens(&[
            (
                1,
                &[
                    ("Widget", 10.0),
                    ("2", 100.0),
                    ("5.00", 150.0),
                    ("10.00", 200.0),
                ],
            ),
            (2, &[("Total", 10.0), ("10.00", 200.0)]),
            (
                3,
                &[
                    ("Gadget", 10.0),
                    ("2", 100.0),
                    ("5.00", 150.0),
                    ("11.00", 200.0),
                ],
            ),
            (4, &[("Bolt", 10.0), ("4", 100.0)]),
        ]);
        let layout = Layout::build(&t);
        let mut o = Order {
            lines: vec![
                at(line(Some("W-1"), Some(2.0), Some(5.0), Some(10.0)), 1),
                at(line(Some("G-2"), Some(2.0), Some(5.0), Some(11.0)), 3),
                at(line(Some("B-3"), Some(4.0), None, None), 4),
            ],
            ..Order::default()
        };
        let unchecked = Order {
            lines: o.lines[1..].to_vec(),
            ..Order::default()
        };
        drop_below_totals(&t, &layout, std::slice::from_mut(&mut o));
        assert_eq!(skus(&o), vec![Some("W-1"), Some("G-2")]);
        // No item multiplies out, and the total stands above the last whole row (G-2): no
        // line closes the table below it.
        let mut u = unchecked.clone();
        drop_below_totals(&t, &layout, std::slice::from_mut(&mut u));
        assert_eq!(u, unchecked);
    }

    #[test]
    fn without_a_checked_item_the_last_whole_one_closes_the_table() {
        use crate::layout::testing::tokens;
        // 1 x 100.00 less a 6.52 % discount = 93.48: whole, but it does not multiply out.
        let t = tokens(&[
            (
                1,
                &[
                    ("Motor", 10.0),
                    ("1", 100.0),
                    ("100.00", 150.0),
                    ("93.48", 200.0),
                ],
            ),
            (2, &[("Total", 10.0), ("93.48", 200.0)]),
            (3, &[("CGST", 10.0), ("9%", 100.0), ("8.41", 200.0)]),
        ]);
        let layout = Layout::build(&t);
        let mut o = Order {
            lines: vec![
                at(line(Some("M-1"), Some(1.0), Some(100.0), Some(93.48)), 1),
                at(line(None, None, None, Some(8.41)), 3),
            ],
            ..Order::default()
        };
        drop_below_totals(&t, &layout, std::slice::from_mut(&mut o));
        assert_eq!(o.lines.len(), 1);
        assert_eq!(o.lines[0].amount.as_ref().map(|f| f.value), Some(93.48));
    }
}
