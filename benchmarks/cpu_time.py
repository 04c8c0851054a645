"""A pytest plugin that records each test's CPU seconds (``-p cpu_time``, benchmarks/ on the path).

Wall time depends on how many other processes share the machine; CPU time much less so: the
machine this suite runs on is shared by several jobs, and a test's wall time there says little.
Each phase (setup, call, teardown) is charged the CPU seconds of the test process and of its
child processes (the fresh SavedModel process, workers a test starts), and the test's total is
written as the user property ``cpu_seconds`` (JUnit XML ``<property>``; xdist passes it on).
"""

from __future__ import annotations

import os
import resource
import time

import pytest

try:
    import psutil
except ImportError:  # children still alive are then not counted (they are once they end)
    psutil = None


def cpu_seconds() -> float:
    """CPU seconds of this process, of its ended children and of its living descendants."""
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = time.process_time() + ended.ru_utime + ended.ru_stime
    if psutil is not None:
        for child in psutil.Process(os.getpid()).children(recursive=True):
            try:
                times = child.cpu_times()
            except psutil.Error:  # ended meanwhile: counted by RUSAGE_CHILDREN once reaped
                continue
            total += times.user + times.system
    return total


def _charge(item, start):
    item.stash[_KEY] = item.stash.get(_KEY, 0.0) + max(0.0, cpu_seconds() - start)


_KEY = pytest.StashKey[float]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    start = cpu_seconds()
    yield
    _charge(item, start)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    start = cpu_seconds()
    yield
    _charge(item, start)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    start = cpu_seconds()
    yield
    _charge(item, start)
    # The teardown report is made after this hook: it carries the property to the JUnit file.
    item.user_properties.append(("cpu_seconds", round(item.stash[_KEY], 3)))
