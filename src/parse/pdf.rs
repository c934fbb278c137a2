//! PDF -> [`ParsedDocument`]: glyphs from pdf-extract's interpreter, layout by us.
//!
//! pdf-extract walks the content streams (fonts, encodings, ToUnicode CMaps, CID fonts, Form
//! XObjects) and hands every glyph to an [`OutputDev`] with its text rendering matrix. Our
//! [`Collector`] turns each into a [`Glyph`] in page display space (top-left origin, page
//! `/Rotate` applied); [`layout::build_words`] then builds words, lines and blocks.
//!
//! pdf-extract panics on many malformed inputs (`unwrap`, `panic!`, `todo!`), so each page runs
//! under `catch_unwind`, and the whole document runs on a worker thread with a deadline (see
//! [`super::run_with_deadline`]). Before interpretation we also:
//! - refuse encrypted files we cannot open with the empty user password;
//! - measure what every stream decodes to, through its whole filter chain and before lopdf
//!   expands object streams, against a byte cap (decompression bombs), see [`super::pdf_bounds`];
//! - blank the data of image XObjects, which pdf-extract would otherwise try to run as a
//!   content stream (slow, and a source of panics);
//! - follow `Do` chains of Form XObjects to refuse cycles, which would overflow the stack.
//!
//! Known gap: pdf-extract ignores the
//! CTM and `/Matrix` in effect at a Form XObject's `Do`, so text in a transformed form is placed
//! as if the form were drawn untransformed.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use pdf_extract::{
    Dictionary, Document, MediaBox, Object, ObjectId, OutputDev, OutputError, Transform,
};

use super::layout::{build_words, Glyph};
use super::{panic_message, DocFlag, Limits, Page, ParseError, ParsedDocument};

/// Most glyphs kept from one page (a hostile page could draw millions).
const MAX_GLYPHS_PER_PAGE: usize = 200_000;
/// Deepest chain of Form XObjects drawn from one another.
const MAX_FORM_DEPTH: usize = 16;

/// Parse a PDF in a worker thread, within the time budget in `limits`.
pub fn parse_pdf(bytes: &[u8], limits: &Limits) -> Result<ParsedDocument, ParseError> {
    let deadline = Instant::now() + std::time::Duration::from_millis(limits.time_budget_ms);
    parse_pdf_until(bytes, limits, deadline)
}

/// Like [`parse_pdf`] with an absolute deadline (an email shares its budget with its attachments).
pub(crate) fn parse_pdf_until(
    bytes: &[u8],
    limits: &Limits,
    deadline: Instant,
) -> Result<ParsedDocument, ParseError> {
    let owned = bytes.to_vec();
    let limits2 = limits.clone();
    super::run_with_deadline("pdf", deadline, limits.time_budget_ms, move || {
        parse_pdf_inline(&owned, &limits2, deadline)
    })
}

