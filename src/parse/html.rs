//! HTML and CSV to aligned plain text, so tables survive as rows and columns.
//!
//! Order emails are often HTML with the items in a `<table>`. We start each cell at its
//! column's offset (at least [`CELL_GAP`] spaces after the widest cell before it) and keep the
//! line breaks inside a cell, so a row with a wrapped description takes several lines, and
//! [`super::text_to_doc`] gives words whose x positions line up by column: the same shape a
//! PDF table has. Everything else is block-level text with whitespace collapsed.
//! This is a small tolerant scanner, not a full HTML parser: it handles unclosed tags,
//! comments, `<script>`/`<style>`, entities, `colspan`, and nested tables (an outer table
//! that holds another one is page layout: its cells become text blocks).

/// Spaces between two table cells (the text parser sees a wide gap, i.e. a new column).
pub const CELL_GAP: usize = 3;

/// Does this text look like an HTML document (rather than text that mentions a tag)?
pub fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(256)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html") || head.contains("<body")
}

/// One table cell: its text with line breaks kept (`<br>`, `<p>`, `<div>` inside the cell), and
/// how many columns it spans.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub lines: Vec<String>,
    pub span: usize,
}

impl Cell {
    fn from_text(raw: &str, span: usize) -> Cell {
        let lines = raw
            .split('\n')
            .map(collapse)
            .filter(|l| !l.is_empty())
            .collect();
        Cell {
            lines,
            span: span.max(1),
        }
    }

    fn width(&self) -> usize {
        self.lines
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
    }
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<Cell>>,
    cur_row: Option<Vec<Cell>>,
    /// The open cell: raw text (`\n` at line breaks) and its column span.
    cur_cell: Option<(String, usize)>,
    /// A table that turned out to hold another table is page layout, not data: its cells
    /// are then written as ordinary text blocks and the inner table is rendered as a table.
    layout: bool,
}

impl Table {
    fn end_cell(&mut self) {
        if let Some((raw, span)) = self.cur_cell.take() {
            self.cur_row
                .get_or_insert_with(Vec::new)
                .push(Cell::from_text(&raw, span));
        }
    }
    fn end_row(&mut self) {
        self.end_cell();
        if let Some(row) = self.cur_row.take() {
            if row.iter().any(|c| !c.lines.is_empty()) {
                self.rows.push(row);
            }
        }
    }
}

struct Out {
    text: String,
    /// Text of the current paragraph, whitespace not yet collapsed.
    para: String,
    /// Open tables, innermost last.
    tables: Vec<Table>,
    pre: usize,
    /// Open `<blockquote>`s: their lines are written with "> " marks, as a plain-text mailer
    /// quotes, so [`super::quote`] tells the quoted history apart.
    quote: usize,
}

impl Out {
    /// The innermost open table if it is a data table (not layout).
    fn data_table(&mut self) -> Option<&mut Table> {
        self.tables.last_mut().filter(|t| !t.layout)
    }

    fn push_text(&mut self, s: &str) {
        if let Some(t) = self.data_table() {
            match &mut t.cur_cell {
                Some((cell, _)) => cell.push_str(s),
                // Whitespace between `</td>` and `<td>` is markup layout, not a cell.
                None if s.trim().is_empty() => {}
                None => t.cur_cell = Some((s.to_string(), 1)),
            }
            return;
        }
        self.para.push_str(s);
    }

    /// End the current paragraph (block-level boundary); inside a data-table cell, a line
    /// break within the cell.
    fn block_break(&mut self) {
        if let Some(t) = self.data_table() {
            if let Some((cell, _)) = &mut t.cur_cell {
                cell.push('\n');
            }
            return;
        }
        self.flush_para();
    }

    /// Append finished lines, quote-marked inside a blockquote.
    fn emit(&mut self, s: &str) {
        for line in s.split_inclusive('\n') {
            if self.quote > 0 && !line.trim().is_empty() {
                self.text.push_str(&"> ".repeat(self.quote));
            }
            self.text.push_str(line);
        }
    }

    fn flush_para(&mut self) {
        if self.pre > 0 {
            let para = std::mem::take(&mut self.para);
            self.emit(&para);
        } else {
            let line = collapse(&self.para);
            if !line.is_empty() {
                self.emit(&line);
            }
        }
        self.para.clear();
        if !self.text.ends_with('\n') && !self.text.is_empty() {
            self.text.push('\n');
        }
    }

    fn open_table(&mut self) {
        if let Some(outer) = self.data_table() {
            // The outer table is layout: what it holds so far becomes text.
            outer.layout = true;
            outer.end_cell();
            let mut rows = std::mem::take(&mut outer.rows);
            if let Some(row) = outer.cur_row.take() {
                rows.push(row);
            }
            self.flush_para();
            for cell in rows.iter().flatten() {
                for line in &cell.lines {
                    self.emit(&format!("{line}\n"));
                }
            }
        } else {
            self.flush_para();
        }
        self.tables.push(Table::default());
    }

