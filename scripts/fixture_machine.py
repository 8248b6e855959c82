"""The machine a fixture file was written on, as safetensors metadata.

libtorch picks its kernels by CPU (ATen's AVX2/AVX-512 paths, MKL's and oneDNN's own
dispatch), so float results differ in their last bits between processors. Every fixture
file records where it was written; the Swift tests print it beside this machine's when a
comparison fails (Tests/*/Support.swift, `FixtureMachine`).
"""
import platform

import torch

# The instruction-set extensions that change which kernels libtorch, MKL and oneDNN run.
VECTOR_FLAGS = ("sse4_2", "avx", "fma", "f16c", "avx2", "avx512f", "avx512bw", "avx512vl",
                "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_int8")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    have = set(line.split(":", 1)[1].split())
                    return [flag for flag in VECTOR_FLAGS if flag in have]
    except OSError:
        pass
    return []


def metadata():
    """`machine.*` entries for a fixture file's safetensors metadata."""
    return {
        "machine.cpu": cpu_model(),
        "machine.vector": " ".join(cpu_flags()),
        "machine.aten_capability": torch.backends.cpu.get_cpu_capability(),
        "machine.torch": torch.__version__,
    }
