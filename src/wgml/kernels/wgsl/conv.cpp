// TODO(wgsl-conv): kernels of the conv family.
#include "wgml/kernels/wgsl/wgsl_kernel.h"

namespace wgml::wgsl {

extern const std::vector<Kernel> kConvKernels = {};

}  // namespace wgml::wgsl
