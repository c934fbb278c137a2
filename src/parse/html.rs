//! HTML and CSV to aligned plain text, so tables survive as rows and columns.
//!
//! Order emails are often HTML with the items in a `<table>`. We keep each table row as one
//! line and pad cells to a common column width (with at least [`CELL_GAP`] spaces between
//! them), so that [`super::text_to_doc`] gives words whose x positions line up by column, the
//! same shape a PDF table has. Everything else is block-level text with whitespace collapsed.
//! This is a small tolerant scanner, not a full HTML parser: it handles unclosed tags,
//! comments, `<script>`/`<style>`, entities and nested tables (flattened into their cell).

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

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    cur_row: Option<Vec<String>>,
    cur_cell: Option<String>,
}

impl Table {
    fn end_cell(&mut self) {
        if let Some(cell) = self.cur_cell.take() {
            self.cur_row
                .get_or_insert_with(Vec::new)
                .push(collapse(&cell));
        }
    }
    fn end_row(&mut self) {
        self.end_cell();
        if let Some(row) = self.cur_row.take() {
            if row.iter().any(|c| !c.is_empty()) {
                self.rows.push(row);
            }
        }
    }
}

struct Out {
    text: String,
    /// Text of the current paragraph, whitespace not yet collapsed.
    para: String,
    table: Option<Table>,
    /// Nesting depth of tables (inner tables are flattened into the outer cell).
    table_depth: usize,
    pre: usize,
}

impl Out {
    fn push_text(&mut self, s: &str) {
        if let Some(t) = &mut self.table {
            if self.table_depth > 0 {
                t.cur_cell.get_or_insert_with(String::new).push_str(s);
                return;
            }
        }
        self.para.push_str(s);
    }

    /// End the current paragraph (block-level boundary).
    fn block_break(&mut self) {
        if self.table.is_some() && self.table_depth > 0 {
            self.push_text(" ");
            return;
        }
        if self.pre > 0 {
            self.text.push_str(&self.para);
        } else {
            let line = collapse(&self.para);
            if !line.is_empty() {
                self.text.push_str(&line);
            }
        }
        self.para.clear();
        if !self.text.ends_with('\n') && !self.text.is_empty() {
            self.text.push('\n');
        }
    }
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
        table: None,
        table_depth: 0,
        pre: 0,
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
            "table" => {
                if closing {
                    if out.table_depth > 1 {
                        out.table_depth -= 1;
                        out.push_text(" ");
                    } else if let Some(mut t) = out.table.take() {
                        out.table_depth = 0;
                        t.end_row();
                        out.block_break();
                        out.text.push_str(&render_table(&t.rows));
                    }
                } else {
                    if out.table_depth == 0 {
                        out.block_break();
                        out.table = Some(Table::default());
                    } else {
                        out.push_text(" ");
                    }
                    out.table_depth += 1;
                }
            }
            "tr" if out.table_depth == 1 => {
                if let Some(t) = &mut out.table {
                    t.end_row();
                    if !closing {
                        t.cur_row = Some(Vec::new());
                    }
                }
            }
            "td" | "th" if out.table_depth == 1 => {
                if let Some(t) = &mut out.table {
                    t.end_cell();
                    if !closing {
                        t.cur_cell = Some(String::new());
                    }
                }
            }
            "tr" | "td" | "th" => out.push_text(" "),
            "pre" => {
                out.block_break();
                if closing {
                    out.pre = out.pre.saturating_sub(1);
                } else {
                    out.pre += 1;
                }
            }
            "br" | "p" | "div" | "li" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
            | "hr" | "blockquote" | "section" | "article" | "header" | "footer" | "address"
            | "dt" | "dd" | "dl" | "center" | "caption" | "thead" | "tbody" | "tfoot" => {
                out.block_break();
            }
            _ => {}
        }
    }
    if let Some(mut t) = out.table.take() {
        t.end_row();
        out.table_depth = 0;
        out.block_break();
        out.text.push_str(&render_table(&t.rows));
    }
    out.block_break();
    out.text
}

/// Rows of cells as lines with cells padded to their column's width.
pub fn render_table(rows: &[Vec<String>]) -> String {
    let ncols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; ncols];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str(&" ".repeat(CELL_GAP));
            }
            line.push_str(cell);
            if i + 1 < row.len() {
                line.push_str(&" ".repeat(w.saturating_sub(cell.chars().count())));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// CSV (or TSV / semicolon-separated) to aligned columns.
pub fn csv_to_text(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    let sep = [',', ';', '\t']
        .into_iter()
        .max_by_key(|c| first.matches(*c).count())
        .unwrap_or(',');
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => row.push(collapse(&std::mem::take(&mut cell))),
            '\n' if !quoted => {
                row.push(collapse(&std::mem::take(&mut cell)));
                rows.push(std::mem::take(&mut row));
            }
            '\r' if !quoted => {}
            c => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(collapse(&cell));
        rows.push(row);
    }
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
    fn csv_becomes_columns() {
        assert_eq!(
            csv_to_text("qty;article\n10;\"AB;100\"\n"),
            "qty   article\n10    AB;100\n"
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
