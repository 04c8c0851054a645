"""Slow tier: each recipe trains its models to the bar on held-out synthetic data (mean IoU on
held-out shapes, abs-rel on held-out depth scenes), through ``training.train`` as
``keras-zoo train`` runs it."""

import time

import pytest

import keras_zoo
from keras_zoo.tasks import get_task

# Measured: unet 0.869; fcn8s 0.915 (recipe segmentation_fcn at 64x64; 0.682 at 32x32);
# dpt 0.837 (2,105 s on a loaded 2-core machine); abs-rel: dpt_depth 0.070 (956 s), unet_depth
# 0.236 at its tiny config (322 s), hence the depth_unet recipe (16 filters, 3 poolings):
# 0.033 (548 s).
# Segmenter (recipe segmentation_segmenter: the tiny config with its encoder widened to 64, 4
# layers, 4 heads; 40 epochs, 32x32, 4x4 patches): linear decoder 0.792 held-out mean IoU
# (922 s and 1,014 s, the same figure both times, on a loaded 2-core machine). The tiny
# encoder (width 32, 2 layers) underfit: 0.717 (linear) and 0.610 (mask), training mean IoU no
# higher than validation's, and 4x the images at the same steps gave 0.666.
# The mask transformer with the wider encoder and the official class-embedding spread 0.02
# sat at the class prior (validation mean IoU 0.199 for 11 epochs: the class tokens start
# parallel, see test_segmenter.py); with spread 1.0: 0.745 after 40 epochs (894 s), training
# mean IoU still rising; its recipe segmentation_segmenter_mask trains 60: 0.766 (610 s and
# 502 s, the same figure both times).
# keras-zoo train unet, 2026-12-04: wall 302 s at load 20.8-19.2, CPU 90 s, mean IoU 0.905
# keras-zoo train fcn8s, 2026-12-04: wall 356 s at load 18.7-14.1, CPU 187 s, mean IoU 0.913
# keras-zoo train unet_same, 2026-12-04: wall 164 s at load 14.1-13.5, CPU 68 s, mean IoU 0.934
# keras-zoo train fcn16s, 2026-12-04: wall 388 s at load 13.5-13.8, CPU 205 s, mean IoU 0.760
# keras-zoo train fcn32s, 2026-12-04: wall 414 s at load 13.8-9.3, CPU 257 s, mean IoU 0.203
# keras-zoo train deconvnet, 2026-12-04: wall 136 s at load 9.3-4.3, CPU 153 s, mean IoU 0.339
# (width 0.05, fc_units 16); 2026-12-05, width 0.25 and fc_units 512 (segmentation_deconvnet):
# wall 293 s at load 1.3-2.2, mean IoU 0.902 (seed 0; seeds 1 and 2: 0.787 and 0.929)
BARS = [("unet", "mean_iou", 0.85), ("fcn8s", "mean_iou", 0.85), ("deconvnet", "mean_iou", 0.85),
        ("segmenter_linear", "mean_iou", 0.75), ("segmenter_mask", "mean_iou", 0.75),
        ("dpt", "mean_iou", 0.75), ("unet_depth", "abs_rel", 0.15),
        ("dpt_depth", "abs_rel", 0.15)]
PARAMS = [pytest.param(*bar, id=bar[0]) for bar in BARS]


@pytest.mark.slow
@pytest.mark.parametrize("name, metric, bar", PARAMS)
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
