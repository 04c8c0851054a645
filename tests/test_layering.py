"""The import layering, read from the source with ``ast`` (every import, also inside functions):
data/boxes -> layers -> blocks -> models -> tasks -> export/distribute -> training -> CLI.

A module may import its own layer and those below it, never one above; ``keras_zoo`` never
imports the top-level ``training`` package; a private module (``_name``) is imported only from
inside its own package.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: Layer of each part of the two packages; a part not listed fails the test (place it here).
LAYERS = {
    0: ("keras_zoo.registry", "keras_zoo._discover", "keras_zoo.data", "keras_zoo.boxes",
        "keras_zoo.plots"),
    1: ("keras_zoo.layers", "keras_zoo.losses", "keras_zoo.metrics", "keras_zoo.visualize"),
    2: ("keras_zoo.blocks", "keras_zoo.weights"),
    # ``import keras_zoo`` imports keras_zoo.layers and keras_zoo.models.
    3: ("keras_zoo.models", "keras_zoo"),
    4: ("keras_zoo.tasks",),
    5: ("keras_zoo.export", "keras_zoo.distribute", "keras_zoo.explain", "keras_zoo.robust",
        "keras_zoo.benchmarks", "keras_zoo.readme_table", "keras_zoo.deploy_table",
        "keras_zoo.transfer"),
    6: ("training",),
    7: ("training.cli", "training.commands"),
}
NAMES = {0: "data/boxes", 1: "layers", 2: "blocks", 3: "models", 4: "tasks",
         5: "export/distribute", 6: "training", 7: "CLI"}


def _part(module):
    """The most specific ``LAYERS`` part that ``module`` belongs to, or None."""
    best = None
    for parts in LAYERS.values():
        for part in parts:
            # The package root holds only its __init__: a new module of it must be placed.
            inside = module.startswith(part + ".") and part != "keras_zoo"
            if (module == part or inside) and (
                    best is None or len(part) > len(best)):
                best = part
    return best


def _layer(part):
    return next(rank for rank, parts in LAYERS.items() if part in parts)


def _modules():
    for package in ("keras_zoo", "training"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            yield ".".join(parts[:-1] if is_package else parts), is_package, path


def _exists(module):
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _imports(module, is_package, path):
    """``(imported module, line)`` of every import of ``keras_zoo``/``training`` in a file."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[:len(module.split(".")) - node.level + is_package]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            targets = [f"{source}.{a.name}" if _exists(f"{source}.{a.name}") else source
                       for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in ("keras_zoo", "training"):
                yield target, node.lineno


def _private_outside(importer, target):
    """Whether ``target`` has a private component that ``importer`` is outside of."""
    parts = target.split(".")
    for i, name in enumerate(parts):
        if name.startswith("_") and not name.startswith("__"):
            package = ".".join(parts[:i])
            return not (importer == package or importer.startswith(package + "."))
    return False


def _violations():
    found = []
    for module, is_package, path in _modules():
        part = _part(module)
        if part is None:
            found.append(f"{module}: not placed in a layer (add it to LAYERS in {__file__})")
            continue
        for target, line in _imports(module, is_package, path):
            where = f"{path.relative_to(ROOT)}:{line}"
            target_part = _part(target)
            if target_part is None:
                found.append(f"{where}: imports {target}, which is in no layer")
            elif _layer(target_part) > _layer(part):
                found.append(f"{where}: {part} ({NAMES[_layer(part)]}) imports {target} "
                             f"({NAMES[_layer(target_part)]}), a layer above it")
            if _private_outside(module, target):
                found.append(f"{where}: imports the private module {target} from outside "
                             "its package")
    return found


def test_no_import_runs_back_up_the_layers():
    violations = _violations()
    assert not violations, "\n".join(violations)


def test_keras_zoo_never_imports_training():
    for module, is_package, path in _modules():
        if module.split(".")[0] == "keras_zoo":
            for target, line in _imports(module, is_package, path):
                assert target.split(".")[0] != "training", f"{path}:{line} imports {target}"


@pytest.mark.parametrize("importer, target, bad", [
    ("keras_zoo.models.sequence.rnn", "keras_zoo.tasks", True),
    ("keras_zoo.tasks.detection", "keras_zoo.models", False),
    ("keras_zoo.layers.attention", "keras_zoo.blocks.transformer", True),
    ("training.trainer", "training.cli", True),
    ("training.cli", "training.trainer", False),
])
def test_the_rule_itself(importer, target, bad):
    assert (_layer(_part(target)) > _layer(_part(importer))) is bad


def test_private_rule_itself():
    assert _private_outside("training.commands.x", "keras_zoo.explain._model")
    assert not _private_outside("keras_zoo.explain.saliency", "keras_zoo.explain._model")
    assert not _private_outside("keras_zoo.layers", "keras_zoo._discover")
