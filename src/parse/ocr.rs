//! OCR for pages without a text layer (scans, faxes) and for image files (PNG, JPEG, TIFF):
//! Debian's Tesseract through its command line, TSV output, turned into the same words with
//! boxes as a PDF text layer, so the same extractor reads them.
//!
//! Why the command line and not a binding: `tesseract` and `pdftoppm` (poppler) are plain
//! Debian packages with nothing to link; a process per page can be killed at its time limit,
//! which a library call cannot; and a missing program is a clear sentence, not a build
//! failure. PDF pages are rendered to 8-bit grey at [`DPI`] (PGM: no compression to pay for);
//! images are given to Tesseract as they are (it reads every page of a multi-page fax TIFF).
//! Tesseract's page segmentation straightens slightly skewed scans itself.
//!
//! Limits (`[limits]`): at most `ocr_max_pages` pages per document, each stopped after
//! `ocr_page_ms`; `ocr_languages` picks the Tesseract language data (default `eng`: every
//! language added costs time on every page).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{BBox, DocFlag, Limits, Page, ParseError, ParsedDocument, Word};

/// Resolution PDF pages are rendered at for OCR.
pub const DPI: u32 = 300;

/// What a page's OCR gave, or why there is none.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("{program} is not installed (Debian packages tesseract-ocr and poppler-utils; scripts/setup installs them)")]
    Missing { program: &'static str },
    #[error("{what} took longer than the {ms} ms OCR limit per page (limits.ocr_page_ms)")]
    Timeout { what: String, ms: u64 },
    #[error("{program} failed: {detail}")]
    Failed {
        program: &'static str,
        detail: String,
    },
    #[error("temporary file: {0}")]
    Io(#[from] std::io::Error),
}

/// A file under the temp dir that is removed when dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new(ext: &str) -> TempPath {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        TempPath(std::env::temp_dir().join(format!(
            "po-intake-ocr-{}-{n}-{}.{ext}",
            std::process::id(),
            rand::random::<u32>()
        )))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Run `cmd` until it ends or `limit` passes (then it is killed); stdout on success.
fn run(program: &'static str, mut cmd: Command, limit: Duration) -> Result<Vec<u8>, OcrError> {
    let mut child = match cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(OcrError::Missing { program })
        }
        Err(e) => return Err(OcrError::Io(e)),
    };
    // Read stdout on a thread so a large output cannot fill the pipe and stall the child.
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(OcrError::Timeout {
                what: program.to_string(),
                ms: limit.as_millis() as u64,
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        return Err(OcrError::Failed {
            program,
            detail: format!(
                "{status}: {}",
                err.trim().chars().take(300).collect::<String>()
            ),
        });
    }
    Ok(out)
}

fn tesseract(image: &Path, limits: &Limits, limit: Duration) -> Result<Vec<OcrPage>, OcrError> {
    let mut cmd = Command::new("tesseract");
    cmd.arg(image)
        .arg("stdout")
        .args(["-l", &limits.ocr_languages, "--psm", "3", "tsv"])
        // One core per page: the machine's other cores stay with the rest of the pipeline.
        .env("OMP_THREAD_LIMIT", "1");
    let out = run("tesseract", cmd, limit)?;
    Ok(parse_tsv(&String::from_utf8_lossy(&out)))
}

/// What Tesseract makes of ruling lines touching a word; trimmed from both ends of a word.
const RULE_MARKS: &[char] = &['_', '|', '\u{2014}', '\u{2015}'];

/// A word as read, without the table rules glued to it. Rules and underlines come out as
/// `_`, `|` or a dash at a word's edge, and a vertical rule beside a figure often as a
/// bracket or brace ("5.000]", "qty}"): one at an edge with no partner in the word is the
/// rule, not text ("[A]" and "(2)" keep theirs).
fn without_rules(word: &str) -> String {
    let mut t = word.trim_matches(RULE_MARKS);
    loop {
        let before = t.len();
        for (open, close) in [('[', ']'), ('{', '}')] {
            if t.ends_with(close) && !t.contains(open) {
                t = &t[..t.len() - close.len_utf8()];
            }
            if t.starts_with(open) && !t.contains(close) {
                t = &t[open.len_utf8()..];
            }
        }
        t = t.trim_matches(RULE_MARKS);
        if t.len() == before {
            return t.to_string();
        }
    }
}

