#include "wgml/graph/dim_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

namespace wgml::graph {

namespace {

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
  b = first.v - a * first.x;
  return std::all_of(p.begin(), p.end(), [&](const Point& q) { return q.v == a * q.x + b; });
}

// The offsets b with floor((a*x + b)/q) = v at every point: [lo, hi], empty when lo > hi.
void offset_range(const std::vector<Point>& p, int64_t a, int64_t q, int64_t& lo, int64_t& hi) {
  lo = INT64_MIN;
  hi = INT64_MAX;
  for (const Point& s : p) {
    lo = std::max(lo, q * s.v - a * s.x);
    hi = std::min(hi, q * s.v + q - 1 - a * s.x);
    if (lo > hi) return;
  }
}

// The smallest q whose slope a/q fits, with its range of offsets.
bool fit_floor(const std::vector<Point>& p, int64_t& a, int64_t& q, int64_t& lo, int64_t& hi) {
  const auto [min_it, max_it] = std::minmax_element(
      p.begin(), p.end(), [](const Point& x, const Point& y) { return x.x < y.x; });
  if (min_it->x == max_it->x) return false;
  const double slope =
      static_cast<double>(max_it->v - min_it->v) / static_cast<double>(max_it->x - min_it->x);
  const std::vector<Point> ends = {*min_it, *max_it};
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

}  // namespace

DimFit fit_dim(const std::vector<SymExpr>& candidates,
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
    fit.kind = lo == hi ? DimFit::Kind::Exact : DimFit::Kind::Ambiguous;
    fit.expr = (candidates[c].scaled(a) + SymExpr::constant(lo)).floordiv(q);
    return fit;
  }
  return fit;
}

}  // namespace wgml::graph
