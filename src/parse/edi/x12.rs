//! ANSI X12: the `ISA` envelope's separators, the `ISA/GS/ST ... SE/GE/IEA` counts and
//! control numbers, and the 850 purchase order mapped to an [`Order`].
//!
//! The mapping, segment by segment (X12 4010/5010 850):
//!
//! | segment | element | order field |
//! |---|---|---|
//! | `BEG` | 03 PO number, 05 date | `po_number`, `order_date` |
//! | `CUR` | 02 currency | `currency` |
//! | `DTM` | 01 = `004` (purchase order), 02 date | `order_date` when BEG has none |
//! | `N1`/`N2`/`N3`/`N4` | `BY` buyer (else `BT` bill-to) name; `ST` ship-to name and address | `buyer`, `ship_to` |
//! | `PO1` | 02 quantity, 03 unit, 04 unit price, 05 price basis (`HP` per 100, `TP` per 1000), then qualifier/id pairs | line |
//! | `PO1` ids | `VP`/`VN`/`SK` vendor's number, else `UP`/`UK`/`EN`/`UA` (GTIN) | `sku` |
//! | `PO1` ids | `BP`/`IN`/`PI` buyer's number | `customer_part` |
//! | `PID` | 05 description (free form) | line `description` |
//! | `AMT` | `TT` total; `1` inside a PO1 loop: line amount | `total`, line `amount` |
//! | `CTT` | 01 number of PO1 lines, 02 hash total of quantities | checked |
//! | `SE`/`GE`/`IEA` | segment, set and group counts; control numbers | checked |

use super::{
    certain, check_trailer, damage_from, date, join_parts, mark_damaged, number, raw_segments,
    tokenize, RawSegment, Segment, Separators, Standard,
};
use super::{EdiRead, ParseError};
use crate::domain::{LineItem, Order};

/// X12 writes decimals with a point.
const DECIMAL: char = '.';

/// The separators from the ISA segment: the element separator is the character after `ISA`;
/// ISA16 is the component separator and the character right after it ends the segment.
/// Read by counting separators rather than by fixed columns, so an ISA whose padding was
/// trimmed still reads.
pub fn separators(text: &str) -> Result<Separators, ParseError> {
    let mut chars = text.chars();
    let tag: String = chars.by_ref().take(3).collect();
    if tag != "ISA" {
        return Err(super::malformed("an X12 interchange must start with ISA"));
    }
    let element = chars
        .next()
        .ok_or_else(|| super::malformed("truncated ISA segment"))?;
    let mut seen = 1;
    for c in chars.by_ref() {
        if c == element {
            seen += 1;
            if seen == 16 {
                break;
            }
        }
    }
    let (component, segment) = match (chars.next(), chars.next()) {
        (Some(c), Some(s)) if seen == 16 => (c, s),
        _ => {
            return Err(super::malformed(
                "truncated ISA segment: fewer than 16 elements",
            ))
        }
    };
    if component == element || segment == element || segment == component {
        return Err(super::malformed(
            "the ISA segment names the same character for two separators",
        ));
    }
    Ok(Separators {
        segment,
        element,
        component,
        release: None,
    })
}

/// Is `v` an X12 version this reader knows (`00200` to `00801` in ISA12, `002000` to
/// `008010` and suffixes such as `004010VICS` in GS08)?
fn known_version(v: &str, digits: usize) -> bool {
    let d: String = v.chars().take(digits).collect();
    d.len() == digits
        && d.chars().all(|c| c.is_ascii_digit())
        && d.parse::<u32>()
            .is_ok_and(|n| (200..=801).contains(&(n / 10u32.pow(digits as u32 - 5))))
}

