#!/usr/bin/env python3
"""Python-side timing of models/model.onnx for one page, to compare with the Rust runtime.

    /work/venv-train/bin/python models/training/bench_ort.py [--file fixtures/eval/docs/X.pdf] [--runs 20]

Parses the file with `po-intake parse` (first part, first page), windows it exactly like
src/extract/tokenize.rs with max_len/stride from models/model.json, and times
session.run (windows batched together, as the Rust side does up to 8 per run) with
1 and 2 intra-op threads. Prints ms/page (median) per thread count; tokenisation time separately.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from label import scaled_words  # noqa: E402
from layout_model import Windower  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", default="fixtures/eval/docs/00002_sap_dense_reportlab.pdf")
    ap.add_argument("--models", default="models")
    ap.add_argument("--bin", default="target/debug/po-intake")
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    meta = json.load(open(os.path.join(a.models, "model.json")))
    parsed = json.loads(subprocess.run([a.bin, "parse", a.file], capture_output=True, text=True, check=True).stdout)
    doc = next(p["content"]["doc"] for p in parsed["parts"] if p["content"]["status"] == "parsed")
    doc = dict(doc, pages=doc["pages"][:1])
    words, boxes = scaled_words(doc)
    texts = [w["text"] for w in words]
    win = Windower(Tokenizer.from_file(os.path.join(a.models, "tokenizer.json")))
    t0 = time.perf_counter()
    wins = win.windows(texts, boxes, meta["max_len"], meta["stride"])
    tok_ms = (time.perf_counter() - t0) * 1000
    T = max(len(w[0]) for w in wins)
    B = len(wins)
    ids = np.full((B, T), win.pad, dtype=np.int64)
    mask = np.zeros((B, T), dtype=np.int64)
    bb = np.zeros((B, T, 4), dtype=np.int64)
    for k, (i, b, _, _) in enumerate(wins):
        ids[k, :len(i)] = i
        mask[k, :len(i)] = 1
        bb[k, :len(i)] = b
    print(f"{a.file}: page 1, {len(words)} words, {B} window(s) of {T} tokens; tokenising {tok_ms:.1f} ms")
    for threads in (1, 2):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        s = ort.InferenceSession(os.path.join(a.models, "model.onnx"), so, providers=["CPUExecutionProvider"])
        feeds = {"input_ids": ids, "attention_mask": mask, "bbox": bb}
        for _ in range(3):
            s.run(["logits"], feeds)
        times = []
        for _ in range(a.runs):
            t = time.perf_counter()
            s.run(["logits"], feeds)
            times.append((time.perf_counter() - t) * 1000)
        print(f"threads={threads}: {statistics.median(times):.1f} ms/page (median of {a.runs}, "
              f"min {min(times):.1f}, max {max(times):.1f})")


if __name__ == "__main__":
    main()
