// Loads Dawn's webgpu.h functions from a shared library at run time (dlopen + dlsym over the
// generated kWgpuProcNames), so the engine builds without Dawn and fails with a clear message
// when the library is missing or of another API era.
#pragma once

#include <string>

#include "wgml/backends/webgpu/webgpu_abi.h"

namespace wgml::gpu {

struct DawnLibrary {
  std::string path;
  WgpuProcs procs{};
};

// The library at `path`, else $WGML_DAWN_LIBRARY, else the one `make` installed (build option
// WGML_DAWN_LIBRARY). Loaded once per process; later calls return the same one.
const DawnLibrary& load_dawn(const std::string& path = "");

}  // namespace wgml::gpu
