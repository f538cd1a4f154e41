// ONNX Einsum (opset 12) as engine ops: repeated labels in one operand become a diagonal (a
// strided slice of the flattened pair), labels nobody else needs are summed away, and operands
// are contracted left to right with one batched matmul each ([batch, M, K] @ [batch, K, N]).
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_ops_nn.h"

namespace wgml::onnx {

namespace {

// A label: a letter's character code, or 0..9 for the dims an ellipsis stands for (aligned to
// the right across operands, as broadcasting aligns them).
using Label = int;
using Labels = std::vector<Label>;

struct Term {
  Labels letters_before, letters_after;  // around the ellipsis; all in letters_before if none
  bool ellipsis = false;
};

Term parse_term(const NodeContext& ctx, const std::string& text) {
  Term term;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '.') {
      if (term.ellipsis || text.compare(i, 3, "...") != 0) {
        ctx.fail_here("equation term '" + text + "' has a stray '.' (an ellipsis is '...', once)");
      }
      term.ellipsis = true;
      i += 2;
    } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
      (term.ellipsis ? term.letters_after : term.letters_before).push_back(ch);
    } else {
      ctx.fail_here(std::string("equation term '") + text + "' has the character '" + ch +
                    "'; labels are letters");
    }
  }
  return term;
}

Labels expand(const Term& term, int64_t ellipsis_dims, int64_t max_ellipsis) {
  Labels labels = term.letters_before;
  for (int64_t k = max_ellipsis - ellipsis_dims; k < max_ellipsis; ++k)
    labels.push_back(static_cast<Label>(k));
  labels.insert(labels.end(), term.letters_after.begin(), term.letters_after.end());
  return labels;
}

bool contains(const Labels& labels, Label l) {
  return std::find(labels.begin(), labels.end(), l) != labels.end();
}

struct Operand {
  ValueId value;
  Labels labels;  // one per axis
};

class Einsum {
 public:
  explicit Einsum(NodeContext& ctx) : ctx_(ctx) {}
  void run();

 private:
  int64_t size_of(Label l) const {
    const auto it = sizes_.find(l);
    return it == sizes_.end() ? -1 : it->second;
  }
  Operand diagonals(Operand x);
  Operand sum_unneeded(Operand x, const Labels& needed);
  Operand permute(Operand x, const Labels& order);
  Operand contract(Operand a, Operand b, const Labels& keep);
  ValueId merge(ValueId v, size_t kept_axes, const std::vector<Labels>& groups);

  NodeContext& ctx_;
  std::map<Label, int64_t> sizes_;  // static sizes (the largest, for broadcast dims)
};

