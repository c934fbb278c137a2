//! Email (MIME) -> [`ParsedInput`]: headers, the best body, and each order candidate as a part.
//!
//! mailparse does the RFC 5322 / MIME work (transfer encodings, charsets, encoded words,
//! RFC 2231 parameters). On top of it we decide what is a candidate:
//! - the body: the first inline `text/plain` (more inline text parts are appended), else the
//!   `text/html` turned into text with table rows kept as lines; a part named `body`;
//! - each PDF attachment, recognised by content type, by `.pdf` name or by a `%PDF-` header
//!   (PDFs sent as `application/octet-stream` are common); a part named by its file name;
//! - `.txt` / `.csv` / `.html` attachments, as text parts;
//! - forwarded messages (`message/rfc822`), recursively, their parts named `fwd/...`.
//!
//! Everything else (images, calendars, signatures) is only listed in [`EmailMeta::attachments`].
//! A PDF attachment that cannot be read (encrypted, over a limit) becomes
//! [`PartContent::Failed`] and the other parts go on.

use std::time::Instant;

use mailparse::{DispositionType, MailHeaderMap, ParsedMail};

use super::{
    decode_text, AttachmentInfo, EmailMeta, Limits, ParseError, ParsedInput, ParsedPart,
    PartContent,
};
use crate::domain::DocKind;

/// Parse an email on a worker thread, within the time budget.
pub fn parse_email(
    bytes: &[u8],
    limits: &Limits,
    deadline: Instant,
) -> Result<ParsedInput, ParseError> {
    let owned = bytes.to_vec();
    let limits2 = limits.clone();
    super::run_with_deadline("email", deadline, limits.time_budget_ms, move || {
        parse_email_inline(&owned, &limits2, deadline)
    })
}

/// Parse an email on the calling thread (see [`parse_email`]).
pub fn parse_email_inline(
    bytes: &[u8],
    limits: &Limits,
    deadline: Instant,
) -> Result<ParsedInput, ParseError> {
    let mail = parse_mail_checked(bytes, limits)?;
    let headers = mail.get_headers();
    let header = |name: &str| {
        headers
            .get_first_value(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut meta = EmailMeta {
        from: header("From"),
        to: header("To"),
        subject: header("Subject"),
        date: header("Date").and_then(|d| rfc3339(&d)),
        message_id: header("Message-ID"),
        attachments: Vec::new(),
    };
    let mut walk = Walk {
        limits,
        deadline,
        parts: Vec::new(),
        attachments: Vec::new(),
        seen_parts: 0,
    };
    walk.message(&mail, "", 0)?;
    meta.attachments = walk.attachments;
    Ok(ParsedInput {
        kind: DocKind::Eml,
        email: Some(meta),
        parts: walk.parts,
    })
}

/// mailparse builds the whole multipart tree recursively (one stack frame per level, one
/// subpart per boundary): bound it before it starts. Every caller of mailparse on stored or
/// incoming bytes goes through here.
fn parse_mail_checked<'a>(bytes: &'a [u8], limits: &Limits) -> Result<ParsedMail<'a>, ParseError> {
    let boundaries = count_boundary_params(bytes);
    if boundaries > limits.max_mime_parts as usize {
        return Err(ParseError::LimitExceeded(format!(
            "{boundaries} multipart boundaries, over the {}-part limit",
            limits.max_mime_parts
        )));
    }
    mailparse::parse_mail(bytes).map_err(|e| ParseError::Malformed {
        kind: "email",
        detail: e.to_string(),
    })
}

