//! The newest message of an email body, apart from the quoted history under it.
//!
//! A reply carries the thread below it ("> " lines, "On ... wrote:", Outlook's
//! "-----Original Message-----" or its "From: / Sent: / To: / Subject:" block, in the sender's
//! language), and the history often holds an earlier order or a quote with other items: read as
//! part of the body, it adds lines nobody ordered. Only the newest message counts. A forward is
//! different: its newest message is usually a note ("please process") and the order is the
//! forwarded one, so a forward's first earlier message is kept apart as its own text, and the
//! extractor reads it when the note has no order (see `extract::drop_cover_notes`).
//!
//! Works on text: HTML bodies are turned into text first, with `<blockquote>` content written as
//! "> " lines (see [`super::html`]), so Gmail's `gmail_quote`, Apple Mail's and Thunderbird's
//! cited blocks and Outlook's header blocks all come here as lines.

/// A body split at the start of its quoted history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Thread {
    /// The newest message: everything above the first quote marker.
    pub newest: String,
    /// For a forward: the forwarded message's own newest text (its header block and quote
    /// marks removed). `None` for a reply, or when nothing was quoted.
    pub forwarded: Option<String>,
}

/// Lines that introduce a forwarded message, in the six languages we read.
const FORWARD_MARKERS: &[&str] = &[
    "forwarded message",
    "begin forwarded message",
    "forwarded by",
    "weitergeleitete nachricht",
    "anfang der weitergeleiteten nachricht",
    "message transféré",
    "message transfere",
    "début du message réexpédié",
    "doorgestuurd bericht",
    "begin doorgestuurd bericht",
    "mensaje reenviado",
    "mensaje original reenviado",
    "messaggio inoltrato",
    "inizio messaggio inoltrato",
];

/// Outlook's separator line before the earlier message ("-----Original Message-----").
const ORIGINAL_MARKERS: &[&str] = &[
    "original message",
    "ursprüngliche nachricht",
    "ursprungliche nachricht",
    "message d'origine",
    "message d’origine",
    "oorspronkelijk bericht",
    "mensaje original",
    "messaggio originale",
];

/// How "On <date>, <name> wrote:" ends, per language.
const WROTE_ENDINGS: &[&str] = &[
    "wrote:",
    "schrieb:",
    "a écrit :",
    "a écrit:",
    "schreef:",
    "escribió:",
    "ha scritto:",
];

/// The labels of a mail header block, per language: sender, then the fields that follow it.
const FROM_LABELS: &[&str] = &["from", "von", "de", "van", "da"];
const BLOCK_LABELS: &[&str] = &[
    "sent",
    "date",
    "to",
    "cc",
    "subject",
    "gesendet",
    "datum",
    "an",
    "betreff",
    "envoyé",
    "envoye",
    "date",
    "à",
    "a",
    "objet",
    "verzonden",
    "aan",
    "onderwerp",
    "enviado",
    "enviado el",
    "fecha",
    "para",
    "asunto",
    "inviato",
    "data",
    "oggetto",
];

