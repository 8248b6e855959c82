"""Combine Lab's and PyTorch's benchmark results into one table.

Usage:
  .venv/bin/python bench/report.py --lab LAB.json --peer PEER.json \\
      --out-json bench/results.json --out-md bench/RESULTS.md

Both inputs map benchmark names to {"value": x, "unit": "..."} and also hold
"versions" and "threads" objects. The ratio is oriented so that a value above
1 always means Lab is faster: lab/pytorch for rates (units ending in "/s"),
pytorch/lab for times (units such as "us/op").
"""

import argparse
import datetime
import json
import os
import sys

TIME_UNITS = {"s", "ms", "us", "ns", "s/op", "ms/op", "us/op", "ns/op",
              "s/step", "ms/step", "us/step"}


def measurements(data):
    """The benchmark entries of a result file: keys whose value has a "value"."""
    return {k: v for k, v in data.items() if isinstance(v, dict) and "value" in v}


def ratio(lab, peer, unit):
    if lab is None or peer is None:
        return None
    if unit.endswith("/s"):
        return lab / peer if peer else None
    if unit in TIME_UNITS:
        return peer / lab if lab else None
    print(f"report.py: unknown unit {unit!r}, no ratio", file=sys.stderr)
    return None


def combine(lab, peer):
    lab_m, peer_m = measurements(lab), measurements(peer)
    out = {}
    for name in sorted(set(lab_m) | set(peer_m)):
        l, p = lab_m.get(name), peer_m.get(name)
        if l and p and l["unit"] != p["unit"]:
            sys.exit(f"report.py: {name}: unit mismatch, "
                     f"Lab {l['unit']!r} vs PyTorch {p['unit']!r}")
        unit = (l or p)["unit"]
        entry = {"lab": l["value"] if l else None,
                 "pytorch": p["value"] if p else None,
                 "unit": unit}
        for extra in ("target", "reference", "reference_name"):
            if l and extra in l:
                entry[extra] = l[extra]
        r = ratio(entry["lab"], entry["pytorch"], unit)
        if r is not None:
            entry["ratio"] = r
        out[name] = entry
    return out


def best_of(paths):
    """Merges the rounds of one side: for each benchmark the best value (the highest
    rate, the lowest time), since noise on a shared machine only ever slows a run."""
    rounds = []
    for path in paths:
        with open(path) as f:
            rounds.append(json.load(f))
    merged = dict(rounds[0])
    for other in rounds[1:]:
        for name, entry in measurements(other).items():
            current = merged.get(name)
            if current is None:
                merged[name] = entry
                continue
            faster = (entry["value"] > current["value"] if entry["unit"].endswith("/s")
                      else entry["value"] < current["value"])
            if faster:
                merged[name] = entry
    merged["rounds"] = len(rounds)
    return merged


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "unknown memory"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    kib = int(line.split()[1])
                    mem = f"{kib / 2**20:.1f} GiB"
                    break
    except OSError:
        pass
    return cpu, os.cpu_count(), mem


def fmt_value(x):
    if x is None:
        return "—"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_pairs(d):
    if not d:
        return "—"
    return ", ".join(f"{k} {v}" for k, v in sorted(d.items()))


