"""Slow tier: each recipe trains its models to the bar on held-out synthetic data (mean IoU on
held-out shapes, abs-rel on held-out depth scenes), through ``training.train`` as
``keras-zoo train`` runs it."""

import time

import pytest

import keras_zoo
from keras_zoo.tasks import get_task

# Measured: unet 0.869; fcn8s 0.915 (recipe segmentation_fcn at 64x64; 0.682 at 32x32).
BARS = [("unet", "mean_iou", 0.85), ("fcn8s", "mean_iou", 0.85),
        ("segmenter_linear", "mean_iou", 0.75), ("segmenter_mask", "mean_iou", 0.75),
        ("dpt", "mean_iou", 0.75), ("unet_depth", "abs_rel", 0.15),
        ("dpt_depth", "abs_rel", 0.15)]


@pytest.mark.slow
@pytest.mark.parametrize("name, metric, bar", BARS, ids=[b[0] for b in BARS])
def test_recipe_reaches_the_bar(name, metric, bar, tmp_path):
    from training import train

    start = time.time()
    result = train(name, out=str(tmp_path / name), verbose=0)
    entry = keras_zoo.models.info(name)
    figures = get_task(entry.task).evaluation_metrics(result.model, entry, "test")
    print(f"{name}: {figures} in {time.time() - start:.0f} s")
    if metric == "abs_rel":
        assert figures[metric] <= bar, figures
    else:
        assert figures[metric] >= bar, figures
