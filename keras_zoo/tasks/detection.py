"""Object detection: uint8 images in, final detections out (NMS inside the graph).

Training data are the synthetic shapes (``keras_zoo.data.shapes``) with their exact boxes:
``x`` float images in [0, 1], ``y = {"boxes": [B, M, 4] xyxy pixels, "classes": [B, M]}``
padded with class -1; each detector matches them to its outputs in its own ``compute_loss``.
Serving returns ``boxes`` ``[B, D, 4]`` (pixels), ``scores`` ``[B, D]``, ``classes`` ``[B, D]``
and ``num_detections`` ``[B]`` (and ``masks`` for instance segmentation).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_zoo.tasks.base import Task
from keras_zoo.tasks.classification import image_input_shape

#: Objects per image of the battery's and the recipes' synthetic data.
MAX_OBJECTS = 3
_SPLIT_SEEDS = {"train": 100, "validation": 101, "test": 102}
#: Two detections whose scores differ by at most this tie: the served order of tied
#: detections, and which of two overlapping ones NMS keeps, is not part of parity.
SCORE_TIE = 1e-4
#: Fraction of the reference detections that a served output must serve the same.
PARITY_AGREEMENT = 0.9


def shapes_arrays(model, split="train", n=32, seed=None, max_objects=MAX_OBJECTS,
                  min_objects=1):
    """``(images uint8, {"boxes", "classes", "masks"})`` of synthetic shapes for ``model``."""
    from keras_zoo.data import shapes
    from keras_zoo.models.detection.common import check_num_classes

    h, w, _ = image_input_shape(model)
    classes = shapes.CLASSES[:min(model.num_classes, len(shapes.CLASSES))]
    data = shapes.generate(n, image_size=(h, w), min_objects=min_objects,
                           max_objects=max_objects, classes=classes,
                           seed=_SPLIT_SEEDS[split] if seed is None else seed)
    check_num_classes(data["classes"], model.num_classes, model.name)
    return data["images"], {"boxes": data["boxes"], "classes": data["classes"],
                            "masks": data["masks"]}


class DetectionTask(Task):
    name = "detection"
    data_names = ("shapes_detection",)
    max_objects = MAX_OBJECTS
    # Serving runs NMS over the whole batch (time grows with it); masks are [n, D, H, W].
    verify_size = 256
    # int8_agreement is the fraction of confident float detections that int8 finds with the
    # same class at IoU >= 0.5: a box a few pixels off near the IoU cut counts as lost, so
    # the classifiers' 0.98 would fail a sound export (SSD after one epoch: 0.929).
    int8_bar = 0.9

    def battery_data(self, model, entry, n=32, seed=0):
        # seed 0 is the training split's own scenes; another seed draws other scenes.
        images, targets = shapes_arrays(model, "train", n, seed=_SPLIT_SEEDS["train"] + 10_000 * seed,
                                        max_objects=self.max_objects)
        return images.astype(np.float32) / 255.0, self._targets(model, targets)

    def _targets(self, model, targets):
        y = {"boxes": targets["boxes"], "classes": targets["classes"]}
        if model.predicts_masks:
            y["masks"] = targets["masks"]
        return y

    def dataset(self, model, entry, split="train", batch_size=32, seed=0, n=None, augment=(),
                data=None):
        from keras_zoo.data.detection import detection_dataset

        h, w, _ = image_input_shape(model)
        return detection_dataset(split, (h, w), batch_size, n=n, num_classes=model.num_classes,
                                 max_objects=self.max_objects, augment=augment, seed=seed,
                                 masks=model.predicts_masks)

    def compile(self, model, entry, learning_rate=1e-3, optimizer=None):
        import keras

        # The loss is the model's own (compute_loss): targets are matched inside the graph.
        model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate))

    def serving_fn(self, model):
        h, w, c = image_input_shape(model)

        @tf.function(input_signature=[tf.TensorSpec([None, h, w, c], tf.uint8, name="images")])
        def serve(images):
            return model.detect(tf.cast(images, tf.float32) / 255.0)

        return serve

    def serving_example(self, model, n=4, seed=0):
        images, _ = shapes_arrays(model, "test", n, seed=1000 + seed,
                                  max_objects=self.max_objects)
        return {"images": images}

    def test_examples(self, model, entry, n=32):
        return self.held_out(model, "test", n)

    def representative_examples(self, model, entry, n=100, seed=0):
        images, _ = shapes_arrays(model, "train", n, max_objects=self.max_objects)
        return [{"images": images[i:i + 1]} for i in range(len(images))]

    def parity_tolerance(self):
        # Boxes are in pixels: TF and TFLite kernels sum in other orders (~1e-6 relative).
        return 1e-3

    def parity_check(self, reference, actual):
        """Asserts that served detections equal Keras' (``reference``), near-ties aside.

        A detection agrees when the other output serves it too: box (and mask) within
        ``parity_tolerance``, the same class, the score within ``SCORE_TIE``. Keras and
        TFLite differ by ~1e-7 in a score, so where an untrained detector's scores are
        near-uniform (the battery's tiny R-CNN scored its 20 detections 0.2514 to 0.2496)
        two candidates that tie come out in either order, and a top-k or NMS anywhere in
        the graph (a two-stage detector's proposals too) may keep the other one: the
        served list then gains one candidate and loses another. So order is not compared;
        at least ``PARITY_AGREEMENT`` of all reference detections, and half of every
        image's, must agree. A systematic error fails whatever the scores: a shifted box,
        a wrong class, scores on the wrong boxes.
        """
        assert sorted(reference) == sorted(actual), (sorted(reference), sorted(actual))
        counts = [np.asarray(reference["num_detections"]).astype(int),
                  np.asarray(actual["num_detections"]).astype(int)]
        assert counts[0].shape == counts[1].shape, (counts[0].shape, counts[1].shape)
        agreed = total = 0
        for i, (n, m) in enumerate(zip(*counts, strict=True)):
            same = self._equal_detections(reference, actual, i, n, m)
            found = _greedy_matches(same)
            assert found >= n / 2, (
                f"image {i}: only {found} of its {n} reference detections are served the "
                f"same ({m} served)")
            agreed, total = agreed + found, total + n
        assert agreed >= PARITY_AGREEMENT * total, (
            f"only {agreed} of {total} reference detections are served the same "
            f"(>= {PARITY_AGREEMENT:.0%})")

    def _equal_detections(self, reference, actual, i, n, m):
        """``[n, m]``: whether reference detection ``a`` of image ``i`` equals served ``b``."""
        same = np.ones((n, m), bool)
        if n == 0 or m == 0:
            return same
        for key in reference:
            if key == "num_detections":
                continue
            ours = np.asarray(reference[key][i][:n])
            theirs = np.asarray(actual[key][i][:m])
            if key == "classes":
                same &= ours[:, None] == theirs[None, :]
                continue
            tolerance = SCORE_TIE if key == "scores" else self.parity_tolerance()
            difference = np.abs(ours[:, None].astype(np.float64) - theirs[None, :])
            same &= (difference <= tolerance).reshape(n, m, -1).all(axis=-1)
        return same

    def int8_agreement(self, reference, quantized):
        return detection_agreement(reference, quantized)

    def int8_check(self, reference, quantized):
        # The battery's tiny models are barely trained: their class probabilities are close to
        # uniform, so int8 noise flips classes that the float model itself hesitates on. The
        # check asks that the boxes survive quantisation; class agreement is reported.
        boxes = detection_agreement(reference, quantized, same_class=False)
        classes = detection_agreement(reference, quantized)
        return boxes >= 0.8, (f"{boxes:.3f} of the float detections (score >= 0.15) found by "
                              f"int8 at IoU >= 0.5 (>= 0.8); {classes:.3f} with the same class")

    # --- evaluation and prediction -------------------------------------------------------
    #: Held-out images ``evaluation_metrics`` scores (the size of the test split).
    evaluation_size = 128

    def held_out(self, model, split="test", n=128):
        """``(raw serving inputs, ground truth)`` of ``n`` images of ``split``."""
        images, targets = shapes_arrays(model, split, n, max_objects=self.max_objects)
        return {"images": images}, targets

    def evaluation_metrics(self, model, entry, split="test", data=None, seed=0):
        """COCO's mAP@0.5 (``map50``) and mAP@[.5:.95] (``map``) of the served detections
        (NMS and all) on ``evaluation_size`` images of ``split``, with pycocotools; for a
        model that predicts masks also the masks' (``mask_map50``, ``mask_map``). The split's
        images are fixed: ``seed`` draws nothing here."""
        from keras_zoo.boxes import mean_average_precision

        if data is not None:
            self.check_data(data)
        inputs, truth = self.held_out(model, split, self.evaluation_size)
        serve = self.serving_fn(self.export_model(model))
        count = len(next(iter(inputs.values())))
        parts = [serve(**{k: v[i:i + 32] for k, v in inputs.items()})
                 for i in range(0, count, 32)]
        detections = {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in parts[0]}
        boxes = mean_average_precision(detections, truth, model.num_classes)
        metrics = {"map50": boxes["mAP@0.5"], "map": boxes["mAP"]}
        if model.predicts_masks:
            masks = mean_average_precision(detections, truth, model.num_classes, "segm")
            metrics.update(mask_map50=masks["mAP@0.5"], mask_map=masks["mAP"])
        return {k: float(v) for k, v in metrics.items()}

    def describe_prediction(self, outputs, index=0, min_score=0.3):
        """One line per detection of row ``index`` scoring at least ``min_score``: class,
        score, box ``[x1, y1, x2, y2]`` in pixels."""
        lines = []
        for j in range(int(np.asarray(outputs["num_detections"])[index])):
            score = float(outputs["scores"][index][j])
            if score >= min_score:
                box = ", ".join(f"{v:.1f}" for v in outputs["boxes"][index][j])
                lines.append(f"{_class_name(int(outputs['classes'][index][j]))}\t{score:.3f}"
                             f"\t[{box}]")
        return "\n".join(lines) or f"no detection scores >= {min_score}"

    def draw_prediction(self, image, outputs, index=0, min_score=0.3):
        """``image`` with the detections of row ``index`` scoring at least ``min_score``
        (boxes, class names, scores, and instance masks if served)."""
        from keras_zoo.data import shapes
        from keras_zoo.visualize import draw_detections

        return draw_detections(image, outputs, index, list(shapes.CLASSES), min_score)


def _greedy_matches(same) -> int:
    """Pairs of a ``[n, m]`` equality matrix, each served detection used once, in order."""
    free = np.ones(same.shape[1], bool)
    found = 0
    for row in same:
        hits = np.flatnonzero(row & free)
        if hits.size:
            free[hits[0]] = False
            found += 1
    return found


def _class_name(index):
    """The synthetic shapes' name of a class id (the detection tasks' data)."""
    from keras_zoo.data import shapes

    return shapes.CLASSES[index] if 0 <= index < len(shapes.CLASSES) else f"class {index}"


def detection_agreement(reference, other, min_score=0.15, min_iou=0.5, same_class=True):
    """Fraction of ``reference``'s confident detections that ``other`` finds too."""
    from keras_zoo.boxes.iou import iou

    found, total = 0, 0
    for i, n in enumerate(np.asarray(reference["num_detections"])):
        m = int(np.asarray(other["num_detections"])[i])
        # One IoU matrix per image (one call per detection cost ~6 ms each: 8 of an SSD int8
        # check's 13 CPU s); row j is what the call for detection j gave.
        matrix = (np.asarray(iou(np.asarray(reference["boxes"][i][:int(n)], np.float32),
                                 np.asarray(other["boxes"][i][:m], np.float32)))
                  if m and int(n) else None)
        for j in range(int(n)):
            if reference["scores"][i][j] < min_score:
                continue
            total += 1
            if m == 0:
                continue
            overlaps = matrix[j]
            same = (np.asarray(other["classes"][i][:m]) == reference["classes"][i][j]
                    if same_class else True)
            found += bool(np.any((overlaps >= min_iou) & same))
    return found / total if total else 1.0


class LocalizationTask(DetectionTask):
    """Single-object localisation: one box and one class per image (the largest object)."""

    name = "localization"
    max_objects = 1
