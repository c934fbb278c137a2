"""Order model, number/date/currency formatting with surface-string bookkeeping, gold + meta output."""

import datetime as dt
import json
import os
import random

import pools

HERE = os.path.dirname(os.path.abspath(__file__))
MASTER = os.path.join(HERE, "..", "..", "fixtures", "master")

# --------------------------------------------------------------------------- formatting

MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember"]

DATE_FORMATS = {
    "us_short": lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}",          # 3/7/25
    "us": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",                   # 03/07/2025
    "eu_dot": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",               # 07.03.2025
    "eu_slash": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",             # 07/03/2025
    "iso": lambda d: d.isoformat(),                                          # 2025-03-07
    "d_mon_comma_y": lambda d: f"{d.day} {MONTHS_EN[d.month - 1][:3]}, {d.year}",   # 10 Sep, 2025
    "de_long": lambda d: f"{d.day}. {MONTHS_DE[d.month - 1]} {d.year}",      # 7. Mai 2014
    "d_mon_yy": lambda d: f"{d.day}-{MONTHS_EN[d.month - 1][:3]}-{d.year % 100:02d}",  # 9-Jul-26
    "month_d_y": lambda d: f"{MONTHS_EN[d.month - 1]} {d.day}, {d.year}",   # September 10, 2025
    "dd_MON_yyyy": lambda d: f"{d.day:02d}-{MONTHS_EN[d.month - 1][:3].upper()}-{d.year}",  # 10-SEP-2025
    "d_month_y": lambda d: f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}",     # 7 March 2025
}
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]
MONTHS_NL = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december"]
MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
             "noviembre", "diciembre"]
MONTHS_IT = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
             "novembre", "dicembre"]
# Used by the multilingual `intl_form` family only (new keys: the other families draw as before).
DATE_FORMATS.update({
    "eu_dash": lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",             # 07-03-2025 (India, NL)
    "eu_dot_yy": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}",  # 07.03.25
    "d_mon_y": lambda d: f"{d.day:02d}-{MONTHS_EN[d.month - 1][:3]}-{d.year}",  # 07-Mar-2025
    "fr_long": lambda d: f"{d.day} {MONTHS_FR[d.month - 1]} {d.year}",       # 7 mars 2025
    "nl_long": lambda d: f"{d.day} {MONTHS_NL[d.month - 1]} {d.year}",       # 7 maart 2025
    "es_long": lambda d: f"{d.day} de {MONTHS_ES[d.month - 1]} de {d.year}",  # 7 de marzo de 2025
    "it_long": lambda d: f"{d.day} {MONTHS_IT[d.month - 1]} {d.year}",       # 7 marzo 2025
})
DATE_EN = ["us_short", "us", "iso", "d_mon_comma_y", "d_mon_yy", "month_d_y", "dd_MON_yyyy", "d_month_y", "eu_slash"]
DATE_DE = ["eu_dot", "de_long", "eu_dot", "iso"]

CUR_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹", "AED": "AED"}


def fnum(x, dec, num):
    """Format a number in one of several national styles. num: us, eu, eu_nogroup, space, plain, swiss, space_dot."""
    neg = x < 0
    s = f"{abs(x):,.{dec}f}"
    if num == "eu":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    elif num == "eu_nogroup":
        s = s.replace(",", "").replace(".", ",")
    elif num == "space":
        s = s.replace(",", " ").replace(".", ",")
    elif num == "space_dot":
        s = s.replace(",", " ")
    elif num == "plain":
        s = s.replace(",", "")
    elif num == "swiss":
        s = s.replace(",", "'")
    elif num == "indian":  # 12,34,567.50: lakh / crore grouping
        ip, _, fp = s.replace(",", "").partition(".")
        if len(ip) > 3:
            head, tail = ip[:-3], ip[-3:]
            groups = []
            while len(head) > 2:
                groups.insert(0, head[-2:])
                head = head[:-2]
            ip = ",".join(([head] if head else []) + groups + [tail])
        s = ip + ("." + fp if fp else "")
    return ("-" + s) if neg else s


