"""The deconvnet visualisation of Zeiler & Fergus, Visualizing and Understanding Convolutional
Networks, ECCV 2014, section 2.1: one unit's top activation, all others of its layer set to
zero, is projected back to pixel space through the layers below it: max unpooling with the
switches recorded by the forward pass, rectification of the signal (a ReLU), and the transposed
filters of each convolution (the convolution's adjoint; biases do not enter).

Beyond the paper's layers (convolution, ReLU, max pooling), every other layer of a plain chain
(dense, flatten, dropout, batch normalisation, padding, average pooling, rescaling) is passed by
its adjoint at the forward point, and a non-ReLU activation by its derivative. A network that
branches (residual additions, concatenations) has no single path to project through: a clear
error suggests Grad-CAM.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.explain import model_io
from keras_zoo.explain.class_activation import normalize_max
from keras_zoo.layers.max_unpooling import MaxPoolingWithArgmax, MaxUnpooling


def _chain(model, end):
    """The layers from the input to ``end`` (included), when the path is a single chain."""
    chain = [end]
    layer = end
    while not isinstance(layer, keras.layers.InputLayer):
        if len(layer._inbound_nodes) != 1:
            raise ValueError(f"deconvnet: layer {layer.name!r} of {model.name} is called "
                             f"{len(layer._inbound_nodes)} times; use grad_cam.")
        inputs = layer._inbound_nodes[0].input_tensors
        if len(inputs) != 1:
            raise ValueError(f"deconvnet: {model.name} branches at layer {layer.name!r} "
                             f"({len(inputs)} inputs); the deconvnet projects through a plain "
                             "chain of layers (Zeiler & Fergus 2014). Use grad_cam.")
        layer = inputs[0]._keras_history[0]
        if isinstance(layer, keras.Model):
            raise ValueError(f"deconvnet: {model.name} nests model {layer.name!r}; use grad_cam.")
        chain.append(layer)
    return chain[::-1][1:]  # without the InputLayer


def _activation_name(layer):
    if isinstance(layer, keras.layers.ReLU):
        return "relu"
    return getattr(getattr(layer, "activation", None), "__name__", None)


def _adjoint(layer, inputs, signal, linear=False):
    """``J^T signal``: the layer's Jacobian transposed at ``inputs`` (without its activation
    when ``linear``)."""
    inputs = tf.convert_to_tensor(inputs)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        if linear:
            activation = layer.activation
            object.__setattr__(layer, "activation", keras.activations.linear)
            try:
                out = layer(inputs, training=False)
            finally:
                object.__setattr__(layer, "activation", activation)
        else:
            out = layer(inputs, training=False)
    return tape.gradient(out, inputs, output_gradients=signal)


def _project(layer, inputs, signal):
    """One step of the deconvnet from a layer's output back to its input."""
    if isinstance(layer, keras.layers.MaxPooling2D):
        # Section 2.1, "Unpooling": the switches of the forward pass place each value.
        _, switches = MaxPoolingWithArgmax(layer.pool_size, layer.strides, layer.padding)(inputs)
        return MaxUnpooling(output_size=tuple(inputs.shape[1:3]))([signal, switches])
    name = _activation_name(layer)
    if name == "relu":  # section 2.1, "Rectification": the signal itself is rectified
        signal = tf.nn.relu(signal)
        if isinstance(layer, (keras.layers.ReLU, keras.layers.Activation)):
            return signal
        return _adjoint(layer, inputs, signal, linear=True)
    if name in ("softmax", "linear", None):  # the head's softmax: the projection starts at logits
        return _adjoint(layer, inputs, signal, linear=name == "softmax")
    return _adjoint(layer, inputs, signal)


def deconvnet(model, images, class_index=None, layer=None, unit=None, normalize=True,
              return_reconstruction=False, pixel_range=None):
    """Projects one unit's activation back to the pixels (Zeiler & Fergus 2014, section 2.1).

    Args:
        model: a functional classifier whose layers form a single chain (LeNet, AlexNet, ZFNet,
            VGG, Madry's network ...).
        images: ``[H, W, C]`` or ``[B, H, W, C]`` in the model's input range.
        class_index: with ``layer=None``, the class logit to project (default the predicted
            class); must be None when ``layer`` is given.
        layer: the name of a 4-D feature-map layer whose unit is projected.
        unit: the channel of ``layer``; default the channel with the strongest activation. Its
            top activation (one position) is kept, every other activation of the layer is zero.
        normalize: divide each heat map by its maximum.
        return_reconstruction: return the ``[B, H, W, C]`` projection instead of the heat map.
        pixel_range: the model's input range, when not [0, 1] (float) or [0, 255] (uint8).

    Returns:
        The heat map ``max_c |projection|``: ``[H, W]`` (one image) or ``[B, H, W]``; or the
        projection itself.
    """
    batch, single = model_io.as_batch(model, images, pixel_range_=pixel_range)
    if not model_io.is_keras(model) or not getattr(model, "outputs", None):
        raise ValueError("model: the deconvnet follows a functional Keras model's layers; "
                         f"{getattr(model, 'name', type(model).__name__)} has none. Use grad_cam.")
    if layer is not None and class_index is not None:
        raise ValueError("class_index: give either a class (projected from the head) or a "
                         f"layer={layer!r} and unit, not both.")
    if layer is None:
        end = model_io.output_layer(model)
    else:
        try:
            end = model.get_layer(layer)
        except ValueError:
            names = [lay.name for lay in model.layers if len(lay.output.shape) == 4]
            raise ValueError(f"layer={layer!r}: no such layer in {model.name}; layers with a "
                             f"4-D output: {names[-8:]}.") from None
    chain = _chain(model, end)
    inputs, x = [], tf.convert_to_tensor(batch)
    for lay in chain:
        inputs.append(x)
        if lay is chain[-1] and layer is None:
            with model_io.linear_head(lay):
                x = lay(x, training=False)
        else:
            x = lay(x, training=False)
    top = x.numpy()
    signal = np.zeros_like(top)
    if layer is None:
        classes = model_io.class_indices(class_index, top)
        signal[np.arange(len(top)), classes] = 1.0
    else:
        if top.ndim != 4:
            raise ValueError(f"layer={layer!r}: output shape {top.shape}; the deconvnet projects "
                             "a unit of a [B, H, W, C] feature map.")
        channels = top.shape[-1]
        if unit is None:
            units = top.reshape(len(top), -1, channels).max(axis=1).argmax(axis=-1)
        else:
            if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) \
                    or not 0 <= unit < channels:
                raise ValueError(f"unit={unit!r}: {layer!r} has {channels} channels.")
            units = np.full(len(top), unit)
        for b, c in enumerate(units):
            i, j = np.unravel_index(np.argmax(top[b, ..., c]), top.shape[1:3])
            signal[b, i, j, c] = top[b, i, j, c]
    signal = tf.convert_to_tensor(signal)
    for lay, lay_inputs in zip(reversed(chain), reversed(inputs), strict=True):
        signal = _project(lay, lay_inputs, signal)
        if signal is None:
            raise model_io.no_gradient_error(model, f"layer {lay.name!r}")
    projection = signal.numpy()
    if return_reconstruction:
        return projection[0] if single else projection
    maps = np.abs(projection).max(axis=-1)
    maps = normalize_max(maps) if normalize else maps
    return maps[0] if single else maps
