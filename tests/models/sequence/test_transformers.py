"""Transformer, BERT and GPT: parameter counts against the papers and keras-hub, the warm-up
schedule, causality, TFLite at a fixed sequence length, generation; slow: reversal >= 0.99."""

import time

import keras
import numpy as np
import pytest

import keras_zoo
from keras_zoo.export import convert_keras, flex_ops, op_names, run
from keras_zoo.models.sequence.bert import (
    BERT_BASE,
    BertBackbone,
    BertPretrainer,
    mask_tokens,
)
from keras_zoo.models.sequence.gpt import GPT, GPT1, generate
from keras_zoo.models.sequence.transformer import (
    PAPER_VOCABULARY_SIZE,
    Transformer,
    TransformerSchedule,
    transformer_base_parameters,
)
from keras_zoo.tasks import get_task
from keras_zoo.tasks.seq2seq import exact_match
from tests.deferred import assert_deferred, deferred_weights


def test_transformer_base_parameter_count():
    # Built in a StatelessScope that defers the weights' initialization (tests/deferred.py):
    # the same layers and variable shapes, no random draws; the counts are checked after.
    with deferred_weights():
        model = Transformer(PAPER_VOCABULARY_SIZE, 16, 16)  # base: N=6, 512, 2048, h=8
        assert_deferred(model.weights)
    count = model.count_params()
    assert count == transformer_base_parameters() == 63_082_496
    # The paper reports "65M" (Table 3, rounded); ours is within 3% of it.
    assert abs(count - 65e6) / 65e6 < 0.03
    # Source, target and output projection share one matrix (section 3.4).
    assert len([w for w in model.weights if "embedding" in w.path]) == 1


def test_transformer_schedule_formula():
    schedule = TransformerSchedule(512, 4000)
    for step in (0, 99, 3999, 4000, 20000):
        s = step + 1
        expected = 512 ** -0.5 * min(s ** -0.5, s * 4000 ** -1.5)
        np.testing.assert_allclose(float(schedule(step)), expected, rtol=1e-5)
    peak = float(schedule(3999))
    assert float(schedule(100)) < peak and float(schedule(10000)) < peak


def test_transformer_decoder_is_causal():
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get("transformer", preset="tiny", source_length=4, target_length=4)
    src = np.full((1, 4), 4, np.int32)
    a = np.array([[1, 5, 6, 7, 8]], np.int32)
    b = a.copy()
    b[0, 3:] = 3  # change the future
    la, lb = np.asarray(model({"encoder_tokens": src, "decoder_tokens": a})), \
        np.asarray(model({"encoder_tokens": src, "decoder_tokens": b}))
    np.testing.assert_allclose(la[:, :3], lb[:, :3], atol=1e-5)
    assert not np.allclose(la[:, 3:], lb[:, 3:])


def test_bert_base_matches_keras_hub_exactly():
    import keras_hub

    # Built in a StatelessScope that defers the weights' initialization (tests/deferred.py):
    # the same layers and variable shapes, no random draws; the counts are checked after.
    with deferred_weights():
        ours = BertBackbone(**BERT_BASE)
        reference = keras_hub.models.BertBackbone(
            vocabulary_size=30522, num_layers=12, num_heads=12, hidden_dim=768,
            intermediate_dim=3072, max_sequence_length=512, num_segments=2)
        assert_deferred(ours.weights + reference.weights)
    assert ours.count_params() == reference.count_params() == 109_482_240


def test_bert_pretrainer_mlm_and_nsp_learn():
    keras.utils.set_random_seed(0)
    model = BertPretrainer(vocabulary_size=20, num_layers=1, hidden_dim=16, num_heads=2,
                           intermediate_dim=32, max_sequence_length=16, sequence_length=10,
                           num_predictions=3, dropout=0.0)
    rng = np.random.default_rng(0)
    tokens = rng.integers(4, 20, (32, 10)).astype(np.int32)
    masked, positions, labels, weights = mask_tokens(tokens, 3, 20, 3, first_maskable=4)
    assert (masked[np.arange(32)[:, None], positions] != labels).mean() > 0.5
    nsp = rng.integers(0, 2, 32).astype(np.int32)
    segments = np.zeros_like(tokens)
    segments[:, 5:] = 1
    x = {"token_ids": masked, "segment_ids": segments, "padding_mask": np.ones_like(tokens),
         "mask_positions": positions}
    model.compile("adam", loss={"mlm": keras.losses.SparseCategoricalCrossentropy(True),
                                "nsp": keras.losses.SparseCategoricalCrossentropy(True)})
    model.run_eagerly = True  # 10 steps of a tiny model: cheaper untraced, the same losses
    history = model.fit(x, {"mlm": labels, "nsp": nsp}, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_gpt1_parameter_count():
    # Built in a StatelessScope that defers the weights' initialization (tests/deferred.py):
    # the same layers and variable shapes, no random draws; the counts are checked after.
    with deferred_weights():
        model = GPT(**GPT1)
        assert_deferred(model.weights)
    count = model.count_params()
    assert count == 116_534_784
    assert abs(count - 117e6) / 117e6 < 0.01  # the paper's "117M"


def test_gpt_generation_samplers():
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get("gpt_char_lm", preset="tiny")
    prompt = np.array([[3, 4, 5], [6, 7, 8]], np.int32)
    greedy = generate(model, prompt, 5, "greedy")
    assert greedy.shape == (2, 8)
    np.testing.assert_array_equal(greedy[:, :3], prompt)
    # Greedy is the argmax of the model's next-token distribution.
    padded = np.zeros((2, model.sequence_length), np.int32)
    padded[:, :3] = prompt
    first = np.argmax(np.asarray(model(padded))[:, 2], axis=-1)
    np.testing.assert_array_equal(greedy[:, 3], first)
    for sampler in ("top_k", "top_p"):
        out = generate(model, prompt, 5, sampler, k=3, p=0.8)
        assert out.shape == (2, 8) and out.min() >= 0 and out.max() < model.vocabulary_size
    with pytest.raises(ValueError, match="max_new_tokens"):
        generate(model, prompt, 100)


@pytest.mark.parametrize("name", ["bert_classifier", "gpt_char_lm"])
def test_transformer_token_endpoints_convert_to_tflite(name):
    keras.utils.set_random_seed(0)
    model = keras_zoo.models.get(name, preset="tiny")
    converted = convert_keras(model)
    assert flex_ops(converted) == [], op_names(converted)
    tokens = np.array([[3, 4, 3, 4, 3, 3, 4, 4, 3, 4, 0, 0] + [0] * (
        model.inputs[0].shape[1] - 12)], np.int32)
    expected = np.asarray(model(tokens))
    np.testing.assert_allclose(run(converted, {"input_0": tokens})["output_0"], expected,
                               atol=1e-4)


@pytest.mark.slow
def test_transformer_reversal_length_10_exact_match():
    keras.utils.set_random_seed(0)
    entry = keras_zoo.models.info("transformer")
    model = Transformer(13, 10, 10, num_layers=2, d_model=64, d_ff=128, num_heads=4,
                        dropout=0.0)
    task = get_task("seq2seq")
    task.compile(model, entry, learning_rate=1e-3)
    start = time.time()
    model.fit(task.dataset(model, entry, "train", batch_size=64, n=8000), epochs=10, verbose=0)
    seconds = time.time() - start
    x, y = task._arrays(model, entry, "test", 1000)
    score = exact_match(model, x["encoder_tokens"], y)
    print(f"transformer: exact match {score:.4f} on 1000 test sequences, trained {seconds:.0f}s")
    assert score >= 0.99
