//! EDI in: ANSI X12 850 purchase orders and UN/EDIFACT ORDERS messages, recognised by their
//! envelope (an `ISA` segment, or `UNA` / `UNB`) whatever the file is called or however it
//! arrived, and mapped straight to [`Order`]s: the standard says what every element means, so
//! nothing is guessed and every value read is certain (confidence 1.0).
//!
//! Why our own tokenizer: the maintained crates each cover one standard (`x12-types` per X12
//! release with nom, `edifact` for EDIFACT only, MSRV 1.88) and bring their own typed segment
//! trees; an order desk needs about twenty segments of two standards, and the envelope checks
//! (counts, control numbers, truncation) that decide whether a message is complete. The
//! tokenizer below reads the separators from the envelope (X12: ISA's fixed positions;
//! EDIFACT: `UNA`, else the ISO 9735 defaults) and honours EDIFACT's release character.
//!
//! Shape: bytes -> [`Segment`]s ([`tokenize`]) -> per standard, transaction sets / messages
//! with their envelope checked -> [`Order`]s through a mapping per segment
//! ([`x12`], [`edifact`]). A message whose envelope is damaged (a wrong segment or line count,
//! no trailer because the file was cut) is still mapped, but its values lose their certainty
//! ([`DAMAGED_CONFIDENCE`]) so the rules send it to a person; the problem is named in
//! [`EdiRead::problems`]. An interchange with no readable order message at all is a
//! [`ParseError::Malformed`] with the reasons, so the document is kept as failed, never lost.

use serde::{Deserialize, Serialize};

use super::{text_to_doc, Limits, ParseError, ParsedDocument};
use crate::domain::{Field, Order};

pub mod edifact;
pub mod x12;

/// Confidence of every value of a message whose envelope does not add up: below any sensible
/// `rules.confidence_threshold`, so the order is reviewed, never accepted as read.
pub const DAMAGED_CONFIDENCE: f32 = 0.5;

/// Most segments read from one interchange (a 50 MB file of short segments would otherwise
/// become millions of small strings).
const MAX_SEGMENTS: usize = 500_000;

/// Which EDI standard an interchange is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Standard {
    X12,
    Edifact,
}

impl Standard {
    pub fn name(self) -> &'static str {
        match self {
            Standard::X12 => "X12",
            Standard::Edifact => "EDIFACT",
        }
    }
}

/// What the EDI reader made of one interchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdiRead {
    pub standard: Standard,
    /// One per purchase-order message (X12 850 transaction set, EDIFACT ORDERS message).
    pub orders: Vec<Order>,
    /// Envelope and message problems, each a sentence naming the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// The separators of one interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Separators {
    pub segment: char,
    pub element: char,
    pub component: char,
    /// EDIFACT's release (escape) character; X12 has none.
    pub release: Option<char>,
}

/// One segment: its tag, its elements (each a list of components), and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub tag: String,
    /// `elements[0]` is the first element after the tag.
    pub elements: Vec<Vec<String>>,
    /// 0-based position in the interchange.
    pub index: usize,
}

impl Segment {
    /// Element `n` (1-based, as the standards number them: `BEG03` is `el(3)`), first
    /// component, trimmed; `None` when absent or empty.
    pub fn el(&self, n: usize) -> Option<&str> {
        self.comp(n, 1)
    }

    /// Component `c` (1-based) of element `n` (1-based), trimmed; `None` when absent or empty.
    pub fn comp(&self, n: usize, c: usize) -> Option<&str> {
        let e = self.elements.get(n.checked_sub(1)?)?;
        let v = e.get(c.checked_sub(1)?)?.trim();
        (!v.is_empty()).then_some(v)
    }

