// Copies between layouts and dtypes: `copy` (make contiguous) and `cast`.
#include <cstring>

#include "wgml/core/error.h"
#include "wgml/core/strided.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"

namespace wgml {

void cpu_copy_convert(const Tensor& src, Tensor& dst) {
  WGML_CHECK(dst.is_contiguous() && src.shape() == dst.shape(), "copy: destination ", dst.shape(),
             " does not match source ", src.shape());
  dispatch_dtype(src.dtype(), [&](auto src_tag) {
    using S = typename decltype(src_tag)::type;
    dispatch_dtype(dst.dtype(), [&](auto dst_tag) {
      using D = typename decltype(dst_tag)::type;
      // Convert through the widest type of the pair: double for floats, int64 for the rest.
      using C = std::conditional_t<std::is_same_v<ComputeOf<S>, double> ||
                                       std::is_same_v<ComputeOf<D>, double>,
                                   double, int64_t>;
      const S* base = static_cast<const S*>(src.storage()->host_data());
      D* out = cpu_data<D>(dst);
      for_each_offset(src.shape(), src.strides(), src.offset(),
                      [&](int64_t at) { *out++ = store_as<D>(load_as<S, C>(base[at])); });
    });
  });
}

Tensor cpu_contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor out = Tensor::empty(t.shape(), t.dtype(), t.device());
  cpu_copy_convert(t, out);
  return out;
}

static void copy_kernel(const OpCall&, const std::vector<Tensor>& inputs,
                        std::vector<Tensor>& outputs) {
  cpu_copy_convert(inputs[0], outputs[0]);
}

extern const std::vector<CpuKernel> kCpuCopyKernels = {
    {"copy", copy_kernel},
    {"cast", copy_kernel},
};

}  // namespace wgml
