//! UN/EDIFACT: separators from `UNA` (else the ISO 9735 defaults), the
//! `UNB/UNG/UNH ... UNT/UNE/UNZ` counts and references, and the ORDERS message mapped to an
//! [`Order`] (directories D.93A to D.24A; D.96A and D.01B are what the tests read).
//!
//! | segment | element | order field |
//! |---|---|---|
//! | `BGM` | C106 document number | `po_number` |
//! | `DTM` | C507 qualifier `137` (document date) or `4` (order date), value, format `102`/`203`/`101` | `order_date` |
//! | `NAD` | `BY` buyer (C080 name, else C058 name and address); `DP`/`ST` delivery party | `buyer`, `ship_to` |
//! | `CUX` | C504 currency | `currency` |
//! | `LIN` | C212 item number with its type: `SA`/`SRV`/`MF` supplier's (else `EN`/`UP`, GTIN) | `sku` |
//! | `PIA` | up to five C212 with their types: as LIN; `IN`/`BP` buyer's | `sku`, `customer_part` |
//! | `IMD` | C273 descriptions | `description` |
//! | `QTY` | C186 qualifier `21` (ordered), quantity, unit | `quantity`, `uom` |
//! | `PRI` | C509 `AAA` net (else `AAB` gross) price, unit price basis | `unit_price`, `price_unit` |
//! | `MOA` | in a line: `203` (`66`, `146`) line amount; after `UNS`: `79` lines total, `86`/`128`/`39` total | `amount`, `subtotal`, `total` |
//! | `CNT` | `2` number of lines, `1` sum of quantities | checked |
//! | `UNT`/`UNE`/`UNZ` | segment and message counts, references | checked |

use super::{
    certain, check_trailer, damage_from, date, join_parts, mark_damaged, number, raw_segments,
    tokenize, EdiRead, ParseError, RawSegment, Segment, Separators, Standard,
};
use crate::domain::{LineItem, Order};

/// The separators and decimal mark: from the UNA service string advice when there is one.
fn separators(text: &str) -> (Separators, char, usize) {
    let defaults = Separators {
        segment: '\'',
        element: '+',
        component: ':',
        release: Some('?'),
    };
    if let Some(rest) = text.strip_prefix("UNA") {
        let c: Vec<char> = rest.chars().take(6).collect();
        if let [component, element, decimal, release, _reserved, segment] = c[..] {
            let consumed = 3 + c.iter().map(|ch| ch.len_utf8()).sum::<usize>();
            let release = (release != ' ').then_some(release);
            return (
                Separators {
                    segment,
                    element,
                    component,
                    release,
                },
                if decimal == ',' { ',' } else { '.' },
                consumed,
            );
        }
    }
    (defaults, '.', 0)
}

/// Is `dir` (UNH S009: version `D`, release such as `96A`) a directory this reader knows?
fn known_directory(version: &str, release: &str) -> bool {
    let r = release.as_bytes();
    version == "D"
        && r.len() == 3
        && r[0].is_ascii_digit()
        && r[1].is_ascii_digit()
        && (r[2] == b'A' || r[2] == b'B')
        && {
            let yy = u32::from(r[0] - b'0') * 10 + u32::from(r[1] - b'0');
            yy >= 93 || yy <= 24
        }
}

