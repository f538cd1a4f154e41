// The graph IR: typed values and nodes over the op table's ops, in topological order. Front ends
// (the ONNX importer today, the lazy Tensor API and autograd later) build it with GraphBuilder;
// the runtime's GraphExecutor runs it; the graph compiler will rewrite it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "wgml/core/attrs.h"
#include "wgml/core/tensor.h"
#include "wgml/graph/sym_expr.h"
#include "wgml/ops/op_def.h"

namespace wgml::graph {

using ValueId = int32_t;
constexpr ValueId kNoValue = -1;  // an omitted optional input

// One dimension of a shape known at load time: a number, or an expression over the model's
// symbols such as "batch", "4*batch" or "floor((h + 31)/32)" (see sym_expr.h). Front ends may
// give just a symbol's name (or "?" for a fresh symbol); the GraphBuilder fills in `expr`.
struct SymDim {
  SymDim() = default;
  SymDim(int64_t v, std::string s, SymExpr e = {})
      : value(v), symbol(std::move(s)), expr(std::move(e)) {}
  int64_t value = -1;  // >= 0 when static
  std::string symbol;  // when dynamic: the expression's canonical string
  SymExpr expr;        // when dynamic (a non-constant expression)
  bool is_static() const { return value >= 0; }
};
// The dim as an expression: its value, its `expr`, or the symbol it names.
SymExpr dim_expr(const SymDim& dim);
SymDim sym_dim(const SymExpr& expr);  // static when `expr` is a constant
using SymShape = std::vector<SymDim>;
std::string sym_shape_str(const SymShape& shape);  // "[batch, 3, 224, 224]"

// Where a value lives while the graph runs.
enum class Placement : uint8_t {
  Constant,  // known at load time (initializers, folded subgraphs): a CPU tensor in `constant`
  Device,    // computed on the session's device
  Host,      // computed on the CPU at run time: small shape arithmetic (Shape -> Gather -> Concat)
};

struct Value {
  std::string name;
  Placement placement = Placement::Device;
  DType dtype = DType::Float32;  // always known: element types never depend on sizes
  bool shape_known = false;      // rank and (symbolic) dims inferred (see GraphBuilder)
  SymShape shape;
  Tensor constant;    // Placement::Constant only
  int producer = -1;  // index of the producing node; -1 for inputs and constants
};

// The graph-level query that yields a value's shape as an int64 vector (ONNX Shape/Size); it is
// not an op-table entry because it reads metadata, never data. Attributes: start, end, or
// "numel" = 1 for the element count.
inline constexpr const char* kShapeOp = "shape";

// The graph-level step behind ops whose output size depends on data (ONNX NonZero, Compress,
// Unique, NonMaxSuppression): the op computes its result at an upper bound together with
// a count, a 1-element integer value; `narrow` keeps the first `count` entries of axis 0 of its
// first input. The executor reads the count when the node runs (one read back from the device,
// as ONNX Runtime's WebGPU backend does for NonZero) and slices, without a copy. Shape inference
// gives the narrowed axis a symbol of its own ("nonzero_1"), so everything downstream still gets
// symbolic shapes. Attribute: "symbol", the symbol's prefix.
inline constexpr const char* kNarrowOp = "narrow";

// ONNX Loop: runs `body` (a graph of its own) while the iteration count stays below the first
// input (absent: unbounded) and the condition (second input; absent: true) holds. Inputs:
// [max_trips, cond, carried... (attribute "carried" of them), captured...] where captured are
// the enclosing values the body reads. The body takes [iteration (int64 []), cond (bool []),
// carried..., captured...] and returns [cond, carried..., per-iteration outputs...]; the node's
// outputs are the final carried values, then each per-iteration output stacked on a new axis 0.
inline constexpr const char* kLoopOp = "loop";

// ONNX If with a condition known only at run time: reads the condition (first input, one read
// back) and runs one of two graphs, bodies[0] (then) or bodies[1] (else), neither taking inputs
// but the enclosing values it reads: inputs [cond, then's captured..., else's captured...],
// attribute "then_inputs" = how many are then's. Its outputs are the chosen graph's.
inline constexpr const char* kIfOp = "if";

struct Graph;

struct Node {
  std::string op;  // an op-table name, or kShapeOp, kNarrowOp, kLoopOp, kIfOp
  Attrs attrs;
  // Attributes whose value another value of the graph computes at run time (ONNX Reshape's shape
  // input, Slice's starts, TopK's k, ...): read from that Host value before the op runs.
  std::map<std::string, ValueId> attr_inputs;
  std::vector<ValueId> inputs;  // kNoValue for omitted optional inputs
  std::vector<ValueId> outputs;
  std::string source;  // where it came from, for messages: "ONNX Conv node 'conv1'"
  std::vector<std::shared_ptr<const Graph>> bodies;  // kLoopOp: the body; kIfOp: then, else
  // A node the compiler made (compiler/fuse_elementwise.h): its own op definition, not one of
  // the table's (`op` then names the kind of node, e.g. "fused_elementwise").
  std::shared_ptr<const OpDef> fused;
  // An elementwise expression the compiler folded into this node (compiler/fuse_epilogue.h):
  // input 0 is the op's result, inputs 1.. the node's last epilogue->inputs.size() - 1 inputs;
  // the node's output is the expression's value.
  std::shared_ptr<const OpDef> epilogue;
  // A node runs on the CPU at run time when its outputs are Placement::Host values.
};

struct InputSpec {
  ValueId value = kNoValue;
  std::string name;
  DType dtype = DType::Float32;
  bool shape_known = false;
  SymShape shape;  // symbols bind per run: every dim named "batch" takes the same size
};

struct Graph {
  std::vector<Value> values;
  std::vector<Node> nodes;  // topological order
  std::vector<InputSpec> inputs;
  std::vector<ValueId> outputs;
  std::vector<std::string> output_names;
  // Why some value's shape could not be inferred, if one could not ("" when all were).
  std::string inference_note;

