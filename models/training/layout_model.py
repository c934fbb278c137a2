"""The model and the windowing shared by train.py / export.py / bench_ort.py.

Windowing mirrors src/extract/tokenize.rs exactly: every word tokenised on its own without
special tokens, at most 12 pieces per word ([UNK] when it has none), one flat token stream,
windows of `max_len - 2` tokens starting every `max_len - 2 - stride` tokens, [CLS] box
[0,0,0,0], [SEP] box [1000,1000,1000,1000], padding id [PAD] with box [0,0,0,0]. A word's
label sits on its first piece.
"""

import torch
import torch.nn as nn
from transformers import BertConfig, BertModel

MAX_PIECES_PER_WORD = 12

HEADER = ["po_number", "order_date", "buyer", "currency", "ship_to", "total"]
ITEM = ["sku", "customer_part", "description", "quantity", "uom", "unit_price", "amount"]


def label_set():
    v = ["O"]
    for f in HEADER:
        v += [f"B-{f}", f"I-{f}"]
    for f in ITEM:
        v += [f"S-{f}", f"B-{f}", f"I-{f}"]
    return v


class Windower:
    def __init__(self, tokenizer):
        self.tok = tokenizer
        self.tok.no_padding()
        self.tok.no_truncation()
        self.cls = self.tok.token_to_id("[CLS]")
        self.sep = self.tok.token_to_id("[SEP]")
        self.pad = self.tok.token_to_id("[PAD]")
        self.unk = self.tok.token_to_id("[UNK]")

    def stream(self, words):
        encs = self.tok.encode_batch(list(words), add_special_tokens=False)
        toks = []  # (id, word index, first?)
        for wi, e in enumerate(encs):
            ids = e.ids[:MAX_PIECES_PER_WORD]
            if not ids:
                toks.append((self.unk, wi, True))
                continue
            for k, i in enumerate(ids):
                toks.append((i, wi, k == 0))
        return toks

    def windows(self, words, boxes, max_len, stride, labels=None):
        """Returns a list of (ids, boxes, labels-or-None, word_of_token) per window, unpadded."""
        toks = self.stream(words)
        cap = max(max_len - 2, 8)
        step = max(cap - stride, 1)
        starts = [0]
        while starts[-1] + cap < len(toks):
            starts.append(starts[-1] + step)
        out = []
        for s in starts:
            seg = toks[s:s + cap]
            ids = [self.cls] + [t[0] for t in seg] + [self.sep]
            bb = [[0, 0, 0, 0]] + [boxes[t[1]] for t in seg] + [[1000, 1000, 1000, 1000]]
            wot = [-1] + [t[1] if t[2] else -1 for t in seg] + [-1]
            lab = None
            if labels is not None:
                lab = [-100] + [labels[t[1]] if t[2] else -100 for t in seg] + [-100]
            out.append((ids, bb, lab, wot))
        return out


class LayoutTagger(nn.Module):
    """BERT (MiniLM) with LayoutLM-style 2D embeddings added to the word embeddings."""

    def __init__(self, config: BertConfig, n_labels: int):
        super().__init__()
        self.bert = BertModel(config, add_pooling_layer=False)
        h = config.hidden_size
        self.x_emb = nn.Embedding(1001, h)
        self.y_emb = nn.Embedding(1001, h)
        self.w_emb = nn.Embedding(1001, h)
        self.h_emb = nn.Embedding(1001, h)
        for e in (self.x_emb, self.y_emb, self.w_emb, self.h_emb):
            nn.init.normal_(e.weight, std=0.02)
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(h, n_labels)

    def forward(self, input_ids, attention_mask, bbox):
        b = bbox.clamp(0, 1000)
        x0, y0, x1, y1 = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
        w = (x1 - x0).clamp(0, 1000)
        hh = (y1 - y0).clamp(0, 1000)
        emb = self.bert.embeddings.word_embeddings(input_ids)
        emb = emb + self.x_emb(x0) + self.x_emb(x1) + self.y_emb(y0) + self.y_emb(y1) \
            + self.w_emb(w) + self.h_emb(hh)
        out = self.bert(inputs_embeds=emb, attention_mask=attention_mask).last_hidden_state
        return self.head(self.drop(out))
