//! Bounding what a PDF's streams decompress to, before anything decompresses them.
//!
//! lopdf inflates some streams while it loads a file: cross-reference streams (while reading
//! the trailer) and object streams (`/Type /ObjStm`, while reading objects). Its Flate decoder
//! falls back to raw deflate when the zlib header is broken, and it runs filter chains such
//! as `[/ASCII85Decode /FlateDecode]`. A cap that only looks at streams whose first filter is
//! Flate, after loading, is too late and too narrow. So there are three measurements, each a
//! decode of the whole filter chain into a counter that stops at the cap:
//!
//! 1. [`prescan`]: before lopdf sees the file, every `stream ... endstream` in the raw bytes,
//!    with the filters named in its dictionary. This is what bounds cross-reference streams.
//! 2. [`load`]: lopdf's per-object load hook measures every stream object exactly as parsed,
//!    before an object stream is expanded; one over the cap is emptied and the load refused.
//! 3. Encrypted files skip lopdf's hook, so [`load`] refuses an encrypted file whose object
//!    streams could inflate past the cap by deflate's largest ratio (1032:1), and measures the
//!    decrypted streams after loading.
//!
//! Image XObjects are not measured: nothing inflates them (see `pdf::blank_images`).

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{Read, Write};

use pdf_extract::{Document, Object, ObjectId, Stream};

use super::ParseError;

/// Deflate's largest expansion: one 258-byte match per 2 bits, about 1032 output bytes per
/// input byte.
const DEFLATE_MAX_RATIO: u64 = 1032;

/// Load `bytes` with lopdf, refusing the file when one stream, or all of them together, would
/// decompress to more than `cap` bytes.
pub(super) fn load(
    bytes: &[u8],
    cap: u64,
) -> Result<Result<Document, pdf_extract::Error>, ParseError> {
    prescan(bytes, cap)?;
    METER.with(|m| {
        *m.borrow_mut() = Some(Meter {
            cap,
            total: 0,
            over: None,
        })
    });
    let options = lopdf::LoadOptions {
        filter: Some(measure_on_load),
        ..Default::default()
    };
    let loaded = Document::load_mem_with_options(bytes, options);
    let meter = METER.with(|m| m.borrow_mut().take());
    if let Some(over) = meter.and_then(|m| m.over) {
        return Err(ParseError::LimitExceeded(over));
    }
    if let Ok(doc) = &loaded {
        if doc.encryption_state.is_some() {
            let mut total = 0u64;
            for (id, obj) in &doc.objects {
                if let Object::Stream(s) = obj {
                    if !skipped(s) {
                        total = total.saturating_add(decoded_len(&s.content, &filters(s), cap));
                        if total > cap {
                            return Err(over_cap(Some(*id), cap));
                        }
                    }
                }
            }
        }
    }
    Ok(loaded)
}

/// What lopdf's load hook has counted on this thread (the hook is a plain `fn`).
struct Meter {
    cap: u64,
    total: u64,
    over: Option<String>,
}

thread_local! {
    static METER: RefCell<Option<Meter>> = const { RefCell::new(None) };
}

fn over_cap(id: Option<ObjectId>, cap: u64) -> ParseError {
    ParseError::LimitExceeded(match id {
        Some((n, g)) => format!("PDF stream {n} {g} inflates past the {cap}-byte limit"),
        None => format!("the PDF's streams inflate past the {cap}-byte limit"),
    })
}

/// Images are never inflated (blanked before interpretation), unless lopdf would expand them
/// as an object stream.
fn skipped(s: &Stream) -> bool {
    let image = matches!(
        s.dict.get(b"Subtype").and_then(Object::as_name),
        Ok(b"Image")
    );
    image && !s.dict.has_type(b"ObjStm")
}

fn filters(s: &Stream) -> Vec<Vec<u8>> {
    s.filters()
        .map(|f| f.into_iter().map(<[u8]>::to_vec).collect())
        .unwrap_or_default()
}

