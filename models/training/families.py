"""Layout families: each builds an abstract document (render.py blocks) for one or more orders,
recording the printed surface string of every gold field in a meta dict."""

import datetime as dt

import orders as O
import pools

HEADS = {
    "en": {"pos": ["Line", "Ln", "#", "Item", "Pos", "No."],
           "sku": ["Item", "Part No.", "Item No.", "Part Number", "SKU", "Product Code", "Vendor Part #", "Supplier Item",
                   "Item Code", "Material", "Catalog #", "Stock Code"],
           "cpart": ["Our Part No.", "Customer Part", "Buyer Item #", "Internal Ref", "Our Item", "Material No.", "Cust. P/N"],
           "desc": ["Description", "Item Description", "Product", "Description / Specification", "Text", "Item / Description"],
           "qty": ["Qty", "Quantity", "Ordered", "Qty Ord.", "Order Qty", "QTY", "Qty Ordered", "Units"],
           "uom": ["UOM", "U/M", "Unit", "UoM", "Unit of Measure"],
           "price": ["Unit Price", "Price", "Unit Cost", "Rate", "Price/Unit", "Net Price", "Each"],
           "amount": ["Amount", "Extended", "Total", "Line Total", "Ext. Price", "Net Value", "Value", "Extended Price"],
           "disc": ["Disc %", "Discount", "Disc."], "tax": ["Tax", "Tax %", "VAT %"],
           "date": ["Delivery Date", "Req. Date", "Due Date", "Need By", "Del. Date"],
           "cost": ["Cost Code", "Cost Center", "GL Account", "Acct"], "hts": ["HTS Code", "HS Code", "Tariff No."],
           "upc": ["UPC", "GTIN", "EAN"], "mfr": ["Mfr Part No.", "MPN", "Manufacturer P/N"]},
    "de": {"pos": ["Pos.", "Pos", "Position"], "sku": ["Art.-Nr.", "Artikelnummer", "Ihre Art.-Nr.", "Material", "Artikel"],
           "cpart": ["Unsere Mat.-Nr.", "Mat.-Nr.", "Unsere Art.-Nr."], "desc": ["Bezeichnung", "Artikelbezeichnung", "Beschreibung", "Text"],
           "qty": ["Menge", "Bestellmenge", "Anzahl"], "uom": ["ME", "Einheit", "Mengeneinheit"],
           "price": ["Einzelpreis", "Preis", "Preis/ME", "E-Preis"], "amount": ["Gesamtpreis", "Betrag", "Gesamt", "Nettowert", "Wert"],
           "disc": ["Rabatt %", "Rab.%"], "tax": ["MwSt %", "USt."], "date": ["Liefertermin", "Liefer-\ndatum", "Termin"],
           "cost": ["Kostenstelle", "KSt."], "hts": ["Zolltarifnr.", "Warennr."], "upc": ["EAN"], "mfr": ["Hersteller-Nr.", "Herst.-Teilenr."]},
}
UOM_PRINT = {"EA": ["EA", "EA", "ea", "Each", "PCS", "PC"], "BOX": ["BOX", "BX", "Box"], "PK": ["PK", "PAK", "Pack"],
             "M": ["M", "m", "MTR"], "KG": ["KG", "kg"], "RL": ["RL", "Roll", "ROL"], "PR": ["PR", "Pair", "PAA"]}
UOM_DE = {"EA": ["Stk", "ST", "Stück"], "BOX": ["Karton", "KAR", "VE"], "PK": ["Pck", "PAK"], "M": ["m", "M"], "KG": ["kg"],
          "RL": ["Rolle", "RO"], "PR": ["Paar", "PAA"]}
ALIGN = {"pos": "L", "sku": "L", "cpart": "L", "desc": "L", "qty": "R", "uom": "C", "price": "R", "amount": "R", "disc": "R",
         "tax": "R", "date": "L", "cost": "L", "hts": "L", "upc": "L", "mfr": "L"}
WIDTH = {"pos": 0.5, "sku": 1.6, "cpart": 1.4, "desc": 4.2, "qty": 0.8, "uom": 0.6, "price": 1.1, "amount": 1.2, "disc": 0.6,
         "tax": 0.6, "date": 1.0, "cost": 1.0, "hts": 1.2, "upc": 1.4, "mfr": 1.4}


# Share of boxed_table / german_bestellung documents whose item table is dense (8-14 columns,
# small font). A 50 % mix lifted dense held-out tables but cost header accuracy elsewhere
# (MODEL.md), so dense tables are a minority here.
DENSE_P = 0.2
# Share of item tables whose cells are centred vertically, as browsers print HTML tables (a row's
# numbers beside the middle of its wrapped description). 0 keeps the data of model 0.3.0;
# `generate.py --valign-middle-p` sets it.
VALIGN_MIDDLE_P = 0.0


