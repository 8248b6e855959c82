"""`lab serve` against the guide's FastAPI server (bench/serve_peer.py), side by side.

Both serve the same TorchScript export (clip-fashion's CLIP, `TorchBench --export-serve`)
on 127.0.0.1 and get the same request from the same load generator, wrk, at each client
count: POST /v1/classify with a 28×28 PNG and the ten Fashion-MNIST labels (the guide's
/predict: an image and candidate texts → scores). Before timing, both servers' answers to
that request are compared (same best label, scores within 1e-4).

Rounds alternate the two sides; each side keeps its best round per client count (noise on
a shared machine only slows a run). Writes a JSON of requests/s and p50/p99 latency.

    .venv/bin/python bench/serve_bench.py --lab .build/release/lab --export DIR --out FILE [--seconds 8] [--rounds 2]
"""

import argparse
import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np
from PIL import Image
import io

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request_body():
    rng = np.random.default_rng(0)
    pixels = (rng.random((28, 28)) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return json.dumps({"image": base64.b64encode(buffer.getvalue()).decode(), "labels": LABELS})


def post(port, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/classify", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_healthy(port, process, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no /health answer on port {port} within {seconds} s")


# Each side: Lab as it ships, Lab with every prompt through the text tower, and the peer
# with each of its two handler forms (the peer's figure is the better of the two).
SIDES = ["lab", "lab_no_text_cache", "peer_async", "peer_thread"]


def start(side, args, port):
    if side.startswith("lab"):
        command = [args.lab, "serve", args.export, "--port", str(port), "--max-batch", str(args.max_batch),
                   "--max-delay-ms", str(args.max_delay_ms), "--max-queue", "4096",
                   "--text-cache", "0" if side == "lab_no_text_cache" else "4096"]
    else:
        command = [sys.executable, os.path.join(os.path.dirname(__file__), "serve_peer.py"), args.export, "--port", str(port),
                   "--threads", str(args.threads), "--handler", side.split("_")[1]]
    env = dict(os.environ, LAB_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wait_healthy(port, process)
    return process


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def wrk(port, clients, seconds, script):
    threads = max(1, min(clients, 2))
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s", "--latency", "--timeout", "30s",
                          "-s", script, f"http://127.0.0.1:{port}/v1/classify"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"requests_per_s": rps, "p50_ms": p50, "p99_ms": p99,
            "non_2xx": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else ""}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lab", required=True)
    parser.add_argument("--export", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--max-delay-ms", type=float, default=0)
    args = parser.parse_args()

    body = request_body()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ' + json.dumps(body) + "\n")
        script = f.name

    # Same answer from both before any timing.
    answers = {}
    for side in ["lab", "peer_async"]:
        port = free_port()
        process = start(side, args, port)
        try:
            answers[side] = post(port, body)
        finally:
            stop(process)
    lab_scores = {s["label"]: s["score"] for s in answers["lab"]["scores"]}
    peer_scores = {s["label"]: s["score"] for s in answers["peer_async"]["scores"]}
    agreement = max(abs(lab_scores[l] - peer_scores[l]) for l in LABELS)
    if answers["lab"]["label"] != answers["peer_async"]["label"] or agreement > 1e-4:
        raise SystemExit(f"serve_bench: the servers disagree (max score difference {agreement:.2e}): {answers}")

    clients = [int(c) for c in args.clients.split(",")]
    best = {side: {} for side in SIDES}
    for round_ in range(args.rounds):
        for side in (SIDES if round_ % 2 == 0 else SIDES[::-1]):
            port = free_port()
            process = start(side, args, port)
            try:
                wrk(port, 4, 2, script)  # warm-up
                for c in clients:
                    result = wrk(port, c, args.seconds, script)
                    print(f"serve_bench round {round_ + 1} {side:17} {c:3} clients: {result['requests_per_s']:8.1f} req/s "
                          f"p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms  non-2xx {result['non_2xx']}", flush=True)
                    kept = best[side].get(c)
                    if kept is None or result["requests_per_s"] > kept["requests_per_s"]:
                        best[side][c] = result
            finally:
                stop(process)
    os.unlink(script)
    with open(args.out, "w") as f:
        json.dump({"endpoint": "/v1/classify (one 28x28 PNG, ten labels)", "seconds": args.seconds, "rounds": args.rounds,
                   "threads": args.threads, "lab_max_batch": args.max_batch, "lab_max_delay_ms": args.max_delay_ms, "agreement_max_abs": agreement,
                   **{side: {str(c): r for c, r in best[side].items()} for side in SIDES}}, f, indent=2)


if __name__ == "__main__":
    main()
