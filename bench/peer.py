"""PyTorch peer benchmark for Lab.

Measures the same workloads as Lab's TorchBench, in PyTorch, on the same
machine, so the two can be compared:

  train_b256, train_b16   training throughput of a small CLIP-style model
                          (AdamW, lr 1e-3), samples/s
  infer_b256, infer_b16   inference throughput of both towers, samples/s
  minilm_b64_l32          sentences/s through all-MiniLM-L6-v2 (transformers'
                          BertModel, mean pooling, L2 norm), batch 64 x 32 tokens
  efficientnet_lite0_b32  images/s through EfficientNet-Lite0 (efficientnet_lite_pytorch,
                          ImageNet logits), batch 32 x 3 x 224 x 224
  add_64x64               per-op overhead of `a + b` on 64x64 float32, us/op

Usage:
  .venv/bin/python bench/peer.py --threads N --out FILE.json [--quick]
  python3 bench/peer.py --device cuda:0 --out FILE.json [--quick]
      (scripts/gpu-check: train_bB_P and infer_bB_P for B = 256, 16 and P = fp32, bf16
      under torch.autocast, each step synchronized, and gpu_peak_bytes_P; as TorchBench --device)
"""

import argparse
import json
import math
import platform
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

# ---------------------------------------------------------------------------
# Reference model. The Swift version in Lab must match this exactly.
#
# Kernel paths PyTorch 2.13 takes here on CPU (see op_paths() below):
#  - training: each encoder layer runs the composite Python path; attention
#    goes through F.scaled_dot_product_attention on the math backend
#    (bmm + _safe_softmax, dropout via bernoulli_), because dropout_p > 0.
#  - inference (eval + no_grad): each encoder layer is one fused call to
#    aten::_transformer_encoder_layer_fwd (the "fast path").
#  - AdamW with default arguments on CPU is the single-tensor (for-loop)
#    implementation: neither foreach nor fused.
# ---------------------------------------------------------------------------

VOCAB = 1000
SEQ_LEN = 16
D_MODEL = 128
N_HEAD = 4
D_FF = 256
N_LAYERS = 2
DROPOUT = 0.1
EMBED_DIM = 128


class ImageTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3, padding=1)
        self.proj = nn.Linear(64 * 7 * 7, EMBED_DIM)

    def forward(self, x):                               # x: (B, 1, 28, 28)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)      # (B, 32, 14, 14)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)      # (B, 64, 7, 7)
        x = x.flatten(1)                                # (B, 3136)
        return self.proj(x)                             # (B, 128)


class TextTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D_MODEL)
        self.pos = nn.Embedding(SEQ_LEN, D_MODEL)
        # Plain list of layers (not nn.TransformerEncoder): no nested-tensor
        # path, no final LayerNorm.
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(
                d_model=D_MODEL, nhead=N_HEAD, dim_feedforward=D_FF,
                dropout=DROPOUT, batch_first=True, norm_first=True)
            for _ in range(N_LAYERS)
        ])
        self.proj = nn.Linear(D_MODEL, EMBED_DIM)

    def forward(self, tokens):                          # tokens: (B, 16) int64
        positions = torch.arange(tokens.shape[1], device=tokens.device)   # (16,)
        x = self.tok(tokens) + self.pos(positions)      # (B, 16, 128)
        for layer in self.layers:
            x = layer(x)                                # (B, 16, 128)
        x = x.mean(dim=1)                               # (B, 128)
        return self.proj(x)                             # (B, 128)


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.image = ImageTower()
        self.text = TextTower()
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def embed(self, images, tokens):
        img = F.normalize(self.image(images), dim=-1)   # (B, 128)
        txt = F.normalize(self.text(tokens), dim=-1)    # (B, 128)
        return img, txt

    def loss(self, images, tokens):
        img, txt = self.embed(images, tokens)
        logits = self.logit_scale.exp() * img @ txt.T   # (B, B)
        labels = torch.arange(logits.shape[0], device=logits.device)      # (B,)
        return (F.cross_entropy(logits, labels)
                + F.cross_entropy(logits.T, labels)) / 2


def make_inputs(batch):
    images = torch.randn(batch, 1, 28, 28)
    tokens = torch.randint(0, VOCAB, (batch, SEQ_LEN))
    return images, tokens


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

