// Sliding-window geometry shared by the shape rules (ops/table) and the kernels of conv and pool:
// strides, dilations and pads resolved per spatial axis, auto_pad and output_shape included.
#pragma once

#include "wgml/ops/op_def.h"

namespace wgml {

// conv / conv_transpose on X [N, C, ...] with W [M, C/group, k...]; defined in ops/table/conv.cpp.
void conv_window(const OpCall& call, const Shape& x, const Shape& w, Ints* strides, Ints* dilations,
                 Ints* pads_begin, Ints* pads_end);

// max_pool / avg_pool: the resolved window geometry, one entry per spatial axis (strides and
// dilations defaulted, auto_pad applied, checked); defined in ops/table/pool.cpp.
struct PoolWindows {
  Ints kernel, strides, dilations, pad_begin, pad_end;
  Shape out_size;
  Ints pads() const;  // begins then ends
};
PoolWindows pool_windows(const OpCall& call, const Shape& input);

}  // namespace wgml
