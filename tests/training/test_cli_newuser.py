"""What a new user met on a clean install, driving ``keras-zoo`` by the README (issue 15):
``keras-zoo`` alone answers with the help; an option is never silently ignored; a bad value is
one line naming the option, exit code 2."""

import re
import subprocess
import sys

import pytest

from training import cli


def test_no_command_prints_the_help_and_imports_nothing_heavy():
    """``keras-zoo`` alone printed only ``error: the following arguments are required:
    command``; the first thing a new user types now lists the commands (exit code 2: nothing
    ran). Run as a fresh process: the answer needs no TensorFlow."""
    code = (
        "import sys\n"
        "from training import cli\n"
        "for argv in ([], ['--verbose'], ['--debug']):\n"
        "    assert cli.main(argv) == 2, argv\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'keras_zoo', 'numpy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("usage: keras-zoo") == 3
    for command in ("list", "info", "train", "evaluate", "export", "verify", "predict",
                    "benchmark", "table"):
        assert f"    {command} " in done.stdout, command
    assert "keras-zoo train lenet5 --export" in done.stdout  # the README's main job
    assert "Traceback" not in done.stderr and "error" not in done.stderr
    with pytest.raises(SystemExit) as exit_:  # an unknown option is still its one-line error
        cli.main(["--bogus"])
    assert exit_.value.code == 2


@pytest.mark.parametrize("argv", [["--bogus"], ["--verbose", "--bogus=3"], ["-x", "--debug"]])
def test_an_unknown_option_without_a_command_is_named_with_the_commands(capsys, argv):
    """``keras-zoo --bogus`` answered "the following arguments are required: command": neither
    the option nor the commands. One line naming it and listing them, exit code 2."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    (line,) = err.strip().splitlines()
    assert out == "" and "Traceback" not in err and "required" not in line
    unknown = next(a for a in argv if a not in ("--verbose", "--debug"))
    assert line.startswith(f"keras-zoo: error: unrecognized option '{unknown}' (before a "
                           "command only --verbose, --debug and --help); the commands: list, "
                           "info, train, evaluate, export, verify, table, benchmark, predict"), line
    assert line.endswith(", embed (usage: keras-zoo --help)"), line


@pytest.mark.parametrize("flags", [["--tflite", "float"], ["--tflite"], ["--version", "2"],
                                   ["--root", "elsewhere"]])
def test_train_refuses_export_options_without_export(capsys, tmp_path, flags):
    """``train mlp --tflite float`` (no ``--export``) trained and exported nothing: the option
    was silently ignored. It is refused before anything runs; the run directory is not made."""
    out = tmp_path / "run"
    code = cli.main(["train", "mlp", "--epochs", "1", "--out", str(out), *flags])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("keras-zoo: error: train: " + flags[0]), line
    assert "applies only with --export" in line
    assert not out.exists()


def test_train_export_options_keep_their_defaults_with_export(monkeypatch, capsys, tmp_path):
    """With ``--export`` the options left out are the export's defaults (``--root
    saved_models``, ``--tflite float int8``), and the ones given pass through."""
    seen = {}

    def fake_train(name, **kwargs):
        seen.update(kwargs, name=name)
        raise cli.UserError("stop here")

    import training.trainer

    monkeypatch.setattr(training.trainer, "train", fake_train)
    assert cli.main(["train", "mlp", "--export"]) == 2
    assert (seen["root"], seen["tflite"], seen["version"], seen["export"]) == (
        "saved_models", ["float", "int8"], None, True)
    assert cli.main(["train", "mlp", "--export", "digits", "--tflite", "fp16", "--version", "3",
                     "--root", str(tmp_path)]) == 2
    assert (seen["root"], seen["tflite"], seen["version"], seen["export"]) == (
        str(tmp_path), ["fp16"], 3, "digits")
    capsys.readouterr()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny LeNet-5 ``.keras`` (untrained: these tests are about the options)."""
    import keras_zoo

    path = tmp_path_factory.mktemp("ckpt") / "lenet5.keras"
    keras_zoo.models.get("lenet5", "tiny").save(path)
    return str(path)


