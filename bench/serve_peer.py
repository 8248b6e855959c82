"""The guide's deployment server, as `make bench`'s peer for `lab serve`.

FastAPI + uvicorn (one worker), the model loaded with `torch.jit.load` as the guide's server
loads `multimodal_model.pt`: here the very `.pt` files `lab export --format torchscript`
wrote, so both servers run the same graph on the same libtorch and the comparison measures
the serving stack (HTTP, decoding, batching), not the model. One request is one forward
pass, as in the guide; no batching.

It answers the same requests as `lab serve`, with the same JSON:
  POST /v1/embed    {"image": base64 PNG} or {"text": "..."}
  POST /v1/classify {"image": base64 PNG, "labels": [...], "template"?: "a photo of a {}"}
  GET  /health

--handler async runs the model inside the `async def` endpoint (the tutorial form);
--handler thread makes the endpoints plain `def`, which FastAPI runs in its thread pool.

    .venv/bin/python bench/serve_peer.py EXPORT_FOLDER --port 8091 [--threads 2] [--handler async]
"""

import argparse
import base64
import io
import json
import math
import os
import re

import numpy as np
import torch
from fastapi import FastAPI, HTTPException
from PIL import Image
from pydantic import BaseModel
import uvicorn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--handler", choices=["async", "thread"], default="async")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with open(os.path.join(args.folder, "export.json")) as f:
        manifest = json.load(f)
    towers = {os.path.splitext(e["path"])[0]: torch.jit.load(os.path.join(args.folder, e["path"])).eval() for e in manifest["files"]}
    vocabulary = {word: i for i, word in enumerate(manifest["tokenizer"]["vocabulary"])}
    length = manifest.get("maxTokens", 64)
    scale = manifest.get("logitScale", 1.0)
    preprocessing = manifest["images"]
    size = next(e for e in manifest["files"] if e["path"] == "image.pt")["inputs"][0]["shape"][2:]
    height, width = int(size[0]), int(size[1])

    def words(text):
        # Lab's word tokenizer (export.json's rules): lower-case; runs of letters, digits, - and '.
        # Every other non-space character is a token of its own.
        return re.findall(r"(?:[^\W_]|['-])+|\S", text.lower())

    def tokens(texts):
        rows = []
        for text in texts:
            ids = [vocabulary.get(w, 1) for w in words(text)][:length]
            rows.append(ids + [0] * (length - len(ids)))
        return torch.tensor(rows, dtype=torch.int64)

    def image(data):
        try:
            picture = Image.open(io.BytesIO(base64.b64decode(data))).convert("L")
        except Exception as error:
            raise HTTPException(status_code=422, detail=f"not a PNG: {error}")
        if picture.size != (width, height):
            raise HTTPException(status_code=422, detail=f"the image is {picture.size}; this model takes {width}x{height}")
        x = np.asarray(picture, dtype=np.float32) * preprocessing["scale"]
        x = (x - preprocessing["mean"][0]) / preprocessing["std"][0]
        return torch.from_numpy(x).reshape(1, 1, height, width)

    class Embed(BaseModel):
        image: str | None = None
        text: str | None = None

    class Classify(BaseModel):
        image: str
        labels: list[str]
        template: str = "a photo of a {}"

    def embed(request: Embed):
        with torch.inference_mode():
            if request.image is not None:
                return {"modality": "image", "embedding": towers["image"](image(request.image))[0].tolist()}
            if request.text:
                return {"modality": "text", "embedding": towers["text"](tokens([request.text]))[0].tolist()}
        raise HTTPException(status_code=400, detail="give 'image' or 'text'")

    def classify(request: Classify):
        prompts = [request.template.replace("{}", label) for label in request.labels]
        with torch.inference_mode():
            e = towers["image"](image(request.image))[0]
            t = towers["text"](tokens(prompts))
            scores = torch.softmax(scale * (t @ e), dim=0).tolist()
        ranked = sorted(zip(request.labels, prompts, scores), key=lambda r: -r[2])
        return {"label": ranked[0][0], "scores": [{"label": l, "prompt": p, "score": s} for l, p, s in ranked]}

    app = FastAPI()
    app.get("/health")(lambda: {"status": "ok"})
    if args.handler == "async":
        async def embed_async(request: Embed):
            return embed(request)

        async def classify_async(request: Classify):
            return classify(request)

        app.post("/v1/embed")(embed_async)
        app.post("/v1/classify")(classify_async)
    else:
        app.post("/v1/embed")(embed)
        app.post("/v1/classify")(classify)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