pub(crate) fn read(text: &str) -> Result<(Vec<RawSegment>, EdiRead), ParseError> {
    let body = text.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace());
    let (sep, decimal, skip) = separators(body);
    let rest = body.get(skip..).unwrap_or("");
    let segments = tokenize(rest, &sep)?;
    let mut raw = Vec::new();
    if skip > 0 {
        raw.push(RawSegment {
            raw: body.get(..skip).unwrap_or("UNA").to_string(),
        });
    }
    raw.extend(raw_segments(&segments, &sep));
    let mut read = EdiRead {
        standard: Standard::Edifact,
        orders: vec![],
        problems: vec![],
    };
    let mut unb: Option<(String, u32, u32, usize)> = None; // reference, messages, groups, first order
    let mut ung: Option<(String, u32, usize)> = None;
    let mut seen_unb = false;
    let mut i = 0;
    while i < segments.len() {
        let s = &segments[i];
        match s.tag.as_str() {
            "UNB" => {
                if let Some((r, _, _, first)) = unb.take() {
                    damage_from(
                        &mut read,
                        first,
                        vec![format!("interchange {r}: no UNZ trailer")],
                    );
                }
                seen_unb = true;
                unb = Some((s.el(5).unwrap_or("").to_string(), 0, 0, read.orders.len()));
            }
            "UNG" => {
                if let Some(u) = unb.as_mut() {
                    u.2 += 1;
                }
                ung = Some((s.el(5).unwrap_or("").to_string(), 0, read.orders.len()));
            }
            "UNE" => {
                if let Some((r, n, first)) = ung.take() {
                    let mut bad = vec![];
                    if s.el(1).and_then(|v| v.parse::<u32>().ok()) != Some(n) {
                        bad.push(format!(
                            "group {r}: UNE says {} messages, {n} found",
                            s.el(1).unwrap_or("nothing")
                        ));
                    }
                    damage_from(&mut read, first, bad);
                }
            }
            "UNH" => {
                let end = segments[i + 1..]
                    .iter()
                    .position(|t| matches!(t.tag.as_str(), "UNT" | "UNH" | "UNE" | "UNZ" | "UNB"))
                    .map(|p| i + 1 + p);
                let (msg, next) = match end {
                    Some(e) if segments[e].tag == "UNT" => (&segments[i..=e], e + 1),
                    Some(e) => (&segments[i..e], e),
                    None => (&segments[i..], segments.len()),
                };
                if let Some(u) = unb.as_mut() {
                    u.1 += 1;
                }
                if let Some(g) = ung.as_mut() {
                    g.1 += 1;
                }
                let reference = s.el(1).unwrap_or("?");
                let (mtype, version, release) = (
                    s.comp(2, 1).unwrap_or(""),
                    s.comp(2, 2).unwrap_or(""),
                    s.comp(2, 3).unwrap_or(""),
                );
                if mtype == "ORDERS" {
                    if known_directory(version, release) {
                        let (mut problems, notes) = check_message(msg);
                        read.problems.extend(notes);
                        let (mut order, more) = map_orders(msg, decimal);
                        problems.extend(more);
                        if !problems.is_empty() {
                            mark_damaged(&mut order);
                            read.problems.extend(problems);
                        }
                        read.orders.push(order);
                    } else {
                        read.problems.push(format!(
                            "message {reference}: ORDERS directory '{version}:{release}' is not one po-intake reads (D:93A to D:24A)"
                        ));
                    }
                } else {
                    tracing::debug!(mtype, "EDIFACT message that is no order skipped");
                }
                i = next;
                continue;
            }
            "UNT" => read
                .problems
                .push(format!("segment {}: UNT without its UNH", s.index + 1)),
            "UNZ" => {
                if let Some((r, messages, groups, first)) = unb.take() {
                    let count = if groups > 0 { groups } else { messages };
                    let mut bad = vec![];
                    if s.el(1).and_then(|v| v.parse::<u32>().ok()) != Some(count) {
                        bad.push(format!(
                            "interchange {r}: UNZ says {} {}, {count} found",
                            s.el(1).unwrap_or("nothing"),
                            if groups > 0 { "groups" } else { "messages" }
                        ));
                    }
                    if s.el(2) != Some(r.as_str()) {
                        // A reference that differs loses no data: noted, not damaging.
                        read.problems.push(format!(
                            "interchange {r}: UNZ reference '{}' differs from UNB's",
                            s.el(2).unwrap_or("")
                        ));
                    }
                    damage_from(&mut read, first, bad);
                }
            }
            _ => {}
        }
        i += 1;
    }
    if let Some((r, _, _, first)) = unb.take() {
        damage_from(
            &mut read,
            first,
            vec![format!(
                "interchange {r}: no UNZ trailer (the file is truncated)"
            )],
        );
    }
    if !seen_unb {
        read.problems.push("no UNB interchange header".to_string());
    }
    Ok((raw, read))
}

