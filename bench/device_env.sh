# Sourced by the bench/*_on_device.sh scripts on a lent GPU machine: unpacks the Vulkan loader
# packages carried in build-device/debs or .gl, points the loader at NVIDIA's driver and wgml at
# Dawn from node_modules, and sets B to the static build-device binaries.
for f in build-device/debs/*.deb .gl/*.deb; do [ -f "$f" ] && dpkg -x "$f" / >/dev/null; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGML_DAWN_LIBRARY=$PWD/node_modules/bun-webgpu-linux-x64/libwebgpu_wrapper.so
B=$PWD/build-device/bin
$B/wgml devices 2>&1 | tail -2
