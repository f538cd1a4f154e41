// Random numbers: RandomUniform(Like), RandomNormal(Like), Bernoulli, Multinomial and
// training-mode Dropout (onnx_ops_elementwise.cpp), with no op-table op of their own.
// A counter-based generator written with existing integer elementwise ops: element n of the
// output hashes its index with a key taken from the seed. All arithmetic is int32 that never
// overflows (the CPU computes integers in int64, WebGPU in i32; both then agree exactly): words
// live mod the prime P = 46337 (P^2 < 2^31, P = 2 mod 3, so x -> x^3 is a bijection mod P), and a
// round is x -> x^3, x -> (A x + k) mod P, a keyed nonlinear permutation of Z_P. The index is
// split as n mod P and floor(n / P) mod P (outputs of up to P^2 ~ 2^31 elements), each word is
// perm2(perm1(n mod P) + floor(n / P)), and a uniform draw combines two words:
// u = (w1 P + w2 + 1/2) / P^2 in (0, 1), 31 bits. Normal draws use Box-Muller (two uniforms).
// A shape known at load makes the whole chain fold into a constant at load (the values are the
// same on every run, for a seed); a large output (over the folding limit) runs on the device as
// ordinary elementwise nodes, never silently on the CPU. The values are not those of ONNX
// Runtime's generator (std::mt19937 with its own seeding), only the distributions are.
// Without the `seed` attribute the seed is a fixed hash of the node's first output name, so a
// model's draws are the same on every load.
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"

