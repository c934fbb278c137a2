#!/usr/bin/env python3
"""Word labels for the token classifier, from generator output.

    python3 models/training/label.py --docs DIR [--gold DIR] --out data.jsonl [--bin target/debug/po-intake]

Every document goes through `po-intake parse` (the same parser the Rust inference uses, so no
train/serve skew). Each parsed part becomes one record:
    {"file", "part", "family", "producer", "words": [...], "bbox": [[x0,y0,x1,y1] 0..1000],
     "line": [...], "labels": [...]}
Labels come from matching the gold values / meta surface strings (`*_text`, `description_lines`,
`ship_to_lines`) to word sequences:
- matching is done on the characters of the words with whitespace removed, so a value cut
  over two words (a code wrapped mid-word in a narrow column) still matches; a value must start
  at a word start (a leading `$`, `(` ... is allowed) and end at a word end (trailing punctuation
  allowed);
- multi-word values (descriptions, ship-to, buyer, codes) may skip words of other columns in
  between (a wrapped description interleaved with the quantity/price columns);
- numbers are matched by their printed string (the document's number format), preferring the
  line of the item's code/description; dates by their surface string.
Tags: B- begins a value, I- continues it, S- marks the first labelled word (reading order) of a
line item. Parts where no order matches are all `O`. Documents whose label coverage (share of
non-null gold fields found) is below --min-coverage are dropped. Prints coverage per field and
per family.
"""

import argparse
import collections
import concurrent.futures as cf
import json
import os
import subprocess
import sys
import unicodedata

HEADER = ["po_number", "order_date", "buyer", "currency", "ship_to", "total"]
ITEM = ["sku", "customer_part", "description", "quantity", "uom", "unit_price", "amount"]


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return "".join(ch for ch in s.lower() if not ch.isspace())


def is_boundary_char(ch):
    return not ch.isalnum()


class Part:
    def __init__(self, words):
        self.words = words  # list of dicts from the parser (+ page)
        self.n = len(words)
        self.norm = [norm(w["text"]) for w in words]
        self.used = [False] * self.n
        self.labels = ["O"] * self.n
        self.line = [(w["page"], w["line"]) for w in words]

    def match_at(self, i, target, gap, allow_used=False):
        """Try to match `target` (normalised) starting at word i. Returns word indices or None."""
        t = target
        if not t:
            return None
        w0 = self.norm[i]
        if not w0 or (self.used[i] and not allow_used):
            return None
        # first word: optional non-alnum prefix, then the target's start
        k = 0
        while k < len(w0) and is_boundary_char(w0[k]) and not t.startswith(w0[k:k + 1]):
            k += 1
        rest = w0[k:]
        if not rest:
            return None
        if t.startswith(rest):
            p = len(rest)
            idx = [i]
        else:
            # the target ends inside this word: allowed only with a non-alnum suffix
            if rest.startswith(t) and (len(rest) == len(t) or self._ok_suffix(rest[len(t):], t)):
                return [i]
            return None
        j = i
        while p < len(t):
            found = None
            for jj in range(j + 1, min(self.n, j + 2 + gap)):
                if self.used[jj] and not allow_used:
                    continue
                wj = self.norm[jj]
                if not wj:
                    continue
                if t.startswith(wj, p):
                    found = (jj, len(wj))
                    break
                rem = t[p:]
                if wj.startswith(rem) and self._ok_suffix(wj[len(rem):], t):
                    found = (jj, len(rem))
                    break
            if found is None:
                return None
            jj, ln = found
            idx.append(jj)
            p += ln
            j = jj
        return idx

    @staticmethod
    def _ok_suffix(suffix, t):
        if not suffix:
            return True
        if not is_boundary_char(suffix[0]):
            return False
        # "105.00" must not match inside "105.000" or "1,05.00,5": a separator followed by a digit
        if suffix[0] in ".,'’" and len(suffix) > 1 and suffix[1].isdigit():
            return False
        return True

    def find_all(self, target, gap=0, lo=0, hi=None, allow_used=False):
        t = norm(target)
        hi = self.n if hi is None else hi
        out = []
        for i in range(lo, hi):
            m = self.match_at(i, t, gap, allow_used)
            if m and m[-1] < hi:
                out.append(m)
        return out

    def label(self, idx, field, first_tag="B"):
        for k, i in enumerate(idx):
            self.labels[i] = f"{first_tag}-{field}" if k == 0 else f"I-{field}"
            self.used[i] = True


def pick(cands, anchor_line, part, lo):
    if not cands:
        return None
    if anchor_line is not None:
        same = [c for c in cands if part.line[c[0]] == anchor_line]
        if same:
            return same[0]
    return cands[0]


