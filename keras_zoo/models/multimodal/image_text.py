"""What the image-text transformers (VL-BERT, ViLBERT) share: region features from a CNN
feature map by RoIAlign with their location embedding, and the masked multimodal loss."""

from __future__ import annotations

import keras
from keras import ops

from keras_zoo.data import captions as captions_data
from keras_zoo.models.detection.roi_head import BatchedRoIAlign


def check_positive(owner, name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}.")


def conv_stages(x, filters, prefix, convs=2):
    """Stages of ``convs`` 3x3 ReLU convolutions and a 2x2 max-pool, one per width of
    ``filters`` (the small CNN the multimodal models train in place of a pretrained backbone);
    layers named ``{prefix}_conv{stage}_{i}`` and ``{prefix}_pool{stage}``."""
    for i, f in enumerate(filters):
        for j in range(convs):
            x = keras.layers.Conv2D(f, 3, padding="same", activation="relu",
                                    name=f"{prefix}_conv{i + 1}_{j + 1}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"{prefix}_pool{i + 1}")(x)
    return x


def pretraining_inputs(input_shape, caption_length, regions=captions_data.REGIONS):
    """The symbolic inputs of ``keras_zoo.data.captions.pretraining``'s ``x``."""
    return {"image": keras.Input(input_shape, name="image"),
            "tokens": keras.Input((caption_length,), dtype="int32", name="tokens"),
            "boxes": keras.Input((regions, 4), name="boxes"),
            "region_valid": keras.Input((regions,), name="region_valid"),
            "region_masked": keras.Input((regions,), name="region_masked")}


def region_features(inputs, filters, width, pool_size=2, prefix="visual"):
    """``[B, R, width]`` visual embeddings of the boxes: a CNN feature map (the detector
    backbone's role: two 3x3 convs and a 2x2 max-pool per stage), RoIAlign (Mask R-CNN) of each
    box averaged over its bins, projected, plus a projection of the 5-d location
    ``(x1/W, y1/H, x2/W, y2/H, area fraction)`` (ViLBERT section 3.2). Masked regions'
    features are zeroed (their location is kept), as in both papers' masked region modelling.
    """
    image, boxes = inputs["image"], inputs["boxes"]
    h, w = image.shape[1], image.shape[2]
    x = conv_stages(image, filters, prefix)
    scale = x.shape[1] / h
    pooled = BatchedRoIAlign(pool_size, scale, name=f"{prefix}_roi_align")(x, boxes)
    pooled = ops.mean(pooled, axis=(2, 3))  # [B, R, C]
    keep = 1.0 - inputs["region_masked"]
    pooled = pooled * ops.expand_dims(keep, -1)
    scale_box = ops.convert_to_tensor([w, h, w, h], "float32")
    corners = boxes / scale_box
    area = (corners[..., 2:3] - corners[..., 0:1]) * (corners[..., 3:4] - corners[..., 1:2])
    location = ops.concatenate([corners, area], axis=-1)
    features = keras.layers.Dense(width, name=f"{prefix}_feature_projection")(pooled)
    location = keras.layers.Dense(width, name=f"{prefix}_location_projection")(location)
    return keras.layers.Add(name=f"{prefix}_embedding")([features, location])


def masked_multimodal_loss(y, y_pred, region_weight=1.0, alignment_weight=1.0):
    """Masked language modelling over the masked words + masked region classification over
    the masked regions (both on aligned pairs only, as the papers mask aligned image-caption
    pairs) + binary cross-entropy of the alignment prediction. Without ``region_targets`` in
    ``y``, words and alignment only.

    The papers' region target is the detector's class distribution (a KL divergence); the
    shapes' regions have an exact class, so it is a one-hot cross-entropy here.
    """
    aligned = ops.cast(y["alignment"], "float32")
    words = ops.cast(ops.greater(y["word_targets"], 0), "float32") * aligned[:, None]
    nll = keras.losses.sparse_categorical_crossentropy(
        ops.maximum(y["word_targets"], 0), y_pred["word_logits"], from_logits=True)
    word_loss = ops.sum(nll * words) / ops.maximum(ops.sum(words), 1.0)
    alignment_loss = ops.mean(keras.losses.binary_crossentropy(
        aligned[:, None], y_pred["alignment_logit"], from_logits=True))
    if "region_targets" not in y:  # a text-video model without masked region classification
        return word_loss + alignment_weight * alignment_loss
    regions = ops.cast(ops.greater_equal(y["region_targets"], 0), "float32") * aligned[:, None]
    region_nll = keras.losses.sparse_categorical_crossentropy(
        ops.maximum(y["region_targets"], 0), y_pred["region_logits"], from_logits=True)
    region_loss = ops.sum(region_nll * regions) / ops.maximum(ops.sum(regions), 1.0)
    return word_loss + region_weight * region_loss + alignment_weight * alignment_loss
