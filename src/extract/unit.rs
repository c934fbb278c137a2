//! Units of measure the model missed or saw cut in two.
//!
//! A unit column is narrow: "BOX" printed in a 7 mm cell wraps to "BO" / "X", and the model
//! reads neither half as a unit. And where the model labels the unit of most rows of a table,
//! the few rows it left unlabelled still print theirs in the same column. Both repairs only
//! take free words (no field holds them) on an item's own rows, and a joined unit must be a
//! unit code we know, so a stray letter never becomes part of a unit.

use std::collections::HashSet;

use super::decode::LabeledWord;

/// Unit codes and words seen on purchase orders (compared without case and a trailing dot).
/// Only needed to accept a unit put together from two cut halves or found by its column.
const UNITS: &[&str] = &[
    "ea", "each", "pc", "pcs", "pce", "pces", "piece", "pieces", "st", "stk", "stck", "stück",
    "box", "bx", "bxs", "boxes", "pk", "pak", "pkg", "pack", "packs", "pac", "pck", "pkt", "set",
    "sets", "satz", "pr", "pair", "pairs", "paar", "roll", "rolls", "rol", "rl", "rolle", "m",
    "mtr", "mtrs", "meter", "metre", "metres", "lm", "ft", "yd", "kg", "kgs", "g", "lb", "lbs",
    "t", "l", "ltr", "litre", "liter", "gal", "ml", "cs", "case", "cases", "ctn", "carton",
    "karton", "krt", "doz", "dz", "bag", "bags", "bdl", "bundle", "can", "drum", "drm", "sht",
    "sheet", "tub", "tube", "bot", "btl", "bottle", "unit", "units", "un", "lot", "hr", "hrs", "h",
    "day", "std", "m2", "m²", "m3", "m³", "sqm", "sqft", "yds", "yard", "yards", "nos", "no's",
    "no", "nr", "nrs", "mt", "mts", "ton", "tons", "kit", "kits", "und", "uds", "ud", "pz", "pza",
    "unidad", "stuks", "stuk", "pièce", "pièces", "pezzi", "pezzo", "colis", "doos", "caja",
];

/// Is this a unit code or word we know?
pub(super) fn is_unit(text: &str) -> bool {
    let t = text.trim_end_matches('.').to_lowercase();
    UNITS.contains(&t.as_str())
}

/// Could this word be (part of) a printed unit: letters (and ², ³), at most 6 of them?
fn unit_like(text: &str) -> bool {
    let t = text.trim_end_matches('.');
    !t.is_empty()
        && t.chars().count() <= 6
        && t.chars().all(|c| c.is_alphabetic() || c == '²' || c == '³')
}

