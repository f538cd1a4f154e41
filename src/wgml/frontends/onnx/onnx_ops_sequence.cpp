// Sequences and optionals. The importer holds a sequence as an ordered list of engine values
// (ListValue) whose length is known when the model loads; an optional is such a list whose
// presence is known at load. No op-table op and no run-time type is needed: SequenceAt with a
// constant position is the element itself, ConcatFromSequence a concat of the elements.
// Positions known only at run time (SequenceAt/Erase/Insert with a graph input as position) work
// when every element has the same dtype and shape: the elements are stacked and the result is
// gathered at computed indices, so the length stays known.
// SequenceMap is unrolled over the (known) length, its body inlined once per element.
#include <string>
#include <vector>

#include "wgml/core/error.h"
#include "wgml/frontends/onnx/onnx_converter.h"

namespace wgml::onnx {

namespace {

ListValue sequence_of(std::vector<ValueId> items, DType dtype) {
  ListValue list;
  list.items = std::move(items);
  list.elem_dtype = dtype;
  return list;
}

const ListValue& sequence_input(NodeContext& ctx, size_t i) {
  const ListValue& list = ctx.list_input(i);
  if (list.optional) ctx.fail_here(str_cat("input ", i, " is an optional, not a sequence"));
  return list;
}

// A position input known at load, normalized to [0, n] (n only where `end_ok`); nullopt when it
// is computed at run time.
std::optional<int64_t> known_position(NodeContext& ctx, size_t i, int64_t n, bool end_ok) {
  if (ctx.constant(i) == nullptr) return std::nullopt;
  const Ints v = ctx.constant_ints(i);
  if (v.size() != 1) ctx.fail_here(str_cat("the position must be a scalar, got ", v.size()));
  int64_t p = v[0];
  const int64_t hi = end_ok ? n : n - 1;
  if (p < -n || p > hi)
    ctx.fail_here(
        str_cat("position ", v[0], " is out of range for a sequence of ", n, " element(s)"));
  if (p < 0) p += n;
  return p;
}

// The elements stacked along a new axis 0; they must share dtype and rank (a run-time position
// picks among them), and their shapes are checked when the stack runs.
ValueId stack(NodeContext& ctx, const std::vector<ValueId>& items, const std::string& why) {
  if (items.empty()) ctx.fail_here("the sequence is empty " + why);
  for (ValueId v : items) {
    if (ctx.dtype(v) != ctx.dtype(items[0]) || ctx.rank(v) < 0 || ctx.rank(v) != ctx.rank(items[0]))
      ctx.fail_here(
          "the position is only known at run time and the sequence's elements differ "
          "in dtype or rank (or their ranks are unknown); wgml holds sequences as lists "
          "known at load and can pick among elements at run time only when they share "
          "a shape " +
          why);
  }
  std::vector<ValueId> parts;
  for (ValueId v : items)
    parts.push_back(ctx.op1("unsqueeze", {v}, {{"axes", Ints{0}}}));
  return parts.size() == 1 ? parts[0] : ctx.op1("concat", parts, {{"axis", int64_t{0}}});
}

// The run-time position input as an int64 scalar in [0, n) (or [0, n] where `end_ok`).
ValueId runtime_position(NodeContext& ctx, size_t i, int64_t n) {
  ValueId p = ctx.cast(ctx.input(i), DType::Int64);
  p = ctx.op1("reshape", {p}, {{"shape", Ints{}}});
  const ValueId negative = ctx.op1("less", {p, ctx.scalar(0, DType::Int64)});
  return ctx.op1(
      "where",
      {negative, ctx.op1("add", {p, ctx.scalar(static_cast<double>(n), DType::Int64)}), p});
}

// Element j of `stacked` where the index is the int64 scalar `index`.
ValueId pick(NodeContext& ctx, ValueId stacked, ValueId index) {
  return ctx.op1("gather", {stacked, index}, {{"axis", int64_t{0}}});
}

void convert_sequence_construct(NodeContext& ctx) {
  std::vector<ValueId> items;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    items.push_back(ctx.input(i));
    if (ctx.dtype(items.back()) != ctx.dtype(items[0]))
      ctx.fail_here(str_cat("input ", i, " is ", ctx.dtype(items.back()), " but input 0 is ",
                            ctx.dtype(items[0])));
  }
  if (items.empty()) ctx.fail_here("needs at least one input");
  ctx.set_list_output(0, sequence_of(items, ctx.dtype(items[0])));
}

void convert_sequence_empty(NodeContext& ctx) {
  const DType dtype = engine_dtype(static_cast<int32_t>(ctx.attr_int("dtype", 1)),
                                   ctx.source() + ": attribute 'dtype'");
  ctx.set_list_output(0, sequence_of({}, dtype));
}

void convert_sequence_insert(NodeContext& ctx) {
  const ListValue& seq = sequence_input(ctx, 0);
  const ValueId t = ctx.input(1);
  if (!seq.items.empty() && ctx.dtype(t) != seq.elem_dtype)
    ctx.fail_here(
        str_cat("inserts a ", ctx.dtype(t), " tensor into a sequence of ", seq.elem_dtype));
  const auto n = static_cast<int64_t>(seq.items.size());
  ListValue out = sequence_of(seq.items, ctx.dtype(t));
  const std::optional<int64_t> p = ctx.has_input(2) ? known_position(ctx, 2, n, true) : n;
  if (p) {
    out.items.insert(out.items.begin() + *p, t);
  } else {
    // Run-time position q: element i is old[i] before q, t at q, old[i - 1] after.
    std::vector<ValueId> all = seq.items;
    all.push_back(t);
    const ValueId stacked = stack(ctx, all, "(SequenceInsert)");
    const ValueId q = runtime_position(ctx, 2, n);
    out.items.clear();
    for (int64_t i = 0; i <= n; ++i) {
      const ValueId iv = ctx.scalar(static_cast<double>(i), DType::Int64);
      const ValueId before = ctx.op1("less", {iv, q});
      const ValueId at = ctx.op1("equal", {iv, q});
      const ValueId index = ctx.op1(
          "where", {before, iv,
                    ctx.op1("where", {at, ctx.scalar(static_cast<double>(n), DType::Int64),
                                      ctx.scalar(static_cast<double>(i - 1), DType::Int64)})});
      out.items.push_back(pick(ctx, stacked, index));
    }
  }
  ctx.set_list_output(0, out);
}

void convert_sequence_erase(NodeContext& ctx) {
  const ListValue& seq = sequence_input(ctx, 0);
  const auto n = static_cast<int64_t>(seq.items.size());
  if (n == 0) ctx.fail_here("erases from an empty sequence");
  ListValue out = seq;
  const std::optional<int64_t> p = ctx.has_input(1) ? known_position(ctx, 1, n, false) : n - 1;
  if (p) {
    out.items.erase(out.items.begin() + *p);
  } else {
    // Run-time position q: element i is old[i] before q, old[i + 1] from q on.
    const ValueId stacked = stack(ctx, seq.items, "(SequenceErase)");
    const ValueId q = runtime_position(ctx, 1, n);
    out.items.clear();
    for (int64_t i = 0; i + 1 < n; ++i) {
      const ValueId iv = ctx.scalar(static_cast<double>(i), DType::Int64);
      const ValueId index = ctx.op1(
          "where",
          {ctx.op1("less", {iv, q}), iv, ctx.scalar(static_cast<double>(i + 1), DType::Int64)});
      out.items.push_back(pick(ctx, stacked, index));
    }
  }
  ctx.set_list_output(0, out);
}

void convert_sequence_at(NodeContext& ctx) {
  const ListValue& seq = sequence_input(ctx, 0);
  const auto n = static_cast<int64_t>(seq.items.size());
  if (n == 0) ctx.fail_here("reads from an empty sequence");
  if (const std::optional<int64_t> p = known_position(ctx, 1, n, false)) {
    ctx.set_outputs({seq.items[static_cast<size_t>(*p)]});
    return;
  }
  const ValueId stacked = stack(ctx, seq.items, "(SequenceAt)");
  ctx.set_outputs({pick(ctx, stacked, runtime_position(ctx, 1, n))});
}

void convert_sequence_length(NodeContext& ctx) {
  const ListValue& seq = sequence_input(ctx, 0);
  ctx.set_outputs({ctx.scalar(static_cast<double>(seq.items.size()), DType::Int64)});
}

void convert_concat_from_sequence(NodeContext& ctx) {
  const ListValue& seq = sequence_input(ctx, 0);
  if (seq.items.empty()) ctx.fail_here("concatenates an empty sequence");
  const int64_t new_axis = ctx.attr_int("new_axis", 0);
  int64_t axis = ctx.required_int("axis");
  const int64_t rank = ctx.rank(seq.items[0]);
  if (rank < 0) ctx.fail_here("needs the elements' rank");
  const int64_t out_rank = rank + (new_axis ? 1 : 0);
  if (axis < -out_rank || axis >= out_rank)
    ctx.fail_here(str_cat("axis ", axis, " is out of range for rank ", out_rank));
  if (axis < 0) axis += out_rank;
  std::vector<ValueId> parts = seq.items;
  if (new_axis) {
    for (ValueId& v : parts)
      v = ctx.op1("unsqueeze", {v}, {{"axes", Ints{axis}}});
  }
  ctx.set_outputs({parts.size() == 1 ? parts[0] : ctx.op1("concat", parts, {{"axis", axis}})});
}

// SplitToSequence as the Split converter over the same input: sizes from `split` (a list of
// sizes, or one chunk size), or one element per index along the axis (keepdims = 0 drops it).
void convert_split_to_sequence(NodeContext& ctx) {
  const ValueId x = ctx.input(0);
  const int64_t rank = ctx.rank(x);
  if (rank < 1) ctx.fail_here("needs an input of known rank >= 1");
  int64_t axis = ctx.attr_int("axis", 0);
  if (axis < -rank || axis >= rank)
    ctx.fail_here(str_cat("axis ", axis, " is out of range for rank ", rank));
  if (axis < 0) axis += rank;
  const graph::SymDim& dim = (*ctx.shape(x))[static_cast<size_t>(axis)];
  ValueId sizes = graph::kNoValue;
  int64_t count = 0;
  bool squeeze = false;
  if (!ctx.has_input(1)) {
    if (!dim.is_static())
      ctx.fail_here(
          "splits a dim only known at run time into one element per index; wgml's "
          "sequences have lengths known at load");
    count = dim.value;
    sizes = ctx.constant_value(Tensor::from_vector(
        std::vector<int64_t>(static_cast<size_t>(count), 1), {count}, DType::Int64));
    squeeze = ctx.attr_int("keepdims", 1) == 0;
  } else {
    const int64_t split_rank = ctx.rank(ctx.input(1));
    if (split_rank == 0) {
      const Ints chunk = ctx.constant_ints(1);
      if (!dim.is_static() || chunk[0] <= 0)
        ctx.fail_here("a chunk size needs a positive constant and a dim known at load");
      std::vector<int64_t> parts;
      for (int64_t at = 0; at < dim.value; at += chunk[0])
        parts.push_back(std::min(chunk[0], dim.value - at));
      count = static_cast<int64_t>(parts.size());
      sizes = ctx.constant_value(Tensor::from_vector(parts, {count}, DType::Int64));
    } else {
      const graph::SymShape* s = ctx.shape(ctx.input(1));
      if (split_rank != 1 || s == nullptr || !(*s)[0].is_static())
        ctx.fail_here("'split' must be a scalar or a 1-D tensor whose length is known at load");
      count = (*s)[0].value;
      sizes = ctx.input(1);
    }
  }
  if (count == 0) {
    ctx.set_list_output(0, sequence_of({}, ctx.dtype(x)));
    return;
  }
  NodeProto split;
  split.op_type = "Split";
  split.name = ctx.node().name;
  split.inputs = {ctx.node().inputs.at(0), "split"};
  for (int64_t i = 0; i < count; ++i)
    split.outputs.push_back("part" + std::to_string(i));
  AttributeProto axis_attr;
  axis_attr.name = "axis";
  axis_attr.type = AttributeProto::Int;
  axis_attr.i = axis;
  split.attributes = {axis_attr};
  NodeContext inner(ctx.builder(), split, std::max<int64_t>(ctx.opset(), 13), {x, sizes}, ".");
  converter_table().find("", "Split")->convert(inner);
  std::vector<ValueId> items = inner.outputs();
  if (squeeze) {
    for (ValueId& v : items)
      v = ctx.op1("squeeze", {v}, {{"axes", Ints{axis}}});
  }
  ctx.set_list_output(0, sequence_of(items, ctx.dtype(x)));
}

// Optional(x): present when x is given; absent otherwise.
void convert_optional(NodeContext& ctx) {
  ListValue out;
  out.optional = true;
  if (const ListValue* inner = ctx.list_at(0)) {
    if (inner->optional) ctx.fail_here("optionals of optionals are not supported");
    out.items = inner->items;
    out.elem_dtype = inner->elem_dtype;
  } else if (ctx.has_input(0)) {
    out.holds_sequence = false;
    out.items = {ctx.input(0)};
    out.elem_dtype = ctx.dtype(ctx.input(0));
  } else {
    out.present = false;
    const AttributeProto* type = ctx.node().attribute("type");
    if (type == nullptr) ctx.fail_here("an empty Optional needs the attribute 'type'");
  }
  ctx.set_list_output(0, out);
}

void convert_optional_has_element(NodeContext& ctx) {
  bool present = ctx.has_input(0);
  if (const ListValue* list = ctx.list_at(0)) present = !list->optional || list->present;
  ctx.set_outputs({ctx.constant_value(Tensor::scalar(present ? 1 : 0, DType::Bool))});
}

void convert_optional_get_element(NodeContext& ctx) {
  const ListValue* list = ctx.list_at(0);
  if (list == nullptr) {  // opset 18: a tensor passes through
    ctx.set_outputs({ctx.input(0)});
    return;
  }
  if (!list->optional) {
    ctx.set_list_output(0, *list);
    return;
  }
  if (!list->present) ctx.fail_here("the optional input holds no element");
  if (!list->holds_sequence) {
    ctx.set_outputs({list->items.at(0)});
    return;
  }
  ListValue seq = *list;
  seq.optional = false;
  ctx.set_list_output(0, seq);
}

// SequenceMap: the body once per element, inlined; sequence inputs give their i-th element, tensor
// inputs the same tensor every time; each body output collects into an output sequence.
void convert_sequence_map(NodeContext& ctx) {
  const ListValue& first = sequence_input(ctx, 0);
  const size_t n = first.items.size();
  for (size_t j = 1; j < ctx.num_inputs(); ++j) {
    const ListValue* list = ctx.list_at(j);
    if (list != nullptr && list->items.size() != n)
      ctx.fail_here(
          str_cat("input ", j, " has ", list->items.size(), " elements, input 0 has ", n));
  }
  const size_t outputs = ctx.node().outputs.size();
  std::vector<ListValue> out(outputs, sequence_of({}, first.elem_dtype));
  for (size_t i = 0; i < n; ++i) {
    std::vector<Operand> bound;
    for (size_t j = 0; j < ctx.num_inputs(); ++j) {
      const ListValue* list = ctx.list_at(j);
      if (list != nullptr && list->optional) ctx.fail_here("optional inputs are not supported");
      bound.push_back({list != nullptr ? list->items[i] : ctx.input(j), {}});
    }
    const std::vector<Operand> got = ctx.inline_graph("body", bound);
    if (got.size() != outputs)
      ctx.fail_here(str_cat("the body returns ", got.size(), " values for ", outputs, " outputs"));
    for (size_t k = 0; k < outputs; ++k) {
      if (got[k].list)
        ctx.fail_here("the body returns a sequence; sequences of sequences are not supported");
      out[k].items.push_back(got[k].value);
      out[k].elem_dtype = ctx.dtype(got[k].value);
    }
  }
  for (size_t k = 0; k < outputs; ++k)
    ctx.set_list_output(k, out[k]);
}

}  // namespace

void register_sequence_converters(ConverterTable& t) {
  t.add("SequenceConstruct", convert_sequence_construct, 11);
  t.add("SequenceEmpty", convert_sequence_empty, 11);
  t.add("SequenceInsert", convert_sequence_insert, 11);
  t.add("SequenceErase", convert_sequence_erase, 11);
  t.add("SequenceAt", convert_sequence_at, 11);
  t.add("SequenceLength", convert_sequence_length, 11);
  t.add("ConcatFromSequence", convert_concat_from_sequence, 11);
  t.add("SplitToSequence", convert_split_to_sequence, 11);
  t.add("SequenceMap", convert_sequence_map, 17);
  t.add("Optional", convert_optional, 15);
  t.add("OptionalHasElement", convert_optional_has_element, 15);
  t.add("OptionalGetElement", convert_optional_get_element, 15);
}

}  // namespace wgml::onnx
