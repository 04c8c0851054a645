"""README's main job, end to end, as a user runs it (slow tier; CI runs it)."""

import json
import os
import re
import subprocess
import sys
import time

import pytest

BIN = os.path.dirname(sys.executable)


@pytest.mark.slow
def test_main_job(tmp_path):
    root, out = tmp_path / "saved_models", tmp_path / "runs"
    start = time.time()
    result = subprocess.run(
        [os.path.join(BIN, "keras-zoo"), "train", "lenet5", "--export", "--root", str(root),
         "--out", str(out)], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    elapsed = time.time() - start
    print(result.stdout[-3000:])
    print(f"main job took {elapsed:.1f} s")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    accuracy = json.load(open(out / "metrics.json"))["test"]["accuracy"]
    assert accuracy >= 0.98
    version = root / "lenet5" / "1"
    assert (version / "saved_model.pb").exists() and (version / "variables").is_dir()
    assert (version / "lenet5.tflite").exists() and (version / "lenet5_int8.tflite").exists()
    assert "verify: passed" in result.stdout
    agreement = re.search(r"int8 top-1 agreement.*?([0-9.]+)\s", result.stdout)
    assert agreement and float(agreement.group(1)) >= 0.98
    cli = subprocess.run([os.path.join(BIN, "saved_model_cli"), "show", "--dir", str(version),
                          "--all"], capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert "signature_def['serving_default']" in cli.stdout
    assert "inputs['images']" in cli.stdout and "DT_UINT8" in cli.stdout
    assert "outputs['probabilities']" in cli.stdout and "outputs['classes']" in cli.stdout