    fn close_table(&mut self) {
        let Some(mut t) = self.tables.pop() else {
            return;
        };
        if t.layout {
            self.flush_para();
            return;
        }
        t.end_row();
        self.flush_para();
        self.emit(&render_cells(&t.rows));
    }

    /// `<tr>`, `<td>`, `<th>` (open or close) in the innermost table.
    fn table_tag(&mut self, name: &str, closing: bool, tag: &str) {
        let Some(t) = self.data_table() else {
            // In a layout table every cell and row is its own block.
            self.flush_para();
            return;
        };
        if name == "tr" {
            t.end_row();
            if !closing {
                t.cur_row = Some(Vec::new());
            }
        } else {
            t.end_cell();
            if !closing {
                t.cur_cell = Some((String::new(), colspan(tag)));
            }
        }
    }
}

/// The `colspan` attribute of a cell tag (1 when absent or unreadable; at most 64).
fn colspan(tag: &str) -> usize {
    let lower = tag.to_ascii_lowercase();
    let Some(i) = lower.find("colspan") else {
        return 1;
    };
    let rest = lower.get(i + 7..).unwrap_or("");
    let digits: String = rest
        .trim_start_matches(|c: char| c == '=' || c == '"' || c == '\'' || c.is_whitespace())
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse::<usize>().unwrap_or(1).clamp(1, 64)
}

/// Collapse runs of whitespace (and non-breaking spaces) to one space, trim the ends.
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split(|c: char| c.is_whitespace() || c == '\u{a0}') {
        if w.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// HTML to text: block elements end lines, table rows become aligned lines.
pub fn html_to_text(html: &str) -> String {
    let mut out = Out {
        text: String::new(),
        para: String::new(),
        tables: Vec::new(),
        pre: 0,
        quote: 0,
    };
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            out.push_text(&decode_entities(rest));
            break;
        };
        if lt > 0 {
            out.push_text(&decode_entities(rest.get(..lt).unwrap_or("")));
        }
        rest = rest.get(lt..).unwrap_or("");
        if rest.starts_with("<!--") {
            rest = match rest.find("-->") {
                Some(e) => rest.get(e + 3..).unwrap_or(""),
                None => "",
            };
            continue;
        }
        let Some(gt) = rest.find('>') else {
            // A lone '<' in text.
            out.push_text("<");
            rest = rest.get(1..).unwrap_or("");
            continue;
        };
        let tag = rest.get(1..gt).unwrap_or("");
        rest = rest.get(gt + 1..).unwrap_or("");
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match name.as_str() {
            "script" | "style" | "head" | "title" if !closing => {
                let end = format!("</{name}");
                let lower = rest.to_ascii_lowercase();
                rest = match lower.find(&end) {
                    Some(e) => {
                        let after = rest.get(e..).unwrap_or("");
                        match after.find('>') {
                            Some(g) => after.get(g + 1..).unwrap_or(""),
                            None => "",
                        }
                    }
                    None => "",
                };
            }
            "table" if closing => out.close_table(),
            "table" => out.open_table(),
            "tr" | "td" | "th" if !out.tables.is_empty() => out.table_tag(&name, closing, tag),
            "tr" | "td" | "th" => out.block_break(),
            "pre" => {
                out.block_break();
                if closing {
                    out.pre = out.pre.saturating_sub(1);
                } else {
                    out.pre += 1;
                }
            }
            "blockquote" => {
                out.block_break();
                if closing {
                    out.quote = out.quote.saturating_sub(1);
                } else {
                    out.quote += 1;
                }
            }
            "br" | "p" | "div" | "li" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
            | "hr" | "section" | "article" | "header" | "footer" | "address" | "dt" | "dd"
            | "dl" | "center" | "caption" | "thead" | "tbody" | "tfoot" => {
                out.block_break();
            }
            _ => {}
        }
    }
    while !out.tables.is_empty() {
        out.close_table();
    }
    out.flush_para();
    out.text
}

/// Rows of one-line cells as lines with cells padded to their column's width.
pub fn render_table(rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| r.iter().map(|c| Cell::from_text(c, 1)).collect())
        .collect();
    render_cells(&rows)
}

