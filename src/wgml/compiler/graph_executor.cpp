#include "wgml/compiler/graph_executor.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "wgml/compiler/fold_batch_norm.h"
#include "wgml/compiler/fuse_elementwise.h"
#include "wgml/compiler/fuse_epilogue.h"
#include "wgml/compiler/fuse_layer_norm.h"
#include "wgml/compiler/lower_gemm.h"
#include "wgml/compiler/merge_common.h"
#include "wgml/compiler/move_scales.h"
#include "wgml/compiler/move_views.h"
#include "wgml/core/error.h"
#include "wgml/ops/op_table.h"
#include "wgml/runtime/dispatch.h"

namespace wgml {

using graph::Placement;
using graph::ValueId;

namespace {

Tensor move_to(const Tensor& t, Device& device) {
  if (&t.device() == &device) return t;
  const std::vector<uint8_t> bytes = t.to_bytes();
  return Tensor::from_bytes(bytes.data(), t.shape(), t.dtype(), device);
}

// An integer or bool scalar read on the host (a float, whose NaN has no integer value, is refused).
int64_t read_int(const Tensor& t, const std::string& what) {
  WGML_CHECK(t.numel() == 1 && !is_floating(t.dtype()), what, " must be one integer or bool, got ",
             t.dtype(), " ", t.shape());
  return t.to_vector<int64_t>()[0];
}

// graph::kNarrowOp: the first `count` entries of axis 0 of `whole`, a view.
Tensor narrow_to_count(const Tensor& whole, const Tensor& count, EagerRuntime& runtime) {
  const int64_t n = read_int(count, "narrow: the count");
  WGML_CHECK(whole.rank() >= 1 && n >= 0 && n <= whole.shape()[0], "narrow: count ", n,
             " does not fit axis 0 of ", whole.shape());
  return runtime.call1("slice", {whole},
                       {{"starts", Ints{0}}, {"ends", Ints{n}}, {"axes", Ints{0}}});
}

// The compiler's passes, in order. On every device: common subexpressions merge, inference
// batch norms fold into their convs (or become a scale and shift), and layer norms spelled out
// step by step become layer_norm nodes. Where the device finishes matmuls and convs with
// epilogues (WebGPU), gemm nodes are lowered to matmul and elementwise nodes, scalar scalings
// move past matmuls and residual adds before the views of a product first, so that they end up
// in one.
graph::Graph compile(const graph::Graph& graph, Device& device) {
  const auto takes = [&device](const std::string& op) { return device.takes_epilogue(op); };
  const graph::Graph folded = compiler::fuse_layer_norms(
      compiler::fold_batch_norms(compiler::merge_common_subexpressions(graph)));
  if (!takes("matmul")) return compiler::fuse_elementwise(folded);
  const graph::Graph lowered = compiler::move_views_past_adds(
      compiler::move_scales_past_matmuls(compiler::lower_gemms(folded)), takes);
  return compiler::fuse_epilogues(compiler::fuse_elementwise(lowered), takes);
}

}  // namespace

GraphExecutor::GraphExecutor(const graph::Graph& graph, Device& device, const ProgressFn& progress)
    : compiled_(compile(graph, device)), graph_(compiled_), device_(device), progress_(progress) {
  // Everything below is of the compiled graph: its node indices and its values (passes add some).
  const size_t n = graph_.values.size();
  device_constants_.resize(n);
  last_use_.assign(n, -1);
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    const graph::Node& node = graph_.nodes[i];
    for (ValueId v : node.inputs) {
      if (v != graph::kNoValue) last_use_[static_cast<size_t>(v)] = static_cast<int>(i);
    }
    for (const auto& [name, v] : node.attr_inputs)
      last_use_[static_cast<size_t>(v)] = static_cast<int>(i);
  }
  for (ValueId v : graph_.outputs)
    last_use_[static_cast<size_t>(v)] = static_cast<int>(graph_.nodes.size());
  // Weights go to the device now, once; a constant only the CPU reads stays where it is.
  const std::vector<ValueId> uploads = graph::device_constants(graph_);
  for (size_t i = 0; i < uploads.size(); ++i) {
    const auto v = static_cast<size_t>(uploads[i]);
    device_constants_[v] = move_to(graph_.values[v].constant, device);
    if (progress_) progress_(i + 1, uploads.size());
  }
}

