//! Items written as running text in an email: "please send 10 x AB-100 blue widgets and 5
//! cases of CD-200", "AB-100 qty 10", "Art.-Nr. FST-M6-20: 100 Stk", "réf. CD-200 : 5 cartons".
//!
//! Why a reader of its own: the model was trained on printed forms, where an item is a row of
//! cells; in a sentence the quantity, the code and the description stand side by side in
//! reading order, and the words around them ("of", "de", "x", a unit) say which is which. Two
//! shapes cover what people write, in the six languages we read:
//! - quantity first: `QTY [x] [UNIT] [of] CODE [description] [at PRICE]`;
//! - code first: `[label] CODE [description] (qty | : | x) QTY [UNIT] [at PRICE]`.
//!
//! A code is a word with a digit and a letter or separator (or five digits and more, where the
//! shape says a code stands there); a quantity is a plain number. Only the email body is read
//! this way, and only when no item table was found in it (see `ModelExtractor::extract_doc`).

use super::normalize::{parse_number, Locale};
use super::unit;
use crate::domain::{Field, LineItem, SourceSpan};
use crate::parse::ParsedDocument;

/// Units people write in running text besides the codes printed forms use.
const WORD_UNITS: &[&str] = &[
    "stück",
    "karton",
    "kartons",
    "rollen",
    "packung",
    "packungen",
    "ve",
    "dose",
    "dosen",
    "boîte",
    "boîtes",
    "boite",
    "boites",
    "rouleau",
    "rouleaux",
    "unité",
    "unités",
    "unite",
    "unites",
    "cartons",
    "dozen",
    "pakken",
    "unidades",
    "cajas",
    "rollo",
    "rollos",
    "pzas",
    "scatola",
    "scatole",
    "conf",
    "confezione",
    "confezioni",
    "rotolo",
    "rotoli",
    "cartone",
    "cartoni",
    "pallets",
    "pallet",
    "paletten",
    "palette",
    "palettes",
    "bottles",
    "tubes",
];

/// Words that say "the quantity follows" after a code.
const QTY_LABELS: &[&str] = &[
    "qty",
    "quantity",
    "menge",
    "anzahl",
    "stückzahl",
    "qte",
    "qté",
    "quantité",
    "quantite",
    "aantal",
    "cant",
    "cantidad",
    "qta",
    "q.tà",
    "qtà",
    "quantità",
    "quantita",
];

/// Words that join a quantity or unit to the code: "5 cases of CD-200".
const CONNECTORS: &[&str] = &["of", "de", "d'", "di", "van", "von", "du", "des", "del"];

/// Words that end a description: a price follows, or the next item.
const STOPS: &[&str] = &[
    "at", "à", "a", "zu", "je", "@", "per", "each", "and", "und", "et", "en", "y", "e", "plus",
    "sowie", "ainsi",
];

/// Labels written before a code ("Art.-Nr. AB-100", "réf. CD-200").
const CODE_LABELS: &[&str] = &[
    "art.-nr.",
    "art.nr.",
    "artikel",
    "artikelnr.",
    "item",
    "sku",
    "part",
    "ref.",
    "réf.",
    "ref",
    "réf",
    "cod.",
    "codice",
    "code",
    "código",
    "referencia",
    "référence",
    "artnr.",
    "nr.",
    "no.",
    "#",
];

/// Lines that are contact details, not items.
const CONTACT: &[&str] = &[
    "tel",
    "tel.",
    "phone",
    "fax",
    "mobile",
    "mob",
    "mob.",
    "telefon",
    "tél",
    "tél.",
    "tfno",
    "tlf",
    "cell",
    "handy",
    "telefono",
    "teléfono",
    "telefoon",
];

const CURRENCIES: &[&str] = &["eur", "usd", "gbp", "chf", "€", "$", "£"];

fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// Punctuation around a word that is no part of it.
fn bare(s: &str) -> &str {
    s.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '"' | '“' | '”' | '«' | '»'))
        .trim_end_matches(['.', ':', '!', '?'])
}

