//! PLACEHOLDER extractor: a layout heuristic that stands in until the ONNX model (issue 4)
//! replaces it. It finds labelled header values ("PO Number: 123"), a table header row
//! ("Qty  Item  Description  Price  Amount") whose word positions define columns, and the
//! rows under it; "10 x AB-100" lists in emails too. Confidences are deliberately modest so
//! the rules' low-confidence check stays meaningful.

use regex::Regex;
use std::sync::OnceLock;

use super::normalize::{currency_code, detect_locale, parse_date, parse_number, Locale};
use crate::domain::{Field, LineItem, Order, SourceSpan};
use crate::parse::{ParsedDocument, Word};

/// One text line of a page, its words left to right.
struct Line<'a> {
    page: u32,
    words: Vec<&'a Word>,
    text: String,
}

impl Line<'_> {
    fn x0(&self) -> f32 {
        self.words.first().map(|w| w.bbox.x0).unwrap_or(0.0)
    }
    fn y0(&self) -> f32 {
        self.words
            .iter()
            .map(|w| w.bbox.y0)
            .fold(f32::MAX, f32::min)
    }
    fn span(&self, part: u32, words: &[&Word]) -> SourceSpan {
        span_of(part, self.page, words)
    }
}

fn span_of(part: u32, page: u32, words: &[&Word]) -> SourceSpan {
    let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    for w in words {
        b[0] = b[0].min(w.bbox.x0);
        b[1] = b[1].min(w.bbox.y0);
        b[2] = b[2].max(w.bbox.x1);
        b[3] = b[3].max(w.bbox.y1);
    }
    if words.is_empty() {
        b = [0.0; 4];
    }
    SourceSpan {
        part,
        page,
        bbox: b,
        text: words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn lines_of(doc: &ParsedDocument) -> Vec<Line<'_>> {
    let mut out: Vec<Line<'_>> = Vec::new();
    for page in &doc.pages {
        let mut current: Option<(u32, Vec<&Word>)> = None;
        for w in &page.words {
            match &mut current {
                Some((id, ws)) if *id == w.line => ws.push(w),
                _ => {
                    if let Some((_, ws)) = current.take() {
                        out.push(make_line(page.number, ws));
                    }
                    current = Some((w.line, vec![w]));
                }
            }
        }
        if let Some((_, ws)) = current {
            out.push(make_line(page.number, ws));
        }
    }
    out
}

fn make_line(page: u32, mut words: Vec<&Word>) -> Line<'_> {
    words.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
    let text = words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Line { page, words, text }
}

/// The kinds of table column this heuristic knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    LineNo,
    Sku,
    CustomerPart,
    Description,
    Qty,
    Uom,
    UnitPrice,
    Amount,
    Other,
}

fn classify_header(word: &str) -> Option<Col> {
    let w = word
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '#')
        .to_lowercase();
    Some(match w.as_str() {
        "#" | "pos" | "pos." | "line" | "ln" | "no" | "nr" | "item#" => Col::LineNo,
        "qty" | "quantity" | "ordered" | "menge" | "units" | "qté" | "quant" | "anzahl" => {
            Col::Qty
        }
        "sku" | "item" | "part" | "material" | "art" | "artikel" | "artikelnr" | "product"
        | "code" | "article" | "catalog" | "cat" | "ref" | "model" => Col::Sku,
        "description" | "desc" | "bezeichnung" | "beschreibung" | "details" | "designation" => {
            Col::Description
        }
        "uom" | "unit" | "um" | "u/m" | "me" | "einheit" | "unité" => Col::Uom,
        "price" | "rate" | "preis" | "einzelpreis" | "cost" | "prix" | "each" => Col::UnitPrice,
        "amount" | "total" | "extended" | "ext" | "value" | "betrag" | "gesamt" | "gesamtpreis"
        | "net" | "montant" | "line total" | "subtotal" => Col::Amount,
        "hts" | "upc" | "tax" | "vat" | "disc" | "discount" | "date" | "delivery" | "due"
        | "cost code" | "rabatt" | "liefertermin" => Col::Other,
        _ => return None,
    })
}

struct Column {
    col: Col,
    x0: f32,
    x1: f32,
}

