import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Determinism: seeded runs repeat exactly (tests rely on it).
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)
    yield


def pytest_collection_modifyitems(items):
    # The conformance battery runs entry by entry, in its module's CHECK_ORDER: an entry's
    # checks share one build, one SavedModel... (test_conformance._Artifacts), kept only while
    # its checks run. It runs first: under xdist an entry's checks are one unit of work
    # (5-60 s), and the other tests (mostly short, spread one by one) then fill in, so that
    # the two workers end together instead of one waiting for the other's last entry.
    slots = [i for i, item in enumerate(items)
             if hasattr(getattr(item, "module", None), "CHECK_ORDER")
             and "entry" in getattr(getattr(item, "callspec", None), "params", {})]
    if not slots:
        return
    module = items[slots[0]].module
    entries = {entry.name: i for i, entry in enumerate(module.ENTRIES)}
    rank = {name: i for i, name in enumerate(module.CHECK_ORDER)}
    ordered = sorted((items[i] for i in slots), key=lambda item: (
        entries[item.callspec.params["entry"].name], rank.get(item.originalname, len(rank))))
    taken = set(slots)
    items[:] = ordered + [item for i, item in enumerate(items) if i not in taken]


def pytest_terminal_summary(terminalreporter):
    # The conformance battery proves an entry's heavy checks through an earlier entry with the
    # same tiny graph (tests/test_conformance.py, _twin): say which, so that it is visible.
    twins = {}
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
            "xfailed", []):
        for key, value in getattr(report, "user_properties", ()):
            if key == "same_tiny_graph_as":
                twins[report.nodeid.rsplit("[", 1)[-1].rstrip("]")] = value
    if twins:
        terminalreporter.write_line(
            "heavy checks proved through an earlier entry's identical tiny graph: "
            + ", ".join(f"{name} -> {twin}" for name, twin in sorted(twins.items())))