def choose_columns(rng, o, dense=False, minimal=False, lang="en"):
    ks = ["pos"] if rng.random() < (0.9 if dense else 0.55) else []
    if o["code_mode"] != "none":
        ks.append("sku")
    if o["code_mode"] == "both":
        ks.append("cpart")
    ks.append("desc")
    extras = ["mfr", "hts", "upc", "date", "cost", "disc", "tax"]
    if dense:
        ks += rng.sample(extras, rng.randint(3, 6))
    elif not minimal and rng.random() < 0.4:
        ks += rng.sample(extras, rng.randint(1, 2))
    ks += ["qty"]
    if any(ln.get("disc") for ln in o["lines"]) and "disc" not in ks:
        ks.append("disc")
    if rng.random() < (0.95 if dense else 0.7) and not minimal:
        ks.append("uom")
    r = rng.random()
    if minimal and r < 0.4:
        pass  # qty / item / description only: prices not printed
    elif r < 0.08 and not dense:
        ks.append("price")
    else:
        ks += ["price", "amount"]
    if "amount" not in ks and "disc" in ks:
        ks.remove("disc")
    order = ["pos", "cpart", "sku", "desc", "mfr", "hts", "upc", "date", "qty", "uom", "price", "disc", "tax", "cost", "amount"]
    if rng.random() < 0.5:
        order[1], order[2] = "sku", "cpart"
    if rng.random() < 0.3:
        order.remove("qty")
        order.insert(1, "qty")
    if rng.random() < 0.25:
        order.remove("date")
        order.append("date")
    if rng.random() < 0.2:
        order.remove("uom")
        order.insert(order.index("qty"), "uom")
    ks = [k for k in order if k in ks]
    if rng.random() < 0.15 and len(ks) > 3:
        i = rng.randint(1, len(ks) - 2)
        ks[i], ks[i + 1] = ks[i + 1], ks[i]
    return ks


def column_heads(rng, ks, st, lang="en"):
    H = HEADS[lang]
    heads = []
    used = set()
    for k in ks:
        opts = [h for h in H[k] if h not in used]
        h = rng.choice(opts)
        used.add(h)
        if k in ("price", "amount") and st.cur_mode == "column":
            h = f"{h} ({st.currency})" if rng.random() < 0.7 else f"{h}\n{st.currency}"
        heads.append(h)
    return heads


def build_rows(rng, o, st, ks, meta, lang="en", pos_fmt=None, notes=True):
    """Table rows (lists of cell strings / span dicts) per line; fills meta per line."""
    uom_map = UOM_DE if lang == "de" else UOM_PRINT
    uom_choice = {u: rng.choice(v) for u, v in uom_map.items()}
    pos_fmt = pos_fmt or rng.choice(["{n}", "{n}", "{n:03d}", "{n0:05d}", "{n0}"])
    glue = st.price_unit_glued and "uom" not in ks and "price" in ks
    groups = []
    for ln in o["lines"]:
        m = dict(sku=None, customer_part=None, description=None, uom=None, unit_price=None, amount=None)
        cells = []
        uom_txt = uom_choice.get(ln["uom"], ln["uom"])
        for k in ks:
            if k == "pos":
                c = pos_fmt.format(n=ln["no"], n0=ln["no"] * 10)
                m["pos_text"] = c
            elif k == "sku":
                code = ln["cpart"] if o["code_mode"] == "buyer" else ln["sku"]
                c = code
                m["sku"] = code
                m["sku_text"] = code
            elif k == "cpart":
                c = ln["cpart"] or ""
                m["customer_part"] = ln["cpart"]
                m["customer_part_text"] = c
            elif k == "desc":
                c = "\n".join(ln["desc"])
                m["description"] = " ".join(ln["desc"])
                m["description_lines"] = list(ln["desc"])
                if o["code_mode"] == "none":
                    m["sku"] = None
            elif k == "qty":
                c = st.qty(ln["qty"])
                m["quantity_text"] = c
            elif k == "uom":
                c = uom_txt
                m["uom"] = c
                m["uom_text"] = c
            elif k == "price":
                t = st.price(ln["price"])
                c = st.money_cell(t)
                if glue:
                    g = rng.choice(["E", "EA", "/EA", "/ea"]) if lang == "en" else rng.choice(["E", "/Stk", "ST"])
                    c = f"{c} {g}" if not g.startswith("/") else c + g
                    m["uom"] = g.lstrip("/")
                    m["uom_text"] = g.lstrip("/")
                m["unit_price"] = ln["price"]
                m["unit_price_text"] = t
                m["unit_price_cell"] = c
            elif k == "amount":
                t = st.amount(ln["amount"])
                c = st.money_cell(t)
                m["amount"] = ln["amount"]
                m["amount_text"] = t
                m["amount_cell"] = c
            elif k == "disc":
                c = (O.fnum(ln["disc"], 1 if ln["disc"] % 1 else 0, st.num) + "%") if ln["disc"] else ""
                m["discount_text"] = c
            elif k == "tax":
                c = {"en": "T", "de": "19%"}[lang] if rng.random() < 0.3 else ("" if st.currency == "USD" and rng.random() < 0.5 else "20%")
            elif k == "date":
                c = st.date(ln["delivery"])
                m["delivery_date_text"] = c
            elif k == "cost":
                c = ln["cost"]
            elif k == "hts":
                c = ln["hts"]
            elif k == "upc":
                c = ln["upc"]
            elif k == "mfr":
                c = ln["mfr_part"] or ""
            cells.append(c)
        if "price" not in ks and "amount" not in ks:
            pass
        if "uom" not in ks and not glue:
            m["uom"] = None
        grp = [cells]
        if notes and ln.get("note"):
            start = ks.index("desc") if "desc" in ks and rng.random() < 0.7 else 0
            grp.append({"span": ln["note"], "start": start})
            m["note_text"] = ln["note"]
        meta["lines_by_no"][ln["no"]] = m
        groups.append(grp)
    return groups


