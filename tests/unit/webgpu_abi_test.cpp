// Compiles the generated webgpu.h subset so its ABI static_asserts (sizes and offsets of the
// Dawn build wgml loads) run on every build; the WebGPU device layer builds on it next.
#include "wgml/backends/webgpu/webgpu_abi.h"

#include <gtest/gtest.h>

#include <cstring>

TEST(WebGpuAbi, EveryProcHasADistinctExportedName) {
  for (size_t i = 0; i < WGPU_ABI_PROC_COUNT; ++i) {
    EXPECT_EQ(std::strncmp(kWgpuProcNames[i].symbol, "wgpu", 4), 0) << kWgpuProcNames[i].symbol;
    for (size_t j = 0; j < i; ++j) {
      EXPECT_STRNE(kWgpuProcNames[i].symbol, kWgpuProcNames[j].symbol);
    }
  }
}
