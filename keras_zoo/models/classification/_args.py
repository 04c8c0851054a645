"""The argument checks keras.applications makes on top of ``common.validate_args``.

keras.applications' ``obtain_input_shape`` refuses, with ``include_top=True``, an input shape
whose height or width is unknown (the head then has no fixed size), and refuses sizes under the
network's minimum. ``fixed_shape`` models (a Flatten + Dense head: VGG, LeCun 1989, Madry) also
refuse any shape other than the one their head was sized for.
"""

from keras_zoo.models.classification import common


def validate(*, name, weights, input_shape, default_shape, include_top, pooling, classes,
             min_size=32, fixed_shape=False):
    """``common.validate_args`` plus keras.applications' static-shape rule for the top.

    Args:
        name: the model's name, used in the error messages.
        weights, input_shape, include_top, pooling, classes: the user's arguments.
        default_shape: the shape used when ``input_shape`` is None.
        min_size: the smallest height/width the network accepts.
        fixed_shape: the head is a Flatten + Dense sized for ``default_shape``.
    """
    shape = common.validate_args(
        name=name, weights=weights, input_shape=input_shape, default_shape=default_shape,
        include_top=include_top, pooling=pooling, classes=classes, min_size=min_size,
        fixed_shape=fixed_shape,
    )
    if include_top and None in shape[:2]:
        raise ValueError(
            f"{name}: with include_top=True the input_shape needs a static height and width, "
            f"got {shape}; pass include_top=False for variable-size inputs."
        )
    return shape
