//! Label–value pairs: a printed label ("PO Number:", "Fecha", "Grand Total") and the words
//! that stand as its value, to its right on the same line or right below it.
//!
//! Only geometry and a phrase list given by the caller: what a value must look like is the
//! caller's business (a PO number has digits, a date parses as a date).

use super::lexicon::normalise;
use super::{Line, Stats, Token};

/// A label found on the page and the candidate value words after it.
#[derive(Debug, Clone)]
pub struct Pair {
    /// Which phrase of the caller's list matched (its index), so callers can rank labels.
    pub phrase: usize,
    /// The label's words.
    pub label: Vec<usize>,
    /// Value words to the right on the same line, in order (up to the next wide gap).
    pub right: Vec<usize>,
    /// Value words on the next line under the label.
    pub below: Vec<usize>,
    /// The rest of a token the label was glued to ("No.4300004732" gives "4300004732").
    pub glued: Option<String>,
    pub line: usize,
}

/// Every place where one of `phrases` (normalised, one to five words) stands as a label.
pub fn pairs(tokens: &[Token<'_>], lines: &[Line], stats: Stats, phrases: &[&str]) -> Vec<Pair> {
    let norm: Vec<Vec<String>> = phrases
        .iter()
        .map(|p| normalise(p).split(' ').map(str::to_string).collect())
        .collect();
    // Phrases by their first word: only those can start at a word whose first part it is.
    let mut by_first: std::collections::HashMap<&str, Vec<usize>> =
        std::collections::HashMap::new();
    for (pi, p) in norm.iter().enumerate() {
        if let Some(first) = p.first() {
            by_first.entry(first.as_str()).or_default().push(pi);
        }
    }
    let mut out = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        let w = &line.words;
        let words: Vec<String> = w.iter().map(|&i| normalise(tokens[i].text)).collect();
        // A token may hold two phrase words ("P.O."): its normalised parts, split once.
        let parts: Vec<Vec<&str>> = words
            .iter()
            .map(|t| t.split(' ').filter(|x| !x.is_empty()).collect())
            .collect();
        let mut i = 0;
        while i < w.len() {
            // The longest phrase starting here; a phrase's first word must be the first part
            // of the first word here that has any.
            let mut best: Option<(usize, usize)> = None;
            let first = parts
                .get(i..)
                .and_then(|rest| rest.iter().find_map(|p| p.first()));
            let candidates = first.and_then(|f| by_first.get(f)).map_or(&[][..], |v| v);
            for &pi in candidates {
                let p = &norm[pi];
                if p.is_empty() || i + p.len() > w.len() {
                    continue;
                }
                let mut k = 0;
                let mut wi = i;
                let mut ok = true;
                while k < p.len() {
                    let Some(tw) = parts.get(wi) else {
                        ok = false;
                        break;
                    };
                    if tw.is_empty() {
                        wi += 1;
                        if wi - i > p.len() + 2 {
                            ok = false;
                            break;
                        }
                        continue;
                    }
                    if tw.len() > p.len() - k || tw.iter().zip(&p[k..]).any(|(a, b)| a != b) {
                        ok = false;
                        break;
                    }
                    k += tw.len();
                    wi += 1;
                }
                if ok && best.is_none_or(|(_, e)| wi > e) {
                    best = Some((pi, wi));
                }
            }
            // A label glued to its value: "No.4300004732", "PO#12345".
            if best.is_none() {
                if let Some((pi, rest)) = glued_label(tokens[w[i]].text, &norm) {
                    let right = value_run(tokens, w, i + 1, stats);
                    out.push(Pair {
                        phrase: pi,
                        label: vec![w[i]],
                        right,
                        below: vec![],
                        glued: Some(rest),
                        line: li,
                    });
                }
                i += 1;
                continue;
            }
            let Some((pi, end)) = best else { break };
            // A label opens its phrase: "Date" in "Delivery Date", "No" in "Vendor No" are
            // the tail of another label.
            // A separator before it ("Rechnung / Invoice Nr.") ends the other label: two
            // languages' labels side by side.
            let after_separator = parts.get(i).is_some_and(|p| p.is_empty());
            if i > 0 && !after_separator {
                let prev = &tokens[w[i - 1]];
                let glued = tokens[w[i]].bbox[0] - prev.bbox[2] <= 1.2 * stats.height;
                if glued
                    && prev.text.chars().any(char::is_alphabetic)
                    && !prev.text.ends_with([':', '|'])
                {
                    i = end;
                    continue;
                }
            }
            let label: Vec<usize> = w[i..end].to_vec();
            let right = value_run(tokens, w, end, stats);
            let below = below_words(tokens, lines, li, &label);
            out.push(Pair {
                phrase: pi,
                label,
                right,
                below,
                glued: None,
                line: li,
            });
            i = end;
        }
    }
    out
}

