"""Mean average precision with pycocotools (COCO's own evaluation code): mAP@0.5 and COCO's
mAP@[.5:.95], for boxes and for instance masks, and a callback that logs them during ``fit``.
"""

from __future__ import annotations

import contextlib
import io

import keras
import numpy as np


def _coco_ground_truth(boxes, classes, masks, num_classes):
    from pycocotools import mask as mask_utils

    images, annotations = [], []
    for i in range(len(boxes)):
        images.append({"id": i + 1, "height": 1, "width": 1})
        for j in np.nonzero(np.asarray(classes[i]) >= 0)[0]:
            x1, y1, x2, y2 = (float(v) for v in boxes[i][j])
            ann = {"id": len(annotations) + 1, "image_id": i + 1,
                   "category_id": int(classes[i][j]) + 1, "iscrowd": 0,
                   "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1)}
            if masks is not None:
                m = np.asfortranarray(np.asarray(masks[i][j], np.uint8))
                ann["segmentation"] = mask_utils.encode(m)
                ann["area"] = float(m.sum())
                h, w = m.shape
                images[-1].update(height=h, width=w)
            annotations.append(ann)
    categories = [{"id": c + 1} for c in range(num_classes)]
    return {"images": images, "annotations": annotations, "categories": categories}


def mean_average_precision(detections, ground_truth, num_classes, iou_type="bbox"):
    """COCO evaluation of padded detections against padded ground truth.

    Args:
        detections: a dict as the serving signatures return: ``boxes`` ``[n, D, 4]`` xyxy pixels,
            ``scores`` ``[n, D]``, ``classes`` ``[n, D]``, ``num_detections`` ``[n]`` (and
            ``masks`` ``[n, D, H, W]`` in [0, 1] for ``iou_type="segm"``).
        ground_truth: a dict with ``boxes`` ``[n, M, 4]``, ``classes`` ``[n, M]`` (-1 padding)
            (and ``masks`` ``[n, M, H, W]`` for ``"segm"``).
        num_classes: the number of object classes.
        iou_type: ``"bbox"`` or ``"segm"``.

    Returns:
        ``{"mAP": AP@[.5:.95], "mAP@0.5": AP@0.5, "mAP@0.75": AP@0.75}``; 0 when nothing was
        detected.
    """
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if iou_type not in ("bbox", "segm"):
        raise ValueError(f"iou_type must be 'bbox' or 'segm', got {iou_type!r}.")
    segm = iou_type == "segm"
    gt = COCO()
    gt.dataset = _coco_ground_truth(ground_truth["boxes"], ground_truth["classes"],
                                    ground_truth.get("masks") if segm else None, num_classes)
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
    results = []
    for i, count in enumerate(np.asarray(detections["num_detections"]).reshape(-1)):
        for j in range(int(count)):
            x1, y1, x2, y2 = (float(v) for v in detections["boxes"][i][j])
            result = {"image_id": i + 1, "category_id": int(detections["classes"][i][j]) + 1,
                      "score": float(detections["scores"][i][j]),
                      "bbox": [x1, y1, x2 - x1, y2 - y1]}
            if segm:
                m = np.asfortranarray((np.asarray(detections["masks"][i][j]) >= 0.5)
                                      .astype(np.uint8))
                result["segmentation"] = mask_utils.encode(m)
            results.append(result)
    if not results or not gt.dataset["annotations"]:
        return {"mAP": 0.0, "mAP@0.5": 0.0, "mAP@0.75": 0.0}
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(results)
        evaluation = COCOeval(gt, dt, iou_type)
        evaluation.params.maxDets = [1, 10, 100]
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    stats = evaluation.stats
    return {"mAP": float(max(stats[0], 0.0)), "mAP@0.5": float(max(stats[1], 0.0)),
            "mAP@0.75": float(max(stats[2], 0.0))}


class MeanAveragePrecision(keras.callbacks.Callback):
    """Logs ``val_mAP`` and ``val_mAP@0.5`` (and mask ones) at the end of epochs of ``fit``.

    The model must have ``detect(images)`` (float images in [0, 1] -> the serving dict), as
    every keras-zoo detector has.

    Args:
        images: float32 ``[n, H, W, 3]`` in [0, 1].
        ground_truth: dict with ``boxes``, ``classes`` (and ``masks``), padded.
        num_classes: the number of object classes.
        every: evaluate every this many epochs (and at the last one).
        masks: also evaluate instance masks (Mask R-CNN).
    """

    def __init__(self, images, ground_truth, num_classes, every=1, masks=False, batch_size=16):
        super().__init__()
        self.images = images
        self.ground_truth = ground_truth
        self.num_classes = num_classes
        self.every = every
        self.masks = masks
        self.batch_size = batch_size
        self.history = []

    def evaluate(self):
        parts = [self.model.detect(self.images[i:i + self.batch_size])
                 for i in range(0, len(self.images), self.batch_size)]
        detections = {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in parts[0]}
        out = {f"val_{k}": v for k, v in mean_average_precision(
            detections, self.ground_truth, self.num_classes).items()}
        if self.masks:
            out.update({f"val_mask_{k}": v for k, v in mean_average_precision(
                detections, self.ground_truth, self.num_classes, "segm").items()})
        return out

    def on_epoch_end(self, epoch, logs=None):
        last = self.params.get("epochs", 0) - 1 == epoch
        if (epoch + 1) % self.every and not last:
            return
        result = self.evaluate()
        self.history.append((epoch, result))
        if logs is not None:
            logs.update(result)
