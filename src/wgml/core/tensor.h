// Tensor: a typed, strided view into a device storage. Copying a Tensor copies the view, not the
// data; movement ops (reshape, permute, expand, slice, flip) make new views without copies.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "wgml/core/dtype.h"
#include "wgml/core/error.h"
#include "wgml/core/shape.h"
#include "wgml/core/device.h"

namespace wgml {

Device& cpu_device();

class Tensor {
 public:
  Tensor() = default;
  Tensor(std::shared_ptr<Storage> storage, DType dtype, Shape shape, Strides strides,
         int64_t offset);

  // A new contiguous tensor with uninitialised contents.
  static Tensor empty(const Shape& shape, DType dtype, Device& device = cpu_device());
  // A new contiguous tensor holding a copy of `data` (numel * dtype_size bytes).
  static Tensor from_bytes(const void* data, const Shape& shape, DType dtype,
                           Device& device = cpu_device());
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape, DType dtype,
                            Device& device = cpu_device());
  // A 0-d tensor holding `value` converted to `dtype`.
  static Tensor scalar(double value, DType dtype, Device& device = cpu_device());

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  size_t rank() const { return shape_.size(); }
  int64_t dim(int64_t axis) const;  // negative axes count from the end
  int64_t numel() const { return shape_numel(shape_); }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  Device& device() const { return storage_->device(); }

  // The same storage seen through other metadata (callers check bounds).
  Tensor with_view(Shape shape, Strides strides, int64_t offset) const;

  // The elements in row-major order, copied to the host.
  std::vector<uint8_t> to_bytes() const;
  template <typename T>
  std::vector<T> to_vector() const;  // converts each element to T

 private:
  std::shared_ptr<Storage> storage_;
  DType dtype_ = DType::Float32;
  Shape shape_;
  Strides strides_;
  int64_t offset_ = 0;
};

template <typename T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, DType dtype,
                           Device& device) {
  WGML_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
             "from_vector: ", values.size(), " values do not fill shape ", shape);
  std::vector<uint8_t> bytes(values.size() * dtype_size(dtype));
  dispatch_dtype(dtype, [&](auto tag) {
    using S = typename decltype(tag)::type;
    S* out = reinterpret_cast<S*>(bytes.data());
    for (size_t i = 0; i < values.size(); ++i)
      out[i] = store_as<S>(values[i]);
  });
  return from_bytes(bytes.data(), shape, dtype, device);
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  const std::vector<uint8_t> bytes = to_bytes();
  std::vector<T> out(static_cast<size_t>(numel()));
  dispatch_dtype(dtype_, [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S* in = reinterpret_cast<const S*>(bytes.data());
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = load_as<S, T>(in[i]);
  });
  return out;
}

}  // namespace wgml
