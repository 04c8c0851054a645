"""The xdist units of work (tests/xdist_groups.py), end to end: pytest with two xdist workers on
a small suite of its own (no TensorFlow in it, one run: ~2.7 CPU s), wired as conftest.py wires
it, except that one module's groups are withheld from the scheduler: the guard must report that
module's fixture, and only it."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFTEST = f"""
import sys

sys.path.insert(0, {ROOT!r})
from tests.xdist_groups import Plugin


class Withheld(Plugin):
    def read_groups(self):
        # test_a_withheld.py's groups never reach the scheduler (as xdist's own did not).
        return {{k: v for k, v in super().read_groups().items() if "withheld" not in k}}


def pytest_configure(config):
    config.pluginmanager.register(Withheld(), "keras_zoo_work_groups")
"""

# A module-scoped fixture and four tests that use it.
MODULE_FIXTURE = """@pytest.fixture(scope="module")
def made_once():
    log("fixture", "{fixture}")


@pytest.mark.parametrize("i", range(4))
def test_uses_the_module_fixture(made_once, i):
    time.sleep(0.02)
    log("test", "{test}")"""

# Each test records the worker that ran it; each shared fixture, the workers that made it.
SUITE = f'''
import json
import os
import time

import pytest

LOG = os.environ["LOG"]


def log(kind, name):
    with open(LOG, "a") as f:
        f.write(json.dumps([kind, name, os.environ.get("PYTEST_XDIST_WORKER")]) + "\\n")


{MODULE_FIXTURE.format(fixture="made_once", test="module")}


@pytest.fixture(scope="class")
def per_class():
    log("fixture", "per_class")


class TestOfAClass:
    @pytest.mark.parametrize("i", range(3))
    def test_uses_the_class_fixture(self, per_class, i):
        time.sleep(0.02)
        log("test", "class")


@pytest.mark.parametrize("i", [pytest.param(i, marks=pytest.mark.xdist_group("marked"))
                               for i in range(4)])
def test_marked(i):
    time.sleep(0.02)
    log("test", "marked")


@pytest.mark.parametrize("i", range(8))
def test_alone(i):
    time.sleep(0.02)
    log("test", "alone")
'''


WITHHELD = f'''
import os
import time

import pytest

from test_suite import log


{MODULE_FIXTURE.format(fixture="withheld", test="withheld")}
'''


def test_tests_that_share_a_fixture_or_a_mark_run_in_one_worker_or_the_run_fails(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_suite.py").write_text(SUITE)
    (tmp_path / "test_a_withheld.py").write_text(WITHHELD)
    log = tmp_path / "log.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    done = subprocess.run(
        # Units in collection order (not largest first): test_a_withheld.py's four come first,
        # and xdist hands them out alternately (two each), so that both workers make its fixture.
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-p", "xdist",
         "--no-loadscope-reorder", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path, env={**env, "LOG": str(log)}, capture_output=True, text=True,
        timeout=120)
    workers = {}
    for line in log.read_text().splitlines():
        kind, name, worker = json.loads(line)
        workers.setdefault((kind, name), []).append(worker)
    for shared in ("module", "class", "marked"):
        assert len(set(workers[("test", shared)])) == 1, (shared, workers)
    assert len(workers[("fixture", "made_once")]) == 1
    assert len(workers[("fixture", "per_class")]) == 1
    assert len(set(workers[("test", "alone")])) == 2  # the others are spread
    # Without its groups, test_a_withheld.py's tests went to both workers, and each made its
    # fixture: the run fails, naming it.
    assert sorted(workers[("fixture", "withheld")]) == ["gw0", "gw1"], workers
    assert done.returncode == 1, done.stdout + done.stderr
    assert "23 passed" in done.stdout
    summary = done.stdout[done.stdout.index("shared fixtures set up in more than one"):]
    assert "test_a_withheld.py::made_once in gw0, gw1" in summary
    assert "test_suite.py" not in summary


DEBT = """
import sys

import pytest

sys.path.insert(0, {root!r})
from tests.xdist_groups import SchedulingError


@pytest.fixture
def split():
    raise SchedulingError("lenet5: 3 of its checks ran in another process")


@pytest.mark.xfail(strict=True, reason="a declared debt")
def test_a_debt_whose_entry_was_split(split):
    pass


@pytest.mark.xfail(strict=True, reason="a declared debt")
def test_a_debt_that_fails_as_declared():
    assert False
"""


def test_a_scheduling_error_is_not_taken_for_a_debt_s_expected_failure(tmp_path):
    """The split-entry guard raises ``SchedulingError``; in a strict-xfail (debt) test it still
    fails the run, while the debt's own failure stays the expected one."""
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_debt.py").write_text(DEBT.format(root=ROOT))
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
         "-rE", str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 xfailed, 1 error" in done.stdout, done.stdout
    assert "ERROR test_debt.py::test_a_debt_whose_entry_was_split" in done.stdout, done.stdout
