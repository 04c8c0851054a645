"""Inflation of a 2-D network into a 3-D one (Carreira & Zisserman, Quo Vadis, Action
Recognition? A New Model and the Kinetics Dataset, CVPR 2017, section 2.4).

Every N x N filter becomes N x N x N, its weights repeated N times along time and divided by N,
so that a "boring video" (one image repeated) gives the 2-D network's activations wherever the
temporal window stays inside the clip; pooling windows grow a time axis too, except the first
two max poolings, which stay 1 x k x k so that time is not merged too early (Fig. 3).
"""

import keras
import numpy as np

from keras_zoo.layers.average_pooling_3d import SeparableAveragePooling3D
from keras_zoo.layers.max_pooling_3d import SeparableMaxPooling3D
from keras_zoo.layers.padded_conv_3d import PaddedConv3D

#: Layers that work unchanged on 5-D tensors (they act on the channel axis or elementwise).
_SAME = (keras.layers.BatchNormalization, keras.layers.Activation, keras.layers.ReLU,
         keras.layers.Concatenate, keras.layers.Add, keras.layers.Dense, keras.layers.Dropout)


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class _Inflater:
    def __init__(self, spatial_only_pools, time_strides):
        self.spatial_only_pools = spatial_only_pools
        self.time_strides = time_strides
        self.pools_seen = 0

    def __call__(self, layer):
        config = layer.get_config()
        name = layer.name
        if isinstance(layer, keras.layers.Conv2D) and type(layer) is keras.layers.Conv2D:
            (kh, kw), (sh, sw) = _pair(layer.kernel_size), _pair(layer.strides)
            if layer.groups != 1 or _pair(layer.dilation_rate) != (1, 1):
                raise ValueError(f"inflate: {name} is grouped or dilated; only plain "
                                 "convolutions inflate.")
            kt = kh if kh > 1 else 1
            st = sh if self.time_strides and kt > 1 else 1
            # A strided "same" convolution pads explicitly (PaddedConv3D, the same function):
            # TensorFlow's CPU filter gradient of the SAME-padded 7 x 7 x 7 stride-2 Conv3D is
            # wrong for some clip lengths (NaN from the first epoch on 7 flow frames).
            strided_same = layer.padding == "same" and (st, sh, sw) != (1, 1, 1)
            conv = PaddedConv3D if strided_same else keras.layers.Conv3D
            return conv(
                layer.filters, (kt, kh, kw), strides=(st, sh, sw), padding=layer.padding,
                use_bias=layer.use_bias, activation=config["activation"], name=name)
        if isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
            (ph, pw), (sh, sw) = _pair(layer.pool_size), _pair(layer.strides)
            self.pools_seen += isinstance(layer, keras.layers.MaxPooling2D)
            spatial_only = (isinstance(layer, keras.layers.MaxPooling2D)
                            and self.pools_seen <= self.spatial_only_pools)
            pt, st = (1, 1) if spatial_only else (ph, sh if self.time_strides else 1)
            cls = (SeparableMaxPooling3D if isinstance(layer, keras.layers.MaxPooling2D)
                   else SeparableAveragePooling3D)
            return cls((pt, ph, pw), (st, sh, sw), layer.padding, name=name)
        if isinstance(layer, keras.layers.GlobalAveragePooling2D):
            return keras.layers.GlobalAveragePooling3D(name=name)
        if isinstance(layer, keras.layers.GlobalMaxPooling2D):
            return keras.layers.GlobalMaxPooling3D(name=name)
        if isinstance(layer, keras.layers.ZeroPadding2D):
            (top, bottom), (left, right) = layer.padding
            return keras.layers.ZeroPadding3D(((0, 0), (top, bottom), (left, right)), name=name)
        if type(layer) in _SAME:
            return layer.__class__.from_config(config)
        raise ValueError(f"inflate: no 3-D counterpart for layer {name!r} "
                         f"({type(layer).__name__}); inflatable: Conv2D, Max/AveragePooling2D, "
                         f"Global pooling, ZeroPadding2D, and "
                         f"{[c.__name__ for c in _SAME]}.")


def inflate_kernel(kernel, frames):
    """``[kh, kw, cin, cout]`` -> ``[frames, kh, kw, cin, cout]``: repeated and divided by the
    number of frames, so a constant-in-time input gives the 2-D response."""
    return np.repeat(np.asarray(kernel)[None], frames, axis=0) / frames


def inflate(model, frames, spatial_only_pools=2, time_strides=True, name=None):
    """A 3-D copy of a functional 2-D ``model`` taking clips ``[B, frames, H, W, C]``, with the
    2-D weights inflated (``inflate_kernel``) and every other weight copied.

    Args:
        model: a functional image model built from Conv2D, BatchNormalization, activations,
            Max/AveragePooling2D, global pooling, ZeroPadding2D, Concatenate, Add, Dense,
            Dropout.
        frames: the clip length T.
        spatial_only_pools: how many of the first max poolings stay 1 x k x k (I3D: 2).
        time_strides: a strided convolution or pooling also strides in time (I3D: yes).
        name: the 3-D model's name (default: the 2-D name with "_inflated").
    """
    if not isinstance(model, keras.Model) or not hasattr(model, "inputs") or not model.inputs:
        raise ValueError("inflate takes a functional keras.Model.")
    h, w, c = model.input_shape[1:]
    clips = keras.Input((frames, h, w, c), name="clips")
    inflater = _Inflater(spatial_only_pools, time_strides)
    clone = keras.models.clone_model(model, input_tensors=clips, clone_function=inflater)
    for layer in model.layers:
        if not layer.weights:
            continue
        target = clone.get_layer(layer.name)
        weights = layer.get_weights()
        if isinstance(target, keras.layers.Conv3D):
            weights[0] = inflate_kernel(weights[0], target.kernel_size[0])
        target.set_weights(weights)
    outputs = clone.outputs[0] if len(clone.outputs) == 1 else clone.outputs
    return keras.Model(clips, outputs, name=name or f"{model.name}_inflated")
