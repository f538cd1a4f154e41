// ShaderWriter assembles one WGSL compute shader: storage bindings with typed accessors for every
// dtype, shared helper functions, and the body of `main`. Kernel generators write only the
// arithmetic; how each dtype sits in a buffer is decided here, once.
//
// Storage of each dtype (bytes identical to the CPU's, so transfers are plain copies):
//   float32 -> f32; int32 -> i32;
//   float16 -> two per u32 word (unpack2x16float: core WGSL, so every adapter runs it; the
//              shader-f16 feature would allow f16 arithmetic, which PyTorch's float32 opmath
//              and our references do not use);
//   int64   -> two i32 words (low, high); kernels compute on the low word, in 32 bits, and
//              store it sign-extended: WGSL has no 64-bit integers (see docs/ARCHITECTURE.md);
//   uint64  -> two words like int64; arithmetic on the low word, stored zero-extended;
//   uint32  -> one word, computed as i32 bits (add, sub, mul, bitwise ops exact; comparisons,
//              division and casts to float see values of 2^31 and more as negative);
//   float64 -> two words (low, high) of the IEEE double; WGSL has no f64, so float64 is a
//              storage type: loads round to f32 and stores widen exactly. Only copy and cast
//              take float64 on WebGPU (WebGpuDevice refuses any other op, naming it);
//   bfloat16 -> two per u32 word (the high half of an f32), computed in f32;
//   int16, uint16 -> two per u32 word;
//   uint8, int8, bool -> four per u32 word.
// Sub-word outputs are written with atomicAnd/atomicOr on their own bits, so any invocation may
// store any element. Values are computed in f32 (float dtypes) or i32 (integers and bool).
#pragma once

#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "wgml/backends/webgpu/wgsl/wgsl_kernel.h"

namespace wgml::wgsl {

// "f32" for float dtypes, "i32" for integer dtypes and bool.
const char* compute_type(DType dtype);

// A WGSL literal of `value` in compute type "f32" or "i32" (infinities and NaN included;
// integers saturate to the i32 range).
std::string literal(double value, const std::string& type);
std::string u32_literal(int64_t value);
std::string i32_literal(int64_t value);  // saturates to the i32 range  // two's complement for
                                         // negative strides: wraps right

// Converts `value` of compute type `from` to compute type `to` with the engine's cast rules
// (float -> int truncates; NaN and out-of-range give 0).
std::string convert(const std::string& value, const std::string& from, const std::string& to);

class ShaderWriter {
 public:
  ShaderWriter(std::string label, const gpu::AdapterInfo& adapter);

  // Binds the storage of `t` as the next binding. Emits `fn NAME_load(e: u32) -> CT` and, for
  // outputs, `fn NAME_store(e: u32, v: CT)`, where e is an element index into the storage
  // (add the view's offset yourself, e.g. with offset_of) and CT is compute_type(t.dtype()).
  void input(const std::string& name, const Tensor& t);
  void output(const std::string& name, const Tensor& t);

  // Declarations before main (helper functions, workgroup arrays, constants).
  std::ostringstream& decl() { return decl_; }
  // Statements of main. In scope: `gid` (linear invocation index), `wid` (linear workgroup
  // index), `lid` (local invocation index), all u32.
  std::ostringstream& body() { return body_; }
  // Adds a shared helper function once: "erf", "pow", "idiv", "imod", "fmod", "isnan",
  // "fmax", "fmin", "f2i" (see shader_writer.cpp).
  void need(const std::string& helper);

  // The launch of `workgroups` workgroups of `workgroup_size` invocations (a 2-D grid when the
  // count exceeds the per-dimension limit; `wid` stays linear, guard it with `wid < N`).
  Launch finish(uint64_t workgroups, uint32_t workgroup_size = 256);
  // One invocation per element of `count`: body code runs with `gid < count` already checked.
  Launch finish_elementwise(uint64_t count, uint32_t workgroup_size = 256);
  // The same with each invocation taking `per_invocation` elements a grid apart (coalesced);
  // the body is repeated in a loop, so it must not `return`.
  Launch finish_strided(uint64_t count, uint32_t per_invocation, uint32_t workgroup_size = 256);

  const gpu::AdapterInfo& adapter() const { return adapter_; }
  // Bindings so far: the next one a kernel declares itself takes this number.
  uint32_t bindings() const { return static_cast<uint32_t>(tensors_.size()); }

 private:
  void bind(const std::string& name, const Tensor& t, bool writable);

  std::string label_;
  const gpu::AdapterInfo& adapter_;
  std::vector<Tensor> tensors_;
  std::vector<bool> read_only_;
  std::set<std::string> helpers_;
  std::ostringstream bindings_, decl_, body_;
  std::string helper_code_;
};

// Index arithmetic on tensor views with shapes and strides baked in.
// `coords_of(out, linear, shape, prefix)` writes `let prefix0 = ...;` one u32 per axis.
void emit_coords(std::ostringstream& out, const std::string& linear, const Shape& shape,
                 const std::string& prefix);
// The storage element index of `t` at the given per-axis coordinates (u32 expressions);
// broadcast axes of size 1 contribute nothing.
std::string offset_of(const Tensor& t, const std::vector<std::string>& coords);
// `t` seen with `shape` (t's dims aligned to its last ones, as broadcasting aligns them): stride 0
// along the axes it is broadcast over, so offset_of gives its element at the output's coords.
Tensor broadcast_view(const Tensor& t, const Shape& shape);
// Coordinate names prefix0..prefix{rank-1}.
std::vector<std::string> coord_names(const std::string& prefix, size_t rank);

// Statement copying element `src` of binding `in` to element `dst` of binding `out` (same
// dtype). 8-byte dtypes (int64, uint64, float64) move both words, so pure data movement keeps
// values beyond 32 bits and every float64 bit.
std::string move_element(DType dtype, const std::string& in, const std::string& src,
                         const std::string& out, const std::string& dst);

// Declares `fn NAME_index(e: u32, size: i32) -> i32` for the index tensor bound as NAME: the
// index stored at element e with negative ones counted from `size`, or -1 when it lies outside
// [-size, size) (an int64 index counts only when its high word is the low word's sign).
void declare_index(ShaderWriter& w, const std::string& name, const Tensor& t);

}  // namespace wgml::wgsl
