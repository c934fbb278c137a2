#!/usr/bin/env python3
"""Synthetic purchase-order generator: real rendered files + gold extraction JSON + surface meta.

    python3 models/training/generate.py --out DIR --n N --seed S [--families a,b,c] [--producers p,q]
                                        [--gold-dir DIR] [--list]

Writes, per document, DIR/<name>.<pdf|eml|txt>, <gold>/<name>.json (extraction contract),
<gold>/<name>.meta.json (printed surface strings), and DIR/manifest.jsonl.
See README.md beside this file.
"""

import argparse
import datetime as dt
import email.utils
import json
import os
import random
import re
import shutil
import sys
import tempfile
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import families as F  # noqa: E402
import orders as O  # noqa: E402
import pools  # noqa: E402
import render as R  # noqa: E402
import intl  # noqa: E402

OUR_ADDRESS = "orders@northbridge-supply.com"


def flatten_text(blocks):
    out = []
    for b in blocks:
        for k in ("text", "head"):
            v = b.get(k)
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, list):
                out += [x for x in v if isinstance(x, str)]
        for ln in b.get("lines", []):
            out.append(ln)
        for c in b.get("cols", []):
            out += [c.get("head") or ""] + c["lines"]
        for r in b.get("rows", []):
            if isinstance(r, dict):
                out.append(r["span"])
            else:
                out += list(r)
    return "\n".join(out)


def currency_printed(text, cur):
    sym = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹"}.get(cur)
    return bool(re.search(r"(?<![A-Za-z])" + cur + r"(?![A-Za-z])", text)) or (sym is not None and sym in text)


def style_for(rng, family, o):
    lang = "de" if family == "german_bestellung" else "en"
    if family == "german_bestellung" and not o.get("customer_id"):
        o["currency"] = rng.choice(["EUR"] * 6 + ["USD", "GBP"])
    kw = {}
    if family in ("email_text", "email_html", "qty_x_code"):
        kw["cur_mode"] = rng.choice(["symbol_prefix", "code_prefix", "header", "none", "code_suffix"])
    st = O.Style(rng, lang=lang, currency=o["currency"], **kw)
    if family == "qty_x_code":
        st.qfmt = "int"
    if family == "letter_list" and st.cur_mode in ("header", "column", "none"):
        st.cur_mode = rng.choice(["symbol_prefix", "code_prefix", "code_suffix"])
    return st


def build_one(rng, family, o, st, fallback_date=None):
    meta = O.new_meta()
    fn = F.FAMILIES[family][0]
    blocks = fn(rng, o, st, meta)
    text = flatten_text(blocks)
    g = O.gold_order(o, st, meta)
    g["currency"] = st.currency if currency_printed(text, st.currency) else None
    if g["order_date"] is None and fallback_date:
        g["order_date"] = fallback_date.isoformat()
    # self-checks: every gold surface string must be printed
    problems = []
    for key in ("po_number_text", "order_date_text", "buyer_text", "total_text"):
        v = meta.get(key)
        if v and v not in text:
            problems.append(f"{key} {v!r} not printed")
    for m in meta["lines_by_no"].values():
        for key in ("sku_text", "quantity_text", "unit_price_text", "amount_text"):
            v = m.get(key)
            if v and v not in text:
                problems.append(f"line {key} {v!r} not printed")
    meta["family"] = family
    meta["style"] = dict(lang=st.lang, num=st.num, price_decimals=st.pdec, qty_format=st.qfmt, date_format=st.date_fmt,
                         currency_mode=st.cur_mode, negative=st.neg)
    meta["problems"] = problems
    return blocks, g, meta


def page_setup(rng, family, o):
    pg = dict(size="Letter" if o["country"] == "US" and rng.random() < 0.7 else "A4",
              font=rng.choice(["sans", "sans", "serif", "dejavu", "liberation"]), size_pt=rng.choice([8.5, 9, 9.5, 10]),
              footer=rng.random() < 0.8)
    if family == "erp_minimal":
        pg["font"] = "mono"
        pg["size_pt"] = 8.5
    if family == "sap_dense" or o.get("dense"):
        pg.update(landscape=rng.random() < 0.7, size_pt=7.5)
    if family in ("sap_dense", "german_bestellung", "boxed_table") and rng.random() < 0.5:
        pg["header"] = f"{o['buyer']} — {'Bestellung' if family == 'german_bestellung' else 'Purchase Order'} {o['po_number']}"
    if family == "intl_form" and rng.random() < 0.3:
        pg["header"] = f"{o['buyer']} — {o['po_number']}"
    return pg


