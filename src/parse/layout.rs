//! Glyphs to words, lines and blocks: the page layout step shared by every positioned input.
//!
//! A PDF gives us glyphs (one character or ligature each, with its origin, advance and size);
//! this module groups them the way `pdftotext` does for simple pages: glyphs are grouped into
//! lines by baseline, sorted by x within a line, and split into words on space glyphs and on
//! gaps wider than a fraction of the font size. Consecutive lines with similar spacing form a
//! block. Text that runs in another direction (rotated pages, vertical labels) is laid out in its
//! own frame and mapped back to page coordinates.

use unicode_normalization::UnicodeNormalization;

use super::{BBox, Word};

/// One glyph in page display space (top-left origin, y down).
#[derive(Debug, Clone)]
pub struct Glyph {
    pub text: String,
    /// Origin of the glyph on its baseline.
    pub x: f32,
    pub y: f32,
    /// Advance along the reading direction, in page units.
    pub advance: f32,
    /// Font size in page units.
    pub size: f32,
    /// Reading direction: 0 = left-to-right, 1 = top-to-bottom, 2 = right-to-left (upside
    /// down), 3 = bottom-to-top.
    pub dir: u8,
}

/// Ascent and descent as a fraction of the font size, used for word boxes. We do not see the
/// font's own metrics through pdf-extract's output device; these sit between Helvetica's
/// (0.718 / 0.207) and Times / Liberation Serif's (0.891 / 0.216), which poppler reads from the
/// fonts, so box centres stay within ~0.05 of the size of poppler's.
const ASCENT: f32 = 0.8;
const DESCENT: f32 = 0.2;
/// A gap wider than this fraction of the font size starts a new word.
const WORD_GAP: f32 = 0.15;
/// Baselines closer than this fraction of the font size are on the same line.
const LINE_TOL: f32 = 0.45;

/// Unit vector of reading direction `dir` in display space.
fn dir_vec(dir: u8) -> (f32, f32) {
    match dir & 3 {
        0 => (1.0, 0.0),
        1 => (0.0, 1.0),
        2 => (-1.0, 0.0),
        _ => (0.0, -1.0),
    }
}

/// Display point -> frame (u along the reading direction, v down the lines).
fn to_frame(dir: u8, x: f32, y: f32) -> (f32, f32) {
    let (dx, dy) = dir_vec(dir);
    (x * dx + y * dy, -x * dy + y * dx)
}

/// Frame point -> display point.
fn from_frame(dir: u8, u: f32, v: f32) -> (f32, f32) {
    let (dx, dy) = dir_vec(dir);
    (u * dx - v * dy, u * dy + v * dx)
}

struct FGlyph<'a> {
    text: &'a str,
    u0: f32,
    u1: f32,
    v: f32,
    size: f32,
    space: bool,
}

struct FLine<'a> {
    v: f32,
    size: f32,
    glyphs: Vec<FGlyph<'a>>,
}

