#!/usr/bin/env bash
# The compiler's checks and figures in one lease of a lent GPU machine (device tool), as
# bench/run_on_device.sh sets it up (Vulkan loader debs in build-device/debs or .gl, the static
# build-device binaries, Dawn from node_modules). Travelling with it: build-device/goldens (the
# op goldens of matmul/conv/matmul_dequant/conv_dequant, a filtered manifest of build/goldens),
# build/onnx_extra_cases, and ../shared/bench/h100_models.py copied to .devbench/.
#   1. dequantizing kernels and replay checked there (op goldens, extra ONNX cases),
#   2. `wgml bench ops` (float, int8 and 4-bit weights),
#   3. the yardstick h100_models.py (wgml replays by default), then the same files --eager.
set -uo pipefail
. bench/device_env.sh
echo "== op goldens"  # per op: a filtered manifest lacks the other ops' cases
for op in matmul matmul_dequant conv conv_dequant; do
  $B/wgml_op_tests test -o $op --device webgpu --goldens build-device/goldens 2>&1 | tail -1
done
echo "== extra conformance"
$B/wgml_onnx_conformance --device webgpu --data build/onnx_extra_cases 2>&1 | grep -E "pass|FAIL" | head
echo "== bench ops"; timeout 200 $B/wgml bench ops --device webgpu --repeat 5 2>&1 | tail -14
run_yardstick
echo "== the same files node by node (--eager)"
for f in /tmp/h100m/*.onnx; do
  n=$(basename "$f"); m=${n%%.*}
  printf "%-28s " "$n"
  timeout 60 $B/wgml run "$f" --input "input=/tmp/h100m/$m.in.npy" --eager --repeat 30 2>&1 |
    grep -o "median [0-9.]* ms of" | head -1
done
