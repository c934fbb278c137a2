"""Producers: turn an abstract document (a list of blocks) into real files.

A document is a dict:
    {"page": {"size": "A4"|"Letter", "landscape": bool, "font": "sans"|"serif"|"mono",
              "size_pt": 9, "header": "text repeated on every page" | None, "footer": bool},
     "blocks": [block, ...]}
Blocks:
    {"t": "title", "text": str, "size": 16, "align": "L"|"C"|"R"}
    {"t": "text", "lines": [str], "size": 9, "bold": False, "align": "L"}
    {"t": "cols", "cols": [{"head": str|None, "lines": [str]}], "box": bool}
    {"t": "kv", "rows": [(k, v)], "align": "L"|"R", "box": bool}
    {"t": "table", "head": [str], "rows": [[str] | {"span": str, "start": int}], "widths": [rel],
     "align": ["L"|"R"|"C"], "grid": "full"|"h"|"none", "size": 8, "wrapcode": [col idx]}
    {"t": "totals", "rows": [(label, value)], "bold_last": True}
    {"t": "rule"}   {"t": "space", "h": 6}   {"t": "pagebreak"}
Producers: reportlab, fpdf2, docx (for soffice), html (for soffice or e-mail), text.
"""

import html as _html
import os
import subprocess
import tempfile

DEJAVU = "/usr/share/fonts/truetype/dejavu/"
LIBERATION = "/usr/share/fonts/truetype/liberation2/"

# --------------------------------------------------------------------------- ReportLab

_RL_FONTS = {}


def _rl_fonts(kind):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    if kind == "mono":
        return "Courier", "Courier-Bold"
    if kind == "serif":
        return "Times-Roman", "Times-Bold"
    if kind == "dejavu":
        if "DV" not in _RL_FONTS:
            pdfmetrics.registerFont(TTFont("DV", DEJAVU + "DejaVuSans.ttf"))
            pdfmetrics.registerFont(TTFont("DV-B", DEJAVU + "DejaVuSans-Bold.ttf"))
            _RL_FONTS["DV"] = 1
        return "DV", "DV-B"
    if kind == "liberation":
        if "LS" not in _RL_FONTS:
            pdfmetrics.registerFont(TTFont("LS", LIBERATION + "LiberationSans-Regular.ttf"))
            pdfmetrics.registerFont(TTFont("LS-B", LIBERATION + "LiberationSans-Bold.ttf"))
            _RL_FONTS["LS"] = 1
        return "LS", "LS-B"
    return "Helvetica", "Helvetica-Bold"