def table_block(rng, o, st, meta, lang="en", dense=False, minimal=False, grid=None, size=None, ks=None):
    ks = ks or choose_columns(rng, o, dense=dense, minimal=minimal, lang=lang)
    heads = column_heads(rng, ks, st, lang)
    groups = build_rows(rng, o, st, ks, meta, lang)
    widths = [WIDTH[k] * (rng.uniform(0.8, 1.25)) for k in ks]
    wrapcode = [i for i, k in enumerate(ks) if k in ("sku", "cpart")]
    if rng.random() < 0.25:
        for i in wrapcode:
            widths[i] *= 0.6  # force codes to wrap
    tb = dict(t="table", head=heads, rows=[], widths=widths, align=[ALIGN[k] for k in ks], grid=grid or rng.choice(["full", "h", "none"]),
              size=size or rng.choice([7.5, 8, 8.5, 9]), wrapcode=wrapcode)
    if VALIGN_MIDDLE_P and rng.random() < VALIGN_MIDDLE_P:
        tb["valign"] = "MIDDLE"
    return ks, tb, groups


def totals_rows(rng, o, st, meta, lang="en", with_sub=True):
    de = lang == "de"
    rows = []
    meta["charges"] = []
    if with_sub and (o["charges"] or rng.random() < 0.6):
        lab = rng.choice(["Nettobetrag", "Summe netto", "Warenwert"]) if de else rng.choice(["Subtotal", "Sub-total", "Net Total", "Total before tax", "Merchandise"])
        t = st.amount(o["subtotal"])
        rows.append((lab, st.money_cell(t, always=rng.random() < 0.5)))
        meta["subtotal_text"] = t
    for c in o["charges"]:
        t = st.amount(c["amount"])
        rows.append((c["label"], st.money_cell(t)))
        meta["charges"].append(dict(kind=c["kind"], label=c["label"], amount=c["amount"], amount_text=t))
    lab = rng.choice(["Gesamtbetrag", "Endbetrag", "Gesamtsumme", "Summe brutto"]) if de else \
        rng.choice(["Total", "Grand Total", "Order Total", "PO Total", "TOTAL", "Total Amount", "Total Order Value"])
    if st.cur_mode in ("header", "column") and rng.random() < 0.5:
        lab += f" {st.currency}" if rng.random() < 0.5 else f" ({st.currency})"
    t = st.amount(o["total"])
    cell = st.money_cell(t, always=True)
    rows.append((lab, cell))
    meta["total_text"] = t
    meta["total_cell"] = cell
    meta["total_label"] = lab
    return rows


def paginate(rng, table, groups, o, st, meta, lang, carry, per_page):
    """Split a table into pages of `per_page` line groups with carried-forward subtotals."""
    blocks = []
    running = 0.0
    n = len(groups)
    de = lang == "de"
    meta["carry_texts"] = []
    for start in range(0, n, per_page):
        chunk = groups[start:start + per_page]
        rows = []
        if start > 0 and carry:
            t = st.amount(running)
            lab = rng.choice(["Übertrag", "Übertrag von Seite"]) if de else rng.choice(["Brought forward", "Balance b/f", "Carried over"])
            rows.append({"span": f"{lab}: {t}", "align": "R", "bold": True})
            meta["carry_texts"].append(t)
        for gi, g in enumerate(chunk):
            rows += g
            running += o["lines"][start + gi]["amount"] if "amount" in o["lines"][start + gi] else 0
        if start + per_page < n and carry:
            t = st.amount(round(running, 2))
            lab = "Übertrag" if de else rng.choice(["Carried forward", "Subtotal c/f", "Continued — subtotal"])
            rows.append({"span": f"{lab}: {t}", "align": "R", "bold": True})
            meta["carry_texts"].append(t)
        tb = dict(table)
        tb["rows"] = rows
        blocks.append(tb)
        if start + per_page < n:
            if not carry and rng.random() < 0.5:
                blocks.append(dict(t="text", lines=["continued on next page" if not de else "Fortsetzung auf der nächsten Seite"], size=7, align="R"))
            blocks.append(dict(t="pagebreak"))
    return blocks


def table_or_pages(rng, tb, groups, o, st, meta, lang, longer_than, p, carry_p, per_page):
    """The item table as one block, or, for a table longer than `longer_than` groups and with
    probability `p`, split over pages with carried-forward subtotals."""
    if len(groups) > longer_than and rng.random() < p:
        return paginate(rng, tb, groups, o, st, meta, lang, carry=rng.random() < carry_p, per_page=rng.choice(per_page))
    tb["rows"] = [r for g in groups for r in g]
    return [tb]


def header_meta(o, st, meta, po_text=True, date_text=True, buyer_text=True, ship=True):
    meta["po_number_text"] = o["po_number"] if po_text else None
    meta["order_date_text"] = st.date(o["date"]) if date_text else None
    meta["buyer_text"] = o["buyer"] if buyer_text else None
    meta["ship_to_lines"] = list(o["ship_to"]) if ship else None
    cp = st.currency_printed()
    meta["currency_text"] = None if cp is None else (O.CUR_SYMBOL.get(cp, cp) if st.cur_mode.startswith("symbol") else cp)


