"""The segmentation and depth tasks: data, joint augmentation, bad input, serving, drawing."""

import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.data import depth_scene
from keras_zoo.data.segmentation import (
    augment_pair,
    check_masks,
    load_arrays,
    segmentation_dataset,
    shapes_segmentation,
)
from keras_zoo.tasks import get_task


@pytest.mark.parametrize("size", [(16, 16), (24, 40), (64, 64)])
def test_shapes_masks_at_several_sizes(size):
    images, masks = shapes_segmentation(8, size, num_classes=4, seed=3)
    assert images.shape == (8, *size, 3) and masks.shape == (8, *size)
    assert set(np.unique(masks)) <= {0, 1, 2, 3} and (masks > 0).any() and (masks == 0).any()
    # Object pixels are the bright drawn colours; the background is the dark noise (< 48).
    assert images[masks == 0].max() < 48 and images[masks > 0].max(axis=-1).min() >= 96
    again, _ = shapes_segmentation(8, size, num_classes=4, seed=3)
    np.testing.assert_array_equal(images, again)


def test_two_class_shapes_draw_only_circles():
    _, masks = shapes_segmentation(16, (32, 32), num_classes=2, seed=0)
    assert set(np.unique(masks)) == {0, 1}


def test_mask_class_ids_outside_the_model_are_rejected():
    masks = np.array([[0, 1, 255], [2, 1, 0]], np.uint8)
    check_masks(masks, 3)  # 255 is the ignore label
    with pytest.raises(ValueError, match=r"class ids \[2\] are outside the model's 2 classes"):
        check_masks(masks, 2)


def test_joint_augmentation_moves_masks_with_images_by_nearest_neighbour():
    import keras

    images, masks = shapes_segmentation(8, (32, 32), seed=1)
    layers = [keras.layers.RandomFlip("horizontal", seed=0),
              keras.layers.RandomTranslation(0.2, 0.2, fill_mode="constant", seed=0),
              keras.layers.RandomRotation(0.1, fill_mode="constant", seed=0)]
    x, y = augment_pair(tf.cast(images, tf.float32) / 255.0, tf.constant(masks), layers)
    x, y = np.asarray(x), np.asarray(y)
    assert not np.array_equal(y, masks)  # something moved
    assert set(np.unique(y)) <= set(np.unique(masks))  # no interpolated class ids
    # The mask still labels the bright object pixels (a few border pixels may disagree where
    # the image is interpolated bilinearly and the mask by nearest neighbour).
    bright = x.max(axis=-1) > 0.3
    assert np.mean(bright == (y > 0)) > 0.97


def test_dataset_augments_the_training_split_only():
    ds = segmentation_dataset("shapes", "train", (32, 32), 4, batch_size=8, n=16,
                              augment=("flip", "zoom"), seed=0)
    x, y = next(iter(ds))
    assert x.dtype == tf.float32 and y.dtype == tf.int32 and y.shape == (8, 32, 32)
    with pytest.raises(ValueError, match="augment"):
        segmentation_dataset("shapes", "train", (32, 32), 4, augment=("shear",))


def _entry_model(name):
    entry = keras_zoo.models.info(name)
    return entry, entry.build("tiny")


def test_task_rejects_unknown_data_names():
    entry, model = _entry_model("unet_same")
    task = get_task("segmentation")
    assert task.data_names == ("shapes", "oxford_iiit_pet")
    with pytest.raises(ValueError, match="task 'segmentation' cannot load data 'digits'"):
        task.dataset(model, entry, "train", data="digits")
    with pytest.raises(ValueError, match="task 'depth' cannot load data 'shapes'"):
        get_task("depth").dataset(*reversed(_entry_model("unet_depth")), "train", data="shapes")


def test_battery_data_honours_the_seed():
    entry, model = _entry_model("unet_same")
    task = get_task("segmentation")
    a, _ = task.battery_data(model, entry, n=4, seed=0)
    b, _ = task.battery_data(model, entry, n=4, seed=0)
    c, _ = task.battery_data(model, entry, n=4, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_serving_returns_mask_and_probabilities_at_the_input_size():
    task = get_task("segmentation")
    for name in ("unet", "fcn8s"):
        entry, model = _entry_model(name)
        example = task.serving_example(model, n=2)
        out = task.serving_fn(model)(**example)
        h, w = example["images"].shape[1:3]
        assert out["mask"].dtype == tf.uint8 and out["mask"].shape == (2, h, w)
        assert out["probabilities"].shape == (2, h, w, 4)
        np.testing.assert_allclose(np.sum(out["probabilities"], -1), 1.0, atol=1e-5)
        np.testing.assert_array_equal(out["mask"], np.argmax(out["probabilities"], -1))
    # The valid U-Net serves 24x24 images, mirrored to its 64x64 tile inside the graph.
    assert keras_zoo.models.info("unet").build("tiny").input_shape[1:3] == (64, 64)


def test_draw_and_describe_prediction():
    task = get_task("segmentation")
    image = np.zeros((8, 8, 3), np.uint8)
    mask = np.zeros((1, 8, 8), np.uint8)
    mask[0, :4] = 1
    probabilities = np.eye(4, dtype=np.float32)[mask]
    picture = task.draw_prediction(image, {"mask": mask, "probabilities": probabilities})
    pixels = np.asarray(picture)
    assert pixels[:4].any() and not pixels[4:].any()  # only the class-1 half is painted
    text = task.describe_prediction({"mask": mask, "probabilities": probabilities})
    assert text.splitlines() == ["background\t50.0 %", "circle\t50.0 %"]


def test_oxford_iiit_pet_through_tfds_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=4, policy=tfds.testing.MockPolicy.USE_CODE):
        images, masks = load_arrays("oxford_iiit_pet", "test", (24, 24), num_classes=3)
    assert images.shape == (4, 24, 24, 3) and masks.shape == (4, 24, 24)
    # Trimap values 1, 2, 3 become 0, 1, 2; anything else (mock data is random) is ignored.
    assert set(np.unique(masks)) <= {0, 1, 2, 255}


