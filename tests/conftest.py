import gc
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Determinism: seeded runs repeat exactly (tests rely on it).
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")

import keras  # noqa: E402
import pytest  # noqa: E402

from tests import xdist_groups  # noqa: E402


@pytest.fixture(scope="session")
def fresh():
    """One fresh process without keras_zoo that loads and runs SavedModels, shared by every
    test of the session that needs one (per xdist worker): TensorFlow's import in it (~4-6 CPU
    s) is paid once, not once per module (the battery, the export, detector and text tests)."""
    from keras_zoo.export.fresh import FreshProcess

    with FreshProcess() as process:
        yield process


@pytest.fixture
def graph_optimizer_off():
    """Grappler (TensorFlow's graph optimizer) off, for tests that trace a tiny model's train
    step and run it a few dozen times: it rewrites each traced graph before its first run (a
    third of such a test's time). The same graphs run, unrewritten, as in the battery's fit
    check; export tests keep it on, since they prove what is served."""
    import tensorflow as tf

    before = tf.config.optimizer.get_experimental_options().get("disable_meta_optimizer", False)
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    yield
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": before})


@pytest.fixture
def verify_in_the_shared_fresh_process(fresh, monkeypatch):
    """A command's verify (``keras-zoo verify``, ``train --export``) starts its own fresh
    process (one TensorFlow import, ~5 CPU s): here it gets the session's ``fresh``, a process
    without keras_zoo all the same, in which the SavedModel check still runs."""
    import contextlib

    import keras_zoo.export
    import keras_zoo.export.fresh

    @contextlib.contextmanager
    def shared(timeout=300):
        yield fresh

    monkeypatch.setattr(keras_zoo.export.fresh, "FreshProcess", shared)  # verify's default
    monkeypatch.setattr(keras_zoo.export, "FreshProcess", shared)  # train --export's
    return fresh


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)
    yield


def pytest_collection_modifyitems(items):
    # The conformance battery runs entry by entry, in its module's CHECK_ORDER: an entry's
    # checks share one build, one SavedModel... (test_conformance._Artifacts), kept only while
    # its checks run. It runs first. Under xdist an entry's checks are one unit of work
    # (tests/xdist_groups.py), and xdist hands out the units with the most tests first
    # (--loadscope-reorder, its default): the battery's and the shared-fixture groups, then the
    # tests that share nothing (mostly short, one by one), so that the two workers end together.
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


def pytest_collection_finish(session):
    # What exists once the suite is collected (TensorFlow, Keras, keras_zoo, ~3,800 test items:
    # 0.5-0.7 M objects) lives to the end: frozen out of the garbage collector's full passes,
    # which otherwise walk it 30-70 times per worker. Measured (battery + layer tests, -n 2,
    # load ~2): GC 12.3 -> 9.3 CPU s per worker, user CPU 548 -> 532 s, peak memory unchanged.
    gc.collect()
    gc.freeze()


def pytest_configure(config):
    # xdist's units of work (tests/xdist_groups.py): under ``--dist loadgroup`` (setup.cfg) the
    # tests that share an ``xdist_group`` mark (all checks of a battery entry, and of the
    # entries that may share its tiny graph) or a module- or class-scoped fixture run in one
    # worker; every other test on its own.
    config.pluginmanager.register(xdist_groups.Plugin(), "keras_zoo_work_groups")


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