/// Parse a PDF on the calling thread. Panics inside pdf-extract are caught, but a hang is not
/// bounded here: callers outside tests and benchmarks should use [`parse_pdf`].
pub fn parse_pdf_inline(
    bytes: &[u8],
    limits: &Limits,
    deadline: Instant,
) -> Result<ParsedDocument, ParseError> {
    let load = |b: &[u8]| {
        catch_unwind(AssertUnwindSafe(|| {
            super::pdf_bounds::load(b, limits.max_stream_bytes)
        }))
    };
    let mut loaded = load(bytes);
    // A broken cross-reference table: rebuild it from the objects and try once more, under
    // the same stream bounds.
    let encrypted = |e: &pdf_extract::Error| {
        matches!(
            e,
            pdf_extract::Error::Decryption(_)
                | pdf_extract::Error::InvalidPassword
                | pdf_extract::Error::UnsupportedSecurityHandler(_)
        )
    };
    if matches!(&loaded, Ok(Ok(Err(e))) if !encrypted(e)) {
        if let Some(fixed) = super::pdf_repair::rebuild_xref(bytes) {
            let again = load(&fixed);
            if matches!(again, Ok(Ok(Ok(_))) | Ok(Err(_))) {
                loaded = again;
            }
        }
    }
    let mut doc = match loaded {
        Ok(Err(limit)) => return Err(limit),
        Ok(Ok(Ok(doc))) => doc,
        Ok(Ok(Err(
            pdf_extract::Error::Decryption(_)
            | pdf_extract::Error::InvalidPassword
            | pdf_extract::Error::UnsupportedSecurityHandler(_),
        ))) => return Err(ParseError::Encrypted),
        Ok(Ok(Err(e))) => return Err(malformed(e.to_string())),
        Err(p) => return Err(malformed(format!("reader panicked: {}", panic_message(&p)))),
    };
    // lopdf opens files that need only the empty user password by itself; when that fails the
    // /Encrypt entry stays and nothing was decrypted.
    if doc.trailer.get(b"Encrypt").is_ok() && doc.encryption_state.is_none() {
        return Err(ParseError::Encrypted);
    }
    let pages: BTreeMap<u32, ObjectId> = doc.get_pages();
    if pages.is_empty() {
        return Err(malformed("no pages".into()));
    }
    let mut flags = Vec::new();
    let wanted: Vec<(u32, ObjectId)> = pages
        .iter()
        .take(limits.max_pages as usize)
        .map(|(n, id)| (*n, *id))
        .collect();
    if wanted.len() < pages.len() {
        flags.push(DocFlag::Truncated);
    }
    // Look for images and form cycles before the image data is blanked.
    let mut has_image = Vec::with_capacity(wanted.len());
    let mut draw_annotations = Vec::with_capacity(wanted.len());
    for &(n, id) in &wanted {
        has_image.push(page_has_image(&doc, id));
        check_forms(&doc, id).map_err(|d| malformed(format!("page {n}: {d}")))?;
        draw_annotations.push(annotations_drawable(&doc, id));
    }
    blank_images(&mut doc);

    let mut out_pages = Vec::with_capacity(wanted.len());
    let mut failed = 0usize;
    let mut no_text = false;
    for (i, &(n, id)) in wanted.iter().enumerate() {
        if Instant::now() > deadline {
            return Err(ParseError::Timeout(limits.time_budget_ms));
        }
        let geom = PageGeom::of(&doc, id);
        let mut dev = Collector {
            geom,
            glyphs: Vec::new(),
            deadline,
            timed_out: false,
        };
        let run = catch_unwind(AssertUnwindSafe(|| {
            pdf_extract::output_doc_page_with(&doc, &mut dev, n, false)
        }));
        // Annotation appearances (filled-in form fields, notes) after the content, as viewers
        // draw them; a failure there costs the annotations only.
        if run.as_ref().is_ok_and(|r| r.is_ok())
            && draw_annotations.get(i).copied().unwrap_or(false)
        {
            let before = dev.glyphs.len();
            let annots = catch_unwind(AssertUnwindSafe(|| {
                pdf_extract::output_page_annotations(&doc, &mut dev, n)
            }));
            if !matches!(annots, Ok(Ok(()))) {
                tracing::debug!(page = n, "pdf annotations not read");
                dev.glyphs.truncate(before);
            }
        }
        if dev.timed_out {
            return Err(ParseError::Timeout(limits.time_budget_ms));
        }
        let ok = match run {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::debug!(page = n, error = %e, "pdf page failed");
                false
            }
            Err(p) => {
                tracing::debug!(page = n, panic = %panic_message(&p), "pdf page panicked");
                false
            }
        };
        if !ok {
            failed += 1;
        }
        let words = build_words(&dev.glyphs);
        if words.is_empty() && ok && has_image.get(i).copied().unwrap_or(false) {
            no_text = true;
        }
        let (width, height) = geom.display_size();
        out_pages.push(Page {
            number: n,
            width,
            height,
            words,
        });
    }
    if failed == out_pages.len() {
        return Err(malformed(format!(
            "no page could be read ({failed} failed in the interpreter)"
        )));
    }
    if failed > 0 {
        flags.push(DocFlag::UnreadablePages);
    }
    if no_text || out_pages.iter().all(|p| p.words.is_empty()) {
        flags.push(DocFlag::NoTextLayer);
    }
    Ok(ParsedDocument {
        pages: out_pages,
        flags,
        edi: None,
        notes: vec![],
    })
}

fn malformed(detail: String) -> ParseError {
    ParseError::Malformed {
        kind: "pdf",
        detail,
    }
}

