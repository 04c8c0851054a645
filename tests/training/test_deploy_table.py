"""``keras-zoo table --deploy``: the deployment table's rows are the registry's models, and its
figures come from the export and verify code (checked here with that code replaced by fakes that
record how they were called; the real measurement of two models is in the slow tier). Nothing is
timed here."""

import json
import os
import re

import pytest

import keras_zoo
from keras_zoo import deploy_table, readme_table
from training import cli

RECORD = {"model": "mlp", "preset": "tiny", "verified": False,
          "failed": ["tflite int8 top-1 agreement (mlp_int8.tflite)"], "int8_agreement": "0.9570",
          "float_bytes": 12444, "float_ms": 0.0042, "int8_bytes": 6440, "int8_ms": 0.0075}


def _rows(table):
    return [line for line in table.splitlines() if line.startswith("| `")]


def test_the_rows_are_exactly_the_registered_models_in_order():
    table = deploy_table.markdown_table({"mlp": RECORD})
    names = [re.match(r"^\| `([^`]+)`", line).group(1) for line in _rows(table)]
    assert names == [entry.name for entry in keras_zoo.models.entries()]
    lines = table.splitlines()
    assert lines[0] == deploy_table.BEGIN and lines[-1] == deploy_table.END
    header = "| " + " | ".join(deploy_table.COLUMNS) + " |"
    assert header in lines and "`tiny` config" in table and "2 threads" in table
    for line in _rows(table):  # every row has the header's cells (no stray '|' in a cell)
        assert line.count("|") == len(deploy_table.COLUMNS) + 1, line
    mlp = next(line for line in _rows(table) if line.startswith("| `mlp`"))
    # int8 agreement is a figure: verify's 0.98 bar is for trained weights.
    assert mlp == "| `mlp` | 12.2 KB | 6.3 KB | 0.0042 | 0.0075 | 0.9570 | passed |"
    assert next(line for line in _rows(table) if line.startswith("| `lenet5`")).endswith(
        "| not measured |")


def test_failures_errors_and_debts_are_stated():
    entry = keras_zoo.models.info("mlp")
    failed = dict(RECORD, failed=["savedmodel max |diff| (fresh process, no keras_zoo)"])
    assert deploy_table.row(entry, failed)[-1] == \
        "FAILED: savedmodel max /diff/ (fresh process, no keras_zoo)"
    assert deploy_table.row(entry, {"model": "mlp", "error": "ValueError: a | b"})[-1] == \
        "export failed: ValueError: a / b"
    indebted = next(e for e in keras_zoo.models.entries() if "int8" in e.debts)
    assert deploy_table.row(indebted, dict(RECORD, model=indebted.name))[-1] == \
        "passed; declared debt: int8"


def test_a_mode_that_does_not_convert_is_stated_with_its_reason():
    """String-input text models have no .tflite, a model whose int8 conversion fails keeps its
    float figures: "—" in the missing cells, the reason (and the declared debt) in the last."""
    text = next(e for e in keras_zoo.models.entries() if "tflite" in e.debts)
    record = {"model": text.name, "preset": "tiny", "verified": True, "failed": [],
              "int8_agreement": None, "no_tflite": "string inputs ['text']: no LiteRT builtin"}
    cells = deploy_table.row(text, record)
    assert cells[1:6] == ("\u2014",) * 5
    assert cells[-1].startswith("passed; no .tflite: string inputs ['text']: no LiteRT builtin "
                                "(declared debt: ")
    int8_debt = next(e for e in keras_zoo.models.entries()
                     if "int8" in e.debts and "tflite" not in e.debts)
    record = dict(RECORD, model=int8_debt.name, failed=[], int8_bytes=None, int8_ms=None,
                  int8_agreement=None, int8_error="RuntimeError: RuntimeError")
    cells = deploy_table.row(int8_debt, record)
    assert cells[1] == "12.2 KB" and cells[3] == "0.0042"  # the float figures stay
    assert cells[2] == cells[4] == cells[5] == "\u2014"
    assert cells[-1].startswith("passed; no int8 .tflite: RuntimeError: RuntimeError "
                                "(declared debt: ")
    for cell in cells:
        assert "|" not in cell
    # Converted but refused by LiteRT at run time (verify's row "tflite int8 (x_int8.tflite)"
    # with no figure): the size and call time stand, the agreement does not.
    record = dict(RECORD, model=int8_debt.name, int8_agreement="unreadable",
                  failed=[f"tflite int8 ({int8_debt.name}_int8.tflite)"])
    cells = deploy_table.row(int8_debt, record)
    assert cells[2] == "6.3 KB" and cells[5] == "\u2014"
    assert cells[-1].startswith("passed; int8 .tflite: converts, but does not run in LiteRT "
                                "(declared debt: ")


