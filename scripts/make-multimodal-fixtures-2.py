#!/usr/bin/env python3
"""Reference values for the Multimodal encoders, log-mel spectrogram and contrastive loss.

Writes Tests/MultimodalTests/Fixtures/mm2.safetensors. Each model is a PyTorch module whose
state-dict keys are those of the Swift module; the Swift tests copy the weights in by key
and compare outputs. The log-mel reference is plain numpy (float64), not torch.stft, so the
engine's STFT path is checked against an independent implementation.

Run: .venv/bin/python scripts/make-multimodal-fixtures-2.py
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_machine  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "MultimodalTests", "Fixtures", "mm2.safetensors")

tensors = {}
metadata = {}


def put_model(name, model, inputs, outputs):
    for key, value in model.state_dict().items():
        tensors[f"{name}.state.{key}"] = value.detach().clone().contiguous()
    metadata[f"{name}.keys"] = ",".join(model.state_dict().keys())
    for i, x in enumerate(inputs):
        tensors[f"{name}.in.{i}"] = x.detach().clone().contiguous()
    for i, y in enumerate(outputs):
        tensors[f"{name}.out.{i}"] = y.detach().clone().contiguous()


# ---------------------------------------------------------------- image encoder
class ImageRef(nn.Module):
    def __init__(self, image_size, channels, embedding_dim):
        super().__init__()
        self.convs = nn.ModuleList()
        self.pools = []
        size, previous = image_size, 1
        for width in channels:
            self.convs.append(nn.Conv2d(previous, width, 3, padding=1))
            pool = size >= 2
            self.pools.append(pool)
            if pool:
                size //= 2
            previous = width
        self.projection = nn.Linear(previous * size * size, embedding_dim)

    def forward(self, x):
        for conv, pool in zip(self.convs, self.pools):
            x = F.relu(conv(x))
            if pool:
                x = F.max_pool2d(x, 2)
        return self.projection(x.flatten(1))


torch.manual_seed(1)
m = ImageRef(28, [8, 16], 12).eval()
x = torch.rand(3, 1, 28, 28)
put_model("image28", m, [x], [m(x)])

torch.manual_seed(2)
m = ImageRef(8, [4, 8, 8, 8], 6).eval()  # 8 → 4 → 2 → 1 → 1: the last block cannot pool
x = torch.rand(5, 1, 8, 8)
put_model("image8", m, [x], [m(x)])


# ---------------------------------------------------------------- text encoder
class TextRef(nn.Module):
    def __init__(self, vocab, max_length, width, depth, heads, ff, embedding_dim, pad_id):
        super().__init__()
        self.pad_id = pad_id
        self.token_embedding = nn.Embedding(vocab, width, padding_idx=pad_id)
        self.position_embedding = nn.Embedding(max_length, width)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(width, heads, ff, dropout=0.1, activation="gelu",
                                       batch_first=True, norm_first=True)
            for _ in range(depth)
        ])
        self.final_norm = nn.LayerNorm(width)
        self.projection = nn.Linear(width, embedding_dim)

    def forward(self, tokens, pooling):
        padding = tokens == self.pad_id
        t = tokens.shape[1]
        x = self.token_embedding(tokens) + self.position_embedding(torch.arange(t))
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=padding)
        x = self.final_norm(x)
        if pooling == "first":
            pooled = x[:, 0]
        else:
            keep = (~padding).unsqueeze(-1).to(x.dtype)
            pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1)
        return self.projection(pooled)


torch.manual_seed(3)
m = TextRef(30, 10, 16, 2, 4, 32, 8, 0).eval()
tokens = torch.randint(1, 30, (4, 10))
tokens[1, 6:] = 0  # padded at the end
tokens[2, 2:] = 0  # mostly padding
tokens[3, 9:] = 0  # one pad token
# Grad mode stays on (the parameters require grad), so PyTorch takes its op-by-op path,
# not the fused inference kernel, as the Swift layer does when a mask is given.
put_model("text", m, [tokens], [m(tokens, "mean"), m(tokens, "first")])


# ---------------------------------------------------------------- audio encoder
class AudioRef(nn.Module):
    def __init__(self, mels, channels, embedding_dim):
        super().__init__()
        self.convs = nn.ModuleList()
        previous = mels
        for width in channels:
            self.convs.append(nn.Conv1d(previous, width, 3, padding=1))
            previous = width
        self.projection = nn.Linear(previous, embedding_dim)

    def forward(self, x):
        for conv in self.convs:
            x = F.relu(conv(x))
            if x.shape[2] >= 2:
                x = F.max_pool1d(x, 2)
        return self.projection(x.mean(2))


torch.manual_seed(4)
m = AudioRef(40, [16, 24], 10).eval()
x = torch.randn(2, 40, 51)
put_model("audio", m, [x], [m(x)])


# ---------------------------------------------------------------- log-mel spectrogram (numpy)
def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def mel_filter_bank(n_freqs, n_mels, sample_rate, f_min, f_max):
    """torchaudio.functional.melscale_fbanks(mel_scale="htk", norm=None), in numpy: (n_freqs, n_mels)."""
    bins = np.linspace(0, sample_rate / 2, n_freqs)
    corners = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    fb = np.zeros((n_freqs, n_mels))
    for m_ in range(n_mels):
        rising = (bins - corners[m_]) / (corners[m_ + 1] - corners[m_])
        falling = (corners[m_ + 2] - bins) / (corners[m_ + 2] - corners[m_ + 1])
        fb[:, m_] = np.maximum(0, np.minimum(rising, falling))
    return fb


def log_mel(x, sample_rate=16000, n_fft=400, hop=160, n_mels=40):
    pad = n_fft // 2
    padded = np.pad(x, (pad, pad), mode="reflect")
    frames = 1 + (len(padded) - n_fft) // hop
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
    framed = np.stack([padded[i * hop:i * hop + n_fft] * window for i in range(frames)])  # (frames, n_fft)
    spectrum = np.fft.rfft(framed, axis=1)  # (frames, n_fft/2 + 1)
    power = spectrum.real ** 2 + spectrum.imag ** 2
    fb = mel_filter_bank(n_fft // 2 + 1, n_mels, sample_rate, 0.0, sample_rate / 2)
    mel = power @ fb  # (frames, n_mels)
    return np.log(mel.T + 1e-6), fb  # (n_mels, frames)


sr = 16000
t = np.arange(int(0.5 * sr)) / sr
wave = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 1000 * t)
ref, fb = log_mel(wave)
tensors["mel.wave"] = torch.from_numpy(wave)  # float64 (8000,)
tensors["mel.logmel"] = torch.from_numpy(np.ascontiguousarray(ref))  # float64 (40, 51)
tensors["mel.filters"] = torch.from_numpy(fb)  # float64 (201, 40)


# ---------------------------------------------------------------- symmetric InfoNCE
def symmetric(a, b, scale):
    logits = scale * a @ b.T
    labels = torch.arange(a.shape[0])
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


torch.manual_seed(5)
raws = [torch.randn(8, 16, requires_grad=True) for _ in range(3)]
log_scale = torch.tensor(math.log(1 / 0.07), requires_grad=True)
for i, r in enumerate(raws):
    tensors[f"nce.raw.{i}"] = r.detach().clone()
embeddings = [F.normalize(r, dim=-1) for r in raws]
scale = log_scale.clamp(max=math.log(100)).exp()
loss2 = symmetric(embeddings[0], embeddings[1], scale)
grads = torch.autograd.grad(loss2, [raws[0], raws[1], log_scale], retain_graph=True)
tensors["nce.loss2"] = loss2.detach()
for name, g in zip(["a", "b", "scale"], grads):
    tensors[f"nce.grad2.{name}"] = g
pairs = [(0, 1), (0, 2), (1, 2)]
loss3 = sum(symmetric(embeddings[i], embeddings[j], scale) for i, j in pairs) / 3
grads = torch.autograd.grad(loss3, raws + [log_scale])
tensors["nce.loss3"] = loss3.detach()
for name, g in zip(["a", "b", "c", "scale"], grads):
    tensors[f"nce.grad3.{name}"] = g

os.makedirs(os.path.dirname(OUT), exist_ok=True)
save_file(tensors, OUT, metadata={**metadata, **fixture_machine.metadata()})
print(f"wrote {OUT}: {len(tensors)} tensors, {os.path.getsize(OUT)} bytes")
