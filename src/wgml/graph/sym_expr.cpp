#include "wgml/graph/sym_expr.h"

#include <algorithm>
#include <cctype>
#include <numeric>

#include "wgml/core/error.h"

namespace wgml::graph {

namespace {

// Coefficient arithmetic: an overflow is an error (a shape beyond int64), formatted only then.
int64_t add_or_fail(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) fail("symbolic dim: ", a, " + ", b, " overflows int64");
  return r;
}
int64_t mul_or_fail(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) fail("symbolic dim: ", a, " * ", b, " overflows int64");
  return r;
}

// Symbol names are printed as they are when they read as one name, quoted otherwise, so a
// dim_param such as "seq + 1" never reads as (or compares equal to) the expression seq + 1.
std::string symbol_text(const std::string& name) {
  const bool plain = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                     std::all_of(name.begin(), name.end(), [](char ch) {
                       return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ||
                              ch == '.' || ch == ':' || ch == '/' || ch == '-';
                     });
  return plain ? name : "'" + name + "'";
}

int64_t floor_div(int64_t a, int64_t q) {
  const int64_t d = a / q;
  return (a % q != 0 && (a < 0) != (q < 0)) ? d - 1 : d;
}

}  // namespace

std::string SymExpr::Factor::key() const {
  if (!inner) return symbol_text(symbol);
  if (clamp != Clamp::None)
    return (clamp == Clamp::Min ? "min(" : "max(") + inner->str() + ", " + std::to_string(bound) +
           ")";
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
  it->second.coef = add_or_fail(it->second.coef, term.coef);
  if (it->second.coef == 0) terms_.erase(it);
}

SymExpr SymExpr::constant(int64_t value) {
  SymExpr e;
  e.add_term({{}, value});
  return e;
}

SymExpr SymExpr::symbol(const std::string& name) {
  WGML_CHECK(!name.empty(), "symbolic dim: a symbol needs a name");
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
    out.add_term({term.factors, mul_or_fail(term.coef, factor)});
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
      t.coef = mul_or_fail(a.coef, b.coef);
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
    if (only.coef == 1 && only.factors.size() == 1 && only.factors[0].inner &&
        only.factors[0].clamp == Factor::Clamp::None) {
      const Factor& f = only.factors[0];
      const SymExpr inner = *f.inner + constant(mul_or_fail(c, f.q));
      return whole + inner.floordiv(mul_or_fail(f.q, q));
    }
  }
  // floor((g*A + c)/(g*p)) = floor((A + floor(c/g))/p) when g divides every symbolic coefficient.
  int64_t g = q;
  for (const auto& [key, term] : rest.terms_) {
    if (!key.empty()) g = std::gcd(g, term.coef);
  }
  if (g > 1) {
    SymExpr reduced;
    for (const auto& [key, term] : rest.terms_)
      reduced.add_term({term.factors, key.empty() ? floor_div(term.coef, g) : term.coef / g});
    return whole + reduced.floordiv(q / g);
  }
  Factor f;
  f.inner = std::make_shared<const SymExpr>(rest);
  f.q = q;
  SymExpr out = whole;
  out.add_term({{f}, 1});
  return out;
}

SymExpr SymExpr::clamped(Factor::Clamp clamp, int64_t bound) const {
  if (is_constant()) {
    const int64_t c = constant_value();
    return constant(clamp == Factor::Clamp::Min ? std::min(c, bound) : std::max(c, bound));
  }
  Factor f;
  f.inner = std::make_shared<const SymExpr>(*this);
  f.clamp = clamp;
  f.bound = bound;
  SymExpr out;
  out.add_term({{f}, 1});
  return out;
}

SymExpr SymExpr::min_with(int64_t c) const {
  return clamped(Factor::Clamp::Min, c);
}

SymExpr SymExpr::max_with(int64_t c) const {
  return clamped(Factor::Clamp::Max, c);
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
        if (inner && f.clamp == Factor::Clamp::Min) v = std::min(*inner, f.bound);
        if (inner && f.clamp == Factor::Clamp::Max) v = std::max(*inner, f.bound);
        if (inner && f.clamp == Factor::Clamp::None) v = floor_div(*inner, f.q);
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
