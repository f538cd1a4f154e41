#!/usr/bin/env bash
# Runs wgml's benchmarks and PyTorch's reference figures on a lent GPU machine (the device tool),
# following ../shared/webgpu/NOTES.md: the machine has the NVIDIA driver and its Vulkan ICD but no
# Vulkan loader, so the Debian loader packages travel along (build-device/debs, `apt-get download
# libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2`) with the wgml binary
# (build-device/bin/wgml, linked with -static-libstdc++) and Dawn (node_modules/...).
# Writes everything to $OUT (or ./bench-out).
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
  echo "## wgml devices"; $WGML devices
  echo "## wgml bench matmul float32"; $WGML bench matmul --sizes 256,512,1024,2048,4096 --repeat 10
  echo "## wgml bench matmul float16"; $WGML bench matmul --dtype float16 --sizes 1024,4096 --repeat 10
  echo "## wgml bench ops"; $WGML bench ops --repeat 10
  echo "## torch"; python3 bench/torch_reference.py --repeat 20
} 2>&1 | tee "$OUT/bench.txt"
