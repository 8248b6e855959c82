#!/usr/bin/env python3
"""Writes the PyTorch reference values that the Swift tests compare against.

Run with the project's PyTorch (the same libtorch that Lab links):
    .venv/bin/python scripts/make-fixtures.py
Outputs Tests/TorchTests/Fixtures/{ops,layers,losses,optim}.safetensors. Each case
stores its inputs, its output and, for differentiable cases, a random output weight
`w` and the gradients of sum(out * w) with respect to each floating-point input. The
Swift tests recompute every case from the stored inputs, so no Python runs at test time.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_machine  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "TorchTests", "Fixtures")
torch.set_num_threads(1)


class Cases:
    def __init__(self):
        # The output weights `w` come from the global generator: seed it so that a family
        # written twice on one machine is the same file.
        torch.manual_seed(0)
        self.tensors = {}
        self.meta = {}

    def add(self, name, fn, *inputs, grad=True, constant=()):
        inputs = [t.clone() for t in inputs]
        for i, t in enumerate(inputs):
            self.tensors[f"{name}.in{i}"] = t.clone().contiguous()
        leaves = [t.clone().requires_grad_(grad and t.is_floating_point() and i not in constant)
                  for i, t in enumerate(inputs)]
        out = fn(*leaves)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        for j, o in enumerate(outs):
            self.tensors[f"{name}.out{j}"] = o.detach().clone().contiguous()
        first = outs[0]
        if grad and first.is_floating_point() and any(l.requires_grad for l in leaves):
            w = torch.randn(first.shape, dtype=first.dtype)
            self.tensors[f"{name}.w"] = w
            (first * w).sum().backward()
            for i, l in enumerate(leaves):
                if l.requires_grad and l.grad is not None:
                    self.tensors[f"{name}.grad{i}"] = l.grad.clone()

    def save(self, filename):
        path = os.path.join(OUT, filename)
        save_file(self.tensors, path, metadata={**self.meta, **fixture_machine.metadata()})
        print(f"{path}: {len(self.tensors)} tensors")


def ops():
    g = torch.Generator().manual_seed(1)
    r = lambda *s: torch.randn(*s, generator=g)
    pos = lambda *s: torch.rand(*s, generator=g) + 0.5
    c = Cases()
    # arithmetic with broadcasting and scalars
    c.add("add", lambda a, b: a + b, r(3, 4), r(4))
    c.add("sub", lambda a, b: a - b, r(3, 4), r(3, 1))
    c.add("mul", lambda a, b: a * b, r(2, 3, 4), r(3, 4))
    c.add("div", lambda a, b: a / b, r(3, 4), pos(3, 4))
    c.add("scalar", lambda a: (a * 2.5 + 1.0) / 4.0 - 3.0, r(3, 4))
    c.add("rsub", lambda a: 2.0 - a, r(5))
    c.add("pow", lambda a: a.pow(3.0), r(3, 4))
    c.add("powt", lambda a, b: a.pow(b), pos(3, 4), r(3, 4))
    c.add("neg", lambda a: -a, r(3, 4))
    # linear algebra
    c.add("matmul", lambda a, b: a @ b, r(3, 5), r(5, 2))
    c.add("matmul_batched", lambda a, b: a @ b, r(2, 3, 5), r(5, 4))
    c.add("bmm", lambda a, b: torch.bmm(a, b), r(2, 3, 5), r(2, 5, 4))
    c.add("einsum", lambda a, b: torch.einsum("bij,bjk->bik", a, b), r(2, 3, 5), r(2, 5, 4))
    # reductions
    x = r(3, 4, 5)
    c.add("sum_all", lambda a: a.sum(), x)
    c.add("sum_dim", lambda a: a.sum(dim=1, keepdim=True), x)
    c.add("mean_dims", lambda a: a.mean(dim=(0, 2)), x)
    c.add("amax", lambda a: a.amax(dim=2), x)
    c.add("amin", lambda a: a.amin(dim=0, keepdim=True), x)
    c.add("max_dim", lambda a: a.max(dim=1), x)
    c.add("argmax", lambda a: a.argmax(dim=2), x, grad=False)
    c.add("var", lambda a: a.var(dim=1), x)
    c.add("var_biased", lambda a: a.var(dim=(1, 2), correction=0, keepdim=True), x)
    c.add("std", lambda a: a.std(dim=2), x)
    c.add("logsumexp", lambda a: a.logsumexp(dim=1), x)
    c.add("prod", lambda a: a.prod(dim=1), r(3, 4))
    # elementwise functions
    u = r(4, 6)
    for name, fn in [
        ("exp", torch.exp), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("relu", F.relu),
        ("gelu", F.gelu), ("gelu_tanh", lambda a: F.gelu(a, approximate="tanh")), ("silu", F.silu),
        ("abs", torch.abs), ("sin", torch.sin), ("cos", torch.cos), ("erf", torch.erf), ("square", torch.square),
        ("clamp", lambda a: a.clamp(min=-0.5, max=0.7)), ("clamp_min", lambda a: a.clamp(min=0.1)),
        ("softmax", lambda a: a.softmax(dim=1)), ("log_softmax", lambda a: a.log_softmax(dim=0)),
    ]:
        c.add(name, fn, u)
    p = pos(4, 6)
    c.add("log", torch.log, p)
    c.add("sqrt", torch.sqrt, p)
    c.add("rsqrt", torch.rsqrt, p)
    c.add("reciprocal", torch.reciprocal, p)
    c.add("normalize", lambda a: F.normalize(a, dim=-1), r(3, 5))
    c.add("cosine_similarity", lambda a, b: F.cosine_similarity(a, b, dim=1), r(3, 5), r(3, 5))
    c.add("norm", lambda a: torch.linalg.vector_norm(a), r(3, 5))
    # shapes and indexing
    c.add("reshape_permute", lambda a: a.reshape(4, 6).t().reshape(2, 12).permute(1, 0) * 1.0, r(2, 3, 4))
    c.add("transpose", lambda a: a.transpose(0, 2).contiguous(), r(2, 3, 4))
    c.add("expand", lambda a: a.unsqueeze(0).expand(3, 2, 4) * 1.0, r(2, 4))
    c.add("squeeze", lambda a: a.squeeze(1).unsqueeze(-1), r(3, 1, 4))
    c.add("flatten", lambda a: a.flatten(1), r(2, 3, 4))
    c.add("slice", lambda a: a[1:3, ::2, -2:], r(4, 5, 6))
    c.add("select", lambda a: a[2, :, 1], r(4, 5, 6))
    idx = torch.tensor([2, 0, 2, 1])
    c.add("index_select", lambda a, i: a.index_select(1, i), r(3, 4), idx)
    gi = torch.tensor([[0, 2], [1, 1], [3, 0]])
    c.add("gather", lambda a, i: a.gather(1, i), r(3, 4), gi)
    c.add("scatter", lambda a, i, s: a.scatter(1, i, s), r(3, 4), torch.tensor([[0, 2], [1, 3], [3, 0]]), r(3, 2))
    c.add("scatter_add", lambda a, i, s: a.scatter_add(1, i, s), r(3, 4), gi, r(3, 2))
    m = torch.rand(3, 4, generator=g) > 0.5
    c.add("masked_fill", lambda a, mk: a.masked_fill(mk, -1.5), r(3, 4), m)
    c.add("where", lambda mk, a, b: torch.where(mk, a, b), m, r(3, 4), r(4))
    c.add("cat", lambda a, b: torch.cat([a, b], dim=1), r(2, 3), r(2, 5))
    c.add("stack", lambda a, b: torch.stack([a, b], dim=1), r(2, 3), r(2, 3))
    c.add("topk", lambda a: torch.topk(a, 3, dim=1), r(4, 7))
    c.add("sort", lambda a: torch.sort(a, dim=0, descending=True), r(5, 3))
    c.add("cumsum", lambda a: a.cumsum(dim=1), r(3, 4))
    c.add("tril", lambda a: a.tril(), r(4, 4))
    # neural-network functions
    c.add("linear", lambda a, w, b: F.linear(a, w, b), r(2, 3, 5), r(4, 5), r(4))
    c.add("conv1d", lambda a, w, b: F.conv1d(a, w, b, stride=2, padding=1), r(2, 3, 11), r(4, 3, 3), r(4))
    c.add("conv2d", lambda a, w, b: F.conv2d(a, w, b, stride=1, padding=1), r(2, 3, 7, 6), r(5, 3, 3, 3), r(5))
    c.add("conv2d_groups", lambda a, w: F.conv2d(a, w, None, stride=2, padding=0, dilation=1, groups=2), r(1, 4, 8, 8), r(6, 2, 3, 3))
    c.add("max_pool2d", lambda a: F.max_pool2d(a, 2), r(2, 3, 8, 6))
    c.add("max_pool2d_pad", lambda a: F.max_pool2d(a, 3, stride=2, padding=1), r(1, 2, 7, 7))
    c.add("avg_pool2d", lambda a: F.avg_pool2d(a, 2), r(2, 3, 8, 6))
    c.add("max_pool1d", lambda a: F.max_pool1d(a, 2), r(2, 3, 9))
    c.add("adaptive_avg_pool2d", lambda a: F.adaptive_avg_pool2d(a, (3, 2)), r(2, 3, 7, 5))
    c.add("adaptive_max_pool2d", lambda a: F.adaptive_max_pool2d(a, (2, 2)), r(2, 3, 7, 5))
    c.add("adaptive_avg_pool1d", lambda a: F.adaptive_avg_pool1d(a, 4), r(2, 3, 10))
    c.add("layer_norm", lambda a, w, b: F.layer_norm(a, (6,), w, b), r(2, 3, 6), r(6), r(6))
    c.add("embedding", lambda i, w: F.embedding(i, w), torch.tensor([[1, 3, 0], [4, 4, 2]]), r(5, 3))
    q, k, v = r(2, 2, 4, 8), r(2, 2, 5, 8), r(2, 2, 5, 8)
    c.add("sdpa", lambda q, k, v: F.scaled_dot_product_attention(q, k, v), q, k, v)
    c.add("sdpa_mask", lambda q, k, v, mk: F.scaled_dot_product_attention(q, k, v, attn_mask=mk), q, k, v,
          torch.rand(4, 5, generator=g) > 0.3)
    c.save("ops.safetensors")


def layers():
    c = Cases()
    x = torch.randn(2, 5, 16, generator=torch.Generator().manual_seed(2))
    img = torch.randn(2, 3, 9, 9, generator=torch.Generator().manual_seed(3))
    seq = torch.randn(2, 3, 20, generator=torch.Generator().manual_seed(4))
    tokens = torch.tensor([[1, 5, 0, 7], [3, 3, 9, 0]])
    padding = torch.tensor([[False, False, False, True], [False, False, True, True]])

    def layer(name, seed, make, run, *inputs):
        torch.manual_seed(seed)
        module = make()
        module.eval()
        for key, value in module.state_dict().items():
            c.tensors[f"{name}.state.{key}"] = value.detach().clone().contiguous()
        c.meta[f"{name}.keys"] = ",".join(module.state_dict().keys())
        params = dict(module.named_parameters())
        c.add(name, lambda *xs: run(module, *xs), *inputs)
        # gradients of sum(out * w) with respect to every parameter (add() ran backward once)
        for key, p in params.items():
            if p.grad is not None:
                c.tensors[f"{name}.pgrad.{key}"] = p.grad.clone()

    layer("linear", 10, lambda: nn.Linear(16, 7), lambda m, a: m(a), x)
    layer("conv2d", 11, lambda: nn.Conv2d(3, 4, 3, padding=1), lambda m, a: m(a), img)
    layer("conv1d", 12, lambda: nn.Conv1d(3, 5, 5, stride=2), lambda m, a: m(a), seq)
    layer("layer_norm", 13, lambda: nn.LayerNorm(16), lambda m, a: m(a), x)
    layer("embedding", 14, lambda: nn.Embedding(10, 6, padding_idx=0), lambda m, i: m(i), tokens)
    layer("mha", 15, lambda: nn.MultiheadAttention(16, 4, batch_first=True),
          lambda m, a: m(a, a, a, need_weights=False)[0], x)
    layer("mha_weights", 16, lambda: nn.MultiheadAttention(16, 2, batch_first=True),
          lambda m, a: m(a, a, a, need_weights=True), x)
    xq = x[:, :4]
    layer("mha_padding", 17, lambda: nn.MultiheadAttention(16, 4, batch_first=True),
          lambda m, a, mk: m(a, a, a, key_padding_mask=mk, need_weights=False)[0], xq, padding)
    layer("encoder_post", 18, lambda: nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True),
          lambda m, a: m(a), x)
    layer("encoder_pre", 19, lambda: nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True,
                                                                norm_first=True, activation="gelu"),
          lambda m, a, mk: m(a, src_key_padding_mask=mk), xq, padding)
    layer("sequential", 20, lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                                  nn.Flatten(), nn.Linear(4 * 4 * 4, 5)),
          lambda m, a: m(a), img)
    # BatchNorm2d with EfficientNet's eps and momentum: one training step (the batch's own
    # statistics; the running ones move by momentum toward the batch's mean and unbiased
    # variance), the gradients of sum(out * w), then evaluation with the updated statistics.
    torch.manual_seed(21)
    bn = nn.BatchNorm2d(3, eps=1e-3, momentum=0.01)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.5, 1.5, -1.0]))
        bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    bn.train()
    bx = (img * 2 + 1).requires_grad_(True)  # mean and variance away from 0 and 1
    out = bn(bx)
    w = torch.randn(out.shape)
    (out * w).sum().backward()
    c.tensors.update({
        "batch_norm.in": bx.detach().clone(), "batch_norm.w": w, "batch_norm.train.out": out.detach().clone(),
        "batch_norm.grad.in": bx.grad.clone(), "batch_norm.grad.weight": bn.weight.grad.clone(),
        "batch_norm.grad.bias": bn.bias.grad.clone(), "batch_norm.running_mean": bn.running_mean.clone(),
        "batch_norm.running_var": bn.running_var.clone(), "batch_norm.num_batches_tracked": bn.num_batches_tracked.clone(),
    })
    bn.eval()
    with torch.no_grad():
        c.tensors["batch_norm.eval.out"] = bn(bx.detach() * 0.5)
    c.meta["batch_norm.keys"] = ",".join(bn.state_dict().keys())
    # the initial values of a seeded randn, to pin the generator itself
    torch.manual_seed(42)
    c.tensors["randn.seed42"] = torch.randn(3, 4)
    c.tensors["rand.seed42"] = torch.rand(5)
    c.save("layers.safetensors")


def losses():
    g = torch.Generator().manual_seed(5)
    r = lambda *s: torch.randn(*s, generator=g)
    c = Cases()
    logits, target = r(6, 5), torch.tensor([0, 3, 4, 1, 1, 2])
    c.add("ce", lambda a, t: F.cross_entropy(a, t), logits, target)
    c.add("ce_smooth", lambda a, t: F.cross_entropy(a, t, label_smoothing=0.1), logits, target)
    c.add("ce_ignore", lambda a, t: F.cross_entropy(a, t, ignore_index=1), logits, target)
    c.add("ce_sum", lambda a, t: F.cross_entropy(a, t, reduction="sum"), logits, target)
    c.add("ce_probs", lambda a, p: F.cross_entropy(a, p), logits, r(6, 5).softmax(dim=1))
    c.add("ce_spatial", lambda a, t: F.cross_entropy(a, t), r(2, 4, 3, 3), torch.randint(0, 4, (2, 3, 3), generator=g))
    c.add("mse", lambda a, b: F.mse_loss(a, b), r(4, 3), r(4, 3))
    c.add("mse_none", lambda a, b: F.mse_loss(a, b, reduction="none"), r(4, 3), r(4, 3))
    c.add("bce", lambda a, t: F.binary_cross_entropy_with_logits(a, t), r(4, 3), torch.rand(4, 3, generator=g))
    c.add("bce_pos", lambda a, t, pw: F.binary_cross_entropy_with_logits(a, t, pos_weight=pw), r(4, 3),
          (torch.rand(4, 3, generator=g) > 0.5).float(), torch.rand(3, generator=g) + 0.5, constant=(2,))
    c.save("losses.safetensors")


def optim():
    """Each optimizer runs 6 steps on two parameters with a fixed sequence of gradients."""
    g = torch.Generator().manual_seed(6)
    c = Cases()
    p0, p1 = torch.randn(4, 3, generator=g), torch.randn(3, generator=g)
    grads = [(torch.randn(4, 3, generator=g), torch.randn(3, generator=g)) for _ in range(6)]
    c.tensors["p0"], c.tensors["p1"] = p0, p1
    for k, (g0, g1) in enumerate(grads):
        c.tensors[f"grad{k}.0"], c.tensors[f"grad{k}.1"] = g0, g1
    configs = {
        "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
        "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
        "sgd_nesterov": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
        "adam": lambda ps: torch.optim.Adam(ps, lr=0.01),
        "adam_l2": lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.1),
        "adam_amsgrad": lambda ps: torch.optim.Adam(ps, lr=0.01, amsgrad=True, betas=(0.8, 0.9)),
        "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.01),
        "adamw_wd": lambda ps: torch.optim.AdamW(ps, lr=0.02, weight_decay=0.3, eps=1e-6),
    }
    for name, make in configs.items():
        ps = [p0.clone().requires_grad_(), p1.clone().requires_grad_()]
        opt = make(ps)
        for k, (g0, g1) in enumerate(grads):
            opt.zero_grad()
            ((ps[0] * g0).sum() + (ps[1] * g1).sum()).backward()
            opt.step()
            c.tensors[f"{name}.step{k}.0"] = ps[0].detach().clone()
            c.tensors[f"{name}.step{k}.1"] = ps[1].detach().clone()
    # learning-rate schedules
    def rates(make_sched, steps):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.5)
        sched = make_sched(opt)
        out = []
        for _ in range(steps):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return torch.tensor(out, dtype=torch.float64)
    S = torch.optim.lr_scheduler
    c.tensors["lr.step"] = rates(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 10)
    c.tensors["lr.cosine"] = rates(lambda o: S.SequentialLR(o, [
        S.LinearLR(o, start_factor=1 / 5, end_factor=1.0, total_iters=4),
        S.CosineAnnealingLR(o, T_max=20 - 5, eta_min=0.01)], milestones=[5]), 20)
    # gradient-norm clipping
    a, b = torch.randn(3, 4, generator=g).requires_grad_(), torch.randn(5, generator=g).requires_grad_()
    c.tensors["clip.a"], c.tensors["clip.b"] = a.detach().clone(), b.detach().clone()
    ((a * 3).sum() + (b ** 2).sum()).backward()
    total = torch.nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    c.tensors["clip.total"] = total.detach().reshape(1)
    c.tensors["clip.grad_a"], c.tensors["clip.grad_b"] = a.grad.clone(), b.grad.clone()
    c.save("optim.safetensors")


def dtypes():
    """One tensor of every dtype, to check that files written by Python load bit for bit."""
    t = {
        "f32": torch.tensor([1.5, -2.25, 3.0e-8, float("inf")], dtype=torch.float32),
        "f64": torch.tensor([[math.pi, -math.e], [1e300, -0.0]], dtype=torch.float64),
        "f16": torch.tensor([0.1, 65504.0, -1.0], dtype=torch.float16),
        "bf16": torch.tensor([0.1, 3.0e38, -1.0], dtype=torch.bfloat16),
        "i64": torch.tensor([-(2 ** 62), 7, 0], dtype=torch.int64),
        "i32": torch.tensor([[-(2 ** 31), 2 ** 31 - 1]], dtype=torch.int32),
        "i16": torch.tensor([-32768, 32767], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
    }
    save_file(t, os.path.join(OUT, "dtypes.safetensors"), metadata={"writer": "python", "torch": torch.__version__, **fixture_machine.metadata()})
    print("dtypes.safetensors")


def autocast():
    """Mixed precision: ops under torch.autocast("cpu", dtype), their gradients float32 again.
    Written fresh by the tests on their own machine and compared bit for bit (bfloat16 kernels
    differ between CPUs), never committed."""
    c = Cases()
    g = torch.Generator().manual_seed(11)
    def r(*shape):
        return torch.randn(*shape, generator=g)
    def under(dtype, fn):
        def run(*args):
            with torch.autocast("cpu", dtype=dtype):
                return fn(*args)
        return run
    c.add("bf16_linear", under(torch.bfloat16, lambda x, w, b: F.linear(x, w, b)), r(4, 8), r(6, 8), r(6))
    c.add("bf16_matmul", under(torch.bfloat16, lambda a, b: a @ b), r(3, 5), r(5, 7))
    c.add("bf16_conv2d", under(torch.bfloat16, lambda x, w, b: F.conv2d(x, w, b, padding=1)), r(2, 3, 6, 6), r(4, 3, 3, 3), r(4))
    c.add("fp16_linear", under(torch.float16, lambda x, w, b: F.linear(x, w, b)), r(4, 8), r(6, 8), r(6))
    # An op autocast leaves alone: float32 in, float32 out.
    c.add("bf16_untouched", under(torch.bfloat16, lambda x: torch.tanh(x)), r(3, 4))
    c.save("autocast.safetensors")


FAMILIES = {"ops": ops, "layers": layers, "losses": losses, "optim": optim, "dtypes": dtypes, "autocast": autocast}

if __name__ == "__main__":
    # `--out DIR` writes elsewhere (a test writes fresh reference values on its own machine
    # and compares them bit for bit); `--only NAME…` writes only those families.
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--only", nargs="+", choices=sorted(FAMILIES), default=list(FAMILIES))
    args = parser.parse_args()
    OUT = args.out
    os.makedirs(OUT, exist_ok=True)
    for family in args.only:
        FAMILIES[family]()
