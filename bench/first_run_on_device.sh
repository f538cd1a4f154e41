#!/usr/bin/env bash
# First runs on a lent GPU machine (device tool), set up as bench/run_compiler_on_device.sh is:
# the yardstick h100_models.py exports and times the models, then each exported file runs in a
# process of its own twice, `--repeat 0`: cold (empty wgml and NVIDIA driver shader caches) and
# warm (a second process over the caches the first one filled). Each line gives the whole
# process's wall time (start, Dawn, import, weights, compile, one run) and wgml's own report of
# the first run. $BINS (default wgml) names build-device/bin binaries to compare. Output also
# lands in $OUT/first_runs.txt.
set -uo pipefail
. bench/device_env.sh
[ -n "${SKIP_YARDSTICK:-}" ] || run_yardstick
echo "== first runs: process wall time | wgml's first-run lines"
for f in /tmp/h100m/*.onnx; do
  n=$(basename "$f" .onnx); m=${n%%.*}
  for bin in ${BINS:-wgml}; do
    cache=$(mktemp -d)
    for run in cold warm; do
      log=/tmp/first_${bin}_${n}_$run.txt
      start=$(date +%s%N)
      WGML_CACHE_DIR=$cache/wgml __GL_SHADER_DISK_CACHE_PATH=$cache/nvidia timeout 120 \
        $B/$bin run "$f" --input "input=/tmp/h100m/$m.in.npy" --repeat 0 >"$log" 2>&1
      wall_ms=$(( ($(date +%s%N) - start) / 1000000 ))
      printf "%-28s %-12s %-5s %6d ms | %s | %s\n" "$n" "$bin" "$run" "$wall_ms" \
        "$(grep -ao 'first run [0-9.]* [ms]*' "$log" | head -1)" \
        "$(grep -a '^compiling:' "$log")" | tee -a "$OUT/first_runs.txt"
    done
    rm -rf "$cache"
  done
done