/// Find a table header line: at least three column words, one of them a quantity.
fn header_columns(line: &Line<'_>) -> Option<Vec<Column>> {
    let mut cols: Vec<Column> = Vec::new();
    let mut hits = 0;
    let mut has_qty = false;
    let mut has_money = false;
    for w in &line.words {
        let Some(c) = classify_header(&w.text) else {
            // Modifier words ("Unit Price", "Part No.") attach to their neighbour column.
            if let Some(last) = cols.last_mut() {
                if w.bbox.x0 - last.x1 < w.font_size * 1.2 {
                    last.x1 = w.bbox.x1;
                }
            }
            continue;
        };
        hits += 1;
        has_qty |= c == Col::Qty;
        has_money |= matches!(c, Col::UnitPrice | Col::Amount);
        if let Some(last) = cols.last_mut() {
            let close = w.bbox.x0 - last.x1 < w.font_size * 1.2;
            // "Unit Price": "unit" then "price" -> a price column; "Part No" -> sku.
            if close && last.col == Col::Uom && c == Col::UnitPrice {
                last.col = Col::UnitPrice;
                last.x1 = w.bbox.x1;
                continue;
            }
            if close && (c == Col::LineNo || c == last.col) {
                last.x1 = w.bbox.x1;
                continue;
            }
            if close && last.col == Col::Sku && c == Col::Description {
                // "Item Description" is one description column.
                last.col = Col::Description;
                last.x1 = w.bbox.x1;
                continue;
            }
        }
        cols.push(Column {
            col: c,
            x0: w.bbox.x0,
            x1: w.bbox.x1,
        });
    }
    if hits >= 3 && has_qty && (has_money || cols.iter().any(|c| c.col == Col::Sku)) {
        // Two code columns: the buyer's own part number is the one labelled "your"/"customer".
        let lower = line.text.to_lowercase();
        let skus: Vec<usize> = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.col == Col::Sku)
            .map(|(i, _)| i)
            .collect();
        if skus.len() >= 2
            && (lower.contains("your") || lower.contains("customer") || lower.contains("buyer"))
        {
            if let Some(&i) = skus.first() {
                cols[i].col = Col::CustomerPart;
            }
        }
        Some(cols)
    } else {
        None
    }
}

fn is_end_of_table(text: &str) -> bool {
    let l = text.to_lowercase();
    [
        "subtotal",
        "sub-total",
        "sub total",
        "total",
        "zwischensumme",
        "summe",
        "gesamtbetrag",
        "freight",
        "shipping",
        "tax",
        "vat",
        "mwst",
        "terms",
        "notes:",
        "remarks",
    ]
    .iter()
    .any(|k| l.starts_with(k) || l.contains(&format!(" {k}")))
        && !l.chars().next().is_some_and(|c| c.is_ascii_digit())
}

fn is_number(s: &str, loc: Locale) -> bool {
    s.chars().any(|c| c.is_ascii_digit()) && parse_number(s, loc).is_some()
}

/// Assign each word of a row to the column whose span it overlaps most (or is nearest).
fn assign<'a>(row: &[&'a Word], cols: &[Column]) -> Vec<Vec<&'a Word>> {
    let mut cells: Vec<Vec<&Word>> = vec![Vec::new(); cols.len()];
    for w in row {
        let cx = (w.bbox.x0 + w.bbox.x1) / 2.0;
        let mut best = 0;
        let mut best_d = f32::MAX;
        for (i, c) in cols.iter().enumerate() {
            let overlap = w.bbox.x1.min(c.x1) - w.bbox.x0.max(c.x0);
            let d = if overlap > 0.0 {
                -overlap
            } else {
                (cx - (c.x0 + c.x1) / 2.0).abs()
            };
            if d < best_d {
                best_d = d;
                best = i;
            }
        }
        if let Some(cell) = cells.get_mut(best) {
            cell.push(w);
        }
    }
    cells
}

const CONF: f32 = 0.8;

fn text_field(part: u32, page: u32, words: &[&Word]) -> Option<Field<String>> {
    if words.is_empty() {
        return None;
    }
    let span = span_of(part, page, words);
    Some(Field::new(span.text.clone(), CONF, Some(span)))
}

fn num_field(part: u32, page: u32, words: &[&Word], loc: Locale) -> Option<Field<f64>> {
    let span = span_of(part, page, words);
    let joined: String = words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let v = parse_number(&joined, loc).or_else(|| {
        words.iter().rev().find_map(|w| {
            is_number(&w.text, loc)
                .then(|| parse_number(&w.text, loc))
                .flatten()
        })
    })?;
    Some(Field::new(v, CONF, Some(span)))
}