/// Build the words of one page, in reading order, with line and block ids.
pub fn build_words(glyphs: &[Glyph]) -> Vec<Word> {
    let mut out = Vec::new();
    let mut next_line = 0u32;
    let mut next_block = 0u32;
    for dir in 0u8..4 {
        let mut fg: Vec<FGlyph> = glyphs
            .iter()
            .filter(|g| g.dir == dir)
            .filter(|g| g.size.is_finite() && g.size > 0.1 && g.x.is_finite() && g.y.is_finite())
            .map(|g| {
                let (u, v) = to_frame(dir, g.x, g.y);
                let adv = if g.advance.is_finite() {
                    g.advance.max(0.0)
                } else {
                    0.0
                };
                FGlyph {
                    text: g.text.as_str(),
                    u0: u,
                    u1: u + adv,
                    v,
                    size: g.size,
                    space: g.text.chars().all(char::is_whitespace),
                }
            })
            .collect();
        if fg.is_empty() {
            continue;
        }
        fg.sort_by(|a, b| a.v.total_cmp(&b.v));
        let mut lines: Vec<FLine> = Vec::new();
        for g in fg {
            match lines.last_mut() {
                Some(l) if (g.v - l.v).abs() <= LINE_TOL * l.size.max(g.size) => {
                    if !g.space && g.size > l.size {
                        l.size = g.size;
                    }
                    l.glyphs.push(g);
                }
                _ => lines.push(FLine {
                    v: g.v,
                    size: g.size,
                    glyphs: vec![g],
                }),
            }
        }
        let mut prev: Option<(f32, f32, f32, f32, f32)> = None; // v, size, u0, u1, gap
        for mut line in lines {
            line.glyphs.sort_by(|a, b| a.u0.total_cmp(&b.u0));
            estimate_missing_widths(&mut line.glyphs);
            let words = line_words(&line);
            if words.is_empty() {
                continue;
            }
            let u0 = words.iter().map(|w| w.0).fold(f32::INFINITY, f32::min);
            let u1 = words.iter().map(|w| w.1).fold(f32::NEG_INFINITY, f32::max);
            let mut gap = 0.0;
            let new_block = match prev {
                None => true,
                Some((pv, psize, pu0, pu1, pgap)) => {
                    gap = line.v - pv;
                    let size = psize.max(line.size);
                    let overlaps = u0 <= pu1 && u1 >= pu0;
                    let big_gap = gap > 2.0 * size;
                    let spacing_changed = pgap > 0.0 && (gap - pgap).abs() > 0.35 * size;
                    let size_changed = (psize - line.size).abs() > 0.25 * size;
                    !overlaps || big_gap || spacing_changed || size_changed
                }
            };
            if new_block {
                if prev.is_some() {
                    next_block += 1;
                }
                gap = 0.0;
            }
            prev = Some((line.v, line.size, u0, u1, gap));
            for (wu0, wu1, size, text) in words {
                let (ax, ay) = from_frame(dir, wu0, line.v - ASCENT * size);
                let (bx, by) = from_frame(dir, wu1, line.v + DESCENT * size);
                out.push(Word {
                    text,
                    bbox: BBox {
                        x0: ax.min(bx),
                        y0: ay.min(by),
                        x1: ax.max(bx),
                        y1: ay.max(by),
                    },
                    font_size: size,
                    line: next_line,
                    block: next_block,
                });
            }
            next_line += 1;
        }
        next_block += 1;
    }
    out
}

/// Some fonts come through with a zero width for some glyphs (a `Widths` array pdf-extract
/// cannot read, e.g. in Google Docs exports); such a glyph would look like a word break before
/// the next one. Take its advance from where the next glyph starts, when that is plausibly
/// adjacent, else from a typical glyph width.
fn estimate_missing_widths(glyphs: &mut [FGlyph]) {
    for i in 0..glyphs.len() {
        let Some(g) = glyphs.get(i) else { break };
        if g.space || g.u1 - g.u0 >= 0.05 * g.size {
            continue;
        }
        let typical = 0.5 * g.size;
        let next = glyphs
            .get(i + 1..)
            .and_then(|rest| rest.iter().find(|n| n.u0 > g.u0 + 0.01))
            .map(|n| n.u0 - g.u0)
            .filter(|d| *d < 1.6 * typical);
        let u1 = g.u0 + next.unwrap_or(typical);
        if let Some(g) = glyphs.get_mut(i) {
            g.u1 = u1;
        }
    }
}

/// Characters NFKC would rewrite into something that reads differently on an order: "4mm²"
/// is not "4mm2", "½" is not "1⁄2", "µF" is the micro sign as printed.
fn keeps_printed_form(c: char) -> bool {
    matches!(c, '\u{00B2}' | '\u{00B3}' | '\u{00B9}' | '\u{00B5}' | '\u{00BC}'..='\u{00BE}'
        | '\u{2070}'..='\u{209F}' | '\u{2150}'..='\u{215F}')
}

/// A glyph's text as a word carries it: NFKC (ligatures, full-width forms and odd spaces become
/// plain text) except for the characters in [`keeps_printed_form`]; control characters dropped.
fn printed_text(glyph: &str) -> String {
    let mut out = String::with_capacity(glyph.len());
    let mut run = String::new();
    for c in glyph.chars().filter(|c| !c.is_control()) {
        if keeps_printed_form(c) {
            out.extend(run.nfkc());
            run.clear();
            out.push(c);
        } else {
            run.push(c);
        }
    }
    out.extend(run.nfkc());
    out
}

