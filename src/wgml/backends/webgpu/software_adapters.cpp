#include "wgml/backends/webgpu/software_adapters.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace wgml::gpu {

namespace {

bool file_exists(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

void set_default(const char* name, const std::string& value) {
  setenv(name, value.c_str(), /*overwrite=*/0);
}

}  // namespace

void prepare_adapter_environment(const std::string& adapter) {
  // Mesa's EGL picks a display platform from this; without a window system it must be told to
  // run headless, or the OpenGL ES backend finds nothing (Debian's stock llvmpipe).
  set_default("EGL_PLATFORM", "surfaceless");
  // SwiftShader warns loudly when this is unset; any private directory silences it.
  if (!std::getenv("XDG_RUNTIME_DIR")) {
    const std::string dir = "/tmp/wgml-runtime-" + std::to_string(getuid());
    mkdir(dir.c_str(), 0700);
    set_default("XDG_RUNTIME_DIR", dir);
  }
  // Vulkan software drivers are ICD files the loader only reads when named.
  if (adapter == "swiftshader" && file_exists("/usr/lib/chromium/vk_swiftshader_icd.json")) {
    set_default("VK_ICD_FILENAMES", "/usr/lib/chromium/vk_swiftshader_icd.json");
  } else if (adapter == "lavapipe" && file_exists("/usr/share/vulkan/icd.d/lvp_icd.json")) {
    set_default("VK_ICD_FILENAMES", "/usr/share/vulkan/icd.d/lvp_icd.json");
  }
}

bool vulkan_loader_present() {
  static const bool present = [] {
    void* handle = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle) dlclose(handle);
    return handle != nullptr;
  }();
  return present;
}

}  // namespace wgml::gpu
