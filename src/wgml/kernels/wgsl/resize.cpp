// TODO(wgsl-resize): kernels of the resize family.
#include "wgml/kernels/wgsl/wgsl_kernel.h"

namespace wgml::wgsl {

extern const std::vector<Kernel> kResizeKernels = {};

}  // namespace wgml::wgsl
