"""Recipes for dense prediction (keras_zoo/models/segmentation): semantic segmentation of the
synthetic shapes and monocular depth of the synthetic scenes, at the models' tiny configs.

The bars (``min_test_metric``, which ``keras-zoo train`` checks and prints) are on held-out mean
IoU (convolutional segmenters >= 0.85, transformer segmenters >= 0.75) and abs-rel (depth
<= 0.15); tests/models/segmentation/test_training_slow.py runs the recipes to them."""

import dataclasses

from training.recipes import Recipe

TRANSFORMER = Recipe(
    name="segmentation_transformer",
    description="A transformer segmenter (Segmenter, DPT) at its tiny config on 2048 "
                "synthetic-shape images with flips: AdamW 1e-3, weight decay 0.01, 3 "
                "warm-up epochs then cosine (Segmenter and DPT train with AdamW/SGD and a "
                "polynomial decay; warm-up keeps a from-scratch transformer stable).",
    epochs=40,
    batch_size=32,
    learning_rate=1e-3,
    optimizer="adamw",
    weight_decay=0.01,
    schedule="warmup_cosine",
    warmup_epochs=3,
    preset="tiny",
    # DPT's tiny config before 2026-12-05 (the battery's is 16x16 patches, width 16): its
    # measured mean IoU (0.837) is this network's.
    config={"patch_size": 4, "hidden_dim": 32, "mlp_dim": 64,
            "reassemble_dims": (8, 16, 32, 32)},
    data_options={"n": 2048, "augment": ("flip",)},
    monitor="val_mean_iou",
    monitor_mode="max",
    min_test_metric=("mean_iou", 0.75),
    # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 2.7-2.9 from other
    # sessions): held-out mean IoU 0.847.
    train_minutes={"dpt": 4.58},
)

SEGMENTER = dataclasses.replace(
    TRANSFORMER,
    name="segmentation_segmenter",
    # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
    # other sessions).
    train_minutes={"segmenter_linear": 3.89},
    description="Segmenter on 2048 synthetic-shape images with flips, its encoder widened "
                "to 64 (4 layers, 4 heads, MLP 4x the width, the ViT's ratio), class "
                "embeddings drawn with spread 1 (from scratch): AdamW 1e-3, "
                "weight decay 0.01, 3 warm-up epochs then cosine.",
    # Measured (held-out mean IoU, 40 epochs, 32x32, 4x4 patches, seed 0): the tiny
    # encoder (width 32, 2 layers, 2 heads) underfits: linear decoder 0.717 with training
    # mean IoU no higher than validation's, and 4x the images (8192, flips and
    # translations, the same 2560 steps) gave 0.666, so data was not the limit. Width 64,
    # 4 layers: 0.792 (training 0.866, at the 4x4-patch ceiling of 0.859; 922 s on a
    # loaded 2-core machine). Strudel et al.'s smallest encoder, Seg-Ti, is ViT-Ti
    # (width 192, 12 layers), and its ablation finds larger encoders better.
    # The mask transformer from scratch: with the official 0.02 class-embedding spread it
    # sat at the class prior (validation mean IoU 0.199, loss 0.72, for 11 epochs; the
    # class tokens start with cosines above 0.95 between them); at 1.0 it left the prior
    # (validation 0.478 at the seventh epoch) and reached 0.745 after 40. The linear
    # decoder has no class embeddings: segmentation_segmenter_mask sets the spread.
    config={"hidden_dim": 64, "num_layers": 4, "num_heads": 4, "mlp_dim": 256},
)

CONVOLUTIONAL = Recipe(
    name="segmentation",
    # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
    # other sessions).
    train_minutes={"unet": 1.01},
    description="A convolutional segmenter (FCN, DeconvNet, U-Net) at its tiny config on "
                "2048 synthetic-shape images (1-3 objects, 4 classes with the "
                "background), flips and translations applied to image and mask together: "
                "Adam 3e-3, cosine decay.",
    # `keras-zoo train NAME`, 2026-12-04 (held-out mean IoU; wall at load 4-21 on 2
    # cores): unet 0.905 (302 s), unet_same 0.934 (164 s); deconvnet 0.339 (136 s, by
    # segmentation_deconvnet before 2026-12-05: classes 2 and 3 never learned, see there).
    epochs=30,
    batch_size=32,
    learning_rate=3e-3,
    preset="tiny",
    data_options={"n": 2048, "augment": ("flip", "translation")},
    monitor="val_mean_iou",
    monitor_mode="max",
    min_test_metric=("mean_iou", 0.85),
)