def test_string_inputs_are_read_from_the_serving_signature():
    import tensorflow as tf

    class Task:
        def serving_fn(self, model):
            return tf.function(lambda text, ids: {}, input_signature=[
                tf.TensorSpec([None], tf.string, name="text"),
                tf.TensorSpec([None, 4], tf.int32, name="ids")])

    assert deploy_table.string_inputs(Task(), None) == ["text"]


def test_the_table_replaces_only_its_own_block():
    readme = (f"# x\n{readme_table.BEGIN}\nmodels\n{readme_table.END}\n"
              f"{deploy_table.BEGIN}\nold\n{deploy_table.END}\ntail\n")
    table = f"{deploy_table.BEGIN}\nnew\n{deploy_table.END}"
    assert deploy_table.replace_table(readme, table) == readme.replace("old", "new")
    with pytest.raises(ValueError, match="once, found it 2 times"):
        deploy_table.replace_table(readme + deploy_table.END, table)


def test_measure_runs_the_export_and_verify_code(monkeypatch, tmp_path):
    """The figures are export's files and verify's rows: ``measure`` exports float and int8 with
    ``keras_zoo.export.export`` and checks with ``keras_zoo.export.verify``."""
    import keras_zoo.export as export_module

    calls = {}

    def fake_export(model, name, entry, version, root, tflite, source, representative_size):
        calls["export"] = (name, entry.name, tflite, source, representative_size)
        path = os.path.join(root, name, "1")
        os.makedirs(path)
        for mode in tflite:
            with open(os.path.join(path, f"{name}_{mode}.tflite"), "wb") as f:
                f.write(b"x" * (100 if mode == "float" else 40))
        with open(os.path.join(path, "keras_zoo.json"), "w") as f:
            json.dump({"model": name, "task": entry.task, "source": source,
                       "tflite": {m: f"{name}_{m}.tflite" for m in tflite}}, f)
        return path

    def fake_verify(path, keras_path, n, fresh):
        calls["verify"] = (path, keras_path, n, fresh)
        return False, [("savedmodel max |diff| (fresh process, no keras_zoo)", "0.00e+00",
                        "<= 0.0001", True),
                       ("tflite float max |diff| (mlp.tflite)", "1.00e-06", "<= 0.0001", True),
                       ("tflite int8 top-1 agreement (mlp_int8.tflite)", "0.5000", ">= 0.98",
                        False)]

    monkeypatch.setattr(export_module, "export", fake_export)
    monkeypatch.setattr(export_module, "verify", fake_verify)
    monkeypatch.setattr(deploy_table, "latency_ms", lambda flat, inputs: len(flat) / 1000)
    record = deploy_table.measure("mlp", str(tmp_path), fresh="process")
    keras_path = str(tmp_path / "mlp.keras")
    assert os.path.isfile(keras_path)  # the .keras verify compares with
    assert calls["export"] == ("mlp", "mlp", ("float", "int8"), keras_path,
                               deploy_table.REPRESENTATIVE)
    assert calls["verify"] == (str(tmp_path / "mlp" / "1"), keras_path,
                               deploy_table.VERIFY_EXAMPLES, "process")
    assert record == {"model": "mlp", "preset": "tiny", "verified": False,
                      "failed": ["tflite int8 top-1 agreement (mlp_int8.tflite)"],
                      "int8_agreement": "0.5000", "float_bytes": 100, "float_ms": 0.1,
                      "int8_bytes": 40, "int8_ms": 0.04}