/// Read one file of X12 interchanges.
pub(crate) fn read(text: &str) -> Result<(Vec<RawSegment>, EdiRead), ParseError> {
    let body = text.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace());
    let sep = separators(body)?;
    let segments = tokenize(body, &sep)?;
    let raw = raw_segments(&segments, &sep);
    let mut read = EdiRead {
        standard: Standard::X12,
        orders: vec![],
        problems: vec![],
    };
    let mut env = Envelope::default();
    let mut i = 0;
    while i < segments.len() {
        let s = &segments[i];
        match s.tag.as_str() {
            "ISA" => {
                env.close_interchange(&mut read, false);
                let version = s.el(12).unwrap_or("");
                env.isa = Some(Isa {
                    control: s.el(13).unwrap_or("").to_string(),
                    version_ok: known_version(version, 5),
                    groups: 0,
                    first_order: read.orders.len(),
                });
                if !known_version(version, 5) {
                    read.problems.push(format!(
                        "ISA12 version '{version}' is not an X12 version po-intake reads (00200 to 00801)"
                    ));
                }
            }
            "GS" => {
                env.close_group(&mut read, false);
                if let Some(isa) = env.isa.as_mut() {
                    isa.groups += 1;
                }
                let version = s.el(8).unwrap_or("");
                if !known_version(version, 6) {
                    read.problems.push(format!(
                        "group {}: GS08 version '{version}' is not an X12 version po-intake reads",
                        s.el(6).unwrap_or("?")
                    ));
                }
                env.gs = Some(Gs {
                    control: s.el(6).unwrap_or("").to_string(),
                    version_ok: known_version(version, 6),
                    sets: 0,
                    first_order: read.orders.len(),
                });
            }
            "ST" => {
                let end = segments[i + 1..]
                    .iter()
                    .position(|t| matches!(t.tag.as_str(), "SE" | "ST" | "GE" | "IEA" | "ISA"))
                    .map(|p| i + 1 + p);
                let (set, next) = match end {
                    Some(e) if segments[e].tag == "SE" => (&segments[i..=e], e + 1),
                    Some(e) => (&segments[i..e], e),
                    None => (&segments[i..], segments.len()),
                };
                if let Some(gs) = env.gs.as_mut() {
                    gs.sets += 1;
                }
                let versions_ok = env.isa.as_ref().is_some_and(|x| x.version_ok)
                    && env.gs.as_ref().is_none_or(|g| g.version_ok);
                if s.el(1) == Some("850") && versions_ok {
                    let (mut problems, notes) = check_set(set);
                    read.problems.extend(notes);
                    let (mut order, more) = map_850(set);
                    problems.extend(more);
                    if !problems.is_empty() {
                        mark_damaged(&mut order);
                        read.problems.extend(problems);
                    }
                    read.orders.push(order);
                } else if s.el(1) != Some("850") {
                    tracing::debug!(set = ?s.el(1), "X12 transaction set that is no purchase order skipped");
                }
                i = next;
                continue;
            }
            "SE" => read
                .problems
                .push(format!("segment {}: SE without its ST", s.index + 1)),
            "GE" => {
                if let Some(gs) = env.gs.take() {
                    let mut bad = vec![];
                    if s.el(1).and_then(|v| v.parse::<u32>().ok()) != Some(gs.sets) {
                        bad.push(format!(
                            "group {}: GE01 says {} transaction sets, {} found",
                            gs.control,
                            s.el(1).unwrap_or("nothing"),
                            gs.sets
                        ));
                    }
                    if s.el(2) != Some(gs.control.as_str()) {
                        // A reference that differs loses no data: noted, not damaging.
                        read.problems.push(format!(
                            "group {}: GE02 control number '{}' differs from GS06",
                            gs.control,
                            s.el(2).unwrap_or("")
                        ));
                    }
                    damage_from(&mut read, gs.first_order, bad);
                } else {
                    read.problems
                        .push(format!("segment {}: GE without its GS", s.index + 1));
                }
            }
            "IEA" => {
                env.close_group(&mut read, false);
                if let Some(isa) = env.isa.take() {
                    let mut bad = vec![];
                    if s.el(1).and_then(|v| v.parse::<u32>().ok()) != Some(isa.groups) {
                        bad.push(format!(
                            "interchange {}: IEA01 says {} groups, {} found",
                            isa.control,
                            s.el(1).unwrap_or("nothing"),
                            isa.groups
                        ));
                    }
                    if s.el(2) != Some(isa.control.as_str()) {
                        read.problems.push(format!(
                            "interchange {}: IEA02 control number '{}' differs from ISA13",
                            isa.control,
                            s.el(2).unwrap_or("")
                        ));
                    }
                    damage_from(&mut read, isa.first_order, bad);
                }
            }
            _ => {}
        }
        i += 1;
    }
    env.close_interchange(&mut read, true);
    Ok((raw, read))
}