WARMUP_STEPS = 5
REPEATS = 3


def best_rate(step, batch, min_seconds):
    """Warm up, then REPEATS times run `step` until >= min_seconds have
    passed; return the best samples/s."""
    for _ in range(WARMUP_STEPS):
        step()
    best = 0.0
    for _ in range(REPEATS):
        steps = 0
        t0 = time.perf_counter()
        while True:
            step()
            steps += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= min_seconds:
                break
        best = max(best, steps * batch / elapsed)
    return best


def bench_train(batch, min_seconds):
    model = CLIP()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    images, tokens = make_inputs(batch)

    def step():
        opt.zero_grad()
        loss = model.loss(images, tokens)
        loss.backward()
        opt.step()

    return best_rate(step, batch, min_seconds)


def bench_infer(batch, min_seconds):
    model = CLIP()
    model.eval()
    images, tokens = make_inputs(batch)

    def step():
        with torch.no_grad():
            model.embed(images, tokens)

    return best_rate(step, batch, min_seconds)


def bench_gpu(device, min_seconds):
    """The CLIP entries on a GPU, as TorchBench --device: fp32 and bf16 (autocast), each step
    synchronized so that the time is the kernels'."""
    sync = lambda: torch.cuda.synchronize(device)
    results = {"device": str(device), "torch": torch.__version__, "cuda_runtime": torch.version.cuda or "none",
               "gpu": torch.cuda.get_device_name(device)}
    for name, dtype in (("fp32", None), ("bf16", torch.bfloat16)):
        torch.cuda.reset_peak_memory_stats(device)
        for batch in (256, 16):
            images, tokens = (t.to(device) for t in make_inputs(batch))
            model = CLIP().to(device)
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

            def train():
                opt.zero_grad()
                with torch.autocast("cuda", dtype=dtype, enabled=dtype is not None):
                    loss = model.loss(images, tokens)
                loss.backward()
                opt.step()
                sync()

            results[f"train_b{batch}_{name}"] = {"value": best_rate(train, batch, min_seconds), "unit": "samples/s"}
            model.eval()

            def infer():
                with torch.no_grad(), torch.autocast("cuda", dtype=dtype, enabled=dtype is not None):
                    model.embed(images, tokens)
                sync()

            results[f"infer_b{batch}_{name}"] = {"value": best_rate(infer, batch, min_seconds), "unit": "samples/s"}
        results[f"gpu_peak_bytes_{name}"] = {"value": torch.cuda.max_memory_allocated(device), "unit": "bytes"}
    return results


def bench_feed_forward(width, int8, min_seconds):
    """Rows per second through Linear(d, 4d) -> GELU -> Linear(4d, d) at 4,096 rows, in float32
    or after torch.ao.quantization.quantize_dynamic (int8 weights, fbgemm/x86)."""
    import warnings
    torch.manual_seed(0)
    block = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)).eval()
    if int8:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            block = torch.ao.quantization.quantize_dynamic(block, {nn.Linear}, dtype=torch.qint8)
    x = torch.randn(4096, width)

    def step():
        with torch.no_grad():
            block(x)

    return best_rate(step, 4096, min_seconds)


class CaptionTower(nn.Module):
    """clip-fashion's text tower: token and position embeddings, two pre-norm GELU Transformer
    layers (width 64, 4 heads), a final LayerNorm, the mean over non-padding tokens, Linear(64, 128)."""

    def __init__(self, vocab=48, length=12, width=64, depth=2, heads=4, out=128):
        super().__init__()
        self.tok = nn.Embedding(vocab, width, padding_idx=0)
        self.pos = nn.Embedding(length, width)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(width, heads, 4 * width, 0.1, activation="gelu", batch_first=True, norm_first=True)
            for _ in range(depth)])
        self.norm = nn.LayerNorm(width)
        self.proj = nn.Linear(width, out)

    def forward(self, tokens):
        pad = tokens == 0
        x = self.tok(tokens) + self.pos(torch.arange(tokens.shape[1]))
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=pad)
        x = self.norm(x)
        keep = (~pad).to(x.dtype).unsqueeze(-1)
        return self.proj((x * keep).sum(1) / keep.sum(1).clamp(min=1))


