//! OCR speed: a 1-page scan (image-only PDF: render at 300 dpi + Tesseract) and a 1-page fax
//! TIFF, from bytes to checked-ready orders (`pipeline::read_document`: parse, OCR,
//! extraction) on one thread: Tesseract runs with `OMP_THREAD_LIMIT=1` and the model with one
//! intra-op thread. Target (issue 20): under 3 s per page on one core.
//! Run: `cargo bench --bench ocr [FILE ...]` (needs tesseract, pdftoppm and the model).

use std::path::{Path, PathBuf};
use std::time::Instant;

use po_intake::config::{Config, ExtractConfig};
use po_intake::extract::Extractor;
use po_intake::parse::{self, Limits};
use po_intake::pipeline;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .collect();
    if files.is_empty() {
        files = vec![
            root.join("tests/data/ocr/scan-po.pdf"),
            root.join("tests/data/ocr/fax-po.tif"),
        ];
    }
    let cfg = ExtractConfig {
        model_dir: Some(root.join("models")),
        threads: 1,
        workers: 1,
    };
    let ex = match Extractor::from_config(&cfg) {
        Ok(e) => e,
        Err(e) => {
            println!("model did not load: {e}");
            return;
        }
    };
    let full = Config::embedded_default();
    for file in files {
        let bytes = std::fs::read(&file).expect("read the benchmark scan");
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut ocr_ms = Vec::new();
        let mut e2e_ms = Vec::new();
        let mut pages = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let parsed = parse::parse(&bytes, &name, &Limits::default()).expect("parse");
            ocr_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            pages = parsed.parts.len().max(pages);
            let t = Instant::now();
            let r = pipeline::read_document(&bytes, &name, &full, &ex);
            e2e_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            match r {
                Ok((_, extracted)) => assert!(!extracted.orders.is_empty(), "{name}: no order"),
                Err(e) => panic!("{name}: {}: {}", e.code, e.reason),
            }
        }
        ocr_ms.sort_by(f64::total_cmp);
        e2e_ms.sort_by(f64::total_cmp);
        println!(
            "{}: parse+OCR {:.0} ms, end to end (parse+OCR+extract) {:.0} ms (median of 5; min {:.0}, max {:.0})",
            file.display(),
            ocr_ms[2],
            e2e_ms[2],
            e2e_ms[0],
            e2e_ms[4]
        );
    }
}