def label_order(part, g, m, lo, hi, stats, fam):
    """Label one gold order inside words [lo, hi). Returns (found, wanted)."""
    found = wanted = 0

    def hit(field, ok):
        nonlocal found, wanted
        wanted += 1
        found += int(ok)
        stats[(fam, field)][0] += int(ok)
        stats[(fam, field)][1] += 1

    # ship-to block first (its first line often repeats the buyer's name)
    if g.get("ship_to"):
        lines = m.get("ship_to_lines") or [g["ship_to"]]
        target = " ".join(lines)
        c = part.find_all(target, gap=25, lo=lo, hi=hi)
        if c:
            part.label(c[0], "ship_to")
        hit("ship_to", bool(c))
    # line items in reading order
    cur = lo
    for gl, ml in zip(g.get("lines", []), m.get("lines", [])):
        item_words = []
        anchor_line = None
        anchor = None
        # pos number: not a field, but keep it from being matched as a quantity
        pos = ml.get("pos_text")
        for fname, text, gap in (
            ("description", " ".join(ml.get("description_lines") or []) or gl.get("description"), 40),
            ("sku", ml.get("sku_text") or gl.get("sku"), 25),
            ("customer_part", ml.get("customer_part_text") or gl.get("customer_part"), 25),
        ):
            if not gl.get(fname) or not text:
                continue
            c = part.find_all(text, gap=gap, lo=cur, hi=hi)
            c = [x for x in c if x[0] < cur + 400]
            ch = pick(c, anchor_line, part, cur)
            if ch:
                part.label(ch, fname)
                item_words.append((ch[0], fname))
                if anchor is None or ch[0] < anchor:
                    anchor = ch[0]
                    anchor_line = part.line[ch[0]]
            hit(fname, bool(ch))
        if pos and anchor is not None:
            for c in part.find_all(pos, lo=max(lo, anchor - 3), hi=anchor + 1):
                if part.line[c[0]] == anchor_line:
                    part.used[c[0]] = True
                    break
        for fname, key in (("quantity", "quantity_text"), ("uom", "uom_text"),
                           ("unit_price", "unit_price_text"), ("amount", "amount_text")):
            if gl.get(fname) is None:
                continue
            text = ml.get(key) or (gl.get(fname) if fname == "uom" else None)
            if not text:
                hit(fname, False)
                continue
            start = cur if anchor is None else max(cur, anchor - 12)
            # numbers wrapped in a narrow column ("2500." / "000") continue on a later line
            c = part.find_all(text, gap=20, lo=start, hi=hi)
            c = [x for x in c if x[0] < start + 150 and (
                len(x) == 1 or (len(part.norm[x[0]]) >= 3 and part.line[x[1]] != part.line[x[0]]))]
            ch = pick(c, anchor_line, part, cur)
            if ch:
                part.label(ch, fname)
                item_words.append((ch[0], fname))
            hit(fname, bool(ch))
        if item_words:
            first, fname = min(item_words)
            part.labels[first] = f"S-{fname}"
            cur = (anchor if anchor is not None else first) + 1
    # header fields
    if g.get("po_number"):
        c = part.find_all(m.get("po_number_text") or g["po_number"], lo=lo, hi=hi)
        for x in c:
            part.label(x, "po_number")
        hit("po_number", bool(c))
    if m.get("order_date_text") and g.get("order_date"):
        c = part.find_all(m["order_date_text"], gap=2, lo=lo, hi=hi)
        for x in c:
            part.label(x, "order_date")
        hit("order_date", bool(c))
    if g.get("buyer"):
        c = part.find_all(m.get("buyer_text") or g["buyer"], gap=3, lo=lo, hi=hi)
        for x in c:
            part.label(x, "buyer")
        hit("buyer", bool(c))
    if g.get("currency"):
        ct = m.get("currency_text") or g["currency"]
        c = [x for x in part.find_all(ct, lo=lo, hi=hi)
             if len(x) == 1 and norm(part.words[x[0]]["text"]).strip("()[]:.,/") == norm(ct)]
        for x in c:
            part.label(x, "currency")
        # a symbol glued to the amounts is found by the decoder: not a miss
        hit("currency", bool(c) or len(ct) == 1)
    if g.get("total") is not None and m.get("total_text"):
        c = part.find_all(m["total_text"], lo=lo, hi=hi)
        if c:
            part.label(c[-1], "total")
        hit("total", bool(c))
    return found, wanted


def parse_file(binary, path):
    r = subprocess.run([binary, "parse", path], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)


def scaled_words(doc):
    words, boxes = [], []
    for pg in doc["pages"]:
        w, h = max(pg["width"], 1.0), max(pg["height"], 1.0)

        def sc(v, d):
            return int(min(1000, max(0, round(v / d * 1000.0))))

        for wd in pg["words"]:
            b = wd["bbox"]
            wd = dict(wd)
            wd["page"] = pg["number"]
            words.append(wd)
            boxes.append([sc(b["x0"], w), sc(b["y0"], h), sc(b["x1"], w), sc(b["y1"], h)])
    return words, boxes