fn table_lines(lines: &[Line<'_>], part: u32, loc: Locale) -> Vec<LineItem> {
    let mut items: Vec<LineItem> = Vec::new();
    let mut cols: Option<Vec<Column>> = None;
    for line in lines {
        if let Some(h) = header_columns(line) {
            cols = Some(h);
            continue;
        }
        let Some(cs) = &cols else { continue };
        if is_end_of_table(&line.text) {
            cols = None;
            continue;
        }
        let cells = assign(&line.words, cs);
        let cell = |c: Col| -> Vec<&Word> {
            cs.iter()
                .zip(cells.iter())
                .filter(|(col, _)| col.col == c)
                .flat_map(|(_, ws)| ws.iter().copied())
                .collect()
        };
        let qty = cell(Col::Qty);
        let qty_ok = !qty.is_empty() && qty.iter().any(|w| is_number(&w.text, loc));
        let money = cell(Col::UnitPrice).len() + cell(Col::Amount).len();
        if qty_ok && (money > 0 || !cell(Col::Sku).is_empty()) {
            let mut qty_words: Vec<&Word> = Vec::new();
            let mut uom_words = cell(Col::Uom);
            for w in qty {
                if is_number(&w.text, loc) {
                    qty_words.push(w);
                } else {
                    uom_words.push(w);
                }
            }
            let mut desc = cell(Col::Description);
            desc.extend(
                cell(Col::Other)
                    .into_iter()
                    .filter(|w| !is_number(&w.text, loc)),
            );
            items.push(LineItem {
                line_no: items.len() as u32 + 1,
                sku: text_field(part, line.page, &cell(Col::Sku)),
                customer_part: text_field(part, line.page, &cell(Col::CustomerPart)),
                description: text_field(part, line.page, &desc),
                quantity: num_field(part, line.page, &qty_words, loc),
                uom: text_field(part, line.page, &uom_words),
                unit_price: num_field(part, line.page, &cell(Col::UnitPrice), loc),
                amount: num_field(part, line.page, &cell(Col::Amount), loc),
            });
        } else if let Some(last) = items.last_mut() {
            // A continuation row: more description (wrapped text) under the previous item.
            let more = cell(Col::Description);
            if !more.is_empty() && line.words.len() == more.len() {
                let extra = span_of(part, line.page, &more).text;
                match &mut last.description {
                    Some(d) => {
                        d.value.push(' ');
                        d.value.push_str(&extra);
                    }
                    None => last.description = Some(Field::new(extra, CONF, None)),
                }
            }
        }
    }
    items
}

fn list_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)^\s*(?:[-*•]\s*)?(\d+(?:[.,]\d+)?)\s*(?:x|×|pcs?\.?|ea\.?|units?)\s+(?:of\s+)?([A-Z0-9][A-Z0-9\-./]*\d[A-Z0-9\-./]*)\b[\s:,\-–]*(.*)$")
            .unwrap_or_else(|_| unreachable_regex())
    })
}

/// A regex that never matches: the fallback if a literal pattern failed to compile.
fn unreachable_regex() -> Regex {
    Regex::new(r"[^\s\S]").unwrap_or_else(|_| std::process::abort())
}