/// Run `f` on the parsed message, with the same limits as ingest: the boundary pre-count, a
/// parse worker with a large stack, and the time budget. For readers of stored emails outside
/// the pipeline (the web UI's attachment list and downloads).
pub fn with_parsed_mail<T, F>(bytes: &[u8], limits: &Limits, f: F) -> Result<T, ParseError>
where
    T: Send + 'static,
    F: FnOnce(&ParsedMail<'_>) -> T + Send + 'static,
{
    let owned = bytes.to_vec();
    let limits2 = limits.clone();
    let deadline = Instant::now() + std::time::Duration::from_millis(limits.time_budget_ms);
    super::run_with_deadline("email", deadline, limits.time_budget_ms, move || {
        parse_mail_checked(&owned, &limits2).map(|m| f(&m))
    })
}

/// How many `boundary` parameters the bytes hold, as a MIME parser reads them: the name in
/// any case, an RFC 2231 `*` / `*0` section mark, white space and folded lines, then `=`.
/// (`boundary = x` is as much a boundary as `boundary=x`.)
fn count_boundary_params(bytes: &[u8]) -> usize {
    const NAME: &[u8] = b"boundary";
    let mut n = 0;
    let mut i = 0;
    while let Some(pos) = bytes.get(i..).and_then(|rest| {
        rest.windows(NAME.len())
            .position(|w| w.eq_ignore_ascii_case(NAME))
    }) {
        let mut j = i + pos + NAME.len();
        i = j;
        while bytes
            .get(j)
            .is_some_and(|b| *b == b'*' || b.is_ascii_digit() || b.is_ascii_whitespace())
        {
            j += 1;
        }
        if bytes.get(j) == Some(&b'=') {
            n += 1;
        }
    }
    n
}

/// A Date header as RFC 3339 (keeping its offset when it is a clean RFC 2822 date).
pub fn rfc3339(date: &str) -> Option<String> {
    if let Ok(d) = chrono::DateTime::parse_from_rfc2822(date.trim()) {
        return Some(d.to_rfc3339());
    }
    // dateparse is lenient to the point of reading garbage as the epoch: no email is that old.
    let ts = mailparse::dateparse(date).ok().filter(|ts| *ts > 0)?;
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.to_rfc3339())
}

/// A file name that is safe to show and to use as a path component: the last path component,
/// without control characters or characters Windows refuses, no leading dots, at most 150
/// characters. `None` when nothing usable is left.
pub fn sanitize_file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        return None;
    }
    let mut out: String = trimmed.chars().take(150).collect();
    if trimmed.chars().count() > 150 {
        // Keep the extension, it says what the file is.
        if let Some(ext) = trimmed.rsplit_once('.').map(|(_, e)| e) {
            if ext.len() <= 8 {
                out = trimmed.chars().take(140).collect::<String>() + "." + ext;
            }
        }
    }
    Some(out)
}

