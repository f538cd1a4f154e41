// The PyTorch-flavoured C++ front end: operators and named functions over run_op. Every function
// here is a thin spelling of an op-table entry; `wgml::op(name, inputs, attrs)` reaches any op.
#pragma once

#include <string>
#include <vector>

#include "wgml/runtime/dispatch.h"

namespace wgml {

inline Tensor op(const std::string& name, std::vector<Tensor> inputs, Attrs attrs = {}) {
  return run_op1(name, std::move(inputs), std::move(attrs));
}

// A 0-d tensor of `like`'s dtype and device, for mixing tensors with numbers (`x * 2`).
inline Tensor scalar_like(double value, const Tensor& like) {
  return Tensor::scalar(value, like.dtype(), like.device());
}

inline Tensor operator+(const Tensor& a, const Tensor& b) {
  return op("add", {a, b});
}
inline Tensor operator-(const Tensor& a, const Tensor& b) {
  return op("sub", {a, b});
}
inline Tensor operator*(const Tensor& a, const Tensor& b) {
  return op("mul", {a, b});
}
inline Tensor operator/(const Tensor& a, const Tensor& b) {
  return op("div", {a, b});
}
inline Tensor operator-(const Tensor& a) {
  return op("neg", {a});
}
inline Tensor operator+(const Tensor& a, double b) {
  return a + scalar_like(b, a);
}
inline Tensor operator-(const Tensor& a, double b) {
  return a - scalar_like(b, a);
}
inline Tensor operator*(const Tensor& a, double b) {
  return a * scalar_like(b, a);
}
inline Tensor operator/(const Tensor& a, double b) {
  return a / scalar_like(b, a);
}

inline Tensor matmul(const Tensor& a, const Tensor& b) {
  return op("matmul", {a, b});
}
inline Tensor relu(const Tensor& x) {
  return op("relu", {x});
}
inline Tensor exp(const Tensor& x) {
  return op("exp", {x});
}
inline Tensor where(const Tensor& c, const Tensor& a, const Tensor& b) {
  return op("where", {c, a, b});
}
inline Tensor sum(const Tensor& x, Ints axes = {}, bool keepdim = false) {
  return op("sum", {x}, {{"axes", std::move(axes)}, {"keepdims", int64_t{keepdim}}});
}
inline Tensor mean(const Tensor& x, Ints axes = {}, bool keepdim = false) {
  return op("mean", {x}, {{"axes", std::move(axes)}, {"keepdims", int64_t{keepdim}}});
}
inline Tensor softmax(const Tensor& x, int64_t axis = -1) {
  return op("softmax", {x}, {{"axis", axis}});
}
inline Tensor reshape(const Tensor& x, Ints shape) {
  return op("reshape", {x}, {{"shape", std::move(shape)}});
}
inline Tensor permute(const Tensor& x, Ints perm) {
  return op("permute", {x}, {{"perm", std::move(perm)}});
}
inline Tensor transpose(const Tensor& x, int64_t dim0 = -2, int64_t dim1 = -1) {
  return op("transpose", {x}, {{"dim0", dim0}, {"dim1", dim1}});
}
inline Tensor cast(const Tensor& x, DType dtype) {
  return op("cast", {x}, {{"dtype", std::string(dtype_name(dtype))}});
}
inline Tensor contiguous(const Tensor& x) {
  return x.is_contiguous() ? x : op("copy", {x});
}

}  // namespace wgml
