"""keras-zoo: the zoo's models by name: list, train, evaluate, export, verify, predict, benchmark.

Errors in what the user typed (unknown model, wrong shape, corrupt checkpoint, existing export
version, bad version number, a file that is not what it should be) are one line on stderr and
exit code 2, never a traceback: ``ValueError``, ``OSError`` (missing, unreadable or foreign
files) and ``UserError``. Any other exception is a bug: its traceback is shown and the exit code
is 1. ``--debug`` shows the traceback of a user error too; ``--verbose`` lets TensorFlow's logs
and warnings through. Parsing imports nothing heavy: TensorFlow loads when a command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys


class UserError(Exception):
    """A bad input the CLI reports in one line (exit code 2)."""


#: What a user's input can cause (one line, exit 2). Not TypeError: that is a bug in our code.
_USER_ERRORS = (ValueError, OSError, UserError)

#: Subcommands implemented in training/commands/<name>.py (``add_arguments(parser)`` and
#: ``run(args) -> int``): name -> (module, help). One line per command.
_PLUGINS = {
    "benchmark": ("training.commands.benchmark",
                  "against keras.applications, tf.data against cached tensors, or N workers "
                  "against one"),
    "predict": ("training.commands.predict", "a model's prediction for an image, drawn as PNG"),
    "attention": ("training.commands.attention",
                  "attention maps / rollout of a vision transformer as PNG"),
    "explain": ("training.commands.explain", "heat map of a classifier's decision (CAM, RISE...)"),
    "attack": ("training.commands.attack", "FGSM/PGD accuracy of a classifier, PNG grid"),
    "weights": ("training.commands.weights", "convert pretrained weights once, save .weights.h5"),
    "embed": ("training.commands.embed", "t-SNE of held-out embeddings (PNG), recall@k, NDCG@10"),
}


#: Python warnings known to be harmless in the CLI (hidden unless --verbose).
_HARMLESS_WARNINGS = (
    r"`shuffle=True` was passed, but will be ignored",  # fit on a tf.data pipeline
)


#: Lines TensorFlow's C++ code writes straight to file descriptor 2, past TF_CPP_MIN_LOG_LEVEL
#: and absl: the TFLite converter's quantiser settings (every int8 export) and LiteRT's delegate
#: notice (every interpreter verify makes). Hidden unless --verbose.
_NATIVE_CHATTER = rb"fully_quantize: \d|INFO: Created TensorFlow Lite \w+ delegate"

#: The commands that convert to TFLite or run LiteRT (export, verify: alone, after training,
#: for the deployment table, in benchmarks): only they pay for the filter process (~0.03 CPU s).
_CHATTY_COMMANDS = frozenset({"train", "export", "verify", "table", "benchmark"})

#: The filter process: copies its standard input to its standard error line by line, except
#: the lines matching argv[1]. Standard library only (started with -I -S: no site, no imports).
_FILTER = r"""
import os, re, sys
chatter, pending = re.compile(sys.argv[1].encode("latin-1")), b""
def out(data):
    while data:
        data = data[os.write(2, data):]
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    *lines, pending = (pending + chunk).split(b"\n")
    out(b"".join(line + b"\n" for line in lines if not chatter.match(line)))
if pending and not chatter.match(pending):
    out(pending)
"""


class _NativeStderrFilter:
    """While active, file descriptor 2 is a pipe into a small filter process that copies every
    line to the real stderr except the known harmless ones (``_NATIVE_CHATTER``). Python's
    ``sys.stderr`` writes to descriptor 2 too, so warnings and tracebacks pass in order, as
    does anything else native. A process, not a thread: it outlives this one, so what is
    written just before a crash or a SIGKILL (the multi-worker watchdog's message, written by
    its own process just before it kills this one; an abort's check failure) still arrives."""

    def __enter__(self):
        import subprocess

        sys.stderr.flush()
        self._real = os.dup(2)
        read, write = os.pipe()
        try:
            self._filter = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _FILTER, _NATIVE_CHATTER.decode("latin-1")],
                stdin=read, close_fds=True)
        finally:
            os.close(read)
        os.dup2(write, 2)
        os.close(write)
        return self

    def __exit__(self, *exc):
        import subprocess

        try:
            sys.stderr.flush()
        finally:
            os.dup2(self._real, 2)  # closes this process's write end: the filter reads EOF
            os.close(self._real)
            try:
                # A child still holding the pipe (none of ours outlives its command) must not
                # keep the command from returning; the filter then ends with that child.
                self._filter.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        return False


