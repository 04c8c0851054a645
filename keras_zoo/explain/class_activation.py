"""Class activation maps: CAM (Zhou et al., Learning Deep Features for Discriminative
Localization, CVPR 2016) and Grad-CAM (Selvaraju et al., Grad-CAM: Visual Explanations from Deep
Networks via Gradient-based Localization, ICCV 2017).

CAM needs the network it was defined for: a last convolutional map, global average pooling and
one dense layer; then ``M_k(x, y) = sum_c w_{c,k} A_c(x, y)`` (section 2). Grad-CAM replaces the
dense weights by the spatial mean of the gradient of the class score (before the softmax) with
respect to any 4-D feature map, ``alpha_c = mean_{x,y} d y_k / d A_c(x, y)``, and keeps the
positive part, ``ReLU(sum_c alpha_c A_c)`` (section 3, eq. 1-2); on a GAP + dense network
``alpha_c = w_{c,k} / (h w)``, so Grad-CAM is CAM's positive part up to a constant (section 3.1).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_zoo.explain import model_io

# Layers that may sit between the global average pooling and the dense head of a CAM network.
_CAM_PASS_THROUGH = (keras.layers.Dropout, keras.layers.Flatten, keras.layers.Activation,
                     keras.layers.Identity)


def _is_container(layer):
    return any(True for _ in layer._flatten_layers(include_self=False, recursive=False))


def _rank(tensor):
    return len(getattr(tensor, "shape", ()))


def find_target(records, layer=None, model=None):
    """Index into ``records`` of the feature map to explain: the last 4-D output that ran (the
    last feature map before the global pooling / flatten of the head), or the last call of the
    layer named ``layer``."""
    if layer is not None:
        if not isinstance(layer, str):
            raise ValueError(f"layer must be a layer name (str), got {layer!r}.")
        hits = [i for i, (lay, _) in enumerate(records) if lay.name == layer]
        if not hits:
            names = [lay.name for lay, out in records if _rank(out) == 4]
            raise ValueError(f"layer={layer!r}: no such layer in {model.name}; layers with a "
                             f"4-D output: {names[-8:]}.")
        index = hits[-1]
        if _rank(records[index][1]) != 4:
            raise ValueError(f"layer={layer!r}: its output has shape {records[index][1].shape}; "
                             "Grad-CAM needs a [B, H, W, C] feature map.")
        return index
    candidates = [i for i, (_, out) in enumerate(records) if _rank(out) == 4]
    if not candidates:
        raise ValueError(f"{model.name}: no 4-D feature map (a convolutional layer) to explain.")
    return candidates[-1]


def _forward_with_records(model):
    return model_io.Forward(model, logits=True, watch=model_io.leaf_layers(model))


def upsample(maps, size):
    """``[B, h, w]`` maps resized bilinearly to ``size`` (H, W)."""
    maps = np.asarray(maps, np.float32)
    if maps.shape[1:3] == tuple(size):
        return maps
    return tf.image.resize(maps[..., None], size, "bilinear").numpy()[..., 0]


def normalize_max(maps):
    """Each map divided by its maximum (maps that are >= 0; an all-zero map stays zero)."""
    peak = maps.reshape(len(maps), -1).max(axis=1).reshape(-1, 1, 1)
    return np.where(peak > 0, maps / np.where(peak > 0, peak, 1), 0.0).astype(np.float32)


def normalize_min_max(maps):
    """Each map scaled to [0, 1] (a constant map becomes zero)."""
    flat = maps.reshape(len(maps), -1)
    low = flat.min(axis=1).reshape(-1, 1, 1)
    span = flat.max(axis=1).reshape(-1, 1, 1) - low
    return np.where(span > 0, (maps - low) / np.where(span > 0, span, 1), 0.0).astype(np.float32)


def _finish(maps, single):
    return maps[0] if single else maps


def grad_cam(model, images, class_index=None, layer=None, normalize=True, pixel_range=None):
    """Grad-CAM heat maps (Selvaraju et al. 2017, section 3) at the input's size.

    Args:
        model: a classifier (functional or subclassed; float or uint8 input).
        images: ``[H, W, C]`` or ``[B, H, W, C]`` in the model's input range (uint8 images are
            divided by 255 for a [0, 1] model).
        class_index: the class to explain (int or one per image); default the predicted one.
        layer: the name of the feature-map layer; default the last 4-D feature map before the
            head's global pooling / flatten.
        normalize: divide each map by its maximum (the raw map otherwise).
        pixel_range: the model's input range, when not [0, 1] (float) or [0, 255] (uint8).

    Returns:
        ``[H, W]`` (one image) or ``[B, H, W]`` float32, >= 0.
    """
    batch, single = model_io.as_batch(model, images, pixel_range_=pixel_range)
    maps = _grad_cam_feature_maps(model, batch, class_index, layer)
    maps = upsample(maps, batch.shape[1:3])
    return _finish(normalize_max(maps) if normalize else maps, single)


def _grad_cam_feature_maps(model, batch, class_index, layer, relu=True):
    """Grad-CAM at the feature map's resolution ``[B, h, w]``, and the classes explained."""
    if not model_io.is_keras(model):
        raise model_io.no_gradient_error(model, "its feature maps")
    forward = _forward_with_records(model)
    x = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = forward(x)
        index = find_target(forward.records, layer, model)
        features = forward.records[index][1]
        classes = model_io.class_indices(class_index, scores)
        score = tf.reduce_sum(tf.gather(scores, classes, axis=1, batch_dims=1))
    gradients = tape.gradient(score, features)
    if gradients is None:
        raise model_io.no_gradient_error(model, f"layer {forward.records[index][0].name!r}")
    alpha = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)
    maps = tf.reduce_sum(alpha * features, axis=-1).numpy()
    return np.maximum(maps, 0.0) if relu else maps


