"""``keras-zoo verify PATH --xnnpack``: the float ``.tflite`` under XNNPACK, several calls per
interpreter (``keras_zoo.export.verify_xnnpack``). XNNPACK served some graphs right on an
interpreter's first call and wrong from its second on (seq2seq_bahdanau's tiny file, in some
interpreters of a process, not all: no small graph fails in every process), so the failing
cases are a fake interpreter with that behaviour; a real export passes."""

import os

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.export import verify_xnnpack as vx
from training import cli

pytestmark = pytest.mark.xdist_group("export")


class _Runner:
    """A signature runner doubling its input: right on the interpreter's first ``right``
    calls, then ``+ 1`` on every later call (the fault's shape), or always right."""

    def __init__(self, right):
        self.right, self.calls = right, 0

    def get_input_details(self):
        return {"x": {}}

    def __call__(self, x):
        self.calls += 1
        out = 2.0 * np.asarray(x, np.float32)
        if self.right is not None and self.calls > self.right:
            out = out + 1.0
        return {"y": out}


class _Interpreters:
    """``make_interpreter``: the k-th interpreter made is faulty when ``faulty(k)``."""

    def __init__(self, faulty, right=1):
        self.faulty, self.right, self.made = faulty, right, 0

    def __call__(self, flat):
        self.made += 1
        runner = _Runner(self.right if self.faulty(self.made) else None)
        interp = type("Interp", (), {})()
        interp.get_signature_runner = lambda name: runner
        return interp


_INPUTS = {"x": np.arange(4, dtype=np.float32).reshape(4, 1)}
_REFERENCE = {"y": 2.0 * _INPUTS["x"]}


def _agrees(expected, actual, diff):
    return diff <= 1e-4


def test_each_interpreter_serves_the_first_example_three_times_and_after_the_others():
    assert vx.call_order(4) == [0, 0, 0, 1, 2, 3, 0]
    assert vx.call_order(2) == [0, 0, 0, 1, 0]
    for bad in (1, 0, 2.0, None):
        with pytest.raises(ValueError, match="examples must be an int >= 2"):
            vx.call_order(bad)


def test_a_graph_served_right_on_every_call_passes():
    made = _Interpreters(lambda k: False)
    result = vx.check_calls(b"flat", _INPUTS, _REFERENCE, _agrees, 3, made)
    assert made.made == 3
    assert result == {"max_diff": 0.0, "calls": 21, "wrong_calls": 0, "wrong_interpreters": 0,
                      "first_wrong_call": None}
    check, figure, limit, ok = vx.row("m.tflite", result, "<= 0.0001 or task parity", 3)
    assert ok and figure == "0.00e+00" and limit == "<= 0.0001 or task parity"
    assert check == "tflite float XNNPACK, 3 interp. x 7 calls (m.tflite)"


def test_a_graph_wrong_from_the_second_call_on_fails_though_its_first_call_is_right():
    """What one call per interpreter (``verify``'s float row) would pass."""
    made = _Interpreters(lambda k: True)
    first_only = vx.check_calls(b"flat", {"x": _INPUTS["x"][:2]}, _REFERENCE, _agrees, 1,
                                _Interpreters(lambda k: True, right=5))
    assert first_only["wrong_calls"] == 0  # right on all 5 calls of call_order(2)
    result = vx.check_calls(b"flat", _INPUTS, _REFERENCE, _agrees, 3, made)
    assert result == {"max_diff": 1.0, "calls": 21, "wrong_calls": 18, "wrong_interpreters": 3,
                      "first_wrong_call": 1}
    check, figure, limit, ok = vx.row("m.tflite", result, "<= 0.0001 or task parity", 3)
    assert not ok and figure == "1.00e+00"
    assert limit == ("<= 0.0001 or task parity; 18 of 21 calls wrong, in 3 of 3 interpreters "
                     "(first: call 2)")


def test_a_fault_in_some_interpreters_only_fails_and_says_in_how_many():
    made = _Interpreters(lambda k: k == 2, right=4)  # the second interpreter, from call 5 on
    result = vx.check_calls(b"flat", _INPUTS, _REFERENCE, _agrees, 3, made)
    assert (result["wrong_calls"], result["wrong_interpreters"], result["first_wrong_call"]) == (
        3, 1, 4)
    assert "3 of 21 calls wrong, in 1 of 3 interpreters (first: call 5)" in vx.row(
        "m.tflite", result, "", 3)[2]


