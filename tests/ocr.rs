//! OCR (issue 20 item 3) with the real Tesseract and pdftoppm that `scripts/setup` installs:
//! an image-only PDF, a fax TIFF and a PNG give the order their text-layer original gives;
//! OCR'd values are less sure; a missing Tesseract and the time limit are reasons, not losses.
//! The images are made by `tests/data/ocr/make_scans.py` from `fixtures/inbox/PO_price_off.pdf`.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use po_intake::domain::DocKind;
use po_intake::parse::{self, DocFlag, Limits, PartContent};
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ocr")
        .join(name)
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_po-intake"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn extract(path: &Path) -> Value {
    let out = bin()
        .arg("extract")
        .arg(path)
        .output()
        .expect("run extract");
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("extraction json")
}

#[test]
fn scans_faxes_and_photos_give_the_order_of_the_original() {
    for (name, kind) in [
        ("scan-po.pdf", "pdf"),
        ("fax-po.tif", "image"),
        ("photo-po.png", "image"),
    ] {
        let v = extract(&data(name));
        assert_eq!(v["kind"], kind, "{name}");
        let orders = v["orders"].as_array().expect("orders");
        assert_eq!(orders.len(), 1, "{name}: {v}");
        let o = &orders[0];
        assert_eq!(o["po_number"], "ORD51009", "{name}");
        assert_eq!(o["order_date"], "2025-07-26", "{name}");
        assert_eq!(o["total"], 1259.6, "{name}");
        let lines = o["lines"].as_array().expect("lines");
        assert_eq!(lines.len(), 3, "{name}: {lines:?}");
        let skus: Vec<&str> = lines.iter().filter_map(|l| l["sku"].as_str()).collect();
        assert_eq!(
            skus,
            vec!["BRG-UCF205", "FST-M16X40-A2", "FST-M4X50-A4"],
            "{name}"
        );
        assert_eq!(lines[0]["unit_price"], 39.59, "{name}");
        // Read from pixels: no value is as sure as from a text layer.
        for l in lines {
            for (field, c) in l["confidence"].as_object().expect("confidence") {
                let c = c.as_f64().unwrap_or(1.0);
                assert!(c <= 0.85 + 1e-6, "{name}: {field} {c}");
            }
        }
    }
}

#[test]
fn an_image_only_pdf_page_becomes_words_with_boxes() {
    let bytes = std::fs::read(data("scan-po.pdf")).expect("fixture");
    let input = parse::parse(&bytes, "scan.pdf", &Limits::default()).expect("parse");
    assert_eq!(input.kind, DocKind::Pdf);
    let Some(PartContent::Parsed { doc }) = input.parts.first().map(|p| &p.content) else {
        panic!("not parsed");
    };
    assert!(doc.flags.contains(&DocFlag::Ocr), "{:?}", doc.flags);
    assert!(
        !doc.flags.contains(&DocFlag::NoTextLayer),
        "{:?}",
        doc.flags
    );
    let page = &doc.pages[0];
    // Page units stay the PDF's points; the words sit inside the page.
    assert!((page.width - 612.0).abs() < 2.0, "{}", page.width);
    assert!(page.words.len() > 60, "{}", page.words.len());
    assert!(page.words.iter().all(|w| w.bbox.x0 >= 0.0
        && w.bbox.x1 <= page.width + 1.0
        && w.bbox.y1 <= page.height + 1.0));
    assert!(doc.text().contains("ORD51009"), "{}", doc.text());
}

#[test]
fn the_time_limit_per_page_stops_ocr_with_a_reason() {
    let bytes = std::fs::read(data("scan-po.pdf")).expect("fixture");
    let limits = Limits {
        ocr_page_ms: 1,
        ..Limits::default()
    };
    let input = parse::parse(&bytes, "scan.pdf", &limits).expect("parse");
    let Some(PartContent::Parsed { doc }) = input.parts.first().map(|p| &p.content) else {
        panic!("not parsed");
    };
    assert!(doc.flags.contains(&DocFlag::NoTextLayer));
    assert!(
        doc.notes.iter().any(|n| n.contains("1 ms OCR limit")),
        "{:?}",
        doc.notes
    );
}

/// A PATH with python3 (to find ONNX Runtime) and pdftoppm, but no tesseract.
fn path_without_tesseract(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    // The interpreter itself, not a shim that needs the rest of PATH.
    let real = |args: &[&str]| {
        let out = Command::new(args[0])
            .args(&args[1..])
            .output()
            .expect(args[0]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let python = real(&["python3", "-c", "import sys; print(sys.executable)"]);
    let pdftoppm = real(&["sh", "-c", "command -v pdftoppm"]);
    for (tool, p) in [("python3", python), ("pdftoppm", pdftoppm)] {
        assert!(!p.is_empty(), "{tool} is not installed");
        symlink(&p, bin.join(tool)).expect("symlink");
    }
    bin
}

#[test]
fn without_tesseract_a_scan_is_kept_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inbox = dir.path().join("in");
    std::fs::create_dir_all(&inbox).expect("inbox");
    std::fs::copy(data("scan-po.pdf"), inbox.join("scan-po.pdf")).expect("copy");
    std::fs::copy(data("fax-po.tif"), inbox.join("fax-po.tif")).expect("copy");
    let path = path_without_tesseract(dir.path());
    let out = bin()
        .env("PATH", &path)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["--json", "ingest"])
        .arg(&inbox)
        .output()
        .expect("run ingest");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(
        lines.len(),
        2,
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for v in &lines {
        assert_eq!(v["status"], "failed", "{v}");
        let reason = v["reason"].as_str().unwrap_or("");
        assert!(reason.starts_with("no_text_layer:"), "{reason}");
        assert!(reason.contains("tesseract is not installed"), "{reason}");
        // Stored: the document has an id and its original is in failed/.
        assert!(v["document_id"].as_i64().is_some(), "{v}");
    }
    assert!(inbox.join("failed/scan-po.pdf").is_file());
    assert!(inbox.join("failed/fax-po.tif").is_file());
}

#[test]
fn a_fax_mailed_as_a_tiff_attachment_is_read() {
    let tif = std::fs::read(data("fax-po.tif")).expect("fixture");
    let b64 = base64(&tif);
    let eml = format!(
        "From: fax@fax-gateway.example\r\nTo: orders@example.com\r\nSubject: Fax from +49 30 1234\r\n\
Message-ID: <fax1@fax-gateway.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"f\"\r\n\r\n\
--f\r\nContent-Type: text/plain\r\n\r\nYou have received a fax (1 page).\r\n--f\r\n\
Content-Type: image/tiff; name=\"fax.tif\"\r\nContent-Disposition: attachment; filename=\"fax.tif\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--f--\r\n"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fax.eml");
    std::fs::write(&path, eml).expect("write");
    let v = extract(&path);
    let orders = v["orders"].as_array().expect("orders");
    assert_eq!(orders.len(), 1, "{v}");
    assert_eq!(orders[0]["po_number"], "ORD51009");
    assert_eq!(orders[0]["part"], "fax.tif");
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, c) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let n = (u32::from(c[0]) << 16)
            | (u32::from(c.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(c.get(2).copied().unwrap_or(0));
        for k in 0..4 {
            out.push(if k <= c.len() {
                char::from(T[((n >> (18 - 6 * k)) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}