def _quiet_tensorflow(verbose=False):
    """TensorFlow's C++/absl logs (CUDA initialisation errors on a CPU-only machine, oneDNN and
    converter chatter) and known harmless warnings off, unless ``verbose``. Takes effect on
    the TensorFlow import, which happens after parsing."""
    import logging
    import warnings

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if verbose:
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    for pattern in _HARMLESS_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)


def _cmd_list(args):
    import keras_zoo

    tasks = keras_zoo.models.tasks()
    if args.task is not None and args.task not in tasks:
        raise UserError(f"list --task: no task {args.task!r}; the tasks: {', '.join(tasks)}.")
    task, pattern = args.task, args.pattern
    if pattern in tasks and task is None:  # `keras-zoo list detection`, as models.list() takes it
        task, pattern = pattern, None
    found = keras_zoo.models.entries(task, pattern)
    if not found:
        # An empty answer looked like an empty registry (`list resnet`: a name, not a pattern).
        raise UserError(f"list: no registered model matches {args.pattern!r}"
                        + (f" in task {task!r}" if task else "")
                        + " (a shell-style pattern, e.g. 'resnet*', or a task name); "
                        "`keras-zoo list` shows them all.")
    # Columns as wide as their longest value (a task name of 20 characters broke 16).
    name_width = max(len(e.name) for e in found)
    task_width = max(len(e.task) for e in found)
    for entry in found:
        debts = f"  [debts: {', '.join(entry.debts)}]" if entry.debts else ""
        print(f"{entry.name:{name_width}s}  {entry.task:{task_width}s}  {entry.family}{debts}")
    return 0


def _cmd_info(args):
    import keras_zoo
    from keras_zoo.tasks import input_spec

    entry = keras_zoo.models.info(args.model)
    print(entry.describe())
    from keras_zoo.weights import sources

    print(f"weights:   {', '.join(sources(entry.name))}")
    from training.recipes import describe_train_time, get_recipe

    bar = get_recipe(entry.recipe).test_bar
    print(f"training:  {describe_train_time(entry)} on 2 CPU cores (`keras-zoo train "
          f"{entry.name}`, recipe {entry.recipe}"
          + (f", to {bar[0]} {'>=' if bar[2] == 'max' else '<='} {bar[1]:g})" if bar else ")"))
    for name, shape, dtype in input_spec(entry, "tiny"):
        print(f"input:     {name} {shape} {dtype} (tiny)")
    if args.params:
        model = entry.build("canonical")
        print(f"params:    {model.count_params():,} (built, canonical)")
    return 0


def _cmd_train(args):
    """A shell over ``training.train``, which applies the recipe's bar and exports."""
    export_options = ("version", "root", "tflite")
    if args.export is None:
        given = [f"--{k}" for k in export_options if getattr(args, k) is not None]
        if given:
            raise UserError(f"train: {', '.join(given)} "
                            f"{'applies' if len(given) == 1 else 'apply'} only with --export "
                            "(a run without it exports nothing).")
    for key, value in _EXPORT_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    from training.trainer import train

    config = dict(args.config)
    import inspect

    own = [k for k in config if k in inspect.signature(train).parameters]
    if own:
        raise UserError(f"train: --config {own[0]}=... is not a builder argument; use "
                        f"--{own[0].replace('_', '-')} (builder arguments: `keras-zoo info "
                        f"{args.model}`).")
    if len(config) < len(args.config):
        keys = [k for k, _ in args.config]
        raise UserError(f"train: --config gives {sorted({k for k in keys if keys.count(k) > 1})} "
                        "more than once.")
    result = train(args.model, epochs=args.epochs, batch_size=args.batch_size, data=args.data,
                   out=args.out, seed=args.seed, preset=args.preset, strategy=args.strategy,
                   export=False if args.export is None else (args.export or True),
                   version=args.version, root=args.root, tflite=args.tflite,
                   from_checkpoint=args.from_checkpoint, freeze=args.freeze,
                   fine_tune=args.fine_tune, recipe=args.recipe, report=_print_row,
                   data_service=args.data_service, verbose=_keras_verbose(), **config)
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in result.metrics.items())
    print(f"test: {metrics}")
    print(f"saved: {result.model_path} (curves: {os.path.join(result.out_dir, 'curves.png')})")
    if result.bar_met is False:
        metric, bar, direction = result.bar
        missed = (f"test {metric} {result.metrics[metric]:.4f} is "
                  f"{'below' if direction == 'max' else 'above'}")
        if not result.changed:
            # train() does not export a run that failed its recipe's bar: say so.
            print(f"FAIL {missed} the recipe's {bar}"
                  + ("; not exported" if args.export is not None else ""))
            return 1
        # The recipe's bar is what its own schedule reaches: a run that changed the schedule
        # or the data is reported against it, not failed by it.
        print(f"note: {missed} the {bar} the recipe reaches "
              f"with its own settings ({result.recipe.epochs} epochs); this run set "
              f"{', '.join('--' + k.replace('_', '-') for k in result.changed)}")
    if result.export_path is not None:
        # The verify rows were printed as their checks finished, during train().
        print(f"exported: {result.export_path}")
        print("verify: " + ("passed" if result.verified else "FAILED"))
        return 0 if result.verified else 1
    return 0


