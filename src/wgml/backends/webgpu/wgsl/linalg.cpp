// WebGPU kernels of the linalg family: matmul, specialised per call (shapes, strides, batch
// broadcast and tile shape baked in); gemm is a composite over it.
//
// The tiled shader: each workgroup owns a bm x bn block of one output matrix and walks k in
// steps of bk. A step copies the A and B tiles into workgroup memory, k-major as vec4s along m
// (A) and n (B), so an invocation reads its tm rows and tn columns with tm/4 + tn/4 vec4 loads
// and does tm * tn multiply-adds per k. Global loads for step t + 1 are issued into registers
// before the arithmetic of step t, hiding their latency behind it. An operand contiguous along
// m/n or along k (row-major or a transposed view), 16-byte aligned, is also bound a second time
// as an array of vec4 (the same read-only buffer) and fetched four elements per load; any other
// view (strided, broadcast, int64, sizes not a multiple of 4) is fetched element by element
// through the usual accessors. Batch dimensions of a broadcast B fold into the rows of A.
//
// Products with at most 4 rows on one side (vector @ matrix, matrix @ vector) and a long k take
// a second shader instead: tiles would leave most of the device idle, so the invocations of a
// workgroup split k and add their partial sums up in workgroup memory. Tiny products (a few
// thousand multiply-adds) loop over k per output element: cheapest to compile.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <set>

#include "wgml/backends/webgpu/wgsl/dequant.h"
#include "wgml/backends/webgpu/wgsl/matmul_tiling.h"
#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/error.h"

namespace wgml::wgsl {

std::string MatmulTiling::str() const {
  return std::to_string(bm) + "x" + std::to_string(bn) + "x" + std::to_string(bk) + " / " +
         std::to_string(tm) + "x" + std::to_string(tn) + " / " + std::to_string(threads()) +
         " inv" + (splits > 1 ? " / split k " + std::to_string(splits) : "");
}

namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

}  // namespace

MatmulTiling choose_matmul_tiling(int64_t batch, int64_t m, int64_t n, int64_t k,
                                  const gpu::AdapterInfo& adapter) {
  // Enough workgroups to keep every core busy: a discrete GPU has ~100+ of them, llvmpipe runs
  // workgroups on a few CPU threads and prefers fewer, larger ones.
  const int64_t target = tuned_workgroups("WGML_MATMUL_WORKGROUPS", adapter.software ? 4 : 128);
  std::vector<MatmulTiling> candidates;
  if (m <= 8 && n > 8) {
    // A few rows with a short k (long ones take the split-k shader): a strip of columns per
    // workgroup.
    const int64_t bm = m <= 4 ? 4 : 8;
    for (const int64_t bn : {256, 128, 64})
      candidates.push_back({bm, bn, 16, 4, 4});
  } else if (n <= 8 && m > 8) {
    const int64_t bn = n <= 4 ? 4 : 8;
    for (const int64_t bm : {256, 128, 64})
      candidates.push_back({bm, bn, 16, 4, 4});
  } else {
    // 8 KiB of tiles for the big one on GPUs: on an H100, 4096^3 ran at 43 TFLOPS with
    // 128x128x8 against 38 with 128x128x16 (more workgroups fit an SM). llvmpipe prefers the
    // fewer barriers of bk = 16.
    const int64_t big_bk = adapter.software ? 16 : 8;
    candidates = {
        {128, 128, big_bk, 8, 8}, {64, 64, 16, 4, 4}, {32, 32, 16, 4, 4}, {16, 16, 16, 4, 4}};
  }
  const int64_t max_threads =
      std::min<int64_t>(std::max<uint32_t>(adapter.max_compute_invocations_per_workgroup, 64),
                        std::max<uint32_t>(adapter.max_compute_workgroup_size[0], 64));
  // The first (largest) tile that reaches the target, with k split where that gets it there
  // (big tiles compute best); tiles twice the output's size are skipped.
  const bool general = m > 8 && n > 8;
  MatmulTiling pick;
  for (size_t i = 0; i < candidates.size(); ++i) {
    MatmulTiling c = candidates[i];
    if (c.threads() > max_threads) continue;
    const bool last = i + 1 == candidates.size();
    if (general && !last && (c.bm >= 2 * pow2_ceil(m) || c.bn >= 2 * pow2_ceil(n))) continue;
    const int64_t tiles = batch * ceil_div(m, c.bm) * ceil_div(n, c.bn);
    if (general) c.splits = k_slices(tiles, ceil_div(k, c.bk), target);
    pick = c;
    if (tiles * c.splits >= target) break;
  }
  WGML_CHECK(pick.bm > 0, "matmul: no tiling fits ", max_threads, " invocations per workgroup");
  // Short k: a shorter step wastes less on zero padding. Then fit workgroup memory.
  while (pick.bk > 4 && pick.bk / 2 >= k)
    pick.bk /= 2;
  const int64_t storage = std::max<uint32_t>(adapter.max_compute_workgroup_storage_size, 16384);
  while (pick.bk > 4 && pick.workgroup_bytes() > storage)
    pick.bk /= 2;
  if (pick.splits > 1)  // the steps may have shortened: keep 8 of them a slice
    pick.splits = k_slices(1, ceil_div(k, pick.bk), pick.splits);
  return pick;
}