    /// Every non-empty component of element `n`, joined by a space.
    pub fn joined(&self, n: usize) -> Option<String> {
        let e = self.elements.get(n.checked_sub(1)?)?;
        let parts: Vec<&str> = e
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// Which standard `bytes` are written in, from the first segment (after a BOM and
/// whitespace): `ISA` followed by a separator, or `UNA` / `UNB` followed by one.
pub fn sniff(bytes: &[u8]) -> Option<Standard> {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = b.iter().position(|c| !c.is_ascii_whitespace())?;
    let head = b.get(start..start + 4)?;
    let sep = head[3];
    let separator_like = !sep.is_ascii_alphanumeric() && !sep.is_ascii_whitespace();
    match &head[..3] {
        b"ISA" if separator_like => Some(Standard::X12),
        b"UNA" | b"UNB" if separator_like => Some(Standard::Edifact),
        _ => None,
    }
}

/// Split `text` into segments with `sep`. Whitespace between segments (line breaks after
/// each terminator, indentation) is skipped; a release character makes the next character
/// literal. A final segment without its terminator is kept (a truncated file is judged by
/// the envelope checks, not here).
pub fn tokenize(text: &str, sep: &Separators) -> Result<Vec<Segment>, ParseError> {
    let mut out = Vec::new();
    let mut elements: Vec<Vec<String>> = vec![vec![String::new()]];
    let mut chars = text.chars();
    let mut started = false;
    let finish = |elements: &mut Vec<Vec<String>>, out: &mut Vec<Segment>| {
        let mut els = std::mem::replace(elements, vec![vec![String::new()]]);
        let tag = els
            .first_mut()
            .and_then(|e| e.first_mut())
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        if tag.is_empty() && els.len() == 1 {
            return;
        }
        // Trailing whitespace before a terminator (a line break used as part of it) is not data.
        if let Some(last) = els.last_mut().and_then(|e| e.last_mut()) {
            let trimmed = last.trim_end().len();
            last.truncate(trimmed);
        }
        els.remove(0);
        let index = out.len();
        out.push(Segment {
            tag,
            elements: els,
            index,
        });
    };
    while let Some(ch) = chars.next() {
        if !started {
            if ch.is_whitespace() && ch != sep.segment {
                continue;
            }
            started = true;
        }
        let cur = elements
            .last_mut()
            .and_then(|e| e.last_mut())
            .ok_or_else(|| malformed("tokenizer lost its place"))?;
        if Some(ch) == sep.release {
            if let Some(next) = chars.next() {
                cur.push(next);
            }
        } else if ch == sep.segment {
            finish(&mut elements, &mut out);
            started = false;
            if out.len() > MAX_SEGMENTS {
                return Err(ParseError::LimitExceeded(format!(
                    "more than {MAX_SEGMENTS} EDI segments"
                )));
            }
        } else if ch == sep.element {
            elements.push(vec![String::new()]);
        } else if ch == sep.component {
            if let Some(e) = elements.last_mut() {
                e.push(String::new());
            }
        } else {
            cur.push(ch);
        }
    }
    finish(&mut elements, &mut out);
    Ok(out)
}

fn malformed(detail: impl Into<String>) -> ParseError {
    ParseError::Malformed {
        kind: "EDI",
        detail: detail.into(),
    }
}

/// Read an EDI file into a document: its segments one per line as text (what a reviewer
/// sees), with the orders the standard defines in [`ParsedDocument::edi`]. An interchange
/// with problems and no readable order is `Malformed`, with every problem in the detail.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<ParsedDocument, ParseError> {
    let standard = sniff(bytes).ok_or_else(|| malformed("no ISA, UNA or UNB envelope"))?;
    let text = super::decode_text(bytes);
    let (segments, read) = match standard {
        Standard::X12 => x12::read(&text)?,
        Standard::Edifact => edifact::read(&text)?,
    };
    if read.orders.is_empty() && !read.problems.is_empty() {
        return Err(malformed(format!(
            "{} interchange: {}",
            standard.name(),
            read.problems.join("; ")
        )));
    }
    let display: String = segments.iter().map(|s| s.raw.as_str()).fold(
        String::with_capacity(text.len() + segments.len()),
        |mut acc, line| {
            acc.push_str(line);
            acc.push('\n');
            acc
        },
    );
    let mut doc = text_to_doc(&display);
    if doc.word_count() > limits.max_words.saturating_mul(10) {
        return Err(ParseError::LimitExceeded(format!(
            "{} words of EDI, over ten times limits.max_words",
            doc.word_count()
        )));
    }
    doc.edi = Some(Box::new(read));
    Ok(doc)
}

/// A segment as printed (for the reviewer's text view), re-joined with its own separators.
pub(crate) struct RawSegment {
    pub raw: String,
}

/// Re-join segments for display: tag and elements with the interchange's separators.
pub(crate) fn raw_segments(segments: &[Segment], sep: &Separators) -> Vec<RawSegment> {
    segments
        .iter()
        .map(|s| {
            let mut raw = s.tag.clone();
            for e in &s.elements {
                raw.push(sep.element);
                raw.push_str(&e.join(&sep.component.to_string()));
            }
            RawSegment { raw }
        })
        .collect()
}

/// A number as the standards write it: optional sign, digits, one decimal mark (`.`, or
/// the EDIFACT interchange's own mark).
pub(crate) fn number(s: &str, decimal_mark: char) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 40 {
        return None;
    }
    let norm: String = s
        .chars()
        .map(|c| if c == decimal_mark { '.' } else { c })
        .collect();
    let ok = norm
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')));
    if !ok || norm.matches('.').count() > 1 {
        return None;
    }
    norm.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Dates as `CCYYMMDD` (also with a time after it) or `YYMMDD` (years 00-49 are 20xx).
pub(crate) fn date(s: &str) -> Option<chrono::NaiveDate> {
    let d: String = s
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let (y, rest) = match d.len() {
        6 => {
            let yy: i32 = d.get(..2)?.parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, d.get(2..)?)
        }
        n if n >= 8 => (d.get(..4)?.parse().ok()?, d.get(4..8)?),
        _ => return None,
    };
    let m: u32 = rest.get(..2)?.parse().ok()?;
    let day: u32 = rest.get(2..4)?.parse().ok()?;
    chrono::NaiveDate::from_ymd_opt(y, m, day)
}

