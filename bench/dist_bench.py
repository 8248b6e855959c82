"""`make bench`'s distributed figures: two Lab ranks (TorchBench --dist-rank) and
`torchrun --nproc_per_node=2 bench/dist_peer.py`, alternating for ROUNDS rounds on this
machine, one libtorch thread per rank. Writes one JSON with every round of both sides."""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_round(torchbench, threads, out):
    port = free_port()
    env = dict(os.environ, LAB_NUM_THREADS=str(threads))
    ranks = [subprocess.Popen([torchbench, "--dist-rank", str(r), "--dist-world", "2", "--dist-port", str(port)]
                              + (["--out", out] if r == 0 else []), env=env) for r in range(2)]
    for p in ranks:
        if p.wait(timeout=600) != 0:
            sys.exit(f"dist_bench: a Lab rank exited with {p.returncode}")
    with open(out) as f:
        return json.load(f)["lab"]


def peer_round(python, threads, out):
    torchrun = os.path.join(os.path.dirname(python), "torchrun")
    env = dict(os.environ, LAB_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    cmd = [torchrun, "--nproc_per_node=2", "--master_addr=127.0.0.1", f"--master_port={free_port()}",
           os.path.join(HERE, "dist_peer.py"), "--out", out]
    if subprocess.run(cmd, env=env, timeout=600).returncode != 0:
        sys.exit("dist_bench: torchrun failed")
    with open(out) as f:
        return json.load(f)["peer"]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--torchbench", required=True)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--threads", type=int, default=1, help="libtorch threads per rank")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            lab = lab_round(args.torchbench, args.threads, os.path.join(tmp, f"lab-{i}.json"))
            peer = peer_round(args.python, args.threads, os.path.join(tmp, f"peer-{i}.json"))
            rounds.append({"lab": lab, "peer": peer})
            print(f"dist_bench round {i + 1}: lab {lab}\n  peer {peer}", flush=True)
    with open(args.out, "w") as f:
        json.dump({"threads_per_rank": args.threads, "rounds": rounds}, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