/// lopdf's load hook: measure each stream before lopdf can expand it.
fn measure_on_load(id: ObjectId, obj: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(s) = obj {
        METER.with(|m| {
            let mut m = m.borrow_mut();
            let Some(m) = m.as_mut() else { return };
            if m.over.is_none() && !skipped(s) {
                let n = decoded_len(&s.content, &filters(s), m.cap);
                m.total = m.total.saturating_add(n);
                if n > m.cap || m.total > m.cap {
                    m.over = Some(match over_cap(Some(id), m.cap) {
                        ParseError::LimitExceeded(s) => s,
                        other => other.to_string(),
                    });
                }
            }
            if m.over.is_some() {
                // Nothing past the cap is ever expanded: the load is refused anyway.
                s.set_plain_content(Vec::new());
            }
        });
    }
    // lopdf keeps `obj` itself for top-level objects and the returned copy for objects inside
    // an object stream, which are never streams: copy only what is small.
    match obj {
        Object::Stream(_) => Some((id, Object::Null)),
        other => Some((id, other.clone())),
    }
}

/// Measure every `stream ... endstream` in the raw file (both the extent `/Length` gives and
/// the one up to the next `endstream`), decoding the filters its dictionary names.
pub(super) fn prescan(bytes: &[u8], cap: u64) -> Result<(), ParseError> {
    let encrypted = find(bytes, b"/Encrypt", 0).is_some();
    let mut total = 0u64;
    let mut at = 0;
    // Linear in the file however many `stream` markers it holds: the last `obj` and the next
    // `endstream` are remembered, and the dictionary text read is budgeted.
    let mut last_obj: Option<usize> = None;
    let mut obj_scanned = 0;
    let mut next_end: Option<usize> = None;
    let mut dict_budget = bytes.len().saturating_mul(4).saturating_add(1 << 20);
    while let Some(kw) = find(bytes, b"stream", at) {
        at = kw + 6;
        // Not "endstream", and followed by an end of line.
        if kw >= 3 && bytes.get(kw - 3..kw) == Some(b"end") {
            continue;
        }
        let start = match (bytes.get(at), bytes.get(at + 1)) {
            (Some(b'\r'), Some(b'\n')) => at + 2,
            (Some(b'\n' | b'\r'), _) => at + 1,
            _ => continue,
        };
        if let Some(p) = rfind(bytes.get(obj_scanned..kw).unwrap_or_default(), b"obj") {
            last_obj = Some(obj_scanned + p + 3);
        }
        obj_scanned = kw;
        let from = last_obj.unwrap_or(0).max(kw.saturating_sub(DICT_WINDOW));
        let dict = bytes.get(from..kw).unwrap_or_default();
        dict_budget = dict_budget.checked_sub(dict.len()).ok_or_else(|| {
            ParseError::LimitExceeded("the PDF holds too many stream markers".into())
        })?;
        let info = DictInfo::read(dict);
        if info.image && !info.objstm {
            continue;
        }
        if next_end.is_none_or(|e| e < start) {
            next_end = Some(find(bytes, b"endstream", start).unwrap_or(bytes.len()));
        }
        let by_marker = next_end.unwrap_or(bytes.len());
        let by_length = info
            .length
            .and_then(|n| start.checked_add(n))
            .filter(|end| *end <= bytes.len());
        // Measure the second extent only when it differs by more than an end of line.
        let by_length = by_length.filter(|e| e.abs_diff(by_marker) > 2);
        let mut n = 0;
        for end in [Some(by_marker), by_length].into_iter().flatten() {
            let Some(content) = bytes.get(start..end) else {
                continue;
            };
            if encrypted && info.objstm {
                // Ciphertext cannot be measured; bound it by what it could become.
                n = n.max((content.len() as u64).saturating_mul(DEFLATE_MAX_RATIO));
                if !info.filters.iter().all(|f| is_flate(f)) {
                    n = cap.saturating_add(1);
                }
            } else {
                n = n.max(decoded_len(content, &info.filters, cap));
            }
        }
        total = total.saturating_add(n);
        if n > cap || total > cap {
            return Err(over_cap(None, cap));
        }
    }
    Ok(())
}

/// How far before a `stream` marker its dictionary is looked for.
const DICT_WINDOW: usize = 64 * 1024;

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// What the prescan needs from a stream dictionary, read from its raw text.
#[derive(Debug, Default, PartialEq)]
struct DictInfo {
    filters: Vec<Vec<u8>>,
    length: Option<usize>,
    image: bool,
    objstm: bool,
}