void GraphExecutor::check_inputs(const std::vector<Tensor>& inputs) const {
  WGML_CHECK(inputs.size() == graph_.inputs.size(), "the model takes ", graph_.inputs.size(),
             " input(s), got ", inputs.size());
  std::map<std::string, std::pair<int64_t, std::string>> bound;  // symbol -> size, input
  for (size_t i = 0; i < inputs.size(); ++i) {
    const graph::InputSpec& spec = graph_.inputs[i];
    const Tensor& t = inputs[i];
    WGML_CHECK(t.defined(), "input '", spec.name, "' is missing");
    WGML_CHECK(t.dtype() == spec.dtype, "input '", spec.name, "' must be ", spec.dtype, ", got ",
               t.dtype());
    if (!spec.shape_known) continue;
    const std::string expected = graph::sym_shape_str(spec.shape);
    WGML_CHECK(t.rank() == spec.shape.size(), "input '", spec.name, "' must have shape ", expected,
               ", got ", t.shape(), " (rank ", t.rank(), " instead of ", spec.shape.size(), ")");
    for (size_t d = 0; d < t.rank(); ++d) {
      const graph::SymDim& dim = spec.shape[d];
      const int64_t size = t.shape()[d];
      if (dim.is_static()) {
        WGML_CHECK(size == dim.value, "input '", spec.name, "' must have shape ", expected,
                   ", got ", t.shape(), " (dim ", d, " is ", size, ", the model needs ", dim.value,
                   ")");
        continue;
      }
      const auto [it, fresh] = bound.emplace(dim.symbol, std::make_pair(size, spec.name));
      WGML_CHECK(fresh || it->second.first == size, "input '", spec.name, "' has ", dim.symbol,
                 " = ", size, " (dim ", d, ") but input '", it->second.second, "' has ", dim.symbol,
                 " = ", it->second.first);
    }
  }
}

// A fused elementwise tree: its leaves broadcast to the output, one kernel computes it.
Tensor GraphExecutor::run_fused(const graph::Node& node, std::vector<Tensor>& values) {
  std::vector<Tensor> args;
  Shape shape;
  for (ValueId v : node.inputs) {
    args.push_back(fetch(v, false, values));
    shape = broadcast_shapes(shape, args.back().shape(), node.fused->name);
  }
  std::vector<Tensor> out = {Tensor::empty(shape, DType::Float32, device_)};
  device_.execute(OpCall{node.fused.get(), {}}, args, out);
  return out[0];
}

Shape GraphExecutor::shape_of_value(ValueId id, const std::vector<Tensor>& values) const {
  const graph::Value& v = graph_.value(id);
  if (v.placement == Placement::Constant) return v.constant.shape();
  const Tensor& t = values[static_cast<size_t>(id)];
  if (!t.defined() && v.shape_known) {
    // Fused away (graph::reader_counts): the shape from the symbols the inputs bound.
    Shape shape;
    for (const graph::SymDim& d : v.shape) {
      const std::optional<int64_t> size =
          graph::dim_expr(d).evaluate([&](const std::string& symbol) -> std::optional<int64_t> {
            const auto it = bound_symbols_.find(symbol);
            if (it == bound_symbols_.end()) return std::nullopt;
            return it->second;
          });
      WGML_CHECK(size.has_value(), "value '", v.name, "' was not computed and its shape ",
                 graph::sym_shape_str(v.shape), " is not known from the inputs");
      shape.push_back(*size);
    }
    return shape;
  }
  WGML_CHECK(t.defined(), "value '", v.name, "' was read before it was computed");
  return t.shape();
}

Tensor GraphExecutor::fetch(ValueId id, bool on_host, std::vector<Tensor>& values) {
  const graph::Value& v = graph_.value(id);
  if (v.placement == Placement::Constant) {
    if (on_host) return v.constant;
    Tensor& slot = device_constants_[static_cast<size_t>(id)];
    if (!slot.defined()) slot = move_to(v.constant, device_);
    return slot;
  }
  const Tensor& t = values[static_cast<size_t>(id)];
  WGML_CHECK(t.defined(), "value '", v.name, "' was read before it was computed");
  // Host values feeding device ops are small (shape arithmetic, index ranges).
  return move_to(t, on_host ? cpu_device() : device_);
}

