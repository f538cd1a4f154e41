#!/usr/bin/env bash
# What `make bench-device` runs after building the static binaries: everything a lent GPU
# machine (device tool) needs besides them, gathered here because nothing outside that machine
# can be reached from it and it has no apt:
#   build-device/debs/      the Vulkan loader and GL dispatch packages (Debian's, unpacked there)
#   build-device/yardstick/ ../shared/bench/h100_models.py, as it is
# then prints the device call. Idempotent: what is there already is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
mkdir -p build-device/debs build-device/yardstick
if ! ls build-device/debs/libvulkan1_*.deb >/dev/null 2>&1; then
  # apt warns that root downloads unsandboxed: shown only when the download fails.
  if ! log=$(cd build-device/debs && apt-get download -q libvulkan1 libegl1 libglvnd0 \
    libopengl0 libgl1 libglx0 libgles2 2>&1); then
    echo "$log" >&2
    exit 1
  fi
fi
if [ ! -f "$SHARED/bench/h100_models.py" ]; then
  echo "prepare_device: $SHARED/bench/h100_models.py not found (set SHARED to the shared folder)" >&2
  exit 1
fi
cp "$SHARED/bench/h100_models.py" build-device/yardstick/
cat <<'TXT'
Ready for a lent GPU machine. With the device tool, carry
  ["build-device/bin", "build-device/debs", "build-device/yardstick",
   "node_modules/bun-webgpu-linux-x64"]
and run one of (each prints its table; OUT=$OUT keeps the files):
  OUT=$OUT bash bench/profile_on_device.sh      the yardstick, then each file's kernel profile
  OUT=$OUT bash bench/first_run_on_device.sh    the yardstick, then cold and warm first runs
  OUT=$OUT bash bench/run_compiler_on_device.sh goldens and extra ONNX cases on the GPU too
                                                 (carry build-device/goldens and
                                                 build/onnx_extra_cases as well)
TXT
