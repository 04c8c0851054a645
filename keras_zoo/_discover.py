"""Imports every module of a package, so that adding a file is all it takes to register it."""

import importlib
import pkgutil


def import_submodules(package_name: str, package_path) -> list:
    modules = []
    for info in sorted(pkgutil.iter_modules(package_path), key=lambda i: i.name):
        if info.name.startswith("_") or info.name.endswith("_test"):
            continue
        modules.append(importlib.import_module(f"{package_name}.{info.name}"))
    return modules
