"""AlexNet (Krizhevsky, Sutskever & Hinton, ImageNet classification with deep convolutional
neural networks, NeurIPS 2012)."""

from keras_zoo.blocks.plain import conv_stack, dense_head
from keras_zoo.models.classification import common
from keras_zoo.models.registry import register


def AlexNet(
    filters=(96, 256, 384, 384, 256),
    dense_units=(4096, 4096),
    groups=2,
    dropout=0.5,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=(227, 227, 3),
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="alexnet",
):
    """AlexNet: five convolutions with LRN after the first two, overlapping 3x3/2 max pooling,
    and three fully connected layers with dropout 0.5.

    The input is 227x227, not the paper's "224": ``floor((224 - 11) / 4) + 1 = 54``, while the
    paper's 55x55x96 first layer needs 227 (tests/notes/test_notes_vectors.py pins it). ``groups=2``
    reproduces the paper's two-GPU split of conv2, conv4 and conv5, which gives the paper's
    60,965,224 parameters ("60 million"); ``groups=1`` gives the single-tower 62,378,344.

    Args:
        filters: the filters of conv1..conv5.
        dense_units: the hidden fully connected layers.
        groups: convolution groups of conv2, conv4, conv5 (the paper's 2 GPUs).
        dropout: drop probability in the hidden fully connected layers.
        include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation: as in keras.applications.
        name: the model's name.
    """
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=(227, 227, 3),
        include_top=include_top, pooling=pooling, classes=classes, min_size=63,
    )
    inputs = common.image_input(input_tensor, shape)
    f1, f2, f3, f4, f5 = filters
    plan = [
        ("conv", f1, 11, 4, "valid"), ("lrn",), ("pool", 3, 2, "valid"),
        ("conv", f2, 5, 1, "same", groups), ("lrn",), ("pool", 3, 2, "valid"),
        ("conv", f3, 3, 1, "same"),
        ("conv", f4, 3, 1, "same", groups),
        ("conv", f5, 3, 1, "same", groups), ("pool", 3, 2, "valid"),
    ]
    x = conv_stack(inputs, plan)
    if include_top:
        x = dense_head(x, dense_units, classes, classifier_activation, dropout)
    else:
        x = common.pool_features(x, pooling)
    return common.finish(inputs, x, name=name, weights=weights, input_tensor=input_tensor)


register(
    "alexnet",
    task="classification",
    family="alexnet",
    tiny=dict(filters=(8, 16, 16, 16, 16), dense_units=(32, 32), input_shape=(67, 67, 3),
              classes=10, dropout=0.0),
    canonical=dict(input_shape=(227, 227, 3), classes=1000),
    paper="Krizhevsky, Sutskever & Hinton, NeurIPS 2012",
    params=60_965_224,
)(AlexNet)
