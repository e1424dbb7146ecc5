#!/usr/bin/env python3
"""Makes the tiny T5 that the T5 training tests and the CLI tests run: a model folder matching the Unigram fixture
tokenizer, and reference values of `softprompt score` / `softprompt embed` computed with transformers.

Run from the package root, once, after changing what the fixture holds (no hub access needed):

    pip install torch transformers tokenizers safetensors
    python3 Tests/Fixtures/make_tiny_t5_unigram.py

Writes:

  Tests/SoftPromptModelsTests/Fixtures/tiny-t5-unigram/
      config.json          T5 v1.0 layout (ReLU feed-forward, head tied to `shared`), d_model 32, 2 + 2 layers,
                           vocab_size 3100 = the size of the Unigram fixture (3,000 pieces + 100 extra ids)
      model.safetensors    float32, under the names save_pretrained uses (`shared.weight`, no lm_head: tied)
      tokenizer.json       a copy of Tests/SoftPromptTokenizersTests/Fixtures/unigram/tokenizer.json
  Tests/SoftPromptTrainingTests/Fixtures/tiny_t5_unigram_reference.json
      for a few (input, target) pairs: the ids HF tokenizers gives (input and target, `</s>` included), the
      teacher-forced mean cross-entropy and every target token's log-probability (transformers, float64, eval mode);
      for a few texts: the encoder's last hidden state mean-pooled over the tokens (float64).

Why the weights are trained, not random: the training tests need a frozen T5 whose behaviour a soft prompt can
steer. A random 32-wide T5 cannot be steered (its tied head caps every logit near sqrt(d), and its decoder ignores
what the prompt changes), so a prompt cannot even fit the label marginal. Instead the model is first trained here,
in full, T5-style with task prefixes, on reviews made like SoftPrompt's demo task (the same word lists, the same
shape: opinion words, negations, a verdict on ties):

  "sentiment sentence: <review>"  -> negative / positive                         (3/8 of the examples)
  "opposite sentence: <review>"   -> the other word                              (3/8)
  "sentence: <review>"            -> negative or positive at random (1/4: without a prefix it has no opinion)

Prompt tuning then has to find what the missing prefix did: on the demo task's "sentence: <review>" inputs, rank
classification starts near chance and a trained prompt brings it to ~0.9 (the PyTorch check at the end prints it).
"""
import json
import os
import random
import shutil

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer
from transformers import T5Config, T5ForConditionalGeneration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKENIZER = os.path.join(ROOT, "Tests", "SoftPromptTokenizersTests", "Fixtures", "unigram", "tokenizer.json")
FOLDER = os.path.join(ROOT, "Tests", "SoftPromptModelsTests", "Fixtures", "tiny-t5-unigram")
REFERENCE = os.path.join(ROOT, "Tests", "SoftPromptTrainingTests", "Fixtures", "tiny_t5_unigram_reference.json")

CONFIG = dict(vocab_size=3100, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=4,
              relative_attention_num_buckets=8, relative_attention_max_distance=16, feed_forward_proj="relu",
              tie_word_embeddings=True, layer_norm_epsilon=1e-6, dropout_rate=0.1, pad_token_id=0, eos_token_id=1,
              decoder_start_token_id=0)
PRETRAIN_STEPS, PRETRAIN_BATCH, PRETRAIN_LR = 4000, 32, 3e-3

# Sources/SoftPromptTasks/DemoTask.swift's word lists.
POSITIVE = ["great", "wonderful", "delightful", "moving", "brilliant", "charming", "superb", "funny", "gripping",
            "beautiful", "clever", "touching", "fresh", "excellent", "enjoyable"]
NEGATIVE = ["dull", "boring", "awful", "tedious", "clumsy", "bland", "painful", "silly", "weak", "predictable",
            "messy", "lifeless", "tiresome", "dreadful", "forgettable"]
SUBJECTS = ["the film", "this movie", "the story", "the acting", "the script", "the ending", "the cast",
            "the soundtrack", "the director's work", "the plot"]
