#!/usr/bin/env bash
# Fuzzes the ONNX path past the parser (onnx_import_fuzz.cpp: parse, import with folding and shape
# inference, one CPU run with small random inputs). Builds the engine's sources with clang, ASan +
# UBSan (nothing recovers) and libFuzzer into BUILD_DIR/fuzz-import/ through a generated ninja file
# (so only changed sources recompile; ccache when installed), seeds it with a sample of ONNX's
# conformance node models and the hostile models of hostile_models.py, and fuzzes for a bounded
# time. Any crash, leak, sanitizer report, timeout or huge allocation fails the run, and the input
# that caused it is kept in BUILD_DIR/fuzz-import/.
#   usage: run_import_fuzz.sh BUILD_DIR [TESTDATA_DIR]
#   WGML_FUZZ_IMPORT_SECONDS (default 60): how long to fuzz; WGML_FUZZ_CXX: the clang++ to use;
#   WGML_FUZZ_JOBS (default: the core count): parallel compiles.
set -euo pipefail

build_dir=$(realpath "$1")
testdata=${2:-/usr/share/libonnx-testdata/data}
seconds=${WGML_FUZZ_IMPORT_SECONDS:-60}
jobs=${WGML_FUZZ_JOBS:-$(nproc)}
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$build_dir/fuzz-import
mkdir -p "$out"

source "$repo/tests/fuzz/find_clang.sh"
command -v ninja >/dev/null || { echo "run_import_fuzz.sh: ninja not found"; exit 1; }
launcher=$(command -v ccache || true)

# The engine as CMakeLists.txt builds it for the browser: everything but the Dawn-backed WebGPU
# device (the fuzz target runs on the CPU, and Dawn is not needed to import or run).
mapfile -t sources < <(cd "$repo" && find src/wgml -name '*.cpp' | sort |
  grep -Ev '/backends/webgpu/(dawn/|software_adapters|webgpu_device)')
sources+=(tests/fuzz/onnx_import_fuzz.cpp)

# A generated ninja file: ninja recompiles a source only when it, a header it includes, or the
# command changed, and keeps the objects between runs.
manifest=$out/build.ninja.tmp
{
  echo "ninja_required_version = 1.5"
  echo "cflags = -std=c++20 -O1 -g -fno-omit-frame-pointer -D_GLIBCXX_ASSERTIONS" \
       "-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -I$repo/src"
  echo "rule cxx"
  echo "  command = $launcher $cxx \$cflags -MD -MF \$out.d -c \$in -o \$out"
  echo "  depfile = \$out.d"
  echo "  deps = gcc"
  echo "  description = fuzz build \$in"
  echo "rule link"
  echo "  command = $cxx -fsanitize=fuzzer,address,undefined \$in -o \$out"
  echo "  description = fuzz link \$out"
  objects=()
  for source in "${sources[@]}"; do
    object=obj/${source%.cpp}.o
    objects+=("$object")
    echo "build $object: cxx $repo/$source"
  done
  echo "build onnx_import_fuzz: link ${objects[*]}"
} >"$manifest"
if cmp -s "$manifest" "$out/build.ninja"; then rm "$manifest"; else mv "$manifest" "$out/build.ninja"; fi
ninja -C "$out" -j "$jobs" onnx_import_fuzz >"$out/build.log" 2>&1 ||
  { tail -n 60 "$out/build.log"; echo "run_import_fuzz.sh: build failed; log $out/build.log"; exit 1; }
binary=$out/onnx_import_fuzz

# A dictionary of the op types the converters know and of ONNX attribute names, bare and as
# NodeProto.op_type (field 4) and AttributeProto.name (field 1) fields, so mutations make nodes
# the importer converts instead of unknown ops.
dict=$out/onnx.dict
{
  grep -ohE '"[A-Z][A-Za-z0-9]+"' "$repo"/src/wgml/frontends/onnx/onnx_ops_*.cpp | tr -d '"' |
    sort -u | while read -r op; do
      printf '"%s"\n"\\x22\\x%02x%s"\n' "$op" "${#op}" "$op"
    done
  grep -ohE '(attr_[a-z]+|required_[a-z]+)\("[a-z_0-9]+"' "$repo"/src/wgml/frontends/onnx/*.cpp |
    sed 's/.*("//; s/"$//' | sort -u | while read -r name; do
      printf '"%s"\n"\\x0a\\x%02x%s"\n' "$name" "${#name}" "$name"
    done
} >"$dict"

# Seeds: every third conformance node model, always the same sample.
seeds=$out/seeds
rm -rf "$seeds" "$out/corpus"
mkdir -p "$seeds" "$out/corpus"
n=0
while IFS= read -r file; do
  cp "$file" "$seeds/$((n++))"
done < <(find "$testdata/node" -name model.onnx -size -8k | sort | awk 'NR % 3 == 1')
((n > 100)) || { echo "run_import_fuzz.sh: only $n seeds found under $testdata/node"; exit 1; }
# Plus the hand-written hostile models (tests/fuzz/hostile_models.py, ONNX's Python package),
# each a hazard the fuzzer once found; regenerated when the script changes.
hostile=$out/hostile
if [[ ! -d $hostile || $repo/tests/fuzz/hostile_models.py -nt $hostile ]]; then
  rm -rf "$hostile" "$hostile.tmp"
  /usr/bin/python3 "$repo/tests/fuzz/hostile_models.py" "$hostile.tmp" >/dev/null
  mv "$hostile.tmp" "$hostile"
fi
while IFS= read -r file; do
  cp "$file" "$seeds/$((n++))"
done < <(find "$hostile" -name '*.onnx' -size -8k | sort)

# New inputs go to corpus/ (fresh each run); seeds/ is only read.
log=$out/fuzz.log
if ! "$binary" -max_total_time="$seconds" -max_len=8192 -timeout=30 -rss_limit_mb=2048 \
    -dict="$dict" -artifact_prefix="$out/" -print_final_stats=1 "$out/corpus" "$seeds" \
    >"$log" 2>&1; then
  tail -n 80 "$log"
  echo "run_import_fuzz.sh: the ONNX importer or executor failed under the fuzzer; full log" \
       "$log, input in $out/"
  exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "run_import_fuzz.sh: $runs inputs in ${seconds}s from $n seeds, no crash, leak or UB"
