"""Weight files: ``keras-zoo weights`` converts once and saves; ``get(name, weights=FILE)``
loads it offline with its preprocessing; a file of the wrong shapes is one clear error."""

import re

import keras_hub
import numpy as np
import pytest

import keras_zoo
from tests.weights.anchors import random_images
from tests.weights.test_keras_hub import SMALL, _converter, _perturbed
from training import cli

PRESET = "vit_base_patch16_224_imagenet"


@pytest.fixture
def patched_hub(monkeypatch):
    backbone = _perturbed(keras_hub.models.ViTBackbone(**SMALL))
    monkeypatch.setattr(keras_hub.models.ViTBackbone, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: backbone))
    monkeypatch.setattr(keras_hub.layers.ViTImageConverter, "from_preset",
                        classmethod(lambda cls, preset, **kwargs: _converter()))
    return backbone


def test_cli_converts_once_and_the_file_loads_offline(patched_hub, tmp_path, capsys):
    path = str(tmp_path / "vit.weights.h5")
    assert cli.main(["weights", "vit_b16", f"keras_hub:{PRESET}", "-o", path, "--no-top"]) == 0
    assert "load it offline" in capsys.readouterr().out
    loaded = keras_zoo.models.get("vit_b16", weights=path, include_top=False,
                                  input_shape=(32, 32, 3), patch_size=8, num_layers=2,
                                  num_heads=2, hidden_dim=16, mlp_dim=32)
    assert loaded.get_layer("preprocessing")  # the file brought it back
    images = random_images((32, 32, 3))
    expected = np.asarray(patched_hub(np.asarray(_converter()(255.0 * images))))
    np.testing.assert_allclose(np.asarray(loaded(images)), expected, atol=1e-5, rtol=0)
    # Never overwritten.
    assert cli.main(["weights", "vit_b16", f"keras_hub:{PRESET}", "-o", path, "--no-top"]) == 2


def test_info_lists_the_weight_sources(capsys):
    assert cli.main(["info", "vit_b16"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("weights:"))
    assert f"keras_hub:{PRESET}" in line and ", imagenet" not in line
    assert cli.main(["info", "mobilenet"]) == 0
    assert "imagenet" in capsys.readouterr().out


def test_a_file_of_the_wrong_shapes_names_the_first_tensor(tmp_path):
    config = dict(include_top=False, input_shape=(32, 32, 3), patch_size=8, num_layers=1,
                  num_heads=2)
    path = str(tmp_path / "narrow.weights.h5")
    keras_zoo.models.get("vit_b16", hidden_dim=16, mlp_dim=32, **config).save_weights(path)
    with pytest.raises(ValueError, match=r"Could not load weights from '.*narrow.weights.h5' "
                                         r"into vit_b16: the file's "
                                         r"'layers/patch_embedding/.*' \(.*16\) does not fit our "
                                         r"'patch_embedding/.*' \(.*32\)"):
        keras_zoo.models.get("vit_b16", weights=path, hidden_dim=32, mlp_dim=32, **config)


def test_a_keras_file_transfers_by_structure(tmp_path):
    path = str(tmp_path / "m.keras")
    source = keras_zoo.models.get("mobilenet", preset="tiny")
    source.set_weights([w + 0.01 for w in source.get_weights()])
    source.save(path)
    loaded = keras_zoo.models.get("mobilenet", preset="tiny", weights=path)
    images = random_images((32, 32, 3))
    np.testing.assert_allclose(np.asarray(loaded(images)), np.asarray(source(images)),
                               atol=1e-6)


def test_bad_weights_values_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="mlp: weights='/nonexistent.weights.h5': not a file"):
        keras_zoo.models.get("mlp", weights="/nonexistent.weights.h5")
    with pytest.raises(TypeError, match="weights must be None, a path"):
        keras_zoo.models.get("mlp", weights=3)


@pytest.mark.parametrize("weights", ["imagenett", "keras-hub:resnet_50_imagenet", "hub", ""])
def test_an_unknown_weights_string_names_the_accepted_ones(weights):
    with pytest.raises(ValueError, match=re.escape(
            f"resnet50: weights={weights!r}: not a file, 'imagenet' or 'keras_hub:<preset>'; "
            "resnet50 accepts ['None (random)', 'a .weights.h5 / .keras path', 'imagenet', "
            "'keras_hub:resnet_50_imagenet', 'keras_hub:resnet_vd_50_imagenet', "
            "'keras_hub:resnet_vd_50_ssld_imagenet', 'keras_hub:resnet_vd_50_ssld_v2_imagenet', "
            "'keras_hub:resnet_vd_50_ssld_v2_fix_imagenet']")):
        keras_zoo.models.get("resnet50", weights=weights)
