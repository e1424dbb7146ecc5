#!/usr/bin/env python3
"""Scaling over ranks in one run: our training step, bare sgemm in lockstep, and PyTorch DDP, in turn.

    pip install torch transformers peft
    python3 bench/compare_scaling.py [--cycles 2] [--ranks 2] [--rounds 3] [--repeats 8]

Each cycle runs, one after the other:
  - ours: `softprompt bench --method pt --ranks N --rounds R` (MiniLM, 32 x (20 + 128) tokens per rank);
  - lockstep sgemm: `softprompt bench --sgemm --ranks N --rounds R` with steps of --step-products calls of
    --lockstep-shape (default 48 x 4736x1536x384, about as long as our step here), each ended by a barrier: the
    scaling this machine allows any synchronous data-parallel step;
  - PyTorch DDP (gloo) + PEFT: `bench/ddp_scaling.py --ranks N --rounds R`.
Each reports the median of R alternated 1-rank/N-rank rounds. Prints a Markdown table (or --json) with every
cycle's three scalings and the medians over the cycles, plus our per-rank split into computing and waiting.
"""
import argparse
import json
import os
import statistics
import sys

from compare import ROOT, parse_timing_arguments, run_json


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--lockstep-shape", default="4736,1536,384")
    parser.add_argument("--step-products", type=int, default=48)
    args = parse_timing_arguments(parser)

    shared = ["--ranks", str(args.ranks), "--rounds", str(args.rounds), "--repeats", str(args.repeats), "--json"]
    commands = {
        "ours": [args.binary, "bench", "--method", "pt"] + shared,
        "lockstep_sgemm": [args.binary, "bench", "--sgemm", "--shape", args.lockstep_shape,
                           "--step-products", str(args.step_products)] + shared,
        "pytorch_ddp": [sys.executable, os.path.join(ROOT, "bench/ddp_scaling.py")] + shared,
    }
    cycles = []
    for index in range(args.cycles):
        cycle = {name: run_json(command) for name, command in commands.items()}
        cycles.append(cycle)
        print(f"cycle {index + 1}/{args.cycles}: " + ", ".join(f"{name} {result['scaling']:.3f}"
                                                                for name, result in cycle.items()), file=sys.stderr)

    medians = {name: statistics.median(c[name]["scaling"] for c in cycles) for name in commands}
    summary = {"ranks": args.ranks, "cycles": cycles, "median_scaling": medians,
               "commands": {name: " ".join(command) for name, command in commands.items()}}
    if args.json:
        print(json.dumps(summary, sort_keys=True))
        return
    print(f"| cycle | ours | lockstep sgemm | PyTorch DDP | ours: computing per rank (1 rank alone) | ours: waiting per rank |")
    print("|---|---:|---:|---:|---|---|")
    for index, c in enumerate(cycles):
        ours = c["ours"]
        computing = ", ".join(f"{s:.3f}" for s in ours["rank_computing_seconds_mean"])
        waiting = ", ".join(f"{s:.3f}" for s in ours["rank_waiting_seconds_mean"])
        print(f"| {index + 1} | {ours['scaling']:.2f} | {c['lockstep_sgemm']['scaling']:.2f} "
              f"| {c['pytorch_ddp']['scaling']:.2f} | {computing} s ({ours['one_rank_computing_seconds_mean']:.3f} s) "
              f"| {waiting} s |")
    print(f"\nmedian scaling over {args.cycles} cycles ({args.ranks} ranks): ours {medians['ours']:.2f}, "
          f"lockstep sgemm {medians['lockstep_sgemm']:.2f}, PyTorch DDP {medians['pytorch_ddp']:.2f}")
    print("commands, in turn:\n  " + "\n  ".join(summary["commands"].values()))


if __name__ == "__main__":
    main()