#[derive(Default)]
struct Envelope {
    isa: Option<Isa>,
    gs: Option<Gs>,
}

struct Isa {
    control: String,
    version_ok: bool,
    groups: u32,
    first_order: usize,
}

struct Gs {
    control: String,
    version_ok: bool,
    sets: u32,
    first_order: usize,
}

impl Envelope {
    /// A group still open when something else starts: its GE is missing.
    fn close_group(&mut self, read: &mut EdiRead, _at_end: bool) {
        if let Some(gs) = self.gs.take() {
            let msg = format!(
                "group {}: no GE trailer (the interchange is truncated or malformed)",
                gs.control
            );
            damage_from(read, gs.first_order, vec![msg]);
        }
    }

    /// An interchange still open at the end of the file or at the next ISA: no IEA.
    fn close_interchange(&mut self, read: &mut EdiRead, at_end: bool) {
        self.close_group(read, at_end);
        if let Some(isa) = self.isa.take() {
            let msg = format!(
                "interchange {}: no IEA trailer (the file is truncated)",
                isa.control
            );
            damage_from(read, isa.first_order, vec![msg]);
        }
    }
}

/// The transaction set's own checks: SE present, its count and control number.
fn check_set(set: &[Segment]) -> (Vec<String>, Vec<String>) {
    let control = set.first().and_then(|st| st.el(2)).unwrap_or("?");
    check_trailer(set, "SE", control, &format!("transaction set {control}"))
}

#[derive(Default)]
struct Party {
    code: String,
    name: Option<String>,
    more: Vec<String>,
    city_line: Option<String>,
    country: Option<String>,
}

impl Party {
    fn address(&self) -> Option<String> {
        let mut parts = vec![self.name.clone()];
        parts.extend(self.more.iter().cloned().map(Some));
        parts.push(self.city_line.clone());
        parts.push(self.country.clone());
        join_parts(&parts)
    }
}

/// Map one 850 transaction set; returns the order and what did not add up (CTT).
fn map_850(set: &[Segment]) -> (Order, Vec<String>) {
    let mut order = Order::default();
    let mut parties: Vec<Party> = vec![];
    let mut in_lines = false;
    let mut ctt: Option<&Segment> = None;
    let control = set.first().and_then(|s| s.el(2)).unwrap_or("?").to_string();
    for s in set {
        match s.tag.as_str() {
            "BEG" => {
                order.po_number = s.el(3).map(str::to_string).and_then(certain);
                order.order_date = s.el(5).and_then(date).and_then(certain);
            }
            "CUR" if order.currency.is_none() => {
                order.currency = s.el(2).map(str::to_ascii_uppercase).and_then(certain);
            }
            "DTM" if order.order_date.is_none() && s.el(1) == Some("004") => {
                order.order_date = s.el(2).and_then(date).and_then(certain);
            }
            "N1" if !in_lines => parties.push(Party {
                code: s.el(1).unwrap_or("").to_string(),
                name: s.el(2).map(str::to_string),
                ..Party::default()
            }),
            "N2" | "N3" if !in_lines => {
                if let Some(p) = parties.last_mut() {
                    p.more
                        .extend([s.el(1), s.el(2)].into_iter().flatten().map(str::to_string));
                }
            }
            "N4" if !in_lines => {
                if let Some(p) = parties.last_mut() {
                    let line = [s.el(1), s.el(2), s.el(3)]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                    p.city_line = (!line.is_empty()).then_some(line);
                    p.country = s.el(4).map(str::to_string);
                }
            }
            "PO1" => {
                in_lines = true;
                order.lines.push(po1_line(s, order.lines.len() as u32 + 1));
            }
            "PID" if in_lines => {
                if let (Some(line), Some(text)) = (order.lines.last_mut(), s.el(5)) {
                    let desc = match line.description.take() {
                        Some(prev) => format!("{} {text}", prev.value),
                        None => text.to_string(),
                    };
                    line.description = certain(desc);
                }
            }
            "AMT" => match (s.el(1), s.el(2).and_then(|v| number(v, DECIMAL))) {
                (Some("TT"), Some(v)) => order.total = certain(v),
                (Some("1"), Some(v)) if in_lines => {
                    if let Some(line) = order.lines.last_mut() {
                        line.amount = certain(v);
                    }
                }
                _ => {}
            },
            "CTT" => ctt = Some(s),
            _ => {}
        }
    }
    let name_of = |code: &str| {
        parties
            .iter()
            .find(|p| p.code == code && p.name.is_some())
            .and_then(|p| p.name.clone())
    };
    order.buyer = name_of("BY").or_else(|| name_of("BT")).and_then(certain);
    order.ship_to = parties
        .iter()
        .find(|p| p.code == "ST")
        .and_then(Party::address)
        .and_then(certain);
    let mut problems = vec![];
    if order.po_number.is_none() {
        problems.push(format!(
            "transaction set {control}: no BEG segment with a PO number"
        ));
    }
    if let Some(ctt) = ctt {
        let lines = order.lines.len();
        if ctt.el(1).and_then(|v| v.parse::<usize>().ok()) != Some(lines) {
            problems.push(format!(
                "transaction set {control}: CTT01 says {} line items, {lines} PO1 found",
                ctt.el(1).unwrap_or("nothing")
            ));
        }
        if let Some(hash) = ctt.el(2).and_then(|v| number(v, DECIMAL)) {
            let sum: f64 = order
                .lines
                .iter()
                .filter_map(|l| l.quantity.as_ref().map(|f| f.value))
                .sum();
            if (sum - hash).abs() > 1e-6 {
                problems.push(format!(
                    "transaction set {control}: CTT02 hash total {hash} differs from the quantities' sum {sum}"
                ));
            }
        }
    }
    (order, problems)
}