/// Decode RFC 2047 encoded words (`=?utf-8?B?...?=`), which many mailers put in file-name
/// parameters although the RFC only allows them in headers.
fn decode_encoded_words(s: &str) -> String {
    if !s.contains("=?") {
        return s.to_string();
    }
    let header = format!("X: {s}");
    match mailparse::parse_header(header.as_bytes()) {
        Ok((h, _)) => h.get_value(),
        Err(_) => s.to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Candidate {
    Pdf,
    Edi,
    Image,
    Text,
    None,
}

/// A PNG or JPEG attachment smaller than this is taken for a logo, not a scanned page.
const MIN_SCAN_BYTES: usize = 100 * 1024;

fn classify(media_type: &str, name: &str, data: &[u8]) -> Candidate {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let head = data.get(..data.len().min(1024)).unwrap_or(data);
    if super::edi::sniff(data).is_some() {
        return Candidate::Edi;
    }
    // A fax arrives as a TIFF; a scan as a large picture. Small pictures are logos and
    // signatures, not orders.
    match super::ocr::image_kind(data) {
        Some("tif") => return Candidate::Image,
        Some(_) if data.len() >= MIN_SCAN_BYTES => return Candidate::Image,
        _ => {}
    }
    if media_type.contains("pdf") || ext == "pdf" || head.windows(5).any(|w| w == b"%PDF-") {
        return Candidate::Pdf;
    }
    if matches!(
        media_type,
        "text/plain" | "text/csv" | "text/html" | "text/tab-separated-values"
    ) || matches!(ext, "txt" | "csv" | "tsv" | "html" | "htm")
    {
        return Candidate::Text;
    }
    Candidate::None
}

struct Walk<'l> {
    limits: &'l Limits,
    deadline: Instant,
    parts: Vec<ParsedPart>,
    attachments: Vec<AttachmentInfo>,
    seen_parts: u32,
}

/// Words with a digit in them: codes, quantities, prices, dates: what an order is made of.
fn digit_words(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
        .count()
}

/// Lines with two figures or more: table rows, items with their quantity.
fn row_lines(text: &str) -> usize {
    text.lines().filter(|l| digit_words(l) >= 2).count()
}

/// The plain-text alternative is preferred, unless the HTML one carries clearly more of an
/// order: many mailers put a stub ("This message is in HTML") or a flattened table without
/// columns in text/plain, while the HTML has the real table.
fn best_body(plain: Option<String>, html_text: Option<String>) -> Option<String> {
    let plain = plain.filter(|t| !t.trim().is_empty());
    let html_text = html_text.filter(|t| !t.trim().is_empty());
    match (plain, html_text) {
        (Some(p), Some(h)) => {
            let (dp, dh) = (digit_words(&p), digit_words(&h));
            // Outlook's plain alternative puts every table cell on a line of its own: as many
            // figures, none of them in a row.
            if dh > dp + dp / 4 + 2 || dh >= dp && row_lines(&h) > row_lines(&p) + 1 {
                Some(h)
            } else {
                Some(p)
            }
        }
        (p, h) => p.or(h),
    }
}

/// Body text found while walking one message.
#[derive(Default)]
struct Body {
    plain: Option<String>,
    html: Option<String>,
}

impl Walk<'_> {
    /// One message (the top level or a forwarded one): its body first, then its attachments.
    fn message(&mut self, mail: &ParsedMail, prefix: &str, depth: u32) -> Result<(), ParseError> {
        let body_at = self.parts.len();
        let mut body = Body::default();
        self.entity(mail, prefix, depth, &mut body)?;
        let text = best_body(body.plain, body.html.map(|h| super::html::html_to_text(&h)));
        let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
            return Ok(());
        };
        // Only the newest message is the sender's; a forward's forwarded message is a part of
        // its own, after the body (the extractor reads it when the note has no order).
        let forward = mail
            .get_headers()
            .get_first_value("Subject")
            .is_some_and(|s| super::quote::is_forward_subject(&s));
        let thread = super::quote::split(&text, forward);
        let mut at = body_at;
        for (name, text) in [
            (format!("{prefix}body"), Some(thread.newest)),
            (format!("{prefix}fwd/body"), thread.forwarded),
        ] {
            let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            let name = self.unique_name(name);
            self.parts.insert(
                at,
                ParsedPart {
                    name,
                    kind: DocKind::Txt,
                    content: PartContent::Parsed {
                        doc: super::text_to_doc(&super::plain::align_tables(&text)),
                    },
                },
            );
            at += 1;
        }
        Ok(())
    }

    fn entity(
        &mut self,
        part: &ParsedMail,
        prefix: &str,
        depth: u32,
        body: &mut Body,
    ) -> Result<(), ParseError> {
        self.seen_parts += 1;
        // The budget is checked in the walk itself, so a worker the caller stopped waiting
        // for stops too instead of reading every remaining part.
        if Instant::now() > self.deadline {
            return Err(ParseError::Timeout(self.limits.time_budget_ms));
        }
        if self.seen_parts > self.limits.max_mime_parts {
            return Err(ParseError::LimitExceeded(format!(
                "more than {} MIME parts",
                self.limits.max_mime_parts
            )));
        }
        let mt = part.ctype.mimetype.as_str();
        if mt.starts_with("multipart/") && !part.subparts.is_empty() {
            for sub in &part.subparts {
                self.entity(sub, prefix, depth, body)?;
            }
            return Ok(());
        }
        let disp = part.get_content_disposition();
        let raw_name = disp
            .params
            .get("filename")
            .or_else(|| part.ctype.params.get("name"))
            .cloned();
        let is_attachment = disp.disposition == DispositionType::Attachment || raw_name.is_some();
        let is_message = mt == "message/rfc822" || mt == "message/global";
        if !is_attachment && !is_message {
            let is_text = mt == "text/plain" || mt.starts_with("multipart/");
            if is_text || mt == "text/html" {
                let text = part
                    .get_body()
                    .unwrap_or_else(|_| decode_text(&part.get_body_raw().unwrap_or_default()));
                let slot = if is_text {
                    &mut body.plain
                } else {
                    &mut body.html
                };
                match slot {
                    Some(prev) if is_text => {
                        prev.push('\n');
                        prev.push_str(&text);
                    }
                    Some(_) => {}
                    None => *slot = Some(text),
                }
                return Ok(());
            }
        }
        let data = part.get_body_raw().unwrap_or_default();
        let n = self.attachments.len() + 1;
        let fallback = match (is_message, classify(mt, "", &data)) {
            (true, _) => format!("forwarded-{n}.eml"),
            (_, Candidate::Pdf) => format!("attachment-{n}.pdf"),
            (_, Candidate::Edi) => format!("attachment-{n}.edi"),
            (_, Candidate::Image) => format!("attachment-{n}.image"),
            (_, Candidate::Text) if mt == "text/html" => format!("attachment-{n}.html"),
            _ => format!("attachment-{n}"),
        };
        let name = raw_name
            .as_deref()
            .map(decode_encoded_words)
            .as_deref()
            .and_then(sanitize_file_name)
            .unwrap_or(fallback);
        self.attachments.push(AttachmentInfo {
            name: format!("{prefix}{name}"),
            media_type: mt.to_string(),
            size: data.len() as u64,
        });
        if is_message {
            let part_name = format!("{prefix}fwd");
            if depth + 1 > self.limits.max_mime_depth {
                self.failed(
                    part_name,
                    DocKind::Eml,
                    "limit_exceeded",
                    format!(
                        "forwarded message nested deeper than {}",
                        self.limits.max_mime_depth
                    ),
                );
                return Ok(());
            }
            match parse_mail_checked(&data, self.limits) {
                Ok(inner) => self.message(&inner, &format!("{part_name}/"), depth + 1)?,
                Err(e) => self.failed(part_name, DocKind::Eml, e.code(), e.to_string()),
            }
            return Ok(());
        }
        match classify(mt, &name, &data) {
            c @ (Candidate::Pdf | Candidate::Edi | Candidate::Image) => {
                let part_name = self.unique_name(format!("{prefix}{name}"));
                let (kind, read) = match c {
                    Candidate::Edi => (DocKind::Edi, super::edi::read(&data, self.limits)),
                    Candidate::Image => {
                        (DocKind::Image, super::ocr::read_image(&data, self.limits))
                    }
                    _ => (
                        DocKind::Pdf,
                        super::pdf_with_ocr(&data, self.limits, self.deadline),
                    ),
                };
                let content = match read {
                    Ok(doc) => PartContent::Parsed { doc },
                    Err(e) => PartContent::Failed {
                        code: e.code().to_string(),
                        reason: e.to_string(),
                    },
                };
                self.parts.push(ParsedPart {
                    name: part_name,
                    kind,
                    content,
                });
            }
            Candidate::Text => {
                let part_name = self.unique_name(format!("{prefix}{name}"));
                let text = if mt.starts_with("text/") {
                    part.get_body().unwrap_or_else(|_| decode_text(&data))
                } else {
                    decode_text(&data)
                };
                let lower = name.to_ascii_lowercase();
                let as_name = if mt == "text/html" && !lower.ends_with(".htm") {
                    format!("{lower}.html")
                } else if mt == "text/csv" {
                    format!("{lower}.csv")
                } else {
                    lower
                };
                self.parts.push(ParsedPart {
                    name: part_name,
                    kind: DocKind::Txt,
                    content: PartContent::Parsed {
                        doc: super::text_file_to_doc(text.as_bytes(), &as_name),
                    },
                });
            }
            Candidate::None => {}
        }
        Ok(())
    }

    fn failed(&mut self, name: String, kind: DocKind, code: &str, reason: String) {
        let name = self.unique_name(name);
        self.parts.push(ParsedPart {
            name,
            kind,
            content: PartContent::Failed {
                code: code.to_string(),
                reason,
            },
        });
    }

    /// Part names are unique within an input: a second `order.pdf` becomes `order-2.pdf`.
    fn unique_name(&self, name: String) -> String {
        if !self.parts.iter().any(|p| p.name == name) {
            return name;
        }
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() && !e.contains('/') => (s.to_string(), format!(".{e}")),
            _ => (name.clone(), String::new()),
        };
        (2..)
            .map(|i| format!("{stem}-{i}{ext}"))
            .find(|n| !self.parts.iter().any(|p| &p.name == n))
            .unwrap_or(name)
    }
}

