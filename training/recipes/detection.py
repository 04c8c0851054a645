"""Recipes for the detectors (keras_zoo/models/detection) on synthetic shapes with boxes."""

from training.recipes import Recipe

RECIPES = [
    Recipe(
        name="detection",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions; localizer at 1.2-1.8: held-out mAP@0.5 0.831).
        train_minutes={"yolo_v1": 1.7, "localizer": 1.83},
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
        name="ssd",
        description="SSD at its tiny config (64x64, 3 maps of default boxes) on 2048 synthetic-"
                    "shape images with horizontal flips: Adam 2e-3, cosine decay, 8 epochs.",
        # The shared detection recipe (4096 images x 20 epochs at 1e-3) for SSD: 201 s wall of
        # train() on 2 quiet cores (224 CPU s), mAP@0.5 0.943; ~20 minutes on busy ones. SSD's
        # loss converges on a fifth of its steps at twice the rate. Measured 2026-12-04, 2 cores:
        # `keras-zoo train ssd` 51 s end to end (load ~3; 54 user + 6 sys CPU s), test mAP@0.5
        # 0.854 (mAP 0.554); under load 21-22: 133 s (train() alone), and seed 1 5:09 end to
        # end at 17 % of a core (55 CPU s), mAP@0.5 0.672.
        epochs=8,
        batch_size=32,
        learning_rate=2e-3,
        preset="tiny",
        data_options={"n": 2048, "augment": ("flip",)},
        monitor="val_loss",
        min_test_metric=("map50", 0.5),
        train_minutes={"ssd": 0.9},
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
        # The tiny config before the battery's shrink (2026-12-04): the slow test's mask mAP.
        config={"filters": (16, 32, 64), "rpn_filters": 64, "num_proposals": 32,
                "rpn_batch": 64, "pool_size": 4, "head_units": 128, "mask_pool_size": 7,
                "mask_filters": (32, 32), "max_detections": 20},
        data_options={"n": 2048},
        monitor="val_loss",
        # The masks' mAP@0.5 on the held-out images: 0.846 after 6 epochs in the slow test.
        min_test_metric=("mask_map50", 0.5),
    ),
]