def caption_tokens():
    """256 captions of 5-12 tokens padded to 12 (ids 1..47, 0 is padding), as TorchBench's."""
    return torch.tensor([[1 + (i * 7 + t * 3) % 47 if t < 5 + i % 8 else 0 for t in range(12)]
                         for i in range(256)], dtype=torch.int64)


def models_folder(name):
    """The folder scripts/install-deps installs model `name` into ($LAB_MODELS overrides), or None."""
    import os
    root = os.environ.get("LAB_MODELS") or os.path.join(os.path.dirname(__file__), "..", ".venv", "models")
    path = os.path.join(root, name)
    return path if os.path.exists(os.path.join(path, "config.json")) else None


def minilm_inputs():
    """The same 64 rows as miniLMInputs() in bench/TorchBench: [CLS] ... [SEP], 8 to 32 tokens, padded to 32."""
    ids, mask = [], []
    for i in range(64):
        length = 8 + (i * 5) % 25
        for t in range(32):
            ids.append(101 if t == 0 else 102 if t == length - 1 else 1996 + (i * 131 + t * 17) % 20000 if t < length else 0)
            mask.append(1 if t < length else 0)
    return torch.tensor(ids).view(64, 32), torch.tensor(mask).view(64, 32)


def bench_minilm(min_seconds):
    """Sentences/s through all-MiniLM-L6-v2 as a PyTorch user runs it: transformers' BertModel
    (its default attention), mean pooling over the mask, L2 normalisation. None when absent."""
    folder = models_folder("all-MiniLM-L6-v2")
    if folder is None:
        return None
    from transformers import BertModel
    model = BertModel.from_pretrained(folder).eval()
    ids, mask = minilm_inputs()

    def step():
        with torch.no_grad():
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            keep = mask.unsqueeze(-1).to(hidden.dtype)
            F.normalize((hidden * keep).sum(1) / keep.sum(1).clamp(min=1e-9), dim=-1)

    return best_rate(step, 64, min_seconds)


def bench_efficientnet(min_seconds):
    """Images/s through EfficientNet-Lite0's logits in the efficientnet_lite_pytorch package,
    with the weights Lab loads. None when absent."""
    import os
    folder = models_folder("efficientnet-lite0")
    if folder is None:
        return None
    from efficientnet_lite_pytorch import EfficientNet
    from safetensors.torch import load_file
    model = EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(load_file(os.path.join(folder, "model.safetensors")))
    model.eval()
    torch.manual_seed(0)
    images = torch.randn(32, 3, 224, 224)

    def step():
        with torch.no_grad():
            model(images)

    return best_rate(step, 32, min_seconds)


def bench_text_tower(int8, min_seconds):
    """Samples per second through CaptionTower on 256 captions, float32 or after
    torch.ao.quantization.quantize_dynamic (which leaves attention's out_proj, a
    NonDynamicallyQuantizableLinear, in float32; Lab quantizes it). The quantized tower runs
    with the MHA fast path off: its eligibility check reads `linear1.weight`, a method on a
    dynamically quantized Linear, and raises (PyTorch 2.13)."""
    import warnings
    torch.manual_seed(0)
    tower = CaptionTower().eval()
    if int8:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tower = torch.ao.quantization.quantize_dynamic(tower, {nn.Linear}, dtype=torch.qint8)
    tokens = caption_tokens()
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(not int8)

    def step():
        with torch.no_grad():
            tower(tokens)

    try:
        return best_rate(step, 256, min_seconds)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


def bench_add(iters):
    a = torch.randn(64, 64)
    b = torch.randn(64, 64)
    for _ in range(1000):
        a + b
    best = math.inf
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(iters):
            a + b
        best = min(best, time.perf_counter() - t0)
    return best / iters * 1e6


class _OpRecorder(TorchDispatchMode):
    """Records the names of the aten ops that reach the kernels."""

    def __init__(self):
        super().__init__()
        self.ops = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.add(str(func.overloadpacket))
        return func(*args, **(kwargs or {}))