namespace {

// A hostile or broken model must not loop for ever: more iterations than this, counted over a
// loop and the loops nested in its body, is an error.
int64_t max_loop_iterations = int64_t{1} << 20;
thread_local int loop_depth = 0;
thread_local int64_t loop_iterations = 0;

// Joins same-shaped tensors on a new axis 0 (one concat: its kernels group the inputs by the
// adapter's binding limit themselves).
Tensor stack(std::vector<Tensor> parts, EagerRuntime& runtime) {
  for (Tensor& p : parts)
    p = runtime.call1("unsqueeze", {p}, {{"axes", Ints{0}}});
  return parts.size() == 1 ? parts[0] : runtime.call1("concat", parts, {{"axis", int64_t{0}}});
}

}  // namespace

void set_max_loop_iterations(int64_t n) {
  max_loop_iterations = n;
}

GraphExecutor& GraphExecutor::body_executor(size_t n, size_t which) {
  std::unique_ptr<GraphExecutor>& exec = bodies_[{n, which}];
  if (!exec) exec = std::make_unique<GraphExecutor>(*graph_.nodes[n].bodies.at(which), device_);
  return *exec;
}

// graph::kIfOp: the condition is read on the host and only the chosen graph runs.
std::vector<Tensor> GraphExecutor::run_if(size_t n, std::vector<Tensor>& values) {
  const graph::Node& node = graph_.nodes[n];
  const bool taken = read_int(fetch(node.inputs.at(0), true, values), "if: the condition") != 0;
  const auto then_inputs = static_cast<size_t>(node.attrs.i("then_inputs"));
  const size_t first = taken ? 1 : 1 + then_inputs;
  const size_t last = taken ? 1 + then_inputs : node.inputs.size();
  std::vector<Tensor> captured;
  for (size_t j = first; j < last; ++j)
    captured.push_back(fetch(node.inputs[j], false, values));
  return body_executor(n, taken ? 0 : 1).run(captured);
}

// graph::kLoopOp: the body runs on the executor's device once per iteration; the trip count and
// the initial condition are read on the host, and the condition again after each iteration
// unless the body passes its input condition straight through.
std::vector<Tensor> GraphExecutor::run_loop(size_t n, std::vector<Tensor>& values) {
  const graph::Node& node = graph_.nodes[n];
  const graph::Graph& body = *node.bodies.at(0);
  GraphExecutor* exec = &body_executor(n, 0);
  const auto carried_count = static_cast<size_t>(node.attrs.i("carried"));
  int64_t trips = std::numeric_limits<int64_t>::max();
  if (node.inputs[0] != graph::kNoValue)
    trips = read_int(fetch(node.inputs[0], true, values), "loop: the trip count M");
  bool cond = true;
  if (node.inputs[1] != graph::kNoValue)
    cond = read_int(fetch(node.inputs[1], true, values), "loop: the condition") != 0;
  std::vector<Tensor> carried, captured;
  for (size_t j = 0; j < carried_count; ++j)
    carried.push_back(fetch(node.inputs[2 + j], false, values));
  for (size_t j = 2 + carried_count; j < node.inputs.size(); ++j)
    captured.push_back(fetch(node.inputs[j], false, values));
  const bool passes_cond = body.outputs.at(0) == body.inputs.at(1).value;
  const size_t scans = body.outputs.size() - 1 - carried_count;
  std::vector<std::vector<Tensor>> per_iteration(scans);
  if (loop_depth == 0) loop_iterations = 0;
  struct Depth {  // counts nesting, also when the body raises
    Depth() { ++loop_depth; }
    ~Depth() { --loop_depth; }
  } depth;
  for (int64_t i = 0; i < trips && cond; ++i) {
    WGML_CHECK(++loop_iterations <= max_loop_iterations, "loop: more than ", max_loop_iterations,
               " iterations (nested loops included); wgml stops here rather than run without end");
    std::vector<Tensor> inputs = {
        Tensor::from_vector(std::vector<int64_t>{i}, {}, DType::Int64, device_),
        Tensor::from_vector(std::vector<uint8_t>{1}, {}, DType::Bool, device_)};
    inputs.insert(inputs.end(), carried.begin(), carried.end());
    inputs.insert(inputs.end(), captured.begin(), captured.end());
    std::vector<Tensor> outs = exec->run(inputs);
    if (!passes_cond) cond = read_int(outs[0], "loop: the body's condition") != 0;
    for (size_t j = 0; j < carried_count; ++j)
      carried[j] = outs[1 + j];
    for (size_t k = 0; k < scans; ++k) {
      const Tensor& out = outs[1 + carried_count + k];
      WGML_CHECK(per_iteration[k].empty() || per_iteration[k][0].shape() == out.shape(),
                 "loop: per-iteration output ", k, " has shape ", out.shape(), " in iteration ", i,
                 " but ", per_iteration[k][0].shape(), " in the first; they cannot be stacked");
      per_iteration[k].push_back(out);
    }
  }
  EagerRuntime runtime(&device_);
  std::vector<Tensor> results = carried;
  for (size_t k = 0; k < scans; ++k) {
    if (!per_iteration[k].empty()) {
      results.push_back(stack(per_iteration[k], runtime));
      continue;
    }
    // No iteration ran: an empty stack, its other dims as the body declares them (0 if unknown).
    const graph::Value& v = body.value(body.outputs[1 + carried_count + k]);
    Shape shape = {0};
    for (const graph::SymDim& d : v.shape)
      shape.push_back(d.is_static() ? d.value : 0);
    results.push_back(Tensor::empty(shape, v.dtype, device_));
  }
  return results;
}

