//! Glyphs to words, lines and blocks: the page layout step shared by every positioned input.
//!
//! A PDF gives us glyphs (one character or ligature each, with its origin, advance and size) in
//! the order the content stream draws them. This module groups them the way `pdftotext` does:
//! 1. [`attach_diacritics`]: an accent drawn as a glyph of its own over a letter (TeX, some
//!    legacy producers) joins that letter (`A` + `¨` -> `Ä`);
//! 2. [`stream_runs`]: consecutive glyphs of the stream that continue one another on one
//!    baseline form a run (a run ends where the stream jumps back or to another baseline);
//! 3. [`group_lines`]: runs are grouped into lines by baseline, but a run never joins a line
//!    holding a run it overlaps horizontally: two texts printed at overlapping heights (a
//!    letterhead beside an address, a word drawn over a rule of underscores) stay two lines
//!    instead of being interleaved character by character. A run that repeats an overlapped run
//!    a hair to the side (fake bold) is dropped;
//! 4. each line is sorted by x and split into words on space glyphs and on gaps wider than a
//!    fraction of the font size. Consecutive lines with similar spacing form a block.
//!
//! Text that runs in another direction (rotated pages, vertical labels) is laid out in its own
//! frame and mapped back to page coordinates.

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
/// A glyph continues the stream's current run when its baseline is within this fraction of the
/// font size of the run's ...
const RUN_BASELINE_TOL: f32 = 0.2;
/// ... and it starts no further back than this fraction of the font size from the run's end
/// (kerning and tight tracking draw glyphs slightly over one another) ...
const RUN_BACKSTEP: f32 = 0.3;
/// ... nor further ahead than this (a jump to the next table cell starts a new run: a run is
/// text that reads on, and only such text is kept off a line it overlaps).
const RUN_JUMP: f32 = 1.0;
/// Two runs overlap when their inked extents share more than this fraction of the smaller font
/// size along the line.
const RUN_OVERLAP: f32 = 0.3;
/// A run that repeats an overlapped run's text starting within this fraction of the font size
/// of it is a fake-bold copy.
const FAKE_BOLD_SHIFT: f32 = 0.2;
/// A run looks for a line among this many most recent lines within [`LINE_TOL`] (bounds the
/// work on hostile pages that draw thousands of runs over one another).
const LINE_CANDIDATES: usize = 8;

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
    /// A space glyph came just before / after this glyph in its run (in stream order): a word
    /// ends there, wherever the space itself was placed.
    brk_before: bool,
    brk_after: bool,
}

struct FLine<'a> {
    v: f32,
    size: f32,
    glyphs: Vec<FGlyph<'a>>,
    /// Inked extents (u0, u1) of the line's runs, sorted and (within [`RUN_OVERLAP`]) disjoint.
    spans: Vec<(f32, f32)>,
}

/// Glyphs the content stream draws one after another along one baseline.
struct Run<'a> {
    v: f32,
    size: f32,
    /// Where the next glyph would start.
    end: f32,
    glyphs: Vec<FGlyph<'a>>,
}

impl Run<'_> {
    /// Extent of the run's non-space glyphs, if it has any.
    fn ink(&self) -> Option<(f32, f32)> {
        let mut ink = self.glyphs.iter().filter(|g| !g.space);
        let first = ink.next()?;
        Some(ink.fold((first.u0, first.u1), |(a, b), g| (a.min(g.u0), b.max(g.u1))))
    }

    fn text(&self) -> String {
        self.glyphs
            .iter()
            .filter(|g| !g.space)
            .map(|g| g.text)
            .collect()
    }
}

