#!/usr/bin/env python3
"""Makes the reference values SoftPrompt's T5 parity tests compare against.

Run from the package root, once, after changing what the fixtures hold (no hub access needed):

    pip install torch transformers safetensors
    python3 Tests/Fixtures/make_t5_reference.py

Writes, under Tests/SoftPromptModelsTests/Fixtures/:

  tiny-t5-v1_0/                     a random T5 v1.0: ReLU feed-forward, LM head tied to `shared` (scaled by d^-0.5)
  tiny-t5-v1_1/                     a random T5 v1.1: gated-GELU (tanh form) feed-forward, separate `lm_head`,
                                    num_heads * d_kv != d_model and more decoder than encoder layers
  t5_v1_0_reference.safetensors     inputs and transformers' outputs for each model (below)
  t5_v1_1_reference.safetensors
  t5_relative_position_reference.safetensors   bucket tables of T5Attention._relative_position_bucket

Each *_reference.safetensors holds the inputs (as float32: a prompt of n rows, input ids and their mask, labels
with -100 for ignored positions, and transformers' decoder_input_ids = _shift_right(labels)) and transformers'
outputs with the prompt placed as methods.md 6.1 says: inputs_embeds = [P; shared(ids)], attention mask [1; m],
the decoder teacher-forced on the labels. All computed in float64 with the model in eval mode (no dropout) and
eager attention: the encoder's last hidden state, the logits, the mean cross-entropy over the counted labels,
the log-probability of every label (0 where ignored), and d loss / d inputs_embeds (the prompt gradient is the
sum over the batch of its first n rows, also stored). CI never runs this script; it only reads what it wrote.

The model files are written with safetensors' save_file under the names save_pretrained uses (`shared.weight`,
no per-stack embed_tokens copies) rather than by save_pretrained itself: transformers 5 treats every T5 as tied
in memory and would save a v1.1 model without its lm_head and with "tie_word_embeddings": true. Each file is then
loaded back with from_pretrained, which must see the head the file describes.
"""
import json
import os

import torch
from safetensors.torch import load_file, save_file
from transformers import T5Config, T5ForConditionalGeneration
from transformers.models.t5.modeling_t5 import T5Attention

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "SoftPromptModelsTests", "Fixtures")

# Small enough to stay a few tens of KB, shaped so that every code path is taken: 8 buckets with max_distance 16
# saturate within the encoder length used below (prompt 3 + text 17 = 20 positions).
VARIANTS = {
    "v1_0": dict(vocab_size=80, d_model=32, d_kv=8, d_ff=48, num_layers=2, num_decoder_layers=2, num_heads=4,
                 relative_attention_num_buckets=8, relative_attention_max_distance=16, feed_forward_proj="relu",
                 tie_word_embeddings=True, layer_norm_epsilon=1e-6),
    "v1_1": dict(vocab_size=96, d_model=32, d_kv=6, d_ff=40, num_layers=2, num_decoder_layers=3, num_heads=4,
                 relative_attention_num_buckets=8, relative_attention_max_distance=16,
                 feed_forward_proj="gated-gelu", tie_word_embeddings=False, layer_norm_epsilon=1e-6),
}
COMMON = dict(dropout_rate=0.1, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)