/// Split one sorted line into words: (u0, u1, font size, printed text).
fn line_words(line: &FLine) -> Vec<(f32, f32, f32, String)> {
    let mut words = Vec::new();
    let mut cur: Option<(f32, f32, f32, String)> = None;
    let mut last: Option<(&str, f32)> = None;
    for g in &line.glyphs {
        if g.space {
            if let Some(w) = cur.take() {
                words.push(w);
            }
            continue;
        }
        // Fake bold: the same glyph drawn again a hair to the right.
        if let Some((t, u0)) = last {
            if t == g.text && (g.u0 - u0).abs() < 0.1 * g.size {
                continue;
            }
        }
        last = Some((g.text, g.u0));
        let text = printed_text(g.text);
        if text.is_empty() {
            continue;
        }
        match &mut cur {
            Some((_, u1, size, t)) if g.u0 - *u1 <= WORD_GAP * g.size.max(*size) => {
                t.push_str(&text);
                *u1 = u1.max(g.u1);
                *size = size.max(g.size);
            }
            _ => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
                cur = Some((g.u0, g.u1, g.size, text));
            }
        }
    }
    if let Some(w) = cur {
        words.push(w);
    }
    // A glyph text can hold spaces after NFKC (e.g. U+2002): split those words.
    if words.iter().any(|w| w.3.contains(char::is_whitespace)) {
        let mut split = Vec::with_capacity(words.len());
        for (u0, u1, size, text) in words {
            if !text.contains(char::is_whitespace) {
                split.push((u0, u1, size, text));
                continue;
            }
            let n = text.chars().count().max(1) as f32;
            let per = (u1 - u0) / n;
            let mut col = 0usize;
            for part in text.split(char::is_whitespace) {
                let len = part.chars().count();
                if len > 0 {
                    let a = u0 + per * col as f32;
                    split.push((a, a + per * len as f32, size, part.to_string()));
                }
                col += len + 1;
            }
        }
        words = split;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(text: &str, x: f32, y: f32) -> Glyph {
        Glyph {
            text: text.into(),
            x,
            y,
            advance: 6.0,
            size: 10.0,
            dir: 0,
        }
    }

    #[test]
    fn groups_by_baseline_and_splits_on_gaps() {
        // Content order is scrambled on purpose: the second line comes first.
        let glyphs = vec![
            g("c", 100.0, 30.0),
            g("a", 10.0, 10.0),
            g("b", 16.0, 10.5),
            g("x", 40.0, 10.0),
            g(" ", 22.0, 10.0),
            g("y", 46.0, 10.0),
        ];
        let words = build_words(&glyphs);
        let got: Vec<(&str, u32)> = words.iter().map(|w| (w.text.as_str(), w.line)).collect();
        assert_eq!(got, vec![("ab", 0), ("xy", 0), ("c", 1)]);
        assert!((words[0].bbox.x0 - 10.0).abs() < 1e-3);
        assert!((words[0].bbox.x1 - 22.0).abs() < 1e-3);
        assert!(words[0].bbox.y0 < 10.0 && words[0].bbox.y1 > 10.0);
    }

    #[test]
    fn zero_width_glyphs_do_not_split_words() {
        let mut a = g("a", 16.0, 10.0);
        a.advance = 0.0;
        let words = build_words(&[g("x", 10.0, 10.0), a, g("m", 22.0, 10.0)]);
        assert_eq!(words.len(), 1, "{words:?}");
        assert_eq!(words[0].text, "xam");
    }

    #[test]
    fn ligatures_are_nfkc_normalised() {
        let words = build_words(&[g("\u{FB01}", 10.0, 10.0), g("x", 16.0, 10.0)]);
        assert_eq!(words[0].text, "fix");
    }

    #[test]
    fn superscripts_fractions_and_micro_keep_their_printed_form() {
        let words = build_words(&[
            g("4", 10.0, 10.0),
            g("m", 16.0, 10.0),
            g("m", 22.0, 10.0),
            g("\u{00B2}", 28.0, 10.0),
        ]);
        assert_eq!(words[0].text, "4mm\u{00B2}");
        assert_eq!(printed_text("\u{00BD}\u{00B5}F"), "\u{00BD}\u{00B5}F");
        assert_eq!(printed_text("\u{FF21}\u{FB02}"), "Afl");
    }

    #[test]
    fn vertical_text_keeps_its_order() {
        let mut a = g("u", 50.0, 10.0);
        a.dir = 1;
        let mut b = g("p", 50.0, 16.0);
        b.dir = 1;
        let words = build_words(&[b, a]);
        assert_eq!(words.len(), 1);
        assert_eq!(words[0].text, "up");
        let bb = words[0].bbox;
        assert!(bb.y1 - bb.y0 > bb.x1 - bb.x0, "vertical word box {bb:?}");
    }
}
