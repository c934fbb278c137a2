//! Plain-text tables written with tabs or pipes, re-laid as space-aligned columns.
//!
//! [`super::text_to_doc`] puts words on a character grid, so a space-aligned table keeps its
//! columns. A tab-separated table does not (a cell wider than a tab stop pushes the rest of
//! its row one stop right), nor does a pipe table whose writer did not pad its cells
//! (`| AB-100 | 10 |`, markdown). Both are turned into the aligned shape an HTML table gets
//! ([`super::html::render_table`]), so the table reader sees one layout for all three.

use super::html::render_table;

/// The cells of a tab- or pipe-separated line, or `None` for an ordinary line.
fn cells(line: &str) -> Option<Vec<String>> {
    let t = line.trim();
    if t.starts_with('|') && t.len() > 1 {
        let inner = t.trim_start_matches('|').trim_end_matches('|');
        return Some(inner.split('|').map(|c| c.trim().to_string()).collect());
    }
    if t.contains('\t') {
        let cells: Vec<String> = t.split('\t').map(|c| c.trim().to_string()).collect();
        return (cells.iter().filter(|c| !c.is_empty()).count() >= 2).then_some(cells);
    }
    None
}

/// A markdown rule under a header (`|---|:--:|`, `+----+----+`): no row.
fn is_rule(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && t.contains('-')
        && t.chars()
            .all(|c| matches!(c, '|' | '-' | ':' | '+' | '=') || c.is_whitespace())
}

/// `text` with every run of two or more tab- or pipe-separated lines re-laid as aligned
/// columns; everything else as it was.
pub fn align_tables(text: &str) -> String {
    if !text.contains('\t') && !text.contains('|') {
        return text.to_string();
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < lines.len() {
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut j = i;
        while let Some(line) = lines.get(j) {
            if is_rule(line) && !rows.is_empty() {
                // The rule under a header row.
            } else if let Some(c) = cells(line) {
                rows.push(c);
            } else {
                break;
            }
            j += 1;
        }
        if rows.len() >= 2 {
            out.push_str(&render_table(&rows));
            i = j;
        } else {
            out.push_str(lines.get(i).copied().unwrap_or_default());
            out.push('\n');
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_separated_rows_become_aligned_columns() {
        let text = "Hi,\nArtikel-Nr.\tBezeichnung\tMenge\nFST-M6-20\tHex bolt M6x20 zinc\t100\nAB-1\tWidget\t5\nThanks\n";
        assert_eq!(
            align_tables(text),
            "Hi,\n\
             Artikel-Nr.   Bezeichnung           Menge\n\
             FST-M6-20     Hex bolt M6x20 zinc   100\n\
             AB-1          Widget                5\n\
             Thanks\n"
        );
    }

    #[test]
    fn markdown_pipe_tables_lose_their_rules() {
        let text = "| Qty | SKU |\n|-----|:---|\n| 10 | AB-100 |\n| 5 | CD-200 |\n";
        assert_eq!(
            align_tables(text),
            "Qty   SKU\n10    AB-100\n5     CD-200\n"
        );
    }

    #[test]
    fn a_lone_pipe_or_tab_line_is_left_alone() {
        let text = "Colour: red | blue\nsize\t10\nend\n";
        assert_eq!(align_tables(text), text);
    }
}
