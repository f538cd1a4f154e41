// Elementwise kernels from the op table's expressions: the AST is rendered to WGSL once per
// call, with every operand's broadcast strides baked in and axes merged where the layouts allow
// (a contiguous add is one index per element, a transposed one a few divisions).
#include <map>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/error.h"

namespace wgml::wgsl {

namespace {

using expr::Fn;

// Renders an expression DAG as `let` statements; shared nodes are computed once.
class ExprRenderer {
 public:
  // `code`: where the `let` statements go (main's body, or a helper function's).
  ExprRenderer(ShaderWriter& w, std::ostringstream& code, const Attrs& attrs, std::string type,
               std::vector<std::string> operands)
      : w_(w), code_(code), attrs_(attrs), type_(std::move(type)), operands_(std::move(operands)) {}

  std::string render(const expr::Node& node) {
    auto it = names_.find(&node);
    if (it != names_.end()) return it->second;
    const std::string value = compute(node);
    const std::string name = "v" + std::to_string(names_.size());
    code_ << "  let " << name << " = " << value << ";\n";
    names_[&node] = name;
    return name;
  }

 private:
  std::string lit(double v) const { return literal(v, type_); }
  std::string zero() const { return lit(0); }
  std::string as_type(const std::string& b) const { return type_ + "(" + b + ")"; }
  // x as a truth value: nonzero, NaN included.
  std::string truthy(const std::string& x) {
    if (type_ != "f32") return "(" + x + " != " + zero() + ")";
    w_.need("isnan");
    return "(" + x + " != " + zero() + " || wgml_isnan(" + x + "))";
  }
  // A float comparison that is false when either side is NaN.
  std::string ordered(const std::string& comparison, const std::vector<std::string>& a) {
    if (type_ != "f32") return "(" + comparison + ")";
    w_.need("isnan");
    return "(" + comparison + " && !wgml_isnan(" + a[0] + ") && !wgml_isnan(" + a[1] + "))";
  }

  std::string compute(const expr::Node& n) {
    const bool f = type_ == "f32";
    std::vector<std::string> a;
    for (const auto& arg : n.args)
      a.push_back(render(*arg));
    switch (n.fn) {
      case Fn::Input:
        WGML_CHECK(n.index < static_cast<int>(operands_.size()), "wgsl: input ", n.index,
                   " out of range");
        return operands_[n.index];
      case Fn::Output:
      case Fn::Grad:
        fail("wgsl: backward rules are not generated for WebGPU yet");
      case Fn::Param:
        return lit(attrs_.f(n.param));
      case Fn::Const:
        return lit(n.value);
      case Fn::Neg:
        return f ? "-" + a[0] : "0i - " + a[0];
      case Fn::Abs:
        return "abs(" + a[0] + ")";
      case Fn::Sign:
        return "sign(" + a[0] + ")";
      case Fn::Exp:
        return "exp(" + a[0] + ")";
      case Fn::Log:
        w_.need("log1p");
        return "wgml_log(" + a[0] + ")";
      case Fn::Sqrt:
        return "sqrt(" + a[0] + ")";
      case Fn::Sin:
        return "sin(" + a[0] + ")";
      case Fn::Cos:
        return "cos(" + a[0] + ")";
      case Fn::Tan:
        return "tan(" + a[0] + ")";
      case Fn::Tanh:
        w_.need("tanh");
        return "wgml_tanh(" + a[0] + ")";
      case Fn::Asin:
        w_.need("atan");
        return "wgml_asin(" + a[0] + ")";
      case Fn::Acos:
        w_.need("atan");
        return "wgml_acos(" + a[0] + ")";
      case Fn::Atan:
        w_.need("atan");
        return "wgml_atan(" + a[0] + ")";
      case Fn::Erf:
        w_.need("erf");
        return "wgml_erf(" + a[0] + ")";
      case Fn::Erfc:
        w_.need("erf");
        return "wgml_erfc(" + a[0] + ")";
      case Fn::Log1p:
        w_.need("log1p");
        return "wgml_log1p(" + a[0] + ")";
      case Fn::Expm1:
        w_.need("log1p");
        return "wgml_expm1(" + a[0] + ")";
      case Fn::RoundF32:  // computed in f32 already
        return a[0];
      case Fn::Floor:
        return f ? "floor(" + a[0] + ")" : a[0];
      case Fn::Ceil:
        return f ? "ceil(" + a[0] + ")" : a[0];
      case Fn::Round:  // WGSL's round breaks ties to even, as the engine specifies
        return f ? "round(" + a[0] + ")" : a[0];
      case Fn::IsNan:
        if (!f) return zero();
        w_.need("isnan");
        return as_type("wgml_isnan(" + a[0] + ")");
      case Fn::IsInf:
        if (!f) return zero();
        w_.need("isnan");
        return as_type("wgml_isinf(" + a[0] + ")");
      case Fn::Not:
        return as_type("!" + truthy(a[0]));
      case Fn::Add:
        return a[0] + " + " + a[1];
      case Fn::Sub:
        return a[0] + " - " + a[1];
      case Fn::Mul:
        return a[0] + " * " + a[1];
      case Fn::Div:
        if (f) return a[0] + " / " + a[1];
        w_.need("idiv");
        return "wgml_idiv(" + a[0] + ", " + a[1] + ")";
      case Fn::Pow:
        w_.need(f ? "pow" : "idiv");
        return (f ? "wgml_pow(" : "wgml_ipow(") + a[0] + ", " + a[1] + ")";
      case Fn::Max:
        if (!f) return "max(" + a[0] + ", " + a[1] + ")";
        w_.need("fmax");
        return "wgml_fmax(" + a[0] + ", " + a[1] + ")";
      case Fn::Min:
        if (!f) return "min(" + a[0] + ", " + a[1] + ")";
        w_.need("fmax");
        return "wgml_fmin(" + a[0] + ", " + a[1] + ")";
      case Fn::Mod:
        w_.need(f ? "fmod" : "idiv");
        return (f ? "wgml_fmodf(" : "wgml_imod(") + a[0] + ", " + a[1] + ")";
      case Fn::FMod:
        w_.need(f ? "fmod" : "idiv");
        return (f ? "wgml_fmod(" : "wgml_ifmod(") + a[0] + ", " + a[1] + ")";
      // Comparisons and truth values test NaN by its bits: GPU drivers (NVIDIA's Vulkan one,
      // seen on an H100) may fold a float comparison as if NaN never occurred.
      case Fn::Eq:
        return as_type(ordered(a[0] + " == " + a[1], a));
      case Fn::Ne:
        return as_type(f ? "!" + ordered(a[0] + " == " + a[1], a) : a[0] + " != " + a[1]);
      case Fn::Lt:
        return as_type(ordered(a[0] + " < " + a[1], a));
      case Fn::Le:
        return as_type(ordered(a[0] + " <= " + a[1], a));
      case Fn::Gt:
        return as_type(ordered(a[0] + " > " + a[1], a));
      case Fn::Ge:
        return as_type(ordered(a[0] + " >= " + a[1], a));
      case Fn::And:
        return as_type(truthy(a[0]) + " && " + truthy(a[1]));
      case Fn::Or:
        return as_type(truthy(a[0]) + " || " + truthy(a[1]));
      case Fn::Xor:
        return as_type(truthy(a[0]) + " != " + truthy(a[1]));
      case Fn::Select:
        return "select(" + a[2] + ", " + a[1] + ", " + truthy(a[0]) + ")";
    }
    fail("wgsl: unhandled expression function ", expr::fn_name(n.fn));
  }

