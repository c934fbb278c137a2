//! Extraction speed: model time per page with 1 and 2 intra-op threads, and end-to-end
//! `extract` (parse + model + decode) of a 1-page PO with the model loaded.
//! Run: `cargo bench --bench extract` (needs models/model.onnx and ONNX Runtime).

use std::path::Path;
use std::time::Instant;

use po_intake::config::{Config, ExtractConfig};
use po_intake::extract::Extractor;
use po_intake::parse::{self, Limits, PartContent};
use po_intake::pipeline;

fn median_ms(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("fixtures/inbox/PO_price_off.pdf"));
    let bytes = std::fs::read(&file).expect("read the benchmark PO");
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let parsed = parse::parse(&bytes, &name, &Limits::default()).expect("parse");
    let doc = parsed
        .parts
        .iter()
        .find_map(|p| match &p.content {
            PartContent::Parsed { doc } => Some(doc.clone()),
            _ => None,
        })
        .expect("a parsed part");
    let pages = doc.pages.len();
    println!(
        "file: {} ({} page(s), {} words)",
        file.display(),
        pages,
        doc.word_count()
    );
    for threads in [1usize, 2] {
        let cfg = ExtractConfig {
            model_dir: Some(root.join("models")),
            threads,
            ..ExtractConfig::default()
        };
        let ex = match Extractor::from_config(&cfg) {
            Ok(e) => e,
            Err(e) => {
                println!("model did not load: {e}");
                return;
            }
        };
        let input = parse::ParsedInput {
            kind: parsed.kind,
            email: None,
            parts: vec![parsed.parts[0].clone()],
        };
        for _ in 0..3 {
            ex.extract(&input);
        }
        let mut model_ms = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let out = ex.extract(&input);
            model_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(!out.orders.is_empty());
        }
        let mut e2e_ms = Vec::new();
        let full = Config::embedded_default();
        for _ in 0..30 {
            let t = Instant::now();
            let r = pipeline::read_document(&bytes, &name, &full, &ex);
            e2e_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(r.is_ok());
        }
        println!(
            "threads {threads}: extract (tokenise+model+decode) {:.1} ms/page, end-to-end parse+extract {:.1} ms/document (median of 30)",
            median_ms(model_ms) / pages as f64,
            median_ms(e2e_ms)
        );
    }
}