class Style:
    """All the printing choices of one document."""

    def __init__(self, rng, lang="en", num=None, currency="USD", cur_mode=None, date_fmt=None):
        self.lang = lang
        if num is None:
            num = rng.choice(["eu", "eu", "eu_nogroup", "space"]) if lang == "de" else \
                rng.choice(["us", "us", "us", "us", "plain", "space_dot", "swiss", "eu"])
        self.num = num
        self.pdec = rng.choice([2] * 8 + [0, 3, 4, 6]) if rng.random() < 0.5 else 2
        self.adec = 0 if self.pdec == 0 else 2
        self.qfmt = rng.choice(["int"] * 6 + ["dec3", "dec2"])
        self.date_fmt = date_fmt or rng.choice(DATE_DE if lang == "de" else DATE_EN)
        self.currency = currency
        self.cur_mode = cur_mode or rng.choice(["symbol_prefix", "code_prefix", "code_suffix", "symbol_suffix", "header",
                                                 "header", "column", "none"])
        if self.cur_mode.startswith("symbol") and currency in ("AED",):
            self.cur_mode = "code_prefix"
        self.neg = rng.choice(["minus", "minus", "trail", "paren"])
        self.price_unit_glued = rng.random() < 0.07  # "22.20 E"
        self.cur_on_prices = rng.random() < 0.3

    # --- numbers
    def n(self, x, dec):
        s = fnum(abs(x), dec, self.num)
        if x < 0:
            s = {"minus": "-" + s, "trail": s + "-", "paren": "(" + s + ")"}[self.neg]
        return s

    def qty(self, q):
        if self.qfmt == "int" and float(q).is_integer():
            return fnum(q, 0, self.num if self.num not in ("eu_nogroup",) else "eu")
        dec = 3 if self.qfmt == "dec3" else 2
        if not float(q).is_integer():
            dec = max(dec, 2)
        return fnum(q, dec, "plain" if self.num in ("us", "plain", "swiss", "space_dot", "indian") else "eu_nogroup")

    def price(self, p):
        return self.n(p, self.pdec)

    def amount(self, a):
        return self.n(a, self.adec)

    def money_cell(self, numtxt, always=False):
        """Attach the currency to a printed number according to the mode."""
        m = self.cur_mode
        if m in ("header", "column", "none") or not (always or self.cur_on_prices):
            return numtxt
        sym = CUR_SYMBOL.get(self.currency, self.currency)
        if m == "symbol_prefix":
            return f"{sym}{numtxt}" if len(sym) == 1 and self.currency != "EUR" else f"{sym} {numtxt}"
        if m == "symbol_suffix":
            return f"{numtxt} {sym}"
        if m == "code_prefix":
            return f"{self.currency} {numtxt}"
        return f"{numtxt} {self.currency}"

    def currency_printed(self):
        return None if self.cur_mode == "none" else self.currency

    def date(self, d):
        return DATE_FORMATS[self.date_fmt](d)


def parse_printed_number(s):
    """For self-checks only."""
    return s


# --------------------------------------------------------------------------- product pool

_CTX = {}


def context(use_master=True):
    """Product pool: the generator's own synthetic catalog plus (if present) fixtures/master."""
    if "ctx" in _CTX:
        return _CTX["ctx"]
    rng = random.Random(12345)
    items = pools.catalog_items(rng, 2000)
    master, customers, xref, contract = [], [], {}, {}
    if use_master and os.path.exists(os.path.join(MASTER, "catalog.csv")):
        import csv
        extra = {}
        ep = os.path.join(MASTER, "_catalog_extra.json")
        if os.path.exists(ep):
            extra = json.load(open(ep))
        for r in csv.DictReader(open(os.path.join(MASTER, "catalog.csv"))):
            e = extra.get(r["sku"], {})
            master.append(dict(sku=r["sku"], description=r["description"], uom=r["uom"], unit_price=float(r["unit_price"]),
                               pack_size=int(r["pack_size"]), mfr=e.get("mfr", ""), mfr_part=e.get("mfr_part", ""),
                               family=e.get("family", ""), currency=r["currency"], min_qty=int(r["min_qty"])))
        customers = list(csv.DictReader(open(os.path.join(MASTER, "customers.csv"))))
        for r in csv.DictReader(open(os.path.join(MASTER, "crossref.csv"))):
            xref.setdefault(r["customer_id"], {})[r["sku"]] = r["customer_part"]
        for r in csv.DictReader(open(os.path.join(MASTER, "contract_prices.csv"))):
            contract[(r["customer_id"], r["sku"])] = float(r["unit_price"])
    ctx = dict(items=items, master=master, customers=customers, xref=xref, contract=contract)
    _CTX["ctx"] = ctx
    return ctx


