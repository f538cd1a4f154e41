#!/usr/bin/python3
"""Writes PyTorch goldens into OUT_DIR (manifest.json + .npy files).

usage: generate.py OUT_DIR [FAMILY ...]   (families default to every cases_<family>.py)
"""
import glob
import importlib
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden import Generator  # noqa: E402


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for old in glob.glob(os.path.join(out_dir, "*.npy")):
        os.remove(old)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    g = Generator(out_dir)
    start = time.time()
    here = os.path.dirname(os.path.abspath(__file__))
    only = set(sys.argv[2:])
    for path in sorted(glob.glob(os.path.join(here, "cases_*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if only and name[len("cases_"):] not in only:
            continue
        importlib.import_module(name).cases(g)
    g.write_manifest()
    print(f"goldens: {len(g.cases)} cases from PyTorch {torch.__version__} "
          f"in {time.time() - start:.1f} s -> {out_dir}")


if __name__ == "__main__":
    main()