namespace {

// How a tile of an operand is fetched from storage.
enum class Fetch {
  Scalar,    // one element per load, any strides and dtype
  WideVec4,  // vec4 along m (A) or n (B): contiguous there, goes straight into the tile
  KVec4,     // vec4 along k: contiguous rows, scattered into the k-major tile
};

// One operand as a stack of [wide, k] matrices (A: wide = m; B: wide = n) over the output's
// batch. Strides of size-1 axes are 0, so they never enter an index.
struct Operand {
  std::string name;  // "a" or "b"
  Tensor t;
  int64_t wide = 1, k = 1;
  int64_t s_wide = 0, s_k = 0;
  std::vector<int64_t> batch_strides;  // per output batch axis; 0 where broadcast
  Fetch fetch = Fetch::Scalar;
  bool dequant =
      false;  // B of matmul_dequant: element (k, n) is b_at(n, k) (backends/webgpu/wgsl/dequant.h)
};

struct Problem {
  Shape batch;
  int64_t m = 0, n = 0, k = 0;
  Operand a, b;
};

// NumPy's matmul on views: 1-d A is a row [1, K], 1-d B a column [K, 1]; batch axes broadcast.
Problem describe(const Tensor& a, const Tensor& b) {
  Shape as = a.shape(), bs = b.shape();
  Strides ast = a.strides(), bst = b.strides();
  if (as.size() == 1) {
    as.insert(as.begin(), 1);
    ast.insert(ast.begin(), 0);
  }
  if (bs.size() == 1) {
    bs.push_back(1);
    bst.push_back(0);
  }
  const Shape batch_a(as.begin(), as.end() - 2), batch_b(bs.begin(), bs.end() - 2);
  Problem p;
  p.batch = broadcast_shapes(batch_a, batch_b, "matmul");
  p.m = as[as.size() - 2];
  p.k = as.back();
  p.n = bs.back();
  auto stride = [](int64_t size, int64_t s) { return size == 1 ? 0 : s; };
  auto batch_strides = [&](const Shape& own, const Strides& strides) {
    std::vector<int64_t> out(p.batch.size(), 0);
    const size_t lead = p.batch.size() - own.size();
    for (size_t d = 0; d < own.size(); ++d)
      out[lead + d] = stride(own[d], strides[d]);
    return out;
  };
  // A is [.., m, k]: wide = m; B is [.., k, n]: wide = n.
  auto operand = [&](const char* name, const Tensor& t, int64_t wide, int64_t s_wide, int64_t s_k,
                     const Shape& own_batch, const Strides& strides) {
    Operand x;
    x.name = name;
    x.t = t;
    x.wide = wide;
    x.k = p.k;
    x.s_wide = stride(wide, s_wide);
    x.s_k = stride(p.k, s_k);
    x.batch_strides = batch_strides(own_batch, strides);
    return x;
  };
  p.a = operand("a", a, p.m, ast[ast.size() - 2], ast.back(), batch_a, ast);
  p.b = operand("b", b, p.n, bst.back(), bst[bst.size() - 2], batch_b, bst);
  return p;
}

// When B is the same matrix for every batch entry and A's batch axes step evenly into its rows
// (a contiguous [.., M, K] stack), the batch is one taller product: M' = batch * M.
void fold_batch_into_rows(Problem& p) {
  if (p.batch.empty()) return;
  for (const int64_t s : p.b.batch_strides) {
    if (s != 0) return;
  }
  std::vector<int64_t> sizes(p.batch.begin(), p.batch.end()), strides = p.a.batch_strides;
  sizes.push_back(p.m);
  strides.push_back(p.a.s_wide);
  int64_t inner = 0, expected = 0;
  bool first = true;
  for (size_t d = sizes.size(); d-- > 0;) {
    if (sizes[d] == 1) continue;
    if (first) {
      inner = strides[d];
      first = false;
    } else if (strides[d] != expected) {
      return;
    }
    expected = strides[d] * sizes[d];
  }
  p.m = shape_numel(p.batch) * p.m;
  p.a.wide = p.m;
  p.a.s_wide = p.m == 1 ? 0 : inner;
  p.batch.clear();
  p.a.batch_strides.clear();
  p.b.batch_strides.clear();
}

// Picks vec4 fetches where the operand's layout allows them: 4-aligned offsets and strides, and
// the contiguous axis a multiple of 4 long, so every vec4 lies whole inside the tensor.
void choose_fetch(Operand& x) {
  const DType dt = x.t.dtype();
  if (dt != DType::Float32 && dt != DType::Float16 && dt != DType::Int32) return;
  bool aligned = x.t.offset() % 4 == 0;
  for (const int64_t s : x.batch_strides)
    aligned = aligned && s % 4 == 0;
  if (!aligned) return;
  if (x.s_wide == 1 && x.wide % 4 == 0 && x.s_k % 4 == 0)
    x.fetch = Fetch::WideVec4;
  else if (x.s_k == 1 && x.k % 4 == 0 && x.s_wide % 4 == 0)
    x.fetch = Fetch::KVec4;
}

std::string u(int64_t v) {
  return std::to_string(v) + "u";
}

// `base + i * stride` in u32 (negative strides wrap, and the sum comes out right); stride-0
// terms vanish.
std::string plus_scaled(const std::string& i, int64_t stride) {
  if (stride == 0) return "";
  if (stride == 1) return " + " + i;
  return " + " + i + " * " + u32_literal(stride);
}

const char* kLanes[4] = {"x", "y", "z", "w"};

// Shortest k for which products with <= 4 rows split k over a workgroup's invocations.
constexpr int64_t kSkinnyMinK = 32;
// Products of at most this many multiply-adds run one invocation per output element.
constexpr int64_t kDirectMacs = 32768;

// `v + c` for a constant c, without a "0u +".
std::string offset(int64_t c, const std::string& v) {
  return c == 0 ? v : u(c) + " + " + v;
}

// The element at (w, k) of operand `x` whose matrix starts at `base`; plus_scaled terms, so
// compound w and k must come parenthesised.
std::string element(const Operand& x, const std::string& w, const std::string& k,
                    const std::string& base) {
  if (x.dequant) return x.name + "_at(" + w + ", " + k + ")";
  return x.name + "_load(" + base + plus_scaled(w, x.s_wide) + plus_scaled(k, x.s_k) + ")";
}

// The bindings that view an operand's buffer as vec4s (after the ShaderWriter's; matmul_kernel
// binds them).
void declare_vec4_views(ShaderWriter& w, const Problem& p) {
  uint32_t binding = w.bindings();
  for (const Operand* x : {&p.a, &p.b}) {
    if (x->fetch == Fetch::Scalar) continue;
    std::string element = std::string("vec4<") + compute_type(x->t.dtype()) + ">";
    if (x->t.dtype() == DType::Float16)
      element = w.adapter().shader_f16 ? "vec4<f16>" : "vec2<u32>";
    w.decl() << "// " << x->name << " again, four elements per load (the same read-only buffer).\n"
             << "@group(0) @binding(" << binding++ << ") var<storage, read> " << x->name
             << "_vec4: array<" << element << ">;\n";
  }
}

// The vec4 (in the compute type) at vec4 index `i` of the vec4 view of `x`.
std::string load4(const ShaderWriter& w, const Operand& x, const std::string& i) {
  const std::string v = x.name + "_vec4[" + i + "]";
  if (x.t.dtype() != DType::Float16) return v;
  if (w.adapter().shader_f16) return "vec4<f32>(" + v + ")";
  return "vec4<f32>(unpack2x16float(" + v + ".x), unpack2x16float(" + v + ".y))";
}

// `a_base`, `b_base`, `out_base`: where the matrices of batch entry `batch_index` start.
void emit_bases(std::ostringstream& b, const Problem& p, const std::string& batch_index) {
  std::string a_base = u32_literal(p.a.t.offset()), b_base = u32_literal(p.b.t.offset());
  std::string out_base = "0u";
  if (!p.batch.empty()) {
    b << "  let bz = " << batch_index << ";\n";
    emit_coords(b, "bz", p.batch, "z");
    for (size_t i = 0; i < p.batch.size(); ++i) {
      const std::string z = "z" + std::to_string(i);
      a_base += plus_scaled(z, p.a.batch_strides[i]);
      b_base += plus_scaled(z, p.b.batch_strides[i]);
    }
    out_base = "bz * " + u(p.m * p.n);
  }
  b << "  let a_base = " << a_base << ";\n"
    << "  let b_base = " << b_base << ";\n"
    << "  let out_base = " << out_base << ";\n";
}

class MatmulWriter {
 public:
  MatmulWriter(ShaderWriter& w, const Problem& p, const MatmulTiling& tiling, std::string type)
      : w_(w), p_(p), t_(tiling), type_(std::move(type)), vec_("vec4<" + type_ + ">") {}