/// Where a page's user space lands on the displayed page.
#[derive(Debug, Clone, Copy)]
struct PageGeom {
    llx: f64,
    lly: f64,
    w: f64,
    h: f64,
    /// Clockwise quarter turns from /Rotate.
    quarter_turns: u8,
}

impl PageGeom {
    fn of(doc: &Document, page: ObjectId) -> PageGeom {
        let mb = inherited(doc, page, b"MediaBox")
            .and_then(|o| o.as_array().ok())
            .map(|a| a.iter().filter_map(num).collect::<Vec<f64>>())
            .filter(|v| v.len() == 4)
            .unwrap_or_else(|| vec![0.0, 0.0, 612.0, 792.0]);
        let (x0, y0, x1, y1) = (
            mb.first().copied().unwrap_or(0.0),
            mb.get(1).copied().unwrap_or(0.0),
            mb.get(2).copied().unwrap_or(612.0),
            mb.get(3).copied().unwrap_or(792.0),
        );
        let rotate = inherited(doc, page, b"Rotate")
            .and_then(|o| o.as_i64().ok())
            .unwrap_or(0);
        PageGeom {
            llx: x0.min(x1),
            lly: y0.min(y1),
            w: (x1 - x0).abs(),
            h: (y1 - y0).abs(),
            quarter_turns: (rotate.rem_euclid(360) / 90) as u8,
        }
    }

    fn display_size(&self) -> (f32, f32) {
        if self.quarter_turns % 2 == 1 {
            (self.h as f32, self.w as f32)
        } else {
            (self.w as f32, self.h as f32)
        }
    }

    /// PDF user space (y up) -> displayed page (top-left origin, y down).
    fn map(&self, x: f64, y: f64) -> (f64, f64) {
        let (x, y) = (x - self.llx, y - self.lly);
        match self.quarter_turns {
            1 => (y, x),
            2 => (self.w - x, y),
            3 => (self.h - y, self.w - x),
            _ => (x, self.h - y),
        }
    }
}

fn num(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

/// A page attribute, looked up the page tree (MediaBox, Rotate, Resources are inheritable).
fn inherited<'a>(doc: &'a Document, page: ObjectId, key: &[u8]) -> Option<&'a Object> {
    let mut id = page;
    for _ in 0..32 {
        let dict = doc.get_dictionary(id).ok()?;
        if let Ok(v) = dict.get(key) {
            return doc.dereference(v).ok().map(|(_, o)| o);
        }
        id = dict.get(b"Parent").and_then(Object::as_reference).ok()?;
    }
    None
}

