//! Codes the model missed, read from the column where it found the other items' codes.
//!
//! In a long table the model sometimes leaves a code unlabelled on a few rows (a customer part
//! number printed as a bare nine-digit number looks like any other number). The table itself
//! says what it is: the word stands in the column where the other items' codes stand, on the
//! item's own row, and it is written the same way (same run of digits, letters and marks).

use std::collections::HashSet;

use super::decode::{LabeledWord, Span};

/// Least number of items whose code marks the column before a missed code is read from it.
const MIN_VOTES: usize = 3;

/// How far (page units) a word's left or right edge may be from the column's.
const ALIGN: f32 = 2.5;

/// Digits become '9', letters 'A' (any case), other characters stay: "863930893" and
/// "251380654" have one shape, "P64673/A" another.
fn shape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                '9'
            } else if c.is_alphabetic() {
                'A'
            } else {
                c
            }
        })
        .collect()
}

/// Adds a one-word code span to each item that has none for `field`, when a free word on the
/// item's row stands aligned with at least [`MIN_VOTES`] other items' codes and has the shape
/// of one of them. Returns the words so added (their confidence is the column's, not the
/// model's).
pub(super) fn codes_by_column(
    words: &[LabeledWord<'_>],
    items: &mut [Vec<Span>],
    used: &HashSet<usize>,
    field: &str,
) -> HashSet<usize> {
    let mut added = HashSet::new();
    // The column: each item's code, as (x0, x1, shape) of a one-word code.
    let column: Vec<(f32, f32, String)> = items
        .iter()
        .filter_map(|item| item.iter().find(|s| s.field == field))
        .filter_map(|s| match s.words[..] {
            [i] => words.get(i),
            _ => None,
        })
        .map(|w| (w.bbox[0], w.bbox[2], shape(w.text)))
        .collect();
    if column.len() < MIN_VOTES {
        return added;
    }
    for item in items.iter_mut() {
        if item.iter().any(|s| s.field == field) {
            continue;
        }
        // The item's row: where its numbers and its other code stand.
        let rows: HashSet<(u32, u32)> = item
            .iter()
            .filter(|s| {
                matches!(
                    s.field.as_str(),
                    "quantity" | "unit_price" | "amount" | "sku" | "customer_part"
                )
            })
            .filter_map(|s| s.words.first().and_then(|&i| words.get(i)))
            .map(|w| (w.page, w.line))
            .collect();
        let candidate = (0..words.len()).find(|i| {
            if used.contains(i) || added.contains(i) {
                return false;
            }
            let Some(w) = words.get(*i) else { return false };
            if w.label != "O" || !rows.contains(&(w.page, w.line)) {
                return false;
            }
            let s = shape(w.text);
            let aligned = column
                .iter()
                .filter(|(x0, x1, _)| {
                    (w.bbox[0] - x0).abs() <= ALIGN || (w.bbox[2] - x1).abs() <= ALIGN
                })
                .count();
            aligned >= MIN_VOTES && column.iter().any(|(_, _, cs)| *cs == s)
        });
        if let Some(i) = candidate {
            added.insert(i);
            item.push(Span::plain(field, vec![i]));
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(text: &'a str, line: u32, x: f32, label: &'a str) -> LabeledWord<'a> {
        crate::extract::testing::word(text, line, x, 40.0, label)
    }

    fn span(field: &str, i: usize) -> Span {
        Span::plain(field, vec![i])
    }

    #[test]
    fn a_missed_code_is_read_from_its_column_when_it_has_the_columns_shape() {
        let words = vec![
            at("863930893", 1, 156.0, "B-customer_part"),
            at("5", 1, 300.0, "B-quantity"),
            at("251380654", 2, 156.0, "B-customer_part"),
            at("6", 2, 300.0, "B-quantity"),
            at("853367897", 3, 156.0, "B-customer_part"),
            at("7", 3, 300.0, "B-quantity"),
            // missed: same column, same shape
            at("300295069", 4, 156.5, "O"),
            at("8", 4, 300.0, "B-quantity"),
            // same column, another shape (a date in a note): not a code
            at("12/05/25", 5, 156.0, "O"),
            at("9", 5, 300.0, "B-quantity"),
            // same shape, another column (an HTS code's digits): not a code
            at("841123456", 6, 220.0, "O"),
            at("3", 6, 300.0, "B-quantity"),
        ];
        let mut items: Vec<Vec<Span>> = (0..6)
            .map(|k| {
                let mut item = vec![span("quantity", 2 * k + 1)];
                if k < 3 {
                    item.push(span("customer_part", 2 * k));
                }
                item
            })
            .collect();
        let added = codes_by_column(&words, &mut items, &HashSet::new(), "customer_part");
        assert_eq!(added, HashSet::from([6]));
        assert!(items[3].iter().any(|s| s.field == "customer_part"));
        assert!(!items[4].iter().any(|s| s.field == "customer_part"));
        assert!(!items[5].iter().any(|s| s.field == "customer_part"));
    }

    #[test]
    fn two_codes_do_not_make_a_column() {
        let words = vec![
            at("863930893", 1, 156.0, "B-customer_part"),
            at("251380654", 2, 156.0, "B-customer_part"),
            at("300295069", 3, 156.0, "O"),
            at("8", 3, 300.0, "B-quantity"),
        ];
        let mut items = vec![
            vec![span("customer_part", 0)],
            vec![span("customer_part", 1)],
            vec![span("quantity", 3)],
        ];
        let added = codes_by_column(&words, &mut items, &HashSet::new(), "customer_part");
        assert!(added.is_empty());
    }
}
