"""``keras-zoo benchmark``: one parser for the three benchmarks of ``keras_zoo.benchmarks``.

    keras-zoo benchmark MODEL [--against keras.applications]   images/second against the twin
    keras-zoo benchmark MODEL --against keras-hub             ViT, DeiT, Swin, BERT, GPT-2
    keras-zoo benchmark MODEL [--against ...] --served        exported SavedModels (either)
    keras-zoo benchmark MODEL --against cached-tensors        fit from tf.data vs cached tensors
    keras-zoo benchmark --strategy multi-worker --model MODEL scaling of N workers against one

The comparisons run ours, theirs and a control (theirs again: the noise floor) in every round,
interleaved, and report each ratio's median, interval and range over the rounds; by default
they add rounds until ±5 % is resolved (``keras_zoo.benchmarks.rounds``). An option the chosen
benchmark does not use is refused (exit 2), never ignored.
"""

from __future__ import annotations

# Nothing from keras_zoo at module level: importing it imports TensorFlow, and
# `keras-zoo benchmark --help` must answer without it.

#: The references of ``--against``.
AGAINST = ("keras.applications", "keras-hub", "cached-tensors")
#: ``keras_zoo.benchmarks.applications.MODES`` (tests/training/test_cli_errors.py checks it).
MODES = ("predict", "call", "train")

#: What ``--served`` does not use on either reference (it always runs the control).
NOT_SERVED = ("jit_compile", "modes", "no_control")
#: The options each benchmark honours (argparse dests); any other one set is refused.
HONOURED = {
    "keras.applications": {"batch_size", "steps", "rounds", "jit_compile", "modes",
                           "input_shape", "classes", "no_control", "served"},
    "keras-hub": {"batch_size", "steps", "rounds", "jit_compile", "modes", "no_control",
                  "sequence_length", "served"},
    "cached-tensors": {"batch_size", "steps", "rounds", "no_control", "preset", "augment",
                       "epochs"},
    "multi-worker": {"preset", "workers", "batch_size", "epochs", "steps", "timeout"},
}
_FLAGS = {"batch_size": "--batch-size", "jit_compile": "--jit-compile",
          "input_shape": "--input-shape", "no_control": "--no-control",
          "sequence_length": "--sequence-length"}


def add_arguments(parser):
    """Adds the benchmark's arguments to an ``argparse`` (sub)parser."""
    parser.add_argument("model", nargs="?", default=None,
                        help="registry name (keras.applications: one with a twin, e.g. "
                             "resnet50, densenet121, mobilenetv2)")
    parser.add_argument("--model", dest="model_option", default=None, metavar="MODEL",
                        help="the same as MODEL (for --strategy multi-worker; default mlp)")
    parser.add_argument("--against", default=None, choices=AGAINST,
                        help="the reference: keras.applications' same architecture (default), "
                             "keras-hub's backbone with the same head (random weights: vit_*, "
                             "deit_*_distilled, swin_*, bert_classifier, gpt2), "
                             "or cached-tensors (fit from the recipe's tf.data pipeline against "
                             "fit from the same batches cached in memory; any registry model)")
    parser.add_argument("--strategy", default=None, choices=["multi-worker"],
                        help="multi-worker: scaling efficiency of --workers worker processes "
                             "against one, at the same global batch")
    parser.add_argument("--batch-size", type=_positive, default=None,
                        help="default: 8 (keras.applications), the recipe's (cached-tensors), "
                             "64 global (multi-worker)")
    parser.add_argument("--steps", type=_positive, default=None,
                        help="timed batches per round (default: as many as last about 1 s for "
                             "keras.applications and keras-hub, 20 calls for --served against "
                             "keras.applications and about 2 s of calls against keras-hub, the "
                             "whole training split for cached-tensors, 40 for multi-worker)")
    parser.add_argument("--rounds", type=_positive, default=None,
                        help="interleaved rounds, all models in each (default: 7 to 21, until "
                             "the ratios' 95%% intervals resolve ±5%%)")
    parser.add_argument("--jit-compile", action="store_true", default=None,
                        help="our training step with and without XLA (any model; what the "
                             "registry's jit_compile records), then every mode of both models "
                             "under XLA (keras.applications)")
    parser.add_argument("--modes", default=None,
                        help=f"comma-separated subset of {','.join(MODES)} "
                             "(keras.applications)")
    parser.add_argument("--input-shape", type=_positive, nargs=3, metavar=("H", "W", "C"),
                        help="build both models for this input (keras.applications; default: "
                             "the canonical size)")
    parser.add_argument("--classes", type=_positive, help="classes of both heads "
                                                          "(keras.applications)")
    parser.add_argument("--no-control", action="store_true", default=None,
                        help="skip the control (a second copy of the reference, timed in the "
                             "same rounds: the ratio two identical models get is the noise "
                             "floor); it runs by default")
    parser.add_argument("--sequence-length", type=_positive, default=None,
                        help="tokens per example (keras-hub's bert_classifier and gpt2; "
                             "default 128)")
    parser.add_argument("--served", action="store_true", default=None,
                        help="time exported SavedModels instead: ours as keras-zoo export "
                             "serves it (batch norms folded, Transformer attention fused) "
                             "against the reference's plain export, with a second plain "
                             "export as the control (keras.applications, keras-hub)")
    parser.add_argument("--preset", default=None, choices=["tiny", "canonical"],
                        help="model preset (multi-worker: default tiny; cached-tensors: "
                             "default the recipe's, canonical = the paper's input size)")
    parser.add_argument("--augment", default=None, type=_augmentations, metavar="NAMES",
                        help="comma-separated augmentations instead of the recipe's, each a "
                             "name or name:factor, e.g. crop,flip (cached-tensors)")
    parser.add_argument("--workers", type=_positive, default=None,
                        help="workers to compare with one (multi-worker; default 2)")
    parser.add_argument("--epochs", type=_positive, default=None,
                        help="epochs, the first a warm-up (multi-worker; default 3); epochs "
                             "per timed fit (cached-tensors; default 2)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds before a cluster is killed (multi-worker; default 600)")


