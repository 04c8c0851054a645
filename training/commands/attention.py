"""``keras-zoo attention MODEL --output PNG``: the attention rollout of a ViT/DeiT over an image.

The maps and the rollout are ``keras_zoo.models.classification.attention_maps``. Nothing heavy
is imported at module level: ``keras-zoo attention --help`` and its argument errors must not wait
for TensorFlow (the CLI imports this module to parse). A bad input (missing or foreign file,
non-image, existing output) is a ValueError/OSError, which the CLI reports in one line, exit 2.
"""

from __future__ import annotations

import os


def add_arguments(parser):
    """Adds the ``attention`` subcommand's arguments to an ``argparse`` parser."""
    parser.add_argument("model", help="a registered ViT/DeiT name (e.g. vit_b16), or a .keras file")
    parser.add_argument("--weights", help="a .weights.h5 file for the named model")
    parser.add_argument("--preset", default=None, choices=("tiny", "canonical"),
                        help="the named model's config (default: tiny)")
    parser.add_argument("--image", help="a PNG/JPEG image; default: a test digit")
    parser.add_argument("--digit-index", type=int, default=None,
                        help="which embedded test digit to use when --image is not given "
                             "(default 0)")
    parser.add_argument("--head-fusion", default="mean", choices=("mean", "max", "min"))
    parser.add_argument("--output", required=True, help="the PNG to write (must not exist)")


def _load_model(args):
    import keras_zoo
    from keras_zoo.export import load_keras
    from training.commands import DEFAULT_PRESET, refuse_for_checkpoint

    refuse_for_checkpoint(args.model, preset=args.preset, weights=args.weights)
    if args.model.endswith(".keras") or os.path.exists(args.model):
        # The checked loader: a truncated or foreign file is one line naming it.
        return load_keras(args.model)
    model = keras_zoo.models.get(args.model, preset=args.preset or DEFAULT_PRESET)
    if args.weights:
        if not os.path.isfile(args.weights):
            raise FileNotFoundError(f"--weights: no such file {args.weights!r}.")
        model.load_weights(args.weights)
    return model


def _load_image(args, model):
    import numpy as np

    height, width, channels = model.input_shape[1:]
    if args.image:
        if args.digit_index is not None:
            raise ValueError("--digit-index picks an embedded test digit; it does not apply "
                             f"with --image {args.image!r}.")
        from training.commands.predict import read_image

        return read_image(args.image, height, width, channels).astype(np.float32) / 255.0
    from keras_zoo.data import load_arrays

    images, _ = load_arrays("digits", "test", (height, width), channels)
    index = 0 if args.digit_index is None else args.digit_index
    if not 0 <= index < len(images):
        raise ValueError(f"--digit-index {args.digit_index}: the test split has {len(images)} "
                         f"digits (0..{len(images) - 1}).")
    return images[index].astype(np.float32) / 255.0


def run(args) -> int:
    """Runs the subcommand: writes the rollout overlay PNG; returns the exit status."""
    from keras_zoo.models.classification.attention_maps import save_rollout_overlay

    if os.path.exists(args.output):
        raise FileExistsError(f"--output {args.output!r} exists; not overwritten.")
    model = _load_model(args)
    image = _load_image(args, model)
    heat = save_rollout_overlay(model, image, args.output, args.head_fusion)
    print(f"wrote {args.output} (rollout on a {heat.shape[0]}x{heat.shape[1]} patch grid)")
    return 0
