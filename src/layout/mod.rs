//! The page as a person sees it before reading any value: visual lines, page statistics, and
//! tables (a header row, column bands, rows).
//!
//! A leaf module: it knows words and their boxes, nothing of models, labels or orders, so the
//! extractor's passes can all read the same precomputed structure. Every tolerance is relative
//! to the page's own median word height (see [`Settings`]), never absolute page units: a PO
//! printed at 8 pt and one at 11 pt read the same way.

pub mod labels;
pub mod lexicon;
pub mod table;
pub mod tiers;

/// One word with its box, as every positioned input gives it.
#[derive(Debug, Clone, Copy)]
pub struct Token<'a> {
    pub text: &'a str,
    /// 1-based page number.
    pub page: u32,
    /// x0, y0, x1, y1 in page units, top-left origin.
    pub bbox: [f32; 4],
}

impl Token<'_> {
    pub fn height(&self) -> f32 {
        (self.bbox[3] - self.bbox[1]).max(0.1)
    }
    pub fn y_mid(&self) -> f32 {
        (self.bbox[1] + self.bbox[3]) / 2.0
    }
    pub fn x_mid(&self) -> f32 {
        (self.bbox[0] + self.bbox[2]) / 2.0
    }
}

/// Every tolerance of the layout step, as a multiple of the median word height `h`.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Two words are on one line when their boxes overlap vertically by this share of the
    /// smaller height.
    pub line_overlap: f32,
    /// Words of one header label ("Unit price") stand closer than this many `h`.
    pub phrase_gap: f32,
    /// A header printed on two lines: the second line's centre is at most this many `h` away.
    pub header_stack: f32,
    /// A table ends at a vertical gap wider than this many `h` after its last row.
    pub table_gap: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            line_overlap: 0.6,
            phrase_gap: 1.2,
            header_stack: 1.9,
            table_gap: 5.0,
        }
    }
}

/// A visual line: words on one page whose boxes overlap vertically, left to right.
#[derive(Debug, Clone)]
pub struct Line {
    pub page: u32,
    /// Indices into the token slice, sorted by x.
    pub words: Vec<usize>,
    pub y0: f32,
    pub y1: f32,
}

impl Line {
    pub fn y_mid(&self) -> f32 {
        (self.y0 + self.y1) / 2.0
    }
}

/// Statistics the tolerances scale with.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// Median word height.
    pub height: f32,
}

/// The precomputed structure of a document's words.
#[derive(Debug, Clone)]
pub struct Layout {
    pub lines: Vec<Line>,
    pub stats: Stats,
    pub settings: Settings,
    pub tables: Vec<table::Table>,
}