def test_depth_scene_is_exact_and_deterministic():
    image, depth = depth_scene.render(7, (32, 48))
    again, depth_again = depth_scene.render(7, (32, 48))
    np.testing.assert_array_equal(image, again)
    np.testing.assert_array_equal(depth, depth_again)
    assert np.all(np.isfinite(depth)) and depth.min() > 0
    assert depth.max() <= depth_scene.WALL_DISTANCE * 1.05
    # The bottom row sees the ground (no sphere stands that close): its depth is the exact
    # ray-plane intersection, nearer than the rows above it.
    assert depth[-1].mean() < depth[-8].mean()


def test_depth_serving_and_drawing():
    entry, model = _entry_model("unet_depth")
    task = get_task("depth")
    example = task.serving_example(model, n=2)
    out = task.serving_fn(model)(**example)
    assert out["depth"].shape == (2, 32, 32) and np.all(np.asarray(out["depth"]) > 0)
    picture = task.draw_prediction(example["images"][0], {"depth": np.asarray(out["depth"])})
    assert picture.size == (64, 32)
    assert task.describe_prediction({"depth": np.asarray(out["depth"])}).startswith("depth min")


def test_nyu_depth_v2_through_tfds_mock_data():
    import tensorflow_datasets as tfds

    from keras_zoo.data.tfds import load_depth_arrays

    with tfds.testing.mock_data(num_examples=3, policy=tfds.testing.MockPolicy.USE_CODE):
        images, depth = load_depth_arrays("nyu_depth_v2", "test", (24, 32))
    assert images.shape == (3, 24, 32, 3) and depth.shape == (3, 24, 32)
    assert depth.dtype == np.float32


def test_draw_predictions_callback_writes_overlays(tmp_path):
    from keras_zoo.tasks.segmentation import DrawPredictions

    entry, model = _entry_model("unet_same")
    task = get_task("segmentation")
    x, y = task.battery_data(model, entry, n=4)
    task.compile(model, entry)
    examples, _ = task.test_examples(model, entry, n=2)
    callback = DrawPredictions("segmentation", examples["images"], str(tmp_path / "draw"))
    model.run_eagerly = True  # the callback is under test, not the traced train step
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    assert sorted(p.name for p in (tmp_path / "draw").iterdir()) == ["epoch001_0.png",
                                                                      "epoch001_1.png"]



@pytest.mark.parametrize("task_name, name", [("segmentation", "unet_same"),
                                             ("depth", "unet_depth")])
def test_train_draws_held_out_predictions_about_five_times(task_name, name, tmp_path):
    """``train`` adds the task's callbacks: dense tasks draw 4 held-out images into
    ``<run>/predictions`` at epochs ceil(E/5), 2 ceil(E/5), ... and the last."""
    from keras_zoo.tasks.segmentation import DrawPredictions

    entry, model = _entry_model(name)
    (callback,) = get_task(task_name).training_callbacks(model, entry, str(tmp_path))
    assert isinstance(callback, DrawPredictions) and callback.images.shape[0] == 4
    assert get_task("classification").training_callbacks(model, entry, str(tmp_path)) == []
    callback.images = callback.images[:1]  # one drawing is enough to see the files
    callback.set_model(model)
    callback.set_params({"epochs": 12})
    callback.on_train_begin()
    for epoch in range(12):
        callback.on_epoch_end(epoch)
    drawn = sorted(p.name for p in (tmp_path / "predictions").iterdir())
    assert drawn == [f"epoch{e:03d}_0.png" for e in (3, 6, 9, 12)]
    with pytest.raises(ValueError, match="every must be a positive int or None"):
        DrawPredictions(task_name, callback.images, str(tmp_path), every=0)

def test_int8_check_judges_masks_where_the_float_model_decides():
    task = get_task("segmentation")
    uniform = np.full((1, 4, 4, 3), 1 / 3, np.float32)
    tied = {"probabilities": uniform, "mask": np.zeros((1, 4, 4), np.uint8)}
    other = {"probabilities": uniform, "mask": np.ones((1, 4, 4), np.uint8)}
    assert task.int8_check(tied, other)[0]  # ties: the argmax means nothing
    sure = np.zeros((1, 4, 4, 3), np.float32)
    sure[..., 0] = 1.0
    flipped = np.zeros_like(sure)
    flipped[..., 1] = 1.0
    ok, message = task.int8_check({"probabilities": sure, "mask": np.zeros((1, 4, 4), np.uint8)},
                                  {"probabilities": flipped, "mask": np.ones((1, 4, 4), np.uint8)})
    assert not ok and "mask agreement 0.000 on 16 confident pixels" in message
