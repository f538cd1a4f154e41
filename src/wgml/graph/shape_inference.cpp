#include "wgml/graph/shape_inference.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <tuple>

#include "wgml/core/error.h"
#include "wgml/graph/dim_fit.h"
#include "wgml/graph/meta_device.h"
#include "wgml/runtime/dispatch.h"

namespace wgml::graph {

namespace {

// Host nodes are shape arithmetic: a node whose inputs are all known on the CPU still runs on the
// device when an output is larger than this, so real data never silently moves to the CPU.
constexpr int64_t kHostElementLimit = 4096;

// Host values up to this many elements get an expression per element (shape vectors).
constexpr int64_t kElementExprLimit = 64;

// The assignments a node's shape rule is evaluated at: symbol k takes base + step * k. Small and
// large, odd and round, distinct per symbol and all equal, so that every node finds sizes its
// rule accepts: a 512-tap convolution needs large ones, a positional table of 16 small ones,
// a feature pyramid multiples of 32, an attention mask h == w.
struct LadderRow {
  int64_t base, step;
};
constexpr LadderRow kLadder[] = {{32, 2},   {48, 2},    {7, 2},      {13, 2},     {64, 0},
                                 {8, 0},    {1024, 64}, {1536, 0},   {1031, 6},   {2053, 10},
                                 {4608, 0}, {560, 997}, {2600, 389}, {1100, 2999}};
constexpr int kLadderRows = static_cast<int>(sizeof(kLadder) / sizeof(kLadder[0]));

// Symbol k's offset in a row wraps below this prime, so values stay bounded however many symbols
// a model has (a rank-4 product of them stays far below int64) and distinct up to that many.
constexpr int64_t kOffsetModulus = 3001;

// Refining moves one symbol by 1, 2, ... up to each stage's bound, stopping once every fit over
// it is exact (strides up to ~200 pin down by the last stage), or after this many assignments in
// a row that the rule refuses; at most this many symbols per node.
constexpr int64_t kRefineStages[] = {48, 160, 420};
constexpr int kMaxRefineFailures = 24;
constexpr int kMaxRefinedSymbols = 4;

Tensor meta_like(const Tensor& t) {
  if (!t.defined() || &t.device() == &meta_device()) return t;
  return Tensor::empty(t.shape(), t.dtype(), meta_device());
}

// The integer a small tensor's element holds, if it holds one.
std::optional<int64_t> integral_element(const std::vector<double>& values, size_t i) {
  const double v = values.at(i);
  if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9e15) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace

struct ShapeInference::Memo {
  std::map<std::tuple<int, int64_t, int, ValueId>, Tensor> tensors;
  EagerRuntime cpu{&cpu_device()};
  EagerRuntime meta{&meta_device()};
};

ShapeInference::ShapeInference(Graph& graph) : graph_(graph), ladder_memo_(new Memo) {}
ShapeInference::~ShapeInference() = default;

void ShapeInference::declare(SymShape& shape) {
  for (SymDim& d : shape) {
    if (d.is_static()) continue;
    const SymExpr e = d.symbol == "?" || (d.symbol.empty() && d.expr.is_constant())
                          ? SymExpr::symbol(fresh_symbol("dim"))
                          : dim_expr(d);
    std::set<std::string> names;
    e.collect_symbols(names);
    for (const std::string& name : names)
      symbol_index(name);
    d = sym_dim(e);
  }
}

std::string ShapeInference::fresh_symbol(const std::string& prefix) {
  std::string symbol;
  for (int k = 1; symbol.empty() || symbol_index_.count(symbol); ++k)
    symbol = prefix + "_" + std::to_string(k);
  symbol_index(symbol);
  return symbol;
}

int ShapeInference::symbol_index(const std::string& name) {
  const auto [it, fresh] = symbol_index_.emplace(name, static_cast<int>(symbols_.size()));
  if (fresh) symbols_.push_back(name);
  return it->second;
}

int64_t ShapeInference::symbol_value(const std::string& name, const Assignment& a) {
  const int index = symbol_index(name);
  const LadderRow& row = kLadder[a.entry];
  return row.base + (row.step * index) % kOffsetModulus + (a.moved == index ? a.delta : 0);
}

std::optional<int64_t> ShapeInference::evaluate(const SymExpr& e, const Assignment& a) {
  return e.evaluate([&](const std::string& name) { return symbol_value(name, a); });
}

const std::set<std::string>& ShapeInference::depends_on(ValueId v) {
  const auto found = depends_.find(v);
  if (found != depends_.end()) return found->second;
  std::set<std::string> out;
  const Value& value = graph_.value(v);
  if (value.placement != Placement::Constant) {
    for (const SymDim& d : value.shape)
      dim_expr(d).collect_symbols(out);
  }
  if (value.placement == Placement::Host && value.producer >= 0) {
    const Node& p = graph_.nodes.at(static_cast<size_t>(value.producer));
    for (ValueId in : p.inputs) {
      if (in != kNoValue) {
        const std::set<std::string>& s = depends_on(in);
        out.insert(s.begin(), s.end());
      }
    }
    for (const auto& [name, in] : p.attr_inputs) {
      const std::set<std::string>& s = depends_on(in);
      out.insert(s.begin(), s.end());
    }
  }
  return depends_[v] = out;
}

Tensor ShapeInference::tensor_at(ValueId v, const Assignment& a, Memo& memo) {
  const Value& value = graph_.value(v);
  if (value.placement == Placement::Constant) return value.constant;
  if (value.placement == Placement::Host && value.producer >= 0) {
    const auto key = std::make_tuple(a.entry, a.delta, a.moved, v);
    const auto found = memo.tensors.find(key);
    if (found != memo.tensors.end()) return found->second;
    const Node& p = graph_.nodes.at(static_cast<size_t>(value.producer));
    const std::vector<Tensor> outs = run_node(p, true, a, memo, nullptr);
    for (size_t k = 0; k < p.outputs.size(); ++k)
      memo.tensors[std::make_tuple(a.entry, a.delta, a.moved, p.outputs[k])] =
          k < outs.size() ? outs[k] : Tensor();
    return memo.tensors[key];
  }
  if (!value.shape_known) return {};
  Shape shape;
  for (const SymDim& d : value.shape) {
    const std::optional<int64_t> n = evaluate(dim_expr(d), a);
    if (!n || *n < 0) return {};
    shape.push_back(*n);
  }
  try {
    return Tensor::empty(shape, value.dtype, meta_device());
  } catch (const std::exception&) {
    return {};  // sizes beyond this build's address space (wasm32) at this assignment
  }
}

std::vector<Tensor> ShapeInference::run_node(const Node& node, bool on_cpu, const Assignment& a,
                                             Memo& memo, std::string* error) {
  std::vector<Tensor> args;
  for (ValueId v : node.inputs) {
    args.push_back(v == kNoValue ? Tensor() : tensor_at(v, a, memo));
    if (v != kNoValue && !args.back().defined()) {
      if (error != nullptr) *error = "the size of '" + graph_.value(v).name + "' is unknown here";
      return {};
    }
  }
  std::map<std::string, Tensor> run_time;
  for (const auto& [name, v] : node.attr_inputs) {
    const Tensor t = tensor_at(v, a, memo);
    if (!t.defined() || &t.device() != &cpu_device()) {
      if (error != nullptr) *error = "'" + graph_.value(v).name + "' is unknown here";
      return {};
    }
    run_time[name] = t;
  }
  try {
    if (node.op == kShapeOp) return {evaluate_shape_op(args.at(0).shape(), node.attrs)};
    Attrs attrs = node.attrs;
    if (!run_time.empty()) bind_attr_inputs(node.op, attrs, run_time, node.source);
    if (on_cpu) return memo.cpu.call(node.op, args, attrs);
    for (Tensor& t : args)
      t = meta_like(t);
    return memo.meta.call(node.op, args, attrs);
  } catch (const std::exception& e) {
    if (error != nullptr) *error = e.what();
    return {};
  }
}

std::vector<SymExpr> ShapeInference::candidates(const Node& node) {
  std::vector<SymExpr> out;
  auto add = [&out](const SymExpr& e) {
    if (!e.is_constant() && std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  };
  std::vector<ValueId> reads = node.inputs;
  for (const auto& [name, v] : node.attr_inputs)
    reads.push_back(v);
  std::vector<std::vector<SymExpr>> dynamic_dims;
  for (ValueId v : reads) {
    if (v == kNoValue) continue;
    const Value& value = graph_.value(v);
    std::vector<SymExpr> dims;
    for (const SymDim& d : value.shape) {
      if (d.is_static()) continue;
      const SymExpr e = dim_expr(d);
      add(e);
      if (std::find(dims.begin(), dims.end(), e) == dims.end()) dims.push_back(e);
    }
    dynamic_dims.push_back(dims);
    const auto el = elements_.find(v);
    if (el == elements_.end()) continue;
    for (const std::optional<SymExpr>& e : el->second) {
      if (e) add(*e);
    }
  }
  // Products of one input's dynamic dims (flatten, reshape to [batch, -1]).
  for (const std::vector<SymExpr>& dims : dynamic_dims) {
    if (dims.size() < 2 || dims.size() > 5) continue;
    for (unsigned mask = 1; mask < (1u << dims.size()); ++mask) {
      if ((mask & (mask - 1)) == 0) continue;  // single dims are in already
      SymExpr product = SymExpr::constant(1);
      for (size_t i = 0; i < dims.size(); ++i) {
        if (mask & (1u << i)) product = product * dims[i];
      }
      add(product);
    }
  }
  // Sums along an axis over inputs of one rank (concat).
  for (size_t axis = 0;; ++axis) {
    SymExpr sum;
    int count = 0;
    for (ValueId v : node.inputs) {
      if (v == kNoValue) continue;
      const Value& value = graph_.value(v);
      if (!value.shape_known || axis >= value.shape.size()) continue;
      sum = sum + dim_expr(value.shape[axis]);
      ++count;
    }
    if (count == 0) break;
    if (count >= 2) add(sum);
  }
  return out;
}

// The samples of one node: assignments where its rule ran, its outputs there, and the value of
// every candidate expression there.
struct ShapeInference::Samples {
  std::vector<SymExpr> candidates;
  std::vector<bool> usable;  // evaluates at every sample
  std::vector<Assignment> at;
  std::vector<std::vector<Tensor>> outputs;
  std::vector<std::vector<int64_t>> candidate_values;
};

void ShapeInference::add_sample(Samples& s, const Assignment& a, std::vector<Tensor> outputs) {
  std::vector<int64_t> row;
  for (size_t c = 0; c < s.candidates.size(); ++c) {
    const std::optional<int64_t> v = evaluate(s.candidates[c], a);
    s.usable[c] = s.usable[c] && v.has_value();
    row.push_back(v.value_or(0));
  }
  s.at.push_back(a);
  s.outputs.push_back(std::move(outputs));
  s.candidate_values.push_back(std::move(row));
}

// Output o's dim `which` (>= 0) or element -1 - which at every sample; false when some sample
// lacks it.
bool ShapeInference::series(const Samples& s, size_t o, int64_t which,
                            std::vector<int64_t>& values) const {
  values.clear();
  for (const std::vector<Tensor>& r : s.outputs) {
    const Tensor& t = r.at(o);
    if (which >= 0) {
      if (static_cast<size_t>(which) >= t.rank()) return false;
      values.push_back(t.shape()[static_cast<size_t>(which)]);
      continue;
    }
    const auto element = static_cast<size_t>(-1 - which);
    if (element >= static_cast<size_t>(t.numel()) || t.numel() > kElementExprLimit) return false;
    const std::optional<int64_t> v = integral_element(t.to_vector<double>(), element);
    if (!v) return false;
    values.push_back(*v);
  }
  return true;
}

// Fits `values`, trying first the dims at the same (right-aligned) axis of the inputs: where
// only assignments with every symbol equal work, that tells [u0, u1] + [u2, u3] apart.
DimFit ShapeInference::fit(const Node& node, const Samples& s, const std::vector<int64_t>& values,
                           int64_t axis_from_end) const {
  std::vector<size_t> order;
  if (axis_from_end > 0) {
    for (ValueId v : node.inputs) {
      if (v == kNoValue) continue;
      const SymShape& shape = graph_.value(v).shape;
      if (static_cast<int64_t>(shape.size()) < axis_from_end) continue;
      const SymExpr e = dim_expr(shape[shape.size() - static_cast<size_t>(axis_from_end)]);
      const auto it = std::find(s.candidates.begin(), s.candidates.end(), e);
      if (it != s.candidates.end()) order.push_back(static_cast<size_t>(it - s.candidates.begin()));
    }
  }
  for (size_t c = 0; c < s.candidates.size(); ++c)
    order.push_back(c);
  std::vector<SymExpr> cs;
  std::vector<std::vector<int64_t>> cv(values.size());
  std::vector<bool> taken(s.candidates.size(), false);
  for (size_t c : order) {
    if (taken[c] || !s.usable[c]) continue;
    taken[c] = true;
    cs.push_back(s.candidates[c]);
    for (size_t k = 0; k < values.size(); ++k)
      cv[k].push_back(s.candidate_values[k][c]);
  }
  return fit_dim(cs, cv, values);
}

// Moves one symbol of every floor fit (a stride) or ambiguous fit 1, 2, ... from the first
// assignment that worked, in stages, until each fit is exact: a floor's q and offset are then
// pinned down, and a candidate that fitted only because two symbols moved together drops out.
void ShapeInference::refine(const Node& node, bool host, Samples& s, Memo& memo) {
  std::set<std::string> moved;
  std::vector<int64_t> values;
  for (int round = 0; round < kMaxRefinedSymbols; ++round) {
    std::optional<std::string> symbol;
    for (size_t o = 0; o < node.outputs.size() && !symbol; ++o) {
      const size_t rank = s.outputs[0][o].rank();
      for (size_t d = 0; d < rank && !symbol; ++d) {
        if (!series(s, o, static_cast<int64_t>(d), values)) continue;
        const DimFit f = fit(node, s, values, static_cast<int64_t>(rank - d));
        if (f.kind == DimFit::Kind::None || (f.kind == DimFit::Kind::Exact && !f.floor)) continue;
        std::set<std::string> names;
        f.expr.collect_symbols(names);
        for (const std::string& name : names) {
          if (!moved.count(name)) symbol = name;
        }
      }
    }
    if (!symbol) return;
    moved.insert(*symbol);
    const int index = symbol_index(*symbol);
    int64_t delta = 1;
    for (int64_t stage : kRefineStages) {
      int failures = 0;
      for (; delta <= stage && failures < kMaxRefineFailures; ++delta) {
        std::vector<Tensor> out =
            run_node(node, host, {s.at[0].entry, delta, index}, memo, nullptr);
        if (out.size() != node.outputs.size()) {
          ++failures;
          continue;
        }
        failures = 0;
        add_sample(s, {s.at[0].entry, delta, index}, std::move(out));
      }
      // Settled: every fit exact, and each floor's q seen over at least two periods (a q' near q
      // can match fewer consecutive samples).
      bool settled = true;
      for (size_t o = 0; o < node.outputs.size() && settled; ++o) {
        const size_t rank = s.outputs[0][o].rank();
        for (size_t d = 0; d < rank && settled; ++d) {
          if (!series(s, o, static_cast<int64_t>(d), values)) continue;
          const DimFit f = fit(node, s, values, static_cast<int64_t>(rank - d));
          settled = f.kind != DimFit::Kind::Ambiguous && 2 * f.q <= stage;
        }
      }
      if (settled || failures >= kMaxRefineFailures) break;
    }
  }
}

void ShapeInference::fit_outputs(const Node& node, bool host, bool exact, Samples& s, Memo& memo) {
  if (!exact) refine(node, host, s, memo);
  std::vector<int64_t> values;
  for (size_t o = 0; o < node.outputs.size(); ++o) {
    Value& out = graph_.values.at(static_cast<size_t>(node.outputs[o]));
    const size_t rank = s.outputs[0][o].rank();
    bool same_rank = true;
    for (const std::vector<Tensor>& r : s.outputs)
      same_rank = same_rank && r[o].rank() == rank;
    if (!same_rank) continue;  // shape unknown
    out.shape_known = true;
    out.shape.clear();
    for (size_t d = 0; d < rank; ++d) {
      series(s, o, static_cast<int64_t>(d), values);
      if (exact) {
        out.shape.push_back({values.at(0), ""});
        continue;
      }
      const DimFit f = fit(node, s, values, static_cast<int64_t>(rank - d));
      out.shape.push_back(f.kind == DimFit::Kind::Exact
                              ? sym_dim(f.expr)
                              : sym_dim(SymExpr::symbol(fresh_symbol(node.op))));
    }
    if (!host) continue;
    std::vector<std::optional<SymExpr>> elements;
    const int64_t numel = s.outputs[0][o].numel();
    for (int64_t e = 0; e < numel && numel <= kElementExprLimit; ++e) {
      elements.emplace_back();
      if (!series(s, o, -1 - e, values)) continue;
      if (exact) {
        elements.back() = SymExpr::constant(values.at(0));
        continue;
      }
      const DimFit f = fit(node, s, values, 0);
      if (f.kind == DimFit::Kind::Exact) elements.back() = f.expr;
    }
    elements_[node.outputs[o]] = elements;
  }
}

void ShapeInference::infer(int index, bool may_be_host) {
  const Node& node = graph_.nodes.at(static_cast<size_t>(index));
  auto place = [&](Placement p) {
    for (ValueId out : node.outputs)
      graph_.values.at(static_cast<size_t>(out)).placement = p;
  };
  // Until shown otherwise (sizes known and small), a node over CPU values is a Host node.
  const bool host_first = may_be_host || node.op == kShapeOp;
  place(host_first ? Placement::Host : Placement::Device);
  std::set<std::string> deps;
  bool inputs_known = true;
  auto read = [&](ValueId v) {
    if (v == kNoValue) return;
    const std::set<std::string>& d = depends_on(v);
    deps.insert(d.begin(), d.end());
    const Value& value = graph_.value(v);
    inputs_known = inputs_known && (value.shape_known || value.placement == Placement::Constant);
  };
  for (ValueId v : node.inputs)
    read(v);
  for (const auto& [name, v] : node.attr_inputs)
    read(v);
  if (!inputs_known) return;  // an input's shape is unknown: so are the outputs'
  for (const auto& [name, v] : node.attr_inputs) {
    if (graph_.value(v).placement == Placement::Device) {
      // Sizes given by data the device computes (or a graph input): known when the node runs.
      note(node, "its '" + name + "' comes from data known only at run time");
      return;
    }
  }

  Memo& memo = *ladder_memo_;
  Samples s;
  try {
    s.candidates = candidates(node);
  } catch (const std::exception&) {
    s.candidates.clear();  // an expression beyond int64: fit without candidates
  }
  s.usable.assign(s.candidates.size(), true);
  std::string first_error;
  const int rows = deps.empty() ? 1 : kLadderRows;
  std::vector<std::pair<Assignment, std::vector<Tensor>>> ran;
  for (int r = 0; r < rows; ++r) {
    std::string error;
    std::vector<Tensor> out = run_node(node, false, {r, 0, -1}, memo, &error);
    if (out.size() == node.outputs.size())
      ran.emplace_back(Assignment{r, 0, -1}, std::move(out));
    else if (first_error.empty())
      first_error = error.empty() ? "an input's size is unknown here" : error;
  }
  if (ran.empty()) {
    // In a model without symbols the sizes are the real ones, so the model itself is wrong.
    if (symbols_.empty()) fail(node.source.empty() ? node.op : node.source, ": ", first_error);
    note(node, first_error);
    return;
  }
  bool host = host_first;
  for (const auto& [a, outs] : ran) {
    for (const Tensor& t : outs)
      host = host && (node.op == kShapeOp || t.numel() <= kHostElementLimit);
  }
  if (host) {
    // Host values are computed (on the CPU) at every assignment: later nodes read their data.
    for (auto& [a, outs] : ran) {
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        outs[k] = tensor_at(node.outputs[k], a, memo);  // runs the node once, memoizing all
        host = host && outs[k].defined();
      }
    }
  }
  if (!host && host_first) {
    place(Placement::Device);
    for (auto it = memo.tensors.begin(); it != memo.tensors.end();) {
      const ValueId v = std::get<3>(it->first);
      it = std::find(node.outputs.begin(), node.outputs.end(), v) != node.outputs.end()
               ? memo.tensors.erase(it)
               : std::next(it);
    }
    for (auto& [a, outs] : ran)
      outs = run_node(node, false, a, memo, nullptr);
  }
  for (auto& [a, outs] : ran)
    add_sample(s, a, std::move(outs));
  Memo refine_memo;
  fit_outputs(node, host, deps.empty(), s, refine_memo);
}

void ShapeInference::note(const Node& node, const std::string& why) {
  if (graph_.inference_note.empty())
    graph_.inference_note = (node.source.empty() ? node.op : node.source) + ": " + why;
}

}  // namespace wgml::graph
