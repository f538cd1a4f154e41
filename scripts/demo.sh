#!/usr/bin/env bash
# `make demo`: torchvision's EfficientNet-B0 (random weights, seeded) exported to ONNX, run by
# `wgml run` on WebGPU and on the CPU, and checked against PyTorch. The Makefile sets up and
# builds first. Exits non-zero when a device disagrees with PyTorch.
#   usage: scripts/demo.sh [BUILD_DIR]     (REPEAT=N sets the timed runs, default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
WGML="$BUILD_DIR/bin/wgml"
REPEAT=${REPEAT:-10}
MODEL=efficientnet_b0
OPSET=17
BATCH=1
TOLERANCE=1e-4  # relative Frobenius error, the bar of the model tests

echo "== exporting torchvision $MODEL (opset $OPSET) with PyTorch, or reusing the cache"
/usr/bin/python3 tests/models/export_models.py --models "$MODEL" --opsets "$OPSET" \
  --link "$BUILD_DIR/models"
DIR="$BUILD_DIR/models/$MODEL-opset$OPSET"
INPUT="$DIR/batch$BATCH/input.image.npy"
EXPECTED="$DIR/batch$BATCH/expected.logits.npy"

echo
echo "== devices"
"$WGML" devices | grep -E '^(cpu|--device webgpu)' || true

OUT=$(mktemp -d /tmp/wgml-demo.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
status=0
for device in webgpu cpu; do
  echo
  echo "== wgml run on $device"
  echo "\$ $WGML run $DIR/model.onnx --device $device --input image=$INPUT --output-dir OUT/$device --repeat $REPEAT"
  if ! "$WGML" run "$DIR/model.onnx" --device "$device" --input "image=$INPUT" \
      --output-dir "$OUT/$device" --repeat "$REPEAT" | tee "$OUT/$device.log"; then
    echo "demo: wgml run failed on $device"
    status=1
  fi
done

echo
echo "== agreement with PyTorch ($MODEL, batch $BATCH, reference computed in float64)"
/usr/bin/python3 - "$EXPECTED" "$OUT" "$TOLERANCE" <<'PY' || status=1
import os, re, sys
import numpy as np
expected_path, out, tolerance = sys.argv[1], sys.argv[2], float(sys.argv[3])
ref = np.load(expected_path).astype(np.float64)
ref_top5 = np.argsort(-ref, axis=1)[:, :5]
ok = True
print(f"{'device':<8} {'rel. error':>10} {'top-5 agrees':>12} {'first run ms':>13} {'median ms':>10}")
for device in ["webgpu", "cpu"]:
    path = os.path.join(out, device, "logits.npy")
    if not os.path.exists(path):
        print(f"{device:<8} {'no output':>10}")
        ok = False
        continue
    got = np.load(path).astype(np.float64)
    err = np.linalg.norm(got - ref) / np.linalg.norm(ref)
    top5 = np.argsort(-got, axis=1)[:, :5]
    same = bool((top5 == ref_top5).all())
    log = open(os.path.join(out, device + ".log")).read()
    first = re.search(r"first run ([0-9.]+) ms", log)
    median = re.search(r"median ([0-9.]+) ms", log)
    print(f"{device:<8} {err:>10.2e} {('yes' if same else 'NO'):>12} "
          f"{(first.group(1) if first else '?'):>13} {(median.group(1) if median else '-'):>10}")
    ok = ok and err <= tolerance and same
print(f"PyTorch top-5 classes: {ref_top5.tolist()} (same order required)")
print(f"bar: relative Frobenius error <= {tolerance:g}; latencies are end to end (inputs "
      "uploaded, outputs read back); the first run includes compiling the kernels")
sys.exit(0 if ok else 1)
PY
if [ "$status" -ne 0 ]; then
  echo "demo: FAILED (a device disagrees with PyTorch or did not run)"
  exit 1
fi
echo "demo: wgml agrees with PyTorch on every device"
