#!/usr/bin/env python3
"""PyTorch DDP (gloo) scaling of the PEFT prompt-tuning step, measured as `softprompt bench --ranks N --rounds K`.

    pip install torch transformers peft
    python3 bench/ddp_scaling.py [--model DIR] [--ranks 2] [--rounds 3] [--batch 32] [--seq 128] [--prompt 20]
                                 [--repeats 8] [--json]

Each process runs one thread pinned to its own core and steps on --batch sequences (the global batch is
ranks x --batch): forward of the frozen MiniLM (eval mode) with a PEFT prompt, L = sum(hidden * R), backward to the
prompt, DDP's allreduce of the prompt's gradient over gloo, and an AdamW step. One warm-up step, then --repeats
timed ones; tokens/s is rank 0's tokens over its summed step times, as `softprompt bench` counts them. The 1-process
and the N-process measurements alternate --rounds times, and the median of the rounds' scalings is reported, so
that the machine's drift falls on both. The issue's figure for this machine was 1.92x.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from peft_baseline import installed_minilm, prompted_bert


def rank_main(rank, size, port, args, results):
    """One process of a size-process job: its step times, through `results` from rank 0."""
    os.sched_setaffinity(0, {rank % os.cpu_count()})
    torch.set_num_threads(1)
    torch.manual_seed(1 + rank)
    if size > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        dist.init_process_group("gloo", rank=rank, world_size=size)
    model, _, (ids, mask, weights) = prompted_bert(args)  # the step bench/peft_baseline.py times
    if size > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.3, weight_decay=1e-5)

    def step():
        optimizer.zero_grad(set_to_none=True)
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
        (hidden * weights).sum().backward()  # DDP allreduces the prompt's gradient here
        optimizer.step()

    step()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    if rank == 0:
        results.put(times)
    if size > 1:
        dist.destroy_process_group()


def measure(size, args, port):
    """Rank 0's step seconds of a size-process job (spawned, so that every job starts the same way)."""
    results = mp.get_context("spawn").SimpleQueue()
    mp.spawn(rank_main, args=(size, port, args, results), nprocs=size, join=True)
    return results.get()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.environ.get("SOFTPROMPT_MODEL") or installed_minilm())
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--prompt", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--port", type=int, default=29517)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.ranks < 2 or args.rounds < 1 or args.repeats < 1:
        sys.exit("--ranks must be at least 2, --rounds and --repeats at least 1")

    tokens = args.batch * (args.prompt + args.seq)
    rounds = []
    for round_index in range(args.rounds):
        one = measure(1, args, args.port)
        many = measure(args.ranks, args, args.port + 1 + round_index)
        one_rate, many_rate = tokens * len(one) / sum(one), args.ranks * tokens * len(many) / sum(many)
        rounds.append(dict(one_step_median=statistics.median(one), many_step_median=statistics.median(many),
                           one_tokens_per_second=one_rate, many_tokens_per_second=many_rate,
                           scaling=many_rate / one_rate))
    scalings = [r["scaling"] for r in rounds]
    result = {
        "benchmark": "training_step_scaling", "implementation": f"torch {torch.__version__} DDP (gloo) + peft",
        "batch_per_rank": args.batch, "seq": args.seq, "prompt": args.prompt, "ranks": args.ranks,
        "repeats": args.repeats, "rounds": args.rounds, "round_scalings": scalings,
        "scaling": statistics.median(scalings),
        "one_rank_step_seconds_median": statistics.median(r["one_step_median"] for r in rounds),
        "ranks_step_seconds_median": statistics.median(r["many_step_median"] for r in rounds),
        "one_rank_tokens_per_second": statistics.median(r["one_tokens_per_second"] for r in rounds),
        "ranks_tokens_per_second": statistics.median(r["many_tokens_per_second"] for r in rounds),
    }
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"PyTorch DDP (gloo) + PEFT, {args.batch}x{args.seq} tokens + {args.prompt} prompt per rank: 1 rank "
              f"{result['one_rank_step_seconds_median']:.3f} s/step, {result['one_rank_tokens_per_second']:.0f} "
              f"tokens/s; {args.ranks} ranks {result['ranks_step_seconds_median']:.3f} s/step, "
              f"{result['ranks_tokens_per_second']:.0f} tokens/s -> scaling {result['scaling']:.2f}x\n"
              f"median of {args.rounds} alternated rounds: " + ", ".join(f"{s:.3f}" for s in scalings))


if __name__ == "__main__":
    main()
