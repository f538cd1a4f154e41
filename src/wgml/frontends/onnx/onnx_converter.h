// How one ONNX node becomes engine ops: a converter per ONNX op type, declared in
// onnx_ops_<family>.cpp. A converter reads the node's attributes (with the defaults of the
// model's opset) and inputs through NodeContext and emits op-table ops through it; everything it
// emits is folded, placed and shape-inferred by the GraphBuilder underneath.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wgml/frontends/onnx/onnx_model.h"
#include "wgml/graph/graph_builder.h"

namespace wgml::onnx {

using graph::ValueId;

// A sequence or optional value, held by the importer as an ordered list of engine values: its
// length and positions are known at load (docs/ARCHITECTURE.md, "ONNX import"), so no run-time
// type is needed.
struct ListValue {
  bool optional = false;  // an Optional; `present` says whether it holds its element
  bool present = true;
  bool holds_sequence = true;  // a sequence (or an optional one); false: an optional tensor
  std::vector<ValueId> items;  // the sequence's tensors in order; an optional tensor: its one
  DType elem_dtype = DType::Float32;  // the element type, also of an empty one
};

// What a (sub)graph hands back: each output a tensor or a list.
struct Operand {
  ValueId value = graph::kNoValue;
  std::optional<ListValue> list;
};

// A value that DequantizeLinear made of a quantized weight: (q - zero) * scale with ONNX's
// parameters as the node had them (`axis` normalized, -1 per tensor; `block` 0 unless blocked),
// so that MatMul, Gemm and Conv can read q in place (onnx_ops_quantized.cpp).
struct QuantizedWeight {
  ValueId q = graph::kNoValue, scale = graph::kNoValue, zero = graph::kNoValue;
  int64_t axis = -1, block = 0;
};

class NodeContext {
 public:
  NodeContext(graph::GraphBuilder& builder, const NodeProto& node, int64_t opset,
              std::vector<ValueId> inputs, std::string base_dir,
              std::vector<const ListValue*> lists = {});

  const NodeProto& node() const { return node_; }
  int64_t opset() const { return opset_; }               // the model's default-domain opset
  const std::string& source() const { return source_; }  // "Conv node 'conv1'"

  // --- inputs
  size_t num_inputs() const { return inputs_.size(); }
  bool has_input(size_t i) const;          // present and not the empty name
  ValueId input(size_t i) const;           // raises naming the node when a required input is absent
  ValueId optional_input(size_t i) const;  // kNoValue when absent
  // A sequence or optional input (nullptr for tensors and absent inputs); `list_input` raises
  // naming the node when input i is not one.
  const ListValue* list_at(size_t i) const { return i < lists_.size() ? lists_[i] : nullptr; }
  const ListValue& list_input(size_t i) const;
  const Tensor* constant(size_t i) const;  // the input's value when known at load time
  // The input's value as integers/floats: a constant, read now; raises when not constant.
  Ints constant_ints(size_t i) const;
  Floats constant_floats(size_t i) const;
  DType dtype(ValueId v) const;                   // always known (types never wait for shapes)
  int64_t rank(ValueId v) const;                  // -1 when unknown
  const graph::SymShape* shape(ValueId v) const;  // nullptr when unknown
  // The rank, raising naming the node (and `what`) when inference could not tell it.
  int64_t known_rank(ValueId v, const std::string& what) const;
  // The size of dim `axis` (negative counts from the end) when static, else -1.
  int64_t static_dim(ValueId v, int64_t axis) const;
  // Whether the node lists output `i` under a name (ONNX omits optional outputs with "").
  bool wants_output(size_t i) const;

  // --- attributes (ONNX names), each with the default the caller passes for this opset
  bool has_attr(const std::string& name) const;
  int64_t attr_int(const std::string& name, int64_t fallback) const;
  double attr_float(const std::string& name, double fallback) const;
  std::string attr_string(const std::string& name, const std::string& fallback) const;
  Ints attr_ints(const std::string& name, const Ints& fallback = {}) const;
  Floats attr_floats(const std::string& name, const Floats& fallback = {}) const;
  Tensor attr_tensor(const std::string& name) const;  // CPU tensor; raises when absent
  int64_t required_int(const std::string& name) const;
  Ints required_ints(const std::string& name) const;

  // --- emitting engine ops (op-table names and attributes)
  std::vector<ValueId> op(const std::string& name, const std::vector<ValueId>& inputs,
                          Attrs attrs = {}, std::map<std::string, ValueId> attr_inputs = {});
  ValueId op1(const std::string& name, const std::vector<ValueId>& inputs, Attrs attrs = {},
              std::map<std::string, ValueId> attr_inputs = {});
  ValueId constant_value(const Tensor& cpu_tensor);
  ValueId scalar(double value, DType dtype);  // a 0-d constant
  ValueId cast(ValueId v, DType to);          // a cast, skipped when v already has the dtype
  ValueId shape_of(ValueId v, int64_t start = 0, std::optional<int64_t> end = {});

  // --- results: outputs[i] is the node's i-th ONNX output; kNoValue (or a shorter list) for
  // outputs the converter cannot produce, which is an error only when the model names them
  void set_outputs(const std::vector<ValueId>& outputs);
  const std::vector<ValueId>& outputs() const { return outputs_; }
  // A sequence or optional result for output i (instead of a tensor).
  void set_list_output(size_t i, ListValue list) { list_outputs_[i] = std::move(list); }
  void set_operands(const std::vector<Operand>& outputs);  // tensors and lists
  const std::map<size_t, ListValue>& list_outputs() const { return list_outputs_; }

