"""What the image-text transformers (VL-BERT, ViLBERT) share: region features (RoIAlign over a
small CNN, or the zoo's Faster R-CNN's backbone, RoIAlign and box head) with their location
embedding, and the masked multimodal loss."""

from __future__ import annotations

import json
import zipfile

import keras
from keras import ops

from keras_zoo.blocks.roi import box_head_features
from keras_zoo.data import captions as captions_data
from keras_zoo.models.detection import common as detection_common
from keras_zoo.models.detection.roi_head import BatchedRoIAlign

#: ``region_encoder`` values: RoIAlign over a small CNN trained with the model, or the zoo's
#: Faster R-CNN's backbone + RoIAlign + box head (``fc7``) on the given boxes.
REGION_ENCODERS = ("cnn", "faster_rcnn")

#: The Faster R-CNN arguments that define its region features (``keras_zoo.models.detection.
#: faster_rcnn.FasterRCNN``'s ``backbone``, ``filters``, ``pool_size``, ``head_units``).
DETECTOR_KEYS = ("backbone", "filters", "pool_size", "head_units")


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


def _faster_rcnn_config(path):
    """The ``config`` of a ``.keras`` file holding a ``FasterRCNN``; a ``ValueError`` naming
    what the file is otherwise."""
    try:
        with zipfile.ZipFile(path) as archive:
            saved = json.loads(archive.read("config.json"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as error:
        raise ValueError(f"region_encoder_weights={path!r} is not a faster_rcnn .keras "
                         f"checkpoint ({type(error).__name__}: {error}).") from None
    found = saved.get("registered_name") or saved.get("class_name")
    if found != "keras_zoo>FasterRCNN":
        raise ValueError(f"region_encoder_weights={path!r} is not a faster_rcnn checkpoint: it "
                         f"holds {found!r} (keras_zoo>FasterRCNN expected).")
    return saved["config"]


def detector_config(region_encoder, region_encoder_config, region_encoder_weights, filters,
                    owner):
    """The validated ``(region_encoder, detector config or None)`` of a VL-BERT / ViLBERT.

    For ``"faster_rcnn"`` the detector's ``DETECTOR_KEYS``: from ``region_encoder_weights``'s
    checkpoint if given (a ``region_encoder_config`` must then agree with it), else
    ``region_encoder_config`` over the defaults ``backbone=None`` (the Faster R-CNN conv stack
    of the model's ``filters``), ``pool_size=2``, ``head_units=64``.
    """
    if region_encoder not in REGION_ENCODERS:
        raise ValueError(f"{owner}: region_encoder must be one of {REGION_ENCODERS}, got "
                         f"{region_encoder!r}.")
    if region_encoder == "cnn":
        if region_encoder_config or region_encoder_weights:
            raise ValueError(f"{owner}: region_encoder_config and region_encoder_weights "
                             "need region_encoder='faster_rcnn'.")
        return region_encoder, None
    given = dict(region_encoder_config or {})
    unknown = sorted(set(given) - set(DETECTOR_KEYS))
    if unknown:
        raise ValueError(f"{owner}: region_encoder_config keys must be among {DETECTOR_KEYS}, "
                         f"got {unknown}.")
    config = {"backbone": None, "filters": tuple(filters), "pool_size": 2, "head_units": 64}
    if region_encoder_weights:
        saved = _faster_rcnn_config(region_encoder_weights)
        saved = {key: saved[key] for key in DETECTOR_KEYS}
        for key, value in given.items():
            same = (tuple(value) == tuple(saved[key]) if key == "filters"
                    else value == saved[key])
            if not same:
                raise ValueError(f"{owner}: region_encoder_config {key}={value!r} disagrees "
                                 f"with the checkpoint's {saved[key]!r}.")
        given = saved
    config.update(given)
    config["filters"] = tuple(config["filters"])
    for key in ("pool_size", "head_units"):
        check_positive(owner, f"region_encoder_config {key}", config[key])
    return region_encoder, config


def faster_rcnn_region_encoder(input_shape, regions, config, weights=None,
                               name="region_encoder"):
    """``keras.Model([image, boxes [B, R, 4]]) -> [B, R, head_units]``: the zoo's Faster
    R-CNN's region features for given boxes, built from its own pieces and layer names: the
    backbone (``keras_zoo.models.detection.common.backbone_features``), RoIAlign at the
    backbone's stride (``BatchedRoIAlign``, ``roi_align``) and the box head's ``fc6``/``fc7``
    (``keras_zoo.blocks.roi.box_head_features``), whose ``fc7`` output is the region feature
    (VL-BERT section 3.2 and ViLBERT section 3.2 take a detector's region features).

    Args:
        input_shape: the image's ``(H, W, 3)``.
        regions: boxes per image.
        config: the detector's ``DETECTOR_KEYS`` (``detector_config``).
        weights: a ``faster_rcnn`` ``.keras`` file whose backbone, ``fc6`` and ``fc7``
            weights are copied, or ``None`` (random).
        name: the sub-model's name.
    """
    image = keras.Input(input_shape, name="images")
    boxes = keras.Input((regions, 4), name="boxes")
    features = detection_common.backbone_features(image, config["backbone"],
                                                  tuple(config["filters"]))[-1]
    stride = input_shape[0] / features.shape[1]
    pooled = BatchedRoIAlign(config["pool_size"], 1.0 / stride, name="roi_align")(features,
                                                                                   boxes)
    fc7 = box_head_features(pooled, config["head_units"])
    encoder = keras.Model([image, boxes], fc7, name=name)
    if weights:
        _faster_rcnn_config(weights)
        detector = keras.saving.load_model(weights, compile=False, safe_mode=True)
        for layer in encoder.layers:
            if layer.weights:
                layer.set_weights(detector.get_layer(layer.name).get_weights())
    return encoder


def region_features(inputs, filters, width, pool_size=2, prefix="visual", encoder=None):
    """``[B, R, width]`` visual embeddings of the boxes: a CNN feature map (the detector
    backbone's role: two 3x3 convs and a 2x2 max-pool per stage), RoIAlign (Mask R-CNN) of each
    box averaged over its bins, projected, plus a projection of the 5-d location
    ``(x1/W, y1/H, x2/W, y2/H, area fraction)`` (ViLBERT section 3.2). Masked regions'
    features are zeroed (their location is kept), as in both papers' masked region modelling.

    ``encoder``: a ``faster_rcnn_region_encoder`` whose ``fc7`` features replace the CNN's.
    """
    image, boxes = inputs["image"], inputs["boxes"]
    h, w = image.shape[1], image.shape[2]
    if encoder is None:
        x = conv_stages(image, filters, prefix)
        scale = x.shape[1] / h
        pooled = BatchedRoIAlign(pool_size, scale, name=f"{prefix}_roi_align")(x, boxes)
        pooled = ops.mean(pooled, axis=(2, 3))  # [B, R, C]
    else:
        pooled = encoder([image, boxes])  # [B, R, head_units]
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