/// UNT present, its segment count and its reference.
fn check_message(msg: &[Segment]) -> (Vec<String>, Vec<String>) {
    let reference = msg.first().and_then(|unh| unh.el(1)).unwrap_or("?");
    check_trailer(msg, "UNT", reference, &format!("message {reference}"))
}

/// A party's name: C080 (element 4) joined, else C058 name and address (element 3).
fn party_name(s: &Segment) -> Option<String> {
    s.joined(4).or_else(|| s.joined(3))
}

fn party_address(s: &Segment) -> Option<String> {
    let city_line = join_parts(&[s.el(8).map(str::to_string), s.el(6).map(str::to_string)])
        .map(|v| v.replace(", ", " "));
    join_parts(&[
        party_name(s),
        s.joined(5),
        city_line,
        s.el(7).map(str::to_string),
        s.el(9).map(str::to_string),
    ])
}

/// Map one ORDERS message; returns the order and what did not add up (CNT).
fn map_orders(msg: &[Segment], decimal: char) -> (Order, Vec<String>) {
    let mut order = Order::default();
    let reference = msg.first().and_then(|s| s.el(1)).unwrap_or("?").to_string();
    let mut in_lines = false;
    let mut summary = false;
    let mut delivery: Option<String> = None;
    let mut cnt: Vec<&Segment> = vec![];
    let num = |v: Option<&str>| v.and_then(|v| number(v, decimal));
    for s in msg {
        match s.tag.as_str() {
            "BGM" => order.po_number = s.comp(2, 1).map(str::to_string).and_then(certain),
            "DTM" if !in_lines => {
                let q = s.comp(1, 1);
                if matches!(q, Some("137") | Some("4"))
                    && (order.order_date.is_none() || q == Some("4"))
                {
                    order.order_date = s.comp(1, 2).and_then(date).and_then(certain);
                }
            }
            "NAD" if !in_lines => match s.el(1) {
                Some("BY") => order.buyer = party_name(s).and_then(certain),
                Some("DP") | Some("ST") if delivery.is_none() => delivery = party_address(s),
                _ => {}
            },
            "CUX" if order.currency.is_none() => {
                order.currency = s.comp(1, 2).map(str::to_ascii_uppercase).and_then(certain);
            }
            "LIN" => {
                in_lines = true;
                let mut line = LineItem {
                    line_no: order.lines.len() as u32 + 1,
                    ..LineItem::default()
                };
                if let Some(code) = s.comp(3, 1) {
                    assign_id(&mut line, code, s.comp(3, 2).unwrap_or(""));
                }
                order.lines.push(line);
            }
            "PIA" if in_lines => {
                if let Some(line) = order.lines.last_mut() {
                    for n in 2..=6 {
                        if let Some(code) = s.comp(n, 1) {
                            assign_id(line, code, s.comp(n, 2).unwrap_or(""));
                        }
                    }
                }
            }
            "IMD" if in_lines => {
                if let Some(line) = order.lines.last_mut() {
                    let text: Vec<&str> =
                        [s.comp(3, 4), s.comp(3, 5)].into_iter().flatten().collect();
                    if !text.is_empty() {
                        let text = text.join(" ");
                        let desc = match line.description.take() {
                            Some(prev) => format!("{} {text}", prev.value),
                            None => text,
                        };
                        line.description = certain(desc);
                    }
                }
            }
            "QTY" if in_lines && !summary => {
                if let (Some(line), Some("21" | "1")) = (order.lines.last_mut(), s.comp(1, 1)) {
                    if line.quantity.is_none() || s.comp(1, 1) == Some("21") {
                        line.quantity = num(s.comp(1, 2)).and_then(certain);
                        line.uom = s.comp(1, 3).map(str::to_string).and_then(certain);
                    }
                }
            }
            "PRI" if in_lines && !summary => {
                if let Some(line) = order.lines.last_mut() {
                    let q = s.comp(1, 1);
                    if q == Some("AAA") || (q == Some("AAB") && line.unit_price.is_none()) {
                        line.unit_price = num(s.comp(1, 2)).and_then(certain);
                        line.price_unit = num(s.comp(1, 5)).filter(|v| *v > 1.0).and_then(certain);
                    }
                }
            }
            "MOA" => {
                let (q, v) = (s.comp(1, 1), num(s.comp(1, 2)));
                match (summary, in_lines, q, v) {
                    (false, true, Some("203" | "66" | "146"), Some(v)) => {
                        if let Some(line) = order.lines.last_mut() {
                            if line.amount.is_none() || q == Some("203") {
                                line.amount = certain(v);
                            }
                        }
                    }
                    (true, _, Some("79"), Some(v)) => order.subtotal = certain(v),
                    (true, _, Some("86" | "128" | "39" | "77"), Some(v))
                        if order.total.is_none() || q == Some("86") =>
                    {
                        order.total = certain(v);
                    }
                    _ => {}
                }
            }
            "UNS" => summary = true,
            "CNT" => cnt.push(s),
            _ => {}
        }
    }
    order.ship_to = delivery.and_then(certain);
    let mut problems = vec![];
    if order.po_number.is_none() {
        problems.push(format!("message {reference}: no BGM document number"));
    }
    for c in cnt {
        let v = num(c.comp(1, 2));
        match c.comp(1, 1) {
            Some("2") => {
                let n = order.lines.len() as f64;
                if v != Some(n) {
                    problems.push(format!(
                        "message {reference}: CNT says {} lines, {n} LIN found",
                        c.comp(1, 2).unwrap_or("nothing")
                    ));
                }
            }
            Some("1") => {
                let sum: f64 = order
                    .lines
                    .iter()
                    .filter_map(|l| l.quantity.as_ref().map(|f| f.value))
                    .sum();
                if v.is_none_or(|v| (v - sum).abs() > 1e-6) {
                    problems.push(format!(
                        "message {reference}: CNT control total {} differs from the quantities' sum {sum}",
                        c.comp(1, 2).unwrap_or("nothing")
                    ));
                }
            }
            _ => {}
        }
    }
    (order, problems)
}

