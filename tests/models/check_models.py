#!/usr/bin/python3
"""Runs the exported models with `wgml run` and compares every output with PyTorch's.

usage: check_models.py --wgml build/bin/wgml --models-dir DIR --device cpu|webgpu
                       [--models a,b] [--opsets 13,17] [--batches 1,4] [--repeat N]

DIR is what export_models.py wrote (or its --link). For each model, opset and batch size it runs
`wgml run model.onnx --input NAME=FILE ... --output-dir TMP` and measures each output against
PyTorch's (computed in float64) by the relative Frobenius error ||got - ref|| / ||ref||, which
must be <= 1e-4. Prints a table with the errors and wgml's first-run and median latencies; exits
1 on any miss, run failure or missing export.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

TOLERANCE = 1e-4  # the bar for whole models, float32 end to end


def rel_error(got, ref):
    ref = ref.astype(np.float64)
    return float(np.linalg.norm(got.astype(np.float64) - ref) / max(np.linalg.norm(ref), 1e-30))


def output_file(name):
    # `wgml run` writes output NAME to DIR/NAME.npy with [^A-Za-z0-9._-] turned into '_'.
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".npy"


def run_one(args, model_dir, meta, batch):
    """Returns (row fields, list of problems)."""
    entry = meta["batches"][str(batch)]
    with tempfile.TemporaryDirectory(prefix="wgml-models-") as out_dir:
        cmd = [args.wgml, "run", os.path.join(model_dir, meta["onnx"]), "--device", args.device,
               "--output-dir", out_dir, "--repeat", str(args.repeat)]
        for name, path in entry["inputs"].items():
            cmd += ["--input", f"{name}={os.path.join(model_dir, path)}"]
        start = time.time()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.time() - start
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr)[-4000:]  # the error is at the end
            return None, [f"`{' '.join(cmd)}` exited with {proc.returncode}:\n{tail}"]
        first = re.search(r"first run ([0-9.]+) ms", proc.stdout)
        median = re.search(r"median ([0-9.]+) ms", proc.stdout)
        problems, errors = [], []
        for name, path in entry["expected"].items():
            ref = np.load(os.path.join(model_dir, path))
            got_path = os.path.join(out_dir, output_file(name))
            if not os.path.exists(got_path):
                problems.append(f"output '{name}' was not written ({got_path})")
                continue
            got = np.load(got_path)
            if got.shape != ref.shape or got.dtype != ref.dtype:
                problems.append(f"output '{name}': {got.dtype} {list(got.shape)}, PyTorch's is "
                                f"{ref.dtype} {list(ref.shape)}")
                continue
            err = rel_error(got, ref)
            errors.append(err)
            if not err <= TOLERANCE:  # also catches NaN
                problems.append(f"output '{name}': relative error {err:.2e} > {TOLERANCE:.0e}")
    row = {
        "error": max(errors) if errors else float("nan"),
        "torch32": max(entry["torch_float32_error"].values()),
        "first_ms": float(first.group(1)) if first else float("nan"),
        "median_ms": float(median.group(1)) if median else float("nan"),
        "wall_s": wall,
    }
    return row, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wgml", required=True)
    parser.add_argument("--models-dir", required=True)
    parser.add_argument("--device", required=True, choices=["cpu", "webgpu"])
    parser.add_argument("--models", default="")
    parser.add_argument("--opsets", default="13,17")
    parser.add_argument("--batches", default="1,4")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    models = [m for m in args.models.split(",") if m]
    if not models:
        from export_models import ALL_MODELS  # noqa: E402 (only the list; torch is not needed)
        models = ALL_MODELS
    opsets = [int(o) for o in args.opsets.split(",") if o]
    batches = [int(b) for b in args.batches.split(",") if b]

    print(f"{'model':<20} {'opset':>5} {'batch':>5} {'device':<7} {'rel. error':>10} "
          f"{'torch f32':>10} {'first ms':>10} {'median ms':>10}", flush=True)
    failures = []
    start = time.time()
    for name in models:
        for opset in opsets:
            model_dir = os.path.join(args.models_dir, f"{name}-opset{opset}")
            if not os.path.exists(os.path.join(model_dir, "done")):
                failures.append(f"{name} opset {opset}: not exported in {args.models_dir} "
                                f"(run tests/models/export_models.py)")
                continue
            with open(os.path.join(model_dir, "meta.json")) as f:
                meta = json.load(f)
            for batch in batches:
                row, problems = run_one(args, model_dir, meta, batch)
                label = f"{name:<20} {opset:>5} {batch:>5} {args.device:<7}"
                if row is None:
                    print(f"{label} {'FAILED':>10}", flush=True)
                else:
                    print(f"{label} {row['error']:>10.2e} {row['torch32']:>10.2e} "
                          f"{row['first_ms']:>10.1f} {row['median_ms']:>10.1f}"
                          f"{'  MISS' if problems else ''}", flush=True)
                failures += [f"{name} opset {opset} batch {batch} on {args.device}: {p}"
                             for p in problems]
    print(f"{len(models) * len(opsets) * len(batches)} runs in {time.time() - start:.1f} s; "
          f"bar: relative Frobenius error <= {TOLERANCE:.0e} against PyTorch (float64); "
          f"'torch f32' is PyTorch's own float32 error")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