def render_reportlab(doc, path):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, letter, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle)
    from reportlab.platypus.flowables import HRFlowable

    pg = doc["page"]
    size = letter if pg.get("size") == "Letter" else A4
    if pg.get("landscape"):
        size = landscape(size)
    reg, bold = _rl_fonts(pg.get("font", "sans"))
    base = pg.get("size_pt", 9)
    margin = 15 * mm
    avail = size[0] - 2 * margin

    def ps(sz=None, b=False, align="L", wrap=False):
        sz = sz or base
        return ParagraphStyle("x", fontName=bold if b else reg, fontSize=sz, leading=sz * 1.22,
                              alignment={"L": 0, "C": 1, "R": 2}[align], wordWrap="CJK" if wrap else None)

    def para(text, **kw):
        return Paragraph(_html.escape(text).replace("\n", "<br/>"), ps(**kw))

    story = []
    for b in doc["blocks"]:
        t = b["t"]
        if t == "title":
            story.append(para(b["text"], sz=b.get("size", 16), b=True, align=b.get("align", "L")))
            story.append(Spacer(1, 4))
        elif t == "text":
            story.append(para("\n".join(b["lines"]), sz=b.get("size"), b=b.get("bold", False), align=b.get("align", "L")))
            story.append(Spacer(1, 3))
        elif t == "cols":
            cells = []
            for c in b["cols"]:
                items = []
                if c.get("head"):
                    items.append(para(c["head"], b=True))
                items.append(para("\n".join(c["lines"])))
                cells.append(items)
            tb = Table([cells], colWidths=[avail / len(cells)] * len(cells))
            st = [("VALIGN", (0, 0), (-1, -1), "TOP")]
            if b.get("box"):
                st += [("BOX", (i, 0), (i, 0), 0.6, colors.black) for i in range(len(cells))]
            tb.setStyle(TableStyle(st))
            story += [tb, Spacer(1, 6)]
        elif t in ("kv", "totals"):
            rows = [[para(k, b=(t == "kv")), para(v, align="R" if t == "totals" else "L")] for k, v in b["rows"]]
            if t == "totals" and b.get("bold_last", True) and rows:
                k, v = b["rows"][-1]
                rows[-1] = [para(k, b=True), para(v, b=True, align="R")]
            w = [avail * 0.22, avail * 0.22]
            tb = Table(rows, colWidths=w, hAlign="RIGHT" if (b.get("align") == "R" or t == "totals") else "LEFT")
            st = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]
            if b.get("box"):
                st += [("GRID", (0, 0), (-1, -1), 0.5, colors.black)]
            if t == "totals":
                st += [("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)]
            tb.setStyle(TableStyle(st))
            story += [tb, Spacer(1, 6)]
        elif t == "table":
            sz = b.get("size", base)
            n = len(b["head"])
            widths = b.get("widths") or [1] * n
            tot = sum(widths)
            cw = [avail * w / tot for w in widths]
            aligns = b.get("align") or ["L"] * n
            wrapc = set(b.get("wrapcode", []))
            data = [[para(h, sz=sz, b=True, align=aligns[i]) for i, h in enumerate(b["head"])]]
            spans = []
            for r in b["rows"]:
                if isinstance(r, dict):
                    row = [""] * n
                    s = r.get("start", 0)
                    row[s] = para(r["span"], sz=sz - 0.5, b=r.get("bold", False), align=r.get("align", "L"))
                    spans.append((s, len(data)))
                    data.append(row)
                else:
                    data.append([para(c, sz=sz, align=aligns[i], wrap=i in wrapc) for i, c in enumerate(r)])
            tb = Table(data, colWidths=cw, repeatRows=1)
            st = [("VALIGN", (0, 0), (-1, -1), b.get("valign", "TOP")), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                  ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5), ("LEFTPADDING", (0, 0), (-1, -1), 2),
                  ("RIGHTPADDING", (0, 0), (-1, -1), 2)]
            g = b.get("grid", "full")
            if g == "full":
                st.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
                st.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dddddd")))
            elif g == "h":
                st.append(("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black))
                st.append(("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.black))
            for s, ri in spans:
                st.append(("SPAN", (s, ri), (-1, ri)))
            tb.setStyle(TableStyle(st))
            story += [tb, Spacer(1, 6)]
        elif t == "rule":
            story.append(HRFlowable(width="100%", thickness=0.6, color=colors.black, spaceBefore=2, spaceAfter=4))
        elif t == "space":
            story.append(Spacer(1, b.get("h", 6)))
        elif t == "pagebreak":
            story.append(PageBreak())

    def on_page(canv, d):
        canv.saveState()
        canv.setFont(reg, 7.5)
        if pg.get("header"):
            canv.drawString(margin, size[1] - 10 * mm, pg["header"])
        if pg.get("footer", True):
            canv.drawRightString(size[0] - margin, 8 * mm, f"Page {d.page}")
        canv.restoreState()

    d = SimpleDocTemplate(path, pagesize=size, leftMargin=margin, rightMargin=margin, topMargin=16 * mm,
                          bottomMargin=15 * mm, title=doc.get("title", ""), author=doc.get("author", ""),
                          invariant=1)
    d.build(story, onFirstPage=on_page, onLaterPages=on_page)


# --------------------------------------------------------------------------- fpdf2

def render_fpdf2(doc, path):
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pg = doc["page"]
    fk = pg.get("font", "sans")

    class P(FPDF):
        def header(self):
            if pg.get("header"):
                self.set_font(fam, "", 7.5)
                self.cell(0, 4, pg["header"], new_x="LMARGIN", new_y="NEXT")
                self.ln(2)

        def footer(self):
            if pg.get("footer", True):
                self.set_y(-12)
                self.set_font(fam, "", 7.5)
                self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = P(orientation="L" if pg.get("landscape") else "P", unit="mm",
            format="Letter" if pg.get("size") == "Letter" else "A4")
    pdf.set_creation_date(__import__("datetime").datetime(2025, 1, 1, tzinfo=__import__("datetime").timezone.utc))
    if fk == "mono":
        pdf.add_font("F", "", DEJAVU + "DejaVuSansMono.ttf")
        pdf.add_font("F", "B", DEJAVU + "DejaVuSansMono-Bold.ttf")
    elif fk == "serif":
        pdf.add_font("F", "", DEJAVU + "DejaVuSerif.ttf")
        pdf.add_font("F", "B", DEJAVU + "DejaVuSerif-Bold.ttf")
    elif fk == "liberation":
        pdf.add_font("F", "", LIBERATION + "LiberationSans-Regular.ttf")
        pdf.add_font("F", "B", LIBERATION + "LiberationSans-Bold.ttf")
    else:
        pdf.add_font("F", "", DEJAVU + "DejaVuSansCondensed.ttf")
        pdf.add_font("F", "B", DEJAVU + "DejaVuSansCondensed-Bold.ttf")
    fam = "F"
    base = pg.get("size_pt", 9)
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(14, 12, 14)
    pdf.add_page()
    epw = pdf.epw
    lh = lambda sz: sz * 0.45

    for b in doc["blocks"]:
        t = b["t"]
        if t == "title":
            sz = b.get("size", 16)
            pdf.set_font(fam, "B", sz)
            pdf.multi_cell(0, lh(sz) + 1, b["text"], align=b.get("align", "L"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif t == "text":
            sz = b.get("size") or base
            pdf.set_font(fam, "B" if b.get("bold") else "", sz)
            pdf.multi_cell(0, lh(sz), "\n".join(b["lines"]), align=b.get("align", "L"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        elif t == "cols":
            n = len(b["cols"])
            pdf.set_font(fam, "", base)
            with pdf.table(col_widths=[1] * n, borders_layout="ALL" if b.get("box") else "NONE", first_row_as_headings=False,
                           line_height=lh(base), v_align="TOP") as tb:
                row = tb.row()
                for c in b["cols"]:
                    txt = "\n".join(([c["head"]] if c.get("head") else []) + c["lines"])
                    row.cell(txt)
            pdf.ln(3)
        elif t in ("kv", "totals"):
            pdf.set_font(fam, "", base)
            right = b.get("align") == "R" or t == "totals"
            with pdf.table(width=epw * 0.45, col_widths=(1, 1), align="RIGHT" if right else "LEFT",
                           borders_layout="ALL" if b.get("box") else "NONE", first_row_as_headings=False,
                           text_align=("LEFT", "RIGHT" if t == "totals" else "LEFT"), line_height=lh(base) + 0.6) as tb:
                for i, (k, v) in enumerate(b["rows"]):
                    row = tb.row()
                    last = t == "totals" and i == len(b["rows"]) - 1 and b.get("bold_last", True)
                    st = FontFace(emphasis="BOLD") if (last or t == "kv") else None
                    row.cell(k, style=st)
                    row.cell(v, style=FontFace(emphasis="BOLD") if last else None)
            pdf.ln(3)
        elif t == "table":
            sz = b.get("size", base)
            n = len(b["head"])
            pdf.set_font(fam, "", sz)
            aligns = [{"L": "LEFT", "R": "RIGHT", "C": "CENTER"}[a] for a in (b.get("align") or ["L"] * n)]
            g = b.get("grid", "full")
            layout = {"full": "ALL", "h": "HORIZONTAL_LINES", "none": "SINGLE_TOP_LINE"}[g]
            hstyle = FontFace(emphasis="BOLD", fill_color=(225, 225, 225) if g == "full" else None)
            with pdf.table(col_widths=b.get("widths") or [1] * n, text_align=aligns, borders_layout=layout,
                           headings_style=hstyle, line_height=lh(sz) + 0.4, repeat_headings=1, v_align=b.get("valign", "TOP"),
                           padding=0.8) as tb:
                hr = tb.row()
                for h in b["head"]:
                    hr.cell(h)
                for r in b["rows"]:
                    row = tb.row()
                    if isinstance(r, dict):
                        s = r.get("start", 0)
                        for _ in range(s):
                            row.cell("")
                        row.cell(r["span"], colspan=n - s, style=FontFace(emphasis="BOLD") if r.get("bold") else None,
                                 align=r.get("align", "L").replace("L", "LEFT").replace("R", "RIGHT"))
                    else:
                        for c in r:
                            row.cell(c)
            pdf.ln(3)
        elif t == "rule":
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + epw, pdf.get_y())
            pdf.ln(2)
        elif t == "space":
            pdf.ln(b.get("h", 6) / 2.8)
        elif t == "pagebreak":
            pdf.add_page()
    pdf.output(path)


# --------------------------------------------------------------------------- DOCX (for LibreOffice)

def render_docx(doc, path):
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_ALIGN_VERTICAL
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    pg = doc["page"]
    d = docx.Document()
    sec = d.sections[0]
    if pg.get("size") == "Letter":
        sec.page_width, sec.page_height = Mm(215.9), Mm(279.4)
    else:
        sec.page_width, sec.page_height = Mm(210), Mm(297)
    if pg.get("landscape"):
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
    for m in ("left_margin", "right_margin"):
        setattr(sec, m, Mm(15))
    sec.top_margin, sec.bottom_margin = Mm(15), Mm(15)
    fontname = {"mono": "Liberation Mono", "serif": "Liberation Serif", "dejavu": "DejaVu Sans"}.get(pg.get("font"), "Liberation Sans")
    base = pg.get("size_pt", 9)
    st = d.styles["Normal"]
    st.font.name = fontname
    st.font.size = Pt(base)
    st.paragraph_format.space_after = Pt(1)
    st.paragraph_format.space_before = Pt(0)
    AL = {"L": WD_ALIGN_PARAGRAPH.LEFT, "R": WD_ALIGN_PARAGRAPH.RIGHT, "C": WD_ALIGN_PARAGRAPH.CENTER}
    if pg.get("header"):
        sec.header.paragraphs[0].text = pg["header"]
        sec.header.paragraphs[0].runs[0].font.size = Pt(7.5)
    if pg.get("footer", True):
        p = sec.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        r = p.add_run("Page ")
        r.font.size = Pt(7.5)
        r2 = p.add_run()
        for kind, txt in (("begin", None), (None, "PAGE"), ("end", None)):
            if kind:
                e = OxmlElement("w:fldChar")
                e.set(qn("w:fldCharType"), kind)
            else:
                e = OxmlElement("w:instrText")
                e.set(qn("xml:space"), "preserve")
                e.text = txt
            r2._r.append(e)

    def add_par(text, sz=None, bold=False, align="L", cell=None):
        lines = text.split("\n")
        p = cell.paragraphs[0] if cell is not None and not cell.paragraphs[0].text else (cell.add_paragraph() if cell is not None else d.add_paragraph())
        p.alignment = AL[align]
        p.paragraph_format.space_after = Pt(0)
        for i, ln in enumerate(lines):
            r = p.add_run(ln)
            r.bold = bold
            if sz:
                r.font.size = Pt(sz)
            if i < len(lines) - 1:
                r.add_break(WD_BREAK.LINE)
        return p

    def borders(table, kind):
        tbl = table._tbl
        tblPr = tbl.tblPr
        b = OxmlElement("w:tblBorders")
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
            e = OxmlElement(f"w:{edge}")
            on = kind == "full" or (kind == "h" and edge in ("top", "bottom", "insideH"))
            e.set(qn("w:val"), "single" if on else "nil")
            if on:
                e.set(qn("w:sz"), "4")
                e.set(qn("w:color"), "000000")
            b.append(e)
        tblPr.append(b)

    avail = sec.page_width - sec.left_margin - sec.right_margin
    for b in doc["blocks"]:
        t = b["t"]
        if t == "title":
            add_par(b["text"], sz=b.get("size", 16), bold=True, align=b.get("align", "L"))
        elif t == "text":
            add_par("\n".join(b["lines"]), sz=b.get("size"), bold=b.get("bold", False), align=b.get("align", "L"))
        elif t == "cols":
            tb = d.add_table(rows=1, cols=len(b["cols"]))
            borders(tb, "full" if b.get("box") else "none")
            for i, c in enumerate(b["cols"]):
                cell = tb.rows[0].cells[i]
                if c.get("head"):
                    add_par(c["head"], bold=True, cell=cell)
                add_par("\n".join(c["lines"]), cell=cell)
            d.add_paragraph()
        elif t in ("kv", "totals"):
            tb = d.add_table(rows=0, cols=2)
            borders(tb, "full" if b.get("box") else "none")
            from docx.enum.table import WD_TABLE_ALIGNMENT
            if b.get("align") == "R" or t == "totals":
                tb.alignment = WD_TABLE_ALIGNMENT.RIGHT
            for i, (k, v) in enumerate(b["rows"]):
                cells = tb.add_row().cells
                last = t == "totals" and i == len(b["rows"]) - 1
                add_par(k, bold=(t == "kv" or last), cell=cells[0])
                add_par(v, bold=last, align="R" if t == "totals" else "L", cell=cells[1])
            for row in tb.rows:
                row.cells[0].width = int(avail * 0.22)
                row.cells[1].width = int(avail * 0.2)
            d.add_paragraph()
        elif t == "table":
            n = len(b["head"])
            sz = b.get("size", base)
            aligns = b.get("align") or ["L"] * n
            widths = [max(w, 1.0) for w in (b.get("widths") or [1] * n)]
            tot = sum(widths)
            tb = d.add_table(rows=1, cols=n)
            tb.autofit = False
            borders(tb, b.get("grid", "full"))
            hdr = tb.rows[0]
            trPr = hdr._tr.get_or_add_trPr()
            e = OxmlElement("w:tblHeader")
            e.set(qn("w:val"), "true")
            trPr.append(e)
            for i, h in enumerate(b["head"]):
                add_par(h, sz=sz, bold=True, align=aligns[i], cell=hdr.cells[i])
            for r in b["rows"]:
                cells = tb.add_row().cells
                if isinstance(r, dict):
                    s = r.get("start", 0)
                    m = cells[s].merge(cells[n - 1])
                    add_par(r["span"], sz=sz - 0.5, bold=r.get("bold", False), align=r.get("align", "L"), cell=m)
                else:
                    for i, c in enumerate(r):
                        add_par(c, sz=sz, align=aligns[i], cell=cells[i])
                        if b.get("valign") == "MIDDLE":
                            cells[i].vertical_alignment = WD_ALIGN_VERTICAL.CENTER
            for i, col in enumerate(tb.columns):
                col.width = int(avail * widths[i] / tot)
            for row in tb.rows:
                for i, cell in enumerate(row.cells):
                    cell.width = int(avail * widths[i] / tot)
            d.add_paragraph()
        elif t == "rule":
            add_par("_" * 90, sz=6)
        elif t == "space":
            d.add_paragraph()
        elif t == "pagebreak":
            d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    d.core_properties.author = doc.get("author", "")
    d.save(path)


# --------------------------------------------------------------------------- HTML

def render_html(doc, email=False):
    pg = doc["page"]
    font = {"mono": "monospace", "serif": "Georgia, serif"}.get(pg.get("font"), "Arial, Helvetica, sans-serif")
    E = _html.escape
    out = [f"<html><head><meta charset=\"utf-8\"><title>{E(doc.get('title', ''))}</title>",
           "<style>body{font-family:%s;font-size:%spt} td,th{vertical-align:top;padding:2px 5px}"
           " table.g{border-collapse:collapse} table.g td, table.g th{border:1px solid #444}"
           " table.h{border-collapse:collapse} table.h th{border-bottom:1px solid #000}"
           " .r{text-align:right} .c{text-align:center}%s</style></head><body>" % (font, pg.get("size_pt", 10), pg.get("css", ""))]
    br = lambda s: "<br>".join(E(x) for x in s.split("\n"))
    cls = {"L": "", "R": " class=\"r\"", "C": " class=\"c\""}
    for b in doc["blocks"]:
        t = b["t"]
        if t == "title":
            out.append(f"<h2{cls[b.get('align', 'L')]}>{E(b['text'])}</h2>")
        elif t == "text":
            inner = br("\n".join(b["lines"]))
            out.append(f"<p{cls[b.get('align', 'L')]}>{'<b>' + inner + '</b>' if b.get('bold') else inner}</p>")
        elif t == "cols":
            out.append("<table%s width=\"100%%\"><tr>" % (" class=\"g\"" if b.get("box") else ""))
            for c in b["cols"]:
                h = f"<b>{E(c['head'])}</b><br>" if c.get("head") else ""
                out.append(f"<td>{h}{br(chr(10).join(c['lines']))}</td>")
            out.append("</tr></table><br>")
        elif t in ("kv", "totals"):
            al = " align=\"right\"" if (b.get("align") == "R" or t == "totals") else ""
            out.append(f"<table{al}{' class=g' if b.get('box') else ''}>")
            for i, (k, v) in enumerate(b["rows"]):
                last = t == "totals" and i == len(b["rows"]) - 1
                kk = f"<b>{E(k)}</b>" if (t == "kv" or last) else E(k)
                vv = f"<b>{E(v)}</b>" if last else E(v)
                out.append(f"<tr><td>{kk}</td><td{cls['R'] if t == 'totals' else ''}>{vv}</td></tr>")
            out.append("</table><br clear=\"all\">")
        elif t == "table":
            n = len(b["head"])
            aligns = b.get("align") or ["L"] * n
            g = b.get("grid", "full")
            va = " style=\"vertical-align:middle\"" if b.get("valign") == "MIDDLE" else ""
            out.append("<table class=\"%s\" width=\"100%%\">" % {"full": "g", "h": "h", "none": ""}[g])
            ws = b.get("widths") or [1] * n
            out.append("".join(f"<col width=\"{100 * w / sum(ws):.0f}%\">" for w in ws) + "<thead><tr>")
            out += [f"<th{cls[aligns[i]]}>{br(h)}</th>" for i, h in enumerate(b["head"])]
            out.append("</tr></thead><tbody>")
            for r in b["rows"]:
                if isinstance(r, dict):
                    s = r.get("start", 0)
                    pre = "<td></td>" * s
                    txt = f"<b>{br(r['span'])}</b>" if r.get("bold") else br(r["span"])
                    out.append(f"<tr>{pre}<td colspan=\"{n - s}\"{cls[r.get('align', 'L')]}>{txt}</td></tr>")
                else:
                    out.append("<tr>" + "".join(f"<td{cls[aligns[i]]}{va}>{br(c)}</td>" for i, c in enumerate(r)) + "</tr>")
            out.append("</tbody></table><br>")
        elif t == "rule":
            out.append("<hr>")
        elif t == "space":
            out.append("<br>")
        elif t == "pagebreak":
            out.append("<p style=\"page-break-before: always\"></p>" if not email else "<br><br>")
    out.append("</body></html>")
    return "\n".join(out)


# --------------------------------------------------------------------------- plain text

def render_text(doc, width=None):
    """Aligned plain text (fixed-width) rendering, as an ERP would e-mail or print it."""
    out = []
    pg = doc["page"]
    W = width or pg.get("text_width", 96)
    sep_char = pg.get("text_sep", "  ")
    for b in doc["blocks"]:
        t = b["t"]
        if t == "title":
            txt = b["text"]
            out.append(txt.center(W).rstrip() if b.get("align") == "C" else txt)
            out.append("")
        elif t == "text":
            for ln in b["lines"]:
                out.append(ln.rjust(W) if b.get("align") == "R" else ln)
            out.append("")
        elif t == "cols":
            cw = W // len(b["cols"])
            colls = [([c["head"]] if c.get("head") else []) + c["lines"] for c in b["cols"]]
            for i in range(max(len(c) for c in colls)):
                out.append("".join((c[i] if i < len(c) else "").ljust(cw) for c in colls).rstrip())
            out.append("")
        elif t in ("kv", "totals"):
            kw = max(len(k) for k, _ in b["rows"]) + 2
            vw = max(len(v) for _, v in b["rows"])
            for k, v in b["rows"]:
                if t == "totals" or b.get("align") == "R":
                    out.append((k.ljust(kw) + v.rjust(vw)).rjust(W))
                else:
                    out.append(k.ljust(kw) + v)
            out.append("")
        elif t == "table":
            n = len(b["head"])
            aligns = b.get("align") or ["L"] * n
            heads = [h.split("\n") for h in b["head"]]
            rows = [r if isinstance(r, dict) else [c.split("\n") for c in r] for r in b["rows"]]
            widths = [max([len(x) for x in heads[i]] + [len(x) for r in rows if not isinstance(r, dict) for x in r[i]])
                      for i in range(n)]

            def emit(cells):
                hgt = max(len(c) for c in cells)
                for k in range(hgt):
                    parts = []
                    for i, c in enumerate(cells):
                        s = c[k] if k < len(c) else ""
                        parts.append(s.rjust(widths[i]) if aligns[i] == "R" else s.ljust(widths[i]))
                    out.append(sep_char.join(parts).rstrip())

            emit(heads)
            total_w = sum(widths) + len(sep_char) * (n - 1)
            out.append(pg.get("text_rule", "-") * total_w)
            for r in rows:
                if isinstance(r, dict):
                    s = r.get("start", 0)
                    pad = sum(widths[:s]) + len(sep_char) * s
                    for ln in r["span"].split("\n"):
                        out.append((" " * pad + ln).rstrip() if r.get("align", "L") == "L" else ln.rjust(total_w))
                else:
                    emit(r)
            out.append(pg.get("text_rule", "-") * total_w)
            out.append("")
        elif t == "rule":
            out.append("-" * W)
        elif t == "space":
            out.append("")
        elif t == "pagebreak":
            out.append("\f")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- LibreOffice batch

def soffice_convert(paths, outdir):
    """Convert many .docx/.html files to PDF with one LibreOffice start per input kind."""
    by_ext = {}
    for p in paths:
        by_ext.setdefault(os.path.splitext(p)[1], []).append(p)
    with tempfile.TemporaryDirectory() as prof:
        for ext, ps in by_ext.items():
            flt = "pdf:writer_web_pdf_Export" if ext in (".html", ".htm") else "pdf"
            for i in range(0, len(ps), 40):
                cmd = ["soffice", f"-env:UserInstallation=file://{prof}", "--headless", "--norestore",
                       "--convert-to", flt, "--outdir", outdir] + ps[i:i + 40]
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)


# --------------------------------------------------------------------------- headless Chromium

def random_css(rng, pg):
    """Extra CSS for an HTML document printed by a browser: fonts, sizes, borders, shading."""
    font = rng.choice(["Arial, sans-serif", "'DejaVu Sans', sans-serif", "'Liberation Serif', serif", "Verdana, sans-serif",
                       "'Liberation Sans Narrow', 'Liberation Sans', sans-serif", "'DejaVu Serif', serif"])
    size = ("letter" if pg.get("size") == "Letter" else "A4") + (" landscape" if pg.get("landscape") else "")
    tsize = min(pg.get("size_pt", 9), rng.choice([7, 7.5, 8, 8.5, 9]))
    css = [f" body{{font-family:{font};margin:0}} @page{{size:{size};margin:{rng.choice([8, 10, 12, 15])}mm}}"
           f" table{{font-size:{tsize}pt}} td,th{{overflow-wrap:break-word}}"]
    if rng.random() < 0.4:
        css.append(" th{background:#%s}" % rng.choice(["ddd", "eee", "cfe2f3", "f2f2f2"]))
    if rng.random() < 0.3:
        css.append(" tbody tr:nth-child(even) td{background:#f3f3f3}")
    if rng.random() < 0.3:
        css.append(" h2{font-size:%dpt;letter-spacing:1px}" % rng.choice([13, 16, 20]))
    if rng.random() < 0.3:
        css.append(" td,th{padding:%dpx %dpx}" % (rng.choice([1, 3, 4]), rng.choice([3, 6, 8])))
    return "".join(css)


def chromium_convert(jobs, workers=3):
    """Print HTML files to PDF with headless Chromium, a few at a time. jobs: [(html, pdf)]."""
    import concurrent.futures as cf
    import shutil

    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

    def one(job):
        src, dst = job
        with tempfile.TemporaryDirectory() as prof:
            cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", f"--user-data-dir={prof}",
                   f"--print-to-pdf={dst}", "file://" + os.path.abspath(src)]
            try:
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            except (subprocess.SubprocessError, OSError):
                return False
        return os.path.exists(dst) and os.path.getsize(dst) > 0

    with cf.ThreadPoolExecutor(workers) as ex:
        return list(ex.map(one, jobs))
