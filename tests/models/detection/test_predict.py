"""``keras-zoo predict`` for detectors and the drawing callback."""

import argparse
import os

import numpy as np
import pytest
from PIL import Image

import keras_zoo
from keras_zoo.data import shapes
from keras_zoo.models.detection import predict
from keras_zoo.tasks import get_task


def _args(*argv):
    parser = argparse.ArgumentParser()
    predict.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_predict_writes_a_png_with_the_drawn_boxes(tmp_path, capsys):
    image = shapes.generate(1, (64, 64), 2, 2, seed=5)["images"][0]
    path = str(tmp_path / "shapes.png")
    Image.fromarray(image).save(path)
    out = str(tmp_path / "out.png")
    assert predict.run(_args("ssd", path, "-o", out, "--min-score", "0.0")) == 0
    drawn = np.asarray(Image.open(out))
    assert drawn.shape == (64, 64, 3)
    assert np.any(drawn != image), "nothing was drawn"
    assert "wrote" in capsys.readouterr().out


def test_predict_rejects_a_missing_image_and_a_non_detector(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        predict.run(_args("ssd", str(tmp_path / "missing.png")))
    path = str(tmp_path / "x.png")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    with pytest.raises(ValueError, match="is not a detector"):
        predict.run(_args("lenet5", path))


def test_draw_detections_callback_writes_pngs(tmp_path):
    model = keras_zoo.models.get("yolo_v1", "tiny")
    task = get_task("detection")
    task.compile(model, None)
    x, y = task.battery_data(model, None, n=4)
    images = (x[:2] * 255).astype(np.uint8)
    callback = predict.DrawDetections(images, str(tmp_path / "draw"), min_score=0.0)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    assert len(callback.written) == 2 and all(os.path.isfile(p) for p in callback.written)
