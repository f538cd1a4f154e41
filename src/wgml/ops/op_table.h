// The op table: every op wgml knows, declared once in ops/table/<family>.cpp.
#pragma once

#include <string>
#include <vector>

#include "wgml/ops/op_def.h"

namespace wgml {

// Chained setters that keep table entries short: t.elementwise(...).attr("alpha", 0.01).doc(...)
class OpDefBuilder {
 public:
  explicit OpDefBuilder(OpDef& def) : def_(def) {}
  OpDefBuilder& doc(const std::string& summary);
  OpDefBuilder& attr(const std::string& name, AttrValue default_value);
  OpDefBuilder& required_attr(const std::string& name, AttrType type);
  OpDefBuilder& tolerance(Tolerance tol);
  OpDefBuilder& backward(std::vector<expr::Expr> rules);
  OpDefBuilder& inputs(std::vector<InputSpec> specs);
  OpDefBuilder& infer(InferFn fn);
  OpDefBuilder& decompose(DecomposeFn fn);
  OpDefBuilder& output_dtype_from(int input);
  OpDefBuilder& predicate();         // output dtype is bool
  OpDefBuilder& dtypes(DTypeFn fn);  // output dtypes other than one of input 0's
  OpDef& def() { return def_; }

 private:
  OpDef& def_;
};

class OpTable {
 public:
  // Unary/binary/ternary ops with one dtype set for every input.
  OpDefBuilder elementwise(const std::string& name, DTypeSet dtypes, expr::Expr forward);
  OpDefBuilder reduce(const std::string& name, DTypeSet dtypes, ReduceSpec spec);
  OpDefBuilder kernel(const std::string& name, std::vector<InputSpec> inputs, InferFn infer);
  OpDefBuilder view(const std::string& name, DTypeSet dtypes, DecomposeFn fn);
  OpDefBuilder composite(const std::string& name, std::vector<InputSpec> inputs, DecomposeFn fn);

  const OpDef* find(const std::string& name) const;
  const OpDef& get(const std::string& name) const;  // throws, listing close names
  const std::vector<std::unique_ptr<OpDef>>& ops() const { return ops_; }
  void set_family(std::string family) { family_ = std::move(family); }

 private:
  OpDef& add(const std::string& name, OpKind kind);
  std::vector<std::unique_ptr<OpDef>> ops_;
  std::string family_;
};

// The table, built once on first use from every family file.
const OpTable& op_table();

}  // namespace wgml
