"""Recipes for representation learning on the embedded digits (keras_zoo/models/representation):
metric learning (Siamese, triplet), self-supervised pretext tasks (SimCLR, context encoder,
instance discrimination) and domain adaptation (DANN)."""

import math

from training.recipes import Recipe

#: The embedded digits' training split (keras_zoo.data.digits): one memory-bank row each.
DIGITS_TRAIN_SIZE = 1259
#: LeNet-5 as the encoder, with ReLU (it trains faster than the paper's tanh on 8x8 digits).
_LENET_RELU = {"backbone": "lenet5", "backbone_config": {"activation": "relu"}}
#: DANN's run: the learning rate and lambda follow its progress p (section 5.1).
_DANN_EPOCHS = 200

RECIPES = [
    Recipe(
        name="siamese",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"siamese": 0.19},
        description="Siamese LeNet-5 tower, contrastive loss (margin 1) over every pair of a "
                    "batch of 64 digits: Adam 1e-3, cosine.",
        epochs=30,
        batch_size=64,
        preset="canonical",
        config=_LENET_RELU,
    ),
    Recipe(
        name="triplet",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"triplet": 0.21},
        description="Triplet LeNet-5, semi-hard mining (FaceNet, margin 0.2) in batches of 64 "
                    "digits: Adam 1e-3, cosine.",
        epochs=30,
        batch_size=64,
        preset="canonical",
        config=_LENET_RELU,
    ),
    Recipe(
        name="simclr",
        description="SimCLR on digits with a LeNet-5 encoder: random resized crop (area >= 0.5), "
                    "brightness/contrast (no flip: a flipped digit is another glyph; no blur: "
                    "the digits are 8x8 upsampled), NT-Xent tau 0.1, batch 128, Adam 1e-3, "
                    "cosine, 300 epochs (section 5.1 of the paper: contrastive learning gains "
                    "from longer training more than supervised learning).",
        epochs=300,
        batch_size=128,
        preset="tiny",
        # Measured with a fixed probe (C = 1, seed 0, 10 labels per class, random init 0.624):
        # tau 0.2, crop >= 0.3, with blur 0.744 (batch 256: 0.738); tau 0.1 crop >= 0.3 0.713;
        # tau 0.1 crop >= 0.5 0.772 (this recipe at 60 epochs). With the probe's L2 weight
        # chosen on validation (linear_probe_accuracy; random init 0.769): 60 epochs 0.786,
        # 300 epochs 0.844 (NT-Xent 1.37 -> 0.72; 0.830 in the slow test's run); crop >= 0.2
        # at 300 epochs 0.836. The bar (+0.2, i.e. 0.969) is above what this encoder reaches
        # with all 1,259 labels under the same probe (0.886, supervised): the slow test
        # test_supervised_encoder_bounds_the_probe_gain_below_the_bar.
        config={**_LENET_RELU, "projection_dim": 64, "crop_scale": 0.5, "temperature": 0.1,
                "augmentations": ("crop", "color")},
    ),
    Recipe(
        name="simclr_shapes",
        description="SimCLR on the embedded shapes (32 px colour, one circle, square or "
                    "triangle of random colour, size and position on a noisy background; 600 "
                    "training images) with a LeNet-5 encoder: the paper's crop + colour "
                    "distortion at strength 1 (colour jitter, random grayscale p = 0.2), crops "
                    "of area >= 0.5, NT-Xent tau 0.1, batch 128, Adam 1e-3, cosine, 400 epochs.",
        epochs=400,
        batch_size=128,
        preset="tiny",
        # Measured (seed 0; linear probe on the frozen features of all 600 labelled training
        # shapes, L2 weight chosen on validation, 200 test shapes; random init 0.43, the same
        # encoder trained supervised with the labels 0.655, test accuracy 0.61): colour
        # strength 0.5 without grayscale, 100 epochs 0.475; strength 1 with grayscale, 200
        # epochs 0.61 (crops >= 0.2: 0.45; tau 0.2: 0.625; max pooling: 0.645), 300 epochs
        # 0.67, 400 epochs 0.71 (this recipe; in the slow test
        # test_simclr_beats_random_init_by_the_bar_on_shapes 0.695 against random 0.430 and
        # supervised 0.705). Colour is the shortcut the
        # paper's section 3 describes: two crops of one image share the object's colour.
        config={**_LENET_RELU, "input_shape": (32, 32, 3), "projection_dim": 64,
                "crop_scale": 0.5, "temperature": 0.1, "color_strength": 1.0,
                "augmentations": ("crop", "color", "grayscale")},
    ),
    Recipe(
        name="context_encoder",
        description="Context encoder on digits: LeNet-5 encoder, the paper's random-block "
                    "masks (4 squares of 8x8 of 32x32, up to a quarter of the image), L2 "
                    "reconstruction over the hidden pixels, Adam 1e-3, cosine.",
        epochs=30,
        batch_size=64,
        preset="tiny",
        # Measured (seed 0, the validated probe, random init 0.769): the central 16x16 hole
        # 0.760; random blocks 0.811 (the paper, section 3.3: the central hole's features
        # latch on to its boundary and transfer worse).
        config={**_LENET_RELU, "decoder_filters": 32, "masks": "random_blocks", "seed": 0},
    ),
    Recipe(
        name="instance_discrimination",
        # `keras-zoo train NAME` end to end on 2 cores, 2026-12-05 (load 0.8-2.1 from
        # other sessions).
        train_minutes={"instance_discrimination": 0.3},
        description="Instance discrimination on digits: LeNet-5 encoder, 128-D, a memory bank of "
                    "the 1,259 training digits, 256 NCE negatives, tau 0.07, views by random "
                    "resized crops (area >= 0.2) and brightness/contrast, Adam 1e-3.",
        epochs=40,
        batch_size=64,
        preset="tiny",
        config={**_LENET_RELU, "embedding_dim": 128, "memory_size": DIGITS_TRAIN_SIZE,
                "negatives": 256, "temperature": 0.07},
    ),
    Recipe(
        name="cdml",
        # `keras-zoo train cdml --out /tmp/h2/cdml` end to end on 2 cores, 2026-12-05 (seed 0:
        # wall 30 s, CPU 22 s; load 4.1-4.4 from other sessions).
        train_minutes={"cdml": 0.51},
        description="CDML on a synthetic co-occurrence graph of the training digits (4 edges per "
                    "item, 10 % noise edges): LeNet-5 content encoder, 256-D, triplet margin 0.2 "
                    "on squared distances with in-batch negatives, Adam 1e-3, cosine.",
        epochs=15,
        batch_size=64,
        preset="canonical",
        config=_LENET_RELU,
        # The bar is on MAP@R (leave-one-out retrieval of the held-out digits' classes), not on
        # recall@1: the untrained LeNet-5 already retrieves a same-class nearest neighbour
        # (recall@1 0.925 / 0.933 / 0.914 at seeds 0 / 1 / 2) but ranks the class poorly
        # (MAP@R 0.486 / 0.456 / 0.463). Measured by this recipe, 2026-12-05: MAP@R 0.895 /
        # 0.922 / 0.915, recall@1 0.967 / 0.983 / 0.958 at seeds 0 / 1 / 2. (Before the model's
        # loss used squared distances, the run went NaN in its first epoch: recall@1 0.098.)
        min_test_metric=("map@r", 0.85),
    ),
    Recipe(
        name="dann",
        description="DANN digits -> textured digits (MNIST-M-like) with the paper's schedule "
                    "(section 5.1): LeNet-5 G_f (ReLU, max pooling), 100-unit heads, lambda "
                    "rising as 2 / (1 + exp(-10 p)) - 1 to 1, SGD momentum 0.9 on mu_0 / "
                    "(1 + 10 p)^0.75 with mu_0 = 0.01, p the progress over the whole run "
                    f"({_DANN_EPOCHS} epochs; schedule_steps must equal the run's steps).",
        epochs=_DANN_EPOCHS,
        batch_size=64,
        preset="canonical",
        optimizer_factory="keras_zoo.models.representation.dann:dann_optimizer",
        optimizer_options={"learning_rate": 0.01, "momentum": 0.9},
        # Measured (seed 0, target test accuracy, source-only under the same optimizer):
        # 30 epochs: Adam 1e-3 + constant lambda 0.1 (the earlier recipe) 0.435 vs 0.359;
        # Adam with the annealed rate and lambda rising to 1: 0.139 vs 0.365 (the domain loss
        # reached 14 and the features collapsed); the paper's SGD schedule 0.390 vs 0.429, with
        # max pooling 0.493 vs 0.518. Adversarial alignment is slower than the source fit:
        # 120 epochs with max pooling 0.591 vs 0.515 (+0.076); 200 epochs (this recipe, the
        # slow test) 0.710 vs 0.510 (+0.200).
        config={"backbone": "lenet5",
                "backbone_config": {"activation": "relu", "pooling_type": "max"},
                "grl_lambda": 1.0,
                "schedule_steps": _DANN_EPOCHS * math.ceil(DIGITS_TRAIN_SIZE / 64)},
    ),
]