def test_a_fault_after_other_inputs_only_is_caught_by_the_last_call():
    """Right on the first six calls (example 0 three times, then 1, 2, 3), wrong on the 7th."""
    result = vx.check_calls(b"flat", _INPUTS, _REFERENCE, _agrees, 2,
                            _Interpreters(lambda k: True, right=6))
    assert (result["wrong_calls"], result["first_wrong_call"]) == (2, 6)


def test_bad_interpreter_counts_are_refused():
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="interpreters must be a positive int"):
            vx.check_calls(b"flat", _INPUTS, _REFERENCE, _agrees, bad, _Interpreters(bool))


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    """A tiny LeNet-5 (seeded, untrained) exported with a float .tflite only: (path, source)."""
    from keras_zoo.export import export

    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("lenet5")
    model = entry.build("tiny")
    root = tmp_path_factory.mktemp("xnnpack")
    source = os.fspath(root / "lenet5.keras")
    model.save(source)
    return export(model, "lenet5", entry, root=root, tflite=("float",), source=source), source


def test_a_real_export_passes_under_xnnpack(export_dir):
    path, _ = export_dir
    rows = []
    ok, (row,) = vx.verify_xnnpack(path, report=rows.append)
    assert ok and rows == [row], row
    check, figure, limit, passed = row
    assert check == "tflite float XNNPACK, 3 interp. x 7 calls (lenet5.tflite)"
    assert float(figure) <= 1e-4 and limit == "<= 0.0001 or task parity"


def test_a_real_export_fails_under_a_faulty_interpreter(export_dir):
    """The comparison is with the Keras model: an interpreter that serves the real file's
    outputs plus 1 from its second call on fails the row."""
    from keras_zoo.export.tflite import interpreter

    class Faulty:
        def __init__(self, flat):
            self.real = interpreter(flat, xnnpack=True).get_signature_runner("serving_default")
            self.calls = 0

        def get_signature_runner(self, name):
            return self

        def get_input_details(self):
            return self.real.get_input_details()

        def __call__(self, **inputs):
            self.calls += 1
            out = self.real(**inputs)
            return {k: v + (self.calls > 1) for k, v in out.items()}

    path, _ = export_dir
    ok, (row,) = vx.verify_xnnpack(path, make_interpreter=Faulty)
    assert not ok and "18 of 21 calls wrong, in 3 of 3 interpreters (first: call 2)" in row[2]


def test_cli_verify_xnnpack_prints_the_row_after_verify_and_passes(export_dir, monkeypatch,
                                                                   capsys):
    import keras_zoo.export

    path, _ = export_dir
    seen = []

    def verify(path, keras_path, report):  # verify's own checks are test_export.py's
        seen.append(path)
        report(("savedmodel max |diff| (fresh process, no keras_zoo)", "0.00e+00", "", True))
        return True, []

    monkeypatch.setattr(keras_zoo.export, "verify", verify)
    assert cli.main(["verify", path, "--xnnpack"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert seen == [path] and len(lines) == 3, lines
    assert lines[1].startswith("ok   tflite float XNNPACK, 3 interp. x 7 calls (lenet5.tflite)")
    assert lines[2] == "verify: passed"
    assert cli.main(["verify", path]) == 0  # without the flag: verify's rows only
    assert "XNNPACK" not in capsys.readouterr().out


def test_cli_verify_xnnpack_fails_when_the_row_fails(export_dir, monkeypatch, capsys):
    import keras_zoo.export

    path, _ = export_dir
    monkeypatch.setattr(keras_zoo.export, "verify", lambda path, keras_path, report: (True, []))

    def verify_xnnpack(path, keras_path, report):
        row = ("tflite float XNNPACK", "1.00e+00", "<= 0.0001", False)
        report(row)
        return False, [row]

    monkeypatch.setattr(vx, "verify_xnnpack", verify_xnnpack)
    assert cli.main(["verify", path, "--xnnpack"]) == 1
    assert capsys.readouterr().out.strip().splitlines() == [
        f"FAIL {'tflite float XNNPACK':56s}    1.00e+00  <= 0.0001", "verify: FAILED"]


def test_cli_verify_xnnpack_without_a_float_tflite_is_one_line(tmp_path, capsys):
    import json

    path = tmp_path / "m" / "1"
    path.mkdir(parents=True)
    (path / "keras_zoo.json").write_text(json.dumps(
        {"model": "lenet5", "task": "classification", "tflite": {"int8": "m_int8.tflite"},
         "source": None}))
    assert cli.main(["verify", str(path), "--xnnpack"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (f"keras-zoo: error: verify --xnnpack: {path} has no float .tflite (its "
                    "files: m_int8.tflite); export with --tflite float.")