def cam_head(model, records):
    """``(index of the feature map, dense kernel [C, K])`` of a GAP + dense network; a clear
    ValueError suggesting Grad-CAM otherwise."""
    leaves = [(i, lay, out) for i, (lay, out) in enumerate(records) if not _is_container(lay)]
    gap = [k for k, (_, lay, _) in enumerate(leaves)
           if isinstance(lay, keras.layers.GlobalAveragePooling2D)]

    def refuse(why):
        return ValueError(f"cam: {model.name} is not a global-average-pooling + dense network "
                          f"({why}); CAM is defined only for that head (Zhou et al. 2016). Use "
                          "grad_cam, which works on any convolutional classifier.")

    if not gap:
        raise refuse("no GlobalAveragePooling2D")
    k = gap[-1]
    tail = leaves[k + 1:]
    dense = [lay for _, lay, _ in tail if isinstance(lay, keras.layers.Dense)]
    others = [lay for _, lay, _ in tail
              if not isinstance(lay, (keras.layers.Dense,) + _CAM_PASS_THROUGH)]
    if len(dense) != 1 or others or not isinstance(tail[-1][1], keras.layers.Dense):
        extra = [lay.name for lay in dense[:-1] + others]
        raise refuse(f"layers between the pooling and the output: {extra}" if extra
                     else "its last layer is not a dense classifier")
    feature = [i for i, (_, out) in enumerate(records[:leaves[k][0]]) if _rank(out) == 4]
    return feature[-1], dense[0].kernel


def cam(model, images, class_index=None, normalize=True, pixel_range=None):
    """Class activation maps (Zhou et al. 2016, section 2) at the input's size.

    Args:
        model: a classifier whose head is global average pooling then one dense layer.
        images: ``[H, W, C]`` or ``[B, H, W, C]`` in the model's input range.
        class_index: the class to explain (int or one per image); default the predicted one.
        normalize: scale each map to [0, 1] (the raw ``sum_c w_c A_c`` otherwise).
        pixel_range: the model's input range, when not [0, 1] (float) or [0, 255] (uint8).

    Returns:
        ``[H, W]`` (one image) or ``[B, H, W]`` float32.
    """
    batch, single = model_io.as_batch(model, images, pixel_range_=pixel_range)
    if not model_io.is_keras(model):
        raise ValueError(f"model: cam reads the weights of a Keras model, got {type(model)}.")
    forward = _forward_with_records(model)
    scores = forward(tf.convert_to_tensor(batch))
    index, kernel = cam_head(model, forward.records)
    classes = model_io.class_indices(class_index, scores)
    features = np.asarray(forward.records[index][1])
    weights = np.asarray(kernel)[:, classes].T  # [B, C]
    if features.shape[-1] != weights.shape[-1]:
        raise ValueError(f"cam: {model.name}'s last feature map has {features.shape[-1]} "
                         f"channels, its dense head {weights.shape[-1]} inputs; use grad_cam.")
    maps = np.einsum("bhwc,bc->bhw", features, weights)
    maps = upsample(maps, batch.shape[1:3])
    return _finish(normalize_min_max(maps) if normalize else maps, single)