  // Emits the workgroup tiles, the fetch of both operands, the k loop and the stores.
  void emit() {
    auto& d = w_.decl();
    declare_vec4_views(w_, p_);
    // [k][vec4 index]: constant k and a loop-invariant vec4 index, so bounds clamps (if the
    // platform adds them) leave the inner loop.
    const std::string a_row = "array<" + vec_ + ", " + std::to_string(t_.bm / 4) + ">";
    const std::string b_row = "array<" + vec_ + ", " + std::to_string(t_.bn / 4) + ">";
    d << "// Tiles, k-major: row kk holds " << t_.bm << " values of A's column k0 + kk (as vec4s "
      << "along m), and " << t_.bn << " of B's row k0 + kk.\n"
      << "var<workgroup> a_tile: array<" << a_row << ", " << t_.bk << ">;\n"
      << "var<workgroup> b_tile: array<" << b_row << ", " << t_.bk << ">;\n";

    auto& b = w_.body();
    const int64_t tiles_m = ceil_div(p_.m, t_.bm), tiles_n = ceil_div(p_.n, t_.bn);
    const int64_t tiles = tiles_m * tiles_n;
    const int64_t products = shape_numel(p_.batch) * tiles;  // workgroups of one k slice
    const int64_t groups = products * t_.splits;
    b << "  if (wid >= " << u(groups) << ") { return; }\n";
    std::string wid = "wid";
    if (t_.splits > 1) {  // slice `split` of k; its partial sums go to its own [batch, m, n]
      b << "  let split = wid / " << u(products) << ";\n"
        << "  let wb = wid % " << u(products) << ";\n";
      wid = "wb";
    }
    // Workgroups in groups of kGroupRows tile rows, column by column: the ones that run at the
    // same time share rows of A and columns of B in the cache.
    const int64_t g = kGroupRows;
    b << "  let tile = " << wid << " % " << u(tiles) << ";\n"
      << "  let first_m = (tile / " << u(g * tiles_n) << ") * " << u(g) << ";\n"
      << "  let group_rows = min(" << u(tiles_m) << " - first_m, " << u(g) << ");\n"
      << "  let in_group = tile % " << u(g * tiles_n) << ";\n"
      << "  let row0 = (first_m + in_group % group_rows) * " << u(t_.bm) << ";\n"
      << "  let col0 = (in_group / group_rows) * " << u(t_.bn) << ";\n";
    emit_bases(b, p_, wid + " / " + u(tiles));
    const int64_t cols = t_.bn / t_.tn;  // invocations along n
    b << "  let tx = lid % " << u(cols) << ";\n"
      << "  let ty = lid / " << u(cols) << ";\n";

    declare_fetch(p_.a, t_.bm);
    declare_fetch(p_.b, t_.bn);
    for (int64_t r = 0; r < t_.tm; ++r) {
      for (int64_t h = 0; h < t_.tn / 4; ++h)
        b << "  var acc" << r << "_" << h << " = " << vec_ << "();\n";
    }
    const int64_t steps = ceil_div(p_.k, t_.bk);
    std::string first = "0u", end = u(steps);
    if (t_.splits > 1) {
      const int64_t slice = ceil_div(steps, t_.splits);
      b << "  let kt_first = split * " << u(slice) << ";\n"
        << "  let kt_end = min(kt_first + " << u(slice) << ", " << u(steps) << ");\n";
      first = "kt_first";
      end = "kt_end";
    }
    if (steps > 0) {
      b << "  {\n    let k0 = " << first << " * " << u(t_.bk) << ";\n";
      emit_fetch(p_.a, t_.bm, p_.m, "    ");
      emit_fetch(p_.b, t_.bn, p_.n, "    ");
      b << "  }\n";
    }
    b << "  for (var kt = " << first << "; kt < " << end << "; kt++) {\n";
    emit_tile_store(p_.a, t_.bm, "a_tile");
    emit_tile_store(p_.b, t_.bn, "b_tile");
    b << "    workgroupBarrier();\n"
      << "    if (kt + 1u < " << end << ") {\n"
      << "      let k0 = (kt + 1u) * " << u(t_.bk) << ";\n";
    emit_fetch(p_.a, t_.bm, p_.m, "      ");
    emit_fetch(p_.b, t_.bn, p_.n, "      ");
    b << "    }\n";
    emit_products("a_tile", "b_tile");
    b << "    workgroupBarrier();\n  }\n";
    emit_output();
  }

