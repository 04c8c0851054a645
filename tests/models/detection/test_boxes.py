"""Shared box code: anchors, encoding round trip, IoU, matching, NMS and mAP."""

import numpy as np
import pytest

from keras_zoo.boxes import (
    batched_nms,
    decode,
    encode,
    grid_anchors,
    iou,
    match_anchors,
    mean_average_precision,
    ssd_default_boxes,
)


def test_grid_anchors_have_the_papers_areas_ratios_and_centres():
    anchors = grid_anchors((2, 3), stride=16, sizes=(128, 256, 512), ratios=(0.5, 1.0, 2.0))
    assert anchors.shape == (2 * 3 * 9, 4)
    w = anchors[:, 2] - anchors[:, 0]
    h = anchors[:, 3] - anchors[:, 1]
    np.testing.assert_allclose(np.sqrt(w * h).reshape(6, 3, 3),
                               np.broadcast_to(np.array([128, 256, 512.])[:, None], (6, 3, 3)),
                               rtol=1e-5)
    np.testing.assert_allclose((h / w).reshape(6, 3, 3)[0, 0], [0.5, 1.0, 2.0], rtol=1e-5)
    centres = ((anchors[:, :2] + anchors[:, 2:]) / 2).reshape(2, 3, 9, 2)
    np.testing.assert_allclose(centres[1, 2, 4], [2.5 * 16, 1.5 * 16])


def test_ssd_default_boxes_follow_equation_4():
    boxes = ssd_default_boxes([(4, 4), (2, 2)], (100, 100), aspect_ratios=(1.0, 2.0))
    assert boxes.shape == (4 * 4 * 3 + 2 * 2 * 3, 4)
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    # Map 1: s = 0.2; ratio 2 gives w = 0.2 sqrt 2, h = 0.2 / sqrt 2; extra square sqrt(0.2 * 0.9).
    np.testing.assert_allclose(w[:3], [20, 20 * np.sqrt(2), 100 * np.sqrt(0.18)], rtol=1e-5)
    np.testing.assert_allclose(h[:3], [20, 20 / np.sqrt(2), 100 * np.sqrt(0.18)], rtol=1e-5)
    # Map 2 (last): s = 0.9, extra square sqrt(0.9 * 1).
    np.testing.assert_allclose(w[48:51], [90, 90 * np.sqrt(2), 100 * np.sqrt(0.9)], rtol=1e-5)


def test_bad_anchor_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="ratios must be positive"):
        grid_anchors((2, 2), 16, ratios=(0.0, 1.0))
    with pytest.raises(ValueError, match="stride must be positive"):
        grid_anchors((2, 2), -4)


@pytest.mark.parametrize("variance", [None, (0.1, 0.1, 0.2, 0.2)])
def test_encode_then_decode_gives_the_boxes_back(variance):
    rng = np.random.default_rng(0)
    anchors = grid_anchors((4, 4), 8, sizes=(8, 16), ratios=(0.5, 1, 2))
    xy = rng.uniform(0, 30, (2, len(anchors), 2))
    boxes = np.concatenate([xy, xy + rng.uniform(1, 20, xy.shape)], -1).astype(np.float32)
    deltas = encode(anchors, boxes, variance=variance)
    back = decode(anchors, deltas, variance=variance)
    np.testing.assert_allclose(np.asarray(back), boxes, atol=1e-5 * 64, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(back) / 64.0, boxes / 64.0, atol=1e-5)


def test_encoding_is_the_rcnn_parameterisation():
    anchor = np.array([[10.0, 20.0, 30.0, 60.0]], np.float32)  # centre (20, 40), w 20, h 40
    box = np.array([[12.0, 16.0, 52.0, 56.0]], np.float32)  # centre (32, 36), w 40, h 40
    t = np.asarray(encode(anchor, box, variance=None))[0]
    np.testing.assert_allclose(t, [12 / 20, -4 / 40, np.log(2.0), 0.0], atol=1e-6)