/// An item number by its type (UNCL 7143): the supplier's number is our SKU, the buyer's is
/// the customer part; a GTIN is the SKU only when no supplier number is given.
fn assign_id(line: &mut LineItem, code: &str, kind: &str) {
    match kind {
        "SA" | "SRV" | "MF" | "VN" | "VP" => line.sku = certain(code.to_string()),
        "IN" | "BP" | "BO" => {
            if line.customer_part.is_none() {
                line.customer_part = certain(code.to_string());
            }
        }
        // EAN/UPC (GTIN), or no type at all.
        _ => {
            if line.sku.is_none() {
                line.sku = certain(code.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn una_sets_the_separators_and_the_decimal_mark() {
        let (sep, dec, skip) = separators("UNA:+,? 'UNB+UNOC:3");
        assert_eq!((sep.component, sep.element, sep.segment), (':', '+', '\''));
        assert_eq!((dec, skip, sep.release), (',', 9, Some('?')));
        let (sep, dec, skip) = separators("UNB+UNOA:1");
        assert_eq!((sep.segment, dec, skip), ('\'', '.', 0));
    }

    #[test]
    fn directories_outside_d93a_to_d24a_are_unknown() {
        assert!(known_directory("D", "96A"));
        assert!(known_directory("D", "01B"));
        assert!(!known_directory("D", "77X"));
        assert!(!known_directory("S", "93A"));
        assert!(!known_directory("D", "50A"));
    }
}
