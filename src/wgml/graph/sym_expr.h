// SymExpr: an integer expression over a model's symbols (its dynamic dims: "batch", "h"), the
// form every dynamic dim of a graph takes, e.g. `floor((h + 31)/32)` or `4*batch*seq`.
//
// Kept canonical: a sum of terms c * f1 * f2 * ..., where each factor is a symbol or
// floor(E / q) with q >= 2 and E an expression whose coefficients lie in [0, q) (anything
// divisible by q is taken out of the floor). Two expressions are equal exactly when their
// canonical strings are, which is how shapes are compared structurally.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace wgml::graph {

class SymExpr {
 public:
  SymExpr() = default;  // the constant 0
  static SymExpr constant(int64_t value);
  static SymExpr symbol(const std::string& name);

  SymExpr operator+(const SymExpr& other) const;
  SymExpr operator-(const SymExpr& other) const;
  SymExpr operator*(const SymExpr& other) const;
  SymExpr scaled(int64_t factor) const;
  // floor(this / q) for q >= 1.
  SymExpr floordiv(int64_t q) const;
  // min(this, c) and max(this, c): a slice of a fixed table clamps its length.
  SymExpr min_with(int64_t c) const;
  SymExpr max_with(int64_t c) const;

  bool is_constant() const;
  int64_t constant_value() const;  // the constant term
  // The value under `lookup` (a symbol's value, or nullopt when unknown); nullopt when a symbol
  // is unknown or the arithmetic overflows int64.
  using Lookup = std::function<std::optional<int64_t>(const std::string&)>;
  std::optional<int64_t> evaluate(const Lookup& lookup) const;
  void collect_symbols(std::set<std::string>& out) const;

  std::string str() const;  // canonical
  bool operator==(const SymExpr& other) const { return str() == other.str(); }
  bool operator!=(const SymExpr& other) const { return !(*this == other); }

 private:
  struct Factor {
    std::string symbol;                    // a symbol, or
    std::shared_ptr<const SymExpr> inner;  // floor(inner / q), or min / max(inner, bound)
    int64_t q = 0;
    enum class Clamp : uint8_t { None, Min, Max } clamp = Clamp::None;
    int64_t bound = 0;
    std::string key() const;
  };
  SymExpr clamped(Factor::Clamp clamp, int64_t bound) const;
  struct Term {
    std::vector<Factor> factors;  // sorted by key; empty for the constant term
    int64_t coef = 0;
  };
  void add_term(const Term& term);
  static std::string monomial_key(const std::vector<Factor>& factors);
  std::map<std::string, Term> terms_;  // by monomial key; "" is the constant term
};

}  // namespace wgml::graph
