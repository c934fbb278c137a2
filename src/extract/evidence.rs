//! What the document itself says about the values read from it: the last pass, so that a
//! confidence means "how likely this value is right", not "how sure one reader was".
//!
//! A reader's score says how well a word fits its column or label; it cannot see that a
//! quantity of 1 with a price of 0.795 and an amount of 795 cannot all be right, or that a
//! line the model is 99 % sure of is the totals row. The figures of an order check each
//! other, so they are the evidence used here, and nothing about any issuer:
//! - a line whose quantity × price is its amount (per 1, 100 or 1000, after its discount,
//!   with or without a common tax rate) has all three confirmed; a line where they
//!   disagree has at least one wrong;
//! - lines (and charges) that add up to the printed subtotal or total (with or without a
//!   common tax rate) confirm that total, and the quantities and prices of lines printed
//!   without an amount;
//! - a figure nothing confirms stays at most what a plain table cell earns ([`UNCHECKED`]),
//!   whatever the model said, so that only checked figures reach [`CHECKED`];
//! - in an order that prints prices, a quantity on a line without the price or the amount
//!   the other lines print is doubtful: a figure was missed, or the row is no item;
//! - an order printed without any price keeps its readers' confidences: nothing checks them;
//! - an item code unlike the other codes of its order (no digit where they have digits,
//!   trailing punctuation) is doubtful;
//! - an order date printed all in numbers whose day and month could swap ("3/1/23") is
//!   doubtful when nothing in the document says which is the day ([`doubt_swappable_dates`]).
//!
//! On real-dev (`scripts/confidence-real`), a figure at or above [`CHECKED`] is right 99 %
//! of the time or more; MODEL.md has the table the thresholds were chosen from.

use crate::domain::{Field, LineItem, Order, COMMON_TAX_RATES_PCT};
use crate::extract::normalize;

/// A figure confirmed by the arithmetic of its line or of its order.
pub const CHECKED: f32 = 0.97;
/// The most a figure earns that nothing confirms (a table cell read under its header).
pub const UNCHECKED: f32 = 0.9;
/// The most a figure earns that the arithmetic contradicts, or a code unlike its peers:
/// below the default `low_confidence` threshold (0.8), so a person looks.
pub const DOUBTFUL: f32 = 0.6;

/// An order date such as "3/1/23" is 3 January or 1 March; when the document's own dates do
/// not settle the order and its country and number habits disagree (`order_known` false,
/// [`normalize::date_order_known`]), the reading is a guess: a person looks, and the
/// approval teaches the customer's layout which it is.
pub fn doubt_swappable_dates(orders: &mut [Order], order_known: bool) {
    if order_known {
        return;
    }
    for f in orders.iter_mut().filter_map(|o| o.order_date.as_mut()) {
        if f.source
            .as_ref()
            .is_some_and(|s| normalize::swappable_date(&s.text))
        {
            f.confidence = f.confidence.min(DOUBTFUL);
        }
    }
}

/// Set the confidence of every figure and code of `orders` from the evidence above.
pub fn apply(orders: &mut [Order]) {
    for order in orders {
        let confirmed = order_adds_up(order);
        // An order printed without prices has nothing to check its quantities against;
        // the reader's confidence is all there is.
        let priced = order
            .lines
            .iter()
            .any(|l| l.unit_price.is_some() || l.amount.is_some());
        let n = order.lines.len();
        let usual =
            |has: fn(&LineItem) -> bool| order.lines.iter().filter(|l| has(l)).count() * 2 > n;
        let peers = Peers {
            price: usual(|l| l.unit_price.is_some()),
            amount: usual(|l| l.amount.is_some()),
        };
        for l in order.lines.iter_mut().filter(|_| priced) {
            figures(l, confirmed, peers);
        }
        if let Some(t) = order.total.as_mut() {
            t.confidence = if confirmed {
                t.confidence.max(CHECKED)
            } else {
                t.confidence.min(UNCHECKED)
            };
        }
        codes(&mut order.lines);
    }
}

fn tolerance(v: f64) -> f64 {
    0.011f64.max(v.abs() * 0.002)
}

