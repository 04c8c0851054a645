"""Transfer learning (keras_zoo/transfer.py): frozen backbone, new head, fine-tuning."""

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo import transfer


def _data(shape, classes, n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(size=(n,) + shape).astype(np.float32), rng.integers(0, classes, n)


def _checkpoint(tmp_path, name, **config):
    keras.utils.set_random_seed(1)
    source = keras_zoo.models.get(name, preset="tiny", **config)
    path = str(tmp_path / f"{name}_source.keras")
    source.save(path)
    return source, path


def test_frozen_backbone_is_bit_identical_after_fit_and_bn_stays_in_inference(tmp_path):
    source, path = _checkpoint(tmp_path, "resnet20_cifar")
    model = keras_zoo.models.get("resnet20_cifar", preset="tiny", classes=3)
    factor = transfer.prepare(model, "resnet20_cifar", path, freeze="backbone",
                              config={"classes": 3})
    assert factor == 1.0
    backbone = transfer.backbone_layer_names("resnet20_cifar", model, {"classes": 3})
    assert "predictions" not in backbone and backbone
    before = {n: [w.copy() for w in model.get_layer(n).get_weights()] for n in backbone}
    for n in backbone:  # the checkpoint's weights were copied
        for a, b in zip(before[n], source.get_layer(n).get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    head_before = model.get_layer("predictions").get_weights()[0].copy()
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = _data(model.input_shape[1:], 3)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for n in backbone:  # weights and BatchNorm moving statistics alike
        for a, b in zip(before[n], model.get_layer(n).get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(head_before, model.get_layer("predictions").get_weights()[0])


def test_fine_tune_unfreezes_all_or_the_top_blocks_but_not_batchnorm(tmp_path):
    _, path = _checkpoint(tmp_path, "resnet20_cifar")
    model = keras_zoo.models.get("resnet20_cifar", preset="tiny")
    assert transfer.prepare(model, "resnet20_cifar", path, fine_tune=True) == \
        transfer.FINE_TUNE_LR_FACTOR
    bns = [la for la in model.layers if isinstance(la, keras.layers.BatchNormalization)]
    assert bns and not any(la.trainable for la in bns)
    assert model.get_layer("conv1_conv").trainable
    model = keras_zoo.models.get("resnet20_cifar", preset="tiny")
    transfer.prepare(model, "resnet20_cifar", path, fine_tune=1)
    backbone = transfer.backbone_layer_names("resnet20_cifar", model)
    top = transfer.blocks(model, backbone)[-1]
    trainable = {la.name for la in model.layers if la.trainable and la.weights}
    assert trainable == ({n for n in top if not n.endswith("_bn")} | {"predictions"})


def test_checkpoint_of_another_architecture_is_a_clear_error(tmp_path):
    _, path = _checkpoint(tmp_path, "lenet5")
    model = keras_zoo.models.get("resnet20_cifar", preset="tiny")
    with pytest.raises(ValueError, match="from_checkpoint: .*lenet5.* do not match"):
        transfer.prepare(model, "resnet20_cifar", path, freeze="backbone")


def test_bad_arguments(tmp_path):
    model = keras_zoo.models.get("lenet5", preset="tiny")
    with pytest.raises(ValueError, match="freeze must be one of"):
        transfer.prepare(model, "lenet5", "x.keras", freeze="all")
    with pytest.raises(ValueError, match="fine_tune must be"):
        transfer.prepare(model, "lenet5", "x.keras", fine_tune=0)
    with pytest.raises(ValueError, match="two phases"):
        transfer.prepare(model, "lenet5", "x.keras", freeze="backbone", fine_tune=True)
    with pytest.raises(ValueError, match="from_checkpoint is required"):
        transfer.prepare(model, "lenet5", None, freeze="backbone")
    with pytest.raises(ValueError, match="transfer: 'vae' .*declares no backbone"):
        transfer.backbone_layer_names("vae", model)


def test_a_backbone_is_declared_by_the_class_not_probed():
    """Outside the image classifiers only a class deriving from DeclaresBackbone names its
    backbone: a model that merely has a method of that name is refused, naming the model."""
    from keras_zoo.models.sequence.bert import BertClassifier

    assert issubclass(BertClassifier, transfer.DeclaresBackbone)
    model = keras_zoo.models.get("lenet5", preset="tiny")
    model.backbone_layer_names = lambda: ["c1"]
    with pytest.raises(ValueError, match="'bert_classifier' .*DeclaresBackbone"):
        transfer.backbone_layer_names("bert_classifier", model)

    class Declared(transfer.DeclaresBackbone, keras.Model):
        def backbone_layer_names(self):
            return ["c1"]

    inputs = keras.Input((4,))
    declared = Declared(inputs, keras.layers.Dense(2, name="c1")(inputs))
    assert transfer.backbone_layer_names("bert_classifier", declared) == ["c1"]


def test_training_entry_point_freezes_and_refuses_other_architectures(tmp_path):
    import training

    _, path = _checkpoint(tmp_path, "lenet5", activation="relu")
    source = keras.saving.load_model(path, safe_mode=True)
    result = training.train("lenet5", epochs=1, out=str(tmp_path / "run"), verbose=0,
                            from_checkpoint=path, freeze="backbone")
    model = result.model
    # A new head was trained (not the checkpoint's), on a backbone left as it was.
    assert not np.array_equal(model.get_layer("predictions").get_weights()[0],
                              source.get_layer("predictions").get_weights()[0])
    for name in transfer.backbone_layer_names("lenet5", model):
        for a, b in zip(source.get_layer(name).get_weights(),
                        model.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    _, other = _checkpoint(tmp_path, "resnet20_cifar")
    with pytest.raises(ValueError, match="from_checkpoint"):
        training.train("lenet5", epochs=1, out=str(tmp_path / "run2"), verbose=0,
                       from_checkpoint=other, freeze="backbone")


def test_cli_train_passes_the_transfer_flags(tmp_path, capsys):
    from training import cli

    _, other = _checkpoint(tmp_path, "resnet20_cifar")
    code = cli.main(["train", "lenet5", "--epochs", "1", "--out", str(tmp_path / "run"),
                     "--from", other, "--freeze", "backbone"])
    assert code == 2
    err = capsys.readouterr().err
    assert "from_checkpoint" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        cli.main(["train", "lenet5", "--freeze", "everything"])


def test_unfreeze_keeps_phase_1_weights_and_batchnorm_frozen(tmp_path):
    """Phase 2 of a two-phase run: ``unfreeze`` changes what trains, not the weights (phase 1's
    head and backbone stay; nothing is reloaded), and BatchNormalization stays frozen."""
    _, path = _checkpoint(tmp_path, "resnet20_cifar")
    model = keras_zoo.models.get("resnet20_cifar", preset="tiny", classes=3)
    transfer.prepare(model, "resnet20_cifar", path, freeze="backbone", config={"classes": 3})
    assert {la.name for la in model.layers if la.trainable and la.weights} == {"predictions"}
    head = model.get_layer("predictions")
    head.set_weights([w + 1.0 for w in head.get_weights()])  # as if phase 1 trained it
    before = [w.copy() for w in model.get_weights()]
    transfer.unfreeze(model, "resnet20_cifar", True, {"classes": 3})
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    bns = [la for la in model.layers if isinstance(la, keras.layers.BatchNormalization)]
    assert bns and not any(la.trainable for la in bns)
    assert model.get_layer("conv1_conv").trainable and head.trainable
    with pytest.raises(ValueError, match="fine_tune must be True or a positive int"):
        transfer.unfreeze(model, "resnet20_cifar", False)


@pytest.mark.parametrize("name", ["perceptron", "hebbian_network"])
def test_a_classifier_whose_backbone_is_everything_is_refused(name):
    # Their include_top=False build holds every weighted layer: --freeze backbone would have
    # trained nothing.
    model = keras_zoo.models.get(name, preset="tiny")
    with pytest.raises(ValueError, match=f"{name}' has no head with weights"):
        transfer.backbone_layer_names(name, model)