fn list_lines(lines: &[Line<'_>], part: u32, loc: Locale) -> Vec<LineItem> {
    let mut items = Vec::new();
    for line in lines {
        let Some(c) = list_re().captures(&line.text) else {
            continue;
        };
        let qty = c.get(1).and_then(|m| parse_number(m.as_str(), loc));
        let span = line.span(part, &line.words);
        let rest = c.get(3).map(|m| m.as_str().trim()).unwrap_or("");
        // "@ 12.50" or "at $12.50" after the description is a unit price.
        let (desc, price) = match rest.rsplit_once('@').or_else(|| rest.rsplit_once(" at ")) {
            Some((d, p)) => (d.trim(), parse_number(p, loc)),
            None => (rest, None),
        };
        items.push(LineItem {
            line_no: items.len() as u32 + 1,
            sku: c
                .get(2)
                .map(|m| Field::new(m.as_str().to_string(), 0.7, Some(span.clone()))),
            customer_part: None,
            description: (!desc.is_empty())
                .then(|| Field::new(desc.to_string(), 0.6, Some(span.clone()))),
            quantity: qty.map(|q| Field::new(q, 0.7, Some(span.clone()))),
            uom: None,
            unit_price: price.map(|p| Field::new(p, 0.6, Some(span.clone()))),
            amount: match (qty, price) {
                (Some(q), Some(p)) => Some(Field::new((q * p * 100.0).round() / 100.0, 0.5, None)),
                _ => None,
            },
        });
    }
    items
}

fn header_re() -> &'static [(&'static str, Regex)] {
    static RE: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    RE.get_or_init(|| {
        let pats = [
            ("po", r"(?i)\b(?:p\.?\s?o\.?|purchase\s+order|order|bestellung|bestell|auftrag)\s*(?:-|\s)?(?:no\.?|number|num|nr\.?|#|nummer|id)?\s*[:#.]?\s*(?:no\.?|nr\.?)?\s*[:#]?\s*([A-Z0-9][A-Z0-9\-/_.]*\d[A-Z0-9\-/_]*)"),
            ("date", r"(?i)\b(?:order\s+date|po\s+date|date\s+of\s+order|bestelldatum|datum|date|dated)\s*[:.]?\s*([0-9]{1,4}[./\-][0-9]{1,2}[./\-][0-9]{2,4}|[0-9]{1,2}\.?\s+[A-Za-zäé]{3,9}\.?,?\s+[0-9]{2,4}|[A-Za-z]{3,9}\.?\s+[0-9]{1,2},?\s+[0-9]{4}|[0-9]{1,2}-[A-Za-z]{3}-[0-9]{2,4})"),
            ("currency", r"(?i)\b(?:currency|währung|devise)\s*[:.]?\s*([A-Z]{3}|[$€£])"),
            ("total", r"(?i)\b(?:grand\s+total|total\s+amount|total\s+due|order\s+total|amount\s+due|gesamtbetrag|gesamtsumme|endbetrag|total)\b[^0-9\-]*(-?[0-9][0-9.,\s']*[0-9])"),
        ];
        pats.iter()
            .filter_map(|(k, p)| Regex::new(p).ok().map(|r| (*k, r)))
            .collect()
    })
}

