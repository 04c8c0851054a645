"""``keras-zoo weights MODEL SOURCE -o FILE.weights.h5``: convert pretrained weights once
(``keras_zoo.weights``) and save them, so a machine without internet loads the file later
with ``keras_zoo.models.get(MODEL, weights=FILE)`` (the same config: ``--preset``,
``--classes``, ``--no-top``, ``--input-shape``)."""

from __future__ import annotations

import os


def add_arguments(parser):
    """Adds the command's arguments to an ``argparse`` (sub)parser."""
    parser.add_argument("model", help="registry name (keras-zoo info NAME lists its sources)")
    parser.add_argument("source", help="imagenet, keras_hub:<preset>, or a .weights.h5/.keras "
                                       "file")
    parser.add_argument("-o", "--output", required=True, help="the FILE.weights.h5 to write")
    parser.add_argument("--preset", choices=("tiny", "canonical"), default=None,
                        help="the registry config to build (default: the builder's own)")
    parser.add_argument("--classes", type=int, default=None,
                        help="a new head with this many classes (the backbone loads)")
    parser.add_argument("--no-top", action="store_true", help="include_top=False")
    parser.add_argument("--input-shape", type=int, nargs=3, metavar=("H", "W", "C"))


def run(args) -> int:
    """The ``keras-zoo weights`` command; returns the exit code."""
    import keras_zoo

    if not args.output.endswith(".weights.h5"):
        raise ValueError(f"weights: -o must name a .weights.h5 file, got {args.output!r}.")
    if os.path.exists(args.output):
        raise ValueError(f"weights: {args.output!r} exists; keras-zoo never overwrites it.")
    config = {}
    if args.classes is not None:
        config["classes"] = args.classes
    if args.no_top:
        config["include_top"] = False
    if args.input_shape:
        config["input_shape"] = tuple(args.input_shape)
    model = keras_zoo.models.get(args.model, args.preset, weights=args.source, **config)
    model.save_weights(args.output)
    shown = ({"preset": args.preset} if args.preset else {}) | config
    options = "".join(f", {key}={value!r}" for key, value in shown.items())
    print(f"{args.model}: {args.source} -> {args.output} ({model.count_params():,} parameters"
          f"{', with its preprocessing layer' if _has_preprocessing(model) else ''}).")
    print(f"load it offline: keras_zoo.models.get({args.model!r}, weights={args.output!r}"
          f"{options})")
    return 0


def _has_preprocessing(model):
    return any(layer.name == "preprocessing" for layer in model.layers)