def serving(serve):
    """The `lab serve` vs FastAPI section, from bench/serve_bench.py's JSON."""
    lines = ["", "## Serving: `lab serve` vs FastAPI + uvicorn", "",
             f"`POST {serve['endpoint']}` driven by wrk on 127.0.0.1 for {serve['seconds']} s per client count, "
             f"{serve['rounds']} alternating rounds (each side's best kept). Every server loads the same TorchScript "
             f"export (clip-fashion's CLIP, seeded weights) with {serve['threads']} libtorch threads; Lab's and the peer's "
             f"answers agreed within {serve['agreement_max_abs']:.1e} before timing. Lab batches up to "
             f"{serve['lab_max_batch']} samples per forward pass (max delay {serve['lab_max_delay_ms']:g} ms: a batch is what "
             "queued while the previous pass ran) and keeps text embeddings by token ids, so the ten repeated prompts "
             "are computed once; \"no text cache\" runs them through the text tower on every request, as the peer does. "
             "The peer is the guide's server: one request per forward pass, the model called inside an `async def` "
             "endpoint or, with a plain `def`, in FastAPI's thread pool; its figure is the better of the two.", "",
             "| clients | Lab req/s | Lab, no text cache | FastAPI async | FastAPI thread | Lab ÷ best FastAPI "
             "| p50 ms: Lab / no cache / FastAPI best | p99 ms: Lab / no cache / FastAPI best |",
             "|---:|---:|---:|---:|---:|---:|---|---|"]
    for c in sorted(serve["lab"], key=int):
        lab, nocache = serve["lab"][c], serve["lab_no_text_cache"].get(c)
        peers = [serve[p][c] for p in ("peer_async", "peer_thread") if c in serve.get(p, {})]
        if nocache is None or not peers:
            continue
        peer = max(peers, key=lambda r: r["requests_per_s"])
        lines.append(f"| {c} | {fmt_value(lab['requests_per_s'])} | {fmt_value(nocache['requests_per_s'])} "
                     f"| {fmt_value(serve['peer_async'][c]['requests_per_s'])} | {fmt_value(serve['peer_thread'][c]['requests_per_s'])} "
                     f"| {lab['requests_per_s'] / peer['requests_per_s']:.2f}× "
                     f"(no cache {nocache['requests_per_s'] / peer['requests_per_s']:.2f}×) "
                     f"| {lab['p50_ms']:.2f} / {nocache['p50_ms']:.2f} / {peer['p50_ms']:.2f} "
                     f"| {lab['p99_ms']:.2f} / {nocache['p99_ms']:.2f} / {peer['p99_ms']:.2f} |")
    failed = {side: sum(r.get("non_2xx", 0) for r in serve.get(side, {}).values())
              for side in ("lab", "lab_no_text_cache", "peer_async", "peer_thread")}
    lines += ["", "Non-2xx responses: " + ", ".join(f"{k} {v}" for k, v in failed.items()) + "."]
    return lines


def distributed(dist):
    """Data parallelism: 2-rank DDP and allreduce against torchrun's, and a ring projection."""
    rounds = dist["rounds"]
    def best(side, key, lower=False):
        values = [r[side][key] for r in rounds if key in r[side]]
        return (min if lower else max)(values)
    lines = ["", "## Data parallelism: Lab's ranks vs `torchrun --nproc_per_node=2`", "",
             f"Two ranks on this machine, {dist['threads_per_rank']} libtorch thread per rank, Gloo on 127.0.0.1, "
             f"{len(rounds)} alternating rounds (best kept: highest samples/s, lowest median allreduce time). "
             "Lab: TorchBench's ranks with `lab run --nproc`'s mechanism (rank 0's weights broadcast, gradients "
             "averaged in 25 MiB buckets after each backward(), not overlapped with it). PyTorch: "
             "`DistributedDataParallel` (25 MiB buckets, overlapped with backward). Model: the reference CLIP-style "
             "model above, AdamW, 128 samples per rank (global batch 256).", "",
             "| benchmark | Lab | PyTorch | unit | Lab ÷ PyTorch |", "|---|---:|---:|---|---:|"]
    lab_ddp, peer_ddp = best("lab", "ddp_train_b256_2ranks"), best("peer", "ddp_train_b256_2ranks")
    lines.append(f"| ddp_train_b256_2ranks | {fmt_value(lab_ddp)} | {fmt_value(peer_ddp)} | samples/s | {lab_ddp / peer_ddp:.2f}× |")
    sizes = [1, 10, 100]
    for mb in sizes:
        key = f"allreduce_{mb}mb_ms"
        l, q = best("lab", key, lower=True), best("peer", key, lower=True)
        lines.append(f"| allreduce_{mb}mb (median of a round) | {fmt_value(l)} | {fmt_value(q)} | ms | {q / l:.2f}× |")
    # Ring allreduce over N ranks: t(N, S) = 2(N−1)·α + 2(N−1)/N · S·β. At N = 2, t = 2α + S·β:
    # α and β from the 1 and 10 MB times of one round (the round where they are lowest: its
    # figures were taken together), the sizes around a model's gradients; 100 MB leaves the
    # caches and is shown, not fitted.
    quiet = min(rounds, key=lambda r: r["lab"]["allreduce_1mb_ms"] + r["lab"]["allreduce_10mb_ms"])["lab"]
    t1, t10 = quiet["allreduce_1mb_ms"], quiet["allreduce_10mb_ms"]
    beta = (t10 - t1) / 9
    alpha = max(0.0, (t1 - beta) / 2)
    grad_mb = rounds[0]["lab"]["gradient_mb"]
    compute_ms = 128 / best("lab", "ddp_compute_b128_per_rank") * 1e3
    lines += ["", f"**Projection, not a measurement.** From the figures above: one rank's step on 128 samples without "
              f"averaging takes {compute_ms:.1f} ms here (both ranks computing at once), the gradients are {grad_mb:.2f} MB, "
              f"and the 1 and 10 MB allreduce times of one round ({t1:.2f} and {t10:.2f} ms) give a ring model with per-hop "
              f"latency α = {alpha:.3f} ms and β = {beta:.3f} ms/MB "
              "(t = 2(N−1)α + 2(N−1)/N·S·β; loopback memory bandwidth stands in for the network). With the allreduce "
              "after backward, not overlapped, and the per-rank batch fixed at 128:", "",
              "| ranks | allreduce per step (ms) | step (ms) | samples/s | scaling efficiency |", "|---:|---:|---:|---:|---:|"]
    for ranks in (2, 8, 64):
        comm = 2 * (ranks - 1) * alpha + 2 * (ranks - 1) / ranks * grad_mb * beta
        step = compute_ms + comm
        lines.append(f"| {ranks} | {comm:.2f} | {step:.1f} | {fmt_value(ranks * 128 / step * 1e3)} | {100 * compute_ms / step:.1f}% |")
    lines += ["", "Real networks change β (10 GbE moves about 1.2 GB/s, 0.8 ms/MB) and α (tens of µs per hop); "
              "overlapping the allreduce with backward, as DDP does, would hide part of it."]
    return lines