void Einsum::run() {
  std::string eq;
  for (char ch : ctx_.attr_string("equation", ""))
    if (ch != ' ') eq += ch;
  if (eq.empty()) ctx_.fail_here("attribute 'equation' is required");
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<Term> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(parse_term(ctx_, lhs.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != ctx_.num_inputs()) {
    ctx_.fail_here(str_cat("equation '", eq, "' has ", terms.size(), " operands but the node has ",
                           ctx_.num_inputs(), " inputs"));
  }
  std::vector<int64_t> ellipsis_dims;
  int64_t max_ellipsis = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    const int64_t rank = ctx_.rank(ctx_.input(i));
    if (rank < 0) ctx_.fail_here(str_cat("the rank of input ", i, " is not known at load time"));
    const int64_t letters =
        static_cast<int64_t>(terms[i].letters_before.size() + terms[i].letters_after.size());
    const int64_t rest = rank - letters;
    if (rest < 0 || (rest > 0 && !terms[i].ellipsis)) {
      ctx_.fail_here(str_cat("operand ", i, " of equation '", eq, "' names ", letters,
                             " axes but input ", i, " has rank ", rank));
    }
    ellipsis_dims.push_back(rest);
    max_ellipsis = std::max(max_ellipsis, rest);
  }
  std::vector<Operand> operands;
  std::map<Label, int> uses;
  for (size_t i = 0; i < terms.size(); ++i) {
    Operand x{ctx_.input(i), expand(terms[i], ellipsis_dims[i], max_ellipsis)};
    const graph::SymShape* shape = ctx_.shape(x.value);
    for (size_t d = 0; d < x.labels.size(); ++d) {
      const int64_t n = (*shape)[d].value;
      if (n >= 0) sizes_[x.labels[d]] = std::max(size_of(x.labels[d]), n);
      ++uses[x.labels[d]];
    }
    operands.push_back(x);
  }
  Labels output;
  if (arrow != std::string::npos) {
    const Term out = parse_term(ctx_, eq.substr(arrow + 2));
    output = expand(out, out.ellipsis ? max_ellipsis : 0, max_ellipsis);
    for (Label l : output) {
      if (!uses.count(l)) {
        ctx_.fail_here(str_cat("output label '", static_cast<char>(l), "' of equation '", eq,
                               "' is in no operand"));
      }
    }
  } else {
    // Implicit output: the ellipsis dims, then the letters used once, in alphabetical order.
    for (Label k = 0; k < max_ellipsis; ++k)
      output.push_back(k);
    for (const auto& [label, count] : uses)
      if (label >= 'A' && count == 1) output.push_back(label);
  }

  // Labels that a later operand or the output still needs.
  const auto joined = [](Labels a, const Labels& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const auto needed_after = [&](size_t i) {
    Labels needed = output;
    for (size_t j = i + 1; j < operands.size(); ++j)
      needed = joined(needed, operands[j].labels);
    return needed;
  };
  Operand acc = sum_unneeded(diagonals(operands[0]), needed_after(0));
  for (size_t i = 1; i < operands.size(); ++i) {
    const Labels needed = needed_after(i);
    const Operand b = sum_unneeded(diagonals(operands[i]), joined(needed, acc.labels));
    acc = contract(sum_unneeded(acc, joined(needed, b.labels)), b, needed);
  }
  acc = sum_unneeded(acc, output);
  ctx_.set_outputs({permute(acc, output).value});
}

// Repeated labels within one operand ("ii->i"): the pair's axes go last, are flattened, and
// every (n + 1)-th element is the diagonal.
Operand Einsum::diagonals(Operand x) {
  for (size_t p = 0; p < x.labels.size(); ++p) {
    for (size_t q = p + 1; q < x.labels.size(); ++q) {
      if (x.labels[p] != x.labels[q]) continue;
      const int64_t n = size_of(x.labels[p]);
      if (n < 0) ctx_.fail_here("a repeated label needs its dimension known at load time");
      Labels order;
      for (size_t d = 0; d < x.labels.size(); ++d)
        if (d != p && d != q) order.push_back(x.labels[d]);
      Ints perm;
      for (size_t d = 0; d < x.labels.size(); ++d)
        if (d != p && d != q) perm.push_back(static_cast<int64_t>(d));
      perm.push_back(static_cast<int64_t>(p));
      perm.push_back(static_cast<int64_t>(q));
      const ValueId moved = ctx_.op1("permute", {x.value}, {{"perm", perm}});
      Ints shape(order.size(), 0);  // 0 keeps a dim (allowzero = 0)
      shape.push_back(n * n);
      const ValueId flat =
          ctx_.op1("reshape", {moved}, {{"shape", shape}, {"allowzero", int64_t{0}}});
      const int64_t last = static_cast<int64_t>(order.size());
      const ValueId diag = ctx_.op1("slice", {flat},
                                    {{"starts", Ints{0}},
                                     {"ends", Ints{n * n}},
                                     {"axes", Ints{last}},
                                     {"steps", Ints{n + 1}}});
      order.push_back(x.labels[p]);
      return diagonals({diag, order});
    }
  }
  return x;
}

Operand Einsum::sum_unneeded(Operand x, const Labels& needed) {
  Ints axes;
  Labels kept;
  for (size_t d = 0; d < x.labels.size(); ++d) {
    if (contains(needed, x.labels[d])) {
      kept.push_back(x.labels[d]);
    } else {
      axes.push_back(static_cast<int64_t>(d));
    }
  }
  if (axes.empty()) return x;
  return {ctx_.op1("sum", {x.value}, {{"axes", axes}, {"keepdims", int64_t{0}}}), kept};
}

Operand Einsum::permute(Operand x, const Labels& order) {
  Ints perm;
  bool identity = true;
  for (Label l : order) {
    const auto it = std::find(x.labels.begin(), x.labels.end(), l);
    perm.push_back(it - x.labels.begin());
    identity = identity && perm.back() == static_cast<int64_t>(perm.size() - 1);
  }
  if (identity) return {x.value, order};
  return {ctx_.op1("permute", {x.value}, {{"perm", perm}}), order};
}

// Reshapes the axes after the first `kept_axes` into one axis per group (a group of no labels
// becomes a unit axis); groups of two or more labels need static sizes.
ValueId Einsum::merge(ValueId v, size_t kept_axes, const std::vector<Labels>& groups) {
  bool plain = true;  // every group is at most one axis: unsqueeze for the empty ones suffices
  for (const Labels& g : groups)
    plain = plain && g.size() <= 1;
  if (plain) {
    Ints axes;
    int64_t axis = static_cast<int64_t>(kept_axes);
    for (const Labels& g : groups) {
      if (g.empty()) axes.push_back(axis);
      ++axis;
    }
    return axes.empty() ? v : ctx_.op1("unsqueeze", {v}, {{"axes", axes}});
  }
  Ints shape(kept_axes, 0);
  for (const Labels& g : groups) {
    int64_t n = 1;
    for (Label l : g) {
      if (size_of(l) < 0) ctx_.fail_here("contracting several labels at once needs static sizes");
      n *= size_of(l);
    }
    shape.push_back(n);
  }
  return ctx_.op1("reshape", {v}, {{"shape", shape}, {"allowzero", int64_t{0}}});
}

Operand Einsum::contract(Operand a, Operand b, const Labels& keep) {
  Labels batch, a_only, b_only, summed;
  for (Label l : a.labels) {
    if (!contains(b.labels, l)) {
      a_only.push_back(l);
    } else if (contains(keep, l)) {
      batch.push_back(l);
    } else {
      summed.push_back(l);
    }
  }
  for (Label l : b.labels)
    if (!contains(a.labels, l)) b_only.push_back(l);
  Labels a_order = batch, b_order = batch;
  a_order.insert(a_order.end(), a_only.begin(), a_only.end());
  a_order.insert(a_order.end(), summed.begin(), summed.end());
  b_order.insert(b_order.end(), summed.begin(), summed.end());
  b_order.insert(b_order.end(), b_only.begin(), b_only.end());
  const ValueId am = merge(permute(a, a_order).value, batch.size(), {a_only, summed});
  const ValueId bm = merge(permute(b, b_order).value, batch.size(), {summed, b_only});
  ValueId y = ctx_.op1("matmul", {am, bm});  // [batch..., M, N]
  Labels out = batch;
  out.insert(out.end(), a_only.begin(), a_only.end());
  out.insert(out.end(), b_only.begin(), b_only.end());
  // Undo the merge: unit axes of empty groups go, merged groups split into their labels.
  if (a_only.size() <= 1 && b_only.size() <= 1) {
    Ints unit;
    if (a_only.empty()) unit.push_back(static_cast<int64_t>(batch.size()));
    if (b_only.empty()) unit.push_back(static_cast<int64_t>(batch.size()) + 1);
    if (!unit.empty()) y = ctx_.op1("squeeze", {y}, {{"axes", unit}});
    return {y, out};
  }
  Ints shape(batch.size(), 0);
  for (const Labels* g : {&a_only, &b_only}) {
    for (Label l : *g)
      shape.push_back(size_of(l));
  }
  return {ctx_.op1("reshape", {y}, {{"shape", shape}, {"allowzero", int64_t{0}}}), out};
}

}  // namespace

void convert_einsum(NodeContext& ctx) {
  Einsum(ctx).run();
}

}  // namespace wgml::onnx
