"""``keras-zoo attack MODEL_OR_CHECKPOINT --method pgd --eps 0.1 --steps 40``: clean and robust
accuracy of a classifier on the held-out split, and a PNG grid of clean images, adversarial
images, amplified perturbations and predictions.

The attacks are ``keras_zoo.robust`` (FGSM, PGD, and the uniform-noise control).
"""

from __future__ import annotations

import os

from training.commands.explain import load_classifier

_METHODS = ("fgsm", "pgd", "noise")


def add_arguments(parser):
    """Adds the ``attack`` subcommand's arguments to an ``argparse`` parser."""
    parser.add_argument("model", help="a registered classifier's name, or a .keras checkpoint")
    parser.add_argument("--method", default="pgd", choices=_METHODS,
                        help="pgd (default), fgsm, or noise (uniform noise of the same eps)")
    parser.add_argument("--eps", type=float, default=0.1,
                        help="the L-inf (or L2) radius in the model's input range (default 0.1)")
    parser.add_argument("--steps", type=_positive_int, default=None,
                        help="PGD iterations (default 40)")
    parser.add_argument("--step-size", type=_positive_float, default=None,
                        help="PGD step (default 2.5 eps / steps)")
    parser.add_argument("--norm", default=None, choices=("linf", "l2"),
                        help="PGD's ball (default linf)")
    parser.add_argument("--no-random-start", action="store_true",
                        help="PGD starts at the clean image")
    parser.add_argument("--split", default="test", choices=("test", "validation", "train"),
                        help="the held-out split (default test)")
    parser.add_argument("--limit", type=int, default=None,
                        help="attack only the first N examples of the split")
    parser.add_argument("--data", help="another embedded dataset than the model's default")
    parser.add_argument("--preset", default=None, choices=("tiny", "canonical"),
                        help="the config of a model given by name (default tiny; untrained)")
    parser.add_argument("--model-name", help="the registry name of a checkpoint whose model "
                                             "name is not one")
    parser.add_argument("--seed", type=int, default=0, help="seeds PGD's start and the noise")
    parser.add_argument("--rows", type=int, default=6, help="examples in the PNG (default 6)")
    parser.add_argument("-o", "--output", default=None,
                        help="the PNG grid to write (default attack_<model>_<method>.png)")


def _positive_int(text):
    import argparse

    try:
        value = int(text, 10)
    except ValueError:
        value = 0
    if value < 1:  # 0 was taken for "not given" (40 steps) before
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text):
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (value > 0 and math.isfinite(value)):  # 0 was taken for "not given" before
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _pgd_only(args):
    given = [flag for flag, value in (("--steps", args.steps), ("--step-size", args.step_size),
                                      ("--norm", args.norm))
             if value is not None] + (["--no-random-start"] if args.no_random_start else [])
    if given and args.method != "pgd":
        raise ValueError(f"{', '.join(given)}: only --method pgd takes them, not "
                         f"{args.method}.")


def run(args) -> int:
    """Prints clean and robust accuracy and writes the grid; returns the exit status."""
    import numpy as np

    from keras_zoo import robust
    from keras_zoo.data import load_arrays
    from keras_zoo.explain import model_io
    from keras_zoo.robust.figures import save_attack_grid

    _pgd_only(args)
    for flag, value in (("--limit", args.limit), ("--rows", args.rows)):
        if value is not None and value < 1:
            raise ValueError(f"{flag} must be >= 1, got {value}.")
    model, entry = load_classifier(args.model, args.preset, args.model_name)
    output = args.output or f"attack_{model.name}_{args.method}.png"
    if os.path.exists(output):
        raise ValueError(f"{output!r} exists; keras-zoo does not overwrite files.")
    data = args.data or (entry.data if entry is not None else None)
    if data is None:
        raise ValueError(f"{model.name} is not a registry model: name its dataset with --data.")
    height, width, channels = model.input_shape[1:]
    images, labels = load_arrays(data, args.split, (height, width), channels)
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    classes = int(model.outputs[0].shape[-1])
    labels = labels % classes
    lo, hi = model_io.pixel_range(model)
    x = images.astype(np.float32) / 255.0 * (hi - lo) + lo if hi <= 1.0 else images
    robust.check_eps(args.eps, lo, hi, args.norm or "linf", int(np.prod(x.shape[1:])))
    batches = []
    for start in range(0, len(x), 128):
        xb, yb = x[start:start + 128], labels[start:start + 128]
        if args.method == "fgsm":
            batches.append(robust.fgsm(model, xb, yb, eps=args.eps))
        elif args.method == "noise":
            batches.append(robust.uniform_noise(model, xb, args.eps, seed=args.seed + start))
        else:
            steps = args.steps or 40
            batches.append(robust.pgd(
                model, xb, yb, eps=args.eps, steps=steps,
                step_size=args.step_size or 2.5 * args.eps / steps, norm=args.norm or "linf",
                random_start=not args.no_random_start, seed=args.seed + start))
    adversarial = np.concatenate(batches)
    clean_accuracy = robust.accuracy(model, x, labels)
    robust_accuracy = robust.accuracy(model, adversarial, labels)
    setting = f"{args.method} eps {args.eps:g}" + (
        f", {args.steps or 40} steps, {args.norm or 'linf'}" if args.method == "pgd" else "")
    print(f"{model.name} on {data} {args.split} ({len(x)} examples), {setting}: "
          f"clean accuracy {clean_accuracy:.4f}, robust accuracy {robust_accuracy:.4f}")
    rows = min(args.rows, len(x))
    predict = model_io.Forward(model, logits=False)
    save_attack_grid(output, x[:rows], adversarial[:rows],
                     np.asarray(predict(x[:rows])).argmax(-1),
                     np.asarray(predict(adversarial[:rows].astype(np.float32))).argmax(-1),
                     labels[:rows], args.eps, (lo, hi),
                     title=f"{model.name}: {setting}; robust accuracy {robust_accuracy:.3f}")
    print(f"wrote {output}")
    return 0
