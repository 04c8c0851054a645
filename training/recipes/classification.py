"""Recipes for the image classifiers on the embedded digits."""

from training.recipes import Recipe

RECIPES = [
    Recipe(
        name="classification",
        description="Any classifier on the embedded digits at its tiny config: Adam, cosine.",
        epochs=10,
        batch_size=32,
        learning_rate=1e-3,
        preset="tiny",
        early_stopping_patience=5,
        # Measured 2026-12-04: `keras-zoo train NAME` end to end on 2 idle cores (mlp,
        # lecun1989); the others 2026-12-05, the same way, at load 0.8-1.8 from other sessions.
        # Held-out accuracy: perceptron 0.493, example_cnn 0.763, nin 0.621, zfnet 0.850,
        # alexnet 0.830, tta_lenet5 0.950, resnet20_cifar 0.571, resnet18 0.872, vgg16 0.811,
        # googlenet 0.811, densenet121 0.596, resnet50v2 0.741, se_resnet50 0.763, vit_b16
        # 0.950, deit_ti 0.950, swin_t 0.760, cvt_13 0.922. Not recorded: mobilenetv2 (0.103),
        # efficientnetb0 (0.103) and resnext50_32x4d (0.164) stay at chance by this recipe;
        # wrn_28_10 aborts in its first epoch (heap corruption in TensorFlow's oneDNN
        # Conv2DBackpropFilter: a 1x1 stride-2 shortcut, fewer than 16 channels, an odd batch).
        train_minutes={"mlp": 0.11, "lecun1989": 0.15, "perceptron": 0.13, "example_cnn": 0.17,
                       "nin": 0.25, "zfnet": 0.28, "alexnet": 0.29, "tta_lenet5": 0.21,
                       "resnet20_cifar": 0.26, "resnet18": 0.21, "vgg16": 0.28,
                       "googlenet": 0.34, "densenet121": 0.22, "resnet50v2": 0.22,
                       "se_resnet50": 0.24, "vit_b16": 0.22, "deit_ti": 0.21, "swin_t": 0.34,
                       "cvt_13": 0.41},
    ),
    Recipe(
        name="lenet5",
        description="LeNet-5 on the embedded digits at 32x32: Adam 1e-2 with cosine decay, "
                    "small translations and rotations, ReLU.",
        epochs=40,
        batch_size=64,
        learning_rate=1e-2,
        # Measured on the fixed split (seed 0): tanh without augmentation stops near 0.96-0.97
        # test accuracy (the 1,259 training digits are memorised); +-8 % translations and
        # +-3 % rotations with ReLU reach 0.989. The paper's scaled tanh stays the builder's
        # default; the recipe picks what trains best on 8x8 digits upsampled to 32x32. The
        # translation and rotation run as one warp of each batch (pipeline.FusedWarp, the same
        # random draws): measured 0.9833 test accuracy with it (seed 0), the bar is 0.98.
        data_options={"augment": (("translation", 0.08), ("rotation", 0.03))},
        config={"activation": "relu"},
        preset="canonical",
        min_test_accuracy=0.98,
        # Measured 2026-12-04: `keras-zoo train lenet5` end to end on 2 idle cores (0.9833).
        train_minutes={"lenet5": 0.26},
    ),
]
