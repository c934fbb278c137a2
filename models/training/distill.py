#!/usr/bin/env python3
"""Distil the shipped tagger into a shallower one (fewer encoder layers, same width).

    python models/training/distill.py --teacher models/model.onnx --data train.jsonl \
        --val val.jsonl --out DIR [--keep 0,1,2] [--steps 2000]

Why: ONNX Runtime is ~80 % of the CPU of an ingest, and its cost is linear in the encoder
layers. A student trained from the labels alone (train.py --layers 3) reads real POs worse
than the 4-layer model; a student that starts from the teacher's own weights (embeddings, the
2D layout tables, the head and the kept layers) and learns the teacher's label distribution
beside the gold labels keeps what the teacher learnt.

The teacher is the shipped int8 ONNX model: its weights are dequantised ((q - zero) * scale,
per channel) back into the torch module of layout_model.py, so no float checkpoint is needed.
Loss per labelled word (a word's first piece): alpha * CE(gold) + (1 - alpha) * T^2 *
KL(teacher_T || student_T). Writes DIR/model.pt in train.py's format (export.py reads it).
"""

import argparse
import json
import os
import random
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from tokenizers import Tokenizer
from transformers import BertConfig

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from layout_model import LayoutTagger, Windower, label_set  # noqa: E402
from train import (batchify, bf16_is_faster, bucketed_batches, evaluate, finish,  # noqa: E402
                   load_windows, param_groups, report, update)

# MiniLM (all-MiniLM-L6-v2) geometry, the base of every shipped model.
MINILM = dict(vocab_size=30522, hidden_size=384, num_attention_heads=12, intermediate_size=1536,
              max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12, hidden_act="gelu",
              hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, pad_token_id=0)


