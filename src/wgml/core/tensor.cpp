#include "wgml/core/tensor.h"

#include <cstring>
#include <limits>

#include "wgml/core/strided.h"

namespace wgml {

Tensor::Tensor(std::shared_ptr<Storage> storage, DType dtype, Shape shape, Strides strides,
               int64_t offset)
    : storage_(std::move(storage)),
      dtype_(dtype),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      offset_(offset) {
  WGML_CHECK(shape_.size() == strides_.size(), "tensor: shape ", shape_, " and strides ", strides_,
             " differ in rank");
  WGML_CHECK(shape_.size() <= kMaxRank, "tensor: rank ", shape_.size(), " is more than the ",
             kMaxRank, " axes wgml supports");
  for (int64_t d : shape_)
    WGML_CHECK(d >= 0, "tensor: negative dimension in shape ", shape_);
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device& device) {
  WGML_CHECK(shape.size() <= kMaxRank, "empty: rank ", shape.size(), " is more than the ", kMaxRank,
             " axes wgml supports");
  for (int64_t d : shape)
    WGML_CHECK(d >= 0, "empty: negative dimension in shape ", shape);
  const int64_t numel = shape_numel(shape);
  WGML_CHECK(static_cast<uint64_t>(numel) <= std::numeric_limits<size_t>::max() / dtype_size(dtype),
             "empty: a ", dtype, " tensor of shape ", shape, " does not fit in memory");
  const size_t nbytes = static_cast<size_t>(numel) * dtype_size(dtype);
  Strides strides = contiguous_strides(shape);
  try {
    return Tensor(device.allocate(nbytes), dtype, shape, std::move(strides), 0);
  } catch (const Error& e) {
    fail(e.what(), " for a ", dtype, " tensor of shape ", shape);
  }
}

Tensor Tensor::from_bytes(const void* data, const Shape& shape, DType dtype, Device& device) {
  Tensor t = empty(shape, dtype, device);
  const size_t nbytes = static_cast<size_t>(t.numel()) * dtype_size(dtype);
  if (nbytes > 0) device.write(*t.storage_, 0, data, nbytes);
  return t;
}

Tensor Tensor::scalar(double value, DType dtype, Device& device) {
  return from_vector(std::vector<double>{value}, {}, dtype, device);
}

int64_t Tensor::dim(int64_t axis) const {
  return shape_[static_cast<size_t>(normalize_axis(axis, rank(), "dim"))];
}

bool Tensor::is_contiguous() const {
  if (numel() == 0) return true;  // nothing to lay out
  int64_t expected = 1;
  for (size_t d = rank(); d-- > 0;) {
    if (shape_[d] != 1 && strides_[d] != expected) return false;
    expected *= shape_[d];
  }
  return true;
}

Tensor Tensor::with_view(Shape shape, Strides strides, int64_t offset) const {
  return Tensor(storage_, dtype_, std::move(shape), std::move(strides), offset);
}

std::vector<uint8_t> Tensor::to_bytes() const {
  const size_t elem = dtype_size(dtype_);
  std::vector<uint8_t> out(static_cast<size_t>(numel()) * elem);
  if (out.empty()) return out;
  if (is_contiguous()) {
    storage_->device().read(*storage_, static_cast<size_t>(offset_) * elem, out.data(), out.size());
    return out;
  }
  // Read the span the view covers once, then gather on the host.
  int64_t lo = 0, hi = 0;
  view_extent(shape_, strides_, offset_, &lo, &hi);
  std::vector<uint8_t> span(static_cast<size_t>(hi - lo + 1) * elem);
  storage_->device().read(*storage_, static_cast<size_t>(lo) * elem, span.data(), span.size());
  uint8_t* dst = out.data();
  for_each_offset(shape_, strides_, offset_ - lo, [&](int64_t at) {
    std::memcpy(dst, span.data() + at * static_cast<int64_t>(elem), elem);
    dst += elem;
  });
  return out;
}

}  // namespace wgml