def terms_page(rng, lang):
    if lang == "de":
        t = ["Allgemeine Einkaufsbedingungen", "1. Maßgebend sind ausschließlich unsere Einkaufsbedingungen.",
             "2. Die Lieferung erfolgt frei Haus an die angegebene Lieferanschrift.",
             "3. Rechnungen sind unter Angabe der Bestellnummer in einfacher Ausfertigung einzureichen.",
             "4. Zahlung innerhalb 14 Tagen mit 3 % Skonto oder 30 Tage netto.",
             "5. Gerichtsstand ist der Sitz des Bestellers."]
    else:
        t = ["TERMS AND CONDITIONS OF PURCHASE",
             "1. Acceptance. This purchase order is an offer by Buyer and becomes binding upon acceptance by Seller.",
             "2. Delivery. Time is of the essence. Seller shall deliver the goods on the date(s) specified.",
             "3. Invoices must quote the purchase order number and line numbers; one invoice per purchase order.",
             "4. Warranty. Seller warrants that all goods are new, merchantable and free from defects for 12 months.",
             "5. Inspection. Goods are subject to Buyer's inspection and may be rejected if non-conforming.",
             "6. Prices. No price increase will be accepted unless agreed in writing by Buyer's purchasing department.",
             "7. Governing law. This order is governed by the laws of the state or country of Buyer's address."]
    return [dict(t="pagebreak"), dict(t="title", text=t[0], size=11), dict(t="text", lines=t[1:], size=7.5)]


# --------------------------------------------------------------------------- families

def supplier_lines(o):
    return [o["supplier"]] + o["supplier_addr"]


def fam_boxed_table(rng, o, st, meta):
    header_meta(o, st, meta)
    blocks = [dict(t="cols", cols=[{"head": o["buyer"], "lines": pools.address(rng, o["country"]) + [f"Tel. {o['phone']}"]},
                                   {"head": None, "lines": []}], box=False),
              dict(t="title", text=rng.choice(["PURCHASE ORDER", "Purchase Order", "PURCHASE ORDER"]), size=rng.choice([14, 16, 18]),
                   align=rng.choice(["L", "R", "C"]))]
    kv = [(rng.choice(["PO Number", "P.O. No.", "Purchase Order #", "PO #", "Order No."]), o["po_number"]),
          (rng.choice(["Date", "PO Date", "Order Date", "Date Issued"]), st.date(o["date"]))]
    if rng.random() < 0.6:
        kv.append((rng.choice(["Vendor No.", "Supplier ID", "Vendor #"]), f"V{rng.randint(10000, 99999)}"))
    if rng.random() < 0.5:
        kv.append((rng.choice(["Payment Terms", "Terms"]), rng.choice(["Net 30", "Net 45", "2% 10 Net 30", "Net 60"])))
    if rng.random() < 0.4:
        kv.append(("Required by", st.date(o["date"] + dt.timedelta(days=rng.randint(5, 40)))))
    if st.cur_mode == "header":
        kv.append(("Currency", st.currency))
    rng.shuffle(kv[2:])
    blocks.append(dict(t="kv", rows=kv, align=rng.choice(["L", "R"]), box=rng.random() < 0.6))
    blocks.append(dict(t="cols", cols=[{"head": rng.choice(["Vendor:", "Supplier", "To:", "VENDOR"]), "lines": supplier_lines(o)},
                                       {"head": rng.choice(["Ship To:", "SHIP TO", "Deliver To:", "Delivery Address"]), "lines": o["ship_to"]}],
                       box=rng.random() < 0.7))
    dense = rng.random() < DENSE_P
    o["dense"] = dense
    ks, tb, groups = table_block(rng, o, st, meta, grid=rng.choice(["full", "full", "h"]), dense=dense,
                                 size=rng.choice([6.5, 7, 7.5]) if dense else None)
    blocks += table_or_pages(rng, tb, groups, o, st, meta, "en", 12, 0.5, 0.5, [10, 12])
    blocks.append(dict(t="totals", rows=totals_rows(rng, o, st, meta)))
    blocks.append(dict(t="text", lines=[rng.choice(["Please acknowledge this order within 48 hours.",
                                                    "Our PO number must appear on all invoices, packing slips and correspondence.",
                                                    "Authorized by: " + o["contact"]])], size=7.5))
    if rng.random() < 0.3:
        blocks += terms_page(rng, "en")
    return blocks


def fam_erp_minimal(rng, o, st, meta):
    header_meta(o, st, meta)
    W = 96
    bname = o["buyer"].upper() if rng.random() < 0.4 else o["buyer"]
    meta["buyer_text"] = bname
    blocks = [dict(t="text", lines=[bname] + pools.address(rng, o["country"]), size=9),
              dict(t="rule"),
              dict(t="text", lines=[f"{rng.choice(['PURCHASE ORDER', 'P U R C H A S E   O R D E R', 'PURCHASE ORDER NO.'])}  {o['po_number']}",
                                    f"{rng.choice(['ORDER DATE', 'DATE', 'PO DATE'])}: {st.date(o['date'])}",
                                    f"BUYER: {o['contact']}   PHONE: {o['phone']}"], bold=False),
              dict(t="cols", cols=[{"head": "VENDOR", "lines": supplier_lines(o)}, {"head": rng.choice(["SHIP TO", "DELIVER TO"]), "lines": o["ship_to"]}])]
    if st.cur_mode == "header":
        blocks.append(dict(t="text", lines=[f"ALL AMOUNTS IN {st.currency}"], size=8))
    ks, tb, groups = table_block(rng, o, st, meta, grid=rng.choice(["none", "h"]), minimal=rng.random() < 0.2)
    if len(groups) > 14:
        blocks += paginate(rng, tb, groups, o, st, meta, "en", carry=rng.random() < 0.6, per_page=14)
    else:
        tb["rows"] = [r for g in groups for r in g]
        blocks.append(tb)
    if "amount" in ks or rng.random() < 0.5:
        blocks.append(dict(t="totals", rows=totals_rows(rng, o, st, meta, with_sub=rng.random() < 0.5)))
    blocks.append(dict(t="text", lines=["*** END OF PURCHASE ORDER ***"], size=8, align="C"))
    return blocks


