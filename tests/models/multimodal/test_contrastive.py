"""CLIP, MuLan and VATT: the symmetric contrastive loss, parameter counts by formula, VATT's
word-summed text, the serving signatures (raw strings in) and zero-shot classification."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo
from keras_zoo.losses.multimodal import symmetric_contrastive_loss
from keras_zoo.metrics.cross_modal import cross_modal_recall_at_k
from keras_zoo.models.multimodal import clip, vatt
from keras_zoo.tasks import get_task


def _log_softmax(z, axis):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def test_symmetric_loss_is_the_mean_of_row_and_column_cross_entropy():
    logits = np.random.default_rng(0).normal(size=(4, 4)).astype(np.float32)
    rows = -np.diag(_log_softmax(logits, 1))
    columns = -np.diag(_log_softmax(logits, 0))
    np.testing.assert_allclose(symmetric_contrastive_loss(logits), (rows + columns) / 2,
                               atol=1e-5)


def test_cross_modal_recall_counts_an_item_of_the_same_label():
    queries = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    gallery = np.array([[1.0, 0.1], [0.1, 1.0]])
    assert cross_modal_recall_at_k(queries, gallery, [0, 1, 1], [0, 1], k=1) == pytest.approx(
        2 / 3 + 1 / 3 * (np.argmax(gallery @ [1, 1]) == 1))
    assert cross_modal_recall_at_k(queries, gallery, [0, 1, 1], [0, 1], k=2) == 1.0
    with pytest.raises(ValueError, match="k must"):
        cross_modal_recall_at_k(queries, gallery, [0, 1, 1], [0, 1], k=0)


def test_clip_vit_b32_count_by_formula():
    small = dict(image_size=16, patch_size=8, vision_width=16, vision_layers=2,
                 sequence_length=6, text_width=8, text_layers=1, embed_dim=12)
    from keras_zoo.data import captions

    model = clip.CLIP(input_shape=(16, 16, 3), vision_heads=2, text_heads=2,
                      **{k: v for k, v in small.items() if k != "image_size"})
    assert model.count_params() == clip.clip_vit_parameters(
        vocabulary_size=len(captions.VOCABULARY), **small)
    # The released ViT-B/32 (openai/CLIP) has 151,277,313; ours adds the patch bias (768).
    assert clip.clip_vit_parameters() - clip.VIT_B32_PARAMS == 768


def test_vatt_text_is_summed_over_the_words():
    model = vatt.VATT(**vatt.TINY)
    text = model.get_layer("text_encoder")
    vectorizer = text.layers[1]
    tokens = keras.Model(text.input, text.get_layer("text_final_norm").output)
    captions = tf.constant(["a red circle moves left", "a blue square"])
    valid = (vectorizer(captions).numpy() != 0).astype(np.float32)
    summed = (tokens(captions).numpy() * valid[..., None]).sum(1)
    kernel, bias = text.get_layer("text_to_vt").get_weights()
    np.testing.assert_allclose(text(captions).numpy(), summed @ kernel + bias, atol=1e-5)


@pytest.fixture(scope="module")
def tiny_clip():
    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("clip_vit_b32")
    return entry, entry.build("tiny")


def test_zero_shot_classify_agrees_with_serving_default(tiny_clip):
    entry, model = tiny_clip
    task = get_task(entry.task)
    example = task.serving_example(model, n=3)
    default = task.serving_fn(model)(**example)
    names = [f"{c} {k}" for c in ("red", "green", "blue", "yellow")
             for k in ("circle", "square", "triangle")]
    classify = task.serving_endpoints(model)["classify"]
    out = classify(images=tf.constant(example["images"]), class_names=tf.constant(names))
    np.testing.assert_allclose(out["probabilities"], default["probabilities"], atol=1e-5)
    text = task.serving_endpoints(model)["text_embeddings"](tf.constant(["a small red circle"]))
    np.testing.assert_allclose(np.linalg.norm(text["text_embeddings"], axis=-1), 1.0, atol=1e-5)


def test_mulan_classifies_raw_waveforms_by_class_names():
    """MuLan's endpoints: ``classify(waveforms, class_names)`` over the audio classes equals
    ``serving_default``'s zero-shot probabilities; ``text_embeddings`` takes raw strings."""
    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("mulan")
    model = entry.build("tiny")
    task = get_task(entry.task)
    example = task.serving_example(model, n=3)
    assert set(example) == {"waveforms"}
    default = task.serving_fn(model)(**example)
    names = list(task._class_names(model))
    endpoints = task.serving_endpoints(model)
    out = endpoints["classify"](waveforms=tf.constant(example["waveforms"]),
                                class_names=tf.constant(names))
    assert out["probabilities"].shape == (3, len(names))
    np.testing.assert_allclose(out["probabilities"], default["probabilities"], atol=1e-5)
    text = np.asarray(endpoints["text_embeddings"](tf.constant(["a rising chirp", ""]))[
        "text_embeddings"])
    assert np.linalg.norm(text[0]) == pytest.approx(1.0, abs=1e-5)
    # An empty string has no words to embed: a finite (zero) vector, not NaN.
    assert np.all(np.isfinite(text[1]))