/// One PO1 segment as a line.
fn po1_line(s: &Segment, line_no: u32) -> LineItem {
    let mut line = LineItem {
        line_no,
        quantity: s.el(2).and_then(|v| number(v, DECIMAL)).and_then(certain),
        uom: s.el(3).map(str::to_string).and_then(certain),
        unit_price: s.el(4).and_then(|v| number(v, DECIMAL)).and_then(certain),
        ..LineItem::default()
    };
    line.price_unit = match s.el(5) {
        Some("HP") => certain(100.0),
        Some("TP") => certain(1000.0),
        _ => None,
    };
    let mut ids: Vec<(&str, &str)> = vec![];
    let mut n = 6;
    while n < s.elements.len() + 1 {
        if let (Some(q), Some(v)) = (s.el(n), s.el(n + 1)) {
            ids.push((q, v));
        }
        n += 2;
    }
    let first = |quals: &[&str]| {
        quals.iter().find_map(|q| {
            ids.iter()
                .find(|(iq, _)| iq == q)
                .map(|(_, v)| v.to_string())
        })
    };
    line.sku = first(&["VP", "VN", "SK"])
        .or_else(|| first(&["UP", "UK", "EN", "UA"]))
        .and_then(certain);
    line.customer_part = first(&["BP", "IN", "PI"]).and_then(certain);
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_come_from_the_isa_segment() {
        let isa = "ISA|00|          |00|          |ZZ|A              |ZZ|B              |240101|1200|U|00401|000000001|0|P|^\nGS|PO";
        let sep = separators(isa).expect("separators");
        assert_eq!((sep.element, sep.component, sep.segment), ('|', '^', '\n'));
        // Padding trimmed: still read by counting separators.
        let short = "ISA*00**00**ZZ*A*ZZ*B*240101*1200*U*00401*1*0*P*>~GS*PO";
        let sep = separators(short).expect("separators");
        assert_eq!((sep.element, sep.component, sep.segment), ('*', '>', '~'));
        assert!(separators("ISA*00*").is_err());
    }

    #[test]
    fn versions_outside_x12_are_unknown() {
        assert!(known_version("00401", 5));
        assert!(known_version("00501", 5));
        assert!(known_version("004010VICS", 6));
        assert!(known_version("005010", 6));
        assert!(!known_version("09901", 5));
        assert!(!known_version("4010", 5));
        assert!(!known_version("ABCDE", 5));
    }
}
