// CPU kernels of the conv family, generic over the spatial rank. Both ops pair positions of two
// grids: conv reads input x[o * stride - pad + k * dilation] for each output o, and
// conv_transpose writes output y[i * stride - pad + k * dilation] for each input i. For each
// kernel offset k the pairs form runs ("segments") along the last axis, precomputed once, so the
// hot loop is a plain strided multiply-add over doubles.
#include <algorithm>

#include "wgml/core/error.h"
#include "wgml/backends/cpu/kernels/cpu_kernel.h"
#include "wgml/backends/cpu/kernels/dequant.h"
#include "wgml/ops/window.h"

namespace wgml {

namespace {

// `count` positions of the walked grid from `walked_at` (step 1) pair with positions of the
// mapped grid from `mapped_at` (step `stride` of the last axis).
struct Segment {
  int64_t walked_at, mapped_at, count;
};

int64_t floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

struct Window {
  Ints strides, dilations, pads_begin;
};

// The segments pairing `walked` positions p with `mapped` positions p * stride - pad + k * dilation
// that lie inside `mapped`, for the kernel offset `k` (one index per spatial axis).
std::vector<Segment> segments_for(const Shape& walked, const Shape& mapped, const Window& win,
                                  const Ints& k) {
  const size_t rank = walked.size();
  Ints lo(rank), hi(rank), shift(rank);  // walked range [lo, hi) per axis, and its mapped shift
  for (size_t d = 0; d < rank; ++d) {
    shift[d] = k[d] * win.dilations[d] - win.pads_begin[d];
    // 0 <= p * stride + shift < mapped[d]
    lo[d] = std::max<int64_t>(0, floor_div(-shift[d] + win.strides[d] - 1, win.strides[d]));
    hi[d] = std::min(walked[d], floor_div(mapped[d] - 1 - shift[d], win.strides[d]) + 1);
    if (lo[d] >= hi[d]) return {};
  }
  const Strides walked_strides = contiguous_strides(walked);
  const Strides mapped_strides = contiguous_strides(mapped);
  std::vector<Segment> out;
  Ints p(lo);  // odometer over every axis but the last, which each segment covers
  while (true) {
    Segment s{0, 0, hi[rank - 1] - lo[rank - 1]};
    for (size_t d = 0; d < rank; ++d) {
      s.walked_at += p[d] * walked_strides[d];
      s.mapped_at += (p[d] * win.strides[d] + shift[d]) * mapped_strides[d];
    }
    out.push_back(s);
    // Next row: advance the axes before the last, odometer style; done when the first wraps.
    size_t d = rank - 1;
    while (d > 0 && ++p[d - 1] == hi[d - 1]) {
      p[d - 1] = lo[d - 1];
      --d;
    }
    if (d == 0) break;
  }
  return out;
}

template <typename S>
void conv_typed(const OpCall& call, const std::vector<Tensor>& in, Tensor& out) {
  const bool transpose = call.name() == "conv_transpose";
  const Shape& xs = in[0].shape();
  const Shape& ws = in[1].shape();
  Window win;
  Ints pads_end;
  conv_window(call, xs, ws, &win.strides, &win.dilations, &win.pads_begin, &pads_end);

  const int64_t batch = xs[0], channels = xs[1], out_channels = out.shape()[1];
  const int64_t group = call.attrs.i("group");
  const int64_t c_per_group = channels / group, m_per_group = out_channels / group;
  const Shape in_grid(xs.begin() + 2, xs.end()),
      out_grid(out.shape().begin() + 2, out.shape().end());
  const Shape k_grid(ws.begin() + 2, ws.end());
  const int64_t in_size = shape_numel(in_grid), out_size = shape_numel(out_grid);
  const int64_t k_size = shape_numel(k_grid);

  // conv walks the output and reads the input; conv_transpose walks the input and writes.
  const Shape& walked = transpose ? in_grid : out_grid;
  const Shape& mapped = transpose ? out_grid : in_grid;
  std::vector<std::vector<Segment>> segments(static_cast<size_t>(k_size));
  Ints k(k_grid.size(), 0);
  for (int64_t kpos = 0; kpos < k_size; ++kpos) {
    segments[static_cast<size_t>(kpos)] = segments_for(walked, mapped, win, k);
    for (size_t d = k.size(); d-- > 0;) {  // next kernel offset, row-major
      if (++k[d] < k_grid[d]) break;
      k[d] = 0;
    }
  }
  const int64_t step = win.strides.back();

  const std::vector<double> x = cpu_values<double>(in[0]);
  const std::vector<double> w = cpu_values<double>(in[1]);
  std::vector<double> bias(static_cast<size_t>(out_channels), 0.0);
  if (in.size() > 2 && in[2].defined()) bias = cpu_values<double>(in[2]);
  std::vector<double> acc(static_cast<size_t>(m_per_group * out_size));
  S* dst = cpu_data<S>(out);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t g = 0; g < group; ++g) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t c = 0; c < c_per_group; ++c) {
        const double* plane = x.data() + ((n * channels) + (g * c_per_group) + c) * in_size;
        for (int64_t m = 0; m < m_per_group; ++m) {
          // W is [M, C/group, k...] for conv and [C, M/group, k...] for conv_transpose.
          const double* taps = w.data() + (transpose ? ((g * c_per_group + c) * m_per_group + m)
                                                     : ((g * m_per_group + m) * c_per_group + c)) *
                                              k_size;
          double* sum = acc.data() + m * out_size;
          for (int64_t kpos = 0; kpos < k_size; ++kpos) {
            const double tap = taps[kpos];
            for (const Segment& s : segments[static_cast<size_t>(kpos)]) {
              if (transpose) {
                for (int64_t t = 0; t < s.count; ++t) {
                  sum[s.mapped_at + t * step] += tap * plane[s.walked_at + t];
                }
              } else {
                for (int64_t t = 0; t < s.count; ++t) {
                  sum[s.walked_at + t] += tap * plane[s.mapped_at + t * step];
                }
              }
            }
          }
        }
      }
      for (int64_t m = 0; m < m_per_group; ++m) {
        const double b = bias[static_cast<size_t>(g * m_per_group + m)];
        for (int64_t p = 0; p < out_size; ++p)
          *dst++ = store_as<S>(acc[m * out_size + p] + b);
      }
    }
  }
}

void conv_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                 std::vector<Tensor>& outputs) {
  switch (inputs[0].dtype()) {
    case DType::Float32:
      return conv_typed<float>(call, inputs, outputs[0]);
    case DType::Float16:
      return conv_typed<Half>(call, inputs, outputs[0]);
    case DType::Float64:
      return conv_typed<double>(call, inputs, outputs[0]);
    case DType::BFloat16:
      return conv_typed<BFloat16>(call, inputs, outputs[0]);
    default:
      fail(call.name(), ": no CPU kernel for ", inputs[0].dtype());
  }
}

// The reference: the weight dequantized first (ops/dequant_params.h), then conv; int32 x
// convolves exactly in int64.
void conv_dequant_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                         std::vector<Tensor>& outputs) {
  const std::vector<Tensor> operands = {inputs[0], cpu_dequant_channels(inputs),
                                        inputs.size() > 4 ? inputs[4] : Tensor()};
  if (inputs[0].dtype() == DType::Int32) return conv_typed<int32_t>(call, operands, outputs[0]);
  conv_kernel(call, operands, outputs);
}

}  // namespace

extern const std::vector<CpuKernel> kCpuConvKernels = {
    {"conv_dequant", conv_dequant_kernel},
    {"conv", conv_kernel},
    {"conv_transpose", conv_kernel},
};

}  // namespace wgml