// Free what no later node reads, so peak memory follows the live values only.
void GraphExecutor::free_inputs_after(const graph::Node& node, size_t n,
                                      std::vector<Tensor>& values) const {
  for (ValueId v : node.inputs) {
    if (v != graph::kNoValue && last_use_[static_cast<size_t>(v)] == static_cast<int>(n))
      values[static_cast<size_t>(v)] = Tensor();
  }
}

namespace {

// The shapes and dtypes of a run's inputs: a recording replays only for the same ones.
std::string signature_of(const std::vector<Tensor>& inputs) {
  std::string key;
  for (const Tensor& t : inputs) {
    key += dtype_name(t.dtype());
    for (const int64_t d : t.shape())
      key += " " + std::to_string(d);
    key += ";";
  }
  return key;
}

bool all_on_host(const std::vector<Tensor>& inputs) {
  for (const Tensor& t : inputs) {
    if (&t.device() != &cpu_device()) return false;
  }
  return true;
}

}  // namespace

std::vector<Tensor> GraphExecutor::run(const std::vector<Tensor>& inputs) {
  check_inputs(inputs);
  // Host inputs of a signature run before replay the recorded launches: the inputs are written
  // into the buffers the recording read them from, and the outputs copied out of its buffers
  // (the next replay overwrites them).
  const bool replayable = replay_enabled_ && all_on_host(inputs);
  const std::string signature = replayable ? signature_of(inputs) : "";
  if (replayable) {
    const auto it = replays_.find(signature);
    if (it != replays_.end()) {
      it->second.last_used = ++runs_;
      return replay(it->second, inputs);
    }
  }
  std::vector<Tensor> moved;
  for (const Tensor& t : inputs)
    moved.push_back(move_to(t, device_));
  const bool recording = replayable && device_.begin_recording();
  std::vector<Tensor> outputs;
  try {
    outputs = run_nodes(moved);
  } catch (...) {
    if (recording) device_.end_recording();
    throw;
  }
  if (!recording) return outputs;
  const std::shared_ptr<Recording> recorded = device_.end_recording();
  if (!recorded) {
    replay_enabled_ = false;  // it read back: every run decides again, eagerly
    return outputs;
  }
  // Each recording holds its intermediates between runs: keep the most recently used few, so
  // a model fed many shapes (a growing sequence) does not hold memory for all of them.
  if (replays_.size() >= kMaxRecordings) {
    auto oldest = replays_.begin();
    for (auto it = replays_.begin(); it != replays_.end(); ++it) {
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    }
    replays_.erase(oldest);
  }
  Replay& r = replays_[signature];
  r.last_used = ++runs_;
  r.recording = recorded;
  r.inputs = moved;
  r.outputs = outputs;
  return copy_outputs(r.outputs);
}

