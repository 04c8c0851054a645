"""Property-based tests of the boundary (hypothesis): random registry names, config overrides,
images of random sizes and modes, and byte strings as files, for ``get``, ``info``,
``predict``, ``export`` and ``verify``. The only outcomes allowed are success or the documented
clear error (ValueError/OSError in the library; one line and exit code 2 in the CLI)."""

import io
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import keras_zoo
from training import cli
from training.commands import predict

CHEAP = settings(max_examples=8, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


def _clean_failure(capsys, argv):
    """Runs the CLI; returns its exit code after checking that a failure is one clean line."""
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # argparse: a name that looks like an option
        code = exit_.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code != 0:
        assert code in (1, 2), err
        lines = [line for line in err.strip().splitlines() if line.startswith("keras-zoo")]
        assert lines, err
    if code == 2:  # a user error, argparse's included: one line naming it
        assert len(err.strip().splitlines()) == 1, err
    return code


@CHEAP
@given(name=st.text(min_size=0, max_size=30))
def test_random_registry_names(capsys, name):
    try:
        entry = keras_zoo.models.info(name)
    except ValueError as error:
        assert repr(name) in str(error)
        expected = 2
    else:
        assert entry.name == name.lower()
        expected = 0
    if name.startswith("-") or name == "":
        return  # argparse's own message for a missing or option-like argument
    assert _clean_failure(capsys, ["info", name]) == expected


@CHEAP
@given(key=st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True),
       value=st.one_of(st.integers(-3, 3), st.text(max_size=4), st.none()))
def test_unknown_config_overrides_are_a_value_error_naming_them(key, value):
    entry = keras_zoo.models.info("mlp")
    if key in {"hidden_units", "input_shape", "classes", "activation", "dropout", "name"}:
        return
    with pytest.raises(ValueError, match=key):
        entry.build("tiny", **{key: value})


@CHEAP
@given(height=st.integers(1, 70), width=st.integers(1, 70),
       mode=st.sampled_from(["L", "RGB", "RGBA", "P", "1", "I", "F"]),
       target=st.tuples(st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 3])),
       fmt=st.sampled_from(["PNG", "TIFF", "BMP"]))
def test_any_readable_image_is_resized_to_the_model(tmp_path, height, width, mode, target, fmt):
    path = str(tmp_path / f"image.{fmt.lower()}")
    picture = Image.fromarray(np.random.default_rng(height * width).integers(
        0, 255, (height, width), dtype=np.uint8)).convert(mode)
    try:
        picture.save(path, format=fmt)
    except OSError:
        return  # e.g. PNG cannot hold 32-bit integers: not a file anyone could have
    image = predict.read_image(path, *target)
    assert image.shape == target and image.dtype == np.uint8


@CHEAP
@given(data=st.binary(max_size=512), suffix=st.sampled_from([".png", ".jpg", ".txt", ""]))
def test_bytes_as_an_image_are_an_image_or_a_clear_error(tmp_path, data, suffix):
    path = str(tmp_path / f"input{suffix}")
    with open(path, "wb") as f:
        f.write(data)
    try:
        Image.open(io.BytesIO(data)).load()
        readable = True
    except Exception:
        readable = False
    if readable:
        return
    with pytest.raises(ValueError, match="input"):
        predict.read_image(path, 8, 8, 1)


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=256), st.just(b"PK\x03\x04" + b"\x00" * 40)))
def test_bytes_as_a_keras_file_for_predict_and_export(capsys, tmp_path, data):
    checkpoint = str(tmp_path / "model.keras")
    with open(checkpoint, "wb") as f:
        f.write(data)
    image = str(tmp_path / "digit.png")
    Image.new("L", (8, 8)).save(image)
    root = str(tmp_path / "saved")
    assert _clean_failure(capsys, ["predict", checkpoint, image]) == 2
    assert _clean_failure(capsys, ["export", checkpoint, "--root", root]) == 2
    assert not os.path.exists(os.path.join(root, "mlp"))


@CHEAP
@given(metadata=st.one_of(st.binary(max_size=64),
                          st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                                       lambda inner: st.lists(inner, max_size=3)
                                       | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                                       max_leaves=6).map(lambda v: repr(v).encode()),
                          st.fixed_dictionaries({"model": st.text(max_size=8),
                                                 "task": st.text(max_size=8)},
                                                optional={"tflite": st.integers()})
                          .map(lambda d: __import__("json").dumps(d).encode())))
def test_random_export_metadata_is_refused_in_one_line(capsys, tmp_path, metadata):
    export = tmp_path / "export"
    export.mkdir(exist_ok=True)
    (export / "keras_zoo.json").write_bytes(metadata)
    assert _clean_failure(capsys, ["verify", str(export)]) == 2


@CHEAP
@given(model=st.one_of(st.just("mlp"), st.text(max_size=12)),
       data=st.one_of(st.none(), st.sampled_from(["digits", "shapes"]), st.text(max_size=8)),
       strategy=st.one_of(st.sampled_from(["none", "multi-worker"]), st.text(max_size=8)),
       batch_size=st.one_of(st.none(), st.text(max_size=4)))
def test_train_refuses_random_arguments_in_one_line_and_leaves_nothing(
        capsys, tmp_path, monkeypatch, model, data, strategy, batch_size):
    """``train --epochs 1`` with random model names, datasets, strategies and batch sizes; the
    arguments that would train are skipped (the CLI tests train). Without ``TF_CONFIG`` the
    multi-worker strategy is a bad input too."""
    from hypothesis import assume

    from keras_zoo.tasks import get_task

    monkeypatch.delenv("TF_CONFIG", raising=False)
    try:
        task = get_task(keras_zoo.models.info(model).task)
        known_model = True
    except ValueError:
        known_model = False
    trains = (known_model and (data is None or data in task.data_names)
              and strategy == "none"
              and (batch_size is None or (batch_size.isascii() and batch_size.isdigit()
                                          and int(batch_size) > 0)))
    assume(not trains)
    out = tmp_path / "runs" / "run"
    argv = ["train", model, "--epochs", "1", "--out", str(out), "--strategy", strategy]
    argv += [] if data is None else ["--data", data]
    argv += [] if batch_size is None else ["--batch-size", batch_size]
    assert _clean_failure(capsys, argv) == 2
    assert not out.exists()  # a refused run leaves no run directory
