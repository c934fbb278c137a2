//! Documents in: every input (PDF, MIME email, plain text, HTML) becomes one shape,
//! a [`ParsedInput`] of parts, each a [`ParsedDocument`] of pages of positioned words.
//!
//! Why one shape: the extractor, the training pipeline and the reviewer's view all read
//! words with boxes, so an email body and a PDF page look the same to the model.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::domain::DocKind;

pub mod edi;
pub mod html;
pub mod layout;
pub mod mime;
pub mod ocr;
pub mod pdf;
mod pdf_bounds;
mod pdf_repair;
pub mod plain;
pub mod quote;

/// Hard limits that protect the process from hostile or absurd inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest input file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Most pages read from one PDF.
    pub max_pages: u32,
    /// Largest decompressed stream (flate bombs), in bytes.
    pub max_stream_bytes: u64,
    /// Deepest nesting of MIME parts / forwarded messages.
    pub max_mime_depth: u32,
    /// Most MIME parts in one message.
    pub max_mime_parts: u32,
    /// Time budget for parsing one document, in milliseconds.
    pub time_budget_ms: u64,
    /// Most words of one input fed to the extraction model. The model's time grows faster
    /// than linearly with the words (a 1 MB text took 42 s, 4 MB over 300 s), so a document
    /// over this is rejected (`limit_exceeded`) instead of holding the pipeline.
    pub max_words: usize,
    /// Most pages of one document read by OCR (scans, faxes, image files).
    pub ocr_max_pages: u32,
    /// Time limit for the OCR of one page (rendering and Tesseract), in milliseconds.
    pub ocr_page_ms: u64,
    /// Tesseract language data for OCR, joined by `+` (`eng`, `eng+deu`, ...): each language
    /// added costs time on every page.
    pub ocr_languages: String,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 50 * 1024 * 1024,
            max_pages: 200,
            max_stream_bytes: 64 * 1024 * 1024,
            max_mime_depth: 8,
            max_mime_parts: 200,
            time_budget_ms: 20_000,
            max_words: 20_000,
            ocr_max_pages: 10,
            ocr_page_ms: 20_000,
            ocr_languages: "eng".into(),
        }
    }
}

/// An axis-aligned box in page units, top-left origin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct BBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

/// One word with where it is printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    pub bbox: BBox,
    pub font_size: f32,
    /// Reading-order line id, unique within the page, increasing down the page.
    pub line: u32,
    /// Block (paragraph / table region) id, unique within the page.
    pub block: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// 1-based.
    pub number: u32,
    pub width: f32,
    pub height: f32,
    /// Words in reading order.
    pub words: Vec<Word>,
}

/// Things worth knowing about a parsed document that are not errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocFlag {
    /// At least one page has no text layer (scanned image); OCR would be needed.
    NoTextLayer,
    /// The page limit cut the document short.
    Truncated,
    /// Some pages could not be interpreted (malformed content); the others were read.
    UnreadablePages,
    /// Words of at least one page were read by OCR, not from a text layer.
    Ocr,
}

/// Pages of positioned words: the input the extractor reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ParsedDocument {
    pub pages: Vec<Page>,
    pub flags: Vec<DocFlag>,
    /// An EDI interchange's orders, read by the standard (the pages are its segments as
    /// text, for people); the extraction model does not run on such a document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edi: Option<Box<edi::EdiRead>>,
    /// What the reader wants a person to know that is no error (why OCR could not run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl ParsedDocument {
    /// The page text in reading order: words of a line joined by spaces, lines by newlines,
    /// pages separated by a form feed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (pi, page) in self.pages.iter().enumerate() {
            if pi > 0 {
                out.push('\u{c}');
                out.push('\n');
            }
            let mut last_line = None;
            for w in &page.words {
                match last_line {
                    Some(l) if l == w.line => out.push(' '),
                    Some(_) => out.push('\n'),
                    None => {}
                }
                out.push_str(&w.text);
                last_line = Some(w.line);
            }
            if last_line.is_some() {
                out.push('\n');
            }
        }
        out
    }

    pub fn word_count(&self) -> usize {
        self.pages.iter().map(|p| p.words.len()).sum()
    }
}

/// Headers of an email, kept for routing (sender -> customer) and for the reviewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EmailMeta {
    pub from: Option<String>,
    pub to: Option<String>,
    pub subject: Option<String>,
    /// RFC 3339, when the Date header could be read.
    pub date: Option<String>,
    pub message_id: Option<String>,
    /// Every attachment seen, order candidate or not (for the reviewer's attachment list).
    pub attachments: Vec<AttachmentInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// Sanitised file name.
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// The result of one candidate part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum PartContent {
    Parsed { doc: ParsedDocument },
    Failed { code: String, reason: String },
}

