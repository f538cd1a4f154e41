#include "wgml/ops/op_table.h"

#include <algorithm>

#include "wgml/core/error.h"
#include "wgml/ops/table/families.h"

namespace wgml {

const char* op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::Elementwise:
      return "elementwise";
    case OpKind::Reduce:
      return "reduce";
    case OpKind::View:
      return "view";
    case OpKind::Kernel:
      return "kernel";
    case OpKind::Composite:
      return "composite";
  }
  return "?";
}

const InputSpec& OpDef::input_spec(size_t i) const {
  if (i >= inputs.size() && !inputs.empty() && inputs.back().variadic) return inputs.back();
  WGML_CHECK(i < inputs.size(), name, ": has no input ", i);
  return inputs[i];
}

Tensor OpBuilder::call1(const std::string& op, std::vector<Tensor> inputs, Attrs attrs) {
  std::vector<Tensor> out = call(op, std::move(inputs), std::move(attrs));
  WGML_CHECK(out.size() == 1, op, ": expected one output, got ", out.size());
  return out[0];
}

Tensor OpBuilder::constant(double value, const Tensor& like) {
  return Tensor::scalar(value, like.dtype(), like.device());
}

// --- builder -------------------------------------------------------------------------------

OpDefBuilder& OpDefBuilder::doc(const std::string& summary) {
  def_.summary = summary;
  return *this;
}

OpDefBuilder& OpDefBuilder::attr(const std::string& name, AttrValue default_value) {
  const AttrType type = attr_type_of(default_value);
  def_.attrs.push_back({name, type, std::move(default_value)});
  return *this;
}

OpDefBuilder& OpDefBuilder::required_attr(const std::string& name, AttrType type) {
  def_.attrs.push_back({name, type, std::nullopt});
  return *this;
}

OpDefBuilder& OpDefBuilder::tolerance(Tolerance tol) {
  def_.tolerance = tol;
  return *this;
}

OpDefBuilder& OpDefBuilder::backward(std::vector<expr::Expr> rules) {
  // One rule per input; an undefined rule marks an input without a gradient (a condition).
  WGML_CHECK(rules.size() == def_.inputs.size(), def_.name, ": ", rules.size(),
             " backward rules for ", def_.inputs.size(), " inputs");
  def_.backward = std::move(rules);
  return *this;
}

OpDefBuilder& OpDefBuilder::inputs(std::vector<InputSpec> specs) {
  def_.inputs = std::move(specs);
  return *this;
}

OpDefBuilder& OpDefBuilder::infer(InferFn fn) {
  def_.infer = std::move(fn);
  return *this;
}

OpDefBuilder& OpDefBuilder::decompose(DecomposeFn fn) {
  def_.decompose = std::move(fn);
  return *this;
}

OpDefBuilder& OpDefBuilder::output_dtype_from(int input) {
  def_.dtype_from_input = input;
  return *this;
}

OpDefBuilder& OpDefBuilder::predicate() {
  def_.bool_output = true;
  return *this;
}

OpDefBuilder& OpDefBuilder::dtypes(DTypeFn fn) {
  def_.dtypes = std::move(fn);
  return *this;
}

// --- table ---------------------------------------------------------------------------------

static int count_inputs(const expr::Node& node) {
  int n = node.fn == expr::Fn::Input ? node.index + 1 : 0;
  for (const auto& arg : node.args)
    n = std::max(n, count_inputs(*arg));
  return n;
}

OpDef& OpTable::add(const std::string& name, OpKind kind) {
  WGML_CHECK(find(name) == nullptr, "op table: '", name, "' is declared twice");
  ops_.push_back(std::make_unique<OpDef>());
  OpDef& def = *ops_.back();
  def.name = name;
  def.kind = kind;
  def.family = family_;
  return def;
}

OpDefBuilder OpTable::elementwise(const std::string& name, DTypeSet dtypes, expr::Expr forward) {
  OpDef& def = add(name, OpKind::Elementwise);
  static const char* const kNames[] = {"a", "b", "c"};
  const int arity = count_inputs(forward.node());
  for (int i = 0; i < arity; ++i)
    def.inputs.push_back({kNames[i], dtypes, i == 0 ? -1 : 0});
  def.forward = std::move(forward);
  return OpDefBuilder(def);
}

OpDefBuilder OpTable::reduce(const std::string& name, DTypeSet dtypes, ReduceSpec spec) {
  OpDef& def = add(name, OpKind::Reduce);
  def.inputs = {{"input", dtypes}};
  def.reduce = spec;
  def.tolerance.metric = ErrorMetric::Frobenius;
  OpDefBuilder b(def);
  if (spec.arg) {
    b.attr("axis", int64_t{0}).attr("keepdims", int64_t{0}).attr("select_last_index", int64_t{0});
  } else {
    b.attr("axes", Ints{}).attr("keepdims", int64_t{0});
  }
  return b;
}

OpDefBuilder OpTable::kernel(const std::string& name, std::vector<InputSpec> inputs,
                             InferFn infer) {
  OpDef& def = add(name, OpKind::Kernel);
  def.inputs = std::move(inputs);
  def.infer = std::move(infer);
  return OpDefBuilder(def);
}

OpDefBuilder OpTable::view(const std::string& name, DTypeSet dtypes, DecomposeFn fn) {
  OpDef& def = add(name, OpKind::View);
  def.inputs = {{"input", dtypes}};
  def.decompose = std::move(fn);
  return OpDefBuilder(def);
}

OpDefBuilder OpTable::composite(const std::string& name, std::vector<InputSpec> inputs,
                                DecomposeFn fn) {
  OpDef& def = add(name, OpKind::Composite);
  def.inputs = std::move(inputs);
  def.decompose = std::move(fn);
  return OpDefBuilder(def);
}

const OpDef* OpTable::find(const std::string& name) const {
  for (const auto& op : ops_) {
    if (op->name == name) return op.get();
  }
  return nullptr;
}

const OpDef& OpTable::get(const std::string& name) const {
  const OpDef* op = find(name);
  if (op != nullptr) return *op;
  std::vector<std::string> close;
  for (const auto& candidate : ops_) {
    if (candidate->name.find(name) != std::string::npos ||
        name.find(candidate->name) != std::string::npos) {
      close.push_back(candidate->name);
    }
  }
  fail("unknown op '", name, "'", close.empty() ? "" : "; did you mean one of ", close);
}

const OpTable& op_table() {
  static const OpTable table = [] {
    OpTable t;
    for (const OpFamily& family : op_families()) {
      t.set_family(family.name);
      family.declare(t);
    }
    return t;
  }();
  return table;
}

}  // namespace wgml
