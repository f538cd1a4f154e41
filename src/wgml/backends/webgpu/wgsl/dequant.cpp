#include "wgml/backends/webgpu/wgsl/dequant.h"

#include "wgml/core/error.h"

namespace wgml::wgsl {

namespace {

// `index` (a u32 expression) times a stride, as a term to add; nothing when it is 0.
std::string term(const std::string& index, int64_t stride) {
  if (stride == 0) return "";
  return " + " + index + (stride == 1 ? "" : " * " + u32_literal(stride));
}

// (q - zero) * scale in `type` from the WGSL expressions of q (i32), zero and scale (their
// loads, or empty when absent).
std::string dequantized(ShaderWriter& w, const std::string& q, const std::string& zero,
                        DType zero_dtype, const std::string& scale, const std::string& type) {
  std::string v = convert(q, "i32", type);
  if (!zero.empty()) {
    const std::string from = compute_type(zero_dtype);
    if (from != type && type == "i32") w.need("f2i");
    v = "(" + v + " - " + convert(zero, from, type) + ")";
  }
  if (!scale.empty()) v += " * " + scale;
  return v;
}

}  // namespace

void declare_dequant_matrix(ShaderWriter& w, const std::string& name, const DequantMatrix& d,
                            const std::vector<Tensor>& in, const std::string& type) {
  const Tensor& q = in[1];
  w.input(name + "_q", q);
  if (d.has_scale) w.input(name + "_s", in[2]);
  if (d.has_zero) w.input(name + "_z", in[3]);
  // A [Gk, Gn] parameter's element for (k, n): its rows advance every `block` k's.
  const auto param = [&](const Tensor& t, int64_t rows, int64_t cols) {
    std::string at = u32_literal(t.offset());
    if (rows > 1) at += term("(k / " + u32_literal(d.block) + ")", t.strides()[0]);
    if (cols > 1) at += term("n", t.strides()[t.rank() - 1]);
    return at;
  };
  std::string qv;
  if (d.bits == 8) {
    qv = name + "_q_load(" + u32_literal(q.offset()) + term("k", q.strides()[0]) +
         term("n", q.strides()[1]) + ")";
  } else {
    // Two k's per byte of row n, the lower k in the low nibble.
    qv = "((" + name + "_q_load(" + u32_literal(q.offset()) + term("n", q.strides()[0]) +
         term("(k / 2u)", q.strides()[1]) + ") >> ((k & 1u) * 4u)) & 15)";
  }
  const std::string zero =
      d.has_zero ? name + "_z_load(" + param(in[3], d.zero_k, d.zero_n) + ")" : "";
  const std::string scale =
      d.has_scale ? name + "_s_load(" + param(in[2], d.scale_k, d.scale_n) + ")" : "";
  w.decl() << "// Element (k, n) of the weight, dequantized from its stored bytes.\n"
           << "fn " << name << "_at(n: u32, k: u32) -> " << type << " {\n"
           << "  return "
           << dequantized(w, qv, zero, d.has_zero ? in[3].dtype() : DType::Int32, scale, type)
           << ";\n}\n";
}

void declare_dequant_channels(ShaderWriter& w, const std::string& name,
                              const std::vector<Tensor>& in, const std::string& type) {
  int64_t scales = 0, zeros = 0;
  dequant_channels(in, &scales, &zeros);
  const Tensor& q = in[1];
  WGML_CHECK(q.is_contiguous(), "conv_dequant: q must be contiguous");
  w.input(name + "_q", q);
  if (scales > 0) w.input(name + "_s", in[2]);
  if (zeros > 0) w.input(name + "_z", in[3]);
  const int64_t per_channel = q.shape()[0] == 0 ? 1 : q.numel() / q.shape()[0];
  // A per-channel parameter's element for output channel m (its only one when it has one).
  const auto param = [&](const Tensor& t, int64_t entries) {
    std::string at = u32_literal(t.offset());
    if (entries > 1) at += term("m", t.strides()[0]);
    return at;
  };
  w.decl() << "// Element e of the weight's storage, dequantized with its output channel's "
              "parameters.\n"
           << "fn " << name << "_load(e: u32) -> " << type << " {\n"
           << "  let m = (e - " << u32_literal(q.offset()) << ") / " << u32_literal(per_channel)
           << ";\n"
           << "  return "
           << dequantized(w, name + "_q_load(e)",
                          zeros > 0 ? name + "_z_load(" + param(in[3], zeros) + ")" : "",
                          zeros > 0 ? in[3].dtype() : DType::Int32,
                          scales > 0 ? name + "_s_load(" + param(in[2], scales) + ")" : "", type)
           << ";\n}\n";
}

}  // namespace wgml::wgsl
