//! The charges pass: subtotal, freight, handling, surcharges, discounts, tax and rounding,
//! read from the totals block under the item table the way a clerk reads it: a label at the
//! start of a line ("Fracht", "MwSt. 19 %", "Remise 5%", "Sous-total"), an amount at its end.
//! Charge rows printed inside the item table (a "Freight" row without an item code) stay lines,
//! as printed; `is_charge_line` tells the rules to book them as charges.
//!
//! Why a separate pass: the model was never trained on charges, and the rules need them to
//! check lines -> subtotal -> total. The labels are generic words in six languages (EN, DE,
//! FR, NL, ES, IT), never one issuer's layout. A line is only taken when its amount is
//! printed as money (two decimals), so "VAT No. DE123456789" or "Porto 3 days" are not
//! charges; lines that name a number or an ID ("Tax ID", "USt-IdNr") are skipped.

use unicode_normalization::UnicodeNormalization;

use crate::domain::{Charge, ChargeKind, Field, LineItem, Order, SourceSpan};
use crate::layout::lexicon::Role;
use crate::layout::{Layout, Line, Token};

use super::normalize::{parse_number, Locale};

/// How sure a labelled amount of the totals block is.
const CONF: f32 = 0.9;

/// What a totals-block label means.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Meaning {
    Subtotal,
    Charge(ChargeKind),
}

/// Label phrases (folded: lower case, no accents, punctuation as spaces), first match wins,
/// so the subtotal phrases come before "tax" or "net".
const LABELS: &[(Meaning, &[&str])] = &[
    (
        Meaning::Subtotal,
        &[
            "subtotal",
            "sub total",
            "zwischensumme",
            "warenwert",
            "nettosumme",
            "summe netto",
            "nettobetrag",
            "net amount",
            "net total",
            "total net",
            "goods total",
            "goods value",
            "merchandise total",
            "items total",
            "total excl",
            "total excluding",
            "total before tax",
            "total ht",
            "montant ht",
            "sous total",
            "total hors taxes",
            "subtotaal",
            "totaal excl",
            "netto bedrag",
            "base imponible",
            "importe neto",
            "subtotale",
            "imponibile",
            "totale imponibile",
            "totale merce",
        ],
    ),
    (
        Meaning::Charge(ChargeKind::Tax),
        &[
            "vat",
            "gst",
            "hst",
            "pst",
            "qst",
            "sales tax",
            "tax",
            "taxes",
            "mwst",
            "mehrwertsteuer",
            "ust",
            "umsatzsteuer",
            "tva",
            "taxe",
            "btw",
            "iva",
            "igic",
            "impuesto",
            "imposta",
        ],
    ),
    (
        Meaning::Charge(ChargeKind::Freight),
        &[
            "freight",
            "shipping",
            "delivery",
            "carriage",
            "postage",
            "fracht",
            "versand",
            "versandkosten",
            "lieferkosten",
            "porto",
            "transportkosten",
            "frais de port",
            "port",
            "frais de livraison",
            "livraison",
            "transport",
            "vracht",
            "vrachtkosten",
            "verzendkosten",
            "verzending",
            "porte",
            "portes",
            "gastos de envio",
            "envio",
            "transporte",
            "trasporto",
            "spese di trasporto",
            "spedizione",
            "spese di spedizione",
        ],
    ),
    (
        Meaning::Charge(ChargeKind::Handling),
        &[
            "handling",
            "bearbeitungsgebuhr",
            "bearbeitungskosten",
            "manipulation",
            "frais de gestion",
            "frais de traitement",
            "administratiekosten",
            "behandelingskosten",
            "gastos de gestion",
            "manipulacion",
            "spese di gestione",
        ],
    ),
    (
        Meaning::Charge(ChargeKind::Surcharge),
        &[
            "surcharge",
            "fuel surcharge",
            "energy surcharge",
            "small order",
            "minimum order",
            "zuschlag",
            "mindermengenzuschlag",
            "energiezuschlag",
            "legierungszuschlag",
            "supplement",
            "toeslag",
            "recargo",
            "supplemento",
            "maggiorazione",
        ],
    ),
    (
        Meaning::Charge(ChargeKind::Discount),
        &[
            "discount",
            "rabatt",
            "nachlass",
            "preisnachlass",
            "remise",
            "rabais",
            "korting",
            "descuento",
            "dto",
            "sconto",
            "rebate",
        ],
    ),
    (
        Meaning::Charge(ChargeKind::Rounding),
        &[
            "rounding",
            "rundung",
            "rundungsdifferenz",
            "arrondi",
            "afronding",
            "redondeo",
            "arrotondamento",
        ],
    ),
];

