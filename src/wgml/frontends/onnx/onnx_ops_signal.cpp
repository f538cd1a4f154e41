// Converters for ONNX's signal-processing ops (opset 17+): the Hann, Hamming and Blackman windows,
// DFT and STFT, composed from engine ops. A transform is two matmuls with cos/sin matrices (O(N^2)
// per signal where an FFT is O(N log N); fine for the frame lengths models use), built in double
// when the model loads, or for an STFT frame_length known only at run time, by engine ops.
#include <cmath>
#include <string>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"

namespace wgml::onnx {

namespace {

using graph::kNoValue;

constexpr double kPi = 3.14159265358979323846;

// A scalar input that sizes the output, which must therefore be known when the model loads.
int64_t constant_scalar(const NodeContext& ctx, size_t input, const std::string& what) {
  const Ints values = ctx.constant_ints(input);
  if (values.size() != 1) {
    ctx.fail_here(str_cat(what, " (input ", input, ") must hold one value, got ", values.size()));
  }
  return values[0];
}

int64_t static_dim(const NodeContext& ctx, ValueId v, size_t axis, const std::string& what) {
  const graph::SymShape* shape = ctx.shape(v);
  if (shape == nullptr || axis >= shape->size() || !(*shape)[axis].is_static()) {
    ctx.fail_here(str_cat("dim ", axis, " of ", what, " must be known when the model loads"));
  }
  return (*shape)[axis].value;
}

// --- windows

// y[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N) for n < size, where N = size for a
// periodic window and size - 1 for a symmetric one; computed in float32, then cast to
// output_datatype. The size may be a run-time value.
void convert_window(NodeContext& ctx, double a0, double a1, double a2) {
  const DType out = engine_dtype(static_cast<int32_t>(ctx.attr_int("output_datatype", 1)),
                                 ctx.source() + " attribute output_datatype");
  const bool periodic = ctx.attr_int("periodic", 1) != 0;
  const ValueId size = ctx.input(0);
  const DType f32 = DType::Float32;
  const ValueId n =
      ctx.op1("arange", {}, {{"start", 0.0}, {"delta", 1.0}, {"dtype", std::string("float32")}},
              {{"limit", size}});
  ValueId period = ctx.cast(size, f32);
  if (!periodic) period = ctx.op1("sub", {period, ctx.scalar(1, f32)});
  const ValueId angle = ctx.op1("div", {ctx.op1("mul", {n, ctx.scalar(2 * kPi, f32)}), period});
  ValueId y = ctx.op1(
      "sub", {ctx.scalar(a0, f32), ctx.op1("mul", {ctx.op1("cos", {angle}), ctx.scalar(a1, f32)})});
  if (a2 != 0) {
    const ValueId twice = ctx.op1("mul", {angle, ctx.scalar(2, f32)});
    y = ctx.op1("add", {y, ctx.op1("mul", {ctx.op1("cos", {twice}), ctx.scalar(a2, f32)})});
  }
  // y's dtype is float32, though unknown to inference when the size is a run-time value.
  if (out != f32) y = ctx.op1("cast", {y}, {{"dtype", std::string(dtype_name(out))}});
  ctx.set_outputs({y});
}

// --- transforms

// cos and sin of 2 pi m / n, exact at multiples of a quarter turn, so that bins whose true value
// is 0 (the imaginary part of a real signal's DC and Nyquist bins) come out 0.
void unit_circle(int64_t m, int64_t n, double* c, double* s) {
  m %= n;
  if ((4 * m) % n == 0) {
    const double kCos[] = {1, 0, -1, 0};
    const double kSin[] = {0, 1, 0, -1};
    const size_t quarter = static_cast<size_t>(4 * m / n);
    *c = kCos[quarter];
    *s = kSin[quarter];
    return;
  }
  const double angle = 2 * kPi * static_cast<double>(m) / static_cast<double>(n);
  *c = std::cos(angle);
  *s = std::sin(angle);
}

// The matrix taking a signal's samples to the real (or imaginary) parts of its first `bins`
// transform bins. The DFT is X[k] = sum_n x[n] (C - i T) with C = cos(2 pi nk / L), and T = sin
// for the forward transform, -sin / L (and C / L) for the inverse. So Re X = xr C + xi T and
// Im X = xi C - xr T, rows of real parts first, then (complex input) rows of imaginary parts.
ValueId transform_matrix(NodeContext& ctx, bool imaginary, bool complex_input, int64_t length,
                         int64_t bins, bool inverse, DType dtype) {
  const int64_t rows = complex_input ? 2 * length : length;
  constexpr int64_t kMaxMatrix = int64_t{1} << 26;  // 256 MB of float32
  if (rows > kMaxMatrix / bins) {
    ctx.fail_here(str_cat("a transform of length ", length, " needs a ", rows, " x ", bins,
                          " matrix; wgml transforms by matmul and allows ", kMaxMatrix,
                          " elements"));
  }
  const double scale = inverse ? 1.0 / static_cast<double>(length) : 1.0;
  const double sign = inverse ? -1.0 : 1.0;
  std::vector<double> values(static_cast<size_t>(rows * bins));
  for (int64_t r = 0; r < rows; ++r) {
    const bool from_imaginary = r >= length;
    const int64_t n = r % length;
    for (int64_t k = 0; k < bins; ++k) {
      double c = 0, s = 0;
      unit_circle(n * k, length, &c, &s);
      const double t = sign * s;
      const double v = imaginary ? (from_imaginary ? c : -t) : (from_imaginary ? t : c);
      values[static_cast<size_t>(r * bins + k)] = v * scale;
    }
  }
  return ctx.constant_value(Tensor::from_vector(values, {rows, bins}, dtype));
}

// The real and imaginary parts ([..., n]) of a signal [..., n, 1 or 2] of rank `rank`; the
// imaginary part is kNoValue for a real signal.
std::pair<ValueId, ValueId> split_complex(NodeContext& ctx, ValueId x, int64_t rank) {
  const size_t last = static_cast<size_t>(rank - 1);
  const int64_t parts = static_dim(ctx, x, last, "the input");
  if (parts != 1 && parts != 2) {
    ctx.fail_here(
        str_cat("the last dim of the input must be 1 (real) or 2 (complex), got ", parts));
  }
  auto part = [&](int64_t i) {
    return ctx.op1("gather", {x, ctx.scalar(static_cast<double>(i), DType::Int64)},
                   {{"axis", rank - 1}});
  };
  return {part(0), parts == 2 ? part(1) : kNoValue};
}

// A transform as two matrices over the samples ([real parts | imaginary parts] of a complex
// signal): one gives the bins' real parts, the other their imaginary parts.
struct TransformMatrices {
  ValueId real, imaginary;
};

TransformMatrices load_time_matrices(NodeContext& ctx, bool complex_input, int64_t length,
                                     int64_t bins, bool inverse, DType dtype) {
  return {transform_matrix(ctx, false, complex_input, length, bins, inverse, dtype),
          transform_matrix(ctx, true, complex_input, length, bins, inverse, dtype)};
}

// The forward transform's matrices for an int64 length known only when the model runs: cos and
// sin of 2 pi (n k mod L) / L in float32, rounded to the exact 0 or +-1 at quarter turns.
TransformMatrices run_time_matrices(NodeContext& ctx, bool complex_input, ValueId length,
                                    bool onesided, DType dtype) {
  const DType i64 = DType::Int64, f32 = DType::Float32;
  const ValueId bins =
      onesided ? ctx.op1("add", {ctx.op1("div", {length, ctx.scalar(2, i64)}), ctx.scalar(1, i64)})
               : length;
  auto range = [&](ValueId limit, int64_t axis) {
    const ValueId r = ctx.op1("arange", {}, {{"dtype", std::string("int64")}}, {{"limit", limit}});
    return ctx.op1("unsqueeze", {r}, {{"axes", Ints{axis}}});
  };
  const ValueId turns =
      ctx.op1("mod", {ctx.op1("mul", {range(length, 1), range(bins, 0)}), length});  // [L, bins]
  const ValueId angle =
      ctx.op1("div", {ctx.op1("mul", {ctx.op1("cast", {turns}, {{"dtype", std::string("float32")}}),
                                      ctx.scalar(2 * kPi, f32)}),
                      ctx.op1("cast", {length}, {{"dtype", std::string("float32")}})});
  const ValueId quarter = ctx.op1(
      "equal",
      {ctx.op1("mod", {ctx.op1("mul", {turns, ctx.scalar(4, i64)}), length}), ctx.scalar(0, i64)});
  auto exact = [&](const std::string& fn) {
    const ValueId v = ctx.op1(fn, {angle});
    const ValueId snapped = ctx.op1("where", {quarter, ctx.op1("round", {v}), v});
    if (dtype == f32) return snapped;
    return ctx.op1("cast", {snapped}, {{"dtype", std::string(dtype_name(dtype))}});
  };
  const ValueId c = exact("cos"), s = exact("sin");
  const ValueId minus_s = ctx.op1("neg", {s});
  if (!complex_input) return {c, minus_s};
  return {ctx.op1("concat", {c, s}, {{"axis", int64_t{0}}}),
          ctx.op1("concat", {minus_s, c}, {{"axis", int64_t{0}}})};
}

// The transform along the last axis of re/im (rank `rank`) by its matrices, as [..., bins, 2].
ValueId transform_last_axis(NodeContext& ctx, ValueId re, ValueId im, int64_t rank,
                            const TransformMatrices& m) {
  const ValueId samples = im != kNoValue ? ctx.op1("concat", {re, im}, {{"axis", rank - 1}}) : re;
  auto part = [&](ValueId matrix) {
    return ctx.op1("unsqueeze", {ctx.op1("matmul", {samples, matrix})}, {{"axes", Ints{rank}}});
  };
  return ctx.op1("concat", {part(m.real), part(m.imaginary)}, {{"axis", rank}});
}

// `v` (rank `rank`) cut or zero-padded along its last axis from `have` to `want` values.
ValueId fit_last_axis(NodeContext& ctx, ValueId v, int64_t rank, int64_t have, int64_t want) {
  if (want < have) {
    return ctx.op1("slice", {v}, {{"starts", Ints{0}}, {"ends", Ints{want}}, {"axes", Ints{-1}}});
  }
  if (want == have) return v;
  Ints pads(static_cast<size_t>(2 * rank), 0);
  pads.back() = want - have;
  return ctx.op1("pad", {v}, {{"pads", pads}});
}

// DFT: along `axis` (an attribute before opset 20, an input from 20, default -2 then; negative
// counts from the end, the complex dim included) of [batch, ..., 1 or 2], to dft_length (input 1,
// default the axis' length); onesided keeps bins 0..L/2.
void convert_dft(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const int64_t rank = ctx.rank(x);
  if (rank < 2) ctx.fail_here(str_cat("input must have rank 2 or more, got ", rank));
  int64_t axis = ctx.opset() >= 20 ? (ctx.has_input(2) ? constant_scalar(ctx, 2, "axis") : -2)
                                   : ctx.attr_int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank - 2) {
    ctx.fail_here(str_cat("axis ", axis, " must name a signal dim of the rank-", rank,
                          " input (not its last, complex dim)"));
  }
  const bool inverse = ctx.attr_int("inverse", 0) != 0;
  const bool onesided = ctx.attr_int("onesided", 0) != 0;
  const int64_t have = static_dim(ctx, x, static_cast<size_t>(axis), "the input");
  const int64_t length = ctx.has_input(1) ? constant_scalar(ctx, 1, "dft_length") : have;
  if (length < 1) ctx.fail_here(str_cat("dft_length must be positive, got ", length));
  const int64_t bins = onesided ? length / 2 + 1 : length;