/// One page of Tesseract's TSV: its size in pixels and its words.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrPage {
    pub width: f32,
    pub height: f32,
    pub words: Vec<Word>,
}

/// Tesseract TSV (`level page block par line word left top width height conf text`) -> pages
/// of words in pixel units. Lines are numbered in reading order across the page; a word
/// Tesseract is not sure is a word at all (`conf` < 0) or that is blank is left out.
pub fn parse_tsv(tsv: &str) -> Vec<OcrPage> {
    let mut pages: Vec<OcrPage> = vec![];
    let mut last_line: Option<(u32, u32, u32)> = None;
    let mut line_id = 0u32;
    for row in tsv.lines().skip(1) {
        let c: Vec<&str> = row.split('\t').collect();
        if c.len() < 12 {
            continue;
        }
        let num = |i: usize| c.get(i).and_then(|v| v.trim().parse::<f32>().ok());
        let (Some(level), Some(left), Some(top), Some(w), Some(h)) =
            (num(0), num(6), num(7), num(8), num(9))
        else {
            continue;
        };
        if level == 1.0 {
            pages.push(OcrPage {
                width: w,
                height: h,
                words: vec![],
            });
            last_line = None;
            continue;
        }
        if level != 5.0 {
            continue;
        }
        let text = without_rules(c[11..].join("\t").trim());
        if text.is_empty() || num(10).is_none_or(|conf| conf < 0.0) {
            continue;
        }
        let ids = (
            num(2).unwrap_or(0.0) as u32,
            num(3).unwrap_or(0.0) as u32,
            num(4).unwrap_or(0.0) as u32,
        );
        if last_line != Some(ids) {
            line_id += 1;
            last_line = Some(ids);
        }
        let Some(page) = pages.last_mut() else {
            continue;
        };
        page.words.push(Word {
            text,
            bbox: BBox {
                x0: left,
                y0: top,
                x1: left + w,
                y1: top + h,
            },
            font_size: h,
            line: line_id,
            block: ids.0,
        });
    }
    pages
}

/// Put OCR'd words on a page of `width` x `height` units: scaled from pixels, and ordered
/// the way the PDF reader orders a text layer (by line, then left to right).
fn place(ocr: OcrPage, number: u32, width: f32, height: f32) -> Page {
    let sx = if ocr.width > 0.0 {
        width / ocr.width
    } else {
        1.0
    };
    let sy = if ocr.height > 0.0 {
        height / ocr.height
    } else {
        1.0
    };
    let mut words: Vec<Word> = ocr
        .words
        .into_iter()
        .map(|mut w| {
            w.bbox = BBox {
                x0: w.bbox.x0 * sx,
                y0: w.bbox.y0 * sy,
                x1: w.bbox.x1 * sx,
                y1: w.bbox.y1 * sy,
            };
            w.font_size *= sy;
            w
        })
        .collect();
    words.sort_by(|a, b| a.line.cmp(&b.line).then(a.bbox.x0.total_cmp(&b.bbox.x0)));
    Page {
        number,
        width,
        height,
        words,
    }
}

