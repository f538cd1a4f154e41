// SymExpr (canonical symbolic dims) and fit_dim (reconstructing a dim from samples). Expected
// strings and values are derived by hand from the formulas in the comments, never by the code.
#include "wgml/graph/sym_expr.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "wgml/graph/dim_fit.h"

namespace wgml::graph {
namespace {

SymExpr sym(const char* name) {
  return SymExpr::symbol(name);
}
SymExpr num(int64_t v) {
  return SymExpr::constant(v);
}

int64_t value_at(const SymExpr& e, std::map<std::string, int64_t> values) {
  return e.evaluate([&](const std::string& s) { return values.at(s); }).value();
}

TEST(SymExpr, CanonicalFormsCompareStructurally) {
  EXPECT_EQ((sym("batch") + sym("batch")).str(), "2*batch");
  EXPECT_EQ((sym("h") * sym("w")).str(), (sym("w") * sym("h")).str());
  EXPECT_EQ((sym("n") - sym("n")).str(), "0");
  EXPECT_TRUE((sym("n") - sym("n")).is_constant());
  EXPECT_EQ(((sym("h") + num(3)) * num(2)).str(), "2*h + 6");
  EXPECT_EQ(sym("h") + num(1), num(1) + sym("h"));
  EXPECT_NE(sym("h"), sym("w"));
}

TEST(SymExpr, FloorDivisionTakesOutWhatDividesAndFoldsNestedStrides) {
  // Exact division and a constant remainder below q leave no floor.
  EXPECT_EQ((sym("n").scaled(4) + num(8)).floordiv(4).str(), "n + 2");
  EXPECT_EQ((sym("n").scaled(2) + num(1)).floordiv(2).str(), "n");
  // A conv of kernel 512, stride 160 over n + 512 padded samples: floor(n/160) + 1.
  EXPECT_EQ((sym("n") + num(512) - num(512)).floordiv(160) + num(1),
            sym("n").floordiv(160) + num(1));
  EXPECT_EQ((sym("n") + num(160)).floordiv(160).str(), "floor(n/160) + 1");
  // Three stride-2 convs with pad 1, kernel 3: ceil(ceil(ceil(h/2)/2)/2) = floor((h + 7)/8).
  SymExpr d = sym("h");
  for (int i = 0; i < 3; ++i)
    d = (d + num(2) - num(3)).floordiv(2) + num(1);
  EXPECT_EQ(d.str(), "floor((h + 7)/8)");
  // Negative offsets follow floor, not truncation: floor((n - 352)/160) = floor((n + 128)/160) - 3.
  EXPECT_EQ((sym("n") - num(352)).floordiv(160).str(), "floor((n + 128)/160) - 3");
  for (int64_t n : {0, 1, 351, 352, 353, 511, 512, 16000}) {
    const auto expected = static_cast<int64_t>(std::floor(static_cast<double>(n - 352) / 160.0));
    EXPECT_EQ(value_at((sym("n") - num(352)).floordiv(160), {{"n", n}}), expected) << n;
  }
}

TEST(SymExpr, EvaluatesAndReportsOverflowAndUnknownSymbols) {
  const SymExpr e = sym("b") * sym("s") + sym("s").floordiv(3);
  EXPECT_EQ(value_at(e, {{"b", 4}, {"s", 10}}), 4 * 10 + 3);
  EXPECT_FALSE(e.evaluate([](const std::string&) { return std::nullopt; }).has_value());
  const SymExpr big = sym("a") * sym("a") * sym("a");
  EXPECT_FALSE(big.evaluate([](const std::string&) { return int64_t{1} << 30; }).has_value());
  std::set<std::string> names;
  e.collect_symbols(names);
  EXPECT_EQ(names, (std::set<std::string>{"b", "s"}));
}

// Samples of out = f(x) at the given x, for a single candidate x.
DimFit fit_of(const std::vector<int64_t>& xs, int64_t (*f)(int64_t)) {
  std::vector<std::vector<int64_t>> cv;
  std::vector<int64_t> values;
  for (int64_t x : xs) {
    cv.push_back({x});
    values.push_back(f(x));
  }
  return fit_dim({sym("x")}, cv, values);
}

TEST(DimFit, RecoversLinearAndStridedSizesExactly) {
  const std::vector<int64_t> xs = {7, 13, 32, 48, 64, 1024, 1031, 2053};
  DimFit fit = fit_of(xs, [](int64_t x) { return 3 * x + 5; });
  EXPECT_EQ(fit.kind, DimFit::Kind::Exact);
  EXPECT_EQ(fit.expr.str(), "3*x + 5");
  EXPECT_FALSE(fit.floor);

  std::vector<int64_t> dense;  // strides need consecutive samples to pin the offset down
  for (int64_t x = 1024; x < 1024 + 40; ++x)
    dense.push_back(x);
  dense.insert(dense.end(), xs.begin(), xs.end());
  fit = fit_of(dense, [](int64_t x) { return (x + 2 * 1 - 3) / 2 + 1; });  // conv k3 s2 p1
  EXPECT_EQ(fit.kind, DimFit::Kind::Exact);
  EXPECT_TRUE(fit.floor);
  EXPECT_EQ(fit.expr.str(), "floor((x + 1)/2)");

  fit = fit_of(xs, [](int64_t) { return int64_t{64}; });
  EXPECT_EQ(fit.kind, DimFit::Kind::Exact);
  EXPECT_EQ(fit.expr.str(), "64");
}

TEST(DimFit, RecoversClampsAndRefusesWhatNoFormFits) {
  // A slice of a 512-row table to x rows: min(x, 512).
  DimFit fit =
      fit_of({7, 13, 32, 600, 1024, 2053}, [](int64_t x) { return x < 512 ? x : int64_t{512}; });
  EXPECT_EQ(fit.kind, DimFit::Kind::Exact);
  EXPECT_EQ(fit.expr.str(), "min(x, 512)");
  EXPECT_EQ(value_at(fit.expr, {{"x", 100}}), 100);
  // x*x is none of floor((a*x + b)/q), min or max of a line.
  fit = fit_of({7, 13, 32, 600, 1024, 2053}, [](int64_t x) { return x * x; });
  EXPECT_EQ(fit.kind, DimFit::Kind::None);
}

}  // namespace
}  // namespace wgml::graph
