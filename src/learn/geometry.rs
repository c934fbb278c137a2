//! The page as the learned-layout reader sees it: words grouped into visual lines (by their
//! vertical overlap, not the parser's reading-order ids, so a two-column header is one line
//! per row of print), and the value search that finds where an approved value is printed.

use crate::domain::SourceSpan;
use crate::extract::normalize::{self, Locale};
use crate::parse::{ParsedDocument, Word};

/// One word, with its page.
#[derive(Debug, Clone, PartialEq)]
pub struct W {
    pub text: String,
    /// Index of the input part (email body, attachment) the word is printed in.
    pub part: u32,
    pub page: u32,
    pub bbox: [f32; 4],
}

impl W {
    pub fn h(&self) -> f32 {
        (self.bbox[3] - self.bbox[1]).max(1.0)
    }
    pub fn cy(&self) -> f32 {
        (self.bbox[1] + self.bbox[3]) / 2.0
    }
}

/// A printed line: words left to right.
#[derive(Debug, Clone)]
pub struct VLine {
    pub page: u32,
    pub y0: f32,
    pub y1: f32,
    pub words: Vec<W>,
}

impl VLine {
    pub fn h(&self) -> f32 {
        (self.y1 - self.y0).max(1.0)
    }
}

/// A document's pages as visual lines, top to bottom, page by page.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub lines: Vec<VLine>,
    /// (width, height) of each page, by page number - 1.
    pub pages: Vec<[f32; 2]>,
    /// The usual height of a line of print (median), for tolerances.
    pub line_h: f32,
}

fn word(w: &Word, part: u32, page: u32) -> W {
    W {
        text: w.text.clone(),
        part,
        page,
        bbox: [w.bbox.x0, w.bbox.y0, w.bbox.x1, w.bbox.y1],
    }
}

impl Doc {
    pub fn new(doc: &ParsedDocument) -> Doc {
        Doc::of_part(doc, 0)
    }

    /// The words of part `part` of an input.
    pub fn of_part(doc: &ParsedDocument, part: u32) -> Doc {
        let mut lines = Vec::new();
        let mut pages = Vec::new();
        for page in &doc.pages {
            pages.push([page.width.max(1.0), page.height.max(1.0)]);
            let mut ws: Vec<W> = page
                .words
                .iter()
                .filter(|w| !w.text.trim().is_empty())
                .map(|w| word(w, part, page.number))
                .collect();
            ws.sort_by(|a, b| a.cy().total_cmp(&b.cy()));
            let mut cur: Vec<VLine> = Vec::new();
            for w in ws {
                let fits = cur.last().is_some_and(|l: &VLine| {
                    let cy = (l.y0 + l.y1) / 2.0;
                    (w.cy() - cy).abs() < 0.5 * l.h().min(w.h())
                });
                match cur.last_mut() {
                    Some(l) if fits => {
                        l.y0 = l.y0.min(w.bbox[1]);
                        l.y1 = l.y1.max(w.bbox[3]);
                        l.words.push(w);
                    }
                    _ => cur.push(VLine {
                        page: page.number,
                        y0: w.bbox[1],
                        y1: w.bbox[3],
                        words: vec![w],
                    }),
                }
            }
            for l in cur.iter_mut() {
                l.words.sort_by(|a, b| a.bbox[0].total_cmp(&b.bbox[0]));
            }
            lines.extend(cur);
        }
        let mut hs: Vec<f32> = lines.iter().map(VLine::h).collect();
        hs.sort_by(f32::total_cmp);
        let line_h = hs.get(hs.len() / 2).copied().unwrap_or(10.0).max(1.0);
        Doc {
            lines,
            pages,
            line_h,
        }
    }

    pub fn page_size(&self, page: u32) -> [f32; 2] {
        self.pages
            .get(page.saturating_sub(1) as usize)
            .copied()
            .unwrap_or([612.0, 792.0])
    }

    /// Horizontal tolerance for "the same place" on `page`.
    pub fn tol_x(&self, page: u32) -> f32 {
        (self.page_size(page)[0] * 0.02).max(2.0 * self.line_h)
    }

    /// Vertical tolerance for "the same place".
    pub fn tol_y(&self, page: u32) -> f32 {
        (self.page_size(page)[1] * 0.008).max(1.6 * self.line_h)
    }

    /// How far a block may have moved down or up and still be "in place": a few lines.
    pub fn shift_y(&self, page: u32) -> f32 {
        self.tol_y(page).max(3.5 * self.line_h)
    }

    /// Index of the line holding the word at `bbox` on `page`.
    pub fn line_of(&self, page: u32, bbox: [f32; 4]) -> Option<usize> {
        let cy = (bbox[1] + bbox[3]) / 2.0;
        self.lines
            .iter()
            .position(|l| l.page == page && cy >= l.y0 - 0.5 && cy <= l.y1 + 0.5)
    }
}

/// Letters and digits only, lowercased: how two spellings of a value are compared.
pub fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A number as printed, read without trusting the currency marks around it.
pub fn number(text: &str, locale: Locale) -> Option<f64> {
    let t: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '(' | ')' | ' '))
        .collect();
    if !t.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    normalize::parse_number(t.trim(), locale)
}