/// OCR the pages of a parsed PDF that have no words (at most `ocr_max_pages`). Pages read
/// are flagged [`DocFlag::Ocr`]; when OCR cannot run, the document keeps
/// [`DocFlag::NoTextLayer`] and says why in its notes.
pub fn fill_pdf(bytes: &[u8], doc: &mut ParsedDocument, limits: &Limits) {
    if !doc.flags.contains(&DocFlag::NoTextLayer) {
        return;
    }
    let empty: Vec<usize> = doc
        .pages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.words.is_empty())
        .map(|(i, _)| i)
        .collect();
    if empty.is_empty() {
        return;
    }
    let pdf = TempPath::new("pdf");
    if let Err(e) = std::fs::write(&pdf.0, bytes) {
        doc.notes.push(format!("ocr: {}", OcrError::Io(e)));
        return;
    }
    let limit = Duration::from_millis(limits.ocr_page_ms);
    let mut read = 0usize;
    for (n, &i) in empty.iter().enumerate() {
        if n >= limits.ocr_max_pages as usize {
            doc.notes.push(format!(
                "ocr: only the first {} pages without text were read (limits.ocr_max_pages)",
                limits.ocr_max_pages
            ));
            break;
        }
        let Some(page) = doc.pages.get(i) else {
            continue;
        };
        let (number, width, height) = (page.number, page.width, page.height);
        match ocr_pdf_page(&pdf.0, number, limits, limit) {
            Ok(ocr) => {
                if let Some(p) = doc.pages.get_mut(i) {
                    *p = place(ocr, number, width, height);
                }
                read += 1;
            }
            Err(e) => {
                doc.notes.push(format!("ocr of page {number}: {e}"));
                if matches!(e, OcrError::Missing { .. }) {
                    break;
                }
            }
        }
    }
    if read > 0 {
        doc.flags.push(DocFlag::Ocr);
        if doc.pages.iter().all(|p| !p.words.is_empty()) {
            doc.flags.retain(|f| *f != DocFlag::NoTextLayer);
        }
    }
}

fn ocr_pdf_page(
    pdf: &Path,
    number: u32,
    limits: &Limits,
    limit: Duration,
) -> Result<OcrPage, OcrError> {
    let started = Instant::now();
    let image = TempPath::new("pgm");
    let root = image.0.with_extension("");
    let mut cmd = Command::new("pdftoppm");
    cmd.args(["-r", &DPI.to_string(), "-gray", "-singlefile"])
        .args(["-f", &number.to_string(), "-l", &number.to_string()])
        .arg(pdf)
        .arg(&root);
    run("pdftoppm", cmd, limit)?;
    let left = limit.saturating_sub(started.elapsed());
    let pages = tesseract(&image.0, limits, left)?;
    Ok(pages.into_iter().next().unwrap_or(OcrPage {
        width: 0.0,
        height: 0.0,
        words: vec![],
    }))
}

/// Page `number` of the PDF `bytes` as a PNG at `dpi` (the item page's page view draws the
/// words over it), or why not (poppler missing, the time `limit` passed, a broken page).
pub fn render_page_png(
    bytes: &[u8],
    number: u32,
    dpi: u32,
    limit: Duration,
) -> Result<Vec<u8>, OcrError> {
    let pdf = TempPath::new("pdf");
    std::fs::write(&pdf.0, bytes)?;
    let image = TempPath::new("png");
    let root = image.0.with_extension("");
    let mut cmd = Command::new("pdftoppm");
    cmd.args(["-r", &dpi.to_string(), "-png", "-singlefile"])
        .args(["-f", &number.to_string(), "-l", &number.to_string()])
        .arg(&pdf.0)
        .arg(&root);
    run("pdftoppm", cmd, limit)?;
    Ok(std::fs::read(&image.0)?)
}

/// What kind of image `bytes` are, from their magic number.
pub fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("jpg")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("tif")
    } else {
        None
    }
}