def _positive(text):
    """argparse type: an int >= 1. An ``ArgumentTypeError``: argparse reports a ValueError as
    "invalid _positive value", naming this function instead of what is expected."""
    import argparse

    try:
        value = int(text, 10)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _augmentations(text):
    """argparse type: ``crop,flip,rotation:0.1`` -> ``("crop", "flip", ("rotation", 0.1))``;
    the names are checked by the pipeline, which lists the accepted ones."""
    import argparse

    items = []
    for item in text.split(","):
        name, _, factor = item.strip().partition(":")
        if not name:
            raise argparse.ArgumentTypeError(f"expected names separated by commas, got {text!r}")
        try:
            items.append((name, float(factor)) if factor else name)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected name:factor with a number, got "
                                             f"{item!r}") from None
    return tuple(items)


def _route(args):
    """``(benchmark, model, {option: value})`` of the options set; refuses the others."""
    if args.strategy is not None and args.against is not None:
        raise ValueError("benchmark: --strategy multi-worker and --against are two different "
                         "benchmarks; give one.")
    route = args.strategy or args.against or "keras.applications"
    if args.model and args.model_option and args.model != args.model_option:
        raise ValueError(f"benchmark: MODEL {args.model!r} and --model {args.model_option!r} "
                         "differ.")
    model = args.model or args.model_option
    if model is None and route != "multi-worker":
        raise ValueError(f"benchmark: {route} needs a MODEL.")
    given = {k: getattr(args, k) for k in sorted(set().union(*HONOURED.values()))
             if getattr(args, k, None) is not None}
    refused = sorted(set(given) - HONOURED[route])
    if refused:
        flags = [_FLAGS.get(k, "--" + k) for k in refused]
        accepted = sorted(_FLAGS.get(k, "--" + k) for k in HONOURED[route])
        raise ValueError(f"benchmark {route}: does not use {', '.join(flags)}; it takes "
                         f"{', '.join(accepted)}.")
    return route, model, given