/// One attachment of an email: its (sanitised) name, media type and bytes.
pub struct Attachment {
    pub name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// The attachments of a MIME message, in the order they appear (depth-first). The message is
/// parsed under the same limits as at ingest (a hostile one stored before cannot take the
/// server down: see [`with_parsed_mail`]).
pub fn email_attachments(bytes: &[u8], limits: &Limits) -> Result<Vec<Attachment>, ParseError> {
    fn walk(p: &mailparse::ParsedMail<'_>, out: &mut Vec<Attachment>, depth: u32) {
        if depth > 8 || out.len() > 200 {
            return;
        }
        if !p.subparts.is_empty() {
            for s in &p.subparts {
                walk(s, out, depth + 1);
            }
            return;
        }
        let disp = p.get_content_disposition();
        let name = disp
            .params
            .get("filename")
            .or_else(|| p.ctype.params.get("name"))
            .cloned();
        let attached = matches!(disp.disposition, mailparse::DispositionType::Attachment);
        if let Some(name) = name.or_else(|| attached.then(|| "attachment".to_string())) {
            if let Ok(bytes) = p.get_body_raw() {
                let mut media_type = p.ctype.mimetype.to_ascii_lowercase();
                let lower = name.to_ascii_lowercase();
                if lower.ends_with(".pdf") || bytes.starts_with(b"%PDF-") {
                    media_type = "application/pdf".into();
                }
                out.push(Attachment {
                    name: sanitize_file_name(&name).unwrap_or_else(|| "attachment".into()),
                    media_type,
                    bytes,
                });
            }
        }
    }
    with_parsed_mail(bytes, limits, |m| {
        let mut out = Vec::new();
        walk(m, &mut out, 0);
        out
    })
}

#[cfg(test)]
mod body_choice_tests {
    use super::best_body;