/// Receives glyphs from pdf-extract.
struct Collector {
    geom: PageGeom,
    glyphs: Vec<Glyph>,
    deadline: Instant,
    timed_out: bool,
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _page_num: u32,
        _media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        if self.glyphs.len() >= MAX_GLYPHS_PER_PAGE {
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        if self.glyphs.len() % 4096 == 4095 && Instant::now() > self.deadline {
            self.timed_out = true;
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        if ch.is_empty() || !font_size.is_finite() {
            return Ok(());
        }
        // Trm = Tsm x Tm x CTM, without the font size: the glyph's x axis is (m11, m12) and its
        // y axis (m21, m22), per unit of font size; the origin is (m31, m32).
        let (ox, oy) = (trm.m31, trm.m32);
        let (hx, hy) = (trm.m11 * font_size, trm.m12 * font_size);
        let (vx, vy) = (trm.m21 * font_size, trm.m22 * font_size);
        let size = vx.hypot(vy);
        let advance = width * hx.hypot(hy);
        let (x, y) = self.geom.map(ox, oy);
        let (x2, y2) = self.geom.map(ox + hx, oy + hy);
        let (dx, dy) = (x2 - x, y2 - y);
        let dir = if dx.abs() >= dy.abs() {
            if dx >= 0.0 {
                0
            } else {
                2
            }
        } else if dy >= 0.0 {
            1
        } else {
            3
        };
        tracing::trace!(text = ch, x, y, size, advance, dir, "glyph");
        self.glyphs.push(Glyph {
            text: ch.to_string(),
            x: x as f32,
            y: y as f32,
            advance: advance as f32,
            size: size as f32,
            dir,
        });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

fn is_name(o: Option<&Object>, name: &[u8]) -> bool {
    matches!(o.and_then(|o| o.as_name().ok()), Some(n) if n == name)
}

/// Replace image XObject data by nothing: pdf-extract runs every `Do` target as a content stream.
fn blank_images(doc: &mut Document) {
    for obj in doc.objects.values_mut() {
        if let Object::Stream(s) = obj {
            if is_name(s.dict.get(b"Subtype").ok(), b"Image") {
                s.dict.remove(b"Filter");
                s.dict.remove(b"DecodeParms");
                s.set_content(Vec::new());
            }
        }
    }
}

fn xobjects<'a>(doc: &'a Document, resources: &'a Dictionary) -> Option<&'a Dictionary> {
    let x = resources.get(b"XObject").ok()?;
    doc.dereference(x).ok()?.1.as_dict().ok()
}

fn page_resources(doc: &Document, page: ObjectId) -> Option<&Dictionary> {
    inherited(doc, page, b"Resources").and_then(|o| o.as_dict().ok())
}

/// Does the page draw an image (directly, in a form, or inline)?
fn page_has_image(doc: &Document, page: ObjectId) -> bool {
    fn in_resources(doc: &Document, res: &Dictionary, depth: usize) -> bool {
        if depth > 4 {
            return false;
        }
        let Some(xo) = xobjects(doc, res) else {
            return false;
        };
        xo.iter().any(|(_, v)| {
            let Ok((_, Object::Stream(s))) = doc.dereference(v) else {
                return false;
            };
            let sub = s.dict.get(b"Subtype").ok();
            if is_name(sub, b"Image") {
                return true;
            }
            if is_name(sub, b"Form") {
                let res = s
                    .dict
                    .get(b"Resources")
                    .ok()
                    .and_then(|r| doc.dereference(r).ok())
                    .and_then(|(_, r)| r.as_dict().ok());
                if let Some(res) = res {
                    return in_resources(doc, res, depth + 1);
                }
            }
            false
        })
    }
    if let Some(res) = page_resources(doc, page) {
        if in_resources(doc, res, 0) {
            return true;
        }
    }
    // Inline images: a `BI ... ID` operator pair in the content.
    doc.get_page_content(page)
        .map(|c| has_token(&c, b"BI") && has_token(&c, b"ID"))
        .unwrap_or(false)
}

fn is_delim(b: u8) -> bool {
    b.is_ascii_whitespace() || b"()<>[]{}/%".contains(&b)
}

fn has_token(hay: &[u8], tok: &[u8]) -> bool {
    hay.windows(tok.len()).enumerate().any(|(i, w)| {
        w == tok
            && (i == 0 || hay.get(i - 1).is_some_and(|b| is_delim(*b)))
            && hay.get(i + tok.len()).is_none_or(|b| is_delim(*b))
    })
}

/// Names drawn with `Do` in a content stream (`/Name Do`).
fn do_names(content: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(pos) = content
        .get(i..)
        .and_then(|rest| rest.windows(2).position(|w| w == b"Do"))
    {
        let at = i + pos;
        i = at + 2;
        let before_ok = at > 0 && content.get(at - 1).is_some_and(|b| is_delim(*b));
        let after_ok = content.get(at + 2).is_none_or(|b| is_delim(*b));
        if !(before_ok && after_ok) {
            continue;
        }
        // Walk back over whitespace, then over the name.
        let mut end = at;
        while end > 0
            && content
                .get(end - 1)
                .is_some_and(|b| b.is_ascii_whitespace())
        {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && content.get(start - 1).is_some_and(|b| !is_delim(*b)) {
            start -= 1;
        }
        if start > 0 && content.get(start - 1) == Some(&b'/') {
            if let Some(name) = content.get(start..end) {
                out.push(name);
            }
        }
    }
    out
}

/// Refuse pages whose Form XObjects draw themselves (pdf-extract would recurse until the stack
/// overflows, which no `catch_unwind` can stop) or nest deeper than [`MAX_FORM_DEPTH`].
/// May the page's annotation appearances be drawn? Not when one draws itself through its forms
/// or nests them deeper than [`MAX_FORM_DEPTH`] (the page content is still read).
fn annotations_drawable(doc: &Document, page: ObjectId) -> bool {
    appearance_streams(doc, page)
        .into_iter()
        .all(|(id, stream)| {
            let content = stream
                .decompressed_content()
                .unwrap_or_else(|_| stream.content.clone());
            let empty = Dictionary::new();
            let res = stream
                .dict
                .get(b"Resources")
                .ok()
                .and_then(|r| doc.dereference(r).ok())
                .and_then(|(_, r)| r.as_dict().ok())
                .or_else(|| page_resources(doc, page))
                .unwrap_or(&empty);
            let mut path: Vec<ObjectId> = id.into_iter().collect();
            walk_forms(doc, &content, res, &mut path).is_ok()
        })
}

fn check_forms(doc: &Document, page: ObjectId) -> Result<(), String> {
    let Some(res) = page_resources(doc, page) else {
        return Ok(());
    };
    let has_forms = xobjects(doc, res).is_some_and(|xo| {
        xo.iter().any(|(_, v)| {
            matches!(doc.dereference(v), Ok((_, Object::Stream(s))) if is_name(s.dict.get(b"Subtype").ok(), b"Form"))
        })
    });
    if !has_forms {
        return Ok(());
    }
    let content = doc.get_page_content(page).unwrap_or_default();
    let mut path = Vec::new();
    walk_forms(doc, &content, res, &mut path)
}

/// The normal appearance streams of a page's annotations (with their object ids when they are
/// indirect), every state of a state dictionary included.
fn appearance_streams(
    doc: &Document,
    page: ObjectId,
) -> Vec<(Option<ObjectId>, &pdf_extract::Stream)> {
    let mut out = Vec::new();
    let Some(annots) = doc
        .get_dictionary(page)
        .ok()
        .and_then(|d| d.get(b"Annots").ok())
        .and_then(|a| doc.dereference(a).ok())
        .and_then(|(_, a)| a.as_array().ok())
    else {
        return out;
    };
    fn stream_of<'d>(
        doc: &'d Document,
        o: &'d Object,
    ) -> Option<(Option<ObjectId>, &'d pdf_extract::Stream)> {
        let id = o.as_reference().ok();
        let (_, obj) = doc.dereference(o).ok()?;
        obj.as_stream().ok().map(|s| (id, s))
    }
    for a in annots.iter().take(1000) {
        let Some(normal) = doc
            .dereference(a)
            .ok()
            .and_then(|(_, a)| a.as_dict().ok())
            .and_then(|a| a.get(b"AP").ok())
            .and_then(|ap| doc.dereference(ap).ok())
            .and_then(|(_, ap)| ap.as_dict().ok())
            .and_then(|ap| ap.get(b"N").ok())
        else {
            continue;
        };
        if let Some(s) = stream_of(doc, normal) {
            out.push(s);
        } else if let Ok((_, Object::Dictionary(states))) = doc.dereference(normal) {
            out.extend(states.iter().filter_map(|(_, v)| stream_of(doc, v)));
        }
    }
    out
}

fn walk_forms(
    doc: &Document,
    content: &[u8],
    res: &Dictionary,
    path: &mut Vec<ObjectId>,
) -> Result<(), String> {
    if path.len() > MAX_FORM_DEPTH {
        return Err(format!("Form XObjects nested deeper than {MAX_FORM_DEPTH}"));
    }
    let Some(xo) = xobjects(doc, res) else {
        return Ok(());
    };
    let mut seen: Vec<&[u8]> = Vec::new();
    for name in do_names(content) {
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let Ok(Object::Reference(id)) = xo.get(name) else {
            continue;
        };
        let Ok(Object::Stream(s)) = doc.get_object(*id) else {
            continue;
        };
        if !is_name(s.dict.get(b"Subtype").ok(), b"Form") {
            continue;
        }
        if path.contains(id) {
            return Err("a Form XObject draws itself".into());
        }
        let inner = s
            .decompressed_content()
            .unwrap_or_else(|_| s.content.clone());
        let inner_res = s
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|r| doc.dereference(r).ok())
            .and_then(|(_, r)| r.as_dict().ok())
            .unwrap_or(res);
        path.push(*id);
        walk_forms(doc, &inner, inner_res, path)?;
        path.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::BBox;

    #[test]
    fn finds_do_names() {
        let c = b"q 1 0 0 1 0 0 cm /Fm1 Do Q /X2\nDo BT /F1 12 Tf (Do) Tj ET";
        assert_eq!(do_names(c), vec![&b"Fm1"[..], &b"X2"[..]]);
    }

    #[test]
    fn rotation_maps_corners() {
        let g = PageGeom {
            llx: 0.0,
            lly: 0.0,
            w: 600.0,
            h: 800.0,
            quarter_turns: 1,
        };
        assert_eq!(g.map(0.0, 0.0), (0.0, 0.0));
        assert_eq!(g.map(0.0, 800.0), (800.0, 0.0));
        assert_eq!(g.display_size(), (800.0, 600.0));
    }
    /// A PDF file from its objects (object `i + 1` is `objects[i]`; 1 is the catalog).
    fn pdf_of(objects: &[String]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).bytes());
        }
        let xref = pdf.len();
        pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
        for o in offsets {
            pdf.extend(format!("{o:010} 00000 n \n").bytes());
        }
        pdf.extend(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .bytes(),
        );
        pdf
    }

