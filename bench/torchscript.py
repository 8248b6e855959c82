"""Diagnostic: Lab's TorchScript exports of MiniLM and EfficientNet-Lite0 in libtorch's JIT, as
loaded (torch.jit.load) and frozen + optimized for inference, on the bench's inputs.

    .build/release/TorchBench --export-pretrained DIR
    .venv/bin/python bench/torchscript.py DIR --threads N
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import peer  # noqa: E402

folder = sys.argv[1]
torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else os.cpu_count())
ids, mask = peer.minilm_inputs()
torch.manual_seed(0)
images = torch.randn(32, 3, 224, 224)
for name, inputs, batch, unit in (("minilm", (ids, mask), 64, "sentences/s"), ("efficientnet", (images,), 32, "images/s")):
    loaded = torch.jit.load(os.path.join(folder, f"{name}.pt")).eval()
    frozen = torch.jit.optimize_for_inference(torch.jit.freeze(loaded))
    for label, module in (("torch.jit.load", loaded), ("frozen+optimized", frozen)):
        def step():
            with torch.no_grad():
                module(*inputs)
        print(f"{name} {label}: {peer.best_rate(step, batch, 3.0):.1f} {unit}")
