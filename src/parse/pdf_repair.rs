//! A second chance for PDFs whose cross-reference table is broken (wrong `startxref` offset,
//! a table that does not parse): the objects are still in the file, so a fresh table is built
//! by scanning for `N G obj` and appended as an incremental update, the way poppler and
//! mupdf reconstruct such files. The original bytes are never changed; the repaired copy only
//! lives for the parse.

/// The bytes of `pdf` with a rebuilt xref section and trailer appended, or `None` when no
/// object or no catalog could be found.
pub fn rebuild_xref(pdf: &[u8]) -> Option<Vec<u8>> {
    let inlined = inline_lengths(pdf);
    let pdf = inlined.as_deref().unwrap_or(pdf);
    let mut offsets: Vec<(u32, u16, usize)> = Vec::new();
    let mut i = 0;
    while i < pdf.len() {
        // An object header starts a line: "12 0 obj".
        let at_line_start = i == 0 || matches!(pdf[i - 1], b'\n' | b'\r');
        if at_line_start && pdf[i].is_ascii_digit() {
            if let Some((num, gen, _len)) = object_header(&pdf[i..]) {
                offsets.push((num, gen, i));
            }
        }
        i += 1;
    }
    if offsets.is_empty() {
        return None;
    }
    let root = trailer_ref(pdf, b"/Root").or_else(|| catalog(pdf, &offsets))?;
    let info = trailer_ref(pdf, b"/Info");
    // The last definition of an object wins (incremental updates append newer ones).
    let max = offsets.iter().map(|o| o.0).max()?;
    if max > 10_000_000 {
        return None;
    }
    let mut table: Vec<Option<(u16, usize)>> = vec![None; max as usize + 1];
    for (n, g, off) in &offsets {
        table[*n as usize] = Some((*g, *off));
    }
    let mut out = pdf.to_vec();
    out.extend_from_slice(b"\n");
    let xref_at = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n", max + 1).as_bytes());
    out.extend_from_slice(b"0000000000 65535 f\r\n");
    for entry in table.iter().skip(1) {
        match entry {
            Some((g, off)) => out.extend_from_slice(format!("{off:010} {g:05} n\r\n").as_bytes()),
            None => out.extend_from_slice(b"0000000000 65535 f\r\n"),
        }
    }
    let mut trailer = format!(
        "trailer\n<< /Size {} /Root {} {} R",
        max + 1,
        root.0,
        root.1
    );
    if let Some((n, g)) = info {
        trailer.push_str(&format!(" /Info {n} {g} R"));
    }
    trailer.push_str(&format!(" >>\nstartxref\n{xref_at}\n%%EOF\n"));
    out.extend_from_slice(trailer.as_bytes());
    Some(out)
}

/// A stream whose `/Length` is a reference to an object printed after it (SAP's RSTXPDF
/// writer does this) reads as empty once the table that located that object is rebuilt. The
/// length is measured up to `endstream` and written in place; `None` when no stream needed it.
fn inline_lengths(pdf: &[u8]) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(pdf.len());
    let mut copied = 0;
    let mut at = 0;
    let mut changed = false;
    while let Some(k) = find(&pdf[at..], b"/Length") {
        let key = at + k;
        at = key + 7;
        let mut p = at;
        let _ = spaces(pdf, &mut p);
        let ref_start = p;
        if reference(&pdf[ref_start..]).is_none() {
            continue;
        }
        // The reference ends at its 'R'.
        let Some(r) = pdf[ref_start..].iter().position(|&c| c == b'R') else {
            continue;
        };
        let ref_end = ref_start + r + 1;
        // The dictionary closes and the stream starts right after.
        let mut q = ref_end;
        let _ = spaces(pdf, &mut q);
        let Some(close) = find(
            pdf.get(q..)?.get(..pdf.len().saturating_sub(q).min(512))?,
            b">>",
        ) else {
            continue;
        };
        let mut d = q + close + 2;
        let _ = spaces(pdf, &mut d);
        if !pdf[d..].starts_with(b"stream") {
            continue;
        }
        let mut data = d + 6;
        if pdf[data..].starts_with(b"\r\n") {
            data += 2;
        } else if pdf[data..].starts_with(b"\n") || pdf[data..].starts_with(b"\r") {
            data += 1;
        } else {
            continue;
        }
        let Some(e) = find(&pdf[data..], b"endstream") else {
            continue;
        };
        let mut end = data + e;
        if pdf[..end].ends_with(b"\r\n") {
            end -= 2;
        } else if pdf[..end].ends_with(b"\n") || pdf[..end].ends_with(b"\r") {
            end -= 1;
        }
        out.extend_from_slice(&pdf[copied..ref_start]);
        out.extend_from_slice(format!("{}", end.saturating_sub(data)).as_bytes());
        copied = ref_end;
        changed = true;
        at = data + e;
    }
    if !changed {
        return None;
    }
    out.extend_from_slice(&pdf[copied..]);
    Some(out)
}

