#!/usr/bin/env bash
# Builds the engine and the op harness with Emscripten (Debian's em++ 3.1.6) and runs every
# PyTorch golden case and ONNX's conformance suite in Node: the WebAssembly build must give the
# native build's answers.
# usage: run_ops.sh NATIVE_BUILD_DIR   (its goldens/ must exist)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
native=$(cd "$1" && pwd)
out="$native/wasm"
export NODE_PATH=/usr/share/nodejs  # emcc needs Debian's acorn
if [ ! -f "$out/build.ninja" ]; then
  emcmake cmake -S "$src" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$out" --target wgml_op_tests wgml_onnx_conformance -j "$(nproc)" |
  grep -Ev '^\[[0-9]+/[0-9]+\]' || true
test -f "$out/bin/wgml_op_tests.js"
test -f "$out/bin/wgml_onnx_conformance.js"
node --no-experimental-fetch "$out/bin/wgml_op_tests.js" test --goldens "$native/goldens"
# The same ONNX reader and importer in WebAssembly, over ONNX's suite, with the native list of
# expected failures: the CPU results must be the native build's.
node --no-experimental-fetch "$out/bin/wgml_onnx_conformance.js" --device cpu \
  --expected "$src/tests/conformance/expected_failures.txt"