def _load_model_arg(spec, model_name=None, preset=None):
    """A ``.keras`` path (loaded) or a registry name (built at ``preset``: None is the
    builder's own size); returns (model, entry, source)."""
    import keras_zoo
    from keras_zoo.export import load_keras

    if spec.endswith(".keras") or os.path.exists(spec):
        if preset is not None:
            raise UserError(f"--preset applies to a registry name, not to the checkpoint "
                            f"{spec!r} (its size is the one it was saved at).")
        model = load_keras(spec)
        if model_name and model_name != model.name and model.name in keras_zoo.models.list():
            # --model names the entry of a checkpoint saved under another name; a registered
            # model checked as another one would be scored on the other's task and data.
            raise UserError(f"{spec!r} is a {model.name!r} checkpoint; --model {model_name!r} "
                            "names another model (leave --model out).")
        entry = keras_zoo.models.info(model_name or model.name)
        return model, entry, spec
    entry = keras_zoo.models.info(model_name or spec)
    return entry.build(preset), entry, None


def _note_untrained(entry, preset):
    """After a command on a model built from a registry name succeeded: it had random weights
    (printed last, so that a failure is still one line)."""
    size = f"preset {preset}" if preset else "the paper's size"
    print(f"keras-zoo: note: {entry.name} is built at {size} with random weights (untrained); "
          f"give a trained .keras file (`keras-zoo train {entry.name}` writes "
          f"runs/{entry.name}/model.keras).", file=sys.stderr)