FILLERS = ["was", "felt", "seemed", "is", "turned out", "looked", "came across as"]
INTENSIFIERS = ["", "", "really", "truly", "rather", "quite", "somewhat", "very"]
CLOSERS = ["", "", "overall.", "in the end.", "for most of its length.", "from start to finish."]
LABELS = ["negative", "positive"]


def review(rng):
    """A review made as DemoTask makes one (its own random stream): text and label (1 = positive)."""
    score, clauses = 0, []
    for clause in range(1 + rng.randrange(3)):
        positive, negated = rng.random() < 0.5, rng.random() < 0.25
        subject = rng.choice(SUBJECTS)
        words = [subject if clause == 0 else rng.choice(["and", "but", "yet", "while"]) + " " + subject,
                 rng.choice(FILLERS)]
        if negated:
            words.append("not")
        intensifier = rng.choice(INTENSIFIERS)
        if intensifier:
            words.append(intensifier)
        words.append(rng.choice(POSITIVE if positive else NEGATIVE))
        clauses.append(" ".join(words))
        score += 1 if positive != negated else -1
    if score == 0:
        verdict = rng.random() < 0.5
        clauses.append("so " + ("I loved it" if verdict else "I hated it"))
        score = 1 if verdict else -1
    closer = rng.choice(CLOSERS)
    text = " ".join(clauses) + ("." if not closer else " " + closer)
    return text[0].upper() + text[1:], int(score > 0)


def pretraining_pair(rng):
    text, label = review(rng)
    task = rng.randrange(8)  # 3/8 sentiment, 3/8 opposite, 1/4 no prefix
    if task < 3:
        return "sentiment sentence: " + text, LABELS[label]
    if task < 6:
        return "opposite sentence: " + text, LABELS[1 - label]
    return "sentence: " + text, LABELS[rng.randrange(2)]


def batch(tokenizer, pairs):
    inputs = [tokenizer.encode(a).ids for a, _ in pairs]  # the template appends </s>
    targets = [tokenizer.encode(b).ids for _, b in pairs]
    ids = torch.zeros(len(pairs), max(map(len, inputs)), dtype=torch.long)
    mask = torch.zeros_like(ids)
    labels = torch.full((len(pairs), max(map(len, targets))), -100)
    for i, (x, y) in enumerate(zip(inputs, targets)):
        ids[i, :len(x)] = torch.tensor(x)
        mask[i, :len(x)] = 1
        labels[i, :len(y)] = torch.tensor(y)
    return ids, mask, labels


def pretrain(tokenizer):
    torch.manual_seed(20)
    config = T5Config(**CONFIG)
    config._attn_implementation = "eager"
    model = T5ForConditionalGeneration(config)
    model.config.dropout_rate = 0.0
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    rng = random.Random(21)
    optimizer = torch.optim.AdamW(model.parameters(), lr=PRETRAIN_LR)
    model.train()
    for step in range(PRETRAIN_STEPS):
        ids, mask, labels = batch(tokenizer, [pretraining_pair(rng) for _ in range(PRETRAIN_BATCH)])
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 500 == 0:
            print(f"pretraining step {step}: loss {loss.item():.4f}", flush=True)
    return model.eval()