def fam_german(rng, o, st, meta):
    header_meta(o, st, meta)
    addr = pools.address(rng, "DE")
    blocks = [dict(t="text", lines=[f"{o['buyer']} · {addr[0]} · {addr[1]}"], size=6.5),
              dict(t="cols", cols=[{"head": None, "lines": supplier_lines(o)},
                                   {"head": None, "lines": [f"Bestellnummer: {o['po_number']}" if rng.random() < 0.5 else f"Bestell-Nr.: {o['po_number']}",
                                                            f"Datum: {st.date(o['date'])}" if rng.random() < 0.6 else f"Bestelldatum: {st.date(o['date'])}",
                                                            f"Lieferanten-Nr.: {rng.randint(70000, 79999)}",
                                                            f"Ansprechpartner: {o['contact']}", f"Telefon: {o['phone']}"]}]),
              dict(t="title", text=rng.choice(["Bestellung", "BESTELLUNG", "Bestellung Nr. " + o["po_number"]]), size=14),
              dict(t="text", lines=["Sehr geehrte Damen und Herren,", "wir bestellen zu unseren umseitigen Einkaufsbedingungen wie folgt:"])]
    blocks.append(dict(t="cols", cols=[{"head": rng.choice(["Lieferanschrift:", "Lieferadresse:", "Warenempfänger:"]), "lines": o["ship_to"]},
                                       {"head": "Rechnungsanschrift:", "lines": o["bill_to"]}]))
    if st.cur_mode == "header":
        blocks.append(dict(t="text", lines=[f"Währung: {st.currency}"]))
    dense = rng.random() < DENSE_P
    o["dense"] = dense
    ks, tb, groups = table_block(rng, o, st, meta, lang="de", grid=rng.choice(["h", "none", "full"]), dense=dense,
                                 size=rng.choice([6.5, 7, 7.5]) if dense else None)
    if len(groups) > 8 and rng.random() < 0.8:
        blocks += paginate(rng, tb, groups, o, st, meta, "de", carry=True, per_page=rng.choice([8, 10]))
    else:
        tb["rows"] = [r for g in groups for r in g]
        blocks.append(tb)
    blocks.append(dict(t="totals", rows=totals_rows(rng, o, st, meta, lang="de")))
    blocks.append(dict(t="text", lines=[f"Lieferbedingung: {rng.choice(['DAP', 'FCA', 'frei Haus', 'EXW'])}",
                                        f"Zahlungsbedingung: {rng.choice(['30 Tage netto', '14 Tage 3% Skonto, 30 Tage netto'])}",
                                        "Bitte senden Sie uns eine Auftragsbestätigung.", "Mit freundlichen Grüßen", o["contact"]], size=8))
    if rng.random() < 0.3:
        blocks += terms_page(rng, "de")
    return blocks


def fam_two_column(rng, o, st, meta):
    header_meta(o, st, meta)
    blocks = [dict(t="title", text=o["buyer"], size=13, align="L"),
              dict(t="text", lines=[" · ".join(pools.address(rng, o["country"]))], size=7.5),
              dict(t="title", text=rng.choice(["Purchase Order", "PURCHASE ORDER", "Order"]), size=12, align="R"),
              dict(t="cols", cols=[{"head": rng.choice(["Bill To", "Invoice To", "Billing Address"]), "lines": o["bill_to"]},
                                   {"head": rng.choice(["Ship To", "Ship-to Address", "Deliver To"]), "lines": o["ship_to"]}],
                   box=rng.random() < 0.5)]
    info = [f"{rng.choice(['PO No.', 'PO Number', 'Order #'])}: {o['po_number']}", f"{rng.choice(['Date', 'Order Date'])}: {st.date(o['date'])}",
            f"Buyer: {o['contact']}", f"Ship Via: {rng.choice(['UPS Ground', 'FedEx', 'Best Way', 'Customer Pickup', 'DHL Freight'])}",
            f"FOB: {rng.choice(['Destination', 'Origin', 'Shipping Point'])}"]
    if st.cur_mode == "header":
        info.append(f"Currency: {st.currency}")
    cols = [{"head": rng.choice(["Vendor", "Supplier"]), "lines": supplier_lines(o)}, {"head": "Order Information", "lines": info}]
    if rng.random() < 0.5:
        cols.reverse()
    blocks.append(dict(t="cols", cols=cols, box=rng.random() < 0.3))
    ks, tb, groups = table_block(rng, o, st, meta)
    tb["rows"] = [r for g in groups for r in g]
    blocks.append(tb)
    blocks.append(dict(t="totals", rows=totals_rows(rng, o, st, meta)))
    if rng.random() < 0.5:
        blocks.append(dict(t="text", lines=["Notes:", rng.choice(["Deliver between 7:00 and 15:00, Mon–Fri.", "Call 30 minutes before arrival.",
                                                                   "Include SDS for all chemical products."])], size=8))
    return blocks