impl Layout {
    /// Lines, statistics and tables of `tokens` (any order, several pages).
    pub fn build(tokens: &[Token<'_>]) -> Layout {
        let settings = Settings::default();
        let stats = stats(tokens);
        let lines = lines(tokens, &settings);
        let tables = table::find_tables(tokens, &lines, stats, &settings);
        Layout {
            lines,
            stats,
            settings,
            tables,
        }
    }
}

impl Layout {
    /// Tables counted once per run of repeated headers: a table continued on the next page
    /// under the same column roles is one table.
    pub fn distinct_tables(&self) -> usize {
        let mut n = 0;
        let mut prev: Option<&table::Table> = None;
        for t in &self.tables {
            let continued = prev.is_some_and(|p| p.roles() == t.roles() && t.page > p.page);
            if !continued {
                n += 1;
            }
            prev = Some(t);
        }
        n
    }
}

fn median(mut v: Vec<f32>) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

/// Median word height (10 units when there are no words).
pub fn stats(tokens: &[Token<'_>]) -> Stats {
    Stats {
        height: median(tokens.iter().map(Token::height).collect()).unwrap_or(10.0),
    }
}

/// Group tokens into visual lines: per page, top to bottom; a word joins the line whose
/// vertical extent it overlaps enough, else it opens a new one.
pub fn lines(tokens: &[Token<'_>], settings: &Settings) -> Vec<Line> {
    let mut order: Vec<usize> = (0..tokens.len()).collect();
    order.sort_by(|&a, &b| {
        let (ta, tb) = (&tokens[a], &tokens[b]);
        ta.page
            .cmp(&tb.page)
            .then(ta.y_mid().total_cmp(&tb.y_mid()))
            .then(ta.bbox[0].total_cmp(&tb.bbox[0]))
    });
    let mut out: Vec<Line> = Vec::new();
    for i in order {
        let t = &tokens[i];
        let joins = out.last().is_some_and(|l| {
            let overlap = l.y1.min(t.bbox[3]) - l.y0.max(t.bbox[1]);
            let smaller = (l.y1 - l.y0).min(t.height()).max(0.1);
            l.page == t.page && overlap >= settings.line_overlap * smaller
        });
        match out.last_mut() {
            Some(l) if joins => {
                l.words.push(i);
                l.y0 = l.y0.min(t.bbox[1]);
                l.y1 = l.y1.max(t.bbox[3]);
            }
            _ => out.push(Line {
                page: t.page,
                words: vec![i],
                y0: t.bbox[1],
                y1: t.bbox[3],
            }),
        }
    }
    for l in &mut out {
        l.words
            .sort_by(|&a, &b| tokens[a].bbox[0].total_cmp(&tokens[b].bbox[0]));
    }
    out
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Token;

    /// The labels of SAP's purchase order form, in two tiers.
    pub(crate) const SAP_UPPER: &[(&str, f32)] =
        &[("Item", 10.0), ("Material", 50.0), ("Description", 200.0)];
    pub(crate) const SAP_LOWER: &[(&str, f32)] = &[
        ("Order", 20.0),
        ("qty.", 56.0),
        ("Unit", 140.0),
        ("Price", 260.0),
        ("per", 294.0),
        ("unit", 316.0),
        ("Net", 420.0),
        ("value", 442.0),
    ];

    /// SAP's form with two items, each on two lines: the first under the upper labels, its
    /// figures under the lower ones (the quantity right-aligned against the unit, the second
    /// price per thousand), and the vendor's code in a note under the first.
    pub(crate) fn sap_form() -> Vec<Token<'static>> {
        tokens(&[
            (1, SAP_UPPER),
            (2, SAP_LOWER),
            (
                4,
                &[
                    ("00010", 10.0),
                    ("00000000700-101790", 50.0),
                    ("PALLET", 200.0),
                    ("WOOD", 242.0),
                    ("CHEP", 270.0),
                ],
            ),
            (
                5,
                &[
                    ("504", 120.0),
                    ("Each", 140.0),
                    ("5.13", 290.0),
                    ("2,585.52", 430.0),
                ],
            ),
            (
                6,
                &[
                    ("Your", 50.0),
                    ("material", 80.0),
                    ("number", 134.0),
                    ("4000056400", 200.0),
                ],
            ),
            (
                8,
                &[
                    ("00020", 10.0),
                    ("1979135", 50.0),
                    ("BLUE", 200.0),
                    ("PALLET", 230.0),
                ],
            ),
            (
                9,
                &[
                    ("130", 120.0),
                    ("Unit", 140.0),
                    ("7,190.00/1,000", 250.0),
                    ("934.70", 436.0),
                ],
            ),
        ])
    }

    /// Tokens from rows of (text, x) at line `row` (12 units apart, 8 high), 6 units per char.
    pub(crate) fn tokens<'a>(rows: &[(u32, &[(&'a str, f32)])]) -> Vec<Token<'a>> {
        let mut out = Vec::new();
        for (row, words) in rows {
            for (text, x) in words.iter() {
                let y = *row as f32 * 12.0;
                out.push(Token {
                    text,
                    page: 1,
                    bbox: [*x, y, *x + text.chars().count() as f32 * 6.0, y + 8.0],
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_at_one_height_form_one_line_sorted_by_x() {
        let t = testing::tokens(&[(1, &[("b", 50.0), ("a", 10.0)]), (2, &[("c", 10.0)])]);
        let l = lines(&t, &Settings::default());
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].words, vec![1, 0]);
        assert_eq!(l[1].words, vec![2]);
    }
}
