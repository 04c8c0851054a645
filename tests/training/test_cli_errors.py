"""Bad input to every command: one line naming the file or argument, exit code 2, no traceback;
a bug (an unexpected exception) keeps its traceback and exit code 1; parsing imports no
TensorFlow."""

import os
import subprocess
import sys

import pytest

from training import cli


def _fails_cleanly(capsys, argv, first_line_contains):
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("keras-zoo: error: ")
    assert first_line_contains in lines[0], lines[0]


@pytest.fixture
def files(tmp_path):
    text = tmp_path / "notimage.txt"
    text.write_text("hello, not an image\n")
    fake = tmp_path / "fake.png"
    fake.write_text("not a png either\n")
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(b"PK\x03\x04" + b"\x00" * 10)
    not_zip = tmp_path / "foreign.keras"
    not_zip.write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(64))
    from PIL import Image

    Image.new("RGBA", (30, 20)).save(tmp_path / "rgba.png")  # any size and channels
    return tmp_path


@pytest.mark.parametrize("argv, names", [
    (["predict", "mlp", "{d}/notimage.txt"], "notimage.txt"),
    (["predict", "mlp", "{d}/fake.png"], "fake.png"),
    (["predict", "mlp", "{d}/missing.png"], "missing.png"),
    (["predict", "{d}/truncated.keras", "{d}/fake.png"], "truncated.keras"),
    (["predict", "{d}/foreign.keras", "{d}/fake.png"], "foreign.keras"),
    (["predict", "no_such_model", "{d}/fake.png"], "no_such_model"),
    (["verify", "{d}/no/such/export"], "does not exist"),
    (["verify", "{d}/notimage.txt"], "not a directory"),
    (["verify", "{d}"], "not a keras-zoo export"),
    (["export", "{d}/truncated.keras", "--root", "{d}/saved"], "truncated.keras"),
    (["evaluate", "{d}/foreign.keras"], "foreign.keras"),
    (["info", "no_such_model"], "no_such_model"),
    (["train", "mlp", "--config", "no_such_option=3", "--out", "{d}/run"], "no_such_option"),
    (["train", "mlp", "--config", "epochs=3", "--out", "{d}/run"], "--epochs"),
    (["train", "mlp", "--config", "classes=3", "--config", "classes=4", "--out", "{d}/run"],
     "more than once"),
    (["explain", "mlp", "{d}/fake.png", "-o", "{d}/out.png"], "fake.png"),
    (["explain", "mlp", "{d}/rgba.png", "--class", "10", "-o", "{d}/out.png"], "--class 10"),
    (["attention", "{d}/truncated.keras", "--output", "{d}/out.png"], "truncated.keras"),
    (["attention", "{d}/foreign.keras", "--output", "{d}/out.png"], "foreign.keras"),
    (["attention", "vit_b16", "--output", "{d}/notimage.txt"], "notimage.txt"),
    (["attention", "vit_b16", "--image", "{d}/fake.png", "--output", "{d}/out.png"], "fake.png"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, files, argv, names):
    argv = [a.format(d=files) for a in argv]
    _fails_cleanly(capsys, argv, names)
    if argv[0] == "predict" and argv[1] == "mlp":
        assert not list(files.glob("*_prediction.png"))  # nothing written


@pytest.mark.parametrize("argv, first", [
    (["train", "lenet5", "--epochs", "-1"],
     "keras-zoo train: error: argument --epochs: expected a positive integer, got '-1'"),
    (["train", "lenet5", "--preset", "huge"], "keras-zoo train: error: argument --preset: "),
    (["train", "lenet5", "--config", "classes"], "keras-zoo train: error: argument --config: "
                                                 "expected KEY=VALUE"),
    (["info", "lenet5", "--bogus"], "keras-zoo: error: unrecognized arguments: --bogus"),
    (["predict"], "keras-zoo predict: error: the following arguments are required: model"),
    (["no_such_command"], "keras-zoo: error: argument command: invalid choice"),
])
def test_argument_errors_are_one_line_exit_2_without_traceback(capsys, argv, first):
    """argparse's own error printed the whole usage first (ten lines for ``train``)."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(first), err
    assert err.strip().endswith("--help)")


def test_a_bug_shows_its_traceback_and_a_user_error_shows_it_with_debug(monkeypatch, capsys):
    def bug(args):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(cli, "_cmd_list", bug)
    with pytest.raises(TypeError):  # not caught: Python prints the traceback, exit code 1
        cli.main(["list"])
    with pytest.raises(ValueError, match="Unknown model name"):
        cli.main(["info", "no_such_model", "--debug"])
    assert cli.main(["--verbose", "info", "no_such_model"]) == 2


def test_user_error_is_a_known_error(monkeypatch, capsys):
    def refuse(args):
        raise cli.UserError("bad input.txt: refused")

    monkeypatch.setattr(cli, "_cmd_list", refuse)
    _fails_cleanly(capsys, ["list"], "bad input.txt: refused")


def test_parsing_and_help_import_no_tensorflow():
    """``keras-zoo --help`` and argument errors answer without importing TensorFlow (nor a
    plugin's module, which may import it)."""
    code = (
        "import sys\n"
        "from training import cli\n"
        "for argv in (['--help'], ['train', 'lenet5', '--epochs', '-1'], ['train', '--help'],\n"
        "             ['verify', '--help'], ['evaluate', '--help'], ['benchmark', '--help'],\n"
        "             ['benchmark', '--against', 'nothing']):\n"
        "    try:\n"
        "        cli.main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'keras_zoo') if m in sys.modules]\n"
        "plugins = [m for m, _ in cli._PLUGINS.values() if m in sys.modules and\n"
        "           m != 'training.commands.benchmark']\n"
        "assert not heavy and not plugins, (heavy, plugins)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage: keras-zoo" in done.stdout
    assert "--against {keras.applications,keras-hub,cached-tensors}" in done.stdout
    assert "invalid choice: 'nothing'" in done.stderr


def test_every_commands_help_and_argument_errors_import_no_tensorflow():
    """Each subcommand's ``--help`` and argument errors (the plugins' too, whose modules the
    parser imports for their arguments) answer without TensorFlow, Keras, keras_zoo or NumPy: an
    import at a plugin module's top (``attention`` imported Keras) made ``keras-zoo attention
    --help`` take 24 s under load (``explain``'s NumPy: 1.7-3.3 s at load 22)."""
    code = (
        "import sys\n"
        "from training import cli\n"
        "names = list(cli.build_parser()._subparsers._group_actions[0].choices)\n"
        "assert set(cli._PLUGINS) <= set(names), names\n"
        "for name in names:\n"
        "    for argv in ([name, '--help'], [name, '--no-such-option']):\n"
        "        try:\n"
        "            cli.main(argv)\n"
        "        except SystemExit as exit_:\n"
        "            assert exit_.code == (0 if argv[1] == '--help' else 2), (argv, exit_.code)\n"
        "        else:\n"
        "            raise AssertionError(argv)\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'keras_zoo', 'numpy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print(len(names))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip().splitlines()[-1]) >= 14


def test_native_tensorflow_chatter_is_filtered_from_stderr_and_the_rest_passes(capfd):
    """Lines TensorFlow's C++ writes to descriptor 2 past its log level (the converter's
    ``fully_quantize`` settings on every int8 export, LiteRT's XNNPACK notice in every verify)
    are dropped unless --verbose; Python's and any other native line pass, in order."""
    with cli._NativeStderrFilter():
        os.write(2, b"fully_quantize: 0, inference_type: 6, input_inference_type: FLOAT32\n")
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
        os.write(2, b"F0000 check failed: something real\n")
        print("keras-zoo: error: a user error", file=sys.stderr)  # (capfd: not through fd 2)
        os.write(2, b"no newline at the end")
    err = capfd.readouterr().err
    assert err.replace("keras-zoo: error: a user error\n", "") == (
        "F0000 check failed: something real\nno newline at the end")
    assert "keras-zoo: error: a user error\n" in err
    os.write(2, b"fully_quantize: 1 after the command\n")  # descriptor 2 is restored
    assert "fully_quantize: 1" in capfd.readouterr().err


def test_what_is_written_just_before_a_sigkill_still_reaches_stderr():
    """The multi-worker watchdog writes its message, then SIGKILLs the worker: a filter in
    the killed process itself would lose the message still in the pipe."""
    code = ("import os, signal\n"
            "from training import cli\n"
            "with cli._NativeStderrFilter():\n"
            "    os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n')\n"
            "    os.write(2, b'keras-zoo: no progress for 60 s: killing worker\\n')\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == -9
    assert done.stderr == "keras-zoo: no progress for 60 s: killing worker\n"


def test_the_benchmark_parser_lists_the_benchmarks_modes():
    from keras_zoo.benchmarks import applications
    from training.commands import benchmark

    assert benchmark.MODES == applications.MODES


def test_evaluate_builds_a_registry_name_at_a_preset_and_refuses_one_for_a_file(capsys, files):
    _fails_cleanly(capsys, ["evaluate", str(files / "truncated.keras"), "--preset", "tiny"],
                   "--preset applies to a registry name")
    with pytest.raises(SystemExit):
        cli.main(["evaluate", "mlp", "--preset", "huge"])
    assert "invalid choice: 'huge'" in capsys.readouterr().err
    assert cli.main(["evaluate", "mlp", "--preset", "tiny", "--split", "validation"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("validation: accuracy ")


def test_verify_reports_a_corrupt_tflite_in_its_table_and_fails(
        capsys, tmp_path, verify_in_the_shared_fresh_process):
    """The file is named in its row; the table is printed; ``verify: FAILED``, exit code 1.
    (~10 s: verify runs the SavedModel in a fresh process; the only end-to-end check of a
    corrupt export file.)"""
    import keras_zoo

    keras_path = str(tmp_path / "mlp.keras")
    keras_zoo.models.get("mlp", "tiny").save(keras_path)
    requests = verify_in_the_shared_fresh_process.count
    assert cli.main(["export", keras_path, "--root", str(tmp_path / "saved"),
                     "--tflite", "float"]) == 0
    export = tmp_path / "saved" / "mlp" / "1"
    (tiny,) = export.glob("*.tflite")
    tiny.write_bytes(b"not a flatbuffer" * 4)
    capsys.readouterr()
    assert cli.main(["verify", str(export)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "verify: FAILED"
    assert any(line.startswith("ok") and "savedmodel" in line for line in out)
    assert verify_in_the_shared_fresh_process.count > requests  # the SavedModel ran there
    assert any(line.startswith("FAIL") and tiny.name in line for line in out)


def test_train_passes_config_literals_to_the_builder(monkeypatch):
    import training.trainer

    seen = {}
    monkeypatch.setattr(training.trainer, "train", lambda model, **kw: seen.update(kw) or (
        _ for _ in ()).throw(ValueError("stop here")))
    assert cli.main(["train", "r2plus1d_18", "--config", "classes=101", "--config",
                     "filters=(8, 16)", "--config", "kernel_initializer=he_normal"]) == 2
    assert seen["classes"] == 101 and seen["filters"] == (8, 16)
    assert seen["kernel_initializer"] == "he_normal"  # not a literal: the string as written