/// "No.4300004732" against a phrase "no": the value glued after the label and its mark.
fn glued_label(text: &str, norm: &[Vec<String>]) -> Option<(usize, String)> {
    let cut = text.find(['.', ':', '#'])?;
    let (head, rest) = text.split_at(cut);
    let rest = rest.trim_start_matches(['.', ':', '#', ' ']);
    if rest.is_empty() || !rest.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let h = normalise(head);
    let pi = norm.iter().position(|p| p.len() == 1 && p[0] == h)?;
    Some((pi, rest.to_string()))
}

/// Words after position `from` of a line, skipping a lone ':' or '#', up to a gap wider than
/// three word heights (the next label–value pair of a two-column header block).
fn value_run(tokens: &[Token<'_>], w: &[usize], from: usize, stats: Stats) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    let mut prev_x1: Option<f32> = None;
    for &i in w.iter().skip(from) {
        let t = tokens[i].text;
        if out.is_empty()
            && matches!(
                t,
                ":" | "#" | "-" | "." | "No." | "no." | "No" | "Nr." | "N°"
            )
        {
            prev_x1 = Some(tokens[i].bbox[2]);
            continue;
        }
        if let Some(x1) = prev_x1 {
            let limit = if out.is_empty() { 20.0 } else { 3.0 };
            if tokens[i].bbox[0] - x1 > limit * stats.height {
                break;
            }
        }
        out.push(i);
        prev_x1 = Some(tokens[i].bbox[2]);
        if out.len() >= 6 {
            break;
        }
    }
    out
}

/// Words of the next line that stand under the label (overlapping its extent, widened a
/// little to the right for values longer than their label).
fn below_words(tokens: &[Token<'_>], lines: &[Line], li: usize, label: &[usize]) -> Vec<usize> {
    let Some(next) = lines.get(li + 1) else {
        return vec![];
    };
    let cur = &lines[li];
    // Forms print small captions over larger values ("P.O. NUMBER" in 6 pt over "VU92708"
    // in 12 pt, a box's padding between): the gap is measured against the taller line.
    let h = (cur.y1 - cur.y0).max(next.y1 - next.y0).max(1.0);
    if next.page != cur.page || next.y0 - cur.y1 > 1.5 * h {
        return vec![];
    }
    let x0 = label
        .iter()
        .map(|&i| tokens[i].bbox[0])
        .fold(f32::MAX, f32::min);
    let x1 = label
        .iter()
        .map(|&i| tokens[i].bbox[2])
        .fold(f32::MIN, f32::max);
    let x1 = x1 + (x1 - x0);
    next.words
        .iter()
        .copied()
        .filter(|&i| tokens[i].bbox[0] < x1 && tokens[i].bbox[2] > x0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::tokens;
    use super::super::{lines, stats, Settings};
    use super::*;

    #[test]
    fn a_value_is_read_right_of_its_label_below_it_or_glued_to_it() {
        let t = tokens(&[
            (
                1,
                &[
                    ("PO", 10.0),
                    ("Number:", 26.0),
                    ("4500123", 80.0),
                    ("Page", 300.0),
                    ("1", 330.0),
                ],
            ),
            (3, &[("Order", 10.0), ("Date", 46.0)]),
            (4, &[("12/03/2024", 10.0)]),
            (6, &[("Pedido", 10.0), ("No.4300004732", 50.0)]),
        ]);
        let l = lines(&t, &Settings::default());
        let p = pairs(&t, &l, stats(&t), &["po number", "order date", "no"]);
        assert_eq!(p.len(), 3);
        assert_eq!(
            p[0].right.iter().map(|&i| t[i].text).collect::<Vec<_>>(),
            vec!["4500123"]
        );
        assert_eq!(
            p[1].below.iter().map(|&i| t[i].text).collect::<Vec<_>>(),
            vec!["12/03/2024"]
        );
        assert_eq!(p[2].glued.as_deref(), Some("4300004732"));
    }

    #[test]
    fn a_small_caption_reads_the_larger_value_under_it_across_a_boxs_padding() {
        let word = |text, x0: f32, y0: f32, h: f32| Token {
            text,
            page: 1,
            bbox: [x0, y0, x0 + 40.0, y0 + h],
        };
        // Captions 6 high; values 12 high, 11 under them (more than 1.5 captions).
        let t = vec![
            word("P.O.", 22.0, 213.0, 6.0),
            word("NUMBER", 40.0, 213.0, 6.0),
            word("VU92708", 14.0, 230.0, 12.0),
            word("Notes", 14.0, 290.0, 12.0),
        ];
        let l = lines(&t, &Settings::default());
        let p = pairs(&t, &l, stats(&t), &["po number"]);
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].below.iter().map(|&i| t[i].text).collect::<Vec<_>>(),
            vec!["VU92708"]
        );
    }
}
