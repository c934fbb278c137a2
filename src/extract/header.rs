//! The header pass: PO number, order date and total read from their printed labels, the way a
//! person finds them on an unfamiliar form ("PO Number: 4500123", "Fecha 21/01/2021",
//! "Grand Total 1,234.00"), through [`crate::layout::labels`].
//!
//! Labels are ranked: a customer's PO reference before a plain order number before a
//! document's own number (an invoice or a quote carries the buyer's PO when it prints one).

use crate::domain::{Field, Order};
use crate::layout::labels::{pairs, Pair};
use crate::layout::lexicon::normalise;
use crate::layout::{Layout, Token};

use super::normalize::{parse_date, parse_number, Locale};
use super::table::span;

/// Confidence of a value read beside its label.
const LABEL_CONF: f32 = 0.85;
/// A PO number read beside a label that names the buyer's order ("PO No", "Your order").
const PO_LABEL_CONF: f32 = 0.9;
/// A PO number read beside a label that names the document's own number ("Invoice no",
/// "No."): the best there is when nothing names the PO, often not the buyer's reference.
const OWN_NUMBER_CONF: f32 = 0.7;
/// The model's PO number when a PO label gives the same value: two readers agree.
const AGREED_CONF: f32 = 0.97;
/// The first of [`PO_LABELS`] that names the document's own number.
const OWN_NUMBER_LABEL: &str = "sales order";

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
    // A master PO (apparel sourcing: "MPO-NO: HDM-UB-11-2025-0291").
    "mpo no",
    "mpo number",
    "master po",
    "master po no",
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
    "invoice nr",
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
    "doc date",
    "date of document",
    "created",
];

