"""README.md stays true: its commands are what CI runs, its model table is the registry's."""

import os
import re

import pytest

from keras_zoo import readme_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = open(os.path.join(ROOT, "README.md")).read()


def _commands():
    return re.findall(r"```bash\n(.+?)\n```", README, re.S)


def test_the_two_setup_commands_come_first():
    first, second = _commands()[:2]
    assert "pip install -e" in first and "keras-zoo train lenet5 --export" in first
    assert "pip install -e" in second and "pytest" in second
    assert README.index(first) < 1500  # near the top


def test_ci_runs_the_readme_test_command():
    test_command = _commands()[1].split("&&")[-1].strip()
    ci = open(os.path.join(ROOT, ".ci", "run")).read()
    assert re.search(rf"^run_pytest {re.escape(test_command)}$", ci, re.M), test_command


def test_model_table_is_generated_from_the_registry():
    begin = README.index(readme_table.BEGIN)
    end = README.index(readme_table.END)
    table = README[begin:end]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    from training.recipes import describe_train_time

    expected = readme_table.rows(count_params=False, train_time=describe_train_time)
    assert len(rows) == len(expected), "README's table is stale: run `keras-zoo table`"
    for line, (name, task, family, _, status, time) in zip(rows, expected, strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[0] == f"`{name}`" and cells[1] == task and cells[2] == family, line
        assert cells[4] == status, f"{name}: README says {cells[4]!r}, registry {status!r}"
        # The recipe's measured training time on 2 cores ("not measured" where it was not).
        assert cells[5] == time, f"{name}: README says {cells[5]!r}, recipe {time!r}"


def test_the_table_markers_appear_once_and_replacing_keeps_them_once():
    assert README.count(readme_table.BEGIN) == 1 and README.count(readme_table.END) == 1
    table = "\n".join([readme_table.BEGIN, "| new |", readme_table.END])
    again = readme_table.replace_table(readme_table.replace_table(README, table), table)
    assert again.count(readme_table.BEGIN) == 1 and "| new |" in again
    assert again.startswith(README[:README.index(readme_table.BEGIN)])
    with pytest.raises(ValueError, match="once, found it 2 times"):
        readme_table.replace_table(README + readme_table.BEGIN, table)
