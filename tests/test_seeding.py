"""Seeded runs repeat across processes: nothing random is made at import time.

An unseeded Keras random initializer or ``keras.random.SeedGenerator`` takes its seed from
Python's ``random`` when it is constructed. Made at import time (a module constant, a class
attribute, a default argument), it is constructed before ``keras.utils.set_random_seed`` runs,
so the weights it draws differ from one process to the next even for a seeded build. Measured:
a module-level ``TruncatedNormal`` in the BERT builders made ViLBERT's tiny weights (and so its
int8 check) differ between runs of the same seeded test.
"""

import ast
import inspect
import pathlib

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: Everything that draws its seed at construction when given none.
SEEDED_AT_CONSTRUCTION = {
    name for name in dir(keras.initializers)
    if isinstance(getattr(keras.initializers, name), type)
    and "seed" in inspect.signature(getattr(keras.initializers, name)).parameters
} | {"SeedGenerator"}


def _import_time_nodes(tree):
    """Expressions evaluated when the module is imported: module and class bodies (not function
    bodies) and every function's default arguments."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from node.args.defaults
            yield from (d for d in node.args.kw_defaults if d is not None)
            yield from node.decorator_list
        elif isinstance(node, ast.ClassDef):
            pending.extend(node.body)
            yield from node.decorator_list
        else:
            yield node


def _unseeded_calls(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for top in _import_time_nodes(tree):
        for node in ast.walk(top):
            if isinstance(node, (ast.FunctionDef, ast.Lambda)):
                continue
            if (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
                    and (node.func.attr if isinstance(node.func, ast.Attribute)
                         else node.func.id) in SEEDED_AT_CONSTRUCTION
                    and not any(k.arg == "seed" for k in node.keywords)):
                yield f"{path.relative_to(ROOT)}:{node.lineno}"


def test_the_scan_knows_the_random_initializers():
    assert {"TruncatedNormal", "GlorotUniform", "HeNormal", "SeedGenerator"} <= \
        SEEDED_AT_CONSTRUCTION
    assert "Zeros" not in SEEDED_AT_CONSTRUCTION


def test_the_scan_finds_an_import_time_initializer(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import keras\nINIT = keras.initializers.TruncatedNormal(stddev=0.02)\n"
                   "def f(x, init=keras.initializers.HeNormal()):\n"
                   "    return keras.initializers.HeNormal()\n")
    global ROOT
    root, ROOT = ROOT, tmp_path
    try:
        assert sorted(_unseeded_calls(bad)) == ["bad.py:2", "bad.py:3"]
    finally:
        ROOT = root


@pytest.mark.parametrize("package", ["keras_zoo", "training"])
def test_nothing_random_is_made_at_import_time(package):
    found = [hit for path in sorted((ROOT / package).rglob("*.py"))
             for hit in _unseeded_calls(path)]
    assert not found, ("unseeded random initializers or seed generators made at import time "
                       f"(make them inside the builder): {found}")
