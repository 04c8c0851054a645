"""The detectors' parity check: each detection served the same, near-ties aside."""

import numpy as np
import pytest

from keras_zoo.tasks import get_task
from keras_zoo.tasks.detection import SCORE_TIE


def _outputs(boxes, scores, classes):
    boxes = np.asarray(boxes, np.float32)[None]
    return {"boxes": boxes, "scores": np.asarray(scores, np.float32)[None],
            "classes": np.asarray(classes, np.int32)[None],
            "num_detections": np.asarray([boxes.shape[1]], np.int32)}


BOXES = [[0, 0, 10, 10], [20, 20, 40, 40], [5, 30, 25, 60], [40, 0, 60, 18]]


@pytest.fixture
def task():
    return get_task("detection")


def test_equal_outputs_pass_and_a_pixel_off_fails(task):
    reference = _outputs(BOXES, [0.9, 0.8, 0.7, 0.6], [0, 1, 2, 3])
    task.parity_check(reference, _outputs(BOXES, [0.9, 0.8, 0.7, 0.6], [0, 1, 2, 3]))
    moved = np.array(BOXES, np.float32)
    moved[1, 2] += 1.0
    with pytest.raises(AssertionError, match="served the same"):
        task.parity_check(reference, _outputs(moved, [0.9, 0.8, 0.7, 0.6], [0, 1, 2, 3]))


def test_two_tied_detections_may_come_out_in_either_order(task):
    tied = [0.25137, 0.25137 + SCORE_TIE / 10, 0.2513, 0.2512]
    reference = _outputs(BOXES, tied, [0, 1, 2, 3])
    order = [1, 0, 2, 3]
    task.parity_check(reference, _outputs(np.array(BOXES)[order], np.array(tied)[order],
                                          np.array([0, 1, 2, 3])[order]))


def test_a_score_off_by_more_than_a_tie_fails(task):
    reference = _outputs(BOXES, [0.9, 0.8, 0.7, 0.6], [0, 1, 2, 3])
    with pytest.raises(AssertionError, match="served the same"):
        task.parity_check(reference, _outputs(BOXES, [0.9, 0.8 - 10 * SCORE_TIE, 0.7, 0.6],
                                              [0, 1, 2, 3]))


def test_scores_attached_to_the_wrong_boxes_fail(task):
    reference = _outputs(BOXES, [0.9, 0.8, 0.7, 0.6], [0, 1, 2, 3])
    order = [3, 2, 1, 0]
    with pytest.raises(AssertionError, match="served the same"):
        task.parity_check(reference, _outputs(np.array(BOXES)[order], [0.9, 0.8, 0.7, 0.6],
                                              np.array([0, 1, 2, 3])[order]))


@pytest.mark.parametrize("error", ["shifted boxes", "wrong classes"])
def test_a_systematic_error_fails_even_when_every_score_ties(task, error):
    scores = [0.25, 0.25, 0.25, 0.25]
    reference = _outputs(BOXES, scores, [0, 1, 2, 3])
    boxes, classes = np.array(BOXES, np.float32), np.array([0, 1, 2, 3])
    if error == "shifted boxes":
        boxes = boxes + 2.0
    else:
        classes = (classes + 1) % 4
    with pytest.raises(AssertionError, match="served the same"):
        task.parity_check(reference, _outputs(boxes, scores, classes))


def test_a_missing_detection_fails(task):
    reference = _outputs(BOXES, [0.9, 0.8, 0.7, 0.6], [0, 1, 2, 3])
    with pytest.raises(AssertionError, match="3 of 4 reference detections"):
        task.parity_check(reference, _outputs(BOXES[:3], [0.9, 0.8, 0.7], [0, 1, 2]))


def test_one_tied_candidate_traded_for_another_in_twenty_passes(task):
    # A top-k or NMS earlier in the graph kept another of two tied candidates: the served
    # list loses one detection and gains another; the 19 others move up or down by one.
    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 40, (21, 2))
    boxes = np.concatenate([corners, corners + 20], axis=1)
    scores = np.sort(rng.uniform(0.25, 0.27, 21))[::-1]
    classes = rng.integers(0, 4, 21)
    reference = _outputs(boxes[:20], scores[:20], classes[:20])
    served = [j for j in range(21) if j != 7]
    task.parity_check(reference, _outputs(boxes[served], scores[served], classes[served]))