@pytest.mark.parametrize("argv, flags", [
    (["predict", "{ckpt}", "{png}", "--preset", "canonical"], "--preset"),
    (["explain", "{ckpt}", "{png}", "--preset", "canonical", "-o", "{d}/x.png"], "--preset"),
    (["attack", "{ckpt}", "--preset", "tiny", "-o", "{d}/x.png"], "--preset"),
    (["embed", "{ckpt}", "--preset", "tiny", "-o", "{d}/x.png"], "--preset"),
    (["attention", "{ckpt}", "--preset", "tiny", "--output", "{d}/x.png"], "--preset"),
    (["attention", "{ckpt}", "--weights", "{d}/w.weights.h5", "--output", "{d}/x.png"],
     "--weights"),
])
def test_registry_options_are_refused_for_a_checkpoint(capsys, tmp_path, checkpoint, argv,
                                                       flags):
    """``--preset`` (and attention's ``--weights``) size or fill a model built from a registry
    name; given with a ``.keras`` file they were silently ignored (the file keeps its own size
    and weights). One line naming the option and the file, exit 2, nothing written."""
    from PIL import Image

    png = tmp_path / "digit.png"
    Image.new("L", (32, 32)).save(png)
    argv = [a.format(ckpt=checkpoint, png=png, d=tmp_path) for a in argv]
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"keras-zoo: error: {flags} applies to a registry name"), line
    assert checkpoint in line
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "digit_prediction.png").exists()


def test_a_registry_name_is_still_built_at_the_default_or_given_preset():
    from training.commands import explain, predict

    assert predict.load("lenet5")[0].count_params() == predict.load("lenet5", "tiny")[
        0].count_params()
    model, entry = explain.load_classifier("mlp", "canonical")
    assert entry.name == "mlp"
    assert model.count_params() == entry.build("canonical").count_params()


@pytest.mark.parametrize("argv, first", [
    (["attack", "lenet5", "--steps", "0"],
     "keras-zoo attack: error: argument --steps: expected a positive integer, got '0'"),
    (["attack", "lenet5", "--step-size", "0"],
     "keras-zoo attack: error: argument --step-size: expected a positive number, got '0'"),
    (["attack", "lenet5", "--step-size", "nan"],
     "keras-zoo attack: error: argument --step-size: expected a positive number, got 'nan'"),
    (["benchmark", "lenet5", "--steps", "0"],
     "keras-zoo benchmark: error: argument --steps: expected a positive integer, got '0'"),
    (["benchmark", "--strategy", "multi-worker", "--workers", "two"],
     "keras-zoo benchmark: error: argument --workers: expected a positive integer, got 'two'"),
])
def test_bad_numbers_are_named_and_not_replaced_by_a_default(capsys, argv, first):
    """``attack --steps 0`` ran 40 steps and ``--step-size 0`` the default step (0 was read as
    "not given"); benchmark's counts said ``invalid _positive value: '0'`` (the name of a
    function of ours)."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith(first), err


def test_attention_refuses_a_digit_index_with_an_image(capsys, tmp_path):
    """``--digit-index`` picks an embedded digit; with ``--image`` it was silently ignored."""
    from PIL import Image

    Image.new("L", (32, 32)).save(tmp_path / "digit.png")
    code = cli.main(["attention", "vit_b16", "--image", str(tmp_path / "digit.png"),
                     "--digit-index", "3", "--output", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert line.startswith("keras-zoo: error: --digit-index picks an embedded test digit"), line
    assert not (tmp_path / "x.png").exists()


def test_a_bad_seed_names_the_option(capsys):
    """``train --seed -1`` failed after TensorFlow's import with NumPy's "Seed must be between 0
    and 2**32 - 1", which does not say which argument."""
    for seed in ("-1", str(2 ** 32), "x"):
        with pytest.raises(SystemExit) as exit_:
            cli.main(["train", "mlp", "--seed", seed])
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith(
            f"keras-zoo train: error: argument --seed: expected an integer from 0 to 2**32 - 1, "
            f"got '{seed}'"), err


