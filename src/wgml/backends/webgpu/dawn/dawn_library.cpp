#include "wgml/backends/webgpu/dawn/dawn_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "wgml/core/error.h"

#ifndef WGML_DAWN_LIBRARY_DEFAULT
#define WGML_DAWN_LIBRARY_DEFAULT ""
#endif

namespace wgml::gpu {

namespace {

std::string choose_path(const std::string& path) {
  if (!path.empty()) return path;
  if (const char* env = std::getenv("WGML_DAWN_LIBRARY"); env && *env) return env;
  return WGML_DAWN_LIBRARY_DEFAULT;
}

DawnLibrary* open_library(const std::string& path) {
  WGML_CHECK(!path.empty(),
             "webgpu: no Dawn library configured; set WGML_DAWN_LIBRARY to a libwebgpu .so");
  // RTLD_LOCAL: the library also exports abseil and SPIRV-Tools C++ symbols.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    fail(str_cat("webgpu: cannot load the Dawn library '", path, "': ", why ? why : "unknown",
                 " (run `make` to install it, or set WGML_DAWN_LIBRARY)"));
  }
  auto* lib = new DawnLibrary{path, {}};  // lives as long as the process, as the dlopen does
  auto* table = reinterpret_cast<char*>(&lib->procs);
  std::string missing;
  for (const WgpuProcName& proc : kWgpuProcNames) {
    void* symbol = dlsym(handle, proc.symbol);
    if (!symbol && !proc.optional) missing += str_cat(missing.empty() ? "" : ", ", proc.symbol);
    std::memcpy(table + proc.offset, &symbol, sizeof(symbol));
  }
  WGML_CHECK(missing.empty(), "webgpu: the Dawn library '", path, "' lacks ", missing,
             "; wgml needs the webgpu.h API of Dawn June 2025 (npm bun-webgpu-linux-x64@0.1.7)");
  return lib;
}

}  // namespace

const DawnLibrary& load_dawn(const std::string& path) {
  static std::mutex mutex;
  static DawnLibrary* loaded = nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  const std::string chosen = choose_path(path);
  if (loaded) {
    WGML_CHECK(chosen == loaded->path, "webgpu: Dawn is already loaded from '", loaded->path,
               "'; one process uses one Dawn library (asked for '", chosen, "')");
    return *loaded;
  }
  loaded = open_library(chosen);
  return *loaded;
}

}  // namespace wgml::gpu