fn is_unit_word(s: &str) -> bool {
    let l = lower(bare(s));
    unit::is_unit(&l) || WORD_UNITS.contains(&l.as_str())
}

fn is_times(s: &str) -> bool {
    matches!(bare(s), "x" | "X" | "×" | "*")
}

/// A plain quantity: digits with at most one decimal separator ("10", "2,5", "1.000").
fn quantity(s: &str, locale: Locale) -> Option<f64> {
    let t = bare(s);
    if t.is_empty()
        || t.len() > 9
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    if !t.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    parse_number(t, locale).filter(|v| *v > 0.0)
}

/// "10x" / "x10": a quantity glued to its times sign.
fn glued_times(s: &str, locale: Locale) -> Option<f64> {
    let t = bare(s);
    let q = t
        .strip_suffix(['x', 'X', '×'])
        .or_else(|| t.strip_prefix(['x', 'X', '×']))?;
    quantity(q, locale)
}

/// Could this word be an item code? `loose` also takes five digits and more (where the
/// sentence says a code stands there).
fn code(s: &str, loose: bool) -> Option<String> {
    let t = bare(s);
    if t.len() < 3 || t.len() > 30 || t.contains('@') || t.starts_with('+') {
        return None;
    }
    if !t
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '/' | '_'))
    {
        return None;
    }
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    let seps = t
        .chars()
        .filter(|c| matches!(c, '-' | '.' | '/' | '_'))
        .count();
    // Where the sentence says a code stands, a code without digits is one too when it is
    // written as codes are: capitals joined by dashes ("GL-NIT-L", "PLT-EUR").
    let capital_code = loose
        && t.len() >= 4
        && t.contains('-')
        && t.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    if (digits == 0 && !capital_code) || is_unit_word(t) {
        return None;
    }
    // A date, a decimal number or a price is no code.
    let numeric_only = letters == 0;
    if numeric_only {
        let groups: Vec<&str> = t.split(['-', '.', '/']).collect();
        let date_like = groups.len() == 3 && groups.iter().all(|g| g.len() <= 4);
        let decimal = groups.len() == 2 && groups.get(1).is_some_and(|g| g.len() <= 2);
        if date_like || decimal || (seps == 0 && !(loose && digits >= 5)) {
            return None;
        }
    }
    Some(t.to_string())
}

fn price(words: &[&str], locale: Locale) -> Option<(f64, usize)> {
    // "4.50 EUR", "4,50 €", "€4.50", "EUR 4.50", "4.50€" within the next three words.
    for i in 0..words.len().min(4) {
        let w = words.get(i)?;
        let t = bare(w);
        let l = lower(t);
        let sym_glued = CURRENCIES
            .iter()
            .any(|c| l.starts_with(c) || l.ends_with(c))
            && t.chars().any(|c| c.is_ascii_digit());
        if sym_glued {
            return parse_number(t, locale).map(|v| (v, i + 1));
        }
        if CURRENCIES.contains(&l.as_str()) {
            if let Some(v) = words.get(i + 1).and_then(|n| money(n, locale)) {
                return Some((v, i + 2));
            }
            if let Some(v) = i
                .checked_sub(1)
                .and_then(|p| words.get(p))
                .and_then(|n| money(n, locale))
            {
                return Some((v, i + 1));
            }
        }
    }
    None
}

fn money(s: &str, locale: Locale) -> Option<f64> {
    let t = bare(s);
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ' '))
    {
        return None;
    }
    parse_number(t, locale)
}

