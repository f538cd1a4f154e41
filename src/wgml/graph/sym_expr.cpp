#include "wgml/graph/sym_expr.h"

#include <algorithm>

#include "wgml/core/shape.h"

namespace wgml::graph {

namespace {

int64_t floor_div(int64_t a, int64_t q) {
  const int64_t d = a / q;
  return (a % q != 0 && (a < 0) != (q < 0)) ? d - 1 : d;
}

}  // namespace

std::string SymExpr::Factor::key() const {
  if (!inner) return symbol;
  const std::string e = inner->str();
  const bool bare = e.find_first_of(" *") == std::string::npos;  // one symbol
  return "floor(" + (bare ? e : "(" + e + ")") + "/" + std::to_string(q) + ")";
}

std::string SymExpr::monomial_key(const std::vector<Factor>& factors) {
  std::string key;
  for (const Factor& f : factors)
    key += (key.empty() ? "" : "*") + f.key();
  return key;
}

void SymExpr::add_term(const Term& term) {
  if (term.coef == 0) return;
  const std::string key = monomial_key(term.factors);
  auto it = terms_.find(key);
  if (it == terms_.end()) {
    terms_.emplace(key, term);
    return;
  }
  it->second.coef = checked_add(it->second.coef, term.coef, "symbolic dim ", str());
  if (it->second.coef == 0) terms_.erase(it);
}

SymExpr SymExpr::constant(int64_t value) {
  SymExpr e;
  e.add_term({{}, value});
  return e;
}

SymExpr SymExpr::symbol(const std::string& name) {
  SymExpr e;
  Factor f;
  f.symbol = name;
  e.add_term({{f}, 1});
  return e;
}

SymExpr SymExpr::operator+(const SymExpr& other) const {
  SymExpr sum = *this;
  for (const auto& [key, term] : other.terms_)
    sum.add_term(term);
  return sum;
}

SymExpr SymExpr::scaled(int64_t factor) const {
  SymExpr out;
  for (const auto& [key, term] : terms_)
    out.add_term({term.factors, checked_mul(term.coef, factor, "symbolic dim ", str())});
  return out;
}

SymExpr SymExpr::operator-(const SymExpr& other) const {
  return *this + other.scaled(-1);
}

SymExpr SymExpr::operator*(const SymExpr& other) const {
  SymExpr product;
  for (const auto& [ka, a] : terms_) {
    for (const auto& [kb, b] : other.terms_) {
      Term t;
      t.factors = a.factors;
      t.factors.insert(t.factors.end(), b.factors.begin(), b.factors.end());
      std::sort(t.factors.begin(), t.factors.end(),
                [](const Factor& x, const Factor& y) { return x.key() < y.key(); });
      t.coef = checked_mul(a.coef, b.coef, "symbolic dim ", str(), " * ", other.str());
      product.add_term(t);
    }
  }
  return product;
}

SymExpr SymExpr::floordiv(int64_t q) const {
  WGML_CHECK(q >= 1, "symbolic dim: floor division of ", str(), " by ", q);
  if (q == 1) return *this;
  // this = q*whole + rest with rest's coefficients in [0, q): floor(this/q) = whole +
  // floor(rest/q).
  SymExpr whole, rest;
  for (const auto& [key, term] : terms_) {
    const int64_t d = floor_div(term.coef, q);
    whole.add_term({term.factors, d});
    rest.add_term({term.factors, term.coef - d * q});
  }
  if (rest.is_constant()) return whole;  // 0 <= rest < q
  // floor((floor(E/p) + c)/q) = floor((E + c*p)/(p*q)) for integer c: nested strides fold.
  const int64_t c = rest.constant_value();
  const size_t symbolic_terms = rest.terms_.size() - (c != 0 ? 1 : 0);
  if (symbolic_terms == 1) {
    const Term& only = std::find_if(rest.terms_.begin(), rest.terms_.end(), [](const auto& kv) {
                         return !kv.first.empty();
                       })->second;
    if (only.coef == 1 && only.factors.size() == 1 && only.factors[0].inner) {
      const Factor& f = only.factors[0];
      const SymExpr inner = *f.inner + constant(checked_mul(c, f.q, "symbolic dim ", str()));
      return whole + inner.floordiv(checked_mul(f.q, q, "symbolic dim ", str()));
    }
  }
  Factor f;
  f.inner = std::make_shared<const SymExpr>(rest);
  f.q = q;
  SymExpr out = whole;
  out.add_term({{f}, 1});
  return out;
}

bool SymExpr::is_constant() const {
  return terms_.empty() || (terms_.size() == 1 && terms_.begin()->first.empty());
}

int64_t SymExpr::constant_value() const {
  const auto it = terms_.find("");
  return it == terms_.end() ? 0 : it->second.coef;
}

std::optional<int64_t> SymExpr::evaluate(const Lookup& lookup) const {
  int64_t sum = 0;
  for (const auto& [key, term] : terms_) {
    int64_t product = term.coef;
    for (const Factor& f : term.factors) {
      std::optional<int64_t> v;
      if (f.inner) {
        const std::optional<int64_t> inner = f.inner->evaluate(lookup);
        if (inner) v = floor_div(*inner, f.q);
      } else {
        v = lookup(f.symbol);
      }
      if (!v || __builtin_mul_overflow(product, *v, &product)) return std::nullopt;
    }
    if (__builtin_add_overflow(sum, product, &sum)) return std::nullopt;
  }
  return sum;
}

void SymExpr::collect_symbols(std::set<std::string>& out) const {
  for (const auto& [key, term] : terms_) {
    for (const Factor& f : term.factors) {
      if (f.inner)
        f.inner->collect_symbols(out);
      else
        out.insert(f.symbol);
    }
  }
}

std::string SymExpr::str() const {
  std::string out;
  auto append = [&out](int64_t coef, const std::string& key) {
    const int64_t magnitude = coef < 0 ? -coef : coef;
    if (out.empty())
      out += coef < 0 ? "-" : "";
    else
      out += coef < 0 ? " - " : " + ";
    if (key.empty())
      out += std::to_string(magnitude);
    else
      out += (magnitude == 1 ? "" : std::to_string(magnitude) + "*") + key;
  };
  for (const auto& [key, term] : terms_) {
    if (!key.empty()) append(term.coef, key);
  }
  const int64_t c = constant_value();
  if (c != 0 || out.empty()) append(c, "");
  return out;
}

}  // namespace wgml::graph