/// Rows of cells as lines: every cell starts at its column's offset, a column is as wide as
/// its widest single-column cell, and a row takes as many lines as its tallest cell (cells
/// aligned to the top, as the PDFs we read print them). A cell spanning several columns does
/// not widen them.
pub fn render_cells(rows: &[Vec<Cell>]) -> String {
    let ncols = rows
        .iter()
        .map(|r| r.iter().map(|c| c.span).sum::<usize>())
        .max()
        .unwrap_or(0);
    let mut widths = vec![0usize; ncols];
    for row in rows {
        let mut col = 0;
        for cell in row {
            if cell.span == 1 {
                if let Some(w) = widths.get_mut(col) {
                    *w = (*w).max(cell.width());
                }
            }
            col += cell.span;
        }
    }
    // Column start offsets; an empty column takes no room.
    let mut starts = Vec::with_capacity(ncols);
    let mut x = 0;
    for w in &widths {
        starts.push(x);
        if *w > 0 {
            x += w + CELL_GAP;
        }
    }
    let mut out = String::new();
    for row in rows {
        let height = row.iter().map(|c| c.lines.len()).max().unwrap_or(0);
        for i in 0..height {
            let mut line = String::new();
            let mut col = 0;
            for cell in row {
                if let Some(text) = cell.lines.get(i) {
                    let at = starts.get(col).copied().unwrap_or(x);
                    let len = line.chars().count();
                    if len > 0 || at > 0 {
                        // Never glue two cells: keep a gap even when a cell overflows.
                        let gap = if len == 0 {
                            at
                        } else {
                            at.saturating_sub(len).max(CELL_GAP)
                        };
                        line.push_str(&" ".repeat(gap));
                    }
                    line.push_str(text);
                }
                col += cell.span;
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// CSV (or TSV / semicolon-separated) to aligned columns. The separator is the one the first
/// line uses most; quoting and escaped quotes are the `csv` crate's. Rows may differ in length
/// and a malformed record ends the table (what was read so far is kept).
pub fn csv_to_text(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    let sep = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|c| first.matches(char::from(*c)).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map_while(Result::ok)
        .map(|r| r.iter().map(collapse).collect())
        .collect();
    render_table(&rows)
}

/// Decode character references and the common named entities; unknown ones are kept as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or(""));
        rest = rest.get(amp..).unwrap_or("");
        let semi = rest.get(..rest.len().min(12)).and_then(|h| h.find(';'));
        let decoded = semi.and_then(|e| {
            let ent = rest.get(1..e)?;
            let c = if let Some(num) = ent.strip_prefix('#') {
                let n = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse().ok()?,
                };
                char::from_u32(n)?
            } else {
                named_entity(ent)?
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = rest.get(e + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = rest.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "times" => '×',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "laquo" => '«',
        "raquo" => '»',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "eacute" => 'é',
        "egrave" => 'è',
        "agrave" => 'à',
        "ccedil" => 'ç',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_become_aligned_lines() {
        let html = "<html><head><title>x</title><style>td{}</style></head><body>\
            <p>Please deliver:</p><table><tr><th>Qty</th><th>Article</th></tr>\
            <tr><td>10</td><td>AB-100 &amp; co</td></tr><tr><td>250</td><td>CD-2</td></tr>\
            </table><p>Thanks<br>Bob</p></body></html>";
        let text = html_to_text(html);
        assert_eq!(
            text,
            "Please deliver:\nQty   Article\n10    AB-100 & co\n250   CD-2\nThanks\nBob\n"
        );
    }

    #[test]
    fn cells_keep_their_line_breaks_and_markup_whitespace_is_no_cell() {
        let html =
            "<table>\n<tr>\n  <th>Qty</th>\n  <th>Description</th>\n  <th>Price</th>\n</tr>\n\
            <tr><td>3</td><td>Hex screw M6<br>zinc plated<p>box of 25</p></td><td>1.50</td></tr>\n\
            <tr><td colspan=\"3\">Deliver before Friday, please, to gate 4</td></tr>\n\
            <tr><td>12</td><td>Nut M6</td><td>0.20</td></tr></table>";
        assert_eq!(
            html_to_text(html),
            "Qty   Description    Price\n\
             3     Hex screw M6   1.50\n\
             \x20     zinc plated\n\
             \x20     box of 25\n\
             Deliver before Friday, please, to gate 4\n\
             12    Nut M6         0.20\n"
        );
    }

    #[test]
    fn a_table_holding_a_table_is_layout() {
        let html = "<table><tr><td>ACME Ltd<br>PO 4711</td></tr><tr><td>\
            <table><tr><td>2</td><td>AB-100</td></tr><tr><td>10</td><td>CD-2</td></tr></table>\
            </td></tr><tr><td>Thanks</td></tr></table>";
        assert_eq!(
            html_to_text(html),
            "ACME Ltd\nPO 4711\n2    AB-100\n10   CD-2\nThanks\n"
        );
    }

    #[test]
    fn blockquotes_are_quote_marked() {
        let html = "<div>10 x AB-100</div><div class=gmail_quote>On Mon, Bob wrote:<br>\
            <blockquote><div>5 x CD-200</div><table><tr><td>1</td><td>EF-3</td></tr></table>\
            </blockquote></div><p>after</p>";
        assert_eq!(
            html_to_text(html),
            "10 x AB-100\nOn Mon, Bob wrote:\n> 5 x CD-200\n> 1   EF-3\nafter\n"
        );
    }

    #[test]
    fn csv_becomes_columns() {
        assert_eq!(
            csv_to_text("qty;article\n10;\"AB;100\"\n"),
            "qty   article\n10    AB;100\n"
        );
    }

    #[test]
    fn csv_quotes_span_lines_and_rows_may_be_short() {
        assert_eq!(
            csv_to_text("qty,article,note\n10,\"AB \"\"100\"\"\",\"two\nlines\"\n5,CD\n"),
            "qty   article    note\n10    AB \"100\"   two lines\n5     CD\n"
        );
    }

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a&#x41;&#66;&nbsp;&bogus; &"),
            "aAB &bogus; &"
        );
    }
}
