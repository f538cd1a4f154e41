"""non_max_suppression (ONNX NonMaxSuppression at its upper bound) against torchvision.ops.nms.

Per (batch, class): boxes scoring above the threshold go through torchvision's nms (suppress when
IoU > iou_threshold), the first `limit` kept ones fill the slots as (batch, class, box) triples,
-1 triples after them. Boxes are drawn in clusters so that many overlap.
"""
import torch
import torchvision


def _corners(boxes, center):
    """ONNX boxes [S, 4] -> torchvision's (x1, y1, x2, y2)."""
    if center:
        xc, yc, w, h = boxes.unbind(-1)
        return torch.stack([xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2], dim=-1)
    y1, x1, y2, x2 = boxes.unbind(-1)
    return torch.stack([torch.minimum(x1, x2), torch.minimum(y1, y2), torch.maximum(x1, x2),
                        torch.maximum(y1, y2)], dim=-1)


def _nms(center=False):
    def ref(boxes, scores, limit, iou, threshold):
        batch, classes, count = scores.shape
        out = torch.full((batch, classes, count, 3), -1, dtype=torch.int64)
        cap = max(0, min(int(limit.reshape(-1)[0]), count))
        for b in range(batch):
            corners = _corners(boxes[b], center)
            for c in range(classes):
                s = scores[b, c]
                idx = torch.nonzero(s > float(threshold.reshape(-1)[0])).reshape(-1)
                keep = torchvision.ops.nms(corners[idx], s[idx], float(iou.reshape(-1)[0]))
                keep = idx[keep][:cap]
                for k, i in enumerate(keep.tolist()):
                    out[b, c, k] = torch.tensor([b, c, i])
        return out
    return ref


def _boxes(g, batch, count, center=False, dtype="float32", flip=False):
    """Boxes around a few cluster centres: (y1, x1, y2, x2), or (xc, yc, w, h) with center."""
    centres = g.uniform((batch, 4, 2), 0, 10, "float32").tensor
    pick = torch.randint(0, 4, (batch, count), generator=g.rng)
    mid = torch.gather(centres, 1, pick.unsqueeze(-1).expand(batch, count, 2))
    mid = mid + g.uniform((batch, count, 2), -0.6, 0.6, "float32").tensor
    size = g.uniform((batch, count, 2), 0.5, 2.0, "float32").tensor
    if center:
        boxes = torch.cat([mid[..., 1:], mid[..., :1], size[..., 1:], size[..., :1]], dim=-1)
    else:
        lo, hi = mid - size / 2, mid + size / 2
        boxes = torch.cat([lo, hi], dim=-1)  # (y1, x1, y2, x2)
        if flip:
            boxes = torch.cat([hi[..., :1], lo[..., 1:], lo[..., :1], hi[..., 1:]], dim=-1)
    return g.tensor(boxes.tolist(), dtype)


def _scores(g, batch, classes, count, dtype="float32"):
    """Distinct scores in (0, 1) (ties are ordered by index, which torchvision does not promise)."""
    values = torch.stack([torch.stack([(torch.randperm(count, generator=g.rng).double() + 0.5)
                                       / count for _ in range(classes)]) for _ in range(batch)])
    return g.tensor(values.tolist(), dtype)


def cases(g):
    def scalars(limit, iou, threshold, limit_dtype="int64", float_dtype="float32"):
        return [g.tensor([limit], limit_dtype), g.tensor(iou, float_dtype),
                g.tensor([threshold], float_dtype)]

    g.case("non_max_suppression",
           [_boxes(g, 2, 40), _scores(g, 2, 3, 40)] + scalars(10, 0.5, 0.2), _nms(),
           note="2 images, 3 classes, 40 boxes, limit 10, iou 0.5, score > 0.2")
    g.case("non_max_suppression",
           [_boxes(g, 1, 30, flip=True), _scores(g, 1, 2, 30)] + scalars(30, 0.0, -1.0), _nms(),
           note="flipped corners, iou 0: any overlap suppresses")
    g.case("non_max_suppression",
           [_boxes(g, 2, 25, center=True), _scores(g, 2, 2, 25)] + scalars(5, 0.3, 0.1),
           _nms(center=True), {"center_point_box": 1}, note="center_point_box 1")
    g.case("non_max_suppression",
           [_boxes(g, 1, 20), _scores(g, 1, 1, 20)] + scalars(1 << 40, 0.6, 0.0), _nms(),
           note="a limit past 2^32 takes every box")
    g.case("non_max_suppression",
           [_boxes(g, 1, 20), _scores(g, 1, 2, 20)] + scalars(-3, 0.6, 0.0, "int32"), _nms(),
           note="a negative int32 limit takes none")
    g.case("non_max_suppression",
           [_boxes(g, 1, 600), _scores(g, 1, 2, 600)] + scalars(300, 0.4, 0.05), _nms(),
           note="600 boxes: more than a workgroup")
    g.case("non_max_suppression",
           [_boxes(g, 1, 30, dtype="float16"), _scores(g, 1, 2, 30, "float16")]
           + scalars(8, 0.5, 0.3, float_dtype="float16"), _nms(), note="float16")
    scores = _scores(g, 1, 5, 3)  # [1, 5, 3] seen as [1, 3, 5]: a permuted view
    g.case("non_max_suppression",
           [_boxes(g, 1, 5), scores.permute(0, 2, 1)] + scalars(4, 0.5, 0.0), _nms(),
           note="permuted scores")