const Recording* GraphExecutor::recording_for(const std::vector<Tensor>& inputs) const {
  const auto it = replays_.find(signature_of(inputs));
  return it == replays_.end() ? nullptr : it->second.recording.get();
}

std::vector<Tensor> GraphExecutor::copy_outputs(const std::vector<Tensor>& recorded) {
  EagerRuntime on_device(&device_);
  std::vector<Tensor> out;
  for (const Tensor& t : recorded)
    out.push_back(on_device.call1("copy", {t}));
  return out;
}

std::vector<Tensor> GraphExecutor::replay(const Replay& r, const std::vector<Tensor>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& dst = r.inputs[i];
    const std::vector<uint8_t> bytes = inputs[i].to_bytes();
    device_.write(*dst.storage(), static_cast<size_t>(dst.offset()) * dtype_size(dst.dtype()),
                  bytes.data(), bytes.size());
  }
  device_.replay(*r.recording);
  return copy_outputs(r.outputs);
}

std::vector<Tensor> GraphExecutor::run_nodes(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> values(graph_.values.size());
  bound_symbols_.clear();
  for (size_t i = 0; i < inputs.size(); ++i) {
    values[static_cast<size_t>(graph_.inputs[i].value)] = inputs[i];
    const graph::InputSpec& spec = graph_.inputs[i];
    for (size_t d = 0; d < spec.shape.size() && d < inputs[i].rank(); ++d)
      if (graph::is_plain_symbol(spec.shape[d]))
        bound_symbols_[spec.shape[d].symbol] = inputs[i].shape()[d];
  }

  EagerRuntime on_device(&device_);
  EagerRuntime on_cpu(&cpu_device());
  const size_t count = graph_.nodes.size();
  for (size_t n = 0; n < count; ++n) {
    const graph::Node& node = graph_.nodes[n];
    const bool host = graph_.value(node.outputs.at(0)).placement == Placement::Host;
    try {
      std::vector<Tensor> results;
      if (node.op == graph::kLoopOp) {
        results = run_loop(n, values);
      } else if (node.op == graph::kIfOp) {
        results = run_if(n, values);
      } else if (node.op == graph::kNarrowOp) {
        // The count is read on the host: the one read back this op costs.
        results = {narrow_to_count(fetch(node.inputs.at(0), host, values),
                                   fetch(node.inputs.at(1), true, values),
                                   host ? on_cpu : on_device)};
      } else if (node.fused) {
        results = {run_fused(node, values)};
      } else if (node.op == graph::kShapeOp) {
        // Metadata only: the input stays where it is (no copy of its data to the host).
        results = {graph::evaluate_shape_op(shape_of_value(node.inputs.at(0), values), node.attrs)};
      } else {
        std::vector<Tensor> args;
        for (ValueId v : node.inputs)
          args.push_back(v == graph::kNoValue ? Tensor() : fetch(v, host, values));
        Attrs attrs = node.attrs;
        if (!node.attr_inputs.empty()) {
          std::map<std::string, Tensor> run_time;
          for (const auto& [name, v] : node.attr_inputs)
            run_time[name] = fetch(v, true, values);
          graph::bind_attr_inputs(node.op, attrs, run_time, node.source);
        }
        if (node.epilogue) {
          // The reader's inputs follow the op's own (compiler/fuse_epilogue.h).
          const size_t extra = node.epilogue->inputs.size() - 1;
          std::vector<Tensor> tail(args.end() - static_cast<std::ptrdiff_t>(extra), args.end());
          args.resize(args.size() - extra);
          results = {on_device.call_with_epilogue(node.op, args, attrs, *node.epilogue, tail)};
        } else {
          results = (host ? on_cpu : on_device).call(node.op, args, attrs);
        }
      }
      WGML_CHECK(results.size() >= node.outputs.size(), node.op, " returned ", results.size(),
                 " outputs, the graph expects ", node.outputs.size());
      for (size_t o = 0; o < node.outputs.size(); ++o) {
        const auto out = static_cast<size_t>(node.outputs[o]);
        if (last_use_[out] >= 0) values[out] = results[o];  // outputs nobody reads are dropped
      }
    } catch (const std::exception& e) {
      graph::rethrow_at(node, e);
    }
    free_inputs_after(node, n, values);
    if (first_run_ && progress_) progress_(n + 1, count);
  }
  first_run_ = false;

  std::vector<Tensor> outputs;
  for (size_t i = 0; i < graph_.outputs.size(); ++i) {
    Tensor t = fetch(graph_.outputs[i], false, values);
    // A view (expand, transpose) becomes a tensor of its own here, so an absurd broadcast fails
    // naming the output now rather than when the caller reads it.
    if (!t.is_contiguous()) {
      try {
        t = on_device.call1("copy", {t});
      } catch (const std::exception& e) {
        fail("graph output '", graph_.output_names.at(i), "' (shape ", t.shape(), "): ", e.what());
      }
    }
    outputs.push_back(t);
  }
  return outputs;
}

