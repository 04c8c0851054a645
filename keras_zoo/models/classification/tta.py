"""Test-time augmentation as a model: a classifier's mean output over fixed views of the image
(Krizhevsky et al., ImageNet Classification with Deep Convolutional Neural Networks, NIPS 2012,
section 4.1: five crops and their mirror images; Simonyan & Zisserman, Very Deep Convolutional
Networks, ICLR 2015, section 3.2: several scales). The views are layers of the graph, so the
wrapper trains, saves, and exports to a SavedModel and TFLite like any classifier.
"""

import keras

from keras_zoo.layers.test_time_view import TestTimeView
from keras_zoo.layers.view_average import ViewAverage
from keras_zoo.models import registry

#: Where each crop sits, as (top, left) in units of the room the crop leaves.
_CROPS = {"center": (0.5, 0.5), "top_left": (0.0, 0.0), "top_right": (0.0, 1.0),
          "bottom_left": (1.0, 0.0), "bottom_right": (1.0, 1.0)}


def view_boxes(crops=(), crop_fraction=0.875, scales=()):
    """The ``(top, left, height, width)`` boxes: the whole image, each crop, each scale
    (``s > 1`` zooms in on the centre, ``s < 1`` zooms out)."""
    unknown = [c for c in crops if c not in _CROPS]
    if unknown:
        raise ValueError(f"crops: unknown {unknown}; expected some of {sorted(_CROPS)}.")
    if crops and not 0 < crop_fraction < 1:
        raise ValueError(f"crop_fraction must be in (0, 1), got {crop_fraction!r}.")
    boxes = [(0.0, 0.0, 1.0, 1.0)]
    room = 1.0 - crop_fraction
    boxes += [(room * _CROPS[c][0], room * _CROPS[c][1], crop_fraction, crop_fraction)
              for c in crops]
    for s in scales:
        if not s > 0 or s == 1:
            raise ValueError(f"scales: each must be > 0 and != 1, got {s!r}.")
        side = 1.0 / s
        boxes.append(((1 - side) / 2, (1 - side) / 2, side, side))
    return boxes


def TestTimeAugmentation(
    classifier=None,
    base="lenet5",
    base_config=None,
    flip=True,
    crops=("center", "top_left", "top_right", "bottom_left", "bottom_right"),
    crop_fraction=0.875,
    scales=(),
    average="probabilities",
    name=None,
):
    """A classifier averaged over test-time views (Krizhevsky et al. 2012, section 4.1).

    Args:
        classifier: a functional classifier with one image input (default: built from ``base``).
        base: the registry name of the classifier to build when ``classifier`` is None.
        base_config: the base's builder arguments (e.g. ``{"input_shape": (32, 32, 1)}``).
        flip: add the mirror image of every view (off for digits and text, which mirroring
            changes).
        crops: crop positions: some of "center", "top_left", "top_right", "bottom_left",
            "bottom_right".
        crop_fraction: each crop's side, as a fraction of the image's.
        scales: zoom factors of extra centred views (1.15 zooms in, 0.9 zooms out).
        average: "probabilities" (mean of the softmax outputs) or "logits".
        name: the model's name (default ``tta_<classifier>``).

    Returns:
        A functional model with the classifier's input and a softmax over the mean.
    """
    if classifier is None:
        classifier = registry.get(base, **dict(base_config or {}))
    elif base_config is not None:
        raise ValueError("base_config: only with base (a classifier was given).")
    if not isinstance(classifier, keras.Model) or len(getattr(classifier, "inputs", ())) != 1:
        raise ValueError("classifier: a functional Keras model with one image input.")
    output = classifier.outputs[0]._keras_history[0]
    softmax = isinstance(output, keras.layers.Softmax) or \
        getattr(getattr(output, "activation", None), "__name__", None) == "softmax"
    boxes = view_boxes(crops, crop_fraction, scales)
    inputs = keras.Input(classifier.input_shape[1:], name="images")
    scores = []
    for i, box in enumerate(boxes):
        for mirrored in ((False, True) if flip else (False,)):
            view = inputs if box == (0.0, 0.0, 1.0, 1.0) and not mirrored else \
                TestTimeView(box, mirrored, name=f"view{i}{'_flip' if mirrored else ''}")(inputs)
            out = classifier(view)
            scores.append(out[0] if isinstance(out, (list, tuple)) else out)
    mean = ViewAverage(average, from_probabilities=softmax,
                       name="view_average")(scores)
    outputs = keras.layers.Activation("softmax", name="predictions")(mean)
    return keras.Model(inputs, outputs, name=name or f"tta_{classifier.name}")


registry.register(
    "tta_lenet5",
    task="classification",
    family="tta",
    tiny=dict(base="lenet5", base_config=dict(input_shape=(32, 32, 1), classes=10,
                                              activation="relu"),
              flip=False, crops=("center",), scales=(0.9,)),
    canonical=dict(base="lenet5", base_config=dict(input_shape=(32, 32, 1), classes=10),
                   flip=False, crops=("center", "top_left", "top_right", "bottom_left",
                                      "bottom_right"), scales=(0.9, 1.1)),
    paper="Krizhevsky et al., ImageNet Classification with Deep Convolutional Neural Networks, "
          "NIPS 2012 (test-time augmentation, section 4.1)",
    params=61_706,
    notes="LeNet-5 averaged over crop and scale views (no mirroring: digits are not "
          "mirror-symmetric); any classifier wraps with TestTimeAugmentation(classifier).",
)(TestTimeAugmentation)
