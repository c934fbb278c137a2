#!/usr/bin/env python3
"""Per-family header / line F1 from `po-intake eval --json` (family = the file name's middle part).

    target/debug/po-intake eval fixtures/eval/docs fixtures/eval/gold --json | python3 models/training/eval_summary.py
"""

import collections
import json
import re
import sys


def f1(c):
    tp, fp, fn = c
    return 2 * tp / max(2 * tp + fp + fn, 1)


d = json.load(sys.stdin)
fam = collections.defaultdict(lambda: {"h": [0, 0, 0], "l": [0, 0, 0], "exact": 0, "orders": 0, "docs": 0})
for doc in d["per_document"]:
    m = re.match(r"\d+_(.+?)_(reportlab|fpdf2|soffice_docx|soffice_html|eml_pdf|eml_html|eml_text|txt)\.", doc["file"])
    name = m.group(1) if m else "?"
    f = fam[name]
    f["docs"] += 1
    f["exact"] += doc.get("exact_orders", 0)
    f["orders"] += doc.get("gold_orders", 0)
    for key, k in (("header", "h"), ("lines", "l")):
        for c in (doc.get(key) or {}).values():
            f[k][0] += c["tp"]
            f[k][1] += c["fp"]
            f[k][2] += c["fn_"]
print("| family | docs | header F1 | line F1 | exact orders |")
print("|---|---|---|---|---|")
for name, f in sorted(fam.items()):
    print(f"| {name} | {f['docs']} | {f1(f['h']):.3f} | {f1(f['l']):.3f} | {f['exact']}/{f['orders']} |")
print(f"| **all** | {d['documents']} | {d['header_f1']:.3f} | {d['lines_f1']:.3f} | "
      f"{d['exact_orders']}/{d['gold_orders']} ({100 * d['exact_share']:.1f}%) |")
