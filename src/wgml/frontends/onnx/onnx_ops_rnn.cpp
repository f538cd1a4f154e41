// ONNX LSTM, GRU and RNN (opset 7, and 14's layout), unrolled over a sequence length known at load
// time into engine matmuls and elementwise ops. The input projection X @ W^T runs once for all
// steps; each step adds H @ R^T and applies the cell. sequence_lens masks steps past a batch
// entry's length: its state stops changing and its Y rows are zero, which also makes a reverse
// direction start at each entry's own last step.
#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_ops_nn.h"

namespace wgml::onnx {

namespace {

using graph::kNoValue;

enum class Cell { Rnn, Gru, Lstm };

int64_t gate_count(Cell cell) {
  return cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 3 : 4;
}

struct Activation {
  std::string name;  // lower case
  double alpha = 0, beta = 0;
};

std::string lower(std::string s) {
  for (char& ch : s)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// The activations of every direction, in order (f, g, h per direction), with their alpha and
// beta taken in turn from activation_alpha/activation_beta by the functions that have one, and
// otherwise the defaults of the ONNX ops of the same name.
std::vector<Activation> read_activations(const NodeContext& ctx, Cell cell, int64_t directions) {
  std::vector<std::string> names;
  if (const AttributeProto* a = ctx.node().attribute("activations")) {
    names = a->strings;
  } else {
    const std::vector<std::string> one = cell == Cell::Rnn ? std::vector<std::string>{"Tanh"}
                                         : cell == Cell::Gru
                                             ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                             : std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"};
    for (int64_t d = 0; d < directions; ++d)
      names.insert(names.end(), one.begin(), one.end());
  }
  const size_t per_direction = cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 2 : 3;
  if (names.size() != per_direction * static_cast<size_t>(directions)) {
    ctx.fail_here(str_cat("activations lists ", names.size(), " functions; this direction setting ",
                          "needs ", per_direction * static_cast<size_t>(directions)));
  }
  const Floats alphas = ctx.attr_floats("activation_alpha");
  const Floats betas = ctx.attr_floats("activation_beta");
  size_t next_alpha = 0, next_beta = 0;
  std::vector<Activation> out;
  for (const std::string& given : names) {
    Activation act{lower(given)};
    std::optional<double> alpha, beta;  // the defaults, for functions that take them
    if (act.name == "leakyrelu") alpha = 0.01;
    if (act.name == "thresholdedrelu" || act.name == "elu") alpha = 1.0;
    if (act.name == "hardsigmoid") alpha = 0.2, beta = 0.5;
    if (act.name == "affine") alpha = 1.0, beta = 0.0;
    if (act.name == "scaledtanh") alpha = 1.0, beta = 1.0;
    if (alpha) act.alpha = next_alpha < alphas.size() ? alphas[next_alpha++] : *alpha;
    if (beta) act.beta = next_beta < betas.size() ? betas[next_beta++] : *beta;
    static const char* const known[] = {
        "relu",        "tanh", "sigmoid",  "leakyrelu", "thresholdedrelu", "scaledtanh",
        "hardsigmoid", "elu",  "softsign", "softplus",  "affine"};
    if (std::find(std::begin(known), std::end(known), act.name) == std::end(known)) {
      ctx.fail_here("activation '" + given + "' is not one of ONNX's recurrent activations");
    }
    out.push_back(act);
  }
  return out;
}

// One unrolled direction of one node: the emitting context and everything the steps share.
class Unroller {
 public:
  Unroller(NodeContext& ctx, Cell cell) : ctx_(ctx), cell_(cell) {}

  void run();

 private:
  ValueId scalar(double v) { return ctx_.scalar(v, dtype_); }
  ValueId op(const std::string& name, const std::vector<ValueId>& in, Attrs attrs = {}) {
    return ctx_.op1(name, in, std::move(attrs));
  }
  ValueId add(ValueId a, ValueId b) { return op("add", {a, b}); }
  ValueId mul(ValueId a, ValueId b) { return op("mul", {a, b}); }
  // Entry `index` of axis 0, without that axis.
  ValueId take(ValueId v, int64_t index) {
    const ValueId s =
        op("slice", {v}, {{"starts", Ints{index}}, {"ends", Ints{index + 1}}, {"axes", Ints{0}}});
    return op("squeeze", {s}, {{"axes", Ints{0}}});
  }
  ValueId columns(ValueId v, int64_t begin, int64_t end, int64_t axis) {
    return op("slice", {v}, {{"starts", Ints{begin}}, {"ends", Ints{end}}, {"axes", Ints{axis}}});
  }
  std::vector<ValueId> split_gates(ValueId v, int64_t count) {
    return ctx_.op("split", {v}, {{"axis", int64_t{1}}, {"sizes", Ints(count, hidden_)}});
  }
  ValueId activate(const Activation& act, ValueId v);
  ValueId clipped(ValueId v) {
    if (!clip_) return v;
    return op("clip", {v}, {{"min", -*clip_}, {"max", *clip_}});
  }
  void direction(int64_t d, bool reverse);

  NodeContext& ctx_;
  Cell cell_;
  DType dtype_ = DType::Float32;
  int64_t steps_ = 0, hidden_ = 0;
  std::optional<double> clip_;
  std::vector<Activation> acts_;
  ValueId x_ = kNoValue;                           // [T, batch, input]
  ValueId lens_ = kNoValue;                        // sequence_lens [batch] when it masks anything
  ValueId init_h_ = kNoValue, init_c_ = kNoValue;  // [D, batch, H]
  std::vector<ValueId> ys_, hs_, cs_;              // per direction: [T, 1, batch, H], [1, batch, H]
};

ValueId Unroller::activate(const Activation& act, ValueId v) {
  v = clipped(v);
  const std::string& n = act.name;
  if (n == "relu" || n == "tanh" || n == "sigmoid" || n == "softsign") return op(n, {v});
  if (n == "softplus") return op("softplus", {v});
  if (n == "leakyrelu") return op("leaky_relu", {v}, {{"alpha", act.alpha}});
  if (n == "elu") return op("elu", {v}, {{"alpha", act.alpha}});
  if (n == "hardsigmoid") {
    return op("hardsigmoid", {v}, {{"alpha", act.alpha}, {"beta", act.beta}});
  }
  if (n == "thresholdedrelu") {
    return op("where", {op("greater", {v, scalar(act.alpha)}), v, scalar(0)});
  }
  if (n == "scaledtanh") return mul(scalar(act.alpha), op("tanh", {mul(v, scalar(act.beta))}));
  return add(mul(v, scalar(act.alpha)), scalar(act.beta));  // affine
}

void Unroller::run() {
  const int64_t opset = ctx_.opset();
  const std::string dir = ctx_.attr_string("direction", "forward");
  if (dir != "forward" && dir != "reverse" && dir != "bidirectional") {
    ctx_.fail_here("direction '" + dir + "' is not forward, reverse or bidirectional");
  }
  const int64_t directions = dir == "bidirectional" ? 2 : 1;
  const int64_t layout = opset >= 14 ? ctx_.attr_int("layout", 0) : 0;
  if (layout != 0 && layout != 1) ctx_.fail_here(str_cat("layout ", layout, " must be 0 or 1"));
  acts_ = read_activations(ctx_, cell_, directions);
  if (ctx_.has_attr("clip")) clip_ = ctx_.attr_float("clip", 0);

  x_ = ctx_.input(0);
  dtype_ = ctx_.dtype(x_);
  if (ctx_.rank(x_) != 3) ctx_.fail_here("X must be 3-D, [seq_length, batch_size, input_size]");
  // layout 1 puts the batch first: [batch, seq, input]; the unrolled steps want time first.
  if (layout == 1) x_ = op("permute", {x_}, {{"perm", Ints{1, 0, 2}}});
  const graph::SymShape* xs = ctx_.shape(x_);
  steps_ = xs != nullptr ? (*xs)[0].value : -1;
  if (steps_ <= 0) {
    ctx_.fail_here(
        "the sequence length of X must be known (and positive) when the model loads: wgml unrolls "
        "recurrent ops over it (X has shape " +
        (xs != nullptr ? graph::sym_shape_str(*xs) : std::string("unknown")) + ")");
  }
  hidden_ = ctx_.attr_int("hidden_size", -1);
  const graph::SymShape* rs = ctx_.shape(ctx_.input(2));
  const int64_t r_hidden = rs != nullptr && rs->size() == 3 ? (*rs)[2].value : -1;
  if (hidden_ < 0) hidden_ = r_hidden;
  if (hidden_ <= 0) ctx_.fail_here("hidden_size is neither given nor readable from R's shape");
  // R is [D, G*H, H]: a hidden_size it contradicts (or an absurd one) is a broken model.
  if ((r_hidden >= 0 && hidden_ != r_hidden) || hidden_ > (int64_t{1} << 40))
    ctx_.fail_here(str_cat("hidden_size ", hidden_, " does not match R's shape ",
                           rs != nullptr ? graph::sym_shape_str(*rs) : std::string("(unknown)")));

  if (ctx_.has_input(4)) {
    // Lengths that are all the full length mask nothing.
    const Tensor* lens = ctx_.constant(4);
    bool all_full = lens != nullptr;
    if (lens != nullptr) {
      for (int64_t n : lens->to_vector<int64_t>())
        all_full = all_full && n == steps_;
    }
    if (!all_full) lens_ = ctx_.input(4);
  }
  const auto per_direction_state = [&](size_t i) {
    if (!ctx_.has_input(i)) return kNoValue;
    ValueId v = ctx_.input(i);
    if (layout == 1) v = op("permute", {v}, {{"perm", Ints{1, 0, 2}}});  // [batch, D, H] first
    return v;
  };
  init_h_ = per_direction_state(5);
  if (cell_ == Cell::Lstm) init_c_ = per_direction_state(6);

  for (int64_t d = 0; d < directions; ++d)
    direction(d, dir == "reverse" || d == 1);

  const auto join = [&](const std::vector<ValueId>& parts, int64_t axis) {
    if (parts.size() == 1) return parts[0];
    return op("concat", parts, {{"axis", axis}});
  };
  ValueId y = join(ys_, 1);    // [T, D, batch, H]
  ValueId y_h = join(hs_, 0);  // [D, batch, H]
  ValueId y_c = cell_ == Cell::Lstm ? join(cs_, 0) : kNoValue;
  if (layout == 1) {
    y = op("permute", {y}, {{"perm", Ints{2, 0, 1, 3}}});   // [batch, T, D, H]
    y_h = op("permute", {y_h}, {{"perm", Ints{1, 0, 2}}});  // [batch, D, H]
    if (y_c != kNoValue) y_c = op("permute", {y_c}, {{"perm", Ints{1, 0, 2}}});
  }
  ctx_.set_outputs({y, y_h, y_c});
}

void Unroller::direction(int64_t d, bool reverse) {
  const int64_t gates = gate_count(cell_), h = hidden_;
  const ValueId w_t = op("transpose", {take(ctx_.input(1), d)});  // [input, G*H]
  const ValueId r_t = op("transpose", {take(ctx_.input(2), d)});  // [H, G*H]
  // The input projection of every step at once: [T, batch, G*H].
  ValueId xw = op("matmul", {x_, w_t});
  // Biases: Wb + Rb join the projection, except GRU's Rbh, which the reset gate scales.
  ValueId rbh = kNoValue;
  if (ctx_.has_input(3)) {
    const ValueId b = take(ctx_.input(3), d);  // [2*G*H]
    const ValueId wb = columns(b, 0, gates * h, 0), rb = columns(b, gates * h, 2 * gates * h, 0);
    if (cell_ == Cell::Gru) {
      const ValueId zr = add(columns(wb, 0, 2 * h, 0), columns(rb, 0, 2 * h, 0));
      xw = add(xw, op("concat", {zr, columns(wb, 2 * h, 3 * h, 0)}, {{"axis", int64_t{0}}}));
      rbh = columns(rb, 2 * h, 3 * h, 0);
    } else {
      xw = add(xw, add(wb, rb));
    }
  }
  ValueId p_i = kNoValue, p_o = kNoValue, p_f = kNoValue;
  if (cell_ == Cell::Lstm && ctx_.has_input(7)) {
    const ValueId p = take(ctx_.input(7), d);  // [3*H]: i, o, f
    p_i = columns(p, 0, h, 0);
    p_o = columns(p, h, 2 * h, 0);
    p_f = columns(p, 2 * h, 3 * h, 0);
  }
  const size_t per_dir = cell_ == Cell::Rnn ? 1 : cell_ == Cell::Gru ? 2 : 3;
  const Activation* act = &acts_[static_cast<size_t>(d) * per_dir];
  const bool input_forget = cell_ == Cell::Lstm && ctx_.attr_int("input_forget", 0) != 0;
  const bool linear_before_reset =
      cell_ == Cell::Gru && ctx_.attr_int("linear_before_reset", 0) != 0;

  ValueId h_prev = init_h_ != kNoValue ? take(init_h_, d) : kNoValue;  // [batch, H]
  ValueId c_prev = init_c_ != kNoValue ? take(init_c_, d) : kNoValue;
  std::vector<ValueId> ys(static_cast<size_t>(steps_));
  for (int64_t step = 0; step < steps_; ++step) {
    const int64_t t = reverse ? steps_ - 1 - step : step;
    const ValueId xt = take(xw, t);  // [batch, G*H]
    ValueId h_new = kNoValue, c_new = kNoValue;
    if (cell_ == Cell::Rnn) {
      const ValueId pre = h_prev != kNoValue ? add(xt, op("matmul", {h_prev, r_t})) : xt;
      h_new = activate(act[0], pre);
    } else if (cell_ == Cell::Gru) {
      const std::vector<ValueId> xg = split_gates(xt, 3);  // z, r, h
      ValueId pre_z = xg[0], pre_r = xg[1];
      if (h_prev != kNoValue) {
        const std::vector<ValueId> hg =
            split_gates(op("matmul", {h_prev, columns(r_t, 0, 2 * h, 1)}), 2);
        pre_z = add(pre_z, hg[0]);
        pre_r = add(pre_r, hg[1]);
      }
      const ValueId z = activate(act[0], pre_z), r = activate(act[0], pre_r);
      const ValueId r_h = columns(r_t, 2 * h, 3 * h, 1);  // [H, H]
      ValueId recur = kNoValue;  // the recurrent term of the candidate, reset gate applied
      if (linear_before_reset) {
        ValueId hr = h_prev != kNoValue ? op("matmul", {h_prev, r_h}) : kNoValue;
        if (rbh != kNoValue) hr = hr != kNoValue ? add(hr, rbh) : rbh;
        if (hr != kNoValue) recur = mul(r, hr);
      } else {
        ValueId hr = h_prev != kNoValue ? op("matmul", {mul(r, h_prev), r_h}) : kNoValue;
        if (rbh != kNoValue) hr = hr != kNoValue ? add(hr, rbh) : rbh;
        recur = hr;
      }
      const ValueId cand = activate(act[1], recur != kNoValue ? add(xg[2], recur) : xg[2]);
      // (1 - z) * cand + z * h_prev
      h_new = h_prev != kNoValue ? add(cand, mul(z, op("sub", {h_prev, cand})))
                                 : mul(op("sub", {scalar(1), z}), cand);
    } else {
      const ValueId pre = h_prev != kNoValue ? add(xt, op("matmul", {h_prev, r_t})) : xt;
      const std::vector<ValueId> g = split_gates(pre, 4);  // i, o, f, c
      ValueId pre_i = g[0], pre_o = g[1], pre_f = g[2];
      if (c_prev != kNoValue && p_i != kNoValue) {
        pre_i = add(pre_i, mul(p_i, c_prev));
        pre_f = add(pre_f, mul(p_f, c_prev));
      }
      const ValueId i = activate(act[0], pre_i);
      const ValueId f = input_forget ? op("sub", {scalar(1), i}) : activate(act[0], pre_f);
      const ValueId cand = activate(act[1], g[3]);
      c_new = mul(i, cand);
      if (c_prev != kNoValue) c_new = add(mul(f, c_prev), c_new);
      if (p_o != kNoValue) pre_o = add(pre_o, mul(p_o, c_new));
      h_new = mul(activate(act[0], pre_o), activate(act[2], c_new));
    }
    ValueId y_t = h_new;
    if (lens_ != kNoValue) {
      // Entries whose sequence has ended keep their state and output zeros.
      const ValueId live =
          op("unsqueeze",
             {op("less", {ctx_.scalar(static_cast<double>(t), ctx_.dtype(lens_)), lens_})},
             {{"axes", Ints{1}}});  // [batch, 1]
      const auto keep = [&](ValueId fresh, ValueId old) {
        return op("where", {live, fresh, old != kNoValue ? old : scalar(0)});
      };
      y_t = keep(h_new, kNoValue);
      h_new = keep(h_new, h_prev);
      if (c_new != kNoValue) c_new = keep(c_new, c_prev);
    }
    ys[static_cast<size_t>(t)] = op("unsqueeze", {y_t}, {{"axes", Ints{0}}});
    h_prev = h_new;
    c_prev = c_new;
  }
  const ValueId y = ys.size() == 1 ? ys[0] : op("concat", ys, {{"axis", int64_t{0}}});
  ys_.push_back(op("unsqueeze", {y}, {{"axes", Ints{1}}}));
  hs_.push_back(op("unsqueeze", {h_prev}, {{"axes", Ints{0}}}));
  if (cell_ == Cell::Lstm) cs_.push_back(op("unsqueeze", {c_prev}, {{"axes", Ints{0}}}));
}

}  // namespace

void register_rnn_converters(ConverterTable& t) {
  t.add("RNN", [](NodeContext& ctx) { Unroller(ctx, Cell::Rnn).run(); });
  t.add("GRU", [](NodeContext& ctx) { Unroller(ctx, Cell::Gru).run(); });
  t.add("LSTM", [](NodeContext& ctx) { Unroller(ctx, Cell::Lstm).run(); });
}

}  // namespace wgml::onnx