namespace {

// A device that allocates nothing and runs nothing, but answers `supports` as `real` does; the
// eager runtime then decomposes composites exactly as it would on `real` and raises at the first
// primitive without a kernel.
class SupportProbe final : public Device {
 public:
  explicit SupportProbe(Device& real) : real_(real) {}
  std::string name() const override { return real_.name(); }
  std::shared_ptr<Storage> allocate(size_t nbytes) override {
    return std::make_shared<Storage>(*this, nbytes);
  }
  void write(Storage&, size_t, const void*, size_t) override {}
  void read(Storage&, size_t, void*, size_t) override { fail("support probe: no data"); }
  bool supports(const OpCall& call, const std::vector<Tensor>& inputs) const override {
    return real_.supports(call, inputs);
  }
  void execute(const OpCall&, const std::vector<Tensor>&, std::vector<Tensor>&) override {}

 private:
  Device& real_;
};

}  // namespace

std::vector<std::string> unsupported_on(const graph::Graph& graph, Device& device) {
  SupportProbe probe(device);
  EagerRuntime runtime(&probe);
  std::map<std::string, std::set<std::string>> missing;  // message -> node sources
  for (const graph::Node& node : graph.nodes) {
    if (node.op == graph::kLoopOp || node.op == graph::kIfOp) {
      for (const auto& body : node.bodies) {
        for (const std::string& line : unsupported_on(*body, device))
          missing[line + " (in a subgraph of " + node.source + ")"].insert(node.source);
      }
      continue;
    }
    if (node.op == graph::kShapeOp || node.op == graph::kNarrowOp || !node.attr_inputs.empty())
      continue;
    if (graph.value(node.outputs.at(0)).placement == Placement::Host) continue;
    std::vector<Tensor> args;
    bool known = true;
    for (ValueId v : node.inputs) {
      if (v == graph::kNoValue) {
        args.emplace_back();
        continue;
      }
      const graph::Value& value = graph.value(v);
      known = known && value.shape_known;
      Shape shape;
      for (const graph::SymDim& d : value.shape)
        shape.push_back(d.is_static() ? d.value : 1);
      args.push_back(Tensor::empty(shape, value.dtype, probe));
    }
    if (!known) continue;
    try {
      runtime.call(node.op, args, node.attrs);
    } catch (const Error& e) {
      const std::string message = e.what();
      if (message.find("has no kernel") != std::string::npos)
        missing[message].insert(node.source.empty() ? node.op : node.source);
    }
  }
  std::vector<std::string> lines;
  for (const auto& [message, nodes] : missing) {
    std::string line = message + " — used by " + std::to_string(nodes.size()) + " node(s): ";
    size_t shown = 0;
    for (const std::string& n : nodes) {
      if (shown == 3) {
        line += ", ...";
        break;
      }
      line += (shown++ ? ", " : "") + n;
    }
    lines.push_back(line);
  }
  return lines;
}

}  // namespace wgml
