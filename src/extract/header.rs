//! The header pass: PO number, order date and total read from their printed labels, the way a
//! person finds them on an unfamiliar form ("PO Number: 4500123", "Fecha 21/01/2021",
//! "Grand Total 1,234.00"), through [`crate::layout::labels`].
//!
//! Labels are ranked: a customer's PO reference before a plain order number before a
//! document's own number (an invoice or a quote carries the buyer's PO when it prints one).

use crate::domain::{Field, Order};
use crate::layout::labels::{pairs, Pair};
use crate::layout::{Layout, Token};

use super::normalize::{parse_date, parse_number, Locale};
use super::table::span;

/// Confidence of a value read beside its label.
const LABEL_CONF: f32 = 0.85;

/// PO-number labels, best first (the index is the rank).
const PO_LABELS: &[&str] = &[
    // The buyer's own reference, on a PO or on the supplier's documents.
    "customer po",
    "customer po no",
    "customer po number",
    "cust po",
    "cust po no",
    "customer order",
    "customer order no",
    "your order",
    "your order no",
    "your po",
    "your ref",
    "your reference",
    "buyer po",
    "client po",
    "po reference",
    "po ref",
    "ihre bestellung",
    "votre commande",
    "su pedido",
    "uw bestelling",
    "customer ref",
    "customer reference",
    "votre ref",
    "votre reference",
    "vos ref",
    "votre commande n",
    "votre cde",
    "votre cde n",
    "ihre referenz",
    "ihr zeichen",
    "ihre bestellnummer",
    "ihre bestell nr",
    "su referencia",
    "uw referentie",
    "uw ref",
    "uw bestelnummer",
    "vostro ordine",
    "vs ordine",
    "vostro riferimento",
    "rif ordine",
    // The PO itself.
    "purchase order no",
    "purchase order num",
    "po num",
    "purchase order number",
    "purchase order #",
    "po no",
    "po number",
    "po #",
    "p o no",
    "p o number",
    "p o #",
    "po",
    "p o",
    "po nr",
    "purchase order",
    "purchasing document",
    "pedido de compra no",
    "pedido de compra",
    "no pedido",
    "numero de pedido",
    "n de pedido",
    "orden de compra",
    "bestellnummer",
    "bestell nr",
    "bestellung nr",
    "bestellung",
    "n de commande",
    "numero de commande",
    "bon de commande",
    "commande",
    "bestelnummer",
    "inkooporder",
    "numero ordine",
    "ordine",
    "order no",
    "order number",
    "order #",
    "order nr",
    "order",
    "ord no",
    // A document's own number, when nothing names the PO.
    "sales order",
    "sales order no",
    "so no",
    "so number",
    "order confirmation",
    "confirmation no",
    "auftrags nr",
    "auftragsnummer",
    "auftragsbestatigung nr",
    "invoice no",
    "invoice number",
    "invoicenumber",
    "rechnungsnummer",
    "rechnung nr",
    "rechnungs nr",
    "facture n",
    "numero de facture",
    "factuurnummer",
    "factuur nr",
    "factura n",
    "numero de factura",
    "numero fattura",
    "fattura n",
    "invoice #",
    "invoice",
    "quote no",
    "quotation no",
    "quote",
    "quotation",
    "angebot",
    "angebot nr",
    "auftrag",
    "auftrag nr",
    "document no",
    "doc no",
    "number",
    "no",
];

const DATE_LABELS: &[&str] = &[
    "po date",
    "order date",
    "date of order",
    "purchase order date",
    "document date",
    "date of issue",
    "issue date",
    "dated",
    "date",
    "fecha",
    "fecha pedido",
    "datum",
    "bestelldatum",
    "auftragsdatum",
    "date de commande",
    "data",
    "data ordine",
    "orderdatum",
    "besteldatum",
    "issued date",
    "issued on",
    "date issued",
    "order placed",
    "rechnungsdatum",
    "belegdatum",
    "date facture",
    "fecha factura",
    "fecha de emision",
    "factuurdatum",
    "data fattura",
    "data documento",
    "voucher date",
    "invoice date",
    "quote date",
    "quotation date",
    "creation date",
    "created",
];

const TOTAL_LABELS: &[&str] = &[
    "grand total",
    "total amount",
    "po total",
    "order total",
    "total order",
    "total value",
    "total po value",
    "net payable",
    "amount payable",
    "amount due",
    "total due",
    "invoice total",
    "total incl",
    "total including",
    "total",
    "gesamtbetrag",
    "endbetrag",
    "gesamtsumme",
    "summe",
    "total ttc",
    "montant total",
    "importe total",
    "total pedido",
    "totaal",
    "totale",
    "total eur",
    "total usd",
    "total inr",
    "total gbp",
    "grand total inr",
];

/// Labels that say "total" but are not the order's total.
fn not_order_total(text: &str) -> bool {
    let t = text.to_lowercase();
    [
        "qty", "quantity", "weight", "tax", "vat", "gst", "discount", "items", "pieces", "units",
        "sub",
    ]
    .iter()
    .any(|k| t.contains(k))
}