/// Does an item start at word `i` (quantity-first shape)? Returns (quantity, unit, index of
/// the code).
fn qty_first(words: &[&str], i: usize, locale: Locale) -> Option<(f64, Option<String>, usize)> {
    let w = words.get(i)?;
    let (q, mut k, mut marked) = match glued_times(w, locale) {
        Some(q) => (q, i + 1, true),
        None => (quantity(w, locale)?, i + 1, false),
    };
    if words.get(k).is_some_and(|w| is_times(w)) {
        k += 1;
        marked = true;
    }
    let mut uom = None;
    if let Some(u) = words.get(k).filter(|w| is_unit_word(w)) {
        uom = Some(bare(u).to_string());
        k += 1;
        marked = true;
        if words.get(k).is_some_and(|w| is_times(w)) {
            k += 1;
        }
    }
    if words
        .get(k)
        .is_some_and(|w| CONNECTORS.contains(&lower(w).as_str()))
    {
        k += 1;
        marked = true;
    }
    // A label between ("10 x Art.-Nr. AB-100").
    if words
        .get(k)
        .is_some_and(|w| CODE_LABELS.contains(&lower(w).as_str()))
    {
        k += 1;
    }
    let c = code(words.get(k)?, marked)?;
    // Unmarked ("10 AB-100") only at the start of the line, and the code must have a letter.
    if !marked && (i != 0 || !c.chars().any(char::is_alphabetic)) {
        return None;
    }
    Some((q, uom, k))
}

/// Is the word a stop (a price or the next item comes)?
fn stop_at(words: &[&str], i: usize, locale: Locale) -> bool {
    let Some(w) = words.get(i) else {
        return true;
    };
    STOPS.contains(&lower(w).as_str())
        || qty_first(words, i, locale).is_some()
        || price(std::slice::from_ref(w), locale).is_some()
}

/// The description words from `from` on, up to a stop; returns it and where it ended.
fn description(words: &[&str], from: usize, locale: Locale) -> (Option<String>, usize) {
    let Some(first) = words.get(from) else {
        return (None, from);
    };
    // "(blue widget)": the parenthesis is the description.
    if first.starts_with('(') {
        let mut out = Vec::new();
        let mut k = from;
        while let Some(w) = words.get(k) {
            out.push(*w);
            k += 1;
            if w.ends_with(')') || w.ends_with("),") || w.ends_with(").") {
                break;
            }
        }
        let text = out.join(" ");
        let text = text.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '.' | ' '));
        return ((!text.is_empty()).then(|| text.to_string()), k);
    }
    let mut k = from;
    if words.get(k).is_some_and(|w| matches!(*w, "-" | "–" | ":")) {
        k += 1;
    }
    let start = k;
    while k < words.len() && !stop_at(words, k, locale) {
        k += 1;
        // A word ending in ',' or ';' closes the description.
        if words
            .get(k - 1)
            .is_some_and(|w| w.ends_with(',') || w.ends_with(';'))
        {
            break;
        }
    }
    let text = words.get(start..k).unwrap_or_default().join(" ");
    let text = text.trim_end_matches([',', ';', '.', ':', '-', ' ']).trim();
    ((!text.is_empty()).then(|| text.to_string()), k)
}

/// A price after an item: "at 4.50 EUR each", "zu je 4,50 €", "à 4,50 € pièce".
fn price_after(words: &[&str], from: usize, locale: Locale) -> Option<f64> {
    let mut k = from;
    while words.get(k).is_some_and(|w| {
        matches!(
            lower(w).as_str(),
            "at" | "à" | "a" | "zu" | "je" | "@" | "per"
        )
    }) {
        k += 1;
    }
    price(words.get(k..)?, locale).map(|(v, _)| v)
}