 private:
  static constexpr int64_t kGroupRows = 8;

  // Fetches of one k step: vec4 fetches move four elements, scalar ones one.
  int64_t per_fetch(const Operand& x) const { return x.fetch == Fetch::Scalar ? 1 : 4; }
  int64_t fetches(const Operand& x, int64_t bw) const { return bw * t_.bk / per_fetch(x); }
  int64_t rounds(const Operand& x, int64_t bw) const {
    return ceil_div(fetches(x, bw), t_.threads());
  }

  // Per invocation and round: where in the tile its fetch lands (w_loc along m or n, k_loc
  // along k), fixed for the whole loop, and the registers that carry it between steps.
  void declare_fetch(const Operand& x, int64_t bw) {
    auto& b = w_.body();
    const std::string& n = x.name;
    const int64_t total = fetches(x, bw), threads = t_.threads();
    // Scalar fetches walk the operand's faster axis first, so neighbours read neighbours.
    const bool k_fastest =
        x.fetch == Fetch::KVec4 || (x.fetch == Fetch::Scalar && x.s_k != 0 &&
                                    (x.s_wide == 0 || std::llabs(x.s_k) < std::llabs(x.s_wide)));
    for (int64_t r = 0; r < rounds(x, bw); ++r) {
      const std::string q = "(lid + " + u(r * threads) + ")";
      const std::string id = n + std::to_string(r);
      if (x.fetch == Fetch::WideVec4) {
        b << "  let " << id << "_w = (" << q << " % " << u(bw / 4) << ") * 4u;\n"
          << "  let " << id << "_k = " << q << " / " << u(bw / 4) << ";\n";
      } else if (x.fetch == Fetch::KVec4) {
        // Consecutive invocations take consecutive rows: conflict-free tile stores.
        b << "  let " << id << "_w = " << q << " % " << u(bw) << ";\n"
          << "  let " << id << "_k = (" << q << " / " << u(bw) << ") * 4u;\n";
      } else if (k_fastest) {
        b << "  let " << id << "_w = " << q << " / " << u(t_.bk) << ";\n"
          << "  let " << id << "_k = " << q << " % " << u(t_.bk) << ";\n";
      } else {
        b << "  let " << id << "_w = " << q << " % " << u(bw) << ";\n"
          << "  let " << id << "_k = " << q << " / " << u(bw) << ";\n";
      }
      if (total % threads != 0 && (r + 1) * threads > total)
        b << "  let " << id << "_on = lid < " << u(total - r * threads) << ";\n";
      b << "  var " << id << "_r: " << (x.fetch == Fetch::Scalar ? type_ : vec_) << ";\n";
    }
  }

