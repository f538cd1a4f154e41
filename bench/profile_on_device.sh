#!/usr/bin/env bash
# Where the GPU time of each yardstick model goes, on a lent GPU machine (device tool), set up as
# bench/run_compiler_on_device.sh is: the yardstick h100_models.py exports and times the models
# (PyTorch eager and CUDA graph beside wgml), then `wgml run --profile` times every recorded
# kernel launch of each exported file alone, with each binary of $BINS (default wgml; another
# build-device/bin name beside it compares kernels). The profiles land in $OUT/profiles.txt.
set -uo pipefail
. bench/device_env.sh
run_yardstick
echo "== profiles"
for f in /tmp/h100m/*.onnx; do
  n=$(basename "$f" .onnx); m=${n%%.*}
  for bin in ${BINS:-wgml}; do
    p="/tmp/profile_${bin}_$n.txt"
    timeout 90 $B/$bin run "$f" --input "input=/tmp/h100m/$m.in.npy" --repeat 30 --profile >"$p" 2>&1
    printf "%-28s %-9s %s | %s\n" "$n" "$bin" "$(grep -o 'median [0-9.]* ms' "$p" | head -1)" \
      "$(grep '^profile:' "$p")"
    { echo "=== $bin $n"; cat "$p"; } >>"$OUT/profiles.txt"
  done
done