SUPPLIERS = [("Northbridge Industrial Supply Co.", "US"), ("MRO Direct Inc.", "US"), ("Keller Technischer Handel GmbH", "DE"),
             ("Atlas Bearing & Transmission Ltd", "UK"), ("Precision Fastener Distributors LLC", "US"),
             ("Rheinland Industriebedarf GmbH", "DE"), ("Gulf Industrial Trading LLC", "AE"),
             ("Midland Power Transmission Ltd", "UK")]

LINE_NOTES = ["Certificate of conformity required (EN 10204 3.1)", "Material certs to accompany shipment",
              "Deliver to Bay 4, attn. Maintenance Stores", "Drawing 12-3345 Rev C applies", "Please confirm delivery date",
              "RoHS / REACH compliance declaration required", "Country of origin must be stated on packing list",
              "Pack individually, label with our part number", "Partial shipments not accepted for this item",
              "Ref. quotation Q-{q} dated {d}", "Price as per framework agreement FA-{q}",
              "Werkszeugnis 3.1 nach EN 10204 erforderlich", "Bitte Liefertermin bestätigen"]

SPEC_LINES = ["Operating temp -30 to +110 °C", "Tolerance class P6", "Colour: RAL 7035 light grey", "IP67 rated",
              "Supplied with mounting hardware", "Food grade (NSF H1)", "Max. working pressure 250 bar",
              "ATEX zone 2 approved", "Shelf life min. 12 months on delivery", "Sold per pack — do not split"]

CODE_STYLES = [lambda r: f"{r.choice('ABCDEFGHKLMPRSTW')}{r.choice('ABCDEFGHKLMPRSTW')}-{r.randint(10, 999)}",
               lambda r: f"{r.randint(1000, 9999)}-{r.randint(1000, 9999)}",
               lambda r: f"{r.randint(100000000, 999999999)}",
               lambda r: f"{r.choice(['3RT', '6ES7', 'A9F', 'KQ2'])}{r.randint(100, 999)}-{r.randint(0, 9)}{r.choice('ABCDEFG')}{r.choice('ABX')}{r.randint(10, 99)}",
               lambda r: f"{r.randint(10, 99)}.{r.randint(100, 999)}.{r.randint(100, 999)}",
               lambda r: f"P{r.randint(10000, 99999)}/{r.choice(['A', 'B', 'C'])}",
               lambda r: f"{r.choice(['MRO', 'STK', 'ITM'])}{r.randint(100000, 999999)}"]


def rand_date(rng):
    return dt.date(2013, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 14))