    #[test]
    fn a_stub_plain_part_loses_to_the_html_table() {
        let plain = Some("This message is in HTML. Please use an HTML mail reader.".to_string());
        let html =
            Some("PO 4711\nQty SKU Price\n10 AB-100 4.50\n2 CD-200 12.00\nTotal 69.00".to_string());
        assert_eq!(best_body(plain, html.clone()), html);
    }

    #[test]
    fn a_plain_part_with_a_cell_per_line_loses_to_the_html_table() {
        let plain = Some("Qty\n\nSKU\n\n10\n\nAB-100\n\n2\n\nCD-200\n".to_string());
        let html = Some("Qty SKU\n10 AB-100\n2 CD-200\n".to_string());
        assert_eq!(best_body(plain, html.clone()), html);
    }

    #[test]
    fn an_equivalent_plain_part_wins() {
        let plain =
            Some("PO 4711\n10 x AB-100 at 4.50\n2 x CD-200 at 12.00\nTotal 69.00".to_string());
        let html =
            Some("PO 4711\nQty SKU Price\n10 AB-100 4.50\n2 CD-200 12.00\nTotal 69.00".to_string());
        assert_eq!(best_body(plain.clone(), html), plain);
        assert_eq!(best_body(None, Some("x".into())), Some("x".into()));
        assert_eq!(best_body(Some(" ".into()), None), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(
            sanitize_file_name("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            sanitize_file_name("C:\\Users\\bob\\PO 17.pdf").as_deref(),
            Some("PO 17.pdf")
        );
        assert_eq!(
            sanitize_file_name("a\u{0}b\nc:d.pdf").as_deref(),
            Some("abc_d.pdf")
        );
        assert_eq!(sanitize_file_name(" .. "), None);
        let long = format!("{}.pdf", "x".repeat(300));
        let s = sanitize_file_name(&long).unwrap_or_default();
        assert!(s.ends_with(".pdf") && s.chars().count() <= 150, "{s}");
    }

    #[test]
    fn encoded_word_file_names_are_decoded() {
        assert_eq!(
            decode_encoded_words("=?utf-8?B?VGhpcyBpcyBhIHRlc3QucGRm?="),
            "This is a test.pdf"
        );
    }

    #[test]
    fn dates_become_rfc3339() {
        assert_eq!(
            rfc3339("Tue, 5 Mar 2024 09:15:00 +0100").as_deref(),
            Some("2024-03-05T09:15:00+01:00")
        );
        assert_eq!(rfc3339("yesterday-ish"), None);
    }
}

#[cfg(test)]
mod boundary_tests {
    use super::count_boundary_params;

    #[test]
    fn boundary_parameters_are_counted_however_they_are_written() {
        let h = b"Content-Type: multipart/mixed; boundary=a\r\n\
                  Content-Type: multipart/mixed; BOUNDARY = \"b\"\r\n\
                  Content-Type: multipart/mixed;\r\n boundary\r\n\t=c\r\n\
                  Content-Type: multipart/mixed; boundary*0=d; boundary*=e\r\n\
                  the boundary of the text is not one: boundary condition";
        assert_eq!(count_boundary_params(h), 5);
    }
}