def save(model):
    os.makedirs(FOLDER, exist_ok=True)
    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()
             if not k.endswith("embed_tokens.weight") and k != "lm_head.weight"}  # tied: `shared` only
    save_file(state, os.path.join(FOLDER, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(FOLDER, "config.json"), "w") as f:
        json.dump(dict(CONFIG, architectures=["T5ForConditionalGeneration"], model_type="t5", is_encoder_decoder=True),
                  f, indent=2, sort_keys=True)
        f.write("\n")
    shutil.copyfile(TOKENIZER, os.path.join(FOLDER, "tokenizer.json"))


def references(tokenizer):
    model = T5ForConditionalGeneration.from_pretrained(FOLDER, attn_implementation="eager", dtype=torch.float64)
    model.eval()
    scores = []
    for text, target in [("sentence: The film was great.", "positive"),
                         ("opposite sentence: The plot was not dull, so I loved it.", "negative"),
                         ("sentiment sentence: The cast seemed rather tedious overall.", "the cast was tedious")]:
        ids, target_ids = tokenizer.encode(text).ids, tokenizer.encode(target).ids
        labels = torch.tensor([target_ids])
        with torch.no_grad():
            out = model(input_ids=torch.tensor([ids]), labels=labels)
        log_probs = torch.log_softmax(out.logits, -1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)[0]
        scores.append({"input": text, "target": target, "ids": ids, "target_ids": target_ids,
                       "loss": out.loss.item(), "logprobs": log_probs.tolist()})
    embeddings = []
    for text in ["The soundtrack was superb.", "sentence: Yet the acting felt clumsy in the end."]:
        ids = tokenizer.encode(text).ids
        with torch.no_grad():
            hidden = model.encoder(input_ids=torch.tensor([ids])).last_hidden_state[0]
        embeddings.append({"text": text, "ids": ids, "embedding": hidden.mean(0).tolist()})
    with open(REFERENCE, "w") as f:
        json.dump({"score": scores, "embed": embeddings}, f, indent=1)
        f.write("\n")


def prompt_tuning_check(tokenizer, model, prompt_length=8, steps=100):
    """What the Swift tests assert, in PyTorch: a prompt trained on plain inputs lifts rank classification."""
    for p in model.parameters():
        p.requires_grad_(False)
    torch.manual_seed(22)
    prompt = model.shared.weight[torch.randint(3, 3000, (prompt_length,))].clone().requires_grad_(True)
    optimizer = torch.optim.AdamW([prompt], lr=0.3, weight_decay=1e-5)
    dev = [review(random.Random(23 + i)) for i in range(200)]
    verbalizers = [tokenizer.encode(w).ids for w in LABELS]

    def encode(texts):
        ids, mask, _ = batch(tokenizer, [(t, "x") for t in texts])
        embeds = torch.cat([prompt.unsqueeze(0).expand(len(texts), -1, -1), model.shared(ids)], 1)
        return embeds, torch.cat([torch.ones(len(texts), prompt_length, dtype=mask.dtype), mask], 1)

    def accuracy():
        with torch.no_grad():
            embeds, mask = encode(["sentence: " + t for t, _ in dev])
            encoded = model.encoder(inputs_embeds=embeds, attention_mask=mask).last_hidden_state
            scores = []
            for v in verbalizers:
                labels = torch.tensor([v] * len(dev))
                logits = model(encoder_outputs=(encoded,), attention_mask=mask, labels=labels).logits
                scores.append(torch.log_softmax(logits, -1).gather(-1, labels.unsqueeze(-1)).squeeze(-1).sum(-1))
            predicted = torch.stack(scores, 1).argmax(1)
        return (predicted == torch.tensor([y for _, y in dev])).float().mean().item()

    rng = random.Random(24)
    print(f"prompt tuning check: accuracy before {accuracy():.3f}")
    for step in range(steps):
        items = [review(rng) for _ in range(16)]
        embeds, mask = encode(["sentence: " + t for t, _ in items])
        _, _, labels = batch(tokenizer, [("x", LABELS[y]) for _, y in items])
        loss = model(inputs_embeds=embeds, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"prompt tuning check: accuracy after {steps} steps {accuracy():.3f} (loss {loss.item():.4f})")


def main():
    torch.set_num_threads(1)
    tokenizer = Tokenizer.from_file(TOKENIZER)
    assert tokenizer.get_vocab_size() == CONFIG["vocab_size"], tokenizer.get_vocab_size()
    model = pretrain(tokenizer)
    save(model)
    references(tokenizer)
    prompt_tuning_check(tokenizer, model)
    print("tiny-t5-unigram written")


if __name__ == "__main__":
    main()
