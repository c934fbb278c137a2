//! Extraction speed (divan): `extract` (tokenise + model + decode) of one document with the
//! model loaded, on 1 and 2 intra-op threads, and end to end (parse + extract) the way the
//! pipeline reads a file. Divan prints fastest / slowest / median / mean per benchmark; the
//! per-page figure of the README is the median divided by the page count printed first.
//!
//!     cargo bench --bench extract                       # fixtures/inbox/PO_price_off.pdf
//!     PO_INTAKE_BENCH_FILE=some.pdf cargo bench --bench extract
//!
//! Needs models/model.onnx and ONNX Runtime (`scripts/setup`); without them it says so and
//! measures nothing.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use divan::Bencher;
use po_intake::config::{Config, ExtractConfig};
use po_intake::extract::Extractor;
use po_intake::parse::{self, Limits, ParsedInput, PartContent};
use po_intake::pipeline;

fn main() {
    match &*INPUT {
        Ok(input) => println!(
            "file: {} ({} page(s), {} words)",
            input.path.display(),
            input.pages,
            input.words
        ),
        Err(e) => println!("{e}"),
    }
    divan::main();
}

/// The benchmark document, parsed once.
struct Input {
    path: PathBuf,
    name: String,
    bytes: Vec<u8>,
    /// Its first part only, as `extract` sees it.
    first_part: ParsedInput,
    pages: usize,
    words: usize,
}

static INPUT: LazyLock<Result<Input, String>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::var_os("PO_INTAKE_BENCH_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("fixtures/inbox/PO_price_off.pdf"));
    let bytes = std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parsed = parse::parse(&bytes, &name, &Limits::default())
        .map_err(|e| format!("parsing {}: {e}", path.display()))?;
    let part = parsed
        .parts
        .iter()
        .find(|p| matches!(p.content, PartContent::Parsed { .. }))
        .cloned()
        .ok_or_else(|| format!("{}: no part could be parsed", path.display()))?;
    let (pages, words) = match &part.content {
        PartContent::Parsed { doc } => (doc.pages.len(), doc.word_count()),
        PartContent::Failed { .. } => (0, 0),
    };
    Ok(Input {
        path,
        name,
        bytes,
        first_part: ParsedInput {
            kind: parsed.kind,
            email: None,
            parts: vec![part],
        },
        pages,
        words,
    })
});

/// The model loaded with `threads` intra-op threads, or why not.
fn extractor(threads: usize) -> Option<Extractor> {
    let cfg = ExtractConfig {
        model_dir: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("models")),
        threads,
        ..ExtractConfig::default()
    };
    match Extractor::from_config(&cfg) {
        Ok(e) => Some(e),
        Err(e) => {
            println!("model did not load: {e}");
            None
        }
    }
}

/// Tokenise + model + decode of the document's first part.
#[divan::bench(args = [1, 2], sample_count = 30)]
fn extract(bencher: Bencher, threads: usize) {
    let (Ok(input), Some(ex)) = (&*INPUT, extractor(threads)) else {
        return;
    };
    assert!(!ex.extract(&input.first_part).orders.is_empty());
    bencher.bench(|| ex.extract(&input.first_part));
}

/// Parse + extract of the whole file, as the pipeline reads it.
#[divan::bench(args = [1, 2], sample_count = 30)]
fn parse_and_extract(bencher: Bencher, threads: usize) {
    let (Ok(input), Some(ex)) = (&*INPUT, extractor(threads)) else {
        return;
    };
    let cfg = Config::embedded_default();
    assert!(pipeline::read_document(&input.bytes, &input.name, &cfg, &ex).is_ok());
    bencher.bench(|| pipeline::read_document(&input.bytes, &input.name, &cfg, &ex));
}
