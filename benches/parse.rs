//! Parsing speed (divan): `cargo bench --bench parse`.
//!
//! PDF: each committed 1-2 page fixture (ReportLab, fpdf2, LibreOffice) through the public
//! `parse()` (worker thread and deadline included), beside `pdftotext -bbox` run on the same
//! file when poppler is installed (its time includes starting the process, which is how it
//! would be used from here). Email: the whole `../shared/corpus/eml-wild` folder per
//! iteration, when it is there (divan's item counter gives messages per second).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;

use divan::counter::ItemsCount;
use divan::Bencher;
use po_intake::parse::{parse, Limits};

const PDFS: &[&str] = &[
    "po_reportlab.pdf",
    "po_fpdf2.pdf",
    "po_libreoffice.pdf",
    "po_reportlab_2pages.pdf",
];

fn main() {
    divan::main();
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn fixture(name: &str) -> (PathBuf, Vec<u8>) {
    let path = root().join("tests/data/parse").join(name);
    let bytes = std::fs::read(&path).expect("a committed parse fixture");
    (path, bytes)
}

/// One PDF through `parse()`.
#[divan::bench(args = PDFS)]
fn pdf(bencher: Bencher, name: &str) {
    let (_, bytes) = fixture(name);
    let limits = Limits::default();
    assert!(parse(&bytes, name, &limits).is_ok(), "{name} parses");
    bencher.bench(|| parse(&bytes, name, &limits));
}

/// The same PDF through `pdftotext -bbox` (a process per file), for comparison.
#[divan::bench(args = PDFS, sample_count = 30)]
fn pdftotext_bbox(bencher: Bencher, name: &str) {
    let (path, _) = fixture(name);
    let run = || {
        Command::new("pdftotext")
            .arg("-bbox")
            .arg(&path)
            .arg("-")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !run() {
        println!("pdftotext not installed: poppler comparison skipped");
        return;
    }
    bencher.bench(run);
}

/// The wild e-mail corpus beside the repository, if any: (file name, bytes).
static MAILS: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    let dir = root().join("../shared/corpus/eml-wild");
    let mut mails = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "eml") {
                if let Ok(b) = std::fs::read(&p) {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    mails.push((name, b));
                }
            }
        }
    }
    mails
});

/// Every message of the corpus, parsed once per iteration.
#[divan::bench(sample_count = 20)]
fn email_corpus(bencher: Bencher) {
    if MAILS.is_empty() {
        println!("email: no corpus at ../shared/corpus/eml-wild, skipped");
        return;
    }
    let limits = Limits::default();
    bencher.counter(ItemsCount::new(MAILS.len())).bench(|| {
        for (name, b) in MAILS.iter() {
            let _ = parse(b, name, &limits);
        }
    });
}
