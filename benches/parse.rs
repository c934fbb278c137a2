//! Parsing throughput: `cargo bench --bench parse`.
//!
//! PDF: pages/second and ms per 1-page PO for the committed fixtures (ReportLab, fpdf2,
//! LibreOffice), through the public `parse()` (worker thread + deadline included), compared
//! with `pdftotext -bbox` run in a loop on the same files when poppler is installed (its time
//! includes starting the process, which is how it would be used from here).
//! Email: messages/second over the whole `../shared/corpus/eml-wild` folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use po_intake::parse::{parse, Limits, PartContent};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Run `f` repeatedly for about `for_at_least`; returns (iterations, seconds).
fn time_loop(for_at_least: Duration, mut f: impl FnMut()) -> (u32, f64) {
    f(); // warm up
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < for_at_least {
        f();
        n += 1;
    }
    (n, start.elapsed().as_secs_f64())
}

fn main() {
    let limits = Limits::default();
    let pdftotext = Command::new("pdftotext")
        .arg("-v")
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .is_ok();
    println!(
        "{:<28} {:>6} {:>12} {:>12} {:>16}",
        "pdf", "pages", "ms/doc", "pages/s", "pdftotext ms/doc"
    );
    let mut total_pages = 0u64;
    let mut total_secs = 0f64;
    for name in [
        "po_reportlab.pdf",
        "po_fpdf2.pdf",
        "po_libreoffice.pdf",
        "po_reportlab_2pages.pdf",
    ] {
        let path = root().join("tests/data/parse").join(name);
        let bytes = std::fs::read(&path).expect("fixture");
        let pages = match parse(&bytes, name, &limits).map(|i| i.parts.into_iter().next()) {
            Ok(Some(p)) => match p.content {
                PartContent::Parsed { doc } => doc.pages.len() as u64,
                PartContent::Failed { reason, .. } => panic!("{name}: {reason}"),
            },
            other => panic!("{name}: {other:?}"),
        };
        let (n, secs) = time_loop(Duration::from_secs(2), || {
            let r = parse(&bytes, name, &limits);
            assert!(r.is_ok());
        });
        total_pages += pages * u64::from(n);
        total_secs += secs;
        let ms = secs * 1e3 / f64::from(n);
        let poppler = if pdftotext {
            let (m, s) = time_loop(Duration::from_secs(2), || {
                let ok = Command::new("pdftotext")
                    .arg("-bbox")
                    .arg(&path)
                    .arg("-")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                assert!(ok);
            });
            format!("{:.2}", s * 1e3 / f64::from(m))
        } else {
            "-".into()
        };
        println!(
            "{:<28} {:>6} {:>12.3} {:>12.0} {:>16}",
            name,
            pages,
            ms,
            pages as f64 * f64::from(n) / secs,
            poppler
        );
    }
    println!(
        "PDF overall: {:.0} pages/s",
        total_pages as f64 / total_secs
    );
    if !pdftotext {
        println!("(pdftotext not installed: poppler comparison skipped)");
    }

    let dir = root().join("../shared/corpus/eml-wild");
    let mut mails = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "eml") {
                if let Ok(b) = std::fs::read(&p) {
                    mails.push((
                        p.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        b,
                    ));
                }
            }
        }
    }
    if mails.is_empty() {
        println!("email: corpus not found at {}, skipped", dir.display());
        return;
    }
    let bytes: usize = mails.iter().map(|(_, b)| b.len()).sum();
    let (n, secs) = time_loop(Duration::from_secs(3), || {
        for (name, b) in &mails {
            let _ = parse(b, name, &limits);
        }
    });
    let msgs = (mails.len() as f64) * f64::from(n);
    println!(
        "email: {} messages ({} KiB) x {n}: {:.0} messages/s, {:.3} ms/message",
        mails.len(),
        bytes / 1024,
        msgs / secs,
        secs * 1e3 / msgs
    );
}
