// Helpers for tests of bad input: every error must be a wgml::Error whose message names the op
// and what is wrong.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "wgml/core/tensor.h"

namespace wgml {

inline Tensor ones(const Shape& shape, DType dtype = DType::Float32) {
  return Tensor::from_vector(std::vector<double>(size_t(shape_numel(shape)), 1.0), shape, dtype);
}

// Runs `fn`, which must raise wgml::Error with every one of `parts` in its message.
inline void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    FAIL() << "no error raised";
  } catch (const Error& e) {
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "message '" << e.what() << "' lacks '" << part << "'";
    }
  }
}

}  // namespace wgml
