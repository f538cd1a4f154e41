// Box geometry of non_max_suppression (ONNX NonMaxSuppression, as ONNX Runtime computes it),
// the CPU kernel's specification; the WGSL generator writes the same steps in f32.
//   - center_point_box 0: a box is two opposite corners (y1, x1, y2, x2) in either order;
//     1: (x_center, y_center, width, height);
//   - a candidate box overlaps a selected one when intersection / union > iou_threshold; boxes of
//     zero or negative area, or disjoint ones, never overlap;
//   - per (batch, class), boxes scoring above score_threshold are taken greedily by descending
//     score (the lower index first on ties), skipping any that overlap one already taken, up to
//     max_output_boxes_per_class.
#pragma once

#include <algorithm>

namespace wgml {

struct NmsBox {
  double y1, x1, y2, x2;  // y1 <= y2, x1 <= x2
};

inline NmsBox nms_box(const double v[4], bool center_point) {
  if (center_point) {
    return {v[1] - v[3] / 2, v[0] - v[2] / 2, v[1] + v[3] / 2, v[0] + v[2] / 2};
  }
  return {std::min(v[0], v[2]), std::min(v[1], v[3]), std::max(v[0], v[2]), std::max(v[1], v[3])};
}

inline bool nms_overlaps(const NmsBox& a, const NmsBox& b, double iou_threshold) {
  const double ix1 = std::max(a.x1, b.x1), iy1 = std::max(a.y1, b.y1);
  const double ix2 = std::min(a.x2, b.x2), iy2 = std::min(a.y2, b.y2);
  if (ix1 > ix2 || iy1 > iy2) return false;
  const double area_a = (a.x2 - a.x1) * (a.y2 - a.y1);
  const double area_b = (b.x2 - b.x1) * (b.y2 - b.y1);
  if (area_a <= 0 || area_b <= 0) return false;
  const double inter = (ix2 - ix1) * (iy2 - iy1);
  const double uni = area_a + area_b - inter;
  if (uni <= 0) return false;
  return inter / uni > iou_threshold;
}

}  // namespace wgml
