"""SE-ResNet (Hu, Shen & Sun, Squeeze-and-Excitation Networks, CVPR 2018).

ResNet-50/101 with a squeeze-and-excitation gate (``keras_zoo.layers.SqueezeExcitation``,
r = 16) on every bottleneck's residual branch, before the addition (the paper's Fig. 3).
SE-ResNet-50 has the paper's 28.09M parameters (Table 1: 28.1M). Built with ``resnet.ResNet``
(bias-free convolutions: BN follows each).
"""

from keras_zoo.models.classification.resnet import DEPTHS, ResNet
from keras_zoo.models.registry import register

PAPER = "Hu, Shen & Sun, Squeeze-and-Excitation Networks, CVPR 2018"


def SEResNet(depth=50, **kwargs):
    """SE-ResNet-``depth``.

    Args:
        depth: 50, 101 or 152.
        **kwargs: any ``resnet.ResNet`` argument (the keras.applications set included).

    Example:
        >>> model = SEResNet(50)  # 28.09M parameters
    """
    if depth not in DEPTHS or DEPTHS[depth][0] != "bottleneck":
        raise ValueError(f"SEResNet: depth must be one of 50, 101, 152, got {depth!r}.")
    config = dict(block="bottleneck", stack_sizes=DEPTHS[depth][1], se=True, use_bias=False,
                  name=f"se_resnet{depth}")
    return ResNet(**{**config, **kwargs})


register(
    "se_resnet50",
    task="classification",
    family="se_resnet",
    tiny=dict(depth=50, stack_sizes=(1, 1), filters=(8, 16), stem_filters=8,
              input_shape=(32, 32, 3), classes=10),
    canonical=dict(depth=50, input_shape=(224, 224, 3), classes=1000),
    paper=PAPER,
    params=28_141_144,
    notes="SE on every residual branch, r = 16; 28,088,024 trainable (paper: 28.09M)",
)(SEResNet)