def make_model(name, seed):
    torch.manual_seed(seed)
    fields = dict(VARIANTS[name], **COMMON)
    config = T5Config(**fields)
    config._attn_implementation = "eager"
    model = T5ForConditionalGeneration(config)
    with torch.no_grad():
        # Non-trivial RMSNorm weights, so their role in the backward is exercised.
        for key, p in model.named_parameters():
            if "layer_norm" in key:
                p.add_(0.2 * torch.randn_like(p))
        if not fields["tie_word_embeddings"]:
            # transformers 5 builds every T5 with the head tied; a v1.1 checkpoint has its own lm_head.
            model.lm_head.weight = torch.nn.Parameter(torch.randn_like(model.shared.weight) * 0.5)
    folder = os.path.join(FIXTURES, f"tiny-t5-{name}")
    os.makedirs(folder, exist_ok=True)
    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()
             if not k.endswith("embed_tokens.weight")}  # encoder/decoder tables are `shared`, as checkpoints store it
    if fields["tie_word_embeddings"]:
        state.pop("lm_head.weight")
    save_file(state, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    # The config as Hugging Face T5 checkpoints carry it (transformers 5 rewrites tie_word_embeddings to true in
    # memory; what the file says decides whether the head is tied and scaled).
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(dict(fields, architectures=["T5ForConditionalGeneration"], model_type="t5",
                       is_encoder_decoder=True), f, indent=2, sort_keys=True)
        f.write("\n")
    return folder


def load_reference_model(folder):
    """The fixture as transformers loads it, in float64: proves the files say what the Swift side assumes."""
    model = T5ForConditionalGeneration.from_pretrained(folder, attn_implementation="eager", dtype=torch.float64)
    model.eval()
    state = load_file(os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json")) as f:
        tied = json.load(f)["tie_word_embeddings"]
    head = model.lm_head.weight.detach().float()
    expected = state["shared.weight"] if tied else state["lm_head.weight"]
    assert torch.equal(head, expected), "transformers did not load the LM head the file describes"
    assert model.config.scale_decoder_outputs == tied
    return model


def reference(model, seed):
    config = model.config
    generator = torch.Generator().manual_seed(seed)
    b, n, length, target = 3, 3, 17, 6
    d, vocab = config.d_model, config.vocab_size
    input_ids = torch.randint(2, vocab, (b, length), generator=generator)
    input_ids[:, -1] = 1  # eos
    attention_mask = torch.ones(b, length, dtype=torch.long)
    attention_mask[2, 11:] = 0  # padding in one row
    input_ids[2, 11:] = 0
    input_ids[2, 10] = 1
    labels = torch.randint(2, vocab, (b, target), generator=generator)
    labels[:, -1] = 1
    labels[1, 3:] = -100  # a shorter target, ignored past its eos
    labels[1, 2] = 1
    prompt = torch.randn(n, d, generator=generator, dtype=torch.float64)

    words = model.shared(input_ids).detach()
    inputs_embeds = torch.cat([prompt.unsqueeze(0).expand(b, -1, -1), words], 1).clone().requires_grad_(True)
    mask = torch.cat([torch.ones(b, n, dtype=attention_mask.dtype), attention_mask], 1)
    out = model(inputs_embeds=inputs_embeds, attention_mask=mask, labels=labels)
    out.loss.backward()
    grad = inputs_embeds.grad.detach()

    # The loss as transformers defines it, and per-token log-probabilities for scoring.
    log_probs = torch.log_softmax(out.logits.detach(), -1)
    safe = labels.clamp(min=0)
    token_log_probs = log_probs.gather(-1, safe.unsqueeze(-1)).squeeze(-1) * (labels != -100)
    counted = (labels != -100).sum()
    assert abs(-token_log_probs.sum() / counted - out.loss.detach()) < 1e-12

    f32 = lambda t: t.detach().to(torch.float32).contiguous()
    return {
        "prompt": f32(prompt), "input_ids": f32(input_ids), "attention_mask": f32(attention_mask),
        "labels": f32(labels), "decoder_input_ids": f32(model._shift_right(labels)),
        "encoder_last_hidden_state": f32(out.encoder_last_hidden_state), "logits": f32(out.logits),
        "loss": f32(out.loss.reshape(1)), "token_log_probs": f32(token_log_probs),
        "inputs_embeds_grad": f32(grad), "prompt_grad": f32(grad[:, :n].sum(0)),
    }


def bucket_tables():
    """Buckets for relative positions -300...300 (memory minus query position), both directions, for the tiny
    fixtures' (8, 16) and T5's own (32, 128) settings."""
    positions = torch.arange(-300, 301)
    tables = {"relative_position": positions.to(torch.float32)}
    for buckets, distance in [(8, 16), (32, 128)]:
        for bidirectional in (True, False):
            values = T5Attention._relative_position_bucket(positions, bidirectional=bidirectional,
                                                           num_buckets=buckets, max_distance=distance)
            kind = "bidirectional" if bidirectional else "unidirectional"
            tables[f"{kind}_{buckets}_{distance}"] = values.to(torch.float32)
    return tables


def main():
    torch.set_num_threads(1)
    for name, seed in [("v1_0", 10), ("v1_1", 11)]:
        folder = make_model(name, seed)
        model = load_reference_model(folder)
        save_file(reference(model, seed + 100), os.path.join(FIXTURES, f"t5_{name}_reference.safetensors"))
    save_file(bucket_tables(), os.path.join(FIXTURES, "t5_relative_position_reference.safetensors"))
    print("T5 fixtures written")


if __name__ == "__main__":
    main()
