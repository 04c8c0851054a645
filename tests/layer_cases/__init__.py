"""Layer battery cases, one module per layer family (see tests/layer_harness.py)."""

import importlib
import pkgutil


def cases_by_module():
    """``{module name: [LayerCase, ...]}``, modules and their cases in a fixed order."""
    groups = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        groups[info.name] = list(module.CASES)
    return groups


def all_cases():
    return [case for cases in cases_by_module().values() for case in cases]