pub fn same_number(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

/// The box around `words`.
pub fn union(words: &[W]) -> [f32; 4] {
    let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    for w in words {
        b[0] = b[0].min(w.bbox[0]);
        b[1] = b[1].min(w.bbox[1]);
        b[2] = b[2].max(w.bbox[2]);
        b[3] = b[3].max(w.bbox[3]);
    }
    b
}

/// Where a value is printed: the line its first word is on, the words, and how many lines.
#[derive(Debug, Clone)]
pub struct Found {
    pub line: usize,
    pub words: Vec<W>,
    pub lines: usize,
}

/// Every place where the words, read left to right and on down the lines below (each further
/// line from the first word's column on), spell `want` once squashed.
pub fn find_text(doc: &Doc, want: &str, max_lines: usize) -> Vec<Found> {
    let want = squash(want);
    let mut out = Vec::new();
    if want.is_empty() {
        return out;
    }
    for (li, line) in doc.lines.iter().enumerate() {
        for (wi, first) in line.words.iter().enumerate() {
            let s = squash(&first.text);
            if s.is_empty() || !want.starts_with(&s) && !s.ends_with(&want) {
                continue;
            }
            if s != want && s.ends_with(&want) && !want.starts_with(&s) {
                // "PO#4711" holds "4711": the word is the value with its label glued on.
                out.push(Found {
                    line: li,
                    words: vec![first.clone()],
                    lines: 1,
                });
                continue;
            }
            let mut acc = String::new();
            let mut words = Vec::new();
            let x0 = first.bbox[0];
            let mut done = false;
            'lines: for (k, l) in doc.lines.iter().enumerate().skip(li).take(max_lines) {
                if l.page != line.page {
                    break;
                }
                let from = if k == li { wi } else { 0 };
                let mut any = false;
                for w in l.words.iter().skip(from) {
                    if k != li && w.bbox[2] < x0 - doc.line_h {
                        continue;
                    }
                    let next = format!("{acc}{}", squash(&w.text));
                    if !want.starts_with(&next) {
                        break;
                    }
                    any = true;
                    acc = next;
                    words.push(w.clone());
                    if acc == want {
                        done = true;
                        out.push(Found {
                            line: li,
                            words: words.clone(),
                            lines: k - li + 1,
                        });
                        break 'lines;
                    }
                }
                if !any && k != li {
                    break;
                }
            }
            let _ = done;
        }
    }
    out
}

/// The words printed inside `span`'s box (their middles inside it, on its part and page),
/// line by line: what a source span, the extractor's or the one a reviewer clicked on the
/// item page, says the value is made of. `None` when no word is there.
pub fn words_at(doc: &Doc, span: &SourceSpan) -> Option<Found> {
    let b = span.bbox;
    let inside = |w: &W| {
        let (cx, cy) = ((w.bbox[0] + w.bbox[2]) / 2.0, w.cy());
        w.part == span.part
            && w.page == span.page
            && cx >= b[0] - 0.5
            && cx <= b[2] + 0.5
            && cy >= b[1] - 0.5
            && cy <= b[3] + 0.5
    };
    let mut first = None;
    let mut lines = 0;
    let mut words = Vec::new();
    for (i, l) in doc.lines.iter().enumerate() {
        let here: Vec<W> = l.words.iter().filter(|w| inside(w)).cloned().collect();
        if here.is_empty() {
            continue;
        }
        first.get_or_insert(i);
        lines += 1;
        words.extend(here);
    }
    Some(Found {
        line: first?,
        words,
        lines,
    })
}

/// The text of `words` as a value reads: words joined by spaces, lines by ", ".
pub fn joined(words: &[W]) -> String {
    let mut text = String::new();
    let mut last_cy: Option<f32> = None;
    for w in words {
        if let Some(cy) = last_cy {
            let new_line = (w.cy() - cy).abs() > 0.5 * w.h();
            text.push_str(if new_line { ", " } else { " " });
        }
        last_cy = Some(w.cy());
        text.push_str(&w.text);
    }
    text
}

/// Every run of up to `max_words` words on one line for which `test` holds on the joined text.
pub fn find_runs(doc: &Doc, max_words: usize, test: impl Fn(&str) -> bool) -> Vec<Found> {
    let mut out = Vec::new();
    for (li, line) in doc.lines.iter().enumerate() {
        for i in 0..line.words.len() {
            for n in 1..=max_words {
                let Some(run) = line.words.get(i..i + n) else {
                    break;
                };
                let text = run
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                if test(&text) {
                    out.push(Found {
                        line: li,
                        words: run.to_vec(),
                        lines: 1,
                    });
                    break;
                }
            }
        }
    }
    out
}

/// A month's name or abbreviation ("May," "Sep", "Mai"): part of a date, never static.
pub fn is_month(text: &str) -> bool {
    let t = squash(text);
    t.len() >= 3
        && [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
            "mai", "okt", "dez", "mrz", "mär",
        ]
        .iter()
        .any(|m| t.starts_with(m) && t.len() <= 9 && (t.len() == 3 || month_word(&t)))
}

fn month_word(t: &str) -> bool {
    [
        "january",
        "february",
        "march",
        "april",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "januar",
        "februar",
        "märz",
        "juni",
        "juli",
        "oktober",
        "dezember",
        "sept",
    ]
    .contains(&t)
}

/// Is `text` this date, read with `locale`?
pub fn is_date(text: &str, locale: Locale, want: chrono::NaiveDate) -> bool {
    normalize::parse_date(text, locale) == Some(want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_found_across_lines_and_glued_to_its_label() {
        let doc = Doc::new(&crate::parse::text_to_doc(
            "Ship to:  Carl-Benz-Strasse 12\n          68219 Mannheim\nPO#4711\n",
        ));
        let f = find_text(&doc, "Carl-Benz-Strasse 12, 68219 Mannheim", 4);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].lines, 2);
        assert_eq!(f[0].words.len(), 4);
        let po = find_text(&doc, "4711", 1);
        assert_eq!(po.len(), 1);
        assert_eq!(po[0].words[0].text, "PO#4711");
        assert!(find_text(&doc, "Mannheim Carl", 3).is_empty());
    }
}
