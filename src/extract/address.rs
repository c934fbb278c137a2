//! Delivery addresses printed under a heading ("Ship To", "Deliver to:", "Lieferanschrift").
//!
//! The model finds where the delivery address is, but with two similar blocks side by side
//! (bill-to and ship-to of the same company) it mixes words of both and often stops after a
//! line or two. People read such a page by its headings, and so does this: the block under a
//! ship-to heading that holds the model's ship-to words is the address, whole.

use super::decode::LabeledWord;

/// Headings of a delivery address, lower case, without a trailing colon.
const SHIP_HEADINGS: &[&[&str]] = &[
    &["ship", "to"],
    &["ship-to"],
    &["ship-to", "address"],
    &["ship", "to", "address"],
    &["shipping", "address"],
    &["deliver", "to"],
    &["please", "deliver", "to"],
    &["delivery", "address"],
    &["delivery", "to"],
    &["delivery", "location"],
    &["consignee"],
    &["lieferanschrift"],
    &["lieferadresse"],
    &["anlieferadresse"],
    &["warenempfänger"],
    &["adresse", "de", "livraison"],
    &["livrer", "à"],
    &["deliver-to"],
    &["ship", "to", "location"],
    &["ship-to", "location"],
    &["ship-to", "party"],
    &["ship", "to", "party"],
    &["shipping", "to"],
    &["delivery", "point"],
    &["place", "of", "delivery"],
    &["destination", "address"],
    &["goods", "recipient"],
    &["lieferort"],
];

/// A line starting with one of these is the next block or a contact line, not the address.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "tel", "phone", "fax", "e-mail", "email", "mobile", "vendor", "supplier", "bill", "invoice",
    "sold", "payment", "terms", "order", "ship", "deliver", "buyer", "contact", "lieferant",
    "rechnung", "telefon", "page", "date", "po", "p.o", "thanks", "thank", "regards", "best",
    "kind", "cheers", "sincerely", "many", "mit", "viele", "freundliche", "note", "notes",
];

fn norm(t: &str) -> String {
    t.to_lowercase()
        .trim_end_matches([':', '.', ','])
        .to_string()
}

fn height(w: &LabeledWord<'_>) -> f32 {
    (w.bbox[3] - w.bbox[1]).max(1.0)
}

fn is_ship_to(label: &str) -> bool {
    label.ends_with("-ship_to")
}

/// A heading found at `start`, `len` words long.
struct Heading {
    start: usize,
    len: usize,
}

