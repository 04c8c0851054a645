"""Recipes for representation learning on the embedded digits (keras_zoo/models/representation):
metric learning (Siamese, triplet), self-supervised pretext tasks (SimCLR, context encoder,
instance discrimination) and domain adaptation (DANN)."""

from training.recipes import Recipe

#: The embedded digits' training split (keras_zoo.data.digits): one memory-bank row each.
DIGITS_TRAIN_SIZE = 1259
#: LeNet-5 as the encoder, with ReLU (it trains faster than the paper's tanh on 8x8 digits).
_LENET_RELU = {"backbone": "lenet5", "backbone_config": {"activation": "relu"}}

RECIPES = [
    Recipe(
        name="siamese",
        description="Siamese LeNet-5 tower, contrastive loss (margin 1) over every pair of a "
                    "batch of 64 digits: Adam 1e-3, cosine.",
        epochs=30,
        batch_size=64,
        preset="canonical",
        config=_LENET_RELU,
    ),
    Recipe(
        name="triplet",
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
                    "cosine.",
        epochs=60,
        batch_size=128,
        preset="tiny",
        # Measured (seed 0, linear probe on 10 labels per class, random init 0.624): tau 0.2,
        # crop >= 0.3, with blur 0.744 (batch 256: 0.738; 150 epochs: 0.780 with a prototype
        # of this crop); tau 0.1 crop >= 0.3 0.713; tau 0.1 crop >= 0.5 0.772 (this recipe);
        # with max pooling in LeNet-5 0.763 against its random init's 0.652.
        config={**_LENET_RELU, "projection_dim": 64, "crop_scale": 0.5, "temperature": 0.1,
                "augmentations": ("crop", "color")},
    ),
    Recipe(
        name="context_encoder",
        description="Context encoder on digits: LeNet-5 encoder, central 16x16 hole of 32x32, "
                    "L2 reconstruction, Adam 1e-3, cosine.",
        epochs=30,
        batch_size=64,
        preset="tiny",
        config={**_LENET_RELU, "decoder_filters": 32},
    ),
    Recipe(
        name="instance_discrimination",
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
        description="CDML on a synthetic co-occurrence graph of the training digits (4 edges per "
                    "item, 10 % noise edges): LeNet-5 content encoder, 256-D, triplet margin 0.2 "
                    "with in-batch negatives, Adam 1e-3, cosine.",
        epochs=15,
        batch_size=64,
        preset="canonical",
        config=_LENET_RELU,
    ),
    Recipe(
        name="dann",
        description="DANN digits -> textured digits (MNIST-M-like): LeNet-5 G_f, 100-unit heads, "
                    "constant lambda 0.1, Adam 1e-3, cosine.",
        epochs=30,
        batch_size=64,
        preset="canonical",
        # Measured (seed 0, 30 epochs, target test accuracy; source-only 0.359): lambda 0.1
        # constant 0.435; annealed over 600 steps (section 5.1's schedule) to 1: 0.320, to 0.3:
        # 0.237, to 1 with a two-layer domain classifier: 0.292 (its loss spiked to 5.8: Adam
        # and the reversed gradient oscillate). The paper anneals with SGD and momentum: SGD
        # 0.01 + momentum 0.9, cosine, lambda annealed to 1 over the run: 0.376 against
        # source-only 0.465 under the same SGD. With Adam: constant lambda 0.2 0.365; lambda
        # 0.1 with a 100-100 domain classifier 0.351; LeNet-5 with max pooling 0.471 against
        # its source-only 0.451; the paper's 32-48 conv net (madry_mnist filters=(32, 48)),
        # globally average-pooled as every encoder here: 0.184 against 0.131.
        config={**_LENET_RELU, "grl_lambda": 0.1},
    ),
]
