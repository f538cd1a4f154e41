// Detection post-processing: non_max_suppression (ONNX NonMaxSuppression). Its result size
// depends on the data, so the op writes every (batch, class) pair's slots at the upper bound (one
// per box) with (batch, class, box) triples, and -1 triples past the boxes it took; the ONNX
// converter narrows that to the taken rows (graph::kNarrowOp), as ONNX wants them. The limit and
// thresholds are 1-element tensors, as in ONNX, so they may be computed when the model runs
// without changing the output's shape.
#include "wgml/core/error.h"
#include "wgml/ops/op_table.h"
#include "wgml/ops/table/families.h"

namespace wgml {

namespace {

std::vector<TensorDesc> infer_nms(const OpCall& call, const std::vector<Tensor>& in) {
  const Shape& boxes = in[0].shape();
  const Shape& scores = in[1].shape();
  WGML_CHECK(boxes.size() == 3 && boxes[2] == 4, "non_max_suppression: boxes ", boxes,
             " must be [batch, boxes, 4]");
  WGML_CHECK(scores.size() == 3 && scores[0] == boxes[0] && scores[2] == boxes[1],
             "non_max_suppression: scores ", scores, " must be [batch, classes, boxes] = [",
             boxes[0], ", classes, ", boxes[1], "] for boxes ", boxes);
  const int64_t center = call.attrs.i("center_point_box");
  WGML_CHECK(center == 0 || center == 1, "non_max_suppression: center_point_box ", center,
             " must be 0 (corners) or 1 (center, width, height)");
  const char* names[] = {"max_output_boxes_per_class", "iou_threshold", "score_threshold"};
  for (size_t i = 2; i < 5; ++i) {
    WGML_CHECK(in[i].numel() == 1, "non_max_suppression: ", names[i - 2],
               " must hold one value, got ", in[i].shape());
  }
  return {{{scores[0], scores[1], boxes[1], 3}, DType::Int64}};
}

}  // namespace

void declare_detection_ops(OpTable& t) {
  using namespace dtypes;
  t.kernel("non_max_suppression",
           {{"boxes", kFloat},
            {"scores", kFloat, 0},
            {"max_output_boxes_per_class", kIndex},
            {"iou_threshold", kFloat},
            {"score_threshold", kFloat}},
           infer_nms)
      .attr("center_point_box", int64_t{0})
      .dtypes(
          [](const OpCall&, const std::vector<DType>&) { return std::vector<DType>{DType::Int64}; })
      .doc(
          "ONNX NonMaxSuppression per (batch, class) at its upper bound: [batch, classes, boxes, "
          "3] int64 triples (batch, class, box) in selection order, -1 triples after the last "
          "box taken; the limit and thresholds are 1-element tensors");
}

}  // namespace wgml
