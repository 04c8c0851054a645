"""``keras-zoo verify`` on detectors' tiny exports: batches of bounded size, rows as they come.

The issue it guards: verify sent 10,000 images through a detector's serving function at once,
and the batched NMS then asked for a matrix quadratic in the batch (OOM after 110 s).
"""

import keras
import pytest

import keras_zoo
from keras_zoo.export import export, verify
from keras_zoo.tasks import get_task
from training import cli

MODELS = ("ssd", "yolo_v1", "faster_rcnn", "detr")
# One worker runs the module (under xdist): each detector is exported once, not once per worker.
pytestmark = pytest.mark.xdist_group("detection_verify")


class _Exports(dict):
    """name -> float export of the tiny detector (untrained, seeded), made on first use."""

    def __init__(self, root):
        super().__init__()
        self.root = root

    def __missing__(self, name):
        keras.utils.set_random_seed(0)
        model = keras_zoo.models.get(name, "tiny")
        source = str(self.root / f"{name}.keras")
        model.save(source)
        self[name] = export(model, name, keras_zoo.models.info(name),
                            root=str(self.root / "serve"), tflite=("float",), source=source)
        return self[name]


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """Float exports of the tiny detectors, shared by the tests (each made when first asked)."""
    return _Exports(tmp_path_factory.mktemp("verify"))


@pytest.mark.parametrize("name", MODELS[1:])  # SSD: by the command below
def test_verify_a_detector_export_in_batches(exports, fresh, name):
    rows = []
    ok, returned = verify(exports[name], n=6, batch_size=4, report=rows.append, fresh=fresh)
    assert ok, returned
    assert rows == returned  # each row reported as its check finished
    assert [r[0].split()[0] for r in rows] == ["savedmodel", "tflite"]


def test_verify_defaults_to_a_bounded_number_of_detector_examples():
    assert get_task("detection").verify_size <= 256
    assert get_task("proposal_detection").verify_size <= 256
    assert get_task("classification").verify_size == 10_000
    with pytest.raises(ValueError, match="batch_size"):
        verify("unused", batch_size=0)


def test_cli_verify_prints_every_check_and_the_verdict(exports, capsys, monkeypatch,
                                                       verify_in_the_shared_fresh_process):
    # The command's own default size, made smaller to keep the test cheap (3 batches of 64
    # would be the same code path).
    monkeypatch.setattr(type(get_task("detection")), "verify_size", 6)
    path = exports["ssd"]
    requests = verify_in_the_shared_fresh_process.count
    assert cli.main(["verify", path]) == 0
    assert verify_in_the_shared_fresh_process.count > requests  # the SavedModel ran there
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "verify: passed"
    assert len(lines) == 3 and all(line.startswith("ok ") for line in lines[:-1])
