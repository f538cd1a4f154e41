// TODO(wgsl-scan): kernels of the scan family.
#include "wgml/kernels/wgsl/wgsl_kernel.h"

namespace wgml::wgsl {

extern const std::vector<Kernel> kScanKernels = {};

}  // namespace wgml::wgsl
