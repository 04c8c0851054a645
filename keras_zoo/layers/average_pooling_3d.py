"""3-D average pooling written with 2-D average pooling, so that it converts to TFLite."""

import keras
from keras import ops

from keras_zoo.layers.max_pooling_3d import SeparableMaxPooling3D


@keras.saving.register_keras_serializable(package="keras_zoo")
class SeparableAveragePooling3D(SeparableMaxPooling3D):
    """Average pooling over ``(time, height, width)`` windows of ``[B, T, H, W, C]`` inputs, as a
    2-D average over each frame and then one over the frames.

    Exact, "same" padding included: TensorFlow's average excludes padded positions, and the
    valid part of a box window is a product of intervals, so the mean over the box is the mean
    over time of the means over space. TFLite has no 3-D average pooling builtin; AVERAGE_POOL_2D
    is one.

    Args:
        pool_size, strides, padding: as ``keras.layers.AveragePooling3D``'s.
    """

    _pool_2d = staticmethod(ops.average_pool)