def make_order(rng, country=None, n_lines=None, currency=None, use_master_p=0.3, long_desc_p=0.25,
               code_mode=None, notes_p=0.12, customer=None, items=None):
    """Values for one purchase order (nothing printed yet)."""
    ctx = context()
    if customer and not country:
        doms = customer["email_domains"]
        cur = customer["currency"]
        n = customer["name"]
        country = ("UK" if cur == "GBP" else "FR" if any(x in n for x in ("SAS", "S.A.", "SARL")) else
                   "NL" if ("BV" in n or "B.V." in n) else "DE" if cur == "EUR" else
                   "AE" if ".ae" in doms or "FZ" in n else "IN" if ".in" in doms else "US")
    country = country or rng.choice(["US"] * 5 + ["UK"] * 2 + ["DE"] * 3 + ["FR", "NL", "IN", "AE"])
    currency = currency or pools.COUNTRY_CURRENCY[country]
    if currency in ("INR", "AED") and rng.random() < 0.4:
        currency = "USD"
    buyer = customer["name"] if customer else pools.company_name(rng, country)
    if customer:
        currency = customer["currency"]
    sup_name, sup_c = rng.choice(SUPPLIERS)
    date = rand_date(rng)
    ship_lines = pools.address(rng, country)
    ship_name = rng.choice([buyer, buyer, f"{buyer} – Plant {rng.randint(1, 9)}", f"Attn: {pools.person(rng, country)}", None])
    ship_to = ([ship_name] if ship_name else []) + ship_lines
    bill_to = [buyer] + pools.address(rng, country)
    n = n_lines or rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 14, 22, 35])
    pool = ctx["master"] if (ctx["master"] and rng.random() < use_master_p) else ctx["items"]
    picks = items if items is not None else rng.sample(pool, min(n, len(pool)))
    code_mode = code_mode or rng.choice(["ours"] * 4 + ["both", "both", "buyer", "other"])
    cstyle = rng.choice(CODE_STYLES)
    lines = []
    for i, it in enumerate(picks):
        price = it["unit_price"] * rng.uniform(0.85, 1.2) if pool is ctx["items"] else it["unit_price"]
        if customer and (customer["customer_id"], it["sku"]) in ctx["contract"]:
            price = ctx["contract"][(customer["customer_id"], it["sku"])]
        price = round(price, 2)
        pack = it.get("pack_size", 1) or 1
        q = rng.choice([1, 2, 3, 4, 5, 6, 10, 12, 20, 24, 25, 50, 100, 150, 200, 500, 1000, 2500])
        if it["uom"] in ("M", "KG") and rng.random() < 0.3:
            q = round(rng.uniform(1, 120), 1)
        if pack > 1:
            q = pack * rng.choice([1, 2, 3, 5, 10])
        elif it["uom"] in ("BOX", "PK") and q > 50:
            q = rng.choice([1, 2, 5, 10, 20])
        desc = [it["description"]]
        if it.get("mfr") and rng.random() < 0.45:
            desc.append(rng.choice(["Mfr: {m} {p}", "{m} P/N {p}", "Manufacturer: {m}, part no. {p}", "Hersteller: {m} {p}",
                                    "MPN {p} ({m})"]).format(m=it["mfr"], p=it["mfr_part"]))
        if rng.random() < long_desc_p:
            desc += rng.sample(SPEC_LINES, rng.randint(1, 5))
        sku = it["sku"]
        cpart = None
        if code_mode == "other":
            sku = cstyle(rng)
        if code_mode in ("both", "buyer"):
            xr = ctx["xref"].get(customer["customer_id"], {}) if customer else {}
            cpart = xr.get(it["sku"]) or cstyle(rng)
        note = None
        if rng.random() < notes_p:
            note = rng.choice([x for x in LINE_NOTES if (country == "DE") == any(w in x for w in ("Bitte", "Werks"))] or LINE_NOTES).format(q=rng.randint(1000, 99999), d=rand_date(rng).strftime("%d.%m.%Y"))
        lines.append(dict(no=i + 1, sku=sku, cpart=cpart, desc=desc, qty=q, uom=it["uom"], price=price, disc=0.0,
                          tax=0.0, delivery=date + dt.timedelta(days=rng.randint(3, 60)), note=note,
                          upc=f"{rng.randint(10 ** 11, 10 ** 12 - 1)}", hts=f"{rng.randint(7300, 9999)}.{rng.randint(10, 99)}.{rng.randint(1000, 9999)}",
                          cost=f"{rng.randint(1000, 9999)}-{rng.randint(100, 999)}", mfr=it.get("mfr", ""), mfr_part=it.get("mfr_part", "")))
    return dict(email_domain=customer["email_domains"].split(";")[0] if customer else None, country=country, currency=currency, buyer=buyer, supplier=sup_name, supplier_country=sup_c,
                supplier_addr=pools.address(rng, sup_c), date=date, ship_to=ship_to, bill_to=bill_to,
                code_mode=code_mode, po_number=po_number(rng), contact=pools.person(rng, country),
                phone=pools.phone(rng, country), lines=lines, customer_id=customer["customer_id"] if customer else None)


def po_number(rng):
    return rng.choice([lambda: f"4500{rng.randint(100000, 999999)}", lambda: f"PO-{rng.randint(2013, 2026)}-{rng.randint(1, 99999):05d}",
                       lambda: f"{rng.randint(10000, 999999)}", lambda: f"P{rng.randint(100000, 999999)}",
                       lambda: f"{rng.choice(['B', 'BE', 'ORD'])}{rng.randint(1000, 99999)}",
                       lambda: f"{rng.randint(10, 99)}-{rng.randint(1000, 9999)}-{rng.choice('ABCDEFG')}"])()


def finish_amounts(rng, o, st, disc_p=0.0, charges=None):
    """Compute line amounts and charges given the style's precision. Returns nothing; fills o."""
    for ln in o["lines"]:
        if st.pdec == 0:
            ln["price"] = float(max(1, round(ln["price"] * (80 if o["currency"] in ("INR",) else 1))))
        elif st.pdec > 2 and rng.random() < 0.4:
            ln["price"] = round(ln["price"] * rng.uniform(0.9, 1.1), min(st.pdec, 4))
        if rng.random() < disc_p:
            ln["disc"] = rng.choice([2.0, 5.0, 10.0, 12.5, 15.0])
        a = ln["qty"] * ln["price"] * (1 - ln["disc"] / 100)
        ln["amount"] = round(a, st.adec)
    sub = round(sum(ln["amount"] for ln in o["lines"]), 2)
    o["subtotal"] = sub
    o["charges"] = []
    for kind in (charges if charges is not None else random_charges(rng, o)):
        lab, amt = charge_value(rng, kind, o, st)
        o["charges"].append(dict(kind=kind, label=lab, amount=amt))
    o["total"] = round(sub + sum(c["amount"] for c in o["charges"]), 2)