  [[noreturn]] void fail_here(const std::string& message) const;  // "Conv node 'x': message"

  // --- subgraphs (If's branches): the graph attribute `name`, converted into this graph with
  // the enclosing scope visible, and its outputs
  // `bound` gives the subgraph's own inputs, in order (SequenceMap's body, an unrolled Loop's).
  using SubgraphInliner =
      std::function<std::vector<Operand>(const GraphProto&, const std::vector<Operand>& bound)>;
  void set_subgraph_inliner(SubgraphInliner inliner) { inliner_ = std::move(inliner); }
  std::vector<Operand> inline_graph(const std::string& attr_name,
                                    const std::vector<Operand>& bound = {});
  // Loop's body: a graph of its own whose inputs take `declared` types, plus the enclosing values
  // it reads (`captured`, which become extra inputs; constants are copied in instead).
  struct BodyType {
    bool known = false;
    DType dtype = DType::Float32;
    graph::SymShape shape;
  };
  struct ImportedBody {
    std::shared_ptr<graph::Graph> graph;
    std::vector<ValueId> captured;
  };
  // `extra` names further enclosing values the body may read (a converter's own).
  using BodyImporter =
      std::function<ImportedBody(const GraphProto&, const std::vector<BodyType>& declared,
                                 const std::map<std::string, ValueId>& extra)>;
  void set_body_importer(BodyImporter importer) { body_importer_ = std::move(importer); }
  ImportedBody import_body(const GraphProto& body, const std::vector<BodyType>& declared,
                           const std::map<std::string, ValueId>& extra = {});
  const GraphProto& attr_graph(const std::string& name) const;  // raises when absent
  graph::GraphBuilder& builder() { return builder_; }

  // --- values DequantizeLinear made of quantized weights, noted for their consumers (the
  // importer owns the table; absent, nothing is noted)
  void set_quantized_table(std::map<ValueId, QuantizedWeight>* table) { quantized_ = table; }
  void note_quantized(ValueId v, const QuantizedWeight& w) {
    if (quantized_) (*quantized_)[v] = w;
  }
  const QuantizedWeight* quantized(ValueId v) const {
    if (!quantized_) return nullptr;
    const auto it = quantized_->find(v);
    return it == quantized_->end() ? nullptr : &it->second;
  }

 private:
  graph::GraphBuilder& builder_;
  const NodeProto& node_;
  int64_t opset_;
  std::vector<ValueId> inputs_;
  std::string base_dir_;
  std::string source_;
  std::vector<ValueId> outputs_;
  std::vector<const ListValue*> lists_;
  std::map<size_t, ListValue> list_outputs_;
  SubgraphInliner inliner_;
  BodyImporter body_importer_;
  std::map<ValueId, QuantizedWeight>* quantized_ = nullptr;
};

using ConvertFn = std::function<void(NodeContext&)>;

// The domain a converter table keys on: "" for the default ONNX domain (also "ai.onnx").
inline constexpr const char* kMicrosoftDomain = "com.microsoft";
std::string canonical_domain(const std::string& domain);

struct Converter {
  std::string domain;  // canonical: "" for the default ONNX domain
  std::string op_type;
  int64_t min_opset = 1;  // the first opset (of its domain) whose form of the op it implements
  ConvertFn convert;
};

// Every converter, from every onnx_ops_<family>.cpp, keyed by (domain, op type).
class ConverterTable {
 public:
  // A converter of the default ONNX domain.
  void add(const std::string& op_type, ConvertFn fn, int64_t min_opset = 1);
  // A converter of another domain (com.microsoft's contrib ops).
  void add_in_domain(const std::string& domain, const std::string& op_type, ConvertFn fn,
                     int64_t min_opset = 1);
  const Converter* find(const std::string& domain, const std::string& op_type) const;
  const std::vector<Converter>& all() const { return converters_; }

 private:
  std::vector<Converter> converters_;
};
const ConverterTable& converter_table();

void register_elementwise_converters(ConverterTable& t);     // onnx_ops_elementwise.cpp
void register_tensor_converters(ConverterTable& t);          // onnx_ops_tensor.cpp
void register_nn_converters(ConverterTable& t);              // onnx_ops_nn.cpp
void register_signal_converters(ConverterTable& t);          // onnx_ops_signal.cpp
void register_data_dependent_converters(ConverterTable& t);  // onnx_ops_data_dependent.cpp
void register_control_flow_converters(ConverterTable& t);    // onnx_ops_control_flow.cpp
void register_contrib_converters(ConverterTable& t);         // onnx_ops_contrib.cpp (com.microsoft)
// A uniform draw in (0, 1) (float32) per element of `like`, seeded by the node's `seed`
// (onnx_ops_random.cpp); training-mode Dropout uses it.
ValueId random_uniform_like(NodeContext& ctx, ValueId like);

void register_sequence_converters(ConverterTable& t);  // onnx_ops_sequence.cpp
void register_random_converters(ConverterTable& t);    // onnx_ops_random.cpp

}  // namespace wgml::onnx