impl DictInfo {
    /// Names are compared after `#xx` escapes are decoded, so `/Fl#61teDecode` is Flate.
    fn read(dict: &[u8]) -> DictInfo {
        let tokens = tokenize(dict);
        let mut info = DictInfo::default();
        let mut i = 0;
        while let Some(t) = tokens.get(i) {
            i += 1;
            let next = tokens.get(i);
            match t.as_slice() {
                b"/Filter" => match next.map(Vec::as_slice) {
                    Some(b"[") => {
                        i += 1;
                        while let Some(f) = tokens.get(i).filter(|f| f.as_slice() != b"]") {
                            if let Some(name) = f.strip_prefix(b"/") {
                                info.filters.push(name.to_vec());
                            }
                            i += 1;
                        }
                    }
                    Some(n) if n.starts_with(b"/") => {
                        info.filters.push(n.get(1..).unwrap_or_default().to_vec());
                    }
                    _ => {}
                },
                b"/Length" => {
                    let direct = tokens.get(i + 2).is_none_or(|r| r.as_slice() != b"R");
                    if direct {
                        info.length = next
                            .and_then(|n| std::str::from_utf8(n).ok())
                            .and_then(|n| n.parse().ok());
                    }
                }
                b"/Image" => info.image = true,
                b"/ObjStm" => info.objstm = true,
                _ => {}
            }
        }
        info
    }
}

/// Split dictionary text into names (escapes decoded), brackets and other words.
fn tokenize(text: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut i = 0;
    let flush = |cur: &mut Vec<u8>, out: &mut Vec<Vec<u8>>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    while let Some(&b) = text.get(i) {
        i += 1;
        match b {
            b'/' => {
                flush(&mut cur, &mut out);
                cur.push(b'/');
            }
            b'#' if cur.first() == Some(&b'/') => {
                let hex = text.get(i..i + 2).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        cur.push(v);
                        i += 2;
                    }
                    None => cur.push(b),
                }
            }
            b'[' | b']' | b'<' | b'>' | b'(' | b')' => {
                flush(&mut cur, &mut out);
                out.push(vec![b]);
            }
            _ if b.is_ascii_whitespace() || b == b'%' => flush(&mut cur, &mut out),
            _ => cur.push(b),
        }
    }
    flush(&mut cur, &mut out);
    out
}

fn is_flate(f: &[u8]) -> bool {
    matches!(f, b"FlateDecode" | b"Fl")
}

/// How many bytes `data` decodes to through `filters` (in order), counting at most `cap + 1`
/// at every stage. Filters lopdf does not decode end the chain, as they end lopdf's.
pub(super) fn decoded_len(data: &[u8], filters: &[Vec<u8>], cap: u64) -> u64 {
    let mut cur: Cow<'_, [u8]> = Cow::Borrowed(data);
    for (i, f) in filters.iter().enumerate() {
        let last = i + 1 == filters.len();
        let next = match f.as_slice() {
            b"FlateDecode" | b"Fl" => inflate(&cur, cap, last),
            b"LZWDecode" | b"LZW" => lzw(&cur, cap, last),
            b"ASCII85Decode" | b"A85" => Capped::from_vec(ascii85(&cur), cap),
            _ => break,
        };
        if next.len > cap || last {
            return next.len;
        }
        cur = Cow::Owned(next.bytes);
    }
    cur.len() as u64
}

/// Decoded output: its length, and (for an inner stage of a chain) the bytes.
struct Capped {
    len: u64,
    bytes: Vec<u8>,
}

impl Capped {
    fn from_vec(mut bytes: Vec<u8>, cap: u64) -> Capped {
        let len = bytes.len() as u64;
        bytes.truncate(usize::try_from(cap.saturating_add(1)).unwrap_or(usize::MAX));
        Capped { len, bytes }
    }
}

/// A writer that keeps (if asked) and counts up to `cap + 1` bytes, then refuses more.
struct CapWriter {
    keep: bool,
    cap: u64,
    len: u64,
    bytes: Vec<u8>,
}