  // Move the signal axis last, transform, and put the bins where the signal axis was.
  const int64_t signal_rank = rank - 1;
  Ints to_last, back;
  for (int64_t d = 0; d < signal_rank; ++d) {
    if (d != axis) to_last.push_back(d);
  }
  to_last.push_back(axis);
  for (int64_t d = 0; d < signal_rank; ++d)
    back.push_back(d < axis ? d : d == axis ? signal_rank - 1 : d - 1);
  back.push_back(signal_rank);
  auto [re, im] = split_complex(ctx, x, rank);
  auto prepare = [&](ValueId v) {
    if (axis != signal_rank - 1) v = ctx.op1("permute", {v}, {{"perm", to_last}});
    return fit_last_axis(ctx, v, signal_rank, have, length);
  };
  re = prepare(re);
  if (im != kNoValue) im = prepare(im);
  ValueId y = transform_last_axis(
      ctx, re, im, signal_rank,
      load_time_matrices(ctx, im != kNoValue, length, bins, inverse, ctx.dtype(x)));
  if (axis != signal_rank - 1) y = ctx.op1("permute", {y}, {{"perm", back}});
  ctx.set_outputs({y});
}

// STFT: signal [batch, length, 1 or 2] cut into frames of frame_length (input 3, else the
// window's length) every frame_step samples (input 1), each multiplied by the window (input 2,
// default all ones) and transformed: [batch, frames, bins, 2]; onesided (default 1) keeps bins
// 0..L/2. frame_step and, without a window, frame_length may be run-time values.
void convert_stft(NodeContext& ctx) {
  const ValueId signal = ctx.input(0);
  if (ctx.rank(signal) != 3) {
    ctx.fail_here(str_cat("signal must be [batch, length, 1 or 2], got rank ", ctx.rank(signal)));
  }
  const DType dtype = ctx.dtype(signal);
  const DType i64 = DType::Int64;
  const ValueId window = ctx.optional_input(2);
  int64_t frame_length = -1;  // when known at load time
  if (window != kNoValue) {
    if (ctx.rank(window) != 1) ctx.fail_here("window must be 1-d");
    frame_length = static_dim(ctx, window, 0, "the window");
    if (ctx.has_input(3) && ctx.constant(3) != nullptr &&
        constant_scalar(ctx, 3, "frame_length") != frame_length) {
      ctx.fail_here(str_cat("frame_length ", constant_scalar(ctx, 3, "frame_length"),
                            " differs from the window's length ", frame_length));
    }
  } else if (!ctx.has_input(3)) {
    ctx.fail_here("needs a window or a frame_length");
  } else if (ctx.constant(3) != nullptr) {
    frame_length = constant_scalar(ctx, 3, "frame_length");
    if (frame_length < 1) ctx.fail_here(str_cat("frame_length ", frame_length, " is not positive"));
  }
  const int64_t signal_length = static_dim(ctx, signal, 1, "the signal");
  if (signal_length < frame_length) {
    ctx.fail_here(str_cat("the signal (", signal_length, " samples) is shorter than one frame (",
                          frame_length, ")"));
  }
  const bool onesided = ctx.attr_int("onesided", 1) != 0;
  const ValueId length = frame_length >= 0 ? ctx.scalar(static_cast<double>(frame_length), i64)
                                           : ctx.cast(ctx.input(3), i64);

  // Frame f holds samples f * step + n, n < frame_length, for the (length - frame_length) /
  // step + 1 frames: one gather of [frames, frame_length] positions.
  const ValueId step = ctx.cast(ctx.input(1), i64);
  const ValueId frames = ctx.op1(
      "add",
      {ctx.op1(
           "div",
           {ctx.op1("sub", {ctx.scalar(static_cast<double>(signal_length), i64), length}), step}),
       ctx.scalar(1, i64)});
  auto int_range = [&](ValueId limit) {
    return ctx.op1("arange", {}, {{"dtype", std::string("int64")}}, {{"limit", limit}});
  };
  const ValueId starts = ctx.op1("mul", {int_range(frames), step});
  const ValueId index =
      ctx.op1("add", {ctx.op1("unsqueeze", {starts}, {{"axes", Ints{1}}}),
                      ctx.op1("unsqueeze", {int_range(length)}, {{"axes", Ints{0}}})});
  auto [re, im] = split_complex(ctx, signal, 3);
  auto frame = [&](ValueId v) {
    const ValueId framed = ctx.op1("gather", {v, index}, {{"axis", int64_t{1}}});
    if (window == kNoValue) return framed;
    return ctx.op1("mul", {framed, ctx.cast(window, dtype)});
  };
  re = frame(re);
  if (im != kNoValue) im = frame(im);
  const bool complex_input = im != kNoValue;
  const TransformMatrices m =
      frame_length >= 0
          ? load_time_matrices(ctx, complex_input, frame_length,
                               onesided ? frame_length / 2 + 1 : frame_length, false, dtype)
          : run_time_matrices(ctx, complex_input, length, onesided, dtype);
  ctx.set_outputs({transform_last_axis(ctx, re, im, 3, m)});
}

}  // namespace

void register_signal_converters(ConverterTable& t) {
  t.add(
      "HannWindow", [](NodeContext& ctx) { convert_window(ctx, 0.5, 0.5, 0); }, 17);
  t.add(
      "HammingWindow", [](NodeContext& ctx) { convert_window(ctx, 25.0 / 46, 21.0 / 46, 0); }, 17);
  t.add(
      "BlackmanWindow", [](NodeContext& ctx) { convert_window(ctx, 0.42, 0.5, 0.08); }, 17);
  t.add("DFT", convert_dft, 17);
  t.add("STFT", convert_stft, 17);
}

}  // namespace wgml::onnx
