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

// A fit with a floor (a stride) or an ambiguous offset is confirmed with one of its symbols moved
// by 1, 2, ... from the first assignment that worked, this many times (strides up to ~200 pin
// down exactly), each symbol at most once per node.
constexpr int64_t kRefineSamples = 420;
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
      symbol_value(name, {});
    d = sym_dim(e);
  }
}

std::string ShapeInference::fresh_symbol(const std::string& prefix) {
  std::string symbol;
  for (int k = 1;
       symbol.empty() || std::find(symbols_.begin(), symbols_.end(), symbol) != symbols_.end(); ++k)
    symbol = prefix + "_" + std::to_string(k);
  symbols_.push_back(symbol);
  return symbol;
}

int64_t ShapeInference::symbol_value(const std::string& name, const Assignment& a) {
  auto it = std::find(symbols_.begin(), symbols_.end(), name);
  if (it == symbols_.end()) it = symbols_.insert(symbols_.end(), name);
  const auto index = static_cast<int64_t>(it - symbols_.begin());
  const LadderRow& row = kLadder[a.entry];
  return row.base + row.step * index + (a.moved == index ? a.delta : 0);
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
  return Tensor::empty(shape, value.dtype, meta_device());
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

void ShapeInference::fit_outputs(const Node& node, bool host, bool exact,
                                 const std::vector<Assignment>& ok,
                                 std::vector<std::vector<Tensor>>& results, Memo& memo) {
  const std::vector<SymExpr> cands = candidates(node);
  std::vector<Assignment> samples = ok;
  // Per sample, per candidate: its value (candidates that do not evaluate everywhere are dropped).
  std::vector<std::vector<int64_t>> cand_values;
  std::vector<bool> usable(cands.size(), true);
  auto add_sample_values = [&](const Assignment& a) {
    std::vector<int64_t> row;
    for (size_t c = 0; c < cands.size(); ++c) {
      const std::optional<int64_t> v = evaluate(cands[c], a);
      usable[c] = usable[c] && v.has_value();
      row.push_back(v.value_or(0));
    }
    cand_values.push_back(row);
  };
  for (const Assignment& a : samples)
    add_sample_values(a);

  // One fit over every sample so far; refining adds samples while an offset is ambiguous.
  auto fit_series = [&](const std::vector<int64_t>& values) {
    std::vector<SymExpr> cs;
    std::vector<std::vector<int64_t>> cv(values.size());
    for (size_t c = 0; c < cands.size(); ++c) {
      if (!usable[c]) continue;
      cs.push_back(cands[c]);
      for (size_t s = 0; s < values.size(); ++s)
        cv[s].push_back(cand_values[s][c]);
    }
    if (exact) {  // no symbols: the one sample is the answer
      DimFit fit;
      fit.kind = DimFit::Kind::Exact;
      fit.expr = SymExpr::constant(values.at(0));
      return fit;
    }
    return fit_dim(cs, cv, values);
  };
  const size_t outputs = node.outputs.size();
  // The series to fit: (output, dim) for every output dim, then (output, -1 - element) for the
  // elements of small Host outputs.
  auto series = [&](size_t o, int64_t which, std::vector<int64_t>& values) {
    values.clear();
    for (const std::vector<Tensor>& r : results) {
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
  };
  // The symbol to move next: one of a floor fit's or an ambiguous fit's candidate, not moved yet.
  std::set<std::string> moved;
  auto next_to_move = [&]() -> std::optional<std::string> {
    std::vector<int64_t> values;
    for (size_t o = 0; o < outputs; ++o) {
      for (size_t d = 0; d < results[0][o].rank(); ++d) {
        if (!series(o, static_cast<int64_t>(d), values)) continue;
        const DimFit fit = fit_series(values);
        if (fit.kind == DimFit::Kind::None || (fit.kind == DimFit::Kind::Exact && !fit.floor))
          continue;
        std::set<std::string> names;
        fit.expr.collect_symbols(names);
        for (const std::string& name : names) {
          if (!moved.count(name)) return name;
        }
      }
    }
    return std::nullopt;
  };
  for (int round = 0; round < kMaxRefinedSymbols; ++round) {
    const std::optional<std::string> symbol = next_to_move();
    if (!symbol) break;
    moved.insert(*symbol);
    const auto index =
        static_cast<int>(std::find(symbols_.begin(), symbols_.end(), *symbol) - symbols_.begin());
    for (int64_t delta = 1; delta <= kRefineSamples; ++delta) {
      const Assignment a{ok[0].entry, delta, index};
      std::vector<Tensor> out = run_node(node, host, a, memo, nullptr);
      if (out.size() != outputs) continue;
      samples.push_back(a);
      add_sample_values(a);
      results.push_back(std::move(out));
    }
  }

  std::vector<int64_t> values;
  for (size_t o = 0; o < outputs; ++o) {
    Value& out = graph_.values.at(static_cast<size_t>(node.outputs[o]));
    const size_t rank = results[0][o].rank();
    bool same_rank = true;
    for (const std::vector<Tensor>& r : results)
      same_rank = same_rank && r[o].rank() == rank;
    if (!same_rank) continue;  // shape unknown
    out.shape_known = true;
    out.shape.clear();
    for (size_t d = 0; d < rank; ++d) {
      series(o, static_cast<int64_t>(d), values);
      const DimFit fit = fit_series(values);
      out.shape.push_back(fit.kind == DimFit::Kind::Exact
                              ? sym_dim(fit.expr)
                              : sym_dim(SymExpr::symbol(fresh_symbol(node.op))));
    }
    if (!host) continue;
    std::vector<std::optional<SymExpr>> elements;
    const int64_t numel = results[0][o].numel();
    for (int64_t e = 0; e < numel && numel <= kElementExprLimit; ++e) {
      elements.emplace_back();
      if (!series(o, -1 - e, values)) continue;
      const DimFit fit = fit_series(values);
      if (fit.kind == DimFit::Kind::Exact) elements.back() = fit.expr;
    }
    elements_[node.outputs[o]] = elements;
  }
}

void ShapeInference::infer(int index, bool may_be_host) {
  const Node& node = graph_.nodes.at(static_cast<size_t>(index));
  std::set<std::string> deps;
  bool inputs_known = true;
  auto read = [&](ValueId v) {
    if (v == kNoValue) return;
    const std::set<std::string>& s = depends_on(v);
    deps.insert(s.begin(), s.end());
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
      if (graph_.inference_note.empty())
        graph_.inference_note = node.source + " (" + node.op + "): its '" + name +
                                "' comes from data known only at run time";
      return;
    }
  }

  Memo& memo = *ladder_memo_;
  std::vector<Assignment> ok;
  std::vector<std::vector<Tensor>> results;
  std::string first_error;
  const int rows = deps.empty() ? 1 : kLadderRows;
  for (int r = 0; r < rows; ++r) {
    std::string error;
    std::vector<Tensor> out = run_node(node, false, {r, 0}, memo, &error);
    if (out.size() == node.outputs.size()) {
      ok.push_back({r, 0});
      results.push_back(std::move(out));
    } else if (first_error.empty()) {
      first_error = error.empty() ? "an input's size is unknown here" : error;
    }
  }
  if (ok.empty()) {
    // With static inputs the sizes are the real ones, so the model itself is wrong.
    if (deps.empty()) fail(node.source.empty() ? node.op : node.source, ": ", first_error);
    if (graph_.inference_note.empty())
      graph_.inference_note = node.source + " (" + node.op + "): " + first_error;
    return;
  }
  bool host = may_be_host;
  for (const std::vector<Tensor>& r : results) {
    for (const Tensor& t : r)
      host = host && (node.op == kShapeOp || t.numel() <= kHostElementLimit);
  }
  auto place = [&](Placement p) {
    for (ValueId out : node.outputs)
      graph_.values.at(static_cast<size_t>(out)).placement = p;
  };
  if (host) {
    // Host values are computed (on the CPU) at every assignment: later nodes read their data.
    place(Placement::Host);
    std::vector<std::vector<Tensor>> on_cpu;
    for (const Assignment& a : ok) {
      on_cpu.emplace_back();
      for (ValueId out : node.outputs) {
        on_cpu.back().push_back(tensor_at(out, a, memo));  // runs the node once, memoizing all
        host = host && on_cpu.back().back().defined();
      }
    }
    if (host) results = std::move(on_cpu);
  }
  if (!host) {
    place(Placement::Device);
    for (auto it = memo.tensors.begin(); it != memo.tensors.end();) {
      const ValueId v = std::get<3>(it->first);
      it = std::find(node.outputs.begin(), node.outputs.end(), v) != node.outputs.end()
               ? memo.tensors.erase(it)
               : std::next(it);
    }
  }
  Memo refine;
  fit_outputs(node, host, deps.empty(), ok, results, refine);
}

}  // namespace wgml::graph
