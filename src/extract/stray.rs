//! Lines that are not items: what a reader of an unfamiliar PO skips without thinking.
//!
//! The model and the table pass read rows; some rows of a real PO are no items: a numbered
//! clause of the terms ("8. Seller shall protect ..."), an address or tax-number line under
//! the table, a subtotal under a group of items. Each is told by what it lacks or by what
//! it adds up to, never by its wording.

use crate::domain::{LineItem, Order};

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

/// A row without a unit price whose amount is the sum of the two or more item amounts
/// above it (since the previous such row) is a group subtotal, not an item.
fn drop_subtotal_rows(lines: &mut Vec<LineItem>) {
    let mut keep = Vec::with_capacity(lines.len());
    let (mut sum, mut run) = (0.0f64, 0usize);
    for l in lines.drain(..) {
        if let (None, Some(a)) = (&l.unit_price, &l.amount) {
            let tol = 0.011f64.max(a.value.abs() * 0.0005);
            if run >= 2 && (a.value - sum).abs() <= tol {
                tracing::debug!(target: "po_intake::table", "subtotal row dropped: {}", a.value);
                (sum, run) = (0.0, 0);
                continue;
            }
        }
        if let Some(a) = &l.amount {
            sum += a.value;
            run += 1;
        }
        keep.push(l);
    }
    *lines = keep;
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
        let skus: Vec<_> = o
            .lines
            .iter()
            .map(|l| l.sku.as_ref().map(|f| f.value.as_str()))
            .collect();
        assert_eq!(skus, vec![Some("AB-100"), Some("CD-200")]);
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
}