def test_iou_on_hand_computed_cases():
    a = np.array([[0, 0, 10, 10], [0, 0, 2, 2]], np.float32)
    b = np.array([[5, 5, 15, 15], [0, 0, 10, 10], [20, 20, 30, 30], [1, 0, 3, 2]], np.float32)
    # e.g. [0,0,10,10] vs [5,5,15,15]: 5x5 = 25 over 100 + 100 - 25; [0,0,2,2] vs [1,0,3,2]:
    # 1x2 = 2 over 4 + 4 - 2.
    expected = np.array([[25 / 175, 1.0, 0.0, 4 / 100],
                         [0.0, 4 / 100, 0.0, 2 / 6]])
    np.testing.assert_allclose(np.asarray(iou(a, b)), expected, atol=1e-6)


def test_matching_forces_each_box_best_anchor_and_ignores_padding():
    anchors = np.array([[0, 0, 10, 10], [10, 0, 20, 10], [0, 10, 10, 20], [30, 30, 40, 40]],
                       np.float32)
    gt = np.array([[[1, 1, 11, 11], [28, 28, 34, 34], [0, 0, 0, 0]]], np.float32)
    classes = np.array([[2, 0, -1]], np.int32)
    m = match_anchors(anchors, gt, classes, positive_iou=0.5, negative_iou=0.4)
    # Anchor 0: IoU 81/119 with box 0; anchor 3: IoU 16/120 with box 1, but it is box 1's best.
    np.testing.assert_array_equal(np.asarray(m["classes"]), [[2, -1, -1, 0]])
    np.testing.assert_array_equal(np.asarray(m["positive"]), [[1, 0, 0, 1]])
    np.testing.assert_array_equal(np.asarray(m["negative"]), [[0, 1, 1, 0]])
    np.testing.assert_allclose(np.asarray(m["boxes"])[0, 3], [28, 28, 34, 34])


def _numpy_nms(boxes, scores, iou_threshold, score_threshold, max_detections):
    """Greedy NMS per image and class (each box with its best class), as in the papers."""
    out = []
    for b, s in zip(boxes, scores, strict=True):
        best, cls = s.max(-1), s.argmax(-1)
        order = [i for i in np.argsort(-best, kind="stable") if best[i] > score_threshold]
        kept = []
        for i in order:
            same = [j for j in kept if cls[j] == cls[i]]
            if all(np.asarray(iou(b[i:i + 1], b[j:j + 1]))[0, 0] <= iou_threshold for j in same):
                kept.append(i)
        out.append([(tuple(b[i]), cls[i], best[i]) for i in kept[:max_detections]])
    return out


def test_batched_nms_matches_a_numpy_reference():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 40, (3, 30, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(4, 24, xy.shape)], -1).astype(np.float32)
    scores = rng.uniform(0, 1, (3, 30, 3)).astype(np.float32)
    scores[2] *= 0.01  # an image with nothing above the threshold
    got = batched_nms(boxes, scores, max_detections=8, iou_threshold=0.3, score_threshold=0.2)
    expected = _numpy_nms(boxes, scores, 0.3, 0.2, 8)
    for i, dets in enumerate(expected):
        n = int(got["num_detections"][i])
        assert n == len(dets)
        np.testing.assert_allclose(got["boxes"][i, :n], [d[0] for d in dets] or np.zeros((0, 4)))
        np.testing.assert_array_equal(got["classes"][i, :n], [d[1] for d in dets])
        np.testing.assert_allclose(got["scores"][i, :n], [d[2] for d in dets])
        assert np.all(np.asarray(got["scores"][i, n:]) == 0)


def test_batched_nms_clips_boxes_outside_the_image():
    boxes = np.array([[[-5, -5, 10, 10], [50, 50, 80, 90]]], np.float32)
    scores = np.array([[[0.9, 0.0], [0.0, 0.8]]], np.float32)
    got = batched_nms(boxes, scores, max_detections=3, image_size=(64, 48))
    np.testing.assert_allclose(got["boxes"][0, :2], [[0, 0, 10, 10], [48, 50, 48, 64]])


