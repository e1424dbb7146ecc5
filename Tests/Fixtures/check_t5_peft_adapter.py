#!/usr/bin/env python3
"""Checks that PEFT loads a T5 prompt adapter written by `softprompt train` and computes what SoftPrompt computes.

    pip install torch transformers peft tokenizers
    python3 Tests/Fixtures/check_t5_peft_adapter.py RUN/adapter [MODEL_DIR] [SOFTPROMPT_BINARY]

The adapter says task_type SEQ_2_SEQ_LM and num_transformer_submodules 1, with prompt_embeddings (n, d). (PEFT's
default for SEQ_2_SEQ_LM is 2 submodules: a (2n, d) table of which prompt tuning only ever prepends the first n rows,
to the encoder.) For a few (input, target) pairs this prints PEFT's teacher-forced loss and log-probabilities
(float64) next to `softprompt score --adapter` (Float32) and PEFT's greedy generation, and fails when the losses
differ by more than 1e-4. Offset methods (dept, adept, ept) also need method.safetensors, which PEFT does not read:
their adapter alone is not the trained model, so `score` refuses them.
"""
import json
import os
import subprocess
import sys

import torch
from peft import PeftModel
from tokenizers import Tokenizer
from transformers import T5ForConditionalGeneration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAIRS = [("sentence: The film was not great.", "negative"),
         ("sentence: The cast was wonderful, so I loved it.", "positive"),
         ("sentence: Yet the plot felt rather dull.", "positive")]


def main():
    adapter = sys.argv[1]
    model_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "Tests/SoftPromptModelsTests/Fixtures/tiny-t5-unigram")
    binary = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, ".build/release/softprompt")
    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    base = T5ForConditionalGeneration.from_pretrained(model_dir, dtype=torch.float64).eval()
    model = PeftModel.from_pretrained(base, adapter).eval()
    config = model.peft_config["default"]
    print(f"PEFT loaded {adapter}: {config.peft_type}, {config.task_type}, "
          f"num_transformer_submodules {config.num_transformer_submodules}, "
          f"prompt table {tuple(model.prompt_encoder['default'].embedding.weight.shape)}")
    worst = 0.0
    for text, target in PAIRS:
        ids = torch.tensor([tokenizer.encode(text).ids])
        labels = torch.tensor([tokenizer.encode(target).ids])
        with torch.no_grad():
            out = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels)
        log_probs = torch.log_softmax(out.logits, -1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)[0].tolist()
        generated = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=8)
        ours = json.loads(subprocess.run([binary, "score", "--model", model_dir, "--adapter", adapter, "--input", text,
                                          "--target", target, "--json"], check=True, capture_output=True,
                                         text=True).stdout.strip().splitlines()[-1])
        worst = max(worst, abs(ours["loss"] - out.loss.item()))
        print(f"{text!r} -> {target!r}: PEFT loss {out.loss.item():.7f} {['%.6f' % p for p in log_probs]}, "
              f"softprompt {ours['loss']:.7f} {['%.6f' % p for p in ours['logprobs']]}; "
              f"PEFT generates {tokenizer.decode(generated[0].tolist())!r}")
    print(f"largest loss difference {worst:.2e}")
    sys.exit(0 if worst <= 1e-4 else 1)


if __name__ == "__main__":
    main()
