#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"

namespace wgml::onnx {

NodeContext::NodeContext(graph::GraphBuilder& builder, const NodeProto& node, int64_t opset,
                         std::vector<ValueId> inputs, std::string base_dir,
                         std::vector<const ListValue*> lists)
    : builder_(builder),
      node_(node),
      opset_(opset),
      inputs_(std::move(inputs)),
      base_dir_(std::move(base_dir)),
      source_(node.op_type + " node '" + node.name + "'"),
      lists_(std::move(lists)) {}

std::vector<Operand> NodeContext::inline_graph(const std::string& attr_name,
                                               const std::vector<Operand>& bound) {
  const GraphProto& g = attr_graph(attr_name);
  if (!inliner_) fail_here("subgraphs cannot be converted here");
  return inliner_(g, bound);
}

const ListValue& NodeContext::list_input(size_t i) const {
  const ListValue* list = list_at(i);
  if (list == nullptr)
    fail_here("input " + std::to_string(i) +
              (has_input(i) ? " must be a sequence or optional" : " is required but missing"));
  return *list;
}

void NodeContext::set_operands(const std::vector<Operand>& outputs) {
  outputs_.clear();
  list_outputs_.clear();
  for (size_t i = 0; i < outputs.size(); ++i) {
    outputs_.push_back(outputs[i].value);
    if (outputs[i].list) list_outputs_[i] = *outputs[i].list;
  }
}

const GraphProto& NodeContext::attr_graph(const std::string& name) const {
  const AttributeProto* a = node_.attribute(name);
  if (a == nullptr || a->type != AttributeProto::Graph || a->graphs.empty() || !a->graphs[0])
    fail_here("needs the graph attribute '" + name + "'");
  return *a->graphs[0];
}

NodeContext::ImportedBody NodeContext::import_body(const GraphProto& body,
                                                   const std::vector<BodyType>& declared,
                                                   const std::map<std::string, ValueId>& extra) {
  if (!body_importer_) fail_here("subgraphs cannot be converted here");
  return body_importer_(body, declared, extra);
}

void NodeContext::fail_here(const std::string& message) const {
  fail(source_, ": ", message);
}

bool NodeContext::has_input(size_t i) const {
  return i < inputs_.size() && inputs_[i] != graph::kNoValue;
}

ValueId NodeContext::input(size_t i) const {
  if (list_at(i) != nullptr)
    fail_here("input " + std::to_string(i) + " ('" + node_.inputs.at(i) +
              "') is a sequence or optional; this op takes a tensor");
  if (!has_input(i)) fail_here("input " + std::to_string(i) + " is required but missing");
  return inputs_[i];
}

ValueId NodeContext::optional_input(size_t i) const {
  return has_input(i) ? inputs_[i] : graph::kNoValue;
}

const Tensor* NodeContext::constant(size_t i) const {
  return has_input(i) ? builder_.constant_of(inputs_[i]) : nullptr;
}

Ints NodeContext::constant_ints(size_t i) const {
  const Tensor* t = constant(i);
  if (t == nullptr)
    fail_here("input " + std::to_string(i) + " ('" + node_.inputs.at(i) +
              "') must be known when the model loads (a constant or computed from shapes)");
  WGML_CHECK(is_integral(t->dtype()), source_, ": input ", i, " must hold integers, got ",
             t->dtype());
  return t->to_vector<int64_t>();
}

Floats NodeContext::constant_floats(size_t i) const {
  const Tensor* t = constant(i);
  if (t == nullptr)
    fail_here("input " + std::to_string(i) + " ('" + node_.inputs.at(i) +
              "') must be known when the model loads");
  return t->to_vector<double>();
}

DType NodeContext::dtype(ValueId v) const {
  return builder_.value(v).dtype;  // always known: types never wait for shapes
}

int64_t NodeContext::rank(ValueId v) const {
  const graph::Value& value = builder_.value(v);
  return value.shape_known ? static_cast<int64_t>(value.shape.size()) : -1;
}

const graph::SymShape* NodeContext::shape(ValueId v) const {
  const graph::Value& value = builder_.value(v);
  return value.shape_known ? &value.shape : nullptr;
}

int64_t NodeContext::known_rank(ValueId v, const std::string& what) const {
  const int64_t r = rank(v);
  if (r < 0) fail_here("the rank of " + what + " is not known when the model loads");
  return r;
}

int64_t NodeContext::static_dim(ValueId v, int64_t axis) const {
  const graph::SymShape* s = shape(v);
  if (s == nullptr) return -1;
  if (axis < 0) axis += static_cast<int64_t>(s->size());
  if (axis < 0 || axis >= static_cast<int64_t>(s->size())) return -1;
  const graph::SymDim& d = (*s)[static_cast<size_t>(axis)];
  return d.is_static() ? d.value : -1;
}

bool NodeContext::wants_output(size_t i) const {
  return i < node_.outputs.size() && !node_.outputs[i].empty();
}

bool NodeContext::has_attr(const std::string& name) const {
  return node_.attribute(name) != nullptr;
}

namespace {
const char* attr_type_label(int32_t type) {
  switch (type) {
    case AttributeProto::Float:
      return "float";
    case AttributeProto::Int:
      return "int";
    case AttributeProto::String:
      return "string";
    case AttributeProto::Tensor:
      return "tensor";
    case AttributeProto::Graph:
      return "graph";
    case AttributeProto::Floats:
      return "floats";
    case AttributeProto::Ints:
      return "ints";
    case AttributeProto::Strings:
      return "strings";
    default:
      return "another type";
  }
}
}  // namespace

#define WGML_ATTR_TYPE(attr, expected)                                                    \
  WGML_CHECK((attr)->type == (expected), source_, ": attribute '", (attr)->name, "' is ", \
             attr_type_label((attr)->type), ", expected ", attr_type_label(expected))

int64_t NodeContext::attr_int(const std::string& name, int64_t fallback) const {
  const AttributeProto* a = node_.attribute(name);
  if (a == nullptr) return fallback;
  WGML_ATTR_TYPE(a, AttributeProto::Int);
  return a->i;
}

double NodeContext::attr_float(const std::string& name, double fallback) const {
  const AttributeProto* a = node_.attribute(name);
  if (a == nullptr) return fallback;
  if (a->type == AttributeProto::Int) return static_cast<double>(a->i);
  WGML_ATTR_TYPE(a, AttributeProto::Float);
  return a->f;
}

std::string NodeContext::attr_string(const std::string& name, const std::string& fallback) const {
  const AttributeProto* a = node_.attribute(name);
  if (a == nullptr) return fallback;
  WGML_ATTR_TYPE(a, AttributeProto::String);
  return a->s;
}

Ints NodeContext::attr_ints(const std::string& name, const Ints& fallback) const {
  const AttributeProto* a = node_.attribute(name);
  if (a == nullptr) return fallback;
  WGML_ATTR_TYPE(a, AttributeProto::Ints);
  return a->ints;
}

Floats NodeContext::attr_floats(const std::string& name, const Floats& fallback) const {
  const AttributeProto* a = node_.attribute(name);
  if (a == nullptr) return fallback;
  WGML_ATTR_TYPE(a, AttributeProto::Floats);
  return Floats(a->floats.begin(), a->floats.end());
}

Tensor NodeContext::attr_tensor(const std::string& name) const {
  const AttributeProto* a = node_.attribute(name);
  if (a == nullptr) fail_here("attribute '" + name + "' is required");
  WGML_ATTR_TYPE(a, AttributeProto::Tensor);
  WGML_CHECK(!a->tensors.empty(), source_, ": attribute '", name, "' holds no tensor");
  return to_tensor(a->tensors[0], base_dir_, source_ + " attribute '" + name + "'");
}

int64_t NodeContext::required_int(const std::string& name) const {
  if (!has_attr(name)) fail_here("attribute '" + name + "' is required");
  return attr_int(name, 0);
}

Ints NodeContext::required_ints(const std::string& name) const {
  if (!has_attr(name)) fail_here("attribute '" + name + "' is required");
  return attr_ints(name);
}

#undef WGML_ATTR_TYPE

std::vector<ValueId> NodeContext::op(const std::string& name, const std::vector<ValueId>& inputs,
                                     Attrs attrs, std::map<std::string, ValueId> attr_inputs) {
  return builder_.add(name, inputs, std::move(attrs), std::move(attr_inputs), source_);
}

ValueId NodeContext::op1(const std::string& name, const std::vector<ValueId>& inputs, Attrs attrs,
                         std::map<std::string, ValueId> attr_inputs) {
  return op(name, inputs, std::move(attrs), std::move(attr_inputs)).at(0);
}

ValueId NodeContext::constant_value(const Tensor& cpu_tensor) {
  return builder_.constant(cpu_tensor);
}

ValueId NodeContext::scalar(double value, DType type) {
  return builder_.constant(Tensor::scalar(value, type));
}

ValueId NodeContext::cast(ValueId v, DType to) {
  if (dtype(v) == to) return v;
  return op1("cast", {v}, {{"dtype", std::string(dtype_name(to))}});
}

ValueId NodeContext::shape_of(ValueId v, int64_t start, std::optional<int64_t> end) {
  Attrs attrs{{"start", start}};
  if (end) attrs.set("end", *end);
  return builder_.add(graph::kShapeOp, {v}, attrs, {}, source_).at(0);
}

void NodeContext::set_outputs(const std::vector<ValueId>& outputs) {
  outputs_ = outputs;
}

std::string canonical_domain(const std::string& domain) {
  return domain == "ai.onnx" ? std::string() : domain;
}

void ConverterTable::add(const std::string& op_type, ConvertFn fn, int64_t min_opset) {
  add_in_domain("", op_type, std::move(fn), min_opset);
}

void ConverterTable::add_in_domain(const std::string& domain, const std::string& op_type,
                                   ConvertFn fn, int64_t min_opset) {
  const std::string d = canonical_domain(domain);
  // A second converter for one op type would never run (find takes the first): refuse it.
  WGML_CHECK(find(d, op_type) == nullptr, "ONNX converter table: ", op_type,
             d.empty() ? "" : " (domain '" + d + "')", " registered twice");
  converters_.push_back({d, op_type, min_opset, std::move(fn)});
}

const Converter* ConverterTable::find(const std::string& domain, const std::string& op_type) const {
  const std::string d = canonical_domain(domain);
  for (const Converter& c : converters_) {
    if (c.op_type == op_type && c.domain == d) return &c;
  }
  return nullptr;
}

const ConverterTable& converter_table() {
  static const ConverterTable table = [] {
    ConverterTable t;
    register_elementwise_converters(t);
    register_tensor_converters(t);
    register_nn_converters(t);
    register_signal_converters(t);
    register_data_dependent_converters(t);
    register_control_flow_converters(t);
    register_contrib_converters(t);
    register_sequence_converters(t);
    register_random_converters(t);
    return t;
  }();
  return table;
}

}  // namespace wgml::onnx
