"""The cost of proof: seconds per model per check of the conformance battery.

    python benchmarks/suite_cost.py                 # the whole battery, 2 xdist workers
    python benchmarks/suite_cost.py -k "lenet5"     # extra arguments go to pytest

Runs tests/test_conformance.py under pytest with a JUnit XML report (each test's setup, call
and teardown time), then prints one row per model (seconds per check, and the model's total),
the battery's total and wall time, and the ten most expensive models. The figures depend on the
machine's load: compare runs made under the same conditions.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Test function -> the registry's check name (keras_zoo.models.registry.CHECKS).
CHECKS = {
    "test_build": "build",
    "test_forward": "forward",
    "test_fit_learns": "fit",
    "test_keras_roundtrip": "keras_roundtrip",
    "test_savedmodel_in_fresh_process": "savedmodel",
    "test_tflite_builtin_ops_and_parity": "tflite",
    "test_int8_tflite": "int8",
}


def parse(junit_path):
    """``{model: {check: seconds}}`` and the seconds of the battery's other tests."""
    costs, other = collections.defaultdict(dict), 0.0
    for case in ET.parse(junit_path).getroot().iter("testcase"):
        seconds = float(case.get("time", 0.0))
        name = case.get("name", "")
        function, _, param = name.partition("[")
        if function in CHECKS and param:
            costs[param.rstrip("]").split("@")[0]][CHECKS[function]] = seconds
        else:
            other += seconds
    return costs, other


def report(costs, other, wall, out=sys.stdout):
    checks = list(CHECKS.values())
    totals = {m: sum(c.values()) for m, c in costs.items()}
    width = max([len(m) for m in costs] + [5])
    print(f"{'model':{width}s} " + " ".join(f"{c[:9]:>9s}" for c in checks) + "     total",
          file=out)
    for model in sorted(costs):
        print(f"{model:{width}s} " + " ".join(
            f"{costs[model].get(c, float('nan')):9.2f}" for c in checks)
            + f" {totals[model]:9.2f}", file=out)
    per_check = {c: sum(m.get(c, 0.0) for m in costs.values()) for c in checks}
    print(f"{'all':{width}s} " + " ".join(f"{per_check[c]:9.1f}" for c in checks)
          + f" {sum(totals.values()):9.1f}", file=out)
    print(f"\n{len(costs)} models; test time {sum(totals.values()) + other:.1f} s "
          f"(other tests {other:.1f} s); wall {wall:.1f} s", file=out)
    print("ten most expensive models:", file=out)
    for model, seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:10]:
        worst = max(costs[model], key=costs[model].get)
        print(f"  {model:{width}s} {seconds:8.2f} s  (most: {worst} "
              f"{costs[model][worst]:.2f} s)", file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", "-n", default="2", help="xdist workers (default 2)")
    parser.add_argument("--junit", help="read this JUnit XML instead of running the battery")
    args, pytest_args = parser.parse_known_args(argv)
    if args.junit:
        costs, other = parse(args.junit)
        report(costs, other, float("nan"))
        return 0
    with tempfile.TemporaryDirectory(prefix="suite_cost_") as tmp:
        junit = os.path.join(tmp, "junit.xml")
        command = [sys.executable, "-m", "pytest", "-q", "-n", args.workers,
                   f"--junitxml={junit}", "tests/test_conformance.py", *pytest_args]
        start = time.perf_counter()
        code = subprocess.call(command, cwd=ROOT)
        wall = time.perf_counter() - start
        if not os.path.exists(junit):
            print(f"pytest exited {code} without a report", file=sys.stderr)
            return code or 1
        costs, other = parse(junit)
    report(costs, other, wall)
    return code


if __name__ == "__main__":
    sys.exit(main())