/// 1 (no tax), then 1 + each common rate.
fn with_tax() -> impl Iterator<Item = f64> {
    std::iter::once(1.0).chain(COMMON_TAX_RATES_PCT.iter().map(|r| 1.0 + r / 100.0))
}

/// What a line adds to the order: its amount, else quantity × price.
fn line_value(l: &LineItem) -> Option<f64> {
    if let Some(a) = &l.amount {
        return Some(a.value);
    }
    let (q, p) = (l.quantity.as_ref()?, l.unit_price.as_ref()?);
    Some(q.value * p.value / l.price_per() * l.net_factor())
}

/// True when every line has a value and they (with the charges) sum to the printed
/// subtotal or total. A single line whose amount is the total proves little (the totals
/// row read as an item does the same), so it takes a quantity and a price beside it.
fn order_adds_up(order: &Order) -> bool {
    if order.lines.is_empty() {
        return false;
    }
    let Some(sum) = order
        .lines
        .iter()
        .map(line_value)
        .try_fold(0.0, |s, v| v.filter(|v| v.is_finite()).map(|v| s + v))
    else {
        return false;
    };
    if let [only] = order.lines.as_slice() {
        if only.quantity.is_none() || only.unit_price.is_none() {
            return false;
        }
    }
    let charges: f64 = order
        .charges
        .iter()
        .filter(|c| c.amount.value.is_finite())
        .map(|c| c.signed())
        .sum();
    // Each line may be rounded by half a cent; a relative tolerance would let a stray
    // small line through under a large total.
    let tol = 0.011 + 0.006 * order.lines.len() as f64;
    let fits = |printed: Option<&Field<f64>>, v: f64| {
        printed.is_some_and(|p| p.value != 0.0 && (p.value - v).abs() <= tol)
    };
    fits(order.subtotal.as_ref(), sum)
        || with_tax().any(|t| {
            fits(order.total.as_ref(), sum * t) || fits(order.total.as_ref(), (sum + charges) * t)
        })
}

/// What quantity × price = amount says about a line.
#[derive(Clone, Copy, PartialEq)]
enum Product {
    /// It holds, and not only because a quantity of 1 sits beside two equal numbers.
    Holds,
    /// A quantity of 1 and a price equal to the amount: the same number printed twice
    /// (or read twice) looks just like this, so only the order's sum can confirm it.
    Trivial,
    Fails,
}

/// Quantity × price = amount, allowing the price per 100 or 1000, the line's discount, an
/// amount that includes tax, and a price printed rounded to the cent.
fn product(q: &Field<f64>, p: &Field<f64>, a: &Field<f64>, net: f64) -> Product {
    let e = q.value * p.value * net;
    let tol = tolerance(a.value).max(q.value.abs() * 0.005);
    let holds = [1.0, 100.0, 1000.0]
        .iter()
        .any(|d| with_tax().any(|t| (e / d * t - a.value).abs() <= tol));
    let same = (p.value - a.value).abs() <= tolerance(a.value);
    match holds {
        false => Product::Fails,
        true if q.value == 1.0 && same => Product::Trivial,
        true if p.source.is_some() && p.source == a.source => Product::Trivial,
        true => Product::Holds,
    }
}

/// Which figures most lines of the order print.
#[derive(Clone, Copy)]
struct Peers {
    price: bool,
    amount: bool,
}

fn figures(l: &mut LineItem, order_confirmed: bool, peers: Peers) {
    let missing = l.unit_price.is_none() && l.amount.is_none()
        || l.unit_price.is_none() && peers.price
        || l.amount.is_none() && peers.amount && !order_confirmed;
    if missing {
        if let Some(q) = l.quantity.as_mut() {
            q.confidence = q.confidence.min(DOUBTFUL);
        }
    }
    if l.unit_price.is_none() && l.amount.is_none() {
        return;
    }
    let net = l.net_factor();
    let line = match (&l.quantity, &l.unit_price, &l.amount) {
        (Some(q), Some(p), Some(a)) => Some(product(q, p, a, net)),
        _ => None,
    };
    // The order's sum vouches for the figures it was made of: the amount, or quantity and
    // price when there is no amount.
    let by_sum = |has_amount: bool, is_amount: bool| order_confirmed && (is_amount || !has_amount);
    let has_amount = l.amount.is_some();
    for (f, is_amount) in [
        (&mut l.quantity, false),
        (&mut l.unit_price, false),
        (&mut l.amount, true),
    ] {
        let Some(f) = f.as_mut() else { continue };
        if missing && !is_amount && f.confidence <= DOUBTFUL {
            continue;
        }
        f.confidence = match line {
            Some(Product::Holds) => f.confidence.max(CHECKED),
            Some(Product::Fails) => f.confidence.min(DOUBTFUL),
            Some(Product::Trivial) if order_confirmed => f.confidence.max(CHECKED),
            None if by_sum(has_amount, is_amount) => f.confidence.max(CHECKED),
            _ => f.confidence.min(UNCHECKED),
        };
    }
}