    fn stream(dict: &str, content: &str) -> String {
        format!(
            "<< {dict} /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        )
    }

    /// A PDF with one CID font whose widths use both forms of `/W`; `content` draws with it.
    fn cid_font_pdf(w: &str, content: &str) -> Vec<u8> {
        let cmap = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
            /CMapName /Test-UCS def /CMapType 2 def\n\
            1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
            3 beginbfchar <0001> <0041> <0002> <0042> <0003> <0043> endbfchar\n\
            endcmap CMapName currentdict /CMap defineresource pop end end";
        pdf_of(&[
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] \
             /Resources << /Font << /F1 4 0 R >> >> /Contents 6 0 R >>"
                .to_string(),
            "<< /Type /Font /Subtype /Type0 /BaseFont /Test /Encoding /Identity-H \
             /DescendantFonts [5 0 R] /ToUnicode 8 0 R >>"
                .to_string(),
            format!(
                "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Test \
                 /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
                 /FontDescriptor 7 0 R /DW 1000 /W {w} >>"
            ),
            stream("", content),
            "<< /Type /FontDescriptor /FontName /Test /Flags 32 /FontBBox [0 -200 1000 800] \
             /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>"
                .to_string(),
            stream("", cmap),
        ])
    }

    /// One 300 x 300 page: `font` is /F1 (object 4), `content` the page content (object 5),
    /// `extra` objects 6, 7, ... (6 is /X1) and `page_extra` more entries of the page dictionary.
    fn simple_pdf(font: &str, content: &str, page_extra: &str, extra: &[String]) -> Vec<u8> {
        let mut objects = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] \
                 /Resources << /Font << /F1 4 0 R >> /XObject << /X1 6 0 R >> >> \
                 /Contents 5 0 R {page_extra} >>"
            ),
            font.to_string(),
            stream("", content),
        ];
        objects.extend(extra.iter().cloned());
        pdf_of(&objects)
    }

    const HELVETICA: &str = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";

    fn words_of(pdf: &[u8]) -> Vec<(String, BBox)> {
        let doc = parse_pdf(pdf, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        doc.pages
            .iter()
            .flat_map(|p| p.words.iter().map(|w| (w.text.clone(), w.bbox)))
            .collect()
    }

    /// A Form XObject is drawn in the CTM at its `Do` times its /Matrix (a producer that scales
    /// the whole page into a form put every word elsewhere before).
    #[test]
    fn forms_are_drawn_where_their_ctm_and_matrix_put_them() {
        let form = stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 400 400] /Matrix [1 0 0 1 10 0] \
             /Resources << /Font << /F1 4 0 R >> >>",
            "BT /F1 10 Tf 100 200 Td (Inside) Tj ET",
        );
        let pdf = simple_pdf(HELVETICA, "q 0.5 0 0 0.5 20 30 cm /X1 Do Q", "", &[form]);
        let words = words_of(&pdf);
        assert_eq!(words.len(), 1, "{words:?}");
        let (text, b) = &words[0];
        assert_eq!(text, "Inside");
        // x = 0.5 * (100 + 10) + 20 = 75; baseline y = 0.5 * 200 + 30 = 130 -> 170 from the top.
        assert!((b.x0 - 75.0).abs() < 0.1, "{b:?}");
        assert!(b.y0 < 170.0 && b.y1 > 170.0 && b.y1 - b.y0 < 6.0, "{b:?}");
    }

    /// `'` and `"` move to the next line and show text; their text was lost before.
    #[test]
    fn quote_operators_show_text() {
        let pdf = simple_pdf(
            HELVETICA,
            "BT /F1 10 Tf 12 TL 20 250 Td (First) Tj (Second) ' 2 0 (Third) \" ET",
            "",
            &[],
        );
        let words = words_of(&pdf);
        let texts: Vec<&str> = words.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(texts, vec!["First", "Second", "Third"]);
        assert!(words[1].1.y0 > words[0].1.y0 + 10.0, "{words:?}");
    }

    /// A simple font whose /Encoding has /Differences and no /BaseEncoding: the ligature glyphs
    /// it names (also in the `f_f_i` and `uniFB02` forms) are letters, and a code it does not
    /// name is read with StandardEncoding, not PDFDocEncoding (whose 0x18-0x1F are spacing
    /// accents: TeX's ligature codes came out as accents, i.e. combining marks after NFKC).
    #[test]
    fn ligature_glyphs_of_simple_fonts_are_letters_never_combining_marks() {
        let font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica \
                    /Encoding << /Type /Encoding /Differences [27 /ff /fi 29 /f_f_i /uniFB02] >> >>";
        let pdf = simple_pdf(
            font,
            "BT /F1 10 Tf 20 250 Td (o\\033\\034\\035\\036e) Tj 0 -20 Td (a\\037b) Tj ET",
            "",
            &[],
        );
        let words = words_of(&pdf);
        let texts: Vec<&str> = words.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(texts[0], "offfiffifle");
        for t in &texts {
            assert!(
                !t.chars().any(|c| ('\u{0300}'..='\u{036F}').contains(&c)),
                "{texts:?}"
            );
        }
    }

    /// The /Differences name the glyph of a code, over the base encoding.
    #[test]
    fn differences_name_the_glyph() {
        let font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica \
                    /Encoding << /BaseEncoding /WinAnsiEncoding /Differences [65 /Adieresis] >> >>";
        let pdf = simple_pdf(font, "BT /F1 10 Tf 20 250 Td (RAUME) Tj ET", "", &[]);
        assert_eq!(words_of(&pdf)[0].0, "R\u{00C4}UME");
    }

    /// Filled-in form fields and notes live in annotation appearances: they are read, mapped
    /// from their /BBox onto their /Rect; hidden annotations and signature fields are not.
    #[test]
    fn annotation_appearances_are_read_unless_hidden_or_a_signature() {
        let ap = |text: &str| {
            stream(
                "/Type /XObject /Subtype /Form /BBox [0 0 100 20] \
                 /Resources << /Font << /F1 4 0 R >> >>",
                &format!("/Tx BMC BT /F1 10 Tf 2 5 Td ({text}) Tj ET EMC"),
            )
        };
        let pdf = simple_pdf(
            HELVETICA,
            "BT /F1 10 Tf 20 250 Td (Buyer:) Tj ET",
            "/Annots [7 0 R 9 0 R 11 0 R]",
            &[
                stream("/Type /XObject /Subtype /Form /BBox [0 0 1 1]", ""),
                "<< /Type /Annot /Subtype /Widget /FT /Tx /Rect [80 240 180 260] \
                 /AP << /N 8 0 R >> >>"
                    .to_string(),
                ap("Alice"),
                "<< /Type /Annot /Subtype /Widget /F 2 /Rect [80 200 180 220] \
                 /AP << /N 10 0 R >> >>"
                    .to_string(),
                ap("Hidden"),
                "<< /Type /Annot /Subtype /Widget /FT /Sig /Rect [80 100 180 120] \
                 /AP << /N 12 0 R >> >>"
                    .to_string(),
                ap("Signed"),
            ],
        );
        let words = words_of(&pdf);
        let texts: Vec<&str> = words.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(texts, vec!["Buyer:", "Alice"], "{words:?}");
        assert!((words[1].1.x0 - 82.0).abs() < 0.1, "{words:?}");
    }

    /// Type3 widths are in glyph space, which /FontMatrix maps to text space: with a matrix of
    /// 0.01, a width of 50 is half an em (read as 50 thousandths it was a twentieth, and the
    /// next glyph looked like a new word). A Type3 font without /Encoding loses no page.
    #[test]
    fn type3_widths_go_through_the_font_matrix() {
        let font = "<< /Type /Font /Subtype /Type3 /FontMatrix [0.01 0 0 0.01 0 0] \
                    /FontBBox [0 0 100 100] /CharProcs << >> /FirstChar 65 /LastChar 67 \
                    /Widths [50 50 50] /Encoding << /Differences [65 /A /B /C] >> >>";
        let pdf = simple_pdf(
            font,
            "BT /F1 10 Tf 100 200 Td (AB) Tj 10.5 0 Td (C) Tj ET",
            "",
            &[],
        );
        let words = words_of(&pdf);
        assert_eq!(words.len(), 1, "{words:?}");
        assert_eq!(words[0].0, "ABC");
        assert!((words[0].1.x1 - 115.5).abs() < 0.1, "{words:?}");
        let bare = "<< /Type /Font /Subtype /Type3 /FontMatrix [0.001 0 0 0.001 0 0] \
                    /FontBBox [0 0 1000 1000] /CharProcs << >> /FirstChar 65 /LastChar 65 \
                    /Widths [500] >>";
        let pdf = simple_pdf(bare, "BT /F1 10 Tf 100 200 Td (AZ) Tj ET", "", &[]);
        assert!(parse_pdf(&pdf, &Limits::default()).is_ok());
    }

    /// An annotation appearance that draws itself through a form is not drawn (it would
    /// recurse without end); the page content still is.
    #[test]
    fn a_self_drawing_annotation_appearance_is_skipped() {
        let pdf = simple_pdf(
            HELVETICA,
            "BT /F1 10 Tf 20 250 Td (Content) Tj ET",
            "/Annots [7 0 R]",
            &[
                stream("/Type /XObject /Subtype /Form /BBox [0 0 1 1]", ""),
                "<< /Type /Annot /Subtype /FreeText /Rect [80 240 180 260] /AP << /N 8 0 R >> >>"
                    .to_string(),
                stream(
                    "/Type /XObject /Subtype /Form /BBox [0 0 100 20] \
                     /Resources << /XObject << /Me 8 0 R >> >>",
                    "/Me Do",
                ),
            ],
        );
        let texts: Vec<String> = words_of(&pdf).into_iter().map(|w| w.0).collect();
        assert_eq!(texts, vec!["Content".to_string()]);
    }

    /// Two table cells 3 pt apart: "ABC" in 10 pt glyphs half an em wide, then "A". The widths
    /// come from the `c_first c_last w` form of `/W`; read as `/DW` (1000) the first cell
    /// would run 15 pt into the second and the two would be one word.
    #[test]
    fn cid_width_ranges_keep_cells_apart() {
        let content = "BT /F1 10 Tf 100 200 Td <000100020003> Tj ET \
                       BT /F1 10 Tf 118 200 Td <0001> Tj ET";
        for w in ["[1 3 500]", "[1 [500] 2 3 500]", "[1 [500 500 500]]"] {
            let doc = parse_pdf(&cid_font_pdf(w, content), &Limits::default())
                .unwrap_or_else(|e| panic!("{w}: {e}"));
            let words: Vec<(&str, f32)> = doc.pages[0]
                .words
                .iter()
                .map(|x| (x.text.as_str(), x.bbox.x1))
                .collect();
            assert_eq!(words.len(), 2, "{w}: {words:?}");
            assert_eq!(words[0].0, "ABC", "{w}");
            assert!((words[0].1 - 115.0).abs() < 0.5, "{w}: {words:?}");
            assert_eq!(words[1].0, "A", "{w}");
        }
    }

    /// A truncated `/W` (a last entry without its widths) is no reason to fail the page: the
    /// entries before it count and the glyphs it leaves out advance by `/DW`.
    #[test]
    fn truncated_cid_widths_fall_back_to_the_default() {
        let pdf = cid_font_pdf("[1 [500] 2]", "BT /F1 10 Tf 100 200 Td <0001> Tj ET");
        let doc = parse_pdf(&pdf, &Limits::default());
        let words: Vec<String> = doc
            .iter()
            .flat_map(|d| {
                d.pages
                    .iter()
                    .flat_map(|p| p.words.iter().map(|w| w.text.clone()))
            })
            .collect();
        assert_eq!(words, vec!["A".to_string()]);
    }
}
