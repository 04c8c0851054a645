"""Segmentation and depth metrics against hand-computed cases."""

import numpy as np
import pytest

from keras_zoo.losses.depth import ScaleInvariantLogLoss
from keras_zoo.metrics.depth import AbsRel, DeltaAccuracy, RootMeanSquaredError
from keras_zoo.metrics.segmentation import Dice, PixelAccuracy, class_iou, mean_iou


def _one_hot_logits(pred, k):
    return np.eye(k, dtype=np.float32)[pred] * 5.0


# Labels and predictions over 3 classes; class 2 appears in neither, 255 is ignored.
LABELS = np.array([[0, 0, 1, 1], [0, 1, 1, 255]])
PRED = np.array([[0, 1, 1, 1], [0, 0, 1, 2]])  # the prediction under 255 does not count


def _result(metric):
    metric.update_state(LABELS, _one_hot_logits(PRED, 3))
    return float(metric.result())


def test_mean_iou_by_hand():
    # Counted pixels: 7. Class 0: TP 2 (0,0),(1,0); FP 1 (1,1); FN 1 (0,1): IoU 2/4.
    # Class 1: TP 3; FP 1 (0,1); FN 1 (1,1): IoU 3/5. Class 2: absent from both: left out.
    assert _result(mean_iou(3)) == pytest.approx((2 / 4 + 3 / 5) / 2, abs=1e-6)


def test_per_class_iou_and_absent_class():
    assert _result(class_iou(3, 0)) == pytest.approx(0.5, abs=1e-6)
    assert _result(class_iou(3, 1)) == pytest.approx(0.6, abs=1e-6)


def test_pixel_accuracy_ignores_the_ignore_label():
    assert _result(PixelAccuracy(3)) == pytest.approx(5 / 7, abs=1e-6)


def test_dice_by_hand():
    # Dice = 2TP / (2TP + FP + FN): class 0: 4/6, class 1: 6/8; class 2 absent: left out.
    assert _result(Dice(3)) == pytest.approx((4 / 6 + 6 / 8) / 2, abs=1e-6)


def test_ignored_prediction_class_would_count_without_ignore():
    # Without the ignore label the 255 would be a label outside the classes; with ignore_label
    # None and the pixel relabelled 2, class 2 has FN 0, FP 0 except that pixel: IoU 1.
    labels = np.where(LABELS == 255, 2, LABELS)
    metric = Dice(3, ignore_label=None)
    metric.update_state(labels, _one_hot_logits(PRED, 3))
    assert float(metric.result()) == pytest.approx((4 / 6 + 6 / 8 + 1.0) / 3, abs=1e-6)


def test_metric_configs_round_trip():
    for cls in (PixelAccuracy, Dice):
        metric = cls(5, ignore_label=7)
        copy = cls.from_config(metric.get_config())
        assert copy.num_classes == 5 and copy.ignore_class == 7


def test_scale_invariant_log_loss_formula():
    rng = np.random.default_rng(0)
    y_true = rng.uniform(1, 10, (2, 4, 4)).astype(np.float32)
    y_true[0, 0, 0] = 0.0  # invalid: left out
    y_pred = rng.uniform(1, 10, (2, 4, 4, 1)).astype(np.float32)
    loss = ScaleInvariantLogLoss(0.5)
    got = np.asarray(loss.call(y_true, y_pred))
    for b in range(2):
        valid = y_true[b] > 0
        d = np.log(y_pred[b, ..., 0][valid]) - np.log(y_true[b][valid])
        n = d.size
        assert got[b] == pytest.approx(np.sum(d ** 2) / n - 0.5 * np.sum(d) ** 2 / n ** 2,
                                       rel=1e-5)
    # lambda = 1: a prediction off by a global scale costs nothing.
    scaled = np.asarray(ScaleInvariantLogLoss(1.0).call(np.full((1, 3, 3), 2.0, np.float32),
                                                        np.full((1, 3, 3), 6.0, np.float32)))
    assert scaled[0] == pytest.approx(0.0, abs=1e-6)


def test_depth_metrics_by_hand():
    y_true = np.array([[1.0, 2.0, 4.0, 0.0]], np.float32)  # the 0 is invalid
    y_pred = np.array([[1.1, 3.0, 4.0, 9.0]], np.float32)
    checks = [(AbsRel(), (0.1 + 0.5 + 0.0) / 3),
              (RootMeanSquaredError(), np.sqrt((0.01 + 1.0 + 0.0) / 3)),
              (DeltaAccuracy(1.25), 2 / 3)]
    for metric, expected in checks:
        metric.update_state(y_true, y_pred)
        assert float(metric.result()) == pytest.approx(expected, rel=1e-5), metric.name