  // Loads the tile at k0 (a `let` in scope) into the registers; zeros past the matrix edges.
  void emit_fetch(const Operand& x, int64_t bw, int64_t extent, const std::string& in) {
    auto& b = w_.body();
    const int64_t total = fetches(x, bw), threads = t_.threads();
    const std::string origin = x.name == "a" ? "row0" : "col0";
    for (int64_t r = 0; r < rounds(x, bw); ++r) {
      const std::string id = x.name + std::to_string(r);
      b << in << "{\n"
        << in << "  let w = " << origin << " + " << id << "_w;\n"
        << in << "  let k = k0 + " << id << "_k;\n";
      std::vector<std::string> conds;
      if (total % threads != 0 && (r + 1) * threads > total) conds.push_back(id + "_on");
      if (extent % bw != 0) conds.push_back("w < " + u(extent));
      if (p_.k % t_.bk != 0) conds.push_back("k < " + u(p_.k));
      std::string value;
      const std::string base = x.name + "_base";
      switch (x.fetch) {
        case Fetch::WideVec4:
          value = load4(w_, x, "(" + base + " + w" + plus_scaled("k", x.s_k) + ") / 4u");
          break;
        case Fetch::KVec4:
          value = load4(w_, x, "(" + base + plus_scaled("w", x.s_wide) + " + k) / 4u");
          break;
        case Fetch::Scalar:
          value = element(x, "w", "k", base);
          break;
      }
      const std::string zero = (x.fetch == Fetch::Scalar ? type_ : vec_) + "()";
      if (conds.empty()) {
        b << in << "  " << id << "_r = " << value << ";\n";
      } else {
        std::string cond;
        for (const std::string& c : conds)
          cond += (cond.empty() ? "" : " && ") + c;
        b << in << "  " << id << "_r = " << zero << ";\n"
          << in << "  if (" << cond << ") { " << id << "_r = " << value << "; }\n";
      }
      b << in << "}\n";
    }
  }

  // Writes the registers into the k-major tile.
  void emit_tile_store(const Operand& x, int64_t bw, const std::string& tile) {
    auto& b = w_.body();
    const int64_t total = fetches(x, bw), threads = t_.threads();
    for (int64_t r = 0; r < rounds(x, bw); ++r) {
      const std::string id = x.name + std::to_string(r);
      const bool partial = total % threads != 0 && (r + 1) * threads > total;
      const std::string indent = partial ? "      " : "    ";
      if (partial) b << "    if (" << id << "_on) {\n";
      switch (x.fetch) {
        case Fetch::WideVec4:
          b << indent << tile << "[" << id << "_k][" << id << "_w / 4u] = " << id << "_r;\n";
          break;
        case Fetch::KVec4:
          for (int c = 0; c < 4; ++c)
            b << indent << tile << "[" << id << "_k + " << c << "u][" << id << "_w / 4u][" << id
              << "_w % 4u] = " << id << "_r." << kLanes[c] << ";\n";
          break;
        case Fetch::Scalar:
          b << indent << tile << "[" << id << "_k][" << id << "_w / 4u][" << id
            << "_w % 4u] = " << id << "_r;\n";
          break;
      }
      if (partial) b << "    }\n";
    }
  }

  // The invocation's rows are tm/4 runs of 4 and its columns tn/4 runs of 4, the runs spaced
  // by the workgroup's span so that neighbouring invocations read neighbouring vec4s.
  void emit_products(const std::string& a_tile, const std::string& b_tile) {
    auto& b = w_.body();
    const int64_t rows_inv = t_.bm / t_.tm, cols_inv = t_.bn / t_.tn;
    for (int64_t kk = 0; kk < t_.bk; ++kk) {
      b << "    {\n";
      for (int64_t g = 0; g < t_.tm / 4; ++g)
        b << "      let a" << g << " = " << a_tile << "[" << kk << "]["
          << offset(g * rows_inv, "ty") << "];\n";
      for (int64_t h = 0; h < t_.tn / 4; ++h)
        b << "      let b" << h << " = " << b_tile << "[" << kk << "]["
          << offset(h * cols_inv, "tx") << "];\n";
      for (int64_t r = 0; r < t_.tm; ++r) {
        for (int64_t h = 0; h < t_.tn / 4; ++h)
          b << "      acc" << r << "_" << h << " += a" << r / 4 << "." << kLanes[r % 4] << " * b"
            << h << ";\n";
      }
      b << "    }\n";
    }
  }

