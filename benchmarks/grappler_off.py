"""A pytest plugin that runs every test with Grappler off (``-p grappler_off``, benchmarks/ on the
path): what the suite would cost if tests/conftest.py turned TensorFlow's graph optimizer off
for the tests that do not prove an export.

    PYTHONPATH=benchmarks python -m pytest -n 0 -p cpu_time -p grappler_off FILES --junitxml=X

Grappler rewrites each traced function before its first run (fusions, constant folding,
layout); a test's tiny model then runs it a few times, so the rewrite can cost more than it
saves. The battery's fit does this already (tests/test_conformance.py, ``_graph_optimizer_off``:
mobilenetv2's fit 3.45 -> 2.36 CPU s). Compare a file's CPU seconds with and without this plugin
(``benchmarks/suite_cost.py --junit``) before proposing it for a file or the whole suite.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _grappler_off():
    import tensorflow as tf

    before = tf.config.optimizer.get_experimental_options().get("disable_meta_optimizer", False)
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    yield
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": before})
