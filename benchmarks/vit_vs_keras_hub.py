"""Inference images/second of keras-zoo's ViT-B/16 against keras-hub's ``ViTBackbone`` plus a
Dense head on its class token, in one process, on the same random batch.

Both models are the same architecture (86,567,656 parameters at 224x224 with 1000 classes; the
script refuses to run otherwise) with random weights. The timing is
``keras_zoo.benchmarks.applications.compare``: ``predict`` (``predict_on_batch``) and ``call`` (a ``tf.function`` around
``model(x, training=False)``), the two models measured in alternation and each keeping its best
round; the ratio is ours / keras-hub's (> 1: ours is faster).

    python benchmarks/vit_vs_keras_hub.py                     # batch 8, 3 steps x 3 rounds
    python benchmarks/vit_vs_keras_hub.py --batch-size 4 --steps 5 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def keras_hub_vit_b16(classes=1000, image_size=224):
    """keras-hub's ViT-B/16 backbone with a Dense classifier on the class token."""
    import keras
    import keras_hub

    backbone = keras_hub.models.ViTBackbone(
        image_shape=(image_size, image_size, 3), patch_size=16, num_layers=12, num_heads=12,
        hidden_dim=768, mlp_dim=3072)
    inputs = keras.Input((image_size, image_size, 3), name="images")
    tokens = backbone(inputs)
    outputs = keras.layers.Dense(classes, activation="softmax", name="predictions")(tokens[:, 0])
    return keras.Model(inputs, outputs, name="keras_hub_vit_b16")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="predict,call")
    args = parser.parse_args(argv)

    import keras_zoo
    from keras_zoo.benchmarks.applications import compare

    ours = keras_zoo.models.get("vit_b16", preset="canonical")
    theirs = keras_hub_vit_b16()
    if ours.count_params() != theirs.count_params():
        print(f"not the same architecture: {ours.count_params():,} vs "
              f"{theirs.count_params():,} parameters", file=sys.stderr)
        return 1
    print(f"ViT-B/16 at 224x224, 1000 classes, {ours.count_params():,} parameters: keras-zoo vs "
          "keras-hub ViTBackbone + Dense")
    compare(ours, theirs, batch_size=args.batch_size, steps=args.steps, rounds=args.rounds,
            modes=tuple(m for m in args.modes.split(",") if m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