/// One place an order may be: the whole file, an email body, or one attachment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedPart {
    /// "document", "body", or the sanitised attachment name.
    pub name: String,
    pub kind: DocKind,
    pub content: PartContent,
}

/// Everything read from one input file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedInput {
    pub kind: DocKind,
    pub email: Option<EmailMeta>,
    pub parts: Vec<ParsedPart>,
}

/// Why an input could not be read at all. `code()` is what gets recorded.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the PDF is encrypted and cannot be opened without a password")]
    Encrypted,
    #[error("the file is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("over a limit: {0}")]
    LimitExceeded(String),
    #[error("parsing took longer than the {0} ms budget")]
    Timeout(u64),
    #[error("the file is empty")]
    Empty,
    #[error("unsupported file type: {0}")]
    Unsupported(String),
    #[error("malformed {kind}: {detail}")]
    Malformed { kind: &'static str, detail: String },
}

impl ParseError {
    /// A stable short code for the store and for `failed/*.reason.txt`.
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::Encrypted => "encrypted",
            ParseError::TooLarge { .. } => "too_large",
            ParseError::LimitExceeded(_) => "limit_exceeded",
            ParseError::Timeout(_) => "timeout",
            ParseError::Empty => "empty",
            ParseError::Unsupported(_) => "unsupported",
            ParseError::Malformed { .. } => "malformed",
        }
    }
}

/// Decide what kind of input `bytes` is, from its content first and its name second.
pub fn detect_kind(bytes: &[u8], file_name: &str) -> Option<DocKind> {
    let head = &bytes[..bytes.len().min(1024)];
    if edi::sniff(bytes).is_some() {
        return Some(DocKind::Edi);
    }
    if ocr::image_kind(bytes).is_some() {
        return Some(DocKind::Image);
    }
    if find(head, b"%PDF-").is_some() {
        return Some(DocKind::Pdf);
    }
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".pdf") {
        return Some(DocKind::Pdf);
    }
    if lower.ends_with(".eml") || lower.ends_with(".msg.txt") || looks_like_email(head) {
        return Some(DocKind::Eml);
    }
    let texty = [".txt", ".csv", ".tsv", ".html", ".htm"]
        .iter()
        .any(|e| lower.ends_with(e));
    if (std::str::from_utf8(bytes).is_ok() || texty) && !bytes.contains(&0) {
        return Some(DocKind::Txt);
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn looks_like_email(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut headers = 0;
    for line in text.lines().take(40) {
        if line.is_empty() {
            break;
        }
        for h in [
            "from:",
            "to:",
            "subject:",
            "date:",
            "message-id:",
            "mime-version:",
            "received:",
            "return-path:",
            "content-type:",
        ] {
            if line.starts_with(h) {
                headers += 1;
            }
        }
    }
    headers >= 2
}

/// Parse one input file. Never panics; every failure is a [`ParseError`].
pub fn parse(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<ParsedInput, ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::Empty);
    }
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ParseError::TooLarge {
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    let kind = detect_kind(bytes, file_name)
        .ok_or_else(|| ParseError::Unsupported(format!("cannot tell what {file_name} is")))?;
    let deadline = Instant::now() + Duration::from_millis(limits.time_budget_ms);
    let single = |doc: ParsedDocument| ParsedInput {
        kind,
        email: None,
        parts: vec![ParsedPart {
            name: "document".into(),
            kind,
            content: PartContent::Parsed { doc },
        }],
    };
    match kind {
        DocKind::Txt => Ok(single(text_file_to_doc(bytes, file_name))),
        DocKind::Pdf => pdf_with_ocr(bytes, limits, deadline).map(single),
        DocKind::Image => ocr::read_image(bytes, limits).map(single),
        DocKind::Eml => mime::parse_email(bytes, limits, deadline),
        DocKind::Edi => edi::read(bytes, limits).map(single),
    }
}

/// A PDF's text layer, and OCR for its pages that have none.
pub(crate) fn pdf_with_ocr(
    bytes: &[u8],
    limits: &Limits,
    deadline: Instant,
) -> Result<ParsedDocument, ParseError> {
    let mut doc = pdf::parse_pdf_until(bytes, limits, deadline)?;
    ocr::fill_pdf(bytes, &mut doc, limits);
    Ok(doc)
}