  void emit_output() {
    auto& b = w_.body();
    const int64_t rows_inv = t_.bm / t_.tm, cols_inv = t_.bn / t_.tn;
    const bool check_m = p_.m % t_.bm != 0, check_n = p_.n % t_.bn != 0;
    for (int64_t r = 0; r < t_.tm; ++r) {
      b << "  {\n    let row = row0 + " << u((r / 4) * 4 * rows_inv + r % 4) << " + ty * 4u;\n";
      std::string indent = "    ";
      if (check_m) {
        b << "    if (row < " << u(p_.m) << ") {\n";
        indent += "  ";
      }
      for (int64_t h = 0; h < t_.tn / 4; ++h) {
        b << indent << "{\n"
          << indent << "  let col = col0 + " << u(h * 4 * cols_inv) << " + tx * 4u;\n"
          << indent << "  let at = out_base + "
          << (t_.splits > 1 ? "split * " + u(shape_numel(p_.batch) * p_.m * p_.n) + " + " : "")
          << "row * " << u(p_.n) << " + col;\n";
        for (int c = 0; c < 4; ++c) {
          const std::string store = "out_store(at + " + u(c) + ", acc" + std::to_string(r) + "_" +
                                    std::to_string(h) + "." + kLanes[c] + ");";
          if (check_n)
            b << indent << "  if (col + " << u(c) << " < " << u(p_.n) << ") { " << store << " }\n";
          else
            b << indent << "  " << store << "\n";
        }
        b << indent << "}\n";
      }
      if (check_m) b << "    }\n";
      b << "  }\n";
    }
  }

  ShaderWriter& w_;
  const Problem& p_;
  const MatmulTiling& t_;
  std::string type_, vec_;
};

// Tiny products: one invocation per output element and a plain loop over k. Such shapes cost
// more to compile than to run, and this shader compiles fastest.
void emit_direct(ShaderWriter& w, const Problem& p, const std::string& type) {
  auto& b = w.body();
  b << "  let col = gid % " << u(p.n) << ";\n"
    << "  let row = (gid / " << u(p.n) << ") % " << u(p.m) << ";\n";
  emit_bases(b, p, "gid / " + u(p.m * p.n));
  b << "  let a_row = a_base" << plus_scaled("row", p.a.s_wide) << ";\n"
    << "  let b_col = b_base" << plus_scaled("col", p.b.s_wide) << ";\n"
    << "  var acc = " << type << "();\n"
    << "  for (var k = 0u; k < " << u(p.k) << "; k++) {\n"
    << "    acc += a_load(a_row" << plus_scaled("k", p.a.s_k) << ") * "
    << (p.b.dequant ? "b_at(col, k)" : "b_load(b_col" + plus_scaled("k", p.b.s_k) + ")") << ";\n"
    << "  }\n"
    << "  out_store(gid, acc);\n";
}

// Products with at most 4 rows on one side (vector @ matrix, matrix @ vector, dot products),
// where tiles would leave most of the device idle: each workgroup owns a strip of 4 * kUnits
// output columns for all (<= 4) rows, and its invocations split k between them and add their
// partial sums up in workgroup memory. The vector side `x` ([rows, k]) is A, or B seen
// transposed (out^T = B^T A^T); the matrix side `y` ([k, cols]) is the other.
class SkinnyWriter {
 public:
  static constexpr int64_t kThreads = 256;

  SkinnyWriter(ShaderWriter& w, const Problem& p, bool transposed, std::string type)
      : w_(w),
        p_(p),
        x_(transposed ? p.b : p.a),
        y_(transposed ? p.a : p.b),
        transposed_(transposed),
        type_(std::move(type)),
        vec_("vec4<" + type_ + ">"),
        // Along k when y's columns are contiguous in k (neighbours read neighbouring vec4s of
        // one column), else along the columns.
        k_fast_(y_.s_k == 1),
        units_(k_fast_ ? 4 : 8),
        slices_(kThreads / units_) {}

  int64_t workgroups() const { return shape_numel(p_.batch) * strips(); }