/// Words that make a line the order's total ("Grand Total", "Gesamtbetrag"), unless a charge
/// name follows the first of them directly ("Total VAT", "Summe MwSt").
const TOTAL_WORDS: &[&str] = &[
    "total",
    "totaal",
    "totale",
    "gesamt",
    "gesamtbetrag",
    "gesamtsumme",
    "summe",
    "grand",
    "endbetrag",
    "totalbetrag",
    "importe",
    "montant",
    "bedrag",
    "ttc",
];

/// Words that make a line an identifier, not an amount ("VAT No.", "USt-IdNr").
const ID_WORDS: &[&str] = &[
    "no",
    "nr",
    "id",
    "idnr",
    "number",
    "nummer",
    "numero",
    "reg",
    "registration",
    "code",
    "n",
];

/// Currency codes and signs printed beside an amount (not part of a label).
const CURRENCY: &[&str] = &[
    "usd", "eur", "gbp", "chf", "inr", "aed", "sek", "nok", "dkk", "pln", "czk", "$", "€", "£",
];

/// Lower case, accents dropped, anything not a letter or digit a space.
fn fold(s: &str) -> String {
    s.nfkd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect()
}

/// Where `phrase` first occurs in `words` (as whole words; a one-word phrase of 5+ letters
/// also opens a compound: "Frachtkosten", "Versandpauschale").
fn position(words: &[&str], phrase: &str) -> Option<usize> {
    let p: Vec<&str> = phrase.split_whitespace().collect();
    if p.len() == 1 && phrase.len() >= 5 {
        return words.iter().position(|w| w.starts_with(phrase));
    }
    words.windows(p.len()).position(|w| w == p.as_slice())
}

/// The meaning whose phrase comes first in the label ("Shipping costs (excl. VAT)" is
/// freight; "VAT on shipping" is tax); on a tie, the order of [`LABELS`].
fn find(words: &[&str], subtotal: bool) -> Option<Meaning> {
    LABELS
        .iter()
        .filter(|(m, _)| (*m == Meaning::Subtotal) == subtotal)
        .filter_map(|(m, phrases)| {
            let at = phrases.iter().filter_map(|p| position(words, p)).min()?;
            Some((at, *m))
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, m)| m)
}

/// What a label means, if it names a subtotal or a charge of [`LABELS`] anywhere in it
/// ("Volume discount", "Less 3% discount", "Tax (VAT 19%)").
fn meaning(label: &str) -> Option<Meaning> {
    let folded = fold(label);
    let words: Vec<&str> = folded.split_whitespace().collect();
    if words.is_empty() || words.iter().any(|w| ID_WORDS.contains(w)) {
        return None;
    }
    if let Some(m) = find(&words, true) {
        return Some(m);
    }
    if let Some(i) = words.iter().position(|w| TOTAL_WORDS.contains(w)) {
        // "Total VAT": a charge named right after the total word; else it is the total.
        let rest = words.get(i + 1..).unwrap_or_default();
        let named = find(rest, false)?;
        let first = LABELS
            .iter()
            .find(|(m, _)| *m == named)
            .is_some_and(|(_, ps)| ps.iter().any(|p| position(rest, p) == Some(0)));
        return first.then_some(named);
    }
    find(&words, false)
}