  const Value& value(ValueId id) const { return values.at(static_cast<size_t>(id)); }
};

// The constants a run reads on the device (those of Device nodes), each once: what GraphExecutor
// uploads and keeps resident, in their stored dtypes.
std::vector<ValueId> device_constants(const Graph& graph);

// Drops the nodes no output depends on (a converter's float chain that a fused op made
// redundant, say); nodes have no side effects. Producers are renumbered.
void remove_dead_nodes(Graph& graph);

// Per value: how many input slots (attribute inputs included) read it, plus one for each time the
// graph returns it, so a value read once and by nothing else has exactly 1. A kShapeOp node
// does not count where its input's shape is known from the input symbols alone
// (shape_from_inputs): the executor then tells that shape without the tensor, so a pass may
// fuse the value away.
std::vector<int> reader_counts(const Graph& graph);
// Whether the dim is a symbol alone ("batch"), not an expression over symbols.
bool is_plain_symbol(const SymDim& dim);
// The plain symbols of the graph inputs' dims ("batch"), which a run binds.
std::set<std::string> input_symbols(const Graph& graph);
// Whether value v's shape is known and every dim is a number or an expression over `symbols`.
bool shape_from_inputs(const Graph& graph, ValueId v, const std::set<std::string>& symbols);
// A kShapeOp node whose input's shape the input symbols tell: it needs no tensor, so passes do
// not count it as a reader (`symbols`: input_symbols(graph)).
bool reads_no_data(const Graph& graph, const Node& node, const std::set<std::string>& symbols);
// The value of a float32 constant of one element (a scale, an epsilon), if v is one.
std::optional<double> float32_scalar(const Graph& graph, ValueId v);

// Appends a constant value holding `constant` (a CPU tensor; its shape static) and returns it.
ValueId add_constant(Graph& graph, const std::string& name, const Tensor& constant);
// Sets every value's producer from the node list (after a pass reordered or replaced nodes):
// the index of the node writing it, -1 for inputs, constants and values nothing writes now.
void set_producers(Graph& graph);

// kShapeOp on a concrete shape: a CPU int64 tensor (ONNX Shape's start/end, or Size's numel).
Tensor evaluate_shape_op(const Shape& shape, const Attrs& attrs);

// Turns run-time values into the attributes op `op` declares (ints, floats or lists of them);
// `source` names the node in errors.
void bind_attr_inputs(const std::string& op, Attrs& attrs,
                      const std::map<std::string, Tensor>& values, const std::string& source);

// The op name and node origin prefixed to an error raised while running or building it.
[[noreturn]] void rethrow_at(const Node& node, const std::exception& error);

}  // namespace wgml::graph
