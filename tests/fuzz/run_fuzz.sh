#!/usr/bin/env bash
# Builds the ONNX reader's libFuzzer target (clang, ASan + UBSan, nothing recovers) from just the
# reader's sources, seeds it with a sample of ONNX's conformance models and tensors, and fuzzes for
# a bounded time. Any crash, leak, sanitizer report or timeout fails the run, and the input that
# caused it is kept in BUILD_DIR/fuzz/.
#   usage: run_fuzz.sh BUILD_DIR [TESTDATA_DIR]
#   WGML_FUZZ_SECONDS (default 60): how long to fuzz; WGML_FUZZ_CXX: the clang++ to use.
set -euo pipefail

build_dir=$(realpath "$1")
testdata=${2:-/usr/share/libonnx-testdata/data}
seconds=${WGML_FUZZ_SECONDS:-60}
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$build_dir/fuzz
mkdir -p "$out"

source "$repo/tests/fuzz/find_clang.sh"

# The parser and its checks only: no engine, no Tensor code.
sources=(
  "$repo/tests/fuzz/onnx_reader_fuzz.cpp"
  "$repo/src/wgml/frontends/onnx/onnx_model.cpp"
  "$repo/src/wgml/frontends/onnx/protobuf_wire.cpp"
  "$repo/src/wgml/io/files.cpp"
)
headers=("$repo"/src/wgml/frontends/onnx/*.h "$repo"/src/wgml/core/*.h "$repo"/src/wgml/io/*.h)
binary=$out/onnx_reader_fuzz
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -D_GLIBCXX_ASSERTIONS
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I"$repo/src")
stale=0
[[ -x $binary ]] || stale=1
for file in "${sources[@]}" "${headers[@]}" "$0"; do
  [[ $file -nt $binary ]] && stale=1
done
if ((stale)); then
  "$cxx" "${flags[@]}" "${sources[@]}" -o "$binary.tmp" 2>"$out/build.log" ||
    { cat "$out/build.log"; exit 1; }
  mv "$binary.tmp" "$binary"
fi

# Seeds: every 8th model and every 16th tensor file under 64 KiB, always the same sample.
seeds=$out/seeds
rm -rf "$seeds" "$out/corpus"
mkdir -p "$seeds" "$out/corpus"
n=0
while IFS= read -r file; do
  cp "$file" "$seeds/$((n++))"
done < <(
  find "$testdata"/{node,pytorch-converted,pytorch-operator,simple} -name model.onnx -size -64k |
    sort | awk 'NR % 8 == 1'
  find "$testdata"/{node,pytorch-converted,pytorch-operator,simple} -name '*.pb' -size -64k |
    sort | awk 'NR % 16 == 1')
((n > 100)) || { echo "run_fuzz.sh: only $n seeds found under $testdata"; exit 1; }

# New inputs go to corpus/ (fresh each run); seeds/ is only read.
log=$out/fuzz.log
if ! "$binary" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/" -print_final_stats=1 "$out/corpus" "$seeds" >"$log" 2>&1; then
  tail -n 80 "$log"
  echo "run_fuzz.sh: the ONNX reader failed under the fuzzer; full log $log, input in $out/"
  exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "run_fuzz.sh: $runs inputs in ${seconds}s from $n seeds, no crash, leak or UB"