const TOTAL_LABELS: &[&str] = &[
    "grand total",
    "total amount",
    "po total",
    "order total",
    "total order",
    "total value",
    "total net value",
    // SAP's "Tot.net item val. excl. tax" (the full stop goes in normalising).
    "totnet item val",
    "gross value",
    "gross amount",
    "gross total",
    "po amount",
    "net po amt",
    "net po amount",
    "total po amount",
    "order value",
    "total order value",
    "total invoice amount",
    "invoice amount",
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
    // German "gross": the tax-inclusive total under "Netto" and "MwSt".
    "brutto",
    "bruttobetrag",
    "bruttosumme",
    "rechnungsbetrag",
    "endbetrag",
    "gesamtsumme",
    "summe",
    "total ttc",
    // French "toutes taxes comprises": the tax-inclusive total, often a label of its own
    // under "Total HT" and "TVA".
    "ttc",
    "montant ttc",
    "net a payer",
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

/// Labels of tax and company registration numbers, normalised ([`normalise`]).
const TAX_ID_LABELS: &[&str] = &[
    "gstin",
    "gstin uin",
    "gst no",
    "gst reg no",
    "vat",
    "vat no",
    "vat reg no",
    "vat registration no",
    "vat id",
    "tax id",
    "tin",
    "ein",
    "pan",
    "pan no",
    "cin",
    "cin no",
    "ust idnr",
    "ust id nr",
    "ust id",
    "steuernummer",
    "n tva",
    "tva intracommunautaire",
    "siret",
    "siren",
    "nif",
    "cif",
    "partita iva",
    "p iva",
    "codice fiscale",
    "btw nr",
    "btw nummer",
    "kvk",
    "kvk nr",
    "abn",
    "eori",
    "eori no",
    "eori nr",
    "eori number",
    "vat number",
    "vat nr",
    "coc",
    "company no",
    "company number",
    "company registration no",
    "registration no",
    "registration number",
    "uid",
    "uid nr",
];

/// The word before a postal box's number, normalised ("PO BOX 281033", "P.O. Box 12",
/// "Postfach 10 20 30"): an address, whatever "PO" in front of it seems to say.
const POSTAL_BOX_WORDS: &[&str] = &["box", "postfach", "postbus", "apartado", "casilla"];

/// Is `text` (a word right of a label) the word of a postal box?
fn postal_box_word(text: &str) -> bool {
    POSTAL_BOX_WORDS.contains(&normalise(text).as_str())
}

/// Is the value at `src` printed right after one of `labels` (normalised) on its line: a tax
/// or registration label ("GSTIN/UIN : 27AADC…", "VAT No. GB123…"), a postal box's word?
fn after_label(
    tokens: &[Token<'_>],
    layout: &Layout,
    src: Option<&crate::domain::SourceSpan>,
    labels: &[&str],
) -> bool {
    let Some(src) = src else { return false };
    let on_line =
        |l: &&crate::layout::Line| l.page == src.page && l.y0 <= src.bbox[3] && l.y1 >= src.bbox[1];
    layout.lines.iter().filter(on_line).any(|l| {
        let left: Vec<&str> = l
            .words
            .iter()
            .map(|&i| &tokens[i])
            .filter(|t| t.bbox[2] <= src.bbox[0] + 0.5)
            .map(|t| t.text)
            .collect();
        let tail = left[left.len().saturating_sub(5)..].join(" ");
        let tail = normalise(&tail);
        labels
            .iter()
            .any(|l| tail == *l || tail.ends_with(&format!(" {l}")))
    })
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
        // The value glued to the label, else the first word right of it, else the first
        // under it (a row of labels over a row of values: the word right of the label is
        // the next label).
        let clean = |t: &str| {
            t.trim_start_matches(['#', ':'])
                .trim_end_matches([',', ';', ':'])
                .to_string()
        };
        let glued = p.glued.as_ref().map(|g| (clean(g), p.label.clone()));
        // "PO number/date BE89268 / 18-Apr-14": a label word may stand between.
        let right = match p.right.first() {
            Some(&i)
                if tokens[i]
                    .text
                    .chars()
                    .all(|c| c.is_alphabetic() || c == '/') =>
            {
                p.right.get(..2).unwrap_or(&p.right)
            }
            _ => p.right.get(..1).unwrap_or(&p.right),
        };
        // "PO BOX 281033" is an address.
        if right
            .first()
            .is_some_and(|&i| postal_box_word(tokens[i].text))
        {
            continue;
        }
        let below = p.below.get(..1).unwrap_or(&p.below);
        let beside = right
            .iter()
            .chain(below)
            .map(|&i| (clean(tokens[i].text), vec![i]));
        let Some((text, words)) = glued.into_iter().chain(beside).find(|(t, _)| po_like(t)) else {
            continue;
        };
        if best.as_ref().is_none_or(|(r, _)| p.phrase < *r) {
            let src = span(tokens, &words, part, &text);
            let own = PO_LABELS
                .iter()
                .position(|l| *l == OWN_NUMBER_LABEL)
                .is_some_and(|own| p.phrase >= own);
            let conf = if own { OWN_NUMBER_CONF } else { PO_LABEL_CONF };
            best = Some((p.phrase, Field::new(text, conf, src)));
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

/// "3 900.67": a number grouped by spaces comes out of the PDF as two words; the value of the
/// word at `k` joined with the group before it, when there is one.
fn grouped(tokens: &[Token<'_>], words: &[usize], k: usize, locale: Locale) -> Option<f64> {
    let cur = tokens[*words.get(k)?].text;
    let prev = tokens[*words.get(k.checked_sub(1)?)?].text;
    let int_digits = cur.chars().take_while(char::is_ascii_digit).count();
    let close = tokens[words[k]].bbox[0] - tokens[words[k - 1]].bbox[2]
        < 0.6 * tokens[words[k]].height().max(1.0);
    (close
        && int_digits == 3
        && (1..=3).contains(&prev.len())
        && prev.chars().all(|c| c.is_ascii_digit()))
    .then(|| parse_number(&format!("{prev}{cur}"), locale))
    .flatten()
}

/// The values total labels give: the last number on the label's line after it ("Total 8.00
/// No 1,34,081.00": quantities come first, the money last), else the number under the label
/// (a row of totals labels over a row of values).
fn totals(
    tokens: &[Token<'_>],
    layout: &Layout,
    all: &[Pair],
    part: u32,
    locale: Locale,
) -> Vec<Field<f64>> {
    // An amount: digits and separators, a sign or a currency mark; no percentage, no date.
    let number = |i: usize| {
        let t = tokens[i].text;
        (t.chars().any(|c| c.is_ascii_digit())
            && !t.contains('%')
            && !t.chars().any(char::is_alphabetic)
            && parse_date(t, locale).is_none())
        .then(|| parse_number(t, locale))
        .flatten()
    };
    let mut out = Vec::new();
    for p in all {
        let label: String = p
            .label
            .iter()
            .map(|&i| tokens[i].text)
            .collect::<Vec<_>>()
            .join(" ");
        let Some(&last) = p.label.last() else {
            continue;
        };
        // The label's whole phrase decides: "Total before tax", "Total Qty" are not the
        // order's total.
        let tail: String = layout
            .lines
            .get(p.line)
            .map(|l| {
                l.words
                    .iter()
                    .filter(|&&i| tokens[i].bbox[0] >= tokens[last].bbox[2])
                    .take_while(|&&i| !tokens[i].text.chars().any(|c| c.is_ascii_digit()))
                    .map(|&i| tokens[i].text)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let first_tail = normalise(&tail)
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        if not_order_total(&label)
            || !first_tail.is_empty() && not_order_total(&first_tail)
            || first_tail == "before"
        {
            continue;
        }
        let after: Vec<usize> = layout
            .lines
            .get(p.line)
            .map(|l| {
                l.words
                    .iter()
                    .copied()
                    .filter(|&i| tokens[i].bbox[0] >= tokens[last].bbox[2])
                    .collect()
            })
            .unwrap_or_default();
        // A glued label ("Total:1,234.00") leaves its number in the label's own token.
        // The largest amount after the label on its line ("Total 8.00 No 1,34,081.00": the
        // quantity comes first); else the amount under it.
        let found = (0..after.len())
            .filter_map(|k| {
                number(after[k])
                    .map(|v| (grouped(tokens, &after, k, locale).unwrap_or(v), after[k]))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .or_else(|| p.below.iter().find_map(|&i| number(i).map(|v| (v, i))))
            .or_else(|| over_label(tokens, layout, p).and_then(|i| number(i).map(|v| (v, i))));
        if let Some((v, i)) = found {
            out.push(Field::new(
                v,
                LABEL_CONF,
                span(tokens, &[i], part, tokens[i].text),
            ));
        }
    }
    out
}

/// The amount printed alone on the line right over a label that has none beside or under
/// it ("237,619.20" over "Total General / USD"), right of the label's start.
fn over_label(tokens: &[Token<'_>], layout: &Layout, p: &Pair) -> Option<usize> {
    let line = layout.lines.get(p.line)?;
    let above = layout.lines.get(p.line.checked_sub(1)?)?;
    let first = tokens.get(*p.label.first()?)?;
    let height = (line.y1 - line.y0).max(1.0);
    let [only] = above.words.as_slice() else {
        return None;
    };
    let close = above.page == line.page && line.y0 - above.y1 <= height;
    (close && tokens.get(*only)?.bbox[0] >= first.bbox[0]).then_some(*only)
}

/// Fill the order's header from labels. The model's value stands when a label vouches for it
/// (it is among the labelled values) or when no label gives one; a model value that no label
/// vouches for gives way to the best labelled one.
pub fn apply(tokens: &[Token<'_>], layout: &Layout, order: &mut Order, part: u32, locale: Locale) {
    // A column heading of the item table ("No.", "Date", "Total") has the items' values
    // under it, not the order's.
    let header_lines: Vec<usize> = layout
        .tables
        .iter()
        .flat_map(|t| t.header_lines.iter().copied())
        .collect();
    let find = |phrases: &[&str]| {
        let mut all = pairs(tokens, &layout.lines, layout.stats, phrases);
        for p in all.iter_mut().filter(|p| header_lines.contains(&p.line)) {
            p.below.clear();
        }
        all
    };
    let po_pairs = find(PO_LABELS);
    let date_pairs = find(DATE_LABELS);
    let total_pairs = find(TOTAL_LABELS);
    let po = po_number(tokens, &po_pairs, part);
    let date = order_date(tokens, &date_pairs, part, locale);
    let tots = totals(tokens, layout, &total_pairs, part, locale);
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
    match (po, order.po_number.as_mut()) {
        (_, Some(m)) if vouched_po(&m.value) => m.confidence = m.confidence.max(AGREED_CONF),
        (Some(f), _) => order.po_number = Some(f),
        // A tax or company registration number is never the PO number, whatever the model
        // made of it.
        (None, Some(m))
            if after_label(tokens, layout, m.source.as_ref(), TAX_ID_LABELS)
                || after_label(tokens, layout, m.source.as_ref(), POSTAL_BOX_WORDS) =>
        {
            order.po_number = None
        }
        // No label gives a PO number: the model's guess is only as good as a label's.
        (None, Some(m)) => m.confidence = m.confidence.min(LABEL_CONF),
        (None, None) => {}
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
    // The order's total: of the labelled values, the largest that can be the order's (not
    // less than its items, not more than twice them: a grand total includes the tax and
    // charges a net total leaves out); the model's value stands when it is that value, when
    // no label gives one, or when only it is plausible.
    let items: f64 = order
        .lines
        .iter()
        .filter_map(|l| l.amount.as_ref())
        .map(|a| a.value)
        .sum();
    let plausible = |t: f64| t > 0.0 && (items <= 0.0 || (t >= items * 0.99 && t <= items * 3.0));
    // Items read wrongly (a totals row taken for an item) can make no labelled total
    // plausible: the largest labelled one then, if it is half the items or more.
    let best = tots
        .iter()
        .filter(|f| plausible(f.value))
        .max_by(|a, b| a.value.total_cmp(&b.value))
        .or_else(|| {
            tots.iter()
                .filter(|f| f.value >= items * 0.5)
                .max_by(|a, b| a.value.total_cmp(&b.value))
        });
    tracing::trace!(target: "po_intake::header", "totals {:?} items {items} model {:?}",
        tots.iter().map(|f| f.value).collect::<Vec<_>>(), order.total.as_ref().map(|f| f.value));
    let keep_model = order.total.as_ref().is_some_and(|m| {
        best.is_none_or(|b| (b.value - m.value).abs() < 0.005)
            || plausible(m.value) && best.is_some_and(|b| !plausible(b.value))
    });
    if !keep_model {
        if let Some(f) = best {
            order.total = Some(f.clone());
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
    fn a_tax_number_the_model_took_for_the_po_number_is_dropped() {
        let t = tokens(&[
            (
                2,
                &[("GSTIN/UIN", 10.0), (":", 80.0), ("27AADCF7138C1ZT", 90.0)],
            ),
            (4, &[("Ref", 10.0), (":", 40.0), ("4711-22", 50.0)]),
        ]);
        let layout = Layout::build(&t);
        let model = |i: usize| {
            let b = t[i].bbox;
            let src = crate::domain::SourceSpan {
                part: 0,
                page: 1,
                bbox: b,
                text: t[i].text.to_string(),
            };
            Some(Field::new(t[i].text.to_string(), 0.95, Some(src)))
        };
        let mut order = Order {
            po_number: model(2),
            ..Order::default()
        };
        apply(&t, &layout, &mut order, 0, Locale::Uk);
        assert_eq!(order.po_number, None);
        // Beside any other label it stays, as sure as a label's value at most.
        let mut order = Order {
            po_number: model(5),
            ..Order::default()
        };
        apply(&t, &layout, &mut order, 0, Locale::Uk);
        assert_eq!(
            order.po_number.as_ref().map(|f| f.confidence),
            Some(LABEL_CONF)
        );
    }

    #[test]
    fn an_eori_or_chamber_of_commerce_number_is_no_po_number() {
        for label in [
            &[("EORI", 10.0), ("number", 40.0)][..],
            &[("CoC", 10.0)][..],
        ] {
            let mut line = label.to_vec();
            line.push(("864371512", 90.0));
            let t = tokens(&[(2, &line)]);
            let layout = Layout::build(&t);
            let i = t.len() - 1;
            let src = crate::domain::SourceSpan {
                part: 0,
                page: 1,
                bbox: t[i].bbox,
                text: t[i].text.to_string(),
            };
            let mut order = Order {
                po_number: Some(Field::new(t[i].text.to_string(), 0.95, Some(src))),
                ..Order::default()
            };
            apply(&t, &layout, &mut order, 0, Locale::Uk);
            assert_eq!(order.po_number, None, "{label:?}");
        }
    }

    #[test]
    fn an_invoice_nr_is_the_number_when_nothing_names_the_po() {
        let t = tokens(&[(
            2,
            &[
                ("Rechnung", 200.0),
                ("/", 250.0),
                ("Invoice", 258.0),
                ("Nr.:", 300.0),
                ("240471", 400.0),
            ],
        )]);
        let layout = Layout::build(&t);
        let mut order = Order::default();
        apply(&t, &layout, &mut order, 0, Locale::De);
        assert_eq!(order.po_number.map(|f| f.value).as_deref(), Some("240471"));
    }

    #[test]
    fn a_gross_total_under_net_and_tax_is_the_total() {
        let t = tokens(&[
            (9, &[("Netto", 250.0), ("87,39", 330.0)]),
            (10, &[("MwSt.", 250.0), ("16,61", 330.0)]),
            (11, &[("Brutto", 250.0), ("104,00", 330.0), ("€", 360.0)]),
        ]);
        let layout = Layout::build(&t);
        let mut order = Order::default();
        apply(&t, &layout, &mut order, 0, Locale::De);
        assert_eq!(order.total.map(|f| f.value), Some(104.0));
    }

    #[test]
    fn a_total_printed_over_its_label_is_the_total() {
        let t = tokens(&[
            (9, &[("Sub-Total", 250.0), ("228,480.00", 330.0)]),
            (10, &[("Total", 250.0), ("Ivu", 280.0), ("9,139.20", 330.0)]),
            (11, &[("237,619.20", 330.0)]),
            (
                12,
                &[
                    ("Total", 230.0),
                    ("General", 260.0),
                    ("/", 306.0),
                    ("USD", 314.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        let mut order = Order::default();
        apply(&t, &layout, &mut order, 0, Locale::Us);
        assert_eq!(order.total.map(|f| f.value), Some(237_619.2));
    }

    #[test]
    fn a_master_po_number_is_the_po_number() {
        let t = tokens(&[(
            5,
            &[
                ("-", 10.0),
                ("MPO-NO:", 20.0),
                ("HDM-UB-11-2025-0291", 70.0),
                ("-", 200.0),
                ("ISSUED", 210.0),
                ("DATE:", 250.0),
            ],
        )]);
        let layout = Layout::build(&t);
        let mut order = Order::default();
        apply(&t, &layout, &mut order, 0, Locale::Us);
        assert_eq!(
            order.po_number.map(|f| f.value).as_deref(),
            Some("HDM-UB-11-2025-0291")
        );
    }

    #[test]
    fn sap_s_abbreviated_total_net_item_value_is_the_total() {
        let t = tokens(&[(
            9,
            &[
                ("Tot.net", 180.0),
                ("item", 240.0),
                ("val.", 276.0),
                ("excl.", 312.0),
                ("tax", 355.0),
                ("USD", 384.0),
                ("2,585.52", 490.0),
            ],
        )]);
        let layout = Layout::build(&t);
        let mut order = Order::default();
        apply(&t, &layout, &mut order, 0, Locale::Us);
        assert_eq!(order.total.map(|f| f.value), Some(2585.52));
    }

    #[test]
    fn a_postal_box_number_is_no_po_number() {
        let t = tokens(&[
            (1, &[("Purchase", 10.0), ("Order", 60.0), ("641802", 140.0)]),
            (3, &[("PO", 300.0), ("BOX", 318.0), ("281033", 345.0)]),
        ]);
        let layout = Layout::build(&t);
        let model = |i: usize| {
            let src = crate::domain::SourceSpan {
                part: 0,
                page: 1,
                bbox: t[i].bbox,
                text: t[i].text.to_string(),
            };
            Some(Field::new(t[i].text.to_string(), 0.9, Some(src)))
        };
        // The model took the box number: the labelled PO number wins.
        let mut order = Order {
            po_number: model(5),
            ..Order::default()
        };
        apply(&t, &layout, &mut order, 0, Locale::Us);
        assert_eq!(order.po_number.map(|f| f.value).as_deref(), Some("641802"));
        // With no PO label at all, the box number is dropped.
        let t = tokens(&[(3, &[("PO", 300.0), ("BOX", 318.0), ("281033", 345.0)])]);
        let layout = Layout::build(&t);
        let src = crate::domain::SourceSpan {
            part: 0,
            page: 1,
            bbox: t[2].bbox,
            text: "281033".into(),
        };
        let mut order = Order {
            po_number: Some(Field::new("281033".to_string(), 0.9, Some(src))),
            ..Order::default()
        };
        apply(&t, &layout, &mut order, 0, Locale::Us);
        assert_eq!(order.po_number, None);
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
    fn the_french_tax_inclusive_total_under_the_ht_one_is_the_orders() {
        let t = tokens(&[
            (7, &[("TOTAL", 300.0), ("H.T.", 336.0), ("2505,38", 420.0)]),
            (8, &[("TVA", 300.0), ("137,80", 420.0)]),
            (9, &[("TTC", 300.0), ("EUR", 326.0), ("2643,18", 420.0)]),
        ]);
        let layout = Layout::build(&t);
        let mut order = Order {
            lines: vec![LineItem {
                amount: Some(Field::certain(2505.38)),
                ..LineItem::default()
            }],
            ..Order::default()
        };
        apply(&t, &layout, &mut order, 0, Locale::De);
        assert_eq!(order.total.map(|f| f.value), Some(2643.18));
    }

    #[test]
    fn the_grand_total_is_the_largest_labelled_amount_not_a_quantity_or_a_net_before_tax() {
        let t = tokens(&[
            (
                7,
                &[
                    ("Total", 20.0),
                    ("8.00", 250.0),
                    ("No", 290.0),
                    ("1,34,081.00", 400.0),
                ],
            ),
            (
                8,
                &[
                    ("Total", 20.0),
                    ("before", 56.0),
                    ("tax", 98.0),
                    ("9", 380.0),
                    ("900.00", 388.0),
                ],
            ),
            (
                9,
                &[
                    ("Grand", 20.0),
                    ("Total", 56.0),
                    ("1", 380.0),
                    ("58", 388.0),
                    ("221.00", 402.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        let mut order = Order {
            lines: vec![LineItem {
                amount: Some(Field::certain(134_081.0)),
                ..LineItem::default()
            }],
            ..Order::default()
        };
        apply(&t, &layout, &mut order, 0, Locale::Us);
        // The quantity before the amount, the net before tax and a smaller grand total that
        // cannot be the items' (58 221.00 < 134 081.00) give way.
        assert_eq!(order.total.map(|f| f.value), Some(134_081.0));
        let t = tokens(&[(
            9,
            &[
                ("Grand", 20.0),
                ("Total", 56.0),
                ("158", 380.0),
                ("221.00", 402.0),
            ],
        )]);
        let mut order = Order::default();
        apply(&t, &Layout::build(&t), &mut order, 0, Locale::Us);
        assert_eq!(order.total.map(|f| f.value), Some(158_221.0));
    }

    #[test]
    fn a_number_mark_is_no_part_of_the_po_number() {
        assert_eq!(strip_number_mark("No.4300004732"), "4300004732");
        assert_eq!(strip_number_mark("#4711"), "4711");
        assert_eq!(strip_number_mark("NOV-2024-1"), "NOV-2024-1");
    }
}
