#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian 12 machine.
# Idempotent and quiet when already done: `make` calls it before every build.
set -euo pipefail

# Debian packages: compiler toolchain, test framework, and PyTorch as the reference for goldens.
APT_PACKAGES=(
  cmake ninja-build g++ make clang-format
  libgtest-dev nlohmann-json3-dev
  python3 python3-numpy python3-torch libopenblas0-pthread
  emscripten nodejs
  libegl1 libegl-mesa0 libgles2
  python3-torchvision python3-onnx
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  clang libclang-rt-14-dev
)
# python3-torchvision + python3-onnx: the models exported at test time and their references.
# libonnx-dev/libprotobuf-dev: only the test that cross-checks wgml's own ONNX reader against
# ONNX's protobuf parse; libonnx-testdata: ONNX's conformance suite. clang: the reader's libFuzzer
# target (ASan + UBSan).
# libegl-mesa0 + libgles2: Mesa's llvmpipe through OpenGL ES, the software WebGPU adapter that the
# tests use on machines without a GPU (Dawn's OpenGL ES backend, compatibility level).

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm comes with NodeSource's nodejs; Debian's nodejs needs the separate package.
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing npm"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

# npm packages (versions pinned in package.json/package-lock.json): Dawn, the WebGPU
# implementation, and onnxruntime-node, the reference of tests/realworld. onnxruntime-node's
# postinstall would download CUDA/TensorRT libraries; ONNXRUNTIME_NODE_INSTALL=skip skips it (the
# CPU library for linux-x64 is inside the package).
cd "$(dirname "$0")/.."
DAWN_PACKAGE=node_modules/bun-webgpu-linux-x64
ORT_PACKAGE=node_modules/onnxruntime-node
if ! grep -q '"version": "0.1.7"' "$DAWN_PACKAGE/package.json" 2>/dev/null ||
   [ ! -f "$DAWN_PACKAGE/libwebgpu_wrapper.so" ] ||
   ! grep -q '"version": "1.30.0"' "$ORT_PACKAGE/package.json" 2>/dev/null; then
  echo "setup: installing npm packages (bun-webgpu-linux-x64@0.1.7, onnxruntime-node@1.30.0)"
  export ONNXRUNTIME_NODE_INSTALL=skip
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