def test_exported_clip_serves_raw_strings(tiny_clip, tmp_path):
    from keras_zoo.export import export

    entry, model = tiny_clip
    path = export(model, "clip", entry, version=1, root=os.fspath(tmp_path), tflite=())
    loaded = tf.saved_model.load(path)
    assert {"serving_default", "text_embeddings", "classify"} <= set(loaded.signatures)
    out = loaded.signatures["text_embeddings"](text=tf.constant(["a small red circle", ""]))
    assert out["text_embeddings"].shape == (2, 16)
    images = get_task(entry.task).serving_example(model, n=2)["images"]
    served = loaded.signatures["classify"](images=tf.constant(images),
                                           class_names=tf.constant(["red circle", "blue square"]))
    assert served["probabilities"].shape == (2, 2)


#: Measured 2026-12-04 (the recipe's model and schedule, training pairs and epochs varied;
#: zero-shot over the 12 colour-shape names; chance for the shape 1/3): with the recipe's
#: 1,024 pairs (640 steps) the towers learn colour only (held-out 0.35, all test pairs 0.31,
#: shape at chance). 8,192 pairs (2,560 steps) learn shape on seen pairs (all test pairs
#: 0.65) but held-out pairs fall to 0.19: a green triangle is taken for a green circle or
#: square. A linear shape probe trained on seen-pair image embeddings scores 0.02 on held-out
#: images (a CLIP-RN tower: 0.04; zero-shot 0.10 held-out, 0.78 all pairs): the image
#: embeddings are conjunctive (colour x shape), not factorised, so no prompt or temperature can
#: recover the held-out pairs. Captions with the colour or the shape word dropped (1/3 each):
#: 0.23 held-out, 0.69 all pairs; a third of the images grey with the colour word dropped: ViT
#: 0.21, CLIP-RN 0.34 (probe 0.19). Coverage decides: with only green triangles held out (the
#: issue's example; each colour then seen with 2-3 shapes) CLIP-RN with the grey images reaches
#: 0.68 held-out and 0.98 on all pairs (probe 0.53), 8,192 pairs, 2,560 steps.
#: What meets the bar with all three pairs held out: a recoloured copy of each training pair,
#: its object painted in a colour no caption names and its colour word dropped
#: (keras_zoo.data.unnamed_colours), so that every shape is seen in many colours. The CLIP-RN
#: tower (recipe clip_rn_shapes_captions, 8,192 pairs + copies, 4 epochs) then reaches 0.852
#: held-out (colour always right; 0.777 after 8 epochs: longer training fits the seen pairs'
#: conjunctions again). The ViT tower has its own recipe (clip_vit_shapes_captions: the same
#: data, 4-px patches so that its grid is 8x8 like ViT-B/32's 7x7 at 224 px, width 64, one
#: warm-up epoch then cosine, 6 epochs): 0.824 held-out (per epoch 0.58 0.66 0.83 0.86 0.77
#: 0.82: close to the bar); with the RN recipe it reached 0.543.
SLOW_BARS = [("ast", "accuracy", 0.9), ("mulan", "recall_at_1", 0.5),
             ("clip_vit_b32", "zero_shot_accuracy", 0.8),
             ("clip_rn50", "zero_shot_accuracy", 0.8),
             ("vatt", "recall_at_1", 0.5)]


@pytest.mark.slow
@pytest.mark.parametrize("name, metric, bar", SLOW_BARS,
                         ids=["ast", "mulan", "clip_vit_b32", "clip_rn50", "vatt"])
def test_recipe_reaches_the_bar(name, metric, bar, tmp_path):
    """Measured (stop 24, 2026-12-03, load 8-21, through ``training.train``): AST test
    accuracy 1.0; MuLan recall@1 0.998; VATT text<->video recall@1 0.693 (video<->audio
    0.14). CLIP's figures are in the comment above ``SLOW_BARS``."""
    from training import train

    result = train(name, out=str(tmp_path / name), verbose=0)
    print(name, result.metrics)
    assert result.metrics[metric] >= bar, result.metrics


def test_predict_prints_zero_shot_class_names(tiny_clip, tmp_path):
    from PIL import Image

    from keras_zoo.data import captions
    from training.commands.predict import predict

    entry, model = tiny_clip
    image = captions.load("novel", (16, 16), n=1, max_objects=1)["images"][0]
    path = os.fspath(tmp_path / "shape.png")
    Image.fromarray(image).save(path)
    text, picture, outputs = predict(model, entry, path)
    lines = text.splitlines()
    assert len(lines) == 5 and all(len(line.split("\t")) == 2 for line in lines)
    names = {f"{c} {k}" for c in captions.COLOURS for k in ("circle", "square", "triangle")}
    assert {line.split("\t")[0] for line in lines} <= names
    assert picture.size[0] >= 16
