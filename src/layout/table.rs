//! Item tables found the way a person finds them: a header row of column labels, column bands
//! under it, rows anchored on the numeric columns.
//!
//! Steps, each a plain function from one representation to the next:
//! 1. [`header_cells`]: a line's words grouped into labels, each with a [`Role`] from the
//!    lexicon; a line with enough roles is a header, and a label line stacked right above or
//!    below it ("Unit" / "Price") is merged into it.
//! 2. [`bands`]: a boundary between each two neighbouring columns, where the body's words
//!    leave the widest whitespace (so a left-aligned description wider than its label and a
//!    right-aligned number under a short label both stay in their column).
//! 3. [`rows`]: the body's lines until a totals line, a large gap, or the next header; a row
//!    opens at a line with a number in a numeric column (or a line number), and the lines
//!    without one join the row they belong to (wrapped text below, or centred rows above).
//! 4. the cells: each token of a row in the band it falls in.

use super::lexicon::{self, Role};
use super::tiers::{self, Lower};
use super::{Line, Settings, Stats, Token};

/// One column: its role, the label as printed, and the label's horizontal extent.
#[derive(Debug, Clone)]
pub struct Column {
    pub role: Role,
    pub label: String,
    pub x0: f32,
    pub x1: f32,
}

/// One item row: the lines it spans and, per column, its tokens in reading order.
#[derive(Debug, Clone)]
pub struct Row {
    pub lines: Vec<usize>,
    pub cells: Vec<Vec<usize>>,
    /// Which line of the row each token of `cells` stands on (parallel to `cells`).
    pub cell_lines: Vec<Vec<usize>>,
}

/// A table under one header (continued on later pages under a repeated header).
#[derive(Debug, Clone)]
pub struct Table {
    pub page: u32,
    pub header_lines: Vec<usize>,
    pub columns: Vec<Column>,
    /// Boundaries between neighbouring columns (`columns.len() - 1`), left to right.
    pub bounds: Vec<f32>,
    pub rows: Vec<Row>,
    /// A two-tier table ([`tiers`]): the lower tier's columns follow the upper tier's in
    /// `columns`, and `bounds` are the upper tier's. `None`: every row reads against one
    /// line of labels.
    pub lower: Option<Lower>,
}

impl Table {
    pub fn column(&self, role: Role) -> Option<usize> {
        self.columns.iter().position(|c| c.role == role)
    }

    /// The column a point at `x` falls in.
    pub fn column_at(&self, x: f32) -> usize {
        self.bounds.iter().take_while(|&&b| x >= b).count()
    }

    /// Distinct contract roles in the header (no `Other`).
    pub fn roles(&self) -> Vec<Role> {
        let mut v: Vec<Role> = Vec::new();
        for c in &self.columns {
            if c.role != Role::Other && !v.contains(&c.role) {
                v.push(c.role);
            }
        }
        v
    }
}

/// A header label: consecutive words of one line, with its role if the lexicon knows it.
#[derive(Debug, Clone)]
pub struct Cell {
    pub role: Option<Role>,
    pub words: Vec<usize>,
    pub x0: f32,
    pub x1: f32,
}