/// A value the standard defines.
pub(crate) fn certain<T>(v: T) -> Option<Field<T>> {
    Some(Field::certain(v))
}

/// Lower every value of `order` to [`DAMAGED_CONFIDENCE`].
pub(crate) fn mark_damaged(order: &mut Order) {
    order.map_confidence(|c| c.min(DAMAGED_CONFIDENCE));
}

/// Record `problems` and mark every order read since `first` as damaged.
pub(crate) fn damage_from(read: &mut EdiRead, first: usize, problems: Vec<String>) {
    if problems.is_empty() {
        return;
    }
    for o in read.orders.iter_mut().skip(first) {
        mark_damaged(o);
    }
    read.problems.extend(problems);
}

/// The checks of one message's trailer (X12 `SE`, EDIFACT `UNT`): present, its segment count
/// in element 1 (damage when wrong) and its reference in element 2 against the header's
/// (a note: a reference that differs loses no data). `what` names the message in sentences.
pub(crate) fn check_trailer(
    msg: &[Segment],
    trailer: &str,
    reference: &str,
    what: &str,
) -> (Vec<String>, Vec<String>) {
    let mut damage = vec![];
    let mut notes = vec![];
    match msg.last().filter(|s| s.tag == trailer) {
        None => damage.push(format!(
            "{what}: no {trailer} trailer (the message is truncated)"
        )),
        Some(t) => {
            if t.el(1).and_then(|v| v.parse::<usize>().ok()) != Some(msg.len()) {
                damage.push(format!(
                    "{what}: {trailer} says {} segments, {} found",
                    t.el(1).unwrap_or("nothing"),
                    msg.len()
                ));
            }
            if t.el(2) != Some(reference) {
                notes.push(format!(
                    "{what}: {trailer} reference '{}' differs from the header's",
                    t.el(2).unwrap_or("")
                ));
            }
        }
    }
    (damage, notes)
}

/// Join address parts that are present with ", ".
pub(crate) fn join_parts(parts: &[Option<String>]) -> Option<String> {
    let v: Vec<&str> = parts
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    (!v.is_empty()).then(|| v.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_recognised_by_content() {
        assert_eq!(sniff(b"ISA*00*  "), Some(Standard::X12));
        assert_eq!(sniff(b"\xEF\xBB\xBF\r\n ISA|00|"), Some(Standard::X12));
        assert_eq!(sniff(b"UNA:+.? 'UNB+"), Some(Standard::Edifact));
        assert_eq!(sniff(b"UNB+UNOA:1+"), Some(Standard::Edifact));
        assert_eq!(sniff(b"ISAAC wrote this order"), None);
        assert_eq!(sniff(b"UNB is a bank"), None);
        assert_eq!(sniff(b"%PDF-1.4"), None);
        assert_eq!(sniff(b"IS"), None);
    }

    #[test]
    fn the_release_character_makes_separators_literal() {
        let sep = Separators {
            segment: '\'',
            element: '+',
            component: ':',
            release: Some('?'),
        };
        let segs = tokenize("NAD+BY+++A?+A K?'s:2nd'\r\nQTY+21:5'", &sep).expect("tokenize");
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0].comp(4, 1), Some("A+A K's"));
        assert_eq!(segs[0].comp(4, 2), Some("2nd"));
        assert_eq!(segs[1].tag, "QTY");
        assert_eq!(segs[1].comp(1, 2), Some("5"));
        assert_eq!(segs[1].index, 1);
    }

    #[test]
    fn numbers_and_dates_follow_the_standards() {
        assert_eq!(number("19.95", '.'), Some(19.95));
        assert_eq!(number("2,5", ','), Some(2.5));
        assert_eq!(number("-3", '.'), Some(-3.0));
        assert_eq!(number("1.2.3", '.'), None);
        assert_eq!(number("12a", '.'), None);
        assert_eq!(
            date("20140724"),
            chrono::NaiveDate::from_ymd_opt(2014, 7, 24)
        );
        assert_eq!(date("090827"), chrono::NaiveDate::from_ymd_opt(2009, 8, 27));
        assert_eq!(
            date("201812051607"),
            chrono::NaiveDate::from_ymd_opt(2018, 12, 5)
        );
        assert_eq!(date("20141340"), None);
    }
}
