//! The currency of a document that prints none, from the countries its addresses name.
//!
//! Many purchase orders never print a currency: a US buyer writes "$" or nothing, an Indian
//! one "Rs." or nothing. A person reads the country from the addresses ("Camilla, GA 31730",
//! "Toronto - ON - M5W 0E1", "GSTIN", "United Kingdom") and knows the currency. This pass does
//! the same, and only when the document names no currency itself: a printed code or sign is
//! always read first, and a value inferred here carries a low confidence.

use std::sync::LazyLock;

use regex::Regex;

use crate::domain::{Field, Order, SourceSpan};
use crate::layout::lexicon::normalise;
use crate::layout::{Layout, Token};

use super::normalize::currency_code;

/// Confidence of a currency inferred from a country, never from a printed mark.
const INFERRED_CONF: f32 = 0.5;

/// Country names and other words that name one country, normalised, with its currency.
const COUNTRY_WORDS: &[(&str, &str)] = &[
    ("usa", "USD"),
    ("u s a", "USD"),
    ("united states", "USD"),
    ("united states of america", "USD"),
    ("canada", "CAD"),
    ("india", "INR"),
    ("gstin", "INR"),
    ("gst no", "INR"),
    ("united kingdom", "GBP"),
    ("great britain", "GBP"),
    ("england", "GBP"),
    ("scotland", "GBP"),
    ("australia", "AUD"),
    ("new zealand", "NZD"),
    ("switzerland", "CHF"),
    ("schweiz", "CHF"),
    ("suisse", "CHF"),
    ("germany", "EUR"),
    ("deutschland", "EUR"),
    ("france", "EUR"),
    ("frankreich", "EUR"),
    ("italy", "EUR"),
    ("italia", "EUR"),
    ("spain", "EUR"),
    ("espana", "EUR"),
    ("netherlands", "EUR"),
    ("nederland", "EUR"),
    ("belgium", "EUR"),
    ("belgique", "EUR"),
    ("belgie", "EUR"),
    ("austria", "EUR"),
    ("osterreich", "EUR"),
    ("ireland", "EUR"),
    ("portugal", "EUR"),
    ("finland", "EUR"),
    ("poland", "PLN"),
    ("polska", "PLN"),
    ("sweden", "SEK"),
    ("sverige", "SEK"),
    ("denmark", "DKK"),
    ("danmark", "DKK"),
    ("norway", "NOK"),
    ("norge", "NOK"),
    ("mexico", "MXN"),
    ("japan", "JPY"),
    ("china", "CNY"),
    ("united arab emirates", "AED"),
];

/// Indian states and union territories often printed in addresses without the country.
const INDIAN_STATES: &[&str] = &[
    "andhra pradesh",
    "assam",
    "bihar",
    "chhattisgarh",
    "delhi",
    "goa",
    "gujarat",
    "haryana",
    "himachal pradesh",
    "jharkhand",
    "karnataka",
    "kerala",
    "madhya pradesh",
    "maharashtra",
    "odisha",
    "punjab",
    "rajasthan",
    "tamil nadu",
    "telangana",
    "uttar pradesh",
    "uttarakhand",
    "west bengal",
];

/// A US state code before a ZIP code ("GA 31730", "IL, 60403-1234").
static US_ZIP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC),?\s+\d{5}(-\d{4})?\b",
    )
    .unwrap_or_else(|e| unreachable!("constant pattern: {e}"))
});

/// A Canadian postal code ("M5W 0E1").
static CA_POST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[ABCEGHJ-NPRSTVXY]\d[A-Z] ?\d[A-Z]\d\b")
        .unwrap_or_else(|e| unreachable!("constant pattern: {e}"))
});

