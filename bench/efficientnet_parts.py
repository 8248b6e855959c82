"""Diagnostic: milliseconds per part of EfficientNet-Lite0 at batch 32 in efficientnet_lite_pytorch
(TorchBench --efficientnet-parts is Lab's). Usage: .venv/bin/python bench/efficientnet_parts.py [--threads N]"""
import os
import sys
import time

import torch
from efficientnet_lite_pytorch import EfficientNet
from safetensors.torch import load_file

torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else os.cpu_count())
model = EfficientNet.from_name("efficientnet-lite0")
model.load_state_dict(load_file(os.path.join(os.path.dirname(__file__), "..", ".venv", "models", "efficientnet-lite0", "model.safetensors")))
model.eval()
torch.manual_seed(0)
x = torch.randn(32, 3, 224, 224)


def best(f):
    out, fastest = f(), 1e9
    for _ in range(3):
        start = time.perf_counter()
        out = f()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest * 1e3, out


with torch.no_grad():
    ms, h = best(lambda: model._swish(model._bn0(model._conv_stem(x))))
    line = f"stem {ms:.0f}"
    for i, block in enumerate(model._blocks):
        ms, h = best(lambda: block(h))
        line += f" b{i} {ms:.0f}"
    ms, _ = best(lambda: model._swish(model._bn1(model._conv_head(h))))
    print(line + f" head {ms:.0f} (ms)")