fn has_digit(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
}

/// A code that ends in punctuation was cut from running text; one without a digit among
/// codes that have digits is a word read from the code column.
fn codes(lines: &mut [LineItem]) {
    let with_digit = lines
        .iter()
        .filter_map(|l| l.sku.as_ref())
        .filter(|f| has_digit(&f.value))
        .count();
    let all = lines.iter().filter(|l| l.sku.is_some()).count();
    let digits_usual = with_digit * 2 > all;
    for f in lines.iter_mut().filter_map(|l| l.sku.as_mut()) {
        let v = f.value.trim();
        let cut = v.ends_with([',', ';', ':', '.']);
        if cut || digits_usual && !has_digit(v) {
            f.confidence = f.confidence.min(DOUBTFUL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SourceSpan;

    fn num(v: f64, conf: f32, x: f32) -> Option<Field<f64>> {
        let src = SourceSpan {
            part: 0,
            page: 1,
            bbox: [x, 0.0, x + 10.0, 5.0],
            text: v.to_string(),
        };
        Some(Field::new(v, conf, Some(src)))
    }

    fn line(q: f64, p: f64, a: Option<f64>) -> LineItem {
        LineItem {
            line_no: 1,
            sku: Some(Field::new("AB-100".into(), 0.9, None)),
            quantity: num(q, 0.99, 10.0),
            unit_price: num(p, 0.99, 20.0),
            amount: a.and_then(|a| num(a, 0.99, 30.0)),
            ..Default::default()
        }
    }

    fn order(lines: Vec<LineItem>, total: Option<f64>) -> Order {
        Order {
            lines,
            total: total.map(|t| Field::new(t, 0.85, None)),
            ..Default::default()
        }
    }

    fn conf(f: &Option<Field<f64>>) -> f32 {
        f.as_ref().map_or(0.0, |f| f.confidence)
    }

    #[test]
    fn a_line_that_multiplies_out_is_checked_and_one_that_does_not_is_doubtful() {
        let mut o = [order(
            vec![
                line(3.0, 2.5, Some(7.5)),
                line(200.0, 3.5, Some(7.0)),
                line(1.0, 0.795, Some(795.0)),
            ],
            None,
        )];
        apply(&mut o);
        let l = &o[0].lines;
        assert_eq!(conf(&l[0].quantity), CHECKED.max(0.99));
        // Price per 100.
        assert!(conf(&l[1].amount) >= CHECKED);
        // "1.000" read as one, not a thousand: the line does not add up.
        assert_eq!(conf(&l[2].quantity), DOUBTFUL);
        assert_eq!(conf(&l[2].amount), DOUBTFUL);
    }

    #[test]
    fn figures_nothing_confirms_stay_below_checked() {
        let mut o = [order(
            vec![line(6.0, 3.0, None), line(2.0, 1.0, None)],
            Some(99.0),
        )];
        apply(&mut o);
        assert_eq!(conf(&o[0].lines[0].quantity), UNCHECKED);
        assert_eq!(conf(&o[0].total), 0.85);
    }

    #[test]
    fn a_small_line_beside_a_large_total_is_not_lost_in_its_rounding() {
        let mut o = [order(
            vec![line(3.0, 267333.0, Some(801999.0)), line(1.0, 65.3, None)],
            Some(801999.0),
        )];
        apply(&mut o);
        assert_eq!(conf(&o[0].total), 0.85);
        assert_eq!(conf(&o[0].lines[1].unit_price), UNCHECKED);
    }

    #[test]
    fn lines_that_add_up_to_the_total_confirm_it_and_their_figures() {
        let mut o = [order(
            vec![line(6.0, 3.0, None), line(2.0, 1.0, None)],
            Some(20.0),
        )];
        apply(&mut o);
        assert!(conf(&o[0].lines[0].quantity) >= CHECKED);
        assert!(conf(&o[0].lines[1].unit_price) >= CHECKED);
        assert!(conf(&o[0].total) >= CHECKED);
    }

    #[test]
    fn a_totals_row_read_as_an_item_confirms_nothing() {
        // Price and amount are the same printed number.
        let mut l = line(1.0, 468.48, Some(468.48));
        l.amount = l.unit_price.clone();
        l.quantity = None;
        let mut o = [order(vec![l], Some(468.48))];
        apply(&mut o);
        assert_eq!(conf(&o[0].lines[0].amount), UNCHECKED);
        assert_eq!(conf(&o[0].total), 0.85);
        // One of a quantity of 1 beside two equal numbers, in an order that does not add up.
        let mut o = [order(
            vec![line(1.0, 9.0, Some(9.0)), line(2.0, 3.0, Some(6.0))],
            Some(50.0),
        )];
        apply(&mut o);
        assert_eq!(conf(&o[0].lines[0].unit_price), UNCHECKED);
        assert!(conf(&o[0].lines[1].unit_price) >= CHECKED);
        // The same when the lines add up to the total.
        let mut o = [order(
            vec![line(1.0, 9.0, Some(9.0)), line(2.0, 3.0, Some(6.0))],
            Some(15.0),
        )];
        apply(&mut o);
        assert!(conf(&o[0].lines[0].unit_price) >= CHECKED);
    }

    #[test]
    fn an_unpriced_order_keeps_its_confidences_and_an_unpriced_line_of_a_priced_one_is_doubtful() {
        let bare = |q: f64| LineItem {
            quantity: num(q, 0.9, 10.0),
            ..Default::default()
        };
        let mut o = [order(vec![bare(3.0), bare(5.0)], None)];
        apply(&mut o);
        assert_eq!(conf(&o[0].lines[0].quantity), 0.9);
        let mut o = [order(vec![line(2.0, 3.0, Some(6.0)), bare(5.0)], None)];
        apply(&mut o);
        assert!(conf(&o[0].lines[0].quantity) >= CHECKED);
        assert_eq!(conf(&o[0].lines[1].quantity), DOUBTFUL);
    }

    #[test]
    fn a_code_unlike_its_peers_is_doubtful() {
        let mut lines = vec![line(1.0, 1.0, Some(1.0)); 4];
        lines[1].sku = Some(Field::new("will".into(), 0.9, None));
        lines[2].sku = Some(Field::new("1035SA.".into(), 0.9, None));
        let mut o = [order(lines, None)];
        apply(&mut o);
        let sku = |i: usize| o[0].lines[i].sku.as_ref().map_or(0.0, |f| f.confidence);
        assert_eq!(sku(0), 0.9);
        assert_eq!(sku(1), DOUBTFUL);
        assert_eq!(sku(2), DOUBTFUL);
    }

    #[test]
    fn a_swappable_order_date_is_doubtful_only_when_its_order_is_unknown() {
        let date = |text: &str| {
            let src = SourceSpan {
                part: 0,
                page: 1,
                bbox: [0.0, 0.0, 10.0, 5.0],
                text: text.into(),
            };
            let d = chrono::NaiveDate::from_ymd_opt(2023, 1, 3);
            d.map(|d| Field::new(d, 0.9, Some(src)))
        };
        let conf = |text: &str, known: bool| {
            let mut o = [Order {
                order_date: date(text),
                ..Order::default()
            }];
            doubt_swappable_dates(&mut o, known);
            o[0].order_date.as_ref().map_or(0.0, |f| f.confidence)
        };
        assert_eq!(conf("3/1/23", false), DOUBTFUL);
        assert_eq!(conf("3/1/23", true), 0.9);
        assert_eq!(conf("3 Jan 2023", false), 0.9);
        assert_eq!(conf("2023-01-03", false), 0.9);
    }
}
