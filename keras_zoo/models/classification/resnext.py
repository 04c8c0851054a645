"""ResNeXt (Xie, Girshick, Dollar, Tu & He, Aggregated Residual Transformations for Deep Neural
Networks, CVPR 2017).

A ResNet-50/101 whose bottleneck 3x3 is a grouped convolution of cardinality C groups of width
d (form (c) of the paper's Fig. 3, which equals the C-branch aggregation of form (a)). The
template of the paper's Table 1: ResNeXt-50 (32x4d) has 25.0M parameters. Built with
``resnet.ResNet`` (bias-free convolutions, stride in the 3x3 as in the paper's code).
"""

from keras_zoo.models.classification.resnet import DEPTHS, ResNet
from keras_zoo.models.registry import register

PAPER = ("Xie, Girshick, Dollar, Tu & He, Aggregated Residual Transformations for Deep Neural "
         "Networks, CVPR 2017")


def ResNeXt(depth=50, cardinality=32, width_per_group=4, **kwargs):
    """ResNeXt-``depth`` (``cardinality`` x ``width_per_group``d).

    Args:
        depth: 50, 101 or 152 (the ResNet bottleneck depths).
        cardinality: C, the groups of the 3x3 convolutions.
        width_per_group: d, each group's width in the first stage (doubling per stage).
        **kwargs: any ``resnet.ResNet`` argument (the keras.applications set included).

    Example:
        >>> model = ResNeXt(50, 32, 4)  # 25.0M parameters
    """
    if depth not in DEPTHS or DEPTHS[depth][0] != "bottleneck":
        raise ValueError(f"ResNeXt: depth must be one of 50, 101, 152, got {depth!r}.")
    config = dict(block="bottleneck", stack_sizes=DEPTHS[depth][1], groups=cardinality,
                  width_per_group=width_per_group, stride_at="3x3", use_bias=False,
                  name=f"resnext{depth}_{cardinality}x{width_per_group}d")
    return ResNet(**{**config, **kwargs})


register(
    "resnext50_32x4d",
    task="classification",
    family="resnext",
    recipe="classification_resnext",
    tiny=dict(depth=50, cardinality=2, width_per_group=4, stack_sizes=(1, 1), filters=(32, 64),
              stem_filters=8, input_shape=(32, 32, 3), classes=10),
    canonical=dict(depth=50, cardinality=32, width_per_group=4, input_shape=(224, 224, 3),
                   classes=1000),
    paper=PAPER,
    params=25_097_128,
    notes="paper: 25.0M; 25,028,904 trainable (torchvision's resnext50_32x4d exactly)",
)(ResNeXt)
