//! The item page's page view (issue 18 item 4): the pages of the part an order was read
//! from, drawn as SVG from the document's own words (each at its box, in page units, so
//! the view scales with the pane), over an image of the page when poppler can draw one.
//! `app.js` draws the box of the focused field over it and fills a field from the words a
//! reviewer clicks; the boxes go back with the form (`box:<input>`) and the approval learns
//! the layout from them (`learn::fields`, `learn::table`).
//!
//! The words come from the store's cache (written when the pipeline read the document); a
//! document read before the cache existed is parsed once here and cached.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use crate::domain::{DocKind, Document, SourceSpan};
use crate::parse::Limits;
use crate::store::{words_of, PartWords, Store};

/// Pages drawn at most; the rest are in the original.
pub const MAX_PAGES: usize = 20;
/// Resolution of the page images (poppler), in dots per inch.
pub const IMAGE_DPI: u32 = 110;

pub struct WordSvg {
    pub text: String,
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    /// The baseline of the drawn text.
    pub base: String,
    pub size: String,
}

pub struct PageSvg {
    pub number: u32,
    pub w: String,
    pub h: String,
    pub words: Vec<WordSvg>,
}

pub struct PageView {
    pub doc_id: i64,
    /// The part index the view shows (a source span of another part has no box here).
    pub part: u32,
    /// An image of each page is drawn under the words (they turn invisible over it).
    pub raster: bool,
    pub pages: Vec<PageSvg>,
    /// Pages of the part not drawn (over [`MAX_PAGES`]).
    pub more_pages: usize,
}

fn num(v: f32) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A span as the item page's `data-box` attribute: `part page x0 y0 x1 y1`.
pub fn box_attr(s: Option<&SourceSpan>) -> String {
    match s {
        Some(s) if s.page >= 1 && s.bbox.iter().all(|v| v.is_finite()) => format!(
            "{} {} {} {} {} {}",
            s.part,
            s.page,
            num(s.bbox[0]),
            num(s.bbox[1]),
            num(s.bbox[2]),
            num(s.bbox[3])
        ),
        _ => String::new(),
    }
}

/// Is poppler's `pdftoppm` on the PATH? Asked once per process.
pub fn can_draw_pages() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|d| d.join("pdftoppm").is_file())
        })
    })
}

/// The words of `doc`: cached, else parsed from the original once and cached. Empty when
/// the original cannot be read (the page view is then left out).
pub fn words_for(store: &Store, limits: &Limits, doc: &Document) -> Vec<PartWords> {
    if let Some(w) = store.cached_words(&doc.sha256) {
        return w;
    }
    let Ok(bytes) = store.read_original(&doc.sha256) else {
        return Vec::new();
    };
    // A reader that panics on a hostile file costs the view, not the page.
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        crate::parse::parse(&bytes, &doc.file_name, limits)
    }));
    let words = match parsed {
        Ok(Ok(p)) => words_of(&p),
        _ => Vec::new(),
    };
    if let Err(e) = store.cache_words(&doc.sha256, &words) {
        tracing::warn!(document = doc.id, "keeping the page words: {e}");
    }
    words
}

/// The page view of the part named `part` (the first page-shaped part when unnamed): PDFs
/// and scans only; text and email bodies are shown as text.
pub fn page_view(parts: &[PartWords], part: Option<&str>, doc: &Document) -> Option<PageView> {
    let p = parts
        .iter()
        .filter(|p| matches!(p.kind, DocKind::Pdf | DocKind::Image))
        .find(|p| part.is_none_or(|n| p.name == n))?;
    let ok = |v: f32| v.is_finite() && v > 0.0;
    let pages: Vec<PageSvg> = p
        .pages
        .iter()
        .filter(|pg| ok(pg.width) && ok(pg.height))
        .take(MAX_PAGES)
        .map(|pg| PageSvg {
            number: pg.number,
            w: num(pg.width),
            h: num(pg.height),
            words: pg
                .words
                .iter()
                .filter(|w| w.bbox.iter().all(|v| v.is_finite()))
                .filter(|w| w.bbox[2] > w.bbox[0] && w.bbox[3] > w.bbox[1])
                .map(|w| {
                    let h = w.bbox[3] - w.bbox[1];
                    WordSvg {
                        text: w.text.clone(),
                        x: num(w.bbox[0]),
                        y: num(w.bbox[1]),
                        w: num(w.bbox[2] - w.bbox[0]),
                        h: num(h),
                        base: num(w.bbox[3] - 0.22 * h),
                        size: num(0.9 * h),
                    }
                })
                .collect(),
        })
        .collect();
    if pages.is_empty() {
        return None;
    }
    Some(PageView {
        doc_id: doc.id,
        part: p.part,
        // Only the file itself is a PDF poppler can draw (an attachment is inside the email).
        raster: doc.media_type == "application/pdf" && p.part == 0 && can_draw_pages(),
        more_pages: p.pages.len().saturating_sub(pages.len()),
        pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{PageWord, PageWords};

    fn doc(media: &str) -> Document {
        Document {
            id: 7,
            source: crate::domain::SourceKind::Folder,
            origin: "inbox".into(),
            file_name: "po.pdf".into(),
            sender: None,
            received_at: chrono::Utc::now(),
            sha256: "ab".repeat(32),
            media_type: media.into(),
            size: 1,
        }
    }

    fn part(kind: DocKind, name: &str, part: u32) -> PartWords {
        PartWords {
            part,
            name: name.into(),
            kind,
            pages: vec![PageWords {
                number: 1,
                width: 612.0,
                height: 792.0,
                words: vec![
                    PageWord {
                        text: "4711".into(),
                        bbox: [100.0, 50.0, 130.0, 60.0],
                    },
                    // No area, or not a number: not drawn.
                    PageWord {
                        text: "x".into(),
                        bbox: [1.0, 1.0, 1.0, 5.0],
                    },
                    PageWord {
                        text: "y".into(),
                        bbox: [f32::NAN, 1.0, 3.0, 5.0],
                    },
                ],
            }],
        }
    }

    #[test]
    fn the_view_shows_the_orders_part_with_each_word_at_its_box() {
        let parts = vec![
            part(DocKind::Txt, "body", 0),
            part(DocKind::Pdf, "a.pdf", 1),
            part(DocKind::Pdf, "b.pdf", 2),
        ];
        let v = page_view(&parts, Some("b.pdf"), &doc("message/rfc822")).expect("a view");
        assert_eq!(v.part, 2);
        assert!(!v.raster, "an attachment is not drawn by poppler");
        let w = &v.pages[0].words;
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].x.as_str(), w[0].y.as_str()), ("100", "50"));
        assert_eq!((w[0].w.as_str(), w[0].h.as_str()), ("30", "10"));
        // Unnamed: the first page-shaped part; a text body alone has no page view.
        assert_eq!(
            page_view(&parts, None, &doc("message/rfc822")).map(|v| v.part),
            Some(1)
        );
        assert!(page_view(&parts[..1], None, &doc("text/plain")).is_none());
    }

    #[test]
    fn a_box_attribute_says_part_page_and_box() {
        let s = SourceSpan {
            part: 1,
            page: 2,
            bbox: [10.0, 20.5, 30.25, 40.0],
            text: "x".into(),
        };
        assert_eq!(box_attr(Some(&s)), "1 2 10 20.5 30.25 40");
        assert_eq!(box_attr(None), "");
        let bad = SourceSpan {
            bbox: [f32::INFINITY, 0.0, 1.0, 1.0],
            ..s
        };
        assert_eq!(box_attr(Some(&bad)), "");
    }
}