/// A percentage printed in the line: "19%", "19,00 %", "(5%)".
fn rate(words: &[&str], locale: Locale) -> Option<f64> {
    for (i, w) in words.iter().enumerate() {
        let w = w.trim_start_matches('(');
        let glued = w.trim_end_matches(')').ends_with('%');
        let next = words
            .get(i + 1)
            .is_some_and(|n| n.trim_end_matches(')') == "%");
        if glued || next {
            let Some(n) = parse_number(w.trim_end_matches([')', '%']), locale) else {
                continue;
            };
            // 0 % is a rate too (exempt, reverse charge).
            if (0.0..100.0).contains(&n) {
                return Some(n);
            }
        }
    }
    None
}

/// Money as printed in a totals block: digits with exactly two decimals, maybe a sign,
/// brackets or a currency glued on ("1.234,56", "-12.50", "(3.00)", "€19.00", "£-679.67").
fn money(word: &str, locale: Locale) -> Option<f64> {
    let core = word.trim_matches(|c: char| !c.is_ascii_digit());
    let b = core.as_bytes();
    let n = b.len();
    let two_decimals =
        n >= 4 && matches!(b[n - 3], b'.' | b',') && b[n - 2..].iter().all(u8::is_ascii_digit);
    let first = word.chars().next()?;
    let starts_like_money =
        first.is_ascii_digit() || matches!(first, '-' | '(' | '+' | '€' | '$' | '£' | '¥');
    if !two_decimals || !starts_like_money || word.contains('%') {
        return None;
    }
    let v = parse_number(word, locale)?;
    // "£-679.67": a minus after the currency sign.
    let minus_inside = word
        .trim_start_matches(['€', '$', '£', '¥'])
        .starts_with('-');
    Some(if minus_inside { -v.abs() } else { v })
}

/// One totals-block line read: its meaning, label, rate and amount.
struct Read {
    meaning: Meaning,
    label: String,
    rate: Option<f64>,
    amount: f64,
}

fn is_currency(w: &str) -> bool {
    CURRENCY.contains(&fold(w).trim()) || CURRENCY.contains(&w)
}

fn read_line(tokens: &[Token<'_>], line: &Line, locale: Locale) -> Option<Read> {
    let words: Vec<&str> = line
        .words
        .iter()
        .filter_map(|&i| tokens.get(i).map(|t| t.text))
        .collect();
    // The amount: the last word printed as money; an integer counts when a currency is
    // printed beside it ("75 USD").
    let beside_currency = |i: usize| {
        (i > 0 && is_currency(words[i - 1])) || words.get(i + 1).is_some_and(|w| is_currency(w))
    };
    let (mut first, amount) = words.iter().enumerate().rev().find_map(|(i, w)| {
        money(w, locale)
            .or_else(|| {
                (beside_currency(i) && w.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| parse_number(w, locale))
                    .flatten()
            })
            .map(|v| (i, v))
    })?;
    // Thousands printed with a space: "1 185.68".
    while first > 0
        && (1..=3).contains(&words[first - 1].len())
        && words[first - 1].bytes().all(|b| b.is_ascii_digit())
        && !words[first].starts_with(['-', '('])
    {
        first -= 1;
    }
    let amount = if first < words.len() && words[first..].len() > 1 {
        let joined: String = words[first..]
            .iter()
            .take_while(|w| !is_currency(w))
            .copied()
            .collect();
        money(&joined, locale).or(Some(amount)).unwrap_or(amount)
    } else {
        amount
    };
    // The label: the words that are not numbers, percentages or currencies.
    let label_words: Vec<&str> = words[..first]
        .iter()
        .copied()
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()) && !is_currency(w) && *w != "%")
        .collect();
    let label = label_words.join(" ");
    let meaning = meaning(&label)?;
    let printed_rate = rate(&words[..first], locale);
    let amount = match meaning {
        Meaning::Charge(ChargeKind::Discount) => -amount.abs(),
        _ => amount,
    };
    let label = words[..first]
        .iter()
        .copied()
        .filter(|w| !is_currency(w))
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .trim_end_matches(':')
        .to_string();
    Some(Read {
        meaning,
        label,
        rate: printed_rate,
        amount,
    })
}

