// Quantized weights read in place by the matmul and conv generators: the int8/uint8 bytes stay
// packed four to a u32 (ShaderWriter's storage) and each load returns (q - zero) * scale in the
// kernel's compute type, so no float copy of the weight is ever written.
#pragma once

#include <string>
#include <vector>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/ops/dequant_params.h"

namespace wgml::wgsl {

// matmul_dequant's W (in = a, q, scale?, zero_point?): binds q, scale and zero point as
// NAME_q, NAME_s, NAME_z and declares `fn NAME_at(n: u32, k: u32) -> TYPE`, element (k, n).
void declare_dequant_matrix(ShaderWriter& w, const std::string& name, const DequantMatrix& d,
                            const std::vector<Tensor>& in, const std::string& type);

// conv_dequant's W (in = x, q, scale?, zero_point?, ...): binds the parts like the above and
// declares `fn NAME_load(e: u32) -> TYPE` for element index e of q's storage, as a kernel reads
// an ordinary weight. q must be contiguous (its outermost axis is the output channel).
void declare_dequant_channels(ShaderWriter& w, const std::string& name,
                              const std::vector<Tensor>& in, const std::string& type);

}  // namespace wgml::wgsl
