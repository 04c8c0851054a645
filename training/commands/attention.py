"""``keras-zoo attention MODEL --output PNG``: the attention rollout of a ViT/DeiT over an image.

The maps and the rollout are ``keras_zoo.models.classification.attention_maps``.
"""

from __future__ import annotations

import sys

import keras
import numpy as np

from keras_zoo.models.classification.attention_maps import save_rollout_overlay


def add_arguments(parser):
    """Adds the ``attention`` subcommand's arguments to an ``argparse`` parser."""
    parser.add_argument("model", help="a registered ViT/DeiT name (e.g. vit_b16), or a .keras file")
    parser.add_argument("--weights", help="a .weights.h5 file for the named model")
    parser.add_argument("--preset", default="tiny", choices=("tiny", "canonical"),
                        help="the named model's config (default: tiny)")
    parser.add_argument("--image", help="a PNG/JPEG image; default: a test digit")
    parser.add_argument("--digit-index", type=int, default=0,
                        help="which embedded test digit to use when --image is not given")
    parser.add_argument("--head-fusion", default="mean", choices=("mean", "max", "min"))
    parser.add_argument("--output", required=True, help="the PNG to write (must not exist)")


def _load_model(args):
    import keras_zoo

    if args.model.endswith(".keras"):
        return keras.saving.load_model(args.model, safe_mode=True, compile=False)
    model = keras_zoo.models.get(args.model, preset=args.preset)
    if args.weights:
        model.load_weights(args.weights)
    return model


def _load_image(args, model):
    height, width, channels = model.input_shape[1:]
    if args.image:
        from PIL import Image

        mode = "L" if channels == 1 else "RGB"
        picture = Image.open(args.image).convert(mode).resize((width, height), Image.BILINEAR)
        array = np.asarray(picture, dtype=np.float32) / 255.0
        return array.reshape(height, width, channels)
    from keras_zoo.data import load_arrays

    images, _ = load_arrays("digits", "test", (height, width), channels)
    return images[args.digit_index].astype(np.float32) / 255.0


def run(args) -> int:
    """Runs the subcommand: writes the rollout overlay PNG; returns the exit status."""
    try:
        model = _load_model(args)
        image = _load_image(args, model)
        heat = save_rollout_overlay(model, image, args.output, args.head_fusion)
    except (ValueError, OSError) as error:
        print(f"keras-zoo attention: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.output} (rollout on a {heat.shape[0]}x{heat.shape[1]} patch grid)")
    return 0
