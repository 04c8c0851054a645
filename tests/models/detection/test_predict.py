"""``keras-zoo predict`` on every registered detector (and a classifier), the detection tasks'
prediction hooks and held-out mAP, and the drawing callback."""

import os

import numpy as np
import pytest
from PIL import Image

import keras_zoo
from keras_zoo.data import shapes
from keras_zoo.tasks import get_task
from keras_zoo.visualize import DrawDetections
from training import cli

DETECTION_TASKS = ("detection", "localization", "proposal_detection", "region_detection")
DETECTORS = sorted(e.name for e in keras_zoo.models.entries() if e.task in DETECTION_TASKS)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def picture(tmp_path_factory):
    """A 50 x 40 (width x height) picture of shapes: no model serves that size."""
    path = str(tmp_path_factory.mktemp("predict") / "shapes.png")
    Image.fromarray(shapes.generate(1, (40, 50), 2, 2, seed=5)["images"][0]).save(path)
    return path


def test_every_registered_detector_is_covered():
    assert {"ssd", "yolo_v1", "faster_rcnn", "mask_rcnn", "detr", "rcnn", "fast_rcnn",
            "sliding_window", "localizer"} <= set(DETECTORS)


@pytest.mark.parametrize("name", DETECTORS)
def test_predict_runs_on_every_detector_at_its_served_image_size(name, picture, tmp_path,
                                                                 capsys):
    out_png = str(tmp_path / "out.png")
    code, out, err = run(capsys, "predict", name, picture, "-o", out_png, "--min-score", "0")
    assert code == 0, err
    # R-CNN's input is a warped region (32 px at tiny), not the 64 px image it serves.
    size = keras_zoo.models.get(name, "tiny").image_size
    drawn = Image.open(out_png)
    assert (drawn.height, drawn.width) == tuple(size)
    lines = out.strip().splitlines()
    assert lines[-1] == f"wrote {out_png}"
    # Each detection line: class, score, box; scores >= 0 (--min-score 0), sorted.
    scores = [float(line.split("\t")[1]) for line in lines[:-1] if "\t" in line]
    assert scores == sorted(scores, reverse=True)


def test_predict_of_a_classifier_prints_the_top_5_and_writes_a_captioned_png(picture, tmp_path,
                                                                            capsys):
    out_png = str(tmp_path / "digit.png")
    code, out, err = run(capsys, "predict", "lenet5", picture, "-o", out_png)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 6 and all(line.startswith("class ") for line in lines[:5])
    probabilities = [float(line.split("\t")[1]) for line in lines[:5]]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0
    drawn = np.asarray(Image.open(out_png))
    assert drawn.shape[1] >= 160 and drawn.shape[0] > drawn.shape[1]  # image + caption strip


def test_predict_bad_input_is_one_line_with_exit_code_2(picture, tmp_path, capsys):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    for argv, message in [
            (("ssd", str(tmp_path / "missing.png")), "no such file"),
            (("ssd", str(text)), "is not an image"),
            (("lenet5", picture, "--min-score", "0.5"), "--min-score"),
            (("ssd", picture, "--weights", str(tmp_path / "w.weights.h5")), "--weights")]:
        code, _, err = run(capsys, "predict", *argv)
        assert code == 2, (argv, err)
        assert message in err and err.strip().count("\n") == 0 and "Traceback" not in err


def test_held_out_map_is_1_for_perfect_detections_and_rejects_other_data(monkeypatch):
    model = keras_zoo.models.get("ssd", "tiny")
    entry = keras_zoo.models.info("ssd")
    task = get_task("detection")
    _, truth = task.held_out(model, "test", task.evaluation_size)
    calls = []

    def perfect(served):
        def serve(images):
            start = 32 * len(calls)
            calls.append(len(images))
            classes = truth["classes"][start:start + len(images)]
            order = np.argsort(classes < 0, axis=1, kind="stable")  # objects first
            return {"boxes": np.take_along_axis(truth["boxes"][start:start + len(images)],
                                                order[..., None], 1),
                    "classes": np.maximum(np.take_along_axis(classes, order, 1), 0),
                    "scores": np.take_along_axis((classes >= 0).astype(np.float32), order, 1),
                    "num_detections": (classes >= 0).sum(1)}
        return serve

    monkeypatch.setattr(task, "serving_fn", perfect)
    metrics = task.evaluation_metrics(model, entry)
    assert metrics == {"map50": 1.0, "map": 1.0}
    assert sum(calls) == task.evaluation_size and max(calls) <= 32
    with pytest.raises(ValueError, match="voc"):
        task.evaluation_metrics(model, entry, data="voc")


def test_held_out_map_of_an_untrained_detector_is_a_fraction():
    model = keras_zoo.models.get("yolo_v1", "tiny")
    metrics = get_task("detection").evaluation_metrics(model, keras_zoo.models.info("yolo_v1"))
    assert set(metrics) == {"map50", "map"}
    assert 0.0 <= metrics["map"] <= metrics["map50"] < 0.5


def test_draw_detections_callback_writes_pngs(tmp_path):
    model = keras_zoo.models.get("yolo_v1", "tiny")
    task = get_task("detection")
    task.compile(model, None)
    x, y = task.battery_data(model, None, n=4)
    images = (x[:2] * 255).astype(np.uint8)
    callback = DrawDetections(images, str(tmp_path / "draw"), min_score=0.0)
    model.run_eagerly = True  # the callback is under test, not the traced train step
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    assert len(callback.written) == 2 and all(os.path.isfile(p) for p in callback.written)


def test_evaluate_reports_the_held_out_map_of_a_detector(capsys, tmp_path):
    path = str(tmp_path / "localizer.keras")
    keras_zoo.models.get("localizer", "tiny").save(path)
    code, out, err = run(capsys, "evaluate", path, "--batch-size", "64")
    assert code == 0, err
    line = out.strip().splitlines()[-1]
    assert line.startswith("test: loss ") and " map50 " in line and " map " in line


@pytest.mark.slow  # 13 s on 2 idle cores: a whole (1-epoch) run and its held-out mAP
def test_train_reports_the_held_out_map_of_a_detector(capsys, tmp_path):
    # The recipe's bar is on map50: train prints it beside the loss (and checks the bar).
    code, out, err = run(capsys, "train", "localizer", "--epochs", "1", "--batch-size", "64",
                         "--out", str(tmp_path / "run"))
    assert code == 0, err
    line = next(row for row in out.splitlines() if row.startswith("test: "))
    assert line.startswith("test: loss ") and " map50 " in line and " map " in line
