#!/usr/bin/env python3
"""SoftPrompt against PyTorch + PEFT in one run: interleaved pairs of `bench/peft_baseline.py` and `softprompt bench`
on the same shapes, one thread each, and the median of the pairs' ratios.

    pip install torch transformers peft
    python3 bench/compare.py [--pairs 5] [--repeats 6] [--batch 32 --seq 128 --prompt 20] [--model DIR]
    python3 bench/compare.py --random-model t5-small --batch 8 --seq 256 --target 8

Each pair runs PyTorch first, then ours, as separate processes, so drift in this machine's speed falls on both
halves of a pair alike; a single pair is still only as good as the machine is steady (±10-20 % on a shared VM),
which is why the median over pairs is the number to quote. Prints a Markdown table (or --json) with each side's
median step, tokens/s, MFU against its own process's one-thread sgemm (ours also against OpenBLAS's when oneMKL
serves it), peak RSS and start-up. SOFTPROMPT_BLAS=openblas in the environment times ours on OpenBLAS.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_json(command):
    """The JSON object a command prints on its last line of standard output."""
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def parse_timing_arguments(parser):
    """Adds --binary (the softprompt to time) and --json to `parser`, parses, and checks that the binary exists."""
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/softprompt"),
                        help="the softprompt to time (a release build)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary}: no such executable; build it first: swift build -c release")
    return args


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--seq", type=int)
    parser.add_argument("--prompt", type=int)
    parser.add_argument("--model", help="model folder (default: the installed MiniLM, as both benches default)")
    parser.add_argument("--random-model", choices=["t5-small", "t5-base"])
    parser.add_argument("--target", type=int, help="T5: decoder tokens per sequence")
    args = parse_timing_arguments(parser)

    shared = ["--repeats", str(args.repeats), "--json"]
    for flag in ("batch", "seq", "prompt", "model", "random_model", "target"):
        value = getattr(args, flag)
        if value is not None:
            shared += ["--" + flag.replace("_", "-"), str(value)]
    theirs_command = [sys.executable, os.path.join(ROOT, "bench/peft_baseline.py"), "--threads", "1"] + shared
    ours_command = [args.binary, "bench", "--threads", "1"] + shared

    pairs = []
    for index in range(args.pairs):
        theirs, ours = run_json(theirs_command), run_json(ours_command)
        pairs.append({"theirs": theirs, "ours": ours,
                      "tokens_per_second_ratio": ours["tokens_per_second"] / theirs["tokens_per_second"]})
        print(f"pair {index + 1}/{args.pairs}: ratio {pairs[-1]['tokens_per_second_ratio']:.3f}", file=sys.stderr)

    ratios = [p["tokens_per_second_ratio"] for p in pairs]
    summary = {
        "pairs": pairs, "median_tokens_per_second_ratio": statistics.median(ratios),
        "min_ratio": min(ratios), "max_ratio": max(ratios),
        "median_mfu_ours": statistics.median(p["ours"]["mfu"] for p in pairs),
        "median_mfu_theirs": statistics.median(p["theirs"]["mfu"] for p in pairs),
        # MFU against OpenBLAS's sgemm (the M8 goal's reference), when another library serves our step.
        "median_mfu_ours_openblas": statistics.median(p["ours"].get("mfu_openblas", p["ours"]["mfu"]) for p in pairs),
        "our_blas": pairs[0]["ours"].get("blas", ""),
        "commands": [" ".join(theirs_command), " ".join(ours_command)],
    }
    if args.json:
        print(json.dumps(summary, sort_keys=True))
        return
    print(f"our BLAS: {summary['our_blas']}; each MFU is against its own process's one-thread sgemm, ours also "
          "against OpenBLAS's when another library serves")
    print("| pair | PyTorch step | our step | tokens/s ours ÷ PyTorch | our MFU (against OpenBLAS) | PyTorch MFU "
          "| peak RSS ours / PyTorch | start-up ours / PyTorch |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for index, p in enumerate(pairs):
        theirs, ours = p["theirs"], p["ours"]
        print(f"| {index + 1} | {theirs['step_seconds_median']:.3f} s | {ours['step_seconds_median']:.3f} s "
              f"| {p['tokens_per_second_ratio']:.2f} | {ours['mfu']:.2f} ({ours.get('mfu_openblas', ours['mfu']):.2f}) "
              f"| {theirs['mfu']:.2f} | {ours['max_rss_mb']:.0f} / {theirs['max_rss_mb']:.0f} MB "
              f"| {ours['startup_seconds']:.2f} / {theirs['startup_seconds']:.2f} s |")
    print(f"\nmedian ratio {summary['median_tokens_per_second_ratio']:.2f} (range {min(ratios):.2f}-{max(ratios):.2f}); "
          f"median MFU ours {summary['median_mfu_ours']:.2f} ({summary['median_mfu_ours_openblas']:.2f} against "
          f"OpenBLAS), PyTorch {summary['median_mfu_theirs']:.2f}")
    print("commands, alternated:\n  " + "\n  ".join(summary["commands"]))


if __name__ == "__main__":
    main()
