#!/usr/bin/env python3
"""Extracts scikit-learn's 8×8 digits (1,797 images, BSD-3-Clause) into the repository.

Downloads the scikit-learn wheel from PyPI with pip (no install), and copies
sklearn/datasets/data/digits.csv.gz (57 KB: 64 pixel values 0-16 and the label per row)
and its licence to Sources/Multimodal/Resources/. The files are committed; nothing is
fetched at run time.

    .venv/bin/python scripts/extract-digits.py
"""
import glob
import os
import subprocess
import sys
import tempfile
import zipfile

OUT = os.path.join(os.path.dirname(__file__), "..", "Sources", "Multimodal", "Resources")

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "scikit-learn", "-d", tmp], check=True)
    wheel = zipfile.ZipFile(glob.glob(os.path.join(tmp, "scikit_learn-*.whl"))[0])
    version = os.path.basename(wheel.filename).split("-")[1]
    with open(os.path.join(OUT, "digits.csv.gz"), "wb") as f:
        f.write(wheel.read("sklearn/datasets/data/digits.csv.gz"))
    licence = [n for n in wheel.namelist() if n.endswith("licenses/COPYING")][0]
    with open(os.path.join(OUT, "DIGITS-LICENSE"), "w") as f:
        f.write(f"digits.csv.gz is from scikit-learn {version} (sklearn/datasets/data), under this licence:\n\n")
        f.write(wheel.read(licence).decode())
print("wrote", OUT)
