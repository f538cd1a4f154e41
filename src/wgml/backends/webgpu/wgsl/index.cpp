// WGSL kernels of the index family: gather, gather_elements (one invocation per output element)
// and scatter_nd (updates linked per target slice, then applied in index order).
//
// Indices out of range: the CPU raises an error naming the index, but a shader cannot throw and
// checking on the host would need a readback per call. So the shaders never touch memory out
// of bounds and give a defined result instead: gather and gather_elements write 0 for such an
// element, scatter_nd skips such an update. int64 indices beyond 32 bits count as out of range.
#include <algorithm>

#include "wgml/backends/webgpu/wgsl/shader_writer.h"
#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"
#include "wgml/core/error.h"

namespace wgml::wgsl {

namespace {

using Inputs = std::vector<Tensor>;
using Outputs = std::vector<Tensor>;

// gather:          data [outer..., size, inner...], indices [idx...] -> out [outer..., idx...,
// inner...] gather_elements: out[c] = data[c with c[axis] = indices[c]] One invocation per output
// element; they differ only in which output coordinates address the index and which the data.
void run_gather(const OpCall& call, const Inputs& inputs, Outputs& outputs, Recorder& recorder,
                bool elements) {
  const Tensor& data = inputs[0];
  const Tensor& indices = inputs[1];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const size_t axis =
      static_cast<size_t>(normalize_axis(call.attrs.i("axis"), data.rank(), call.name()));
  ShaderWriter w(call.name(), recorder.adapter());
  w.input("data", data);
  w.input("idx", indices);
  w.output("out", out);
  declare_index(w, "idx", indices);
  auto& b = w.body();
  emit_coords(b, "gid", out.shape(), "c");
  const std::vector<std::string> coords = coord_names("c", out.rank());
  std::vector<std::string> idx_coords = coords, src = coords;
  if (elements) {
    src[axis] = "u32(i)";
  } else {
    const auto at = [&](size_t d) { return coords.begin() + static_cast<std::ptrdiff_t>(d); };
    const size_t idx_end = axis + indices.rank();
    idx_coords.assign(at(axis), at(idx_end));
    src.assign(coords.begin(), at(axis));
    src.push_back("u32(i)");
    src.insert(src.end(), at(idx_end), coords.end());
  }
  b << "  let i = idx_index(" << offset_of(indices, idx_coords) << ", "
    << i32_literal(data.shape()[axis]) << ");\n"
    << "  if (i >= 0) {\n    "
    << move_element(data.dtype(), "data", offset_of(data, src), "out", "gid")
    << "\n  } else {  // out of range (the CPU raises an error)\n    out_store(gid, "
    << literal(0, compute_type(out.dtype())) << ");\n  }\n";
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

void gather_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs, Recorder& recorder) {
  run_gather(call, inputs, outputs, recorder, false);
}

void gather_elements_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs,
                            Recorder& recorder) {
  run_gather(call, inputs, outputs, recorder, true);
}

// `acc = combine(acc, u)` for a scatter_nd reduction, as the CPU (NaN updates win max/min).
std::string scatter_combine(const std::string& reduction, bool is_float, ShaderWriter& w) {
  if (reduction == "add") return "acc + u";
  if (reduction == "mul") return "acc * u";
  const std::string cmp = reduction == "max" ? "u > acc" : "u < acc";
  if (!is_float) return "select(acc, u, " + cmp + ")";
  w.need("isnan");
  return "select(acc, u, wgml_isnan(u) || " + cmp + ")";
}

// ONNX ScatterND. The output holds P slices of S elements (data[:k] x data[k:]); update tuple n
// targets slice p(n). Passes:
//  1. heads[p] = 0 for every slice;
//  2. per update n: reduction none keeps the last update, heads[p] = max(n + 1) (atomicMax);
//     reductions push n on p's list: links[n] = atomicExchange(heads[p], n + 1);
//  3. (float reductions) per slice: sort its list into ascending n, the CPU's order;
//  4. per output element: data, combined with the slice's updates along the list.
// A slice's duplicates are visited serially (d log d steps to sort, d to combine): fine for
// the usual few. (Mesa's llvmpipe stops a shader invocation's loops after 65535 iterations in
// all, so there a slice with thousands of duplicates comes out wrong.)
// `heads` needs atomics: it is a uint8 scratch tensor, whose storage the ShaderWriter declares
// as array<atomic<u32>> when written (array<u32> when read): one word per slice, 0 = none.
void scatter_nd_kernel(const OpCall& call, const Inputs& inputs, Outputs& outputs,
                       Recorder& recorder) {
  const Tensor& data = inputs[0];
  const Tensor& indices = inputs[1];
  const Tensor& updates = inputs[2];
  Tensor& out = outputs[0];
  if (out.numel() == 0) return;
  const std::string& reduction = call.attrs.s("reduction");
  const bool last_wins = reduction == "none";
  // Integer arithmetic wraps, so integer sums and products, like maxima and minima, come out
  // the same in any order; float results depend on it (rounding, the sign of a zero max).
  const bool ordered = !last_wins && is_floating(data.dtype());
  const Shape& shape = data.shape();
  const size_t k = static_cast<size_t>(indices.shape().back());
  const Shape batch(indices.shape().begin(), indices.shape().end() - 1);
  const Shape slice(shape.begin() + static_cast<std::ptrdiff_t>(k), shape.end());
  const int64_t count = shape_numel(batch);
  const int64_t slice_size = shape_numel(slice);
  const int64_t slices = out.numel() / slice_size;
  const Tensor heads = recorder.scratch({4 * slices}, DType::UInt8);
  const Tensor links =
      recorder.scratch({last_wins ? 1 : std::max<int64_t>(count, 1)}, DType::Int32);
  const std::string label = call.name();

  {  // 1. no update yet
    ShaderWriter w(label + " (clear)", recorder.adapter());
    w.output("heads", heads);
    w.body() << "  atomicStore(&heads[gid], 0u);\n";
    recorder.run(w.finish_elementwise(static_cast<uint64_t>(slices)));
  }
  if (count > 0) {  // 2. find each update's slice
    ShaderWriter w(label + " (link)", recorder.adapter());
    w.input("idx", indices);
    w.output("heads", heads);
    if (!last_wins) w.output("links", links);
    declare_index(w, "idx", indices);
    auto& b = w.body();
    emit_coords(b, "gid", batch, "n");
    std::vector<std::string> where = coord_names("n", batch.size());
    where.push_back("");
    b << "  var p = 0u;  // the target slice, row-major over data[:k]\n";
    for (size_t j = 0; j < k; ++j) {
      where.back() = u32_literal(static_cast<int64_t>(j));
      b << "  let i" << j << " = idx_index(" << offset_of(indices, where) << ", "
        << i32_literal(shape[j]) << ");\n"
        << "  if (i" << j << " < 0) { return; }  // out of range: skipped (the CPU raises)\n"
        << "  p = p * " << u32_literal(shape[j]) << " + u32(i" << j << ");\n";
    }
    if (last_wins)
      b << "  atomicMax(&heads[p], gid + 1u);\n";
    else
      b << "  links_store(gid, i32(atomicExchange(&heads[p], gid + 1u)));\n";
    recorder.run(w.finish_elementwise(static_cast<uint64_t>(count)));
  }
  if (count > 1 && ordered) {  // 3. sort each list by n: bottom-up merge sort, O(d log d)
    ShaderWriter w(label + " (sort)", recorder.adapter());
    w.output("heads", heads);
    w.output("links", links);
    w.decl() << "fn next_of(node: u32) -> u32 { return u32(links_load(node - 1u)); }\n"
             << "fn set_next(node: u32, after: u32) { links_store(node - 1u, i32(after)); }\n";
    w.body() << "  var list = atomicLoad(&heads[gid]);\n"
             << "  var width = 1u;  // the length of the sorted runs merged in this sweep\n"
             << "  loop {\n"
             << "    var a = list;\n"
             << "    list = 0u;\n"
             << "    var tail = 0u;\n"
             << "    var merges = 0u;\n"
             << "    while (a != 0u) {  // merge run a with run b that follows it\n"
             << "      merges += 1u;\n"
             << "      var b = a;\n"
             << "      var a_left = 0u;\n"
             << "      while (a_left < width && b != 0u) {\n"
             << "        a_left += 1u;\n"
             << "        b = next_of(b);\n"
             << "      }\n"
             << "      var b_left = width;\n"
             << "      while (a_left > 0u || (b_left > 0u && b != 0u)) {\n"
             << "        var take = a;\n"
             << "        if (a_left == 0u || (b_left > 0u && b != 0u && b < a)) {\n"
             << "          take = b;\n"
             << "          b = next_of(b);\n"
             << "          b_left -= 1u;\n"
             << "        } else {\n"
             << "          a = next_of(a);\n"
             << "          a_left -= 1u;\n"
             << "        }\n"
             << "        if (tail == 0u) { list = take; } else { set_next(tail, take); }\n"
             << "        tail = take;\n"
             << "      }\n"
             << "      a = b;\n"
             << "    }\n"
             << "    if (tail != 0u) { set_next(tail, 0u); }\n"
             << "    if (merges <= 1u) { break; }\n"
             << "    width *= 2u;\n"
             << "  }\n"
             << "  atomicStore(&heads[gid], list);\n";
    recorder.run(w.finish_elementwise(static_cast<uint64_t>(slices)));
  }
  // 4. the output
  ShaderWriter w(label, recorder.adapter());
  w.input("data", data);
  w.input("upd", updates);
  w.input("heads", heads);
  if (!last_wins) w.input("links", links);
  w.output("out", out);
  auto& b = w.body();
  emit_coords(b, "gid", shape, "c");
  const std::vector<std::string> coords = coord_names("c", shape.size());
  std::vector<std::string> from_update = coord_names("b", batch.size());
  from_update.insert(from_update.end(), coords.begin() + static_cast<std::ptrdiff_t>(k),
                     coords.end());
  const std::string from_data = offset_of(data, coords);
  b << "  " << (last_wins ? "let" : "var") << " node = heads[gid / " << u32_literal(slice_size)
    << "];\n"
    << "  if (node == 0u) {  // no update: data\n    "
    << move_element(data.dtype(), "data", from_data, "out", "gid") << "\n  } else {\n";
  if (last_wins) {
    emit_coords(b, "node - 1u", batch, "b");
    b << "    " << move_element(data.dtype(), "upd", offset_of(updates, from_update), "out", "gid")
      << "\n  }\n";
  } else {
    const std::string fold = scatter_combine(reduction, is_floating(data.dtype()), w);
    b << "    var acc = data_load(" << from_data << ");\n"
      << "    while (node != 0u) {\n";
    std::ostringstream visit;
    emit_coords(visit, "node - 1u", batch, "b");
    b << visit.str() << "      let u = upd_load(" << offset_of(updates, from_update) << ");\n"
      << "      acc = " << fold << ";\n"
      << "      node = u32(links_load(node - 1u));\n"
      << "    }\n"
      << "    out_store(gid, acc);\n  }\n";
  }
  recorder.run(w.finish_elementwise(static_cast<uint64_t>(out.numel())));
}

}  // namespace

extern const std::vector<Kernel> kIndexKernels = {
    {"gather", gather_kernel},
    {"gather_elements", gather_elements_kernel},
    {"scatter_nd", scatter_nd_kernel},
};

}  // namespace wgml::wgsl
