#!/usr/bin/env bash
# Runs exported torchvision models with `wgml run` on a lent GPU machine (the device tool) beside
# ONNX Runtime and PyTorch eager on the same machine; see bench/run_on_device.sh for what travels
# (build-device/bin/wgml, build-device/debs, node_modules/bun-webgpu-linux-x64). The models travel
# too, as tests/models/export_models.py wrote them here (build-device/models/<model>-opset<N>/):
# the same files the model tests check, and the machine's newer torch exports differently.
set -uo pipefail
OUT=${OUT:-bench-out}
mkdir -p "$OUT"
for f in build-device/debs/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGML_DAWN_LIBRARY=$PWD/node_modules/bun-webgpu-linux-x64/libwebgpu_wrapper.so
WGML=build-device/bin/wgml
{
  echo "## machine"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; nproc
  for m in build-device/models/*; do
    model=${m##*/}
    for batch in 1 4; do
      echo "## $model batch $batch"
      args=()
      for f in "$m"/batch$batch/input.*.npy; do
        name=${f##*/input.}; args+=(--input "${name%.npy}=$f")
      done
      $WGML run "$m/model.onnx" --device webgpu "${args[@]}" --output-dir "$OUT/$model-$batch" \
        --repeat 20 2>/dev/null
      python3 - "$m" "$batch" "$OUT/$model-$batch" <<'PY'
import json, os, sys, numpy as np
m, b, out = sys.argv[1:]
meta = json.load(open(os.path.join(m, "meta.json")))
for name, path in meta["batches"][b]["expected"].items():
    ref = np.load(os.path.join(m, path)); got = np.load(os.path.join(out, name + ".npy"))
    print(f"wgml webgpu vs PyTorch (float64): rel Frobenius error {np.linalg.norm(got-ref)/np.linalg.norm(ref):.2e}")
PY
      python3 bench/onnx_peers.py "$m" "$batch" --repeat 20
    done
  done
} 2>&1 | tee "$OUT/models.txt"
