//! Emails built here from the PDF fixtures: attachments by type and by name, forwards, HTML
//! tables, and every limit in [`Limits`] ending in a recorded rejection.

mod shared_corpus;

use std::path::Path;

use po_intake::domain::DocKind;
use po_intake::parse::{parse, DocFlag, Limits, ParseError, ParsedInput, PartContent};

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(A[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn attachment(ctype: &str, name: &str, data: &[u8]) -> String {
    format!(
        "Content-Type: {ctype}; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n{}\r\n",
        base64(data)
    )
}

fn multipart(headers: &str, parts: &[String]) -> String {
    multipart_with(headers, parts, "b1")
}

fn multipart_with(headers: &str, parts: &[String], boundary: &str) -> String {
    let mut s = format!(
        "{headers}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    );
    for p in parts {
        s.push_str(&format!("--{boundary}\r\n"));
        s.push_str(p);
    }
    s.push_str(&format!("--{boundary}--\r\n"));
    s
}

const HEADERS: &str = "From: Buyer <buyer@example.com>\r\nTo: orders@example.net\r\n\
    Subject: =?utf-8?Q?Bestellung_f=C3=BCr_M=C3=A4rz?=\r\n\
    Date: Tue, 5 Mar 2024 09:15:00 +0100\r\nMessage-ID: <po-117@example.com>\r\n";

fn parsed_text(input: &ParsedInput, name: &str) -> String {
    match input
        .parts
        .iter()
        .find(|p| p.name == name)
        .map(|p| &p.content)
    {
        Some(PartContent::Parsed { doc }) => doc.text(),
        other => panic!("part {name}: {other:?}; parts {:?}", names(input)),
    }
}

fn names(input: &ParsedInput) -> Vec<&str> {
    input.parts.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn body_and_every_order_attachment_become_parts() {
    let Some(corpus) = shared_corpus::dir() else {
        return;
    };
    let pdf = fixture("tests/data/parse/po_fpdf2.pdf");
    let encrypted = std::fs::read(
        corpus.join("pdf-wild/005-libreoffice-writer-password_libreoffice-writer-password.pdf"),
    )
    .expect("the corpus's password-protected PDF");
    let mail = multipart(
        HEADERS,
        &[
            "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
             Bitte liefern Sie gem=E4=DF Anlage.\r\n 10 x AB-100\r\n"
                .to_string(),
            // A PDF sent as octet-stream, with a path in its name.
            attachment("application/octet-stream", "C:\\\\orders\\\\PO-117.pdf", &pdf),
            attachment("application/pdf", "locked.pdf", &encrypted),
            attachment("text/csv", "items.csv", b"qty,article\r\n10,AB-100\r\n"),
            attachment("image/png", "logo.png", b"\x89PNG\r\n\x1a\nnot really"),
        ],
    );
    let input = parse(mail.as_bytes(), "in.eml", &Limits::default()).expect("parse");
    assert_eq!(input.kind, DocKind::Eml);
    assert_eq!(
        names(&input),
        ["body", "PO-117.pdf", "locked.pdf", "items.csv"]
    );
    let meta = input.email.as_ref().expect("meta");
    assert_eq!(meta.subject.as_deref(), Some("Bestellung für März"));
    assert_eq!(meta.from.as_deref(), Some("Buyer <buyer@example.com>"));
    assert_eq!(meta.date.as_deref(), Some("2024-03-05T09:15:00+01:00"));
    assert_eq!(meta.message_id.as_deref(), Some("<po-117@example.com>"));
    assert_eq!(meta.attachments.len(), 4);
    assert!(meta
        .attachments
        .iter()
        .any(|a| a.name == "logo.png" && a.media_type == "image/png"));

    let body = parsed_text(&input, "body");
    assert!(body.contains("Bitte liefern Sie gemäß Anlage."), "{body}");
    assert!(body.contains("10 x AB-100"), "{body}");
    assert!(parsed_text(&input, "PO-117.pdf").contains("10 AB-100 Hex bolt M8x40 0.42"));
    assert_eq!(input.parts[1].kind, DocKind::Pdf);
    match &input.parts[2].content {
        PartContent::Failed { code, .. } => assert_eq!(code, "encrypted"),
        other => panic!("{other:?}"),
    }
    // CSV cells become columns: the article is a word of its own, right of the quantity.
    let PartContent::Parsed { doc } = &input.parts[3].content else {
        panic!("csv part")
    };
    let words = &doc.pages[0].words;
    let qty = words.iter().find(|w| w.text == "10").expect("10");
    let art = words.iter().find(|w| w.text == "AB-100").expect("AB-100");
    assert_eq!(qty.line, art.line);
    assert!(art.bbox.x0 > qty.bbox.x1);
}

#[test]
fn html_body_keeps_table_rows_and_columns() {
    let mail = format!(
        "{HEADERS}MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <html><body><p>Order:</p><table><tr><td>Qty</td><td>Article</td><td>Price</td></tr>\
         <tr><td>10</td><td>AB-100</td><td>0.42</td></tr>\
         <tr><td>250</td><td>CD-220 washer</td><td>0.05</td></tr></table></body></html>\r\n"
    );
    let input = parse(mail.as_bytes(), "in.eml", &Limits::default()).expect("parse");
    let PartContent::Parsed { doc } = &input.parts[0].content else {
        panic!("body")
    };
    assert_eq!(input.parts[0].name, "body");
    let text = doc.text();
    assert!(text.contains("10 AB-100 0.42\n"), "{text}");
    // Columns line up: each price starts at the same x.
    let xs: Vec<f32> = doc.pages[0]
        .words
        .iter()
        .filter(|w| ["Price", "0.42", "0.05"].contains(&w.text.as_str()))
        .map(|w| w.bbox.x0)
        .collect();
    assert_eq!(xs.len(), 3);
    assert!(xs.iter().all(|x| *x == xs[0]), "{xs:?}");
}

fn forward(inner: &str) -> String {
    multipart(
        HEADERS,
        &[
            "Content-Type: text/plain\r\n\r\nSee below.\r\n".to_string(),
            format!(
                "Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=fwd.eml\r\n\r\n{inner}\r\n"
            ),
        ],
    )
}

#[test]
fn forwarded_messages_recurse_until_the_depth_limit() {
    let pdf = fixture("tests/data/parse/po_reportlab.pdf");
    let inner = multipart_with(
        "From: a@b.c\r\nSubject: PO\r\n",
        &[
            "Content-Type: text/plain\r\n\r\nOriginal order attached.\r\n".to_string(),
            attachment("application/pdf", "po.pdf", &pdf),
        ],
        "inner-boundary",
    );
    let mail = forward(&inner);
    let input = parse(mail.as_bytes(), "fwd.eml", &Limits::default()).expect("parse");
    assert_eq!(names(&input), ["body", "fwd/body", "fwd/po.pdf"]);
    assert!(parsed_text(&input, "fwd/po.pdf").contains("PO-2024-0117"));

    let shallow = Limits {
        max_mime_depth: 0,
        ..Limits::default()
    };
    let input = parse(mail.as_bytes(), "fwd.eml", &shallow).expect("parse");
    assert_eq!(names(&input), ["body", "fwd"]);
    match &input.parts[1].content {
        PartContent::Failed { code, .. } => assert_eq!(code, "limit_exceeded"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn too_many_mime_parts_is_a_rejection() {
    let parts: Vec<String> = (0..10)
        .map(|i| format!("Content-Type: text/plain\r\n\r\npart {i}\r\n"))
        .collect();
    let mail = multipart(HEADERS, &parts);
    let limits = Limits {
        max_mime_parts: 5,
        ..Limits::default()
    };
    let err = parse(mail.as_bytes(), "m.eml", &limits).expect_err("over the limit");
    assert_eq!(err.code(), "limit_exceeded", "{err}");
    assert!(parse(mail.as_bytes(), "m.eml", &Limits::default()).is_ok());
}

#[test]
fn file_size_and_time_limits() {
    let pdf = fixture("tests/data/parse/po_libreoffice.pdf");
    let small = Limits {
        max_file_bytes: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        parse(&pdf, "po.pdf", &small),
        Err(ParseError::TooLarge { .. })
    ));
    let no_time = Limits {
        time_budget_ms: 0,
        ..Limits::default()
    };
    assert!(matches!(
        parse(&pdf, "po.pdf", &no_time),
        Err(ParseError::Timeout(0))
    ));
    assert!(matches!(
        parse(b"", "x.pdf", &Limits::default()),
        Err(ParseError::Empty)
    ));
}

/// A PDF whose content stream inflates to 8 MiB of spaces (a few KB compressed).
fn flate_bomb_pdf() -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..8 {
        z.write_all(&chunk).expect("deflate");
    }
    z.write_all(b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET")
        .expect("deflate");
    let stream = z.finish().expect("deflate");
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let objs: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
           /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_vec(),
        [
            format!(
                "<< /Length {} /Filter /FlateDecode >>\nstream\n",
                stream.len()
            )
            .into_bytes(),
            stream,
            b"\nendstream".to_vec(),
        ]
        .concat(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    for (i, body) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn flate_bomb_is_refused() {
    let pdf = flate_bomb_pdf();
    assert!(pdf.len() < 64 * 1024, "{} bytes", pdf.len());
    let limits = Limits {
        max_stream_bytes: 1 << 20,
        ..Limits::default()
    };
    let err = parse(&pdf, "bomb.pdf", &limits).expect_err("bomb");
    assert_eq!(err.code(), "limit_exceeded", "{err}");
    // Under a generous limit the same file parses: the check is the limit, not the file.
    let input = parse(&pdf, "bomb.pdf", &Limits::default()).expect("parse");
    let PartContent::Parsed { doc } = &input.parts[0].content else {
        panic!("parsed")
    };
    assert_eq!(doc.text(), "bomb\n");
    assert!(!doc.flags.contains(&DocFlag::NoTextLayer));
}

#[test]
fn plain_text_and_html_files() {
    let txt = "PO 4711\n\nQty  Article   Price\n10   AB-100    0.42\n";
    let input = parse(txt.as_bytes(), "po.txt", &Limits::default()).expect("txt");
    let PartContent::Parsed { doc } = &input.parts[0].content else {
        panic!("txt")
    };
    let words = &doc.pages[0].words;
    let price = words.iter().find(|w| w.text == "Price").expect("Price");
    let p42 = words.iter().find(|w| w.text == "0.42").expect("0.42");
    assert_eq!(price.bbox.x0, p42.bbox.x0);
    assert!(p42.line > price.line);
    assert_eq!(words[0].block, 0);
    assert_eq!(price.block, 1);

    let html = "<!DOCTYPE html><html><body><table><tr><td>10</td><td>AB-100</td></tr></table></body></html>";
    let input = parse(html.as_bytes(), "po.html", &Limits::default()).expect("html");
    assert_eq!(input.kind, DocKind::Txt);
    let PartContent::Parsed { doc } = &input.parts[0].content else {
        panic!("html")
    };
    assert_eq!(doc.text(), "10 AB-100\n");
}

/// `levels` multiparts nested in one another, each boundary parameter written `sep` (e.g.
/// `"="` or `" = "`), with a text part at the bottom.
pub fn nested_email(levels: usize, sep: &str) -> Vec<u8> {
    let mut out = String::from("From: a@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
    for i in 0..levels {
        out.push_str(&format!(
            "Content-Type: multipart/mixed; boundary{sep}\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    out.push_str("Content-Type: text/plain\r\n\r\nPO 1\r\n");
    for i in (0..levels).rev() {
        out.push_str(&format!("--b{i}--\r\n"));
    }
    out.into_bytes()
}

/// Issue 22 item 4: `boundary = x` (spaces around `=`) is a boundary to mailparse, so the
/// pre-count must see it: 60,000 levels of it would otherwise overflow the parser's stack.
#[test]
fn a_spaced_boundary_parameter_is_counted() {
    let deep = nested_email(60_000, " = ");
    let err = parse(&deep, "deep.eml", &Limits::default()).expect_err("too deep");
    assert_eq!(err.code(), "limit_exceeded", "{err}");
    // A few levels are fine.
    let input = parse(&nested_email(3, " = "), "ok.eml", &Limits::default()).expect("parse");
    assert!(input.parts.iter().any(|p| p.name == "body"), "{input:?}");
}

/// Recorded emails whose order is written in the message (tests/data/email/).
fn recorded(name: &str) -> ParsedInput {
    let bytes = fixture(&format!("tests/data/email/{name}"));
    parse(&bytes, name, &Limits::default()).expect("parse")
}

#[test]
fn an_outlook_reply_keeps_only_the_newest_message_and_its_html_table() {
    let input = recorded("outlook_reply_de.eml");
    assert_eq!(names(&input), ["body"]);
    let body = parsed_text(&input, "body");
    // The HTML table, not the plain alternative's one cell per line.
    assert!(
        body.contains("FST-M6-20 Sechskantschraube 200 0,12 €"),
        "{body}"
    );
    assert!(body.contains("BRG-6205"), "{body}");
    // The quoted offer under "Von: / Gesendet:" is history.
    for quoted in ["OR-2x20", "WSH-M8", "Angebot 2024-118", "Gesendet"] {
        assert!(!body.contains(quoted), "{quoted} in {body}");
    }
}

#[test]
fn a_forward_with_an_empty_note_is_read_as_the_forwarded_message() {
    let input = recorded("gmail_forward_only_fr.eml");
    assert_eq!(names(&input), ["fwd/body"]);
    let text = parsed_text(&input, "fwd/body");
    assert!(text.starts_with("Bonjour,"), "{text}");
    assert!(text.contains("12 x SPK-14"), "{text}");
    assert!(!text.contains("Message transféré"), "{text}");
}

#[test]
fn a_plain_reply_drops_the_quoted_lines() {
    let input = recorded("plain_reply_free_text_en.eml");
    assert_eq!(names(&input), ["body"]);
    let body = parsed_text(&input, "body");
    assert!(body.contains("10 x AB-100"), "{body}");
    assert!(
        !body.contains("ZZ-900") && !body.contains("wrote:"),
        "{body}"
    );
}

#[test]
fn a_tab_separated_body_table_becomes_aligned_columns() {
    let mail = "From: a@b.example\r\nSubject: Order\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                Hi,\r\nItem\tDescription\tQty\r\nFST-M6-20\tHex bolt M6x20 zinc\t100\r\nAB-1\tWidget\t5\r\n";
    let input = parse(mail.as_bytes(), "tabs.eml", &Limits::default()).expect("parse");
    let text = parsed_text(&input, "body");
    assert!(
        text.contains("FST-M6-20 Hex bolt M6x20 zinc 100") && text.contains("AB-1 Widget 5"),
        "{text}"
    );
    let doc = match &input.parts[0].content {
        PartContent::Parsed { doc } => doc,
        PartContent::Failed { reason, .. } => panic!("{reason}"),
    };
    // "100" and "5" start in the same column.
    let x_of = |t: &str| {
        doc.pages[0]
            .words
            .iter()
            .find(|w| w.text == t)
            .map(|w| w.bbox.x0)
    };
    assert_eq!(x_of("100"), x_of("5"));
}