/// OCR an image file (every page of a TIFF, at most `ocr_max_pages`) into a document. Page
/// units are the image's pixels. When OCR cannot run, the document has no words, the
/// [`DocFlag::NoTextLayer`] flag and the reason in its notes.
pub fn read_image(bytes: &[u8], limits: &Limits) -> Result<ParsedDocument, ParseError> {
    let ext = image_kind(bytes).ok_or_else(|| ParseError::Unsupported("not an image".into()))?;
    let file = TempPath::new(ext);
    std::fs::write(&file.0, bytes).map_err(|e| ParseError::Malformed {
        kind: "image",
        detail: format!("cannot write a temporary file for OCR: {e}"),
    })?;
    // A multi-page TIFF is one Tesseract run: its limit is the per-page limit times the pages
    // allowed.
    let limit = Duration::from_millis(
        limits
            .ocr_page_ms
            .saturating_mul(u64::from(limits.ocr_max_pages.max(1))),
    );
    let pages = match tesseract(&file.0, limits, limit) {
        Ok(p) => p,
        // Kept as a document without text, with the reason: the pipeline records it as
        // `no_text_layer` and it can be read again once OCR works.
        Err(e) => {
            return Ok(ParsedDocument {
                pages: vec![],
                flags: vec![DocFlag::NoTextLayer],
                edi: None,
                notes: vec![format!("ocr: {e}")],
            })
        }
    };
    let mut flags = vec![DocFlag::Ocr];
    let mut notes = vec![];
    if pages.len() > limits.ocr_max_pages as usize {
        flags.push(DocFlag::Truncated);
        notes.push(format!(
            "ocr: only the first {} pages were read (limits.ocr_max_pages)",
            limits.ocr_max_pages
        ));
    }
    let pages: Vec<Page> = pages
        .into_iter()
        .take(limits.ocr_max_pages as usize)
        .enumerate()
        .map(|(i, p)| {
            let (w, h) = (p.width, p.height);
            place(p, i as u32 + 1, w, h)
        })
        .collect();
    Ok(ParsedDocument {
        pages,
        flags,
        edi: None,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t
2\t1\t1\t0\t0\t0\t100\t100\t800\t60\t-1\t
4\t1\t1\t1\t1\t0\t100\t100\t800\t60\t-1\t
5\t1\t1\t1\t1\t1\t100\t100\t300\t60\t96.1\tPurchase
5\t1\t1\t1\t1\t2\t420\t100\t200\t60\t95.0\tOrder
5\t1\t1\t1\t2\t1\t100\t200\t100\t50\t91.0\t10
5\t1\t1\t1\t2\t2\t250\t200\t100\t50\t-1\t 
5\t1\t1\t1\t2\t3\t400\t200\t250\t50\t88.5\tBRG-6204_
5\t1\t1\t1\t2\t4\t700\t200\t20\t50\t60.0\t|
";

    #[test]
    fn a_rule_read_as_a_bracket_beside_a_word_is_dropped() {
        assert_eq!(without_rules("5.000]"), "5.000");
        assert_eq!(without_rules("qty}"), "qty");
        assert_eq!(without_rules("|[12.50"), "12.50");
        assert_eq!(without_rules("_Total_"), "Total");
        assert_eq!(without_rules("[A]"), "[A]");
        assert_eq!(without_rules("(2)"), "(2)");
        assert_eq!(without_rules("]"), "");
    }

    #[test]
    fn tesseract_tsv_becomes_words_with_lines_and_boxes() {
        let pages = parse_tsv(TSV);
        assert_eq!(pages.len(), 1);
        let p = &pages[0];
        assert_eq!((p.width, p.height), (2480.0, 3508.0));
        let texts: Vec<&str> = p.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, vec!["Purchase", "Order", "10", "BRG-6204"]);
        assert_eq!(p.words[0].line, p.words[1].line);
        assert!(p.words[2].line > p.words[1].line);
        assert_eq!(p.words[3].bbox.x1, 650.0);
        // Placed on an A4 page in points: scaled by 595/2480.
        let page = place(p.clone(), 1, 595.0, 842.0);
        let w = &page.words[0];
        assert!((w.bbox.x0 - 100.0 * 595.0 / 2480.0).abs() < 0.01);
        assert!((w.font_size - 60.0 * 842.0 / 3508.0).abs() < 0.01);
    }

    #[test]
    fn images_are_known_by_their_magic_number() {
        assert_eq!(image_kind(b"\x89PNG\r\n\x1a\nrest"), Some("png"));
        assert_eq!(image_kind(b"\xFF\xD8\xFF\xE0"), Some("jpg"));
        assert_eq!(image_kind(b"II*\0...."), Some("tif"));
        assert_eq!(image_kind(b"MM\0*...."), Some("tif"));
        assert_eq!(image_kind(b"%PDF-1.4"), None);
    }
}