def _cmd_evaluate(args):
    from keras_zoo.tasks import get_task

    model, entry, source = _load_model_arg(args.checkpoint, args.model, args.preset)
    task = get_task(entry.task)
    if not model.compiled:
        task.compile(model, entry)
    ds = task.dataset(model, entry, args.split, args.batch_size, 0,
                      **({"data": args.data} if args.data else {}))
    metrics = model.evaluate(ds, return_dict=True, verbose=_keras_verbose())
    # The task's own held-out figures (detectors: map50, map).
    metrics.update(task.evaluation_metrics(model, entry, args.split, args.data))
    print(f"{args.split}: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    if source is None:
        _note_untrained(entry, args.preset)
    return 0


def _cmd_export(args):
    from keras_zoo.export import export

    model, entry, source = _load_model_arg(args.checkpoint, args.model, args.preset)
    path = export(model, args.name or entry.name, entry, version=args.version, root=args.root,
                  tflite=args.tflite, source=source)
    print(f"exported: {path}")
    if source is None:
        _note_untrained(entry, args.preset)
    return 0


def _report_verify(path, keras_path, xnnpack=False):
    from keras_zoo.export import verify

    if xnnpack:
        from keras_zoo.export import read_metadata

        # Refused before the other checks run: nothing to run under XNNPACK.
        files = read_metadata(path).get("tflite", {})
        if "float" not in files:
            raise UserError(f"verify --xnnpack: {path} has no float .tflite (its files: "
                            f"{', '.join(sorted(files.values())) or 'none'}); export with "
                            "--tflite float.")
    # Each row is printed as soon as its check is done (a detector's takes a while).
    ok, _ = verify(path, keras_path, report=_print_row)
    if xnnpack:
        from keras_zoo.export.verify_xnnpack import verify_xnnpack

        ok = verify_xnnpack(path, keras_path, report=_print_row)[0] and ok
    print("verify: " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


def _print_row(row, width=56):
    check, figure, limit, passed = row
    print(f"{'ok  ' if passed else 'FAIL'} {check:{width}s}  {figure:>10s}  {limit}", flush=True)


def _cmd_verify(args):
    path = args.path
    if os.path.isdir(path) and not os.path.exists(os.path.join(path, "keras_zoo.json")):
        # saved_models/NAME (TF-Serving's model directory) instead of saved_models/NAME/VERSION.
        versions = sorted((int(v) for v in os.listdir(path) if v.isdigit()
                           and os.path.exists(os.path.join(path, v, "keras_zoo.json"))))
        if versions:
            raise UserError(f"{path} holds the versions {', '.join(map(str, versions))} of an "
                            f"export; verify one: keras-zoo verify "
                            f"{os.path.join(path, str(versions[-1]))}")
    return _report_verify(path, args.keras, args.xnnpack)


def _cmd_table(args):
    if not args.deploy:
        given = [flag for flag, value in (("--models", args.models), ("--cache", args.cache))
                 if value is not None]
        if given:
            raise UserError(f"table: {', '.join(given)} only apply with --deploy (the model "
                            "table is not measured).")
        from keras_zoo.readme_table import markdown_table, replace_table
        from training.recipes import describe_train_time

        table = markdown_table(count_params=not args.no_params, train_time=describe_train_time)
    else:
        if args.no_params:
            raise UserError("table --deploy: --no-params applies to the model table only.")
        import keras_zoo
        from keras_zoo import deploy_table
        from keras_zoo.deploy_table import replace_table

        registered = [entry.name for entry in keras_zoo.models.entries()]
        names = registered
        if args.models is not None:
            names = [n.strip() for n in args.models.split(",") if n.strip()]
            unknown = [n for n in names if n not in registered]
            if unknown or not names:
                raise UserError(f"table --deploy --models: not registered: {unknown or names}; "
                                "`keras-zoo list` shows the models.")
        # The progress lines go to stderr: stdout is the table when it is printed.
        records = deploy_table.measure_all(
            names, cache=args.cache, out=lambda line: print(line, file=sys.stderr, flush=True))
        if args.cache:
            records = {**deploy_table.read_cache(args.cache), **records}
        table = deploy_table.markdown_table(records)
    if args.write is None:
        print(table)
        return 0
    with open(args.write, encoding="utf-8") as f:
        text = replace_table(f.read(), table)
    with open(args.write, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote the table into {args.write}")
    return 0


def _config_item(text):
    """``KEY=VALUE`` of ``--config``: VALUE a Python literal (``101``, ``(8, 16)``, ``0.5``,
    ``'he_normal'``) or, if it is not one, the string as written."""
    import ast

    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. classes=101), got {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def _positive_int(text):
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


#: Defaults of the export options (``train`` fills them in only with ``--export``).
_EXPORT_DEFAULTS = {"root": "saved_models", "tflite": ["float", "int8"]}


def _seed(text):
    """argparse type: a seed NumPy and TensorFlow accept (0 .. 2**32 - 1); a bad one failed
    after TensorFlow's import with a message that did not name ``--seed``."""
    try:
        value = int(text, 10)
    except ValueError:
        value = -1
    if not 0 <= value < 2 ** 32:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to 2**32 - 1, got {text!r}")
    return value


def _keras_verbose():
    """Keras' progress bar on a terminal; one line per epoch in a log file or a pipe (the bar
    redraws with escape codes, which fill a log with one unreadable line per epoch)."""
    return "auto" if sys.stdout.isatty() else 2


def _export_args(p, defaults=True):
    """``--version``, ``--root``, ``--tflite``; without ``defaults`` they stay None unless
    given (``train``: they apply only with ``--export``, and are refused without it)."""
    given = _EXPORT_DEFAULTS if defaults else {}
    p.add_argument("--version", type=_positive_int, default=None,
                   help="version number (default: the next free one)")
    p.add_argument("--root", default=given.get("root"),
                   help="TF-Serving model root (default saved_models)")
    p.add_argument("--tflite", nargs="*", default=given.get("tflite"),
                   choices=["float", "fp16", "int8"],
                   help="TFLite files to write (default: float int8)")


def _common_flags(parser, default):
    parser.add_argument("--verbose", action="store_true", default=default,
                        help="show TensorFlow's logs and warnings")
    parser.add_argument("--debug", action="store_true", default=default,
                        help="show the traceback of an error in the input too")
    return parser


_common = _common_flags(argparse.ArgumentParser(add_help=False), argparse.SUPPRESS)


#: The help's examples (the README's first commands); `keras-zoo COMMAND --help` for one command.
_EXAMPLES = """examples:
  keras-zoo list 'resnet*'                     models, tasks, declared debts
  keras-zoo info lenet5                        a model's entry, recipe and inputs
  keras-zoo train lenet5 --export              the main job: train, test, export, verify
  keras-zoo evaluate runs/lenet5/model.keras
  keras-zoo verify saved_models/lenet5/1
  keras-zoo predict runs/lenet5/model.keras digit.png

`keras-zoo COMMAND --help` shows a command's options."""


class _Parser(argparse.ArgumentParser):
    """An argument error is one line naming the argument, exit code 2, like every user error
    (argparse's own prints the whole usage first: ten lines for ``train``)."""

    def error(self, message):
        message = " ".join(str(message).split())
        self.exit(2, f"{self.prog}: error: {message} (usage: {self.prog} --help)\n")


def build_parser(command=None):
    """The parser; the plugin module of ``command`` (only) is imported to add its arguments."""
    parser = _Parser(prog="keras-zoo", description=__doc__.splitlines()[0],
                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_EXAMPLES)
    _common_flags(parser, False)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", parents=[_common], help="list the registered models")
    p.add_argument("pattern", nargs="?", default=None,
                   help="shell-style pattern of names, e.g. 'resnet*', or a task name "
                        "(default: all)")
    p.add_argument("--task", default=None, help="only this task's models, e.g. detection")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("info", parents=[_common], help="show a model's registry entry")
    p.add_argument("model")
    p.add_argument("--params", action="store_true", help="build the canonical config and count")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("train", parents=[_common],
                       help="train a model by its recipe on embedded data")
    p.add_argument("model")
    p.add_argument("--epochs", type=_positive_int)
    p.add_argument("--batch-size", type=_positive_int, help="global batch size")
    p.add_argument("--data", help="dataset name (default: the model's)")
    p.add_argument("--out", help="run directory (default runs/MODEL)")
    p.add_argument("--seed", type=_seed, default=0, help="seeds weights, shuffling and "
                                                         "augmentation (0 .. 2**32 - 1)")
    p.add_argument("--preset", choices=["tiny", "canonical"])
    p.add_argument("--config", type=_config_item, action="append", default=[],
                   metavar="KEY=VALUE",
                   help="a builder argument over the preset and the recipe's (repeatable), "
                        "e.g. --data ucf101 --preset canonical --config classes=101")
    p.add_argument("--strategy", default="none", help="none | mirrored | multi-worker")
    p.add_argument("--data-service", metavar="grpc://HOST:PORT",
                   help="run the training pipeline on the workers of this tf.data service "
                        "dispatcher (the same batches as without it; --strategy none)")
    p.add_argument("--export", nargs="?", const="", default=None, metavar="NAME",
                   help="export after training (and verify), under NAME (default: the model)")
    p.add_argument("--from", dest="from_checkpoint", metavar="CHECKPOINT",
                   help="transfer learning: start from this .keras of the same architecture")
    p.add_argument("--freeze", choices=["backbone"],
                   help="train only a new head on frozen features (BatchNorm in inference mode)")
    p.add_argument("--fine-tune", nargs="?", const=True, default=False, type=_positive_int,
                   metavar="N", help="unfreeze everything (or the top N blocks) at a lower "
                                     "learning rate")
    p.add_argument("--recipe", metavar="NAME",
                   help="train by this recipe instead of the model's own; 'transfer': the "
                        "model's own recipe in two phases (with --from: a new head on the "
                        "frozen backbone, then fine-tuning at a tenth of the rate, in one run)")
    _export_args(p, defaults=False)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("evaluate", parents=[_common],
                       help="evaluate a .keras checkpoint on a split")
    p.add_argument("checkpoint", help=".keras file or registry name")
    p.add_argument("--model", help="registry name, if the checkpoint's model name differs")
    p.add_argument("--split", default="test", choices=["train", "validation", "test"])
    p.add_argument("--data")
    p.add_argument("--batch-size", type=_positive_int, default=64)
    p.add_argument("--preset", choices=["tiny", "canonical"],
                   help="the size to build a registry name at (default: the paper's)")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("export", parents=[_common],
                       help="export a SavedModel (+ TFLite) for serving")
    p.add_argument("checkpoint", help=".keras file or registry name")
    p.add_argument("--name", help="served model name (default: the registry name)")
    p.add_argument("--model", help="registry name, if the checkpoint's model name differs")
    p.add_argument("--preset", choices=["tiny", "canonical"],
                   help="the size to build a registry name at (default: the paper's)")
    _export_args(p)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("verify", parents=[_common],
                       help="check an export in a fresh process and in LiteRT")
    p.add_argument("path", help="saved_models/NAME/VERSION")
    p.add_argument("--keras", help=".keras file to compare with (default: the recorded source)")
    p.add_argument("--xnnpack", action="store_true",
                   help="also run the float .tflite under XNNPACK (a phone's default LiteRT "
                        "delegate), several calls per interpreter: some graphs are served "
                        "wrong from an interpreter's second call on")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("table", parents=[_common],
                       help="print the README's model table (Markdown), or with --deploy its "
                            "deployment table (measured)")
    p.add_argument("--no-params", action="store_true")
    p.add_argument("--deploy", action="store_true",
                   help="the deployment table: .tflite sizes, LiteRT latency and int8 "
                        "agreement of every model's tiny config, measured by export/verify")
    p.add_argument("--models", default=None, metavar="A,B",
                   help="--deploy: measure only these (the other rows come from --cache or "
                        "read 'not measured')")
    p.add_argument("--cache", default=None, metavar="JSONL",
                   help="--deploy: measured records are appended here and not measured again")
    p.add_argument("--write", metavar="README", default=None,
                   help="replace the table between the markers of this file instead of printing")
    p.set_defaults(func=_cmd_table)

    for name, (module, help_text) in _PLUGINS.items():
        p = sub.add_parser(name, help=help_text, parents=[_common])
        if name != command:
            # A command that does not run needs no arguments: its module (which may import
            # TensorFlow) is imported only when it runs.
            continue
        try:
            plugin = importlib.import_module(module)
        except ImportError as error:  # a family not installed or not written yet
            p.set_defaults(func=lambda args, e=error, n=name: _unavailable(n, e))
            continue
        plugin.add_arguments(p)
        p.set_defaults(func=plugin.run)
    return parser


def _unavailable(name, error):
    print(f"keras-zoo: error: '{name}' is unavailable: {error}", file=sys.stderr)
    return 2


def _import_tensorflow_quietly():
    """Imports TensorFlow and initialises its devices with file descriptor 2 sent to
    /dev/null: its C++ logs before absl's initialisation (oneDNN, CUDA stubs, ``cuInit``
    failing on a CPU-only machine) ignore TF_CPP_MIN_LOG_LEVEL."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    tf.get_logger().setLevel("ERROR")
    tf.autograph.set_verbosity(0)


def _one_line(error) -> str:
    text = str(error).strip()
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    return text.splitlines()[0] if text else type(error).__name__


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    _quiet_tensorflow(verbose="--verbose" in argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command)
    if command is None and set(argv) <= {"--verbose", "--debug"}:
        # `keras-zoo` alone: what a new user types first gets the commands, not one error line.
        parser.print_help()
        return 2
    if command is None and not {"-h", "--help"} & set(argv):
        # `keras-zoo --bogus`: argparse answered "the following arguments are required:
        # command", which names neither the option nor the commands.
        unknown = next(a for a in argv if a not in ("--verbose", "--debug"))
        commands = next(a.choices for a in parser._actions
                        if isinstance(a, argparse._SubParsersAction))
        parser.error(f"unrecognized option {unknown!r} (before a command only --verbose, "
                     f"--debug and --help); the commands: {', '.join(commands)}")
    args = parser.parse_args(argv)
    if not args.verbose:
        _import_tensorflow_quietly()
    try:
        filtered = not args.verbose and args.command in _CHATTY_COMMANDS
        with _NativeStderrFilter() if filtered else contextlib.nullcontext():
            return args.func(args)
    except _USER_ERRORS as error:
        if getattr(args, "debug", False):
            raise
        print(f"keras-zoo: error: {_one_line(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
