//! Is this order one we already have? A re-sent PO is rarely byte-identical: the number comes
//! back as "PO# 900 001" instead of "900001", or the extractor reads only part of it. So the
//! check compares *normalised* PO numbers ([`po_key`]) and, independently of the number, the
//! content of the order ([`content_key`]: the same lines and the same total from the same
//! customer within a window). Both also apply when the customer is unknown (compared with
//! other unknown-customer orders), so an unknown customer's re-send is flagged too.
//!
//! The lookup itself is done by the caller (the store), behind [`DuplicateLookup`]; a lookup
//! that fails is not "no duplicate": the rules' duplicate check (`rules/checks.rs`) raises
//! `duplicate_po` with the error, so an order whose duplicate check could not run is never
//! accepted.
//!
//! A leaf module: the store (which stores the keys and answers a [`DuplicateProbe`]) and the
//! rules (which ask) both depend on it.

use std::sync::LazyLock;

use regex::Regex;

use crate::domain::Order;

/// What the duplicate check asks the store.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateProbe<'a> {
    /// The resolved customer, or `None` for an unknown customer (compared with other orders
    /// whose customer is unknown).
    pub customer_id: Option<&'a str>,
    /// [`po_key`] of the order's PO number, when it has one.
    pub po_key: Option<String>,
    /// [`content_key`] of the order, when it has lines to compare.
    pub content_key: Option<String>,
    /// How far back a same-content order counts, in days.
    pub window_days: u32,
}

/// An earlier order the new one repeats.
#[derive(Debug, Clone, PartialEq)]
pub enum DuplicateHit {
    /// An order with the same normalised PO number (as it was stored).
    SamePo { po_number: String },
    /// An order with the same lines and total inside the window (its PO number, if any).
    SameContent { po_number: Option<String> },
}

/// The store lookup behind the duplicate check. `Err` carries why the lookup could not run.
pub type DuplicateLookup<'a> =
    dyn Fn(&DuplicateProbe<'_>) -> Result<Option<DuplicateHit>, String> + 'a;

/// A PO number reduced to what identifies it: upper case, a leading "PO" / "P.O." / "PO#" /
/// "PO No." label dropped, every character that is not a letter or digit removed.
/// "PO# 900 001", "po-900001" and "900001" all give "900001".
pub fn po_key(raw: &str) -> String {
    static PO: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"(?i)^[^\p{L}\p{N}]*P\s*\.?\s*O\.?").ok());
    static NO: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"(?i)^[^\p{L}\p{N}]*(?:NUMBER|NBR|NO)\.?").ok());
    let mut rest = raw;
    for label in [&PO, &NO] {
        let Some(m) = label.as_ref().and_then(|re| re.find(rest)) else {
            continue;
        };
        let after = rest.get(m.end()..).unwrap_or("");
        // A label ends at a non-letter ("POL-17" keeps its P) and leaves a number behind.
        let ends = !after.starts_with(char::is_alphabetic) || m.as_str().ends_with('.');
        if ends && after.chars().any(char::is_alphanumeric) {
            rest = after;
        }
    }
    rest.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The order's content, independent of its PO number: every line's item (SKU, else customer
/// part, else description, normalised) with its quantity, sorted, and the total (printed,
/// else the sum of the line amounts). `None` when no line has both an item and a quantity.
pub fn content_key(order: &Order) -> Option<String> {
    let mut lines: Vec<String> = order
        .lines
        .iter()
        .filter_map(|l| {
            let item = l
                .sku
                .as_ref()
                .or(l.customer_part.as_ref())
                .or(l.description.as_ref())?;
            let item: String = item
                .value
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_uppercase)
                .collect();
            let qty = l.quantity.as_ref()?.value;
            (!item.is_empty() && qty.is_finite()).then(|| format!("{item}x{qty:.3}"))
        })
        .collect();
    if lines.is_empty() {
        return None;
    }
    lines.sort();
    let total = order.total.as_ref().map(|t| t.value).or_else(|| {
        order
            .lines
            .iter()
            .map(|l| l.amount.as_ref().map(|a| a.value))
            .sum::<Option<f64>>()
    });
    let total = total
        .filter(|t| t.is_finite())
        .map_or("-".to_string(), |t| format!("{t:.2}"));
    Some(format!("{}|{total}", lines.join(";")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Field, LineItem};

    #[test]
    fn po_keys_ignore_case_spaces_punctuation_and_the_label() {
        for raw in [
            "900001",
            "PO# 900 001",
            "po-900001",
            "P.O. 900001",
            "PO No. 900-001",
            " 900.001 ",
            "P O 900001",
        ] {
            assert_eq!(po_key(raw), "900001", "{raw}");
        }
        assert_eq!(po_key("POL-17"), "POL17");
        assert_eq!(po_key("PO-A17"), "A17");
        assert_eq!(po_key("ab-12"), "AB12");
        assert_ne!(po_key("900001"), po_key("900"));
    }

    fn line(sku: &str, qty: f64, amount: f64) -> LineItem {
        LineItem {
            sku: Some(Field::certain(sku.to_string())),
            quantity: Some(Field::certain(qty)),
            amount: Some(Field::certain(amount)),
            ..LineItem::default()
        }
    }

    #[test]
    fn content_keys_compare_lines_in_any_order_and_the_total() {
        let a = Order {
            lines: vec![line("AB-100", 10.0, 95.0), line("cd 200", 2.0, 1.0)],
            ..Order::default()
        };
        let mut b = a.clone();
        b.lines.reverse();
        b.po_number = Some(Field::certain("other".to_string()));
        assert_eq!(content_key(&a), content_key(&b));
        assert!(content_key(&a).is_some());
        let mut c = a.clone();
        c.lines[0].quantity = Some(Field::certain(11.0));
        assert_ne!(content_key(&a), content_key(&c));
        let mut d = a.clone();
        d.total = Some(Field::certain(100.0));
        assert_ne!(content_key(&a), content_key(&d));
        assert_eq!(content_key(&Order::default()), None);
    }
}
