//! Paragraphs of running text the model need not read: the terms and conditions printed
//! under or behind a purchase order. On real POs they are close to half of all words (41 % of
//! the word pieces of the 36 real-dev documents), the model labels them as no field, and
//! reading them costs as much as reading the order. Their words still reach every other pass
//! (labels, tables, parties); only the model skips them, and they are "no field" to it.
//!
//! A paragraph is two or more running lines one under the other. A running line has eight
//! words or more, a fifth of them small words of a sentence ("the", "of", "and"), and few
//! figures. One such line alone (an instruction over a table, an item's long description)
//! is read as before, and so is an e-mail's body, where items are written as sentences.

use crate::parse::Word;

const SMALL: &[&str] = &[
    // English
    "the", "and", "as", "to", "we", "you", "our", "your", "are", "is", "with", "of", "for", "in",
    "or", "by", "on", "be", "any", "this", "shall", "all", "such", "that", "not", "an", "a", "may",
    "will", "which", "its", "it", "from", "at",
    // German, French, Spanish, Italian, Dutch
    "der", "die", "das", "und", "oder", "von", "mit", "den", "des", "le", "la", "les", "et", "de",
    "du", "des", "el", "los", "y", "del", "il", "di", "che", "het", "en", "van", "een",
];

/// Is this line (its words' texts) running text?
fn running(words: &[&str]) -> bool {
    let alphabetic: Vec<&str> = words
        .iter()
        .copied()
        .filter(|t| t.chars().any(char::is_alphabetic))
        .collect();
    if alphabetic.len() < 8 {
        return false;
    }
    let small = alphabetic
        .iter()
        .filter(|t| {
            let w = t.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase();
            SMALL.contains(&w.as_str())
        })
        .count();
    let figures = words
        .iter()
        .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
        .count();
    small * 5 >= alphabetic.len() && figures * 4 <= words.len()
}

/// For each word of a page (in the page's order), whether it stands in a paragraph of
/// running text.
pub fn paragraph_words(words: &[Word]) -> Vec<bool> {
    // Each line's words by its reading-order id, in order down the page (one pass).
    let mut by_line: std::collections::BTreeMap<u32, Vec<&str>> = Default::default();
    for w in words {
        by_line.entry(w.line).or_default().push(w.text.as_str());
    }
    let ids: Vec<u32> = by_line.keys().copied().collect();
    let is_running: Vec<bool> = by_line.values().map(|t| running(t)).collect();
    let in_paragraph: Vec<bool> = (0..ids.len())
        .map(|k| {
            is_running[k]
                && (k > 0 && is_running[k - 1] || is_running.get(k + 1).copied().unwrap_or(false))
        })
        .collect();
    words
        .iter()
        .map(|w| ids.binary_search(&w.line).is_ok_and(|k| in_paragraph[k]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::BBox;

    fn page(lines: &[&str]) -> Vec<Word> {
        let mut out = Vec::new();
        for (l, text) in lines.iter().enumerate() {
            for (k, t) in text.split_whitespace().enumerate() {
                let x = 10.0 + 40.0 * k as f32;
                let y = 12.0 * l as f32;
                out.push(Word {
                    text: t.to_string(),
                    bbox: BBox {
                        x0: x,
                        y0: y,
                        x1: x + 30.0,
                        y1: y + 8.0,
                    },
                    font_size: 8.0,
                    line: l as u32,
                    block: 0,
                });
            }
        }
        out
    }

    fn flagged(words: &[Word]) -> Vec<&str> {
        words
            .iter()
            .zip(paragraph_words(words))
            .filter(|(_, p)| *p)
            .map(|(w, _)| w.text.as_str())
            .collect()
    }

    #[test]
    fn two_running_lines_are_a_paragraph_and_the_order_around_them_is_not() {
        let w = page(&[
            "PO Number 4512029509 Date 01/27/2021",
            "10 AB-100 Blue widget for the line 5.00 50.00",
            "The seller shall deliver the goods free of all liens and charges of any kind",
            "and the buyer may reject any goods that are not in conformity with this order.",
            "Total 50.00",
        ]);
        let f = flagged(&w);
        assert!(f.contains(&"liens") && f.contains(&"conformity"), "{f:?}");
        assert!(!f.contains(&"4512029509") && !f.contains(&"widget") && !f.contains(&"Total"));
    }

    #[test]
    fn one_running_line_alone_is_read() {
        let w = page(&[
            "Please supply the following items as per the terms of our agreement",
            "10 AB-100 Blue widget 5.00 50.00",
        ]);
        assert!(flagged(&w).is_empty());
    }

    #[test]
    fn lines_of_figures_are_no_running_text() {
        let w = page(&[
            "Qty 10 of item 4711 at 5.00 to the dock 3 on 12/01 by 9 am",
            "Qty 20 of item 4712 at 6.00 to the dock 4 on 12/02 by 10 am",
        ]);
        assert!(flagged(&w).is_empty());
    }
}
