"""``keras-zoo explain`` and ``keras-zoo attack`` (training/commands/explain.py, attack.py)."""

import numpy as np
import pytest
from PIL import Image

from training import cli


@pytest.fixture
def digit_png(tmp_path):
    path = tmp_path / "digit.png"
    image = np.zeros((32, 32), np.uint8)
    image[8:24, 14:18] = 255
    Image.fromarray(image).save(path)
    return str(path)


def test_explain_writes_an_overlay_and_all_panels(digit_png, tmp_path, capsys):
    out = tmp_path / "grad.png"
    assert cli.main(["explain", "lenet5", digit_png, "--method", "grad-cam", "--class", "3",
                     "-o", str(out)]) == 0
    assert Image.open(out).size[0] > 100
    assert "target 3" in capsys.readouterr().out
    panels = tmp_path / "all.png"
    assert cli.main(["explain", "lenet5", digit_png, "--method", "all", "--masks", "40",
                     "-o", str(panels)]) == 0
    assert Image.open(panels).size[0] > Image.open(out).size[0]


def test_explain_errors_are_one_line(digit_png, tmp_path, capsys):
    out = str(tmp_path / "x.png")
    assert cli.main(["explain", "lenet5", digit_png, "--class", "10", "-o", out]) == 2
    assert "--class 10" in capsys.readouterr().err
    assert cli.main(["explain", "lenet5", digit_png, "--method", "cam", "-o", out]) == 2
    assert "grad_cam" in capsys.readouterr().err
    assert cli.main(["explain", "lenet5", digit_png, "--layer", "nope", "-o", out]) == 2
    assert "layer='nope'" in capsys.readouterr().err


def test_attack_prints_accuracies_and_writes_the_grid(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert cli.main(["attack", "lenet5", "--method", "pgd", "--eps", "0.1", "--steps", "2",
                     "--limit", "8", "--rows", "2", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "clean accuracy" in printed and "robust accuracy" in printed
    assert Image.open(out).size[1] > 100
    assert cli.main(["attack", "lenet5", "--eps", "1.5", "--limit", "4",
                     "-o", str(tmp_path / "b.png")]) == 2
    assert "eps=1.5" in capsys.readouterr().err
    assert cli.main(["attack", "lenet5", "--method", "fgsm", "--steps", "3", "--limit", "4",
                     "-o", str(tmp_path / "c.png")]) == 2
    assert "--steps" in capsys.readouterr().err