/// Subject prefixes of a forward (`Fwd:`, `WG:`, `TR:`, `RV:`, `I:`, `Doorst:`).
pub fn is_forward_subject(subject: &str) -> bool {
    let s = subject.trim_start().to_lowercase();
    [
        "fw:", "fwd:", "wg:", "tr:", "rv:", "i:", "doorst:", "enc:", "fs:",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

/// `label: value` with the label one of `labels` (French puts a space before the colon).
fn labelled(line: &str, labels: &[&str]) -> bool {
    let t = line.trim().trim_start_matches(['*', '>']).trim();
    let Some((label, _)) = t.split_once(':') else {
        return false;
    };
    let label = label.trim().trim_matches('*').trim().to_lowercase();
    labels.contains(&label.as_str())
}

/// A line of only dashes, underscores or equals signs around an optional marker text.
fn marker_text(line: &str) -> Option<String> {
    let t = line.trim();
    let edge = |c: char| c == '-' || c == '_' || c == '=' || c == '*' || c.is_whitespace();
    if !t.starts_with(['-', '_', '=']) {
        return None;
    }
    Some(t.trim_matches(edge).to_lowercase())
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Marker {
    /// A forwarded message starts at this line.
    Forward,
    /// Earlier messages start here (reply history, or a forward told by its subject).
    History,
}

/// What starts at line `i`, if it is the start of the quoted history.
fn marker_at(lines: &[&str], i: usize) -> Option<Marker> {
    let line = lines.get(i)?;
    let t = line.trim();
    if t.starts_with('>') {
        return Some(Marker::History);
    }
    let lower = t.to_lowercase();
    if let Some(m) = marker_text(t) {
        if FORWARD_MARKERS.iter().any(|f| m.contains(f)) {
            return Some(Marker::Forward);
        }
        if ORIGINAL_MARKERS.iter().any(|f| m.contains(f)) {
            return Some(Marker::History);
        }
        // Outlook's rule of underscores above a header block.
        if m.is_empty() && t.len() >= 10 && from_block_at(lines, i + 1) {
            return Some(Marker::History);
        }
    }
    if FORWARD_MARKERS
        .iter()
        .any(|f| lower.starts_with(f) && lower.ends_with(':'))
    {
        return Some(Marker::Forward);
    }
    // "On Tue, 5 Mar 2024 at 10:15, Anna <anna@x.com> wrote:", at most wrapped over two lines.
    let next = lines.get(i + 1).map(|l| l.trim().to_lowercase());
    let wrote = |s: &str| WROTE_ENDINGS.iter().any(|e| s.ends_with(e));
    if wrote(&lower)
        || (lower.len() > 8 && next.as_deref().is_some_and(|n| n.len() < 60 && wrote(n)))
    {
        return Some(Marker::History);
    }
    if from_block_at(lines, i) {
        return Some(Marker::History);
    }
    None
}

/// A header block starts at line `i`: a sender label, then within three lines another header
/// field.
fn from_block_at(lines: &[&str], i: usize) -> bool {
    lines.get(i).is_some_and(|l| labelled(l, FROM_LABELS))
        && (i + 1..i + 4).any(|j| lines.get(j).is_some_and(|l| labelled(l, BLOCK_LABELS)))
}

/// Split `text` at the start of its quoted history. `forward` says the email is a forward (its
/// subject): then earlier messages are read as forwarded even without a forward marker.
pub fn split(text: &str, forward: bool) -> Thread {
    split_depth(text, forward, 0)
}

fn split_depth(text: &str, forward: bool, depth: u32) -> Thread {
    let lines: Vec<&str> = text.lines().collect();
    let Some((at, marker)) = (0..lines.len()).find_map(|i| marker_at(&lines, i).map(|m| (i, m)))
    else {
        return Thread {
            newest: text.to_string(),
            forwarded: None,
        };
    };
    let newest = lines.get(..at).unwrap_or_default().join("\n");
    let newest = if newest.trim().is_empty() {
        String::new()
    } else {
        newest + "\n"
    };
    let forwarded = (marker == Marker::Forward || forward)
        .then(|| forwarded_text(lines.get(at..).unwrap_or_default(), depth))
        .filter(|t| !t.trim().is_empty());
    Thread { newest, forwarded }
}

/// The forwarded message from its marker on: the marker and header block skipped, one level
/// of "> " quoting removed, and only that message's own newest text kept (a forward of a
/// forward is followed down).
fn forwarded_text(lines: &[&str], depth: u32) -> String {
    let mut i = 0;
    // The marker line itself (a separator, "On ... wrote:", or the first header line).
    if lines
        .first()
        .is_some_and(|l| !labelled(l, FROM_LABELS) && !l.trim().starts_with('>'))
    {
        i += 1;
        if lines.get(i).is_some_and(|l| {
            let t = l.trim().to_lowercase();
            WROTE_ENDINGS.iter().any(|e| t.ends_with(e))
        }) {
            i += 1;
        }
    }
    let unquoted: Vec<String> = lines
        .get(i..)
        .unwrap_or_default()
        .iter()
        .map(|l| unquote(l))
        .collect();
    // The header block: labelled lines at the top, up to the blank line after them (a
    // "Date:" the message itself prints below that line is its own).
    let mut j = 0;
    let mut seen = false;
    while let Some(l) = unquoted.get(j) {
        if l.trim().is_empty() {
            j += 1;
            if seen {
                break;
            }
        } else if labelled(l, FROM_LABELS) || labelled(l, BLOCK_LABELS) {
            seen = true;
            j += 1;
        } else {
            break;
        }
    }
    let body = unquoted.get(j..).unwrap_or_default().join("\n") + "\n";
    if depth >= 4 {
        return body;
    }
    let inner = split_depth(&body, false, depth + 1);
    if inner.newest.trim().is_empty() {
        inner.forwarded.unwrap_or_default()
    } else {
        inner.newest
    }
}

/// A line without one level of "> " quoting.
fn unquote(line: &str) -> String {
    let t = line.trim_start();
    match t.strip_prefix('>') {
        Some(rest) => rest.strip_prefix(' ').unwrap_or(rest).to_string(),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_keeps_only_the_newest_message() {
        let text = "Please send 10 x AB-100.\n\nThanks, Anna\n\nOn Tue, 5 Mar 2024 at 10:15, Bob <bob@x.com> wrote:\n> 5 x CD-200 at 4.50\n> Bob\n";
        let t = split(text, false);
        assert_eq!(t.newest, "Please send 10 x AB-100.\n\nThanks, Anna\n\n");
        assert_eq!(t.forwarded, None);
    }

    #[test]
    fn outlook_header_blocks_end_the_newest_message_in_any_language() {
        for (from, sent) in [
            ("From", "Sent"),
            ("Von", "Gesendet"),
            ("De ", "Envoyé "),
            ("Van", "Verzonden"),
            ("De", "Enviado el"),
            ("Da", "Inviato"),
        ] {
            let text = format!(
                "Wir bestellen 3 Stk AB-100.\n\n{from}: Bob <bob@x.com>\n{sent}: Montag, 4. März 2024 10:00\nSubject: Angebot\n\nAB-100 4,50\nCD-200 3,20\n"
            );
            let t = split(&text, false);
            assert_eq!(t.newest, "Wir bestellen 3 Stk AB-100.\n\n", "{from}");
        }
        let text = "ok\n-----Original Message-----\nFrom: x\nSent: y\n\n9 x ZZ-1\n";
        assert_eq!(split(text, false).newest, "ok\n");
    }

    #[test]
    fn a_signature_line_with_a_colon_is_no_header_block() {
        let text = "10 x AB-100\nFrom: the purchasing team\nPhone: 123\n";
        assert_eq!(split(text, false).newest, text);
    }

    #[test]
    fn a_forward_keeps_the_forwarded_message_apart() {
        let text = "FYI, please process.\n\n---------- Forwarded message ---------\nFrom: Anna <a@x.com>\nDate: Mon, 4 Mar 2024\nSubject: Order\nTo: <orders@y.com>\n\nHello,\nplease send 10 x AB-100.\n\nOn Sun, Bob wrote:\n> 99 x OLD-1\n";
        let t = split(text, false);
        assert_eq!(t.newest, "FYI, please process.\n\n");
        assert_eq!(
            t.forwarded.as_deref(),
            Some("Hello,\nplease send 10 x AB-100.\n\n")
        );
    }

    #[test]
    fn a_forward_told_by_its_subject_reads_the_quoted_message() {
        let text = "\n-----Original Message-----\nVon: Anna <a@x.com>\nGesendet: Montag\nBetreff: Bestellung\n\n5 Stk CD-200\n";
        assert!(is_forward_subject("WG: Bestellung"));
        assert!(!is_forward_subject("AW: Bestellung"));
        let t = split(text, true);
        assert_eq!(t.newest, "");
        assert_eq!(t.forwarded.as_deref(), Some("5 Stk CD-200\n"));
        // The same history in a reply is not read.
        assert_eq!(split(text, false).forwarded, None);
    }

    #[test]
    fn quoted_lines_of_a_cited_forward_are_unquoted() {
        let text = "Begin forwarded message:\n\n> From: Anna <a@x.com>\n> Subject: Order\n>\n> 10 x AB-100\n";
        let t = split(text, false);
        assert_eq!(t.newest, "");
        assert_eq!(t.forwarded.as_deref(), Some("10 x AB-100\n"));
    }
}
