// NumPy's .npy format: the exchange format of `wgml run` and of the PyTorch goldens.
#pragma once

#include <string>

#include "wgml/core/tensor.h"

namespace wgml {

// Reads a little-endian, C-order .npy of a supported dtype; malformed files raise wgml::Error
// naming the file and the problem.
Tensor load_npy(const std::string& path, Device& device = cpu_device());
Tensor parse_npy(const std::string& bytes, const std::string& what, Device& device = cpu_device());
void save_npy(const std::string& path, const Tensor& tensor);

}  // namespace wgml
