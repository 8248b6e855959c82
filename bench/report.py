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


def markdown(results, lab, peer, serve=None):
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
    with open(args.out_json, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(args.out_md, "w") as f:
        f.write(markdown({k: v for k, v in results.items() if k != "serve"}, lab, peer, serve))


if __name__ == "__main__":
    main()