/// The free word directly below `idx` in its cell that completes a unit cut in two
/// ("BO" / "X"), if the two together make a known unit.
pub(super) fn cut_rest(
    words: &[LabeledWord<'_>],
    idx: usize,
    used: &HashSet<usize>,
) -> Option<usize> {
    let top = words.get(idx)?;
    if !unit_like(top.text) {
        return None;
    }
    let height = (top.bbox[3] - top.bbox[1]).max(1.0);
    let below: Vec<usize> = (0..words.len())
        .filter(|i| !used.contains(i) && *i != idx)
        .filter(|&i| {
            words.get(i).is_some_and(|w| {
                w.page == top.page
                    && w.line == top.line + 1
                    && w.label == "O"
                    && w.bbox[0] >= top.bbox[0] - 1.0
                    && w.bbox[0] < top.bbox[2]
                    && w.bbox[1] - top.bbox[3] < 0.8 * height
                    && unit_like(w.text)
            })
        })
        .collect();
    let [one] = below.as_slice() else {
        return None;
    };
    let rest = words.get(*one)?;
    is_unit(&format!("{}{}", top.text, rest.text)).then_some(*one)
}

/// A unit the model left unlabelled on an item's rows: a free word inside the column where
/// the model found the units of other items (`columns`: page, x0, x1), that is a known unit
/// by itself or with the rest cut below it. Returns the unit's words.
pub(super) fn by_column(
    words: &[LabeledWord<'_>],
    rows: &HashSet<(u32, u32)>,
    columns: &[(u32, f32, f32)],
    used: &HashSet<usize>,
) -> Option<Vec<usize>> {
    (0..words.len())
        .filter(|i| !used.contains(i))
        .filter_map(|i| words.get(i).map(|w| (i, w)))
        .filter(|(_, w)| w.label == "O" && rows.contains(&(w.page, w.line)))
        .filter(|(_, w)| in_unit_column(w, columns))
        .find_map(|(i, w)| {
            if let Some(rest) = cut_rest(words, i, used) {
                Some(vec![i, rest])
            } else {
                is_unit(w.text).then(|| vec![i])
            }
        })
}

/// Does `w` stand in a column where units were found (`columns`: page, x0, x1)? A table
/// continued on a page where the model found no unit prints it where the earlier pages did.
fn in_unit_column(w: &LabeledWord<'_>, columns: &[(u32, f32, f32)]) -> bool {
    let mid = (w.bbox[0] + w.bbox[2]) / 2.0;
    let on_page = columns.iter().any(|&(p, _, _)| p == w.page);
    columns
        .iter()
        .any(|&(p, x0, x1)| (p == w.page || !on_page) && mid >= x0 - 2.0 && mid <= x1 + 2.0)
}

/// A code the model read that is a unit code we know, one word, standing in the column
/// where the other rows' units were found ("HX-0022 | ROL" with "BX" above it): the row's
/// unit (the caller asks only for an item without one).
pub(super) fn code_in_unit_column(
    words: &[LabeledWord<'_>],
    s: &super::decode::Span,
    columns: &[(u32, f32, f32)],
) -> bool {
    let [only] = s.words[..] else { return false };
    words
        .get(only)
        .is_some_and(|w| is_unit(w.text) && in_unit_column(w, columns))
}

/// The description's word space: the median gap between its consecutive words on one line,
/// when it has at least three such gaps (fewer can be a column gap). A form set with wide
/// word spaces (0.6 text heights) is read by its own measure, not a fixed one.
fn word_space(words: &[LabeledWord<'_>], item: &[super::decode::Span]) -> Option<f32> {
    let desc: HashSet<usize> = item
        .iter()
        .filter(|s| s.field == "description")
        .flat_map(|s| s.words.iter().copied())
        .collect();
    let mut gaps: Vec<f32> = desc
        .iter()
        .filter(|&&i| desc.contains(&(i + 1)))
        .filter_map(|&i| Some((words.get(i)?, words.get(i + 1)?)))
        .filter(|(a, b)| (a.page, a.line) == (b.page, b.line))
        .map(|(a, b)| b.bbox[0] - a.bbox[2])
        .collect();
    if gaps.len() < 3 {
        return None;
    }
    gaps.sort_by(|a, b| a.total_cmp(b));
    gaps.get(gaps.len() / 2).copied()
}

/// Is a gap of `gap` (after a word `height` high) wider than a word space: more than
/// [`COLUMN_GAP`] heights and clearly more than the description's own word space?
fn past_word_space(gap: f32, height: f32, space: Option<f32>) -> bool {
    gap > COLUMN_GAP * height && space.is_none_or(|s| gap > 1.3 * s)
}

/// Is `s` (one word) printed one word space after a description word of `item` on its line?
pub(super) fn follows_description(
    words: &[LabeledWord<'_>],
    item: &[super::decode::Span],
    s: &super::decode::Span,
) -> bool {
    let [only] = s.words[..] else { return false };
    let in_desc = |i: usize| {
        item.iter()
            .any(|d| d.field == "description" && d.words.contains(&i))
    };
    let (Some(w), Some(p)) = (
        words.get(only),
        only.checked_sub(1)
            .filter(|&i| in_desc(i))
            .and_then(|i| words.get(i)),
    ) else {
        return false;
    };
    let height = (w.bbox[3] - w.bbox[1]).max(1.0);
    let gap = w.bbox[0] - p.bbox[2];
    let space =
        word_space(words, item).map_or(0.45 * height, |s| (1.5 * s).clamp(0.45 * height, height));
    (p.page, p.line) == (w.page, w.line) && gap >= -1.0 && gap <= space
}

/// A unit word the model read inside the description's run of words ("Screwdriver set VDE
/// insulated 7 pcs", "A4-80, box of 200"), in a table whose header names no unit column, is
/// the description's: without a unit column a unit prints in the quantity's cell, and a word
/// one word space from a description word on its line is in the description's cell. The
/// word space is the description's own (the median gap between its words on one line).
pub(super) fn inside_description(
    words: &[LabeledWord<'_>],
    item: &[super::decode::Span],
    hints: &[super::decode::HeaderHint],
) -> Vec<super::decode::Span> {
    let desc: HashSet<usize> = item
        .iter()
        .filter(|s| s.field == "description")
        .flat_map(|s| s.words.iter().copied())
        .collect();
    let space = word_space(words, item);
    let spaced = |a: &LabeledWord<'_>, b: &LabeledWord<'_>| {
        let height = (b.bbox[3] - b.bbox[1]).max(1.0);
        let gap = b.bbox[0] - a.bbox[2];
        let word_space = space.map_or(0.45 * height, |s| (1.5 * s).clamp(0.45 * height, height));
        (a.page, a.line) == (b.page, b.line) && gap >= -1.0 && gap <= word_space
    };
    let mut out = item.to_vec();
    for s in out.iter_mut().filter(|s| s.field == "uom") {
        let (Some(&first), Some(&last)) = (s.words.first(), s.words.last()) else {
            continue;
        };
        let Some(w) = words.get(first) else { continue };
        let no_unit_column = super::decode::header_of(hints, w).is_some_and(|h| !h.unit_column);
        let before = first
            .checked_sub(1)
            .filter(|i| desc.contains(i))
            .and_then(|i| words.get(i))
            .is_some_and(|p| spaced(p, w));
        let after = Some(last + 1)
            .filter(|i| desc.contains(i))
            .and_then(|i| Some((words.get(last)?, words.get(i)?)))
            .is_some_and(|(l, n)| spaced(l, n));
        if no_unit_column && (before || after) {
            s.field = "description".to_string();
        }
    }
    out
}

/// "box of 200" in a description: the model may read "box" as a second unit of the item. A
/// one-word unit followed on its line, a word space away, by a description word opens a
/// phrase of the description (the caller asks only when the item has another unit).
pub(super) fn opens_description(words: &[LabeledWord<'_>], s: &super::decode::Span) -> bool {
    let [only] = s.words[..] else { return false };
    let (Some(w), Some(n)) = (words.get(only), words.get(only + 1)) else {
        return false;
    };
    let height = (w.bbox[3] - w.bbox[1]).max(1.0);
    n.page == w.page
        && n.line == w.line
        && n.label.ends_with("-description")
        && n.bbox[0] - w.bbox[2] < 0.6 * height
}

/// A gap wider than this many text heights is no word space: the next column's cell.
const COLUMN_GAP: f32 = 0.55;

/// The model can swap a row's unit and the description's "box" ("... A2-70, | 20 | Box |" with
/// "box of 100" under it): the unit it found opens a description phrase, and a known unit read
/// as description stands right of the row's quantity or price, in a column of its own. The two
/// trade fields.
pub(super) fn swap_with_description(
    words: &[LabeledWord<'_>],
    item: &[super::decode::Span],
) -> Vec<super::decode::Span> {
    let mut out = item.to_vec();
    let units: Vec<usize> = (0..out.len())
        .filter(|&k| out.get(k).is_some_and(|s| s.field == "uom"))
        .collect();
    // The unit to trade, or none at all: then only a unit standing apart on both sides (a
    // cell of its own, not "box" opening "box of 100") is taken.
    let traded = match units[..] {
        [u] if out.get(u).is_some_and(|s| opens_description(words, s)) => Some(u),
        [] => None,
        _ => return out,
    };
    let space = word_space(words, item);
    let gap_after = |i: usize| {
        let (Some(w), Some(n)) = (words.get(i), words.get(i + 1)) else {
            return true;
        };
        let height = (w.bbox[3] - w.bbox[1]).max(1.0);
        (n.page, n.line) != (w.page, w.line)
            || !n.label.ends_with("-description")
            || past_word_space(n.bbox[0] - w.bbox[2], height, space)
    };
    let numeric_lines: Vec<(u32, u32, f32)> = out
        .iter()
        .filter(|s| matches!(s.field.as_str(), "quantity" | "unit_price"))
        .flat_map(|s| s.words.iter().filter_map(|&i| words.get(i)))
        .map(|w| (w.page, w.line, w.bbox[2]))
        .collect();
    // In a column of its own: right of the row's quantity or price, or on the row's line
    // past more than a word space from the description word before it (a "UoM" column
    // printed before "Qty").
    let column_unit = out
        .iter()
        .filter(|s| s.field == "description")
        .flat_map(|s| s.words.iter().copied())
        .find(|&i| {
            words.get(i).is_some_and(|w| {
                let height = (w.bbox[3] - w.bbox[1]).max(1.0);
                let apart = i
                    .checked_sub(1)
                    .and_then(|j| words.get(j))
                    .is_some_and(|p| {
                        (p.page, p.line) == (w.page, w.line)
                            && past_word_space(w.bbox[0] - p.bbox[2], height, space)
                    });
                let own_cell = match traded {
                    Some(_) => true,
                    None => apart && gap_after(i),
                };
                is_unit(w.text)
                    && own_cell
                    && numeric_lines
                        .iter()
                        .any(|&(p, l, x1)| p == w.page && l == w.line && (x1 <= w.bbox[0] || apart))
            })
        });
    let Some(d) = column_unit else { return out };
    for s in out.iter_mut().filter(|s| s.field == "description") {
        s.words.retain(|&i| i != d);
    }
    if let Some(s) = traded.and_then(|u| out.get_mut(u)) {
        s.field = "description".to_string();
    }
    out.push(super::decode::Span::plain("uom", vec![d]));
    out.retain(|s| !s.words.is_empty());
    out
}

/// "First aid kit industrial 50 person": a word the model only half believed to be the unit
/// (p < 0.6), no unit we know, printed a word space after a description word on its line, is
/// the description's last word.
pub(super) fn ends_description(words: &[LabeledWord<'_>], s: &super::decode::Span) -> bool {
    let [only] = s.words[..] else { return false };
    let (Some(w), Some(p)) = (
        words.get(only),
        only.checked_sub(1).and_then(|i| words.get(i)),
    ) else {
        return false;
    };
    let height = (w.bbox[3] - w.bbox[1]).max(1.0);
    w.prob < 0.6
        && !is_unit(w.text)
        && p.page == w.page
        && p.line == w.line
        && p.label.ends_with("-description")
        && w.bbox[0] - p.bbox[2] < 0.6 * height
}

/// "2,33/ea" or "12.00/EA": a price printed per unit names the unit after its slash. The
/// word of the item's price (or amount) that does, and the unit it names.
pub(super) fn after_price<'w>(
    words: &[LabeledWord<'w>],
    item: &[super::decode::Span],
) -> Option<(usize, &'w str)> {
    ["unit_price", "amount"].iter().find_map(|field| {
        item.iter()
            .filter(|s| s.field == *field)
            .flat_map(|s| s.words.iter().copied())
            .find_map(|i| {
                let (number, unit) = words.get(i)?.text.rsplit_once('/')?;
                let unit = unit.trim();
                (number.chars().any(|c| c.is_ascii_digit()) && is_unit(unit)).then_some((i, unit))
            })
    })
}

/// "50 | PC | Countersunk screw ...": a unit column printed just before the description, its
/// cell read as the description's first word. An item with no unit whose description opens
/// with a known unit standing more than a word space from the next description word on its
/// line takes that word as its unit.
pub(super) fn column_before_description(
    words: &[LabeledWord<'_>],
    item: &[super::decode::Span],
) -> Vec<super::decode::Span> {
    let mut out = item.to_vec();
    if out.iter().any(|s| s.field == "uom") {
        return out;
    }
    let Some(first) = out
        .iter()
        .filter(|s| s.field == "description")
        .flat_map(|s| s.words.iter().copied())
        .min()
    else {
        return out;
    };
    let (Some(w), Some(n)) = (words.get(first), words.get(first + 1)) else {
        return out;
    };
    let height = (w.bbox[3] - w.bbox[1]).max(1.0);
    let apart = (n.page, n.line) == (w.page, w.line)
        && n.label.ends_with("-description")
        && past_word_space(n.bbox[0] - w.bbox[2], height, word_space(words, &out));
    if !(apart && is_unit(w.text)) {
        return out;
    }
    for s in out.iter_mut() {
        s.words.retain(|&i| i != first);
    }
    out.retain(|s| !s.words.is_empty());
    out.push(super::decode::Span::plain("uom", vec![first]));
    out
}

/// "6ES7748-1" / "BX20": the rest of a code wrapped in its narrow cell, read as a unit. A
/// one-word "unit" we do not know, printed on the line under the item's code and inside its
/// column, is the code's rest.
pub(super) fn code_rest_read_as_unit(
    words: &[LabeledWord<'_>],
    item: &[super::decode::Span],
) -> Vec<super::decode::Span> {
    let mut out = item.to_vec();
    let rests: Vec<(usize, usize)> = out
        .iter()
        .enumerate()
        .filter(|(_, s)| s.field == "uom")
        .filter_map(|(k, s)| {
            let [only] = s.words[..] else { return None };
            let w = words.get(only)?;
            if is_unit(w.text) || !w.text.chars().any(|c| c.is_ascii_digit()) {
                return None;
            }
            let code = out.iter().position(|c| {
                matches!(c.field.as_str(), "sku" | "customer_part")
                    && c.words.last().and_then(|&i| words.get(i)).is_some_and(|c| {
                        c.page == w.page
                            && c.line + 1 == w.line
                            && w.bbox[0] >= c.bbox[0] - 1.0
                            && w.bbox[0] < c.bbox[2]
                    })
            })?;
            Some((k, code))
        })
        .collect();
    for &(k, code) in &rests {
        let moved = out.get_mut(k).map(|s| std::mem::take(&mut s.words));
        if let (Some(moved), Some(c)) = (moved, out.get_mut(code)) {
            c.words.extend(moved);
        }
    }
    out.retain(|s| !s.words.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(text: &'a str, line: u32, x: f32, label: &'a str) -> LabeledWord<'a> {
        crate::extract::testing::word(text, line, x, 12.0, label)
    }

    #[test]
    fn a_unit_cut_in_its_cell_is_joined_only_into_a_known_unit() {
        let words = vec![
            at("BO", 1, 100.0, "B-uom"),
            at("X", 2, 102.0, "O"),
            at("EA", 3, 100.0, "B-uom"),
            at("X", 4, 102.0, "O"),
        ];
        let used = HashSet::from([0, 2]);
        assert_eq!(cut_rest(&words, 0, &used), Some(1));
        assert_eq!(cut_rest(&words, 2, &used), None, "EAX is no unit");
    }

    #[test]
    fn a_missed_unit_is_found_in_the_unit_column_of_the_other_items() {
        let words = vec![
            at("20", 1, 50.0, "O"),
            at("PCS", 1, 100.0, "O"),
            at("Kg", 1, 300.0, "O"),
        ];
        let rows = HashSet::from([(1, 1)]);
        let columns = [(1, 98.0, 115.0)];
        assert_eq!(
            by_column(&words, &rows, &columns, &HashSet::new()),
            Some(vec![1])
        );
        let elsewhere = [(1, 400.0, 420.0)];
        assert_eq!(by_column(&words, &rows, &elsewhere, &HashSet::new()), None);
    }

    #[test]
    fn a_page_without_units_found_takes_the_unit_column_of_the_earlier_pages() {
        let mut page2 = at("BOX", 1, 100.0, "O");
        page2.page = 2;
        let words = vec![page2];
        let rows = HashSet::from([(2, 1)]);
        let page1 = [(1, 98.0, 115.0)];
        assert_eq!(
            by_column(&words, &rows, &page1, &HashSet::new()),
            Some(vec![0])
        );
        // A page with units of its own keeps to its own columns.
        let both = [(1, 98.0, 115.0), (2, 300.0, 320.0)];
        assert_eq!(by_column(&words, &rows, &both, &HashSet::new()), None);
    }

    #[test]
    fn a_half_believed_word_after_the_description_that_is_no_unit_ends_it() {
        let weak = |t: &'static str, line: u32, x: f32, label: &'static str| LabeledWord {
            prob: 0.5,
            ..at(t, line, x, label)
        };
        let span = |i: usize| super::super::decode::Span::plain("uom", vec![i]);
        let words = vec![
            at("50", 1, 100.0, "I-description"),
            weak("person", 1, 113.0, "B-uom"),
            at("kit", 2, 100.0, "I-description"),
            weak("pcs", 2, 113.0, "B-uom"),
            at("kit", 3, 100.0, "I-description"),
            at("person", 3, 113.0, "B-uom"),
        ];
        assert!(ends_description(&words, &span(1)));
        assert!(!ends_description(&words, &span(3)), "a known unit stays");
        assert!(!ends_description(&words, &span(5)), "a sure unit stays");
    }
}
