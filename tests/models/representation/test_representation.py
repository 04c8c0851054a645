"""Representation models: configs, objectives, serving, gradient reversal, domain data."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.layers import GradientReversal
from keras_zoo.models.representation import siamese
from keras_zoo.tasks import get_task


def _images(n=8, shape=(32, 32, 1), seed=0):
    return np.random.default_rng(seed).uniform(size=(n,) + shape).astype(np.float32)


@pytest.mark.parametrize("lam", [1.0, 0.3, 0.0])
def test_gradient_reversal_gradient_is_minus_lambda_times_upstream(lam):
    x = tf.constant(np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32))
    upstream = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    layer = GradientReversal(lam)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y * upstream)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), -lam * upstream, rtol=0, atol=0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x, scale=tf.constant(2.5)) * upstream)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), -2.5 * upstream, atol=1e-7)
    with pytest.raises(ValueError, match="lambda_"):
        GradientReversal(-1.0)


def test_any_registry_classifier_is_an_encoder():
    model = keras_zoo.models.get("triplet", preset="tiny", backbone="resnet20_cifar",
                                 backbone_preset="tiny", input_shape=(16, 16, 3))
    z = np.asarray(model(_images(2, (16, 16, 3))))
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="backbone must be a registry image classifier"):
        keras_zoo.models.get("siamese", preset="tiny", backbone="vae")
    with pytest.raises(ValueError, match="backbone_config may not set"):
        keras_zoo.models.get("siamese", preset="tiny", backbone_config={"include_top": True})


def test_bad_options_are_errors():
    with pytest.raises(ValueError, match="mining must be one of"):
        keras_zoo.models.get("triplet", preset="tiny", mining="hardest")
    with pytest.raises(ValueError, match="temperature must be a number > 0"):
        keras_zoo.models.get("simclr", preset="tiny", temperature=0.0)
    with pytest.raises(ValueError, match="unknown augmentations"):
        keras_zoo.models.get("simclr", preset="tiny", augmentations=("jpeg",))
    with pytest.raises(ValueError, match="hole side"):
        keras_zoo.models.get("context_encoder", preset="tiny", hole_fraction=0.3)


def test_triplet_objective_is_the_loss_with_its_mining():
    from keras_zoo.losses import triplet_loss

    for mining in ("batch_all", "batch_hard", "semi_hard"):
        model = keras_zoo.models.get("triplet", preset="tiny", mining=mining, margin=0.5)
        x, y = _images(), np.array([0, 0, 1, 1, 2, 2, 3, 3])
        expected = triplet_loss(y, model(x), 0.5, mining)
        assert float(model.objective(x, y, training=False)["loss"]) == pytest.approx(
            float(expected), rel=1e-5)
        assert keras_zoo.models.get("triplet", preset="tiny", mining=mining).get_config()[
            "mining"] == mining


def test_single_class_batch_fails_fit_with_a_clear_error():
    model = keras_zoo.models.get("triplet", preset="tiny")
    model.compile("adam")
    with pytest.raises(Exception, match="single class"):
        model.fit(_images(4), np.zeros(4, np.int32), epochs=1, verbose=0)


def test_verification_by_nearest_and_mean_template():
    templates = np.array([[0.0, 0.0], [2.0, 0.0]])
    queries = np.array([[0.5, 0.0], [1.0, 1.0]])
    nearest = siamese.template_distances(queries, templates, "nearest")
    mean = siamese.template_distances(queries, templates, "mean")
    np.testing.assert_allclose(nearest, [0.5, np.sqrt(2)])
    np.testing.assert_allclose(mean, [(0.5 + 1.5) / 2, np.sqrt(2)])
    assert list(siamese.verify(queries, templates, 1.0, "nearest")) == [True, False]
    assert list(siamese.verify(queries, templates, 1.0, "mean")) == [False, False]
    labels = siamese.identify(queries, np.array([[0.0, 0.0], [1.0, 1.2], [5.0, 5.0]]),
                              np.array([0, 1, 1]), "nearest")
    assert list(labels) == [0, 1]
    with pytest.raises(ValueError, match="method must be one of"):
        siamese.template_distances(queries, templates, "median")


def test_siamese_serves_embeddings_and_pair_similarity():
    model = keras_zoo.models.get("siamese", preset="tiny")
    task = get_task("embedding")
    example = task.serving_example(model, n=3)
    out = {k: np.asarray(v) for k, v in task.serving_fn(model)(**example).items()}
    assert sorted(out) == ["embeddings", "pair_embeddings", "similarity"]
    a = np.asarray(model(example["images"].astype(np.float32) / 255.0))
    b = np.asarray(model(example["pair_images"].astype(np.float32) / 255.0))
    np.testing.assert_allclose(out["embeddings"], a, atol=1e-5)
    np.testing.assert_allclose(out["similarity"], np.sum(a * b, -1), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(out["embeddings"], axis=1), 1.0, atol=1e-5)
    # Its own signatures: embeddings of single images, similarity of pairs.
    endpoints = task.serving_endpoints(model)
    assert sorted(endpoints) == ["embeddings", "similarity"]
    single = endpoints["embeddings"](images=example["images"])
    np.testing.assert_allclose(np.asarray(single["embeddings"]), a, atol=1e-5)
    pairs = endpoints["similarity"](**example)
    assert sorted(pairs) == ["similarity"]
    np.testing.assert_allclose(np.asarray(pairs["similarity"]), out["similarity"], atol=1e-6)
    assert task.serving_endpoints(keras_zoo.models.get("triplet", preset="tiny")) == {}


def test_instance_discrimination_updates_only_the_batch_rows():
    model = keras_zoo.models.get("instance_discrimination", preset="tiny")
    model.compile("adam", run_eagerly=True)  # one step: the same update, untraced
    before = np.asarray(model.memory_bank).copy()
    index = np.array([3, 7, 11, 20])
    model.fit(_images(4), index, batch_size=4, epochs=1, verbose=0)
    after = np.asarray(model.memory_bank)
    changed = np.flatnonzero(np.any(after != before, axis=1))
    assert list(changed) == list(index)
    np.testing.assert_allclose(np.linalg.norm(after[index], axis=1), 1.0, atol=1e-5)


def test_context_encoder_masks_the_central_hole():
    model = keras_zoo.models.get("context_encoder", preset="tiny")
    x = _images(2)
    masked, patch, weight = model.mask(tf.constant(x))
    masked = np.asarray(masked)
    assert patch.shape == (2, 16, 16, 1) and weight is None
    np.testing.assert_array_equal(np.asarray(patch), x[:, 8:24, 8:24])
    np.testing.assert_array_equal(masked[:, :8], x[:, :8])
    hole = masked[:, 8:24, 8:24]
    assert np.allclose(hole, hole[:, :1, :1])  # one fill value per image


def test_context_encoder_random_blocks_hide_squares_and_weigh_only_them():
    model = keras_zoo.models.get("context_encoder", preset="tiny", masks="random_blocks",
                                 seed=0)
    x = _images(3)
    masked, target, weight = (np.asarray(t) for t in model.mask(tf.constant(x)))
    np.testing.assert_array_equal(target, x)
    hidden = weight[..., 0] > 0
    # The union of 4 squares of side 8 of 32: at least one, at most a quarter of the image.
    assert ((hidden.sum((1, 2)) >= 64) & (hidden.sum((1, 2)) <= 256)).all()
    np.testing.assert_array_equal(masked[~hidden], x[~hidden])
    for image, mask in zip(masked, hidden, strict=True):
        assert np.allclose(image[mask], image[mask][0])  # one fill value per image
    assert model.decoder.outputs[0].shape[1:] == (32, 32, 1)
    with pytest.raises(ValueError, match="masks"):
        keras_zoo.models.get("context_encoder", preset="tiny", masks="random_region")
    with pytest.raises(ValueError, match="hole_fraction"):
        keras_zoo.models.get("context_encoder", preset="tiny", masks="random_blocks",
                             hole_fraction=0.25)
    with pytest.raises(ValueError, match="blocks"):
        keras_zoo.models.get("context_encoder", preset="tiny", blocks=2)


def test_dann_source_only_never_trains_the_domain_classifier():
    model = keras_zoo.models.get("dann", preset="tiny", adapt=False)
    task = get_task("domain_adaptation")
    x, y = task.battery_data(model, keras_zoo.models.info("dann"), n=16)
    before = [w.copy() for w in model.discriminator.get_weights()]
    task.compile(model, keras_zoo.models.info("dann"))
    model.run_eagerly = True  # two steps: the same train_step, untraced
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    for a, b in zip(before, model.discriminator.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert history.history["domain_loss"][-1] == 0.0


def test_dann_lambda_schedule():
    model = keras_zoo.models.get("dann", preset="tiny", schedule_steps=100)
    model.compile("adam")
    assert float(model.current_lambda()) == pytest.approx(0.0)
    model.optimizer.iterations.assign(50)
    assert float(model.current_lambda()) == pytest.approx(2 / (1 + np.exp(-5)) - 1)


def test_dann_learning_rate_anneals_as_the_paper():
    from keras_zoo.models.representation.dann import AnnealedLearningRate, dann_optimizer

    schedule = AnnealedLearningRate(0.01, total_steps=200)
    # mu_p = mu_0 / (1 + 10 p)^0.75 (section 5.1), p = step / total, held at p = 1 after.
    for step, p in ((0, 0.0), (50, 0.25), (200, 1.0), (400, 1.0)):
        assert float(schedule(step)) == pytest.approx(0.01 / (1 + 10 * p) ** 0.75, rel=1e-6)
    again = AnnealedLearningRate.from_config(schedule.get_config())
    assert float(again(50)) == pytest.approx(float(schedule(50)))
    optimizer = dann_optimizer(200)
    assert isinstance(optimizer, keras.optimizers.SGD) and optimizer.momentum == 0.9
    with pytest.raises(ValueError, match="schedule_steps"):
        dann_optimizer(None)
    with pytest.raises(ValueError, match="total_steps"):
        AnnealedLearningRate(0.01, total_steps=0)


def test_adaptation_domains():
    from keras_zoo.data.domains import load_adaptation

    src, ys = load_adaptation("digits_to_textured", "source", "test", (16, 16))
    tgt, yt = load_adaptation("digits_to_textured", "target", "test", (16, 16))
    assert src.shape == tgt.shape == (len(ys), 16, 16, 3) and src.dtype == tgt.dtype == np.uint8
    assert sorted(ys) == sorted(yt) and not np.array_equal(ys, yt)  # same digits, reordered
    inv, yi = load_adaptation("digits_to_inverted", "target", "test", (16, 16))
    again, _ = load_adaptation("digits_to_textured", "target", "test", (16, 16))
    np.testing.assert_array_equal(tgt, again)  # seeded
    assert inv.mean() > src.mean()
    with pytest.raises(ValueError, match="Unknown adaptation task"):
        load_adaptation("mnist_to_svhn")


def test_embedding_task_options_data_names_and_seed():
    model = keras_zoo.models.get("triplet", preset="tiny")
    entry = keras_zoo.models.info("triplet")
    task = get_task("embedding")
    with pytest.raises(ValueError, match="cannot load data 'cifar100'"):
        task.dataset(model, entry, data="cifar100")
    with pytest.raises(ValueError, match="does not support the option"):
        task.dataset(model, entry, augment=("flip",))
    with pytest.raises(ValueError, match="classes must be a non-empty subset"):
        task.dataset(model, entry, classes=(11,))
    ds = task.dataset(model, entry, "train", 16, seed=3, classes=(0, 1, 2))
    labels = np.concatenate([y for _, y in ds.as_numpy_iterator()])
    assert set(labels) == {0, 1, 2}
    again = np.concatenate([y for _, y in task.dataset(model, entry, "train", 16, seed=3,
                                                       classes=(0, 1, 2)).as_numpy_iterator()])
    other = np.concatenate([y for _, y in task.dataset(model, entry, "train", 16, seed=4,
                                                       classes=(0, 1, 2)).as_numpy_iterator()])
    np.testing.assert_array_equal(labels, again)
    assert not np.array_equal(labels, other)
    dann = keras_zoo.models.get("dann", preset="tiny")
    with pytest.raises(ValueError, match="cannot load data 'digits'"):
        get_task("domain_adaptation").dataset(dann, keras_zoo.models.info("dann"), data="digits")


def test_random_resized_crop_cuts_boxes_of_the_drawn_area_anywhere_in_the_image():
    from keras_zoo.models.representation.base import random_resized_crop

    n, side = 64, 16
    ramp = np.linspace(0.0, 1.0, side)
    ys, xs = np.meshgrid(ramp, ramp, indexing="ij")
    images = np.repeat(np.stack([ys, xs], -1)[None].astype(np.float32), n, axis=0)
    seed = keras.random.SeedGenerator(0)
    whole = random_resized_crop(images, 1.0, seed, ratio=(1.0, 1.0)).numpy()
    np.testing.assert_allclose(whole, images, atol=1e-6)
    out = random_resized_crop(images, 0.3, seed).numpy()
    # Bilinear resampling of a linear ramp is the ramp: each view shows the box it was cut from.
    top, left = out[:, 0, 0, 0], out[:, 0, 0, 1]
    height, width = out[:, -1, 0, 0] - top, out[:, 0, -1, 1] - left
    steps = np.arange(side)[None] / (side - 1)
    np.testing.assert_allclose(out[:, :, 0, 0], top[:, None] + steps * height[:, None], atol=1e-5)
    np.testing.assert_allclose(out[:, 0, :, 1], left[:, None] + steps * width[:, None], atol=1e-5)
    assert top.min() >= -1e-6 and (top + height).max() <= 1 + 1e-5
    assert left.min() >= -1e-6 and (left + width).max() <= 1 + 1e-5
    area = height * width
    assert area.min() >= 0.3 - 1e-5 and area.max() <= 1 + 1e-5 and area.min() < 0.5
    assert np.ptp(top) > 0.2 and np.ptp(left) > 0.2  # not centred: anywhere in the image
    ratio = width / height
    assert ratio.min() >= 0.75 - 1e-4 and ratio.max() <= 4 / 3 + 1e-4 and np.ptp(ratio) > 0.2


def test_instance_discrimination_trains_on_augmented_views():
    model = keras_zoo.models.get("instance_discrimination", preset="tiny", seed=0)
    assert model.augmentations == ("crop", "color", "grayscale")
    images = _images(4)
    views = model.augment(tf.constant(images)).numpy()
    assert views.shape == images.shape and np.abs(views - images).mean() > 0.01
    assert model.get_config()["crop_scale"] == 0.2
    plain = keras_zoo.models.get("instance_discrimination", preset="tiny", augmentations=())
    np.testing.assert_array_equal(plain.augment(tf.constant(images)).numpy(), images)
    with pytest.raises(ValueError, match="unknown augmentations"):
        keras_zoo.models.get("instance_discrimination", preset="tiny", augmentations=("jpeg",))


def test_tasks_read_the_declared_contract_of_the_public_base():
    from keras_zoo.models.representation.base import NetworksModel, RepresentationModel
    from keras_zoo.tasks.embedding import embedding_function

    task = get_task("embedding")
    dann = keras_zoo.models.get("dann", preset="tiny")
    assert isinstance(dann, NetworksModel) and not isinstance(dann, RepresentationModel)
    with pytest.raises(ValueError, match="not a RepresentationModel"):
        task.serving_example(dann)
    # keras-zoo embed plots DANN's own embed(): its encoder's features, unit length.
    images = _images(3, (32, 32, 3))
    embed, shape = embedding_function(dann)
    assert shape == dann.image_shape == (32, 32, 3)
    np.testing.assert_allclose(embed(images), tf.math.l2_normalize(
        dann.encoder(images), -1).numpy(), atol=1e-6)
    triplet = keras_zoo.models.get("triplet", preset="tiny")
    embed, shape = embedding_function(triplet)
    np.testing.assert_allclose(embed(_images(3)), triplet(_images(3)).numpy(), atol=1e-6)
    assert (triplet.target, triplet.serves_pairs) == ("labels", False)


def test_evaluation_metrics_report_retrieval():
    model = keras_zoo.models.get("siamese", preset="tiny")
    figures = get_task("embedding").evaluation_metrics(model, keras_zoo.models.info("siamese"))
    assert set(figures) == {"recall@1", "recall@5", "ndcg@10", "map@r"}
    assert all(0.0 <= v <= 1.0 for v in figures.values())


def test_linear_probe_is_reported_for_self_supervised_models(monkeypatch):
    from keras_zoo.tasks import embedding

    model = keras_zoo.models.get("context_encoder", preset="tiny")
    probe = embedding.linear_probe_accuracy
    accuracy = probe(model, "digits", per_class=5)
    assert 0.1 < accuracy <= 1.0  # random conv features of digits are better than chance
    # evaluation_metrics reports the probe of the entry's data on the evaluated split. The probe
    # on the whole training split (7 L-BFGS fits to convergence, 13 of this test's 16 CPU s) is
    # the same function as above: here it runs on 5 images per class.
    calls = []

    def probe_on_five_per_class(probed, data, split="test"):
        calls.append((probed, data, split, probe(probed, data, per_class=5, split=split)))
        return calls[-1][-1]

    monkeypatch.setattr(embedding, "linear_probe_accuracy", probe_on_five_per_class)
    figures = get_task("embedding").evaluation_metrics(
        model, keras_zoo.models.info("context_encoder"), split="validation")
    assert [call[:3] for call in calls] == [(model, "digits", "validation")]
    assert figures["linear_probe_accuracy"] == calls[0][3]
    assert 0.1 < figures["linear_probe_accuracy"] <= 1.0


def test_seeded_fit_repeats_exactly():
    def run():
        keras.utils.set_random_seed(7)
        model = keras_zoo.models.get("simclr", preset="tiny", seed=1)
        model.compile("adam", run_eagerly=True)  # one step, twice: tracing it would dominate
        model.fit(_images(8), np.zeros(8), batch_size=8, epochs=1, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run(), strict=True):
        np.testing.assert_array_equal(a, b)
