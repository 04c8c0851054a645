"""``keras-zoo predict`` on segmentation and depth models: the mask drawn over the image."""

import numpy as np
from PIL import Image

from keras_zoo.data.segmentation import shapes_segmentation
from training.commands.predict import load, predict


def test_predict_draws_a_mask_and_a_depth_map(tmp_path):
    images, _ = shapes_segmentation(1, (40, 40), seed=0)
    path = tmp_path / "shapes.png"
    Image.fromarray(images[0]).save(path)
    model, entry = load("unet_same")
    text, picture, outputs = predict(model, entry, str(path))
    assert outputs["mask"].shape == (1, 32, 32) and picture.size == (32, 32)
    assert "%" in text
    model, entry = load("dpt_depth")
    text, picture, outputs = predict(model, entry, str(path))
    assert outputs["depth"].shape == (1, 32, 32) and picture.size == (64, 32)
    assert np.asarray(picture).std() > 0 and text.startswith("depth min")
