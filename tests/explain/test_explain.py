"""keras_zoo.explain: CAM, Grad-CAM, Augmented Grad-CAM, RISE, deconvnet, rollout."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_zoo import explain
from keras_zoo.explain import augmented, class_activation


def _gap_net(size=(12, 10), channels=3, classes=4, downsample=False, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((*size, channels))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv1")(inputs)
    if downsample:
        x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="gap_net")


def _flatten_net(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="flatten_net")


def _images(n=3, size=(12, 10), channels=3, seed=0):
    return np.random.default_rng(seed).random((n, *size, channels)).astype(np.float32)


def test_grad_cam_is_cams_positive_part_on_gap_dense():
    # Selvaraju et al. 2017, section 3.1: with GAP + dense, alpha_c = w_c / Z, so Grad-CAM is
    # ReLU(CAM) / Z (no downsampling here: the maps are at the input's size, no resize).
    model, images = _gap_net(), _images()
    raw_cam = explain.cam(model, images, normalize=False)
    raw_grad = explain.grad_cam(model, images, normalize=False)
    z = 12 * 10
    np.testing.assert_allclose(raw_grad, np.maximum(raw_cam, 0) / z, atol=1e-6)
    normalised = explain.grad_cam(model, images)
    positive = np.maximum(raw_cam, 0)
    np.testing.assert_allclose(normalised, positive / positive.max(axis=(1, 2), keepdims=True),
                               atol=1e-5)
    assert normalised.shape == (3, 12, 10)


def test_cam_for_another_class_uses_that_column():
    model, images = _gap_net(), _images(1)
    maps = [explain.cam(model, images[0], class_index=k, normalize=False) for k in range(4)]
    assert maps[0].shape == (12, 10)
    assert not np.allclose(maps[0], maps[1])


def test_cam_refuses_a_network_without_gap_and_suggests_grad_cam():
    with pytest.raises(ValueError, match="grad_cam"):
        explain.cam(_flatten_net(), _images(1, (8, 8), 1))


def test_grad_cam_finds_the_last_feature_map_and_accepts_a_layer_name():
    model, images = _gap_net(downsample=True), _images(2)
    default = explain.grad_cam(model, images)
    named = explain.grad_cam(model, images, layer="conv2")
    np.testing.assert_allclose(default, named, atol=1e-6)
    early = explain.grad_cam(model, images, layer="conv1")
    assert early.shape == default.shape == (2, 12, 10)
    assert not np.allclose(early, default)


def test_bad_arguments_name_themselves():
    model, images = _gap_net(), _images(1)
    with pytest.raises(ValueError, match="layer='nope'"):
        explain.grad_cam(model, images, layer="nope")
    with pytest.raises(ValueError, match="class_index=7"):
        explain.grad_cam(model, images, class_index=7)
    with pytest.raises(ValueError, match="class_index=4"):
        explain.rise(model, images, class_index=4, num_masks=4)
    with pytest.raises(ValueError, match="images"):
        explain.grad_cam(model, images[:, :5])

    def serving(x):  # a black box: no gradient through the rounding to integers
        return model(tf.round(x * 255.0) / 255.0)

    with pytest.raises(ValueError, match="no differentiable path"):
        explain.grad_cam(serving, images)
    heat = explain.rise(serving, images[0], num_masks=8, batch_size=4)  # forward passes only
    assert heat.shape == (12, 10)


def test_subclassed_model_gives_the_functional_twins_grad_cam():
    functional = _gap_net(downsample=True)

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__(name="subclassed")
            self.conv1 = keras.layers.Conv2D(6, 3, padding="same", activation="relu")
            self.pool = keras.layers.MaxPooling2D(2)
            self.conv2 = keras.layers.Conv2D(5, 3, padding="same", activation="relu")
            self.gap = keras.layers.GlobalAveragePooling2D()
            self.head = keras.layers.Dense(4, activation="softmax")

        def call(self, x):
            return self.head(self.gap(self.conv2(self.pool(self.conv1(x)))))

    sub = Subclassed()
    images = _images(2)
    sub(images)
    for a, b in zip((sub.conv1, sub.conv2, sub.head),
                    [functional.get_layer(n) for n in ("conv1", "conv2", "predictions")],
                    strict=True):
        a.set_weights(b.get_weights())
    np.testing.assert_allclose(explain.grad_cam(sub, images), explain.grad_cam(functional, images),
                               atol=1e-5)
    np.testing.assert_allclose(explain.cam(sub, images), explain.cam(functional, images),
                               atol=1e-5)


def test_uint8_serving_model_is_explained_from_its_pixels():
    base = _gap_net()
    inputs = keras.Input((12, 10, 3), dtype="uint8")
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    served = keras.Model(inputs, base(x))
    pixels = (_images(2) * 255).round().astype(np.uint8)
    np.testing.assert_allclose(explain.grad_cam(served, pixels),
                               explain.grad_cam(base, pixels.astype(np.float32) / 255), atol=1e-5)
    assert explain.rise(served, pixels, num_masks=8).shape == (2, 12, 10)


def test_rise_with_all_ones_masks_is_constant():
    model, images = _gap_net(), _images(2)
    ones = np.ones((6, 12, 10), np.float32)
    p = model(images).numpy()
    top = p[np.arange(2), p.argmax(-1)]
    for coverage, expected in (("expected", top / 0.5), ("empirical", top)):
        raw = explain.rise(model, images, masks=ones, p=0.5, normalize=False,
                           coverage=coverage)
        np.testing.assert_allclose(raw, np.broadcast_to(expected[:, None, None], raw.shape),
                                   rtol=1e-5)
        np.testing.assert_allclose(explain.rise(model, images, masks=ones,
                                                coverage=coverage), 1.0)


def test_rise_empirical_coverage_divides_by_each_pixels_mask_sum():
    # A constant classifier output f: eq. 6 gives f * (masks' sum at the pixel) / (N p), which
    # varies with the masks alone; the empirical coverage gives f everywhere it is covered.
    def model(x):  # a black box whose class probabilities ignore the image
        return tf.tile(tf.constant([[0.3, 0.7]]), [tf.shape(x)[0], 1])

    images, f = _images(1), 0.7
    masks = explain.rise_masks(7, (12, 10), grid_size=3, p=0.5, seed=1)
    masks[:, 0, 0] = 0.0  # a pixel no mask keeps
    expected = explain.rise(model, images[0], masks=masks, normalize=False, coverage="expected")
    empirical = explain.rise(model, images[0], masks=masks, normalize=False)
    np.testing.assert_allclose(expected, f * masks.sum(0) / (7 * 0.5), rtol=1e-5)
    covered = masks.sum(0) > 0
    np.testing.assert_allclose(empirical[covered], f, rtol=1e-5)
    assert empirical[0, 0] == 0.0
    with pytest.raises(ValueError, match="coverage"):
        explain.rise(model, images, masks=masks, coverage="paper")


def test_rise_masks_are_seeded_and_smooth():
    a = explain.rise_masks(5, (16, 16), grid_size=4, p=0.5, seed=3)
    b = explain.rise_masks(5, (16, 16), grid_size=4, p=0.5, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 16, 16) and a.min() >= 0 and a.max() <= 1
    assert len(np.unique(a)) > 2  # bilinear upsampling: not binary
    assert not np.array_equal(a, explain.rise_masks(5, (16, 16), 4, 0.5, seed=4))


def test_deconvnet_puts_a_single_unit_back_at_its_switch():
    # Zeiler & Fergus 2014, 2.1: identity filters, one active input pixel -> the projection of
    # the pooled top activation lands exactly where the max came from.
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(1, 1, use_bias=False, activation="relu", name="conv",
                            kernel_initializer="ones")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(x))
    image = np.zeros((4, 4, 1), np.float32)
    image[1, 2, 0] = 0.7
    projection = explain.deconvnet(model, image, layer="pool", unit=0,
                                   return_reconstruction=True)
    np.testing.assert_allclose(projection, image, atol=1e-7)
    heat = explain.deconvnet(model, image, layer="pool")
    assert heat.shape == (4, 4) and heat[1, 2] == 1.0 and heat.sum() == 1.0


def test_deconvnet_projects_a_class_and_refuses_branches():
    model, images = _flatten_net(), _images(2, (8, 8), 1)
    heat = explain.deconvnet(model, images, class_index=1)
    assert heat.shape == (2, 8, 8) and heat.max() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unit=9"):
        explain.deconvnet(model, images, layer="conv1", unit=9)
    inputs = keras.Input((8, 8, 1))
    a = keras.layers.Conv2D(2, 3, padding="same")(inputs)
    b = keras.layers.Conv2D(2, 3, padding="same")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Add()([a, b]))
    branched = keras.Model(inputs, keras.layers.Dense(2)(x), name="branched")
    with pytest.raises(ValueError, match="grad_cam"):
        explain.deconvnet(branched, images)


def test_augmented_grad_cam_matches_its_measurements():
    model, images = _gap_net(size=(16, 16), downsample=True), _images(1, (16, 16))
    heat = explain.augmented_grad_cam(model, images[0], num_augmentations=6, seed=1,
                                      normalize=False, tv_weight=1e-4)
    again = explain.augmented_grad_cam(model, images[0], num_augmentations=6, seed=1,
                                       normalize=False, tv_weight=1e-4)
    np.testing.assert_array_equal(heat, again)
    assert heat.shape == (16, 16) and heat.min() >= 0
    # The un-augmented copy is one of the measurements: D h reproduces its Grad-CAM.
    low = class_activation._grad_cam_feature_maps(model, images, None, None)[0]
    down = augmented.downsample_matrix((16, 16), low.shape) @ heat.ravel()
    assert np.corrcoef(down, low.ravel())[0, 1] > 0.9


def test_warp_matrix_is_identity_without_augmentation_and_shifts_pixels():
    image = np.random.default_rng(0).random(6 * 5)
    identity = augmented.warp_matrix((6, 5), 0.0, (0.0, 0.0))
    np.testing.assert_allclose(identity @ image, image)
    shifted = (augmented.warp_matrix((6, 5), 0.0, (1.0, 0.0)) @ image).reshape(6, 5)
    np.testing.assert_allclose(shifted[1:], image.reshape(6, 5)[:-1])


def test_rollout_behind_the_common_signature():
    import keras_zoo

    vit = keras_zoo.models.get("vit_b16", preset="tiny")
    shape = vit.input_shape[1:]
    image = _images(1, shape[:2], shape[2])[0]
    heat = explain.explain(vit, image, "rollout")
    assert heat.shape == shape[:2] and heat.max() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="class_index"):
        explain.attention_rollout(vit, image, class_index=0)


def test_pointing_game_and_deletion_insertion():
    maps = np.zeros((2, 4, 4), np.float32)
    maps[0, 1, 1] = maps[1, 3, 3] = 1
    masks = np.zeros((2, 4, 4))
    masks[:, :2, :2] = 1
    np.testing.assert_array_equal(explain.pointing_game(maps, masks), [True, False])
    # (3, 3) lies sqrt(2) * 2 from the mask's corner (1, 1).
    np.testing.assert_array_equal(explain.pointing_game(maps, masks, tolerance=2), [True, False])
    np.testing.assert_array_equal(explain.pointing_game(maps, masks, tolerance=3), [True, True])
    model, images = _gap_net(), _images(2)
    deletion, insertion = explain.deletion_insertion(model, images, explain.grad_cam(model, images),
                                                     steps=8)
    assert deletion.shape == insertion.shape == (2,)
    assert np.all((deletion >= 0) & (deletion <= 1) & (insertion >= 0) & (insertion <= 1))


def test_explain_dispatch_refuses_unknown_methods():
    with pytest.raises(ValueError, match="method='lime'"):
        explain.explain(_gap_net(), _images(1), "lime")