def test_list_takes_a_task_and_says_when_nothing_matches(capsys):
    """``list --task bogus`` and ``list resnet`` (a name, not a pattern) printed nothing with
    exit code 0, as if the registry were empty; ``list detection`` (a task, as
    ``keras_zoo.models.list("detection")`` takes it) printed nothing too."""
    assert cli.main(["list", "detection"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert "ssd" in names and "lenet5" not in names
    assert cli.main(["list", "resnet50*"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == [
        "resnet50", "resnet50v2"]
    for argv, first in ((["list", "--task", "bogus"], "list --task: no task 'bogus'; the tasks: "),
                        (["list", "resnet"], "list: no registered model matches 'resnet' "),
                        (["list", "ssd*", "--task", "classification"],
                         "list: no registered model matches 'ssd*' in task 'classification'")):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("keras-zoo: error: " + first), err


def test_progress_in_a_log_file_is_one_line_per_epoch_without_escape_codes(capsys):
    """Keras' progress bar redraws itself with terminal escape codes; written to a pipe or a
    log file (stdout not a terminal: capsys here) it was one long unreadable line."""
    assert cli.main(["evaluate", "mlp", "--preset", "tiny", "--split", "validation"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out and "\u2501" not in out, out[:300]
    assert out.strip().splitlines()[-1].startswith("validation: accuracy ")


def test_predict_with_a_registry_name_says_the_model_is_untrained(capsys, tmp_path,
                                                                   checkpoint):
    """README: ``keras-zoo predict ssd image.png --preset tiny``; a new user got 17 random
    boxes and no word that the model was never trained. A trained file gets no note."""
    from PIL import Image

    png = tmp_path / "digit.png"
    Image.new("L", (32, 32)).save(png)
    assert cli.main(["predict", "lenet5", str(png), "-o", str(tmp_path / "a.png")]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("keras-zoo: note: lenet5 is built at preset tiny with random weights"
                          " (untrained)"), err
    assert len(err.strip().splitlines()) == 1 and "wrote " in out
    assert cli.main(["predict", checkpoint, str(png), "-o", str(tmp_path / "b.png")]) == 0
    assert capsys.readouterr().err == ""


def test_evaluate_and_export_of_a_registry_name_say_the_model_is_untrained(capsys, tmp_path):
    """``keras-zoo export mlp`` exported random weights for serving without a word."""
    root = str(tmp_path / "saved")
    assert cli.main(["export", "mlp", "--preset", "tiny", "--root", root, "--tflite"]) == 0
    out, err = capsys.readouterr()
    assert err == ("keras-zoo: note: mlp is built at preset tiny with random weights "
                   "(untrained); give a trained .keras file (`keras-zoo train mlp` writes "
                   "runs/mlp/model.keras).\n"), err
    assert out.strip().endswith(f"exported: {root}/mlp/1")


def test_list_columns_line_up(capsys):
    """The task column was 16 characters wide; ``audio_classification`` and others pushed
    their family out of line."""
    import keras_zoo

    assert cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(keras_zoo.models.list())
    starts = set()
    for line in lines:
        name, task = re.match(r"(\S+\s+)(\S+\s+)\S", line).groups()
        starts.add((len(name), len(name) + len(task)))
    assert len(starts) == 1, starts


def test_a_failed_recipe_run_says_it_was_not_exported(monkeypatch, capsys, tmp_path):
    """``train lenet5 --export`` below the recipe's bar printed ``FAIL ...`` and nothing about
    the export it asked for (train() skips it)."""
    from types import SimpleNamespace

    import training.trainer

    def missed(name, **kwargs):
        return SimpleNamespace(metrics={"accuracy": 0.5}, model_path=str(tmp_path / "m.keras"),
                               out_dir=str(tmp_path), bar_met=False,
                               bar=("accuracy", 0.98, "max"), changed=(), export_path=None,
                               recipe=SimpleNamespace(epochs=40))

    monkeypatch.setattr(training.trainer, "train", missed)
    assert cli.main(["train", "lenet5", "--export"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "FAIL test accuracy 0.5000 is below the recipe's 0.98; not exported"
    assert cli.main(["train", "lenet5"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "FAIL test accuracy 0.5000 is below the recipe's 0.98")


@pytest.mark.parametrize("argv, name", [
    (["benchmark", "lenett5"], "lenett5"),
    (["benchmark", "lenett5", "--against", "cached-tensors"], "lenett5"),
    (["benchmark", "--strategy", "multi-worker", "--model", "mlpp"], "mlpp")])
def test_benchmark_of_an_unknown_model_says_so(capsys, argv, name):
    """``benchmark nosuchmodel`` answered "'nosuchmodel' has no keras.applications twin"."""
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"keras-zoo: error: Unknown model name '{name}'. Did you mean"), line


def test_predict_checks_its_output_directory_and_names_a_directory_given_as_image(
        capsys, tmp_path, checkpoint):
    """``-o missing_dir/x.png`` printed the prediction, then failed to write it; a directory
    given as the image of a non-video model was "no such file"."""
    from PIL import Image

    png = tmp_path / "digit.png"
    Image.new("L", (32, 32)).save(png)
    code = cli.main(["predict", checkpoint, str(png), "-o", str(tmp_path / "no" / "x.png")])
    out, err = capsys.readouterr()
    assert code == 2 and out == "", (out, err)
    assert err.startswith(f"keras-zoo: error: --output '{tmp_path}/no/x.png': no such "
                          "directory"), err
    assert cli.main(["predict", checkpoint, str(tmp_path), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"keras-zoo: error: image: '{tmp_path}' is a directory, not an image "
                          "file"), err


def test_verify_of_the_model_directory_names_its_versions(capsys, tmp_path):
    """``verify saved_models/NAME`` (the TF-Serving model directory) said "not a keras-zoo
    export"; it names the versions and the command to run."""
    root = tmp_path / "saved"
    for version in ("1", "2"):
        (root / "mlp" / version).mkdir(parents=True)
        (root / "mlp" / version / "keras_zoo.json").write_text("{}")
    assert cli.main(["verify", str(root / "mlp")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (f"keras-zoo: error: {root}/mlp holds the versions 1, 2 of an export; "
                    f"verify one: keras-zoo verify {root}/mlp/2")
    assert cli.main(["verify", str(root)]) == 2  # no versions here: the export's own message
    assert "not a keras-zoo export" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["evaluate", "export"])
def test_a_checkpoint_is_not_taken_for_another_registered_model(capsys, tmp_path, checkpoint,
                                                               command):
    """``evaluate lenet5.keras --model mlp`` scored a LeNet-5 as an MLP (the MLP's task and
    data) and exited 0: a registered checkpoint's own name wins, another is one line, exit 2."""
    code = cli.main([command, checkpoint, "--model", "mlp"])
    err = capsys.readouterr().err
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert "is a 'lenet5' checkpoint; --model 'mlp' names another model" in line, line
    assert not list(tmp_path.iterdir())


def test_predict_never_overwrites_its_default_output(capsys, tmp_path, checkpoint):
    """``predict MODEL digit.png`` overwrote ``digit_prediction.png`` (an earlier model's
    drawing) without a word. The default name takes the first free number, as ``export`` takes
    the next free version; ``-o`` writes where it says, over a file too."""
    from PIL import Image

    png = tmp_path / "digit.png"
    Image.new("L", (32, 32)).save(png)
    earlier = tmp_path / "digit_prediction.png"
    earlier.write_bytes(b"an earlier prediction")
    for number in (2, 3):
        assert cli.main(["predict", checkpoint, str(png)]) == 0
        written = tmp_path / f"digit_prediction_{number}.png"
        assert capsys.readouterr().out.strip().splitlines()[-1] == f"wrote {written}"
        assert Image.open(written).format == "PNG"
    assert earlier.read_bytes() == b"an earlier prediction"
    assert cli.main(["predict", checkpoint, str(png), "-o", str(earlier)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"wrote {earlier}"
    assert Image.open(earlier).format == "PNG"
