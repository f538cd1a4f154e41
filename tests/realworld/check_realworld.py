#!/usr/bin/python3
"""Runs the exporter-style models of make_models.py with wgml and compares them with ORT's outputs.

usage: check_realworld.py --wgml build/bin/wgml --dir OUTDIR --device cpu|webgpu [--models a,b]

OUTDIR is what make_models.py wrote (manifest.json with onnxruntime-node's reference outputs).
For each model: `wgml info model.onnx` must infer every shape (no "some shapes not inferred"
line, no '?' in an output's shape); then for each input set `wgml run model.onnx --device D
--input NAME=FILE ... --output-dir TMP --repeat 1` must write every output with ORT's shape and
dtype, float outputs within a relative Frobenius error ||got - ref|| / ||ref|| <= 1e-4 and
integer/bool outputs equal. Quantized models (quantized_models.py) must also keep the constants
`wgml info` reports on the device within 1.1x the file's weights, and outputs that are
dequantized integers are compared by quantization steps. Prints a table; exits 1 on any failure.
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

# Both wgml and ORT compute in float32, so the reference is itself off from the exact result by
# float32 rounding (different summation orders, fused multiply-adds, approximated exp/tanh/log):
# ~1e-6..1e-5 relative on these small models. 1e-4 leaves room for that and for the longer
# reductions (a 512-tap Conv, LayerNorm) while still catching any real mistake (a wrong pad,
# stride, branch or broadcast shows up as 1e-2 and more). Same bar as tests/models.
TOLERANCE = 1e-4


def rel_error(got, ref):
    ref = ref.astype(np.float64)
    return float(np.linalg.norm(got.astype(np.float64) - ref) / max(np.linalg.norm(ref), 1e-30))


def output_file(name):
    # `wgml run` writes output NAME to DIR/NAME.npy with [^A-Za-z0-9._-] turned into '_'.
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".npy"


def check_info(args, model_path, outputs, max_constant_bytes=None):
    """Returns a list of problems with `wgml info`'s shapes (and resident constants)."""
    try:
        proc = subprocess.run([args.wgml, "info", model_path], capture_output=True, text=True)
    except OSError as e:
        return [f"`wgml info` did not start: {e}"]
    text = proc.stdout + proc.stderr
    if proc.returncode != 0:
        return [f"`wgml info` exited with {proc.returncode}:\n{text[-4000:]}"]
    problems = []
    if "some shapes not inferred" in text:
        problems.append("`wgml info` says some shapes were not inferred")
    # The "outputs:" section: one indented "NAME: DTYPE [DIMS]" line per output.
    section, seen = None, set()
    for line in text.splitlines():
        if not line.startswith(" "):
            section = line.strip()
            continue
        if section == "outputs:":
            name, _, shape = line.strip().rpartition(": ")
            seen.add(name)
            if "?" in shape:
                problems.append(f"`wgml info` has an output shape with '?': {line.strip()}")
    if max_constant_bytes is not None:
        found = re.search(r"constants on the device \([0-9.]+ MiB, ([0-9]+) bytes\)", text)
        if not found:
            problems.append("`wgml info` does not report the constants on the device")
        elif int(found.group(1)) > max_constant_bytes:
            problems.append(f"{found.group(1)} bytes of constants on the device, over "
                            f"{max_constant_bytes} (1.1 x the file's weights): quantized "
                            "weights were widened")
    missing = [o for o in outputs if o not in seen]
    if missing:
        problems.append(f"`wgml info` lists no output {missing}")
    if problems:
        problems[-1] += f"\n--- wgml info ---\n{text.rstrip()}\n---"
    return problems


def quantized_problem(got, ref, step):
    """Dequantized integers: every element within one step of ORT's, at most 1% off at all."""
    off = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    if not np.all(off <= step * 1.001):
        return f"an element is {off.max() / step:.1f} steps of {step} off ORT's"
    moved = int(np.sum(off > step * 1e-3))
    if moved > 0.01 * ref.size:
        return f"{moved} of {ref.size} elements are a step off ORT's (over 1%)"
    return None


