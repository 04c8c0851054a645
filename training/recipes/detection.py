"""Recipes for the detectors (keras_zoo/models/detection) on synthetic shapes with boxes."""

from training.recipes import Recipe

RECIPES = [
    Recipe(
        name="detection",
        description="A detector at its tiny config on 4096 synthetic-shape images (1-3 objects, "
                    "horizontal flips that move the boxes): Adam 1e-3, cosine decay.",
        epochs=20,
        batch_size=32,
        learning_rate=1e-3,
        preset="tiny",
        data_options={"n": 4096, "augment": ("flip",)},
        monitor="val_loss",
        # COCO mAP@0.5 on the 128 held-out images: the slow tests measured SSD 0.874, YOLO v1
        # 0.850, Faster R-CNN 0.979 (tests/models/detection/test_detectors.py settings).
        min_test_metric=("map50", 0.5),
    ),
    Recipe(
        name="detection_masks",
        description="An instance-segmentation detector (Mask R-CNN) at its tiny config on 2048 "
                    "synthetic-shape images with instance masks (no augmentation: Keras' "
                    "box-aware layers do not move masks): Adam 1e-3, cosine decay.",
        epochs=20,
        batch_size=32,
        learning_rate=1e-3,
        preset="tiny",
        data_options={"n": 2048},
        monitor="val_loss",
        # The masks' mAP@0.5 on the held-out images: 0.846 after 6 epochs in the slow test.
        min_test_metric=("mask_map50", 0.5),
    ),
]