impl Write for CapWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.cap.saturating_add(1).saturating_sub(self.len);
        if room == 0 {
            return Err(std::io::Error::other("over the cap"));
        }
        let n = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        if self.keep {
            self.bytes
                .extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn cap_writer(cap: u64, keep: bool) -> CapWriter {
    CapWriter {
        keep,
        cap,
        len: 0,
        bytes: Vec::new(),
    }
}

/// lopdf's Flate: zlib, and when that fails before producing anything, raw deflate after the
/// two header bytes.
fn inflate(data: &[u8], cap: u64, last: bool) -> Capped {
    let run = |r: &mut dyn Read| {
        let mut w = cap_writer(cap, !last);
        let _ = std::io::copy(&mut r.take(cap.saturating_add(1)), &mut w);
        w
    };
    let mut z = flate2::read::ZlibDecoder::new(data);
    let mut w = run(&mut z);
    if w.len == 0 && data.len() > 2 {
        let mut raw = flate2::read::DeflateDecoder::new(data.get(2..).unwrap_or_default());
        w = run(&mut raw);
    }
    Capped {
        len: w.len,
        bytes: w.bytes,
    }
}

/// LZW as lopdf runs it (early change, the PDF default), and without early change; the larger.
fn lzw(data: &[u8], cap: u64, last: bool) -> Capped {
    use weezl::{decode::Decoder, BitOrder};
    let mut best = cap_writer(cap, !last);
    for early in [true, false] {
        let mut dec = if early {
            Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
        } else {
            Decoder::new(BitOrder::Msb, 8)
        };
        let mut w = cap_writer(cap, !last);
        let _ = dec.into_stream(&mut w).decode_all(data);
        if w.len > best.len {
            best = w;
        }
    }
    Capped {
        len: best.len,
        bytes: best.bytes,
    }
}

/// ASCII85 as lopdf decodes it (`z` is four zero bytes; stops at the first invalid byte).
fn ascii85(data: &[u8]) -> Vec<u8> {
    let data = data.strip_suffix(b"~>").unwrap_or(data);
    let mut out = Vec::with_capacity(data.len());
    let (mut acc, mut count) = (0u32, 0usize);
    for &c in data {
        match c {
            b'z' if count == 0 => out.extend_from_slice(&[0; 4]),
            _ if c.is_ascii_whitespace() => {}
            b'!'..=b'u' => {
                acc = acc.wrapping_mul(85).wrapping_add(u32::from(c - b'!'));
                count += 1;
                if count == 5 {
                    out.extend_from_slice(&acc.to_be_bytes());
                    (acc, count) = (0, 0);
                }
            }
            _ => break,
        }
    }
    if count > 1 {
        for _ in count..5 {
            acc = acc.wrapping_mul(85).wrapping_add(84);
        }
        out.extend_from_slice(acc.to_be_bytes().get(..count - 1).unwrap_or_default());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).expect("write");
        e.finish().expect("finish")
    }

    #[test]
    fn every_chain_is_measured_up_to_the_cap() {
        let big = vec![b'A'; 1_000_000];
        let z = zlib(&big);
        let flate = vec![b"FlateDecode".to_vec()];
        assert_eq!(decoded_len(&z, &flate, 10_000_000), 1_000_000);
        assert_eq!(decoded_len(&z, &flate, 1000), 1001);
        // A broken zlib header: lopdf inflates the raw deflate data after it.
        let mut bad = z.clone();
        bad[0] = 0;
        bad[1] = 0;
        assert_eq!(decoded_len(&bad, &flate, 1000), 1001);
        // ASCII85 ("z" is four zero bytes) around Flate: tests/parse_bombs.rs.
        assert_eq!(ascii85(b"87cURD]i,\"Ebo80~>"), b"Hello World!");
        assert_eq!(ascii85(b"zz~>"), [0u8; 8]);
    }

    /// Millions of `stream` markers without an `endstream` or an `obj`: the scan stays
    /// linear (it used to look back 64 KiB and forward to the end for every marker).
    #[test]
    fn many_stream_markers_are_scanned_in_linear_time() {
        let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\n".to_vec();
        pdf.extend(b"stream\n".repeat(1_000_000));
        let started = std::time::Instant::now();
        let r = prescan(&pdf, 1 << 20);
        // Generous: a few hundred ms in a debug build; the quadratic scan took minutes.
        assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
        assert!(r.is_ok() || matches!(r, Err(ParseError::LimitExceeded(_))));
    }

    #[test]
    fn dictionaries_are_read_with_escapes_and_arrays() {
        let d = DictInfo::read(b" << /Length 12 /Filter [/A85 /Fl#61teDecode] /Type /ObjStm >>");
        assert_eq!(d.filters, vec![b"A85".to_vec(), b"FlateDecode".to_vec()]);
        assert_eq!(d.length, Some(12));
        assert!(d.objstm && !d.image);
        let d = DictInfo::read(b"<</Length 5 0 R/Filter/FlateDecode/Subtype/Image>>");
        assert_eq!(d.filters, vec![b"FlateDecode".to_vec()]);
        assert_eq!(d.length, None);
        assert!(d.image);
    }
}