/// "12 0 obj" at the start of `b`: object number, generation, header length.
fn object_header(b: &[u8]) -> Option<(u32, u16, usize)> {
    let mut p = 0;
    let num = digits(b, &mut p)?;
    spaces(b, &mut p)?;
    let gen = digits(b, &mut p)?;
    spaces(b, &mut p)?;
    if !b.get(p..)?.starts_with(b"obj") {
        return None;
    }
    let after = b.get(p + 3).copied();
    if after.is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((u32::try_from(num).ok()?, u16::try_from(gen).ok()?, p + 3))
}

fn digits(b: &[u8], p: &mut usize) -> Option<u64> {
    let start = *p;
    while *p < b.len() && b[*p].is_ascii_digit() && *p - start < 10 {
        *p += 1;
    }
    if *p == start {
        return None;
    }
    std::str::from_utf8(&b[start..*p]).ok()?.parse().ok()
}

fn spaces(b: &[u8], p: &mut usize) -> Option<()> {
    let start = *p;
    while *p < b.len() && matches!(b[*p], b' ' | b'\t' | b'\r' | b'\n') {
        *p += 1;
    }
    (*p > start).then_some(())
}

/// `key N G R` in the last trailer of the file.
fn trailer_ref(pdf: &[u8], key: &[u8]) -> Option<(u32, u16)> {
    let t = rfind(pdf, b"trailer")?;
    let rest = &pdf[t..];
    let k = find(rest, key)?;
    reference(&rest[k + key.len()..])
}

/// The object whose dictionary says `/Type /Catalog`.
fn catalog(pdf: &[u8], offsets: &[(u32, u16, usize)]) -> Option<(u32, u16)> {
    offsets.iter().rev().find_map(|&(n, g, off)| {
        let end = (off + 400).min(pdf.len());
        let head = &pdf[off..end];
        (find(head, b"/Catalog").is_some()).then_some((n, g))
    })
}

fn reference(b: &[u8]) -> Option<(u32, u16)> {
    let mut p = 0;
    let _ = spaces(b, &mut p);
    let n = digits(b, &mut p)?;
    spaces(b, &mut p)?;
    let g = digits(b, &mut p)?;
    spaces(b, &mut p)?;
    (b.get(p) == Some(&b'R')).then_some((u32::try_from(n).ok()?, u16::try_from(g).ok()?))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_length_given_by_a_later_object_is_measured_in_the_rebuild() {
        let body = b"%PDF-1.3\n1 0 obj\n<< /Length 2 0 R >>\nstream\nBT ET\nendstream\nendobj\n2 0 obj\n5\nendobj\n";
        let fixed = inline_lengths(body).expect("one stream to fix");
        let text = String::from_utf8_lossy(&fixed);
        assert!(
            text.contains("<< /Length 5 >>\nstream\nBT ET\nendstream"),
            "{text}"
        );
        // A direct length is left alone.
        assert!(inline_lengths(b"1 0 obj\n<< /Length 5 >>\nstream\nBT ET\nendstream\n").is_none());
        // Truncated input gives no panic.
        assert!(inline_lengths(b"<< /Length 2 0 R >>\nstr").is_none());
    }

    #[test]
    fn a_pdf_with_a_wrong_startxref_is_readable_after_the_rebuild() {
        let body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\nxref\n0 1\n0000000000 65535 f\ntrailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n999\n%%EOF\n";
        assert!(lopdf::Document::load_mem(body).is_err());
        let fixed = rebuild_xref(body).expect("objects found");
        let doc = lopdf::Document::load_mem(&fixed).expect("repaired file loads");
        assert!(doc.get_object((1, 0)).is_ok());
    }

    #[test]
    fn bytes_without_objects_are_not_repaired() {
        assert!(rebuild_xref(b"not a pdf at all").is_none());
    }
}