def random_charges(rng, o):
    out = []
    if o["country"] in ("DE", "FR", "NL", "UK") or rng.random() < 0.4:
        out.append("vat" if o["country"] != "US" else "tax")
    if rng.random() < 0.35:
        out.insert(0, "freight")
    if rng.random() < 0.12:
        out.insert(0, "surcharge")
    if rng.random() < 0.12:
        out.insert(0, "discount")
    return out


def charge_value(rng, kind, o, st):
    de = st.lang == "de"
    sub = o["subtotal"]
    if kind == "vat":
        rate = {"DE": 19, "UK": 20, "FR": 20, "NL": 21, "IN": 18, "AE": 5}.get(o["country"], 19)
        lab = (f"MwSt. {rate}%" if de else rng.choice([f"VAT {rate}%", f"VAT @ {rate}%", f"Tax (VAT {rate}%)"]))
        if o["country"] == "IN":
            lab = f"GST {rate}%"
        return lab, round(sub * rate / 100, 2)
    if kind == "tax":
        rate = rng.choice([6.0, 6.25, 7.0, 8.25, 8.875])
        return rng.choice([f"Sales Tax {rate:g}%", "Tax", f"Sales tax ({rate:g}%)"]), round(sub * rate / 100, 2)
    if kind == "freight":
        return (rng.choice(["Fracht", "Versandkosten", "Frachtkosten"]) if de else rng.choice(["Freight", "Shipping & Handling", "Freight charges", "Delivery"])), \
            float(rng.choice([15, 25, 35, 49.5, 75, 120, 250]))
    if kind == "surcharge":
        return (rng.choice(["Mindermengenzuschlag", "Energiezuschlag"]) if de else rng.choice(["Fuel surcharge", "Small order surcharge", "Hazmat fee"])), \
            float(rng.choice([5, 10, 12.5, 20]))
    if kind == "discount":
        p = rng.choice([2, 3, 5])
        return (f"Rabatt {p}%" if de else rng.choice([f"Discount {p}%", f"Less {p}% discount", "Volume discount"])), -round(sub * p / 100, 2)
    raise ValueError(kind)


# --------------------------------------------------------------------------- gold / meta

def gold_order(o, st, meta):
    """The extraction JSON contract for one order; meta holds printed surface strings."""
    cur = o.get("currency_gold", st.currency_printed())
    lines = []
    for ln in o["lines"]:
        m = meta["lines_by_no"].get(ln["no"], {})
        q = ln["qty"]
        lines.append(dict(sku=m.get("sku", ln["sku"]), customer_part=m.get("customer_part"),
                          description=m.get("description"), quantity=int(q) if float(q).is_integer() else q,
                          uom=m.get("uom"), unit_price=m.get("unit_price"), amount=m.get("amount")))
    return dict(po_number=o["po_number"] if meta.get("po_number_text") else None,
                order_date=o["date"].isoformat() if meta.get("order_date_text") else o.get("fallback_date"),
                buyer=meta.get("buyer_text"), currency=cur, ship_to=", ".join(meta["ship_to_lines"]) if meta.get("ship_to_lines") else None,
                total=o["total"] if meta.get("total_text") else None, lines=lines)


def new_meta():
    return {"lines_by_no": {}, "lines": []}


def write_outputs(gold_dir, fname, kind, orders_gold, metas, extra):
    os.makedirs(gold_dir, exist_ok=True)
    g = {"file": fname, "kind": kind, "orders": orders_gold}
    with open(os.path.join(gold_dir, fname + ".json"), "w") as f:
        json.dump(g, f, indent=1, ensure_ascii=False)
    ms = []
    for m in metas:
        m = dict(m)
        m["lines"] = [m["lines_by_no"][k] for k in sorted(m["lines_by_no"])]
        del m["lines_by_no"]
        ms.append(m)
    with open(os.path.join(gold_dir, fname + ".meta.json"), "w") as f:
        json.dump(dict(file=fname, orders=ms, **extra), f, indent=1, ensure_ascii=False)
    return os.path.join(gold_dir, fname + ".json")
