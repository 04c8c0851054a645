"""GPT-2's four sizes and GPT-3 175B counted from their definitions; built (slow) to check."""

from __future__ import annotations

import pytest

from keras_zoo.models.sequence.gpt import (
    GPT,
    GPT1,
    GPT2,
    GPT2_CONTEXT,
    GPT2_VOCABULARY_SIZE,
    GPT3_175B,
    gpt_parameters,
)
from tests.deferred import assert_deferred, deferred_weights

# The released checkpoints' sizes (the paper's Table 2 says 117M, 345M, 762M, 1542M).
_GPT2_EXACT = {"124M": 124_439_808, "355M": 354_823_168, "774M": 774_030_080,
               "1.5B": 1_557_611_200}


@pytest.mark.parametrize("size", list(GPT2))
def test_gpt2_sizes_by_formula(size):
    config = GPT2[size]
    assert gpt_parameters(GPT2_VOCABULARY_SIZE, config["num_layers"], config["hidden_dim"],
                          GPT2_CONTEXT) == _GPT2_EXACT[size]


def test_gpt3_175b_by_formula_from_the_papers_table():
    count = gpt_parameters(GPT3_175B["vocabulary_size"], GPT3_175B["num_layers"],
                           GPT3_175B["hidden_dim"], GPT3_175B["sequence_length"])
    assert count == 174_604_259_328
    # The paper's "175.0B" (Table 2.1) is this count rounded up: 12 L d^2 alone is 173.9B.
    assert 12 * 96 * 12288 ** 2 == 173_946_175_488
    assert round(count / 1e9, 1) == 174.6


@pytest.mark.parametrize("norm_first", [False, True])
def test_formula_equals_a_small_build(norm_first):
    model = GPT(vocabulary_size=37, num_layers=2, hidden_dim=16, num_heads=2,
                intermediate_dim=48, sequence_length=8, dropout=0.0, norm_first=norm_first)
    assert model.count_params() == gpt_parameters(37, 2, 16, 8, intermediate_dim=48,
                                                  final_norm=norm_first)
    assert ("final_norm" in [layer.name for layer in model.layers]) is norm_first
    assert GPT.from_config(model.get_config()).count_params() == model.count_params()


def test_gpt1_by_formula():
    assert gpt_parameters(GPT1["vocabulary_size"], GPT1["num_layers"], GPT1["hidden_dim"],
                          GPT1["sequence_length"], GPT1["intermediate_dim"],
                          final_norm=False) == 116_534_784


@pytest.mark.slow
@pytest.mark.parametrize("size", list(GPT2))
def test_gpt2_builds_to_its_count(size):
    """Builds the paper-size model, its weights deferred (shapes only, nothing allocated)."""
    config = GPT2[size]
    with deferred_weights():  # counted only (tests/deferred.py): no 1.5B random draws
        model = GPT(vocabulary_size=GPT2_VOCABULARY_SIZE, sequence_length=GPT2_CONTEXT,
                    intermediate_dim=4 * config["hidden_dim"], dropout=0.0, norm_first=True,
                    **config)
        assert_deferred(model.weights)
    assert model.count_params() == _GPT2_EXACT[size]


def test_gpt2_entry_is_gpt2_124m_by_formula():
    import keras_zoo

    entry = keras_zoo.models.info("gpt2")
    config = entry.config("canonical")
    assert config["vocabulary_size"] == GPT2_VOCABULARY_SIZE
    assert gpt_parameters(config["vocabulary_size"], config["num_layers"], config["hidden_dim"],
                          config["sequence_length"]) == entry.params == _GPT2_EXACT["124M"]


def test_gpt2_builder_is_pre_norm_with_the_tanh_gelu_over_token_ids():
    import keras_zoo

    model = keras_zoo.models.get("gpt2", num_layers=1, hidden_dim=8, num_heads=2,
                                 sequence_length=4, vocabulary_size=11)
    assert model.vocabulary is None and model.norm_first and model.activation == "gelu_approximate"
    assert model.get_layer("decoder_layer_0_mlp_dense_1").units == 32  # d_ff = 4 d
    assert model.count_params() == gpt_parameters(11, 1, 8, 4)
    with pytest.raises(ValueError, match="gpt2: norm_first=False is GPT-1's post-norm block"):
        keras_zoo.models.get("gpt2", norm_first=False)
    with pytest.raises(ValueError, match="gpt2: give vocabulary or max_tokens, not both"):
        keras_zoo.models.get("gpt2", vocabulary=["", "[UNK]", "a"], max_tokens=3)
    with pytest.raises(ValueError, match="activation must be one of"):
        GPT(vocabulary_size=11, num_layers=1, hidden_dim=8, num_heads=2, sequence_length=4,
            activation="relu")
