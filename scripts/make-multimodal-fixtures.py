#!/usr/bin/env python3
"""Writes the PyTorch reference values for the Multimodal tests (cross-modal attention
and the Perceiver resampler) to Tests/MultimodalTests/Fixtures/mm1.safetensors.

Run with the project's PyTorch (the libtorch Lab links):
    .venv/bin/python scripts/make-multimodal-fixtures.py

Each case stores its weights under PyTorch's own names (`NAME.state.<key>`), its inputs
and its outputs; the Swift tests load the weights into the Swift modules (mapping keys
where the names differ) and compare, so no Python runs at test time.
"""
import math
import os
import sys

import torch
import torch.nn as nn
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_machine  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "MultimodalTests", "Fixtures", "mm1.safetensors")
torch.set_num_threads(1)
tensors = {}


def put(prefix, module):
    for k, v in module.state_dict().items():
        tensors[f"{prefix}.state.{k}"] = v.detach().clone().contiguous()


def randomize(module, g):
    """Gives the 1-D parameters (zero-initialized biases, unit LayerNorm weights) random
    values, so that a wrong mapping of any of them shows in the outputs."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() == 1:
                noise = torch.randn(p.shape, generator=g) * 0.3
                p.copy_(noise + 1 if name.endswith("weight") else noise)


# --- CrossModalAttention ≙ LayerNorm? + nn.MultiheadAttention(E, heads, kdim=Ek, vdim=Ek) ---
def cross_modal(name, pre_norm, seed):
    g = torch.Generator().manual_seed(seed)
    E, Ek, H, B, Tq, Tk = 16, 24, 4, 2, 5, 7
    mha = nn.MultiheadAttention(E, H, kdim=Ek, vdim=Ek, batch_first=True)
    randomize(mha, g)
    put(name, mha)
    q = torch.randn(B, Tq, E, generator=g)
    c = torch.randn(B, Tk, Ek, generator=g)
    mask = torch.zeros(B, Tk, dtype=torch.bool)
    mask[1, 4:] = True  # the second sequence has 4 real context tokens, 3 of padding
    qn, cn = q, c
    if pre_norm:
        ln_q, ln_c = nn.LayerNorm(E), nn.LayerNorm(Ek)
        randomize(ln_q, g)
        randomize(ln_c, g)
        put(name + ".qnorm", ln_q)
        put(name + ".cnorm", ln_c)
        qn, cn = ln_q(q), ln_c(c)
    out, w = mha(qn, cn, cn, key_padding_mask=mask, need_weights=True, average_attn_weights=False)
    tensors[f"{name}.query"] = q
    tensors[f"{name}.context"] = c
    tensors[f"{name}.mask"] = mask
    tensors[f"{name}.out"] = out.detach().contiguous()
    tensors[f"{name}.weights"] = w.detach().contiguous()


# --- Perceiver resampler, written out as in Flamingo (arXiv:2204.14198, Fig. 5) ---
class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.query_proj = nn.Linear(dim, dim, bias=False)
        self.key_proj = nn.Linear(dim, dim, bias=False)
        self.value_proj = nn.Linear(dim, dim, bias=False)
        self.out_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, q_in, kv_in):
        B, N, E = q_in.shape
        T = kv_in.shape[1]
        h, d = self.heads, E // self.heads
        q = self.query_proj(q_in).view(B, N, h, d).transpose(1, 2)
        k = self.key_proj(kv_in).view(B, T, h, d).transpose(1, 2)
        v = self.value_proj(kv_in).view(B, T, h, d).transpose(1, 2)
        a = (q @ k.transpose(-2, -1) / math.sqrt(d)).softmax(-1)
        return self.out_proj((a @ v).transpose(1, 2).reshape(B, N, E))


class Layer(nn.Module):
    def __init__(self, dim, heads, mult):
        super().__init__()
        self.media_norm = nn.LayerNorm(dim)
        self.latent_norm = nn.LayerNorm(dim)
        self.attention = Attention(dim, heads)
        self.feed_forward = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, mult * dim, bias=False), nn.GELU(),
                                          nn.Linear(mult * dim, dim, bias=False))

    def forward(self, x, latents):
        q = self.latent_norm(latents)
        kv = torch.cat([self.media_norm(x), q], dim=1)  # keys/values: inputs and latents
        latents = latents + self.attention(q, kv)
        return latents + self.feed_forward(latents)


class Resampler(nn.Module):
    def __init__(self, dim, depth, num_latents, heads, mult):
        super().__init__()
        self.latents = nn.Parameter(torch.randn(num_latents, dim) * 0.02)
        self.layers = nn.ModuleList([Layer(dim, heads, mult) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        h = self.latents.unsqueeze(0).expand(x.shape[0], -1, -1)
        for layer in self.layers:
            h = layer(x, h)
        return self.norm(h)


def perceiver(seed):
    g = torch.Generator().manual_seed(seed)
    model = Resampler(dim=16, depth=2, num_latents=4, heads=4, mult=2)
    randomize(model, g)
    put("perceiver", model)
    x = torch.randn(2, 9, 16, generator=g)
    out = model(x)
    w = torch.randn(out.shape, generator=g)
    (out * w).sum().backward()
    tensors["perceiver.x"] = x
    tensors["perceiver.out"] = out.detach().contiguous()
    tensors["perceiver.w"] = w
    tensors["perceiver.grad_latents"] = model.latents.grad.clone()


torch.manual_seed(0)
cross_modal("cma", pre_norm=False, seed=1)
cross_modal("cma_pre", pre_norm=True, seed=2)
perceiver(seed=3)
os.makedirs(os.path.dirname(OUT), exist_ok=True)
save_file(tensors, OUT, metadata={"torch": torch.__version__, **fixture_machine.metadata()})
print(f"{OUT}: {len(tensors)} tensors, {os.path.getsize(OUT)} bytes")
