//! The printed words of each stored document, kept beside the archive so the item page can
//! draw a page view (issue 18 item 4) without parsing the original on every request.
//!
//! Written by the pipeline right after it reads a document (the words the extractor saw);
//! for a document read before this cache existed the web layer parses the original once and
//! writes it. A derived file, never part of a backup: deleting `cache/` only costs a parse.
//! Layout on disk: `cache/words/ab/<sha256>.json`, replaced atomically; the page images
//! drawn under the words, `cache/pages/ab/<sha256>-<page>.png`, the same way.

use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Result, Store, StoreError};
use crate::domain::DocKind;
use crate::parse::{ParsedInput, PartContent};

/// Bumped when the cached shape changes: an older file is ignored and written again.
const VERSION: u32 = 1;

/// One word as the page view draws it: its text and box (page units, top-left origin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageWord {
    pub text: String,
    pub bbox: [f32; 4],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageWords {
    /// 1-based.
    pub number: u32,
    pub width: f32,
    pub height: f32,
    pub words: Vec<PageWord>,
}

/// The pages of one part of an input (the file, an email body, an attachment). `part` is
/// the index the extraction's [`crate::domain::SourceSpan::part`] names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartWords {
    pub part: u32,
    pub name: String,
    pub kind: DocKind,
    pub pages: Vec<PageWords>,
}

#[derive(Deserialize)]
struct Cached {
    version: u32,
    parts: Vec<PartWords>,
}

/// The words of every readable part of `input` (EDI and failed parts have none to show).
pub fn words_of(input: &ParsedInput) -> Vec<PartWords> {
    input
        .parts
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match &p.content {
            PartContent::Parsed { doc } if doc.edi.is_none() && doc.word_count() > 0 => {
                Some(PartWords {
                    part: u32::try_from(i).unwrap_or(u32::MAX),
                    name: p.name.clone(),
                    kind: p.kind,
                    pages: doc
                        .pages
                        .iter()
                        .map(|pg| PageWords {
                            number: pg.number,
                            width: pg.width,
                            height: pg.height,
                            words: pg
                                .words
                                .iter()
                                .filter(|w| !w.text.trim().is_empty())
                                .map(|w| PageWord {
                                    text: w.text.clone(),
                                    bbox: [w.bbox.x0, w.bbox.y0, w.bbox.x1, w.bbox.y1],
                                })
                                .collect(),
                        })
                        .collect(),
                })
            }
            _ => None,
        })
        .collect()
}

impl Store {
    /// `cache/<kind>/ab/<sha256><suffix>`, for a real hash only (never a path from outside).
    fn cache_path(&self, kind: &str, sha256: &str, suffix: &str) -> Option<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(
            self.data_dir()
                .join("cache")
                .join(kind)
                .join(&sha256[0..2])
                .join(format!("{sha256}{suffix}")),
        )
    }

    fn words_path(&self, sha256: &str) -> Option<PathBuf> {
        self.cache_path("words", sha256, ".json")
    }

    /// Where the image of page `page` of the PDF with `sha256` is kept once drawn.
    pub fn page_image_path(&self, sha256: &str, page: u32) -> Option<PathBuf> {
        self.cache_path("pages", sha256, &format!("-{page}.png"))
    }

    /// The cached words of the document with `sha256`; `None` when none are cached (or the
    /// file is from another version or unreadable: the caller parses again).
    pub fn cached_words(&self, sha256: &str) -> Option<Vec<PartWords>> {
        let text = fs::read(self.words_path(sha256)?).ok()?;
        let cached: Cached = serde_json::from_slice(&text).ok()?;
        (cached.version == VERSION).then_some(cached.parts)
    }

    /// Keep the words of the document with `sha256`.
    pub fn cache_words(&self, sha256: &str, parts: &[PartWords]) -> Result<()> {
        let path = self.words_path(sha256).ok_or(StoreError::NotFound {
            what: "archive entry",
            id: -1,
        })?;
        #[derive(Serialize)]
        struct Writing<'a> {
            version: u32,
            parts: &'a [PartWords],
        }
        let json = serde_json::to_vec(&Writing {
            version: VERSION,
            parts,
        })?;
        super::write_whole(&path, &json, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_kept_per_part_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let input = crate::parse::parse(
            b"PURCHASE ORDER 4711\nQty 5 AB-100\n",
            "po.txt",
            &crate::parse::Limits::default(),
        )
        .expect("parse");
        let parts = words_of(&input);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].part, 0);
        assert_eq!(parts[0].kind, DocKind::Txt);
        let texts: Vec<&str> = parts[0].pages[0]
            .words
            .iter()
            .map(|w| w.text.as_str())
            .collect();
        assert_eq!(texts, ["PURCHASE", "ORDER", "4711", "Qty", "5", "AB-100"]);
        let sha = "ab".repeat(32);
        assert_eq!(store.cached_words(&sha), None);
        store.cache_words(&sha, &parts).expect("cache");
        assert_eq!(store.cached_words(&sha), Some(parts));
        // Never a path from outside: a name that is no hash is refused.
        assert!(store.cache_words("../x", &[]).is_err());
        assert_eq!(store.cached_words("../../etc/passwd"), None);
        assert!(store.page_image_path("..", 1).is_none());
    }
}