namespace wgml::onnx {

namespace {

constexpr int64_t kP = 46337;

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

struct Key {
  uint64_t state;
  int64_t next(int64_t lo, int64_t hi) {  // in [lo, hi)
    return lo + static_cast<int64_t>(splitmix(state) % static_cast<uint64_t>(hi - lo));
  }
};

uint64_t seed_of(NodeContext& ctx) {
  if (ctx.has_attr("seed")) {
    const auto f = static_cast<float>(ctx.attr_float("seed", 0));
    uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    return bits ^ 0x5eed5eedULL;
  }
  uint64_t h = 1469598103934665603ULL;  // FNV-1a of the node's first output name
  for (char ch : ctx.node().outputs.empty() ? std::string() : ctx.node().outputs[0])
    h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
  return h;
}

ValueId i32(NodeContext& ctx, int64_t v) {
  return ctx.scalar(static_cast<double>(v), DType::Int32);
}

ValueId mod_p(NodeContext& ctx, ValueId x) {
  return ctx.op1("mod", {x, i32(ctx, kP)});
}

// A keyed permutation of Z_P: two rounds of cube, then affine.
ValueId permute(NodeContext& ctx, ValueId x, Key& key) {
  for (int round = 0; round < 2; ++round) {
    const ValueId sq = mod_p(ctx, ctx.op1("mul", {x, x}));
    x = mod_p(ctx, ctx.op1("mul", {sq, x}));
    x = ctx.op1("mul", {x, i32(ctx, key.next(2, kP))});
    x = mod_p(ctx, ctx.op1("add", {x, i32(ctx, key.next(0, kP))}));
  }
  return x;
}

struct Counter {
  ValueId lo, hi;  // n mod P, floor(n / P) mod P (int32)
};

Counter split_counter(NodeContext& ctx, ValueId n) {
  return {mod_p(ctx, n), mod_p(ctx, ctx.op1("div", {n, i32(ctx, kP)}))};
}

// The element index of every element of a tensor of shape `shape` (static), as a constant.
ValueId static_index(NodeContext& ctx, const Shape& shape) {
  int64_t numel = 1;
  for (int64_t d : shape)
    numel *= d;
  if (numel > kP * kP) ctx.fail_here(str_cat("draws more than ", kP * kP, " random numbers"));
  std::vector<int32_t> values(static_cast<size_t>(numel));
  for (int64_t i = 0; i < numel; ++i)
    values[static_cast<size_t>(i)] = static_cast<int32_t>(i);
  return ctx.constant_value(Tensor::from_vector(values, shape, DType::Int32));
}

// The element index of every element of `like` (any shape): an exclusive cumsum of ones.
ValueId index_like(NodeContext& ctx, ValueId like) {
  if (const graph::SymShape* s = ctx.shape(like)) {
    Shape shape;
    bool known = true;
    for (const graph::SymDim& d : *s) {
      known = known && d.is_static();
      shape.push_back(d.value);
    }
    if (known) return static_index(ctx, shape);
  }
  const ValueId shape = ctx.shape_of(like);
  const ValueId ones = ctx.op1("expand", {i32(ctx, 1)}, {}, {{"shape", shape}});
  const ValueId flat = ctx.op1("reshape", {ones}, {{"shape", Ints{-1}}});
  const ValueId index =
      ctx.op1("cumsum", {flat}, {{"axis", int64_t{0}}, {"exclusive", int64_t{1}}});
  return ctx.op1("reshape", {index}, {}, {{"shape", shape}});
}

// One uniform draw in (0, 1) per element of `index`, float32.
ValueId uniform(NodeContext& ctx, ValueId index, Key& key) {
  const Counter c = split_counter(ctx, index);
  ValueId words[2];
  for (ValueId& w : words) {
    const ValueId a = permute(ctx, c.lo, key);
    w = permute(ctx, mod_p(ctx, ctx.op1("add", {a, c.hi})), key);
    w = ctx.cast(w, DType::Float32);
  }
  const double p = static_cast<double>(kP);
  const ValueId hi = ctx.op1("mul", {words[0], ctx.scalar(p, DType::Float32)});
  const ValueId sum =
      ctx.op1("add", {ctx.op1("add", {hi, words[1]}), ctx.scalar(0.5, DType::Float32)});
  return ctx.op1("mul", {sum, ctx.scalar(1.0 / (p * p), DType::Float32)});
}

ValueId normal(NodeContext& ctx, ValueId index, Key& key) {
  const ValueId u1 = uniform(ctx, index, key), u2 = uniform(ctx, index, key);
  const ValueId radius =
      ctx.op1("sqrt", {ctx.op1("mul", {ctx.op1("log", {u1}), ctx.scalar(-2, DType::Float32)})});
  const ValueId angle = ctx.op1("mul", {u2, ctx.scalar(2 * M_PI, DType::Float32)});
  return ctx.op1("mul", {radius, ctx.op1("cos", {angle})});
}

DType float_dtype(NodeContext& ctx, int64_t onnx_type) {
  const DType d = engine_dtype(static_cast<int32_t>(onnx_type), ctx.source() + ": dtype");
  if (!is_floating(d)) ctx.fail_here(str_cat("dtype must be a float type, got ", d));
  return d;
}

ValueId shaped_index(NodeContext& ctx) {
  Shape shape;
  for (int64_t d : ctx.required_ints("shape")) {
    if (d < 0) ctx.fail_here(str_cat("shape ", ctx.attr_ints("shape"), " has a negative dim"));
    shape.push_back(d);
  }
  return static_index(ctx, shape);
}

ValueId scale_shift(NodeContext& ctx, ValueId x, double scale, double shift, DType dtype) {
  x = ctx.op1("add", {ctx.op1("mul", {x, ctx.scalar(scale, DType::Float32)}),
                      ctx.scalar(shift, DType::Float32)});
  return ctx.cast(x, dtype);
}

// The output dtype and the per-element counters of RandomUniform/Normal (a shape attribute) or
// their Like forms (the input's shape; its dtype unless `dtype` is given).
std::pair<DType, ValueId> random_target(NodeContext& ctx, bool like) {
  if (!like) return {float_dtype(ctx, ctx.attr_int("dtype", 1)), shaped_index(ctx)};
  const DType dtype =
      ctx.has_attr("dtype") ? float_dtype(ctx, ctx.attr_int("dtype", 1)) : ctx.dtype(ctx.input(0));
  return {dtype, index_like(ctx, ctx.input(0))};
}

void convert_random_uniform(NodeContext& ctx, bool like) {
  Key key{seed_of(ctx)};
  const double low = ctx.attr_float("low", 0), high = ctx.attr_float("high", 1);
  const auto [dtype, index] = random_target(ctx, like);
  ctx.set_outputs({scale_shift(ctx, uniform(ctx, index, key), high - low, low, dtype)});
}

void convert_random_normal(NodeContext& ctx, bool like) {
  Key key{seed_of(ctx)};
  const double mean = ctx.attr_float("mean", 0), scale = ctx.attr_float("scale", 1);
  const auto [dtype, index] = random_target(ctx, like);
  ctx.set_outputs({scale_shift(ctx, normal(ctx, index, key), scale, mean, dtype)});
}

// Bernoulli: 1 where a uniform draw is below the input's probability.
void convert_bernoulli(NodeContext& ctx) {
  Key key{seed_of(ctx)};
  const ValueId p = ctx.input(0);
  const DType dtype =
      ctx.has_attr("dtype")
          ? engine_dtype(static_cast<int32_t>(ctx.attr_int("dtype", 1)), ctx.source() + ": dtype")
          : ctx.dtype(p);
  const ValueId u = uniform(ctx, index_like(ctx, p), key);
  ctx.set_outputs({ctx.cast(ctx.op1("less", {u, ctx.cast(p, DType::Float32)}), dtype)});
}

// Multinomial: per batch row, sample_size class indices drawn from softmax(input): the count of
// cumulative probabilities below a uniform draw (clamped to the last class).
void convert_multinomial(NodeContext& ctx) {
  Key key{seed_of(ctx)};
  const ValueId x = ctx.input(0);
  const graph::SymShape* s = ctx.shape(x);
  if (s == nullptr || s->size() != 2 || !(*s)[0].is_static() || !(*s)[1].is_static())
    ctx.fail_here("needs a [batch, classes] input whose dims are known at load");
  const int64_t batch = (*s)[0].value, classes = (*s)[1].value;
  const int64_t samples = ctx.attr_int("sample_size", 1);
  const DType dtype =
      engine_dtype(static_cast<int32_t>(ctx.attr_int("dtype", 6)), ctx.source() + ": dtype");
  if (!is_integral(dtype)) ctx.fail_here("dtype must be int32 or int64");
  const ValueId probs = ctx.op1("softmax", {ctx.cast(x, DType::Float32)}, {{"axis", int64_t{1}}});
  const ValueId cdf = ctx.op1("cumsum", {probs}, {{"axis", int64_t{1}}});
  const ValueId u = uniform(ctx, static_index(ctx, {batch, samples}), key);
  const ValueId below = ctx.op1("less", {ctx.op1("unsqueeze", {cdf}, {{"axes", Ints{1}}}),
                                         ctx.op1("unsqueeze", {u}, {{"axes", Ints{2}}})});
  ValueId count = ctx.op1("sum", {ctx.cast(below, DType::Int32)},
                          {{"axes", Ints{2}}, {"keepdims", int64_t{0}}});
  count = ctx.op1("minimum", {count, i32(ctx, classes - 1)});
  ctx.set_outputs({ctx.cast(count, dtype)});
}

}  // namespace

ValueId random_uniform_like(NodeContext& ctx, ValueId like) {
  Key key{seed_of(ctx)};
  return uniform(ctx, index_like(ctx, like), key);
}

void register_random_converters(ConverterTable& t) {
  t.add("RandomUniform", [](NodeContext& c) { convert_random_uniform(c, false); });
  t.add("RandomUniformLike", [](NodeContext& c) { convert_random_uniform(c, true); });
  t.add("RandomNormal", [](NodeContext& c) { convert_random_normal(c, false); });
  t.add("RandomNormalLike", [](NodeContext& c) { convert_random_normal(c, true); });
  t.add("Bernoulli", convert_bernoulli, 15);
  t.add("Multinomial", convert_multinomial, 7);
}

}  // namespace wgml::onnx