def fam_letter_list(rng, o, st, meta):
    header_meta(o, st, meta)
    de = st.lang == "de"
    lines_out = []
    for ln in o["lines"]:
        m = dict(sku=ln["sku"], customer_part=None, description=" ".join(ln["desc"][:1]), uom=None, unit_price=None, amount=None)
        q = st.qty(ln["qty"])
        p = st.price(ln["price"])
        a = st.amount(ln["amount"])
        pc, ac = st.money_cell(p, always=True), st.money_cell(a, always=True)
        uom = rng.choice(UOM_PRINT.get(ln["uom"], [ln["uom"]]))
        tpl = rng.choice(["{n}. {q} {u} {sku} – {d}, at {pc} each = {ac}", "{n}) {sku}: {d} — qty {q} {u} @ {pc} = {ac}",
                          "{n}. {d} (our ref. {sku}), {q} {u} x {pc}, total {ac}"])
        s = tpl.format(n=ln["no"], q=q, u=uom, sku=ln["sku"], d=ln["desc"][0], pc=pc, ac=ac)
        m.update(quantity_text=q, uom=uom, uom_text=uom, unit_price=ln["price"], unit_price_text=p, amount=ln["amount"], amount_text=a,
                 sku_text=ln["sku"], description_lines=ln["desc"][:1], line_text=s)
        meta["lines_by_no"][ln["no"]] = m
        lines_out.append(s)
    tot = totals_rows(rng, o, st, meta, with_sub=False) if not o["charges"] else totals_rows(rng, o, st, meta)
    blocks = [dict(t="text", lines=[o["buyer"]] + pools.address(rng, o["country"]), bold=False, size=10),
              dict(t="text", lines=[st.date(o["date"])], align="R"),
              dict(t="text", lines=supplier_lines(o)),
              dict(t="text", lines=[f"{rng.choice(['Subject', 'Re', 'Our ref.'])}: Purchase Order No. {o['po_number']}"], bold=True),
              dict(t="text", lines=["Dear Sir or Madam,", "", "Please supply the following items in accordance with your quotation:"]),
              dict(t="text", lines=lines_out),
              dict(t="text", lines=[f"{lab}: {val}" for lab, val in tot]),
              dict(t="text", lines=["Please deliver to:"] + o["ship_to"]),
              dict(t="text", lines=["Kind regards,", "", o["contact"], rng.choice(["Purchasing Manager", "Buyer", "Maintenance Planner"]), o["buyer"]])]
    return blocks


def fam_sap_dense(rng, o, st, meta):
    header_meta(o, st, meta)
    st.qfmt = "dec3"
    if rng.random() < 0.5:
        st.pdec = rng.choice([2, 6])
    blocks = [dict(t="cols", cols=[{"head": o["buyer"], "lines": pools.address(rng, o["country"])},
                                   {"head": "Purchase Order", "lines": [f"PO number/date  {o['po_number']} / {st.date(o['date'])}",
                                                                        f"Vendor number  {rng.randint(100000, 999999)}",
                                                                        f"Contact person  {o['contact']}", f"Telephone  {o['phone']}",
                                                                        f"Currency  {st.currency}" if st.cur_mode in ("header", "column") else "Incoterms  FCA"]}]),
              dict(t="cols", cols=[{"head": "Vendor address", "lines": supplier_lines(o)},
                                   {"head": "Please deliver to", "lines": o["ship_to"]},
                                   {"head": "Invoice address", "lines": o["bill_to"]}])]
    if st.cur_mode not in ("header", "column"):
        st.cur_mode = rng.choice(["none", "code_suffix"])
        meta["currency_text"] = None if st.cur_mode == "none" else st.currency
    ks, tb, groups = table_block(rng, o, st, meta, dense=True, grid=rng.choice(["h", "none"]), size=rng.choice([6.5, 7]))
    per = rng.choice([12, 15])
    blocks += paginate(rng, tb, groups, o, st, meta, "en", carry=rng.random() < 0.5, per_page=per) if len(groups) > per else [dict(tb, rows=[r for g in groups for r in g])]
    blocks.append(dict(t="totals", rows=totals_rows(rng, o, st, meta)))
    blocks += terms_page(rng, "en") if rng.random() < 0.6 else []
    return blocks


def fam_email_text(rng, o, st, meta):
    """Plain-text ERP mail body: aligned columns."""
    header_meta(o, st, meta)
    blocks = [dict(t="text", lines=[rng.choice(["Hello,", "Hi team,", "Good morning,", "Dear Sales,"]), "",
                                    rng.choice(["Please process the following order.", "Please ship the items below and confirm.",
                                                "Kindly find our purchase order below."])]),
              dict(t="text", lines=[f"PO Number: {o['po_number']}", f"PO Date:   {st.date(o['date'])}" if meta["order_date_text"] else "",
                                    f"Buyer:     {o['buyer']}"])]
    if st.cur_mode == "header":
        blocks[-1]["lines"].append(f"Currency:  {st.currency}")
    blocks[-1]["lines"] = [x for x in blocks[-1]["lines"] if x]
    ks, tb, groups = table_block(rng, o, st, meta, grid="none")
    tb["rows"] = [r for g in groups for r in g]
    blocks.append(tb)
    blocks.append(dict(t="totals", rows=totals_rows(rng, o, st, meta, with_sub=rng.random() < 0.5)))
    blocks.append(dict(t="text", lines=["Ship to:"] + o["ship_to"]))
    blocks.append(dict(t="text", lines=["Thanks,", o["contact"], o["buyer"], o["phone"]]))
    return blocks


fam_email_html = fam_email_text  # same content, rendered as an HTML table by the producer