/// "No.4300004732", "Nr. 12", "#4711": the number without the mark that says "number".
fn strip_number_mark(value: &str) -> String {
    let lower = value.to_lowercase();
    for mark in ["no.", "nr.", "no:", "nr:", "n°", "nº", "#"] {
        if lower.starts_with(mark) && value.is_char_boundary(mark.len()) {
            let rest = value[mark.len()..].trim_start_matches([' ', '.', ':']);
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                return rest.to_string();
            }
        }
    }
    value.to_string()
}

/// Could this be a PO number: a digit, three characters or more, not a date, not a phone
/// number, not a sentence word.
fn po_like(text: &str) -> bool {
    let t = text.trim_matches(|c: char| matches!(c, ':' | ',' | ';' | '(' | ')'));
    let digits = t.chars().filter(char::is_ascii_digit).count();
    digits >= 3
        && t.chars().count() <= 30
        && !t.starts_with('+')
        && parse_date(t, Locale::Us).is_none()
        && parse_date(t, Locale::Uk).is_none()
        && t.chars()
            .all(|c| c.is_alphanumeric() || "-/._#".contains(c))
}

/// The PO number: the best-ranked label with a PO-shaped value.
fn po_number(tokens: &[Token<'_>], all: &[Pair], part: u32) -> Option<Field<String>> {
    let mut best: Option<(usize, Field<String>)> = None;
    for p in all {
        let cand: Option<(String, Vec<usize>)> = if let Some(g) = &p.glued {
            Some((g.clone(), p.label.clone()))
        } else {
            p.right
                .first()
                .or(p.below.first())
                .map(|&i| (tokens[i].text.to_string(), vec![i]))
        };
        let Some((text, words)) = cand else { continue };
        let text = text
            .trim_start_matches(['#', ':'])
            .trim_end_matches([',', ';', ':'])
            .to_string();
        if !po_like(&text) {
            continue;
        }
        if best.as_ref().is_none_or(|(r, _)| p.phrase < *r) {
            let src = span(tokens, &words, part, &text);
            best = Some((p.phrase, Field::new(text, LABEL_CONF, src)));
        }
    }
    best.map(|(_, f)| f)
}

/// The order date: the best-ranked date label whose value parses as a date.
fn order_date(
    tokens: &[Token<'_>],
    all: &[Pair],
    part: u32,
    locale: Locale,
) -> Option<Field<chrono::NaiveDate>> {
    let mut best: Option<(usize, Field<chrono::NaiveDate>)> = None;
    for p in all {
        // "DATE:16.03.2026": the value glued to its label.
        if let Some(d) = p.glued.as_deref().and_then(|g| parse_date(g, locale)) {
            if best.as_ref().is_none_or(|(r, _)| p.phrase < *r) {
                let src = span(
                    tokens,
                    &p.label,
                    part,
                    p.glued.as_deref().unwrap_or_default(),
                );
                best = Some((p.phrase, Field::new(d, LABEL_CONF, src)));
            }
            continue;
        }
        for words in [&p.right, &p.below] {
            // A date is one to three words ("21/01/2021", "27 Jan 2021", "Jan 27, 2021").
            let found = (1..=3.min(words.len())).rev().find_map(|n| {
                let text = words[..n]
                    .iter()
                    .map(|&i| tokens[i].text)
                    .collect::<Vec<_>>()
                    .join(" ");
                parse_date(&text, locale).map(|d| (d, text, words[..n].to_vec()))
            });
            if let Some((d, text, w)) = found {
                if best.as_ref().is_none_or(|(r, _)| p.phrase < *r) {
                    best = Some((
                        p.phrase,
                        Field::new(d, LABEL_CONF, span(tokens, &w, part, &text)),
                    ));
                }
                break;
            }
        }
    }
    best.map(|(_, f)| f)
}

/// The total: of the values after total labels, the largest (a grand total includes tax and
/// charges that a net total leaves out).
fn total(tokens: &[Token<'_>], all: &[Pair], part: u32, locale: Locale) -> Option<Field<f64>> {
    let mut best: Option<Field<f64>> = None;
    for p in all {
        let label: String = p
            .label
            .iter()
            .map(|&i| tokens[i].text)
            .collect::<Vec<_>>()
            .join(" ");
        if not_order_total(&label) {
            continue;
        }
        // The last number on the line after the label (currency marks may stand between).
        let Some((v, i)) = p
            .right
            .iter()
            .rev()
            .filter_map(|&i| {
                let t = tokens[i].text;
                (t.chars().any(|c| c.is_ascii_digit()) && !t.contains('%'))
                    .then(|| parse_number(t, locale).map(|v| (v, i)))
                    .flatten()
            })
            .next()
        else {
            continue;
        };
        if best.as_ref().is_none_or(|b| v > b.value) {
            best = Some(Field::new(
                v,
                LABEL_CONF,
                span(tokens, &[i], part, tokens[i].text),
            ));
        }
    }
    best
}

/// Fill the order's header from labels. The model's value stands when a label vouches for it
/// (it is among the labelled values) or when no label gives one; a model value that no label
/// vouches for gives way to the best labelled one.
pub fn apply(tokens: &[Token<'_>], layout: &Layout, order: &mut Order, part: u32, locale: Locale) {
    let find = |phrases: &[&str]| pairs(tokens, &layout.lines, layout.stats, phrases);
    let po_pairs = find(PO_LABELS);
    let date_pairs = find(DATE_LABELS);
    let total_pairs = find(TOTAL_LABELS);
    let po = po_number(tokens, &po_pairs, part);
    let date = order_date(tokens, &date_pairs, part, locale);
    let tot = total(tokens, &total_pairs, part, locale);
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    // A model value is vouched for when it is the value a PO label gives (not merely some
    // word near a label) and looks like a PO number at all.
    let vouched_po = |v: &str| {
        po_like(v)
            && po_pairs.iter().any(|p| {
                p.glued.as_deref().map(norm).as_deref() == Some(&norm(v))
                    || [p.right.first(), p.below.first()]
                        .into_iter()
                        .flatten()
                        .any(|&i| norm(tokens[i].text) == norm(v))
            })
    };
    tracing::trace!(target: "po_intake::header", "po label {:?} model {:?}",
        po.as_ref().map(|f| &f.value), order.po_number.as_ref().map(|f| &f.value));
    if let Some(f) = po {
        if order
            .po_number
            .as_ref()
            .is_none_or(|m| !vouched_po(&m.value))
        {
            order.po_number = Some(f);
        }
    }
    if let Some(f) = order.po_number.as_mut() {
        f.value = strip_number_mark(&f.value);
    }
    // A "PO number" without a digit ("LTD", "Bhilai") is a misread word, not a number.
    if order
        .po_number
        .as_ref()
        .is_some_and(|f| !f.value.chars().any(|c| c.is_ascii_digit()))
    {
        order.po_number = None;
    }
    let vouched_date = |d: chrono::NaiveDate| {
        date_pairs.iter().any(|p| {
            [&p.right, &p.below].iter().any(|w| {
                (1..=3.min(w.len())).any(|n| {
                    let text = w[..n]
                        .iter()
                        .map(|&i| tokens[i].text)
                        .collect::<Vec<_>>()
                        .join(" ");
                    parse_date(&text, locale) == Some(d)
                })
            })
        })
    };
    if let Some(f) = date {
        if order
            .order_date
            .as_ref()
            .is_none_or(|m| !vouched_date(m.value))
        {
            order.order_date = Some(f);
        }
    }
    if let Some(f) = tot {
        // The model's total stands unless it cannot be the order's: less than its items, or
        // more than twice them.
        let items: f64 = order
            .lines
            .iter()
            .filter_map(|l| l.amount.as_ref())
            .map(|a| a.value)
            .sum();
        let plausible = |t: f64| items <= 0.0 || (t >= items * 0.99 && t <= items * 2.0);
        let model_wrong = order.total.as_ref().is_some_and(|m| !plausible(m.value));
        if order.total.is_none() || model_wrong && plausible(f.value) {
            order.total = Some(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LineItem;
    use crate::layout::testing::tokens;

    #[test]
    fn labels_give_po_number_date_and_total_where_the_model_has_none() {
        let t = tokens(&[
            (
                1,
                &[
                    ("PURCHASE", 10.0),
                    ("ORDER", 64.0),
                    ("NO.:4300015323", 100.0),
                ],
            ),
            (1, &[("PO", 300.0), ("DATE:16.03.2026", 318.0)]),
            (3, &[("Phone", 10.0), ("787-999-7310", 46.0)]),
            (
                9,
                &[("Grand", 250.0), ("Total", 286.0), ("1,180.00", 330.0)],
            ),
        ]);
        let layout = Layout::build(&t);
        let mut order = Order::default();
        apply(&t, &layout, &mut order, 0, Locale::Uk);
        assert_eq!(
            order.po_number.map(|f| f.value).as_deref(),
            Some("4300015323")
        );
        assert_eq!(
            order.order_date.map(|f| f.value),
            chrono::NaiveDate::from_ymd_opt(2026, 3, 16)
        );
        assert_eq!(order.total.map(|f| f.value), Some(1180.0));
    }

    #[test]
    fn a_model_total_smaller_than_its_items_gives_way_to_the_labelled_one() {
        let t = tokens(&[(9, &[("Total", 250.0), ("1,180.00", 330.0)])]);
        let layout = Layout::build(&t);
        let line = |v: f64| LineItem {
            amount: Some(Field::certain(v)),
            ..LineItem::default()
        };
        let mut order = Order {
            total: Some(Field::new(8.0, 0.99, None)),
            lines: vec![line(1000.0), line(180.0)],
            ..Order::default()
        };
        apply(&t, &layout, &mut order, 0, Locale::Us);
        assert_eq!(order.total.map(|f| f.value), Some(1180.0));
    }

    #[test]
    fn a_number_mark_is_no_part_of_the_po_number() {
        assert_eq!(strip_number_mark("No.4300004732"), "4300004732");
        assert_eq!(strip_number_mark("#4711"), "4711");
        assert_eq!(strip_number_mark("NOV-2024-1"), "NOV-2024-1");
    }
}