fn text_of(tokens: &[Token<'_>], words: &[usize]) -> String {
    words
        .iter()
        .map(|&i| tokens[i].text)
        .collect::<Vec<_>>()
        .join(" ")
}

fn cell(tokens: &[Token<'_>], words: Vec<usize>, role: Option<Role>) -> Cell {
    let x0 = words
        .iter()
        .map(|&i| tokens[i].bbox[0])
        .fold(f32::MAX, f32::min);
    let x1 = words
        .iter()
        .map(|&i| tokens[i].bbox[2])
        .fold(f32::MIN, f32::max);
    Cell {
        role,
        words,
        x0,
        x1,
    }
}

/// Group a line's words into labels: at each word the longest run of close words (at most
/// four) that the lexicon knows; words it does not know stay labels of their own, joined with
/// close unknown neighbours.
pub fn header_cells(tokens: &[Token<'_>], line: &Line, stats: Stats, s: &Settings) -> Vec<Cell> {
    let w = &line.words;
    let close = |a: usize, b: usize| {
        tokens[w[b]].bbox[0] - tokens[w[a]].bbox[2] <= s.phrase_gap * stats.height
    };
    let mut out: Vec<Cell> = Vec::new();
    let mut i = 0;
    while i < w.len() {
        let mut best: Option<(usize, Role)> = None;
        let mut end = i;
        while end < w.len() && end < i + 4 {
            if end > i && !close(end - 1, end) {
                break;
            }
            if let Some(r) = lexicon::role_of(&text_of(tokens, &w[i..=end])) {
                best = Some((end, r));
            }
            end += 1;
        }
        match best {
            Some((e, r)) => {
                out.push(cell(tokens, w[i..=e].to_vec(), Some(r)));
                i = e + 1;
            }
            None => {
                let glue = out.last().is_some_and(|c| c.role.is_none()) && i > 0 && close(i - 1, i);
                match out.last_mut() {
                    Some(c) if glue => {
                        c.words.push(w[i]);
                        c.x1 = c.x1.max(tokens[w[i]].bbox[2]);
                    }
                    _ => out.push(cell(tokens, vec![w[i]], None)),
                }
                i += 1;
            }
        }
    }
    out
}

fn has_digits(text: &str) -> bool {
    text.chars().filter(char::is_ascii_digit).count() >= 2
}

/// Is this set of labels a table header? Enough distinct contract roles, one of them a
/// quantity or money column, and little that looks like data.
fn is_header(tokens: &[Token<'_>], cells: &[Cell]) -> bool {
    let mut roles: Vec<Role> = cells
        .iter()
        .filter_map(|c| c.role)
        .filter(|r| *r != Role::Other)
        .collect();
    roles.sort_by_key(|r| *r as u8);
    roles.dedup();
    let numeric = roles.iter().filter(|r| r.numeric()).count();
    let known = cells.iter().filter(|c| c.role.is_some()).count();
    let unknown_words: usize = cells
        .iter()
        .filter(|c| c.role.is_none())
        .map(|c| c.words.len())
        .sum();
    let data_like = cells
        .iter()
        .flat_map(|c| c.words.iter())
        .filter(|&&i| has_digits(tokens[i].text))
        .count();
    numeric >= 1
        && (roles.len() >= 3 || (roles.len() == 2 && roles.contains(&Role::Quantity)))
        && data_like <= 1
        && unknown_words <= known + 1
}

/// One header from its stacked label lines: the line with the most labels gives the columns, and the lines above and below it merge in, nearest first.
/// Which line comes first on the page does not decide the columns: "Unit of" over "Quantity
/// measure ... Unit price" is the lower line's columns.
/// On a tie the line the search started from (`first`) keeps the columns.
fn merge_header_lines(
    tokens: &[Token<'_>],
    mut stack: Vec<(usize, Vec<Cell>)>,
    first: usize,
) -> Vec<Cell> {
    let score = |(line, cells): &(usize, Vec<Cell>)| {
        let known = cells.iter().filter(|c| c.role.is_some()).count();
        (cells.len(), *line == first, known)
    };
    let base = (0..stack.len())
        .max_by_key(|&k| score(&stack[k]))
        .unwrap_or(0);
    let below = stack.split_off((base + 1).min(stack.len()));
    let mut cells = stack.pop().map(|(_, c)| c).unwrap_or_default();
    for (_, above) in stack.into_iter().rev() {
        merge_stacked(tokens, &mut cells, above, true);
    }
    for (_, under) in below {
        merge_stacked(tokens, &mut cells, under, false);
    }
    cells
}

/// Merge a label line stacked above or below the header into its labels ("Unit" over
/// "Price", "Order" over "Qty"): a word over a label joins it, a word over nothing is a label
/// of its own.
fn merge_stacked(tokens: &[Token<'_>], cells: &mut Vec<Cell>, extra: Vec<Cell>, above: bool) {
    for e in extra {
        let hit = cells
            .iter_mut()
            .filter(|c| e.x0 <= c.x1 && c.x0 <= e.x1)
            .max_by(|a, b| {
                let ov = |c: &Cell| c.x1.min(e.x1) - c.x0.max(e.x0);
                ov(a).total_cmp(&ov(b))
            });
        match hit {
            // A word over part of a label splits it: "Item" over the "number" of
            // "Line number" makes "Line" and "Item number".
            Some(c) if split_under(tokens, c, &e, above).is_some() => {
                if let Some(parts) = split_under(tokens, c, &e, above) {
                    *c = parts[0].clone();
                    cells.extend(parts.into_iter().skip(1));
                }
            }
            Some(c) => {
                let words: Vec<usize> = if above {
                    e.words.iter().chain(c.words.iter()).copied().collect()
                } else {
                    c.words.iter().chain(e.words.iter()).copied().collect()
                };
                let joined = lexicon::role_of(&text_of(tokens, &words));
                c.role = joined.or(c.role).or(e.role);
                c.words = words;
                c.x0 = c.x0.min(e.x0);
                c.x1 = c.x1.max(e.x1);
            }
            None => cells.push(e),
        }
    }
    cells.sort_by(|a, b| a.x0.total_cmp(&b.x0));
}

/// `c` cut where `e` stands over only some of its words, when those words with `e` make a
/// known label: the parts left to right, each classified on its own.
fn split_under(tokens: &[Token<'_>], c: &Cell, e: &Cell, above: bool) -> Option<Vec<Cell>> {
    if c.words.len() < 2 {
        return None;
    }
    let under: Vec<usize> = c
        .words
        .iter()
        .copied()
        .filter(|&i| tokens[i].bbox[0] <= e.x1 && e.x0 <= tokens[i].bbox[2])
        .collect();
    if under.is_empty() || under.len() == c.words.len() {
        return None;
    }
    let joined: Vec<usize> = if above {
        e.words.iter().chain(under.iter()).copied().collect()
    } else {
        under.iter().chain(e.words.iter()).copied().collect()
    };
    let role = lexicon::role_of(&text_of(tokens, &joined))?;
    let first = under[0];
    let pos = c.words.iter().position(|&i| i == first)?;
    let left: Vec<usize> = c.words[..pos].to_vec();
    let right: Vec<usize> = c.words[pos + under.len()..].to_vec();
    let mut out = Vec::new();
    for part in [left, right] {
        if !part.is_empty() {
            let r = lexicon::role_of(&text_of(tokens, &part));
            out.push(cell(tokens, part, r));
        }
    }
    let mut mid = cell(tokens, joined, Some(role));
    let (x0, x1) = under
        .iter()
        .chain(e.words.iter())
        .fold((f32::MAX, f32::MIN), |(a, b), &i| {
            (a.min(tokens[i].bbox[0]), b.max(tokens[i].bbox[2]))
        });
    mid.x0 = x0;
    mid.x1 = x1;
    out.insert(0, mid);
    Some(out)
}

/// A line that can be the second line of a stacked header: all words, no data. A sign of its
/// own ("%" under "Margin", "#") is part of a label, not data.
fn label_line(tokens: &[Token<'_>], line: &Line) -> bool {
    let word = |t: &str| t.chars().any(char::is_alphabetic);
    let sign = |t: &str| t.chars().count() <= 2 && t.chars().all(|c| "%#/&()".contains(c));
    line.words.len() <= 12
        && !sentence_line(tokens, line)
        && line.words.iter().any(|&i| word(tokens[i].text))
        && line.words.iter().all(|&i| {
            let t = tokens[i].text;
            !has_digits(t) && (word(t) || sign(t))
        })
}

/// Column boundaries: between each two neighbouring columns, the x where the body's words
/// leave the most whitespace (fewest words covering it); of those, a place in a gutter at
/// least a word height wide before a space between two words; nearest the labels' gap on a tie.
pub fn bands(tokens: &[Token<'_>], columns: &[Column], body: &[&Line]) -> Vec<f32> {
    // Words covering each whole x, from a difference array: linear in words and page width.
    let boxes: Vec<[f32; 4]> = body
        .iter()
        .flat_map(|l| l.words.iter().map(|&i| tokens[i].bbox))
        .collect();
    let left = columns
        .first()
        .map_or(0.0, |c| c.x0)
        .min(boxes.iter().map(|b| b[0]).fold(f32::MAX, f32::min));
    let origin = left.floor().max(0.0);
    let width = columns
        .last()
        .map_or(0.0, |c| c.x1)
        .max(boxes.iter().map(|b| b[2]).fold(0.0, f32::max));
    let n = ((width - origin).ceil().max(0.0) as usize + 2).min(100_000);
    let mut diff = vec![0i32; n + 1];
    for b in &boxes {
        // x is covered when b[0] < x < b[2].
        let a = ((b[0] - origin).floor() + 1.0).max(0.0) as usize;
        let e = ((b[2] - origin).ceil()).max(0.0) as usize;
        if a < e && a < n {
            diff[a] += 1;
            diff[e.min(n)] -= 1;
        }
    }
    let mut cover = vec![0i32; n];
    let mut run = 0;
    for (x, d) in diff.iter().take(n).enumerate() {
        run += d;
        cover[x] = run;
    }
    let at = |x: f32| -> i32 {
        let k = (x - origin).round();
        if k < 0.0 {
            return 0;
        }
        cover.get(k as usize).copied().unwrap_or(0)
    };
    // The width of the run of equal cover each x stands in: a space between two words of a
    // description is as empty as a gutter, but far narrower.
    let mut run_width = vec![0usize; n];
    let mut start = 0;
    for x in 1..=n {
        if x == n || cover[x] != cover[start] {
            for w in &mut run_width[start..x] {
                *w = x - start;
            }
            start = x;
        }
    }
    let mut heights: Vec<f32> = boxes.iter().map(|b| b[3] - b[1]).collect();
    heights.sort_by(f32::total_cmp);
    let height = heights.get(heights.len() / 2).copied().unwrap_or(0.0);
    // Word ends and starts, sorted: does a column keep any word on its side of a bound?
    let mut ends: Vec<f32> = boxes.iter().map(|b| b[2]).collect();
    ends.sort_by(f32::total_cmp);
    let mut starts: Vec<f32> = boxes.iter().map(|b| b[0]).collect();
    starts.sort_by(f32::total_cmp);
    let any_in = |sorted: &[f32], lo: f32, hi: f32| -> bool {
        let k = sorted.partition_point(|&v| v < lo);
        sorted.get(k).is_some_and(|&v| v <= hi)
    };
    let narrow = |x: f32| -> bool {
        let k = (x - origin).round();
        k >= 0.0
            && run_width
                .get(k as usize)
                .is_some_and(|&w| (w as f32) < height)
    };
    let mut out = Vec::new();
    for pair in columns.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let lo = (a.x0 + a.x1) / 2.0;
        let hi = (b.x0 + b.x1) / 2.0;
        let gap_mid = (a.x1 + b.x0) / 2.0;
        let mut best = (i32::MAX, true, f32::MAX, gap_mid);
        let steps = (hi - lo).max(1.0).ceil() as usize;
        for k in 0..=steps.min(4000) {
            let x = lo + (hi - lo) * k as f32 / steps.max(1) as f32;
            // Labels themselves are ink too: never cut through one.
            let separate = a.x1 < b.x0;
            if separate && ((a.x0..=a.x1).contains(&x) || (b.x0..=b.x1).contains(&x)) {
                continue;
            }
            let c = at(x);
            // A wide gutter that leaves one of the two columns no word of its own is the
            // margin beside a column, not the gap between two ("450 CHEP PALLET").
            let emptied = !any_in(&ends, a.x0, x) || !any_in(&starts, x, b.x1);
            let thin = emptied || narrow(x);
            let dist = (x - gap_mid).abs();
            if (c, thin) < (best.0, best.1) || (c, thin) == (best.0, best.1) && dist < best.2 {
                best = (c, thin, dist, x);
            }
        }
        out.push(best.3);
    }
    out
}

pub fn is_number(text: &str) -> bool {
    let t = text.trim_matches(|c: char| "$€£¥₹(),:;*".contains(c));
    let digits = t.chars().filter(char::is_ascii_digit).count();
    digits >= 1
        && t.chars()
            .all(|c| c.is_ascii_digit() || ".,'-  %".contains(c) || c == '\u{a0}')
        && !t.starts_with(['.', ','])
        || digits >= 1 && t.len() <= 14 && {
            // "12.00EA", "5,39€": a number with a glued unit or sign.
            let lead: String = t
                .chars()
                .take_while(|c| c.is_ascii_digit() || ".,".contains(*c))
                .collect();
            lead.chars().filter(char::is_ascii_digit).count() >= 1
                && t[lead.len()..].chars().all(char::is_alphabetic)
                && t.len() - lead.len() <= 3
        }
}

/// A date such as 2/3/2021, 03.02.2021 or 2021-02-03: never a quantity or a price.
pub fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split(['/', '.', '-']).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
}

/// A line of running text: eight words or more, most of them in lower case, and a sentence's
/// end or its small words ("the", "and", "as per"). Labels are capitalised or in capitals
/// and do not run on like that.
fn sentence_line(tokens: &[Token<'_>], line: &Line) -> bool {
    const SMALL: &[&str] = &[
        "the", "and", "as", "to", "we", "you", "please", "our", "your", "are", "is", "with", "der",
        "die", "und", "le", "la", "les", "et", "el", "los", "y", "het", "en",
    ];
    let words: Vec<&str> = line
        .words
        .iter()
        .map(|&i| tokens[i].text)
        .filter(|t| t.chars().any(char::is_alphabetic))
        .collect();
    let lower = words
        .iter()
        .filter(|t| t.chars().next().is_some_and(char::is_lowercase))
        .count();
    let small = words
        .iter()
        .filter(|t| SMALL.contains(&t.to_lowercase().as_str()))
        .count();
    let ends = words.last().is_some_and(|t| t.ends_with('.'));
    words.len() >= 8 && lower * 10 >= words.len() * 6 && (ends || small >= 3)
}

/// Find every item table of the document.
pub fn find_tables(tokens: &[Token<'_>], lines: &[Line], stats: Stats, s: &Settings) -> Vec<Table> {
    let mut headers: Vec<(usize, Vec<usize>, Vec<Cell>)> = Vec::new();
    // Headers of two label lines that may be two tiers, by their first line.
    let mut splits: std::collections::HashMap<usize, [Vec<Cell>; 2]> = Default::default();
    let mut skip_until = 0;
    for (li, line) in lines.iter().enumerate() {
        if li < skip_until {
            continue;
        }
        // A sentence over the table ("Please supply the following items ... as per terms &
        // conditions") names labels in passing; it is no header line.
        if sentence_line(tokens, line) {
            continue;
        }
        let first = header_cells(tokens, line, stats, s);
        // Stacked label lines are measured in their own height: a page of fine print
        // (terms on the back) pulls the document's median word height below the header's.
        let stack_reach = |a: &Line, b: &Line| {
            let own = (a.y1 - a.y0).min(b.y1 - b.y0);
            s.header_stack * stats.height.max(own)
        };
        let near = |o: usize| {
            lines[o].page == line.page
                && (lines[o].y_mid() - line.y_mid()).abs() <= stack_reach(&lines[o], line)
                && label_line(tokens, &lines[o])
        };
        let known_before = first.iter().filter(|c| c.role.is_some()).count();
        if known_before == 0 {
            continue;
        }
        // The header's lines with their labels, top to bottom.
        let mut stack: Vec<(usize, Vec<Cell>)> = Vec::new();
        if li > 0 && li > skip_until && near(li - 1) {
            let above = header_cells(tokens, &lines[li - 1], stats, s);
            if above.iter().any(|c| c.role.is_some()) {
                stack.push((li - 1, above));
            }
        }
        stack.push((li, first));
        // A header can run over up to five lines ("Price" / "Per" / "Unit"): each next label line
        // close under the last one joins.
        let mut next = li + 1;
        while next < lines.len() && stack.len() < 5 {
            let last = stack.last().map_or(li, |(l, _)| *l);
            let close = lines[next].page == line.page
                && (lines[next].y_mid() - lines[last].y_mid()).abs()
                    <= stack_reach(&lines[next], &lines[last])
                && label_line(tokens, &lines[next]);
            if !close {
                break;
            }
            let below = header_cells(tokens, &lines[next], stats, s);
            if !below.iter().any(|c| c.role.is_some()) {
                break;
            }
            stack.push((next, below));
            next += 1;
        }
        // The line the search started from may be a line of "label value" pairs over the
        // header ("VENDOR NO. 200111  SHIP VIA Prepaid  F.O.B."): with data in it, it joins
        // only when it gives the columns itself.
        if stack.len() > 1 && !label_line(tokens, line) {
            let cells_of = |l: usize| {
                stack
                    .iter()
                    .find(|(k, _)| *k == l)
                    .map_or(0, |(_, c)| c.len())
            };
            if stack
                .iter()
                .any(|(k, c)| *k != li && c.len() > cells_of(li))
            {
                stack.retain(|(k, _)| *k != li);
            }
        }
        let header_lines: Vec<usize> = stack.iter().map(|(l, _)| *l).collect();
        let split = tiers::split(&stack);
        let cells = merge_header_lines(tokens, stack, li);
        if is_header(tokens, &cells) {
            skip_until = header_lines.last().map_or(li + 1, |l| l + 1);
            if let Some(split) = split {
                splits.insert(li, split);
            }
            headers.push((li, header_lines, cells));
        }
    }
    let skipped = nested_headers(tokens, lines, &mut headers, stats);
    // Each header's columns and body, and for a header that may be two tiers, its tiers'
    // columns, the kind of each body line and what they show.
    type Tiered = (Vec<Column>, Vec<Column>, Vec<tiers::Kind>, tiers::Evidence);
    let mut read: Vec<(Vec<Column>, Vec<usize>, Option<Tiered>)> = Vec::new();
    for (k, (li, header_lines, cells)) in headers.iter().enumerate() {
        let page = lines[*li].page;
        let next_header = headers.get(k + 1).map_or(lines.len(), |h| h.1[0]);
        let start = header_lines.last().map_or(li + 1, |l| l + 1);
        let mut columns: Vec<Column> = Vec::new();
        for c in cells {
            let role = c.role.unwrap_or(Role::Other);
            let label = text_of(tokens, &c.words);
            match columns.last_mut() {
                // One label printed as two ("Product/Service" "Name"): one description.
                Some(prev) if prev.role == Role::Description && role == Role::Description => {
                    prev.label = format!("{} {label}", prev.label);
                    prev.x1 = prev.x1.max(c.x1);
                }
                _ => columns.push(Column {
                    role,
                    label,
                    x0: c.x0,
                    x1: c.x1,
                }),
            }
        }
        let span = Span {
            start,
            end: next_header,
            page,
        };
        let body = body_lines(tokens, lines, span, &columns, cells, &skipped, stats, s);
        let tiered = splits.get(li).map(|[upper, lower]| {
            let upper = tiers::columns(tokens, upper);
            let lower = tiers::columns(tokens, lower);
            let kinds = tiers::kinds(tokens, lines, &body, &upper, stats.height);
            let evidence = tiers::evidence(tokens, lines, &body, &kinds);
            (upper, lower, kinds, evidence)
        });
        read.push((columns, body, tiered));
    }
    // Read in tiers: an item opened and its figures under it on the page, or its figures
    // on the next page's table, or this page's table going on with the figures of an item
    // read in tiers on the page before. No opening line may carry figures of its own.
    let mut in_tiers = vec![false; read.len()];
    for k in 0..read.len() {
        let Some((_, _, _, e)) = &read[k].2 else {
            continue;
        };
        let next_figures = read
            .get(k + 1)
            .and_then(|r| r.2.as_ref())
            .is_some_and(|t| t.3.starts_with_figures);
        let prev = k > 0 && in_tiers[k - 1];
        in_tiers[k] = !e.flat
            && (e.pairs >= 1 || e.ends_open && next_figures || e.starts_with_figures && prev);
    }
    let mut tables = Vec::new();
    for (k, (columns, body, tiered)) in read.into_iter().enumerate() {
        let (li, header_lines, _) = &headers[k];
        let page = lines[*li].page;
        if let Some((upper, lower, kinds, _)) = tiered.filter(|_| in_tiers[k]) {
            let (bounds, lower_bounds) =
                tiers::tier_bounds(tokens, lines, &body, &kinds, &upper, &lower);
            let from = upper.len();
            let mut table = Table {
                page,
                header_lines: header_lines.clone(),
                columns: upper.into_iter().chain(lower).collect(),
                bounds,
                rows: vec![],
                lower: Some(Lower {
                    from,
                    bounds: lower_bounds,
                }),
            };
            // "Item" over "00010", "00020": the line number, as in one-tier tables.
            let opening: Vec<usize> = body
                .iter()
                .zip(&kinds)
                .filter(|(_, k)| **k == tiers::Kind::Opens)
                .map(|(&l, _)| l)
                .collect();
            for c in 0..from {
                if table.columns[c].role == Role::Sku
                    && table.column(Role::LineNo).is_none()
                    && counting(tokens, lines, &opening, &table, c)
                {
                    table.columns[c].role = Role::LineNo;
                }
            }
            table.rows = tiers::rows(tokens, lines, &body, &kinds, &table);
            tables.push(table);
            continue;
        }
        let body_refs: Vec<&Line> = body.iter().map(|&i| &lines[i]).collect();
        let bounds = bands(tokens, &columns, &body_refs);
        let mut table = Table {
            page,
            header_lines: header_lines.clone(),
            columns,
            bounds,
            rows: vec![],
            lower: None,
        };
        fix_roles(tokens, lines, &body, &mut table);
        table.rows = rows(tokens, lines, &body, &table, stats);
        tables.push(table);
    }
    tiers::join_pages(&mut tables);
    tables
}

/// A header inside another table's body, its own columns under it, after which the outer
/// table's rows go on: a per-item schedule ("Ship To  Sch Num  Promised Date  Pri Qty ...")
/// printed under each line of an Oracle-style PO. It is no table of its own: it and its
/// lines (up to the next outer row) leave the outer body, which runs on past it. Returns
/// the lines to leave out; the nested headers leave `headers`.
fn nested_headers(
    tokens: &[Token<'_>],
    lines: &[Line],
    headers: &mut Vec<(usize, Vec<usize>, Vec<Cell>)>,
    stats: Stats,
) -> std::collections::HashSet<usize> {
    let mut skipped = std::collections::HashSet::new();
    let mut k = 1;
    while k < headers.len() {
        let outer = &headers[k - 1];
        let inner = &headers[k];
        let page = lines[inner.0].page;
        let roles = |h: &(usize, Vec<usize>, Vec<Cell>)| -> Vec<Option<Role>> {
            h.2.iter().map(|c| c.role).collect()
        };
        if lines[outer.0].page != page || roles(outer) == roles(inner) {
            k += 1;
            continue;
        }
        let from = inner.1.last().map_or(inner.0, |l| l + 1);
        let until = headers.get(k + 1).map_or(lines.len(), |h| h.1[0]);
        let resume = (from..until)
            .take_while(|&li| lines[li].page == page)
            .find(|&li| outer_row(tokens, &lines[li], &outer.2, stats));
        match resume {
            Some(r) => {
                skipped.extend(inner.1[0]..r);
                headers.remove(k);
            }
            None => k += 1,
        }
    }
    skipped
}

/// Does `line` read as a row of the table headed by `cells`: a code or line number left
/// of the description, words under the description, and two numbers under numeric labels?
fn outer_row(tokens: &[Token<'_>], line: &Line, cells: &[Cell], stats: Stats) -> bool {
    let Some(d) = cells.iter().position(|c| c.role == Some(Role::Description)) else {
        return false;
    };
    let h = stats.height;
    let desc_x0 = cells[d].x0 - h;
    let desc_x1 = cells.get(d + 1).map_or(f32::MAX, |c| c.x0);
    let first_x0 = cells.first().map_or(0.0, |c| c.x0) - 2.0 * h;
    let mut marker = false;
    let mut text = false;
    let mut numbers = std::collections::BTreeSet::new();
    for &i in &line.words {
        let t = &tokens[i];
        let x = t.x_mid();
        if x >= first_x0 && x < desc_x0 && t.text.chars().any(|c| c.is_ascii_digit()) {
            marker = true;
        } else if x >= desc_x0 && x < desc_x1 && t.text.chars().any(char::is_alphabetic) {
            text = true;
        }
        if is_number(t.text) && !is_date(t.text) {
            if let Some(c) = cells.iter().position(|c| {
                c.role.is_some_and(Role::numeric) && t.bbox[2] > c.x0 - h && t.bbox[0] < c.x1 + h
            }) {
                numbers.insert(c);
            }
        }
    }
    marker && text && numbers.len() >= 2
}

/// Where a table's body may lie: lines `start..end` of `page`.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    page: u32,
}

/// The body of a table: lines after its header on the same page, up to a totals line, a gap
/// wider than `table_gap` word heights, or the next header. Lines of a nested header's block
/// (`skipped`) are left out, and a gap after which the table's rows go on (a line that reads
/// as one of its rows) does not end it.
#[allow(clippy::too_many_arguments)]
fn body_lines(
    tokens: &[Token<'_>],
    lines: &[Line],
    span: Span,
    columns: &[Column],
    cells: &[Cell],
    skipped: &std::collections::HashSet<usize>,
    stats: Stats,
    s: &Settings,
) -> Vec<usize> {
    let left = columns.first().map_or(0.0, |c| c.x0) - 4.0 * stats.height;
    let right = columns.last().map_or(f32::MAX, |c| c.x1) + 4.0 * stats.height;
    let mut out: Vec<usize> = Vec::new();
    let mut last_y = lines
        .get(span.start.saturating_sub(1))
        .map_or(0.0, |l| l.y1);
    let ends = |li: usize| lexicon::ends_table(&text_of(tokens, &lines[li].words));
    let mut resume = 0;
    for (li, line) in lines.iter().enumerate().take(span.end).skip(span.start) {
        if line.page != span.page {
            break;
        }
        if skipped.contains(&li) || li < resume {
            continue;
        }
        if ends(li) {
            break;
        }
        if line.y0 - last_y > s.table_gap * stats.height && !out.is_empty() {
            // After the gap, the table's rows may go on below a block of their own (a
            // schedule under each item): skip to the next line that reads as a row.
            let next = (li..span.end)
                .take_while(|&j| lines[j].page == span.page && !ends(j))
                .find(|&j| outer_row(tokens, &lines[j], cells, stats));
            match next {
                Some(j) => resume = j,
                None => break,
            }
            if li < resume {
                continue;
            }
        }
        let inside = line
            .words
            .iter()
            .filter(|&&i| tokens[i].bbox[2] > left && tokens[i].bbox[0] < right)
            .count();
        if inside == 0 {
            continue;
        }
        out.push(li);
        last_y = line.y1;
    }
    out
}

/// Correct a column's role from what its body holds: a "unit" column full of numbers is the
/// price, an "item" column of long phrases is the description.
fn fix_roles(tokens: &[Token<'_>], lines: &[Line], body: &[usize], table: &mut Table) {
    let n = table.columns.len();
    let mut numeric = vec![0usize; n];
    let mut filled = vec![0usize; n];
    let mut words = vec![0usize; n];
    for &li in body {
        let mut seen = vec![false; n];
        for &i in &lines[li].words {
            let c = table.column_at(tokens[i].x_mid());
            if c >= n {
                continue;
            }
            words[c] += 1;
            if !seen[c] {
                seen[c] = true;
                filled[c] += 1;
                if is_number(tokens[i].text) && !is_date(tokens[i].text) {
                    numeric[c] += 1;
                }
            }
        }
    }
    let has = |t: &Table, r: Role| t.columns.iter().any(|c| c.role == r);
    for c in 0..n {
        if filled[c] == 0 {
            continue;
        }
        let mostly_numbers = numeric[c] * 10 >= filled[c] * 7;
        match table.columns[c].role {
            Role::Uom if mostly_numbers => {
                table.columns[c].role = if has(table, Role::UnitPrice) {
                    Role::Other
                } else {
                    Role::UnitPrice
                };
            }
            Role::Sku if !has(table, Role::Description) && words[c] >= 3 * filled[c] => {
                table.columns[c].role = Role::Description;
            }
            Role::Sku if !has(table, Role::LineNo) && counting(tokens, lines, body, table, c) => {
                table.columns[c].role = Role::LineNo;
            }
            _ => {}
        }
    }
}

/// Does column `c` count lines (1, 2, 3 or 10, 20, 30: small whole numbers going up)? Then
/// it is the line number, whatever its label says ("Item" on SAP forms, "00010"). A note
/// that runs into the column ("Partial shipments ...") has no digit and does not count.
fn counting(tokens: &[Token<'_>], lines: &[Line], body: &[usize], table: &Table, c: usize) -> bool {
    let mut values = Vec::new();
    for &li in body {
        let mut first = true;
        for &i in &lines[li].words {
            if table.column_at(tokens[i].x_mid()) == c {
                let opens = std::mem::replace(&mut first, false);
                let t = tokens[i].text.trim_end_matches(['.', ')']);
                if !t.chars().any(|ch| ch.is_ascii_digit()) {
                    continue;
                }
                // A line number opens its cell; "CHEP PALLET 00" is a code's.
                if !opens || t.len() > 5 || !t.chars().all(|ch| ch.is_ascii_digit()) {
                    return false;
                }
                values.push(t.parse::<u32>().unwrap_or(0));
            }
        }
    }
    let going_up = values.windows(2).all(|w| w[1] > w[0]);
    // A table continued from the page before counts on from where it was (90, 100, 110).
    let step = |w: &[u32]| i64::from(w[1]) - i64::from(w[0]);
    let even_steps =
        going_up && values.len() >= 3 && values.windows(2).all(|w| step(w) == step(&values[..2]));
    !values.is_empty() && going_up && (values[0] <= 10 || even_steps)
}

/// Cut the body into rows. A line opens a row when it holds a number in a numeric column;
/// when a line-number column is filled on most of those lines, a line number opens it instead.
/// Lines between two opening lines go to the row above, unless a wider gap or a code/line
/// number puts them with the row below (rows whose numbers are centred beside wrapped text).
fn rows(
    tokens: &[Token<'_>],
    lines: &[Line],
    body: &[usize],
    table: &Table,
    _stats: Stats,
) -> Vec<Row> {
    let n = table.columns.len();
    let col_of = |i: usize| table.column_at(tokens[i].x_mid()).min(n.saturating_sub(1));
    let role_at = |i: usize| table.columns.get(col_of(i)).map(|c| c.role);
    let numeric_line = |li: usize| {
        lines[li].words.iter().any(|&i| {
            role_at(i).is_some_and(Role::numeric)
                && is_number(tokens[i].text)
                && !is_date(tokens[i].text)
        })
    };
    let marker_line = |li: usize| {
        lines[li].words.iter().any(|&i| match role_at(i) {
            Some(Role::LineNo) => {
                let t = tokens[i].text.trim_end_matches(['.', ')']);
                !t.is_empty() && t.len() <= 5 && t.chars().all(|c| c.is_ascii_digit())
            }
            Some(Role::Sku) => {
                let t = tokens[i].text;
                t.chars().any(|c| c.is_ascii_alphanumeric()) && !t.contains(':') && !is_date(t)
            }
            _ => false,
        })
    };
    // A schedule or note sub-row ("F.Ent:02/01/2021  1,428.000") repeats one number under
    // its item: a line opens a row only with a code, a description or two numbers.
    // Figures in numeric columns, by column; a bare zero ("0", "00": the wrapped tail of a
    // number cut by its column) counts for no item.
    let numbers_in = |li: usize| {
        lines[li]
            .words
            .iter()
            .filter(|&&i| {
                role_at(i).is_some_and(Role::numeric)
                    && is_number(tokens[i].text)
                    && !is_date(tokens[i].text)
                    && tokens[i]
                        .text
                        .chars()
                        .any(|c| c.is_ascii_digit() && c != '0')
            })
            .map(|&i| col_of(i))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let opens_row = |li: usize| {
        let numbers = numbers_in(li);
        let text = lines[li].words.iter().any(|&i| {
            matches!(
                role_at(i),
                Some(Role::Sku | Role::CustomerPart | Role::Description | Role::LineNo)
            ) && !tokens[i].text.contains(':')
                && !is_date(tokens[i].text)
        });
        numbers >= 1 && (text || numbers >= 2)
    };
    let mut anchors: Vec<usize> = body
        .iter()
        .copied()
        .filter(|&li| numeric_line(li) && opens_row(li))
        .collect();
    // Where the items carry line numbers, a line with numbers but no line number, no code and
    // no word of text is a schedule or a carried subtotal of the item above, not an item.
    // A line number right-aligned past its label's band into the code column still stands
    // left of the code's label; a wrapped code's digits do not.
    let code_x0 = table
        .column(Role::Sku)
        .filter(|_| table.column(Role::LineNo).is_some())
        .map_or(f32::MIN, |c| table.columns[c].x0);
    let numbered = |li: usize| {
        lines[li].words.first().is_some_and(|&i| {
            let t = tokens[i].text.trim_end_matches(['.', ')']);
            (role_at(i) == Some(Role::LineNo)
                || role_at(i) == Some(Role::Sku) && tokens[i].x_mid() < code_x0)
                && !t.is_empty()
                && t.len() <= 5
                && t.chars().all(|c| c.is_ascii_digit())
        })
    };
    let named = |li: usize| {
        lines[li].words.iter().any(|&i| match role_at(i) {
            Some(Role::Sku | Role::CustomerPart) => {
                tokens[i].text.chars().any(|c| c.is_alphanumeric())
            }
            Some(Role::Description) => tokens[i].text.chars().any(char::is_alphabetic),
            _ => false,
        })
    };
    let with_no = anchors.iter().filter(|&&a| numbered(a)).count();
    if with_no > 0 {
        // Where rows are numbered, an unnumbered one needs two numbers of its own (not
        // zero): a wrapped code or text line with stray figures under it is no item.
        // Below the last numbered row, lines with figures are the table's own charge and
        // total rows ("Delivery 25.00"): they stay rows.
        let most = with_no >= 2;
        let last = anchors
            .iter()
            .copied()
            .filter(|&a| numbered(a))
            .max()
            .unwrap_or(0);
        anchors.retain(|&a| a > last || numbered(a) || named(a) && (!most || numbers_in(a) >= 2));
    }
    if anchors.is_empty() {
        return vec![];
    }
    // Group: each body line goes to an anchor.
    let mut owner: Vec<Option<usize>> = vec![None; body.len()];
    let pos_of = |li: usize| body.iter().position(|&b| b == li);
    let anchor_pos: Vec<usize> = anchors.iter().filter_map(|&a| pos_of(a)).collect();
    // Lines right above the first anchor, packed against it: its text centred above.
    if let Some(&first) = anchor_pos.first() {
        let pitch = (lines[body[first]].y1 - lines[body[first]].y0).max(1.0);
        let mut next_y0 = lines[body[first]].y0;
        for p in (0..first).rev() {
            let l = &lines[body[p]];
            if next_y0 - l.y1 > 0.8 * pitch {
                break;
            }
            owner[p] = Some(0);
            next_y0 = l.y0;
        }
    }
    for (k, &ap) in anchor_pos.iter().enumerate() {
        owner[ap] = Some(k);
        let next = anchor_pos.get(k + 1).copied();
        // Lines after this anchor up to the next one.
        let between: Vec<usize> = (ap + 1..next.unwrap_or(body.len())).collect();
        if between.is_empty() {
            continue;
        }
        let Some(np) = next else {
            // After the last anchor: wrapped lines while they stay close, or no farther apart
            // than the lines of the rows above were (a code printed a little under its row).
            let mut prev_y1 = lines[body[ap]].y1;
            let pitch = lines[body[ap]].y1 - lines[body[ap]].y0;
            let mut inner = 0.0f32;
            for w in (0..ap).collect::<Vec<_>>().windows(2) {
                if owner[w[0]].is_some() && owner[w[0]] == owner[w[1]] {
                    inner = inner.max(lines[body[w[1]]].y0 - lines[body[w[0]]].y1);
                }
            }
            let close = 1.5 * pitch.max(1.0);
            let reach = close.max(inner + 0.25 * pitch);
            for p in between {
                let l = &lines[body[p]];
                let gap = l.y0 - prev_y1;
                // The item's code for the supplier under it ("Supplier Item 4000287391")
                // is the item's, a little farther down than wrapped text would be.
                let words: Vec<&str> = l.words.iter().map(|&i| tokens[i].text).collect();
                let code_note =
                    gap <= 3.0 * pitch.max(1.0) && lexicon::supplier_code_label(&words).is_some();
                // Farther than wrapped text, only text joins: a line with figures there is
                // the totals block (freight, tax) under the last item.
                if !code_note && (gap > reach || gap > close && numeric_line(body[p])) {
                    break;
                }
                owner[p] = Some(k);
                prev_y1 = l.y1;
            }
            continue;
        };
        // Split the lines between two anchors at the widest gap; a code or line number on a
        // line in between marks where the next row begins.
        let ys: Vec<(f32, f32)> = std::iter::once(ap)
            .chain(between.iter().copied())
            .chain(std::iter::once(np))
            .map(|p| (lines[body[p]].y0, lines[body[p]].y1))
            .collect();
        let gaps: Vec<f32> = ys.windows(2).map(|w| w[1].0 - w[0].1).collect();
        let next_has_marker = marker_line(body[np]);
        let marker_in_between = between
            .iter()
            .position(|&p| marker_line(body[p]))
            .filter(|_| !next_has_marker);
        // A schedule sub-row ("F.Ent:02/01/2021  1,428.000") under an item belongs to it, and
        // so does all that follows it when the next row opens on its own marker line.
        let schedule = between
            .iter()
            .any(|&p| numeric_line(body[p]) && !opens_row(body[p]));
        let split = match marker_in_between {
            Some(m) => m,
            None if schedule && next_has_marker => between.len(),
            None => {
                let widest = gaps
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(gaps.len() - 1, |(i, _)| i);
                let min = gaps.iter().copied().fold(f32::MAX, f32::min);
                let max = gaps.iter().copied().fold(f32::MIN, f32::max);
                if max - min <= 0.15 * (lines[body[ap]].y1 - lines[body[ap]].y0).max(1.0) {
                    between.len()
                } else {
                    widest
                }
            }
        };
        for (j, &p) in between.iter().enumerate() {
            owner[p] = Some(if j < split { k } else { k + 1 });
        }
    }
    let mut out: Vec<Row> = (0..anchors.len())
        .map(|_| Row {
            lines: vec![],
            cells: vec![vec![]; n],
            cell_lines: vec![vec![]; n],
        })
        .collect();
    for (p, o) in owner.iter().enumerate() {
        let Some(k) = o else { continue };
        let li = body[p];
        let row = &mut out[*k];
        row.lines.push(li);
        let mut prev: Option<(usize, usize)> = None;
        for &i in &lines[li].words {
            let mut c = col_of(i);
            // A word one word space after a description's word, over a figure column but
            // no figure ("PALLET, WOOD 48 X 40 CHEP" running past its band into the
            // quantity's), is the description's.
            if let Some((pi, pc)) = prev {
                let space = tokens[i].bbox[0] - tokens[pi].bbox[2];
                let height = (tokens[i].bbox[3] - tokens[i].bbox[1]).max(1.0);
                if pc < c
                    && table.columns.get(pc).map(|c| c.role) == Some(Role::Description)
                    && role_at(i).is_some_and(Role::numeric)
                    && !is_number(tokens[i].text)
                    && tokens[i].text.chars().any(char::is_alphabetic)
                    && space < 0.5 * height
                {
                    c = pc;
                }
            }
            prev = Some((i, c));
            row.cells[c].push(i);
            row.cell_lines[c].push(li);
        }
    }
    out.retain(|r| !r.lines.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::tokens;
    use super::super::Layout;
    use super::*;

    #[test]
    fn a_table_under_its_header_is_cut_into_rows_with_wrapped_descriptions() {
        let t = tokens(&[
            (
                1,
                &[
                    ("Item", 10.0),
                    ("Description", 80.0),
                    ("Qty", 250.0),
                    ("Unit", 290.0),
                    ("Price", 330.0),
                    ("Amount", 380.0),
                ],
            ),
            (
                2,
                &[
                    ("AB-100", 10.0),
                    ("Blue", 80.0),
                    ("widget", 110.0),
                    ("10", 256.0),
                    ("EA", 290.0),
                    ("1.50", 326.0),
                    ("15.00", 386.0),
                ],
            ),
            (3, &[("large", 80.0), ("size", 116.0)]),
            (
                4,
                &[
                    ("CD-200", 10.0),
                    ("Red", 80.0),
                    ("gadget", 104.0),
                    ("5", 262.0),
                    ("CS", 290.0),
                    ("2.00", 326.0),
                    ("10.00", 386.0),
                ],
            ),
            (6, &[("Total", 320.0), ("25.00", 386.0)]),
        ]);
        let layout = Layout::build(&t);
        assert_eq!(layout.tables.len(), 1);
        let table = &layout.tables[0];
        assert_eq!(
            table.roles(),
            vec![
                Role::Sku,
                Role::Description,
                Role::Quantity,
                Role::Uom,
                Role::UnitPrice,
                Role::Amount
            ]
        );
        assert_eq!(table.rows.len(), 2);
        let desc = table.column(Role::Description).unwrap_or(99);
        let words: Vec<&str> = table.rows[0].cells[desc]
            .iter()
            .map(|&i| t[i].text)
            .collect();
        assert_eq!(words, vec!["Blue", "widget", "large", "size"]);
    }

    #[test]
    fn a_sentence_over_the_header_is_no_header_line() {
        let sentence: Vec<(&str, f32)> = [
            "Please",
            "supply",
            "the",
            "following",
            "items",
            "as",
            "per",
            "the",
            "terms",
            "and",
            "conditions",
            "below.",
        ]
        .iter()
        .enumerate()
        .map(|(k, w)| (*w, 10.0 + 40.0 * k as f32))
        .collect();
        let t = tokens(&[
            (1, &sentence),
            (
                2,
                &[
                    ("Item", 10.0),
                    ("Description", 80.0),
                    ("Qty", 300.0),
                    ("Price", 360.0),
                    ("Amount", 420.0),
                ],
            ),
            (
                3,
                &[
                    ("A-1", 10.0),
                    ("Widget", 80.0),
                    ("2", 306.0),
                    ("5.00", 360.0),
                    ("10.00", 420.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        assert_eq!(layout.tables.len(), 1);
        let labels: Vec<&str> = layout.tables[0]
            .columns
            .iter()
            .map(|c| c.label.as_str())
            .collect();
        assert_eq!(
            labels,
            vec!["Item", "Description", "Qty", "Price", "Amount"]
        );
    }

    /// The words of `role`'s cell in the first row of the only table.
    fn first_row_cell<'a>(t: &[Token<'a>], role: Role) -> Vec<&'a str> {
        let layout = Layout::build(t);
        assert_eq!(layout.tables.len(), 1);
        let table = &layout.tables[0];
        let c = table.column(role).expect("the column");
        table.rows[0].cells[c].iter().map(|&i| t[i].text).collect()
    }

    #[test]
    fn a_column_bound_takes_the_gutter_not_the_space_between_two_words() {
        // The labels' middle falls between "CHEP" and "PALLET"; the gutter is left of "CHEP".
        let t = tokens(&[
            (
                1,
                &[
                    ("QTY", 10.0),
                    ("ITEM", 100.0),
                    ("DESCRIPTION", 340.0),
                    ("PRICE", 460.0),
                ],
            ),
            (
                2,
                &[
                    ("540", 10.0),
                    ("S7PLT008A", 100.0),
                    ("CHEP", 200.0),
                    ("PALLET", 230.0),
                    ("HEAT", 272.0),
                    ("9.00", 460.0),
                ],
            ),
        ]);
        assert_eq!(first_row_cell(&t, Role::Sku), vec!["S7PLT008A"]);
        assert_eq!(
            first_row_cell(&t, Role::Description),
            vec!["CHEP", "PALLET", "HEAT"]
        );
    }

    #[test]
    fn a_margin_that_would_leave_a_column_empty_is_no_gutter() {
        // Left of "450" nothing is printed: a bound there would empty the quantity column.
        let t = tokens(&[
            (
                1,
                &[
                    ("QUANTITY", 10.0),
                    ("ITEM", 100.0),
                    ("DESCRIPTION", 200.0),
                    ("PRICE", 320.0),
                ],
            ),
            (
                2,
                &[
                    ("450", 60.0),
                    ("CHEP", 84.0),
                    ("PALLET", 111.0),
                    ("USE", 200.0),
                    ("4.95", 320.0),
                ],
            ),
        ]);
        assert_eq!(first_row_cell(&t, Role::Quantity), vec!["450"]);
        assert_eq!(first_row_cell(&t, Role::Sku), vec!["CHEP", "PALLET"]);
    }

    #[test]
    fn a_sign_under_a_label_keeps_the_stacked_header_line_out_of_the_first_row() {
        let t = tokens(&[
            (
                1,
                &[
                    ("Product", 10.0),
                    ("Description", 80.0),
                    ("Margin", 200.0),
                    ("Qty", 260.0),
                    ("Price", 320.0),
                ],
            ),
            (
                2,
                &[
                    ("Number", 10.0),
                    ("%", 206.0),
                    ("Ord.", 260.0),
                    ("Unit", 320.0),
                ],
            ),
            (
                3,
                &[
                    ("140825", 10.0),
                    ("Bread", 80.0),
                    ("0.27", 200.0),
                    ("105", 262.0),
                    ("29.20", 320.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        assert_eq!(layout.tables.len(), 1);
        let table = &layout.tables[0];
        assert_eq!(table.header_lines, vec![0, 1]);
        assert_eq!(table.rows.len(), 1);
        let code: Vec<&str> = table.rows[0].cells[0].iter().map(|&i| t[i].text).collect();
        assert_eq!(code, vec!["140825"]);
    }

    #[test]
    fn a_header_stacked_on_five_lines_is_one_header() {
        // "Price" / "Per" / "Unit" and "Total" / "Tax" / "Amount" stacked, "Total" last.
        let t = tokens(&[
            (1, &[("Total", 400.0)]),
            (2, &[("Price", 300.0), ("Tax", 400.0)]),
            (
                3,
                &[
                    ("Item", 10.0),
                    ("Name", 80.0),
                    ("Qty", 240.0),
                    ("Per", 300.0),
                    ("Amount", 400.0),
                    ("Total", 480.0),
                ],
            ),
            (4, &[("Unit", 300.0)]),
            (5, &[("Code", 10.0)]),
            (
                6,
                &[
                    ("140825", 10.0),
                    ("Bread", 80.0),
                    ("105", 240.0),
                    ("29.2", 300.0),
                    ("0", 400.0),
                    ("3066", 480.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        assert_eq!(layout.tables.len(), 1);
        let table = &layout.tables[0];
        assert_eq!(table.header_lines.len(), 5);
        let label = |role: Role| table.column(role).map(|c| table.columns[c].label.clone());
        assert_eq!(label(Role::UnitPrice).as_deref(), Some("Price Per Unit"));
        assert_eq!(label(Role::Amount).as_deref(), Some("Total"));
    }

    #[test]
    fn the_stacked_line_with_more_labels_gives_the_columns() {
        // "Unit of" stands over "Quantity measure": read from the sparse upper line, the
        // quantity would be lost inside "Unit of Quantity measure".
        let t = tokens(&[
            (
                1,
                &[
                    ("Unit", 10.0),
                    ("of", 40.0),
                    ("Supplier", 400.0),
                    ("Item", 454.0),
                ],
            ),
            (
                2,
                &[
                    ("Quantity", 10.0),
                    ("measure", 60.0),
                    ("Item", 120.0),
                    ("Description", 180.0),
                    ("No.", 400.0),
                    ("Unit", 480.0),
                    ("price", 510.0),
                    ("from", 560.0),
                    ("/", 590.0),
                    ("to", 600.0),
                ],
            ),
            (
                3,
                &[
                    ("500.00", 10.0),
                    ("Unit", 60.0),
                    ("L380221-01", 120.0),
                    ("Pallet", 180.0),
                    ("2.5000", 480.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        assert_eq!(layout.tables.len(), 1);
        let roles = layout.tables[0].roles();
        assert!(roles.contains(&Role::Quantity), "{roles:?}");
        assert!(roles.contains(&Role::Uom), "{roles:?}");
        assert!(roles.contains(&Role::Sku), "{roles:?}");
    }

    #[test]
    fn a_line_of_label_value_pairs_over_the_header_gives_no_columns() {
        // "SHIP VIA Prepaid" over the gap between the code and description labels would
        // make a column of its own and take the description's first words.
        let t = tokens(&[
            (
                1,
                &[
                    ("VENDOR", 26.0),
                    ("NO.", 61.0),
                    ("200111", 90.0),
                    ("SHIP", 194.0),
                    ("VIA", 213.0),
                    ("Prepaid", 234.0),
                    ("F.O.B.", 450.0),
                ],
            ),
            (
                2,
                &[
                    ("QUANTITY", 43.0),
                    ("ITEM", 129.0),
                    ("NO.", 151.0),
                    ("DESCRIPTION", 286.0),
                    ("U/M", 418.0),
                    ("UNIT", 455.0),
                    ("PRICE", 476.0),
                    ("AMOUNT", 531.0),
                ],
            ),
            (
                4,
                &[
                    ("540", 58.0),
                    ("S7PLT008A", 124.0),
                    ("CHEP", 198.0),
                    ("PALLET", 223.0),
                    ("40x48", 259.0),
                    ("HEAT", 284.0),
                    ("TREATED", 310.0),
                    ("EA", 420.0),
                    ("9.0000", 460.0),
                    ("4,860.00", 556.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        assert_eq!(layout.tables.len(), 1);
        let table = &layout.tables[0];
        let desc = table.column(Role::Description).unwrap_or(99);
        let words: Vec<&str> = table.rows[0].cells[desc]
            .iter()
            .map(|&i| t[i].text)
            .collect();
        assert_eq!(words, vec!["CHEP", "PALLET", "40x48", "HEAT", "TREATED"]);
    }

    #[test]
    fn a_description_word_run_past_its_band_stays_the_descriptions() {
        let t = tokens(&[
            (
                1,
                &[
                    ("Item", 10.0),
                    ("Description", 60.0),
                    ("Qty", 200.0),
                    ("UOM", 250.0),
                    ("Price", 300.0),
                    ("Amount", 360.0),
                ],
            ),
            (
                2,
                &[
                    ("10", 10.0),
                    ("PALLET,", 60.0),
                    ("WOOD", 105.0),
                    ("450", 200.0),
                    ("EA", 250.0),
                    ("7.53", 300.0),
                    ("3,388.50", 360.0),
                ],
            ),
            (
                3,
                &[
                    ("WOODEN", 60.0),
                    ("PALLET", 99.0),
                    ("STRAPPED", 138.0),
                    ("CHEP", 189.0),
                ],
            ),
        ]);
        let layout = Layout::build(&t);
        let table = &layout.tables[0];
        let cell = |role: Role| -> Vec<&str> {
            let c = table.column(role).unwrap_or(99);
            table.rows[0].cells[c].iter().map(|&i| t[i].text).collect()
        };
        assert_eq!(cell(Role::Quantity), vec!["450"]);
        assert_eq!(
            cell(Role::Description),
            vec!["PALLET,", "WOOD", "WOODEN", "PALLET", "STRAPPED", "CHEP"]
        );
    }

    #[test]
    fn the_suppliers_code_a_little_under_the_last_row_is_the_rows() {
        let t = tokens(&[
            (
                1,
                &[
                    ("Item", 10.0),
                    ("Description", 80.0),
                    ("Qty", 250.0),
                    ("Price", 330.0),
                    ("Amount", 380.0),
                ],
            ),
            (
                2,
                &[
                    ("S0208525-00", 10.0),
                    ("PALLET", 80.0),
                    ("566", 250.0),
                    ("5.75", 330.0),
                    ("3,254.50", 380.0),
                ],
            ),
            (
                4,
                &[("Supplier", 80.0), ("Item", 134.0), ("4000287391", 164.0)],
            ),
        ]);
        let layout = Layout::build(&t);
        let table = &layout.tables[0];
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].lines.len(), 2, "{:?}", table.rows);
    }

    #[test]
    fn a_stacked_header_is_measured_in_its_own_height_not_the_fine_prints() {
        // Labels 10 high, 12 apart, on a document whose median word is 5 high (a page of
        // terms in fine print): still one header of two lines.
        let at = |text: &'static str, x: f32, y: f32, h: f32| Token {
            text,
            page: 1,
            bbox: [x, y, x + 6.0 * text.len() as f32, y + h],
        };
        let mut t = vec![
            at("Description", 10.0, 100.0, 10.0),
            at("Unit", 200.0, 100.0, 10.0),
            at("Qty", 120.0, 112.0, 10.0),
            at("Price", 200.0, 112.0, 10.0),
            at("Amount", 280.0, 112.0, 10.0),
            at("Widget", 10.0, 130.0, 10.0),
            at("2", 130.0, 130.0, 10.0),
            at("1.50", 200.0, 130.0, 10.0),
            at("3.00", 280.0, 130.0, 10.0),
        ];
        for k in 0..40 {
            t.push(at("terms", 10.0, 300.0 + 6.0 * k as f32, 5.0));
        }
        let layout = Layout::build(&t);
        assert!(layout.stats.height < 6.0);
        let table = &layout.tables[0];
        assert_eq!(table.header_lines.len(), 2);
        assert!(
            table.column(Role::UnitPrice).is_some(),
            "{:?}",
            table.columns
        );
    }

    #[test]
    fn a_header_stacked_on_two_lines_is_one_header() {
        let t = tokens(&[
            (1, &[("Unit", 300.0), ("Order", 200.0)]),
            (
                2,
                &[
                    ("Code", 10.0),
                    ("Description", 80.0),
                    ("Qty", 200.0),
                    ("Price", 300.0),
                ],
            ),
            (
                3,
                &[("X1", 10.0), ("Thing", 80.0), ("3", 206.0), ("4.00", 300.0)],
            ),
        ]);
        let layout = Layout::build(&t);
        assert_eq!(layout.tables.len(), 1);
        assert_eq!(
            layout.tables[0].roles(),
            vec![
                Role::Sku,
                Role::Description,
                Role::Quantity,
                Role::UnitPrice
            ]
        );
        assert_eq!(layout.tables[0].rows.len(), 1);
    }

    #[test]
    fn numbers_centred_beside_wrapped_text_keep_the_line_above_in_their_row() {
        let t = tokens(&[
            (
                1,
                &[("Description", 10.0), ("Qty", 200.0), ("Price", 260.0)],
            ),
            (3, &[("first", 10.0)]),
            (4, &[("one", 10.0), ("1", 206.0), ("2.00", 260.0)]),
            (5, &[("more", 10.0)]),
            (7, &[("second", 10.0)]),
            (8, &[("two", 10.0), ("3", 206.0), ("4.00", 260.0)]),
            (9, &[("end", 10.0)]),
        ]);
        let layout = Layout::build(&t);
        let table = &layout.tables[0];
        assert_eq!(table.rows.len(), 2);
        let text = |r: &Row| {
            r.cells[0]
                .iter()
                .map(|&i| t[i].text)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(text(&table.rows[0]), "first one more");
        assert_eq!(text(&table.rows[1]), "second two end");
    }

    #[test]
    fn a_schedule_printed_under_each_item_neither_ends_the_table_nor_makes_rows() {
        let header: &[(&str, f32)] = &[
            ("Line", 10.0),
            ("Item", 40.0),
            ("Description", 110.0),
            ("Qty", 280.0),
            ("Price", 330.0),
            ("Amount", 390.0),
        ];
        let row = |n: &'static str| -> Vec<(&'static str, f32)> {
            vec![
                (n, 14.0),
                ("AB-100", 40.0),
                ("Blue", 110.0),
                ("widget", 140.0),
                ("566", 280.0),
                ("5.75", 330.0),
                ("3254.50", 390.0),
            ]
        };
        // After each item, far below it: the schedule's own header and one line of it.
        let sched: &[(&str, f32)] = &[
            ("Ship", 10.0),
            ("To", 40.0),
            ("Sch", 110.0),
            ("Promised", 150.0),
            ("Pri", 230.0),
            ("Qty", 250.0),
        ];
        let sline: &[(&str, f32)] = &[
            ("1", 110.0),
            ("1/18/21", 150.0),
            ("566", 230.0),
            ("3254.50", 390.0),
        ];
        let (r1, r2, r3) = (row("1"), row("2"), row("3"));
        let t = tokens(&[
            (1, header),
            (2, &r1),
            (8, sched),
            (9, sline),
            (15, &r2),
            (21, sched),
            (22, sline),
            (28, &r3),
        ]);
        let layout = Layout::build(&t);
        let rows: usize = layout.tables.iter().map(|t| t.rows.len()).sum();
        assert_eq!(rows, 3, "one row per item, none per schedule line");
    }

    #[test]
    fn line_numbers_continued_from_the_page_before_count_and_falling_ones_do_not() {
        let table = |nums: &[&'static str]| {
            let mut rows: Vec<(u32, Vec<(&'static str, f32)>)> = vec![(
                1,
                vec![
                    ("Item", 10.0),
                    ("Description", 80.0),
                    ("Qty", 250.0),
                    ("Amount", 380.0),
                ],
            )];
            for (k, n) in nums.iter().enumerate() {
                rows.push((
                    2 + k as u32,
                    vec![(*n, 10.0), ("Widget", 80.0), ("2", 256.0), ("4.00", 386.0)],
                ));
            }
            rows
        };
        for (nums, line_numbers) in [
            (&["00090", "00100", "00110"][..], true),
            (&["30", "20", "10"][..], false),
        ] {
            let rows = table(nums);
            let refs: Vec<(u32, &[(&str, f32)])> =
                rows.iter().map(|(r, w)| (*r, w.as_slice())).collect();
            let t = tokens(&refs);
            let layout = Layout::build(&t);
            let roles = layout.tables.first().map(|t| t.roles()).unwrap_or_default();
            assert_eq!(roles.contains(&Role::LineNo), line_numbers, "{nums:?}");
        }
    }
}