/// The length of the longest ship-to heading starting at word `i`, its words in sequence on
/// one line. `normed` holds every word's [`norm`], computed once.
fn heading_at(words: &[LabeledWord<'_>], normed: &[String], i: usize) -> Option<usize> {
    let first = words.get(i)?;
    SHIP_HEADINGS
        .iter()
        .filter(|h| {
            h.iter().enumerate().all(|(k, t)| {
                words
                    .get(i + k)
                    .is_some_and(|w| w.page == first.page && w.line == first.line)
                    && normed.get(i + k).is_some_and(|n| n == t)
            })
        })
        .map(|h| h.len())
        .max()
}

/// Ship-to headings: first in their cell (nothing close before them on the line).
fn headings(words: &[LabeledWord<'_>], normed: &[String]) -> Vec<Heading> {
    let mut out = Vec::new();
    for (i, first) in words.iter().enumerate() {
        let Some(len) = heading_at(words, normed, i) else {
            continue;
        };
        let before = i
            .checked_sub(1)
            .and_then(|p| words.get(p))
            .filter(|p| p.page == first.page && p.line == first.line);
        if before.is_some_and(|p| first.bbox[0] - p.bbox[2] < 2.0 * height(first)) {
            continue;
        }
        out.push(Heading { start: i, len });
    }
    out
}

/// The block of lines under (or after) a heading: words starting in the heading's column,
/// line after line while they follow closely, up to the next block or a contact line.
fn block_under(words: &[LabeledWord<'_>], normed: &[String], h: &Heading) -> Vec<usize> {
    let (Some(first), Some(last)) = (words.get(h.start), words.get(h.start + h.len - 1)) else {
        return vec![];
    };
    let hh = height(first);
    let mid = |w: &LabeledWord<'_>| (w.bbox[1] + w.bbox[3]) / 2.0;
    let same_row =
        |w: &LabeledWord<'_>| w.page == first.page && (mid(w) - mid(first)).abs() < 0.5 * hh;
    // What follows the heading on its own row: an inline value ("Ship to: Acme, ...") or the
    // next column's heading, which bounds this block on the right.
    let mut right_of: Vec<(usize, &LabeledWord<'_>)> = words
        .iter()
        .enumerate()
        .filter(|(i, w)| *i >= h.start + h.len && same_row(w) && w.bbox[0] >= last.bbox[2] - 0.5)
        .collect();
    right_of.sort_by(|a, b| a.1.bbox[0].total_cmp(&b.1.bbox[0]));
    // A value right after the heading ("Ship To: Acme", "SHIP TO  Acme") is inline; the next
    // column's heading sits further away.
    let inline = right_of.first().is_some_and(|(_, w)| {
        let gap = w.bbox[0] - last.bbox[2];
        gap < 2.0 * hh || (last.text.ends_with(':') && gap < 4.0 * hh)
    });
    let x_left = first.bbox[0] - 1.0 * hh;
    let x_right = if inline {
        f32::MAX
    } else {
        right_of
            .first()
            .map_or(f32::MAX, |(_, w)| w.bbox[0] - 0.5 * hh)
    };
    // Candidate rows below the heading (and the inline rest of its own row), in y order.
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut cand: Vec<usize> = (0..words.len())
        .filter(|&i| {
            words.get(i).is_some_and(|w| {
                let below = w.page == first.page && w.bbox[1] > first.bbox[3] - 0.3 * hh;
                let own_row = inline && i >= h.start + h.len && same_row(w);
                (below || own_row) && w.bbox[0] >= x_left && w.bbox[0] < x_right
            })
        })
        .collect();
    cand.sort_by(|&a, &b| {
        let ka = words.get(a).map_or((0.0, 0.0), |w| (mid(w), w.bbox[0]));
        let kb = words.get(b).map_or((0.0, 0.0), |w| (mid(w), w.bbox[0]));
        ka.partial_cmp(&kb).unwrap_or(std::cmp::Ordering::Equal)
    });
    for i in cand {
        let Some(w) = words.get(i) else { continue };
        match rows.last_mut() {
            Some(row)
                if row
                    .first()
                    .and_then(|&j| words.get(j))
                    .is_some_and(|r| (mid(r) - mid(w)).abs() < 0.5 * hh) =>
            {
                row.push(i)
            }
            _ => rows.push(vec![i]),
        }
    }
    let mut out = Vec::new();
    let mut prev_bottom = first.bbox[3];
    for (n, row) in rows.into_iter().enumerate() {
        let mut row = row;
        row.sort_by(|&a, &b| {
            let xa = words.get(a).map_or(0.0, |w| w.bbox[0]);
            let xb = words.get(b).map_or(0.0, |w| w.bbox[0]);
            xa.total_cmp(&xb)
        });
        // Only the run that starts the row: a wide gap leads into another column.
        let mut run: Vec<usize> = Vec::new();
        for &i in &row {
            let Some(w) = words.get(i) else { continue };
            if let Some(p) = run.last().and_then(|&j| words.get(j)) {
                if w.bbox[0] - p.bbox[2] > 2.5 * hh {
                    break;
                }
            }
            run.push(i);
        }
        let Some(lead) = run.first().and_then(|&i| words.get(i)) else {
            continue;
        };
        let gap = lead.bbox[1] - prev_bottom;
        // A blank line (a full line height in plain text) ends the block.
        let allowed = if n == 0 { 1.5 * hh } else { 0.8 * hh };
        let stop_word = normed
            .get(run[0])
            .is_some_and(|n| STOP_WORDS.contains(&n.as_str()));
        // Another field's value ends the block; the buyer's name is often the first line of
        // its own delivery address, so a buyer label does not.
        let other_label = run.iter().any(|&i| {
            words.get(i).is_some_and(|w| {
                w.label != "O" && !is_ship_to(w.label) && !w.label.ends_with("-buyer")
            })
        });
        let is_heading = heading_at(words, normed, run[0]).is_some();
        if gap > allowed || stop_word || other_label || is_heading || n >= 8 {
            break;
        }
        prev_bottom = run
            .iter()
            .filter_map(|&i| words.get(i))
            .map(|w| w.bbox[3])
            .fold(prev_bottom, f32::max);
        out.extend(run);
    }
    out
}

/// The delivery address as the block under its heading, when the model's ship-to words point
/// at one: the headed block holding most of `ship_words`; with one order in the document and
/// a single ship-to heading, that block even when the model put the words next to it (the
/// bill-to block beside it, say). `None` leaves the model's own span.
pub fn headed_ship_to(
    words: &[LabeledWord<'_>],
    ship_words: &[usize],
    single_order: bool,
) -> Option<Vec<usize>> {
    if ship_words.is_empty() {
        return None;
    }
    let normed: Vec<String> = words.iter().map(|w| norm(w.text)).collect();
    let blocks: Vec<Vec<usize>> = headings(words, &normed)
        .iter()
        .map(|h| block_under(words, &normed, h))
        .filter(|b| !b.is_empty())
        .collect();
    let best = blocks
        .iter()
        .map(|b| (b.iter().filter(|i| ship_words.contains(i)).count(), b))
        .max_by_key(|(n, _)| *n)?;
    match best {
        (n, b) if n > 0 => Some(b.clone()),
        (_, b) if single_order && blocks.len() == 1 => Some(b.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(text: &'a str, line: u32, x: f32, label: &'a str) -> LabeledWord<'a> {
        let width = 6.0 * text.chars().count() as f32;
        LabeledWord {
            text,
            page: 1,
            line,
            bbox: [x, line as f32 * 12.0, x + width, line as f32 * 12.0 + 9.0],
            label,
            prob: 0.9,
        }
    }

    /// Invoice-to and ship-to side by side, same company; the model mixed the two.
    fn side_by_side<'a>() -> Vec<LabeledWord<'a>> {
        vec![
            at("Invoice", 0, 40.0, "O"),
            at("To", 0, 86.0, "O"),
            at("Ship", 0, 300.0, "O"),
            at("To", 0, 330.0, "O"),
            at("Elbe", 1, 40.0, "B-ship_to"),
            at("GmbH", 1, 70.0, "O"),
            at("Elbe", 1, 300.0, "B-buyer"),
            at("GmbH", 1, 330.0, "I-ship_to"),
            at("Ring", 2, 40.0, "O"),
            at("3", 2, 70.0, "O"),
            at("Carl-Benz-Str.", 2, 300.0, "O"),
            at("38", 2, 390.0, "I-ship_to"),
            at("09114", 3, 40.0, "O"),
            at("Chemnitz", 3, 76.0, "I-ship_to"),
            at("70565", 3, 300.0, "O"),
            at("Stuttgart", 3, 336.0, "O"),
            at("Phone:", 4, 300.0, "O"),
            at("0711", 4, 340.0, "O"),
            at("Order", 6, 40.0, "O"),
            at("No.", 6, 76.0, "O"),
        ]
    }

    fn texts<'a>(words: &[LabeledWord<'a>], idx: &[usize]) -> Vec<&'a str> {
        idx.iter()
            .filter_map(|&i| words.get(i).map(|w| w.text))
            .collect()
    }

    #[test]
    fn the_block_under_the_ship_to_heading_is_the_address() {
        let words = side_by_side();
        let ship: Vec<usize> = (0..words.len())
            .filter(|&i| words[i].label.ends_with("ship_to"))
            .collect();
        let got = headed_ship_to(&words, &ship, true).expect("a headed block");
        assert_eq!(
            texts(&words, &got),
            ["Elbe", "GmbH", "Carl-Benz-Str.", "38", "70565", "Stuttgart"]
        );
    }

    #[test]
    fn no_heading_or_no_model_words_leaves_the_model_alone() {
        let words = side_by_side();
        assert!(headed_ship_to(&words, &[], true).is_none());
        let unheaded: Vec<LabeledWord<'_>> = words.iter().skip(4).cloned().collect();
        assert!(headed_ship_to(&unheaded, &[0], true).is_none());
    }

    #[test]
    fn an_inline_heading_takes_the_rest_of_its_line_and_the_lines_below() {
        let words = vec![
            at("Ship", 0, 40.0, "O"),
            at("to:", 0, 66.0, "O"),
            at("Acme", 0, 90.0, "B-ship_to"),
            at("Ltd", 0, 120.0, "I-ship_to"),
            at("1", 1, 90.0, "O"),
            at("Main", 1, 100.0, "O"),
            at("St", 1, 130.0, "O"),
            at("Thanks,", 2, 40.0, "O"),
        ];
        let got = headed_ship_to(&words, &[2, 3], false).expect("inline block");
        assert_eq!(texts(&words, &got), ["Acme", "Ltd", "1", "Main", "St"]);
    }

    #[test]
    fn an_inline_value_without_colon_and_its_continuation_lines() {
        // "SHIP TO  Acme Ltd" with the rest of the address aligned under the value.
        let words = vec![
            at("SHIP", 0, 40.0, "O"),
            at("TO", 0, 66.0, "O"),
            at("Acme", 0, 92.0, "B-ship_to"),
            at("Ltd", 0, 120.0, "O"),
            at("1", 1, 92.0, "O"),
            at("Main", 1, 100.0, "I-ship_to"),
            at("St", 1, 130.0, "O"),
            at("BILL", 2, 40.0, "O"),
            at("TO", 2, 66.0, "O"),
            at("Acme", 2, 92.0, "O"),
        ];
        let got = headed_ship_to(&words, &[2, 5], true).expect("inline block");
        assert_eq!(texts(&words, &got), ["Acme", "Ltd", "1", "Main", "St"]);
    }

    #[test]
    fn several_orders_need_the_model_words_inside_the_block() {
        let words = side_by_side();
        // Model words only in the invoice block: with several orders nothing is snapped.
        assert!(headed_ship_to(&words, &[4], false).is_none());
        // One order, one ship-to heading: the headed block wins over the neighbour.
        let got = headed_ship_to(&words, &[4], true).expect("single heading");
        assert_eq!(texts(&words, &got).first(), Some(&"Elbe"));
        assert!(texts(&words, &got).contains(&"Stuttgart"));
    }
}
