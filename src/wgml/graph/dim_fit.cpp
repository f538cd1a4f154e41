#include "wgml/graph/dim_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

namespace wgml::graph {

namespace {

// Sample arithmetic in 128 bits: products of dims times slopes must not wrap into a false fit.
__extension__ typedef __int128 Wide;

struct Point {
  int64_t x, v;
};

// v = a*x + b at every point, for integers a, b.
bool fit_linear(const std::vector<Point>& p, int64_t& a, int64_t& b) {
  const Point& first = p.front();
  const auto other =
      std::find_if(p.begin(), p.end(), [&](const Point& q) { return q.x != first.x; });
  if (other == p.end()) return false;
  const int64_t dv = other->v - first.v, dx = other->x - first.x;
  if (dv % dx != 0) return false;
  a = dv / dx;
  const Wide b_wide = static_cast<Wide>(first.v) - static_cast<Wide>(a) * first.x;
  if (b_wide > INT64_MAX || b_wide < INT64_MIN) return false;
  b = static_cast<int64_t>(b_wide);
  return std::all_of(p.begin(), p.end(), [&](const Point& q) {
    return static_cast<Wide>(q.v) == static_cast<Wide>(a) * q.x + b;
  });
}

// The offsets b with floor((a*x + b)/q) = v at every point: [lo, hi], empty when lo > hi.
void offset_range(const std::vector<Point>& p, int64_t a, int64_t q, int64_t& lo, int64_t& hi) {
  Wide l = INT64_MIN, h = INT64_MAX;
  for (const Point& s : p) {
    const Wide base = static_cast<Wide>(q) * s.v - static_cast<Wide>(a) * s.x;
    l = std::max(l, base);
    h = std::min(h, base + q - 1);
    if (l > h) break;
  }
  lo = static_cast<int64_t>(std::clamp<Wide>(l, INT64_MIN, INT64_MAX));
  hi = l > h ? lo - 1 : static_cast<int64_t>(std::clamp<Wide>(h, INT64_MIN, INT64_MAX));
}

// The smallest q whose slope a/q fits, with its range of offsets.
bool fit_floor(const std::vector<Point>& p, int64_t& a, int64_t& q, int64_t& lo, int64_t& hi) {
  const auto [min_it, max_it] = std::minmax_element(
      p.begin(), p.end(), [](const Point& x, const Point& y) { return x.x < y.x; });
  if (min_it->x == max_it->x) return false;
  const double slope =
      static_cast<double>(max_it->v - min_it->v) / static_cast<double>(max_it->x - min_it->x);
  const std::vector<Point> ends = {*min_it, *max_it};
  if (!std::isfinite(slope) || std::fabs(slope) > 1e6) return false;
  for (q = 2; q <= kMaxFitDivisor; ++q) {
    const auto centre = static_cast<int64_t>(std::llround(slope * static_cast<double>(q)));
    for (int64_t da : {0, -1, 1}) {
      a = centre + da;
      if (a == 0 || std::gcd(a, q) != 1) continue;
      offset_range(ends, a, q, lo, hi);  // a cheap test before every point
      if (lo > hi) continue;
      offset_range(p, a, q, lo, hi);
      if (lo <= hi) return true;
    }
  }
  return false;
}

// v = min(a*x + b, c) (or max) where the bound c is the largest (smallest) value seen: a slice
// of a fixed-size table, a clamp. Needs two distinct x below (above) the bound.
bool fit_clamp(const std::vector<Point>& p, bool is_min, int64_t& a, int64_t& b, int64_t& c) {
  c = p[0].v;
  for (const Point& s : p)
    c = is_min ? std::max(c, s.v) : std::min(c, s.v);
  std::vector<Point> free;
  for (const Point& s : p) {
    if (s.v != c) free.push_back(s);
  }
  if (free.size() < 2 || !fit_linear(free, a, b)) return false;
  return std::all_of(p.begin(), p.end(), [&](const Point& s) {
    const Wide line = static_cast<Wide>(a) * s.x + b;
    return static_cast<Wide>(s.v) == (is_min ? std::min<Wide>(line, c) : std::max<Wide>(line, c));
  });
}

}  // namespace

DimFit fit_dim_unchecked(const std::vector<SymExpr>& candidates,
                         const std::vector<std::vector<int64_t>>& candidate_values,
                         const std::vector<int64_t>& values);

DimFit fit_dim(const std::vector<SymExpr>& candidates,
               const std::vector<std::vector<int64_t>>& candidate_values,
               const std::vector<int64_t>& values) {
  try {
    return fit_dim_unchecked(candidates, candidate_values, values);
  } catch (const std::exception&) {
    return {};  // an expression beyond int64: no fit
  }
}

DimFit fit_dim_unchecked(const std::vector<SymExpr>& candidates,
                         const std::vector<std::vector<int64_t>>& candidate_values,
                         const std::vector<int64_t>& values) {
  DimFit fit;
  if (values.size() < 2) return fit;
  if (std::all_of(values.begin(), values.end(), [&](int64_t v) { return v == values[0]; })) {
    fit.kind = DimFit::Kind::Exact;
    fit.expr = SymExpr::constant(values[0]);
    return fit;
  }
  std::vector<std::vector<Point>> points(candidates.size());
  for (size_t c = 0; c < candidates.size(); ++c) {
    for (size_t s = 0; s < values.size(); ++s)
      points[c].push_back({candidate_values[s][c], values[s]});
  }
  // Integer-linear fits first (identity, scaling, offsets), then floors, each in candidate order.
  for (size_t c = 0; c < candidates.size(); ++c) {
    int64_t a = 0, b = 0;
    if (fit_linear(points[c], a, b)) {
      fit.kind = DimFit::Kind::Exact;
      fit.expr = candidates[c].scaled(a) + SymExpr::constant(b);
      return fit;
    }
  }
  for (size_t c = 0; c < candidates.size(); ++c) {
    int64_t a = 0, q = 0, lo = 0, hi = 0;
    if (!fit_floor(points[c], a, q, lo, hi)) continue;
    fit.floor = true;
    fit.q = q;
    fit.kind = lo == hi ? DimFit::Kind::Exact : DimFit::Kind::Ambiguous;
    fit.expr = (candidates[c].scaled(a) + SymExpr::constant(lo)).floordiv(q);
    return fit;
  }
  for (size_t c = 0; c < candidates.size(); ++c) {
    for (bool is_min : {true, false}) {
      int64_t a = 0, b = 0, bound = 0;
      if (!fit_clamp(points[c], is_min, a, b, bound)) continue;
      const SymExpr line = candidates[c].scaled(a) + SymExpr::constant(b);
      fit.kind = DimFit::Kind::Exact;
      fit.expr = is_min ? line.min_with(bound) : line.max_with(bound);
      return fit;
    }
  }
  return fit;
}

}  // namespace wgml::graph
