"""A Python torch.distributed rank for Lab's interop test (Tests/TorchTests/ProcessGroupTests).

It joins the group Lab's rank 0 hosts, as RECIPES.md's raw form does (TCPStore +
ProcessGroupGloo, no init_process_group prefix), runs the same collectives in the same order
as the test, and prints what it got as JSON.

    .venv/bin/python scripts/c10d-peer.py --port P --rank R --world W
"""
import argparse
import datetime
import json

import torch
import torch.distributed as dist


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--world", type=int, required=True)
    args = parser.parse_args()
    timeout = datetime.timedelta(seconds=60)
    store = dist.TCPStore("127.0.0.1", args.port, args.world, is_master=False, timeout=timeout)
    group = dist.ProcessGroupGloo(store, args.rank, args.world, timeout)
    r = args.rank
    # 1. allreduce sum of (rank + 1) * [1, 2, 3] and a second tensor; 2. max.
    a = torch.tensor([1.0, 2.0, 3.0]) * (r + 1)
    b = torch.full((2, 2), float(r))
    group.allreduce([a]).wait()  # one tensor per call: Gloo reads a list as one tensor per device
    group.allreduce([b]).wait()
    m = torch.tensor([float(r), -float(r)])
    group.allreduce([m], opts(dist.ReduceOp.MAX)).wait()
    # 3. broadcast from rank 0.
    c = torch.zeros(4)
    group.broadcast([c], broadcast_opts(0)).wait()
    # 4. allgather of (rank, rank * 10).
    mine = torch.tensor([float(r), float(r) * 10])
    gathered = [torch.empty(2) for _ in range(args.world)]
    group.allgather([gathered], [mine]).wait()
    group.barrier().wait()
    print(json.dumps({"sum_a": a.tolist(), "sum_b": b.flatten().tolist(), "max": m.tolist(), "broadcast": c.tolist(),
                      "gathered": [v for g in gathered for v in g.tolist()]}), flush=True)


def opts(op):
    o = dist.AllreduceOptions()
    o.reduceOp = op
    return o


def broadcast_opts(root):
    o = dist.BroadcastOptions()
    o.rootRank = root
    o.rootTensor = 0
    return o


if __name__ == "__main__":
    main()
