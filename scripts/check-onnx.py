#!/usr/bin/env python3
"""Checks ONNX files Lab exported: onnx.checker (full_check) and onnxruntime against Lab's outputs;
and, where the folder has a model.pt, that TorchScript file through torch.jit.load.

    .venv/bin/python scripts/check-onnx.py FOLDER

FOLDER holds one subfolder per case: model.onnx, and pairs inputs-K.safetensors /
expected-K.safetensors (tensors named by the graph's input and output names). Prints one JSON
object per case: {"case", "ok", "max_abs", "max_expected", "torchscript_max_abs", "error"};
max_abs is the largest |onnxruntime - Lab| over every output of every pair, torchscript_max_abs
the same for torch.jit.load's module (absent without a model.pt). Exit status 0 when every case ran, even
if some differ: the caller judges the figures. The tests (ONNXExportTests) call this.
"""
import glob
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from safetensors.numpy import load_file


def check(folder):
    path = os.path.join(folder, "model.onnx")
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    worst, largest, pairs = 0.0, 0.0, 0
    for inputs_path in sorted(glob.glob(os.path.join(folder, "inputs-*.safetensors"))):
        expected = load_file(inputs_path.replace("inputs-", "expected-"))
        feeds = load_file(inputs_path)
        names = [o.name for o in session.get_outputs()]
        for name, got in zip(names, session.run(names, feeds)):
            want = expected[name]
            if got.shape != want.shape:
                raise ValueError(f"output {name}: shape {got.shape}, Lab's {want.shape} ({os.path.basename(inputs_path)})")
            worst = max(worst, float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)), initial=0)))
            largest = max(largest, float(np.max(np.abs(want), initial=0)))
        pairs += 1
    if pairs == 0:
        raise ValueError("no inputs-K.safetensors")
    scripted = None
    script_path = os.path.join(folder, "model.pt")
    if os.path.exists(script_path):
        import torch
        module = torch.jit.load(script_path)
        names = [i.name for i in session.get_inputs()]
        outputs = [o.name for o in session.get_outputs()]
        scripted = 0.0
        for inputs_path in sorted(glob.glob(os.path.join(folder, "inputs-*.safetensors"))):
            feeds = load_file(inputs_path)
            expected = load_file(inputs_path.replace("inputs-", "expected-"))
            with torch.no_grad():
                got = module(*[torch.from_numpy(feeds[n]) for n in names])
            got = got if isinstance(got, tuple) else (got,)
            for name, tensor in zip(outputs, got):
                want = expected[name]
                if tuple(tensor.shape) != want.shape:
                    raise ValueError(f"TorchScript output {name}: shape {tuple(tensor.shape)}, Lab's {want.shape}")
                scripted = max(scripted, float(np.max(np.abs(tensor.double().numpy() - want.astype(np.float64)), initial=0)))
    return worst, largest, scripted


def main():
    root = sys.argv[1]
    for folder in sorted(p for p in glob.glob(os.path.join(root, "*")) if os.path.isdir(p)):
        case = os.path.basename(folder)
        try:
            worst, largest, scripted = check(folder)
            result = {"case": case, "ok": True, "max_abs": worst, "max_expected": largest}
            if scripted is not None:
                result["torchscript_max_abs"] = scripted
            print(json.dumps(result))
        except Exception as error:  # reported per case, judged by the caller
            print(json.dumps({"case": case, "ok": False, "error": f"{type(error).__name__}: {error}"}))


if __name__ == "__main__":
    main()