def run_set(args, root, model_path, entry, quant_step=None, tolerance=TOLERANCE):
    """Returns (max float error or nan, wall seconds, list of problems)."""
    with tempfile.TemporaryDirectory(prefix="wgml-realworld-") as out_dir:
        cmd = [args.wgml, "run", model_path, "--device", args.device, "--output-dir", out_dir,
               "--repeat", "1"]
        for name, path in entry["inputs"].items():
            cmd += ["--input", f"{name}={os.path.join(root, path)}"]
        start = time.time()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True)
        except OSError as e:
            return float("nan"), 0.0, [f"`{' '.join(cmd)}` did not start: {e}"]
        wall = time.time() - start
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr)[-4000:]  # the error is at the end
            return float("nan"), wall, [f"`{' '.join(cmd)}` exited with {proc.returncode}:\n"
                                        f"{tail}"]
        problems, errors = [], []
        for name, path in entry["reference"].items():
            ref = np.load(os.path.join(root, path))
            got_path = os.path.join(out_dir, output_file(name))
            if not os.path.exists(got_path):
                problems.append(f"output '{name}' was not written ({got_path})")
                continue
            got = np.load(got_path)
            if got.shape != ref.shape or got.dtype != ref.dtype:
                problems.append(f"output '{name}': {got.dtype} {list(got.shape)}, ORT's is "
                                f"{ref.dtype} {list(ref.shape)}")
                continue
            if quant_step is not None:
                err = rel_error(got, ref)
                errors.append(err)
                problem = quantized_problem(got, ref, quant_step)
                if problem:
                    problems.append(f"output '{name}': {problem}")
            elif np.issubdtype(ref.dtype, np.floating):
                err = rel_error(got, ref)
                errors.append(err)
                if not err <= tolerance:  # also catches NaN
                    problems.append(f"output '{name}': relative error {err:.2e} > "
                                    f"{tolerance:.0e}")
            elif not np.array_equal(got, ref):
                errors.append(0.0)
                problems.append(f"output '{name}': {int(np.sum(got != ref))} of {ref.size} "
                                f"elements differ from ORT's")
            else:
                errors.append(0.0)
    return (max(errors) if errors else float("nan")), wall, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wgml", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--device", required=True, choices=["cpu", "webgpu"])
    parser.add_argument("--models", default="")
    args = parser.parse_args()

    manifest_path = os.path.join(args.dir, "manifest.json")
    if not os.path.exists(manifest_path):
        print(f"FAIL: no {manifest_path} (run tests/realworld/make_models.py {args.dir})")
        return 1
    with open(manifest_path) as f:
        manifest = json.load(f)
    models = [m for m in args.models.split(",") if m] or list(manifest["models"])

    print(f"{'model':<14} {'input set':<18} {'device':<7} {'info':<6} {'rel. error':>10} "
          f"{'wall s':>7}", flush=True)
    failures = []
    runs = 0
    for name in models:
        if name not in manifest["models"]:
            failures.append(f"{name}: not in {manifest_path}")
            continue
        model = manifest["models"][name]
        model_path = os.path.join(args.dir, model["file"])
        info_problems = check_info(args, model_path, model["outputs"],
                                   model.get("max_constant_bytes"))
        failures += [f"{name}: {p}" for p in info_problems]
        info = "MISS" if info_problems else "ok"
        for set_name, entry in model["sets"].items():
            runs += 1
            label = f"{name:<14} {set_name:<18} {args.device:<7} {info:<6}"
            if "reference" not in entry:
                print(f"{label} {'NO REF':>10}", flush=True)
                failures.append(f"{name}/{set_name}: no ORT reference in the manifest")
                continue
            err, wall, problems = run_set(args, args.dir, model_path, entry,
                                          model.get("quant_step"),
                                          model.get("rel_tolerance", TOLERANCE))
            status = "FAILED" if err != err and problems else f"{err:.2e}"
            print(f"{label} {status:>10} {wall:>7.2f}{'  MISS' if problems else ''}",
                  flush=True)
            failures += [f"{name}/{set_name} on {args.device}: {p}" for p in problems]
    print(f"{runs} runs; bar: every shape inferred by `wgml info`, relative Frobenius error <= "
          f"{TOLERANCE:.0e} (quantized models: their own bar, quantized_models.py) against "
          f"{manifest.get('reference_runtime', 'ORT')}, integers equal")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