def float_weights(onnx_path):
    """name -> float array for every parameter of an int8 (dynamic, per channel) export."""
    m = onnx.load(onnx_path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    prod = {o: n for n in m.graph.node for o in n.output}
    cons = {}
    for n in m.graph.node:
        for i in n.input:
            cons.setdefault(i, []).append(n)

    def deq(q, s, z, axis):
        q, s, z = q.astype(np.float32), s.astype(np.float32), z.astype(np.float32)
        if s.ndim == 1 and s.size > 1:
            shape = [1] * q.ndim
            shape[axis] = s.size
            s, z = s.reshape(shape), z.reshape(shape)
        return (q - z) * s

    out = {k: v for k, v in inits.items() if v.dtype == np.float32 and not k.endswith("_scale")
           and not k.startswith("onnx::") and not k.startswith("/")}
    for n in m.graph.node:
        if n.op_type == "MatMulInteger":
            # x_q, W_q, x_zero, W_zero -> Cast -> Mul(x_scale * W_scale)
            wq, wz = n.input[1], n.input[3]
            mul = cons[cons[n.output[0]][0].output[0]][0]
            smul = prod[[i for i in mul.input if i not in (cons[n.output[0]][0].output[0],)][0]]
            ws = [i for i in smul.input if i in inits][0]
            w = deq(inits[wq], inits[ws], inits[wz], 1)  # [in, out]
            path = n.name.rsplit("/", 1)[0].strip("/").replace("/", ".")  # bert.encoder.layer.0.attention.self.key
            out[path + ".weight"] = w.T
        elif n.op_type == "DequantizeLinear" and n.input[0] in prod and prod[n.input[0]].op_type == "Gather":
            table = prod[n.input[0]].input[0]
            axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
            out[table.replace("_quantized", "")] = deq(inits[table], inits[n.input[1]], inits[n.input[2]], axis)
    return out


def teacher_from_onnx(path, n_labels):
    w = float_weights(path)
    layers = 1 + max(int(k.split(".")[3]) for k in w if k.startswith("bert.encoder.layer."))
    cfg = BertConfig(num_hidden_layers=layers, **MINILM)
    cfg._attn_implementation = "eager"
    m = LayoutTagger(cfg, n_labels)
    sd = m.state_dict()
    missing = [k for k in sd if k not in w and not k.endswith("position_ids")]
    assert not missing, f"the ONNX model lacks {missing[:5]}"
    m.load_state_dict({k: torch.from_numpy(np.array(w[k], dtype=np.float32)) if k in w else v for k, v in sd.items()})
    m.eval()
    return m, cfg


@torch.no_grad()
def ffn_importance(teacher, data, pad, batches=40, bs=8):
    """Per layer, per feed-forward unit: mean |activation| on real windows times the norm of
    the unit's output weights (what removing it would change in the layer's output)."""
    acts = {}
    hooks = []
    for i, layer in enumerate(teacher.bert.encoder.layer):
        def hook(_m, _inp, out, i=i):
            acts[i] = acts.get(i, 0) + out.abs().sum(dim=(0, 1))
        hooks.append(layer.intermediate.register_forward_hook(hook))
    rng = random.Random(7)
    for _ in range(batches):
        ids, mask, bb, _ = batchify(rng.sample(data, bs), pad)
        teacher(ids, mask, bb)
    for h in hooks:
        h.remove()
    return {i: a * teacher.bert.encoder.layer[i].output.dense.weight.norm(dim=0) for i, a in acts.items()}


def student_from(teacher, cfg, keep, ffn=None, importance=None):
    """A student of the teacher's `keep` layers; with `ffn`, each keeps only its `ffn` most
    important feed-forward units."""
    scfg = BertConfig.from_dict(cfg.to_dict())
    scfg.num_hidden_layers = len(keep)
    if ffn:
        scfg.intermediate_size = ffn
    scfg._attn_implementation = "eager"
    s = LayoutTagger(scfg, teacher.head.out_features)
    tsd = teacher.state_dict()
    sd = {}
    for k in s.state_dict():
        if k.startswith("bert.encoder.layer."):
            parts = k.split(".")
            src = keep[int(parts[3])]
            parts[3] = str(src)
            v = tsd[".".join(parts)].clone()
            if ffn and ".intermediate.dense." in k:
                v = v[importance[src].topk(ffn).indices.sort().values]
            elif ffn and ".output.dense.weight" in k and ".attention." not in k:
                v = v[:, importance[src].topk(ffn).indices.sort().values]
            sd[k] = v
        else:
            sd[k] = tsd[k].clone()
    s.load_state_dict(sd)
    return s, scfg


def encode(m, ids, mask, bb):
    """LayoutTagger.forward up to the last hidden state (the head's input)."""
    b = bb.clamp(0, 1000)
    x0, y0, x1, y1 = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    emb = m.bert.embeddings.word_embeddings(ids) + m.x_emb(x0) + m.x_emb(x1) + m.y_emb(y0) \
        + m.y_emb(y1) + m.w_emb((x1 - x0).clamp(0, 1000)) + m.h_emb((y1 - y0).clamp(0, 1000))
    return m.bert(inputs_embeds=emb, attention_mask=mask).last_hidden_state


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default="models/model.onnx")
    ap.add_argument("--tokenizer", default="models/tokenizer.json")
    ap.add_argument("--data", required=True)
    ap.add_argument("--val")
    ap.add_argument("--out", required=True)
    ap.add_argument("--keep", default="0,1,2", help="teacher layers the student starts from, in order")
    ap.add_argument("--ffn", type=int, default=0,
                    help="feed-forward units kept per layer (0: all), the most important ones")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--bs", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--alpha", type=float, default=0.5, help="weight of the gold labels' cross entropy")
    ap.add_argument("--temp", type=float, default=2.0)
    ap.add_argument("--hidden-weight", type=float, default=0.0,
                    help="weight of the MSE between the student's and the teacher's last hidden states")
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--stride", type=int, default=64)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-minutes", type=float, default=60)
    ap.add_argument("--bf16", choices=["auto", "on", "off"], default="auto")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    bf16 = a.bf16 == "on" or (a.bf16 == "auto" and bf16_is_faster())
    print(f"bf16 autocast: {'on' if bf16 else 'off'}", flush=True)
    labels = label_set()
    lab2id = {l: i for i, l in enumerate(labels)}
    win = Windower(Tokenizer.from_file(a.tokenizer))
    train = load_windows(a.data, win, lab2id, a.max_len, a.stride)
    val = load_windows(a.val, win, lab2id, a.max_len, a.stride) if a.val else []
    print(f"windows: train {len(train)} val {len(val)}", flush=True)
    teacher, cfg = teacher_from_onnx(a.teacher, len(labels))
    keep = [int(x) for x in a.keep.split(",")]
    importance = ffn_importance(teacher, train, win.pad) if a.ffn else None
    model, scfg = student_from(teacher, cfg, keep, a.ffn or None, importance)
    for p in teacher.parameters():
        p.requires_grad_(False)
    if val:
        print("teacher val", json.dumps(evaluate(teacher, val, win.pad, labels)), flush=True)
        print("student at start val", json.dumps(evaluate(model, val, win.pad, labels)), flush=True)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    model.train()
    opt = torch.optim.AdamW(param_groups(model), lr=a.lr)
    warm = max(1, a.steps // 15)
    t_start = time.time()

    def progress(s):
        return max(s / a.steps, (time.time() - t_start) / (a.max_minutes * 60))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.02, 1 - progress(s)))
    rng = random.Random(a.seed)
    order, step, loss_ema = [], 0, None
    T = a.temp

    def save(extra=None):
        os.makedirs(a.out, exist_ok=True)
        torch.save({"state": model.state_dict(), "config": scfg.to_dict(), "layers": len(keep),
                    "init": f"distilled from {a.teacher} layers {a.keep}", "steps": step,
                    "max_len": a.max_len, "stride": a.stride, "labels": labels, **(extra or {})},
                   os.path.join(a.out, "model.pt"))

    while step < a.steps:
        if not order:
            order = bucketed_batches(train, a.bs, rng)
        ids, mask, bb, lab = batchify([train[j] for j in order.pop()], win.pad)
        sel = lab != -100
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            t_hidden = encode(teacher, ids, mask, bb)
            t_logits = teacher.head(t_hidden)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            s_hidden = encode(model, ids, mask, bb)
            s_logits = model.head(model.drop(s_hidden))
        s, t = s_logits.float()[sel], t_logits.float()[sel]
        ce = F.cross_entropy(s, lab[sel])
        kd = F.kl_div(F.log_softmax(s / T, -1), F.log_softmax(t / T, -1), log_target=True,
                      reduction="batchmean") * T * T
        loss = a.alpha * ce + (1 - a.alpha) * kd
        if a.hidden_weight > 0:
            real = mask.bool()
            loss = loss + a.hidden_weight * F.mse_loss(s_hidden.float()[real], t_hidden.float()[real])
        update(model, opt, sched, loss)
        step += 1
        loss_ema = loss.item() if loss_ema is None else 0.95 * loss_ema + 0.05 * loss.item()
        report(step, a.steps, loss_ema, t_start)
        if step % 100 == 0:
            save()
        if progress(step) >= 1.0:
            print(f"time budget reached at step {step}", flush=True)
            break
    minutes = (time.time() - t_start) / 60
    save({"train_minutes": minutes})
    finish(a.out, step, minutes, len(train), model, val, win.pad, labels)


if __name__ == "__main__":
    main()
