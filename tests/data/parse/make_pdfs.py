#!/usr/bin/env python3
"""Regenerate the PDF fixtures for tests/parse_pdf.rs.

Three producers make the same small purchase order (a header, a 4-column item table, a
total) so the tests can compare our word boxes with poppler's `pdftotext -bbox` on each:

    reportlab  -> po_reportlab.pdf, po_reportlab_rotated.pdf (/Rotate 90),
                  po_reportlab_2pages.pdf, po_reportlab_form.pdf (text in a Form XObject)
    fpdf2      -> po_fpdf2.pdf
    LibreOffice (soffice --headless --convert-to pdf) -> po_libreoffice.pdf

and then writes `<name>.bbox.html` with `pdftotext -bbox` for each PDF.

Needs: pip install reportlab fpdf2; apt-get install poppler-utils libreoffice-writer-nogui.
Run from anywhere: python3 tests/data/parse/make_pdfs.py
"""
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

HEADER = [
    "ACME Tools GmbH",
    "Purchase Order PO-2024-0117",
    "Order date: 2024-03-05",
    "Ship to: Werk 2, Hafenstrasse 12, 20457 Hamburg",
]
ITEMS = [
    ("Qty", "Article", "Description", "Price"),
    ("10", "AB-100", "Hex bolt M8x40", "0.42"),
    ("250", "CD-220", "Washer DIN 125 M8", "0.05"),
    ("4", "EF-9", "Torque wrench 40-200 Nm", "189.00"),
]
TOTAL = "Total EUR 772.70"
COLS = [72, 130, 220, 440]


def reportlab_po(path, rotate=0, pages=1, form=False):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(path, pagesize=A4, pageCompression=1)
    c.setProducer("ReportLab")
    for page in range(pages):
        if rotate:
            c.setPageRotation(rotate)
        if form:
            c.beginForm("header")
        # With a rotation ReportLab writes a landscape MediaBox (841.89 x 595.28) plus /Rotate,
        # so the text must start lower to stay on the page.
        y = 535 if rotate else 780
        c.setFont("Helvetica-Bold", 14)
        c.drawString(72, y, HEADER[0])
        c.setFont("Helvetica", 11)
        for line in HEADER[1:]:
            y -= 18
            c.drawString(72, y, line)
        if form:
            c.endForm()
            c.doForm("header")
        y -= 36
        for i, row in enumerate(ITEMS):
            c.setFont("Helvetica-Bold" if i == 0 else "Helvetica", 10)
            for x, cell in zip(COLS, row):
                c.drawString(x, y, cell)
            y -= 16
        y -= 10
        c.setFont("Helvetica-Bold", 11)
        c.drawString(COLS[2], y, TOTAL)
        if pages > 1:
            c.setFont("Helvetica", 9)
            c.drawString(72, 40, f"Page {page + 1} of {pages}")
        c.showPage()
    c.save()


def fpdf2_po(path):
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_producer("fpdf2") if hasattr(pdf, "set_producer") else None
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.text(72, 60, HEADER[0])
    pdf.set_font("Helvetica", "", 11)
    y = 60
    for line in HEADER[1:]:
        y += 18
        pdf.text(72, y, line)
    y += 36
    for i, row in enumerate(ITEMS):
        pdf.set_font("Helvetica", "B" if i == 0 else "", 10)
        for x, cell in zip(COLS, row):
            pdf.text(x, y, cell)
        y += 16
    pdf.set_font("Times", "B", 11)
    pdf.text(COLS[2], y + 10, TOTAL)
    pdf.output(path)


def libreoffice_po(path):
    rows = "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in ITEMS
    )
    html = (
        "<html><body>"
        + f"<h2>{HEADER[0]}</h2>"
        + "".join(f"<p>{l}</p>" for l in HEADER[1:])
        + f"<table border='1' cellpadding='4'>{rows}</table><p><b>{TOTAL}</b></p>"
        + "</body></html>"
    )
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "po_libreoffice.html")
        with open(src, "w") as f:
            f.write(html)
        subprocess.run(
            [
                "soffice", "--headless", "--infilter=HTML (StarWriter)",
                "--convert-to", "pdf:writer_pdf_Export", "--outdir", tmp, src,
            ],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.replace(os.path.join(tmp, "po_libreoffice.pdf"), path)


def main():
    out = lambda n: os.path.join(HERE, n)
    reportlab_po(out("po_reportlab.pdf"))
    reportlab_po(out("po_reportlab_rotated.pdf"), rotate=90)
    reportlab_po(out("po_reportlab_2pages.pdf"), pages=2)
    reportlab_po(out("po_reportlab_form.pdf"), form=True)
    fpdf2_po(out("po_fpdf2.pdf"))
    libreoffice_po(out("po_libreoffice.pdf"))
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".pdf"):
            pdf = out(name)
            subprocess.run(["pdftotext", "-bbox", pdf, pdf[:-4] + ".bbox.html"], check=True)


if __name__ == "__main__":
    main()