def run(args) -> int:
    """The ``keras-zoo benchmark`` command; returns the exit code."""
    route, model, options = _route(args)
    if model is not None:
        import keras_zoo

        # An unknown name is said so (with the near names), not "has no twin".
        keras_zoo.models.info(model)
    if route == "multi-worker":
        from keras_zoo.benchmarks.scaling import compare_scaling

        compare_scaling(**({"model": model} if model else {}), **options)
        return 0
    if route == "cached-tensors":
        import keras_zoo
        from keras_zoo.benchmarks.pipeline import compare_pipeline
        from training.recipes import get_recipe

        options["control"] = not options.pop("no_control", False)
        compare_pipeline(model, get_recipe(keras_zoo.models.info(model).recipe), **options)
        return 0
    _refuse_for_served(route, options)
    if route == "keras.applications" and _jit_compile_only(model, options):
        return 0
    timing = dict(batch_size=options.get("batch_size", 8), steps=options.get("steps"),
                  rounds=options.get("rounds"), jit_compile=bool(options.get("jit_compile")),
                  modes=_modes(options))
    control = not options.get("no_control")
    if route == "keras-hub":
        from keras_zoo.benchmarks import applications, hub

        served = bool(options.get("served"))
        ours, theirs, twin = hub.build_pair(model, options.get("sequence_length"),
                                            control=control and not served)
        pair = hub.pair_for(model)
        print(f"{model}: keras-zoo {ours.name} vs keras_hub.models.{pair.backbone} (random "
              f"weights, the same head), input {tuple(ours.input_shape[1:])}, "
              f"{ours.count_params():,} parameters")
        batch = hub.random_batch(ours, timing["batch_size"], text=pair.text)
        if served:
            from keras_zoo.benchmarks.served import compare_served
            from keras_zoo.tasks import get_task

            compare_served(ours, theirs, x=batch[0], steps=options.get("steps"),
                           rounds=options.get("rounds"),
                           task=get_task(keras_zoo.models.info(model).task))
            return 0
        applications.compare(ours, theirs, twin, batch=batch, **timing)
        return 0
    from keras_zoo.benchmarks import applications

    ours, theirs = applications.build_pair(model, options.get("input_shape"),
                                           options.get("classes"))
    reference = applications.application_for(model)
    print(f"{model}: keras-zoo {ours.name} vs keras.applications {reference.__name__}, "
          f"input {tuple(ours.input_shape[1:])}, {ours.count_params():,} parameters")
    if options.get("served"):
        from keras_zoo.benchmarks.served import compare_served
        from keras_zoo.tasks import get_task

        compare_served(ours, theirs, batch_size=options.get("batch_size", 8),
                       steps=options.get("steps", 20), rounds=options.get("rounds"),
                       task=get_task(keras_zoo.models.info(model).task))
        return 0
    ops = [sum(applications.op_census(m).values()) for m in (ours, theirs)]
    print(f"inference graph ops: ours {ops[0]}, theirs {ops[1]}; differing op types: "
          f"{applications.census_difference(ours, theirs) or 'none'}")
    twin = (reference(weights=None, input_shape=theirs.input_shape[1:],
                      classes=theirs.output_shape[-1]) if control else None)
    applications.compare(ours, theirs, twin, **timing)
    return 0


def _refuse_for_served(route, options):
    """``--served`` times exported graphs: XLA, modes and skipping the control mean nothing
    there; each given is refused by name, with what the route takes instead."""
    refused = sorted(set(NOT_SERVED) & set(options))
    if options.get("served") and refused:
        accepted = sorted(_FLAGS.get(k, "--" + k) for k in HONOURED[route] - set(NOT_SERVED)
                          if k != "served")
        raise ValueError(f"benchmark --served: does not use "
                         f"{', '.join(_FLAGS.get(k, '--' + k) for k in refused)} (it always "
                         f"runs the control); against {route} it takes {', '.join(accepted)}.")


def _modes(options):
    from keras_zoo.benchmarks import applications

    modes = tuple(m.strip() for m in (options.get("modes") or ",".join(applications.MODES))
                  .split(",") if m.strip())
    unknown = sorted(set(modes) - set(applications.MODES))
    if unknown or not modes:
        raise ValueError(f"benchmark --modes: expected some of {','.join(applications.MODES)}, "
                         f"got {options.get('modes')!r}.")
    return modes


def _jit_compile_only(model, options) -> bool:
    """``--jit-compile``: first our training step with and without XLA
    (``training.xla``, what ``Entry.jit_compile`` records); True when that is all
    (a model without a keras.applications twin), else the comparison under XLA follows."""
    if not options.get("jit_compile") or options.get("served"):
        return False
    from keras_zoo.benchmarks import applications
    from training import xla

    xla.compare_jit(model, **{k: options[k] for k in ("batch_size", "steps", "rounds")
                              if k in options})
    try:
        applications.application_for(model)
    except ValueError:
        return True
    return False