def email_addr(rng, o):
    dom = o.get("email_domain") or pools.email_domain(rng, o["buyer"], o["country"])
    first, *rest = o["contact"].split(" ")
    user = pools.slug(first) + "." + pools.slug(rest[-1] if rest else "buyer")
    if rng.random() < 0.3:
        user = rng.choice(["purchasing", "procurement", "einkauf" if o["country"] == "DE" else "buyer", "orders"])
    return f"{o['contact']} <{user}@{dom}>", dom


def make_eml(rng, o, subject, text_body=None, html_body=None, attachments=(), when=None):
    msg = EmailMessage()
    frm, dom = email_addr(rng, o)
    msg["From"] = frm
    msg["To"] = OUR_ADDRESS
    msg["Subject"] = subject
    when = when or dt.datetime.combine(o["date"], dt.time(rng.randint(7, 17), rng.randint(0, 59)), tzinfo=dt.timezone.utc)
    msg["Date"] = email.utils.format_datetime(when)
    msg["Message-ID"] = f"<{rng.randint(10 ** 9, 10 ** 10)}.{rng.randint(1000, 9999)}@{dom}>"
    msg.set_content(text_body or "Please see attached.\n", cte="8bit")
    if html_body:
        msg.add_alternative(html_body, subtype="html", cte="8bit")
    for name, data, ctype in attachments:
        mt, st = ctype.split("/")
        msg.add_attachment(data, maintype=mt, subtype=st, filename=name)
    for i, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"==po-{rng.randint(10 ** 8, 10 ** 9)}-{i}==")  # deterministic boundaries
    return bytes(msg)


def render_pdf(doc, path, producer):
    if producer == "reportlab":
        R.render_reportlab(doc, path)
    else:
        R.render_fpdf2(doc, path)


class Job:
    def __init__(self, out, gold_dir):
        self.out, self.gold_dir = out, gold_dir
        self.staging = tempfile.mkdtemp(prefix="pogen_")
        self.pending = []  # (src, final_pdf_path, name, gold, metas, manifest row)
        self.chrome_pending = []  # the same, printed by headless Chromium
        self.manifest = []

    def finish_doc(self, name, kind, golds, metas, family, producer, extra=None):
        gpath = O.write_outputs(self.gold_dir, name, kind, golds, metas, dict(family=family, producer=producer, **(extra or {})))
        self.manifest.append(dict(file=name, family=family, producer=producer, kind=kind, orders=len(golds),
                                  gold=os.path.relpath(gpath, self.out)))

    def flush_soffice(self):
        if not self.pending:
            return
        R.soffice_convert([p[0] for p in self.pending], self.staging)
        for src, final, name, golds, metas, family, producer in self.pending:
            pdf = os.path.splitext(src)[0] + ".pdf"
            pdf = os.path.join(self.staging, os.path.basename(pdf))
            if not os.path.exists(pdf):
                print(f"soffice failed for {src}", file=sys.stderr)
                continue
            shutil.move(pdf, final)
            self.finish_doc(name, "pdf", golds, metas, family, producer)
        self.pending = []

    def flush_chromium(self):
        if not self.chrome_pending:
            return
        ok = R.chromium_convert([(p[0], p[1]) for p in self.chrome_pending])
        for (src, final, name, golds, metas, family, producer), good in zip(self.chrome_pending, ok):
            if not good:
                print(f"chromium failed for {src}", file=sys.stderr)
                continue
            self.finish_doc(name, "pdf", golds, metas, family, producer)
        self.chrome_pending = []


