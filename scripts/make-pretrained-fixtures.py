#!/usr/bin/env python3
"""Reference values for the pretrained text encoder (all-MiniLM-L6-v2, installed by
scripts/install-deps under .venv/models/).

Writes two files under Tests/MultimodalTests/Fixtures/:
- wordpiece.json: several thousand strings (words of the vocabulary, accents, punctuation,
  CJK, emoji, control characters, very long words, empty and blank strings) with the ids the
  `tokenizers` package gives for them from the model's tokenizer.json (no padding, no
  truncation, [CLS] … [SEP] added).
- minilm.safetensors: for a few sentences, the ids, attention mask, every layer's hidden
  states and the mean-pooled, L2-normalized sentence embeddings of a plain PyTorch BERT
  forward (below: embeddings, six post-norm layers with exact GELU) over the same weights.

Run: .venv/bin/python scripts/make-pretrained-fixtures.py
"""
import json
import math
import os
import random
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_machine  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.environ.get("LAB_MODELS", os.path.join(ROOT, ".venv", "models"))
FOLDER = os.path.join(MODEL, "all-MiniLM-L6-v2")
OUT = os.path.join(ROOT, "Tests", "MultimodalTests", "Fixtures")

tokenizer = Tokenizer.from_file(os.path.join(FOLDER, "tokenizer.json"))
tokenizer.no_padding()
tokenizer.no_truncation()
vocab = [line.rstrip("\n") for line in open(os.path.join(FOLDER, "vocab.txt"), encoding="utf-8")]


def strings():
    """Deterministic strings that exercise every rule of BERT's basic tokenization and WordPiece."""
    rng = random.Random(7)
    words = [w for w in vocab if not w.startswith("[") and not w.startswith("##")]
    pieces = [w[2:] for w in vocab if w.startswith("##")]
    out = ["", " ", "\t\n ", "hello", "Hello, World!", "The weather is lovely today.", "It's so sunny outside!",
           "He drove to the stadium.", "naïve café résumé Ångström façade", "ÀÉÎÕÜ àéîõü ÇçÑñ",
           "东京 是 日本的首都", "我爱自然语言处理", "日本語のテキスト", "한국어 문장", "emoji 😀🎉👍🏽 and ❤️",
           "a" * 99, "a" * 100, "a" * 101, "supercalifragilisticexpialidocious", "don't won't can't",
           "e-mail: someone@example.com, url: https://example.org/a?b=c", "3.14159 1,000,000 42nd",
           "tab\tseparated\tvalues", "zero\u200bwidth", "control\u0007char\u0000null", "soft\u00adhyphen",
           "ﬁligature", "Ⅻ roman", "(brackets) [square] {curly} <angle>", "quotes “curly” ‘single’ «guillemets»",
           "— dashes – and … ellipsis", "a sneaker", "a photo of a gym shoe", "an ankle boot", "UPPER lower MiXeD",
           "   leading and trailing   ", "multiple     spaces", "new\nlines\r\nand\rreturns"]
    for _ in range(1200):  # sentences of vocabulary words, with case and punctuation mixed in
        n = rng.randint(1, 12)
        ws = [rng.choice(words) for _ in range(n)]
        ws = [w.capitalize() if rng.random() < 0.2 else w.upper() if rng.random() < 0.05 else w for w in ws]
        punct = rng.choice(["", ".", "!", "?", ",", ";", ":"])
        out.append(" ".join(ws) + punct)
    for _ in range(800):  # made-up words: WordPiece splits them or gives [UNK]
        n = rng.randint(1, 4)
        out.append("".join(rng.choice(words[:3000]) + rng.choice(pieces) for _ in range(n)))
    accented = "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿāăąćčďđēėęěğīįıłńňōőœřśşšţťūůűųźżžǎǐǒǔ"
    for _ in range(600):  # accents, upper and lower, and symbols
        word = "".join(rng.choice(accented + accented.upper() + "abcdefghij") for _ in range(rng.randint(1, 10)))
        out.append(word + rng.choice(["", "!", "'s", "-x", "…"]))
    for _ in range(400):  # random code points from several scripts and symbol blocks
        blocks = [(0x20, 0x7e), (0xa0, 0x17f), (0x370, 0x3ff), (0x400, 0x4ff), (0x4e00, 0x9fff), (0x3040, 0x30ff),
                  (0xac00, 0xd7a3), (0x2000, 0x206f), (0x1f300, 0x1f64f), (0x0600, 0x06ff), (0x0900, 0x097f)]
        text = ""
        for _ in range(rng.randint(1, 15)):
            lo, hi = rng.choice(blocks)
            text += chr(rng.randint(lo, hi))
            if rng.random() < 0.2:
                text += " "
        out.append(text)
    return out


cases = [{"text": s, "ids": tokenizer.encode(s).ids} for s in strings()]
with open(os.path.join(OUT, "wordpiece.json"), "w", encoding="utf-8") as f:
    json.dump({"cases": cases, "machine": fixture_machine.metadata()}, f, ensure_ascii=False, indent=0)
    f.write("\n")

# --- the model -----------------------------------------------------------------------------
config = json.load(open(os.path.join(FOLDER, "config.json")))
w = load_file(os.path.join(FOLDER, "model.safetensors"))
w = {k[5:] if k.startswith("bert.") else k: v for k, v in w.items()}
heads, eps = config["num_attention_heads"], config["layer_norm_eps"]


def layer_norm(x, prefix):
    return F.layer_norm(x, x.shape[-1:], w[prefix + ".weight"], w[prefix + ".bias"], eps)


def linear(x, prefix):
    return F.linear(x, w[prefix + ".weight"], w[prefix + ".bias"])


def bert(ids, mask):
    b, t = ids.shape
    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t]
         + w["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)])
    x = layer_norm(x, "embeddings.LayerNorm")
    states = [x]
    bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min  # (B, 1, 1, T)
    d = x.shape[-1] // heads
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q, k, v = (linear(x, p + "attention.self." + n).view(b, t, heads, d).transpose(1, 2) for n in ("query", "key", "value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + bias
        attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, heads * d)
        x = layer_norm(x + linear(attended, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        h = F.gelu(linear(x, p + "intermediate.dense"))
        x = layer_norm(x + linear(h, p + "output.dense"), p + "output.LayerNorm")
        states.append(x)
    return states


sentences = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium.",
             "A photo of a sneaker, on a plain background."]
encoded = [tokenizer.encode(s).ids for s in sentences]
length = max(len(e) for e in encoded)
ids = torch.tensor([e + [0] * (length - len(e)) for e in encoded], dtype=torch.int64)
mask = torch.tensor([[1] * len(e) + [0] * (length - len(e)) for e in encoded], dtype=torch.int64)
with torch.no_grad():
    states = bert(ids, mask)
    keep = mask.unsqueeze(-1).to(states[-1].dtype)
    pooled = (states[-1] * keep).sum(1) / keep.sum(1).clamp(min=1e-9)
    embeddings = F.normalize(pooled, dim=-1)
tensors = {"ids": ids, "mask": mask, "embeddings": embeddings.contiguous()}
for i, s in enumerate(states):
    tensors[f"hidden.{i}"] = s.contiguous()
cos = embeddings @ embeddings.T
print(f"cosines: {cos[0, 1]:.4f} {cos[0, 2]:.4f} {cos[1, 2]:.4f}", file=sys.stderr)
save_file(tensors, os.path.join(OUT, "minilm.safetensors"),
          metadata={"sentences": json.dumps(sentences), **fixture_machine.metadata()})
print(f"wrote {len(cases)} tokenizer cases and {len(states)} hidden states", file=sys.stderr)
