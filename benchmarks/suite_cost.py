"""The cost of proof: seconds per model per check of the conformance battery.

    python benchmarks/suite_cost.py                 # the whole battery, 2 xdist workers
    python benchmarks/suite_cost.py -n 0 -k lenet5  # extra arguments go to pytest
    python benchmarks/suite_cost.py --all           # the whole default suite, costs per file
    python benchmarks/suite_cost.py --junit FILE    # the report of an earlier run

Runs tests/test_conformance.py (``--all``: the whole default tier) under pytest with a JUnit
XML report and the ``cpu_time`` plugin (benchmarks/cpu_time.py: each test's CPU seconds, its
child processes included), then prints one row per model (seconds per check, and the model's
total), the ten most expensive models, test files and other tests, and the battery's average
per model against ``--budget`` with the suite's projected wall time at ``--models`` entries.

Seconds are CPU seconds (``--wall``: wall seconds). Wall time depends on the machine's load (it
is shared by other jobs); CPU time much less, and on an otherwise idle 2-core machine the suite's
wall time is about its CPU seconds over the 2 workers (one test at a time in each).
The first SavedModel check in each worker also pays the fresh process's TensorFlow import
(about 6 CPU seconds, once per worker). Under heavy load CPU seconds still grow somewhat
(threads spinning while they wait for a core): compare runs made under similar load.
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
HERE = os.path.dirname(os.path.abspath(__file__))
#: CPU seconds per model the battery may cost on average (an idle 2-core machine of the CI kind;
#: the slow CI machines take up to twice as long). With ~200 models and the other tests'
#: share, this keeps README's `pytest -n 2` near 10 minutes here, under 20 on the slow kind.
BUDGET_PER_MODEL = 4.0
#: The wall time the whole default suite must stay under on this machine (seconds).
SUITE_BUDGET = 600.0
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


def _seconds(case, wall):
    if not wall:
        for prop in case.iter("property"):
            if prop.get("name") == "cpu_seconds":
                return float(prop.get("value"))
    return float(case.get("time", 0.0))


def parse(junit_path, wall=False):
    """``{model: {check: seconds}}``, the seconds of the other tests, and ``{file: seconds}``
    of every test (CPU seconds where the report has them, unless ``wall``). The seconds of each
    other test (``{file::name: seconds}``) are ``files.tests``."""
    costs, other = collections.defaultdict(dict), 0.0
    files = collections.Counter()
    files.tests = collections.Counter()
    for case in ET.parse(junit_path).getroot().iter("testcase"):
        seconds = _seconds(case, wall)
        name = case.get("name", "")
        files[case.get("classname", "?").replace(".", "/") + ".py"] += seconds
        function, _, param = name.partition("[")
        if function in CHECKS and param and "conformance" in case.get("classname", ""):
            costs[param.rstrip("]").split("@")[0]][CHECKS[function]] = seconds
        else:
            other += seconds
            files.tests[case.get("classname", "?").replace(".", "/") + ".py::" + name] += seconds
    return costs, other, files


def report(costs, other, wall, out=sys.stdout, files=None, budget=BUDGET_PER_MODEL,
           models=200, workers=2):
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
    if files:
        print("most expensive test files (all their tests):", file=out)
        for name, seconds in files.most_common(15):
            print(f"  {seconds:8.1f} s  {name}", file=out)
        tests = getattr(files, "tests", None)
        if tests:
            print("ten most expensive tests outside the battery:", file=out)
            for name, seconds in tests.most_common(10):
                print(f"  {seconds:8.2f} s  {name}", file=out)
    if costs:
        per_model = sum(totals.values()) / len(costs)
        verdict = "within" if per_model <= budget else "OVER"
        print(f"battery: {per_model:.2f} s per model on average, budget {budget:.2f} s: {verdict}",
              file=out)
        if files and len(files) > 1:  # more than the battery ran: project the suite
            projected = (per_model * models + other) / workers
            verdict = "within" if projected <= SUITE_BUDGET else "OVER"
            print(f"projected suite at {models} models: ({per_model:.2f} x {models} + "
                  f"{other:.0f}) / {workers} workers = {projected / 60:.1f} min, budget "
                  f"{SUITE_BUDGET / 60:.0f} min here: {verdict}", file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", "-n", default="2", help="xdist workers (default 2)")
    parser.add_argument("--junit", help="read this JUnit XML instead of running the battery")
    parser.add_argument("--all", action="store_true",
                        help="run the whole default suite, not only the battery")
    parser.add_argument("--wall", action="store_true", help="wall seconds, not CPU seconds")
    parser.add_argument("--budget", type=float, default=BUDGET_PER_MODEL,
                        help=f"battery seconds per model (default {BUDGET_PER_MODEL})")
    parser.add_argument("--models", type=int, default=200,
                        help="registry size to project the suite to (default 200)")
    parser.add_argument("--keep", help="also write the JUnit XML report here")
    args, pytest_args = parser.parse_known_args(argv)
    options = dict(budget=args.budget, models=args.models,
                   workers=max(1, int(args.workers)) if args.workers.isdigit() else 2)
    if args.junit:
        costs, other, files = parse(args.junit, args.wall)
        report(costs, other, float("nan"), files=files, **options)
        return 0
    with tempfile.TemporaryDirectory(prefix="suite_cost_") as tmp:
        junit = os.path.join(tmp, "junit.xml")
        junit = args.keep or junit
        command = [sys.executable, "-m", "pytest", "-q", "-n", args.workers, "-p", "cpu_time",
                   f"--junitxml={junit}", *([] if args.all else ["tests/test_conformance.py"]),
                   *pytest_args]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [HERE, *filter(None, [os.environ.get("PYTHONPATH")])]))
        start = time.perf_counter()
        code = subprocess.call(command, cwd=ROOT, env=env)
        wall = time.perf_counter() - start
        if not os.path.exists(junit):
            print(f"pytest exited {code} without a report", file=sys.stderr)
            return code or 1
        costs, other, files = parse(junit, args.wall)
    report(costs, other, wall, files=files if args.all else None, **options)
    return code


if __name__ == "__main__":
    sys.exit(main())
