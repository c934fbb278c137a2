//! Which money column a table has, read from the sums printed under it.
//!
//! Many orders print one money column per line. The model tells a unit price from a line
//! amount by position and wording, and on a table with only a price column it may read every
//! price as an amount (or the other way round). The subtotal or total printed below the table
//! settles it: the amounts add up to it, the prices times the quantities do.

use super::decode::LabeledWord;
use super::normalize::{parse_number, Locale};
use crate::domain::{Field, LineItem};

/// A value whose field changed this way is as sure as the model's reading, discounted by this.
const SUMS_DISCOUNT: f32 = 0.9;

/// The numbers a document prints with a decimal or group mark (its sums among them).
struct Printed(Vec<f64>);

impl Printed {
    fn of(words: &[LabeledWord<'_>], locale: Locale) -> Printed {
        Printed(
            words
                .iter()
                .filter(|w| w.text.contains(['.', ',']))
                .filter_map(|w| parse_number(w.text, locale))
                .collect(),
        )
    }

    /// Is `x` printed (to the cent)?
    fn shows(&self, x: f64) -> bool {
        self.0
            .iter()
            .any(|p| (p - x).abs() <= 0.011 + 1e-6 * x.abs())
    }
}

/// When every line has a quantity and one money value (a unit price or an amount, a zero
/// read in the other field aside) and the document prints the sum of one reading (Σ quantity
/// × value for prices, Σ value for amounts) but not the other's, every value takes the field
/// of the printed reading. Two lines at least; sums agree to the cent.
pub(super) fn money_column_by_sums(
    words: &[LabeledWord<'_>],
    lines: &mut [LineItem],
    locale: Locale,
) {
    if lines.len() < 2 {
        return;
    }
    let nonzero = |f: &Option<Field<f64>>| f.as_ref().filter(|f| f.value != 0.0).map(|f| f.value);
    // (quantity, the one money value) per line
    let mut pairs = Vec::with_capacity(lines.len());
    for l in lines.iter() {
        let q = nonzero(&l.quantity);
        let v = match (nonzero(&l.unit_price), nonzero(&l.amount)) {
            (Some(p), None) => Some(p),
            (None, Some(a)) => Some(a),
            _ => None,
        };
        match (q, v) {
            (Some(q), Some(v)) => pairs.push((q, v)),
            _ => return,
        }
    }
    let as_amounts: f64 = pairs.iter().map(|(_, v)| v).sum();
    let as_prices: f64 = pairs.iter().map(|(q, v)| q * v).sum();
    if (as_amounts - as_prices).abs() <= 0.011 {
        return;
    }
    let printed = Printed::of(words, locale);
    let shown = |x: f64| printed.shows(x);
    let prices = match (shown(as_prices), shown(as_amounts)) {
        (true, false) => true,
        (false, true) => false,
        _ => return,
    };
    move_to_one_field(lines, prices);
}

/// "1.000" is a thousand or one with three decimals; the number's own text cannot say. When
/// the lines' sum (each line's amount, or quantity × price where none is printed) is no number
/// printed on the document, and reading exactly one such quantity of a line without an amount
/// the other way makes it one (the net or grand total), that reading stands: what a person
/// checks against the total.
pub(super) fn quantity_by_sums(words: &[LabeledWord<'_>], lines: &mut [LineItem], locale: Locale) {
    let value = |l: &LineItem| match (&l.amount, &l.quantity, &l.unit_price) {
        (Some(a), _, _) => Some(a.value),
        (None, Some(q), Some(p)) => Some(q.value * p.value),
        _ => None,
    };
    if lines.is_empty() {
        return;
    }
    let Some(sum) = lines.iter().map(value).sum::<Option<f64>>() else {
        return;
    };
    let printed = Printed::of(words, locale);
    let shown = |x: f64| printed.shows(x);
    if shown(sum) {
        return;
    }
    let other = |l: &LineItem| -> Option<f64> {
        if l.amount.is_some() {
            return None;
        }
        let (q, p) = (l.quantity.as_ref()?, l.unit_price.as_ref()?);
        let text = q.source.as_ref()?.text.as_str();
        let alt = super::rows::other_thousands_reading(text, q.value)?;
        shown(sum - q.value * p.value + alt * p.value).then_some(alt)
    };
    let found: Vec<(usize, f64)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| other(l).map(|alt| (i, alt)))
        .collect();
    if let [(i, alt)] = found[..] {
        if let Some(q) = lines.get_mut(i).and_then(|l| l.quantity.as_mut()) {
            q.value = alt;
        }
    }
}

/// Every line's one money value goes to the unit price (`prices`) or to the amount, a zero
/// read in the other field dropped; a moved value is a little less sure.
fn move_to_one_field(lines: &mut [LineItem], prices: bool) {
    for l in lines.iter_mut() {
        let (from, to) = if prices {
            (&mut l.amount, &mut l.unit_price)
        } else {
            (&mut l.unit_price, &mut l.amount)
        };
        if from.as_ref().is_some_and(|f| f.value == 0.0) {
            *from = None;
        }
        if let Some(mut f) = from.take() {
            f.confidence *= SUMS_DISCOUNT;
            *to = Some(f);
        }
    }
}

/// Least number of lines whose one money value stands in one column before the column's
/// majority reading decides for all.
const MIN_VOTES: usize = 3;

/// How far apart (page units) two values' right edges may be and still stand in one column.
const COLUMN_SLACK: f32 = 4.0;

/// When no sum settles it (see [`money_column_by_sums`]): every line has a quantity and one
/// money value, all printed in one column (right edges aligned, on any page), and the model
/// read most of them (by confidence) as one field. The column is one field, so the rest take
/// it: a table with only a price column where a few prices were read as amounts.
pub(super) fn money_column_by_vote(lines: &mut [LineItem]) {
    if lines.len() < MIN_VOTES {
        return;
    }
    // (is a price, confidence, right edge) per line
    let mut votes = Vec::with_capacity(lines.len());
    for l in lines.iter() {
        let nonzero = |f: &Option<Field<f64>>| f.as_ref().filter(|f| f.value != 0.0).cloned();
        if nonzero(&l.quantity).is_none() {
            return;
        }
        let (price, f) = match (nonzero(&l.unit_price), nonzero(&l.amount)) {
            (Some(f), None) => (true, f),
            (None, Some(f)) => (false, f),
            _ => return,
        };
        let Some(src) = f.source else { return };
        votes.push((price, f.confidence, src.bbox[2]));
    }
    let (Some(lo), Some(hi)) = (
        votes.iter().map(|v| v.2).reduce(f32::min),
        votes.iter().map(|v| v.2).reduce(f32::max),
    ) else {
        return;
    };
    if hi - lo > COLUMN_SLACK {
        return;
    }
    let weight = |price: bool| -> f32 { votes.iter().filter(|v| v.0 == price).map(|v| v.1).sum() };
    let (as_prices, as_amounts) = (weight(true), weight(false));
    if as_prices == as_amounts {
        return;
    }
    let prices = as_prices > as_amounts;
    move_to_one_field(lines, prices);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SourceSpan;

    fn word(text: &str) -> LabeledWord<'_> {
        LabeledWord {
            text,
            page: 1,
            line: 9,
            bbox: [0.0, 0.0, 10.0, 8.0],
            label: "O",
            prob: 0.9,
        }
    }

    fn line(q: f64, price: Option<f64>, amount: Option<f64>) -> LineItem {
        let f = |v: f64| Field::new(v, 0.8, None);
        LineItem {
            quantity: Some(f(q)),
            unit_price: price.map(f),
            amount: amount.map(f),
            ..Default::default()
        }
    }

    fn money(lines: &[LineItem]) -> Vec<(Option<f64>, Option<f64>)> {
        let v = |f: &Option<Field<f64>>| f.as_ref().map(|f| f.value);
        lines
            .iter()
            .map(|l| (v(&l.unit_price), v(&l.amount)))
            .collect()
    }

    #[test]
    fn prices_read_as_amounts_move_when_the_subtotal_is_their_products() {
        // 12 x 121.53 + 4 x 23.99 + 25 x 4.45 = 1,665.57; the prices alone add up to 149.97
        let mut lines = vec![
            line(12.0, None, Some(121.53)),
            line(4.0, Some(23.99), None),
            line(25.0, Some(4.45), Some(0.0)),
        ];
        let words = vec![word("Subtotal"), word("1,665.57"), word("1,790.67")];
        money_column_by_sums(&words, &mut lines, Locale::Us);
        assert_eq!(
            money(&lines),
            vec![
                (Some(121.53), None),
                (Some(23.99), None),
                (Some(4.45), None)
            ]
        );
        let moved = lines[0].unit_price.as_ref().map_or(0.0, |f| f.confidence);
        assert!(moved < 0.8, "a moved value is less sure: {moved}");
    }

    #[test]
    fn amounts_stay_when_their_own_sum_is_printed_or_neither_is() {
        let read = || vec![line(2.0, None, Some(10.0)), line(3.0, None, Some(6.0))];
        // their own sum (16.00) printed: they are amounts
        let mut lines = read();
        money_column_by_sums(&words_of(&["16.00", "38.00"]), &mut lines, Locale::Us);
        assert_eq!(money(&lines), vec![(None, Some(10.0)), (None, Some(6.0))]);
        // no sum printed at all: nothing to go by
        let mut lines = read();
        money_column_by_sums(&words_of(&["99.00"]), &mut lines, Locale::Us);
        assert_eq!(money(&lines), vec![(None, Some(10.0)), (None, Some(6.0))]);
        // only the products' sum (2 x 10 + 3 x 6 = 38.00): they were prices
        let mut lines = read();
        money_column_by_sums(&words_of(&["38.00"]), &mut lines, Locale::Us);
        assert_eq!(money(&lines), vec![(Some(10.0), None), (Some(6.0), None)]);
    }

    #[test]
    fn one_money_column_takes_the_field_most_of_it_was_read_as() {
        let at = |v: f64, conf: f32, right: f32| {
            let src = SourceSpan {
                part: 0,
                page: 1,
                bbox: [right - 20.0, 0.0, right, 8.0],
                text: v.to_string(),
            };
            Field::new(v, conf, Some(src))
        };
        let read = |last_right: f32| {
            let mut lines = vec![
                line(6.0, None, None),
                line(25.0, None, None),
                line(2.0, None, None),
            ];
            lines[0].amount = Some(at(177.30, 0.56, 553.0));
            lines[1].unit_price = Some(at(41.99, 0.88, 553.3));
            lines[2].unit_price = Some(at(12.50, 0.95, last_right));
            lines
        };
        let mut lines = read(552.0);
        money_column_by_vote(&mut lines);
        assert_eq!(
            money(&lines),
            vec![
                (Some(177.30), None),
                (Some(41.99), None),
                (Some(12.50), None)
            ]
        );
        // not one column: nothing to go by
        let mut lines = read(480.0);
        money_column_by_vote(&mut lines);
        assert_eq!(money(&lines)[0], (None, Some(177.30)));
    }

    fn words_of<'a>(texts: &[&'a str]) -> Vec<LabeledWord<'a>> {
        texts.iter().map(|t| word(t)).collect()
    }

    #[test]
    fn a_quantity_of_one_with_three_decimals_is_a_thousand_when_the_total_says_so() {
        let printed = |text: &str| {
            let mut l = line(1.0, Some(7.05), None);
            if let Some(q) = l.quantity.as_mut() {
                q.source = Some(SourceSpan {
                    part: 0,
                    page: 1,
                    bbox: [0.0, 0.0, 10.0, 8.0],
                    text: text.to_string(),
                });
            }
            vec![line(5.0, Some(13.52), None), l]
        };
        // 5 x 13,52 + 1000 x 7,05 = 7.117,60
        let words = vec![word("Summe"), word("7.117,60")];
        let mut lines = printed("1.000");
        quantity_by_sums(&words, &mut lines, Locale::De);
        assert_eq!(lines[1].quantity.as_ref().map(|f| f.value), Some(1000.0));
        // The sum as read is printed: the reading stands.
        let mut lines = printed("1.000");
        quantity_by_sums(&[word("74,65")], &mut lines, Locale::De);
        assert_eq!(lines[1].quantity.as_ref().map(|f| f.value), Some(1.0));
        // A number with no other reading stays.
        let mut lines = printed("1,0");
        quantity_by_sums(&words, &mut lines, Locale::De);
        assert_eq!(lines[1].quantity.as_ref().map(|f| f.value), Some(1.0));
    }
}