def markdown(results, lab, peer, serve=None, dist=None):
    cpu, cores, mem = machine()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Lab vs PyTorch benchmarks",
        "",
        f"- Machine: {cpu}, {cores} logical cores, {mem} memory",
        f"- Date: {now}",
        f"- Lab: {fmt_pairs(lab.get('versions'))}; threads: {fmt_pairs(lab.get('threads'))}",
        f"- PyTorch: {fmt_pairs(peer.get('versions'))}; threads: {fmt_pairs(peer.get('threads'))}",
        "",
        "| benchmark | Lab | PyTorch | unit | Lab ÷ PyTorch |",
        "|---|---:|---:|---|---:|",
    ]
    for name, e in results.items():
        if "target" in e:
            continue
        r = f"{e['ratio']:.2f}×" if "ratio" in e else "—"
        lines.append(f"| {name} | {fmt_value(e['lab'])} | {fmt_value(e['pytorch'])} "
                     f"| {e['unit']} | {r} |")
    own = {k: e for k, e in results.items() if "target" in e}
    if own:
        lines += ["", "## Runner, cache and run store", "",
                  "| benchmark | Lab | reference | unit | target |", "|---|---:|---:|---|---|"]
        for name, e in own.items():
            ref = (f"{fmt_value(e['reference'])} ({e.get('reference_name', '')}; Lab at "
                   f"{100 * e['lab'] / e['reference']:.0f}%)") if e.get("reference") else "—"
            lines.append(f"| {name} | {fmt_value(e['lab'])} | {ref} | {e['unit']} | {e['target']} |")
    lines += [
        "",
        "Ratios above 1 mean Lab is faster (for samples/s the ratio is Lab ÷ PyTorch, "
        "for us/op it is PyTorch ÷ Lab); both sides were measured in the same run, "
        "with the same libtorch and the same thread count, in "
        f"{peer.get('rounds', 1)} alternating rounds each, keeping each side's best. "
        "The runner's figures come from one LabBench run (medians of 5 for the cache, 3 for re-runs).",
    ]
    if serve:
        lines += serving(serve)
    if dist:
        lines += distributed(dist)
    lines.append("")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lab", required=True, action="append",
                   help="a Lab result file; repeat for several rounds (the best of each is kept)")
    p.add_argument("--peer", required=True, action="append",
                   help="a PyTorch result file; repeat for several rounds")
    p.add_argument("--serve", help="bench/serve_bench.py's result file")
    p.add_argument("--dist", help="bench/dist_bench.py's result file")
    p.add_argument("--out-json", required=True)
    p.add_argument("--out-md", required=True)
    args = p.parse_args()

    lab = best_of(args.lab)
    peer = best_of(args.peer)

    if lab.get("threads") != peer.get("threads"):
        print(f"report.py: warning: thread counts differ, Lab {lab.get('threads')} "
              f"vs PyTorch {peer.get('threads')}", file=sys.stderr)

    results = combine(lab, peer)
    serve = None
    if args.serve:
        with open(args.serve) as f:
            serve = json.load(f)
        results["serve"] = serve
    dist = None
    if args.dist:
        with open(args.dist) as f:
            dist = json.load(f)
        results["dist"] = dist
    with open(args.out_json, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(args.out_md, "w") as f:
        f.write(markdown({k: v for k, v in results.items() if k not in ("serve", "dist")}, lab, peer, serve, dist))


if __name__ == "__main__":
    main()