/// Build the words of one page, in reading order, with line and block ids.
pub fn build_words(glyphs: &[Glyph]) -> Vec<Word> {
    let glyphs = attach_diacritics(glyphs);
    let mut out = Vec::new();
    let mut next_line = 0u32;
    let mut next_block = 0u32;
    for dir in 0u8..4 {
        let fg: Vec<FGlyph> = glyphs
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
                    brk_before: false,
                    brk_after: false,
                }
            })
            .collect();
        if fg.is_empty() {
            continue;
        }
        let lines = group_lines(stream_runs(fg));
        let mut prev: Option<(f32, f32, f32, f32, f32)> = None; // v, size, u0, u1, gap
        for mut line in lines {
            line.glyphs.sort_by(|a, b| a.u0.total_cmp(&b.u0));
            estimate_missing_widths(&mut line.glyphs);
            let words = line_words(&line);
            if words.is_empty() {
                continue;
            }
            let u0 = words.iter().map(|w| w.u0).fold(f32::INFINITY, f32::min);
            let u1 = words.iter().map(|w| w.u1).fold(f32::NEG_INFINITY, f32::max);
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
            for LineWord {
                u0: wu0,
                u1: wu1,
                size,
                text,
            } in words
            {
                // Every word of a line sits on the line's baseline (the extractor reads a line
                // as one row; see "PDF text fidelity" in models/MODEL.md for what that costs).
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

/// The combining mark an accent glyph puts on the letter it is drawn over: a combining mark
/// itself, or a spacing accent (TeX and some legacy fonts draw `¨` over `A` as two glyphs).
fn combining_form(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    Some(match c {
        '\u{0060}' | '\u{02CB}' => '\u{0300}',
        '\u{00B4}' | '\u{02CA}' => '\u{0301}',
        '\u{005E}' | '\u{02C6}' => '\u{0302}',
        '\u{007E}' | '\u{02DC}' => '\u{0303}',
        '\u{00AF}' | '\u{02C9}' => '\u{0304}',
        '\u{02D8}' => '\u{0306}',
        '\u{02D9}' => '\u{0307}',
        '\u{00A8}' => '\u{0308}',
        '\u{02DA}' => '\u{030A}',
        '\u{02DD}' => '\u{030B}',
        '\u{02C7}' => '\u{030C}',
        '\u{00B8}' => '\u{0327}',
        '\u{02DB}' => '\u{0328}',
        '\u{0300}'..='\u{036F}' => c,
        _ => return None,
    })
}

/// Step 1: an accent glyph drawn over the letter just before or after it in the stream becomes
/// part of that letter (`A` + `¨` -> `Ä`), as poppler composes them. An accent over no letter
/// stays as it is.
fn attach_diacritics(glyphs: &[Glyph]) -> Vec<Glyph> {
    if !glyphs.iter().any(|g| combining_form(&g.text).is_some()) {
        return glyphs.to_vec();
    }
    let mut out: Vec<Glyph> = glyphs.to_vec();
    let mut gone = vec![false; out.len()];
    for i in 0..out.len() {
        let Some(accent) = out.get(i) else { break };
        let Some(mark) = combining_form(&accent.text) else {
            continue;
        };
        let (au, av) = to_frame(accent.dir, accent.x, accent.y);
        let centre = au + accent.advance.max(0.0) / 2.0;
        let size = accent.size;
        let dir = accent.dir;
        let over = |j: usize, gone: &[bool]| {
            let Some(b) = out.get(j) else { return false };
            if gone.get(j).copied().unwrap_or(true)
                || b.dir != dir
                || combining_form(&b.text).is_some()
                || b.text.chars().all(char::is_whitespace)
            {
                return false;
            }
            let (bu, bv) = to_frame(b.dir, b.x, b.y);
            let slack = 0.1 * b.size;
            (bv - av).abs() <= size.max(b.size)
                && centre >= bu - slack
                && centre <= bu + b.advance.max(0.0) + slack
        };
        let base = [i + 1, i.wrapping_sub(1)]
            .into_iter()
            .find(|&j| over(j, &gone));
        if let Some(j) = base {
            if let Some(b) = out.get_mut(j) {
                b.text.push(mark);
                b.text = b.text.nfc().collect();
            }
            if let Some(g) = gone.get_mut(i) {
                *g = true;
            }
        }
    }
    out.into_iter()
        .zip(gone)
        .filter(|(_, g)| !g)
        .map(|(x, _)| x)
        .collect()
}

/// Step 2: cut the glyphs (in content-stream order) into runs. Space glyphs are not kept: they
/// mark the word break between their neighbours in the run (producers that pad cells with
/// spaces draw them anywhere, even under the text that follows).
fn stream_runs(glyphs: Vec<FGlyph>) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    let mut pending_break = false;
    for mut g in glyphs {
        let continues = runs.last().is_some_and(|r| {
            let size = r.size.max(g.size);
            (g.v - r.v).abs() <= RUN_BASELINE_TOL * size
                && g.u0 >= r.end - RUN_BACKSTEP * size
                && g.u0 <= r.end + RUN_JUMP * size
        });
        if !continues {
            pending_break = false;
            runs.push(Run {
                v: g.v,
                size: g.size,
                end: g.u1,
                glyphs: Vec::new(),
            });
        }
        let Some(r) = runs.last_mut() else { continue };
        r.end = r.end.max(g.u1);
        if g.space {
            if let Some(prev) = r.glyphs.last_mut() {
                prev.brk_after = true;
            }
            pending_break = true;
            continue;
        }
        if g.size > r.size || r.glyphs.is_empty() {
            r.size = g.size;
        }
        g.brk_before = std::mem::take(&mut pending_break);
        r.glyphs.push(g);
    }
    runs.retain(|r| !r.glyphs.is_empty());
    runs
}

/// Step 3: runs into lines, top to bottom; a run joins the nearest line on its baseline that
/// holds no run it overlaps.
fn group_lines(mut runs: Vec<Run>) -> Vec<FLine> {
    // Stable: runs on one baseline keep their stream order.
    runs.sort_by(|a, b| a.v.total_cmp(&b.v));
    let mut lines: Vec<FLine> = Vec::new();
    let mut texts: Vec<Vec<(f32, f32, String)>> = Vec::new(); // per line: fake-bold candidates
    for run in runs {
        let ink = run.ink();
        let mut best: Option<(usize, f32)> = None;
        let mut fake_bold = false;
        for (i, l) in lines.iter().enumerate().rev().take(LINE_CANDIDATES) {
            // Lines are made top to bottom: the first one too far up ends the search.
            let dv = (run.v - l.v).abs();
            if dv > LINE_TOL * l.size.max(run.size) {
                break;
            }
            let clash = ink.is_some_and(|span| overlapping(&l.spans, span, run.size.min(l.size)));
            if !clash {
                if best.is_none_or(|(_, d)| dv < d) {
                    best = Some((i, dv));
                }
                continue;
            }
            let shift = FAKE_BOLD_SHIFT * run.size;
            if let (Some((u0, _)), Some(seen)) = (ink, texts.get(i)) {
                let text = run.text();
                if seen.iter().any(|(s0, sv, t)| {
                    (s0 - u0).abs() <= shift && (sv - run.v).abs() <= shift && *t == text
                }) {
                    fake_bold = true;
                    break;
                }
            }
        }
        if fake_bold {
            continue;
        }
        let idx = match best {
            Some((i, _)) => i,
            None => {
                lines.push(FLine {
                    v: run.v,
                    size: 0.0,
                    glyphs: Vec::new(),
                    spans: Vec::new(),
                });
                texts.push(Vec::new());
                lines.len() - 1
            }
        };
        if let (Some(line), Some(seen)) = (lines.get_mut(idx), texts.get_mut(idx)) {
            if let Some(span) = ink {
                let at = line.spans.partition_point(|s| s.0 < span.0);
                line.spans.insert(at, span);
                seen.push((span.0, run.v, run.text()));
            }
            for g in run.glyphs {
                if !g.space && g.size > line.size {
                    line.size = g.size;
                }
                line.glyphs.push(g);
            }
            if line.size == 0.0 {
                line.size = run.size;
            }
        }
    }
    lines
}

/// Does `span` overlap one of the sorted, disjoint `spans` by more than [`RUN_OVERLAP`] ×
/// `size` (or by half the shorter of the two, for a span as narrow as a period)?
fn overlapping(spans: &[(f32, f32)], span: (f32, f32), size: f32) -> bool {
    let hit = |s: &(f32, f32)| {
        let shorter = (s.1 - s.0).min(span.1 - span.0).max(0.0);
        s.1.min(span.1) - s.0.max(span.0) > (RUN_OVERLAP * size).min(0.5 * shorter).max(1e-3)
    };
    let at = spans.partition_point(|s| s.0 < span.0);
    // Spans that start inside `span` (a few; more are a hostile page and count as a clash),
    // then the ones before it: disjoint, so the nearest ones are the ones that can reach in.
    let after = spans.get(at..).unwrap_or_default();
    let inside = after
        .iter()
        .take_while(|s| s.0 < span.1)
        .take(LINE_CANDIDATES + 1);
    let before = spans
        .get(..at)
        .unwrap_or_default()
        .iter()
        .rev()
        .take(LINE_CANDIDATES);
    let mut n_inside = 0;
    for s in inside {
        n_inside += 1;
        if hit(s) || n_inside > LINE_CANDIDATES {
            return true;
        }
    }
    before.take_while(|s| s.1 > span.0).any(hit)
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
/// is not "4mm2", "½" is not "1⁄2", "µF" is the micro sign as printed, "IFOS™" is a mark, not
/// "IFOSTM".
/// Spacing accents too: NFKC turns `¨` into a space and a combining mark, which would cut the
/// word in two and leave a mark with nothing to sit on.
fn keeps_printed_form(c: char) -> bool {
    matches!(c, '\u{00B2}' | '\u{00B3}' | '\u{00B9}' | '\u{00B5}' | '\u{00BC}'..='\u{00BE}'
        | '\u{2070}'..='\u{209F}' | '\u{2150}'..='\u{215F}' | '\u{2120}' | '\u{2122}')
        || (!c.is_ascii() && {
            let mut n = std::iter::once(c).nfkc();
            n.next() == Some(' ') && n.next().is_some()
        })
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

/// A word of a line, in the line's frame.
struct LineWord {
    u0: f32,
    u1: f32,
    size: f32,
    /// Printed text.
    text: String,
}

/// Split one sorted line into words.
fn line_words(line: &FLine) -> Vec<LineWord> {
    let mut words = Vec::new();
    let mut cur: Option<LineWord> = None;
    let mut last: Option<(&str, f32)> = None;
    let mut brk = false;
    let mut prev: Option<(f32, f32)> = None; // baseline and size of the last glyph
    for g in &line.glyphs {
        if g.space {
            if let Some(w) = cur.take() {
                words.push(w);
            }
            continue;
        }
        // A subscript or superscript (smaller, off the baseline) is a word of its own, as
        // pdftotext has it: "V" "1", not "V1"; "Total" "2", not "Total2".
        let script = prev.replace((g.v, g.size)).is_some_and(|(v, size)| {
            let big = size.max(g.size);
            (g.v - v).abs() > RUN_BASELINE_TOL * big && (g.size - size).abs() > 0.1 * big
        });
        if std::mem::replace(&mut brk, g.brk_after) || g.brk_before || script {
            if let Some(w) = cur.take() {
                words.push(w);
            }
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
            Some(w) if g.u0 - w.u1 <= WORD_GAP * g.size.max(w.size) => {
                w.text.push_str(&text);
                w.u1 = w.u1.max(g.u1);
                w.size = w.size.max(g.size);
            }
            _ => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
                cur = Some(LineWord {
                    u0: g.u0,
                    u1: g.u1,
                    size: g.size,
                    text,
                });
            }
        }
    }
    if let Some(w) = cur {
        words.push(w);
    }
    // A glyph text can hold spaces after NFKC (e.g. U+2002): split those words.
    if words.iter().any(|w| w.text.contains(char::is_whitespace)) {
        let mut split = Vec::with_capacity(words.len());
        for w in words {
            if !w.text.contains(char::is_whitespace) {
                split.push(w);
                continue;
            }
            let n = w.text.chars().count().max(1) as f32;
            let per = (w.u1 - w.u0) / n;
            let mut col = 0usize;
            for part in w.text.split(char::is_whitespace) {
                let len = part.chars().count();
                if len > 0 {
                    let a = w.u0 + per * col as f32;
                    split.push(LineWord {
                        u0: a,
                        u1: a + per * len as f32,
                        size: w.size,
                        text: part.to_string(),
                    });
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
        // Content order is scrambled on purpose: the second line comes first, and the first
        // line's second word is drawn before its first.
        let glyphs = vec![
            g("c", 100.0, 30.0),
            g("x", 40.0, 10.0),
            g("y", 46.0, 10.0),
            g("a", 10.0, 10.0),
            g("b", 16.0, 10.5),
            g(" ", 22.0, 10.0),
        ];
        let words = build_words(&glyphs);
        let got: Vec<(&str, u32)> = words.iter().map(|w| (w.text.as_str(), w.line)).collect();
        assert_eq!(got, vec![("ab", 0), ("xy", 0), ("c", 1)]);
        assert!((words[0].bbox.x0 - 10.0).abs() < 1e-3);
        assert!((words[0].bbox.x1 - 22.0).abs() < 1e-3);
        assert!(words[0].bbox.y0 < 10.0 && words[0].bbox.y1 > 10.0);
    }

    fn text_at(s: &str, x: f32, y: f32, size: f32) -> Vec<Glyph> {
        s.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                text: c.to_string(),
                x: x + i as f32 * 0.6 * size,
                y,
                advance: 0.6 * size,
                size,
                dir: 0,
            })
            .collect()
    }

    fn texts(words: &[Word]) -> Vec<(&str, u32)> {
        words.iter().map(|w| (w.text.as_str(), w.line)).collect()
    }

    /// A letterhead: a large name and a small address block beside it at overlapping heights,
    /// overlapping along x. Grouped by y alone they were one line, interleaved letter by letter.
    #[test]
    fn texts_at_overlapping_heights_are_not_interleaved() {
        let mut glyphs = text_at("VENDOR", 10.0, 100.0, 14.0);
        glyphs.extend(text_at("SHIP TO", 14.0, 103.0, 9.0));
        let words = build_words(&glyphs);
        let got = texts(&words);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], ("VENDOR", 0));
        assert_eq!(got[1], ("SHIP", 1));
        assert_eq!(got[2], ("TO", 1));
    }

    /// A word drawn over a rule of underscores on the same baseline stays a word of its own.
    #[test]
    fn text_over_a_rule_of_underscores_stays_whole() {
        let mut glyphs = text_at("____________", 10.0, 50.0, 10.0);
        glyphs.extend(text_at("TOTAL", 40.0, 50.0, 10.0));
        let words = build_words(&glyphs);
        let mut got: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        got.sort();
        assert_eq!(got, vec!["TOTAL", "____________"]);
    }

    /// A subscript (smaller and lower) is a word of its own on its base's line; a small
    /// capital on the same baseline is not.
    #[test]
    fn sub_and_superscripts_are_words_of_their_own() {
        let mut glyphs = text_at("V", 10.0, 100.0, 11.0);
        glyphs.extend(text_at("1", 16.6, 103.8, 8.0));
        glyphs.extend(text_at("P", 40.0, 100.0, 11.0));
        glyphs.extend(text_at("O", 46.6, 100.0, 8.0));
        let words = build_words(&glyphs);
        assert_eq!(texts(&words), vec![("V", 0), ("1", 0), ("PO", 0)]);
    }

    /// Fake bold: the same run drawn again a hair to the right is one word, once.
    #[test]
    fn fake_bold_runs_are_drawn_once() {
        let mut glyphs = text_at("Total", 10.0, 50.0, 10.0);
        glyphs.extend(text_at("Total", 10.4, 50.0, 10.0));
        let words = build_words(&glyphs);
        assert_eq!(texts(&words), vec![("Total", 0)]);
    }

    /// A space glyph ends the word before it in the stream, wherever it is placed: here it lands
    /// after the next word's first letter ("11 KW," read as "11K W," before).
    #[test]
    fn a_space_breaks_words_where_the_stream_has_it() {
        let glyphs = vec![
            g("1", 10.0, 10.0),
            g("1", 16.0, 10.0),
            g(" ", 23.0, 10.0),
            g("K", 22.5, 10.0),
            g("W", 28.5, 10.0),
        ];
        let words = build_words(&glyphs);
        assert_eq!(texts(&words), vec![("11", 0), ("KW", 0)]);
    }

    /// Padding spaces drawn first, under the word that follows, do not cut it into letters.
    #[test]
    fn padding_spaces_under_a_word_do_not_split_it() {
        let mut glyphs = text_at("        ", 10.0, 10.0, 10.0);
        glyphs.extend(text_at("Amount", 10.0, 10.0, 10.0));
        let words = build_words(&glyphs);
        assert_eq!(texts(&words), vec![("Amount", 0)]);
    }

    /// TeX draws `\"A` as the accent, then the letter under it: one letter, composed.
    #[test]
    fn accents_drawn_over_letters_are_composed() {
        let mut a = g("\u{00A8}", 11.0, 9.0);
        a.advance = 4.0;
        let glyphs = vec![g("R", 4.0, 10.0), a, g("A", 10.0, 10.0), g("U", 16.0, 10.0)];
        let words = build_words(&glyphs);
        assert_eq!(texts(&words), vec![("R\u{00C4}U", 0)]);
        // A combining mark after its letter, too.
        let words = build_words(&[g("e", 10.0, 10.0), {
            let mut m = g("\u{0301}", 11.0, 10.0);
            m.advance = 0.0;
            m
        }]);
        assert_eq!(words[0].text, "\u{00E9}");
    }

    /// An accent over no letter keeps its printed form: NFKC would make it a space and a
    /// combining mark, cutting the word and leaving the mark on nothing.
    #[test]
    fn a_lone_spacing_accent_is_no_combining_mark() {
        let words = build_words(&[
            g("a", 10.0, 10.0),
            g("\u{02DC}", 16.0, 10.0),
            g("b", 22.0, 10.0),
        ]);
        assert_eq!(texts(&words), vec![("a\u{02DC}b", 0)]);
        assert!(!words[0]
            .text
            .chars()
            .any(|c| ('\u{0300}'..='\u{036F}').contains(&c)));
    }

    /// Ligature glyphs come out as their letters.
    #[test]
    fn ligature_glyphs_are_letters() {
        for (lig, letters) in [
            ("\u{FB00}", "ff"),
            ("\u{FB01}", "fi"),
            ("\u{FB02}", "fl"),
            ("\u{FB03}", "ffi"),
            ("\u{FB04}", "ffl"),
            ("\u{FB06}", "st"),
        ] {
            let words = build_words(&[g("o", 4.0, 10.0), g(lig, 10.0, 10.0), g("e", 16.0, 10.0)]);
            assert_eq!(words[0].text, format!("o{letters}e"));
        }
    }

    /// Thousands of runs drawn over one another (a hostile page) stay fast and lose nothing
    /// that is not a repeat.
    #[test]
    fn many_overlapping_runs_are_bounded() {
        let mut glyphs = Vec::new();
        for i in 0..3000 {
            glyphs.extend(text_at("AB", 10.0 + (i % 7) as f32 * 0.9, 50.0, 10.0));
        }
        let start = std::time::Instant::now();
        let words = build_words(&glyphs);
        assert!(start.elapsed().as_secs_f32() < 2.0);
        assert!(!words.is_empty());
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
        assert_eq!(printed_text("IFOS\u{2122}"), "IFOS\u{2122}");
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