def fam_qty_x_code(rng, o, st, meta):
    header_meta(o, st, meta, date_text=rng.random() < 0.5)
    meta["ship_to_lines"] = None
    out = []
    tpl = rng.choice(["{q} x {c}", "{q}x {c}", "{q} x {c} ({d})", "{c} x {q}", "- {q} pcs {c}", "{q} ea {c} - {d}"])
    for ln in o["lines"]:
        q = st.qty(ln["qty"]) if ln["qty"] < 1000 else str(int(ln["qty"]))
        d = ln["desc"][0].split(",")[0]
        s = tpl.format(q=q, c=ln["sku"], d=d)
        m = dict(sku=ln["sku"], sku_text=ln["sku"], customer_part=None, description=d if "{d}" in tpl else None,
                 quantity_text=q, uom=("pcs" if "pcs" in tpl else "ea" if " ea " in tpl else None), unit_price=None, amount=None, line_text=s)
        meta["lines_by_no"][ln["no"]] = m
        out.append(s)
    meta["total_text"] = None
    head = [rng.choice(["Hi,", "Hello", "Morning,"]), "",
            rng.choice([f"Please send the following on PO {o['po_number']}:", f"PO# {o['po_number']} - please ship:",
                        f"Order {o['po_number']}, please supply:"])]
    if meta["order_date_text"]:
        head.insert(0, f"Date: {meta['order_date_text']}")
    blocks = [dict(t="text", lines=head), dict(t="text", lines=out),
              dict(t="text", lines=[rng.choice(["Usual delivery address.", "Ship to our usual address please.", "Deliver asap, thanks."]),
                                    "", rng.choice(["Cheers", "Thanks", "Regards"]), o["contact"], o["buyer"]])]
    return blocks


def fam_stacked_lines(rng, o, st, meta):
    """Item rows in two tiers: codes and numbers on the first row, the description on the
    row(s) below it spanning the table (common in ERP prints); order facts as a key-value
    list beside the letterhead; ship-to under the vendor, or beside it."""
    header_meta(o, st, meta)
    po_lab = rng.choice(["Purchase Order", "PO No.", "Order Number", "P/O", "Our Order No.", "PO Ref."])
    date_lab = rng.choice(["Order Date", "Date", "Dated", "Issue Date"])
    facts = [f"{po_lab}: {o['po_number']}", f"{date_lab}: {st.date(o['date'])}"]
    extra = [f"Buyer: {o['contact']}", f"Phone: {o['phone']}", f"Terms: {rng.choice(['Net 30', 'Net 60', '30 days EOM'])}",
             f"Requested: {st.date(o['date'] + dt.timedelta(days=rng.randint(3, 30)))}", f"Revision: {rng.randint(0, 3)}"]
    facts += rng.sample(extra, rng.randint(1, 4))
    if st.cur_mode == "header":
        facts.append(f"Currency: {st.currency}")
    letter = {"head": o["buyer"], "lines": pools.address(rng, o["country"])}
    top = [letter, {"head": rng.choice(["PURCHASE ORDER", "Purchase Order", "ORDER"]), "lines": facts}]
    blocks = [dict(t="cols", cols=top if rng.random() < 0.7 else top[::-1])]
    sup = {"head": rng.choice(["Supplier:", "Vendor", "Order placed with:"]), "lines": supplier_lines(o)}
    shp = {"head": rng.choice(["Ship To:", "Delivery address", "Deliver to:", "Consignee"]), "lines": o["ship_to"]}
    if rng.random() < 0.5:
        blocks.append(dict(t="cols", cols=[sup, shp] if rng.random() < 0.5 else [shp, sup], box=rng.random() < 0.4))
    else:
        blocks.append(dict(t="cols", cols=[sup, {"head": None, "lines": []}]))
        blocks.append(dict(t="cols", cols=[shp, {"head": None, "lines": []}]))
    ks = choose_columns(rng, o, dense=rng.random() < 0.3)
    if "desc" not in ks:
        ks.append("desc")
    ks_row = [k for k in ks if k != "desc"]
    heads = column_heads(rng, ks_row, st)
    groups = build_rows(rng, o, st, ks, meta)
    di = ks.index("desc")
    start = 1 if ks_row and ks_row[0] == "pos" else 0
    stacked = []
    for g in groups:
        cells = g[0]
        desc = cells[di]
        row = cells[:di] + cells[di + 1:]
        out = [row] + [{"span": d, "start": start} for d in desc.split("\n") if d] + g[1:]
        stacked.append(out)
    widths = [WIDTH[k] * rng.uniform(0.9, 1.3) for k in ks_row]
    tb = dict(t="table", head=heads, rows=[], widths=widths, align=[ALIGN[k] for k in ks_row],
              grid=rng.choice(["h", "none", "full"]), size=rng.choice([7.5, 8, 8.5, 9]), wrapcode=[])
    blocks += table_or_pages(rng, tb, stacked, o, st, meta, "en", 10, 0.6, 0.5, [8, 10])
    blocks.append(dict(t="totals", rows=totals_rows(rng, o, st, meta, with_sub=rng.random() < 0.6)))
    blocks.append(dict(t="text", lines=[rng.choice(["Please confirm receipt and delivery date.", "Quote our order number on all documents.",
                                                    "Partial deliveries only after agreement."])], size=7.5))
    if rng.random() < 0.25:
        blocks += terms_page(rng, "en")
    return blocks


