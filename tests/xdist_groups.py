"""Which tests must share an xdist worker, and the scheduler that keeps them together.

Under ``--dist loadgroup`` (setup.cfg) xdist hands out units of work: a test alone, or a
group. Tests are one group when they share something a worker makes once: an ``xdist_group``
mark, or a ``class``/``module``/``package``-scoped fixture (a model trained or exported once
for the module). Split between two workers, each worker makes it: the fixture runs twice.

xdist 3.8 groups by a suffix it writes into each item's ``_nodeid`` in the workers; pytest 9.2
builds test ids from another attribute, so the suffix never reaches the controller, which sees
test ids only, and every test was its own unit of work. So each worker writes the groups it
collected (test id -> group) into a directory the controller hands it (``workerinput``), and the
controller's scheduler reads them. The conformance battery's units (an entry's checks with the
entries that may share its tiny graph) are ``xdist_group`` marks like any other.

A guard: each worker records which shared fixtures it set up; at the end the controller fails
the session if one was set up in two workers (the grouping did not reach the scheduler).

``Plugin`` holds the hooks; tests/conftest.py registers it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import pytest

#: Fixture scopes whose value a worker makes once for many tests.
SHARED_SCOPES = ("class", "module", "package")
#: The ``workerinput`` key naming the directory the workers write into.
KEY = "keras_zoo_work_groups"


def _mark_name(mark):
    return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))


def fixture_key(fixturedef):
    """A shared fixture's name, unique in the session: where it is defined, and its name."""
    return f"{fixturedef.baseid}::{fixturedef.argname}"


def _shares(item):
    """What ``item`` shares with other tests: its ``xdist_group`` marks and shared fixtures."""
    keys = [f"group:{_mark_name(mark)}" for mark in item.iter_markers("xdist_group")]
    info = getattr(item, "_fixtureinfo", None)
    for name in (info.names_closure if info is not None else ()):
        defs = info.name2fixturedefs.get(name)
        if defs and defs[-1].scope in SHARED_SCOPES:
            keys.append(f"fixture:{fixture_key(defs[-1])}")
    return keys


def work_groups(items):
    """Test id -> group, for the tests that share something (the others are not listed). Two
    tests sharing anything are in one group, transitively (a union of what they share)."""
    parent = {}

    def find(key):
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    shares = {}
    for item in items:
        keys = _shares(item)
        if keys:
            shares[item.nodeid] = keys
            for key in keys[1:]:
                parent[find(key)] = find(keys[0])
    return {nodeid: find(keys[0]) for nodeid, keys in shares.items()}


def _write_json(path, value):
    # Whole or not at all: the controller may read the directory at any time after.
    with open(path + ".tmp", "w") as f:
        json.dump(value, f)
    os.replace(path + ".tmp", path)


def _read_all(directory, suffix):
    """``{worker id: content}`` of the files the workers wrote with ``suffix``."""
    found = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(suffix):
            with open(os.path.join(directory, name)) as f:
                found[name[:-len(suffix)]] = json.load(f)
    return found


class SchedulingError(Exception):
    """An error of the test run's scheduling, not of the test that meets it (the battery's
    checks of one entry split between workers). ``Plugin`` fails such a test also where it
    is expected to fail: a declared debt's strict ``xfail`` would count it as the expected
    failure, and the debt tier would pass with the error in it."""


class Plugin:
    """The hooks, in the controller and in each worker."""

    def __init__(self):
        self.directory = None  # the controller's, or the one it handed this worker
        self.worker = None  # this worker's id
        self.setups = set()
        self.duplicated = {}

    # -- both ------------------------------------------------------------------------------

    def pytest_configure(self, config):
        workerinput = getattr(config, "workerinput", None)
        if workerinput is not None:
            if KEY in workerinput:
                self.directory, self.worker = workerinput[KEY], workerinput["workerid"]
        elif config.getoption("dist", None) == "loadgroup":
            self.directory = tempfile.mkdtemp(prefix="keras-zoo-work-groups-")

    def pytest_unconfigure(self, config):
        if self.worker is None and self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        # tryfirst: the outermost wrapper, so this runs after pytest's xfail handling.
        report = (yield).get_result()
        if (call.excinfo is not None and call.excinfo.errisinstance(SchedulingError)
                and hasattr(report, "wasxfail")):
            report.outcome = "failed"
            del report.wasxfail

    # -- the controller --------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        if self.directory is not None:
            node.workerinput[KEY] = self.directory

    @pytest.hookimpl(tryfirst=True, optionalhook=True)
    def pytest_xdist_make_scheduler(self, config, log):
        """xdist's LoadGroupScheduling with the workers' groups as units of work (``--dist
        loadgroup`` only; any other ``--dist`` is xdist's own); a test in none is its own
        unit, as xdist's loadgroup hands it out."""
        if config.getoption("dist", None) != "loadgroup":
            return None
        from xdist.scheduler import LoadGroupScheduling

        plugin = self

        class GroupScheduling(LoadGroupScheduling):
            groups = None

            def _split_scope(self, nodeid):
                if self.groups is None:
                    # xdist schedules once every worker has collected; each wrote its groups
                    # before it reported its collection (they all collect the same tests).
                    self.groups = plugin.read_groups()
                return self.groups.get(nodeid) or super()._split_scope(nodeid)

        return GroupScheduling(config, log)

    def read_groups(self):
        merged = {}
        for groups in _read_all(self.directory, ".groups.json").values():
            merged.update(groups)
        return merged

    def duplicated_setups(self):
        """Shared fixtures that more than one worker set up: ``{fixture: [worker ids]}``."""
        where = {}
        for worker, keys in _read_all(self.directory, ".setups.json").items():
            for key in keys:
                where.setdefault(key, []).append(worker)
        return {key: workers for key, workers in where.items() if len(workers) > 1}

    # -- a worker --------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        if self.worker is not None:
            self._write("groups", work_groups(items))

    def pytest_fixture_setup(self, fixturedef):
        if self.worker is not None and fixturedef.scope in SHARED_SCOPES:
            self.setups.add(fixture_key(fixturedef))

    # -- the end -----------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session):
        if self.worker is not None:  # before xdist's hook reports that this worker finished
            self._write("setups", sorted(self.setups))
        elif self.directory is not None:  # the workers have all finished
            self.duplicated = self.duplicated_setups()
            if self.duplicated and session.exitstatus in (
                    pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
                session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter):
        if self.duplicated:
            terminalreporter.write_line(
                "FAILED: shared fixtures set up in more than one xdist worker (their tests were "
                "not kept in one worker; tests/xdist_groups.py): " + "; ".join(
                    f"{key} in {', '.join(workers)}"
                    for key, workers in sorted(self.duplicated.items())), red=True)

    def _write(self, what, value):
        _write_json(os.path.join(self.directory, f"{self.worker}.{what}.json"), value)