  void emit() {
    auto& b = w_.body();
    const int64_t rows = x_.wide, cols = y_.wide, k = p_.k, span = 4 * units_;
    declare_vec4_views(w_, p_);
    w_.decl() << "// Partial sums of the " << rows << " x 4 outputs of every invocation.\n"
              << "var<workgroup> part: array<array<" << vec_ << ", " << kThreads << ">, " << rows
              << ">;\n";
    b << "  if (wid >= " << u(workgroups()) << ") { return; }\n";
    emit_bases(b, p_, "wid / " + u(strips()));
    const std::string x_base = x_.name + "_base", y_base = y_.name + "_base";
    if (k_fast_)
      b << "  let s = lid % " << u(slices_) << ";\n  let unit = lid / " << u(slices_) << ";\n";
    else
      b << "  let unit = lid % " << u(units_) << ";\n  let s = lid / " << u(units_) << ";\n";
    b << "  let c0 = (wid % " << u(strips()) << ") * " << u(span) << " + unit * 4u;\n";
    for (int64_t r = 0; r < rows; ++r)
      b << "  var acc" << r << " = " << vec_ << "();\n";
    const bool check_cols = cols % span != 0;
    if (!k_fast_) {
      // Each invocation: rows k = s, s + slices, ... of its 4 columns of y.
      b << "  for (var k = s; k < " << u(k) << "; k += " << u(slices_) << ") {\n";
      if (y_.fetch == Fetch::WideVec4) {
        const std::string value =
            load4(w_, y_, "(" + y_base + " + c0" + plus_scaled("k", y_.s_k) + ") / 4u");
        if (check_cols)
          b << "    var yv = " << vec_ << "();\n    if (c0 < " << u(cols) << ") { yv = " << value
            << "; }\n";
        else
          b << "    let yv = " << value << ";\n";
      } else {
        b << "    var yv = " << vec_ << "();\n";
        for (int c = 0; c < 4; ++c) {
          const std::string col = "c0 + " + u(c);
          const std::string load = std::string("yv.") + kLanes[c] + " = " +
                                   element(y_, "(" + col + ")", "k", y_base) + ";";
          b << "    " << (check_cols ? "if (" + col + " < " + u(cols) + ") { " + load + " }" : load)
            << "\n";
        }
      }
      for (int64_t r = 0; r < rows; ++r) {
        const std::string xv = x_.dequant ? element(x_, u(r), "k", x_base)
                                          : x_.name + "_load(" + x_base + row_offset(r) +
                                                plus_scaled("k", x_.s_k) + ")";
        b << "    acc" << r << " += " << xv << " * yv;\n";
      }
      b << "  }\n";
    } else {
      // Each invocation: k chunks [4s, 4s + 4), [4s + 4 * slices, ...) of its 4 columns.
      b << "  for (var k = s * 4u; k < " << u(k) << "; k += " << u(4 * slices_) << ") {\n";
      for (int64_t r = 0; r < rows; ++r)
        b << "    let x" << r << " = " << chunk(x_, x_.dequant ? u(r) : x_base + row_offset(r))
          << ";\n";
      for (int c = 0; c < 4; ++c) {
        const std::string col = "c0 + " + u(c);
        b << "    " << (check_cols ? "if (" + col + " < " + u(cols) + ") " : "") << "{\n"
          << "      let yc = "
          << chunk(y_, y_.dequant ? col : y_base + plus_scaled("(" + col + ")", y_.s_wide))
          << ";\n";
        for (int64_t r = 0; r < rows; ++r)
          b << "      acc" << r << "." << kLanes[c] << " += dot(x" << r << ", yc);\n";
        b << "    }\n";
      }
      b << "  }\n";
    }
    // Tree over the k slices; slice s + h of a unit sits `h * step` invocations further on.
    const int64_t step = k_fast_ ? 1 : units_;
    for (int64_t r = 0; r < rows; ++r)
      b << "  part[" << r << "][lid] = acc" << r << ";\n";
    b << "  workgroupBarrier();\n";
    for (int64_t h = slices_ / 2; h >= 1; h /= 2) {
      b << "  if (s < " << u(h) << ") {\n";
      for (int64_t r = 0; r < rows; ++r)
        b << "    part[" << r << "][lid] += part[" << r << "][lid + " << u(h * step) << "];\n";
      b << "  }\n  workgroupBarrier();\n";
    }
    // out[r, c] of the original product sits at r * n + c; transposed, x's rows are its columns.
    const int64_t row_stride = transposed_ ? 1 : p_.n, col_stride = transposed_ ? p_.n : 1;
    b << "  if (s == 0u) {\n";
    for (int c = 0; c < 4; ++c) {
      const std::string col = "c0 + " + u(c);
      b << "    " << (check_cols ? "if (" + col + " < " + u(cols) + ") " : "") << "{\n";
      for (int64_t r = 0; r < rows; ++r)
        b << "      out_store(out_base + " << u(r * row_stride)
          << plus_scaled("(" + col + ")", col_stride) << ", part[" << r << "][lid]." << kLanes[c]
          << ");\n";
      b << "    }\n";
    }
    b << "  }\n";
  }

 private:
  int64_t strips() const { return ceil_div(y_.wide, 4 * units_); }
  std::string row_offset(int64_t r) const { return r == 0 ? "" : plus_scaled(u(r), x_.s_wide); }

  // The 4 values of operand `x` at k .. k + 3 of the row or column starting at `at` (of a
  // dequantized operand: row or column `at`): one vec4 load when it has a vec4 view along k,
  // else a helper of 4 loads (zero past k's end).
  std::string chunk(const Operand& x, const std::string& at) {
    if (x.fetch == Fetch::KVec4) return load4(w_, x, "(" + at + " + k) / 4u");
    const std::string fn = x.name + "_chunk";
    if (!declared_.count(fn)) {
      declared_.insert(fn);
      auto& d = w_.decl();
      d << "// Elements k .. k + 3 of " << x.name << " from `at` on, zero past k's end.\n"
        << "fn " << fn << "(at: u32, k: u32) -> " << vec_ << " {\n"
        << "  var v = " << vec_ << "();\n";
      for (int i = 0; i < 4; ++i) {
        const std::string k = i == 0 ? "k" : "(k + " + u(i) + ")";
        const std::string load = std::string("v.") + kLanes[i] + " = " +
                                 (x.dequant ? element(x, "at", k, "")
                                            : x.name + "_load(at" + plus_scaled(k, x.s_k) + ")") +
                                 ";";
        if (i > 0 && p_.k % 4 != 0)
          d << "  if (" << k << " < " << u(p_.k) << ") { " << load << " }\n";
        else
          d << "  " << load << "\n";
      }
      d << "  return v;\n}\n";
    }
    return fn + "(" + at + ", k)";
  }

