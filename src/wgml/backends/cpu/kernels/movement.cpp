// CPU kernels of the movement family: pad, concat, tile, trilu, one_hot, arange.
#include <algorithm>
#include <cstring>

#include "wgml/core/error.h"
#include "wgml/core/strided.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"

namespace wgml {

namespace {

using Inputs = std::vector<Tensor>;
using Outputs = std::vector<Tensor>;

// Where output coordinate `o` of an axis padded by `begin` reads from an input axis of `size`,
// or -1 for the constant fill.
int64_t pad_source(int64_t o, int64_t begin, int64_t size, const std::string& mode) {
  const int64_t i = o - begin;
  if (i >= 0 && i < size) return i;
  if (mode == "edge") return i < 0 ? 0 : size - 1;
  if (mode == "reflect") return i < 0 ? -i : 2 * (size - 1) - i;  // infer bounds pad < size
  return -1;
}

void pad_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs) {
  const Tensor x = cpu_contiguous(inputs[0]);
  Tensor& out = outputs[0];
  const Ints& pads = call.attrs.ints("pads");
  const std::string& mode = call.attrs.s("mode");
  const Shape& shape = x.shape();
  const Strides strides = contiguous_strides(shape);
  const size_t rank = shape.size();
  // Per axis, the input coordinate each output coordinate reads (-1: the fill value).
  std::vector<std::vector<int64_t>> source(rank);
  for (size_t d = 0; d < rank; ++d) {
    for (int64_t o = 0; o < out.shape()[d]; ++o) {
      source[d].push_back(pad_source(o, pads[d], shape[d], mode));
    }
  }
  dispatch_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T fill = store_as<T>(call.attrs.f("value"));
    const T* in = cpu_data<T>(x);
    T* dst = cpu_data<T>(out);
    for_each_index(out.shape(), [&](const std::vector<int64_t>& index) {
      int64_t at = 0;
      for (size_t d = 0; d < rank && at >= 0; ++d) {
        const int64_t i = source[d][static_cast<size_t>(index[d])];
        at = i < 0 ? -1 : at + i * strides[d];
      }
      *dst++ = at < 0 ? fill : in[at];
    });
  });
}

// Each input is a [outer, size_i * inner] block; the output interleaves their rows.
void concat_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs) {
  Tensor& out = outputs[0];
  const size_t axis =
      static_cast<size_t>(normalize_axis(call.attrs.i("axis"), out.rank(), "concat"));
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d)
    outer *= out.shape()[d];
  for (size_t d = axis + 1; d < out.rank(); ++d)
    inner *= out.shape()[d];
  const size_t elem = dtype_size(out.dtype());
  const int64_t out_row = out.shape()[axis] * inner;
  auto* dst = static_cast<uint8_t*>(out.storage()->host_data()) + out.offset() * elem;
  int64_t column = 0;  // where the current input starts within an output row
  for (const Tensor& input : inputs) {
    const Tensor x = cpu_contiguous(input);
    const int64_t row = x.shape()[axis] * inner;
    const auto* src = static_cast<const uint8_t*>(x.storage()->host_data()) + x.offset() * elem;
    for (int64_t o = 0; o < outer && row > 0; ++o) {
      std::memcpy(dst + (o * out_row + column) * elem, src + o * row * elem,
                  static_cast<size_t>(row) * elem);
    }
    column += row;
  }
}

void tile_kernel(const OpCall&, const Inputs& inputs, Outputs& outputs) {
  const Tensor x = cpu_contiguous(inputs[0]);
  Tensor& out = outputs[0];
  const Shape& shape = x.shape();
  const Strides strides = contiguous_strides(shape);
  dispatch_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = cpu_data<T>(x);
    T* dst = cpu_data<T>(out);
    for_each_index(out.shape(), [&](const std::vector<int64_t>& index) {
      int64_t at = 0;
      for (size_t d = 0; d < shape.size(); ++d)
        at += (index[d] % shape[d]) * strides[d];
      *dst++ = in[at];
    });
  });
}

void trilu_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs) {
  const Tensor x = cpu_contiguous(inputs[0]);
  Tensor& out = outputs[0];
  const bool upper = call.attrs.i("upper") != 0;
  const int64_t k = call.attrs.i("k");
  const int64_t rows = x.shape()[x.rank() - 2], cols = x.shape()[x.rank() - 1];
  const int64_t matrices = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
  dispatch_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = cpu_data<T>(x);
    T* dst = cpu_data<T>(out);
    const T zero = store_as<T>(int64_t{0});
    for (int64_t m = 0; m < matrices; ++m) {
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < cols; ++j, ++in, ++dst) {
          const bool keep = upper ? j - i >= k : j - i <= k;
          *dst = keep ? *in : zero;
        }
      }
    }
  });
}

void one_hot_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs) {
  Tensor& out = outputs[0];
  const int64_t depth = call.attrs.i("depth");
  const size_t axis =
      static_cast<size_t>(normalize_axis(call.attrs.i("axis"), out.rank(), "one_hot"));
  // indices [outer, inner] -> out [outer, depth, inner]
  int64_t outer = 1;
  for (size_t d = 0; d < axis; ++d)
    outer *= out.shape()[d];
  const int64_t inner = outer * depth == 0 ? 0 : out.numel() / (outer * depth);
  const std::vector<int64_t> indices = cpu_values<int64_t>(inputs[0]);
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dst = cpu_data<T>(out);
    std::fill(dst, dst + out.numel(), store_as<T>(int64_t{0}));
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        int64_t hot = indices[static_cast<size_t>(o * inner + i)];
        if (hot < 0) hot += depth;
        if (hot < 0 || hot >= depth) continue;  // out of range: an all-zero row
        dst[(o * depth + hot) * inner + i] = store_as<T>(int64_t{1});
      }
    }
  });
}

void arange_kernel(const OpCall& call, const Inputs&, Outputs& outputs) {
  Tensor& out = outputs[0];
  const double start = call.attrs.f("start"), delta = call.attrs.f("delta");
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* dst = cpu_data<T>(out);
    for (int64_t i = 0; i < out.numel(); ++i) {
      dst[i] = store_as<T>(start + static_cast<double>(i) * delta);
    }
  });
}

}  // namespace

extern const std::vector<CpuKernel> kCpuMovementKernels = {
    {"pad", pad_kernel},     {"concat", concat_kernel},   {"tile", tile_kernel},
    {"trilu", trilu_kernel}, {"one_hot", one_hot_kernel}, {"arange", arange_kernel},
};

}  // namespace wgml