/// One item found in a line: (item, index after it).
fn item_at(words: &[&str], i: usize, locale: Locale) -> Option<(LineItem, usize)> {
    if let Some((q, uom, ci)) = qty_first(words, i, locale) {
        let sku = code(words.get(ci)?, true)?;
        let (desc, end) = description(words, ci + 1, locale);
        let price = price_after(words, end, locale);
        return Some((line(sku, desc, q, uom, price), end.max(ci + 1)));
    }
    // Code first: at the start of the line (after a label), or inside a sentence when a
    // quantity word or times sign follows ("Also CHN-08B qty 4"), never a bare colon there.
    let mut ci = i;
    let inside = i != 0
        && !words
            .get(i - 1)
            .is_some_and(|w| CODE_LABELS.contains(&lower(w).as_str()));
    if inside && quantity(words.get(i - 1)?, locale).is_some() {
        return None;
    }
    while words
        .get(ci)
        .is_some_and(|w| CODE_LABELS.contains(&lower(w).as_str()))
    {
        ci += 1;
    }
    let sku = code(words.get(ci)?, true)?;
    // The quantity marker: a label, a colon or a times sign, then the number.
    let mut k = ci + 1;
    let glued_colon = words.get(ci).is_some_and(|w| w.ends_with(':'));
    while k < words.len() && k <= ci + 12 {
        let w = words.get(k)?;
        let l = lower(bare(w));
        let marker = QTY_LABELS.contains(&l.as_str()) || is_times(w) || *w == ":";
        let after_colon = (glued_colon && k == ci + 1)
            || words
                .get(k - 1)
                .is_some_and(|p| p.ends_with(':') && k - 1 > ci);
        let (qi, q) = if marker {
            (k + 1, words.get(k + 1).and_then(|n| quantity(n, locale)))
        } else if after_colon && !inside {
            (k, quantity(w, locale))
        } else {
            (k, None)
        };
        if let Some(q) = q {
            let desc_words = words.get(ci + 1..k).unwrap_or_default();
            let desc = desc_words
                .join(" ")
                .trim_matches(|c: char| matches!(c, '-' | '–' | ':' | ' ' | ','))
                .to_string();
            let mut end = qi + 1;
            let uom = words.get(end).filter(|w| is_unit_word(w)).map(|u| {
                end += 1;
                bare(u).to_string()
            });
            let price = price_after(words, end, locale);
            let desc = (!desc.is_empty()).then_some(desc);
            return Some((line(sku, desc, q, uom, price), end));
        }
        k += 1;
    }
    None
}

fn line(
    sku: String,
    desc: Option<String>,
    q: f64,
    uom: Option<String>,
    price: Option<f64>,
) -> LineItem {
    const SURE: f32 = 0.85;
    LineItem {
        sku: Some(Field::new(sku, SURE, None)),
        description: desc.map(|d| Field::new(d, 0.75, None)),
        quantity: Some(Field::new(q, SURE, None)),
        uom: uom.map(|u| Field::new(u, 0.8, None)),
        unit_price: price.map(|p| Field::new(p, 0.8, None)),
        ..LineItem::default()
    }
}

/// Bullets and numbering before an item ("- ", "* ", "• ", "1. ", "2)").
fn skip_bullet(words: &[&str]) -> usize {
    match words.first() {
        Some(w) if matches!(*w, "-" | "*" | "•" | "–" | "·") => 1,
        Some(w)
            if words.len() > 2
                && w.len() <= 3
                && (w.ends_with('.') || w.ends_with(')'))
                && w.trim_end_matches(['.', ')'])
                    .chars()
                    .all(|c| c.is_ascii_digit())
                && !w.trim_end_matches(['.', ')']).is_empty() =>
        {
            1
        }
        _ => 0,
    }
}

