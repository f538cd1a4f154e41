# Sourced by the bench/*_on_device.sh scripts on a lent GPU machine: unpacks the Vulkan loader
# packages carried in build-device/debs or .gl, points the loader at NVIDIA's driver and wgml at
# Dawn from node_modules, sets B to the static build-device binaries and defines run_yardstick.
for f in build-device/debs/*.deb .gl/*.deb; do [ -f "$f" ] && dpkg -x "$f" / >/dev/null; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGML_DAWN_LIBRARY=$PWD/node_modules/bun-webgpu-linux-x64/libwebgpu_wrapper.so
B=$PWD/build-device/bin
OUT=${OUT:-/tmp}
# The yardstick: exports $MODELS (default: the six below) into /tmp/h100m and times PyTorch,
# ONNX Runtime and wgml on them; its table lands on stdout and in $OUT/models.json.
run_yardstick() {
  echo "== models (replayed)"
  local yardstick=build-device/yardstick/h100_models.py
  [ -f $yardstick ] || yardstick=.devbench/h100_models.py
  OUT=$OUT timeout 330 python3 $yardstick $B/wgml \
    "${MODELS:-mobilenet_v2,efficientnet_b0,resnet50,resnet18,vit_b_16,encoder}" 2>&1 | tail -16
}
$B/wgml devices 2>&1 | tail -2