def test_measure_drops_the_mode_that_does_not_convert(monkeypatch, tmp_path):
    """int8 conversion raises: the float .tflite is exported, verified and timed all the same,
    and the record keeps the converter's error for the table."""
    import keras_zoo.export as export_module

    tried = []

    def fake_export(model, name, entry, version, root, tflite, source, representative_size):
        tried.append(tflite)
        if "int8" in tflite:
            raise RuntimeError("quantizer\nsecond line")
        path = os.path.join(root, name, str(version))
        os.makedirs(path)
        with open(os.path.join(path, f"{name}.tflite"), "wb") as f:
            f.write(b"x" * 100)
        with open(os.path.join(path, "keras_zoo.json"), "w") as f:
            json.dump({"model": name, "task": entry.task, "source": source,
                       "tflite": {"float": f"{name}.tflite"}}, f)
        return path

    monkeypatch.setattr(export_module, "export", fake_export)
    monkeypatch.setattr(export_module, "verify", lambda path, keras_path, n, fresh: (
        True, [("tflite float max |diff| (mlp.tflite)", "0", "<= 0.0001", True)]))
    monkeypatch.setattr(deploy_table, "latency_ms", lambda flat, inputs: len(flat) / 1000)
    record = deploy_table.measure("mlp", str(tmp_path))
    assert tried == [("float", "int8"), ("float",)]
    assert record["int8_error"] == "RuntimeError: quantizer"
    assert record["float_bytes"] == 100 and "int8_bytes" not in record and record["verified"]


def test_the_cache_is_read_back_and_not_measured_again(monkeypatch, tmp_path):
    cache = tmp_path / "deploy.jsonl"
    cache.write_text(json.dumps({"model": "mlp", "error": "the measuring process died"}) + "\n"
                     + json.dumps(RECORD) + "\n")
    monkeypatch.setattr(deploy_table, "measure", lambda *a, **k: pytest.fail("measured"))
    assert deploy_table.measure_all(["mlp"], cache=str(cache)) == {"mlp": RECORD}


@pytest.mark.parametrize("argv, message", [
    (["table", "--models", "mlp"], "only apply with --deploy"),
    (["table", "--cache", "x.jsonl"], "only apply with --deploy"),
    (["table", "--deploy", "--no-params"], "--no-params applies to the model table only"),
    (["table", "--deploy", "--models", "mlp,lenet6"], "not registered: ['lenet6']"),
])
def test_the_cli_refuses_in_one_line(capsys, argv, message):
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert message in err


@pytest.mark.slow
def test_two_models_measured_for_real_into_a_readme(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{deploy_table.BEGIN}\n{deploy_table.END}\nend\n")
    cache = tmp_path / "deploy.jsonl"
    assert cli.main(["table", "--deploy", "--models", "mlp,lenet5", "--cache", str(cache),
                     "--write", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("\nend\n")
    for name in ("mlp", "lenet5"):
        line = next(line for line in _rows(text) if line.startswith(f"| `{name}`"))
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert re.fullmatch(r"[\d.]+ KB", cells[1]) and re.fullmatch(r"[\d.]+ KB", cells[2])
        assert float(cells[3]) > 0 and float(cells[4]) > 0
        assert 0 <= float(cells[5]) <= 1
        assert cells[6] == "passed"
    assert sum("not measured" in line for line in _rows(text)) == \
        len(keras_zoo.models.entries()) - 2
    assert len(cache.read_text().splitlines()) == 4  # a "died" marker, then the record, each


def test_the_readme_block_is_the_generator_s():
    """README's deploy block appears once; once generated, its rows are the registry's models
    and its header and columns are the generator's (the figures are measured, not checked)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    assert readme.count(deploy_table.BEGIN) == 1 and readme.count(deploy_table.END) == 1
    block = readme[readme.index(deploy_table.BEGIN):readme.index(deploy_table.END)
                   + len(deploy_table.END)]
    rows = _rows(block)
    if not rows:  # not generated yet: it says how to
        assert "keras-zoo table --deploy" in block
        return
    expected = deploy_table.markdown_table({})
    names = [re.match(r"^\| `([^`]+)`", line).group(1) for line in rows]
    assert names == [entry.name for entry in keras_zoo.models.entries()], \
        "README's deploy table is stale: run `keras-zoo table --deploy --write README.md`"
    assert [line for line in block.splitlines() if not line.startswith("| `")] == \
        [line for line in expected.splitlines() if not line.startswith("| `")]
    for line in rows:
        assert line.count("|") == len(deploy_table.COLUMNS) + 1, line
        # Every model has its figures, or the row says why it has none.
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not re.fullmatch(r"[\d.]+ KB", cells[1]):
            assert (cells[1] == "\u2014" and "no .tflite: " in cells[-1]) or (
                cells[1] == "" and cells[-1].startswith(("export failed: ", "not measured"))), \
                line
        if not re.fullmatch(r"[\d.]+ KB", cells[2]) and cells[1] != "":
            assert cells[2] == "\u2014" and "tflite: " in cells[-1], line