RECIPES = [
    CONVOLUTIONAL,
    dataclasses.replace(
        CONVOLUTIONAL,
        name="segmentation_deconvnet",
        description="The segmentation recipe for DeconvNet, at table 1's (de)convolutions per "
                    "block (2, 2, 3, 3, 3; its tiny config has one per block since 2026-12-04), "
                    "width 1/4 and fc6/fc7 of 512 channels.",
        # At the tiny width (0.05) and fc_units (16) the run reached 0.339 held-out mean IoU
        # (2026-12-04, and again 2026-12-05 at seed 0): the background IoU 0.96, class 1
        # 0.39, classes 2 and 3 0.01 and 0: every object segmented, nearly all called a
        # circle; the training split's figures the same (0.337), and inference mode and batch
        # statistics agree (0.339, 0.338): underfitting, not overfitting or BatchNormalization.
        # DeconvNet's decoder sees the image only through fc7's 1x1 code (fc6 covers the whole
        # pool5 map, 1x1 at 32x32 as 7x7 -> 1x1 at the paper's 224x224) and the pooling
        # switches (where, not what): the class of every object has to pass fc6/fc7, and at
        # width 0.05 the last deconvolutions have 3 channels (64 * 0.05). Measured (seed 0,
        # held-out mean IoU): fc_units 512 at width 0.05 0.325 (the 3-channel decoder);
        # width 0.25 with fc_units 128 0.809 (classes 0.73-0.78), with 512 0.905 (classes
        # 0.86-0.89; training split 0.917, 5.5 min at load 3.5). The paper has 4096.
        # Held-out mean IoU at seeds 0/1/2: 0.902/0.787/0.929: seed 1 misses the bar (its
        # training mean IoU flat at 0.77-0.78 from epoch 20 on: underfit); fc_units 2048 at
        # seed 1: 0.816 (9.0 min). Not settled: a wider decoder or more epochs at seed 1.
        config={"convolutions": (2, 2, 3, 3, 3), "width": 0.25, "fc_units": 512},
        # Measured 2026-12-05: `keras-zoo train deconvnet` end to end on 2 cores at load
        # 1.3-2.2 from other sessions (seed 0: 0.902 held-out mean IoU).
        train_minutes={"deconvnet": 4.89},
    ),
    Recipe(
        name="segmentation_fcn",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"fcn8s": 2.28},
        description="An FCN (32s/16s/8s) on 2048 synthetic-shape images at 64x64, VGG16 at 1/8 "
                    "width with fc6/fc7 of 32 channels, flips and translations applied to "
                    "image and mask together: Adam 3e-3, cosine decay.",
        # FCN-8s predicts at stride 8 and upsamples 8x bilinearly. At the tiny 32x32 the
        # score map is 4x4 for objects of 3-10 px radius: measured 0.682 held-out mean IoU,
        # and scores average-pooled from the true masks and upsampled the same way give
        # 0.588 at 32x32, 0.864 at 64x64, 0.923 at 96x96. 64x64 is the smallest size at
        # which the stride-8 output can draw the shapes. Measured with this recipe: FCN-8s
        # 0.915 held-out mean IoU (337,140 parameters; 12 s an epoch on an idle core).
        # `keras-zoo train NAME`, 2026-12-04: fcn8s 0.913 (356 s at load 14-19); below the
        # bar (not fixed): fcn16s 0.760 (its 4x4 stride-16 map at 64x64), fcn32s 0.203 (sat
        # at the background prior from epoch 2: 3 % of block3_pool activations positive).
        epochs=30,
        batch_size=32,
        learning_rate=3e-3,
        preset="tiny",
        config={"input_shape": (64, 64, 3), "width": 0.125, "fc_units": 32,
                "fc_kernel_size": 7, "convolutions": (2, 2, 3, 3, 3)},
        data_options={"n": 2048, "augment": ("flip", "translation")},
        monitor="val_mean_iou",
        monitor_mode="max",
        min_test_metric=("mean_iou", 0.85),
    ),
    TRANSFORMER,
    SEGMENTER,
    dataclasses.replace(
        SEGMENTER,
        name="segmentation_segmenter_mask",
        train_minutes={},  # not measured (the base recipe's figure is segmenter_linear's)
        description="segmentation_segmenter for the mask transformer, 60 epochs (it learns "
                    "more slowly than the linear decoder).",
        # Measured with 40 epochs (segmentation_segmenter): 0.745 held-out mean IoU (894 s),
        # training mean IoU 0.82 at epoch 36 against the linear decoder's 0.866: still rising.
        # 60 epochs: 0.766 (610 s; training mean IoU 0.86).
        epochs=60,
        config={**SEGMENTER.config, "class_embedding_stddev": 1.0},
    ),
    Recipe(
        name="depth",
        description="A depth model at its tiny config on 2048 synthetic scenes (spheres on a "
                    "checkered ground before a wall, exact depth), the scale-invariant log "
                    "loss with lambda = 0.5 (Eigen et al. 2014): Adam 2e-3, cosine decay.",
        epochs=30,
        batch_size=32,
        learning_rate=2e-3,
        preset="tiny",
        # DPT's and Depth Anything's tiny configs before 2026-12-05 (the battery's have the
        # papers' 16x16 and 14x14 patches, width 16): dpt_depth's measured abs-rel (0.070)
        # is this network's.
        config={"input_shape": (32, 32, 3), "patch_size": 4, "hidden_dim": 32, "mlp_dim": 64,
                "reassemble_dims": (8, 16, 32, 32)},
        data_options={"n": 2048},
        monitor="val_abs_rel",
        monitor_mode="min",
        min_test_metric=("abs_rel", 0.15, "min"),
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 2.0-2.9 from other
        # sessions): held-out abs-rel 0.047, delta < 1.25 0.969.
        train_minutes={"depth_anything": 3.77},
    ),
    Recipe(
        name="depth_unet",
        description="The depth recipe for the U-Net: 16 base filters and three poolings "
                    "(4 -> 8 -> 16 channels and two poolings stay at 0.236 held-out abs-rel).",
        # Measured (held-out abs-rel, 2048 scenes, 30 epochs): the tiny U-Net (filters 4,
        # depth 2) 0.236 with delta<1.25 0.30; filters 16, depth 3 0.033 with delta<1.25
        # 0.987 (548 s). DPT reaches 0.070 at its tiny config with the plain depth recipe.
        epochs=30,
        batch_size=32,
        learning_rate=2e-3,
        preset="tiny",
        config={"filters": 16, "depth": 3},
        data_options={"n": 2048},
        monitor="val_abs_rel",
        monitor_mode="min",
        min_test_metric=("abs_rel", 0.15, "min"),
    ),
]