  ShaderWriter& w_;
  std::ostringstream& code_;
  const Attrs& attrs_;
  std::string type_;
  std::vector<std::string> operands_;
  std::map<const expr::Node*, std::string> names_;
};

// Views of the operands in the output's index space (stride 0 along broadcast axes), with axes
// merged where every view allows it and size-1 axes dropped: fewer divisions per element.
std::vector<Tensor> merged_views(const std::vector<Tensor>& operands, const Tensor& out) {
  const Shape& shape = out.shape();
  std::vector<Strides> strides;
  for (const Tensor* t : [&] {
         std::vector<const Tensor*> all{&out};
         for (const Tensor& o : operands)
           all.push_back(&o);
         return all;
       }()) {
    strides.push_back(broadcast_view(*t, shape).strides());
  }
  Shape merged_shape;
  std::vector<Strides> merged(strides.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool can_merge = !merged_shape.empty();
    for (size_t k = 0; k < strides.size() && can_merge; ++k)
      can_merge = merged[k].back() == strides[k][d] * shape[d];
    if (can_merge) {
      merged_shape.back() *= shape[d];
      for (size_t k = 0; k < strides.size(); ++k)
        merged[k].back() = strides[k][d];
    } else {
      merged_shape.push_back(shape[d]);
      for (size_t k = 0; k < strides.size(); ++k)
        merged[k].push_back(strides[k][d]);
    }
  }
  std::vector<Tensor> views;
  views.push_back(out.with_view(merged_shape, merged[0], out.offset()));
  for (size_t k = 0; k < operands.size(); ++k)
    views.push_back(operands[k].with_view(merged_shape, merged[k + 1], operands[k].offset()));
  return views;
}

// One invocation per output element: load each operand in the expression's compute type,
// evaluate, store in the output's dtype.
void run_expression(const std::string& label, const expr::Node& root, const Attrs& attrs,
                    const std::vector<Tensor>& operands, Tensor& out, Recorder& recorder) {
  const int64_t count = out.numel();
  if (count == 0) return;
  bool any_float = is_floating(out.dtype());
  for (const Tensor& t : operands)
    any_float = any_float || is_floating(t.dtype());
  const std::string type = any_float ? "f32" : "i32";
  const std::vector<Tensor> views = merged_views(operands, out);
  ShaderWriter w(label, recorder.adapter());
  w.output("out", out);
  const Shape& shape = views[0].shape();
  emit_coords(w.body(), "gid", shape, "c");
  const std::vector<std::string> coords = coord_names("c", shape.size());
  std::vector<std::string> loaded;
  for (size_t k = 0; k < operands.size(); ++k) {
    const std::string name = "in" + std::to_string(k);
    w.input(name, operands[k]);
    const std::string ct = compute_type(operands[k].dtype());
    if (ct != type) w.need("f2i");
    w.body() << "  let " << name
             << "v = " << convert(name + "_load(" + offset_of(views[k + 1], coords) + ")", ct, type)
             << ";\n";
    loaded.push_back(name + "v");
  }
  ExprRenderer renderer(w, w.body(), attrs, type, loaded);
  const std::string result = renderer.render(root);
  const std::string out_type = compute_type(out.dtype());
  if (out_type != type) w.need("f2i");
  // bool keeps "is non-zero" (0.5 -> true), where a cast to an integer would truncate.
  const std::string stored = out.dtype() == DType::Bool
                                 ? "select(0i, 1i, " + result + " != " + literal(0, type) + ")"
                                 : convert(result, type, out_type);
  w.body() << "  out_store(" << offset_of(views[0], coords) << ", " << stored << ");\n";
  // Large tensors: four elements per invocation, a grid apart, amortise the index arithmetic.
  recorder.run(w.finish_strided(static_cast<uint64_t>(count), count >= (1 << 20) ? 4 : 1));
}

}  // namespace

void run_elementwise(const OpCall& call, const std::vector<Tensor>& inputs, Tensor& out,
                     Recorder& recorder) {
  run_expression(call.name(), call.op->forward.node(), call.attrs, inputs, out, recorder);
}

void bind_output(ShaderWriter& w, const std::string& name, const Tensor& out, const OpCall& call) {
  if (call.epilogue == nullptr) {
    w.output(name, out);
    return;
  }
  WGML_CHECK(out.dtype() == DType::Float32 && out.is_contiguous(), call.name(),
             ": an epilogue needs a contiguous float32 output");
  w.output(name + "_product", out);
  const std::vector<Tensor>& extra = call.epilogue_inputs;
  const std::vector<Tensor> views = merged_views(extra, out);
  auto& d = w.decl();
  d << "// Stores element e of " << name << ": " << call.epilogue->name << " of the value.\n"
    << "fn " << name << "_store(e: u32, v: f32) {\n";
  emit_coords(d, "(e - " + u32_literal(out.offset()) + ")", views[0].shape(), "c");
  const std::vector<std::string> coords = coord_names("c", views[0].rank());
  std::vector<std::string> loaded = {"v"};
  for (size_t k = 0; k < extra.size(); ++k) {
    WGML_CHECK(extra[k].dtype() == DType::Float32, call.epilogue->name, ": input ", k + 1, " is ",
               extra[k].dtype(), ", not float32");
    const std::string in = name + "_in" + std::to_string(k);
    w.input(in, extra[k]);
    d << "  let " << in << "v = " << in << "_load(" << offset_of(views[k + 1], coords) << ");\n";
    loaded.push_back(in + "v");
  }
  ExprRenderer renderer(w, d, Attrs{}, "f32", loaded);
  const std::string result = renderer.render(call.epilogue->forward.node());
  d << "  " << name << "_product_store(e, " << result << ");\n}\n";
}

void run_split_sum(const OpCall& call, const Tensor& part, int64_t splits, const Tensor* bias,
                   const std::string& bias_at, Tensor& out, Recorder& recorder) {
  ShaderWriter s(call.name() + " split-k sum", recorder.adapter());
  s.input("part", part);
  if (bias) s.input("b", *bias);
  bind_output(s, "out", out, call);
  auto& b = s.body();
  b << "  var acc = part_load(gid);\n";
  for (int64_t k = 1; k < splits; ++k)
    b << "  acc += part_load(gid + " << u32_literal(k * out.numel()) << ");\n";
  if (bias) b << "  acc += b_load(" << bias_at << ");\n";
  b << "  out_store(gid, acc);\n";
  recorder.run(s.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

void run_copy(const std::string& label, const Tensor& src, Tensor& dst, Recorder& recorder) {
  static const expr::Expr identity = expr::input(0);
  run_expression(label, identity.node(), Attrs{}, {src}, dst, recorder);
}

namespace {

void copy_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                 std::vector<Tensor>& outputs, Recorder& recorder) {
  const Tensor& src = inputs[0];
  Tensor& dst = outputs[0];
  if (src.dtype() != dst.dtype() || dtype_size(src.dtype()) != 8 || dst.numel() == 0) {
    run_copy(call.name(), src, dst, recorder);
    return;
  }
  // int64, uint64, float64: both words move, so values keep every bit.
  ShaderWriter w(call.name(), recorder.adapter());
  w.input("src", src);
  w.output("dst", dst);
  emit_coords(w.body(), "gid", dst.shape(), "c");
  const std::vector<std::string> coords = coord_names("c", dst.rank());
  w.body() << "  "
           << move_element(src.dtype(), "src", offset_of(src, coords), "dst",
                           offset_of(dst, coords))
           << "\n";
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(dst.numel())));
}

}  // namespace

extern const std::vector<Kernel> kCopyKernels = {{"copy", copy_kernel}, {"cast", copy_kernel}};

}  // namespace wgml::wgsl