def fam_grid_form(rng, o, st, meta):
    """A procurement-system form: order facts in a grid of labelled cells (label above value),
    vendor / bill-to / ship-to blocks side by side in any order, then the item table."""
    header_meta(o, st, meta)
    title = rng.choice(["PURCHASE ORDER", "Purchase Order", "PURCHASE ORDER", "Order"])
    left = {"head": o["buyer"], "lines": pools.address(rng, o["country"]) + ([f"Phone {o['phone']}"] if rng.random() < 0.5 else [])}
    right = {"head": title, "lines": [rng.choice(["Original", "Page 1", "Please quote the PO number on all documents",
                                                 "This order is subject to the terms overleaf"])]}
    blocks = [dict(t="cols", cols=[left, right] if rng.random() < 0.8 else [right, left])]
    facts = [(rng.choice(["PO Number", "P.O. Number", "Order No.", "PO #", "Purchase Order"]), o["po_number"]),
             (rng.choice(["PO Date", "Order Date", "Date", "Issued"]), st.date(o["date"]))]
    extra = [(rng.choice(["Buyer", "Requisitioner", "Ordered By"]), o["contact"]),
             (rng.choice(["Terms", "Payment Terms"]), rng.choice(["Net 30", "Net 45", "2% 10 Net 30", "Due on receipt"])),
             (rng.choice(["Ship Via", "Carrier"]), rng.choice(["UPS Ground", "FedEx 2Day", "Best Way", "Our truck", "DHL"])),
             ("FOB", rng.choice(["Destination", "Origin", "Shipping Point"])),
             (rng.choice(["Vendor No.", "Supplier #", "Vendor ID"]), f"{rng.randint(10000, 99999)}"),
             (rng.choice(["Need By", "Delivery Date", "Required"]), st.date(o["date"] + dt.timedelta(days=rng.randint(5, 40)))),
             (rng.choice(["Revision", "Rev."]), str(rng.randint(0, 4))),
             ("Confirm To", o["contact"].split(" ")[0])]
    facts += rng.sample(extra, rng.randint(2, 5))
    if st.cur_mode == "header":
        facts.append(("Currency", st.currency))
    head_facts, rest = facts[:2], facts[2:]
    rng.shuffle(rest)
    facts = head_facts + rest
    if rng.random() < 0.4:
        rng.shuffle(facts)
    n = len(facts)
    split = n if n <= 5 or rng.random() < 0.4 else (n + 1) // 2
    for part in (facts[:split], facts[split:]):
        if part:
            blocks.append(dict(t="table", head=[k for k, _ in part], rows=[[v for _, v in part]],
                               widths=[rng.uniform(0.9, 1.4) for _ in part], align=["L"] * len(part),
                               grid=rng.choice(["full", "full", "h"]), size=rng.choice([7.5, 8, 8.5]), wrapcode=[]))
    addr = [{"head": rng.choice(["Vendor", "Supplier", "To", "Vendor Address"]), "lines": supplier_lines(o)},
            {"head": rng.choice(["Ship To", "Ship-To Address", "Deliver To", "Delivery Address", "Consignee"]), "lines": o["ship_to"]}]
    if rng.random() < 0.6:
        addr.append({"head": rng.choice(["Bill To", "Invoice To", "Invoice Address", "Send Invoices To"]), "lines": o["bill_to"]})
    rng.shuffle(addr)
    blocks.append(dict(t="cols", cols=addr, box=rng.random() < 0.6))
    dense = rng.random() < 0.25
    o["dense"] = dense
    ks, tb, groups = table_block(rng, o, st, meta, dense=dense, size=rng.choice([6.5, 7, 7.5]) if dense else None)
    blocks += table_or_pages(rng, tb, groups, o, st, meta, "en", 12, 0.5, 0.4, [10, 12])
    blocks.append(dict(t="totals", rows=totals_rows(rng, o, st, meta, with_sub=rng.random() < 0.7)))
    tail = [rng.choice(["Authorized Signature: ____________________", f"Approved by {o['contact']}", "Electronically approved"])]
    if rng.random() < 0.5:
        tail.insert(0, rng.choice(["Certificate of conformance required with shipment.", "Packing slip must show PO and line number.",
                                   "No substitutions without written approval."]))
    blocks.append(dict(t="text", lines=tail, size=7.5))
    if rng.random() < 0.2:
        blocks += terms_page(rng, "en")
    return blocks


FAMILIES = {
    "boxed_table": (fam_boxed_table, ["reportlab", "fpdf2", "soffice_docx", "eml_pdf"]),
    "erp_minimal": (fam_erp_minimal, ["reportlab", "fpdf2", "txt"]),
    "german_bestellung": (fam_german, ["reportlab", "fpdf2", "soffice_docx"]),
    "two_column_header": (fam_two_column, ["reportlab", "fpdf2", "soffice_html", "eml_pdf"]),
    "letter_list": (fam_letter_list, ["soffice_docx", "reportlab", "eml_text"]),
    "sap_dense": (fam_sap_dense, ["reportlab", "fpdf2"]),
    "email_text": (fam_email_text, ["eml_text"]),
    "email_html": (fam_email_html, ["eml_html"]),
    "qty_x_code": (fam_qty_x_code, ["txt", "eml_text"]),
    "stacked_lines": (fam_stacked_lines, ["reportlab", "fpdf2", "soffice_docx", "eml_pdf"]),
    "grid_form": (fam_grid_form, ["reportlab", "fpdf2", "soffice_docx", "eml_pdf"]),
    "multi_po": (None, ["reportlab", "fpdf2"]),  # several erp_minimal / boxed_table orders in one PDF
}


# The multilingual family with the variety of real POs (intl.py imports this module's helpers).
import intl  # noqa: E402

FAMILIES["intl_form"] = (intl.fam_intl_form, ["reportlab", "fpdf2", "soffice_html", "chromium_html", "soffice_docx"])
