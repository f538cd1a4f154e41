// The tile shape the WebGPU matmul picks for a problem: exposed so benchmarks can print it.
#pragma once

#include <cstdint>
#include <string>

#include "wgml/backends/webgpu/gpu_api.h"

namespace wgml::wgsl {

// A workgroup computes a bm x bn block of the output, walking k in steps of bk through
// workgroup memory; each invocation holds a tm x tn block of it in registers (tm, tn are 4 or 8:
// whole vec4s of the tiles). Invocations per workgroup: (bm / tm) * (bn / tn).
struct MatmulTiling {
  int64_t bm = 0, bn = 0, bk = 0, tm = 0, tn = 0;
  // k split into this many slices, each computed by workgroups of its own into partial sums that
  // a second launch adds up: products whose tiles alone leave the device idle (M = 197 in a ViT).
  int64_t splits = 1;

  int64_t threads() const { return (bm / tm) * (bn / tn); }
  // Bytes of workgroup memory: the A and B tiles, f32 or i32.
  int64_t workgroup_bytes() const { return bk * (bm + bn) * 4; }
  std::string str() const;  // "128x128x8 / 8x8 / 256 inv", then " / split k 4" when split
};

// The tiling for `batch` products of [m, k] @ [k, n] on `adapter`: large tiles while the grid
// still has enough workgroups to fill the device, smaller ones for small or skinny products.
MatmulTiling choose_matmul_tiling(int64_t batch, int64_t m, int64_t n, int64_t k,
                                  const gpu::AdapterInfo& adapter);

}  // namespace wgml::wgsl
