//! OCR speed (divan): a 1-page scan (image-only PDF: render at 300 dpi + Tesseract) and a
//! 1-page fax TIFF, from bytes to checked-ready orders (`pipeline::read_document`: parse,
//! OCR, extraction) on one thread: Tesseract runs with `OMP_THREAD_LIMIT=1` and the model
//! with one intra-op thread; and parse + OCR alone. Target (issue 20): under 3 s per page
//! on one core.
//!
//!     cargo bench --bench ocr
//!     PO_INTAKE_BENCH_FILES=a.pdf:b.pdf cargo bench --bench ocr     # other scans
//!
//! Needs tesseract, pdftoppm and the model; without the model it says so.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use divan::Bencher;
use po_intake::config::{Config, ExtractConfig};
use po_intake::extract::Extractor;
use po_intake::parse::{self, Limits};
use po_intake::pipeline;

fn main() {
    divan::main();
}

/// The scans to read: `PO_INTAKE_BENCH_FILES` (separated by ':') or the two committed ones.
static FILES: LazyLock<Vec<PathBuf>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match std::env::var("PO_INTAKE_BENCH_FILES") {
        Ok(list) if !list.is_empty() => list.split(':').map(PathBuf::from).collect(),
        _ => vec![
            root.join("tests/data/ocr/scan-po.pdf"),
            root.join("tests/data/ocr/fax-po.tif"),
        ],
    }
});

/// The benchmark's argument per scan: its path.
fn files() -> Vec<String> {
    FILES.iter().map(|f| f.display().to_string()).collect()
}

fn input(file: &str) -> (String, Vec<u8>) {
    let bytes = std::fs::read(file).expect("read the benchmark scan");
    let name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (name, bytes)
}

/// Parse + OCR of `file`.
#[divan::bench(args = files(), sample_count = 5)]
fn parse_ocr(bencher: Bencher, file: &str) {
    let (name, bytes) = input(file);
    bencher.bench_local(|| parse::parse(&bytes, &name, &Limits::default()).expect("parse"));
}

/// Parse + OCR + extraction of `file`, one thread.
#[divan::bench(args = files(), sample_count = 5)]
fn end_to_end(bencher: Bencher, file: &str) {
    let (name, bytes) = input(file);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
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
    bencher.bench_local(
        || match pipeline::read_document(&bytes, &name, &full, &ex) {
            Ok((_, extracted)) => assert!(!extracted.orders.is_empty(), "{name}: no order"),
            Err(e) => panic!("{name}: {}: {}", e.code, e.reason),
        },
    );
}