def op_paths():
    """Notable aten ops hit by one train step and one inference pass
    (diagnostic only, printed to stderr): shows whether the encoder layers
    take the fused fast path, which attention kernel runs, and which AdamW
    implementation runs. Called after the benchmarks so it does not disturb
    the seeded weights and data."""
    notable = ("_transformer_encoder_layer_fwd", "_native_multi_head_attention",
               "scaled_dot_product", "_safe_softmax", "bernoulli",
               "_foreach_", "_fused_adamw", "addcdiv_", "lerp_")
    model = CLIP()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    images, tokens = make_inputs(4)

    model.train()
    train = _OpRecorder()
    with train:
        opt.zero_grad()
        model.loss(images, tokens).backward()
        opt.step()

    model.eval()
    infer = _OpRecorder()
    with torch.no_grad(), infer:
        model.embed(images, tokens)

    return {mode: sorted(op for op in rec.ops if any(n in op for n in notable))
            for mode, rec in (("train", train), ("infer", infer))}


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=None, help="required on the CPU")
    p.add_argument("--device", default="cpu", help="cuda:N: only the GPU entries (bench_gpu)")
    p.add_argument("--out", required=True)
    p.add_argument("--pretrained", action="store_true",
                   help="diagnostic: only the MiniLM and EfficientNet entries, printed")
    p.add_argument("--quick", action="store_true",
                   help="0.5 s per timing instead of 3 s, fewer add iterations")
    args = p.parse_args()

    min_seconds = 0.5 if args.quick else 3.0
    if args.device != "cpu":
        torch.manual_seed(0)
        with open(args.out, "w") as f:
            json.dump(bench_gpu(torch.device(args.device), min_seconds), f, indent=2, sort_keys=True)
        return
    if args.threads is None:
        p.error("--threads is required on the CPU")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    if args.pretrained:
        print(f"minilm_b64_l32 {bench_minilm(min_seconds):.1f} sentences/s  "
              f"efficientnet_lite0_b32 {bench_efficientnet(min_seconds):.2f} images/s")
        return
    add_iters = 20_000 if args.quick else 200_000

    results = {}
    for batch in (256, 16):
        key = f"train_b{batch}"
        results[key] = {"value": bench_train(batch, min_seconds), "unit": "samples/s"}
        print(f"{key}: {results[key]['value']:.1f} samples/s", file=sys.stderr)
    for batch in (256, 16):
        key = f"infer_b{batch}"
        results[key] = {"value": bench_infer(batch, min_seconds), "unit": "samples/s"}
        print(f"{key}: {results[key]['value']:.1f} samples/s", file=sys.stderr)
    for width in (64, 256, 512):
        for int8 in (False, True):
            key = f"ffn_d{width}_{'int8' if int8 else 'float32'}"
            results[key] = {"value": bench_feed_forward(width, int8, min_seconds), "unit": "samples/s"}
            print(f"{key}: {results[key]['value']:.1f} samples/s", file=sys.stderr)
    for int8 in (False, True):
        key = f"clip_text_b256_{'int8' if int8 else 'float32'}"
        results[key] = {"value": bench_text_tower(int8, min_seconds), "unit": "samples/s"}
        print(f"{key}: {results[key]['value']:.1f} samples/s", file=sys.stderr)
    for key, unit, bench in (("minilm_b64_l32", "sentences/s", bench_minilm),
                             ("efficientnet_lite0_b32", "images/s", bench_efficientnet)):
        value = bench(min_seconds)
        if value is None:
            print(f"{key}: skipped (the model is not installed: run scripts/install-deps)", file=sys.stderr)
            continue
        results[key] = {"value": value, "unit": unit}
        print(f"{key}: {value:.1f} {unit}", file=sys.stderr)
    results["add_64x64"] = {"value": bench_add(add_iters), "unit": "us/op"}
    print(f"add_64x64: {results['add_64x64']['value']:.3f} us/op", file=sys.stderr)

    for mode, names in op_paths().items():
        print(f"notable ops ({mode}): {', '.join(names) or '-'}", file=sys.stderr)

    results["versions"] = {"torch": torch.__version__,
                           "python": platform.python_version()}
    results["threads"] = {"intra": torch.get_num_threads(),
                          "interop": torch.get_num_interop_threads()}

    with open(args.out, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