fn span(tokens: &[Token<'_>], line: &Line, part: u32) -> Option<SourceSpan> {
    let ws: Vec<&Token<'_>> = line.words.iter().filter_map(|&i| tokens.get(i)).collect();
    let first = ws.first()?;
    let mut bbox = first.bbox;
    for t in &ws {
        bbox[0] = bbox[0].min(t.bbox[0]);
        bbox[1] = bbox[1].min(t.bbox[1]);
        bbox[2] = bbox[2].max(t.bbox[2]);
        bbox[3] = bbox[3].max(t.bbox[3]);
    }
    Some(SourceSpan {
        part,
        page: line.page,
        bbox,
        text: ws.iter().map(|t| t.text).collect::<Vec<_>>().join(" "),
    })
}

/// The lines that may hold the totals block: those after the last table's header (all
/// lines when no table was found), without the rows that carry an item (a line number, a
/// quantity, or a code in a code column). A totals block the layout kept inside the table
/// ("Delivery 25.00" under the Amount column) is read too.
fn candidate_lines(tokens: &[Token<'_>], layout: &Layout) -> Vec<usize> {
    let start = layout
        .tables
        .iter()
        .flat_map(|t| t.header_lines.iter().copied())
        .max()
        .map_or(0, |l| l + 1);
    // A code cell holds a code (a digit, no percentage); a column taken for codes may also
    // run under a label of the totals block ("Merchandise", "Tax 7%").
    let code_like = |w: &usize| {
        tokens
            .get(*w)
            .is_some_and(|t| t.text.chars().any(|c| c.is_ascii_digit()) && !t.text.contains('%'))
    };
    let mut item_lines = std::collections::HashSet::new();
    for t in &layout.tables {
        for r in &t.rows {
            let item = t.columns.iter().enumerate().any(|(c, col)| {
                let cell = r.cells.get(c).map(Vec::as_slice).unwrap_or_default();
                match col.role {
                    Role::LineNo | Role::Quantity => !cell.is_empty(),
                    Role::Sku | Role::CustomerPart => cell.iter().any(code_like),
                    _ => false,
                }
            });
            if item {
                item_lines.extend(r.lines.iter().copied());
            }
        }
    }
    (start..layout.lines.len())
        .filter(|l| !item_lines.contains(l))
        .collect()
}

/// A charge row of the item table: a line with no code and no quantity but one, whose
/// description is a charge label ("Freight", "Versandkosten", "FUEL SURCHARGE"). It stays a
/// line of the order, as printed (the extraction contract keeps every printed row); the rules
/// book it as a charge: no catalog match, its amount in the sums.
pub fn is_charge_line(l: &LineItem) -> bool {
    line_charge(l).is_some()
}

fn line_charge(l: &LineItem) -> Option<Charge> {
    if l.sku.is_some() || l.customer_part.is_some() {
        return None;
    }
    if l.quantity.as_ref().is_some_and(|q| q.value != 1.0) {
        return None;
    }
    let desc = l.description.as_ref()?;
    let Meaning::Charge(kind) = meaning(&desc.value)? else {
        return None;
    };
    // A row that charges nothing ("Pallet delivery 0.00") changes no total: it stays a line,
    // where a person sees it.
    let amount = l
        .amount
        .as_ref()
        .or(l.unit_price.as_ref())
        .filter(|a| a.value != 0.0)?;
    let value = if kind == ChargeKind::Discount {
        -amount.value.abs()
    } else {
        amount.value
    };
    Some(Charge {
        kind,
        label: desc.value.clone(),
        rate_pct: None,
        amount: Field::new(
            value,
            amount.confidence.min(desc.confidence),
            amount.source.clone(),
        ),
    })
}

/// Read the totals block of a one-order document into `orders[0]`: its subtotal (when the
/// order has none) and its charges (when it has none and no charge row stands in the table).
pub fn apply(
    tokens: &[Token<'_>],
    layout: &Layout,
    orders: &mut [Order],
    part: u32,
    locale: Locale,
) {
    let [order] = orders else {
        return;
    };
    // Charges printed as rows of the item table are lines already: the totals block must not
    // count them a second time.
    let from_table = order.lines.iter().any(is_charge_line);
    let mut subtotal = None;
    let mut charges = Vec::new();
    for line in candidate_lines(tokens, layout)
        .into_iter()
        .filter_map(|l| layout.lines.get(l))
    {
        let Some(r) = read_line(tokens, line, locale) else {
            continue;
        };
        let field = Field::new(r.amount, CONF, span(tokens, line, part));
        match r.meaning {
            Meaning::Subtotal => {
                subtotal.get_or_insert(field);
            }
            Meaning::Charge(kind) => charges.push(Charge {
                kind,
                label: r.label,
                rate_pct: r.rate,
                amount: field,
            }),
        }
    }
    if order.subtotal.is_none() {
        order.subtotal = subtotal;
    }
    if !from_table {
        order.charges = charges;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::testing::tokens;

    fn read(lines: &[(u32, &[(&str, f32)])], locale: Locale) -> Order {
        let t = tokens(lines);
        let layout = Layout::build(&t);
        let mut orders = vec![Order::default()];
        apply(&t, &layout, &mut orders, 0, locale);
        orders.remove(0)
    }

    fn summary(o: &Order) -> Vec<(ChargeKind, Option<f64>, f64)> {
        o.charges
            .iter()
            .map(|c| (c.kind, c.rate_pct, c.amount.value))
            .collect()
    }

    #[test]
    fn a_german_totals_block() {
        let o = read(
            &[
                (20, &[("Zwischensumme:", 300.0), ("1.234,50", 420.0)]),
                (21, &[("zzgl.", 300.0), ("Fracht", 330.0), ("25,00", 420.0)]),
                (
                    22,
                    &[
                        ("Rabatt", 300.0),
                        ("3", 340.0),
                        ("%", 350.0),
                        ("37,04", 420.0),
                    ],
                ),
                (23, &[("MwSt.", 300.0), ("19%", 340.0), ("231,16", 420.0)]),
                (
                    24,
                    &[("Gesamtbetrag", 300.0), ("EUR", 380.0), ("1.453,62", 420.0)],
                ),
            ],
            Locale::De,
        );
        assert_eq!(o.subtotal.as_ref().map(|f| f.value), Some(1234.5));
        assert_eq!(
            summary(&o),
            vec![
                (ChargeKind::Freight, None, 25.0),
                (ChargeKind::Discount, Some(3.0), -37.04),
                (ChargeKind::Tax, Some(19.0), 231.16),
            ]
        );
    }

    #[test]
    fn french_dutch_spanish_and_italian_labels() {
        let o = read(
            &[
                (20, &[("Sous-total", 300.0), ("500.00", 420.0)]),
                (
                    21,
                    &[
                        ("Frais", 300.0),
                        ("de", 330.0),
                        ("port", 345.0),
                        ("12.00", 420.0),
                    ],
                ),
                (22, &[("Vracht", 300.0), ("8.50", 420.0)]),
                (23, &[("Recargo", 300.0), ("5.00", 420.0)]),
                (24, &[("Handling", 300.0), ("fee", 340.0), ("4.00", 420.0)]),
                (25, &[("Sconto", 300.0), ("-10.00", 420.0)]),
                (26, &[("IVA", 300.0), ("(22%)", 330.0), ("110.00", 420.0)]),
                (27, &[("Arrondi", 300.0), ("0.01", 420.0)]),
            ],
            Locale::Us,
        );
        assert_eq!(o.subtotal.as_ref().map(|f| f.value), Some(500.0));
        let kinds: Vec<ChargeKind> = o.charges.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            vec![
                ChargeKind::Freight,
                ChargeKind::Freight,
                ChargeKind::Surcharge,
                ChargeKind::Handling,
                ChargeKind::Discount,
                ChargeKind::Tax,
                ChargeKind::Rounding,
            ]
        );
        assert_eq!(o.charges[5].rate_pct, Some(22.0));
        assert_eq!(o.charges[4].amount.value, -10.0);
    }

    #[test]
    fn english_blocks_with_the_charge_named_anywhere() {
        let o = read(
            &[
                (
                    20,
                    &[
                        ("Total", 300.0),
                        ("before", 330.0),
                        ("tax", 370.0),
                        ("1", 400.0),
                        ("185.68", 410.0),
                    ],
                ),
                (
                    21,
                    &[("Volume", 300.0), ("discount", 340.0), ("-35.57", 420.0)],
                ),
                (
                    22,
                    &[
                        ("Less", 300.0),
                        ("3%", 330.0),
                        ("discount", 350.0),
                        ("£-679.67", 420.0),
                    ],
                ),
                (
                    23,
                    &[
                        ("Tax", 300.0),
                        ("(VAT", 330.0),
                        ("19%)", 360.0),
                        ("289.97", 420.0),
                    ],
                ),
                (
                    24,
                    &[
                        ("Shipping", 300.0),
                        ("&", 350.0),
                        ("Handling", 360.0),
                        ("75", 420.0),
                        ("USD", 440.0),
                    ],
                ),
                (
                    26,
                    &[
                        ("Shipping", 300.0),
                        ("costs", 340.0),
                        ("(excl.", 370.0),
                        ("VAT)", 400.0),
                        ("12.00", 420.0),
                    ],
                ),
                (27, &[("VAT", 300.0), ("0%", 330.0), ("0.00", 420.0)]),
                (
                    25,
                    &[
                        ("Order", 300.0),
                        ("Total", 330.0),
                        ("1", 400.0),
                        ("150.11", 410.0),
                        ("USD", 450.0),
                    ],
                ),
            ],
            Locale::Us,
        );
        assert_eq!(o.subtotal.as_ref().map(|f| f.value), Some(1185.68));
        assert_eq!(
            summary(&o),
            vec![
                (ChargeKind::Discount, None, -35.57),
                (ChargeKind::Discount, Some(3.0), -679.67),
                (ChargeKind::Tax, Some(19.0), 289.97),
                (ChargeKind::Freight, None, 75.0),
                (ChargeKind::Freight, None, 12.0),
                (ChargeKind::Tax, Some(0.0), 0.0),
            ]
        );
    }

    #[test]
    fn identifiers_terms_and_totals_are_not_charges() {
        let o = read(
            &[
                (
                    20,
                    &[("VAT", 300.0), ("No.", 330.0), ("DE123456789", 360.0)],
                ),
                (21, &[("USt-IdNr:", 300.0), ("DE811.12", 360.0)]),
                (22, &[("Total", 300.0), ("1,180.00", 420.0)]),
                (
                    25,
                    &[
                        ("Gesamt", 300.0),
                        ("inkl.", 340.0),
                        ("MwSt", 370.0),
                        ("1.180,00", 420.0),
                    ],
                ),
                (23, &[("Freight", 300.0), ("prepaid", 340.0)]),
                (
                    24,
                    &[
                        ("Shipping", 300.0),
                        ("within", 340.0),
                        ("3", 370.0),
                        ("days", 380.0),
                    ],
                ),
            ],
            Locale::Us,
        );
        assert!(o.charges.is_empty(), "{:?}", summary(&o));
        assert!(o.subtotal.is_none());
    }

    #[test]
    fn a_freight_row_in_the_item_table_is_a_charge_line() {
        let item = LineItem {
            line_no: 1,
            sku: Some(Field::certain("AB-1".into())),
            quantity: Some(Field::certain(2.0)),
            amount: Some(Field::certain(20.0)),
            ..LineItem::default()
        };
        let freight = LineItem {
            line_no: 2,
            description: Some(Field::certain("Versandkosten".into())),
            amount: Some(Field::certain(6.9)),
            ..LineItem::default()
        };
        assert!(!is_charge_line(&item));
        assert!(is_charge_line(&freight));
    }
}