def label_doc(parsed, gold_dir, rec, stats):
    gold = json.load(open(os.path.join(gold_dir, rec["file"] + ".json")))
    meta = json.load(open(os.path.join(gold_dir, rec["file"] + ".meta.json")))
    fam = rec.get("family", "?")
    parts = []
    for pi, p in enumerate(parsed["parts"]):
        if p["content"]["status"] != "parsed":
            continue
        words, boxes = scaled_words(p["content"]["doc"])
        if not words:
            continue
        parts.append((pi, p["name"], Part(words), boxes))
    orders = list(zip(gold["orders"], meta["orders"]))
    total_found = total_wanted = 0
    # assign each order to the part holding its PO number (first such part, in order)
    next_part = 0
    assigned = collections.defaultdict(list)
    for oi, (g, m) in enumerate(orders):
        po = m.get("po_number_text") or g.get("po_number")
        placed = None
        for k in list(range(next_part, len(parts))) + list(range(0, next_part)):
            if po and parts[k][2].find_all(po):
                placed = k
                break
        if placed is None:
            placed = min(next_part, len(parts) - 1) if parts else None
        if placed is None:
            continue
        assigned[placed].append((g, m))
        next_part = placed
    for k, olist in assigned.items():
        part = parts[k][2]
        # regions: an order starts at the page where its PO number first appears
        starts = []
        prev = 0
        for g, m in olist:
            po = m.get("po_number_text") or g.get("po_number")
            c = part.find_all(po, lo=prev) if po else []
            s = prev
            if c and len(olist) > 1:
                pg = part.words[c[0][0]]["page"]
                s = c[0][0]
                while s > prev and part.words[s - 1]["page"] == pg:
                    s -= 1
            starts.append(s)
            prev = s
        starts[0] = 0
        for j, (g, m) in enumerate(olist):
            hi = starts[j + 1] if j + 1 < len(olist) else part.n
            f, w = label_order(part, g, m, starts[j], hi, stats, fam)
            total_found += f
            total_wanted += w
    recs = []
    for pi, name, part, boxes in parts:
        recs.append({
            "file": rec["file"], "part": pi, "part_name": name, "family": fam,
            "producer": rec.get("producer"),
            "words": [w["text"] for w in part.words], "bbox": boxes,
            "line": [[w["page"], w["line"]] for w in part.words],
            "labels": part.labels,
        })
    return recs, total_found, total_wanted


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", required=True, nargs="+")
    ap.add_argument("--gold", nargs="*", help="gold dirs (default: the docs dirs)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--bin", default="target/debug/po-intake")
    ap.add_argument("--min-coverage", type=float, default=0.9)
    ap.add_argument("--workers", type=int, default=3)
    a = ap.parse_args()
    golds = a.gold or a.docs
    stats = collections.defaultdict(lambda: [0, 0])
    jobs = []
    for d, gdir in zip(a.docs, golds):
        for line in open(os.path.join(d, "manifest.jsonl")):
            jobs.append((d, gdir, json.loads(line)))
    kept = dropped = failed = 0
    fam_cov = collections.defaultdict(lambda: [0, 0, 0])
    with open(a.out, "w") as out, cf.ThreadPoolExecutor(a.workers) as ex:
        futs = [ex.submit(parse_file, a.bin, os.path.join(d, r["file"])) for d, _, r in jobs]
        # parsing is the slow part and runs in the pool; labelling is done here in order
        for (d, gdir, rec), fut in zip(jobs, futs):
            parsed = fut.result()
            if parsed is None:
                failed += 1
                continue
            recs, f, w = label_doc(parsed, gdir, rec, stats)
            cov = f / w if w else 1.0
            fam = rec.get("family", "?")
            fam_cov[fam][0] += f
            fam_cov[fam][1] += w
            if cov < a.min_coverage:
                dropped += 1
                fam_cov[fam][2] += 1
                print(f"drop {rec['file']}: coverage {cov:.2f}", file=sys.stderr)
                continue
            kept += 1
            for r in recs:
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"documents kept {kept}, dropped (coverage < {a.min_coverage}) {dropped}, parse failed {failed}")
    print("coverage per family (found/wanted, dropped docs):")
    for fam, (f, w, dr) in sorted(fam_cov.items()):
        print(f"  {fam:20s} {f}/{w} = {f / max(w, 1):.3f}  dropped {dr}")
    print("coverage per field:")
    per_field = collections.defaultdict(lambda: [0, 0])
    for (fam, field), (f, w) in stats.items():
        per_field[field][0] += f
        per_field[field][1] += w
    for field, (f, w) in sorted(per_field.items()):
        print(f"  {field:14s} {f}/{w} = {f / max(w, 1):.3f}")


if __name__ == "__main__":
    main()
