"""Recipes for the region detectors (sliding window, R-CNN, Fast R-CNN) on synthetic shapes.

Selective search proposals are computed once per image and cached (``keras_zoo.data.
proposals``); the numbers of the slow tests in ``tests/models/detection/
test_region_detectors.py`` come from these settings.
"""

from training.recipes import Recipe

RECIPES = [
    Recipe(
        name="sliding_window",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"sliding_window": 1.12},
        description="The sliding-window detector at its tiny config on 2048 synthetic-shape "
                    "images (1-3 objects, horizontal flips that move the boxes): Adam 2e-3, "
                    "cosine decay.",
        epochs=15,
        batch_size=32,
        learning_rate=2e-3,
        preset="tiny",
        data_options={"n": 2048, "augment": ("flip",)},
        monitor="val_loss",
        # COCO mAP@0.5 on the 128 held-out images: sliding window 0.935 in the slow test.
        min_test_metric=("map50", 0.5),
    ),
    Recipe(
        name="rcnn",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"rcnn": 3.09},
        description="R-CNN at its tiny config: warped selective-search regions of 1024 "
                    "synthetic-shape images, mini-batches of 128 regions with 32 positives "
                    "(the paper's fine-tuning), Adam 1e-3, cosine decay.",
        epochs=8,
        batch_size=128,
        learning_rate=1e-3,
        preset="tiny",
        # The tiny config before the battery's shrink (2026-12-04): the slow test's mAP.
        config={"filters": (16, 32, 64), "region_size": 32, "context_padding": 2,
                "head_units": 128, "num_proposals": 64, "max_detections": 20},
        data_options={"n": 1024},
        monitor="val_loss",
        # COCO mAP@0.5 on the 128 held-out images: R-CNN 0.954 in the slow test.
        min_test_metric=("map50", 0.5),
    ),
    Recipe(
        name="fast_rcnn",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"fast_rcnn": 2.25},
        description="Fast R-CNN at its tiny config on 2048 synthetic-shape images with their "
                    "selective-search proposals, 16 RoIs per image (25 % foreground), Adam "
                    "1e-3, cosine decay.",
        epochs=15,
        batch_size=16,
        learning_rate=1e-3,
        preset="tiny",
        # The tiny config before the battery's shrink (2026-12-04): the slow test's mAP.
        config={"filters": (16, 32), "pool_size": 4, "head_units": 128, "num_proposals": 64,
                "rois_per_image": 16, "max_detections": 20},
        data_options={"n": 2048},
        monitor="val_loss",
        # COCO mAP@0.5 on the 128 held-out images: Fast R-CNN 0.969 in the slow test.
        min_test_metric=("map50", 0.5),
    ),
]