/// Every currency code or sign printed as a word of its own, counted.
fn printed(tokens: &[Token<'_>]) -> Option<(&'static str, usize)> {
    // (code, how often, the first token printing it)
    let mut counts: Vec<(&'static str, usize, usize)> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let text = t.text.trim_end_matches([',', ';']);
        // A lone "$" is any of a dozen dollars; it counts only when nothing else is printed.
        let code = if text.starts_with('$') || text.ends_with('$') && text.len() > 1 {
            Some("$")
        } else {
            // A sign glued to its amount ("€45.83", "45,83€").
            currency_code(text).or_else(|| {
                let sign = |c: Option<char>| c.filter(|c| matches!(c, '€' | '£' | '₹'));
                sign(text.chars().next())
                    .or(sign(text.chars().last()))
                    .and_then(|c| currency_code(c.encode_utf8(&mut [0; 4])))
            })
        };
        let Some(code) = code else { continue };
        match counts.iter_mut().find(|(c, _, _)| *c == code) {
            Some((_, n, _)) => *n += 1,
            None => counts.push((code, 1, i)),
        }
    }
    let named = counts
        .iter()
        .filter(|(c, _, _)| *c != "$" && *c != "USD")
        .max_by_key(|(_, n, _)| *n)
        .map(|(c, _, i)| (*c, *i));
    named.or_else(|| {
        counts
            .iter()
            .find(|(c, _, _)| *c == "USD")
            .map(|(c, _, i)| (*c, *i))
    })
}

/// The currency of the country the document's addresses name most (the first page's top
/// counts double: the issuer's letterhead).
fn from_countries(tokens: &[Token<'_>], layout: &Layout) -> Option<&'static str> {
    let first = layout.lines.first()?.page;
    let (top, bottom) = layout
        .lines
        .iter()
        .filter(|l| l.page == first)
        .fold((f32::MAX, f32::MIN), |(a, b), l| (a.min(l.y0), b.max(l.y1)));
    let mut votes: Vec<(&'static str, f32)> = Vec::new();
    let mut vote = |code: &'static str, w: f32| match votes.iter_mut().find(|(c, _)| *c == code) {
        Some((_, n)) => *n += w,
        None => votes.push((code, w)),
    };
    for line in &layout.lines {
        let raw: String = line
            .words
            .iter()
            .map(|&i| tokens[i].text)
            .collect::<Vec<_>>()
            .join(" ");
        let w = if line.page == first && line.y1 <= top + 0.35 * (bottom - top) {
            2.0
        } else {
            1.0
        };
        for code in line_votes(&raw) {
            vote(code, w);
        }
    }
    votes
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

/// The currencies of the countries one printed line names.
fn line_votes(raw: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let norm = format!(" {} ", normalise(raw));
    for (word, code) in COUNTRY_WORDS {
        if norm.contains(&format!(" {word} ")) {
            out.push(*code);
        }
    }
    if INDIAN_STATES
        .iter()
        .any(|s| norm.contains(&format!(" {s} ")))
    {
        out.push("INR");
    }
    if US_ZIP.is_match(raw) {
        out.push("USD");
    }
    if CA_POST.is_match(raw) {
        out.push("CAD");
    }
    out
}

/// Whether the country a document's addresses name most writes dates day first (everyone
/// but the US); `None` when no address names a country.
pub fn day_first_country(text: &str) -> Option<bool> {
    let mut us = 0usize;
    let mut other = 0usize;
    for line in text.lines() {
        for code in line_votes(line) {
            if code == "USD" {
                us += 1;
            } else {
                other += 1;
            }
        }
    }
    (us + other > 0).then_some(other > us)
}

/// Fill a missing currency: the code or sign the document prints (its first printing is
/// the value's source), else its country's (printed nowhere: no source).
pub fn apply(tokens: &[Token<'_>], layout: &Layout, order: &mut Order, part: u32) {
    if order.currency.is_some() {
        return;
    }
    let country = from_countries(tokens, layout);
    let source = |i: usize| {
        tokens.get(i).map(|t| SourceSpan {
            part,
            page: t.page,
            bbox: t.bbox,
            text: t.text.to_string(),
        })
    };
    let found = match printed(tokens) {
        // "$" with Canadian addresses is the Canadian dollar.
        Some(("USD", _)) if matches!(country, Some(c) if c.ends_with('D') && c != "USD") => {
            country.map(|c| (c, INFERRED_CONF, None))
        }
        Some((code, i)) => Some((code, 0.7, source(i))),
        None => country.map(|c| (c, INFERRED_CONF, None)),
    };
    if let Some((code, conf, source)) = found {
        order.currency = Some(Field::new(code.to_string(), conf, source));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::testing::tokens;

    fn currency(t: &[Token<'_>]) -> Option<String> {
        let mut o = Order::default();
        apply(t, &Layout::build(t), &mut o, 0);
        o.currency.map(|f| f.value)
    }

    #[test]
    fn an_address_with_a_state_and_zip_says_us_dollars() {
        let t = tokens(&[
            (1, &[("Keystone", 10.0), ("Foods", 70.0)]),
            (2, &[("Camilla,", 10.0), ("GA", 62.0), ("31730", 80.0)]),
            (5, &[("1", 10.0), ("Pallet", 30.0), ("2.68", 200.0)]),
        ]);
        assert_eq!(currency(&t).as_deref(), Some("USD"));
    }

    #[test]
    fn a_dollar_sign_beside_canadian_addresses_is_the_canadian_dollar() {
        let t = tokens(&[
            (
                1,
                &[
                    ("Toronto", 10.0),
                    ("ON", 62.0),
                    ("M5W", 80.0),
                    ("0E1", 104.0),
                ],
            ),
            (2, &[("Canada", 10.0)]),
            (5, &[("Total", 10.0), ("$", 190.0), ("2.68", 200.0)]),
        ]);
        assert_eq!(currency(&t).as_deref(), Some("CAD"));
    }

    #[test]
    fn a_printed_code_wins_over_the_country() {
        let t = tokens(&[
            (
                1,
                &[("Liverpool", 10.0), ("United", 70.0), ("Kingdom", 110.0)],
            ),
            (5, &[("Total", 10.0), ("EUR", 150.0), ("2.68", 200.0)]),
        ]);
        assert_eq!(currency(&t).as_deref(), Some("EUR"));
        // Printed: the code's word is where it was read; a country's currency is printed
        // nowhere.
        let mut o = Order::default();
        apply(&t, &Layout::build(&t), &mut o, 2);
        let src = o.currency.and_then(|c| c.source).expect("a source");
        assert_eq!((src.part, src.text.as_str()), (2, "EUR"));
        let t = tokens(&[(2, &[("Camilla,", 10.0), ("GA", 62.0), ("31730", 80.0)])]);
        let mut o = Order::default();
        apply(&t, &Layout::build(&t), &mut o, 0);
        assert!(o.currency.is_some_and(|c| c.source.is_none()));
    }

    #[test]
    fn nothing_to_go_by_gives_no_currency() {
        let t = tokens(&[(1, &[("Qty", 10.0), ("5", 70.0)])]);
        assert_eq!(currency(&t), None);
    }
}
