// CPU kernels of the detection family: non_max_suppression (ops/nms_boxes.h is its geometry).
#include <algorithm>
#include <numeric>
#include <vector>

#include "wgml/backends/cpu/kernels/cpu_kernel.h"
#include "wgml/ops/nms_boxes.h"

namespace wgml {

namespace {

// boxes [B, S, 4], scores [B, C, S], limit, iou and score thresholds -> out [B, C, S, 3] int64.
void nms_kernel(const OpCall& call, const std::vector<Tensor>& inputs,
                std::vector<Tensor>& outputs) {
  const std::vector<double> boxes = cpu_values<double>(inputs[0]);
  const std::vector<double> scores = cpu_values<double>(inputs[1]);
  Tensor& out = outputs[0];
  const int64_t batch = inputs[1].shape()[0], classes = inputs[1].shape()[1];
  const int64_t count = inputs[1].shape()[2];
  const bool center = call.attrs.i("center_point_box") != 0;
  // ONNX's limit is an int64: anything past the box count takes every box, 0 or less none.
  const int64_t slots = std::clamp<int64_t>(cpu_values<int64_t>(inputs[2])[0], 0, count);
  const double iou = cpu_values<double>(inputs[3])[0];
  const double threshold = cpu_values<double>(inputs[4])[0];
  int64_t* dst = cpu_data<int64_t>(out);
  std::fill(dst, dst + out.numel(), -1);
  std::vector<NmsBox> geometry(static_cast<size_t>(count));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < count; ++i)
      geometry[size_t(i)] = nms_box(boxes.data() + (b * count + i) * 4, center);
    for (int64_t c = 0; c < classes; ++c) {
      const double* s = scores.data() + (b * classes + c) * count;
      std::vector<int64_t> order;
      for (int64_t i = 0; i < count; ++i) {
        if (s[i] > threshold) order.push_back(i);  // NaN scores never qualify
      }
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t l, int64_t r) { return s[l] > s[r]; });
      std::vector<int64_t> taken;
      for (int64_t i : order) {
        if (static_cast<int64_t>(taken.size()) == slots) break;
        const bool suppressed = std::any_of(taken.begin(), taken.end(), [&](int64_t t) {
          return nms_overlaps(geometry[size_t(t)], geometry[size_t(i)], iou);
        });
        if (suppressed) continue;
        int64_t* slot = dst + ((b * classes + c) * count + static_cast<int64_t>(taken.size())) * 3;
        slot[0] = b;
        slot[1] = c;
        slot[2] = i;
        taken.push_back(i);
      }
    }
  }
}

}  // namespace

extern const std::vector<CpuKernel> kCpuDetectionKernels = {
    {"non_max_suppression", nms_kernel},
};

}  // namespace wgml
