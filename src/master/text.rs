//! Normalising the text master data is keyed by: product codes, company names, description
//! tokens, currencies and printed units. Pure functions, no state; the rules compare with
//! the same functions (re-exported from `rules::text` and `rules::uom`).

use crate::layout::lexicon::LEGAL_FORMS;
use unicode_normalization::UnicodeNormalization;

/// A product code reduced to what identifies it: upper case, letters and digits only (spaces,
/// dashes, dots, slashes ... dropped), leading zeros of every digit run removed.
/// `"ab-0100.5"` -> `"AB1005"`, `" 000123 "` -> `"123"`.
pub fn normalize_code(s: &str) -> String {
    let kept: Vec<char> = s
        .chars()
        .flat_map(char::to_uppercase)
        .filter(|c| c.is_alphanumeric())
        .collect();
    let mut out = String::with_capacity(kept.len());
    let mut i = 0;
    while i < kept.len() {
        if kept[i].is_ascii_digit() {
            let start = i;
            while i < kept.len() && kept[i].is_ascii_digit() {
                i += 1;
            }
            let run = &kept[start..i];
            let first = run.iter().position(|&c| c != '0').unwrap_or(run.len() - 1);
            out.extend(&run[first..]);
        } else {
            out.push(kept[i]);
            i += 1;
        }
    }
    out
}

/// A company name reduced for comparison: accents removed, lower case, punctuation as
/// spaces, legal-form suffixes (Inc, LLC, GmbH & Co. KG, Ltd ...) and a leading "the"
/// dropped. `"The ACME Tools, Inc."` -> `"acme tools"`.
pub fn normalize_name(s: &str) -> String {
    let folded: String = s
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ß' => 's',
            c if c.is_alphanumeric() || c == '&' => c,
            _ => ' ',
        })
        .collect();
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    // "g m b h" written with dots: "G.m.b.H." -> g m b h; glue single letters back together.
    let mut glued: Vec<String> = Vec::with_capacity(words.len());
    let mut run = String::new();
    for w in words.drain(..) {
        if w.chars().count() == 1 && w != "&" {
            run.push_str(w);
        } else {
            if !run.is_empty() {
                glued.push(std::mem::take(&mut run));
            }
            glued.push(w.to_string());
        }
    }
    if !run.is_empty() {
        glued.push(run);
    }
    while glued.last().is_some_and(|w| {
        LEGAL_FORMS.contains(&w.as_str()) || matches!(w.as_str(), "as" | "and" | "&")
    }) && glued.len() > 1
    {
        glued.pop();
    }
    if glued.len() > 1 && glued[0] == "the" {
        glued.remove(0);
    }
    glued.join(" ")
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// Words too common in product descriptions to say anything.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "for", "with", "of", "in", "to", "x", "per", "w", "mit", "und",
    "fur", "für", "de", "la", "le",
];

/// The words of a description used for similarity: lower case, split at anything that is not
/// a letter or digit, stopwords dropped. Order kept, duplicates kept.
pub fn desc_tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .collect()
}

/// The ISO code for a printed currency: trims, upper-cases and maps a few symbols.
pub fn canonical_currency(s: &str) -> String {
    let t = s.trim();
    match t {
        "$" | "US$" => "USD".to_string(),
        "€" => "EUR".to_string(),
        "£" => "GBP".to_string(),
        "¥" => "JPY".to_string(),
        "CHF" | "Fr." | "SFr." => "CHF".to_string(),
        _ => t.to_uppercase(),
    }
}

/// A printed unit reduced for lookup: trimmed, trailing dots dropped, accents removed, upper
/// case, inner spaces dropped. `"Stück"` -> `"STUCK"`, `"pcs."` -> `"PCS"`, `"Pièce"` ->
/// `"PIECE"`.
pub fn fold_unit(s: &str) -> String {
    s.trim()
        .trim_end_matches('.')
        .nfkd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c) && !c.is_whitespace())
        .map(|c| if c == 'ß' { 'S' } else { c })
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_normalise() {
        for (raw, want) in [
            ("AB-100", "AB100"),
            ("ab 100", "AB100"),
            ("A.B-0100", "AB100"),
            ("000123", "123"),
            ("0", "0"),
            ("AB-000", "AB0"),
            ("X-0-0-7", "X7"),
            ("10-20", "1020"),
            ("AB100", "AB100"),
            ("M8x040", "M8X40"),
            ("  ", ""),
        ] {
            assert_eq!(normalize_code(raw), want, "{raw}");
        }
    }

    #[test]
    fn names_normalise() {
        for (raw, want) in [
            ("ACME Tools, Inc.", "acme tools"),
            ("The Acme Tools LLC", "acme tools"),
            ("Müller GmbH & Co. KG", "muller"),
            ("Müller G.m.b.H.", "muller"),
            ("Smith & Sons Ltd", "smith & sons"),
            ("Co", "co"),
        ] {
            assert_eq!(normalize_name(raw), want, "{raw}");
        }
    }
}
