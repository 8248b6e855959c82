"""PyTorch's side of `make bench`'s distributed figures, run under
`torchrun --nproc_per_node=2 bench/dist_peer.py --out FILE`: allreduce of 1, 10 and 100 MB of
float32 on Gloo, and DistributedDataParallel training of bench/peer.py's reference model at
128 samples per rank (AdamW; DDP's defaults: 25 MiB buckets, overlapped with backward).
The same step counts and timing as TorchBench's --dist-rank mode."""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.distributed as dist

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer import CLIP, make_inputs  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    torch.set_num_threads(int(os.environ.get("LAB_NUM_THREADS", "1")))
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    out = {}
    for megabytes, reps in [(1, 40), (10, 12), (100, 4)]:
        t = torch.ones(megabytes * (1 << 20) // 4)
        for _ in range(2):
            dist.all_reduce(t)
        times = []
        for _ in range(reps):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(t)
            times.append(time.perf_counter() - start)
        out[f"allreduce_{megabytes}mb_ms"] = sorted(times)[len(times) // 2] * 1e3

    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(CLIP())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    torch.manual_seed(1 + rank)
    images, tokens = make_inputs(128)

    def step():
        opt.zero_grad()
        loss = model(images, tokens)   # DDP's reducer hooks into the wrapper's forward
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    best = 0.0
    for _ in range(3):
        dist.barrier()
        start = time.perf_counter()
        for _ in range(20):
            step()
        best = max(best, 20 * 128 * world / (time.perf_counter() - start))
    out["ddp_train_b256_2ranks"] = best
    dist.barrier()
    if rank == 0:
        with open(args.out, "w") as f:
            json.dump({"peer": out}, f, indent=2, sort_keys=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    # DDP calls forward(); the reference model's loss is a method: route forward to it.
    CLIP.forward = CLIP.loss
    main()