def test_map_on_hand_made_cases():
    gt = {"boxes": np.array([[[0, 0, 10, 10], [20, 20, 30, 30]]], np.float32),
          "classes": np.array([[0, 1]])}
    perfect = {"boxes": gt["boxes"], "scores": np.array([[0.9, 0.8]]),
               "classes": np.array([[0, 1]]), "num_detections": np.array([2])}
    assert mean_average_precision(perfect, gt, 2)["mAP"] == pytest.approx(1.0)
    # The class-1 box is shifted to IoU 0.6 (AP@0.5 counts it, AP@0.75 does not).
    shifted = dict(perfect, boxes=np.array([[[0, 0, 10, 10], [20, 22.5, 30, 32.5]]]))
    result = mean_average_precision(shifted, gt, 2)
    np.testing.assert_allclose(result["mAP@0.5"], 1.0)
    np.testing.assert_allclose(result["mAP@0.75"], 0.5)
    # Wrong class for one object: that class's AP is 0 and the other's 1.
    wrong = dict(perfect, classes=np.array([[0, 0]]))
    assert mean_average_precision(wrong, gt, 2)["mAP@0.5"] == pytest.approx(0.5)
    nothing = dict(perfect, num_detections=np.array([0]))
    assert mean_average_precision(nothing, gt, 2)["mAP"] == 0.0


def test_batched_nms_top_k_and_indices_point_back_to_the_inputs():
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 40, (2, 50, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(4, 24, xy.shape)], -1).astype(np.float32)
    scores = rng.uniform(0, 1, (2, 50, 1)).astype(np.float32)
    got = batched_nms(boxes, scores, max_detections=6, iou_threshold=0.5, score_threshold=0.0,
                      pre_nms_top_k=10, return_indices=True)
    expected = _numpy_nms(boxes, np.where(scores >= np.sort(scores, 1)[:, -10:-9], scores, 0),
                          0.5, 0.0, 6)
    for i in range(2):
        n = int(got["num_detections"][i])
        assert n == len(expected[i])
        idx = np.asarray(got["indices"][i, :n])
        np.testing.assert_allclose(boxes[i, idx], got["boxes"][i, :n])
        np.testing.assert_allclose(got["boxes"][i, :n], [d[0] for d in expected[i]])


def test_batched_nms_at_batch_256_uses_memory_linear_in_the_batch():
    """Issue: regrouping the survivors built a [B * D, B * N] matrix (an SSD verify at batch
    10,000 asked for 3,360,000 x 10,000 bools). Every intermediate of the traced graph at batch
    256 must be known and at most the boxes' own size, 4 B (N + D) elements."""
    import tensorflow as tf

    b, n, c, d = 256, 300, 3, 20
    nms = tf.function(lambda x, s: batched_nms(x, s, d, 0.5, 0.05, image_size=(64, 64),
                                               return_indices=True))
    graph = nms.get_concrete_function(tf.TensorSpec([b, n, 4], tf.float32),
                                      tf.TensorSpec([b, n, c], tf.float32)).graph
    sizes = {}
    for op in graph.get_operations():
        for t in op.outputs:
            assert t.shape.is_fully_defined(), (op.type, op.name, t.shape)
            sizes[f"{op.type} {op.name}"] = t.shape.num_elements()
    largest = max(sizes, key=sizes.get)
    assert sizes[largest] <= 4 * b * (n + d), (largest, sizes[largest])


def test_batched_nms_of_a_large_batch_equals_nms_per_image():
    rng = np.random.default_rng(7)
    b, n = 256, 48
    xy = rng.uniform(0, 40, (b, n, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(4, 24, xy.shape)], -1).astype(np.float32)
    scores = rng.uniform(0, 1, (b, n, 2)).astype(np.float32)
    scores[5] *= 0.01  # nothing above the threshold
    got = batched_nms(boxes, scores, 6, 0.4, 0.3, return_indices=True)
    assert got["boxes"].shape == (b, 6, 4)
    for i in (0, 5, 100, 255):
        one = batched_nms(boxes[i:i + 1], scores[i:i + 1], 6, 0.4, 0.3, return_indices=True)
        for key in one:
            np.testing.assert_array_equal(got[key][i], one[key][0], err_msg=key)
    assert int(got["num_detections"][5]) == 0