fn find_header(lines: &[Line<'_>], key: &str) -> Option<(usize, String)> {
    let re = &header_re().iter().find(|(k, _)| *k == key)?.1;
    let mut found = None;
    for (i, l) in lines.iter().enumerate() {
        let lower = l.text.to_lowercase();
        if key == "total"
            && (lower.contains("subtotal")
                || lower.contains("sub-total")
                || lower.contains("zwischensumme")
                || lower.contains("sub total"))
        {
            continue;
        }
        if let Some(c) = re.captures(&l.text) {
            if let Some(m) = c.get(1) {
                found = Some((i, m.as_str().trim().to_string()));
                // PO number and date: the first is the header one; total: the last one wins.
                if key != "total" {
                    break;
                }
            }
        }
    }
    found
}

fn block_after(lines: &[Line<'_>], labels: &[&str]) -> Option<(usize, String)> {
    for (i, l) in lines.iter().enumerate() {
        let lower = l.text.to_lowercase();
        let Some(label) = labels
            .iter()
            .find(|lb| lower.starts_with(*lb) || lower.contains(&format!(" {lb}")))
        else {
            continue;
        };
        let pos = lower.find(label).unwrap_or(0) + label.len();
        let rest = l
            .text
            .get(pos..)
            .unwrap_or("")
            .trim_start_matches([':', ' '])
            .trim();
        if !rest.is_empty() {
            return Some((i, rest.to_string()));
        }
        if let Some(next) = lines.get(i + 1) {
            return Some((i + 1, next.text.clone()));
        }
    }
    None
}

/// Extract the orders of one parsed part. Returns no order when nothing looks like one.
pub fn extract(doc: &ParsedDocument, part: u32) -> Vec<Order> {
    let lines = lines_of(doc);
    if lines.is_empty() {
        return vec![];
    }
    let loc = detect_locale(&doc.text());
    let mut items = table_lines(&lines, part, loc);
    if items.is_empty() {
        items = list_lines(&lines, part, loc);
    }
    let po = find_header(&lines, "po");
    if items.is_empty() && po.is_none() {
        return vec![];
    }
    let field_at = |found: Option<(usize, String)>| -> Option<Field<String>> {
        found.map(|(i, v)| {
            let span = lines.get(i).map(|l| l.span(part, &l.words));
            Field::new(v, CONF, span)
        })
    };
    let order_date = find_header(&lines, "date").and_then(|(i, s)| {
        parse_date(&s, loc)
            .map(|d| Field::new(d, CONF, lines.get(i).map(|l| l.span(part, &l.words))))
    });
    let total = find_header(&lines, "total").and_then(|(i, s)| {
        parse_number(&s, loc)
            .map(|v| Field::new(v, CONF, lines.get(i).map(|l| l.span(part, &l.words))))
    });
    let currency = find_header(&lines, "currency")
        .and_then(|(_, s)| currency_code(&s).map(str::to_string))
        .or_else(|| {
            doc.pages
                .iter()
                .flat_map(|p| p.words.iter())
                .find_map(|w| {
                    currency_code(&w.text).or_else(|| {
                        w.text
                            .chars()
                            .next()
                            .and_then(|c| currency_code(&c.to_string()))
                    })
                })
                .map(str::to_string)
        })
        .map(|c| Field::new(c, 0.6, None));
    let buyer = field_at(block_after(
        &lines,
        &[
            "bill to",
            "buyer:",
            "customer:",
            "sold to",
            "purchaser",
            "käufer",
            "besteller",
            "from:",
        ],
    ))
    .or_else(|| {
        lines
            .first()
            .filter(|l| l.x0() < 200.0 && l.y0() < 150.0)
            .map(|l| Field::new(l.text.clone(), 0.4, Some(l.span(part, &l.words))))
    });
    let ship_to = field_at(block_after(
        &lines,
        &[
            "ship to",
            "deliver to",
            "delivery address",
            "lieferadresse",
            "lieferanschrift",
            "ship-to",
        ],
    ));
    vec![Order {
        po_number: field_at(po),
        order_date,
        buyer,
        currency,
        ship_to,
        total,
        lines: items,
        charges: vec![],
        part: None,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text_to_doc;

    #[test]
    fn reads_an_aligned_text_table() {
        let text = [
            "ACME Manufacturing Inc",
            "Purchase Order No: PO-4711",
            "Order Date: 03/07/2025",
            "",
            "Qty   Item          Description            Unit Price    Amount",
            "10    BRG-6204-2RS  Ball bearing 6204      4.50          45.00",
            "2     FST-M8X25     Hex bolt M8x25         12.00         24.00",
            "                    zinc plated",
            "Total USD 69.00",
        ]
        .join("\n");
        let text = text.as_str();
        let orders = extract(&text_to_doc(text), 0);
        assert_eq!(orders.len(), 1);
        let o = &orders[0];
        assert_eq!(
            o.po_number.as_ref().map(|f| f.value.as_str()),
            Some("PO-4711")
        );
        assert_eq!(
            o.order_date.as_ref().map(|f| f.value.to_string()),
            Some("2025-03-07".into())
        );
        assert_eq!(o.total.as_ref().map(|f| f.value), Some(69.0));
        assert_eq!(o.lines.len(), 2);
        assert_eq!(
            o.lines[0].sku.as_ref().map(|f| f.value.as_str()),
            Some("BRG-6204-2RS")
        );
        assert_eq!(o.lines[1].quantity.as_ref().map(|f| f.value), Some(2.0));
        assert_eq!(o.lines[1].unit_price.as_ref().map(|f| f.value), Some(12.0));
        assert_eq!(
            o.lines[1].description.as_ref().map(|f| f.value.as_str()),
            Some("Hex bolt M8x25 zinc plated")
        );
    }

    #[test]
    fn reads_a_quantity_x_code_list() {
        let text = "Hi, please send\n10 x AB-100 widgets\n3 x CD-200\nPO 5551\nthanks";
        let orders = extract(&text_to_doc(text), 0);
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].lines.len(), 2);
        assert_eq!(
            orders[0].lines[0].sku.as_ref().map(|f| f.value.as_str()),
            Some("AB-100")
        );
        assert_eq!(
            orders[0].lines[1].quantity.as_ref().map(|f| f.value),
            Some(3.0)
        );
    }

    #[test]
    fn no_order_in_a_chatty_mail() {
        let orders = extract(
            &text_to_doc("Thanks for the quick delivery last week!\nBest, Jo"),
            0,
        );
        assert!(orders.is_empty());
    }
}