def generate_doc(job, rng, idx, family, producer, customer=None, name=None, order_hook=None, make_kw=None,
                 n_orders=None, country=None, disc_p=None):
    base = name or f"{idx:05d}_{family}_{producer}"
    # --- orders
    if n_orders:
        pass
    elif family == "multi_po":
        n_orders = rng.choice([2, 2, 3])
    elif producer == "eml_pdf" and rng.random() < 0.25:
        n_orders = 2
    else:
        n_orders = 1
    built = []
    cust = customer
    for k in range(n_orders):
        fam = family if family != "multi_po" else rng.choice(["erp_minimal", "boxed_table"])
        ctry = country or ("DE" if fam == "german_bestellung" and rng.random() < 0.8 else None)
        if fam == "intl_form" and not ctry:
            ctry = rng.choice(intl.COUNTRIES)
        o = O.make_order(rng, country=ctry, customer=cust, **(make_kw or {}),
                         n_lines=rng.choice([1, 2, 3, 4, 6]) if family in ("email_text", "email_html", "qty_x_code", "letter_list") else
                         (rng.choice([12, 18, 25, 40]) if family == "sap_dense" and rng.random() < 0.6 else None),
                         **({} if make_kw and "code_mode" in make_kw else
                            dict(code_mode="ours" if family in ("qty_x_code", "letter_list") else None)))
        if order_hook:
            order_hook(o, k, rng)
        if family == "multi_po" and k > 0:
            for key in ("buyer", "country", "currency", "contact", "phone", "bill_to"):
                o[key] = built[0][1][key]
        st = style_for(rng, fam, o)
        O.finish_amounts(rng, o, st, disc_p=disc_p if disc_p is not None else 0.0 if fam in ("letter_list", "qty_x_code", "email_text", "email_html") else 0.1)
        omit_date = family in ("email_text", "email_html", "qty_x_code") and rng.random() < 0.3
        if omit_date:
            o["omit_date"] = True
        blocks, g, meta = build_one(rng, fam, o, st, fallback_date=o["date"] if omit_date else None)
        if omit_date:
            # remove the printed date (email families print it on one header line)
            ds = meta["order_date_text"]
            for b in (blocks if ds else []):
                if b.get("lines"):
                    b["lines"] = [x for x in b["lines"] if ds not in x]
            meta["order_date_text"] = None
            meta["order_date_source"] = "email Date header"
        if producer in ("eml_text", "eml_html") and g["order_date"] is None:
            g["order_date"] = o["date"].isoformat()  # the e-mail's Date header carries it
            meta["order_date_source"] = "email Date header"
        built.append((fam, o, st, blocks, g, meta))
    pg = page_setup(rng, built[0][0], built[0][1])
    fam0, o0 = built[0][0], built[0][1]
    golds = [b[4] for b in built]
    metas = [b[5] for b in built]
    for m in metas:
        if m["problems"]:
            print(f"[{base}] self-check: {m['problems'][:3]}", file=sys.stderr)

    def doc_of(b, pg_=None):
        return dict(page=pg_ or pg, blocks=b[3], title=f"Purchase Order {b[1]['po_number']}", author=b[1]["buyer"])

    if family == "multi_po":
        blocks = []
        for i, b in enumerate(built):
            if i:
                blocks.append(dict(t="pagebreak"))
            blocks += b[3]
        doc = dict(page=pg, blocks=blocks, title="Purchase Orders", author=o0["buyer"])
        name = base + ".pdf"
        render_pdf(doc, os.path.join(job.out, name), producer)
        job.finish_doc(name, "pdf", golds, metas, family, producer)
        return
    if producer in ("reportlab", "fpdf2"):
        name = base + ".pdf"
        render_pdf(doc_of(built[0]), os.path.join(job.out, name), producer)
        job.finish_doc(name, "pdf", golds, metas, family, producer)
    elif producer in ("soffice_docx", "soffice_html"):
        name = base + ".pdf"
        src = os.path.join(job.staging, base + (".docx" if producer == "soffice_docx" else ".html"))
        if producer == "soffice_docx":
            R.render_docx(doc_of(built[0]), src)
        else:
            with open(src, "w") as f:
                f.write(R.render_html(doc_of(built[0])))
        job.pending.append((src, os.path.join(job.out, name), name, golds, metas, family, producer))
    elif producer == "chromium_html":
        name = base + ".pdf"
        src = os.path.join(job.staging, base + ".html")
        with open(src, "w") as f:
            f.write(R.render_html(doc_of(built[0], dict(pg, css=R.random_css(rng, pg)))))
        job.chrome_pending.append((src, os.path.join(job.out, name), name, golds, metas, family, producer))
    elif producer == "txt":
        name = base + ".txt"
        with open(os.path.join(job.out, name), "w") as f:
            f.write(R.render_text(doc_of(built[0])))
        job.finish_doc(name, "txt", golds, metas, family, producer)
    elif producer in ("eml_text", "eml_html"):
        name = base + ".eml"
        d = doc_of(built[0])
        text = R.render_text(d)
        html = R.render_html(d, email=True) if producer == "eml_html" else None
        subj = rng.choice([f"PO {o0['po_number']}", f"Purchase Order {o0['po_number']}", f"Order {o0['po_number']} - {o0['buyer']}",
                           "New order", f"RE: quote / PO {o0['po_number']}"])
        data = make_eml(rng, o0, subj, text_body=text if producer == "eml_text" or rng.random() < 0.5 else "This message is in HTML.\n",
                        html_body=html)
        with open(os.path.join(job.out, name), "wb") as f:
            f.write(data)
        job.finish_doc(name, "eml", golds, metas, family, producer,
                       extra=dict(email_date=o0["date"].isoformat()))
    elif producer == "eml_pdf":
        name = base + ".eml"
        atts = []
        for b in built:
            p = os.path.join(job.staging, f"PO_{b[1]['po_number']}.pdf")
            render_pdf(doc_of(b), p, rng.choice(["reportlab", "fpdf2"]))
            atts.append((os.path.basename(p), open(p, "rb").read(), rng.choice(["application/pdf", "application/pdf", "application/octet-stream"])))
        body = rng.choice(["Hello,\n\nplease find attached our purchase order{s}.\nKindly confirm receipt and delivery date.\n\nBest regards\n{c}\n",
                           "Hi,\n\nattached PO{s}. Thanks!\n\n{c}\n"]).format(s="s" if len(atts) > 1 else "", c=o0["contact"])
        data = make_eml(rng, o0, rng.choice(["Purchase order", f"PO {o0['po_number']}", "New PO attached"]), text_body=body, attachments=atts)
        with open(os.path.join(job.out, name), "wb") as f:
            f.write(data)
        job.finish_doc(name, "eml", golds, metas, family, producer, extra=dict(attachments=[a[0] for a in atts]))
    else:
        raise ValueError(producer)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=False)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--families", default="")
    ap.add_argument("--producers", default="", help="restrict producers (reportlab,fpdf2,soffice_docx,soffice_html,chromium_html,txt,eml_text,eml_html,eml_pdf)")
    ap.add_argument("--gold-dir", default=None, help="where gold/meta JSON go (default: beside the files)")
    ap.add_argument("--no-soffice", action="store_true", help="skip LibreOffice producers")
    ap.add_argument("--no-chromium", action="store_true", help="skip the headless Chromium producer")
    ap.add_argument("--list", action="store_true", help="list families and producers")
    ap.add_argument("--valign-middle-p", type=float, default=0.0,
                    help="share of item tables with vertically centred cells (default 0: the data of model 0.3.0)")
    a = ap.parse_args(argv)
    if a.list:
        for k, (_, prods) in F.FAMILIES.items():
            print(f"{k:20s} {','.join(prods)}")
        return
    if not a.out:
        ap.error("--out is required")
    F.VALIGN_MIDDLE_P = a.valign_middle_p
    fams = [f for f in a.families.split(",") if f] or list(F.FAMILIES)
    for f in fams:
        if f not in F.FAMILIES:
            ap.error(f"unknown family {f}")
    prods_ok = set(p for p in a.producers.split(",") if p)
    if a.no_soffice:
        prods_ok = (prods_ok or {p for _, ps in F.FAMILIES.values() for p in ps}) - {"soffice_docx", "soffice_html"}
    if a.no_chromium:
        prods_ok = (prods_ok or {p for _, ps in F.FAMILIES.values() for p in ps}) - {"chromium_html"}
    os.makedirs(a.out, exist_ok=True)
    job = Job(a.out, a.gold_dir or a.out)
    rng = random.Random(a.seed)
    for i in range(a.n):
        fam = fams[i % len(fams)] if i < len(fams) else rng.choice(fams)
        prods = [p for p in F.FAMILIES[fam][1] if not prods_ok or p in prods_ok]
        if not prods:
            continue
        prod = prods[(i // len(fams)) % len(prods)] if i < len(fams) * len(prods) else rng.choice(prods)
        drng = random.Random(f"{a.seed}-{i}")  # each document independent of the others
        generate_doc(job, drng, i, fam, prod)
        if len(job.pending) >= 40:
            job.flush_soffice()
        if len(job.chrome_pending) >= 24:
            job.flush_chromium()
    job.flush_soffice()
    job.flush_chromium()
    job.manifest.sort(key=lambda r: r["file"])
    with open(os.path.join(a.out, "manifest.jsonl"), "w") as f:
        for r in job.manifest:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    shutil.rmtree(job.staging, ignore_errors=True)
    print(f"wrote {len(job.manifest)} documents to {a.out}")


if __name__ == "__main__":
    main()
