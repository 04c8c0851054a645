"""``keras-zoo explain MODEL_OR_CHECKPOINT image.png --method grad-cam --class K -o out.png``:
a heat map of why a classifier decides what it decides, over the image (jet colours), with the
predicted and the target class in the title; ``--method all`` draws one panel per method.

The methods are ``keras_zoo.explain``.
"""

from __future__ import annotations

import os

# numpy is imported where it is used: the CLI imports this module to parse `explain --help`.
_ALL = ("cam", "grad-cam", "augmented-grad-cam", "rise", "deconvnet", "rollout")


def add_arguments(parser):
    """Adds the ``explain`` subcommand's arguments to an ``argparse`` parser."""
    parser.add_argument("model", help="a registered classifier's name, or a .keras checkpoint")
    parser.add_argument("image", help="a PNG/JPEG image (resized to the model's input)")
    parser.add_argument("--method", default="grad-cam", choices=_ALL + ("all",),
                        help="the explanation (default grad-cam); 'all': one panel per method")
    parser.add_argument("--class", dest="class_index", type=int, default=None,
                        help="the class to explain (default: the predicted one)")
    parser.add_argument("--layer", help="the feature-map layer of grad-cam / deconvnet")
    parser.add_argument("--preset", default=None, choices=("tiny", "canonical"),
                        help="the config of a model given by name (default tiny; untrained)")
    parser.add_argument("--model-name", help="the registry name of a checkpoint whose model "
                                             "name is not one")
    parser.add_argument("--masks", type=int, default=None,
                        help="RISE's number of random masks (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seeds RISE and Augmented Grad-CAM")
    parser.add_argument("-o", "--output", required=True, help="the PNG to write (must not exist)")


def load_classifier(spec, preset=None, model_name=None):
    """``(model, entry)`` from a ``.keras`` checkpoint or a registry name (built at ``preset``,
    default tiny; refused for a checkpoint).

    A checkpoint's registry entry is ``model_name`` or the model's own name; a classifier the
    registry does not know gets ``entry`` None.
    """
    import keras_zoo
    from keras_zoo.export import load_keras
    from training.commands import DEFAULT_PRESET, refuse_for_checkpoint

    refuse_for_checkpoint(spec, preset=preset)

    if spec.endswith(".keras") or os.path.exists(spec):
        model = load_keras(spec)
        try:
            entry = keras_zoo.models.info(model_name or model.name)
        except ValueError:
            if model_name:
                raise
            entry = None
    else:
        entry = keras_zoo.models.info(model_name or spec)
        model = entry.build(preset or DEFAULT_PRESET)
    if entry is not None and entry.task != "classification":
        raise ValueError(f"{entry.name} is a {entry.task} model; explain and attack take "
                         "classifiers.")
    return model, entry


def load_image(path, model):
    """The image at ``path`` as float [0, 1] ``[H, W, C]`` at the model's input size."""
    import numpy as np
    from PIL import Image

    height, width, channels = model.input_shape[1:]
    if channels not in (1, 3):
        raise ValueError(f"{model.name}: {channels}-channel input; explain reads grey or RGB.")
    picture = Image.open(path).convert("L" if channels == 1 else "RGB")
    picture = picture.resize((width, height), Image.BILINEAR)
    return (np.asarray(picture, np.float32) / 255.0).reshape(height, width, channels)


def _options(method, args, strict=True):
    options = {}
    takes_layer = method in ("grad-cam", "augmented-grad-cam", "deconvnet")
    if args.layer is not None and (takes_layer or strict):
        if not takes_layer:
            raise ValueError(f"--layer: {method} does not take a layer (grad-cam, "
                             "augmented-grad-cam and deconvnet do).")
        options["layer"] = args.layer
    if method in ("rise", "augmented-grad-cam"):
        options["seed"] = args.seed
    if args.masks is not None:
        if method == "rise":
            options["num_masks"] = args.masks
        elif strict:
            raise ValueError(f"--masks: only rise takes it, not {method}.")
    return options


def run(args) -> int:
    """Writes the overlay PNG; returns the exit status (errors raise ValueError: exit 2)."""
    import numpy as np

    from keras_zoo import explain
    from keras_zoo.explain.overlay import save_panels

    if os.path.exists(args.output):
        raise ValueError(f"{args.output!r} exists; keras-zoo does not overwrite files.")
    model, _ = load_classifier(args.model, args.preset, args.model_name)
    image = load_image(args.image, model)
    probabilities = np.asarray(model(image[None], training=False))
    if isinstance(model.outputs, list) and len(model.outputs) > 1:
        probabilities = probabilities[0]
    predicted = int(np.argmax(probabilities[0]))
    classes = probabilities.shape[-1]
    if args.class_index is not None and not 0 <= args.class_index < classes:
        raise ValueError(f"--class {args.class_index} is beyond {model.name}'s head of "
                         f"{classes} classes (0..{classes - 1}).")
    target = predicted if args.class_index is None else args.class_index
    methods = _ALL if args.method == "all" else (args.method,)
    panels = []
    for method in methods:
        class_index = None if method == "rollout" or \
            (method == "deconvnet" and args.layer) else target
        options = _options(method, args, strict=args.method != "all")
        try:
            heat = explain.explain(model, image, method, class_index=class_index, **options)
        except ValueError as error:
            if args.method != "all":
                raise
            heat = "n/a: " + str(error).split(";")[0][:120]
        panels.append((method, heat))
    title = f"{model.name}: predicted {predicted} (p {probabilities[0, predicted]:.2f}), " \
            f"target {target}"
    save_panels(args.output, image, panels, title)
    done = [name for name, heat in panels if not isinstance(heat, str)]
    print(f"wrote {args.output} ({', '.join(done)}; {title})")
    return 0