/// Every item written as text in `doc`, line by line, with the line's words as its source.
pub fn items(doc: &ParsedDocument, part: u32, locale: Locale) -> Vec<LineItem> {
    let mut out = Vec::new();
    for page in &doc.pages {
        let mut start = 0;
        while start < page.words.len() {
            let line_id = page.words.get(start).map(|w| w.line);
            let end = page.words[start..]
                .iter()
                .position(|w| Some(w.line) != line_id)
                .map_or(page.words.len(), |p| start + p);
            let ws = &page.words[start..end];
            start = end;
            let texts: Vec<&str> = ws.iter().map(|w| w.text.as_str()).collect();
            if texts
                .first()
                .is_some_and(|w| CONTACT.contains(&lower(bare(w)).as_str()))
            {
                continue;
            }
            let b = skip_bullet(&texts);
            let words = texts.get(b..).unwrap_or_default();
            let mut i = 0;
            while i < words.len() {
                match item_at(words, i, locale) {
                    Some((mut item, next)) => {
                        let span = ws.get(b + i..(b + next).min(ws.len())).unwrap_or_default();
                        if let (Some(f), Some(l)) = (span.first(), span.last()) {
                            let source = SourceSpan {
                                part,
                                page: page.number,
                                bbox: [f.bbox.x0, f.bbox.y0, l.bbox.x1, l.bbox.y1],
                                text: texts
                                    .get(b + i..(b + next).min(texts.len()))
                                    .unwrap_or_default()
                                    .join(" "),
                            };
                            if let Some(s) = item.sku.as_mut() {
                                s.source = Some(source);
                            }
                        }
                        item.line_no = out.len() as u32 + 1;
                        out.push(item);
                        i = next.max(i + 1);
                    }
                    None => i += 1,
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text_to_doc;

    /// sku, quantity, unit, description, unit price.
    type Read = (String, f64, Option<String>, Option<String>, Option<f64>);

    fn read(text: &str, locale: Locale) -> Vec<Read> {
        items(&text_to_doc(text), 0, locale)
            .into_iter()
            .map(|l| {
                (
                    l.sku.map(|f| f.value).unwrap_or_default(),
                    l.quantity.map(|f| f.value).unwrap_or_default(),
                    l.uom.map(|f| f.value),
                    l.description.map(|f| f.value),
                    l.unit_price.map(|f| f.value),
                )
            })
            .collect()
    }

    #[test]
    fn a_sentence_with_two_items() {
        assert_eq!(
            read(
                "Hi,\nplease send 10 x AB-100 blue widgets and 5 cases of CD-200.\nThanks, Tel. +49 123 4567 89",
                Locale::Us
            ),
            vec![
                ("AB-100".into(), 10.0, None, Some("blue widgets".into()), None),
                ("CD-200".into(), 5.0, Some("cases".into()), None, None),
            ]
        );
    }

    #[test]
    fn code_first_shapes_in_several_languages() {
        let got = read(
            "AB-100 qty 10\n- Art.-Nr. FST-M6-20: 100 Stk\nréf. CD-200 : 5 cartons\nBRG-6205 - Ball bearing 6205 2RS: 4 pcs\nSPK-14 x 12",
            Locale::De,
        );
        assert_eq!(
            got,
            vec![
                ("AB-100".into(), 10.0, None, None, None),
                ("FST-M6-20".into(), 100.0, Some("Stk".into()), None, None),
                ("CD-200".into(), 5.0, Some("cartons".into()), None, None),
                (
                    "BRG-6205".into(),
                    4.0,
                    Some("pcs".into()),
                    Some("Ball bearing 6205 2RS".into()),
                    None
                ),
                ("SPK-14".into(), 12.0, None, None, None),
            ]
        );
    }

    #[test]
    fn a_code_inside_a_sentence_needs_a_quantity_word() {
        assert_eq!(
            read("Also CHN-08B qty 4 at 12.50 USD each.", Locale::Us),
            vec![("CHN-08B".into(), 4.0, None, None, Some(12.5))]
        );
        assert!(read("We met AB-100: 5 times", Locale::Us).is_empty());
    }

    #[test]
    fn a_code_of_capitals_where_the_sentence_puts_a_code() {
        assert_eq!(
            read("- 3 cartons de GL-NIT-L\nWe use CO-OP rules", Locale::De),
            vec![("GL-NIT-L".into(), 3.0, Some("cartons".into()), None, None)]
        );
    }

    #[test]
    fn prices_in_running_text() {
        let short = |r: &Read| (r.0.clone(), r.3.clone(), r.4);
        let de = read("2 Stk 7730-114 Schutzbrille zu je 4,50 €", Locale::De);
        assert_eq!(
            de.iter().map(short).collect::<Vec<_>>(),
            vec![("7730-114".into(), Some("Schutzbrille".into()), Some(4.5))]
        );
        let us = read("3 x KX900 (Cordless drill) at USD 129.00 each", Locale::Us);
        assert_eq!(
            us.iter().map(short).collect::<Vec<_>>(),
            vec![("KX900".into(), Some("Cordless drill".into()), Some(129.0))]
        );
    }

    #[test]
    fn addresses_dates_and_order_numbers_are_no_items() {
        let text = "PO number: 4500123456\nDatum: 12.03.2024\nIndustriestr. 12\n50667 Köln\nTotal: 1.234,50 EUR\nTel. +31 20 555 1234";
        assert!(read(text, Locale::De).is_empty());
    }
}
