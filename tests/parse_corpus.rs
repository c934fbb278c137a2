//! Every real-world PDF and email in `../shared/corpus` goes through the parser: no panic, no
//! hang, each ends parsed or rejected with a reason. Prints one line per file
//! (`cargo test --test parse_corpus -- --nocapture` to see the table) and checks the files
//! whose outcome we know.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use po_intake::domain::DocKind;
use po_intake::parse::{parse, DocFlag, Limits, ParseError, ParsedInput, PartContent};

mod shared_corpus;

fn corpus() -> PathBuf {
    shared_corpus::dir().unwrap_or_default()
}

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus().join(dir))
        .unwrap_or_else(|e| panic!("corpus folder {dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

type Outcome = Result<ParsedInput, ParseError>;

fn run_all(dir: &str, ext: &str) -> BTreeMap<String, Outcome> {
    let limits = Limits {
        // Generous: the 117-page thesis takes ~7 s in a debug build on a busy machine.
        time_budget_ms: 30_000,
        ..Limits::default()
    };
    let mut out = BTreeMap::new();
    println!("\n{:<70} {:>7}  outcome", format!("{dir}/"), "ms");
    for path in files(dir, ext) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let t = Instant::now();
        let r = parse(&bytes, &name, &limits);
        let took = t.elapsed();
        // The time budget is enforced by the parser: nothing may take much longer.
        assert!(
            took < Duration::from_millis(limits.time_budget_ms + 2_000),
            "{name} took {took:?}"
        );
        println!(
            "{:<70} {:>7.1}  {}",
            name,
            took.as_secs_f64() * 1e3,
            describe(&r)
        );
        out.insert(name, r);
    }
    out
}

fn describe(r: &Outcome) -> String {
    match r {
        Err(e) => format!("REJECTED {}: {e}", e.code()),
        Ok(input) => {
            let parts: Vec<String> = input
                .parts
                .iter()
                .map(|p| match &p.content {
                    PartContent::Parsed { doc } => {
                        let flags = if doc.flags.is_empty() {
                            String::new()
                        } else {
                            format!(" {:?}", doc.flags)
                        };
                        format!(
                            "{}[{:?} {}p {}w{}]",
                            p.name,
                            p.kind,
                            doc.pages.len(),
                            doc.word_count(),
                            flags
                        )
                    }
                    PartContent::Failed { code, .. } => {
                        format!("{}[{:?} FAILED {code}]", p.name, p.kind)
                    }
                })
                .collect();
            let atts = input
                .email
                .as_ref()
                .map(|m| m.attachments.len())
                .unwrap_or(0);
            if input.kind == DocKind::Eml {
                format!(
                    "parsed: {} part(s), {atts} attachment(s) {}",
                    parts.len(),
                    parts.join(" ")
                )
            } else {
                format!("parsed: {}", parts.join(" "))
            }
        }
    }
}

fn doc(r: &Outcome) -> &po_intake::parse::ParsedDocument {
    match r {
        Ok(input) => match input.parts.first().map(|p| &p.content) {
            Some(PartContent::Parsed { doc }) => doc,
            other => panic!("expected a parsed part, got {other:?}"),
        },
        Err(e) => panic!("expected parsed, got {e}"),
    }
}

#[test]
fn pdf_wild_corpus() {
    if shared_corpus::dir().is_none() {
        return;
    }
    let all = run_all("pdf-wild", "pdf");
    assert!(all.len() >= 30, "corpus has {} PDFs", all.len());
    let get = |prefix: &str| -> &Outcome {
        all.iter()
            .find(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no corpus file {prefix}*"))
    };

    // The password-protected one.
    assert!(
        matches!(
            get("005-libreoffice-writer-password"),
            Err(ParseError::Encrypted)
        ),
        "{}",
        describe(get("005-"))
    );
    // Image-only files are flagged, not turned into empty documents.
    for f in [
        "007-imagemagick-images_imagemagick-lzw",
        "007-imagemagick-images_imagemagick-ASCII85Decode",
        "007-imagemagick-images_imagemagick-CCITTFaxDecode",
        "023-cmyk-image",
    ] {
        let d = doc(get(f));
        assert!(
            d.flags.contains(&DocFlag::NoTextLayer),
            "{f}: {:?}",
            d.flags
        );
        assert_eq!(d.word_count(), 0, "{f}");
    }
    // Six pages of images, four with a one-word caption: flagged for the two without text.
    let d = doc(get("007-imagemagick-images_imagemagick-images"));
    assert!(d.flags.contains(&DocFlag::NoTextLayer), "{:?}", d.flags);
    assert_eq!(d.pages.iter().filter(|p| p.words.is_empty()).count(), 2);
    // An image-only file with a broken xref table: never an unflagged empty document.
    match get("019-grayscale-image") {
        Ok(_) => assert!(doc(get("019-grayscale-image"))
            .flags
            .contains(&DocFlag::NoTextLayer)),
        Err(e) => assert_eq!(e.code(), "malformed"),
    }
    // Known text PDFs give their words (as `pdftotext` reads them), in reading order.
    let text = doc(get("002-trivial-libre-office-writer")).text();
    assert!(
        text.starts_with(
            "Lorem ipsum dolor sit amet, consetetur sadipscing elitr, sed diam nonumy"
        ),
        "{text}"
    );
    let d = doc(get("004-pdflatex-4-pages"));
    assert_eq!(d.pages.len(), 4);
    assert!(
        d.text()
            .starts_with("Hello, here is some text without a meaning."),
        "{}",
        d.text()
    );
    let text = doc(get("011-google-doc-document")).text();
    assert!(
        text.contains(
            "Example document\nBeautiful is better than ugly.\nExplicit is better than implicit."
        ),
        "{text}"
    );
    let text = doc(get("022-pdfkit")).text();
    assert!(text.contains("Foo: bar"), "{text}");
    assert!(doc(get("015-arabic_habibi.pdf")).text().contains("habibi"));

    // No text PDF is reported without text, and every outcome is parsed or a coded rejection.
    for (name, r) in &all {
        match r {
            Ok(input) => assert_eq!(input.parts.len(), 1, "{name}"),
            Err(e) => assert!(
                matches!(
                    e.code(),
                    "encrypted" | "malformed" | "limit_exceeded" | "timeout"
                ),
                "{name}: {e}"
            ),
        }
    }
}

#[test]
fn eml_wild_corpus() {
    if shared_corpus::dir().is_none() {
        return;
    }
    let all = run_all("eml-wild", "eml");
    assert!(all.len() >= 100, "corpus has {} emails", all.len());
    let get = |name: &str| -> &ParsedInput {
        match all.get(name) {
            Some(Ok(i)) => i,
            Some(Err(e)) => panic!("{name}: {e}"),
            None => panic!("no corpus file {name}"),
        }
    };
    // The emails with PDF attachments: each PDF is found and becomes a Pdf part.
    for f in [
        "attachment_emails_attachment_pdf.eml",
        "attachment_emails_attachment_pdf_lf.eml",
        "attachment_emails_attachment_pdf_non_ascii.eml",
        "attachment_emails_attachment_pdf_non_ascii_lf.eml",
    ] {
        let input = get(f);
        let pdfs: Vec<_> = input
            .parts
            .iter()
            .filter(|p| p.kind == DocKind::Pdf)
            .collect();
        assert_eq!(pdfs.len(), 1, "{f}: {}", describe(&Ok(input.clone())));
        let meta = input.email.as_ref().expect("email meta");
        assert!(
            meta.attachments.iter().any(|a| a.name.ends_with(".pdf")),
            "{f}"
        );
    }
    // Forwarded message: its parts come through with a fwd/ prefix.
    let fwd = get("attachment_emails_attachment_message_rfc822.eml");
    assert!(
        fwd.parts.iter().any(|p| p.name.starts_with("fwd/")),
        "{}",
        describe(&Ok(fwd.clone()))
    );
    // Headers.
    let basic = get("plain_emails_basic_email.eml");
    let meta = basic.email.as_ref().expect("meta");
    assert!(meta.from.is_some() && meta.subject.is_some() && meta.message_id.is_some());
    assert!(
        meta.date.as_deref().is_some_and(|d| d.contains('T')),
        "{:?}",
        meta.date
    );
    assert_eq!(basic.parts.first().map(|p| p.name.as_str()), Some("body"));

    for (name, r) in &all {
        match r {
            Ok(input) => {
                assert_eq!(input.kind, DocKind::Eml, "{name}");
                for p in &input.parts {
                    assert!(!p.name.contains('\\') && !p.name.chars().any(char::is_control));
                }
            }
            Err(e) => assert!(
                matches!(
                    e.code(),
                    "malformed" | "limit_exceeded" | "empty" | "unsupported"
                ),
                "{name}: {e}"
            ),
        }
    }
}
