//! Decompression bombs made here (issue 22, item 1): a Flate stream whose zlib header is
//! broken (lopdf inflates it as raw deflate), an `[/ASCII85Decode /FlateDecode]` chain, an
//! object stream (expanded by lopdf while loading) and a cross-reference stream (expanded
//! while reading the trailer). Each must be refused against `max_stream_bytes`, and each
//! parses under a limit above its size, so the test pins the limit, not a broken file.

use std::io::Write;

use po_intake::parse::{parse, Limits, PartContent};

/// 8 MiB of spaces, then a text object: `compressed` as zlib.
fn payload() -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..8 {
        z.write_all(&chunk).expect("deflate");
    }
    z.write_all(b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET")
        .expect("deflate");
    z.finish().expect("deflate")
}

fn ascii85(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, chunk) in data.chunks(4).enumerate() {
        if i % 16 == 15 {
            out.push(b'\n');
        }
        let mut b = [0u8; 4];
        b[..chunk.len()].copy_from_slice(chunk);
        let mut v = u32::from_be_bytes(b);
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = (v % 85) as u8 + b'!';
            v /= 85;
        }
        out.extend_from_slice(&digits[..chunk.len() + 1]);
    }
    out.extend_from_slice(b"~>");
    out
}

fn stream_obj(dict: &str, data: &[u8]) -> Vec<u8> {
    [
        format!("<< /Length {} {dict} >>\nstream\n", data.len()).into_bytes(),
        data.to_vec(),
        b"\nendstream".to_vec(),
    ]
    .concat()
}

/// A one-page PDF with `objs` as objects 1.. (1 catalog, 2 pages, 3 page, 4 contents,
/// 5 font by convention) and a classic xref table.
fn pdf(objs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
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

fn page_objs(contents: Vec<u8>) -> Vec<Vec<u8>> {
    vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
           /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_vec(),
        contents,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ]
}

/// The content stream's zlib header is zeroed: zlib fails at once, lopdf retries as raw
/// deflate and gets all 8 MiB.
fn broken_header_bomb() -> Vec<u8> {
    let mut data = payload();
    data[0] = 0;
    data[1] = 0;
    pdf(&page_objs(stream_obj("/Filter /FlateDecode", &data)))
}

fn ascii85_flate_bomb() -> Vec<u8> {
    let data = ascii85(&payload());
    pdf(&page_objs(stream_obj(
        "/Filter [/ASCII85Decode /FlateDecode]",
        &data,
    )))
}

/// Object 5 (the font) lives in object stream 6, padded with 8 MiB of spaces; the xref is a
/// cross-reference stream (object 7) so lopdf finds object 5 in the object stream.
fn object_stream_bomb() -> Vec<u8> {
    let font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
    let index = b"5 0 ";
    let mut body = index.to_vec();
    body.extend_from_slice(font);
    body.extend(std::iter::repeat_n(b' ', 8 << 20));
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&body).expect("deflate");
    let data = z.finish().expect("deflate");
    let content = b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET";
    let objs: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
           /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_vec(),
        stream_obj("", content),
    ];
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let objstm_at = out.len();
    out.extend_from_slice(b"6 0 obj\n");
    out.extend_from_slice(&stream_obj(
        &format!(
            "/Type /ObjStm /N 1 /First {} /Filter /FlateDecode",
            index.len()
        ),
        &data,
    ));
    out.extend_from_slice(b"\nendobj\n");
    let xref_at = out.len();
    // Cross-reference stream rows: type (1 byte), field 2 (4 bytes), field 3 (2 bytes).
    let mut rows = vec![0u8, 0, 0, 0, 0, 0xff, 0xff];
    for off in &offsets {
        rows.push(1);
        rows.extend_from_slice(&(*off as u32).to_be_bytes());
        rows.extend_from_slice(&[0, 0]);
    }
    rows.extend_from_slice(&[2, 0, 0, 0, 6, 0, 0]); // 5: in object stream 6, index 0
    rows.push(1);
    rows.extend_from_slice(&(objstm_at as u32).to_be_bytes());
    rows.extend_from_slice(&[0, 0]);
    rows.push(1);
    rows.extend_from_slice(&(xref_at as u32).to_be_bytes());
    rows.extend_from_slice(&[0, 0]);
    out.extend_from_slice(b"7 0 obj\n");
    out.extend_from_slice(&stream_obj(
        "/Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R",
        &rows,
    ));
    out.extend_from_slice(format!("\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

/// The cross-reference stream itself is the bomb: its rows are followed by 8 MiB of zeros.
fn xref_stream_bomb() -> Vec<u8> {
    let good = object_stream_bomb();
    // Rebuild with a compressed, padded xref stream: reuse the offsets of `good` by parsing
    // its uncompressed rows back out.
    let at = good
        .windows(8)
        .rposition(|w| w == b"7 0 obj\n")
        .expect("xref object");
    let start = at
        + good[at..]
            .windows(7)
            .position(|w| w == b"stream\n")
            .expect("stream")
        + 7;
    let rows = good[start..start + 8 * 7].to_vec();
    let mut padded = rows;
    padded.extend(std::iter::repeat_n(0u8, 8 << 20));
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&padded).expect("deflate");
    let data = z.finish().expect("deflate");
    let mut out = good[..at].to_vec();
    out.extend_from_slice(b"7 0 obj\n");
    out.extend_from_slice(&stream_obj(
        "/Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode",
        &data,
    ));
    out.extend_from_slice(format!("\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
    out
}

fn limits(max_stream_bytes: u64) -> Limits {
    Limits {
        max_stream_bytes,
        ..Limits::default()
    }
}

fn text_of(bytes: &[u8]) -> String {
    let input = parse(bytes, "bomb.pdf", &limits(64 << 20)).expect("parses under a high limit");
    match &input.parts[0].content {
        PartContent::Parsed { doc } => doc.text(),
        other => panic!("{other:?}"),
    }
}

fn assert_refused(name: &str, bytes: &[u8]) {
    assert!(bytes.len() < 200 * 1024, "{name}: {} bytes", bytes.len());
    let err = parse(bytes, "bomb.pdf", &limits(1 << 20)).expect_err(name);
    assert_eq!(err.code(), "limit_exceeded", "{name}: {err}");
}

#[test]
fn a_flate_stream_with_a_broken_zlib_header_is_measured() {
    let pdf = broken_header_bomb();
    assert_refused("broken header", &pdf);
    assert_eq!(text_of(&pdf), "bomb\n");
}

#[test]
fn an_ascii85_flate_chain_is_measured() {
    let pdf = ascii85_flate_bomb();
    assert_refused("ascii85 + flate", &pdf);
    assert_eq!(text_of(&pdf), "bomb\n");
}

#[test]
fn an_object_stream_is_measured_before_lopdf_expands_it() {
    let pdf = object_stream_bomb();
    assert_refused("object stream", &pdf);
    assert_eq!(text_of(&pdf), "bomb\n");
}

#[test]
fn a_cross_reference_stream_is_measured_before_lopdf_reads_it() {
    let pdf = xref_stream_bomb();
    assert_refused("xref stream", &pdf);
    assert_eq!(text_of(&pdf), "bomb\n");
}
