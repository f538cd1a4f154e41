// TODO(wgsl-index): kernels of the index family.
#include "wgml/kernels/wgsl/wgsl_kernel.h"

namespace wgml::wgsl {

extern const std::vector<Kernel> kIndexKernels = {};

}  // namespace wgml::wgsl
