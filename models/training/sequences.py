#!/usr/bin/env python3
"""Replay sequences for learned layouts (issue 18): several POs per customer, each customer
printing every PO from one form (same family, producer, fonts, columns, labels), with new
content each time (PO number, date, items, line count).

    python3 models/training/sequences.py --out DIR --gold-dir GOLD [--customers 8] [--docs 5] [--seed 18]

Writes DIR/<NN>_<customer>_<k>.<pdf|txt|eml> in arrival order (customers interleaved), gold
JSON per file in GOLD (the extraction contract), and DIR/manifest.jsonl with the layout key
of each file (customer + family + producer).

How one form is kept: every random draw the generator makes outside the order's content
comes from a stream keyed by its call site (file and line) and the layout's seed, so the
k-th draw at a site is the same in every document of the form. The order's content
(customer's items, quantities, dates, PO number) comes from a per-document generator.
"""

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import families as F  # noqa: E402
import generate as G  # noqa: E402
import orders as O  # noqa: E402

HERE = os.path.abspath(__file__)
RANDOM_PY = os.path.abspath(random.__file__)


class SiteRandom(random.Random):
    """Draws keyed by call site: the same sequence at each site for one layout seed."""

    def __init__(self, seed):
        self._layout_seed = seed
        self._streams = {}
        super().__init__(0)

    def _stream(self):
        f = sys._getframe(1)
        while f is not None and os.path.abspath(f.f_code.co_filename) in (RANDOM_PY, HERE):
            f = f.f_back
        key = (os.path.basename(f.f_code.co_filename), f.f_lineno) if f else ("?", 0)
        s = self._streams.get(key)
        if s is None:
            s = self._streams[key] = random.Random(f"{self._layout_seed}-{key[0]}-{key[1]}")
        return s

    def random(self):
        return self._stream().random()

    def getrandbits(self, k):
        return self._stream().getrandbits(k)


FORMS = [  # (family, producer): PDF forms an ERP prints, and a text export
    ("boxed_table", "reportlab"), ("erp_minimal", "fpdf2"), ("two_column_header", "reportlab"),
    ("german_bestellung", "reportlab"), ("sap_dense", "fpdf2"), ("grid_form", "reportlab"),
    ("stacked_lines", "fpdf2"), ("boxed_table", "fpdf2"), ("erp_minimal", "txt"),
    ("two_column_header", "fpdf2"),
]


def catalog_quantities(o, by_sku):
    """Quantities the catalog takes: at least the minimum, in whole packs."""
    for ln in o["lines"]:
        it = by_sku.get(ln["sku"])
        if not it:
            continue
        pack = max(1, int(it.get("pack_size") or 1))
        q = max(float(ln["qty"]), float(it.get("min_qty") or 0))
        q = pack * -(-q // pack)
        ln["qty"] = int(q) if float(q).is_integer() else q


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--gold-dir", required=True)
    ap.add_argument("--customers", type=int, default=8)
    ap.add_argument("--docs", type=int, default=5, help="documents per customer")
    ap.add_argument("--seed", type=int, default=18)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    os.makedirs(a.gold_dir, exist_ok=True)
    ctx = O.context()
    by_sku = {it["sku"]: it for it in ctx["master"]}
    rng = random.Random(a.seed)
    # Customers whose currency the catalog sells in, items of that currency: the master data
    # agrees with every order, so an order that needs no correction can go through untouched.
    currencies = {it["currency"] for it in ctx["master"]}
    customers = rng.sample([c for c in ctx["customers"] if c["currency"] in currencies], a.customers)
    forms = [FORMS[i % len(FORMS)] for i in range(a.customers)]
    # Every PO is addressed to us: one supplier block, as in real mail.
    O.SUPPLIERS[:] = [O.SUPPLIERS[0]]
    our_address = O.pools.address(random.Random(a.seed), O.SUPPLIERS[0][1])
    job = G.Job(a.out, a.gold_dir)
    orig_make, orig_finish = O.make_order, O.finish_amounts
    rows = []
    seq = 0
    for k in range(a.docs):
        for ci, cust in enumerate(customers):
            family, producer = forms[ci]
            layout_seed = f"{a.seed}-{cust['customer_id']}-{family}-{producer}"
            content = random.Random(f"{layout_seed}-doc-{k}")
            pool = [it for it in ctx["master"] if it["currency"] == cust["currency"]]
            items = content.sample(pool, content.choice([1, 2, 3, 4, 5, 6, 8, 10, 14]))
            # The order's content from the document's own generator; the form's draws by site.
            def make(_rng, *p, **kw):
                o = orig_make(content, *p, **dict(kw, items=items))
                o["supplier_addr"] = list(our_address)
                return o

            O.make_order = make
            # No charges or line discounts: the gold files of the generator do not carry them
            # (pre-issue-19 contract), so an order approved with its gold would not add up.
            O.finish_amounts = lambda _rng, o, st, **kw: orig_finish(content, o, st, disc_p=0.0, charges=[])
            try:
                name = f"{seq:03d}_{cust['customer_id']}_{k}"
                G.generate_doc(job, SiteRandom(layout_seed), seq, family, producer, customer=cust, name=name,
                               make_kw=dict(code_mode="ours", use_master_p=1.0), n_orders=1,
                               order_hook=lambda o, _k, _r: catalog_quantities(o, by_sku), disc_p=0.0)
            finally:
                O.make_order, O.finish_amounts = orig_make, orig_finish
            rows.append(dict(seq=seq, customer=cust["customer_id"], layout=f"{cust['customer_id']}:{family}:{producer}", k=k))
            seq += 1
    by_name = {r["file"]: r for r in job.manifest}
    with open(os.path.join(a.out, "manifest.jsonl"), "w") as f:
        for r in rows:
            m = next(v for n, v in by_name.items() if n.startswith(f"{r['seq']:03d}_"))
            f.write(json.dumps(dict(file=m["file"], family=m["family"], producer=m["producer"], **r)) + "\n")
    print(f"wrote {len(rows)} documents ({a.customers} customers x {a.docs}) to {a.out}")


if __name__ == "__main__":
    main()