/// A text file (or an HTML / CSV file) as a positioned document. HTML is turned into text that
/// keeps table rows as lines; CSV rows become aligned columns.
pub fn text_file_to_doc(bytes: &[u8], file_name: &str) -> ParsedDocument {
    let text = decode_text(bytes);
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".html") || lower.ends_with(".htm") || html::looks_like_html(&text) {
        text_to_doc(&html::html_to_text(&text))
    } else if lower.ends_with(".csv") || lower.ends_with(".tsv") {
        text_to_doc(&html::csv_to_text(&text))
    } else {
        text_to_doc(&text)
    }
}

/// Bytes of unknown charset as text: UTF-8 (with or without BOM) when valid, else Windows-1252,
/// the usual charset of text files exported on Windows (the WHATWG decoder: the bytes it
/// leaves undefined become U+FFFD).
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Threads that run parsers are named with this prefix; the panic hook keeps them quiet.
const WORKER_PREFIX: &str = "po-intake-parse-";

/// Run `f` on a worker thread and wait for it until `deadline`. A panic in `f` becomes
/// `Malformed`; a worker still running at the deadline is left behind (it stops at its next
/// deadline check, or when it finishes) and the caller gets `Timeout`.
pub(crate) fn run_with_deadline<T, F>(
    what: &'static str,
    deadline: Instant,
    budget_ms: u64,
    f: F,
) -> Result<T, ParseError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ParseError> + Send + 'static,
{
    install_quiet_panic_hook();
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name(format!("{WORKER_PREFIX}{what}"))
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
                Err(ParseError::Malformed {
                    kind: what,
                    detail: format!("parser panicked: {}", panic_message(&p)),
                })
            });
            // The receiver is gone when the caller timed out; nothing to do then.
            let _ = tx.send(r);
        });
    if let Err(e) = spawned {
        return Err(ParseError::Malformed {
            kind: what,
            detail: format!("cannot start a parser thread: {e}"),
        });
    }
    let wait = deadline.saturating_duration_since(Instant::now());
    match rx.recv_timeout(wait) {
        Ok(r) => r,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(ParseError::Timeout(budget_ms)),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(ParseError::Malformed {
            kind: what,
            detail: "parser thread died".into(),
        }),
    }
}

/// The text of a caught panic.
pub(crate) fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// Panics inside third-party parsers are expected on hostile input and are turned into
/// `ParseError::Malformed`; printing each to stderr would only scare the operator. The hook
/// logs them at debug level and hands every other panic to the previous hook.
fn install_quiet_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let ours = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with(WORKER_PREFIX));
            if ours {
                tracing::debug!(%info, "parser panic caught");
            } else {
                prev(info);
            }
        }));
    });
}

/// Plain text as words on a character grid: a text line is a row, a character column gives x.
pub fn text_to_doc(text: &str) -> ParsedDocument {
    const CHAR_W: f32 = 6.0;
    const LINE_H: f32 = 12.0;
    let mut words = Vec::new();
    let mut max_cols = 0usize;
    let mut n_lines = 0u32;
    // Blocks are runs of non-blank lines.
    let mut block = 0u32;
    let mut seen_text = false;
    let mut blank_since_text = false;
    for (li, line) in text.lines().enumerate() {
        n_lines = li as u32 + 1;
        if line.trim().is_empty() {
            blank_since_text = seen_text;
            continue;
        }
        if blank_since_text {
            block += 1;
            blank_since_text = false;
        }
        seen_text = true;
        let mut col = 0usize;
        let mut start: Option<(usize, String)> = None;
        for ch in line.chars().chain(std::iter::once(' ')) {
            if ch.is_whitespace() {
                if let Some((c0, w)) = start.take() {
                    let y0 = li as f32 * LINE_H;
                    words.push(Word {
                        bbox: BBox {
                            x0: c0 as f32 * CHAR_W,
                            y0,
                            x1: col as f32 * CHAR_W,
                            y1: y0 + LINE_H,
                        },
                        text: w,
                        font_size: 10.0,
                        line: li as u32,
                        block,
                    });
                }
            } else {
                match &mut start {
                    Some((_, w)) => w.push(ch),
                    None => start = Some((col, ch.to_string())),
                }
            }
            col += if ch == '\t' { 8 - col % 8 } else { 1 };
        }
        max_cols = max_cols.max(col);
    }
    ParsedDocument {
        pages: vec![Page {
            number: 1,
            width: max_cols as f32 * CHAR_W,
            height: n_lines as f32 * LINE_H,
            words,
        }],
        flags: vec![],
        edi: None,
        notes: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::decode_text;

    #[test]
    fn text_that_is_not_utf8_is_read_as_windows_1252() {
        assert_eq!(
            decode_text(b"Gr\xfc\xdfe \x80 5 \x93x\x94"),
            "Grüße € 5 “x”"
        );
        assert_eq!(decode_text("\u{feff}Grüße".as_bytes()), "Grüße");
    }
}