  ShaderWriter& w_;
  const Problem& p_;
  const Operand &x_, &y_;
  bool transposed_;
  std::string type_, vec_;
  bool k_fast_;
  int64_t units_, slices_;
  std::set<std::string> declared_;
};

// Binds B (as "b", or for matmul_dequant as its parts with `b_at`) in the compute type.
using BindB = std::function<void(ShaderWriter& w, const std::string& type)>;

// a @ b into `out`; `b` gives B's shape and layout (strides steer the shader's choices).
void run_matmul(const OpCall& call, const Tensor& a, const Tensor& b, bool dequant_b,
                const BindB& bind_b, Tensor& out, Recorder& recorder) {
  if (out.numel() == 0) return;
  Problem p = describe(a, b);
  p.b.dequant = dequant_b;
  fold_batch_into_rows(p);
  choose_fetch(p.a);
  if (!dequant_b) choose_fetch(p.b);
  const std::string type = compute_type(out.dtype());
  // Split k inside the workgroup when one side has at most 4 rows and k is long enough to
  // share; tiny products loop over k per output element; everything else takes the tiles.
  const bool skinny_m = p.m <= 4 && p.k >= kSkinnyMinK;
  const bool skinny_n = p.n <= 4 && p.k >= kSkinnyMinK;
  const bool direct = shape_numel(p.batch) * p.m * p.n * p.k <= kDirectMacs;
  MatmulTiling tiling;
  if (!skinny_m && !skinny_n && !direct)
    tiling = choose_matmul_tiling(shape_numel(p.batch), p.m, p.n, p.k, recorder.adapter());
  // Split along k, the tiles write partial sums, slice after slice, and a second launch adds.
  const Tensor part =
      tiling.splits > 1 ? recorder.scratch({tiling.splits * out.numel()}, out.dtype()) : Tensor();
  ShaderWriter w(call.name(), recorder.adapter());
  w.input("a", p.a.t);
  bind_b(w, type);
  if (part.defined())
    w.output("out", part);
  else
    bind_output(w, "out", out, call);
  Launch launch;
  if (skinny_m || skinny_n) {
    const bool transposed = !skinny_m;
    Operand& x = transposed ? p.b : p.a;
    Operand& y = transposed ? p.a : p.b;
    // The vector side is read in vec4s along k only; the matrix side as its layout allows.
    if (x.fetch != Fetch::KVec4 || y.s_k != 1) x.fetch = Fetch::Scalar;
    if (y.s_k == 1 && y.fetch != Fetch::KVec4) y.fetch = Fetch::Scalar;
    SkinnyWriter skinny(w, p, transposed, type);
    skinny.emit();
    launch = w.finish(static_cast<uint64_t>(skinny.workgroups()), SkinnyWriter::kThreads);
  } else if (direct) {
    p.a.fetch = p.b.fetch = Fetch::Scalar;
    emit_direct(w, p, type);
    launch = w.finish_elementwise(static_cast<uint64_t>(out.numel()));
  } else {
    MatmulWriter(w, p, tiling, type).emit();
    const uint64_t groups = static_cast<uint64_t>(shape_numel(p.batch) * ceil_div(p.m, tiling.bm) *
                                                  ceil_div(p.n, tiling.bn) * tiling.splits);
    launch = w.finish(groups, static_cast<uint32_t>(tiling.threads()));
  }
  // The vec4 views bind the operands' buffers once more, after the ShaderWriter's bindings.
  for (const Operand* x : {&p.a, &p.b}) {
    if (x->fetch == Fetch::Scalar) continue;
    launch.tensors.push_back(x->t);
    launch.program.read_only.push_back(true);
  }
  recorder.run(launch);
  if (part.defined()) run_split_sum(call, part, tiling.splits, nullptr, "", out, recorder);
}

void matmul_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                   std::vector<Tensor>& outputs, Recorder& recorder) {
  const Tensor& b = inputs[1];
  run_matmul(
      call, inputs[0], b, false, [&](ShaderWriter& w, const std::string&) { w.input("b", b); },
      outputs[0], recorder);
}

// B is read through b_at: 8-bit q gives the shader its own layout ([K, N], maybe transposed);
// 4-bit q [N, K/2] is described as a [K, N] view with k contiguous (strides 1, 0: in bounds,
// never read through), which is how its bytes run.
void matmul_dequant_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                           std::vector<Tensor>& outputs, Recorder& recorder) {
  const DequantMatrix d = dequant_matrix(call, inputs);
  const Tensor& q = inputs[1];
  const Tensor layout = d.bits == 8 ? q : q.with_view({d.k, d.n}, {1, 0}, q.offset());
  run_matmul(
      call, inputs[0], layout, true,
      [&](ShaderWriter& w, const std::string& type) {
        declare_dequant_matrix(w, "b", d, inputs, type);
      },
      outputs[0], recorder);
}

}  // namespace

extern const std::vector<Kernel> kLinalgKernels = {
    {"matmul", matmul_kernel, true},
    {"matmul_dequant", matmul_dequant_kernel, true},
};

}  // namespace wgml::wgsl
